"""How a pen moves along drawn strokes: corner rounding and the pen-speed profile.

A tablet samples the pen at a constant rate, so a real line's points are
dense where the pen is slow: in curves, at corners and where a stroke starts
and ends (IAM-OnDB shows this); arc-length resampling (`strokes.resample`)
spaces them evenly instead. `pen_resample` places points at equal steps of
pen *time* for a speed profile:

  v(s) = e(s) / (1 + g * kappa(s))               speed at arc length s, 1 on a straight
  e(s) = 1 - (1 - e0) * exp(-d(s) / l_end)       slowing near the ends, d(s) = min(s, L - s)
  tau(s) = integral_0^s du / v(u)                pen time; points at equal steps of tau

where kappa is the unsigned curvature (turning angle per unit length),
averaged over `curve_window` of arc length so that a polyline's corner
spreads over a short arc instead of piling points onto one vertex. The point
density is proportional to 1 / v: far from the ends, a circle of radius r
gets (1 + g / r) times the points per unit length of a straight stretch, and
the ends get 1 / e0 times the density of the stroke's middle. Each stroke
keeps exactly the number of points `strokes.resample` gives it
(max(1, round(L / spacing)) + 1), so a line's total does not change.

`smooth` rounds the corners first: positions are averaged twice over a
window of +-smooth arc length (a triangular kernel), with the stroke
reflected through its end points so that ends stay put and straight strokes
stay straight.

Everything is computed on a fine uniform resampling of all strokes of a line
at once (about `FINE` points per output step): no Python loop over strokes.

Dimension letters: F fine points of a line, K strokes, P output points.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from seqgen.data.strokes import StrokeDataError

FINE = 5  # fine points per output spacing: curvature and smoothing resolution


@dataclasses.dataclass(frozen=True)
class PenProfile:
    """The speed profile and rounding, in the units of the strokes."""

    curve_gain: float = 0.0  # g: density is (1 + g * kappa) times a straight stretch's
    end_speed: float = 1.0  # e0 in (0, 1]: speed at a stroke's very ends
    end_length: float = 1.0  # l_end: decay length of the slowing near the ends
    curve_window: float = 0.0  # arc length over which kappa is averaged
    smooth: float = 0.0  # half-width of the corner-rounding window


@dataclasses.dataclass(frozen=True)
class _Fine:
    p_Fx2: np.ndarray  # fine points, strokes one after another
    start_K: np.ndarray  # index of each stroke's first fine point
    count_K: np.ndarray  # fine points of each stroke (1 for a stroke of length 0)
    length_K: np.ndarray  # arc length of each input stroke (before any smoothing)


def _uniform(strokes: Sequence[np.ndarray], step: float) -> _Fine:
    """All strokes resampled at equal arc-length steps of at most `step`."""
    s_list = [np.asarray(s, np.float64).reshape(-1, 2) for s in strokes]
    seg_len = [np.hypot(*np.diff(s, axis=0).T) for s in s_list]
    length_K = np.array([float(d.sum()) for d in seg_len])
    steps_K = np.where(length_K > 0, np.maximum(1, np.ceil(length_K / step)), 0).astype(int)
    count_K = steps_K + 1
    # One global arc coordinate, each stroke shifted past the previous by a
    # gap, so that a single np.interp serves every stroke.
    offset_K = np.concatenate([[0.0], np.cumsum(length_K + 1.0)[:-1]])
    arc_V = np.concatenate([o + np.concatenate([[0.0], np.cumsum(d)])
                            for o, d in zip(offset_K, seg_len, strict=True)])
    v_Vx2 = np.concatenate(s_list)
    start_K = np.concatenate([[0], np.cumsum(count_K)[:-1]])
    local_F = np.arange(count_K.sum()) - np.repeat(start_K, count_K)
    at_F = (np.repeat(offset_K, count_K)
            + np.repeat(length_K / np.maximum(steps_K, 1), count_K) * local_F)
    p_Fx2 = np.stack([np.interp(at_F, arc_V, v_Vx2[:, 0]),
                      np.interp(at_F, arc_V, v_Vx2[:, 1])], axis=1)
    return _Fine(p_Fx2, start_K, count_K, length_K)


def _box_reflected(fine: _Fine, radius: int, passes: int) -> np.ndarray:
    """`passes` times the mean over +-radius fine points, each stroke extended
    by point reflection through its ends (p[-j] = 2 p[0] - p[j]), so that
    ends and straight lines stay put."""
    p_Fx2, start_K, count_K = fine.p_Fx2, fine.start_K, fine.count_K
    # Indices into the prefix sums c[q] = sum p[<q], the same for every pass.
    n_F = np.repeat(count_K, count_K)
    s_F = np.repeat(start_K, count_K)
    i_F = np.arange(len(p_Fx2)) - s_F  # index within the stroke
    r_F = np.minimum(radius, n_F - 1)  # a reflection never reaches past the other end
    hi_F = s_F + np.minimum(i_F + r_F, n_F - 1) + 1
    lo_F = s_F + np.maximum(i_F - r_F, 0)
    size_F = (2 * r_F + 1)[:, None].astype(np.float64)
    # The few points whose window reaches past an end: a reflected points
    # before the start (j at the stroke's start s), b after the end (e).
    j = np.flatnonzero(i_F < r_F)
    a_J, s_J = (r_F - i_F)[j], s_F[j]
    k = np.flatnonzero(i_F + r_F > n_F - 1)
    b_K, e_K = (i_F + r_F - (n_F - 1))[k], (s_F + n_F - 1)[k]
    for _ in range(passes):
        c_Fx2 = np.concatenate([np.zeros((1, 2)), np.cumsum(p_Fx2, axis=0)])
        total_Fx2 = c_Fx2[hi_F] - c_Fx2[lo_F]
        total_Fx2[j] += 2 * a_J[:, None] * p_Fx2[s_J] - (c_Fx2[s_J + a_J + 1] - c_Fx2[s_J + 1])
        total_Fx2[k] += 2 * b_K[:, None] * p_Fx2[e_K] - (c_Fx2[e_K] - c_Fx2[e_K - b_K])
        p_Fx2 = total_Fx2 / size_F
    return p_Fx2


def pen_resample(strokes: Sequence[np.ndarray], spacing: float, profile: PenProfile,
                 step: float | None = None) -> list[np.ndarray]:
    """Strokes resampled at equal steps of pen time (module docstring).

    spacing: the mean distance between points, as in `strokes.resample`
    (each stroke gets the same number of points as there); step: the fine
    resolution, default spacing / FINE.
    """
    if not spacing > 0:
        raise StrokeDataError(f"pen_resample: spacing={spacing} must be > 0 (data units).")
    if not 0 < profile.end_speed <= 1 or profile.end_length <= 0 or profile.curve_gain < 0:
        raise StrokeDataError(f"pen_resample: {profile} needs 0 < end_speed <= 1, "
                              f"end_length > 0 and curve_gain >= 0.")
    h = spacing / FINE if step is None else step
    fine = _uniform(strokes, h)
    if profile.smooth > 0:
        radius = int(round(profile.smooth / h))
        if radius > 0:  # twice: a triangular kernel
            fine = dataclasses.replace(fine, p_Fx2=_box_reflected(fine, radius, passes=2))
    p_Fx2, start_K, count_K = fine.p_Fx2, fine.start_K, fine.count_K
    n = len(p_Fx2)
    # Segment g joins fine points g and g + 1; segments that cross from one
    # stroke to the next are masked out.
    last_F = np.zeros(n, bool)
    last_F[start_K + count_K - 1] = True
    d_Gx2 = np.diff(p_Fx2, axis=0)
    inner_G = ~last_F[:-1]
    len_G = np.where(inner_G, np.hypot(*d_Gx2.T), 0.0)
    heading_G = np.arctan2(d_Gx2[:, 1], d_Gx2[:, 0])
    # Turning at each fine point between two segments of one stroke, split
    # half to each neighbouring segment.
    turn = np.abs(np.angle(np.exp(1j * (heading_G[1:] - heading_G[:-1]))))
    turn = np.where(inner_G[1:] & inner_G[:-1], turn, 0.0)
    turn_G = np.zeros(n - 1)
    turn_G[1:] += turn / 2
    turn_G[:-1] += turn / 2
    radius = int(round(profile.curve_window / (2 * h)))
    if radius > 0:  # averaged over the window, within the stroke
        c = np.concatenate([[0.0], np.cumsum(turn_G)])
        w = np.concatenate([[0.0], np.cumsum(inner_G.astype(float))])
        stroke_G = np.repeat(np.arange(len(count_K)), count_K)[:-1]
        first_G, end_G = start_K[stroke_G], (start_K + count_K - 1)[stroke_G]
        g = np.arange(n - 1)
        lo, hi = np.maximum(g - radius, first_G), np.minimum(g + radius + 1, end_G)
        turn_G = np.where(inner_G, (c[hi] - c[lo]) / np.maximum(w[hi] - w[lo], 1), 0.0)
    # Distance of each segment's middle to the nearer end of its stroke.
    arc_F = np.concatenate([[0.0], np.cumsum(len_G)])
    stroke_F = np.repeat(np.arange(len(count_K)), count_K)
    s0_F = arc_F[start_K][stroke_F]
    s1_F = arc_F[start_K + count_K - 1][stroke_F]
    mid_G = (arc_F[:-1] + arc_F[1:]) / 2
    d_G = np.minimum(mid_G - s0_F[:-1], s1_F[:-1] - mid_G)
    e_G = 1 - (1 - profile.end_speed) * np.exp(-np.maximum(d_G, 0) / profile.end_length)
    dtau_G = np.where(inner_G, (len_G + profile.curve_gain * turn_G) / e_G, 1.0)
    tau_F = np.concatenate([[0.0], np.cumsum(dtau_G)])  # the cross-stroke gaps add 1
    # Points per stroke as strokes.resample gives them (from the input's length).
    length_K = fine.length_K
    points_K = np.where(length_K > 0, np.maximum(1, np.round(length_K / spacing)) + 1, 1)
    points_K = points_K.astype(int)
    t0_K, t1_K = tau_F[start_K], tau_F[start_K + count_K - 1]
    first_P = np.concatenate([[0], np.cumsum(points_K)[:-1]])
    local_P = np.arange(points_K.sum()) - np.repeat(first_P, points_K)
    frac_P = local_P / np.repeat(np.maximum(points_K - 1, 1), points_K)
    at_P = np.repeat(t0_K, points_K) + frac_P * np.repeat(t1_K - t0_K, points_K)
    out_Px2 = np.stack([np.interp(at_P, tau_F, p_Fx2[:, 0]),
                        np.interp(at_P, tau_F, p_Fx2[:, 1])], axis=1)
    return np.split(out_Px2, first_P[1:])
