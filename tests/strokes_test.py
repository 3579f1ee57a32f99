"""Stroke arrays: checked against hand-computed lines, numpy re-derivations and geometry."""
import collections
import json

import numpy as np
import pytest

from seqgen.command.errors import UserError
from seqgen.data import strokes as S


def random_strokes(rng, n_strokes=4, scale=50.0, origin=(3000.0, -1200.0)):
    sizes = rng.integers(1, 30, n_strokes)
    return [np.asarray(origin) + np.cumsum(rng.normal(0, scale, (n, 2)), axis=0)
            for n in sizes]


# ------------------------------------------------------------------ conversions

def test_strokes_to_line_by_hand():
    strokes = [np.array([[1.0, 2.0], [4.0, 6.0]]), np.array([[5.0, 5.0]]),
               np.array([[0.0, 0.0], [0.0, -1.0], [2.0, -1.0]])]
    expected = np.array([[1, 2, 0], [3, 4, 1],  # row 0: offset from the origin
                         [1, -1, 1],  # a dot: its own stroke, eos 1
                         [-5, -5, 0], [0, -1, 0], [2, 0, 1]], np.float32)
    line = S.strokes_to_line(strokes)
    assert line.dtype == np.float32
    np.testing.assert_array_equal(line, expected)
    back = S.line_to_strokes(line)
    assert len(back) == 3
    for a, b in zip(back, strokes, strict=True):
        np.testing.assert_array_equal(a, b)


def test_round_trips_exact_up_to_float32():
    rng = np.random.default_rng(0)
    strokes = random_strokes(rng)
    back = S.line_to_strokes(S.strokes_to_line(strokes))
    assert [len(s) for s in back] == [len(s) for s in strokes]
    for a, b in zip(back, strokes, strict=True):
        # float32 offsets of ~50 units, summed over < 120 points
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)
    points = np.concatenate(strokes)
    eos = np.zeros(len(points))
    eos[np.cumsum([len(s) for s in strokes]) - 1] = 1
    line = S.from_absolute(points, eos)
    np.testing.assert_array_equal(line[:, 2], eos)
    np.testing.assert_allclose(S.to_absolute(line), points, atol=1e-3)
    # Offsets are differences of the float64 points, rounded once to float32.
    np.testing.assert_array_equal(line[1:, :2], np.diff(points, axis=0).astype(np.float32))


def test_line_cut_mid_stroke_keeps_trailing_points():
    line = np.array([[0, 0, 0], [1, 0, 1], [1, 1, 0], [1, 1, 0]], np.float32)
    strokes = S.line_to_strokes(line)
    assert [len(s) for s in strokes] == [2, 2]
    np.testing.assert_array_equal(strokes[1], [[2, 1], [3, 2]])
    # The same split of points in other axes (render's page), or none without eos.
    page = S.to_absolute(line) * [2, -1] + [10, 0]
    pieces = S.split_strokes(page, line[:, 2])
    assert [len(s) for s in pieces] == [2, 2] and pieces[1].tolist() == [[14, -1], [16, -2]]
    assert [len(s) for s in S.split_strokes(page, None)] == [4]
    assert S.split_strokes(np.zeros((0, 2)), None) == []


@pytest.mark.parametrize("bad", [[], [np.zeros((0, 2))], [np.zeros((3, 3))]])
def test_strokes_to_line_rejects_empty_or_misshapen(bad):
    with pytest.raises(S.StrokeDataError, match="strokes_to_line"):
        S.strokes_to_line(bad)


def test_errors_are_user_errors_and_value_errors():
    assert issubclass(S.StrokeDataError, UserError)
    assert issubclass(S.StrokeDataError, ValueError)
    with pytest.raises(S.StrokeDataError, match=r"\(T, 3\)"):
        S.to_absolute(np.zeros((4, 2)))


# ------------------------------------------------------------------ statistics

def test_stats_match_numpy_on_concatenated_offsets():
    rng = np.random.default_rng(1)
    lines = []
    for _ in range(7):
        line = S.strokes_to_line(random_strokes(rng, scale=rng.uniform(5, 40)))
        line[0, :2] = 0  # loaders' dummy start row
        lines.append(line)
    stats = S.compute_stats(lines)
    d = np.concatenate([line[1:, :2] for line in lines]).astype(np.float64)
    np.testing.assert_allclose(stats.mean, d.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.std, d.std(axis=0), rtol=1e-12)
    assert stats.mean.dtype == np.float64

    normed = [S.normalise(line, stats) for line in lines]
    nd = np.concatenate([n[1:, :2] for n in normed]).astype(np.float64)
    np.testing.assert_allclose(nd.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(nd.std(axis=0), 1, atol=1e-6)
    for line, n in zip(lines, normed, strict=True):
        np.testing.assert_array_equal(n[:, 2], line[:, 2])
        np.testing.assert_allclose(n[:, :2], (line[:, :2] - d.mean(0)) / d.std(0), rtol=1e-5)
        np.testing.assert_allclose(S.denormalise(n, stats), line, atol=1e-3)


def test_stats_dict_round_trip_and_bad_values():
    stats = S.OffsetStats(mean=np.array([0.25, -1.5]), std=np.array([3.0, 7.125]))
    again = S.OffsetStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    np.testing.assert_array_equal(again.mean, stats.mean)
    np.testing.assert_array_equal(again.std, stats.std)
    with pytest.raises(S.StrokeDataError, match="std"):
        S.OffsetStats(mean=np.zeros(2), std=np.array([1.0, 0.0]))
    with pytest.raises(S.StrokeDataError, match="no offsets"):
        S.compute_stats([np.zeros((1, 3), np.float32)])


def test_stroke_set_checks_alignment():
    line = np.zeros((2, 3), np.float32)
    assert len(S.StrokeSet((line,), ("a",), ("id",), ("w",))) == 1
    with pytest.raises(S.StrokeDataError, match="index-aligned"):
        S.StrokeSet((line, line), ("a",), ("id",), ("w",))


# ------------------------------------------------------------------ resampling

def test_resample_semicircle_spacing_endpoints_and_length():
    radius, spacing = 100.0, 7.0
    t = np.sort(np.random.default_rng(2).uniform(0, np.pi, 400))
    t[[0, -1]] = 0, np.pi
    arc = radius * np.stack([np.cos(t), np.sin(t)], axis=1)  # unevenly sampled
    dot = np.array([[5.0, 5.0]])
    out = S.resample([arc, dot, np.array([[1.0, 1.0], [1.0, 1.0]])], spacing)
    assert len(out) == 3
    np.testing.assert_array_equal(out[1], dot)
    np.testing.assert_array_equal(out[2], [[1.0, 1.0]])  # zero length: one point
    r = out[0]
    np.testing.assert_allclose(r[0], arc[0], atol=1e-9)
    np.testing.assert_allclose(r[-1], arc[-1], atol=1e-9)
    steps = np.hypot(*np.diff(r, axis=0).T)
    true_length = np.pi * radius
    assert abs(steps.mean() - spacing) < 0.05 * spacing
    assert steps.std() < 0.05 * spacing
    assert abs(steps.sum() - true_length) < 0.02 * true_length
    # Points stay on the polyline, hence within the sagitta of the circle.
    assert np.all(np.abs(np.hypot(*r.T) - radius) < 0.5)


# ------------------------------------------------------------------ augmentation

def test_augment_equals_explicit_matrix_on_absolute_points():
    rng = np.random.default_rng(3)
    line = S.strokes_to_line(random_strokes(rng, scale=10.0, origin=(0.0, 0.0)))
    slant, (sx, sy), rot = 0.3, (1.2, 0.7), -0.4
    shear = np.array([[1.0, np.tan(slant)], [0.0, 1.0]])
    scale = np.array([[sx, 0.0], [0.0, sy]])
    rotate = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]])
    m = rotate @ scale @ shear
    out = S.augment(line, rng, slant=slant, scale=(sx, sy), rotation=rot)
    expected = S.to_absolute(line) @ m.T
    np.testing.assert_allclose(S.to_absolute(out), expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(out[:, 2], line[:, 2])
    # slant > 0 with y up: the top of an upright bar moves right.
    bar = np.array([[0, 0, 0], [0, 10, 1]], np.float32)
    top = S.to_absolute(S.augment(bar, rng, slant=0.2))[-1]
    assert top[0] > 0 and top[1] == pytest.approx(10)


def test_augment_jitter_moves_each_point_independently():
    n = 20_000
    line = np.zeros((n, 3), np.float32)
    line[1:, 0] = 1.0
    line[::50, 2] = 1
    out = S.augment(line, np.random.default_rng(5), jitter=2.0)
    noise = S.to_absolute(out) - S.to_absolute(line)
    assert abs(noise.std() - 2.0) < 0.05
    assert abs(noise.mean()) < 0.05
    # Independent per point: neighbouring displacements are uncorrelated.
    assert abs(np.corrcoef(noise[1:, 0], noise[:-1, 0])[0, 1]) < 0.03
    np.testing.assert_array_equal(out[:, 2], line[:, 2])


def test_random_augment_identity_ranges_and_determinism():
    rng = np.random.default_rng(6)
    line = S.strokes_to_line(random_strokes(rng, origin=(0.0, 0.0)))
    same = S.random_augment(line, rng, max_slant=0, scale_range=(1, 1), max_aspect=0,
                            max_rotation=0)
    np.testing.assert_allclose(same, line, atol=1e-4)
    a = S.random_augment(line, np.random.default_rng(7), jitter=0.5)
    b = S.random_augment(line, np.random.default_rng(7), jitter=0.5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, line)
    np.testing.assert_array_equal(a[:, 2], line[:, 2])


# ------------------------------------------------------------------ clean-up

def test_clean_interpolates_drops_and_splits():
    nan = np.nan
    strokes = [
        np.array([[nan, nan], [0, 0], [nan, 5], [4, 8], [6, 10], [nan, nan]]),
        np.array([[nan, nan], [nan, nan]]),  # nothing valid: dropped
        np.array([[7, 7]]),  # a dot: kept
        np.array([[0, 0], [1, 0], [1000, 0], [1001, 0], [np.inf, 0], [1003, 0],
                  [1003, 3000]]),
    ]
    counts = collections.Counter()
    out = S.clean(strokes, max_jump=100.0, counts=counts)
    expected = [
        [[0, 0], [2, 4], [4, 8], [6, 10]],  # middle reading halfway between its neighbours
        [[7, 7]],
        [[0, 0], [1, 0]],  # split at the 999-unit step
        [[1000, 0], [1001, 0], [1002, 0], [1003, 0]],  # inf interpolated
        [[1003, 3000]],  # a 3000-unit step leaves a one-point piece
    ]
    assert len(out) == len(expected)
    for a, b in zip(out, expected, strict=True):
        np.testing.assert_array_equal(a, np.asarray(b, np.float64))
    assert counts == {"interpolated_points": 2, "dropped_points": 2, "dropped_strokes": 1,
                      "split_jumps": 2}
    assert S.clean([np.zeros((0, 2))], max_jump=1.0) == []
    with pytest.raises(S.StrokeDataError, match="max_jump"):
        S.clean(strokes, max_jump=0)


def test_clean_then_line_keeps_pen_up_at_each_split():
    out = S.clean([np.array([[0.0, 0.0], [1.0, 0.0], [500.0, 0.0], [501.0, 0.0]])],
                  max_jump=50.0)
    line = S.strokes_to_line(out)
    np.testing.assert_array_equal(line[:, 2], [0, 1, 0, 1])


# ------------------------------------------------------------------ batching

def test_pad_batch_mask_and_zeros():
    lines = [np.full((n, 3), n, np.float32) for n in (3, 5, 1)]
    x, mask = S.pad_batch(lines, 6)
    assert x.shape == (3, 6, 3) and mask.shape == (3, 6)
    assert x.dtype == np.float32 and mask.dtype == np.float32
    np.testing.assert_array_equal(mask.sum(axis=1), [3, 5, 1])
    for b, n in enumerate((3, 5, 1)):
        np.testing.assert_array_equal(x[b, :n], lines[b])
        assert not x[b, n:].any() and not mask[b, n:].any() and mask[b, :n].all()
    with pytest.raises(S.StrokeDataError, match="line 1 has 5 points.*max_len=4"):
        S.pad_batch(lines, 4)


def _timed(points_Nx2, t0=0.0, dt=0.01):
    p = np.asarray(points_Nx2, np.float64)
    return np.column_stack([p, t0 + dt * np.arange(len(p))])


def test_graves_clean_fills_time_gaps_with_the_readings_the_tablet_dropped():
    # A pen moving steadily along a curve whose x and y are linear between
    # the readings around the gap: the filled-in points are the lost ones.
    t = np.arange(40) * 0.01
    truth = np.column_stack([1000 * t, 300 * t + 20 * (t > 0.25)])
    timed = np.column_stack([truth, t])
    kept = np.delete(timed, [11, 12, 13], axis=0)  # three readings lost mid-stroke
    counts = collections.Counter()
    (out,) = S.clean([kept], max_jump=500, counts=counts, method="graves")
    np.testing.assert_allclose(out, truth, atol=1e-9)
    assert counts["gap_points"] == 3 and counts["removed_steps"] == 0
    # The old cleaning ignores the time stamps: the gap stays a long step.
    (old,) = S.clean([kept], max_jump=500, method="split")
    assert len(old) == len(kept)


def test_graves_clean_removes_over_long_steps_instead_of_splitting():
    # A 3000-unit glitch inside a stroke: removed, the stroke carries on
    # from where the pen really was; 'split' makes it a pen-up move instead.
    pts = [(100, 800), (110, 810), (3110, 810), (3120, 815), (3130, 820)]
    counts = collections.Counter()
    (out,) = S.clean([_timed(pts)], max_jump=500, counts=counts, method="graves")
    np.testing.assert_allclose(out, [(100, 800), (110, 810), (120, 815), (130, 820)])
    assert counts["removed_steps"] == 1 and counts["gap_points"] == 0
    split = S.clean([_timed(pts)], max_jump=500, method="split")
    assert [len(s) for s in split] == [2, 3]
    with pytest.raises(UserError, match="method='nope'"):
        S.clean([_timed(pts)], max_jump=500, method="nope")
