"""How legible a synthesis run's writing was at each of its checkpoints:
CER against training time.

  python -m seqgen.legibility_curve --workdir=/tmp/seqgen/writer \
      --recogniser=/tmp/seqgen/recognition_writers --num=50 --bias=1 --out=curve

For every kept checkpoint (or those in --steps), writes the first --num
test texts at --bias, unprimed, reads them back with the recogniser and
scores CER / WER (seqgen.legibility's read-back). Training time is the
checkpoint's commit time (orbax's _CHECKPOINT_METADATA) less the first
checkpoint's: wall minutes, including evaluations and whatever else shared
the machine. Prints a markdown table, the first checkpoint under 10% CER,
and writes <out>.json and <out>.png (plots.cer_over_training).
"""

from __future__ import annotations

import json
import pathlib

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.errors import UserError
from seqgen.config.handwriting import BIAS, check_bias

FLAGS = flags.FLAGS
THRESHOLD = 0.10


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Workdir of a synthesis run with kept checkpoints.")
    flags.DEFINE_string("recogniser", None, "Workdir of a trained recognition run.")
    flags.DEFINE_integer("num", 50, "Test texts written per checkpoint.")
    flags.DEFINE_float("bias", BIAS, "Sampling bias (Graves eq. 61).")
    flags.DEFINE_list("steps", [], "Checkpoint steps (default: every kept one).")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("out", "legibility_curve", "Output stem: .json and .png.")


def _steps(v) -> str | None:
    if any(not s.strip().isdigit() for s in v or []):
        return "use comma-separated checkpoint steps, e.g. 1000,2000"
    return None


RULES = {
    "workdir": fc.trained_workdir,
    "recogniser": fc.trained_workdir,
    "num": fc.between(1, 100_000, "texts per checkpoint"),
    "bias": check_bias,
    "steps": _steps,
    "seed": fc.at_least(0),
    "out": fc.out_file(),
}


def commit_seconds(workdir: str, step: int) -> float:
    """When orbax finished writing checkpoint `step` (seconds since the epoch)."""
    meta = pathlib.Path(workdir) / "checkpoints" / str(step) / "_CHECKPOINT_METADATA"
    d = json.loads(meta.read_text())
    return (d.get("commit_timestamp_nsecs") or d["init_timestamp_nsecs"]) / 1e9


def main() -> None:
    from seqgen.checkpoint import Checkpointer
    from seqgen.handwriting import (
        legibility,  # flags first, then JAX
        plots,
    )
    from seqgen.kinds import load_trained

    ckpt = Checkpointer(FLAGS.workdir, keep=1, every=1, read_only=True)
    kept = sorted(ckpt.manager.all_steps())
    ckpt.close()
    steps = [int(s) for s in FLAGS.steps] or kept
    missing = sorted(set(steps) - set(kept))
    if missing:
        raise UserError(f"--steps: no checkpoint for {missing}; kept: {kept}")
    reader, reader_model, _, _ = load_trained(FLAGS.recogniser)
    start = commit_seconds(FLAGS.workdir, kept[0])
    points = []
    texts = None
    for step in steps:
        writer, model, _, _ = load_trained(FLAGS.workdir, step)
        texts = texts or legibility.test_texts(writer, FLAGS.num)
        c = legibility.cell(writer, model, reader, reader_model, texts, FLAGS.bias, None,
                            FLAGS.seed)
        points.append({"step": step, "minutes": (commit_seconds(FLAGS.workdir, step)
                                                 - start) / 60,
                       "cer": c["cer"], "wer": c["wer"], "stop_rate": c["stop_rate"]})
        p = points[-1]
        print(f"| {step} | {p['minutes']:.0f} | {p['cer']:.1%} | {p['wer']:.1%} | "
              f"{p['stop_rate']:.0%} |", flush=True)
    first = next((p for p in points if p["cer"] < THRESHOLD), None)
    out = pathlib.Path(FLAGS.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(
        {"workdir": FLAGS.workdir, "recogniser": FLAGS.recogniser, "bias": FLAGS.bias,
         "texts": len(texts), "points": points,
         "first_under_10pct": first}, indent=2) + "\n")
    plots.cer_over_training(points, threshold=THRESHOLD, path=out.with_suffix(".png"),
                            title=f"{len(texts)} test texts, bias {FLAGS.bias:g}, unprimed")
    print("first checkpoint under 10% CER: " + (
        f"step {first['step']}, {first['minutes']:.0f} min" if first else "none"))
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
