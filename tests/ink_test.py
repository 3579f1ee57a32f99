"""Ink files: each format seqgen.read accepts gives back a drawn line, and
each kind of bad file is a one-line error naming it."""

import json

import numpy as np
import pytest

from seqgen.data import drawn, strokes
from seqgen.data.strokes import StrokeDataError
from seqgen.handwriting import ink


@pytest.fixture(scope="module")
def line():
    return drawn.draw_line("Hello there", "ems_allure", np.random.default_rng(0), 12.0)


def _screen_strokes(line):
    """The line as a browser canvas records it: absolute points, y down."""
    return [[[float(x), float(-y)] for x, y in s] for s in strokes.line_to_strokes(line)]


def test_every_format_round_trips_a_drawn_line(line, tmp_path):
    assert np.allclose(line[0, :2], 0)  # drawn lines start at the origin
    np.save(tmp_path / "a.npy", line)
    ink.save_npz(tmp_path / "b.npz", [line, line[:40]], ["Hello there", "He"])
    (tmp_path / "c.json").write_text(json.dumps(_screen_strokes(line)))
    (tmp_path / "d.json").write_text(json.dumps({"strokes": _screen_strokes(line),
                                                 "text": "Hello there"}))
    with_time = [[[x, y, 1000.0 + i] for i, (x, y) in enumerate(s)]
                 for s in _screen_strokes(line)]
    (tmp_path / "e.json").write_text(json.dumps([with_time, with_time]))
    traces = "".join("<trace>" + ", ".join(f"{x!r} {y!r}" for x, y in s) + "</trace>"
                     for s in _screen_strokes(line))
    (tmp_path / "f.inkml").write_text(
        f'<ink xmlns="http://www.w3.org/2003/InkML"><traceGroup>{traces}</traceGroup></ink>')

    def same(a, b):
        np.testing.assert_allclose(strokes.to_absolute(a), strokes.to_absolute(b), atol=1e-3)
        np.testing.assert_array_equal(a[:, 2], b[:, 2])

    lines, texts = ink.load(tmp_path / "a.npy")
    same(lines[0], line)
    assert texts is None
    lines, texts = ink.load(tmp_path / "b.npz")
    assert len(lines) == 2 and texts == ["Hello there", "He"]
    same(lines[1], line[:40])
    for name, n, text in (("c.json", 1, None), ("d.json", 1, ["Hello there"]),
                          ("e.json", 2, None), ("f.inkml", 1, None)):
        lines, texts = ink.load(tmp_path / name)
        assert len(lines) == n and texts == text, name
        same(lines[0], line)


def test_fit_to_gives_the_asked_height_and_spacing(line):
    big = line.copy()
    big[:, :2] *= 7.0
    fitted = ink.fit_to(big, target_height=ink.height(line), target_spacing=ink.spacing(line))
    assert ink.height(fitted) == pytest.approx(ink.height(line), rel=0.05)
    assert ink.spacing(fitted) == pytest.approx(ink.spacing(line), rel=0.1)


@pytest.mark.parametrize("name, content, message", [
    ("empty.json", "", "the file is empty"),
    ("junk.json", "{not json", "not valid JSON"),
    ("flat.json", "[1, 2, 3]", "expected a list of strokes"),
    ("nan.json", '[[[0, 0], [NaN, 1]]]', "NaN or infinite"),
    ("one.json", "[[[3, 4]]]", "1 point(s)"),
    ("bad.inkml", "<ink><trace>1 2, x 3</trace></ink>", "not a number"),
    ("none.inkml", "<ink></ink>", "no <trace>"),
    ("page.txt", "hello", "unknown ink format '.txt'"),
])
def test_bad_text_files_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(StrokeDataError, match=None) as e:
        ink.load(path)
    assert message in str(e.value) and str(path) in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("array, message", [
    (np.zeros((5, 2), np.float32), "shape (5, 2)"),
    (np.array([[0, 0, 0], [np.inf, 1, 0]], np.float32), "NaN or infinite"),
    (np.zeros((1, 3), np.float32), "1 point(s)"),
])
def test_bad_arrays_are_one_line_errors(tmp_path, array, message):
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(StrokeDataError) as e:
        ink.load(tmp_path / "x.npy")
    assert message in str(e.value) and "x.npy" in str(e.value)
    with pytest.raises(StrokeDataError, match="no such file"):
        ink.load(tmp_path / "missing.npy")
