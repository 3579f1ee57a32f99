"""`python -m seqgen.sample`: samples from a trained text or handwriting model.

  python -m seqgen.sample --prime="ROMEO:" --length=500 --temperature=0.8
  python -m seqgen.sample --workdir=DIR --prime="ROMEO:" --length=500
  python -m seqgen.sample --workdir=DIR --num=8 --bias=0.5 --out=lines.svg

With no --workdir, the shipped Shakespeare model samples (seqgen/pretrained;
--model=NAME picks another shipped model). What is sampled and written is
the kind's (`Kind.sample_command`): text prints the prime and its
continuations; handwriting writes lines as SVG and PNG. The scans
themselves are in seqgen/models/generate.py.
"""

from __future__ import annotations

from absl import flags

from seqgen import pretrained
from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.command.console import busy
from seqgen.config.handwriting import BIAS, check_bias
from seqgen.kinds import load_trained

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Training workdir holding checkpoints/ "
                        "(default: the shipped Shakespeare model).")
    flags.DEFINE_string("model", None, "A shipped model by name (seqgen/pretrained).")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")
    flags.DEFINE_integer("num", 1, "Samples, generated in one batch.")
    flags.DEFINE_integer("length", None, "Symbols (text) or points (handwriting) to "
                         "generate; default: the config's sample.length.")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("prime", "", "Text: the text to continue ('' = a newline).")
    flags.DEFINE_float("temperature", 1.0, "Text: softmax temperature; 0 = greedy.")
    flags.DEFINE_float("bias", BIAS, "Handwriting: sampling bias b (Graves eqs. 61-62).")
    flags.DEFINE_string("out", "", "Handwriting: output file; .svg and .png are written.")


# Every flag's check (seqgen/command/flag_checks.py); the sizes cap what one batch can hold.
RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "model": fc.anything,  # checked against the store in seqgen.pretrained.path
    "step": fc.optional(fc.at_least(0, "a checkpoint step; leave out for the newest")),
    "num": fc.between(1, 4096, "samples in one batch"),
    "length": fc.optional(fc.between(1, 1_000_000, "symbols or points; leave out for the "
                                                   "config's sample.length")),
    "seed": fc.at_least(0),
    "prime": fc.anything,  # the kind checks its symbols against the vocabulary
    "temperature": fc.between(0.0, 100.0, "0 = greedy, 1 = the model's distribution"),
    "bias": check_bias,
    "out": fc.out_file(empty_ok=True),
}


def main() -> None:
    opts = {k: FLAGS[k].value for k in ("num", "length", "seed", "prime", "temperature",
                                          "bias", "out")}
    workdir = pretrained.resolve(FLAGS.workdir, FLAGS.model, "sample")
    kind, model, _, _ = load_trained(workdir, FLAGS.step)
    with busy(f"sampling {opts['num']} sequence(s)"):
        shown = kind.sample_command(model, opts)
    print(shown)


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
