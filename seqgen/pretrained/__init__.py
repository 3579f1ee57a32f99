"""The models that ship inside the package: write, read and sample with no
training first.

  writer       handwriting synthesis on 300 drawn writers (configs/writer.py)
  judge        grades the writer: reads only hands the writer never learned
               (configs/judge.py; seqgen.legibility's default)
  reader       the product reader: reads your ink and may check the writer's
               lines, on the writer and judge hands (configs/reader.py)
  recogniser   the first reader, of the seven single-line fonts
               (configs/recognition.py:writers=300)
  shakespeare  a character model of the embedded Shakespeare (configs/default.py)

Each lives in seqgen/pretrained/<name>/ as a workdir cut down to what a
sampler needs: checkpoints/<step>/params and meta (the config and the
kind's meta; no optimizer state), a MODEL_CARD.md (data, config, steps,
wall time, machine, metrics, licence; its headline numbers also in a
small JSON block, `numbers(name)`, which the README's quotes and the
check are tested against) and, for a writer, styles/: one JSON
file per shipped style, a line and its text to prime with. Every command
that takes --workdir takes --model=NAME instead; with neither, it uses the
default model of its kind (`DEFAULT`). `python -m seqgen.pretrained.export`
cuts a training workdir down into this store.
"""

from __future__ import annotations

import json
import pathlib
import re

from seqgen.command.errors import UserError

ROOT = pathlib.Path(__file__).parent
DEFAULT = {"write": "writer", "read": "reader", "sample": "shakespeare",
           "legibility": "judge"}
MODEL_CARD = "MODEL_CARD.md"
# The card's one ```json block: its headline numbers, machine-readable so
# that the README's quotes and the check can be held to them.
_NUMBERS = re.compile(r"^```json\n(.*?)^```", re.MULTILINE | re.DOTALL)


def path(name: str) -> pathlib.Path:
    """The folder of shipped model `name` (a workdir load_trained reads)."""
    folder = ROOT / name
    if not (folder / "checkpoints").is_dir():
        have = names()
        raise UserError(f"--model={name!r} is not a shipped model; use one of "
                        f"{', '.join(have) if have else '(none shipped in this install)'}, "
                        "or --workdir=DIR of your own run")
    return folder


def names() -> list[str]:
    """The shipped models, sorted."""
    return sorted(p.name for p in ROOT.iterdir() if (p / "checkpoints").is_dir())


def card(name: str) -> str:
    """The model card of shipped model `name`."""
    return (path(name) / MODEL_CARD).read_text(encoding="utf-8")


def numbers(name: str) -> dict:
    """The headline numbers of shipped model `name`, from its card's JSON block."""
    file = path(name) / MODEL_CARD
    if not file.is_file():
        raise UserError(f"{file}: missing; write the model's card there (see the other "
                        "shipped cards), with its headline numbers in a ```json block")
    blocks = _NUMBERS.findall(file.read_text(encoding="utf-8"))
    if len(blocks) != 1:
        raise UserError(f"{file}: has {len(blocks)} ```json blocks; give it exactly one, "
                        "the card's headline numbers (see the other shipped cards)")
    try:
        found = json.loads(blocks[0])
    except json.JSONDecodeError as e:
        raise UserError(f"{file}: its ```json block is not JSON ({e}); fix the block") from None
    if not isinstance(found, dict):
        raise UserError(f"{file}: its ```json block must be an object of named numbers")
    return found


def resolve(workdir: str | None, model: str | None, command: str) -> str:
    """The workdir a command loads: --workdir if given, else --model's folder,
    else the command's default shipped model."""
    if workdir and model:
        raise UserError("give --workdir (your run) or --model (a shipped one), not both")
    if workdir:
        return workdir
    return str(path(model or DEFAULT[command]))
