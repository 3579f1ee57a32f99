"""Config files by path or by name: --config=PATH[:variant] or --config=NAME[:variant].

The experiment configs ship inside the package (seqgen/configs/, package
data), so an installed wheel has them too. `--config` takes:

- a path to any config file that exists (your own, or seqgen/configs/x.py
  in a clone): used as given;
- otherwise the name of a shipped config: `default`, `enwik8.py`,
  `tasks/adding`, and the historical spelling `configs/default.py` (the
  docstrings' and README's launch commands), all meaning
  seqgen/configs/<name>.py of the installed package.

So `--config=configs/default.py:smoke` works from a clone, from any other
directory and from a wheel. A name that is neither stops with one line
listing the shipped configs. `DEFINE_config_file` is ml_collections' flag with
this lookup in front; `load_module` is the same for code that reads a config
file itself (launch.sweep, the 1997 report, benchmarks).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

from absl import flags
from ml_collections import config_flags
from ml_collections.config_flags.config_flags import ConfigFileFlagParser

from seqgen.command.errors import UserError

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"  # seqgen/configs
# Prefixes a shipped config may be written with; the first that matches is dropped.
PREFIXES = ("seqgen/configs/", "configs/")


def shipped() -> list[str]:
    """Names of the configs in seqgen/configs (e.g. 'default', 'tasks/adding')."""
    return sorted(p.relative_to(CONFIG_DIR).with_suffix("").as_posix()
                  for p in CONFIG_DIR.rglob("*.py") if not p.name.startswith("_"))


def resolve_path(path: str) -> Path:
    """The config file `path` names (see the module docstring), or a UserError."""
    if not path.strip():
        raise UserError("--config is empty; give a config file or a shipped config "
                        f"name: {', '.join(shipped())}")
    if os.path.isfile(path):
        return Path(path)
    name = path.replace(os.sep, "/")
    for prefix in PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    name = name.removesuffix(".py")
    candidate = CONFIG_DIR / f"{name}.py"
    if name in shipped() and candidate.is_file():
        return candidate
    raise UserError(f"config file {path} not found, and it names no shipped config; give "
                    f"a path to a config file or one of: {', '.join(shipped())}")


def resolve(spec: str) -> str:
    """PATH_OR_NAME[:variant] -> REAL_PATH[:variant] (the variant kept verbatim)."""
    path, colon, arg = spec.partition(":")
    return f"{resolve_path(path)}{colon}{arg}"


def load_module(path: str, module_name: str) -> ModuleType:
    """Execute the config file `path` (a path or a shipped name) as a module."""
    real = resolve_path(path)
    spec = importlib.util.spec_from_file_location(module_name, real)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Parser(ConfigFileFlagParser):
    """ml_collections' parser, with the shipped-config lookup in front."""

    def parse(self, path):
        return super().parse(resolve(path))


def DEFINE_config_file(name: str, help_string: str,  # noqa: N802 (absl's naming)
                       flag_values: flags.FlagValues = flags.FLAGS) -> flags.FlagHolder:
    """ml_collections.config_flags.DEFINE_config_file (locked), with the lookup."""
    holder = config_flags.DEFINE_config_file(name, None, help_string, flag_values,
                                             lock_config=True)
    flag_values[name].parser = _Parser(name=name, lock_config=True)
    return holder
