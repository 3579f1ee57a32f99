"""Drawn handwriting: real text lines written with single-line fonts, IAM-like.

`load_drawn(data_config)` returns `HandwritingSplits` (name 'drawn') of
(strokes, text) lines that anyone can generate: no registration, no network.
Three modules: fonts.py reads the glyphs (FONTS: Hershey script and three
EMS SVG fonts), drawn_texts.py wraps the vendored Shakespeare corpus into
text lines of each split (the same disjoint stretches as the 'shakespeare'
text dataset's: train, valid and test share no text), and this one draws
them and assembles the splits.

Drawing. Each line has one font, its "writer" (lines cycle through
data_config.fonts in order), and a `Style` drawn by `sample_style`. Glyphs, in
x-heights (fonts.py), are placed along the baseline, each advance varied by
`letter_spacing` and `tracking`. A word space is the font's
space advance (clipped to WORD_SPACE_RANGE x-heights) times `word_space`,
crossed with the pen up. A glyph's first stroke continues the previous
glyph's last stroke (one pen-down stroke, as in cursive writing) when their
nominal ends are within JOIN_TOLERANCE x-heights; words never join. Then:
baseline drift (a slow sine wander along the line), slant (shear), aspect (x
scale), tilt (rotation), scale to `x_height` raw units (X_HEIGHT_UNITS = 150
median: IAM-OnDB x-heights are roughly 100-200 of its units; offsets are
normalised with the train statistics later anyway), arc-length resampling
(`strokes.resample`) and per-point Gaussian jitter.

Point density. The resampling spacing of a font is set from its ink length
and strokes per character, counted over the corpus's characters, so that a
line gets TARGET_POINTS_PER_CHAR = 25 points per character of its text
(spaces included; Graves 2013 reports ~25 for IAM-OnDB) on average, times
the line's `speed`. Measured over the default 6,000 training lines: 25.5
points per character (by font 25.2-25.8; slant and aspect lengthen the ink a
little), 782 points a line on average (90th percentile 1,158; 23% of lines
have more than 1,000 points).

Missing glyphs. A character the line's font lacks is drawn with the first
font of FONTS after it (cyclically) that has it and counted as a fallback; a
character no font has is left out of both ink and text and counted as
missing (the Hershey-Fonts package itself skips unknown characters
silently). Neither ever raises; info['fallback_glyphs'] and
info['missing_glyphs'] count them per font. The vendored corpus is ASCII and
every font covers it, so both are 0 there. A line with nothing to draw at
all is skipped and counted.

Lines follow seqgen.data.strokes: float32 (T, 3) rows (dx, dy, eos), y up;
row 0 = (0, 0) (each line is translated so that its first point is the
origin); eos = 1 on the last point of every stroke, so each word ends with
eos = 1 and the next row is the pen-up move over the space.

Determinism. Line i of split s (0, 1, 2 = train, valid, test) is drawn with
its own generator `np.random.default_rng([seed, s, i])`: the same seed gives
identical arrays, and asking for more lines keeps the first ones. Which pool
lines are used is drawn from `default_rng([seed, s])`: a random subset
without repetition while the pool lasts (27,731 train, ~1,500 valid and test
lines), then further rounds of the same texts, drawn differently
(info['lines_reused']).

Caching: none. Generating the default 6,000 + 300 + 300 lines takes ~11 s
on this 2-core machine (about 1 s of it once per process: parsing the fonts,
wrapping the corpus; most of the rest is resampling, ~30 strokes a line).
Reading them back from a TFDS dataset would save seconds once per run at the
cost of a cache that can go stale, so the lines are generated in memory on
every call, and data_config.data_dir is unused.
GENERATION_VERSION changes whenever the generated lines change, by an edit
here, in fonts.py or in drawn_texts.py; info records it with the sha256 of
the sources (corpus, SVG fonts, Hershey-Fonts version).

data_config fields (read with defaults, so a minimal ConfigDict or dict works):
  seed: int >= 0, default 0.
  num_train, num_valid, num_test: lines per split, default 6000, 300, 300.
  fonts: names from FONTS (a sequence or a comma-separated string), default all.
  max_chars: longest text line in characters, default 50 (>= 10).
  points_per_char: mean points per character, default TARGET_POINTS_PER_CHAR = 25.
  data_dir: accepted like the other loaders' configs; unused (no cache).

Dimension letters: T points of a line, N points of a stroke or polyline.
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import logging
import time
from typing import Any

import numpy as np

from seqgen.console import progress
from seqgen.data.drawn_texts import SPLITS, wrap_corpus
from seqgen.data.fonts import FONTS, FONTS_DIR, SVG_FONT_FILES, Glyph, load_font
from seqgen.data.prepare import config_get
from seqgen.data.strokes import (
    HandwritingSplits,
    StrokeDataError,
    StrokeSet,
    affine_matrix,
    compute_stats,
    resample,
    strokes_to_line,
)

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------
# Drawing a line.
# ----------------------------------------------------------------------------

TARGET_POINTS_PER_CHAR = 25.0  # mean points per character of the text (Graves 2013 §4: ~25)
X_HEIGHT_UNITS = 150.0  # median x-height in raw units (IAM-OnDB: roughly 100-200)
JOIN_TOLERANCE = 0.1  # x-heights: nominal gap under which consecutive glyphs join
WORD_SPACE_RANGE = (0.6, 1.2)  # x-heights: a font's space advance is clipped to it


@dataclasses.dataclass(frozen=True)
class Style:
    """How one line is written. The defaults draw the font plainly, without noise."""

    x_height: float = X_HEIGHT_UNITS  # raw units
    slant: float = 0.0  # radians; > 0 leans upright strokes to the right
    aspect: float = 1.0  # x scale relative to y
    tilt: float = 0.0  # radians, counter-clockwise rotation of the baseline's direction
    drift_amplitude: float = 0.0  # x-heights, of the baseline's sine wander
    drift_wavelength: float = 15.0  # x-heights
    drift_phase: float = 0.0  # radians
    letter_spacing: float = 0.0  # std of the relative change of each glyph's advance
    tracking: float = 0.0  # x-heights added to each glyph's advance
    word_space: float = 1.0  # factor on the font's space advance
    speed: float = 1.0  # factor on the points per unit of ink (the sampling density)
    jitter: float = 0.0  # x-heights, std of the Gaussian noise on each point


def sample_style(rng: np.random.Generator) -> Style:
    """A random writer's style; the ranges give IAM-like variety across lines."""
    return Style(
        x_height=X_HEIGHT_UNITS * float(np.exp(rng.normal(0.0, 0.15))),  # ~110-200
        slant=float(rng.normal(0.0, 0.15)),  # ~ +-9 degrees
        aspect=float(np.exp(rng.normal(0.0, 0.08))),
        tilt=float(rng.normal(0.0, 0.015)),  # ~ +-1 degree
        drift_amplitude=float(rng.uniform(0.0, 0.25)),
        drift_wavelength=float(rng.uniform(8.0, 25.0)),
        drift_phase=float(rng.uniform(0.0, 2 * np.pi)),
        letter_spacing=float(rng.uniform(0.02, 0.08)),
        tracking=float(rng.uniform(-0.05, 0.12)),
        word_space=float(rng.uniform(0.7, 1.3)),
        # Mean 1: the points per character average TARGET_POINTS_PER_CHAR.
        speed=float(np.exp(rng.normal(0.0, 0.15) - 0.15 ** 2 / 2)),
        jitter=float(rng.uniform(0.005, 0.02)),
    )


@dataclasses.dataclass(frozen=True)
class DrawnLine:
    line: np.ndarray  # float32 (T, 3)
    text: str  # the text drawn: the input without characters no font has
    fallback: int  # characters drawn with another font
    missing: int  # characters left out


def _find_glyph(char: str, font: str) -> tuple[Glyph | None, bool]:
    """(glyph, is_fallback): the font's glyph, else the next font's in FONTS."""
    glyph = load_font(font).glyphs.get(char)
    if glyph is not None:
        return glyph, False
    k = FONTS.index(font)
    for other in FONTS[k + 1:] + FONTS[:k]:
        glyph = load_font(other).glyphs.get(char)
        if glyph is not None:
            return glyph, True
    return None, False


def _layout(text: str, font: str, rng: np.random.Generator, style: Style
            ) -> tuple[list[np.ndarray], str, int, int]:
    """Glyph strokes placed along the baseline, in x-heights (before any transform)."""
    space = load_font(font).glyphs.get(" ")
    # The fonts' spaces range from 0.7 (Elfin) to 1.8 (Hershey) x-heights;
    # handwriting's word gaps are about one x-height.
    space_advance = float(np.clip(space.advance if space is not None else 1.0,
                                  *WORD_SPACE_RANGE))
    strokes: list[np.ndarray] = []
    kept: list[str] = []
    fallback = missing = 0
    x = 0.0
    previous: Glyph | None = None  # the glyph before, within the word
    for char in text:
        if char.isspace():
            x += space_advance * style.word_space
            kept.append(" ")
            previous = None
            continue
        glyph, is_fallback = _find_glyph(char, font)
        if glyph is None:
            missing += 1
            continue
        fallback += is_fallback
        kept.append(char)
        for k, s in enumerate(glyph.strokes):
            placed = s + (x, 0.0)
            if (k == 0 and previous is not None and previous.strokes and np.hypot(
                    *(previous.strokes[-1][-1] - s[0] - (previous.advance, 0.0)))
                    < JOIN_TOLERANCE):
                strokes[-1] = np.concatenate([strokes[-1], placed])
            else:
                strokes.append(placed)
        step = glyph.advance * (1.0 + style.letter_spacing * rng.standard_normal())
        x += max(step, 0.0) + style.tracking
        previous = glyph if glyph.strokes else None
    # A left-out character may leave two spaces in a row: the text gets one.
    return strokes, " ".join("".join(kept).split()), fallback, missing


@functools.cache
def _ink_rates(font: str) -> tuple[float, float]:
    """(ink length, strokes) per character of the corpus, in x-heights, for `font`."""
    from seqgen.data.text.shakespeare import shakespeare_text  # noqa: PLC0415  (reads 1 MB)

    # Single spaces, as in the text lines: indentation and blank lines would
    # inflate the character count.
    counts = collections.Counter(" ".join(shakespeare_text().split()))
    ink = n_strokes = 0.0
    for char, count in counts.items():
        glyph = None if char.isspace() else _find_glyph(char, font)[0]
        if glyph is not None:
            ink += count * sum(float(np.hypot(*np.diff(s, axis=0).T).sum())
                               for s in glyph.strokes)
            n_strokes += count * len(glyph.strokes)
    total = sum(counts.values())
    return ink / total, n_strokes / total


def render_line(text: str, font: str, rng: np.random.Generator, style: Style,
                points_per_char: float = TARGET_POINTS_PER_CHAR) -> DrawnLine:
    """`text` written in `font` with `style`, ~points_per_char points a character."""
    strokes, drawn, fallback, missing = _layout(text, font, rng, style)
    if not strokes:
        raise StrokeDataError(f"draw_line: {text!r} has nothing to draw in font {font!r} "
                              f"(no glyph has ink); give text with letters.")
    points_Nx2 = np.concatenate(strokes)
    x, y = points_Nx2[:, 0], points_Nx2[:, 1]
    y = y + style.drift_amplitude * np.sin(2 * np.pi * x / style.drift_wavelength
                                           + style.drift_phase)
    matrix = affine_matrix(slant=style.slant, scale=(style.aspect, 1.0), rotation=style.tilt)
    points_Nx2 = np.stack([x, y], axis=1) @ matrix.T * style.x_height
    ends = np.cumsum([len(s) for s in strokes])[:-1]
    ink, n_strokes = _ink_rates(font)
    # A stroke of length S gets about S / spacing + 1 points: solve for the target.
    per_char = max(points_per_char * style.speed - n_strokes, 1.0)
    spacing = style.x_height * ink / per_char
    resampled = resample(np.split(points_Nx2, ends), spacing)
    if style.jitter > 0:
        sd = style.jitter * style.x_height
        resampled = [s + rng.normal(0.0, sd, s.shape) for s in resampled]
    origin = resampled[0][0].copy()
    line = strokes_to_line([s - origin for s in resampled])
    return DrawnLine(line=line, text=drawn, fallback=fallback, missing=missing)


def draw_line(text: str, font: str, rng: np.random.Generator,
              points_per_char: float = TARGET_POINTS_PER_CHAR, **style: float) -> np.ndarray:
    """`text` written in `font` as a float32 (T, 3) line, in a style drawn from `rng`.

    Keyword arguments (fields of `Style`) fix those style parameters; the
    others are drawn by `sample_style(rng)` (always all of them, so the
    random stream does not depend on which are given). Characters without a
    glyph fall back as the module docstring says; nothing raises for them.
    """
    unknown = set(style) - {f.name for f in dataclasses.fields(Style)}
    if unknown:
        raise StrokeDataError(f"draw_line: unknown style parameter(s) {sorted(unknown)}; "
                              f"use fields of seqgen.data.drawn.Style.")
    if font not in FONTS:
        raise StrokeDataError(f"draw_line: font {font!r} is unknown; use one of {FONTS}.")
    chosen = dataclasses.replace(sample_style(rng), **style)
    return render_line(text, font, rng, chosen, points_per_char).line


# ----------------------------------------------------------------------------
# The dataset.
# ----------------------------------------------------------------------------

GENERATION_VERSION = "1.0.0"  # change whenever the generated lines change
DEFAULT_COUNTS = {"train": 6000, "valid": 300, "test": 300}
DEFAULT_MAX_CHARS = 50


def _config(data_config: Any) -> tuple[int, dict[str, int], tuple[str, ...], int, float]:
    """(seed, lines per split, fonts, max_chars, points_per_char), checked."""
    def integer(name: str, default: int, low: int) -> int:
        value = config_get(data_config, name, default)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise StrokeDataError(f"data_config.{name}={value!r}: must be an integer >= {low}.")
        return int(value)

    seed = integer("seed", 0, 0)
    counts = {s: integer(f"num_{s}", DEFAULT_COUNTS[s], 1 if s == "train" else 0)
              for s in SPLITS}
    fonts = config_get(data_config, "fonts", FONTS)
    if isinstance(fonts, str):
        fonts = tuple(f.strip() for f in fonts.split(",") if f.strip())
    fonts = tuple(fonts)
    unknown = [f for f in fonts if f not in FONTS]
    if not fonts or unknown:
        raise StrokeDataError(f"data_config.fonts={fonts!r}: give one or more of {FONTS}"
                              f"{f' ({unknown[0]!r} is unknown)' if unknown else ''}.")
    density = config_get(data_config, "points_per_char", TARGET_POINTS_PER_CHAR)
    if isinstance(density, bool) or not isinstance(density, (int, float)) or not (
            4 <= density <= 100):
        raise StrokeDataError(f"data_config.points_per_char={density!r}: must be a number "
                              f"in [4, 100] (IAM-OnDB has ~25).")
    return seed, counts, fonts, integer("max_chars", DEFAULT_MAX_CHARS, 10), float(density)


def _source_sha256() -> str:
    """sha256 over what the lines are made of: corpus, SVG fonts, Hershey-Fonts version."""
    import HersheyFonts  # noqa: PLC0415

    from seqgen.data.text.shakespeare import shakespeare_text  # noqa: PLC0415

    h = hashlib.sha256(shakespeare_text().encode("utf-8"))
    for name in sorted(SVG_FONT_FILES):
        h.update((FONTS_DIR / SVG_FONT_FILES[name]).read_bytes())
    h.update(f"Hershey-Fonts {HersheyFonts.__version__}".encode())
    return h.hexdigest()


def load_drawn(data_config: Any) -> HandwritingSplits:
    """Drawn handwriting splits (name 'drawn'), generated in memory; see the module docstring."""
    from seqgen.data.text.shakespeare import shakespeare_text  # noqa: PLC0415

    seed, counts, fonts, max_chars, density = _config(data_config)
    start = time.perf_counter()
    for font in fonts:
        load_font(font)  # a missing font file fails here, before any work
    pools = wrap_corpus(shakespeare_text(), max_chars)
    fallback: collections.Counter = collections.Counter()
    missing: collections.Counter = collections.Counter()
    sets = {}
    points = {s: 0 for s in SPLITS}
    chars = {s: 0 for s in SPLITS}
    by_font: dict[str, list[int]] = {f: [0, 0] for f in fonts}  # train points, chars
    nothing_to_draw = 0
    for k, split in enumerate(SPLITS):
        pool = pools.lines[split]
        n = counts[split]
        if n and not pool:
            raise StrokeDataError(f"drawn: the corpus gives no {split} lines with "
                                  f"max_chars={max_chars}; raise data_config.max_chars.")
        choice_rng = np.random.default_rng([seed, k])
        rounds = -(-n // len(pool)) if n else 0
        order = np.concatenate([choice_rng.permutation(len(pool)) for _ in range(rounds)]
                               or [np.zeros(0, np.int64)])[:n]
        lines, texts, ids, writers = [], [], [], []
        for i, j in progress(enumerate(order), f"drawing {split} lines", total=len(order),
                             unit="line"):
            font = fonts[i % len(fonts)]
            rng = np.random.default_rng([seed, k, i])
            try:
                result = render_line(pool[j], font, rng, sample_style(rng), density)
            except StrokeDataError:  # no character of the text has a glyph anywhere
                nothing_to_draw += 1
                continue
            fallback[font] += result.fallback
            missing[font] += result.missing
            lines.append(result.line)
            texts.append(result.text)
            ids.append(f"drawn-{split}-{i:06d}")
            writers.append(font)
            points[split] += len(result.line)
            chars[split] += len(result.text)
            if split == "train":
                by_font[font][0] += len(result.line)
                by_font[font][1] += len(result.text)
        sets[split] = StrokeSet(lines=tuple(lines), texts=tuple(texts), ids=tuple(ids),
                                writers=tuple(writers))
    stats = compute_stats(sets["train"].lines)
    info = {
        "generation_version": GENERATION_VERSION,
        "source_sha256": _source_sha256(),
        "seed": seed,
        "fonts": list(fonts),
        "max_chars": max_chars,
        "points_per_char": density,
        "x_height_units": X_HEIGHT_UNITS,
        "num_lines": {s: len(sets[s]) for s in SPLITS},
        "pool_lines": {s: len(pools.lines[s]) for s in SPLITS},
        "lines_reused": {s: max(0, counts[s] - len(pools.lines[s])) for s in SPLITS},
        "skipped": {**pools.skipped, "lines_with_nothing_to_draw": nothing_to_draw},
        "fallback_glyphs": {f: fallback[f] for f in fonts},
        "missing_glyphs": {f: missing[f] for f in fonts},
        "mean_points_per_char": {s: points[s] / max(chars[s], 1) for s in SPLITS},
        "train_points_per_char_by_font": {f: p / max(c, 1) for f, (p, c) in by_font.items()},
        "mean_chars_per_line": {s: chars[s] / max(len(sets[s]), 1) for s in SPLITS},
        "generation_seconds": round(time.perf_counter() - start, 2),
    }
    log.info("drawn: %s lines in %.1f s, %.1f points per character (train).",
             info["num_lines"], info["generation_seconds"],
             info["mean_points_per_char"]["train"])
    return HandwritingSplits(train=sets["train"], valid=sets["valid"], test=sets["test"],
                             stats=stats, name="drawn", info=info)
