"""Styles from a user's own ink (seqgen/handwriting/styles.py): a line recorded as a screen
records it (JSON [x, y, t] points, y down, another size and density) is
brought back to the model's scale; unusable ink is a one-line error;
saved styles are found again by name and number."""

import json

import numpy as np
import pytest

from seqgen.command.errors import UserError
from seqgen.data import drawing, strokes
from seqgen.handwriting import ink, styles

TEXTS = ["to be or not to be", "that is the question", "whether tis nobler in",
         "the mind to suffer", "the slings and arrows of"]


def drawn(text, seed=0, font="ems_allure"):
    return drawing.draw_line(text, font, np.random.default_rng(seed), 12.0)


@pytest.fixture(scope="module")
def scale():
    return styles.Scale.of([drawn(t, i) for i, t in enumerate(TEXTS)], TEXTS)


def as_screen_json(line, path, zoom=3.0, dt=7.0, text=None):
    """The line as a browser canvas records it: absolute [x, y, t], y down,
    `zoom` times larger, one list per stroke."""
    points = strokes.to_absolute(line) * np.array([zoom, -zoom]) + np.array([40.0, 300.0])
    out = [[[float(x), float(y), float(k * dt)] for k, (x, y) in enumerate(s)]
           for s in strokes.split_strokes(points, line[:, 2])]
    path.write_text(json.dumps({"strokes": out, "text": text} if text else out))
    return path


def test_a_screen_recorded_line_comes_back_at_the_models_scale(tmp_path, scale):
    line = drawn("a line to prime with", seed=7)
    loaded, text = styles.from_file(str(as_screen_json(line, tmp_path / "mine.json")),
                                    "a line to prime with")
    fitted = styles.fit(loaded, text, scale, "mine.json")
    # The writing height is the reference lines' median, the pen-down step theirs.
    assert ink.height(fitted) == pytest.approx(scale.height, rel=0.03)  # after resampling
    assert ink.spacing(fitted) == pytest.approx(scale.spacing, rel=0.15)
    # The same line given internally, fitted the same way, is the same ink:
    # the y flip, the zoom, the offset and the timestamps are undone.
    internal = styles.fit(line, text, scale, "internal")
    assert fitted.shape == internal.shape
    np.testing.assert_allclose(strokes.to_absolute(fitted), strokes.to_absolute(internal),
                               atol=0.02 * scale.height)
    np.testing.assert_array_equal(fitted[:, 2], internal[:, 2])


def test_a_densely_recorded_line_is_resampled(tmp_path, scale):
    line = drawn("dense pen samples", seed=3)
    # Four times the points: every segment split in four (a fast tablet).
    dense = []
    for s in strokes.line_to_strokes(line):
        t = np.linspace(0, len(s) - 1, 4 * len(s) - 3)
        dense.append(np.stack([np.interp(t, np.arange(len(s)), s[:, i]) for i in (0, 1)], -1))
    fitted = styles.fit(strokes.strokes_to_line(dense), "dense pen samples", scale, "dense")
    assert abs(len(fitted) - len(styles.fit(line, "dense pen samples", scale, "x"))) \
        <= 0.1 * len(line)


def test_the_text_comes_from_the_file_when_not_given(tmp_path):
    path = as_screen_json(drawn("hello there"), tmp_path / "t.json", text="hello there")
    assert styles.from_file(str(path), None)[1] == "hello there"
    assert styles.from_file(str(path), "other words")[1] == "other words"


@pytest.mark.parametrize("case, needle", [
    ("two_points", "too little ink (2 points)"),
    ("straight", "no extent"),
    ("dash", "too little ink"),
    ("no_text", "--style_text"),
    ("long_text", "characters of writing but the text has"),
    ("short_text", "characters of writing but the text has"),
    ("nan", "NaN"),
    ("huge", "bytes"),
    ("two_lines", "holds 2 lines"),
    ("prime_too_long", "at most 80"),
])
def test_unusable_ink_is_one_line(tmp_path, scale, case, needle):
    line = drawn("a fair line of ink", seed=1)
    text = "a fair line of ink"
    path = tmp_path / "ink.json"
    if case == "two_points":
        path.write_text(json.dumps([[[0, 0], [10, 0]]]))
    elif case == "straight":
        path.write_text(json.dumps([[[x, 5] for x in range(0, 100, 5)]]))
    elif case == "dash":
        path.write_text(json.dumps([[[0, 0], [3, 2], [6, 1]]]))
    elif case == "no_text":
        as_screen_json(line, path)
        text = ""
    elif case == "long_text":
        as_screen_json(line, path)
        text = "a fair line of ink " * 4
    elif case == "short_text":
        as_screen_json(line, path)
        text = "a"
    elif case == "nan":
        path.write_text('[[[0, 0], [NaN, 3], [4, 5]]]')
    elif case == "huge":
        path.write_text(" " * (styles.MAX_FILE_BYTES + 1))
    elif case == "two_lines":
        one = json.loads(as_screen_json(line, tmp_path / "one.json").read_text())
        path.write_text(json.dumps([one, one]))
    elif case == "prime_too_long":
        as_screen_json(line, path)
        text = "x" * 81
    with pytest.raises(UserError) as e:
        loaded, t = styles.from_file(str(path), text)
        styles.fit(loaded, t, scale, f"--style_file={path}")
    message = str(e.value)
    assert needle in message and "\n" not in message, message


def test_saved_styles_are_found_by_name_and_number(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQGEN_STYLES", str(tmp_path / "saved"))
    model = tmp_path / "model"
    shipped = model / "styles"
    for name in ("ems_allure-1", "hershey_script-1"):
        styles.save(styles.Style(name, drawn(name), name, "shipped"), shipped)
    line = drawn("my own hand", seed=5)
    path = styles.save(styles.Style("mine", line, "my own hand", "from a file"))
    assert path == tmp_path / "saved" / "mine.npz"
    assert [s.name for s in styles.shipped(model)] == ["ems_allure-1", "hershey_script-1"]
    mine = styles.find("mine", model)
    np.testing.assert_array_equal(mine.line_Tx3, line)
    assert (mine.text, mine.about) == ("my own hand", "from a file")
    assert styles.find("2", model).name == "mine"  # shipped first, then saved
    assert styles.find("0", model).name == "ems_allure-1"
    with pytest.raises(UserError, match="there are 3 styles"):
        styles.find("3", model)
    with pytest.raises(UserError, match="not a shipped or saved style"):
        styles.find("nobody", model)
    with pytest.raises(UserError, match="use letters, digits"):
        styles.save(styles.Style("../evil", line, "x"))
