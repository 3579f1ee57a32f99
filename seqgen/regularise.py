"""Regularisers of the train step: none, Graves' weight noise, adaptive noise.

Graves (2013) §3.1 gets his best Penn Treebank numbers by adding Gaussian
noise to the weights while training (std 0.075) or by learning the noise
(adaptive weight noise, Graves 2011; seqgen/adaptive_noise.py). Both act
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

config.regularise fields (seqgen/common_config.py):
  name               'none' | 'weight_noise' | 'adaptive_noise'
  weight_noise_std   std of the added noise (Graves: 0.075)
  adaptive_init_std  initial posterior std of every weight (adaptive noise)
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections

from seqgen import adaptive_noise
from seqgen.errors import ConfigError

NAMES = ("none", "weight_noise", "adaptive_noise")


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
                            adaptive_noise.gaussian_like(trainable, key))


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
        return adaptive_noise.AdaptiveNoise(r.adaptive_init_std)
    raise ConfigError(f"config.regularise.name={name!r} is unknown; use one of {NAMES}")


NONE = NoRegulariser()
