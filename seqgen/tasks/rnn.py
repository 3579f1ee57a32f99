"""The plain tanh recurrent net: the baseline the 1997 paper beats.

  h_t = tanh(W_x x_t + W_h h_{t-1} + b),   outputs read h_t

trained by full backpropagation through time (the paper's BPTT and RTRL
baselines compute the same gradient). It shares the 1997 net's readout,
so only the recurrent unit differs in a comparison.

Dimension letters: B batch, T time steps, D input units, H hidden units.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.tasks.lstm1997 import Readout, _uniform, project_input


class TanhRNN(nnx.Module):
    def __init__(self, in_features: int, out_features: int, hidden: int, *,
                 init_scale: float, output_bias: bool, input_to_output: bool,
                 rngs: nnx.Rngs):
        self.w_x = nnx.Param(_uniform(rngs, (in_features, hidden), init_scale))
        self.w_h = nnx.Param(_uniform(rngs, (hidden, hidden), init_scale))
        self.b = nnx.Param(jnp.zeros((hidden,)))
        self.readout = Readout(hidden, in_features, out_features, bias=output_bias,
                               input_to_output=input_to_output, init_scale=init_scale,
                               rngs=rngs)

    def hidden(self, x: jax.Array) -> jax.Array:
        """h [B, T, H] for x: float [B, T, D] or int ids [B, T]."""
        zx_BxTxH = project_input(x, self.w_x[...]) + self.b[...]
        w_h_HxH = self.w_h[...]

        def step(h_BxH, zx_BxH):
            h_BxH = jnp.tanh(zx_BxH + h_BxH @ w_h_HxH)
            return h_BxH, h_BxH

        h0_BxH = jnp.zeros((zx_BxTxH.shape[0], w_h_HxH.shape[0]))
        _, h_TxBxH = jax.lax.scan(step, h0_BxH, jnp.swapaxes(zx_BxTxH, 0, 1))
        return jnp.swapaxes(h_TxBxH, 0, 1)

    def __call__(self, x: jax.Array) -> jax.Array:
        """Output pre-activations [B, T, K]."""
        return self.readout(self.hidden(x), x)
