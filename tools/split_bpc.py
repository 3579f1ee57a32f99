"""A text run's static BPC on slices of its training text beside its whole
validation split: how much of the validation loss is new text rather than
a fault in evaluation.

  python -m tools.split_bpc                                   # the shipped Shakespeare model
  python -m tools.split_bpc --workdir=/tmp/seqgen/default --chars=50000 --slices=5

Cuts --slices slices of --chars contiguous characters, evenly spaced, out
of the training split and scores each as seqgen.evaluate scores a split
(seqgen.evaluate.run: state carried from window to window, eval_batch_size
streams), then the whole validation split the same way. Prints the BPC of
each and their range. Scoring text the model trained on is a check of the
evaluation, never a result; seqgen.evaluate only scores valid and test.
"""

from __future__ import annotations

import sys

import numpy as np
from absl import app, flags

from seqgen import flag_checks as fc

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "A text run (default: the shipped Shakespeare model).")
    flags.DEFINE_integer("chars", 50_000, "Characters per slice of the training text.")
    flags.DEFINE_integer("slices", 5, "Slices, evenly spaced over the training text.")


RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "chars": fc.between(1_000, 10_000_000, "characters per slice"),
    "slices": fc.between(1, 1_000, "slices of the training text"),
}


def main(argv):
    del argv
    from flax import nnx  # noqa: PLC0415

    from seqgen import evaluate, pretrained  # noqa: PLC0415
    from seqgen.console import quiet_console  # noqa: PLC0415
    from seqgen.data import tbptt  # noqa: PLC0415
    from seqgen.errors import UserError  # noqa: PLC0415
    from seqgen.trained import load_trained  # noqa: PLC0415

    quiet_console()
    try:
        fc.check(RULES, FLAGS.flag_values_dict())
        workdir = FLAGS.workdir or str(pretrained.path("shakespeare"))
        kind, model, config, step = load_trained(workdir)
        kind.load_data()
        if not hasattr(kind.splits, "train"):
            raise UserError(f"{workdir} is not a text run")
        graphdef, params = nnx.split(model, nnx.Param)
        B, T = config.eval_batch_size, config.seq_len

        def bpc(tokens: np.ndarray) -> float:
            sums, _ = evaluate.run(kind, graphdef, params,
                                   tbptt.eval_batches(tokens, B, T), B)
            return kind.report(sums)["bpc"]

        train = kind.splits.train
        if FLAGS.chars > len(train):
            raise UserError(f"--chars={FLAGS.chars} is more than the training split's "
                            f"{len(train):,} characters")
        starts = np.linspace(0, len(train) - FLAGS.chars, FLAGS.slices).astype(int)
        scores = []
        print(f"{workdir} @ step {step}, {FLAGS.chars:,}-character slices of "
              f"{len(train):,} training characters")
        for s in starts:
            scores.append(bpc(train[s:s + FLAGS.chars]))
            print(f"train [{s:,}, {s + FLAGS.chars:,}): {scores[-1]:.3f} BPC", flush=True)
        print(f"train slices: {min(scores):.3f}-{max(scores):.3f} BPC")
        print(f"valid, whole ({len(kind.splits.valid):,} characters): "
              f"{bpc(kind.splits.valid):.3f} BPC")
    except UserError as e:
        sys.exit(f"FATAL {e}")


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
