"""The page by the shipped writer that the README shows (docs/writer_page.png),
and the recogniser's CER / WER on it.

  python -m tools.writer_page --bias=1             # docs/writer_page.png, prints CER / WER
  python -m tools.writer_page --seed=1 --out=page.png

Writes docs/page_text.txt (ten lines never used in any tuning) one line per
line, unprimed, at --bias (0.75; the page shown is bias 1), with a fixed seed
(seqgen.write, verified as it writes by default; --noverify writes once),
then reads the strokes back with the shipped judge (--grader) (seqgen.read,
which prints each line read and the page's CER and WER). Only
the PNG is kept; the SVG and the strokes go to a temporary folder. The same
seed on the same JAX version and CPU gives the same page. A docs tool, run
from a clone. """

from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import tempfile

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.config.handwriting import BIAS, check_bias

FLAGS = flags.FLAGS
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _define_flags() -> None:
    flags.DEFINE_string("text_file", str(ROOT / "docs" / "page_text.txt"),
                        "The page's text, one written line per line.")
    flags.DEFINE_float("bias", BIAS, "Sampling bias (Graves eq. 61).")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("out", str(ROOT / "docs" / "writer_page.png"), "The page, PNG.")
    flags.DEFINE_bool("verify", True, "Verified writing, as seqgen.write writes by default "
                      "(the product reader reads each line back; failures written again).")
    flags.DEFINE_string("grader", "judge", "The shipped reader that reads the page back: the "
                        "judge, which never saw the writer's hands (or reader, recogniser).")


RULES = {
    "text_file": fc.existing_file(),
    "bias": check_bias,
    "seed": fc.at_least(0),
    "out": fc.out_file(".png"),
    "grader": fc.one_of("judge", "reader", "recogniser"),
    "verify": fc.anything,
}


def main() -> None:
    text = pathlib.Path(FLAGS.text_file).read_text(encoding="utf-8").strip()
    longest = max(len(line) for line in text.splitlines())
    with tempfile.TemporaryDirectory() as tmp:
        page = pathlib.Path(tmp) / "page.svg"
        # --wrap at the longest line: every line of the file stays one written line.
        subprocess.run([sys.executable, "-m", "seqgen.write", f"--text={text}",
                        f"--bias={FLAGS.bias}", f"--seed={FLAGS.seed}",
                        f"--wrap={longest}", f"--out={page}",
                        "--verify" if FLAGS.verify else "--noverify"], check=True)
        shutil.copyfile(page.with_suffix(".png"), FLAGS.out)
        print(f"wrote {FLAGS.out}")
        subprocess.run([sys.executable, "-m", "seqgen.read", f"--model={FLAGS.grader}",
                        f"--strokes={page.with_suffix('.npz')}"], check=True)


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES, cache=False)
