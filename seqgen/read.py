"""`python -m seqgen.read`: the text in lines of handwriting, read by a
trained recognition run (configs/recognition.py).

  python -m seqgen.read --strokes=page.npz      # the shipped product reader
  python -m seqgen.read --workdir=/tmp/seqgen/recognition --strokes=page.npz
  python -m seqgen.read --workdir=DIR --strokes=mine.json,other.inkml

Input formats (seqgen/handwriting/ink.py): the project's .npy (one line) and .npz
(several; what seqgen.write saves beside its SVG), a JSON list of strokes
of [x, y] points (a browser canvas's), and InkML. Prints one line of text
per line of ink; where the file says what was meant (.npz texts, JSON
"text"), the CER and WER too. Ink from elsewhere (JSON, InkML) is first
scaled to the recogniser's training lines' height and resampled at their
point spacing (`--fit`).
"""

from __future__ import annotations

from absl import flags

from seqgen import pretrained
from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.console import busy
from seqgen.command.errors import UserError
from seqgen.handwriting import error_rates, ink
from seqgen.kinds import base, load_trained

FLAGS = flags.FLAGS
FIT = ("auto", "always", "never")


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Workdir of a trained recognition run "
                        "(default: the shipped product reader).")
    flags.DEFINE_string("model", None, "A shipped model by name (seqgen/pretrained).")
    flags.DEFINE_list("strokes", None, "Ink files (.npy, .npz, .json, .inkml), comma-separated.")
    flags.DEFINE_enum("fit", "auto", list(FIT), "Rescale and resample the ink to the "
                      "recogniser's training lines: auto = for .json and .inkml only.")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")


def _ink_files(v) -> str | None:
    if not v:
        return "name one or more ink files (.npy, .npz, .json, .inkml), comma-separated"
    return None  # each file's own problems are one line from seqgen/handwriting/ink.py


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "model": fc.anything,  # checked against the store in seqgen.pretrained.path
    "strokes": _ink_files,
    "fit": fc.one_of(*FIT),
    "step": fc.optional(fc.at_least(0, "a checkpoint step; leave out for the newest")),
}


def read_files(kind, model, paths: list[str], fit: str) -> list[tuple[str, str, str | None]]:
    """(where, text read, text meant or None) for every line of every file."""
    out = []
    for path in paths:
        lines, meant = ink.load(path)
        if fit == "always" or (fit == "auto" and path.lower().endswith((".json", ".inkml"))):
            lines = [kind.fit_ink(line) for line in lines]
        texts = kind.read(model, lines)
        for i, text in enumerate(texts):
            where = path if len(lines) == 1 else f"{path}[{i}]"
            out.append((where, text, meant[i] if meant and i < len(meant) else None))
    return out


def main() -> None:
    workdir = pretrained.resolve(FLAGS.workdir, FLAGS.model, "read")
    kind, model, _, _ = load_trained(workdir, FLAGS.step)
    if not isinstance(kind, base.Reader):
        raise UserError(f"{workdir} is a {kind.config.kind!r} run; "
                        "seqgen.read needs a recognition run (configs/recognition.py)")
    with busy(f"reading {len(FLAGS.strokes)} file(s)"):
        results = read_files(kind, model, FLAGS.strokes, FLAGS.fit)
    for where, text, _ in results:
        print(f"{where}\t{text}")
    pairs = [(meant, text) for _, text, meant in results if meant is not None]
    if pairs:
        errors = error_rates.total(pairs)
        print(f"against the texts in the files: CER {errors.cer:.2%}, WER {errors.wer:.2%} "
              f"({len(pairs)} lines)")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
