"""Regularisers of the train step: none, Graves' weight noise, adaptive noise.

Graves (2013) §3.1 gets his best Penn Treebank numbers by adding Gaussian
noise to the weights while training (std 0.075) or by learning the noise
(adaptive weight noise, Graves 2011; below). Both act
only in the train step: evaluation, dynamic evaluation and sampling use
`TrainState.params`, which are the noiseless weights (for adaptive noise,
the posterior means).

A regulariser tells the train step four things:
  init(params) -> noise       extra trained state kept beside the params
                              (adaptive: log sigma per weight; else {})
  trainable(params, noise)    the tree the optimizer updates
  unpack(trainable)           -> (params, noise)
  sample(trainable, key)      the weights this step's forward pass uses
  penalty(trainable)          -> (nats, metrics): a complexity cost for the
                              whole training set (0 for none / weight noise)

One noise sample serves the whole batch of B streams. Graves samples once
per sequence; that would need B copies of every weight (B x 1M floats for
the default model), so seqgen samples once per train step, and each step
sees fresh noise.

config.regularise fields (seqgen/config/common.py):
  name               'none' | 'weight_noise' | 'adaptive_noise'
  weight_noise_std   std of the added noise (Graves: 0.075)
  adaptive_init_std  initial posterior std of every weight (adaptive noise)

Adaptive weight noise: Graves (2011), "Practical variational inference
for neural networks", with the diagonal Gaussian posterior and the
adaptive Gaussian prior.

Every weight i has a posterior q_i = N(mu_i, sigma_i^2) with mu_i and
log sigma_i trained. The loss is the minimum description length of the
training data plus the network (Graves 2011 eq. 3-4):

  L(q) = E_{w~q}[ NLL(training set | w) ] + KL(q || p)

with one prior p = N(m, s^2) over all W weights whose mean and variance
are set to their optimal values at every step (Graves 2011 §5, adaptive
prior):

  m = (1/W) sum_i mu_i,    s^2 = (1/W) sum_i [sigma_i^2 + (mu_i - m)^2]
  KL(q || p) = sum_i [ log(s / sigma_i) + (sigma_i^2 + (mu_i - m)^2) / (2 s^2) - 1/2 ]

A train step sees one batch, so it adds KL x (1 / windows per epoch):
over one pass through the training set the KL is counted exactly once, as
in L(q). Evaluation and sampling use the means mu (TrainState.params).

Deviations and why: the expected NLL's gradient is the reparameterised
one, w = mu + sigma * eps (one draw per step, shared by the batch; Graves
draws per sequence), which is unbiased for both mu and sigma; Graves 2011
approximates the sigma gradient by the squared gradient (a diagonal
Gauss-Newton term), biased when the batch sums many sequences' gradients.
sigma is parametrised by its log so it stays positive under any optimizer.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections

from seqgen.command.errors import ConfigError

NAMES = ("none", "weight_noise", "adaptive_noise")


def gaussian_like(tree: Any, key: jax.Array) -> Any:
    """Independent N(0, 1) draws shaped like every leaf of `tree`."""
    leaves, treedef = jax.tree.flatten(tree)
    keys = jax.random.split(key, max(len(leaves), 1))
    return jax.tree.unflatten(treedef, [
        jax.random.normal(k, w.shape, w.dtype) for k, w in zip(keys, leaves, strict=False)])


def fitted_prior(mu: Any, log_sigma: Any) -> tuple[jax.Array, jax.Array]:
    """(m, s^2): the prior N(m, s^2) that minimises KL(q || p) over all weights."""
    mus, lss = jax.tree.leaves(mu), jax.tree.leaves(log_sigma)
    num = sum(x.size for x in mus)
    m = sum(jnp.sum(x) for x in mus) / num
    s2 = sum(jnp.sum(jnp.exp(2.0 * ls) + jnp.square(x - m))
             for x, ls in zip(mus, lss, strict=True)) / num
    return m, s2


def kl_to_prior(mu: Any, log_sigma: Any, m: jax.Array, s2: jax.Array) -> jax.Array:
    """KL(q || N(m, s^2)) in nats, summed over every weight."""
    log_s = 0.5 * jnp.log(s2)
    return sum(jnp.sum(log_s - ls + (jnp.exp(2.0 * ls) + jnp.square(x - m)) / (2.0 * s2)
                       - 0.5)
               for x, ls in zip(jax.tree.leaves(mu), jax.tree.leaves(log_sigma), strict=True))


class AdaptiveNoise:
    """The regulariser interface of seqgen/regularise.py for Graves 2011."""

    name = "adaptive_noise"

    def __init__(self, init_std: float):
        self.init_log_sigma = math.log(init_std)

    def init(self, params: Any) -> Any:
        return jax.tree.map(lambda w: jnp.full_like(w, self.init_log_sigma), params)

    def trainable(self, params: Any, noise: Any) -> dict:
        return {"mu": params, "log_sigma": noise}

    def unpack(self, trainable: dict) -> tuple[Any, Any]:
        return trainable["mu"], trainable["log_sigma"]

    def sample(self, trainable: dict, key: jax.Array) -> Any:
        mu, log_sigma = self.unpack(trainable)
        return jax.tree.map(lambda x, ls, e: x + jnp.exp(ls) * e, mu, log_sigma,
                            gaussian_like(mu, key))

    def penalty(self, trainable: dict) -> tuple[jax.Array, dict]:
        mu, log_sigma = self.unpack(trainable)
        m, s2 = fitted_prior(mu, log_sigma)
        kl = kl_to_prior(mu, log_sigma, m, s2)
        lss = jax.tree.leaves(log_sigma)
        mean_sigma = sum(jnp.sum(jnp.exp(ls)) for ls in lss) / sum(ls.size for ls in lss)
        return kl, {"kl_nats": kl, "prior_mean": m, "prior_std": jnp.sqrt(s2),
                    "mean_sigma": mean_sigma}


class NoRegulariser:
    name = "none"

    def init(self, params: Any) -> dict:
        return {}

    def trainable(self, params: Any, noise: Any) -> Any:
        return params

    def unpack(self, trainable: Any) -> tuple[Any, dict]:
        return trainable, {}

    def sample(self, trainable: Any, key: jax.Array) -> Any:
        return trainable

    def penalty(self, trainable: Any) -> tuple[jax.Array, dict]:
        return jnp.float32(0.0), {}


class WeightNoise(NoRegulariser):
    """w + N(0, std^2) in the forward and backward pass; the gradient taken
    at the noisy weights updates the noiseless ones (Graves 2013 §3.1)."""

    name = "weight_noise"

    def __init__(self, std: float):
        self.std = std

    def sample(self, trainable: Any, key: jax.Array) -> Any:
        return jax.tree.map(lambda w, e: w + self.std * e, trainable,
                            gaussian_like(trainable, key))


def make(config: ml_collections.ConfigDict):
    """The regulariser `config.regularise` names (configs without the
    section, e.g. older checkpoints, train without one)."""
    r = config.get("regularise")
    name = r.name if r is not None else "none"
    if name == "none":
        return NoRegulariser()
    if name == "weight_noise":
        return WeightNoise(r.weight_noise_std)
    if name == "adaptive_noise":
        return AdaptiveNoise(r.adaptive_init_std)
    raise ConfigError(f"config.regularise.name={name!r} is unknown; use one of {NAMES}")


NONE = NoRegulariser()
