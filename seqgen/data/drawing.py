"""Drawing one line of text with a single-line font and a `Style`.

`render_line(text, font, rng, style)` lays the glyphs (fonts.py, in
x-heights) along the baseline, transforms them (drift, slant, aspect, tilt,
size) and places the pen points; drawn.py builds the datasets from it and
documents the conventions. `draw_line` is the short form that draws the
style from `sample_style` (the legacy per-line styles).

Layout. Each glyph advance is varied by `letter_spacing` and `tracking`; a
word space is the font's space advance (clipped to WORD_SPACE_RANGE
x-heights) times `word_space`, crossed with the pen up. A glyph's first
stroke continues the previous glyph's last stroke (one pen-down stroke) when
their nominal ends are within JOIN_TOLERANCE x-heights; words never join.
A `cursive` style joins more: within a word, a letter's first stroke
continues the stroke the previous letter ended with whenever both ends lie
in the x-height band (JOIN_BAND: not at an ascender's top or a descender's
foot), the previous letter's end in the right and the next letter's start in
the left JOIN_SIDE of their ink's width (a connecting stroke that would
cross a letter, e.g. into an 'a' begun at its top right, is not made), at
most CURSIVE_REACH x-heights apart, not CURSIVE_BACK x-heights backwards
and no steeper than JOIN_SLOPE (a steep one turns 'dv' into 'dw'), as a
writer's connecting stroke. Within a letter, a stroke that starts within
RETRACE_REACH x-heights of where the last one ended continues it, or
within RETRACE_ALONG[0] if the straight way there runs within
RETRACE_ALONG[1] of the ink just written (the humps of a Hershey 'm' are
separate strokes: a writer goes back up the stem).
A short stroke of a letter of several strokes that joins nothing (i dots,
t bars: ink under MARK_LENGTH) waits until the word's end, as cursive writers add them
(IAM-OnDB's delayed strokes).

Glyph warp. A style with glyph_warp w > 0 gives each letter its own shape
(`warp_glyph`): a random affine about the letter's middle (width and height
by exp(N(0, w)), shear N(0, w), rotation N(0, w / 2)), a smooth random
displacement (two plane waves of wavelength 1.5-4 x-heights, amplitude
w / 2 x-heights) and each of its strokes moved by N(0, w / 4) x-heights.
A reader trained on few fonts learns their shapes; warped letters teach it
the letter instead. w = 0 draws no random numbers: the lines are those of
every earlier version. Likewise stroke_shuffle p > 0 reverses each stroke
of a letter, then swaps each neighbouring pair, with probability p
(`shuffle_strokes`; within the letter, so the letters still come in the
text's order): people (and plotter fonts) draw a letter's strokes in other
orders and directions than the hands a reader learned from.

Points. A style whose pen fields (smooth, curve_gain, end_speed) are
neutral is resampled at uniform arc length (`strokes.resample`): the legacy
lines. Otherwise `pen.pen_resample` rounds corners and spaces the points
by the pen-speed profile; either way a stroke gets the same number of
points, set from the font's ink per character so that a line averages
points_per_char points a character (times its `speed`).

Dimension letters: N points of a stroke or polyline.
"""
from __future__ import annotations

import collections
import dataclasses
import functools

import numpy as np

from seqgen.data.fonts import (
    FONTS,
    RESERVED_FONTS,
    TRACED_FONTS,
    WRITER_FONTS,
    Glyph,
    load_font,
    segment_distance,
)
from seqgen.data.pen import PenProfile, pen_resample
from seqgen.data.strokes import StrokeDataError, affine_matrix, resample, strokes_to_line

TARGET_POINTS_PER_CHAR = 25.0  # mean points per character of the text (Graves 2013 §4: ~25)
X_HEIGHT_UNITS = 150.0  # median x-height in raw units (IAM-OnDB: roughly 100-200)
JOIN_TOLERANCE = 0.1  # x-heights: nominal gap under which consecutive glyphs join
WORD_SPACE_RANGE = (0.6, 1.2)  # x-heights: a font's space advance is clipped to it
# Cursive joins, in x-heights (see the module docstring).
JOIN_BAND = (-0.25, 1.3)  # heights where a connecting stroke may start and end
CURSIVE_REACH = 1.2  # longest connecting stroke
CURSIVE_BACK = 0.3  # how far a connecting stroke may go leftwards
JOIN_SIDE = 0.4  # fraction of a letter's ink width where a connection may end or start
JOIN_SLOPE = 1.5  # steepest connecting stroke, rise over run (plus JOIN_TOLERANCE)
MARK_LENGTH = 0.7  # a stroke of a letter with less ink (a dot, a bar) waits for the word's end
RETRACE_REACH = 0.45  # a letter's next stroke starting this near its last one continues it
RETRACE_ALONG = (1.0, 0.15)  # or this near, if the way there runs this close along the ink
CURVE_WINDOW = 0.15  # x-heights over which the pen-speed curvature is averaged


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
    # The pen (pen.py): 0, 0, 1 = uniform arc-length points, the legacy lines.
    smooth: float = 0.0  # x-heights, half-width of the corner rounding
    curve_gain: float = 0.0  # x-heights: a curve of radius r gets 1 + curve_gain / r more points
    end_speed: float = 1.0  # pen speed at stroke ends relative to the middle (density 1 / it)
    end_length: float = 0.2  # x-heights, how far from the ends the pen is slow
    cursive: bool = False  # join letters within words (module docstring)
    # Each glyph's shape varied (`warp_glyph`): 0 draws the font's shapes;
    # ~0.15 makes every letter a slightly different one, as a hand's are.
    glyph_warp: float = 0.0
    # Each stroke reversed, and each pair of neighbouring strokes swapped,
    # with this probability (`shuffle_strokes`): 0 keeps the writing order;
    # ~0.3 teaches a reader the ink's shape, not the order it came in.
    stroke_shuffle: float = 0.0
    # The single-line SVG fonts' strokes in a writer's order and direction
    # (fonts.load_font); False keeps the files' plotter order, as drawn before.
    writing_order: bool = False

    def pen_profile(self) -> PenProfile | None:
        """The pen profile in raw units, or None for uniform arc-length points."""
        if self.smooth == 0 and self.curve_gain == 0 and self.end_speed == 1:
            return None
        return PenProfile(curve_gain=self.curve_gain * self.x_height,
                          end_speed=self.end_speed, end_length=self.end_length * self.x_height,
                          curve_window=CURVE_WINDOW * self.x_height,
                          smooth=self.smooth * self.x_height)


def sample_style(rng: np.random.Generator) -> Style:
    """A random line's style (legacy lines); the ranges give IAM-like variety across lines."""
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


def _find_glyph(char: str, font: str, writing_order: bool = False
                ) -> tuple[Glyph | None, bool]:
    """(glyph, is_fallback): the font's glyph, else the next font's that has it.

    The four FONTS fall back among themselves, in their order after the font
    (cyclically), as they always have; every other font tries WRITER_FONTS
    after it, cyclically (a reserved or traced font: from the start).
    """
    glyph = load_font(font, writing_order).glyphs.get(char)
    if glyph is not None:
        return glyph, False
    order = FONTS if font in FONTS else WRITER_FONTS
    k = order.index(font) if font in order else -1
    for other in order[k + 1:] + order[:max(k, 0)]:
        glyph = load_font(other, writing_order).glyphs.get(char)
        if glyph is not None:
            return glyph, True
    return None, False


def _ink_span(glyph: Glyph) -> tuple[float, float]:
    """(left, right) of the glyph's ink, x-heights from its origin."""
    x = np.concatenate([s[:, 0] for s in glyph.strokes])
    return float(x.min()), float(x.max())


def _connects(end: np.ndarray, end_span: tuple[float, float], start: np.ndarray,
              start_span: tuple[float, float]) -> bool:
    """A cursive writer joins a stroke ending at `end` to one starting at `start`
    (placed, x-heights); the spans are the two letters' placed ink (left, right)."""
    dx, dy = start - end
    if abs(dx) < JOIN_TOLERANCE and abs(dy) < JOIN_TOLERANCE:
        return True
    low, high = JOIN_BAND
    exits_right = end[0] >= end_span[1] - JOIN_SIDE * (end_span[1] - end_span[0])
    enters_left = start[0] <= start_span[0] + JOIN_SIDE * (start_span[1] - start_span[0])
    gentle = abs(dy) <= JOIN_SLOPE * max(dx, 0.0) + JOIN_TOLERANCE
    return bool(low <= end[1] <= high and low <= start[1] <= high and exits_right
                and enters_left and gentle and np.hypot(dx, dy) < CURSIVE_REACH
                and dx > -CURSIVE_BACK)


def _retraces(stroke_Nx2: np.ndarray, start: np.ndarray) -> bool:
    """A cursive writer goes on from the end of `stroke_Nx2` to `start`
    within a letter: near, or along the ink already written."""
    gap = float(np.hypot(*(start - stroke_Nx2[-1])))
    if gap < RETRACE_REACH:
        return True
    reach, along = RETRACE_ALONG
    way_Kx2 = stroke_Nx2[-1] + np.linspace(0, 1, 6)[:, None] * (start - stroke_Nx2[-1])
    return bool(gap < reach and len(stroke_Nx2) > 1
                and segment_distance(way_Kx2, stroke_Nx2).max() < along)


def _ink(s: np.ndarray) -> float:
    return float(np.hypot(*np.diff(s, axis=0).T).sum())


def warp_glyph(strokes: list[np.ndarray], rng: np.random.Generator, w: float
               ) -> list[np.ndarray]:
    """A glyph's strokes (x-heights, its own origin) in a randomly varied
    shape of strength `w` (module docstring, Glyph warp)."""
    if w <= 0 or not strokes:
        return strokes
    points_Nx2 = np.concatenate(strokes)
    middle = np.array([(points_Nx2[:, 0].min() + points_Nx2[:, 0].max()) / 2, 0.5])
    matrix = affine_matrix(slant=float(rng.normal(0.0, w)),
                           scale=tuple(np.exp(rng.normal(0.0, w, 2))),
                           rotation=float(rng.normal(0.0, w / 2)))
    angles = rng.uniform(0.0, 2 * np.pi, 2)
    waves = 2 * np.pi / rng.uniform(1.5, 4.0, 2)
    phases = rng.uniform(0.0, 2 * np.pi, 2)
    shifts = rng.normal(0.0, w / 4, (len(strokes), 2))
    out = []
    for s, shift in zip(strokes, shifts, strict=True):
        p = (s - middle) @ matrix.T + middle
        along = p @ np.stack([np.cos(angles), np.sin(angles)])  # (N, 2): each wave's phase
        out.append(p + w / 2 * np.sin(along * waves + phases) + shift)
    return out


def shuffle_strokes(strokes: list[np.ndarray], rng: np.random.Generator, p: float
                    ) -> list[np.ndarray]:
    """A glyph's strokes, each reversed and each neighbouring pair swapped
    with probability `p` (module docstring, Glyph warp)."""
    if p <= 0 or not strokes:
        return strokes
    out = [s[::-1] if flip else s for s, flip in zip(strokes, rng.random(len(strokes)) < p,
                                                       strict=True)]
    for i, swap in enumerate(rng.random(len(out) - 1) < p):
        if swap:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


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
    joinable = False  # cursive: strokes[-1] is a letter's, which the next letter may continue
    span = (0.0, 0.0)  # cursive: that letter's placed ink, (left, right)
    marks: list[np.ndarray] = []  # cursive: the word's dots and bars, written after it
    for char in text:
        if char.isspace():
            x += space_advance * style.word_space
            kept.append(" ")
            previous = None
            strokes += marks
            marks, joinable = [], False
            continue
        glyph, is_fallback = _find_glyph(char, font, style.writing_order)
        if glyph is None:
            missing += 1
            continue
        fallback += is_fallback
        kept.append(char)
        letter = style.cursive and char.isalpha() and bool(glyph.strokes)
        here = (x + _ink_span(glyph)[0], x + _ink_span(glyph)[1]) if letter else span
        first = True  # the letter's first stroke that is not a mark
        shaped = warp_glyph(list(glyph.strokes), rng, style.glyph_warp)
        for k, s in enumerate(shuffle_strokes(shaped, rng, style.stroke_shuffle)):
            placed = s + (x, 0.0)
            if style.cursive:
                if letter and joinable and (
                        _connects(strokes[-1][-1], span, placed[0], here) if first
                        else _retraces(strokes[-1], placed[0])):
                    strokes[-1] = np.concatenate([strokes[-1], placed])
                elif letter and len(glyph.strokes) > 1 and _ink(s) < MARK_LENGTH:
                    marks.append(placed)
                    continue
                else:
                    strokes.append(placed)
                joinable, first = letter, False
            elif (k == 0 and previous is not None and previous.strokes and np.hypot(
                    *(previous.strokes[-1][-1] - s[0] - (previous.advance, 0.0)))
                    < JOIN_TOLERANCE):
                strokes[-1] = np.concatenate([strokes[-1], placed])
            else:
                strokes.append(placed)
        if not letter:
            joinable = False
        span = here
        step = glyph.advance * (1.0 + style.letter_spacing * rng.standard_normal())
        x += max(step, 0.0) + style.tracking
        previous = glyph if glyph.strokes else None
    strokes += marks
    # A left-out character may leave two spaces in a row: the text gets one.
    return strokes, " ".join("".join(kept).split()), fallback, missing


@functools.cache
def _ink_rates(font: str, writing_order: bool = False) -> tuple[float, float]:
    """(ink length, strokes) per character of the corpus, in x-heights, for `font`."""
    from seqgen.data.text.shakespeare import shakespeare_text  # reads 1 MB

    # Single spaces, as in the text lines: indentation and blank lines would
    # inflate the character count.
    counts = collections.Counter(" ".join(shakespeare_text().split()))
    ink = n_strokes = 0.0
    for char, count in counts.items():
        glyph = None if char.isspace() else _find_glyph(char, font, writing_order)[0]
        if glyph is not None:
            ink += count * sum(_ink(s) for s in glyph.strokes)
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
    ink, n_strokes = _ink_rates(font, style.writing_order)
    # A stroke of length S gets about S / spacing + 1 points: solve for the target.
    per_char = max(points_per_char * style.speed - n_strokes, 1.0)
    spacing = style.x_height * ink / per_char
    profile = style.pen_profile()
    if profile is None:
        resampled = resample(np.split(points_Nx2, ends), spacing)
    else:
        # The fine grid at least 0.03 x-heights, so that rounding and
        # curvature resolve letter-sized curves at low densities too.
        step = min(spacing / 5, 0.03 * style.x_height)
        resampled = pen_resample(np.split(points_Nx2, ends), spacing, profile, step)
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
    glyph fall back as `_find_glyph` says; nothing raises for them.
    """
    unknown = set(style) - {f.name for f in dataclasses.fields(Style)}
    if unknown:
        raise StrokeDataError(f"draw_line: unknown style parameter(s) {sorted(unknown)}; "
                              f"use fields of seqgen.data.drawn.Style.")
    if font not in WRITER_FONTS + RESERVED_FONTS + TRACED_FONTS:  # reserved: the independent check
        raise StrokeDataError(f"draw_line: font {font!r} is unknown; use one of "
                              f"{WRITER_FONTS}.")
    chosen = dataclasses.replace(sample_style(rng), **style)
    return render_line(text, font, rng, chosen, points_per_char).line
