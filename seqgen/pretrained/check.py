"""Check the shipped models against the numbers their cards state.

  python -m seqgen.pretrained.check              # every shipped model
  python -m seqgen.pretrained.check --model=writer

Each shipped folder's check.json holds the metrics of the model's first
CHECK_BATCHES validation batches of CHECK_BATCH lines (text: windows), as
measured when it was exported. This loads the model the way the commands
do (from the installed package), prepares the data (the embedded sets: a
few seconds, no network), measures the same batches and fails when a
metric is off by more than TOLERANCE (relative): the weights, the data
pipeline or the network's code changed under the card. Floating-point
sums differ a little between machines; 1% is far above that and far
below what a wrong weight or a changed data pipeline does.
"""

from __future__ import annotations

import itertools
import json
import pathlib
import sys

from absl import app, flags

from seqgen import flag_checks as fc
from seqgen import pretrained

FLAGS = flags.FLAGS
CHECK_BATCHES = 2
CHECK_BATCH = 16
TOLERANCE = 0.01
CHECK_FILE = "check.json"


def measure(workdir: str) -> dict[str, float]:
    """The kind's metrics on the first validation batches of `workdir`'s data."""
    from flax import nnx  # noqa: PLC0415

    from seqgen import evaluate  # noqa: PLC0415
    from seqgen.trained import load_trained  # noqa: PLC0415

    kind, model, _, _ = load_trained(workdir)
    kind.load_data()
    graphdef, params = nnx.split(model, nnx.Param)
    batches = itertools.islice(kind.eval_batches("valid", CHECK_BATCH, 0, 1), CHECK_BATCHES)
    sums, _ = evaluate.run(kind, graphdef, params, batches, CHECK_BATCH)
    return {k: float(v) for k, v in kind.report(sums).items()}


def record(folder: pathlib.Path) -> dict[str, float]:
    """Measures and writes folder/check.json (at export)."""
    metrics = measure(str(folder))
    (folder / CHECK_FILE).write_text(json.dumps(
        {"batches": CHECK_BATCHES, "batch": CHECK_BATCH, "split": "valid",
         "metrics": metrics}, indent=2) + "\n")
    return metrics


def compare(name: str) -> list[str]:
    """What is off in shipped model `name` (empty: it matches its card)."""
    folder = pretrained.path(name)
    want = json.loads((folder / CHECK_FILE).read_text())["metrics"]
    got = measure(str(folder))
    lines = []
    for k, v in want.items():
        if k in got and abs(got[k] - v) <= TOLERANCE * max(abs(v), 1e-6):
            lines.append(f"{name}: {k} = {got[k]:.4g} (card {v:.4g}) ok")
        else:
            lines.append(f"{name}: {k} = {got.get(k)} but the card says {v} (tolerance "
                         f"{TOLERANCE:.0%})")
    return lines


def main(argv):
    del argv
    from seqgen.console import quiet_console  # noqa: PLC0415
    from seqgen.errors import UserError  # noqa: PLC0415

    quiet_console()
    try:
        fc.check(RULES, FLAGS.flag_values_dict())
        names = [FLAGS.model] if FLAGS.model else pretrained.names()
        if not names:
            raise UserError("no shipped models in this install (seqgen/pretrained is empty)")
        lines = [line for name in names for line in compare(name)]
    except UserError as e:
        sys.exit(f"FATAL {e}")
    print("\n".join(lines))
    bad = [line for line in lines if not line.endswith(" ok")]
    if bad:
        sys.exit(f"FATAL {len(bad)} metric(s) off the cards")


def _define_flags() -> None:
    flags.DEFINE_string("model", None, "One shipped model (default: all).")


RULES = {"model": fc.anything}  # checked against the store in seqgen.pretrained.path


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
