"""A contact sheet of styles kept: for each style, the line it primes with
(a writer the model never trained on) and the model's own line under it.

  python -m tools.style_sheet --styles=0,1,2,3,4,5 --text="seqgen writes like you" \
      --out=docs/writer_styles.png
  python -m tools.style_sheet --workdir=RUN --styles=0,1 --out=sheet.png

With no --workdir the shipped writer (seqgen/pretrained) writes. Every pair
is captioned with the style's name and where it comes from; the written
line also with what the recogniser read (--recogniser, default the shipped
one), so slant, width and joins can be compared by eye and the reading by
number. A docs tool, run from a clone.
"""

from __future__ import annotations

from absl import flags

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.config.handwriting import BIAS, check_bias

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "A synthesis run (default: the shipped writer).")
    flags.DEFINE_string("recogniser", None, "A recognition run (default: the shipped one).")
    flags.DEFINE_list("styles", ["0", "1", "2", "3"], "Styles by name or number.")
    flags.DEFINE_string("text", "seqgen writes in your hand", "What every style writes.")
    flags.DEFINE_float("bias", BIAS, "Sampling bias (Graves eq. 61).")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_string("out", "styles.png", "Output file; .svg and .png are written.")


RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "recogniser": fc.optional(fc.trained_workdir),
    "styles": lambda v: None if v else "give styles by name or number, e.g. 0,1,2",
    "text": fc.non_empty("the text every style writes"),
    "bias": check_bias,
    "seed": fc.at_least(0),
    "out": fc.out_file(),
}


def main() -> None:
    import jax

    from seqgen import pretrained
    from seqgen.handwriting import render, styles
    from seqgen.kinds import load_trained

    model_dir = pretrained.resolve(FLAGS.workdir, None, "write")
    writer = load_trained(model_dir)
    reader = load_trained(pretrained.resolve(FLAGS.recogniser, None, "read"))
    chosen = [styles.find(s, model_dir) for s in FLAGS.styles]
    lines, captions = [], []
    for i, style in enumerate(chosen):
        out = writer.kind.write(writer.model, [FLAGS.text], FLAGS.bias,
                                jax.random.key(FLAGS.seed + i),
                                (style.line_Tx3, style.text))
        (read,) = reader.kind.read(reader.model, out["lines"])
        lines += [style.line_Tx3, out["lines"][0]]
        captions += [f"{style.name} ({style.about}): primed with this line",
                     f"... and wrote: {FLAGS.text!r} | read back: {read!r}"]
    svg, png = render.save_lines(FLAGS.out, lines, captions, line_height=48)
    print(f"wrote {svg} and {png}")


if __name__ == "__main__":
    _define_flags()
    preamble.run(main, RULES)
