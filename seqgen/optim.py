"""Optimizers: Graves' centred RMSProp with momentum, Adam, SGD; schedules;
global-norm clipping.

Graves' derivative clipping at the LSTM pre-activations happens inside the
model during backprop (models/lstm.py: clip_gradient), not here.

The gradient every optimizer sees is that of the loss summed over each
sequence (a text window of T symbols, a handwriting line) and averaged
over the B sequences of the batch (seqgen/steps.py), the convention
Graves' hyperparameters assume: his RMSProp's eps = 1e-4 inside the square
root is small next to g^2 only at that scale (a loss averaged over points
would shrink g by the line length and turn the update into momentum SGD
with rate lr / sqrt(eps)), and his SGD rates (1e-4) are per sequence.
learning_rate and clip_norm are in these units; Adam is invariant to the
scale up to its own eps.

config.optim fields (see configs/*.py for typical values):
  name           'graves_rmsprop' | 'adam' | 'sgd'
  learning_rate  peak learning rate
  schedule       'constant' | 'cosine' | 'linear' (decay to 0 over the run)
  warmup_steps   linear warm-up from 0
  clip_norm      global-norm clipping of parameter gradients; 0 = off
  momentum       SGD momentum / Graves' momentum (0.9)
  rms_decay      Graves: 0.95
  eps            Graves: 1e-4 (inside the square root)
"""

from __future__ import annotations

import ml_collections
import optax

from seqgen.command.errors import ConfigError


def learning_rate_schedule(config: ml_collections.ConfigDict,
                           total_steps: int) -> optax.Schedule:
    c = config.optim
    decay_steps = max(total_steps - c.warmup_steps, 1)
    if c.schedule == "constant":
        main = optax.constant_schedule(c.learning_rate)
    elif c.schedule == "cosine":
        main = optax.cosine_decay_schedule(c.learning_rate, decay_steps)
    elif c.schedule == "linear":
        main = optax.linear_schedule(c.learning_rate, 0.0, decay_steps)
    else:
        raise ConfigError(f"config.optim.schedule={c.schedule!r} is unknown; use "
                         "'constant', 'cosine' or 'linear'")
    if not c.warmup_steps:
        return main
    warmup = optax.linear_schedule(0.0, c.learning_rate, c.warmup_steps)
    return optax.join_schedules([warmup, main], [c.warmup_steps])


def graves_rmsprop(learning_rate: optax.ScalarOrSchedule, decay: float = 0.95,
                   momentum: float = 0.9, eps: float = 1e-4
                   ) -> optax.GradientTransformation:
    """Graves (2013) eqs. 38-41, the centred RMSProp with momentum:

      n = d n + (1-d) g^2;  m = d m + (1-d) g;
      v = momentum v - lr g / sqrt(n - m^2 + eps);  w += v.

    optax's centred rmsprop is exactly this chain (eps inside the root,
    state starting at zero, momentum applied after the learning rate);
    tests/optim_test.py checks it against the formula in numpy.
    """
    return optax.rmsprop(learning_rate, decay=decay, eps=eps, centered=True,
                         momentum=momentum, eps_in_sqrt=True, initial_scale=0.0)


def make_optimizer(config: ml_collections.ConfigDict,
                   total_steps: int) -> optax.GradientTransformation:
    c = config.optim
    lr = learning_rate_schedule(config, total_steps)
    if c.name == "graves_rmsprop":
        tx = graves_rmsprop(lr, decay=c.rms_decay, momentum=c.momentum, eps=c.eps)
    elif c.name == "adam":
        tx = optax.adam(lr)
    elif c.name == "sgd":
        tx = optax.sgd(lr, momentum=c.momentum or None)
    else:
        raise ConfigError(f"config.optim.name={c.name!r} is unknown; use "
                         "'graves_rmsprop', 'adam' or 'sgd'")
    if c.clip_norm:
        tx = optax.chain(optax.clip_by_global_norm(c.clip_norm), tx)
    return tx
