"""Online handwriting as stroke arrays: the shared types and their numpy operations.

A *line* is a float32 array line_Tx3 of rows (dx, dy, eos):
  - row t holds the offset from pen point t-1 to pen point t; row 0 holds the
    offset from the origin (0, 0) to the first point, so `to_absolute` is a
    cumulative sum and every conversion here round-trips. The loaders
    (iam_ondb.py, drawn.py) translate each line so that its first point is the
    origin: their row 0 is (0, 0), a dummy start that the model reads but never
    predicts;
  - eos[t] = 1 when point t is the last point of its stroke (the pen lifts
    after it, so the offset in row t+1 is a pen-up move), else 0;
  - units are the source's raw units (IAM-OnDB whiteboard units, font units
    for drawn handwriting) until `normalise`; x points right and y points UP
    (IAM-OnDB's y points down and is flipped when read).

A *stroke list* is a list of float arrays of absolute points, stroke_Nx2, one
per pen-down stroke, in the same units and axes.

Dimension letters: T points of a line, N points of a stroke, B lines of a
batch, L the padded length of a batch.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from seqgen.command.errors import UserError


class StrokeDataError(UserError):
    """One line naming the file/setting and the fix."""


# ----------------------------------------------------------------------------
# Shared types.
# ----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, eq=False)
class OffsetStats:
    """Normalisation statistics of (dx, dy) over the training points.

    Arrays hold numpy values, so == is identity; compare fields with numpy.
    """

    mean: np.ndarray  # float64 (2,)
    std: np.ndarray  # float64 (2,)

    def __post_init__(self) -> None:
        for name in ("mean", "std"):
            value = np.array(getattr(self, name), dtype=np.float64)  # a private copy
            if value.shape != (2,) or not np.all(np.isfinite(value)):
                raise StrokeDataError(f"OffsetStats.{name}={value!r}: expected 2 finite "
                                      f"numbers (dx, dy).")
            value.flags.writeable = False
            object.__setattr__(self, name, value)
        if not np.all(self.std > 0):
            raise StrokeDataError(f"OffsetStats.std={self.std.tolist()}: must be > 0; the "
                                  f"training offsets do not vary in some axis.")

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> OffsetStats:
        return cls(mean=np.asarray(d["mean"], np.float64),
                   std=np.asarray(d["std"], np.float64))


@dataclasses.dataclass(frozen=True, eq=False)
class StrokeSet:
    """Lines with their transcriptions, ids and writers, index-aligned."""

    lines: tuple[np.ndarray, ...]  # each float32 (T_i, 3): (dx, dy, eos); raw units; y up
    texts: tuple[str, ...]  # transcription of each line
    ids: tuple[str, ...]  # e.g. 'a01-000u-01' or 'drawn-train-000123'
    writers: tuple[str, ...]  # writer id (IAM; drawn writers: 'train-w0042') or font (drawn)

    def __post_init__(self) -> None:
        sizes = {len(self.lines), len(self.texts), len(self.ids), len(self.writers)}
        if len(sizes) != 1:
            raise StrokeDataError(
                f"StrokeSet: lines, texts, ids and writers have lengths "
                f"{len(self.lines)}, {len(self.texts)}, {len(self.ids)}, "
                f"{len(self.writers)}; they must be index-aligned.")

    def __len__(self) -> int:
        return len(self.lines)


@dataclasses.dataclass(frozen=True, eq=False)
class HandwritingSplits:
    train: StrokeSet
    valid: StrokeSet
    test: StrokeSet
    stats: OffsetStats  # computed on train only
    name: str  # 'iam_ondb' | 'drawn'
    info: dict  # JSON-safe facts, e.g. {'skipped_no_strokes': 3, 'skipped_bad_xml': 1}
    # epoch -> the training lines drawn anew (same texts, writers, ids), for
    # data.redraw_every_epoch; None when the dataset cannot (recorded data).
    redraw_train: Callable[[int], StrokeSet] | None = None


# ----------------------------------------------------------------------------
# Conversions.
# ----------------------------------------------------------------------------

def _check_line(line: np.ndarray, where: str = "line") -> np.ndarray:
    line = np.asarray(line)
    if line.ndim != 2 or line.shape[1] != 3:
        raise StrokeDataError(f"{where}: expected a (T, 3) array of (dx, dy, eos) rows, "
                              f"got shape {line.shape}.")
    return line


def from_absolute(points_Tx2: np.ndarray, eos_T: np.ndarray) -> np.ndarray:
    """Absolute points and end-of-stroke flags -> line_Tx3 (row 0 = first point)."""
    points_Tx2 = np.asarray(points_Tx2, np.float64)
    eos_T = np.asarray(eos_T)
    if points_Tx2.ndim != 2 or points_Tx2.shape[1] != 2 or eos_T.shape != points_Tx2.shape[:1]:
        raise StrokeDataError(f"from_absolute: expected points (T, 2) and eos (T,), got "
                              f"{points_Tx2.shape} and {eos_T.shape}.")
    line_Tx3 = np.empty((len(points_Tx2), 3), np.float32)
    # Offsets in float64 first: raw coordinates can be large (IAM: ~10^4).
    line_Tx3[:, :2] = np.diff(points_Tx2, axis=0, prepend=np.zeros((1, 2)))
    line_Tx3[:, 2] = eos_T > 0.5
    return line_Tx3


def to_absolute(line_Tx3: np.ndarray) -> np.ndarray:
    """line_Tx3 -> float64 absolute points_Tx2 (cumulative sum of the offsets)."""
    line_Tx3 = _check_line(line_Tx3)
    # float64 so that thousands of float32 offsets do not accumulate rounding.
    return np.cumsum(line_Tx3[:, :2], axis=0, dtype=np.float64)


def strokes_to_line(strokes: Sequence[np.ndarray]) -> np.ndarray:
    """Stroke list (absolute stroke_Nx2 arrays) -> line_Tx3, eos on each stroke's last point."""
    if len(strokes) == 0:
        raise StrokeDataError("strokes_to_line: no strokes; a line needs at least one point.")
    for i, s in enumerate(strokes):
        s = np.asarray(s)
        if s.ndim != 2 or s.shape[1] != 2 or len(s) == 0:
            raise StrokeDataError(f"strokes_to_line: stroke {i} has shape {s.shape}; each "
                                  f"stroke must be a non-empty (N, 2) array (clean() drops "
                                  f"empty ones).")
    points_Tx2 = np.concatenate([np.asarray(s, np.float64) for s in strokes])
    eos_T = np.zeros(len(points_Tx2), np.float32)
    eos_T[np.cumsum([len(s) for s in strokes]) - 1] = 1
    return from_absolute(points_Tx2, eos_T)


def split_strokes(points_Tx2: np.ndarray, eos_T: np.ndarray | None) -> list[np.ndarray]:
    """Points (absolute, in any axes, e.g. a page's) -> their pen-down strokes.

    A stroke ends at each point with eos > 0.5; points after the last such
    point (a line cut mid-stroke, e.g. a sample) form a final stroke. Without
    eos_T the points are one stroke.
    """
    points_Tx2 = np.asarray(points_Tx2, np.float64)
    if eos_T is None:
        return [points_Tx2] if len(points_Tx2) else []
    ends = np.flatnonzero(np.asarray(eos_T) > 0.5) + 1
    return [s for s in np.split(points_Tx2, ends) if len(s)]


def line_to_strokes(line_Tx3: np.ndarray) -> list[np.ndarray]:
    """line_Tx3 -> stroke list of float64 absolute points; inverse of strokes_to_line."""
    return split_strokes(to_absolute(line_Tx3), np.asarray(line_Tx3)[:, 2])


# ----------------------------------------------------------------------------
# Normalisation.
# ----------------------------------------------------------------------------

def compute_stats(lines: Sequence[np.ndarray]) -> OffsetStats:
    """Mean and (population) std of dx and dy over rows 1.. of every line.

    Row 0 is always left out: it is the dummy (0, 0) start of a loader's line
    (or the offset from the origin to the first point), never a pen movement
    the model predicts, and counting it would bias the statistics.
    """
    count = 0
    total = np.zeros(2)
    for line in lines:
        d = _check_line(line, "compute_stats")[1:, :2].astype(np.float64)
        count += len(d)
        total += d.sum(axis=0)
    if count == 0:
        raise StrokeDataError("compute_stats: the lines hold no offsets (each needs two "
                              "points or more); check that the training split is not empty.")
    mean = total / count
    # Second pass about the mean: exact enough for millions of points.
    sq = np.zeros(2)
    for line in lines:
        sq += ((np.asarray(line)[1:, :2].astype(np.float64) - mean) ** 2).sum(axis=0)
    return OffsetStats(mean=mean, std=np.sqrt(sq / count))


def normalise(line_Tx3: np.ndarray, stats: OffsetStats) -> np.ndarray:
    """(dx, dy) -> ((dx, dy) - mean) / std on every row (row 0 too); eos untouched."""
    line_Tx3 = _check_line(line_Tx3)
    out = np.array(line_Tx3, np.float32)
    out[:, :2] = (line_Tx3[:, :2] - stats.mean) / stats.std
    return out


def denormalise(line_Tx3: np.ndarray, stats: OffsetStats) -> np.ndarray:
    """Inverse of `normalise`."""
    line_Tx3 = _check_line(line_Tx3)
    out = np.array(line_Tx3, np.float32)
    out[:, :2] = line_Tx3[:, :2] * stats.std + stats.mean
    return out


# ----------------------------------------------------------------------------
# Resampling, augmentation, clean-up.
# ----------------------------------------------------------------------------

def resample(strokes: Sequence[np.ndarray], spacing: float) -> list[np.ndarray]:
    """Each stroke resampled at equal arc-length steps of about `spacing` units.

    A stroke of arc length S gets max(1, round(S / spacing)) equal steps along
    its polyline, so its first and last points stay; a stroke of one point, or
    of length 0, becomes that single point. Corners are cut by at most one
    step, so the total length shrinks only where the pen turns within `spacing`.
    """
    if not spacing > 0:
        raise StrokeDataError(f"resample: spacing={spacing} must be > 0 (units of the data).")
    out = []
    for i, s in enumerate(strokes):
        s_Nx2 = np.asarray(s, np.float64)
        if not np.all(np.isfinite(s_Nx2)):
            raise StrokeDataError(f"resample: stroke {i} has NaN or infinite points; "
                                  f"clean() the strokes first.")
        arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(s_Nx2, axis=0).T))])
        length = arc_N[-1]
        if len(s_Nx2) <= 1 or length == 0:
            out.append(s_Nx2[:1].copy())
            continue
        steps = max(1, round(length / spacing))
        at = np.linspace(0.0, length, steps + 1)
        out.append(np.stack([np.interp(at, arc_N, s_Nx2[:, 0]),
                             np.interp(at, arc_N, s_Nx2[:, 1])], axis=1))
    return out


def affine_matrix(*, slant: float = 0.0, scale: tuple[float, float] = (1.0, 1.0),
                  rotation: float = 0.0) -> np.ndarray:
    """2x2 matrix R(rotation) @ diag(scale) @ shear(slant), applied as p -> M @ p.

    The shear moves x by y * tan(slant): with y up, slant > 0 leans upright
    strokes to the right. Angles in radians; rotation is counter-clockwise.
    """
    shear = np.array([[1.0, np.tan(slant)], [0.0, 1.0]])
    c, s = np.cos(rotation), np.sin(rotation)
    return np.array([[c, -s], [s, c]]) @ np.diag(np.asarray(scale, np.float64)) @ shear


def augment(line_Tx3: np.ndarray, rng: np.random.Generator, *, slant: float = 0.0,
            scale: tuple[float, float] = (1.0, 1.0), rotation: float = 0.0,
            jitter: float = 0.0) -> np.ndarray:
    """The line with its absolute points mapped by `affine_matrix` and jittered.

    Points p become M @ p + n with n ~ N(0, jitter^2) independently per point
    and axis (jitter in the line's units); eos is kept. Since M is linear it is
    applied to the offsets directly, which equals transforming `to_absolute`.
    """
    line_Tx3 = _check_line(line_Tx3)
    m = affine_matrix(slant=slant, scale=scale, rotation=rotation)
    d_Tx2 = line_Tx3[:, :2].astype(np.float64) @ m.T
    if jitter > 0:
        noise_Tx2 = rng.normal(0.0, jitter, d_Tx2.shape)
        d_Tx2 += np.diff(noise_Tx2, axis=0, prepend=np.zeros((1, 2)))
    out = np.array(line_Tx3, np.float32)
    out[:, :2] = d_Tx2
    return out


def random_augment(line_Tx3: np.ndarray, rng: np.random.Generator, *,
                   max_slant: float = 0.2, scale_range: tuple[float, float] = (0.9, 1.1),
                   max_aspect: float = 0.1, max_rotation: float = 0.05,
                   jitter: float = 0.0) -> np.ndarray:
    """`augment` with parameters drawn uniformly from the given ranges.

    slant ~ U(-max_slant, max_slant) and rotation ~ U(-max_rotation, max_rotation)
    in radians; a common scale s ~ U(*scale_range) with y scaled by a further
    a ~ U(1 - max_aspect, 1 + max_aspect), i.e. scale = (s, s * a); jitter as in
    `augment`. All zeros / (1, 1) leave the line unchanged.
    """
    slant = rng.uniform(-max_slant, max_slant)
    s = rng.uniform(*scale_range)
    aspect = rng.uniform(1 - max_aspect, 1 + max_aspect)
    rotation = rng.uniform(-max_rotation, max_rotation)
    return augment(line_Tx3, rng, slant=slant, scale=(s, s * aspect), rotation=rotation,
                   jitter=jitter)


CLEANINGS = ("split", "graves")
GAP_FACTOR = 1.5  # a time step this many sampling intervals long has readings missing


def clean(strokes: Sequence[np.ndarray], *, max_jump: float,
          counts: collections.Counter | None = None, method: str = "split"
          ) -> list[np.ndarray]:
    """Clean-up of raw pen readings, stroke by stroke; strokes are (N, 2)
    arrays of (x, y), or (N, 3) with each reading's time stamp.

    1. A reading is missing when either coordinate is NaN or infinite. Missing
       readings between two valid readings of the same stroke are linearly
       interpolated from them (by reading index, i.e. assuming a steady
       sampling rate); missing readings at a stroke's start or end have a
       neighbour on one side only and are dropped. A stroke with no valid
       reading is dropped.
    method 'split':
    2. A step longer than `max_jump` (Euclidean, in the data's units) between
       consecutive readings of a stroke is a tracking glitch: the stroke is
       split there, so the spurious line becomes a pen-up move and both
       pieces are kept (a piece may be a single point).
    method 'graves' (Graves 2013 §4: "Recording errors in the x, y data was
    corrected by interpolating to fill in for missing readings, and removing
    steps whose length exceeded a certain threshold"):
    2. Readings the tablet dropped show as gaps in the time stamps: where
       two readings of a stroke are more than GAP_FACTOR sampling intervals
       apart (the line's median time step), the missing ones are filled in
       on the straight line between them, evenly in time.
    3. A step longer than `max_jump` inside a stroke is removed: the rest of
       the stroke moves back by it, so no spurious line and no extra pen-up.
    Strokes of one point (dots) are kept. If `counts` is given, it is
    incremented with 'interpolated_points', 'dropped_points' (missing, at an
    end), 'dropped_strokes' (no valid reading) and 'split_jumps' (split) or
    'gap_points' and 'removed_steps' (graves).
    """
    if not max_jump > 0:
        raise StrokeDataError(f"clean: max_jump={max_jump} must be > 0 (units of the data).")
    if method not in CLEANINGS:
        raise StrokeDataError(f"clean: method={method!r}; use one of {CLEANINGS}")
    counts = collections.Counter() if counts is None else counts
    interval = _sampling_interval(strokes) if method == "graves" else None
    out = []
    for s in strokes:
        s = np.array(s, np.float64)
        s_NxC = s.reshape(-1, s.shape[-1] if s.ndim == 2 and s.shape[-1] == 3 else 2)
        s_Nx2 = s_NxC[:, :2]
        time_N = s_NxC[:, 2] if s_NxC.shape[1] == 3 else None
        valid_N = np.all(np.isfinite(s_Nx2), axis=1)
        if not valid_N.any():
            counts["dropped_strokes"] += 1
            continue
        first, last = np.flatnonzero(valid_N)[[0, -1]]
        counts["dropped_points"] += int(len(s_Nx2) - (last - first + 1))
        s_Nx2, valid_N = s_Nx2[first:last + 1].copy(), valid_N[first:last + 1]
        if not valid_N.all():
            index_N = np.arange(len(s_Nx2))
            for k in range(2):
                s_Nx2[~valid_N, k] = np.interp(index_N[~valid_N], index_N[valid_N],
                                               s_Nx2[valid_N, k])
            counts["interpolated_points"] += int((~valid_N).sum())
        if method == "split":
            jumps = np.flatnonzero(np.hypot(*np.diff(s_Nx2, axis=0).T) > max_jump) + 1
            counts["split_jumps"] += len(jumps)
            out.extend(np.split(s_Nx2, jumps))
            continue
        if time_N is not None and interval:
            s_Nx2 = _fill_gaps(s_Nx2, time_N[first:last + 1], interval, counts)
        step_Nx2 = np.diff(s_Nx2, axis=0)
        long_N = np.hypot(*step_Nx2.T) > max_jump
        counts["removed_steps"] += int(long_N.sum())
        if long_N.any():
            s_Nx2 = s_Nx2[0] + np.concatenate([np.zeros((1, 2)),
                                               np.cumsum(step_Nx2[~long_N], axis=0)])
        out.append(s_Nx2)
    return out


def _sampling_interval(strokes: Sequence[np.ndarray]) -> float | None:
    """The median time between consecutive readings of a stroke (None
    without time stamps)."""
    steps = [np.diff(np.asarray(s, np.float64)[:, 2]) for s in strokes
             if np.ndim(s) == 2 and np.shape(s)[1] == 3 and len(s) > 1]
    dt = np.concatenate(steps) if steps else np.zeros(0)
    dt = dt[np.isfinite(dt) & (dt > 0)]
    return float(np.median(dt)) if dt.size else None


def _fill_gaps(s_Nx2: np.ndarray, time_N: np.ndarray, interval: float,
               counts: collections.Counter) -> np.ndarray:
    """Readings missing from a time-stamp gap, on the straight line, evenly in time."""
    dt_N = np.diff(time_N)
    gaps = np.flatnonzero(np.isfinite(dt_N) & (dt_N > GAP_FACTOR * interval))
    if not gaps.size:
        return s_Nx2
    pieces, start = [], 0
    for g in gaps:
        missing = int(round(dt_N[g] / interval)) - 1
        frac_M = np.arange(1, missing + 1)[:, None] / (missing + 1)
        pieces += [s_Nx2[start:g + 1], s_Nx2[g] + frac_M * (s_Nx2[g + 1] - s_Nx2[g])]
        counts["gap_points"] += missing
        start = g + 1
    return np.concatenate(pieces + [s_Nx2[start:]])


# ----------------------------------------------------------------------------
# Batching.
# ----------------------------------------------------------------------------

def pad_batch(lines: Sequence[np.ndarray], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Lines -> (x_BxLx3 float32 zero-padded, mask_BxL float32: 1 on real rows).

    L = max_len for every batch (a fixed shape compiles once). A line longer
    than max_len is an error: callers choose to drop or split such lines.
    """
    x_BxLx3 = np.zeros((len(lines), max_len, 3), np.float32)
    mask_BxL = np.zeros((len(lines), max_len), np.float32)
    for b, line in enumerate(lines):
        line = _check_line(line, f"pad_batch: line {b}")
        if len(line) > max_len:
            raise StrokeDataError(f"pad_batch: line {b} has {len(line)} points, more than "
                                  f"max_len={max_len}; raise the max length or drop/split "
                                  f"long lines before batching.")
        x_BxLx3[b, :len(line)] = line
        mask_BxL[b, :len(line)] = 1
    return x_BxLx3, mask_BxL

