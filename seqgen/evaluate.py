"""Static and dynamic evaluation: the passes train.py runs at every
evaluation, and the command line for a trained run.

  python -m seqgen.evaluate --workdir=/tmp/seqgen/default --split=test --dynamic
  python -m seqgen.evaluate --workdir=DIR --dynamic --method=rms --lr=1e-4 --decay=0.02

Static: the checkpoint's parameters score the whole split once, state
carried from segment to segment (as at the end of training).

Dynamic (Graves 2013 §3.1-3.2): the network keeps adapting to the data as
it is evaluated. Each segment (a truncated-BPTT window of every stream for
text, a batch of lines for handwriting) is scored first, with the
parameters as they are; then one gradient step is taken on that same
segment. A symbol is therefore always scored by parameters that have seen
only what came before it (tests/evaluate_test.py checks this causality).
  sgd  (Graves): w <- w - lr * g
  rms  (Krause et al. 2018, "Dynamic evaluation of neural sequence models"):
       w <- w - lr * g / (sqrt(ms) + eps) + decay * r * (w0 - w), where ms is
       the mean squared gradient over --ms_batches training segments, w0 the
       trained weights, and r = sqrt(ms) / mean(sqrt(ms)) clipped to 1 / decay,
       so that weights that move a lot in training decay back faster.

Prints the static and dynamic metrics side by side (text: BPC, perplexity
per symbol, next-symbol error %; handwriting: nats per point and per line,
SSE) and writes them as JSON (--out) and as a markdown table beside it
(the same name, .md). One device; evaluation is cheap next
to training.

Dimension letters: B streams or lines, T segment length.
"""

from __future__ import annotations

import functools
import json
import math
import pathlib
import sys
import time
from collections.abc import Callable, Iterable

import jax
import jax.numpy as jnp
from absl import app, flags
from flax import nnx

from seqgen import flag_checks as fc
from seqgen import parallel, steps
from seqgen.console import progress
from seqgen.errors import UserError
from seqgen.kinds import base as kinds_base

METHODS = ("sgd", "rms")
# Best of a few on configs/default.py (800 steps), test split: sgd 1e-3..0.3,
# rms 1e-5..1e-3 (README). The loss is a mean per symbol, so these are ~N
# times Graves' rates for a summed loss over N symbols.
DEFAULT_LR = {"sgd": 0.1, "rms": 1e-4}
EPS = 1e-8


def static_step(graphdef, kind, mesh) -> Callable:
    """steps.eval_step jitted for `mesh`: the carry stays sharded along the
    batch, the sums come back replicated so every process can read them."""
    return jax.jit(functools.partial(steps.eval_step, graphdef, kind),
                   out_shardings=(parallel.batch_sharded(mesh), parallel.replicated(mesh)))


def static(kind, jitted_step: Callable, graphdef, params, split: str, batch_size: int,
           mesh) -> dict[str, float]:
    """One pass over a whole split, state carried from window to window, every
    process feeding its own rows; the kind's metrics of the summed sums."""
    carry = parallel.shard_like(nnx.merge(graphdef, params).init_carry(batch_size),
                                parallel.batch_sharded(mesh))
    totals, pending = None, None
    batches = kind.eval_batches(split, batch_size, jax.process_index(), jax.process_count())
    for local in progress(batches, f"{split} pass", unit="batch",
                          enabled=jax.process_index() == 0):
        carry, sums = jitted_step(params, carry, parallel.global_batch(local, mesh))
        # The previous window's sums are read while this one runs, and summed
        # on the host: the loop stays one window ahead of the devices. See
        # parallel.fold_late for why it must not run further ahead.
        totals = parallel.fold_late(totals, pending)
        pending = sums
    return kind.report(parallel.fold_late(totals, pending))


def _loss(graphdef, kind, params, carry, batch):
    model = nnx.merge(graphdef, params)
    carry = steps.reset_rows(carry, model.init_carry(batch["reset"].shape[0]),
                             batch["reset"])
    return kind.loss_fn(model, carry, batch)


def _dynamic_step(graphdef, kind, method, params, params0, ms, carry, batch, lr, decay):
    """Score the segment with `params`, then adapt them to it."""
    (_, (sums, carry)), g = jax.value_and_grad(
        functools.partial(_loss, graphdef, kind), has_aux=True)(params, carry, batch)
    if method == "sgd":
        params = jax.tree.map(lambda w, d: w - lr * d, params, g)
    else:
        rms = jax.tree.map(lambda m: jnp.sqrt(m), ms)
        mean_rms = sum(jnp.sum(r) for r in jax.tree.leaves(rms)) / sum(
            r.size for r in jax.tree.leaves(rms))
        params = jax.tree.map(
            lambda w, d, r, w0: w - lr * d / (r + EPS)
            + decay * jnp.minimum(r / mean_rms, 1.0 / jnp.maximum(decay, EPS)) * (w0 - w),
            params, g, rms, params0)
    return params, carry, sums


def _mean_square_grads(graphdef, kind, params, batches: Iterable[dict]):
    grad = jax.jit(jax.grad(lambda p, c, b: _loss(graphdef, kind, p, c, b)[0]))
    total, n = None, 0
    for batch in progress(batches, "mean square gradients", unit="batch"):
        carry = nnx.merge(graphdef, params).init_carry(batch["reset"].shape[0])
        g = grad(params, carry, batch)
        sq = jax.tree.map(jnp.square, g)
        total = sq if total is None else jax.tree.map(jnp.add, total, sq)
        n += 1
    return jax.tree.map(lambda t: t / max(n, 1), total)


def run(kind, graphdef, params, batches: Iterable[dict], batch_size: int, *,
        dynamic: bool = False, method: str = "sgd", lr: float = 1e-4, decay: float = 0.0,
        ms=None) -> tuple[dict, list[dict]]:
    """(summed sums, per-segment sums) over `batches`; see the module docstring."""
    if method not in METHODS:
        raise UserError(f"--method={method!r}: use one of {METHODS}")
    carry = nnx.merge(graphdef, params).init_carry(batch_size)
    if dynamic:
        step = jax.jit(functools.partial(_dynamic_step, graphdef, kind, method))
        params0 = params
        ms = ms if ms is not None else jax.tree.map(jnp.ones_like, params)
    else:
        step = jax.jit(functools.partial(steps.eval_step, graphdef, kind))
    totals, segments = None, []
    for batch in progress(batches, "dynamic evaluation" if dynamic else "static evaluation",
                          unit="segment"):
        batch = jax.tree.map(jnp.asarray, batch)
        if dynamic:
            params, carry, sums = step(params, params0, ms, carry, batch,
                                       jnp.float32(lr), jnp.float32(decay))
        else:
            carry, sums = step(params, carry, batch)
        segments.append(sums)
        totals = sums if totals is None else jax.tree.map(jnp.add, totals, sums)
    return jax.device_get(totals), jax.device_get(segments)


def with_perplexity(metrics: dict) -> dict:
    """Adds per-symbol perplexity where the kind reports nats per symbol."""
    if "nats" in metrics:
        metrics = {**metrics, "perplexity": math.exp(metrics["nats"])}
    return metrics


# -- CLI ----------------------------------------------------------------------

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


# Every flag's check (seqgen/flag_checks.py).
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


def main(argv):
    del argv
    from seqgen.console import quiet_console  # noqa: PLC0415
    from seqgen.trained import load_trained  # noqa: PLC0415

    quiet_console()
    try:
        fc.check(RULES, FLAGS.flag_values_dict())
        kind, model, config, step = load_trained(FLAGS.workdir, FLAGS.step)
        kind.load_data()
        graphdef, params = nnx.split(model, nnx.Param)
        b = FLAGS.batch_size or config.eval_batch_size
        report = {"workdir": FLAGS.workdir, "step": step, "split": FLAGS.split}
        t = time.time()
        sums, _ = run(kind, graphdef, params, kind.eval_batches(FLAGS.split, b, 0, 1), b)
        report["static"] = with_perplexity(kind.report(sums))
        if isinstance(kind, kinds_base.Reader):  # a recogniser: CER / WER too
            report["static"].update(kind.read_metrics(model, FLAGS.split))
        report["static_seconds"] = round(time.time() - t, 1)
        if FLAGS.dynamic:
            lr = DEFAULT_LR[FLAGS.method] if FLAGS.lr is None else FLAGS.lr
            ms = None
            if FLAGS.method == "rms":
                train = (kind.train_batch(i, 0, 1) for i in range(FLAGS.ms_batches))
                ms = _mean_square_grads(graphdef, kind, params,
                                        (jax.tree.map(jnp.asarray, x) for x in train))
            t = time.time()
            sums, _ = run(kind, graphdef, params, kind.eval_batches(FLAGS.split, b, 0, 1), b,
                          dynamic=True, method=FLAGS.method, lr=lr,
                          decay=FLAGS.decay, ms=ms)
            report["dynamic"] = with_perplexity(kind.report(sums))
            report["dynamic_seconds"] = round(time.time() - t, 1)
            report["dynamic_settings"] = {"method": FLAGS.method, "lr": lr,
                                          "decay": FLAGS.decay}
    except UserError as e:
        sys.exit(f"FATAL {e}")
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
    app.run(main, flags_parser=fc.parse_absl_flags)
