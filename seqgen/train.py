"""The life of a training run: train_and_evaluate(config, workdir).

Read top to bottom: the pieces a run is made of (its state in checkpoints,
a warm start, progress lines, the non-finite watch, evaluations), then
train_and_evaluate itself: setup, state and resume, the jitted steps, the
loop (train, log one step late, evaluate, sample, checkpoint) and the end.
The experiment kind (config.kind) supplies model, loss, data and samples
(seqgen/kinds/base.py); the pure steps are in seqgen/steps.py. Nothing here
branches on the kind.

Dimension letters: B global batch, T window length.
"""

from __future__ import annotations

import functools
import json
import pathlib
import time
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from flax import nnx
from jax.experimental import multihost_utils

from seqgen import checkpoint, eval_loops, kinds, optim, parallel, regularise
from seqgen.command.errors import ConfigError, NonFiniteError
from seqgen.config import checks as config_checks
from seqgen.kinds import base as kinds_base
from seqgen.metrics_log import MetricLog
from seqgen.steps import TrainState, train_step

# ---------------------------------------------------------------------------
# The pieces of a run.
# ---------------------------------------------------------------------------


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
    regularised run from the unregularised network's weights; a run can go
    on from another run or a shipped model, on other data). Optimizer, step,
    data position and RNG start afresh. The model's config must be the same,
    and so must every parameter's shape (the alphabet sizes the output)."""
    saved, meta, step = checkpoint.load_run_info(init_from)
    try:
        config_checks.check_same_model(saved.to_dict(), config, init_from, sections=("model",))
    except ConfigError as e:
        raise ConfigError(f"config.init_from={init_from!r}: {e}") from None
    model = kind.build_model(nnx.Rngs(config.seed))
    # Shapes compared before restoring: a restore that fails leaves orbax's
    # reads running after their event loop has closed.
    then = kinds.make(saved, meta)
    shapes = [{jax.tree_util.keystr(p): x.shape for p, x in
               jax.tree_util.tree_leaves_with_path(nnx.state(m, nnx.Param))}
              for m in (nnx.eval_shape(lambda: then.build_model(nnx.Rngs(0))), model)]
    misfits = [f"{k}: {shapes[0].get(k)} -> {shapes[1].get(k)}"
               for k in sorted(set(shapes[0]) | set(shapes[1]))
               if shapes[0].get(k) != shapes[1].get(k)]
    if misfits:
        raise ConfigError(f"config.init_from={init_from!r}: its parameters do not fit this "
                          f"config's model (another alphabet or size): {'; '.join(misfits[:3])}"
                          f"{f' and {len(misfits) - 3} more' if len(misfits) > 3 else ''}")
    checkpoint.restore_params(init_from, step, model)
    log.info("warm start: params from %s/checkpoints/%d", init_from, step)
    return nnx.state(model, nnx.Param)


def _fmt_time(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


class Progress:
    """Train metrics summed over each log interval and written one step late:
    a step's numbers are fetched and summed on the host when the next step
    is already queued (parallel.fold_late), so the loop never waits on the
    device just to log, and never runs more than a step ahead of it.

    Throughput counts targets (padding excluded) over wall time between two
    log lines, less the time spent evaluating (`pause`).
    """

    def __init__(self, kind, config: ml_collections.ConfigDict, log: MetricLog):
        self.kind, self.config, self.log = kind, config, log
        self.acc, self.acc_steps = None, 0  # host sums of the steps folded so far
        self.pending = None  # (step, metrics on the device) of the newest step
        self.t_window, self.rate, self.rates = None, 0.0, []

    def add(self, step: int, metrics: dict) -> None:
        self.flush()  # the previous step's numbers are ready now
        self.pending = (step, metrics)

    def pause(self, seconds: float) -> None:
        if self.t_window is not None:
            self.t_window += seconds

    def flush(self) -> None:
        """Fold the newest step into the sums; write them if it was a log step."""
        if self.pending is None:
            return
        (step, metrics), self.pending = self.pending, None
        self.acc = parallel.fold_late(self.acc, metrics)
        self.acc_steps += 1
        if step % self.config.log_every == 0 or step == 1:
            self._write(step, self.acc, self.acc_steps)
            self.acc, self.acc_steps = None, 0

    def median_rate(self) -> float | None:
        return float(np.median(self.rates)) if self.rates else None

    def _write(self, at_step: int, sums: dict, n: int) -> None:
        kind, config = self.kind, self.config
        now = time.time()
        if self.t_window is not None:  # symbols or points per second
            self.rate = float(sums["count"]) / (now - self.t_window)
            self.rates.append(self.rate)
        self.t_window = now
        skipped = int(sums["skipped"])
        n = max(n - skipped, 1)  # skipped steps contribute zeros
        reported = kind.report(sums)
        m = {**reported, "loss": float(sums["loss"]) / n,
             "grad_norm": float(sums["grad_norm"]) / n, "skipped_steps": skipped}
        if self.rate:  # the first window has no start time (it holds the compilation)
            m[f"{kind.units}_per_s"] = self.rate
        m.update({k: float(v) / n for k, v in sums.get("reg", {}).items()})
        self.log.write(at_step, "train", m)
        eta = _fmt_time((config.num_steps - at_step) * float(sums["count"]) / n / self.rate
                        ) if self.rate else "-"
        line = " ".join(f"{k} {v:.4g}" for k, v in reported.items())
        if "reg" in sums:
            line += " | " + " ".join(f"{k} {m[k]:.4g}" for k in sums["reg"])
        self.log.info("step %d/%d | loss %.4f | %s | %s/s %s | ETA %s", at_step,
                      config.num_steps, m["loss"], line, kind.units,
                      f"{self.rate:,.0f}" if self.rate else "-", eta)


class NonFiniteWatch:
    """Counts non-finite (skipped) steps and halts as config.nonfinite_* say.

    A step's flags are read after the next step is queued (`push`), so the
    check costs no stall; `finish` reads the last step's.
    """

    def __init__(self, config: ml_collections.ConfigDict, log: MetricLog,
                 ckpt: checkpoint.Checkpointer):
        self.config, self.log, self.ckpt = config, log, ckpt
        self.last = None  # (step, metrics) of the newest step, not yet checked
        self.streak = 0

    def push(self, step: int, metrics: dict) -> None:
        self.finish()
        self.last = (step, metrics)

    def finish(self) -> None:
        if self.last is not None:
            self._check(*self.last)
            self.last = None

    def _check(self, at_step: int, metrics: dict) -> None:
        bad_loss, bad_grads = jax.device_get((metrics["nonfinite_loss"],
                                              metrics["nonfinite_grads"]))
        if not (bad_loss or bad_grads):
            self.streak = 0
            return
        self.streak += 1
        c = self.config
        what = "loss" if bad_loss else "gradient norm"
        self.log.info("step %d: non-finite %s; the update was skipped (%d in a row)",
                      at_step, what, self.streak)
        if c.nonfinite_policy == "halt" or self.streak >= c.nonfinite_max_consecutive:
            self.ckpt.wait()
            raise NonFiniteError(
                f"step {at_step}: non-finite {what} ({self.streak} step(s) in a row, "
                f"config.nonfinite_policy={c.nonfinite_policy!r}); nothing was "
                f"applied, the newest checkpoint (step {self.ckpt.latest_step()}) holds "
                "finite parameters; lower optim.learning_rate, set optim.clip_norm or check "
                "the data, then run the same command to resume")


def evaluate_and_sample(kind, jitted_eval, graphdef, params, step: int, *,
                        config: ml_collections.ConfigDict, mesh, log: MetricLog,
                        workdir: str) -> dict[str, float]:
    """The validation pass, then (process 0) the kind's samples and metrics."""
    m = eval_loops.static(kind, jitted_eval, graphdef, params, "valid",
                        config.eval_batch_size, mesh)
    log.write(step, "valid", m)
    log.info("valid @ %d: %s", step, "  ".join(f"{k} {v:.4f}" for k, v in m.items()))
    if jax.process_index() == 0:
        rng = jax.random.fold_in(jax.random.PRNGKey(config.seed + 1), step)
        # This process's copy: a program over the global arrays would wait
        # for the other processes, which do not sample.
        model = nnx.merge(graphdef, parallel.local_copy(params))
        written = kind.write_samples(model, workdir, step, rng)
        log.text(step, "sample", written.pop("summary"))
        log.images(step, pathlib.Path(workdir) / "samples")  # the PNGs just written
        if written:
            log.write(step, "samples", written)
            m = {**m, **written}
    return m


# ---------------------------------------------------------------------------
# The run.
# ---------------------------------------------------------------------------

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
    windows_per_epoch = kind.windows_per_epoch()

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

    restored = ckpt.restore_newest(
        state.params, train_items(state),
        check=lambda meta: config_checks.check_same_model(meta["config"], config, workdir))
    if restored is not None:
        latest, params, items, _ = restored
        state = TrainState(params=params, **items)
        log.info("resumed from %s/checkpoints at step %d", workdir, latest)

    def save(step: int, force: bool = False) -> None:
        meta = {"config": config.to_dict(), "kind": kind.meta,
                "data": {"step": step, "epoch": step // windows_per_epoch,
                         "window": step % windows_per_epoch}}
        ckpt.save(step, state.params, train_items(state), meta, force=force)

    # --- The jitted steps -----------------------------------------------------
    # The complexity cost is for the whole training set: each window pays
    # its share, so one pass over the data pays it once.
    jitted_train = jax.jit(functools.partial(
        train_step, graphdef, tx, kind, reg=reg, penalty_scale=1.0 / windows_per_epoch),
        donate_argnums=0, out_shardings=(shardings, replicated))
    jitted_eval = eval_loops.static_step(graphdef, kind, mesh)
    run_eval = functools.partial(evaluate_and_sample, kind, jitted_eval, graphdef,
                                 config=config, mesh=mesh, log=log, workdir=workdir)

    # --- The loop ---------------------------------------------------------------
    step = int(jax.device_get(state.step))
    progress = Progress(kind, config, log)
    watch = NonFiniteWatch(config, log, ckpt)
    valid = {}
    preempted = False
    pid, nproc = jax.process_index(), jax.process_count()
    ckpt.watch_preemption()
    try:
        while step < config.num_steps:
            batch = parallel.global_batch(kind.train_batch(step, pid, nproc), mesh)
            state, metrics = jitted_train(state, batch)
            step += 1
            watch.push(step, metrics)  # checks the previous step's flags: ready, no stall
            progress.add(step, metrics)
            if step % config.eval_every == 0 or step == config.num_steps:
                t_eval = time.time()
                valid = run_eval(state.params, step)
                progress.pause(time.time() - t_eval)  # evaluation is not training time
            # SIGTERM (cluster time limit, preemption): every process saves at
            # the same step and stops; the same command resumes from there.
            preempted = ckpt.preempted(step)
            save(step, force=preempted or step == config.num_steps)
            if preempted:
                break
        watch.finish()
    finally:  # an in-flight async save completes even if the loop dies
        ckpt.wait()

    # --- The end ------------------------------------------------------------------
    progress.flush()
    if preempted:
        ckpt.wait()
        ckpt.close()
        log.info("stopped by SIGTERM at step %d/%d with a checkpoint saved; run the "
                 "same command to resume", step, config.num_steps)
        log.close()
        return {"step": step, "preempted": True}
    if not valid:  # resumed at the final step: evaluate what is there
        valid = run_eval(state.params, step)
    ckpt.wait()
    ckpt.close()
    summary = {"step": step, "valid": valid,
               f"train_{kind.units}_per_s": progress.median_rate(),
               "wall_time_s": time.time() - t_start, "num_params": num_params}
    if config.eval_test:
        summary["test"] = eval_loops.static(kind, jitted_eval, graphdef, state.params, "test",
                                          config.eval_batch_size, mesh)
        if isinstance(kind, kinds_base.Reader):  # a recogniser: CER / WER too
            summary["test"].update(kind.read_metrics(
                nnx.merge(graphdef, parallel.local_copy(state.params)), "test"))
        log.write(step, "test", summary["test"])
    if is_chief:
        (pathlib.Path(workdir) / "summary.json").write_text(
            json.dumps(summary, indent=2) + "\n")
    log.info("done: %s", json.dumps(summary))
    log.close()
    return summary
