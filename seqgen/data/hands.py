"""The vendored handwriting fonts and their traced pen strokes (package data).

seqgen/third_party/hands/ holds outline handwriting fonts, one folder per
family (<id>/<id>.ttf and its LICENSE), listed in catalogue.json (a list of
records with at least "id" and "family"). tools/trace_fonts.py traces them
into pen strokes (seqgen/data/tracing.py) and writes one file per family
that traced cleanly, traced/<id>.npz, which is all the package reads: no
tracing happens at run time, and neither scikit-image nor fontTools is
needed to draw with the traced families.

A traced file (`save` / `load`; numpy arrays, no pickles):
  chars      int32 (G,): the code point of each glyph, ascending
  advance    int16 (G,): each glyph's advance, x-heights / QUANTUM
  strokes    int32 (G + 1,): glyph g's strokes are stroke numbers
             strokes[g] to strokes[g + 1] - 1
  points     int32 (S + 1,): stroke s's points are rows points[s] to
             points[s + 1] - 1 of xy
  xy         int16 (P, 2): every point, x-heights / QUANTUM (baseline y = 0,
             x-height y = 1, x from the glyph's origin, y up), as
             fonts.normalise_font leaves them
  x_height, baseline  float64 (): the font's own units, as measured
Coordinates are rounded to QUANTUM = 1/1000 x-height: at most 0.0005
x-heights off in x and in y (0.0007 in distance; a 150-unit x-height moves
by under 0.08 units); int16 holds +-32 x-heights. np.savez_compressed
writes the same bytes for the same arrays (fixed zip time stamps).

Dimension letters: G glyphs, S strokes, P points, N points of a stroke.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from seqgen.data.strokes import StrokeDataError
from seqgen.data.vendored import vendored_dir

QUANTUM = 1e-3  # x-heights per stored unit
HANDS_DIR = vendored_dir("hands")
TRACED_DIR = HANDS_DIR / "traced"


@functools.cache
def catalogue(hands_dir: Path = HANDS_DIR) -> tuple[dict, ...]:
    """The catalogue's records, () if there is no catalogue."""
    path = hands_dir / "catalogue.json"
    if not path.is_file():
        return ()
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StrokeDataError(f"{path}: cannot read the catalogue ({err}); restore it from "
                              f"git (git checkout -- {path.name}).") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "id" in r
                                                for r in records):
        raise StrokeDataError(f"{path}: expected a list of records with an 'id'; restore "
                              f"it from git.")
    return tuple(records)


@functools.cache
def traced_ids(hands_dir: Path = HANDS_DIR) -> tuple[str, ...]:
    """The catalogue's families that have a traced file, in catalogue order."""
    return tuple(r["id"] for r in catalogue(hands_dir)
                 if (hands_dir / "traced" / f"{r['id']}.npz").is_file())


def pack(glyphs: Mapping[str, tuple[tuple[np.ndarray, ...], float]], x_height: float,
         baseline: float) -> dict[str, np.ndarray]:
    """Glyphs (char -> (strokes in x-heights, advance in x-heights)) as the file's arrays."""
    chars = sorted(glyphs, key=ord)
    strokes = [s for c in chars for s in glyphs[c][0]]
    xy_Px2 = (np.concatenate(strokes) if strokes else np.zeros((0, 2)))
    quantised_Px2 = np.round(xy_Px2 / QUANTUM)
    if np.abs(quantised_Px2).max(initial=0) > np.iinfo(np.int16).max:
        raise StrokeDataError(f"a traced glyph reaches {np.abs(xy_Px2).max():.1f} x-heights "
                              f"from its origin, beyond int16 at {QUANTUM}; the font's "
                              f"x-height was mismeasured.")
    return {
        "chars": np.array([ord(c) for c in chars], np.int32),
        "advance": np.round(np.array([glyphs[c][1] for c in chars]) / QUANTUM).astype(
            np.int16),
        "strokes": np.cumsum([0] + [len(glyphs[c][0]) for c in chars]).astype(np.int32),
        "points": np.cumsum([0] + [len(s) for s in strokes]).astype(np.int32),
        "xy": quantised_Px2.astype(np.int16).reshape(-1, 2),
        "x_height": np.float64(x_height),
        "baseline": np.float64(baseline),
    }


def save(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def load(path: Path) -> tuple[dict[str, tuple[tuple[np.ndarray, ...], float]], float, float]:
    """(char -> (strokes float64 (N, 2) in x-heights, advance), x_height, baseline)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            a = {k: f[k] for k in f.files}
        chars, advance, strokes, points, xy = (a["chars"], a["advance"], a["strokes"],
                                               a["points"], a["xy"].astype(np.float64) * QUANTUM)
        glyphs = {}
        for g, code in enumerate(chars.tolist()):
            glyphs[chr(code)] = (
                tuple(xy[points[s]:points[s + 1]] for s in range(strokes[g], strokes[g + 1])),
                float(advance[g]) * QUANTUM)
        return glyphs, float(a["x_height"]), float(a["baseline"])
    except (OSError, ValueError, KeyError, IndexError) as err:
        raise StrokeDataError(f"{path}: cannot read the traced font ({err}); rebuild it with "
                              f"python -m tools.trace_fonts or restore it from git.") from None
