"""Cut a training workdir down into the shipped-model store (seqgen/pretrained).

  python -m seqgen.pretrained.export --workdir=/tmp/seqgen/writer --name=writer
  python -m seqgen.pretrained.export --workdir=RUN --name=NAME --dest=DIR [--step=N]

Copies one checkpoint's params and meta (no optimizer state: a third of the
size) to <dest>/<name>/checkpoints/<step>/, replacing what the folder held.
For a synthesis run it also writes styles/: the first line of each
validation writer (writers it never trained on), named <font>-<k>, to prime
with by name; and check.json, the small fixed figures that
`python -m seqgen.pretrained.check` compares with (the metrics of two
validation batches; a writer's read-back CER by the shipped recogniser).
MODEL_CARD.md is written by hand from the measured numbers, with its
headline numbers and check.json's figures in its JSON block (see the
shipped cards); an existing one is kept.
"""

from __future__ import annotations

import pathlib
import shutil

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.pretrained import ROOT, measure

FLAGS = flags.FLAGS
ITEMS = ("params", "meta", "_CHECKPOINT_METADATA", "commit_success.txt")


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "The training run to ship.")
    flags.DEFINE_string("name", None, "The shipped model's name (its folder).")
    flags.DEFINE_string("dest", str(ROOT), "The store (default: the package's own).")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")
    flags.DEFINE_integer("styles", 20, "Synthesis: validation writers kept as styles.")


RULES = {
    "workdir": fc.trained_workdir,
    "name": fc.non_empty("the model's name, e.g. --name=writer"),
    "dest": fc.writable_dir,
    "step": fc.optional(fc.at_least(0, "a checkpoint step")),
    "styles": fc.between(0, 1000, "validation writers kept as styles"),
}


def copy_checkpoint(workdir: str, step: int, dest: pathlib.Path) -> pathlib.Path:
    """params + meta of `step` into dest/checkpoints/<step>/ (dest emptied first)."""
    src = pathlib.Path(workdir) / "checkpoints" / str(step)
    if (dest / "checkpoints").exists():
        shutil.rmtree(dest / "checkpoints")
    out = dest / "checkpoints" / str(step)
    out.mkdir(parents=True)
    for item in ITEMS:
        if (src / item).is_dir():
            shutil.copytree(src / item, out / item)
        elif (src / item).is_file():
            shutil.copy2(src / item, out / item)
    return out


def write_styles(kind, dest: pathlib.Path, n: int) -> list[str]:
    """The first line of each of n validation writers as styles/<font>-<k>.npz."""
    from seqgen.data import drawn, writers
    from seqgen.handwriting import styles

    kind.load_data()
    valid = kind.splits.valid
    folder = dest / "styles"
    if folder.exists():
        shutil.rmtree(folder)
    seen: set[str] = set()
    names, fonts = [], drawn.fonts_of(kind.config.data)
    for i, writer_id in enumerate(valid.writers):
        if len(names) == n:
            break
        if writer_id in seen or "-w" not in writer_id:
            continue
        seen.add(writer_id)
        w = writers.writer(kind.config.data.seed, writer_id, fonts)
        font_count = sum(name.startswith(w.font + "-") for name in names) + 1
        name = f"{w.font}-{font_count}"
        about = (f"{writer_id} (never trained on): {w.font}, "
                 f"{'joined' if w.style.cursive else 'print'}, slant "
                 f"{w.style.slant * 57.2958:.0f} deg, width x{w.style.aspect:.2f}")
        styles.save(styles.Style(name, valid.lines[i], valid.texts[i], about), folder)
        names.append(name)
    return names


def main() -> None:
    from seqgen.checkpoint import load_run_info
    from seqgen.kinds import load_trained
    from seqgen.kinds.base import Writer

    config, _, step = load_run_info(FLAGS.workdir, FLAGS.step)
    dest = pathlib.Path(FLAGS.dest) / FLAGS.name
    out = copy_checkpoint(FLAGS.workdir, step, dest)
    print(f"copied step {step} of {FLAGS.workdir} ({config.kind}) to {out}")
    kind = load_trained(str(dest)).kind
    if isinstance(kind, Writer) and FLAGS.styles:  # a writer: its styles too
        names = write_styles(kind, dest, FLAGS.styles)
        print(f"wrote {len(names)} styles: {', '.join(names)}")
    metrics = measure.record(dest)  # what seqgen.pretrained.check compares against
    print(f"check.json: {metrics}")
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    print(f"{dest}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
