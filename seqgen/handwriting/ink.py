"""Digital ink from files: the formats `python -m seqgen.read` accepts, each
read into lines (strokes.py: float32 rows (dx, dy, eos), y up).

  .npy    one line, the project's own (T, 3) array of (dx, dy, eos) rows
  .npz    several lines: every array of shape (T, 3) in the file, in the
          order of their names (seqgen.write saves line_000, line_001, ...);
          a `texts` array, if present, is what was meant to be written
  .json   what a browser canvas records: a list of strokes, each a list of
          [x, y] points (extra values per point, e.g. a timestamp, are
          ignored), y pointing DOWN as on a screen; or a list of such lists
          (several lines); or {"strokes": ..., "text": ...}; or what
          `seqgen.write --format=json` writes, {"lines": [...], "texts": [...]}
  .inkml  W3C InkML: every <trace> is a stroke of "x y[ ...]" points
          separated by commas, y pointing down; all traces form one line

Anything else, and files that hold no usable line (empty, wrong shape,
NaN or infinite values, a single point), fail with one line naming the file.

`fit_to` rescales a line from another source to the size and point
spacing a recogniser was trained on (its letters the height of the
training lines', its pen-down points as far apart).
"""

from __future__ import annotations

import json
import pathlib
import zipfile

import numpy as np
from defusedxml import ElementTree

from seqgen.data import strokes
from seqgen.data.strokes import StrokeDataError

FORMATS = (".npy", ".npz", ".json", ".inkml")


def _fail(path: pathlib.Path, why: str) -> StrokeDataError:
    return StrokeDataError(f"{path}: {why}")


def _checked(line, path: pathlib.Path, what: str = "the line") -> np.ndarray:
    line = np.asarray(line)
    if line.ndim != 2 or line.shape[1] != 3 or line.dtype.kind not in "fiu":
        raise _fail(path, f"{what} has shape {line.shape} ({line.dtype}); expected a (T, 3) "
                          "numeric array of (dx, dy, eos) rows")
    if not np.all(np.isfinite(line)):
        raise _fail(path, f"{what} has NaN or infinite values")
    if len(line) < 2:
        raise _fail(path, f"{what} has {len(line)} point(s); a line needs at least 2")
    return line.astype(np.float32)


def _from_screen_strokes(stroke_list, path: pathlib.Path, what: str) -> np.ndarray:
    """[[x, y, ...], ...] strokes with y down -> a line (y up, first point at 0)."""
    arrays = []
    for i, s in enumerate(stroke_list):
        try:
            a = np.asarray(s, np.float64)
        except (TypeError, ValueError):
            raise _fail(path, f"{what}, stroke {i} is not a list of [x, y] points") from None
        if a.ndim != 2 or a.shape[1] < 2 or len(a) == 0:
            raise _fail(path, f"{what}, stroke {i} has shape {a.shape}; expected "
                              "[[x, y], ...] with at least one point")
        if not np.all(np.isfinite(a[:, :2])):
            raise _fail(path, f"{what}, stroke {i} has NaN or infinite values")
        arrays.append(a[:, :2] * np.array([1.0, -1.0]))  # screen y down -> y up
    if not arrays:
        raise _fail(path, f"{what} has no strokes")
    line = strokes.strokes_to_line(arrays)
    line[0, :2] = 0.0  # start at the origin, as the loaders do
    return _checked(line, path, what)


def from_screen(stroke_list, where: str) -> np.ndarray:
    """A line from strokes of [x, y(, t)] points with y down (a browser
    canvas's), checked as the JSON reader checks a file; errors name `where`."""
    return _from_screen_strokes(stroke_list, pathlib.Path(where), "the line")


def _depth(x) -> int:
    d = 0
    while isinstance(x, list) and x:
        x, d = x[0], d + 1
    return d


def _read_json(path: pathlib.Path) -> tuple[list[np.ndarray], list[str] | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _fail(path, f"not valid JSON ({e})") from None
    texts = None
    if isinstance(data, dict):  # {"strokes", "text"} or seqgen.write's {"lines", "texts"}
        texts = [data["text"]] if isinstance(data.get("text"), str) else data.get("texts")
        data = data.get("strokes", data.get("lines"))
    if not isinstance(data, list) or not data:
        raise _fail(path, "expected a non-empty list of strokes of [x, y] points")
    if _depth(data) == 4:  # several lines
        lines = [_from_screen_strokes(s, path, f"line {i}") for i, s in enumerate(data)]
    elif _depth(data) == 3:
        lines = [_from_screen_strokes(data, path, "the line")]
    else:
        raise _fail(path, "expected a list of strokes, each a list of [x, y] points")
    ok = isinstance(texts, list) and all(isinstance(t, str) for t in texts)
    return lines, (texts if ok and len(texts) == len(lines) else None)


def _read_inkml(path: pathlib.Path) -> list[np.ndarray]:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as e:
        raise _fail(path, f"not valid InkML/XML ({e})") from None
    traces = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "trace"]
    stroke_list = []
    for i, trace in enumerate(traces):
        try:
            points = [[float(v) for v in p.split()] for p in (trace.text or "").split(",")
                      if p.strip()]
        except ValueError:
            raise _fail(path, f"trace {i} holds a value that is not a number") from None
        if points:
            stroke_list.append(points)
    if not stroke_list:
        raise _fail(path, "no <trace> with points")
    return [_from_screen_strokes(stroke_list, path, "the line")]


def load(path: str | pathlib.Path) -> tuple[list[np.ndarray], list[str] | None]:
    """(lines, the texts meant, if the file says) from an ink file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise _fail(path, "no such file")
    if path.stat().st_size == 0:
        raise _fail(path, "the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            return [_checked(np.load(path, allow_pickle=False), path)], None
        except ValueError as e:
            raise _fail(path, f"not a readable .npy array ({e})") from None
    if suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in sorted(z.files)}
        except (ValueError, zipfile.BadZipFile) as e:
            raise _fail(path, f"not a readable .npz archive ({e})") from None
        texts = arrays.pop("texts", None)
        lines = [_checked(a, path, f"array {k!r}") for k, a in arrays.items()]
        if not lines:
            raise _fail(path, "holds no line arrays")
        return lines, (None if texts is None else [str(t) for t in texts])
    if suffix == ".json":
        return _read_json(path)
    if suffix == ".inkml":
        return _read_inkml(path), None
    raise _fail(path, f"unknown ink format {suffix or '(no suffix)'!r}; use one of "
                      f"{', '.join(FORMATS)}")


def save_npz(path: str | pathlib.Path, lines: list[np.ndarray],
             texts: list[str] | None = None) -> pathlib.Path:
    """Lines (and what they say) as .npz: line_000, line_001, ..., texts."""
    path = pathlib.Path(path).with_suffix(".npz")
    arrays = {f"line_{i:03d}": np.asarray(line, np.float32) for i, line in enumerate(lines)}
    if texts is not None:
        arrays["texts"] = np.asarray(texts, dtype=str)
    np.savez(path, **arrays)
    return path


def height(line: np.ndarray) -> float:
    """The line's writing height: the 5-95% range of its pen points' y."""
    y = strokes.to_absolute(line)[:, 1]
    return float(np.percentile(y, 95) - np.percentile(y, 5))


def spacing(line: np.ndarray) -> float:
    """Median distance between consecutive points of a stroke."""
    pen_down = np.concatenate([[False], line[:-1, 2] < 0.5])
    steps = np.hypot(line[:, 0], line[:, 1])[pen_down]
    return float(np.median(steps)) if len(steps) else 0.0


def fit_to(line: np.ndarray, *, target_height: float, target_spacing: float) -> np.ndarray:
    """`line` scaled to `target_height` and resampled at `target_spacing`."""
    h = height(line)
    scale = target_height / h if h > 0 else 1.0
    scaled = strokes.line_to_strokes(line)
    scaled = [s * scale for s in scaled]
    out = strokes.strokes_to_line(strokes.resample(scaled, target_spacing))
    out[0, :2] = 0.0
    return out


def save_lines(out: pathlib.Path, lines: list[np.ndarray], texts: list[str],
                 fmt: str) -> list[pathlib.Path]:
    """The raw strokes beside the page `out`, as npz (one file), npy (one
    file a line) or json (screen strokes); the paths written."""
    if fmt == "npz":
        return [save_npz(out.with_suffix(".npz"), lines, texts)]
    if fmt == "npy":
        paths = [out.with_name(f"{out.stem}_{i:03d}.npy") for i in range(len(lines))]
        for path, line in zip(paths, lines, strict=True):
            np.save(path, np.asarray(line, np.float32))
        return paths
    path = out.with_suffix(".json")
    path.write_text(json.dumps({"texts": texts, "lines": [to_screen(x) for x in lines]})
                    + "\n")
    return [path]


def to_screen(line: np.ndarray) -> list:
    """A line as a screen records it (`load` reads it back):
    strokes of absolute [x, y] points, y down."""
    points = strokes.to_absolute(np.asarray(line, np.float64)) * np.array([1.0, -1.0])
    return [[[round(float(x), 2), round(float(y), 2)] for x, y in s]
            for s in strokes.split_strokes(points, np.asarray(line)[:, 2])]
