"""Static and dynamic evaluation: the passes train.py runs at every
evaluation, and `python -m seqgen.evaluate` runs on a trained run.

Static: the parameters score the whole split once, state carried from
segment to segment (as at the end of training).

Dynamic (Graves 2013 §3.1-3.2): the network keeps adapting to the data as
it is evaluated. Each segment (a truncated-BPTT window of every stream for
text, a batch of lines for handwriting) is scored first, with the
parameters as they are; then one gradient step is taken on that same
segment. A symbol is therefore always scored by parameters that have seen
only what came before it (tests/evaluate_test.py checks this causality).
  sgd  (Graves): w <- w - lr * g
  rms  (Krause et al. 2018, "Dynamic evaluation of neural sequence models"):
       w <- w - lr * g / (sqrt(ms) + eps) + decay * r * (w0 - w), where ms is
       the mean squared gradient over training segments, w0 the trained
       weights, and r = sqrt(ms) / mean(sqrt(ms)) clipped to 1 / decay, so
       that weights that move a lot in training decay back faster.

Dimension letters: B streams or lines, T segment length.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp
from flax import nnx

from seqgen import parallel, steps
from seqgen.command.console import progress
from seqgen.command.errors import UserError

METHODS = ("sgd", "rms")
# Best of a few on configs/default.py (800 steps), test split: sgd 1e-3..0.3,
# rms 1e-5..1e-3 (docs/regularisation.md). The loss is a mean per symbol, so these are ~N
# times Graves' rates for a summed loss over N symbols.
DEFAULT_LR = {"sgd": 0.1, "rms": 1e-4}
EPS = 1e-8


def static_step(graphdef, kind, mesh) -> Callable:
    """steps.eval_step jitted for `mesh`: the carry stays sharded along the
    batch, the sums come back replicated so every process can read them."""
    return jax.jit(functools.partial(steps.eval_step, graphdef, kind),
                   out_shardings=(parallel.batch_sharded(mesh), parallel.replicated(mesh)))


def static(kind, jitted_step: Callable, graphdef, params, split: str, batch_size: int,
           mesh) -> dict[str, float]:
    """One pass over a whole split, state carried from window to window, every
    process feeding its own rows; the kind's metrics of the summed sums."""
    carry = parallel.shard_like(nnx.merge(graphdef, params).init_carry(batch_size),
                                parallel.batch_sharded(mesh))
    totals, pending = None, None
    batches = kind.eval_batches(split, batch_size, jax.process_index(), jax.process_count())
    for local in progress(batches, f"{split} pass", unit="batch",
                          enabled=jax.process_index() == 0):
        carry, sums = jitted_step(params, carry, parallel.global_batch(local, mesh))
        # The previous window's sums are read while this one runs, and summed
        # on the host: the loop stays one window ahead of the devices. See
        # parallel.fold_late for why it must not run further ahead.
        totals = parallel.fold_late(totals, pending)
        pending = sums
    return kind.report(parallel.fold_late(totals, pending))


def _loss(graphdef, kind, params, carry, batch):
    model = nnx.merge(graphdef, params)
    carry = steps.reset_rows(carry, model.init_carry(batch["reset"].shape[0]),
                             batch["reset"])
    return kind.loss_fn(model, carry, batch)


def _dynamic_step(graphdef, kind, method, params, params0, ms, carry, batch, lr, decay):
    """Score the segment with `params`, then adapt them to it."""
    (_, (sums, carry)), g = jax.value_and_grad(
        functools.partial(_loss, graphdef, kind), has_aux=True)(params, carry, batch)
    if method == "sgd":
        params = jax.tree.map(lambda w, d: w - lr * d, params, g)
    else:
        rms = jax.tree.map(lambda m: jnp.sqrt(m), ms)
        mean_rms = sum(jnp.sum(r) for r in jax.tree.leaves(rms)) / sum(
            r.size for r in jax.tree.leaves(rms))
        params = jax.tree.map(
            lambda w, d, r, w0: w - lr * d / (r + EPS)
            + decay * jnp.minimum(r / mean_rms, 1.0 / jnp.maximum(decay, EPS)) * (w0 - w),
            params, g, rms, params0)
    return params, carry, sums


def mean_square_grads(graphdef, kind, params, batches: Iterable[dict]):
    grad = jax.jit(jax.grad(lambda p, c, b: _loss(graphdef, kind, p, c, b)[0]))
    total, n = None, 0
    for batch in progress(batches, "mean square gradients", unit="batch"):
        carry = nnx.merge(graphdef, params).init_carry(batch["reset"].shape[0])
        g = grad(params, carry, batch)
        sq = jax.tree.map(jnp.square, g)
        total = sq if total is None else jax.tree.map(jnp.add, total, sq)
        n += 1
    return jax.tree.map(lambda t: t / max(n, 1), total)


def run(kind, graphdef, params, batches: Iterable[dict], batch_size: int, *,
        dynamic: bool = False, method: str = "sgd", lr: float = 1e-4, decay: float = 0.0,
        ms=None) -> tuple[dict, list[dict]]:
    """(summed sums, per-segment sums) over `batches`; see the module docstring."""
    if method not in METHODS:
        raise UserError(f"--method={method!r}: use one of {METHODS}")
    carry = nnx.merge(graphdef, params).init_carry(batch_size)
    if dynamic:
        step = jax.jit(functools.partial(_dynamic_step, graphdef, kind, method))
        params0 = params
        ms = ms if ms is not None else jax.tree.map(jnp.ones_like, params)
    else:
        step = jax.jit(functools.partial(steps.eval_step, graphdef, kind))
    totals, segments = None, []
    for batch in progress(batches, "dynamic evaluation" if dynamic else "static evaluation",
                          unit="segment"):
        batch = jax.tree.map(jnp.asarray, batch)
        if dynamic:
            params, carry, sums = step(params, params0, ms, carry, batch,
                                       jnp.float32(lr), jnp.float32(decay))
        else:
            carry, sums = step(params, carry, batch)
        segments.append(sums)
        totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
    return jax.device_get(totals), jax.device_get(segments)


def with_perplexity(metrics: dict) -> dict:
    """Adds per-symbol perplexity where the kind reports nats per symbol."""
    if "nats" in metrics:
        metrics = {**metrics, "perplexity": math.exp(metrics["nats"])}
    return metrics
