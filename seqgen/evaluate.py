"""`python -m seqgen.evaluate`: static and dynamic evaluation of a trained run.

  python -m seqgen.evaluate --workdir=/tmp/seqgen/default --split=test --dynamic
  python -m seqgen.evaluate --workdir=DIR --dynamic --method=rms --lr=1e-4 --decay=0.02

Static: the checkpoint's parameters score the whole split once. Dynamic:
the network keeps adapting as it is evaluated, Graves' SGD or Krause et
al.'s RMS with decay to the trained weights (--ms_batches training segments
give the mean squares); the passes themselves are seqgen/eval_loops.py.

Prints the static and dynamic metrics side by side (text: BPC, perplexity
per symbol, next-symbol error %; handwriting: nats per point and per line,
SSE) and writes them as JSON (--out) and as a markdown table beside it
(the same name, .md). One device; evaluation is cheap next to training.
"""

from __future__ import annotations

import json
import pathlib
import time

import jax
import jax.numpy as jnp
from absl import flags
from flax import nnx

from seqgen import eval_loops
from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.eval_loops import DEFAULT_LR, METHODS
from seqgen.kinds import base as kinds_base

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Workdir of a trained run.")
    flags.DEFINE_string("split", "test", "valid | test | train (train: how closely the model "
                        "fits the text it learned from, beside what it never saw)")
    flags.DEFINE_bool("dynamic", False, "Also evaluate dynamically (adapting as it goes).")
    flags.DEFINE_enum("method", "sgd", list(METHODS), "Dynamic update: Graves' SGD or "
                      "Krause et al.'s RMS with decay to the trained weights.")
    flags.DEFINE_float("lr", None, "Dynamic evaluation learning rate, on the mean loss per "
                       f"symbol (default: {DEFAULT_LR}).")
    flags.DEFINE_float("decay", 0.0, "rms: decay rate toward the trained weights.")
    flags.DEFINE_integer("ms_batches", 20, "rms: training segments for the mean squares.")
    flags.DEFINE_integer("batch_size", None, "Streams (default: config.eval_batch_size).")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")
    flags.DEFINE_string("out", "", "JSON report path (default: <workdir>/eval_<split>.json).")


# Every flag's check (seqgen/command/flag_checks.py).
RULES = {
    "workdir": fc.trained_workdir,
    "split": fc.one_of("train", "valid", "test"),
    "dynamic": fc.anything,
    "method": fc.one_of(*METHODS),
    "lr": fc.optional(fc.between(1e-12, 10.0, "the dynamic step size; e.g. 1e-4")),
    "decay": fc.between(0.0, 1.0, "rms: pull toward the trained weights"),
    "ms_batches": fc.between(1, 100_000, "training segments for the mean squares"),
    "batch_size": fc.optional(fc.between(1, 65_536, "streams evaluated at once")),
    "step": fc.optional(fc.at_least(0, "a checkpoint step; leave out for the newest")),
    "out": fc.out_file(".json", empty_ok=True),
}


def main() -> None:
    from seqgen.kinds import load_trained

    kind, model, config, step = load_trained(FLAGS.workdir, FLAGS.step)
    kind.load_data()
    graphdef, params = nnx.split(model, nnx.Param)
    b = FLAGS.batch_size or config.eval_batch_size
    report = {"workdir": FLAGS.workdir, "step": step, "split": FLAGS.split}
    t = time.time()
    sums, _ = eval_loops.run(kind, graphdef, params, kind.eval_batches(FLAGS.split, b, 0, 1), b)
    report["static"] = eval_loops.with_perplexity(kind.report(sums))
    if isinstance(kind, kinds_base.Reader):  # a recogniser: CER / WER too
        report["static"].update(kind.read_metrics(model, FLAGS.split))
    report["static_seconds"] = round(time.time() - t, 1)
    if FLAGS.dynamic:
        lr = DEFAULT_LR[FLAGS.method] if FLAGS.lr is None else FLAGS.lr
        ms = None
        if FLAGS.method == "rms":
            train = (kind.train_batch(i, 0, 1) for i in range(FLAGS.ms_batches))
            ms = eval_loops.mean_square_grads(graphdef, kind, params,
                                              (jax.tree.map(jnp.asarray, x) for x in train))
        t = time.time()
        batches = kind.eval_batches(FLAGS.split, b, 0, 1)
        sums, _ = eval_loops.run(kind, graphdef, params, batches, b, dynamic=True,
                                 method=FLAGS.method, lr=lr, decay=FLAGS.decay, ms=ms)
        report["dynamic"] = eval_loops.with_perplexity(kind.report(sums))
        report["dynamic_seconds"] = round(time.time() - t, 1)
        report["dynamic_settings"] = {"method": FLAGS.method, "lr": lr,
                                      "decay": FLAGS.decay}
    out = pathlib.Path(FLAGS.out or pathlib.Path(FLAGS.workdir) / f"eval_{FLAGS.split}.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown_table(report)
    out.with_suffix(".md").write_text(table)
    print(table, end="")
    print(f"wrote {out} and {out.with_suffix('.md')}")


def markdown_table(report: dict) -> str:
    """The report as a markdown table: one row per metric, static beside dynamic."""
    columns = [c for c in ("static", "dynamic") if c in report]
    heads = [c if c == "static" else "dynamic ({method}, lr {lr:g}{d})".format(
        d=f", decay {report['dynamic_settings']['decay']:g}"
        if report["dynamic_settings"]["decay"] else "", **report["dynamic_settings"])
        for c in columns]
    lines = [f"| {report['split']} @ step {report['step']} | " + " | ".join(heads) + " |",
             "|---|" + "---|" * len(columns)]
    lines += [f"| {k} | " + " | ".join(f"{report[c][k]:.4f}" if k in report[c] else "-"
                                       for c in columns) + " |"
              for k in report["static"]]
    lines.append("| seconds | " + " | ".join(f"{report[c + '_seconds']:.1f}"
                                             for c in columns) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
