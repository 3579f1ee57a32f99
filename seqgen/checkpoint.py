"""Orbax checkpoints: params, optimizer state, carried state, data position,
RNG and the config, so a run resumes exactly and a sampler needs nothing else.

Layout under workdir/checkpoints/<step>/:
  params/  the model parameters (restorable alone, for sampling)
  train/   optimizer state, the truncated-BPTT carry, step and RNG
  meta/    JSON: the config, the kind's meta (e.g. vocabulary), data position

Saves are asynchronous (training continues while files are written); orbax
writes each step to a temporary folder and renames it when complete, so a
crash never leaves a checkpoint that looks finished but is not. Every
process calls save and restore; orbax coordinates the multi-host writes.

Preemption: clusters send SIGTERM before they stop a job (SLURM --signal,
spot and preemptible VMs). `Checkpointer.preempted(step)` turns it into a
step at which every process saves and stops: in a multi-process run JAX's
preemption service catches SIGTERM and agrees on the step across
processes; a lone process catches SIGTERM itself.
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import signal
import threading
from typing import Any

import jax
import ml_collections
import orbax.checkpoint as ocp
from absl import logging
from flax import nnx
from jax.experimental import multihost_utils

from seqgen.command.errors import UserError


def _directory(workdir: str) -> pathlib.Path:
    return pathlib.Path(workdir).absolute() / "checkpoints"


def abstract(tree: Any) -> Any:
    """Shapes, dtypes and shardings of `tree`: the restore target."""
    return jax.tree.map(ocp.utils.to_shape_dtype_struct, tree)


class CheckpointWriteError(UserError):
    """A checkpoint could not be written (full disk, lost mount, permissions)."""


class Checkpointer:
    """CheckpointManager with the three items above."""

    def __init__(self, workdir: str, *, keep: int, every: int,
                 read_only: bool = False):
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, save_interval_steps=every,
            enable_async_checkpointing=not read_only, create=not read_only,
            read_only=read_only)
        self.directory = _directory(workdir)
        self.manager = ocp.CheckpointManager(self.directory, options=options)
        self._sigterm = threading.Event()
        self._previous_handler = None

    def watch_preemption(self) -> None:
        """From now on SIGTERM asks the run to save and stop (see `preempted`)."""
        if jax.process_count() > 1:
            return  # jax.distributed's preemption service owns SIGTERM
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        self._previous_handler = signal.signal(
            signal.SIGTERM, lambda *_: self._sigterm.set())

    def preempted(self, step: int) -> bool:
        """True at the step where every process must save and stop.

        Every process must call it at every step (the processes agree on
        the step through it).
        """
        if jax.process_count() > 1:
            return self.manager.reached_preemption(step)
        return self._sigterm.is_set()

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def save(self, step: int, params: Any, train: Any, meta: dict,
             force: bool = False) -> bool:
        """Starts an async save if `step` is due (or `force`); returns whether."""
        with self._write_errors(step):
            return self.manager.save(step, args=ocp.args.Composite(
                params=ocp.args.StandardSave(params),
                train=ocp.args.StandardSave(train),
                meta=ocp.args.JsonSave(meta)), force=force)

    @contextlib.contextmanager
    def _write_errors(self, step: int | None):
        """A full disk or a lost mount (here or in the async writer, which
        reports at the next save or wait) becomes one line; orbax only ever
        renames a complete checkpoint, so the older ones stay intact."""
        try:
            yield
        except Exception as e:
            cause = e
            while cause is not None and not isinstance(cause, OSError):
                cause = cause.__cause__ or cause.__context__
            if cause is None:
                raise
            done = self.manager.all_steps()
            raise CheckpointWriteError(
                f"cannot write checkpoint{'' if step is None else f' {step}'} under "
                f"{self.directory}: {cause.strerror or cause}; free space or "
                f"fix the folder and rerun the same command (it resumes from step "
                f"{max(done) if done else 0}, whose checkpoint is intact)") from None

    def restore(self, step: int, params: Any, train: Any) -> tuple[Any, Any, dict]:
        """Restores into the shapes and shardings of the given trees."""
        r = self.manager.restore(step, args=ocp.args.Composite(
            params=ocp.args.StandardRestore(abstract(params)),
            train=ocp.args.StandardRestore(abstract(train)),
            meta=ocp.args.JsonRestore()))
        return r.params, r.train, r.meta

    def restore_newest(self, params: Any, train: Any, check: Any = None
                       ) -> tuple[int, Any, Any, dict] | None:
        """The newest checkpoint that restores, as (step, params, train, meta).

        A damaged checkpoint (a truncated or missing file, say from a disk
        that filled up) is moved aside to checkpoints/damaged-<step>, kept
        for inspection, with a warning, and the one before it is tried.
        `check(meta)` may refuse a checkpoint made by another config; its
        error is not a damage and propagates. None: no checkpoint at all.
        """
        for step in sorted(self.manager.all_steps(), reverse=True):
            try:
                meta = self.restore_meta(step)
                if check is not None:
                    check(meta)
                p, t, meta = self.restore(step, params, train)
                return step, p, t, meta
            except UserError:
                raise
            except Exception as e:  # noqa: BLE001  (orbax, tensorstore, OS errors)
                folder = self.directory / str(step)
                aside = folder.with_name(f"damaged-{step}")
                logging.warning("checkpoint %s is damaged (%s: %s); moved to %s, trying "
                                "the one before", folder, type(e).__name__,
                                " ".join(str(e).split())[:200], aside)
                if jax.process_index() == 0 and folder.exists():
                    shutil.rmtree(aside, ignore_errors=True)
                    folder.rename(aside)
                multihost_utils.sync_global_devices(f"seqgen: damaged checkpoint {step}")
                self.manager.reload()
        return None

    def restore_meta(self, step: int) -> dict:
        r = self.manager.restore(step, args=ocp.args.Composite(
            meta=ocp.args.JsonRestore()))
        return r.meta

    def wait(self) -> None:
        with self._write_errors(None):
            self.manager.wait_until_finished()

    def close(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGTERM, self._previous_handler)
            self._previous_handler = None
        self.manager.close()


def load_run_info(workdir: str, step: int | None = None
                  ) -> tuple[ml_collections.ConfigDict, dict, int]:
    """(config, kind meta, step) of a finished or running training workdir."""
    ckpt = Checkpointer(workdir, keep=1, every=1, read_only=True)
    steps = ckpt.manager.all_steps()
    if not steps:
        raise UserError(
            f"no checkpoint under {_directory(workdir)}; train first with "
            f"python -m seqgen.main --config=... --workdir={workdir}")
    if step is None:
        step = max(steps)
    elif step not in steps:
        raise UserError(f"no checkpoint for step {step} under "
                                f"{_directory(workdir)}; available: {sorted(steps)}")
    meta = ckpt.restore_meta(step)
    ckpt.close()
    return ml_collections.ConfigDict(meta["config"]), meta["kind"], step


def restore_params(workdir: str, step: int, model: nnx.Module) -> None:
    """Load the saved parameters into `model` (built from the saved config)."""
    ckpt = Checkpointer(workdir, keep=1, every=1, read_only=True)
    params = nnx.state(model, nnx.Param)
    try:  # closed even when the saved shapes do not fit (its threads would leak)
        r = ckpt.manager.restore(step, args=ocp.args.Composite(
            params=ocp.args.StandardRestore(abstract(params))))
    finally:
        ckpt.close()
    nnx.update(model, r.params)
