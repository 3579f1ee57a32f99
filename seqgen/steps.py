"""The pure steps: one training update and one evaluation segment.

Both are pure functions of (state or params, batch), jitted by their callers
(train.py, evaluate.py, the benchmarks) with `graphdef`, `tx` and `kind`
static, so jit traces once. The kind supplies the loss (kinds/base.py); the
steps never branch on it.

Dimension letters: B global batch.
"""

from __future__ import annotations

from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax
from flax import nnx

from seqgen import regularise


@flax.struct.dataclass
class TrainState:
    step: jax.Array  # int32 scalar: number of updates applied
    params: nnx.State
    opt_state: optax.OptState
    carry: Any  # truncated-BPTT state, rows sharded along 'data'
    rng: jax.Array  # uint32[2]; per-step keys are fold_in(rng, step)
    # Trained state of the regulariser beside the params: adaptive weight
    # noise keeps log sigma per weight here; {} otherwise (seqgen/regularise.py).
    noise: Any = flax.struct.field(default_factory=dict)


def reset_rows(carry, init_carry, reset_B):
    """Rows whose stream starts anew get the initial state back."""
    def pick(s, s0):
        keep = (~reset_B).reshape((-1,) + (1,) * (s.ndim - 1))
        return jnp.where(keep, s, s0)
    return jax.tree.map(pick, carry, init_carry)


def train_step(graphdef, tx, kind, state: TrainState, batch: dict, *,
               reg=regularise.NONE, penalty_scale: float = 0.0
               ) -> tuple[TrainState, dict]:
    """One update. `reg` perturbs the weights of the forward pass and adds
    its complexity cost x `penalty_scale` (1 / windows per epoch, so that one
    pass over the training set counts it once) to the summed loss."""
    init_carry = nnx.merge(graphdef, state.params).init_carry(batch["reset"].shape[0])
    carry = reset_rows(state.carry, init_carry, batch["reset"])
    key = jax.random.fold_in(state.rng, state.step)  # fresh noise every step

    def summed_loss_fn(trainable):
        model = nnx.merge(graphdef, reg.sample(trainable, key))
        _, (sums, new_carry) = kind.loss_fn(model, carry, batch)
        penalty, reg_metrics = reg.penalty(trainable)
        return sums["nll"] + penalty_scale * penalty, (sums, new_carry, reg_metrics)

    # Graves clips the derivatives of each sequence's summed loss inside
    # backprop (text [-1, 1], handwriting [-10, 10], outputs [-100, 100]):
    # differentiate the sum over all targets, so the clips see those
    # derivatives. The optimizer then gets the gradient of the loss summed
    # over each sequence (a text window of T symbols, a handwriting line)
    # and averaged over the B sequences: the scale Graves' RMSProp (lr 1e-4,
    # eps 1e-4 inside the root) and his SGD rates were tuned for, and one
    # that does not depend on the batch size. Adam does not care (up to its
    # eps); SGD rates and optim.clip_norm are in these units.
    trainable = reg.trainable(state.params, state.noise)
    (total, (sums, new_carry, reg_metrics)), grads = jax.value_and_grad(
        summed_loss_fn, has_aux=True)(trainable)
    count = jnp.maximum(sums["count"], 1.0)
    loss = total / count  # logged: nats per target, plus the share of the complexity cost
    num_sequences = batch["reset"].shape[0]
    grads = jax.tree.map(lambda g: g / num_sequences, grads)
    grad_norm = optax.tree.norm(grads)
    updates, opt_state = tx.update(grads, state.opt_state, trainable)
    params, noise = reg.unpack(optax.apply_updates(trainable, updates))
    if reg_metrics:  # the cost per target, beside the nll, and the prior
        sums = dict(sums, reg=dict(reg_metrics, penalty_per_target=(
            total - sums["nll"]) / count))
    # A non-finite step changes nothing but the step count and the data
    # position: params, optimizer moments and carry stay as they were, and its
    # sums are left out of the logged means (the loop decides skip or halt).
    ok = jnp.isfinite(loss) & jnp.isfinite(grad_norm)
    keep = lambda new, old: jax.tree.map(  # noqa: E731
        lambda a, b: jnp.where(ok, a, b), new, old)
    logged = dict(sums, loss=loss, grad_norm=grad_norm)
    metrics = keep(logged, jax.tree.map(jnp.zeros_like, logged))
    metrics.update(nonfinite_loss=~jnp.isfinite(loss), nonfinite_grads=~jnp.isfinite(grad_norm),
                   skipped=(~ok).astype(jnp.int32))
    state = state.replace(step=state.step + 1, params=keep(params, state.params),
                          noise=keep(noise, state.noise),
                          opt_state=keep(opt_state, state.opt_state),
                          carry=keep(new_carry, carry))
    return state, metrics


def eval_step(graphdef, kind, params, carry, batch):
    model = nnx.merge(graphdef, params)
    carry = reset_rows(carry, model.init_carry(batch["reset"].shape[0]),
                        batch["reset"])
    _, (sums, carry) = kind.loss_fn(model, carry, batch)
    return carry, sums
