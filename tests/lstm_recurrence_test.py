"""The hand-written LSTM backward (seqgen/models/lstm_recurrence.py) against
the reference: autodiff through lax.scan of lstm.cell_step, the cell that
tests/lstm_test.py checks against a numpy re-derivation of Graves' eqs.
Outputs, final carry and every gradient (weights, inputs, initial carry)
must agree to float32 rounding, with and without peepholes and clipping."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen.models import lstm

B, T, D, H = 3, 9, 5, 6


def outputs_and_grads(layer, backward, x, carry, dh_BxTxH):
    layer.opts = dataclasses.replace(layer.opts, backward=backward)

    def loss(layer, x, carry):
        h, (h_last, c_last) = layer(x, carry)
        # Weights on every output, so each cotangent path is exercised.
        return jnp.sum(h * dh_BxTxH) + jnp.sum(1.3 * h_last) - jnp.sum(0.7 * c_last), h

    (_, h), grads = nnx.value_and_grad(loss, argnums=(0, 1, 2), has_aux=True)(
        layer, x, carry)
    return h, jax.tree.leaves(grads)


@pytest.mark.parametrize("peepholes", [True, False])
@pytest.mark.parametrize("clip", [None, 0.02])
def test_fused_backward_equals_autodiff_of_the_reference_cell(peepholes, clip):
    opts = lstm.LSTMOptions(peepholes=peepholes, clip_preactivations=clip)
    layer = lstm.LSTMLayer(D, H, opts, rngs=nnx.Rngs(0))
    keys = jax.random.split(jax.random.PRNGKey(1), 4)
    x = jax.random.normal(keys[0], (B, T, D))
    carry = (jax.random.normal(keys[1], (B, H)), jax.random.normal(keys[2], (B, H)))
    dh = jax.random.normal(keys[3], (B, T, H))
    h_ref, g_ref = outputs_and_grads(layer, "autodiff", x, carry, dh)
    h_new, g_new = outputs_and_grads(layer, "fused", x, carry, dh)
    np.testing.assert_allclose(h_new, h_ref, rtol=1e-6, atol=1e-6)
    assert len(g_new) == len(g_ref) == (7 if peepholes else 6)
    for a, b in zip(g_new, g_ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    if clip:
        # The clip must bite somewhere, or this case proves nothing about it.
        unclipped = dataclasses.replace(opts, clip_preactivations=None)
        layer.opts = unclipped
        _, g_free = outputs_and_grads(layer, "autodiff", x, carry, dh)
        assert any(not np.allclose(a, b, atol=1e-4) for a, b in zip(g_free, g_ref, strict=True))


def test_fused_backward_in_bfloat16_stays_near_float32():
    opts = lstm.LSTMOptions(matmul_dtype="bfloat16")
    layer = lstm.LSTMLayer(D, H, opts, rngs=nnx.Rngs(0))
    x = jax.random.normal(jax.random.PRNGKey(1), (B, T, D))
    carry = layer.init_carry(B)
    dh = jnp.ones((B, T, H))
    _, g_bf16 = outputs_and_grads(layer, "fused", x, carry, dh)
    layer.opts = dataclasses.replace(opts, matmul_dtype="float32")
    _, g_f32 = outputs_and_grads(layer, "autodiff", x, carry, dh)
    for a, b in zip(g_bf16, g_f32, strict=True):
        # bfloat16 keeps 8 bits of mantissa: ~1% relative error per matmul.
        np.testing.assert_allclose(a, b, rtol=0.05, atol=0.05 * float(jnp.max(jnp.abs(b))))


def test_unknown_backward_names_the_setting():
    from seqgen.command.errors import ConfigError
    with pytest.raises(ConfigError, match="backward='fast'.*'fused'"):
        lstm.LSTMOptions(backward="fast")
