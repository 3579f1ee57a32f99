"""`seqgen <verb> [flags]`: one console script for every command.

Each verb runs a module exactly as `python -m <module>` would (same flags,
same messages), so both spellings stay equivalent:

  seqgen train --config=configs/default.py --workdir=/tmp/seqgen/default
  seqgen sample --workdir=/tmp/seqgen/default --prime="ROMEO:" --length=500
  seqgen write --workdir=/tmp/seqgen/synthesis --text="hello world"
  seqgen read --workdir=/tmp/seqgen/recognition --strokes=page.npz
  seqgen evaluate --workdir=/tmp/seqgen/default --split=test --dynamic
  seqgen legibility --workdir=SYNTH_RUN --recogniser=RECOGNITION_RUN
  seqgen serve           # the web page, http://127.0.0.1:8000
  seqgen tasks --config=configs/tasks/adding.py --workdir=/tmp/seqgen/adding
  seqgen report          # the 1997 suite's report
  seqgen configs         # the shipped configs, by name

A new command is one row of VERBS.
Launchers (launch/), benchmarks (benchmarks/) and tools/ are clone-only:
they need a checkout (the TPU launcher copies it; benchmarks need
PyTorch), so they are not installed.
"""
from __future__ import annotations

import runpy
import sys

from seqgen import __version__

# verb -> (module run as __main__, one-line summary)
VERBS = {
    "train": ("seqgen.main", "train a config (python -m seqgen.main)"),
    "sample": ("seqgen.sample", "sample text or handwriting from a trained run"),
    "write": ("seqgen.write", "write given text by hand with a synthesis run"),
    "read": ("seqgen.read", "read ink files with a trained recognition run"),
    "legibility": ("seqgen.legibility", "CER/WER of a synthesis run, read back by a recogniser"),
    "evaluate": ("seqgen.evaluate", "static and dynamic evaluation of a trained run"),
    "serve": ("seqgen.serve", "a local web page to write, read and sample"),
    "tasks": ("seqgen.tasks.main", "train one of the 1997 LSTM tasks"),
    "report": ("seqgen.tasks.report", "the 1997 suite: every task, its table and plots"),
}


def usage() -> str:
    rows = "\n".join(f"  {verb:<10}{summary}" for verb, (_, summary) in VERBS.items())
    return (f"seqgen {__version__}\nusage: seqgen <verb> [flags]   (seqgen <verb> --help "
            f"for its flags)\n{rows}\n  {'configs':<10}list the shipped configs "
            "(--config=NAME takes these)")


def main(argv: list[str] | None = None) -> None:
    """Dispatch `seqgen <verb> ...` to the verb's module."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return
    if argv[0] == "--version":
        print(f"seqgen {__version__}")
        return
    verb, rest = argv[0], argv[1:]
    if verb == "configs":
        from seqgen.config import files as config_files
        print("\n".join(config_files.shipped()))
        return
    if verb not in VERBS:
        sys.exit(f"FATAL unknown command {verb!r}; use one of: "
                 f"{', '.join([*VERBS, 'configs'])} (seqgen --help)")
    sys.argv = [f"seqgen {verb}", *rest]
    runpy.run_module(VERBS[verb][0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
