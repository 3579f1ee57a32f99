"""Where a run's CER against training steps would reach 10% and 5% if its
last stretch's trend held: docs/writer.md's extrapolation for the shipped writer.

  python -m tools.cer_trend --points=2500:0.296,4000:0.197      # docs/writer.md's numbers
  python -m tools.cer_trend --curve=curve.json --last=1500      # seqgen.legibility_curve's

The trend is a straight line through log CER over the checkpoints of the
last --last steps (least squares; two checkpoints make it the line through
both). It says nothing about a schedule that has already decayed, which is
why docs/writer.md gives it as "if the trend held".
"""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("curve", "", "seqgen.legibility_curve's <out>.json.")
    flags.DEFINE_list("points", [], "Or step:cer pairs, e.g. 2500:0.296,4000:0.197.")
    flags.DEFINE_integer("last", 1500, "Fit over the checkpoints of the last this many steps.")
    flags.DEFINE_list("targets", ["0.10", "0.05"], "CERs to reach.")


def trend(points: list[tuple[int, float]], last: int) -> tuple[float, float, int]:
    """(log CER change per step, fitted log CER at the last step, that step)."""
    end = max(s for s, _ in points)
    fit = [(s, math.log(c)) for s, c in points if s >= end - last]
    if len(fit) < 2:
        raise ValueError(f"fewer than two checkpoints in the last {last} steps")
    slope, intercept = np.polyfit([s for s, _ in fit], [y for _, y in fit], 1)
    return float(slope), float(intercept + slope * end), end


RULES = {"last": fc.at_least(1), "curve": fc.anything, "points": fc.anything,
         "targets": fc.anything}


def main() -> None:
    if FLAGS.curve:
        d = json.loads(pathlib.Path(FLAGS.curve).read_text())
        points = [(int(p["step"]), float(p["cer"])) for p in d["points"]]
    elif FLAGS.points:
        points = [(int(s), float(c)) for s, c in (p.split(":") for p in FLAGS.points)]
    else:
        raise UserError("give --curve=FILE or --points=STEP:CER,...")
    slope, at_end, end = trend(points, FLAGS.last)
    print(f"log CER over steps {end - FLAGS.last}-{end}: x{math.exp(slope * FLAGS.last):.2f} "
          f"per {FLAGS.last:,} steps; fitted CER at step {end:,}: {math.exp(at_end):.1%}")
    for target in map(float, FLAGS.targets):
        if slope >= 0:
            print(f"{target:.0%}: never (CER is not falling)")
            continue
        more = (math.log(target) - at_end) / slope
        print(f"{target:.0%}: about {more:,.0f} more steps (step {end + more:,.0f})")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES, cache=False)
