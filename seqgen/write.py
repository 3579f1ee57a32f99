"""Write text by hand with a trained synthesis model (Graves §5).

  python -m seqgen.write --workdir=/tmp/seqgen/synthesis \
      --text="Hello world\\nsecond line" --bias=0.75 --out=page.svg [--style=3] [--plot]

Writes page.svg and page.png (and the strokes as page.npz, which
seqgen.read reads): one handwritten line per line of text (long
paragraphs are wrapped at --wrap characters, like the training lines), all
lines in one batched, jitted sampling call. --bias sharpens the mixture
(Graves eqs. 61-62: 0 = the model's own variety, ~1 = neat). --style=N primes
the network with validation line N (its strokes and text) so the page takes
that writer's style (Graves §5.3); --style_font=NAME draws that line's text
in a single-line font of seqgen.data.drawn.FONTS instead, e.g. one the
model never trained on. --plot also writes, per line, the window
weights over (character, time) above the strokes and the kappa trajectory.
Characters never seen in training fall back as seqgen/data/transcripts.py
documents, with a warning; characters with no fallback are a one-line error.
"""

from __future__ import annotations

import pathlib
import sys
import textwrap

import jax
import numpy as np
from absl import app, flags, logging

from seqgen import flag_checks as fc
from seqgen.data.fonts import FONTS

MAX_CHARS = 2000  # a page, not a book: the sampler's memory grows with the text

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Workdir of a trained synthesis run.")
    flags.DEFINE_string("text", None, "Text to write; newlines (or a literal \\n) "
                        "start new lines.")
    flags.DEFINE_float("bias", 0.75, "Sampling bias b >= 0 (Graves eqs. 61-62).")
    flags.DEFINE_integer("style", None, "Prime with this validation line's style.")
    flags.DEFINE_string("style_font", None, "Prime with the --style line's text (default "
                        "line 0) drawn in this font of seqgen.data.drawn.FONTS.")
    flags.DEFINE_string("out", "page.svg", "Output file; .svg and .png are written.")
    flags.DEFINE_integer("wrap", 40, "Wrap paragraphs at this many characters.")
    flags.DEFINE_bool("plot", False, "Also write alignment and kappa plots per line.")
    flags.DEFINE_bool("captions", False, "Print the asked text under each line.")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")


# Every flag's check (seqgen/flag_checks.py); the text's own limits are checked
# against the model's alphabet in main().
RULES = {
    "workdir": fc.trained_workdir,
    "text": fc.non_empty("the text to write, e.g. --text='hello world'"),
    "bias": fc.between(0.0, 100.0, "Graves' sampling bias, 0 = none; 0.75 is tidy"),
    "style": fc.optional(fc.at_least(0, "a validation line's index")),
    "style_font": fc.optional(fc.one_of(*FONTS)),
    "out": fc.out_file(),
    "wrap": fc.between(1, MAX_CHARS, "characters per written line"),
    "plot": fc.anything,
    "captions": fc.anything,
    "seed": fc.at_least(0),
    "step": fc.optional(fc.at_least(0, "a checkpoint step; leave out for the newest")),
}


def split_lines(text: str, wrap: int) -> list[str]:
    """Paragraphs (newline-separated) wrapped at `wrap` characters."""
    from seqgen.errors import UserError

    text = text.replace("\\n", "\n")
    if not text.strip():
        raise UserError("--text is empty; give the text to write")
    if len(text) > MAX_CHARS:
        raise UserError(f"--text has {len(text)} characters; write at most {MAX_CHARS} "
                        "at a time")
    lines = []
    for paragraph in text.split("\n"):
        # A word longer than `wrap` stays whole: the model writes any length.
        lines += textwrap.wrap(paragraph, wrap, break_long_words=False) \
            if paragraph.strip() else []
    return lines


def main(argv):
    del argv
    from seqgen import render
    from seqgen.console import busy, quiet_console

    quiet_console()
    from seqgen.data import drawn, ink, strokes
    from seqgen.errors import UserError
    from seqgen.kinds.base import Writer
    from seqgen.trained import load_trained

    try:
        fc.check(RULES, FLAGS.flag_values_dict())
        kind, model, config, _ = load_trained(FLAGS.workdir, FLAGS.step)
        if not isinstance(kind, Writer):
            raise UserError(f"{FLAGS.workdir} holds a {config.kind!r} model, which does not "
                            "write given text; train a synthesis run (configs/synthesis.py)")
        texts = split_lines(FLAGS.text, FLAGS.wrap)
        prime = None
        if FLAGS.style is not None or FLAGS.style_font:
            prime = kind.style_line(FLAGS.style or 0)
            if FLAGS.style_font:
                if FLAGS.style_font not in drawn.FONTS:
                    raise UserError(f"--style_font={FLAGS.style_font!r} is unknown; use one "
                                    f"of {', '.join(drawn.FONTS)}")
                density = config.data.get("points_per_char", drawn.TARGET_POINTS_PER_CHAR)
                text = prime[1]
                prime = (drawn.draw_line(text, FLAGS.style_font,
                                         np.random.default_rng(FLAGS.seed), density), text)
        with busy(f"writing {len(texts)} line(s)"):
            written = kind.write(model, texts, FLAGS.bias, jax.random.key(FLAGS.seed), prime)
    except UserError as e:
        sys.exit(f"FATAL {e}")

    out = pathlib.Path(FLAGS.out)
    svg, png = render.save_lines(out.with_suffix(""), written["lines"],
                                 texts if FLAGS.captions else None)
    # The strokes themselves, for seqgen.read and your own analysis.
    npz = ink.save_npz(out.with_suffix(".npz"), written["lines"], texts)
    for i, text in enumerate(texts):
        done = "stop rule" if written["stopped"][i] else "length cap"
        logging.info("line %d: %d points (%s) %r", i, int(written["length"][i]), done, text)
        if FLAGS.plot:
            from seqgen import plots  # matplotlib: ~1 s to import, only for --plot

            n = int(written["length"][i])
            first = len(prime[1]) + 1 if prime else 0
            u = first + len(kind.alphabet.encode(text))
            stem = out.with_suffix("")
            phi = np.asarray(written["phi"][i, :n, :u + 1])
            full = (prime[1] + " " if prime else "") + text
            skip = 0 if prime else 1  # an unprimed line starts with the origin row
            line = written["lines"][i][skip:skip + n] if n else written["lines"][i]
            plots.alignment(phi, full, points_Tx2=strokes.to_absolute(line),
                            eos_T=line[:, 2], path=f"{stem}_align_{i}.png")
            plots.kappa(np.asarray(written["kappa"][i, :n]), u, path=f"{stem}_kappa_{i}.png")
    print(f"wrote {len(texts)} lines to {svg}, {png} and {npz}; the stop rule fired on "
          f"{int(np.sum(written['stopped']))} of {len(texts)}")


if __name__ == "__main__":
    _define_flags()
    app.run(main, flags_parser=fc.parse_absl_flags)
