"""Write text by hand with a trained synthesis model (Graves §5).

  python -m seqgen.write --text="Hello world" --out=page.svg
  python -m seqgen.write --text="Hello world\\nsecond line" --style=ems_allure-1 --bias=1
  python -m seqgen.write --list-styles
  python -m seqgen.write --text="..." --style_file=mine.json --style_text="what I wrote" \
      --save_style=mine
  python -m seqgen.write --workdir=/tmp/seqgen/synthesis --text="..." [--plot]

With no --workdir the shipped writer writes (seqgen/pretrained; --model=NAME
picks another shipped model). Writes page.svg and page.png (single-line
paths, plotter friendly; --stroke_width, --line_height and --color style
them) and the strokes themselves as page.npz (seqgen.read reads it; or
--format=json: screen coordinates, y down; --format=npy: one (T, 3) array
of (dx, dy, eos) per line). One handwritten line per line of text (long
paragraphs are wrapped at --wrap characters, like the training lines), all
lines in one batched, jitted sampling call. --bias sharpens the mixture
(Graves eqs. 61-62: 0 = the model's own variety, ~1 = neat).

Styles (Graves §5.3: the network is primed with a line and its text):
--style=NAME or N picks a shipped or saved style (--list-styles); with a
--workdir that ships none, N is validation line N. --style_file=FILE
(JSON [x, y] or [x, y, t] strokes with y down, InkML, or .npy) with
--style_text primes with your own line, brought to the model's scale as
seqgen/handwriting/styles.py says; --save_style=NAME keeps it for later --style=NAME.
--style_font=NAME draws the style line's text in a single-line font of
seqgen.data.fonts.FONTS instead, e.g. one the model never trained on.
--plot also writes, per line, the window weights over (character, time)
above the strokes and the kappa trajectory. Characters never seen in
training fall back as seqgen/data/transcripts.py documents, with a warning;
characters with no fallback are a one-line error.
"""

from __future__ import annotations

import os
import pathlib
import sys

import jax
import numpy as np
from absl import flags, logging

from seqgen.command import flag_checks as fc
from seqgen.command import preamble
from seqgen.config.handwriting import BIAS, check_bias
from seqgen.data.fonts import FONTS
from seqgen.handwriting import page, verify

FORMATS = ("npz", "json", "npy")  # --format: how the strokes are saved beside the page

FLAGS = flags.FLAGS


def _define_flags() -> None:
    flags.DEFINE_string("workdir", None, "Workdir of a trained synthesis run "
                        "(default: the shipped writer).")
    flags.DEFINE_string("model", None, "A shipped model by name (seqgen/pretrained).")
    flags.DEFINE_bool("list-styles", False, "List the shipped and saved styles and stop.")
    flags.DEFINE_string("text", None, "Text to write; newlines (or a literal \\n) "
                        "start new lines.")
    flags.DEFINE_float("bias", BIAS, "Sampling bias b (Graves eqs. 61-62).")
    flags.DEFINE_string("style", None, "Prime with this style: a name or number from "
                        "--list-styles (a --workdir's own: validation line N).")
    flags.DEFINE_string("style_file", None, "Prime with your own line of ink "
                        "(.json, .inkml, .npy).")
    flags.DEFINE_string("style_text", None, "What the --style_file line says.")
    flags.DEFINE_string("save_style", None, "Keep the priming line as this style name.")
    flags.DEFINE_string("style_font", None, "Prime with the --style line's text (default "
                        "line 0) drawn in this font of seqgen.data.fonts.FONTS.")
    flags.DEFINE_string("out", "page.svg", "Output file; .svg and .png are written.")
    flags.DEFINE_enum("format", "npz", list(FORMATS), "The raw strokes beside the page: "
                      "npz (seqgen.read), json (screen coordinates) or npy (one per line).")
    flags.DEFINE_float("stroke_width", None, "Pen width in SVG units (default: line "
                       "height / 32).")
    flags.DEFINE_float("line_height", 64.0, "Height of a written line in SVG units (= PNG "
                       "pixels).")
    flags.DEFINE_string("color", "black", "Pen colour: a name or #rrggbb.")
    flags.DEFINE_integer("wrap", 40, "Wrap paragraphs at this many characters.")
    flags.DEFINE_bool("plot", False, "Also write alignment and kappa plots per line.")
    flags.DEFINE_bool("captions", False, "Print the asked text under each line.")
    flags.DEFINE_integer("seed", 0, "Sampling seed.")
    flags.DEFINE_integer("step", None, "Checkpoint step (default: the newest).")
    flags.DEFINE_bool("verify", True, "Read every line back with the product reader and "
                      "write again the lines that miss a word or read badly.")
    flags.DEFINE_integer("tries", verify.TRIES, "Rounds of writing with --verify: the page, then "
                         "candidates of the lines that failed.")
    flags.DEFINE_string("reader", None, "The reader that verifies (default: the shipped "
                        "reader).")


# Every flag's check (seqgen/command/flag_checks.py); the text's own limits are checked
# against the model's alphabet in main().
RULES = {
    "workdir": fc.optional(fc.trained_workdir),
    "model": fc.anything,  # checked against the store in seqgen.pretrained.path
    "list-styles": fc.anything,
    "text": fc.optional(fc.non_empty("the text to write, e.g. --text='hello world'")),
    "bias": check_bias,
    "style": fc.optional(fc.non_empty("a style's name or number (--list-styles)")),
    "style_file": fc.optional(fc.existing_file()),
    "style_text": fc.anything,  # checked with the ink (seqgen/handwriting/styles.py)
    "save_style": fc.anything,  # checked by seqgen.handwriting.styles.save
    "style_font": fc.optional(fc.one_of(*FONTS)),
    "out": fc.out_file(),
    "format": fc.one_of(*FORMATS),
    "stroke_width": fc.optional(fc.between(0.01, 1000.0, "SVG units")),
    "line_height": fc.between(1.0, 10_000.0, "SVG units"),
    "color": fc.non_empty("a colour name or #rrggbb"),
    "wrap": fc.between(1, page.MAX_CHARS, "characters per written line"),
    "plot": fc.anything,
    "captions": fc.anything,
    "seed": fc.at_least(0),
    "step": fc.optional(fc.at_least(0, "a checkpoint step; leave out for the newest")),
    "verify": fc.anything,
    "tries": fc.between(1, 10, "rounds of writing"),
    "reader": fc.optional(fc.trained_workdir),
}


def choose_prime(kind, model_dir: str, seed: int) -> tuple[np.ndarray, str] | None:
    """(line, text) the flags ask to prime with, or None."""
    from seqgen.command.errors import UserError
    from seqgen.data import drawn
    from seqgen.handwriting import styles

    if FLAGS.style_file and (FLAGS.style is not None or FLAGS.style_font):
        raise UserError("--style_file primes with your own line; leave out --style and "
                        "--style_font")
    if FLAGS.style_text and not FLAGS.style_file:
        raise UserError("--style_text says what a --style_file line says; give the file too")
    if FLAGS.style_file:
        line, text = styles.from_file(FLAGS.style_file, FLAGS.style_text)
        check_text(kind, text, "--style_text")
        return styles.fit(line, text, styles.scale_of(kind, model_dir),
                          f"--style_file={FLAGS.style_file}"), text
    if FLAGS.style is None and not FLAGS.style_font:
        return None
    spec = FLAGS.style or "0"
    if styles.shipped(model_dir) or not spec.isdigit():
        style = styles.find(spec, model_dir)
        prime = (style.line_Tx3, style.text)
    else:  # a run of your own: its validation lines are the styles
        prime = kind.style_line(int(spec))
    if FLAGS.style_font:  # a known font: RULES checked it
        density = kind.config.data.get("points_per_char", drawn.TARGET_POINTS_PER_CHAR)
        text = prime[1]
        prime = (drawn.draw_line(text, FLAGS.style_font,
                                 np.random.default_rng(seed), density), text)
    return prime


def check_text(kind, text: str, where: str) -> None:
    """Characters the model can write, with its fallbacks (a one-line error if not)."""
    from seqgen.command.errors import UserError
    from seqgen.data.transcripts import warn_fallbacks

    try:
        _, subs = kind.alphabet.encode_with_fallbacks(text, blank_ok=False)
    except UserError as e:
        raise UserError(f"{where}: {e}") from None
    if subs:
        warn_fallbacks(subs)


def main() -> None:
    from seqgen import pretrained
    from seqgen.command.console import busy
    from seqgen.command.errors import UserError
    from seqgen.command.phases import Phases
    from seqgen.data import strokes
    from seqgen.handwriting import ink, page_sizes, render, styles
    from seqgen.kinds import load_trained
    from seqgen.kinds.base import Writer

    phases = Phases()  # $SEQGEN_TIMINGS: where the cold start goes (benchmarks/wait.py)

    model_dir = pretrained.resolve(FLAGS.workdir, FLAGS.model, "write")
    if FLAGS["list-styles"].value:
        print(styles.listing(model_dir))
        return
    if FLAGS.text is None:
        raise UserError("--text is missing; give the text to write, e.g. "
                        "--text='hello world'")
    with phases.phase("restore"):
        kind, model, config, _ = load_trained(model_dir, FLAGS.step)
    if not isinstance(kind, Writer):
        raise UserError(f"{model_dir} holds a {config.kind!r} model, which does not "
                        "write given text; train a synthesis run (configs/synthesis.py)")
    texts = page.split_lines(FLAGS.text, FLAGS.wrap)
    check_text(kind, " ".join(texts), "--text")  # a character it cannot write: one line
    prime = choose_prime(kind, model_dir, FLAGS.seed)
    if FLAGS.save_style:
        if prime is None:
            raise UserError("--save_style keeps a priming line; give --style_file (or "
                            "--style) too")
        saved = styles.save(styles.Style(FLAGS.save_style, prime[0], prime[1],
                                         f"saved from {FLAGS.style_file or FLAGS.style}"))
        print(f"saved the style as {saved}; write with --style={FLAGS.save_style}")
    # Padded to the server's page sizes: one compiled sampler (and cache
    # entry) serves every text of a size (seqgen/handwriting/page_sizes.py),
    # and verification's retries, at most a page of rows, reuse it.
    write_rows, page_rows = page_sizes.page_writer(
        lambda rows, chars, key: kind.write(model, rows, FLAGS.bias, key, prime, chars=chars),
        texts)

    with busy(f"writing {len(texts)} line(s)"), phases.phase("sample"):
        if FLAGS.verify:
            reader_kind, reader_model, _, _ = load_trained(
                pretrained.resolve(FLAGS.reader, None, "read"))
            checked = verify.verified_write(
                write_rows, verify.reader(reader_kind, reader_model, kind.meta), texts,
                jax.random.key(FLAGS.seed), tries=FLAGS.tries, max_rows=page_rows)
            written = checked.written
        else:
            written = write_rows(texts, jax.random.key(FLAGS.seed))
    out = pathlib.Path(FLAGS.out)
    with phases.phase("render"):
        svg, png = render.save_lines(out.with_suffix(""), written["lines"],
                                     texts if FLAGS.captions else None,
                                     line_height=FLAGS.line_height,
                                     stroke_width=FLAGS.stroke_width, color=FLAGS.color,
                                     same_scale=True)
        raw = ink.save_lines(out, written["lines"], texts, FLAGS.format)

    for i, text in enumerate(texts):
        done = "stop rule" if written["stopped"][i] else "length cap"
        logging.info("line %d: %d points (%s) %r", i, int(written["length"][i]), done, text)
        if FLAGS.plot:
            from seqgen.handwriting import plots  # matplotlib: ~1 s to import, only for --plot

            n = int(written["length"][i])
            first = len(prime[1]) + 1 if prime else 0
            u = first + len(kind.alphabet.encode(text))
            stem = out.with_suffix("")
            phi = np.asarray(written["phi"][i][:n, :u + 1])
            full = (prime[1] + " " if prime else "") + text
            skip = 0 if prime else 1  # an unprimed line starts with the origin row
            line = written["lines"][i][skip:skip + n] if n else written["lines"][i]
            plots.alignment(phi, full, points_Tx2=strokes.to_absolute(line),
                            eos_T=line[:, 2], path=f"{stem}_align_{i}.png")
            plots.kappa(np.asarray(written["kappa"][i][:n]), u, path=f"{stem}_kappa_{i}.png")
    shown = raw[0] if len(raw) == 1 else f"{raw[0].parent}/{out.stem}_NNN.npy"
    print(f"wrote {len(texts)} lines to {svg}, {png} and {shown}; the stop rule fired on "
          f"{int(np.sum(written['stopped']))} of {len(texts)}")
    if FLAGS.verify:
        rewritten = sum(a > 1 for a in checked.attempts)
        print(f"verified: every line read back; {rewritten} written again, "
              f"{len(checked.doubtful)} still doubtful"
              + "".join(f"\n  doubtful line {i + 1}: {texts[i]!r} reads "
                        f"{checked.checks[i].read!r}" for i in checked.doubtful))
    phases.report()


def exit_without_teardown() -> None:
    """Ends a successful run at once: every file is written and closed, and
    the interpreter's teardown of JAX, orbax and flax (~0.3 s of a 3-4 s
    command, benchmarks/wait.py) would do nothing the user needs."""
    import logging as std_logging

    std_logging.shutdown()  # flushes absl's handler
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    _define_flags()
    try:
        preamble.run(main, RULES)
    except SystemExit as done:
        if done.code in (None, 0):
            exit_without_teardown()
        raise
