"""The web API's input checks: a request body (parsed JSON) to plain Python
values, or a UserError whose one-line message the page shows.

Nothing a user sends is evaluated: texts are only encoded with a model's
alphabet, numbers must be JSON numbers (not strings, not booleans) inside
their range, colours go through Pillow's colour-name parser, and ink must
be strokes of [x, y] or [x, y, t] points within the caps below before it
reaches seqgen/handwriting/ink.py's reader (the same checks as a JSON ink file).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from seqgen.command.errors import UserError
from seqgen.config.handwriting import BIAS, BIAS_MAX
from seqgen.handwriting import ink, page, render, styles

MAX_BODY_BYTES = 2_000_000  # a drawn line is tens of kilobytes
MAX_TEXT = 800  # characters per write request (a page of MAX_LINES lines)
MAX_LINES = 16  # lines per page (a 10-line page fits; page_sizes.LINE_BUCKETS)
MAX_STROKES = 300  # strokes of one drawn line
MAX_INK_POINTS = 10_000  # points of one drawn line (a pointer at 120 Hz for 80 s)
MAX_COORD = 1e6  # canvas pixels; anything larger is not a screen
MAX_SAMPLE = 2000  # symbols per text sample


def _get(body: dict, key: str, default: Any = None) -> Any:
    if not isinstance(body, dict):
        raise UserError("the request body must be a JSON object")
    return body.get(key, default)


def number(body: dict, key: str, default: float, low: float, high: float,
           integer: bool = False) -> float:
    """A JSON number in [low, high] (default when missing or null)."""
    v = _get(body, key, default)
    if v is None:
        v = default
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise UserError(f"{key}={v!r}: give a number in [{low:g}, {high:g}]")
    if not math.isfinite(v) or not low <= v <= high:
        raise UserError(f"{key}={v}: use a value in [{low:g}, {high:g}]")
    if integer and v != int(v):
        raise UserError(f"{key}={v}: use a whole number in [{low:g}, {high:g}]")
    return int(v) if integer else float(v)


def text(body: dict, key: str, limit: int, what: str, required: bool = True) -> str:
    """A string of at most `limit` characters (stripped)."""
    v = _get(body, key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise UserError(f"{key} is missing: give {what}")
        return ""
    if not isinstance(v, str):
        raise UserError(f"{key} must be a string: give {what}")
    if len(v) > limit:
        raise UserError(f"{key} has {len(v)} characters; give at most {limit}")
    return v.strip()


def lines_of(typed: str, wrap: int) -> list[str]:
    """Paragraphs (newline-separated) wrapped at `wrap` characters, at most MAX_LINES."""
    lines = []
    for paragraph in typed.replace("\r", "").split("\n"):
        lines += page.wrap_balanced(paragraph, wrap, break_long_words=True)
    if not lines:
        raise UserError("text is empty: type something to write")
    if len(lines) > MAX_LINES:
        raise UserError(f"the text makes {len(lines)} lines at {wrap} characters a line; "
                        f"write at most {MAX_LINES} at a time")
    return lines


def canvas_line(body: dict, key: str = "strokes") -> np.ndarray:
    """A drawn line (strokes of [x, y(, t)] points, y down) as rows (dx, dy, eos), y up."""
    strokes = _get(body, key)
    if strokes is None or strokes == []:
        raise UserError("no ink: write a line on the canvas first")
    if not isinstance(strokes, list) or not all(isinstance(s, list) for s in strokes):
        raise UserError(f"{key} must be a list of strokes, each a list of [x, y, t] points")
    if len(strokes) > MAX_STROKES:
        raise UserError(f"{len(strokes)} strokes; one line has at most {MAX_STROKES}: "
                        "clear the canvas and write one line")
    total = sum(len(s) for s in strokes)
    if total > MAX_INK_POINTS:
        raise UserError(f"{total:,} points; one line has at most {MAX_INK_POINTS:,}: "
                        "clear the canvas and write one line")
    for i, s in enumerate(strokes):
        for p in s:
            if not isinstance(p, list) or not 2 <= len(p) <= 3 or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in p):
                raise UserError(f"stroke {i}: every point must be [x, y] or [x, y, t] numbers")
            if not all(math.isfinite(v) and abs(v) <= MAX_COORD for v in p):
                raise UserError(f"stroke {i}: a point is not finite or is off any screen")
    return ink.from_screen(strokes, "your ink")


def color(body: dict) -> str:
    """A CSS colour name or #rrggbb, as '#rrggbb'."""
    v = text(body, "color", 32, "a colour name or #rrggbb", required=False) or "black"
    return render.pen_color(v)


def style_name(body: dict) -> str:
    """A name to save a style under (a file name: no paths)."""
    name = text(body, "name", 64, "a name for the style", required=True)
    if not styles.NAME.match(name):
        raise UserError(f"name={name!r}: use letters, digits, '-', '_' or '.' (at most 64, "
                        "starting with a letter or digit)")
    return name


@dataclasses.dataclass(frozen=True)
class Write:
    """A checked POST /api/write."""

    lines: list[str]
    bias: float
    style: str  # "" = the model's own (unprimed)
    ink: np.ndarray | None  # a drawn line to prime with, and its text in ink_text
    ink_text: str
    stroke_width: float
    line_height: float
    color: str
    seed: int
    # Read every line back with the product reader and write failures
    # again; None: the server's default (seqgen.serve --verify).
    verify: bool | None


def write(body: dict) -> Write:
    wrap = number(body, "wrap", 40, 10, 80, integer=True)
    typed = text(body, "text", MAX_TEXT, "the text to write")
    drawn = _get(body, "strokes") is not None
    ink = canvas_line(body) if drawn else None
    ink_text = text(body, "ink_text", styles.MAX_PRIME_CHARS,
                    "what the drawn line says", required=drawn)
    style = text(body, "style", 100, "a style's name", required=False)
    if drawn and style:
        raise UserError("prime with a style or with your ink, not both")
    return Write(lines=lines_of(typed, wrap), bias=number(body, "bias", BIAS, 0.0, BIAS_MAX),
                 style=style, ink=ink, ink_text=ink_text,
                 stroke_width=number(body, "stroke_width", 2.0, 0.1, 20.0),
                 line_height=number(body, "line_height", 64.0, 16.0, 256.0),
                 color=color(body), seed=number(body, "seed", 0, 0, 2**31 - 1, integer=True),
                 verify=flag(body, "verify", None))


def flag(body: dict, key: str, default: bool | None) -> bool | None:
    """A JSON boolean (default when missing or null)."""
    v = _get(body, key, default)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise UserError(f"{key}={v!r}: give true or false")
    return v


@dataclasses.dataclass(frozen=True)
class Sample:
    """A checked POST /api/sample."""

    prime: str
    length: int
    temperature: float
    seed: int


def sample(body: dict) -> Sample:
    prime = _get(body, "prime")
    if not isinstance(prime, str) or not prime:
        raise UserError("prime is missing: give some text to continue")
    if len(prime) > 1000:
        raise UserError(f"prime has {len(prime)} characters; give at most 1000")
    return Sample(prime=prime, length=number(body, "length", 300, 1, MAX_SAMPLE, integer=True),
                  temperature=number(body, "temperature", 0.8, 0.0, 3.0),
                  seed=number(body, "seed", 0, 0, 2**31 - 1, integer=True))
