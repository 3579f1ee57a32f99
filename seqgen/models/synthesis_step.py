"""One step of the synthesis network for sampling (seqgen/generate.py).

The same sums as SynthesisModel.run on a sequence of one point, without
its time scan of length 1: layer 1 is ONE matmul, [x_t, w_{t-1}, h^1_{t-1}]
@ [W_x; W_h] (LSTMLayer.one_step), as are layers 2..N. run() instead makes
three for layer 1 (the pen features' projection hoisted out of its scan,
w_{t-1} @ W_w and h @ W_h inside) and re-encodes the text one-hot every
call. The one-hot text is an argument here, built once per sampling scan.
Measured in an interleaved A/B at batch 64, 700 points (3x400, K = 10, 40
characters): 2.93 against 3.00 ms a step; at batch 1 no change. At batch
64 its matmuls take 75-80% of the step (benchmarks/sampling_bound.py).
tests/synthesis_test.py checks it equals run() on one point.

Dimension letters as synthesis.py: B batch, U characters, C alphabet, K
window components, Y = 6M+1 mixture outputs, H hidden units.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from seqgen.models import lstm, window
from seqgen.models.synthesis import SynthesisCarry, SynthesisModel, SynthesisOutput


def step(model: SynthesisModel, x_Bx3: jax.Array, onehot_BxUxC: jax.Array,
         char_mask_BxU: jax.Array, carry: SynthesisCarry) -> SynthesisOutput:
    """x_t, the one-hot text (jax.nn.one_hot(chars_BxU, C)) and the carry ->
    SynthesisOutput with no time axis: y_BxY, phi_BxU, window fields BxK."""
    x_Bx1x3 = x_Bx3[:, None]
    layer0 = model.layers[0]
    h_Bx1xH, hc = layer0.one_step((x_Bx1x3, carry.w[:, None]), carry.layers[0])
    h_BxH = h_Bx1xH[:, 0]
    p = model.window(h_BxH, carry.kappa)
    phi_BxU = window.phi(p, char_mask_BxU)
    w_BxC = window.window_vector(phi_BxU, onehot_BxUxC)
    w_Bx1xC = w_BxC[:, None]
    hs, new_layers = [h_BxH], [hc]
    for n in range(1, len(model.layers)):
        inp = (x_Bx1x3, h_Bx1xH, w_Bx1xC) if model.skip else (h_Bx1xH, w_Bx1xC)
        h_Bx1xH, hc = model.layers[n].one_step(inp, carry.layers[n])
        hs.append(h_Bx1xH[:, 0])
        new_layers.append(hc)
    f_BxF = jnp.concatenate(hs + [w_BxC], axis=-1) if model.skip else hs[-1]
    y_BxY = lstm.maybe_clip(model.head(f_BxF), model.clip_outputs)
    new = SynthesisCarry(layers=tuple(new_layers), w=w_BxC, kappa=p.kappa)
    return SynthesisOutput(y=y_BxY, carry=new, phi=phi_BxU, window=p)
