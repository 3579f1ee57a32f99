"""Graves' peephole LSTM and the deep LSTM stack with skip connections.

Equations: Graves (2013), "Generating Sequences with Recurrent Neural
Networks", eqs. 1-5 (deep stack) and 7-11 (peephole cell); DESIGN.md §3.

Dimension letters used in names below:
  B  batch            T  time steps         D  features of the layer input
  H  hidden units     G  gate pre-activations (4H, order i, f, g, o)
  N  layers

Performance shape: each layer's input projection for all T steps is one big
matmul outside the time scan; only the recurrent h @ W_h stays in the scan.
A layer's input may come in parts (x and h^{n-1} with skip connections);
an integer part holds one-hot symbol ids and its projection is a row gather
of W_x (the same numbers as one-hot @ W_x, without the V-wide matmul), and
float parts are concatenated for one matmul (see project). The
backward pass is hand-written (lstm_recurrence.py): the reverse scan only
carries dL/dh and dL/dc, and dL/dW_h is one big matmul after it, which made
the 2x512 text train step 1.2-1.45x faster than autodiff of the scan on this
CPU (benchmarks/routes.py); synthesis_recurrence.py does the same for the
synthesis network's layer 1 and window. LSTMOptions.backward='autodiff'
keeps the plain scans of cell_step, the reference the fused paths are
tested against.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.models import lstm_recurrence

# One layer's carry is (h_BxH, c_BxH); a stack's carry is a tuple of those.
LayerCarry = tuple[jax.Array, jax.Array]
Carry = tuple[LayerCarry, ...]


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def clip_gradient(x: jax.Array, limit: float) -> jax.Array:
    """Identity forward; clips the derivative flowing back through x.

    Graves clips the derivatives of the loss with respect to the LSTM
    pre-activations (and the network outputs) during backprop, which is not
    the same as clipping parameter gradients afterwards.
    """
    return x


def _clip_fwd(x, limit):
    return x, None


def _clip_bwd(limit, _, g):
    return (jnp.clip(g, -limit, limit),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def maybe_clip(x: jax.Array, limit: float | None) -> jax.Array:
    return x if not limit else clip_gradient(x, float(limit))


@dataclasses.dataclass(frozen=True)
class LSTMOptions:
    """Knobs of the cell shared by every layer of a stack."""

    peepholes: bool = True  # Graves' diagonal peepholes w_ci, w_cf, w_co
    forget_bias: float = 1.0  # initial b_f; Graves does not state one
    init_scale: float = 0.1  # weights ~ U(-s, s)
    clip_preactivations: float | None = None  # Graves: 1 (text), 10 (handwriting)
    matmul_dtype: str = "float32"  # 'bfloat16': bf16 inputs, f32 accumulation
    unroll: int = 1  # lax.scan unroll factor
    # 'fused': lstm_recurrence.py's hand-written backward (weight gradients
    # out of the time loop; tested equal to 'autodiff', the plain scan).
    backward: str = "fused"

    @classmethod
    def from_config(cls, model_config) -> LSTMOptions:
        """The options a config's `model` group sets (seqgen/config/common.py);
        `backward` is not a config field (both routes compute the same
        numbers): benchmarks/routes.py sets it on its own configs."""
        m = model_config
        return cls(peepholes=m.peepholes, forget_bias=m.forget_bias, init_scale=m.init_scale,
                   clip_preactivations=m.clip_preactivations or None,
                   matmul_dtype=m.matmul_dtype, unroll=m.unroll,
                   backward=m.get("backward", "fused"))

    def __post_init__(self):
        if self.backward not in ("fused", "autodiff"):
            raise ConfigError(f"LSTMOptions.backward={self.backward!r}: use 'fused' "
                              f"(the default) or 'autodiff'")


# Matmul whose accumulation and result are always float32 (bf16 inputs
# optional); defined beside the recurrence, which lstm.py imports.
dot = lstm_recurrence.dot


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def input_dot(x_NxD: jax.Array, w_DxG: jax.Array, dtype: str) -> jax.Array:
    """x @ W_x for a whole sequence (any leading dims), with its own backward.

    Autodiff hands XLA dL/dx = dz @ W_x^T with W_x as a transposed operand,
    which XLA CPU ran at about half its GEMM rate (T*B x 4H @ 4H x D: 315 ms
    of a 3.9 s synthesis 3x400 step, profiled); laid out as W_x^T once (an
    optimization_barrier keeps XLA from folding the copy back in), the same
    product is a plain row-major GEMM: the step ran 5% faster (interleaved A/B).
    """
    return dot(x_NxD, w_DxG, dtype)


def _input_dot_fwd(x, w, dtype):
    return dot(x, w, dtype), (x, w)


def _input_dot_bwd(dtype, res, dz):
    x, w = res
    x_NxD, dz_NxG = x.reshape(-1, x.shape[-1]), dz.reshape(-1, dz.shape[-1])
    w_GxD = jax.lax.optimization_barrier(w.T)
    dx = dot(dz_NxG, w_GxD, dtype).reshape(x.shape).astype(x.dtype)
    return dx, dot(x_NxD.T, dz_NxG, dtype).astype(w.dtype)


input_dot.defvjp(_input_dot_fwd, _input_dot_bwd)


def project(parts: tuple[jax.Array, ...], sizes: tuple[int, ...], w_DxG: jax.Array,
            dtype: str) -> jax.Array:
    """sum_k part_k @ W_x[rows of part k]; integer parts are one-hot ids."""
    if len(parts) > 1 and not any(jnp.issubdtype(x.dtype, jnp.integer) for x in parts):
        # Float parts only (synthesis: [x, h^{n-1}, w]): one matmul of their
        # concatenation writes the T*B x 4H result once instead of once per
        # part; the synthesis 3x400 train step ran 5% faster (interleaved A/B).
        return input_dot(jnp.concatenate(parts, axis=-1), w_DxG, dtype)
    out, row = None, 0
    for x, d in zip(parts, sizes, strict=True):
        w = w_DxG[row:row + d]
        row += d
        if jnp.issubdtype(x.dtype, jnp.integer):
            z = jnp.take(w, x, axis=0).astype(jnp.float32)
        else:
            z = input_dot(x, w, dtype)
        out = z if out is None else out + z
    return out


def cell_step(
    zx_BxG: jax.Array,
    carry: LayerCarry,
    w_h_HxG: jax.Array,
    w_c_3xH: jax.Array | None,
    opts: LSTMOptions,
) -> tuple[LayerCarry, jax.Array]:
    """One step of the peephole cell given the input part of the gates.

    zx_BxG already holds W_x x_t + b. Returns the new carry and h_t.
    """
    h_BxH, c_BxH = carry
    return cell_update(zx_BxG + dot(h_BxH, w_h_HxG, opts.matmul_dtype), c_BxH, w_c_3xH, opts)


def cell_update(z_BxG: jax.Array, c_BxH: jax.Array, w_c_3xH: jax.Array | None,
                opts: LSTMOptions) -> tuple[LayerCarry, jax.Array]:
    """The cell after its matmuls: z_BxG = W_x x_t + W_h h_{t-1} + b."""
    zi_BxH, zf_BxH, zg_BxH, zo_BxH = jnp.split(z_BxG, 4, axis=-1)
    if w_c_3xH is not None:
        zi_BxH = zi_BxH + w_c_3xH[0] * c_BxH
        zf_BxH = zf_BxH + w_c_3xH[1] * c_BxH
    clip = opts.clip_preactivations
    i_BxH = jax.nn.sigmoid(maybe_clip(zi_BxH, clip))
    f_BxH = jax.nn.sigmoid(maybe_clip(zf_BxH, clip))
    g_BxH = jnp.tanh(maybe_clip(zg_BxH, clip))
    c_BxH = f_BxH * c_BxH + i_BxH * g_BxH
    if w_c_3xH is not None:
        # The output gate peeks at the *new* cell state (Graves eq. 10).
        zo_BxH = zo_BxH + w_c_3xH[2] * c_BxH
    o_BxH = jax.nn.sigmoid(maybe_clip(zo_BxH, clip))
    h_BxH = o_BxH * jnp.tanh(c_BxH)
    return (h_BxH, c_BxH), h_BxH


class LSTMLayer(nnx.Module):
    """A peephole LSTM layer run over a whole sequence."""

    def __init__(self, in_features: int | tuple[int, ...], hidden: int,
                 opts: LSTMOptions, *, rngs: nnx.Rngs):
        self.in_sizes = (in_features,) if isinstance(in_features, int) \
            else tuple(in_features)
        in_features = sum(self.in_sizes)
        s = opts.init_scale
        uniform = jax.nn.initializers.uniform(2 * s)
        shift = lambda w: w - s  # noqa: E731  (U(0, 2s) -> U(-s, s))
        self.opts = opts
        self.hidden = hidden
        self.w_x = nnx.Param(shift(uniform(rngs.params(), (in_features, 4 * hidden))))
        self.w_h = nnx.Param(shift(uniform(rngs.params(), (hidden, 4 * hidden))))
        b_G = jnp.zeros((4 * hidden,)).at[hidden:2 * hidden].set(opts.forget_bias)
        self.b = nnx.Param(b_G)
        if opts.peepholes:
            self.w_c = nnx.Param(shift(uniform(rngs.params(), (3, hidden))))
        else:
            self.w_c = None

    def init_carry(self, batch_size: int) -> LayerCarry:
        # Two buffers, not one twice: the train step donates both.
        shape = (batch_size, self.hidden)
        return jnp.zeros(shape, jnp.float32), jnp.zeros(shape, jnp.float32)

    def __call__(self, x: jax.Array | tuple[jax.Array, ...], carry: LayerCarry
                 ) -> tuple[jax.Array, LayerCarry]:
        """x: float [B, T, D] (or int ids [B, T]), or a tuple of such parts."""
        opts = self.opts
        parts = x if isinstance(x, tuple) else (x,)
        if parts[0].shape[1] == 1:
            return self.one_step(parts, carry)
        # Time-major before the projection: transposing the D-wide inputs (or
        # int ids) costs less than transposing the 4H-wide pre-activations.
        zx_TxBxG = project(tuple(jnp.swapaxes(p, 0, 1) for p in parts), self.in_sizes,
                           self.w_x[...], opts.matmul_dtype) + self.b[...]
        w_h_HxG = self.w_h[...]
        w_c_3xH = None if self.w_c is None else self.w_c[...]
        if opts.backward == "fused":
            h_TxBxH, h_BxH, c_BxH = lstm_recurrence.recurrence(
                zx_TxBxG, carry[0], carry[1], w_h_HxG, w_c_3xH,
                opts.clip_preactivations or None, opts.matmul_dtype, opts.unroll)
            return jnp.swapaxes(h_TxBxH, 0, 1), (h_BxH, c_BxH)

        def step(carry, zx_BxG):
            return cell_step(zx_BxG, carry, w_h_HxG, w_c_3xH, opts)

        carry, h_TxBxH = jax.lax.scan(step, carry, zx_TxBxG, unroll=opts.unroll)
        return jnp.swapaxes(h_TxBxH, 0, 1), carry

    def one_step(self, parts: tuple[jax.Array, ...], carry: LayerCarry
                 ) -> tuple[jax.Array, LayerCarry]:
        """A single time step (sampling), without the sequence path's scan of
        length 1: the float inputs and h_{t-1} go through ONE matmul,
        [x_t, h_{t-1}] @ [W_x; W_h] (the stacked weights are loop-invariant:
        in a sampling scan XLA stacks them once, before the loop). Measured
        here: handwriting prediction sampling 2.0-2.3x faster, text within
        noise. Same sums as cell_step; tests/lstm_test.py checks it."""
        opts = self.opts
        h_BxH, c_BxH = carry
        w_DxG = self.w_x[...]
        z_BxG = self.b[...]
        xs, ws, row = [], [], 0
        for x_Bx1xD, d in zip(parts, self.in_sizes, strict=True):
            w = w_DxG[row:row + d]
            row += d
            if jnp.issubdtype(x_Bx1xD.dtype, jnp.integer):  # one-hot ids: a row gather
                z_BxG = z_BxG + jnp.take(w, x_Bx1xD[:, 0], axis=0).astype(jnp.float32)
            else:
                xs.append(x_Bx1xD[:, 0])
                ws.append(w)
        z_BxG = z_BxG + dot(jnp.concatenate([*xs, h_BxH], axis=-1),
                            jnp.concatenate([*ws, self.w_h[...]], axis=0), opts.matmul_dtype)
        w_c_3xH = None if self.w_c is None else self.w_c[...]
        carry, h_BxH = cell_update(z_BxG, c_BxH, w_c_3xH, opts)
        return h_BxH[:, None], carry


class DeepLSTM(nnx.Module):
    """N stacked LSTM layers, computed layer by layer (Graves eqs. 1-5).

    With skip connections the input x feeds every layer (layer n sees
    [x, h^{n-1}]) and every layer feeds the output ([h^1 .. h^N] is
    returned); without them layer n sees only h^{n-1} and only h^N is
    returned. The output projection W_{h^n y} belongs to the head.
    """

    def __init__(self, in_features: int, hidden: int, num_layers: int,
                 opts: LSTMOptions, *, skip: bool = True, rngs: nnx.Rngs):
        self.skip = skip
        self.hidden = hidden
        self.num_layers = num_layers
        layers = []
        for n in range(num_layers):
            if n == 0:
                d = in_features
            else:
                d = (in_features, hidden) if skip else hidden
            layers.append(LSTMLayer(d, hidden, opts, rngs=rngs))
        self.layers = nnx.List(layers)

    @property
    def out_features(self) -> int:
        return self.hidden * (self.num_layers if self.skip else 1)

    def init_carry(self, batch_size: int) -> Carry:
        return tuple(layer.init_carry(batch_size) for layer in self.layers)

    def __call__(self, x_BxTxD: jax.Array, carry: Carry
                 ) -> tuple[jax.Array, Carry]:
        """x_BxTxD: float features, or int ids [B, T] meaning one-hot input."""
        hs, new_carry = [], []
        h_BxTxH = None
        for n, layer in enumerate(self.layers):
            if n == 0:
                inp = x_BxTxD
            elif self.skip:
                inp = (x_BxTxD, h_BxTxH)
            else:
                inp = h_BxTxH
            h_BxTxH, c = layer(inp, carry[n])
            hs.append(h_BxTxH)
            new_carry.append(c)
        out = jnp.concatenate(hs, axis=-1) if self.skip else h_BxTxH
        return out, tuple(new_carry)

