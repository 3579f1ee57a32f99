"""The life of a training run: train_and_evaluate(config, workdir).

Read top to bottom: setup, the pure train and eval steps, state and resume,
then the loop (train, log one step late, evaluate, sample, checkpoint).
The experiment kind (config.kind) supplies model, loss, data and samples;
this file never branches on it (seqgen/kinds/__init__.py).

Dimension letters: B global batch, T window length.
"""

from __future__ import annotations

import functools
import json
import pathlib
import time
from typing import Any

import flax
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
from flax import nnx
from jax.experimental import multihost_utils

from seqgen import checkpoint, config_checks, kinds, optim, parallel, regularise
from seqgen.errors import ConfigError, NonFiniteError
from seqgen.metrics_log import MetricLog


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


# ---------------------------------------------------------------------------
# The pure steps. `graphdef`, `tx` and `kind` are static: jit traces once.
# ---------------------------------------------------------------------------

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
    # backprop (text [-1, 1], handwriting [-10, 10], outputs [-100, 100]).
    # Differentiating the mean over B*T targets instead would shrink every
    # derivative by B*T and the clips would never bite; so differentiate the
    # sum and divide afterwards.
    trainable = reg.trainable(state.params, state.noise)
    (total, (sums, new_carry, reg_metrics)), grads = jax.value_and_grad(
        summed_loss_fn, has_aux=True)(trainable)
    count = jnp.maximum(sums["count"], 1.0)
    loss = total / count  # nats per target, plus the share of the complexity cost
    grads = jax.tree.map(lambda g: g / count, grads)
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


# ---------------------------------------------------------------------------
# The run.
# ---------------------------------------------------------------------------

def evaluate(kind, jitted_eval, graphdef, params, split: str, batch_size: int,
             mesh) -> dict[str, float]:
    """One pass over a whole split, state carried from window to window."""
    model = nnx.merge(graphdef, params)
    carry = parallel.shard_like(model.init_carry(batch_size),
                                parallel.batch_sharded(mesh))
    totals = None
    for local in kind.eval_batches(split, batch_size, jax.process_index(),
                                   jax.process_count()):
        carry, sums = jitted_eval(params, carry, parallel.global_batch(local, mesh))
        totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
    return kind.report(jax.device_get(totals))


def train_items(state: TrainState) -> dict:
    """What a checkpoint's train/ item holds; `noise` only when there is some,
    so runs without adaptive noise keep the checkpoint layout they had."""
    items = {"opt_state": state.opt_state, "carry": state.carry,
             "step": state.step, "rng": state.rng}
    if jax.tree.leaves(state.noise):
        items["noise"] = state.noise
    return items


def warm_start_params(kind, config: ml_collections.ConfigDict, init_from: str,
                      log: MetricLog) -> nnx.State:
    """The params of `init_from`'s newest checkpoint (Graves started each
    regularised run from the unregularised network's weights). Optimizer,
    step, data position and RNG start afresh."""
    saved, _, step = checkpoint.load_run_info(init_from)
    try:
        config_checks.check_same_model(saved.to_dict(), config, init_from)
    except ConfigError as e:
        raise ConfigError(f"config.init_from={init_from!r}: {e}") from None
    model = kind.build_model(nnx.Rngs(config.seed))
    checkpoint.restore_params(init_from, step, model)
    log.info("warm start: params from %s/checkpoints/%d", init_from, step)
    return nnx.state(model, nnx.Param)


def _fmt_time(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       devices: list | None = None) -> dict[str, Any]:
    """Trains `config` in `workdir`, resuming from its newest checkpoint.

    Returns the final validation metrics plus throughput and timing.
    """
    # --- Setup -------------------------------------------------------------
    t_start = time.time()
    config_checks.validate(config)
    workdir = str(pathlib.Path(workdir).expanduser())
    config_checks.ensure_writable(workdir)
    is_chief = jax.process_index() == 0
    log = MetricLog(workdir, enabled=is_chief)
    mesh = parallel.make_mesh(devices)
    parallel.check_batch_size(config.batch_size, mesh, "config.batch_size")
    parallel.check_batch_size(config.eval_batch_size, mesh, "config.eval_batch_size")

    kind = kinds.make(config)
    # Process 0 prepares the data first, so processes sharing a data dir do
    # not race to write it; the barrier is a no-op in a single process.
    if is_chief:
        kind.load_data()
    multihost_utils.sync_global_devices("seqgen: data prepared")
    if not is_chief:
        kind.load_data()
    log.info("data: %s", json.dumps({k: v for k, v in kind.meta.items()
                                     if k not in ("vocab", "info")}))

    # --- Model, optimizer and state ---------------------------------------
    model = kind.build_model(nnx.Rngs(config.seed))
    graphdef, params = nnx.split(model, nnx.Param)
    num_params = sum(x.size for x in jax.tree.leaves(params))
    tx = optim.make_optimizer(config, config.num_steps)
    reg = regularise.make(config)
    replicated = parallel.replicated(mesh)
    ckpt = checkpoint.Checkpointer(workdir, keep=config.keep_checkpoints,
                                   every=config.checkpoint_every)
    init_from = config.get("init_from", "")
    if init_from and ckpt.latest_step() is None:  # a run's own checkpoints win
        params = warm_start_params(kind, config, str(pathlib.Path(init_from).expanduser()),
                                   log)
    noise = reg.init(params)
    state = TrainState(
        step=jnp.int32(0), params=params,
        opt_state=tx.init(reg.trainable(params, noise)),
        carry=model.init_carry(config.batch_size),
        rng=jax.random.PRNGKey(config.seed), noise=noise)
    state = parallel.shard_like(state, replicated).replace(
        carry=parallel.shard_like(state.carry, parallel.batch_sharded(mesh)))
    shardings = jax.tree.map(lambda x: x.sharding, state)
    log.info("model: %d parameters on a %d-device mesh; regulariser: %s",
             num_params, mesh.devices.size, reg.name)

    def meta_at(step: int) -> dict:
        wpe = kind.windows_per_epoch()
        return {"config": config.to_dict(), "kind": kind.meta,
                "data": {"step": step, "epoch": step // wpe, "window": step % wpe}}

    restored = ckpt.restore_newest(
        state.params, train_items(state),
        check=lambda meta: config_checks.check_same_model(meta["config"], config, workdir))
    if restored is not None:
        latest, params, items, _ = restored
        state = TrainState(params=params, **items)
        log.info("resumed from %s/checkpoints at step %d", workdir, latest)

    # --- The jitted steps -----------------------------------------------------
    # The complexity cost is for the whole training set: each window pays
    # its share, so one pass over the data pays it once.
    jitted_train = jax.jit(functools.partial(
        train_step, graphdef, tx, kind, reg=reg,
        penalty_scale=1.0 / kind.windows_per_epoch()),
        donate_argnums=0, out_shardings=(shardings, replicated))
    # The carry stays sharded along the batch; the sums come back replicated,
    # so every process can read them.
    jitted_eval = jax.jit(functools.partial(eval_step, graphdef, kind),
                          out_shardings=(parallel.batch_sharded(mesh), replicated))

    def save(step: int, force: bool = False) -> None:
        ckpt.save(step, state.params, train_items(state), meta_at(step), force=force)

    def run_eval(step: int) -> dict[str, float]:
        m = evaluate(kind, jitted_eval, graphdef, state.params, "valid",
                     config.eval_batch_size, mesh)
        log.write(step, "valid", m)
        log.info("valid @ %d: %s", step,
                 "  ".join(f"{k} {v:.4f}" for k, v in m.items()))
        if is_chief:
            rng = jax.random.fold_in(jax.random.PRNGKey(config.seed + 1), step)
            # This process's copy: a program over the global arrays would wait
            # for the other processes, which do not sample.
            model = nnx.merge(graphdef, parallel.local_copy(state.params))
            written = kind.write_samples(model, workdir, step, rng)
            log.text(step, "sample", written.pop("summary"))
            if written:
                log.write(step, "samples", written)
                m = {**m, **written}
        return m

    # --- The loop ---------------------------------------------------------------
    step = int(jax.device_get(state.step))
    pending = None  # (step, summed metrics) fetched one step late
    acc, acc_steps = None, 0
    t_window, train_rate, rates = None, 0.0, []
    valid = {}
    preempted = False
    pid, nproc = jax.process_index(), jax.process_count()
    ckpt.watch_preemption()

    last = None  # (step, metrics) of the newest step, checked after the next is queued
    streak = 0

    def watch(at_step: int, metrics: dict) -> None:
        """Counts non-finite (skipped) steps; halts as config.nonfinite_* say."""
        nonlocal streak
        bad_loss, bad_grads = jax.device_get((metrics["nonfinite_loss"],
                                              metrics["nonfinite_grads"]))
        if not (bad_loss or bad_grads):
            streak = 0
            return
        streak += 1
        what = "loss" if bad_loss else "gradient norm"
        log.info("step %d: non-finite %s; the update was skipped (%d in a row)",
                 at_step, what, streak)
        if config.nonfinite_policy == "halt" or streak >= config.nonfinite_max_consecutive:
            ckpt.wait()
            raise NonFiniteError(
                f"step {at_step}: non-finite {what} ({streak} step(s) in a row, "
                f"config.nonfinite_policy={config.nonfinite_policy!r}); nothing was "
                f"applied, the newest checkpoint (step {ckpt.latest_step()}) holds finite "
                "parameters; lower optim.learning_rate, set optim.clip_norm or check the "
                "data, then run the same command to resume")

    def log_train(at_step: int, sums: dict, n: int) -> None:
        nonlocal t_window, train_rate
        sums = jax.device_get(sums)
        now = time.time()
        if t_window is not None:  # symbols or points per second, padding excluded
            train_rate = float(sums["count"]) / (now - t_window)
            rates.append(train_rate)
        t_window = now
        skipped = int(sums["skipped"])
        n = max(n - skipped, 1)  # skipped steps contribute zeros
        m = {**kind.report(sums), "loss": float(sums["loss"]) / n,
             "grad_norm": float(sums["grad_norm"]) / n, "skipped_steps": skipped,
             f"{kind.units}_per_s": train_rate}
        m.update({k: float(v) / n for k, v in sums.get("reg", {}).items()})
        log.write(at_step, "train", m)
        eta = _fmt_time((config.num_steps - at_step) * float(sums["count"]) / n / train_rate
                        ) if train_rate else "-"
        reported = " ".join(f"{k} {v:.4g}" for k, v in kind.report(sums).items())
        if "reg" in sums:
            reported += " | " + " ".join(f"{k} {m[k]:.4g}" for k in sums["reg"])
        log.info("step %d/%d | loss %.4f | %s | %s/s %s | ETA %s", at_step,
                 config.num_steps, m["loss"], reported, kind.units,
                 f"{train_rate:,.0f}" if train_rate else "-", eta)

    try:
        while step < config.num_steps:
            batch = parallel.global_batch(kind.train_batch(step, pid, nproc), mesh)
            state, metrics = jitted_train(state, batch)
            step += 1
            if last is not None:  # the previous step's flags: ready, no stall
                watch(*last)
            last = (step, metrics)
            acc = metrics if acc is None else jax.tree.map(jnp.add, acc, metrics)
            acc_steps += 1

            if pending is not None:  # the previous log step's numbers are ready now
                log_train(*pending)
                pending = None
            if step % config.log_every == 0 or step == 1:
                pending, acc, acc_steps = (step, acc, acc_steps), None, 0

            if step % config.eval_every == 0 or step == config.num_steps:
                t_eval = time.time()
                valid = run_eval(step)
                if t_window is not None:  # evaluation time is not training time
                    t_window += time.time() - t_eval
            # SIGTERM (cluster time limit, preemption): every process saves at
            # the same step and stops; the same command resumes from there.
            preempted = ckpt.preempted(step)
            save(step, force=preempted or step == config.num_steps)
            if preempted:
                break
        if last is not None:
            watch(*last)
    finally:  # an in-flight async save completes even if the loop dies
        ckpt.wait()

    # --- The end ------------------------------------------------------------------
    if pending is not None:
        log_train(*pending)
    if preempted:
        ckpt.wait()
        ckpt.close()
        log.info("stopped by SIGTERM at step %d/%d with a checkpoint saved; run the "
                 "same command to resume", step, config.num_steps)
        log.close()
        return {"step": step, "preempted": True}
    if not valid:  # resumed at the final step: evaluate what is there
        valid = run_eval(step)
    ckpt.wait()
    ckpt.close()
    summary = {"step": step, "valid": valid,
               f"train_{kind.units}_per_s": float(np.median(rates)) if rates else None,
               "wall_time_s": time.time() - t_start, "num_params": num_params}
    if config.eval_test:
        summary["test"] = evaluate(kind, jitted_eval, graphdef, state.params, "test",
                                   config.eval_batch_size, mesh)
        log.write(step, "test", summary["test"])
    if is_chief:
        (pathlib.Path(workdir) / "summary.json").write_text(
            json.dumps(summary, indent=2) + "\n")
    log.info("done: %s", json.dumps(summary))
    log.close()
    return summary
