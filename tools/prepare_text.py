"""The held-out texts of benchmarks.recipe, made from Debian packages.

  apt-get install bible-kjv dict-devil         # once (bible-kjv pulls bible-kjv-text)
  python -m tools.prepare_text --source=kjv --out=kjv.txt
  python -m tools.prepare_text --source=devil --out=devil.txt
  python -m benchmarks.recipe --text=kjv.txt --minutes=3

configs/default.py's recipe (forget-gate bias, peak rate) was chosen on the
embedded Shakespeare's validation split, the split benchmarks.recipe reports
for it; these two public-domain texts were never used to choose anything, so
the recipe's lead over the PyTorch baseline is measured fairly only on them.
Neither is shipped: both are rebuilt here, byte for byte, from the packages.

- kjv: the King James Bible (Debian's bible-kjv-text, read through its
  `bible` program), Genesis to Revelation with the chapter headings kept
  and the verse numbers stripped, cut to its first 1,050,000 characters
  (945k train, 52.5k valid, 52.5k test by the text_file split).
- devil: Ambrose Bierce's The Devil's Dictionary (1911; Debian's
  dict-devil), the whole book (383,157 characters) without the dictd
  headers and the packager's notice.
"""

from __future__ import annotations

import gzip
import pathlib
import re
import subprocess

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS
KJV_CHARS = 1_050_000
DEVIL_DICT = pathlib.Path("/usr/share/dictd/devil.dict.dz")
SOURCES = ("kjv", "devil")


def _define_flags() -> None:
    flags.DEFINE_enum("source", None, list(SOURCES), "Which text.")
    flags.DEFINE_string("out", None, "Where to write it (UTF-8).")


def kjv() -> str:
    try:
        raw = subprocess.run(["bible", "-l0", "Gen1:1-Rev22:21"], check=True,
                             capture_output=True, text=True).stdout
    except FileNotFoundError:
        raise UserError("`bible` is missing: apt-get install bible-kjv") from None
    # "  12 And God said, ..." -> "And God said, ..."; "Genesis 1" headings stay.
    text = re.sub(r"(?m)^ *\d+ ", "", raw).lstrip("\n")
    return text[:KJV_CHARS]


def devil() -> str:
    if not DEVIL_DICT.exists():
        raise UserError(f"{DEVIL_DICT} is missing: apt-get install dict-devil")
    raw = gzip.decompress(DEVIL_DICT.read_bytes()).decode("utf-8")
    # dictfmt's header entries and Debian's note come before the book's title page;
    # dictfmt appends a line of the alphabet after the last entry.
    start = raw.index("            The Internet Wiretap 1st Online Edition")
    body = raw[start:].rstrip()
    if body.endswith("abcdefghijklmnopqrstuvwxyz"):
        body = body[:body.rindex("\n")]
    return body.rstrip() + "\n"


RULES = {"source": fc.one_of(*SOURCES), "out": fc.out_file()}


def main() -> None:
    text = {"kjv": kjv, "devil": devil}[FLAGS.source]()
    pathlib.Path(FLAGS.out).write_text(text, encoding="utf-8")
    print(f"wrote {len(text):,} characters to {FLAGS.out}")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES, cache=False)
