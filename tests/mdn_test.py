"""The mixture density output against independent references: scipy's
bivariate normal densities in float64, finite differences of that reference,
Graves' biased-sampling equations (eqs. 61-62) written in numpy, and the
moments of many samples from a known mixture."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy import special, stats

from seqgen.models import mdn

# Jitted once: eager op-by-op dispatch of the gradient is ~10x slower.
log_likelihood = jax.jit(mdn.log_likelihood)
sample = jax.jit(mdn.sample)
grad_sum = jax.jit(jax.grad(lambda y, x: mdn.log_likelihood(y, x).sum()))


def make_y(e_hat, pi_hat, mu_Mx2, sigma_hat_Mx2, rho_hat):
    """Pack named raw outputs in Graves' order (eq. 17)."""
    mu_Mx2, sigma_hat_Mx2 = np.asarray(mu_Mx2), np.asarray(sigma_hat_Mx2)
    return np.concatenate([[e_hat], pi_hat, mu_Mx2[:, 0], mu_Mx2[:, 1],
                           sigma_hat_Mx2[:, 0], sigma_hat_Mx2[:, 1], rho_hat])


def unpack(y, m):
    return (y[0], y[1:1 + m], np.stack([y[1 + m:1 + 2 * m], y[1 + 2 * m:1 + 3 * m]], -1),
            np.stack([y[1 + 3 * m:1 + 4 * m], y[1 + 4 * m:1 + 5 * m]], -1), y[1 + 5 * m:])


def scipy_log_likelihood(y, x, m):
    """log [sum_j pi_j N(dx, dy | mu_j, Sigma_j)] + log Bernoulli(eos | e), float64."""
    e_hat, pi_hat, mu, sigma_hat, rho_hat = unpack(np.asarray(y, np.float64), m)
    log_pi = pi_hat - special.logsumexp(pi_hat)
    sigma, rho = np.exp(sigma_hat), np.tanh(rho_hat)
    logs = []
    for j in range(m):
        c = rho[j] * sigma[j, 0] * sigma[j, 1]
        cov = [[sigma[j, 0] ** 2, c], [c, sigma[j, 1] ** 2]]
        logs.append(log_pi[j] + stats.multivariate_normal(mu[j], cov).logpdf(x[:2]))
    e = 1.0 / (1.0 + np.exp(-e_hat))
    return special.logsumexp(logs) + np.log(e if x[2] == 1 else 1.0 - e)


def random_y(rng, m, n):
    return np.stack([make_y(rng.normal(), rng.normal(size=m), rng.normal(size=(m, 2)),
                            rng.uniform(-1.5, 0.5, size=(m, 2)), rng.uniform(-2, 2, size=m))
                     for _ in range(n)])


def test_num_outputs_and_bad_width():
    assert mdn.num_outputs(20) == 121
    with pytest.raises(ValueError, match="6M\\+1"):
        mdn.mixture(jnp.zeros((3, 120)))


def test_head_is_a_linear_layer_to_6m_plus_1():
    head = mdn.MixtureDensityHead(7, 4, rngs=nnx.Rngs(0))
    h = np.random.default_rng(0).normal(size=(2, 5, 7)).astype(np.float32)
    y = np.asarray(head(jnp.asarray(h)))
    w, b = np.asarray(head.w[...], np.float64), np.asarray(head.b[...], np.float64)
    assert y.shape == (2, 5, 25)
    np.testing.assert_allclose(y, h @ w + b, rtol=1e-5, atol=1e-5)
    assert np.abs(w).max() <= 0.1


@pytest.mark.parametrize("m", [1, 3])
def test_log_likelihood_matches_scipy(m):
    rng = np.random.default_rng(m)
    n = 12
    y = random_y(rng, m, n)
    x = np.concatenate([rng.normal(size=(n, 2)) * 1.5, (np.arange(n) % 2)[:, None]], 1)
    want = np.array([scipy_log_likelihood(y[i], x[i], m) for i in range(n)])
    got = log_likelihood(jnp.asarray(y.reshape(3, 4, -1), jnp.float32),
                             jnp.asarray(x.reshape(3, 4, 3), jnp.float32))
    assert got.shape == (3, 4)
    np.testing.assert_allclose(np.asarray(got).ravel(), want, rtol=1e-4, atol=1e-4)


def test_gradient_matches_finite_differences_of_scipy():
    """The clamps leave gradients in the normal range untouched."""
    m = 2
    rng = np.random.default_rng(7)
    y = random_y(rng, m, 1)[0]
    x = np.array([0.4, -0.3, 1.0])
    g = np.asarray(grad_sum(jnp.asarray(y, jnp.float32), jnp.asarray(x, jnp.float32)))
    eps = 1e-5
    fd = np.array([(scipy_log_likelihood(y + eps * np.eye(len(y))[k], x, m)
                    - scipy_log_likelihood(y - eps * np.eye(len(y))[k], x, m)) / (2 * eps)
                   for k in range(len(y))])
    np.testing.assert_allclose(g, fd, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("rho_hat", [6.0, -9.0])
def test_near_degenerate_rho_stays_accurate(rho_hat):
    """1 - |rho| ~ 1.2e-5 and 3e-8 (float32 rounds tanh(9) to 1): float32
    against the textbook formula in float64."""
    y = make_y(0.0, [0.0], [[0.1, 0.2]], [[-1.0, -0.5]], [rho_hat])
    s1, s2, r = np.exp(-1.0), np.exp(-0.5), np.tanh(rho_hat)
    for x in ([0.3, 0.45, 0.0], [0.3, 0.2 + np.sign(r) * 0.2 * s2 / s1, 1.0]):
        z1, z2 = (x[0] - 0.1) / s1, (x[1] - 0.2) / s2
        want = (-np.log(2 * np.pi * s1 * s2 * np.sqrt(1 - r * r))
                - (z1 * z1 + z2 * z2 - 2 * r * z1 * z2) / (2 * (1 - r * r)) + np.log(0.5))
        got = float(log_likelihood(jnp.asarray(y, jnp.float32),
                                       jnp.asarray(x, jnp.float32)))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


def test_finite_values_and_gradients_at_extremes():
    """rho -> +-1 and sigma -> 0 (and huge sigma, e, pi and offsets), one batch."""
    rows = []
    for rho_hat in (-1e4, -40.0, -9.5, 9.5, 40.0, 1e4):
        for sigma_hat in (-1e4, -60.0, -12.0, 60.0):
            rows.append(make_y(1e4 if sigma_hat < 0 else -1e4, [1e3, -1e3],
                               [[0.0, 0.0], [1e3, -1e3]],
                               [[sigma_hat, sigma_hat], [sigma_hat, -1.0]],
                               [rho_hat, -rho_hat]))
    y = jnp.asarray(np.repeat(np.stack(rows)[:, None], 4, axis=1), jnp.float32)
    x = jnp.asarray([[0.0, 0.0, 1.0], [1e3, 1e3, 0.0], [-7.0, 2.0, 1.0], [1e4, -1e4, 0.0]],
                    jnp.float32)
    x = jnp.broadcast_to(x, y.shape[:2] + (3,))
    ll = log_likelihood(y, x)
    g = grad_sum(y, x)
    assert np.isfinite(np.asarray(ll)).all(), ll
    assert np.isfinite(np.asarray(g)).all(), g
    # Sampling from the same degenerate mixtures stays finite too.
    assert np.isfinite(np.asarray(sample(jax.random.key(0), y[:, 0]))).all()


def test_biased_mixture_follows_graves_equations():
    m = 3
    rng = np.random.default_rng(3)
    y = random_y(rng, m, 4)
    bias = np.array([0.0, 0.5, 1.0, 3.0])
    mix = mdn.mixture(jnp.asarray(y, jnp.float32), jnp.asarray(bias, jnp.float32))
    for i, b in enumerate(bias):
        e_hat, pi_hat, mu, sigma_hat, rho_hat = unpack(y[i], m)
        pi = special.softmax(pi_hat * (1 + b))  # eq. 61
        np.testing.assert_allclose(np.exp(mix.log_pi[i]), pi, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.exp(mix.log_sigma[i]), np.exp(sigma_hat - b),  # eq. 62
                                   rtol=1e-5)
        np.testing.assert_allclose(mix.mu[i], mu, rtol=1e-6)
        np.testing.assert_allclose(mix.rho[i], np.tanh(rho_hat), rtol=1e-5)
        np.testing.assert_allclose(mix.e_logit[i], e_hat, rtol=1e-6)
    # A scalar bias is the same as one per row.
    one = mdn.mixture(jnp.asarray(y, jnp.float32), 0.5)
    np.testing.assert_allclose(one.log_pi[1], mix.log_pi[1], rtol=1e-6)


def test_mean_offset_is_pi_weighted_mean():
    m = 3
    y = random_y(np.random.default_rng(5), m, 6)
    want = []
    for row in y:
        _, pi_hat, mu, _, _ = unpack(row, m)
        want.append(special.softmax(pi_hat) @ mu)
    got = mdn.mean_offset(jnp.asarray(y.reshape(2, 3, -1), jnp.float32))
    np.testing.assert_allclose(np.asarray(got).reshape(6, 2), want, rtol=1e-5, atol=1e-6)


# Three well-separated components: a sample's component is its nearest mean.
KNOWN = dict(e_hat=-0.8473, pi_hat=[0.0, 0.7, -0.5],
             mu=[[-10.0, 0.0], [0.0, 10.0], [10.0, -5.0]],
             sigma_hat=[[0.0, -0.5], [-0.3, 0.2], [0.3, 0.0]], rho_hat=[0.0, 1.2, -0.8])


@pytest.mark.parametrize("bias", [0.0, 0.5])
def test_sample_moments_match_the_biased_mixture(bias):
    n = 20000
    y = make_y(KNOWN["e_hat"], KNOWN["pi_hat"], KNOWN["mu"], KNOWN["sigma_hat"],
               KNOWN["rho_hat"])
    x = np.asarray(sample(jax.random.key(11), jnp.asarray(np.tile(y, (n, 1)), jnp.float32),
                              bias), np.float64)
    assert x.shape == (n, 3)
    mu = np.array(KNOWN["mu"])
    pi = special.softmax(np.array(KNOWN["pi_hat"]) * (1 + bias))
    sigma = np.exp(np.array(KNOWN["sigma_hat"]) - bias)
    rho = np.tanh(KNOWN["rho_hat"])
    comp = np.argmin(((x[:, None, :2] - mu) ** 2).sum(-1), axis=1)
    for j in range(3):
        n_j = (comp == j).sum()
        assert abs(n_j / n - pi[j]) < 5 * np.sqrt(pi[j] * (1 - pi[j]) / n), (j, n_j / n, pi)
        d = x[comp == j, :2]
        se_mean = sigma[j] / np.sqrt(n_j)
        assert (np.abs(d.mean(0) - mu[j]) < 5 * se_mean).all(), (j, d.mean(0))
        cov = np.cov(d.T)
        se_var = sigma[j] ** 2 * np.sqrt(2 / n_j)
        assert (np.abs(np.diag(cov) - sigma[j] ** 2) < 5 * se_var).all(), (j, cov)
        r = cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1])
        assert abs(r - rho[j]) < 5 * (1 - rho[j] ** 2) / np.sqrt(n_j) + 1e-3, (j, r)
    # e = sigmoid(-0.8473) = 0.3: sampled, so ~30% ones (a 0.5 threshold gives none).
    e = 1 / (1 + np.exp(-KNOWN["e_hat"]))
    assert set(np.unique(x[:, 2])) == {0.0, 1.0}
    assert abs(x[:, 2].mean() - e) < 5 * np.sqrt(e * (1 - e) / n)


def test_large_bias_concentrates_on_the_most_probable_mean():
    y = make_y(0.0, KNOWN["pi_hat"], KNOWN["mu"], KNOWN["sigma_hat"], KNOWN["rho_hat"])
    x = np.asarray(sample(jax.random.key(2), jnp.asarray(np.tile(y, (2000, 1)), jnp.float32),
                              20.0))
    best = np.array(KNOWN["mu"])[np.argmax(KNOWN["pi_hat"])]
    # pi -> one-hot (the gap 0.7 * 21 = 14.7 nats); sigma = exp(-20.3) is
    # floored at exp(LOG_SIGMA_MIN) = 4.5e-5.
    np.testing.assert_allclose(x[:, :2], np.tile(best, (2000, 1)), atol=5e-4)
