"""Experiment kinds: the one door between the trainer and a kind of experiment.

`config.kind` names a module (big_vision selects modules by name the same
way): a bare name is a module of this package (`text` ->
seqgen/kinds/text.py), a dotted name is any importable module
(`mylab.kinds.ctc`), so a new kind is a new module and nothing here is
edited. The module's `Kind` class keeps the contract of kinds/base.py,
which is checked when the module is loaded.

  text         next-symbol softmax over bytes, characters or words (Graves §3)
  handwriting  mixture density over the next pen offset (Graves §4)
  synthesis    handwriting conditioned on a text by a soft window (Graves §5)
  recognition  a line's text read from its pen offsets with CTC (Graves et al. 2009)

`load_trained(workdir)` is the one way to load a trained run: every command
that uses one (sample, write, read, evaluate, legibility, the server)
rebuilds its kind from the meta saved with the checkpoint, builds the model
the saved config describes, and restores the parameters; no dataset is
read (a kind loads its data only when a command asks for it). The model is
built abstractly (shapes only, `nnx.eval_shape`) and the saved parameters
are restored into it: building it for real would run every initialiser,
one small XLA compilation each (36 for the shipped writer, ~1.5 s of a
cold `seqgen.write`), only to overwrite the values.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import NamedTuple

import jax
import ml_collections
from flax import nnx

from seqgen import checkpoint
from seqgen.command.errors import ConfigError
from seqgen.kinds import base


def builtin() -> tuple[str, ...]:
    """The kind modules shipped in this package."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base"))


def get(name: str) -> type[base.Kind]:
    """The `Kind` class of the module `name` names."""
    module_name = name if "." in name else f"{__name__}.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name is None or not module_name.startswith(e.name):
            raise  # the module exists but one of its imports is missing
        raise ConfigError(f"config.kind={name!r}: no module {module_name}; use one of "
                          f"{', '.join(builtin())} or a dotted module path") from None
    cls = getattr(module, "Kind", None)
    if cls is None:
        raise ConfigError(f"config.kind={name!r}: module {module_name} has no class Kind")
    missing = base.missing_members(cls)
    if missing:
        raise ConfigError(f"config.kind={name!r}: {module_name}.Kind lacks "
                          f"{', '.join(missing)} (seqgen/kinds/base.py: the contract)")
    return cls


def make(config: ml_collections.ConfigDict, meta: dict | None = None) -> base.Kind:
    """The kind of `config`, with saved `meta` (from a checkpoint) or none yet."""
    return get(config.kind)(config, meta)


def make_example(config: ml_collections.ConfigDict, **sizes: int) -> base.Kind:
    """The kind of `config` on made-up meta: builds models and example
    batches without the dataset (tests, benchmarks)."""
    cls = get(config.kind)
    return cls(config, cls.example_meta(config, **sizes))


class Trained(NamedTuple):
    kind: base.Kind
    model: nnx.Module
    config: ml_collections.ConfigDict
    step: int


def load_trained(workdir: str, step: int | None = None) -> Trained:
    """The newest checkpoint of `workdir` (or `step`'s) as (kind, model, config,
    step); a missing workdir or step is a one-line UserError."""
    config, meta, step = checkpoint.load_run_info(workdir, step)
    kind = make(config, meta)
    model = _shaped_model(kind)
    checkpoint.restore_params(workdir, step, model)
    return Trained(kind, model, config, step)


def _shaped_model(kind: base.Kind) -> nnx.Module:
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
