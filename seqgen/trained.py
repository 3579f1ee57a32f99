"""One way to load a trained model: `load_trained(workdir, step=None)`.

Every command that uses a trained run (sample, write, evaluate, the crash
drill, a server) rebuilds its kind from the meta saved with the checkpoint,
builds the model the saved config describes, and restores the parameters;
no dataset is read (a kind loads its data only when a command asks for it).
"""

from __future__ import annotations

from typing import NamedTuple

import ml_collections
from flax import nnx

from seqgen import checkpoint, kinds
from seqgen.kinds.base import Kind


class Trained(NamedTuple):
    kind: Kind
    model: nnx.Module
    config: ml_collections.ConfigDict
    step: int


def load_trained(workdir: str, step: int | None = None) -> Trained:
    """The newest checkpoint of `workdir` (or `step`'s) as (kind, model, config,
    step); a missing workdir or step is a one-line UserError."""
    config, meta, step = checkpoint.load_run_info(workdir, step)
    kind = kinds.make(config, meta)
    model = kind.build_model(nnx.Rngs(0))
    checkpoint.restore_params(workdir, step, model)
    return Trained(kind, model, config, step)
