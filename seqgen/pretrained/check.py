"""Check the shipped models against their cards.

  python -m seqgen.pretrained.check              # every shipped model
  python -m seqgen.pretrained.check --model=writer

Each model is loaded the way the commands load it, its data prepared (the
embedded sets: seconds, no network), and every number of its card's JSON
block that takes seconds to recompute, and every figure of its check.json,
measured again; one line a number says which, what was measured and what
was expected (seqgen/pretrained/measure.py says how and the tolerances).
A number off its card ends in a FATAL line.
"""

from __future__ import annotations

import sys

from absl import flags

from seqgen import pretrained
from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError
from seqgen.pretrained.measure import compare

FLAGS = flags.FLAGS

def main() -> None:
    names = [FLAGS.model] if FLAGS.model else pretrained.names()
    if not names:
        raise UserError("no shipped models in this install (seqgen/pretrained is empty)")
    lines = [line for name in names for line in compare(name)]
    print("\n".join(lines))
    bad = [line for line in lines if not line.endswith(" ok")]
    if bad:
        sys.exit(f"FATAL {len(bad)} number(s) off the cards or check.json")


def _define_flags() -> None:
    flags.DEFINE_string("model", None, "One shipped model (default: all).")


RULES = {"model": fc.anything}  # checked against the store in seqgen.pretrained.path


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
