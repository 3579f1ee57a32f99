"""Graves' soft attention window over a character sequence (2013 §5, eqs. 46-51).

At each step the first LSTM layer's output h^1_t is projected to 3K numbers
(a_hat, b_hat, k_hat) = W h^1_t + b, and
  alpha = exp(a_hat)   importance of each of the K Gaussian components
  beta = exp(b_hat)    their sharpness (width ~ 1 / sqrt(beta) characters)
  kappa_t = kappa_{t-1} + exp(k_hat)   their position, which only moves forward
  phi(t, u) = sum_k alpha_k exp(-beta_k (kappa_k - u)^2),  u = 1..U
  w_t = sum_u phi(t, u) c_u            (c_u the one-hot vector of character u)
Padded characters (char_mask 0) get phi = 0, so they never enter w_t.

Initialisation (DESIGN.md §3): the k_hat bias starts at log(kappa_step), so
exp(k_hat) begins near kappa_step characters per pen point. With Graves'
plain zero bias every step moves kappa by ~1 character while a character
takes ~25 points to write, so kappa runs far past the end of the text before
the network has learnt to slow it down, and in a prototype no alignment
formed in 30 minutes; started near 1 / (points per character) the window
aligned on every held-out line within minutes. The default 1/25 matches the
~25 points per character of IAM-OnDB and drawn handwriting.

The stop rule and phi_at work in log space (logsumexp over the components):
far from kappa every Gaussian underflows to 0 in float32, and the rule
"phi(t, U+1) > phi(t, u) for all u <= U" would then compare 0 with 0 and never
fire once kappa had raced past the end; the logarithm is monotone, so the
rule is the same.

Dimension letters: B batch, K window components, U characters (padded),
C alphabet size, H features of h^1. A leading "x" (phi_xU) means any leading
dimensions, which the functions keep.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen.command.errors import ConfigError
from seqgen.models import lstm


class WindowParams(NamedTuple):
    """The window of one or more steps; every field is ...xK."""

    log_alpha: jax.Array  # a_hat: log of the component weights alpha
    beta: jax.Array       # exp(b_hat)
    kappa: jax.Array      # accumulated positions, in characters (u = 1 is the first)


class SoftWindow(nnx.Module):
    """The projection h^1_t -> (a_hat, b_hat, k_hat) and the kappa update."""

    def __init__(self, in_features: int, num_components: int, *, kappa_step: float = 1 / 25,
                 init_scale: float = 0.1, matmul_dtype: str = "float32", rngs: nnx.Rngs):
        if not kappa_step > 0:
            raise ConfigError(f"kappa_step={kappa_step} must be > 0 (characters advanced per "
                             "point at the start of training; typically 1/25)")
        k = num_components
        s = init_scale
        self.num_components = k
        self.matmul_dtype = matmul_dtype
        self.w = nnx.Param(jax.random.uniform(rngs.params(), (in_features, 3 * k),
                                              minval=-s, maxval=s))
        # alpha = beta = 1 at the start (Graves' zero bias); exp(k_hat) = kappa_step,
        # see the module docstring for why.
        self.b = nnx.Param(jnp.zeros((3 * k,)).at[2 * k:].set(math.log(kappa_step)))

    def __call__(self, h_BxH: jax.Array, kappa_prev_BxK: jax.Array) -> WindowParams:
        z_Bx3K = lstm.dot(h_BxH, self.w[...], self.matmul_dtype) + self.b[...]
        return params_from_projection(z_Bx3K, kappa_prev_BxK)


def params_from_projection(z_x3K: jax.Array, kappa_prev_xK: jax.Array) -> WindowParams:
    """(a_hat, b_hat, k_hat) -> (log alpha, beta, kappa_{t-1} + exp(k_hat))."""
    a_hat, b_hat, k_hat = jnp.split(z_x3K, 3, axis=-1)
    return WindowParams(log_alpha=a_hat, beta=jnp.exp(b_hat),
                        kappa=kappa_prev_xK + jnp.exp(k_hat))


def _log_phi(p: WindowParams, u_xP: jax.Array) -> jax.Array:
    """log phi at positions u (...xP, the params' leading shape plus P)."""
    d_xKxP = p.kappa[..., :, None] - u_xP[..., None, :]
    return jax.nn.logsumexp(p.log_alpha[..., :, None] - p.beta[..., :, None] * d_xKxP ** 2,
                            axis=-2)


def phi(p: WindowParams, char_mask_xU: jax.Array, *, log: bool = False) -> jax.Array:
    """phi(t, u) for u = 1..U: ...xU; padded characters get 0 (-inf if log)."""
    u_U = jnp.arange(1, char_mask_xU.shape[-1] + 1, dtype=p.kappa.dtype)
    u_xU = jnp.broadcast_to(u_U, p.kappa.shape[:-1] + u_U.shape)
    keep = char_mask_xU > 0
    if log:
        return jnp.where(keep, _log_phi(p, u_xU), -jnp.inf)
    d_xKxU = p.kappa[..., :, None] - u_xU[..., None, :]
    # exp(a_hat - beta d^2), not alpha * exp(-beta d^2): no inf * 0 when alpha overflows.
    phi_xU = jnp.sum(jnp.exp(p.log_alpha[..., :, None] - p.beta[..., :, None] * d_xKxU ** 2),
                     axis=-2)
    return jnp.where(keep, phi_xU, 0.0)


def phi_at(p: WindowParams, u_x: jax.Array | float, *, log: bool = False) -> jax.Array:
    """phi(t, u) at one position per row: u has the params' leading shape (or
    broadcasts to it), e.g. u_B = U_B + 1 for the stop rule. No masking."""
    u_x = jnp.broadcast_to(jnp.asarray(u_x, p.kappa.dtype), p.kappa.shape[:-1])
    log_phi_x = _log_phi(p, u_x[..., None])[..., 0]
    return log_phi_x if log else jnp.exp(log_phi_x)


def text_length(char_mask_xU: jax.Array) -> jax.Array:
    """U_b, each row's own number of characters (float)."""
    return jnp.sum((char_mask_xU > 0).astype(jnp.float32), axis=-1)


def window_vector(phi_BxU: jax.Array, onehot_BxUxC: jax.Array) -> jax.Array:
    """w_t = sum_u phi(t, u) c_u: BxC."""
    return jnp.einsum("bu,buc->bc", phi_BxU, onehot_BxUxC,
                      preferred_element_type=jnp.float32)


def stop_rule(phi_xU: jax.Array, phi_end_x: jax.Array, char_mask_xU: jax.Array) -> jax.Array:
    """Graves' stop rule: phi(t, U+1) > phi(t, u) for every real u <= U (bool ...).

    phi_xU and phi_end_x are both phi or both log phi (the rule is the same);
    padded positions are ignored, so a row with no characters stops at once.
    """
    best_x = jnp.max(jnp.where(char_mask_xU > 0, phi_xU, -jnp.inf), axis=-1)
    return phi_end_x > best_x


def should_stop(p: WindowParams, char_mask_xU: jax.Array) -> jax.Array:
    """The stop rule for the window p, each row against its own U_b + 1, in log space."""
    log_phi_xU = phi(p, char_mask_xU, log=True)
    log_end_x = phi_at(p, text_length(char_mask_xU) + 1.0, log=True)
    return stop_rule(log_phi_xU, log_end_x, char_mask_xU)
