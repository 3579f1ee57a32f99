"""From a net's output pre-activations to the loss and the task's verdict
on each sequence.

Dimension letters: B sequences, T time steps, K output units.

A batch is a dict of arrays (seqgen/data/lstm1997_tasks.Sequences as a pytree):
  x        int [B, T] symbol ids, or float [B, T, D]
  y        int [B, T] target ids (one-hot targets), or float [B, T, K]
  mask     float [B, T]: 1 where a target enters the loss
  check    bool [B, T]: where the criterion judges the output
  allowed  bool [B, T, K], Reber only: every legal next symbol
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from seqgen.command.errors import ConfigError
from seqgen.tasks.generators import Sequences

ACTIVATIONS = ("sigmoid", "linear", "softmax")
LOSSES = ("mse", "xent")
RULES = ("abs_error", "argmax", "possible_next")


def check_config(activation: str, loss: str, rule: str) -> None:
    if activation not in ACTIVATIONS:
        raise ConfigError(f"config.output.activation={activation!r}; use one of {ACTIVATIONS}")
    if loss not in LOSSES:
        raise ConfigError(f"config.output.loss={loss!r}; use one of {LOSSES}")
    if loss == "xent" and activation == "linear":
        raise ConfigError("config.output.loss='xent' needs activation sigmoid or softmax")
    if rule not in RULES:
        raise ConfigError(f"config.criterion.rule={rule!r}; use one of {RULES}")


def as_batch(s: Sequences) -> dict[str, np.ndarray]:
    b = {"x": s.x, "y": s.y, "mask": s.mask_NxT, "check": s.check_NxT}
    if s.allowed_NxTxK is not None:
        b["allowed"] = s.allowed_NxTxK
    return b


def squash(z_BxTxK: jax.Array, activation: str) -> jax.Array:
    if activation == "sigmoid":
        return jax.nn.sigmoid(z_BxTxK)
    if activation == "softmax":
        return jax.nn.softmax(z_BxTxK, axis=-1)
    return z_BxTxK


def targets(batch: dict, K: int) -> jax.Array:
    y = batch["y"]
    return jax.nn.one_hot(y, K) if jnp.issubdtype(y.dtype, jnp.integer) else y


def per_sequence(z_BxTxK: jax.Array, batch: dict, *, activation: str, loss: str,
                 rule: str, tol: float) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(loss_B, err_B, ok_B).

    loss: mse = 0.5 * sum over target steps and outputs of squared errors
    (the paper's objective); xent = cross-entropy summed over target steps.
    err: mean squared output error over the judged steps (the paper's
    "average training error"). ok: the sequence was processed correctly.
    """
    K = z_BxTxK.shape[-1]
    t_BxTxK = targets(batch, K)
    out_BxTxK = squash(z_BxTxK, activation)
    mask_BxT = batch["mask"]
    if loss == "mse":
        loss_B = 0.5 * jnp.sum(mask_BxT[..., None] * (out_BxTxK - t_BxTxK) ** 2, (1, 2))
    elif activation == "softmax":
        logp_BxTxK = jax.nn.log_softmax(z_BxTxK, -1)
        loss_B = -jnp.sum(mask_BxT[..., None] * t_BxTxK * logp_BxTxK, (1, 2))
    else:  # independent sigmoid units
        ll_BxTxK = (t_BxTxK * jax.nn.log_sigmoid(z_BxTxK)
                    + (1 - t_BxTxK) * jax.nn.log_sigmoid(-z_BxTxK))
        loss_B = -jnp.sum(mask_BxT[..., None] * ll_BxTxK, (1, 2))

    check_BxT = batch["check"]
    sq_BxT = jnp.sum((out_BxTxK - t_BxTxK) ** 2, -1)
    err_B = (jnp.sum(jnp.where(check_BxT, sq_BxT, 0.0), 1)
             / (K * jnp.maximum(jnp.sum(check_BxT, 1), 1)))
    if rule == "abs_error":
        step_ok_BxT = jnp.max(jnp.abs(out_BxTxK - t_BxTxK), -1) < tol
    elif rule == "argmax":
        step_ok_BxT = jnp.argmax(out_BxTxK, -1) == jnp.argmax(t_BxTxK, -1)
    else:  # possible_next: the legal next symbols are the most active outputs
        allowed_BxTxK = batch["allowed"]
        lowest_legal_BxT = jnp.min(jnp.where(allowed_BxTxK, out_BxTxK, jnp.inf), -1)
        highest_other_BxT = jnp.max(jnp.where(allowed_BxTxK, -jnp.inf, out_BxTxK), -1)
        step_ok_BxT = lowest_legal_BxT > highest_other_BxT
    ok_B = jnp.all(step_ok_BxT | ~check_BxT, 1)
    return loss_B, err_B, ok_B
