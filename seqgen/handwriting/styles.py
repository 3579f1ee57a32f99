"""Writing styles to prime a synthesis model with (Graves §5.3): a line of
ink and the text it says.

Where a style comes from:
  shipped   a shipped writer's styles/ folder (seqgen/pretrained): one .npz
            per style (the line in the model's raw units and its text), named
            after the validation writer's font, e.g. 'ems_allure-1'
  saved     `--save_style=NAME` keeps a primed style in the user's style
            folder ($SEQGEN_STYLES, else $XDG_DATA_HOME/seqgen/styles, else
            ~/.local/share/seqgen/styles) as NAME.npz, for any model
  a file    the user's own line: JSON strokes of [x, y] or [x, y, t] points
            (y down, as a screen records them), InkML, or the project's .npy
            (seqgen/handwriting/ink.py), with the text it says

Ink from a file is brought to the model's scale before priming (`fit`):
scaled so that its writing height (the 5-95% range of the pen points' y,
which spans the x-height and most ascenders and descenders) equals the
median of the model's reference lines, then resampled along each stroke at
their median pen-down step. The checks that make unusable ink a one-line
error are in `fit`: too little ink, no text, or a text whose length is far
from what the ink holds at the model's points per character.

Dimension letters: T points (rows (dx, dy, eos)).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re

import numpy as np

from seqgen.command.errors import UserError
from seqgen.handwriting import ink

MAX_FILE_BYTES = 5_000_000  # a line of ink is kilobytes; a larger file is not one line
MAX_POINTS = 20_000  # an IAM line has ~700 points
MAX_PRIME_CHARS = 80  # the prime's text is read by the window before every line
MIN_POINTS = 10  # fewer points (as recorded or at the model's scale) is a dot or a dash
CHARS_RATIO = 3.0  # ink holding 1/3 to 3x the text's length in characters is accepted
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclasses.dataclass(frozen=True)
class Style:
    name: str
    line_Tx3: np.ndarray  # raw units of the model's data, y up
    text: str
    about: str = ""  # where it comes from (font and hand, file)


@dataclasses.dataclass(frozen=True)
class Scale:
    """The model's ink: what a style is fitted to."""

    height: float  # median writing height of the reference lines, raw units
    spacing: float  # median pen-down step, raw units
    points_per_char: float  # median points per character of text

    @classmethod
    def of(cls, lines: list[np.ndarray], texts: list[str]) -> Scale:
        return cls(height=float(np.median([ink.height(x) for x in lines])),
                   spacing=float(np.median([ink.spacing(x) for x in lines])),
                   points_per_char=float(np.median([len(x) / max(len(t), 1)
                                                    for x, t in zip(lines, texts, strict=True)])))


def scale_of(kind, model_dir: str | pathlib.Path) -> Scale:
    """A writer's ink scale: from its shipped styles, else its own run's
    validation lines (which loads its data)."""
    lines = shipped(model_dir)
    if lines:
        return Scale.of([s.line_Tx3 for s in lines], [s.text for s in lines])
    kind.load_data()
    valid = kind.splits.valid
    return Scale.of(list(valid.lines[:200]), list(valid.texts[:200]))


def user_dir() -> pathlib.Path:
    """Where --save_style keeps styles."""
    if os.environ.get("SEQGEN_STYLES"):
        return pathlib.Path(os.environ["SEQGEN_STYLES"]).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or pathlib.Path.home() / ".local" / "share"
    return pathlib.Path(data) / "seqgen" / "styles"


def _from_npz(path: pathlib.Path, name: str) -> Style:
    try:
        with np.load(path, allow_pickle=False) as z:
            line, text = np.asarray(z["line_000"], np.float32), str(z["texts"][0])
            about = str(z["about"]) if "about" in z.files else ""
    except (OSError, ValueError, KeyError) as e:
        raise UserError(f"{path}: not a style file ({e}); delete it or save it "
                        "again with --save_style") from None
    return Style(name, line, text, about)


def shipped(model_dir: str | pathlib.Path) -> list[Style]:
    """The styles a shipped writer comes with, in their listed order."""
    folder = pathlib.Path(model_dir) / "styles"
    if not folder.is_dir():
        return []
    return [_from_npz(p, p.stem) for p in sorted(folder.glob("*.npz"))]


def saved() -> list[Style]:
    """The user's saved styles."""
    folder = user_dir()
    return [_from_npz(p, p.stem) for p in sorted(folder.glob("*.npz"))] \
        if folder.is_dir() else []


def save(style: Style, folder: str | pathlib.Path | None = None) -> pathlib.Path:
    """Keeps `style` (already fitted) as <folder>/<name>.npz; returns the path."""
    if not NAME.match(style.name):
        raise UserError(f"--save_style={style.name!r}: use letters, digits, '-', '_' or '.' "
                        "(at most 64, starting with a letter or digit)")
    folder = pathlib.Path(folder) if folder else user_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{style.name}.npz"
    np.savez(path, line_000=style.line_Tx3.astype(np.float32),
             texts=np.asarray([style.text], dtype=str), about=np.asarray(style.about))
    return path


def find(spec: str, model_dir: str | pathlib.Path) -> Style:
    """--style=NAME|N: a shipped or saved style by name, or the N-th listed."""
    listed = shipped(model_dir) + saved()
    if spec.strip().isdigit():
        n = int(spec)
        if not 0 <= n < len(listed):
            raise UserError(f"--style={spec}: there are {len(listed)} styles (0.."
                            f"{len(listed) - 1}); see --list-styles")
        return listed[n]
    for style in listed:
        if style.name == spec:
            return style
    raise UserError(f"--style={spec!r} is not a shipped or saved style; see --list-styles "
                    f"({len(listed)} styles)")


def from_file(path: str, text: str | None) -> tuple[np.ndarray, str]:
    """(line, text) of a user's ink file; the text from the argument or the file."""
    p = pathlib.Path(path).expanduser()
    if p.is_file() and p.stat().st_size > MAX_FILE_BYTES:
        raise UserError(f"--style_file={path}: {p.stat().st_size:,} bytes; one line of ink "
                        f"is far smaller (limit {MAX_FILE_BYTES:,}); give one line")
    lines, meant = ink.load(p)
    if len(lines) != 1:
        raise UserError(f"--style_file={path} holds {len(lines)} lines; give one line of "
                        "ink for a style")
    text = text if text and text.strip() else (meant or [None])[0]
    if not text or not text.strip():
        raise UserError(f"--style_file={path}: say what the ink says with --style_text="
                        "'...' (the model reads the prime's text with its window)")
    return lines[0], text.strip()


def fit(line_Tx3: np.ndarray, text: str, scale: Scale, where: str) -> np.ndarray:
    """The line at the model's writing height and point spacing (module
    docstring), after the checks that make unusable ink a one-line error."""
    line = np.asarray(line_Tx3, np.float32)
    if line.ndim != 2 or line.shape[1] != 3 or not np.all(np.isfinite(line)):
        raise UserError(f"{where}: the ink must be finite (T, 3) rows (dx, dy, eos)")
    if len(line) > MAX_POINTS:
        raise UserError(f"{where}: {len(line):,} points; one line has at most "
                        f"{MAX_POINTS:,} (an IAM line ~700); give one line")
    if len(text) > MAX_PRIME_CHARS:
        raise UserError(f"{where}: the text has {len(text)} characters; prime with one "
                        f"line of at most {MAX_PRIME_CHARS}")
    if len(line) < MIN_POINTS:
        raise UserError(f"{where}: too little ink ({len(line)} points); write a whole "
                        "line of a few words")
    if ink.height(line) <= 0 or np.ptp(np.cumsum(line[:, 0])) <= 0:
        raise UserError(f"{where}: the ink has no extent (a dot or a straight stroke); "
                        "write a whole line")
    fitted = ink.fit_to(line, target_height=scale.height, target_spacing=scale.spacing)
    pen_down = int(np.sum(fitted[:, 2] < 0.5))
    if pen_down < MIN_POINTS:
        raise UserError(f"{where}: too little ink ({pen_down} points once at the model's "
                        "scale); write a whole line of a few words")
    chars = len(fitted) / scale.points_per_char  # characters the ink holds
    if not 1 / CHARS_RATIO <= chars / len(text) <= CHARS_RATIO:
        raise UserError(f"{where}: the ink holds about {chars:.0f} characters of writing "
                        f"but the text has {len(text)}; give the text that was written")
    return fitted


def listing(model_dir: str) -> str:
    """The styles --style takes, one a line: number, name, where from, text."""
    ours, yours = shipped(model_dir), saved()
    rows = [f"{i:3d}  {s.name:28s} {'shipped' if i < len(ours) else 'saved':8s} "
            f"{s.text[:40]!r}  {s.about}" for i, s in enumerate(ours + yours)]
    if not rows:
        return (f"no styles: {model_dir} ships none and none are saved in "
                f"{user_dir()}; --style=N primes with validation line N")
    return "\n".join(rows) + f"\n(saved styles live in {user_dir()})"
