"""Drawn handwriting: real text lines written with single-line fonts, IAM-like.

`load_drawn(data_config)` returns `HandwritingSplits` (name 'drawn') of
(strokes, text) lines that anyone can generate: no registration, no network.
Six modules: fonts.py reads the glyphs (fonts.FONTS, WRITER_FONTS,
RESERVED_FONTS), drawn_texts.py wraps the vendored Shakespeare corpus into
text lines of each split (the same disjoint stretches as the 'shakespeare'
text dataset's: train, valid and test share no text), drawn_mix.py mixes
modern prose and generated number phrases in when data_config.texts =
'mixed', drawing.py draws one line (layout, style, pen), writers.py makes
the population of writers, and this one assembles the splits.

Two ways to choose who writes a line:
- Legacy (data_config.writers = 0, the default): the lines cycle through
  data_config.fonts in order, each with a fresh random `Style` from
  `sample_style` (size, slant, width, tilt, drift, spacing, density,
  jitter), points at uniform arc length. StrokeSet.writers holds the font
  name. These lines are exactly those of every earlier version 1.0.0.
- Writers (data_config.writers = N > 0): N training writers and
  valid_writers / test_writers others (writers.py: a font plus a style drawn
  once per writer, varied a little per line; pen-speed profile, corner
  rounding, cursive joins for about half). Line i of a split is written by
  its writer i mod (writers of the split), so each writer writes
  num_<split> / writers lines; validation and test writers are never
  trained on. StrokeSet.writers holds the writer id ('train-w0042'), which
  `writers.writer(seed, id, fonts)` turns back into font and style (to prime with a
  validation writer, or to score per writer).
  docs/drawn_writers.png (benchmarks/drawn_writers.py) shows 12 training and
  6 validation writers writing one sentence.

Drawing (drawing.py has the details). Glyphs, in x-heights, are placed along
the baseline; then baseline drift (a slow sine wander along the line), slant
(shear), aspect (x scale), tilt (rotation), scale to `x_height` raw units
(X_HEIGHT_UNITS = 150 median: IAM-OnDB x-heights are roughly 100-200 of its
units; offsets are normalised with the train statistics later anyway),
resampling (uniform arc length, or the pen-speed profile of pen.py) and
per-point Gaussian jitter.

Point density. The resampling spacing of a font is set from its ink length
and strokes per character, counted over the corpus's characters, so that a
line gets TARGET_POINTS_PER_CHAR = 25 points per character of its text
(spaces included; Graves 2013 reports ~25 for IAM-OnDB) on average, times
the line's `speed`. Measured over the default 6,000 training lines: 25.5
points per character (by font 25.2-25.8; slant and aspect lengthen the ink a
little), 782 points a line on average (90th percentile 1,158; 23% of lines
have more than 1,000 points), 1.03 strokes (pen-downs) per character. With
300 writers over WRITER_FONTS (benchmarks/drawn_writers.py): 26.3 points
per character, 808 a line; 0.95 strokes per character, 0.78 for the
cursive writers and 1.10 for the print ones (whose points per character
are the same, 26.4 and 26.3: connecting strokes add the ink that fewer pen
lifts save).

Missing glyphs. A character the line's font lacks is drawn with another
font that has it (drawing._find_glyph: the four FONTS fall back among
themselves, as always) and counted as a fallback; a character no font has is
left out of both ink and text and counted as missing (the Hershey-Fonts
package itself skips unknown characters silently). Neither ever raises;
info['fallback_glyphs'] and info['missing_glyphs'] count them per font. The
vendored corpus is ASCII and every font covers it, so both are 0 there
(with texts = 'mixed' the Hershey fonts borrow the phrases' £ and €). A
line with nothing to draw at all is skipped and counted.

Lines follow seqgen.data.strokes: float32 (T, 3) rows (dx, dy, eos), y up;
row 0 = (0, 0) (each line is translated so that its first point is the
origin); eos = 1 on the last point of every stroke, so each word ends with
eos = 1 and the next row is the pen-up move over the space.

Determinism. Line i of split s (0, 1, 2 = train, valid, test) in epoch e is
drawn with its own generator `np.random.default_rng([seed, s, i, e])`
(epoch 0's is [seed, s, i], the same seed: SeedSequence pads with zeros,
so these are the lines of every earlier version): the same seed gives
identical arrays, and asking for more lines keeps the first ones (with
writers: for the same number of writers). Which pool lines are used is drawn
from `default_rng([seed, s])`: a random subset without repetition while the
pool lasts (27,731 train, ~1,500 valid and test lines), then further rounds
of the same texts, drawn differently (info['lines_reused']); with texts =
'mixed', drawn_mix.py picks them, line i from its i-th draw.

Drawing anew every epoch (data_config.redraw_every_epoch = True). The
splits carry `redraw_train(e)`: epoch e's training lines, line i drawn with
default_rng([seed, 0, i, e]), with the text, writer and id of epoch 0's line
i (only the ink, and the writer's per-line variation, change). The training
batcher (seqgen.data.handwriting.LineBatcher with seqgen.data.epochs.
EpochLines) trains epoch e = step // windows_per_epoch on redraw_train(e),
drawing e + 1 in a background thread meanwhile; the epoch comes from the
step, so a resumed run sees the lines of the uninterrupted one. Validation
and test lines are drawn once (epoch 0), so evaluations compare across a
run, and the offset statistics (saved in the run's meta) are epoch 0's.
Off (the default), a run trains on epoch 0's arrays every epoch
(seqgen.data.handwriting's `augment` adds a random affine map per batch,
nothing more).

Caching: none. Generating the default
6,000 + 300 + 300 lines takes ~11 s on this 2-core machine (about 1 s of it
once per process: parsing the fonts, wrapping the corpus; most of the rest
is resampling, ~30 strokes a line). Writers cost 1.2-1.5x that (6,000
training lines: 20-24 s against 16.5 s for the legacy lines, measured in
one process on a busy machine; the pen profile is ~2.6 ms a line).
Reading them back from a TFDS dataset would save seconds once per run at
the cost of a cache that can go stale, so the lines are generated in
memory on every call, and data_config.data_dir is unused.
GENERATION_VERSION changes whenever the legacy lines change, by an edit
here, in drawing.py, fonts.py or drawn_texts.py; writers.WRITER_VERSION
whenever the writers' lines change (pen.py, writers.py, cursive layout).
info records them with the sha256 of the sources (corpus, SVG fonts,
Hershey-Fonts version; with mixed texts also the prose and the versions
drawn_mix.MIX_VERSION and phrases.PHRASES_VERSION, which info records too).

data_config fields (read with defaults, so a minimal ConfigDict or dict works):
  seed: int >= 0, default 0.
  num_train, num_valid, num_test: lines per split, default 6000, 300, 300.
  fonts: names from fonts.WRITER_FONTS (a sequence or a comma-separated
    string), or 'all' for WRITER_FONTS; default FONTS (the four legacy
    fonts). The RESERVED_FONTS (EMS Felix, Readability, Readability Italic)
    are refused: they are kept for an independent check.
  writers: training writers, default 0 = legacy per-line styles (>= 300 for
    a population of hands).
  valid_writers, test_writers: writers of the validation and test lines
    (never trained on), default 20 each; used only when writers > 0.
  max_chars: longest text line in characters, default 50 (>= 10).
  texts: what the lines say: 'shakespeare' (default; the lines of every
    earlier version) or 'mixed' (drawn_mix.py: Shakespeare, Jargon File
    prose and generated phrases with dates, amounts, times and numbers).
  prose_fraction, numbers_fraction: with texts = 'mixed', the fractions of
    lines of prose and of number phrases (each in [0, 1], default 0.3;
    Shakespeare gets the rest).
  stroke_order: 'font' (default: the single-line SVG fonts' strokes as the
    files draw them, for plotters, as every earlier version drew) or
    'writing' (in a writer's order and direction, fonts.load_font).
  glyph_warp: each training letter's shape varied (drawing.py, Glyph warp),
    a number in [0, 0.5], default 0 (the fonts' shapes); validation and test
    lines are never warped.
  stroke_shuffle: the probability that a training line's stroke is
    reversed, and that two neighbouring strokes swap (drawing.shuffle_strokes),
    in [0, 1], default 0; validation and test lines keep the writing order.
  redraw_every_epoch: draw the training lines anew each epoch (bool, default
    False; read by the kinds' batcher, see above).
  points_per_char: mean points per character, default TARGET_POINTS_PER_CHAR = 25.
  data_dir: accepted like the other loaders' configs; unused (no cache).

Dimension letters: T points of a line.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from seqgen.command.console import progress
from seqgen.data import drawn_mix, hand_sets, hands
from seqgen.data import writers as writers_lib
from seqgen.data.drawing import (  # noqa: F401  (the drawing API, re-exported here)
    JOIN_TOLERANCE,
    TARGET_POINTS_PER_CHAR,
    WORD_SPACE_RANGE,
    X_HEIGHT_UNITS,
    DrawnLine,
    Style,
    draw_line,
    render_line,
    sample_style,
)
from seqgen.data.drawn_texts import SPLITS, wrap_corpus
from seqgen.data.fonts import (
    FONTS,
    FONTS_DIR,
    RESERVED_FONTS,
    SVG_FONT_FILES,
    TRACED_FONTS,
    WRITER_FONTS,
    load_font,
)
from seqgen.data.prepare import config_get
from seqgen.data.strokes import (
    HandwritingSplits,
    StrokeDataError,
    StrokeSet,
    compute_stats,
)

log = logging.getLogger(__name__)

GENERATION_VERSION = "1.0.0"  # change whenever the generated lines change
DEFAULT_COUNTS = {"train": 6000, "valid": 300, "test": 300}
DEFAULT_MAX_CHARS = 50
STROKE_ORDERS = ("font", "writing")  # data_config.stroke_order
DEFAULT_HELD_OUT_WRITERS = 20  # validation and test writers each, when writers are on


@dataclasses.dataclass(frozen=True)
class _Settings:
    seed: int
    counts: dict[str, int]  # lines per split
    fonts: tuple[str, ...]
    max_chars: int
    density: float  # points per character
    writers: dict[str, int]  # writers per split; all 0 = legacy per-line styles
    mix: drawn_mix.Mix | None = None  # texts='mixed'; None = the Shakespeare lines
    glyph_warp: float = 0.0  # training lines only (drawing.warp_glyph)
    stroke_shuffle: float = 0.0  # training lines only (drawing.shuffle_strokes)
    writing_order: bool = False  # stroke_order='writing': SVG fonts as a writer draws them


def _config(data_config: Any, measuring: bool = False) -> _Settings:
    """The data_config fields, checked; `measuring` admits the reserved hands
    (lines only read to measure a reader, never trained or tuned on)."""
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
        try:
            named = hand_sets.named(fonts.strip())
        except ValueError as e:
            raise StrokeDataError(f"data_config.fonts={e}") from None
        fonts = named or (WRITER_FONTS if fonts.strip() == "all" else
                          tuple(f.strip() for f in fonts.split(",") if f.strip()))
    fonts = tuple(fonts)
    reserved = [f for f in fonts if f in hand_sets.sets().reserved]
    if reserved and not measuring:
        raise StrokeDataError(f"data_config.fonts={fonts!r}: {reserved[0]!r} is reserved for "
                              f"an independent check and is never trained or tuned on; use "
                              f"'hands:writer', 'hands:judge' or some of {WRITER_FONTS}.")
    unknown = [f for f in fonts if f not in WRITER_FONTS + TRACED_FONTS + RESERVED_FONTS]
    if not fonts or unknown:
        raise StrokeDataError(f"data_config.fonts={fonts!r}: give one or more of "
                              f"{WRITER_FONTS} or traced hands (seqgen/third_party/hands), "
                              f"'all', or a hand set such as 'hands:writer'"
                              f"{f' ({unknown[0]!r} is unknown)' if unknown else ''}.")
    def number(name: str, default: float, low: float, high: float, what: str) -> float:
        value = config_get(data_config, name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                low <= value <= high):
            raise StrokeDataError(f"data_config.{name}={value!r}: must be {what}.")
        return float(value)

    density = number("points_per_char", TARGET_POINTS_PER_CHAR, 4, 100,
                     "a number in [4, 100] (IAM-OnDB has ~25)")
    writers = {"train": integer("writers", 0, 0)}
    for split in ("valid", "test"):
        writers[split] = (integer(f"{split}_writers", DEFAULT_HELD_OUT_WRITERS, 1)
                          if writers["train"] else 0)
    warp = number("glyph_warp", 0.0, 0, 0.5, "a number in [0, 0.5] (0 = the fonts' own "
                  "shapes; ~0.15 varies each letter)")
    shuffle = number("stroke_shuffle", 0.0, 0, 1, "a probability in [0, 1] (0 = the "
                     "writing order; ~0.3)")
    order = config_get(data_config, "stroke_order", "font")
    if order not in STROKE_ORDERS:
        raise StrokeDataError(f"data_config.stroke_order={order!r}: give one of "
                              f"{STROKE_ORDERS} ('writing' draws the single-line fonts' "
                              f"strokes as a writer would).")
    return _Settings(seed, counts, fonts, integer("max_chars", DEFAULT_MAX_CHARS, 10),
                     density, writers, drawn_mix.settings(data_config), warp, shuffle,
                     order == "writing")


def fonts_of(data_config: Any) -> tuple[str, ...]:
    """The fonts a data config draws with ('all' spelled out), checked."""
    return _config(data_config).fonts


def _source_sha256(fonts: tuple[str, ...], mixed: bool = False) -> str:
    """sha256 over what the lines are made of: corpus, SVG fonts (those of FONTS,
    as always, and any other used), Hershey-Fonts version (and the mixed texts')."""
    import HersheyFonts

    from seqgen.data.text.shakespeare import shakespeare_text

    h = hashlib.sha256(shakespeare_text().encode("utf-8"))
    for name in sorted((set(FONTS) | set(fonts)) & set(SVG_FONT_FILES)):
        h.update((FONTS_DIR / SVG_FONT_FILES[name]).read_bytes())
    for name in sorted(set(fonts) & set(TRACED_FONTS)):
        h.update((hands.TRACED_DIR / f"{name}.npz").read_bytes())
    h.update(f"Hershey-Fonts {HersheyFonts.__version__}".encode())
    if mixed:
        drawn_mix.update_source_hash(h)
    return h.hexdigest()


def load_drawn(data_config: Any, measuring: bool = False) -> HandwritingSplits:
    """Drawn handwriting splits (name 'drawn'), generated in memory; see the
    module docstring. `measuring` admits the reserved hands: only for lines
    that are read to measure a reader (seqgen/handwriting/calibration.py)."""
    from seqgen.data.text.shakespeare import shakespeare_text

    cfg = _config(data_config, measuring)
    seed, fonts = cfg.seed, cfg.fonts
    start = time.perf_counter()
    for font in fonts:
        load_font(font)  # a missing font file fails here, before any work
    pools = wrap_corpus(shakespeare_text(), cfg.max_chars)
    if cfg.mix:
        pools = drawn_mix.mixed_pools(pools, drawn_mix.prose_text(), seed, cfg.counts,
                                      cfg.max_chars, cfg.mix)
    population = {s: writers_lib.population(seed, s, cfg.writers[s], fonts) for s in SPLITS}
    fallback: collections.Counter = collections.Counter()
    missing: collections.Counter = collections.Counter()
    sets = {}
    points = dict.fromkeys(SPLITS, 0)
    chars = dict.fromkeys(SPLITS, 0)
    n_strokes = dict.fromkeys(SPLITS, 0)
    by_font: dict[str, list[int]] = {f: [0, 0] for f in fonts}  # train points, chars
    nothing_to_draw = 0
    for split in SPLITS:
        lines, texts, ids, writer_ids = [], [], [], []
        for i, font, writer, result in _draw_split(cfg, pools, population[split], split, 0):
            if result is None:  # no character of the text has a glyph anywhere
                nothing_to_draw += 1
                continue
            fallback[font] += result.fallback
            missing[font] += result.missing
            lines.append(result.line)
            texts.append(result.text)
            ids.append(f"drawn-{split}-{i:06d}")
            writer_ids.append(writer)
            points[split] += len(result.line)
            chars[split] += len(result.text)
            n_strokes[split] += int(result.line[:, 2].sum())
            if split == "train":
                by_font[font][0] += len(result.line)
                by_font[font][1] += len(result.text)
        sets[split] = StrokeSet(lines=tuple(lines), texts=tuple(texts), ids=tuple(ids),
                                writers=tuple(writer_ids))
    stats = compute_stats(sets["train"].lines)
    info = {
        "generation_version": GENERATION_VERSION,
        "source_sha256": _source_sha256(fonts, cfg.mix is not None),
        "seed": seed,
        "fonts": list(fonts),
        "max_chars": cfg.max_chars,
        "points_per_char": cfg.density,
        **({"glyph_warp": cfg.glyph_warp} if cfg.glyph_warp else {}),
        **({"stroke_shuffle": cfg.stroke_shuffle} if cfg.stroke_shuffle else {}),
        **({"stroke_order": "writing"} if cfg.writing_order else {}),
        "x_height_units": X_HEIGHT_UNITS,
        "num_lines": {s: len(sets[s]) for s in SPLITS},
        "pool_lines": {s: len(pools.lines[s]) for s in SPLITS},
        "lines_reused": {s: max(0, cfg.counts[s] - len(pools.lines[s])) for s in SPLITS},
        "skipped": {**pools.skipped, "lines_with_nothing_to_draw": nothing_to_draw},
        "fallback_glyphs": {f: fallback[f] for f in fonts},
        "missing_glyphs": {f: missing[f] for f in fonts},
        "mean_points_per_char": {s: points[s] / max(chars[s], 1) for s in SPLITS},
        "train_points_per_char_by_font": {f: p / max(c, 1) for f, (p, c) in by_font.items()},
        "mean_chars_per_line": {s: chars[s] / max(len(sets[s]), 1) for s in SPLITS},
        "mean_strokes_per_char": {s: n_strokes[s] / max(chars[s], 1) for s in SPLITS},
        "generation_seconds": round(time.perf_counter() - start, 2),
    }
    if cfg.mix:
        info.update(drawn_mix.info(pools, cfg.mix))
    if cfg.writers["train"]:
        info.update({
            "writer_version": writers_lib.WRITER_VERSION,
            "writers": dict(cfg.writers),
            "cursive_writers": {s: sum(w.style.cursive for w in population[s]) for s in SPLITS},
        })
    log.info("drawn: %s lines in %.1f s, %.1f points per character (train).",
             info["num_lines"], info["generation_seconds"],
             info["mean_points_per_char"]["train"])
    return HandwritingSplits(train=sets["train"], valid=sets["valid"], test=sets["test"],
                             stats=stats, name="drawn", info=info,
                             redraw_train=_Redraw(cfg, pools, population["train"],
                                                  sets["train"]))


def _draw_split(cfg: _Settings, pools: Any, hands: tuple[writers_lib.Writer, ...],
                split: str, epoch: int) -> Iterator[tuple[int, str, str, DrawnLine | None]]:
    """(i, font, writer, drawn line or None when nothing can be drawn) for each
    line i of `split`, drawn with default_rng([seed, s, i, epoch]). The text
    and the writer of line i do not depend on the epoch: only the ink does."""
    k = SPLITS.index(split)
    pool = pools.lines[split]
    n = cfg.counts[split]
    if n and not pool:
        raise StrokeDataError(f"drawn: the corpus gives no {split} lines with "
                              f"max_chars={cfg.max_chars}; raise data_config.max_chars.")
    choice_rng = np.random.default_rng([cfg.seed, k])
    rounds = -(-n // len(pool)) if n else 0
    order = np.arange(n) if getattr(pools, "in_order", False) else np.concatenate(
        [choice_rng.permutation(len(pool)) for _ in range(rounds)]
        or [np.zeros(0, np.int64)])[:n]
    what = f"drawing {split} lines" + (f" (epoch {epoch})" if epoch else "")
    for i, j in progress(enumerate(order), what, total=len(order), unit="line"):
        # Epoch 0's seed is [seed, s, i]: SeedSequence pads its entropy with
        # zeros, so [seed, s, i, 0] is the same seed and the lines of every
        # earlier version are epoch 0's.
        rng = np.random.default_rng([cfg.seed, k, i] + ([epoch] if epoch else []))
        if hands:  # writer i mod n_writers, its style varied for this line
            hand = hands[i % len(hands)]
            font, writer, style = hand.font, hand.id, writers_lib.line_style(hand, rng)
        else:  # legacy: the fonts in turn, a fresh style per line
            font = writer = cfg.fonts[i % len(cfg.fonts)]
            style = sample_style(rng)
        if cfg.writing_order:
            style = dataclasses.replace(style, writing_order=True)
        if split == "train":  # validation and test: the hands' own shapes and order
            style = dataclasses.replace(style, glyph_warp=cfg.glyph_warp,
                                        stroke_shuffle=cfg.stroke_shuffle)
        try:
            result = render_line(pool[j], font, rng, style, cfg.density)
        except StrokeDataError:
            result = None
        yield i, font, writer, result


class _Redraw:
    """The training lines of an epoch (HandwritingSplits.redraw_train): the
    same texts, writers and ids as epoch 0's, drawn anew."""

    def __init__(self, cfg: _Settings, pools: Any, hands: tuple[writers_lib.Writer, ...],
                 train: StrokeSet):
        self.cfg, self.pools, self.hands, self.train = cfg, pools, hands, train

    def __call__(self, epoch: int) -> StrokeSet:
        lines, texts, ids = [], [], []
        for i, _, _, result in _draw_split(self.cfg, self.pools, self.hands, "train", epoch):
            if result is not None:
                lines.append(result.line)
                texts.append(result.text)
                ids.append(f"drawn-train-{i:06d}")
        # Nothing to draw depends on the text and the font only, so the kept
        # lines are epoch 0's; a difference would pair ink with another text.
        if tuple(ids) != self.train.ids or tuple(texts) != self.train.texts:
            raise StrokeDataError(f"drawn: epoch {epoch} redrew other lines than epoch 0's "
                                  f"(their texts or ids differ); report this as a bug.")
        return dataclasses.replace(self.train, lines=tuple(lines))
