"""The seqgen.main command line that every launcher runs, and its quoting.

A launcher only decides where and how often this command runs; the command
itself is the same as on a laptop (multi-process runs are detected by
seqgen/parallel.py, so no launcher passes ranks or addresses).
"""

from __future__ import annotations

import pathlib
import shlex
from collections.abc import Sequence
from typing import Any

REPO = pathlib.Path(__file__).resolve().parents[1]


def override_args(overrides: dict[str, Any]) -> list[str]:
    """{'model.skip': False} -> ['--config.model.skip=False'] (ml_collections syntax)."""
    return [f"--config.{k}={format_value(v)}" for k, v in overrides.items()]


def format_value(value: Any) -> str:
    # repr keeps floats exact (1e-05) and bools/ints as ml_collections parses
    # them; strings go bare because the flag parser takes the text as is.
    return value if isinstance(value, str) else repr(value)


def seqgen_main(config: str, workdir: str, extra: Sequence[str] = (),
                python: str = "python") -> list[str]:
    """argv of `python -m seqgen.main --config=... --workdir=... <extra>`."""
    return [python, "-m", "seqgen.main", f"--config={config}",
            f"--workdir={workdir}", *extra]


def shell_join(argv: Sequence[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
