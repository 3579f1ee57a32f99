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
"""

from __future__ import annotations

import importlib
import pkgutil

import ml_collections

from seqgen.errors import ConfigError
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
