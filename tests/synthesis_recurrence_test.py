"""The hand-written backward of the synthesis scan (layer 1 + soft window,
seqgen/models/synthesis_recurrence.py) against the reference: autodiff
through the lax.scan of lstm.cell_step and the window's own functions, which
tests/synthesis_test.py and tests/window_test.py check against numpy.
Outputs, final carry and every gradient (weights, pen inputs, initial
carry) must agree to float32 rounding, with and without peepholes and
clipping, for a loss on the mixture outputs only (as in training) and for
one on every output (phi, the window's params, the carried state)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen.models import lstm
from seqgen.models.synthesis import SynthesisModel

B, T, U, C, H, K, M = 3, 11, 5, 7, 6, 2, 2


def _inputs():
    keys = jax.random.split(jax.random.PRNGKey(1), 8)
    x = jax.random.normal(keys[0], (B, T, 3))
    chars = jax.random.randint(keys[1], (B, U), 0, C)
    mask = (jnp.arange(U)[None] < jnp.array([[U], [3], [1]])).astype(jnp.float32)
    return x, chars, mask, keys[2:]


def outputs_and_grads(model, backward, everything):
    x, chars, mask, keys = _inputs()
    carry = model.init_carry(B)
    carry = jax.tree.map(lambda a: a + 0.3 * jax.random.normal(keys[0], a.shape), carry)
    model.opts = dataclasses.replace(model.opts, backward=backward)
    for layer in model.layers:
        layer.opts = model.opts
    out0 = model.run(x, chars, mask, carry)
    weights = jax.tree.map(lambda a: jax.random.normal(keys[1], a.shape), out0)

    def loss(model, x, carry):
        out = model.run(x, chars, mask, carry)
        if not everything:  # training: the loss reads y and the next segment's carry
            out = out._replace(phi=0.0, window=0.0)
            weights_ = weights._replace(phi=0.0, window=0.0)
        else:
            weights_ = weights
        terms = jax.tree.map(lambda a, w: jnp.sum(a * w), out, weights_)
        return sum(jax.tree.leaves(terms)), out

    (_, out), grads = nnx.value_and_grad(loss, argnums=(0, 1, 2), has_aux=True)(
        model, x, carry)
    return out, grads


def build(peepholes, clip):
    opts = lstm.LSTMOptions(peepholes=peepholes, clip_preactivations=clip)
    return SynthesisModel(alphabet_size=C, hidden=H, num_layers=2, num_mixtures=M,
                          num_window=K, opts=opts, kappa_step=0.4, rngs=nnx.Rngs(0))


# Three cases, not the full product (each compiles two gradients; the suite
# has a time budget): the training loss with peepholes, every output without
# them, and every output with peepholes and Graves' clipping.
@pytest.mark.parametrize("peepholes,clip,everything", [(True, None, False),
                                                       (False, None, True),
                                                       (True, 0.05, True)])
def test_fused_synthesis_backward_equals_autodiff_of_the_reference(peepholes, clip,
                                                                    everything):
    model = build(peepholes, clip)
    out_ref, g_ref = outputs_and_grads(model, "autodiff", everything)
    out_new, g_new = outputs_and_grads(model, "fused", everything)
    for a, b in zip(jax.tree.leaves(out_new), jax.tree.leaves(out_ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    leaves_new, leaves_ref = jax.tree.leaves(g_new), jax.tree.leaves(g_ref)
    assert len(leaves_new) == len(leaves_ref)
    for path_a, b in zip(jax.tree_util.tree_leaves_with_path(g_new), leaves_ref, strict=True):
        path, a = path_a
        scale = float(jnp.max(jnp.abs(b))) + 1e-6
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5 * scale,
                                   err_msg=jax.tree_util.keystr(path))
    # The window's weights must get a real gradient, or the test proves little.
    assert float(jnp.max(jnp.abs(g_ref[0].window.w[...]))) > 1e-3
    if clip:
        # The clip must bite somewhere, or this case proves nothing about it.
        model = build(peepholes, None)
        _, g_free = outputs_and_grads(model, "autodiff", everything)
        assert any(not np.allclose(a, b, atol=1e-4) for a, b in
                   zip(jax.tree.leaves(g_free), leaves_ref, strict=True))


def test_fused_synthesis_backward_in_bfloat16_stays_near_float32():
    model = build(True, None)
    _, g_f32 = outputs_and_grads(model, "autodiff", False)
    model.opts = dataclasses.replace(model.opts, matmul_dtype="bfloat16")
    _, g_bf16 = outputs_and_grads(model, "fused", False)
    for a, b in zip(jax.tree.leaves(g_bf16), jax.tree.leaves(g_f32), strict=True):
        # bfloat16 keeps 8 bits of mantissa: ~1% relative error per matmul.
        np.testing.assert_allclose(a, b, rtol=0.05, atol=0.05 * float(jnp.max(jnp.abs(b))))
