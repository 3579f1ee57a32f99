"""Handwriting synthesis (Graves 2013 §5): the prediction network conditioned
on a character sequence through the soft window (seqgen/models/window.py).

Wiring, per step t (DESIGN.md §3):
  h^1_t = LSTM(x_t, w_{t-1}, h^1_{t-1})                        layer 1
  window(h^1_t) -> phi(t, .), kappa_t, w_t                       the soft window
  h^n_t = LSTM([x_t if skip], h^{n-1}_t, w_t, h^n_{t-1})        layers 2..N
  y_t = b_y + sum_n W_{h^n y} h^n_t + W_{wy} w_t   (skip)        the mixture outputs
  y_t = b_y + W_{h^N y} h^N_t                      (no skip)
The output layer follows the issue, not Graves' output equation (which has
only the h^n): with the skip connections it also reads w_t. Reasons: with one
layer Graves' wiring leaves y_t no path to w_t at all (w_t would first reach
the output through h^1_{t+1}), and the direct path lets the output use the
character under the window from the first updates, before layers 2..N have
learnt to pass it on; it costs C x (6M+1) weights. Without skip connections
the output reads h^N only, and x feeds layer 1 only; w_t feeds layers 2..N
either way (it is the conditioning, not a skip connection).

Layer 1 and the window share one lax.scan over time (the window needs h^1_t
and layer 1 needs w_{t-1}); layer 1's projection of x is still one matmul
for all T steps outside the scan. Layers 2..N then run layer by layer as
LSTMLayer does (hoisted projections of [x, h^{n-1}, w], recurrence in their
own scans). Graves' derivative clipping: opts.clip_preactivations inside
every cell, clip_outputs at y. Like the LSTM layers, the layer-1-and-window
scan has a hand-written backward (synthesis_recurrence.py: the reverse loop
carries only what it must, the weight gradients are single matmuls after
it); opts.backward='autodiff' runs the plain scan below instead, the
reference it is tested against and the "before" of benchmarks.throughput.
A single point (sampling) takes neither scan: each layer is one matmul.

Dimension letters: B batch, T time, U characters (padded), C alphabet size,
H hidden units, G = 4H gate pre-activations, K window components (in
kappa_BxTxK and the window params) and, in y_BxTxY, Y = 6M+1 mixture outputs
(the issue's y_BxTxK: K is taken by the window here), F features into the
output layer.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.models import lstm, mdn, synthesis_recurrence, window


class SynthesisCarry(NamedTuple):
    """Everything carried across calls; every leaf has the batch on axis 0, so
    lstm.reset_carry and donation treat it like a DeepLSTM carry."""

    layers: lstm.Carry     # (h_BxH, c_BxH) per layer
    w: jax.Array           # w_BxC, the window vector of the last step (w_{t-1})
    kappa: jax.Array       # kappa_BxK, the window position of the last step


class SynthesisOutput(NamedTuple):
    y: jax.Array                 # y_BxTxY, raw mixture outputs (see mdn.py)
    carry: SynthesisCarry
    phi: jax.Array               # phi_BxTxU, window weights over the characters
    window: window.WindowParams  # log_alpha, beta, kappa, each BxTxK


class SynthesisModel(nnx.Module):
    """(dx, dy, eos)_t and a text -> the mixture over (dx, dy, eos)_{t+1}."""

    def __init__(self, *, alphabet_size: int, hidden: int, num_layers: int,
                 num_mixtures: int, num_window: int, skip: bool = True,
                 opts: lstm.LSTMOptions | None = None, clip_outputs: float | None = None,
                 kappa_step: float = 1 / 25, rngs: nnx.Rngs):
        if num_layers < 1:
            raise ConfigError(f"num_layers={num_layers}: the synthesis network needs >= 1 layer")
        opts = opts or lstm.LSTMOptions()
        C = alphabet_size
        self.opts = opts
        self.skip = skip
        self.hidden = hidden
        self.alphabet_size = C
        self.clip_outputs = clip_outputs
        self.num_window = num_window
        layers = [lstm.LSTMLayer((3, C), hidden, opts, rngs=rngs)]  # rows: x, then w_{t-1}
        for _ in range(1, num_layers):
            d = (3, hidden, C) if skip else (hidden, C)
            layers.append(lstm.LSTMLayer(d, hidden, opts, rngs=rngs))
        self.layers = nnx.List(layers)
        self.window = window.SoftWindow(hidden, num_window, kappa_step=kappa_step,
                                        init_scale=opts.init_scale,
                                        matmul_dtype=opts.matmul_dtype, rngs=rngs)
        f = hidden * num_layers + C if skip else hidden
        self.head = mdn.MixtureDensityHead(f, num_mixtures, init_scale=opts.init_scale,
                                           matmul_dtype=opts.matmul_dtype, rngs=rngs)

    def init_carry(self, batch_size: int) -> SynthesisCarry:
        return SynthesisCarry(
            layers=tuple(layer.init_carry(batch_size) for layer in self.layers),
            w=jnp.zeros((batch_size, self.alphabet_size), jnp.float32),
            kappa=jnp.zeros((batch_size, self.num_window), jnp.float32))

    def _first_layer_and_window(self, x_BxTx3, onehot_BxUxC, char_mask_BxU, carry):
        if x_BxTx3.shape[1] == 1:
            return self._first_step(x_BxTx3, onehot_BxUxC, char_mask_BxU, carry)
        layer, opts = self.layers[0], self.opts
        w_x = layer.w_x[...]
        # Time-major before the projection, as LSTMLayer does: transposing the
        # 3 pen features costs less than transposing the 4H pre-activations.
        zx_TxBxG = lstm.project((jnp.swapaxes(x_BxTx3, 0, 1),), (3,), w_x[:3],
                                opts.matmul_dtype) + layer.b[...]
        w_w_CxG, w_h_HxG = w_x[3:], layer.w_h[...]
        w_c_3xH = None if layer.w_c is None else layer.w_c[...]
        win = self.window
        if opts.backward == "fused":
            (h_TxBxH, w_TxBxC, phi_TxBxU, p), (hc, w_BxC, kappa_BxK) = \
                synthesis_recurrence.first_layer_and_window(
                    zx_TxBxG, *carry.layers[0], carry.w, carry.kappa,
                    w_h_HxG, w_w_CxG, w_c_3xH, win.w[...], win.b[...], onehot_BxUxC,
                    char_mask_BxU, opts.clip_preactivations or None, opts.matmul_dtype,
                    opts.unroll)
            outs = jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1),
                                (h_TxBxH, w_TxBxC, phi_TxBxU, p))
            return outs, (hc, w_BxC, kappa_BxK)

        def step(state, zx_BxG):
            hc, w_BxC, kappa_BxK = state
            zx_BxG = zx_BxG + lstm.dot(w_BxC, w_w_CxG, opts.matmul_dtype)
            hc, h_BxH = lstm.cell_step(zx_BxG, hc, w_h_HxG, w_c_3xH, opts)
            p = win(h_BxH, kappa_BxK)
            phi_BxU = window.phi(p, char_mask_BxU)
            w_BxC = window.window_vector(phi_BxU, onehot_BxUxC)
            return (hc, w_BxC, p.kappa), (h_BxH, w_BxC, phi_BxU, p)

        state = (carry.layers[0], carry.w, carry.kappa)
        (hc, w_BxC, kappa_BxK), outs = jax.lax.scan(
            step, state, zx_TxBxG, unroll=opts.unroll)
        outs = jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), outs)
        return outs, (hc, w_BxC, kappa_BxK)

    def _first_step(self, x_Bx1x3, onehot_BxUxC, char_mask_BxU, carry):
        """One point (sampling), without a scan of length 1: layer 1 is ONE
        matmul, [x_t, w_{t-1}, h_{t-1}] @ [W_x; W_h] (LSTMLayer.one_step, as
        layers 2..N then are), where the scan makes three. Measured in an
        interleaved A/B at batch 64, 700 points (3x400, K = 10, 40 characters):
        2.93 against 3.00 ms a sampling step."""
        h_Bx1xH, hc = self.layers[0].one_step((x_Bx1x3, carry.w[:, None]), carry.layers[0])
        p = self.window(h_Bx1xH[:, 0], carry.kappa)
        phi_BxU = window.phi(p, char_mask_BxU)
        w_BxC = window.window_vector(phi_BxU, onehot_BxUxC)
        outs = (h_Bx1xH, w_BxC[:, None], phi_BxU[:, None],
                jax.tree.map(lambda a: a[:, None], p))
        return outs, (hc, w_BxC, p.kappa)

    def run(self, x_BxTx3: jax.Array, chars_BxU: jax.Array, char_mask_BxU: jax.Array,
            carry: SynthesisCarry) -> SynthesisOutput:
        """The full forward pass, with the window's parameters (the sampler's
        stop rule needs alpha and beta, not only phi)."""
        char_mask_BxU = jnp.asarray(char_mask_BxU, jnp.float32)
        onehot_BxUxC = jax.nn.one_hot(chars_BxU, self.alphabet_size, dtype=jnp.float32)
        (h_BxTxH, w_BxTxC, phi_BxTxU, p), (hc1, w_BxC, kappa_BxK) = \
            self._first_layer_and_window(x_BxTx3, onehot_BxUxC, char_mask_BxU, carry)
        hs, new_layers = [h_BxTxH], [hc1]
        for n in range(1, len(self.layers)):
            inp = (x_BxTx3, h_BxTxH, w_BxTxC) if self.skip else (h_BxTxH, w_BxTxC)
            h_BxTxH, hc = self.layers[n](inp, carry.layers[n])
            hs.append(h_BxTxH)
            new_layers.append(hc)
        f_BxTxF = jnp.concatenate(hs + [w_BxTxC], axis=-1) if self.skip else h_BxTxH
        # Graves clips the derivatives at the network outputs to [-100, 100].
        y_BxTxY = lstm.maybe_clip(self.head(f_BxTxF), self.clip_outputs)
        carry = SynthesisCarry(layers=tuple(new_layers), w=w_BxC, kappa=kappa_BxK)
        return SynthesisOutput(y=y_BxTxY, carry=carry, phi=phi_BxTxU, window=p)

    def __call__(self, x_BxTx3: jax.Array, chars_BxU: jax.Array, char_mask_BxU: jax.Array,
                 carry: SynthesisCarry
                 ) -> tuple[jax.Array, SynthesisCarry, jax.Array, jax.Array]:
        """x_BxTx3 normalised offsets; chars_BxU int32 ids; char_mask_BxU 1.0 for
        real characters. Returns (y_BxTxY, carry, phi_BxTxU, kappa_BxTxK)."""
        out = self.run(x_BxTx3, chars_BxU, char_mask_BxU, carry)
        return out.y, out.carry, out.phi, out.window.kappa
