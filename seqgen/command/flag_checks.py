"""Every command-line flag checked before any work: one line naming the flag,
its value and what to use instead.

A command declares RULES, flag name -> rule, for every flag it defines
(tests/flags_test.py reads the flag definitions from the source and checks
that none is missing), and calls `check(RULES, values)` first; a failure is
a UserError that the entry point prints as one `FATAL` line. A rule takes
the value and returns None when it is fine, else the fix ("use an integer
>= 1"). Rules are plain functions, so argparse commands (launch/, tools/)
use the same ones after parse_args; `OneLineArgumentParser` and
`parse_absl_flags` make the parsers' own errors (a type, a missing required
flag) one line too.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seqgen.command.errors import UserError

Rule = Callable[[Any], "str | None"]


def check(rules: Mapping[str, Rule], values: Mapping[str, Any]) -> None:
    """Apply each rule to its flag's value; the first failure is a UserError."""
    for name, rule in rules.items():
        value = values.get(name)
        fix = rule(value)
        if fix:
            shown = "" if value is None else ",".join(map(str, value)) \
                if isinstance(value, list | tuple) else value
            raise UserError(f"--{name}={shown}: {fix}")


# -- rules --------------------------------------------------------------------

def anything(_value: Any) -> str | None:
    """Any value the parser accepted (switches, seeds, free text)."""
    return None


def optional(rule: Rule) -> Rule:
    """None (the flag left out) passes; anything else must pass `rule`."""
    return lambda v: None if v is None else rule(v)


def at_least(low: float, what: str = "") -> Rule:
    def rule(v):
        if v is None or (isinstance(v, float) and not math.isfinite(v)) or v < low:
            return f"use a value >= {low}{f' ({what})' if what else ''}"
        return None
    return rule


def between(low: float, high: float, what: str = "") -> Rule:
    def rule(v):
        if v is None or not (low <= v <= high):  # NaN fails both comparisons
            return f"use a value in [{low}, {high}]{f' ({what})' if what else ''}"
        return None
    return rule


def one_of(*choices: str) -> Rule:
    return lambda v: None if v in choices else f"{v!r} is unknown; use one of {', '.join(choices)}"


def non_empty(what: str) -> Rule:
    return lambda v: None if isinstance(v, str) and v.strip() else f"empty; give {what}"


def existing_file(what: str = "a file") -> Rule:
    def rule(v):
        if not isinstance(v, str) or not v.strip():
            return f"give {what}"
        path = Path(v).expanduser()
        if not path.is_file():
            return f"no such file: {path}; give {what}"
        return None
    return rule


def trained_workdir(v: Any) -> str | None:
    """A training workdir that holds checkpoints (a finished or running run)."""
    if not isinstance(v, str) or not v.strip():
        return "give the workdir of a training run (the --workdir it trained in)"
    path = Path(v).expanduser()
    if not path.exists():
        return "no such directory; give the workdir of a training run"
    if not path.is_dir():
        return "is a file, not a workdir; give the directory a training run wrote"
    if not (path / "checkpoints").is_dir():
        return ("holds no checkpoints/; give the workdir of a training run (python -m "
                "seqgen.main --config=... --workdir=DIR)")
    return None


def writable_dir(v: Any) -> str | None:
    """A directory to write in: it exists as a directory or can be created."""
    if not isinstance(v, str) or not v.strip():
        return "give a directory"
    path = Path(v).expanduser()
    if path.exists() and not path.is_dir():
        return "is a file; give a directory"
    parent = next((p for p in [path, *path.parents] if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"cannot be created: {parent} is a file; give a directory"
    if parent is None or not os.access(parent, os.W_OK):
        return f"cannot be created ({parent} is not writable); give a writable directory"
    return None


def out_file(*suffixes: str, empty_ok: bool = False) -> Rule:
    """A file to write: not a directory, its folder creatable, one of `suffixes`."""
    def rule(v):
        if not isinstance(v, str) or not v.strip():
            return None if empty_ok else "give a file name"
        path = Path(v).expanduser()
        if path.is_dir():
            return "is a directory; give a file name"
        if suffixes and path.suffix.lower() not in suffixes:
            return f"use a name ending in {' or '.join(suffixes)}"
        return writable_dir(str(path.parent))
    return rule


def host_port(v: Any) -> str | None:
    if v == "":
        return None
    m = re.fullmatch(r"\[?[\w.:-]+\]?:(\d+)", v or "")
    return None if m and 0 < int(m.group(1)) < 65536 else "use host:port (e.g. 10.0.0.1:12345)"


def int_list(low: int = 1) -> Rule:
    """A comma-separated list of integers >= low ('1,64')."""
    def rule(v):
        items = [s.strip() for s in str(v or "").split(",")]
        if not items or not all(re.fullmatch(r"\d+", s) and int(s) >= low for s in items):
            return f"use comma-separated integers >= {low}, e.g. 1,64"
        return None
    return rule


def subset_of(*choices: str, empty_ok: bool = True) -> Rule:
    """Comma-separated names (a str or a list), each one of `choices`."""
    def rule(v):
        items = v if isinstance(v, list | tuple) else [s for s in str(v or "").split(",")]
        items = [s.strip() for s in items if s.strip()]
        if not items and not empty_ok:
            return f"name at least one of {', '.join(choices)}"
        bad = [s for s in items if s not in choices]
        return f"{bad[0]!r} is unknown; use names from {', '.join(choices)}" if bad else None
    return rule


# -- parsers ------------------------------------------------------------------

class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one FATAL line (not the usage block)."""

    def error(self, message: str):
        sys.exit(f"FATAL {self.prog}: {message} (--help lists the flags)")


def parse_absl_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing with its errors as one line (app.run's flags_parser)."""
    from absl import flags

    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        sys.exit(f"FATAL flags error: {' '.join(str(e).split())}")


def check_or_exit(rules: Mapping[str, Rule], values: Mapping[str, Any]) -> None:
    """`check`, ending the process with one FATAL line on a failure."""
    try:
        check(rules, values)
    except UserError as e:
        sys.exit(f"FATAL {e}")


def optional_dir(v: Any) -> str | None:
    """'' (the default place) or a directory to write in."""
    return None if v == "" else writable_dir(v)


def optional_file(v: Any) -> str | None:
    """'' (the built-in default) or an existing file."""
    return None if v == "" else existing_file()(v)


JSON_OUT = out_file(".json", empty_ok=True)  # every benchmark's --json_out
THREADS = between(0, 1024, "0 = the libraries' defaults")
