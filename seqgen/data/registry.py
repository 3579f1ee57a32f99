"""Datasets found by name: a registry maps `config.data.dataset` to a loader.

One registry per modality: `seqgen.data.text.DATASETS` (loaders return
`TextSplits`) and `seqgen.data.handwriting.DATASETS` (loaders return
`HandwritingSplits`). A loader is a function `loader(data_config) -> splits`.

Builtin entries are "module:function" strings, imported when the dataset is
first asked for, so that naming a dataset imports only its module (enwik8
does not read the fonts; drawn handwriting does not build TFDS classes it
never uses). Anyone can add a dataset without editing seqgen/: a test, or a
user module imported before training starts, registers its loader:

    from seqgen.data.text import DATASETS, TextSplits

    @DATASETS.register("my_corpus")
    def load_my_corpus(data_config) -> TextSplits:
        ...

and `config.data.dataset = "my_corpus"` selects it. Adding a builtin is one
more "module:function" line in the modality's table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from seqgen.command.errors import ConfigError

Loader = Callable[[Any], Any]  # data_config -> the modality's splits


class Registry:
    """Dataset name -> loader, with lazily imported builtins."""

    def __init__(self, kind: str, builtins: Mapping[str, str],
                 field: str = "config.data.dataset"):
        for name, target in builtins.items():
            if target.count(":") != 1:
                raise ValueError(f"builtin {name!r}: {target!r} is not 'module:function'")
        self.kind = kind  # e.g. 'text': the errors say "is not a text dataset"
        self.field = field  # the config field that holds the name, for errors
        # A builtin stays a string (the import is cheap once done), so that a
        # test patching the loader in its module is seen by `get`.
        self._entries: dict[str, str | Loader] = dict(builtins)

    def register(self, name: str, *, replace: bool = False) -> Callable[[Loader], Loader]:
        """Decorator adding `loader` under `name`; an existing name needs replace=True."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} dataset name must be a non-empty string, "
                             f"got {name!r}")

        def add(loader: Loader) -> Loader:
            if not callable(loader):
                raise TypeError(f"{self.kind} dataset {name!r}: {loader!r} is not callable")
            if name in self._entries and not replace:
                raise ValueError(f"{self.kind} dataset {name!r} is already registered; "
                                 f"pick another name or pass replace=True")
            self._entries[name] = loader
            return loader
        return add

    def unregister(self, name: str) -> None:
        """Removes `name` (a plugin's cleanup, e.g. at the end of a test)."""
        self._entries.pop(name, None)

    def get(self, name: str) -> Loader:
        """The loader of `name`; an unknown name is a one-line ConfigError."""
        entry = self._entries.get(name) if isinstance(name, str) else None
        if entry is None:
            raise ConfigError(f"{self.field}={name!r} is not a {self.kind} dataset; use one "
                              f"of {', '.join(self._entries)}")
        if isinstance(entry, str):
            module, attribute = entry.split(":")
            entry = getattr(importlib.import_module(module), attribute)
        return entry

    def names(self) -> tuple[str, ...]:
        """Builtins first, in table order, then plugins in registration order."""
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"
