"""A population of writers for drawn handwriting: a font plus a hand.

A `Writer` is a font and a `Style` (drawing.py) drawn once from the
writer's own seed: size, slant, width, letter and word spacing, baseline
drift, corner rounding, jitter, pen-speed profile and whether it joins
letters (cursive). Every line it writes varies a little around that style
(`line_style`): the size, slant, width, spacing and speed by a few percent,
the baseline's tilt and drift phase afresh. So a writer's lines share a
hand, and writers differ as people do.

`population(seed, split, n, fonts)` is the split's writers, writer w with
font fonts[w % len(fonts)] (each font about equally often) and its style
from `np.random.default_rng([seed, WRITER_STREAM, split, w])`: training,
validation and test writers come from different streams, so validation and
test hands are never trained on, and the same seed gives the same writers.
Writer ids are '<split>-w<w:04d>' (e.g. 'valid-w0003'); the StrokeSet's
`writers` hold them, and `writer(seed, id, fonts)` gives back that
writer's font and style (to prime with a validation writer, or to score
per writer).

Writer parameters (x-heights unless said; per line in brackets):
  font           fonts[w % len(fonts)]
  cursive        with probability CURSIVE_FRACTION
  x_height       150 raw units * exp(N(0, 0.18))                  [* exp(N(0, 0.04))]
  slant          N(0.08, 0.15) radians, clipped to [-0.25, 0.45]  [+ N(0, 0.02)]
  aspect         exp(N(0, 0.12)), clipped to [0.75, 1.35]         [* exp(N(0, 0.02))]
  tilt           N(0, 0.015) radians                              [+ N(0, 0.01)]
  letter_spacing U(0.02, 0.07): std of the relative change of each advance
  tracking       U(-0.02, 0.14) added to each advance             [+ N(0, 0.01)]
  word_space     U(0.75, 1.4) times the font's space              [* exp(N(0, 0.05))]
  drift          amplitude U(0, 0.3), wavelength U(8, 25)         [phase U(0, 2 pi)]
  speed          exp(N(0, 0.15) - 0.15^2/2): points per ink, mean 1  [* exp(N(0, 0.04))]
  jitter         U(0.003, 0.012): per-point noise
  smooth         U(0, 0.08): corner rounding
  curve_gain     U(0.1, 0.5): a curve of radius r gets 1 + curve_gain / r times the points
  end_speed      U(0.3, 0.7): pen speed at stroke ends (density 1 / end_speed)
  end_length     U(0.1, 0.3): how far from the ends the pen is slow
"""
from __future__ import annotations

import dataclasses

import numpy as np

from seqgen.data.drawing import X_HEIGHT_UNITS, Style
from seqgen.data.drawn_texts import SPLITS
from seqgen.data.strokes import StrokeDataError

WRITER_VERSION = "1.0.0"  # change whenever a writer's style or line variation changes
WRITER_STREAM = 19  # separates the writers' random streams from the lines'
CURSIVE_FRACTION = 0.5  # writers who join letters


@dataclasses.dataclass(frozen=True)
class Writer:
    """One hand: a font and the style its lines vary around."""

    id: str  # '<split>-w<number>', e.g. 'train-w0042'
    font: str
    style: Style


def sample_writer(writer_id: str, font: str, rng: np.random.Generator) -> Writer:
    """A writer's style drawn from `rng` (ranges in the module docstring)."""
    speed_sd = 0.15
    style = Style(
        x_height=X_HEIGHT_UNITS * float(np.exp(rng.normal(0.0, 0.18))),
        slant=float(np.clip(rng.normal(0.08, 0.15), -0.25, 0.45)),  # most hands lean right
        aspect=float(np.clip(np.exp(rng.normal(0.0, 0.12)), 0.75, 1.35)),
        tilt=float(rng.normal(0.0, 0.015)),
        drift_amplitude=float(rng.uniform(0.0, 0.3)),
        drift_wavelength=float(rng.uniform(8.0, 25.0)),
        letter_spacing=float(rng.uniform(0.02, 0.07)),
        tracking=float(rng.uniform(-0.02, 0.14)),
        word_space=float(rng.uniform(0.75, 1.4)),
        # Mean 1: the points per character average the target.
        speed=float(np.exp(rng.normal(0.0, speed_sd) - speed_sd ** 2 / 2)),
        jitter=float(rng.uniform(0.003, 0.012)),
        smooth=float(rng.uniform(0.0, 0.08)),
        curve_gain=float(rng.uniform(0.1, 0.5)),
        end_speed=float(rng.uniform(0.3, 0.7)),
        end_length=float(rng.uniform(0.1, 0.3)),
        cursive=bool(rng.random() < CURSIVE_FRACTION),
    )
    return Writer(id=writer_id, font=font, style=style)


def population(seed: int, split: str, n: int, fonts: tuple[str, ...]) -> tuple[Writer, ...]:
    """The first n writers of `split` (module docstring): deterministic in
    (seed, split, w), and more writers keep the first ones."""
    return tuple(writer(seed, f"{split}-w{w:04d}", fonts) for w in range(n))


def writer(seed: int, writer_id: str, fonts: tuple[str, ...]) -> Writer:
    """The writer with this id ('valid-w0003') in the population of `fonts`."""
    split, _, number = writer_id.rpartition("-w")
    if split not in SPLITS or not number.isdigit():
        raise StrokeDataError(f"writer id {writer_id!r}: expected '<split>-w<number>' with "
                              f"split one of {SPLITS}, e.g. 'valid-w0003'.")
    w = int(number)
    return sample_writer(f"{split}-w{w:04d}", fonts[w % len(fonts)],
                         np.random.default_rng([seed, WRITER_STREAM, SPLITS.index(split), w]))


def line_style(writer: Writer, rng: np.random.Generator) -> Style:
    """The style of one line by `writer`: its own, varied a little."""
    s = writer.style
    return dataclasses.replace(
        s,
        x_height=s.x_height * float(np.exp(rng.normal(0.0, 0.04))),
        slant=s.slant + float(rng.normal(0.0, 0.02)),
        aspect=s.aspect * float(np.exp(rng.normal(0.0, 0.02))),
        tilt=s.tilt + float(rng.normal(0.0, 0.01)),
        drift_phase=float(rng.uniform(0.0, 2 * np.pi)),
        tracking=s.tracking + float(rng.normal(0.0, 0.01)),
        word_space=s.word_space * float(np.exp(rng.normal(0.0, 0.05))),
        speed=s.speed * float(np.exp(rng.normal(0.0, 0.04))),
    )
