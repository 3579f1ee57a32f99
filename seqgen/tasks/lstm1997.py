"""The original LSTM of Hochreiter & Schmidhuber (1997), and for comparison
the forget-gate LSTM (seqgen/models/lstm.py's cell) with the same readout.

The 1997 net (section 4 of the paper): memory blocks of S cells sharing an
input gate and an output gate; no forget gate; the cell state is a
constant error carousel:

  in_j  = f(net_in_j),  out_j = f(net_out_j)            f: logistic
  s_c   = s_c(t-1) + in_j * g(net_c)                    g = 4 sig(x) - 2
  y_c   = out_j * h(s_c)                                h = 2 sig(x) - 1

Every cell and gate reads the input and, from the previous step, every
cell output and gate activation (the paper's fully connected hidden
layer). The outputs read the cells (and, optionally, the input directly).
The paper truncates the gradient: errors reaching the net inputs of cells
and gates are not propagated further back in time; only the carousel
carries error backwards. `truncate=True` reproduces that exactly by
stopping the gradient of the recurrent activations (full BPTT otherwise).
`recurrent=False` drops the hidden-to-hidden weights (cells and gates read
only the input), which our 2a net needs to avoid state drift.

Dimension letters used in names below:
  B  batch      T  time steps    D  input units    K  output units
  C  cells (blocks x block size)  J  blocks
  U  cells and gates, the hidden units (C + 2J)
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.models import lstm


def _uniform(rngs: nnx.Rngs, shape: tuple[int, ...], scale: float) -> jax.Array:
    return jax.random.uniform(rngs.params(), shape, jnp.float32, -scale, scale)


def project_input(x: jax.Array, w_DxN: jax.Array) -> jax.Array:
    """x @ W for float features [B, T, D]; a row gather for int ids [B, T]
    (the same numbers as one-hot @ W, without the D-wide matmul)."""
    if jnp.issubdtype(x.dtype, jnp.integer):
        return jnp.take(w_DxN, x, axis=0)
    return jnp.einsum("btd,dn->btn", x, w_DxN)


class Readout(nnx.Module):
    """Output units: read the hidden activations (and optionally the input).

    Returns pre-activations; the task decides the squashing (sigmoid,
    linear, softmax) and the loss.
    """

    def __init__(self, hidden: int, in_features: int, out_features: int, *,
                 bias: bool, input_to_output: bool, init_scale: float, rngs: nnx.Rngs):
        self.w = nnx.Param(_uniform(rngs, (hidden, out_features), init_scale))
        self.b = nnx.Param(_uniform(rngs, (out_features,), init_scale)) if bias else None
        self.w_in = (nnx.Param(_uniform(rngs, (in_features, out_features), init_scale))
                     if input_to_output else None)

    def __call__(self, h_BxTxH: jax.Array, x: jax.Array) -> jax.Array:
        z_BxTxK = jnp.einsum("bth,hk->btk", h_BxTxH, self.w[...])
        if self.b is not None:
            z_BxTxK = z_BxTxK + self.b[...]
        if self.w_in is not None:
            z_BxTxK = z_BxTxK + project_input(x, self.w_in[...])
        return z_BxTxK


@dataclasses.dataclass(frozen=True)
class LSTM1997Options:
    """The paper varies these per experiment (section 5)."""

    num_blocks: int = 2  # J memory blocks (Reber: 3, adding: 2)
    block_size: int = 2  # S cells per block (Reber: 2, adding: 2)
    cell_bias: bool = True  # adding: "all non-input units are biased"; Reber: gates only
    gate_bias: bool = True
    output_bias: bool = True
    input_to_output: bool = False  # direct input -> output weights
    init_scale: float = 0.1  # weights ~ U(-s, s) (Reber 0.2, adding 0.1)
    # Per-block initial gate biases; () keeps them random like other weights.
    in_gate_bias: tuple[float, ...] = ()  # adding: (-3, -6)
    out_gate_bias: tuple[float, ...] = ()  # Reber: (-1, -2, -3)
    g_range: float = 2.0  # g squashes to [-g_range, g_range] (paper: 2)
    h_range: float = 1.0  # h squashes to [-h_range, h_range] (paper: 1)
    truncate: bool = True  # the paper's truncated gradient; False = full BPTT
    recurrent: bool = True  # cells and gates read the previous cells and gates


class LSTM1997(nnx.Module):
    """Memory blocks without forget gates, read out by Readout."""

    def __init__(self, in_features: int, out_features: int, opts: LSTM1997Options, *,
                 rngs: nnx.Rngs):
        J, C = opts.num_blocks, opts.num_blocks * opts.block_size
        U, s = C + 2 * J, opts.init_scale
        for name, b in (("in_gate_bias", opts.in_gate_bias),
                        ("out_gate_bias", opts.out_gate_bias)):
            if b and len(b) != J:
                raise ValueError(f"{name} has {len(b)} values for {J} blocks")
        self.opts = opts
        self.w_x = nnx.Param(_uniform(rngs, (in_features, U), s))
        self.w_r = nnx.Param(_uniform(rngs, (U, U), s)) if opts.recurrent else None
        self.b_cell = nnx.Param(_uniform(rngs, (C,), s)) if opts.cell_bias else None
        if opts.gate_bias:
            b_in, b_out = _uniform(rngs, (J,), s), _uniform(rngs, (J,), s)
            if opts.in_gate_bias:
                b_in = jnp.asarray(opts.in_gate_bias, jnp.float32)
            if opts.out_gate_bias:
                b_out = jnp.asarray(opts.out_gate_bias, jnp.float32)
            self.b_gate = nnx.Param(jnp.concatenate([b_in, b_out]))
        else:
            self.b_gate = None
        self.readout = Readout(C, in_features, out_features, bias=opts.output_bias,
                               input_to_output=opts.input_to_output, init_scale=s,
                               rngs=rngs)

    def hidden(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """Cell outputs y_c [B, T, C] and states s_c [B, T, C] over a sequence.

        x: float [B, T, D] or int ids [B, T] (one-hot input).
        """
        o = self.opts
        J, S = o.num_blocks, o.block_size
        C = J * S
        zx_BxTxU = project_input(x, self.w_x[...])
        if self.b_cell is not None or self.b_gate is not None:
            b_cell = self.b_cell[...] if self.b_cell is not None else jnp.zeros((C,))
            b_gate = self.b_gate[...] if self.b_gate is not None else jnp.zeros((2 * J,))
            zx_BxTxU = zx_BxTxU + jnp.concatenate([b_cell, b_gate])
        w_r_UxU = None if self.w_r is None else self.w_r[...]
        B = zx_BxTxU.shape[0]

        def step(carry, zx_BxU):
            r_BxU, s_BxC = carry
            if o.truncate:
                r_BxU = jax.lax.stop_gradient(r_BxU)
            z_BxU = zx_BxU if w_r_UxU is None else zx_BxU + r_BxU @ w_r_UxU
            zc_BxC, zin_BxJ, zout_BxJ = jnp.split(z_BxU, [C, C + J], axis=-1)
            in_BxJ, out_BxJ = jax.nn.sigmoid(zin_BxJ), jax.nn.sigmoid(zout_BxJ)
            g_BxC = o.g_range * (2.0 * jax.nn.sigmoid(zc_BxC) - 1.0)
            s_BxC = s_BxC + jnp.repeat(in_BxJ, S, axis=-1) * g_BxC
            h_BxC = o.h_range * (2.0 * jax.nn.sigmoid(s_BxC) - 1.0)
            y_BxC = jnp.repeat(out_BxJ, S, axis=-1) * h_BxC
            r_BxU = jnp.concatenate([y_BxC, in_BxJ, out_BxJ], axis=-1)
            return (r_BxU, s_BxC), (y_BxC, s_BxC)

        carry = (jnp.zeros((B, C + 2 * J)), jnp.zeros((B, C)))
        _, (y_TxBxC, s_TxBxC) = jax.lax.scan(step, carry, jnp.swapaxes(zx_BxTxU, 0, 1))
        return jnp.swapaxes(y_TxBxC, 0, 1), jnp.swapaxes(s_TxBxC, 0, 1)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Output pre-activations [B, T, K] for input x (see `hidden`)."""
        y_BxTxC, _ = self.hidden(x)
        return self.readout(y_BxTxC, x)


class ForgetGateLSTM(nnx.Module):
    """The modern LSTM (forget gate, Gers et al. 2000; optional peepholes)
    of seqgen/models/lstm.py, one layer, with the same readout as the 1997
    net, so the comparison changes only the recurrent unit."""

    def __init__(self, in_features: int, out_features: int, hidden: int,
                 opts: lstm.LSTMOptions, *, output_bias: bool, input_to_output: bool,
                 in_gate_bias: float = 0.0, rngs: nnx.Rngs):
        self.layer = lstm.LSTMLayer(in_features, hidden, opts, rngs=rngs)
        if in_gate_bias:  # the 1997 remedy for state drift, for this cell too
            self.layer.b.value = self.layer.b.value.at[:hidden].set(in_gate_bias)
        self.readout = Readout(hidden, in_features, out_features, bias=output_bias,
                               input_to_output=input_to_output,
                               init_scale=opts.init_scale, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        h_BxTxH, _ = self.layer(x, self.layer.init_carry(x.shape[0]))
        return self.readout(h_BxTxH, x)


def num_weights(model: nnx.Module) -> int:
    """Trainable numbers, as the paper counts weights (biases included)."""
    return sum(int(p.size) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
