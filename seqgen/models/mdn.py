"""Mixture density output for pen offsets (Graves 2013 §4.1, eqs. 17-26).

M bivariate Gaussians over the next offset (dx, dy) plus a Bernoulli
end-of-stroke; the network emits 6M+1 numbers per step, in Graves' order
(eq. 17): [e_hat, pi_hat (M), mu1 (M), mu2 (M), sigma1_hat (M),
sigma2_hat (M), rho_hat (M)]. Then (DESIGN.md §3)
  e = sigmoid(e_hat)   the probability that the point ENDS a stroke (eos = 1)
  pi = softmax(pi_hat), mu = mu_hat, sigma = exp(sigma_hat), rho = tanh(rho_hat).
Graves prints e = 1 / (1 + exp(e_hat)), i.e. the opposite sign of e_hat; the
sign is a free convention of the network and seqgen uses sigmoid(e_hat).
Biased sampling (Graves eqs. 61-62): sigma = exp(sigma_hat - b),
pi = softmax(pi_hat * (1 + b)); b = 0 is the plain mixture.

Numerics: everything is in log space. The mixture is a logsumexp over
log pi_j + log N_j; the Bernoulli term is log_sigmoid(+-e_hat). float32
cannot hold rho = tanh(rho_hat) near +-1 (tanh(6) is off by 0.5% in 1 - rho,
tanh(9) rounds to 1), so the normal density never uses 1 - rho^2 computed
from rho: 1 -+ rho = 2 sigmoid(-+2 rho_hat) exactly, whence
log(1 - rho^2) = log1p(-rho) + log1p(rho) = 2 log 2 + log_sigmoid(-2 rho_hat)
+ log_sigmoid(2 rho_hat), and the quadratic form is
(z1^2 + z2^2 - 2 rho z1 z2) / (1 - rho^2) = u^2 / (1 + rho) + v^2 / (1 - rho)
with z = (x - mu) / sigma, u = (z1 + z2) / sqrt 2, v = (z1 - z2) / sqrt 2: a
sum of two non-negative terms, with no cancellation. Two clamps keep values
and gradients finite in float32:
  |rho_hat| <= RHO_HAT_MAX = 10, i.e. |rho| <= tanh(10) = 1 - 4.1e-9 (the
    "|rho| <= 1 - eps" clamp, applied where float32 can express it). As
    rho -> +-1 the density of a point off the line of the component goes to
    0 and its log to -inf; the clamp stops that. tanh'(10) = 8e-9, so no
    sensible fit lives near the bound; inside it jnp.clip passes the
    gradient unchanged.
  log sigma >= LOG_SIGMA_MIN = -10 (sigma >= 4.5e-5 standard deviations of
    the normalised offsets, far below a pen's resolution), for the same
    reason as sigma -> 0. Above the floor jnp.maximum passes the gradient
    unchanged.
With both clamps and |x - mu| up to 1e4 the quadratic form stays below
~1e26 and its gradients below ~1e26 (float32 max 3e38). No clamp on large
sigma is needed: only exp(-log sigma) enters the density.

Dimension letters: B batch, T time, F features into the head, M mixture
components, K = 6M + 1 outputs; a leading "x" in a name (y_xK) means any
leading dimensions, which every function preserves.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.models import lstm

RHO_HAT_MAX = 10.0
LOG_SIGMA_MIN = -10.0
_LOG_2PI = math.log(2.0 * math.pi)
_LOG_2 = math.log(2.0)
_SQRT_HALF = math.sqrt(0.5)


def num_outputs(num_mixtures: int) -> int:
    """6M + 1: e_hat, then pi_hat, mu1, mu2, sigma1_hat, sigma2_hat, rho_hat."""
    return 6 * num_mixtures + 1


class MixtureDensityHead(nnx.Module):
    """The output layer y = b + h W (6M+1 outputs); the maps to e, pi, ... are
    in mixture(), so the loss and the sampler see the raw y."""

    def __init__(self, in_features: int, num_mixtures: int, *, init_scale: float = 0.1,
                 matmul_dtype: str = "float32", rngs: nnx.Rngs):
        self.num_mixtures = num_mixtures
        self.matmul_dtype = matmul_dtype
        k = num_outputs(num_mixtures)
        s = init_scale
        self.w = nnx.Param(jax.random.uniform(
            rngs.params(), (in_features, k), minval=-s, maxval=s))
        # Zero bias starts every step at uniform pi, unit sigma (the data are
        # normalised to std 1), rho = 0 and e = 0.5.
        self.b = nnx.Param(jnp.zeros((k,)))

    def __call__(self, h_BxTxF: jax.Array) -> jax.Array:
        return lstm.dot(h_BxTxF, self.w[...], self.matmul_dtype) + self.b[...]


class Mixture(NamedTuple):
    """The mixture of one step; all leading dimensions of y are kept."""

    e_logit: jax.Array    # ...     e = sigmoid(e_logit) = Pr(eos = 1)
    log_pi: jax.Array     # ...xM   normalised: logsumexp over M is 0
    mu: jax.Array         # ...xMx2 (mu1, mu2)
    log_sigma: jax.Array  # ...xMx2 (log sigma1, log sigma2), floored
    rho: jax.Array        # ...xM   tanh(rho_hat); may round to +-1 in float32
    rho_hat: jax.Array    # ...xM   clamped to [-RHO_HAT_MAX, RHO_HAT_MAX]; 1 +- rho
                          #         and log(1 - rho^2) are computed from it exactly


def _split(y_xK: jax.Array) -> tuple[jax.Array, ...]:
    k = y_xK.shape[-1]
    if (k - 1) % 6 or k < 7:
        raise ValueError(f"mixture output has {k} features; it needs 6M+1 (M >= 1): check "
                         "that the head was built with mdn.num_outputs(num_mixtures)")
    m = (k - 1) // 6
    y_xK = jnp.asarray(y_xK)
    y_xK = y_xK.astype(jnp.promote_types(y_xK.dtype, jnp.float32))
    e_hat = y_xK[..., 0]
    pi_hat, mu1, mu2, s1, s2, rho_hat = (
        y_xK[..., 1 + i * m:1 + (i + 1) * m] for i in range(6))
    return e_hat, pi_hat, mu1, mu2, s1, s2, rho_hat


def mixture(y_xK: jax.Array, bias: float | jax.Array = 0.0) -> Mixture:
    """The mixture parameters from the raw outputs, with Graves' sampling bias.

    bias is a scalar or has y's leading shape (one bias per sequence).
    """
    e_hat, pi_hat, mu1, mu2, s1, s2, rho_hat = _split(y_xK)
    b = jnp.asarray(bias, pi_hat.dtype)[..., None]
    log_pi_xM = jax.nn.log_softmax(pi_hat * (1.0 + b), axis=-1)
    log_sigma_xMx2 = jnp.maximum(jnp.stack([s1, s2], axis=-1) - b[..., None], LOG_SIGMA_MIN)
    rho_hat = jnp.clip(rho_hat, -RHO_HAT_MAX, RHO_HAT_MAX)
    return Mixture(e_logit=e_hat, log_pi=log_pi_xM, mu=jnp.stack([mu1, mu2], axis=-1),
                   log_sigma=log_sigma_xMx2, rho=jnp.tanh(rho_hat), rho_hat=rho_hat)


def _log_1m_1p_rho(mix: Mixture) -> tuple[jax.Array, jax.Array]:
    """(log(1 - rho), log(1 + rho)), exact in float32 even where rho rounds to 1."""
    return (_LOG_2 + jax.nn.log_sigmoid(-2.0 * mix.rho_hat),
            _LOG_2 + jax.nn.log_sigmoid(2.0 * mix.rho_hat))


def component_log_density(mix: Mixture, d_x2: jax.Array) -> jax.Array:
    """log N(dx, dy | mu_j, sigma_j, rho_j) for every component j: ...xM.

    d_x2 has the mixture's leading shape (one offset per step).
    """
    z_xMx2 = (d_x2[..., None, :] - mix.mu) * jnp.exp(-mix.log_sigma)
    u = (z_xMx2[..., 0] + z_xMx2[..., 1]) * _SQRT_HALF
    v = (z_xMx2[..., 0] - z_xMx2[..., 1]) * _SQRT_HALF
    log_1m_rho, log_1p_rho = _log_1m_1p_rho(mix)
    quad = jnp.square(u) * jnp.exp(-log_1p_rho) + jnp.square(v) * jnp.exp(-log_1m_rho)
    return (-_LOG_2PI - mix.log_sigma[..., 0] - mix.log_sigma[..., 1]
            - 0.5 * (log_1m_rho + log_1p_rho) - 0.5 * quad)


def mixture_log_likelihood(mix: Mixture, x_x3: jax.Array) -> jax.Array:
    """log Pr(x | mixture) in nats: offsets plus the Bernoulli end-of-stroke."""
    x_x3 = jnp.asarray(x_x3, mix.mu.dtype)
    log_offset = jax.nn.logsumexp(mix.log_pi + component_log_density(mix, x_x3[..., :2]),
                                  axis=-1)
    eos = x_x3[..., 2]
    # log e = log_sigmoid(e_hat), log(1 - e) = log_sigmoid(-e_hat): no log(0).
    log_eos = (eos * jax.nn.log_sigmoid(mix.e_logit)
               + (1.0 - eos) * jax.nn.log_sigmoid(-mix.e_logit))
    return log_offset + log_eos


def log_likelihood(y_xK: jax.Array, x_x3: jax.Array) -> jax.Array:
    """log Pr(x | y) in nats for each step; x = (dx, dy, eos) with eos 0/1 float.

    The loss of Graves eq. 26 is minus the sum of this over a sequence.
    """
    return mixture_log_likelihood(mixture(y_xK), x_x3)


def sample(rng: jax.Array, y_BxK: jax.Array, bias: float | jax.Array = 0.0) -> jax.Array:
    """One (dx, dy, eos) per row: a component j ~ pi, then the offset from
    N(mu_j, sigma_j, rho_j), and eos ~ Bernoulli(e) as float 0/1.

    Graves' bias sharpens pi and sigma only; the end-of-stroke is always
    sampled, never thresholded at 0.5.
    """
    mix = mixture(y_BxK, bias)
    k_comp, k_norm, k_eos = jax.random.split(rng, 3)
    j_B = jax.random.categorical(k_comp, mix.log_pi, axis=-1)
    pick = lambda a: jnp.take_along_axis(  # noqa: E731
        a, j_B.reshape(j_B.shape + (1,) * (a.ndim - j_B.ndim)), axis=j_B.ndim
    ).squeeze(j_B.ndim)
    mu_Bx2, sigma_Bx2 = pick(mix.mu), jnp.exp(pick(mix.log_sigma))
    rho_hat_B = pick(mix.rho_hat)
    n_Bx2 = jax.random.normal(k_norm, mu_Bx2.shape, mu_Bx2.dtype)
    # The Cholesky factor of [[1, rho], [rho, 1]] turns two independent
    # normals into a pair with correlation rho; sqrt(1 - rho^2) = 1/cosh(rho_hat).
    n2 = jnp.tanh(rho_hat_B) * n_Bx2[..., 0] + n_Bx2[..., 1] / jnp.cosh(rho_hat_B)
    d_Bx2 = mu_Bx2 + sigma_Bx2 * jnp.stack([n_Bx2[..., 0], n2], axis=-1)
    eos_B = jax.random.bernoulli(k_eos, jax.nn.sigmoid(mix.e_logit)).astype(d_Bx2.dtype)
    return jnp.concatenate([d_Bx2, eos_B[..., None]], axis=-1)


def mean_offset(y_xK: jax.Array) -> jax.Array:
    """E[(dx, dy)] = sum_j pi_j mu_j (...x2), for Graves' SSE of the offsets."""
    mix = mixture(y_xK)
    return jnp.einsum("...m,...mc->...c", jnp.exp(mix.log_pi), mix.mu)
