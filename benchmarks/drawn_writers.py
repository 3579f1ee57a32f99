"""Drawn handwriting with a population of writers vs the legacy per-line
styles: generation time, points and strokes per character, and the contact
sheet docs/drawn_writers.png.

  python -m benchmarks.drawn_writers --json_out=/tmp/seqgen/bench/drawn_writers.json

Times seqgen.data.drawn.load_drawn for --lines training lines (no
validation or test lines) three ways, in one process, after one small
warm-up call that parses the fonts and wraps the corpus: the legacy lines
(the four FONTS in turn, a fresh style per line, uniform arc-length points),
the legacy styles over all seven WRITER_FONTS, and --writers writers over
WRITER_FONTS (pen-speed profile, corner rounding, cursive joins). Prints
seconds, points per character and strokes (pen-downs) per character of each.
Then draws --sheet_train training writers and --sheet_valid validation
writers writing --sentence (captioned with writer id, font and cursive or
print) with seqgen.handwriting.render.save_lines to --sheet (.png, greyscale).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from absl import app, flags
from PIL import Image

from seqgen.data import drawn, writers
from seqgen.data.fonts import WRITER_FONTS
from seqgen.handwriting.render import save_lines

FLAGS = flags.FLAGS
SHEET = Path(__file__).resolve().parents[1] / "docs" / "drawn_writers"


def _define_flags() -> None:
    flags.DEFINE_integer("lines", 6000, "Training lines generated per variant.")
    flags.DEFINE_integer("writers", 300, "Training writers of the writer variant.")
    flags.DEFINE_string("sentence", "Sweet are the uses of adversity, quoth he",
                        "What the writers of the contact sheet write.")
    flags.DEFINE_integer("sheet_train", 12, "Training writers on the contact sheet.")
    flags.DEFINE_integer("sheet_valid", 6, "Validation writers on the contact sheet.")
    flags.DEFINE_string("sheet", str(SHEET), "Contact sheet path (.png); '' = none.")
    flags.DEFINE_string("json_out", "", "Also write the results here as JSON.")


def _rates(lines: list[np.ndarray], texts: list[str]) -> dict:
    chars = sum(len(t) for t in texts)
    return {"lines": len(lines),
            "points_per_char": round(sum(len(x) for x in lines) / chars, 2),
            "strokes_per_char": round(sum(float(x[:, 2].sum()) for x in lines) / chars, 3),
            "points_per_line": round(float(np.mean([len(x) for x in lines])), 1)}


def measure(config: dict) -> dict:
    """Seconds, points and strokes per character of one load_drawn call (and,
    with writers, of the cursive and the print writers' lines apart)."""
    start = time.perf_counter()
    splits = drawn.load_drawn(config)
    seconds = time.perf_counter() - start
    t = splits.train
    out = {"seconds": round(seconds, 2), **_rates(t.lines, t.texts)}
    if config.get("writers"):
        cursive = {w: writers.writer(0, w, WRITER_FONTS).style.cursive for w in set(t.writers)}
        for name, flag in (("cursive", True), ("print", False)):
            mine = [i for i, w in enumerate(t.writers) if cursive[w] == flag]
            out[name] = _rates([t.lines[i] for i in mine], [t.texts[i] for i in mine])
    return out


def contact_sheet(path: str, sentence: str, n_train: int, n_valid: int,
                  seed: int = 0) -> Path:
    """n_train training and n_valid validation writers writing `sentence`:
    the PNG that seqgen.handwriting.render.save_lines draws, stored as greyscale (the
    drawing is black on white: the same pixels at ~60% of the bytes)."""
    lines, captions = [], []
    for split, n in (("train", n_train), ("valid", n_valid)):
        for w in writers.population(seed, split, n, WRITER_FONTS):
            rng = np.random.default_rng([seed, 99, len(lines)])
            style = writers.line_style(w, rng)
            lines.append(drawn.render_line(sentence, w.font, rng, style).line)
            captions.append(f"{w.id}  {w.font}  {'cursive' if w.style.cursive else 'print'}"
                            f"  slant {np.degrees(w.style.slant):+.0f} deg")
    svg, png = save_lines(path, lines, captions)
    svg.unlink()  # the PNG is the record; the SVG is 300 kB of the same
    Image.open(png).convert("L").save(png, optimize=True)
    return png


def main(argv: list[str]) -> None:
    del argv
    drawn.load_drawn({"num_train": 8, "num_valid": 0, "num_test": 0, "fonts": "all"})  # warm
    base = {"num_train": FLAGS.lines, "num_valid": 0, "num_test": 0}
    results = {
        "legacy, 4 fonts": measure(base),
        "legacy, 7 fonts": measure({**base, "fonts": "all"}),
        f"{FLAGS.writers} writers, 7 fonts": measure({**base, "fonts": "all",
                                                      "writers": FLAGS.writers}),
    }
    print(f"{FLAGS.lines} training lines, one process (fonts parsed in a warm-up call; "
          f"each call also wraps the corpus, ~1 s):")
    for name, r in results.items():
        rows = [(name, r)] + [(f"  {k} writers", r[k]) for k in ("cursive", "print") if k in r]
        for label, q in rows:
            took = f"{r['seconds']:6.1f} s" if q is r else " " * 8
            print(f"  {label:22s} {took}  {q['points_per_char']:5.1f} points/char  "
                  f"{q['strokes_per_char']:.3f} strokes/char  "
                  f"{q['points_per_line']:6.0f} points/line ({q['lines']} lines)")
    legacy = results["legacy, 4 fonts"]["seconds"]
    for name, r in results.items():
        print(f"  {name:22s} {r['seconds'] / legacy:.2f}x the legacy time")
    if FLAGS.sheet:
        png = contact_sheet(FLAGS.sheet, FLAGS.sentence, FLAGS.sheet_train, FLAGS.sheet_valid)
        print(f"contact sheet: {png}")
    if FLAGS.json_out:
        Path(FLAGS.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(FLAGS.json_out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    _define_flags()
    app.run(main)
