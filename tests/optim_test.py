"""Graves' RMSProp against his equations (Graves 2013, eqs. 38-41) in numpy,
and the optimizer factory's clipping and schedules."""

import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from seqgen import optim
from seqgen.config.text import base


def test_graves_rmsprop_matches_the_paper():
    lr, steps = 1e-4, 6
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(steps, 5))
    w = rng.normal(size=5)
    # Graves eqs. 38-41, written out.
    n, g, d, w_np = np.zeros(5), np.zeros(5), np.zeros(5), w.copy()
    for eps in grads:
        n = 0.95 * n + 0.05 * eps ** 2
        g = 0.95 * g + 0.05 * eps
        d = 0.9 * d - lr * eps / np.sqrt(n - g ** 2 + 1e-4)
        w_np = w_np + d
    tx = optim.graves_rmsprop(lr)
    params = jnp.asarray(w, jnp.float32)
    state = tx.init(params)
    for eps in grads:
        updates, state = tx.update(jnp.asarray(eps, jnp.float32), state, params)
        params = optax.apply_updates(params, updates)
    np.testing.assert_allclose(params, w_np, rtol=1e-5, atol=1e-6)


def config_with(**optim_fields) -> ml_collections.ConfigDict:
    c = base()
    c.optim.update(optim_fields)
    return c


def test_global_norm_clipping_bounds_the_first_step():
    c = config_with(name="sgd", learning_rate=1.0, momentum=0.0, clip_norm=0.5,
                    schedule="constant")
    tx = optim.make_optimizer(c, 10)
    g = jnp.array([3.0, 4.0])  # norm 5 -> scaled to norm 0.5
    updates, _ = tx.update(g, tx.init(g))
    np.testing.assert_allclose(updates, -0.1 * g, rtol=1e-6)


def test_schedules_warm_up_and_decay():
    c = config_with(learning_rate=1.0, schedule="linear", warmup_steps=10)
    s = optim.learning_rate_schedule(c, 110)
    np.testing.assert_allclose([s(0), s(5), s(10), s(60), s(110)],
                               [0.0, 0.5, 1.0, 0.5, 0.0], atol=1e-6)
    c = config_with(learning_rate=1.0, schedule="cosine", warmup_steps=0)
    s = optim.learning_rate_schedule(c, 100)
    np.testing.assert_allclose([s(0), s(50), s(100)], [1.0, 0.5, 0.0], atol=1e-6)


def test_unknown_optimizer_names_the_field():
    with pytest.raises(ValueError, match="config.optim.name"):
        optim.make_optimizer(config_with(name="adamw2"), 10)
