"""Tests of the pen-speed profile and corner rounding (seqgen/data/pen.py),
measured from where the points land: spacing on a straight stretch, in a
circle and at the ends, against the closed form in pen.py's docstring."""
import numpy as np
import pytest

from seqgen.data import pen
from seqgen.data.strokes import StrokeDataError, resample


def circle_plus_straight(r=2.0, straight=20.0):
    """A straight run along +x into a full circle of radius r (tangent), then
    another straight run: a polyline with 720 vertices on the circle."""
    theta = np.linspace(0, 2 * np.pi, 721)
    circle = np.stack([r * np.sin(theta), r - r * np.cos(theta)], axis=1)
    return np.concatenate([[[-straight, 0.0]], circle, [[straight, 0.0]]])


def test_pen_speed_puts_1_plus_g_over_r_times_the_points_in_a_curve():
    r, g, e0 = 2.0, 2.0, 0.5
    poly = circle_plus_straight(r)
    profile = pen.PenProfile(curve_gain=g, end_speed=e0, end_length=1.0, curve_window=0.5)
    spacing = 0.25
    (out,) = pen.pen_resample([poly], spacing, profile)
    length = 40 + 2 * np.pi * r
    assert len(out) == round(length / spacing) + 1 == len(resample([poly], spacing)[0])
    step = np.hypot(*np.diff(out, axis=0).T)
    mid = (out[:-1] + out[1:]) / 2
    on_straight = (mid[:, 0] < -5) & (mid[:, 0] > -15)
    angle = np.arctan2(mid[:, 0], r - mid[:, 1])  # around the circle's centre (0, r)
    on_circle = (np.abs(mid[:, 1] - r) < r + 0.1) & (np.abs(np.abs(angle) - np.pi / 2) < 0.6) \
        & (mid[:, 1] > 0.5)
    assert on_straight.sum() > 10 and on_circle.sum() > 10
    # Density ratio = step ratio = 1 + g / r (module docstring): 2 here.
    assert step[on_straight].mean() / step[on_circle].mean() == pytest.approx(1 + g / r,
                                                                              rel=0.05)
    # At the ends the pen moves at e0 of its cruising speed: steps shrink to ~e0.
    cruise = step[on_straight].mean()
    assert step[0] / cruise == pytest.approx(e0, abs=0.08)
    assert step[-1] / cruise == pytest.approx(e0, abs=0.08)
    # The ends stay where they were.
    np.testing.assert_allclose(out[[0, -1]], poly[[0, -1]], atol=1e-9)


def test_a_neutral_pen_is_uniform_arc_length_resampling():
    rng = np.random.default_rng(0)
    strokes = [np.cumsum(rng.normal(size=(12, 2)), axis=0), np.array([[3.0, 4.0]]),
               circle_plus_straight(1.0, 3.0)]
    neutral = pen.PenProfile()
    for a, b in zip(pen.pen_resample(strokes, 0.3, neutral, step=0.005),
                    resample(strokes, 0.3), strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=0.02)


def test_smoothing_rounds_corners_and_keeps_ends_and_straight_lines():
    corner = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    line = np.array([[0.0, 0.0], [7.0, 0.0], [10.0, 0.0]])
    profile = pen.PenProfile(smooth=1.0)
    rounded, straight = pen.pen_resample([corner, line], 0.2, profile)
    np.testing.assert_allclose(rounded[[0, -1]], corner[[0, -1]], atol=1e-9)
    gap = np.hypot(*(rounded - [10.0, 0.0]).T).min()
    assert 0.2 < gap < 1.0  # the corner is cut, by less than the window
    np.testing.assert_allclose(straight[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(straight[[0, -1]], line[[0, -1]], atol=1e-9)


def test_bad_profiles_and_spacings_are_one_line_errors():
    poly = circle_plus_straight()
    for profile, spacing in [(pen.PenProfile(end_speed=0.0), 0.2),
                             (pen.PenProfile(end_length=0.0), 0.2),
                             (pen.PenProfile(curve_gain=-1.0), 0.2), (pen.PenProfile(), 0.0)]:
        with pytest.raises(StrokeDataError, match="pen_resample"):
            pen.pen_resample([poly], spacing, profile)


@pytest.mark.parametrize("radius", [1, 3, 50])
def test_rounding_is_a_reflected_moving_average_taken_twice(radius):
    # Reference: each stroke padded by point reflection through its ends,
    # a plain moving average over 2r + 1 points, twice (r clipped to n - 1).
    rng = np.random.default_rng(0)
    strokes = [np.cumsum(rng.normal(size=(n, 2)), axis=0) for n in (2, 5, 30, 3)]
    fine = pen._uniform(strokes + [np.array([[1.0, 2.0]])], 0.3)
    want = []
    for start, n in zip(fine.start_K, fine.count_K, strict=True):
        p = fine.p_Fx2[start:start + n]
        r = min(radius, n - 1)
        for _ in range(2):
            padded = np.concatenate([2 * p[0] - p[1:r + 1][::-1], p,
                                     2 * p[-1] - p[n - 1 - r:n - 1][::-1]])
            p = np.array([padded[i:i + 2 * r + 1].mean(axis=0) for i in range(n)])
        want.append(p)
    np.testing.assert_allclose(pen._box_reflected(fine, radius, passes=2),
                               np.concatenate(want), atol=1e-9)
