"""One way to load a trained model: `load_trained(workdir, step=None)`.

Every command that uses a trained run (sample, write, evaluate, the crash
drill, a server) rebuilds its kind from the meta saved with the checkpoint,
builds the model the saved config describes, and restores the parameters;
no dataset is read (a kind loads its data only when a command asks for it).

The model is built abstractly (shapes only, `nnx.eval_shape`) and the saved
parameters are restored into it: building it for real would run every
initialiser, one small XLA compilation each (36 for the shipped writer, ~1.5 s
of a cold `seqgen.write`), only to overwrite the values.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
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
    model = _shaped_model(kind)
    checkpoint.restore_params(workdir, step, model)
    return Trained(kind, model, config, step)


def _shaped_model(kind: Kind) -> nnx.Module:
    """The kind's model with placeholders (shape, dtype, device) for its
    parameters, which the checkpoint fills; a model with other state (none
    of the kinds so far) is built for real, since the checkpoint lacks it."""
    shaped = nnx.eval_shape(lambda: kind.build_model(nnx.Rngs(0)))
    graphdef, params, rest = nnx.split(shaped, nnx.Param, ...)
    if jax.tree.leaves(rest):
        return kind.build_model(nnx.Rngs(0))
    device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    params = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device),
                          params)
    return nnx.merge(graphdef, params)
