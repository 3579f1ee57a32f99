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
"""

from __future__ import annotations

import pathlib
from typing import Any

import jax
import ml_collections
import orbax.checkpoint as ocp
from flax import nnx

from seqgen.errors import UserError


def _directory(workdir: str) -> pathlib.Path:
    return pathlib.Path(workdir).absolute() / "checkpoints"


def abstract(tree: Any) -> Any:
    """Shapes, dtypes and shardings of `tree`: the restore target."""
    return jax.tree.map(ocp.utils.to_shape_dtype_struct, tree)


class Checkpointer:
    """CheckpointManager with the three items above."""

    def __init__(self, workdir: str, *, keep: int, every: int,
                 read_only: bool = False):
        options = ocp.CheckpointManagerOptions(
            max_to_keep=keep, save_interval_steps=every,
            enable_async_checkpointing=not read_only, create=not read_only,
            read_only=read_only)
        self.manager = ocp.CheckpointManager(_directory(workdir), options=options)

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def save(self, step: int, params: Any, train: Any, meta: dict,
             force: bool = False) -> bool:
        """Starts an async save if `step` is due (or `force`); returns whether."""
        return self.manager.save(step, args=ocp.args.Composite(
            params=ocp.args.StandardSave(params),
            train=ocp.args.StandardSave(train),
            meta=ocp.args.JsonSave(meta)), force=force)

    def restore(self, step: int, params: Any, train: Any) -> tuple[Any, Any, dict]:
        """Restores into the shapes and shardings of the given trees."""
        r = self.manager.restore(step, args=ocp.args.Composite(
            params=ocp.args.StandardRestore(abstract(params)),
            train=ocp.args.StandardRestore(abstract(train)),
            meta=ocp.args.JsonRestore()))
        return r.params, r.train, r.meta

    def restore_meta(self, step: int) -> dict:
        r = self.manager.restore(step, args=ocp.args.Composite(
            meta=ocp.args.JsonRestore()))
        return r.meta

    def wait(self) -> None:
        self.manager.wait_until_finished()

    def close(self) -> None:
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
    r = ckpt.manager.restore(step, args=ocp.args.Composite(
        params=ocp.args.StandardRestore(abstract(params))))
    ckpt.close()
    nnx.update(model, r.params)
