"""The soft window (Graves 2013 eqs. 46-51) against a numpy re-derivation with
explicit loops over components and character positions, and the stop rule
on hand-made phi."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.models import window


def np_window_steps(W, b, h_TxBxH, chars_BxU, mask_BxU, C):
    """Graves' equations one step, one row, one component, one position at a time."""
    T, B, _ = h_TxBxH.shape
    K = W.shape[1] // 3
    U = chars_BxU.shape[1]
    kappa = np.zeros((B, K))
    phis, ws, kappas = [], [], []
    for t in range(T):
        phi_t, w_t = np.zeros((B, U)), np.zeros((B, C))
        for r in range(B):
            z = h_TxBxH[t, r] @ W + b
            for k in range(K):
                kappa[r, k] += math.exp(z[2 * K + k])
            for u in range(1, U + 1):
                if mask_BxU[r, u - 1] == 0:
                    continue
                phi_t[r, u - 1] = sum(math.exp(z[k]) * math.exp(-math.exp(z[K + k])
                                                                 * (kappa[r, k] - u) ** 2)
                                      for k in range(K))
                w_t[r, chars_BxU[r, u - 1]] += phi_t[r, u - 1]
        phis.append(phi_t)
        ws.append(w_t)
        kappas.append(kappa.copy())
    return np.stack(phis), np.stack(ws), np.stack(kappas)


def test_window_matches_numpy_over_several_steps():
    rng = np.random.default_rng(0)
    B, H, K, U, C, T = 3, 5, 2, 6, 7, 8
    win = window.SoftWindow(H, K, kappa_step=0.4, init_scale=0.5, rngs=nnx.Rngs(0))
    W, b = np.asarray(win.w[...], np.float64), np.asarray(win.b[...], np.float64)
    h_TxBxH = rng.uniform(-1, 1, (T, B, H))
    chars = rng.integers(0, C, (B, U)).astype(np.int32)
    # Row 1 repeats a character (its phi adds up in w); row 2 has 4 real characters.
    chars[1, 3] = chars[1, 1]
    mask = np.ones((B, U), np.float32)
    mask[2, 4:] = 0
    want_phi, want_w, want_kappa = np_window_steps(W, b, h_TxBxH, chars, mask, C)

    onehot = jnp.asarray(np.eye(C, dtype=np.float32)[chars])
    kappa = jnp.zeros((B, K))
    for t in range(T):
        p = win(jnp.asarray(h_TxBxH[t], jnp.float32), kappa)
        kappa = p.kappa
        phi_BxU = window.phi(p, jnp.asarray(mask))
        w_BxC = window.window_vector(phi_BxU, onehot)
        np.testing.assert_allclose(kappa, want_kappa[t], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(phi_BxU, want_phi[t], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(w_BxC, want_w[t], rtol=1e-4, atol=1e-7)
        log_want = np.log(np.where(mask > 0, want_phi[t], 1.0))
        np.testing.assert_allclose(window.phi(p, jnp.asarray(mask), log=True),
                                   np.where(mask > 0, log_want, -np.inf), rtol=1e-4, atol=1e-4)
    assert np.all(want_phi[:, 2, 4:] == 0) and np.all(np.diff(want_kappa, axis=0) > 0)


@pytest.mark.parametrize("kappa_step", [1 / 25, 0.3])
def test_kappa_bias_starts_at_kappa_step(kappa_step):
    win = window.SoftWindow(4, 3, kappa_step=kappa_step, rngs=nnx.Rngs(0))
    p = win(jnp.zeros((2, 4)), jnp.full((2, 3), 1.5))
    np.testing.assert_allclose(p.kappa, 1.5 + kappa_step, rtol=1e-6)
    # Graves' plain zero bias for alpha and beta.
    np.testing.assert_allclose(p.log_alpha, 0.0)
    np.testing.assert_allclose(p.beta, 1.0)


def test_bad_kappa_step_names_the_setting():
    with pytest.raises(ConfigError, match="kappa_step"):
        window.SoftWindow(4, 3, kappa_step=0.0, rngs=nnx.Rngs(0))


def test_phi_at_end_of_each_rows_own_text():
    rng = np.random.default_rng(1)
    B, K, U = 4, 3, 7
    log_alpha, beta = rng.normal(size=(B, K)), np.exp(rng.normal(size=(B, K)))
    kappa = rng.uniform(0, 9, (B, K))
    mask = np.zeros((B, U), np.float32)
    for r, n in enumerate([7, 3, 1, 5]):
        mask[r, :n] = 1
    p = window.WindowParams(*(jnp.asarray(a, jnp.float32) for a in (log_alpha, beta, kappa)))
    end_B = window.text_length(jnp.asarray(mask)) + 1
    want = [sum(math.exp(log_alpha[r, k] - beta[r, k] * (kappa[r, k] - (n + 1)) ** 2)
                for k in range(K)) for r, n in enumerate([7, 3, 1, 5])]
    np.testing.assert_allclose(end_B, [8, 4, 2, 6])
    np.testing.assert_allclose(window.phi_at(p, end_B), want, rtol=1e-5)
    np.testing.assert_allclose(window.phi_at(p, end_B, log=True), np.log(want), rtol=1e-5)
    np.testing.assert_allclose(window.phi_at(p, 2.5)[0], sum(
        math.exp(log_alpha[0, k] - beta[0, k] * (kappa[0, k] - 2.5) ** 2) for k in range(K)),
        rtol=1e-5)


def test_stop_rule_on_hand_made_phi():
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]],
                    np.float32)
    phi = np.array([[0.1, 0.2, 0.3, 9.0],   # padded 9.0 must be ignored
                    [0.1, 0.2, 0.3, 9.0],
                    [0.1, 0.5, 0.3, 0.2],
                    [0.4, 0.4, 0.0, 0.0],
                    [0.0, 0.0, 0.0, 0.0]], np.float32)
    end = np.array([0.31, 0.3, 0.49, 0.41, 0.01], np.float32)
    want = [True, False, False, True, True]  # a tie does not stop; no text stops at once
    got = window.stop_rule(jnp.asarray(phi), jnp.asarray(end), jnp.asarray(mask))
    assert list(np.asarray(got)) == want
    got_log = window.stop_rule(jnp.log(phi), jnp.log(end), jnp.asarray(mask))
    assert list(np.asarray(got_log)) == want


def test_should_stop_fires_when_the_window_passes_the_end_even_if_phi_underflows():
    # One component at kappa, U = 3: the rule fires once kappa > 3.5 (closer to 4 than 3).
    mask = jnp.ones((1, 3))
    for kappa, want in [(2.0, False), (3.49, False), (3.51, True), (60.0, True)]:
        p = window.WindowParams(jnp.zeros((1, 1)), jnp.full((1, 1), 4.0),
                                jnp.full((1, 1), kappa))
        assert bool(window.should_stop(p, mask)[0]) is want, kappa
    # At kappa = 60 every phi underflows to 0 in float32: compared linearly the
    # rule would never fire.
    assert float(window.phi_at(p, 4.0)[0]) == 0.0
