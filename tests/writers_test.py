"""Tests of drawn handwriting's writers, pen-speed profile, cursive joins and
reserved fonts, measured from the ink (slant, size, point spacing, strokes)."""
import dataclasses
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from HersheyFonts import HersheyFonts

from seqgen.command.errors import ConfigError
from seqgen.config import files as config_files
from seqgen.data import drawing, drawn, fonts, writers
from seqgen.data.strokes import StrokeDataError, line_to_strokes, to_absolute

REPO = Path(__file__).resolve().parents[1]
# 12 writers over all writer fonts, 4 short lines each.
WRITERS = {"num_train": 48, "num_valid": 6, "num_test": 3, "writers": 12, "valid_writers": 3,
           "test_writers": 2, "fonts": "all", "max_chars": 30, "points_per_char": 12.0}


@pytest.fixture(scope="module")
def population():
    return drawn.load_drawn(WRITERS)


# ----------------------------------------------------------------------------
# Measured from the ink.
# ----------------------------------------------------------------------------

def ink_slant(line_Tx3: np.ndarray) -> float:
    """Length-weighted mean lean (radians, > 0 = right) of the near-vertical
    pen-down segments of a line: how a reader judges slant."""
    dx, dy = [], []
    for s in line_to_strokes(line_Tx3):
        d = np.diff(s, axis=0)
        dx.append(d[:, 0])
        dy.append(d[:, 1])
    dx, dy = np.concatenate(dx), np.concatenate(dy)
    up = np.where(dy < 0, -1.0, 1.0)  # direction does not matter, only the lean
    dx, dy = dx * up, dy * up
    lean = np.arctan2(dx, dy)
    length = np.hypot(dx, dy)
    near_vertical = (np.abs(lean) < np.radians(35)) & (length > 0)
    return float(np.sum(lean[near_vertical] * length[near_vertical])
                 / np.sum(length[near_vertical]))


def ink_width(line_Tx3: np.ndarray, text: str) -> float:
    """Log of the line's width per character: size times width times spacing."""
    return float(np.log(np.ptp(to_absolute(line_Tx3)[:, 0]) / len(text)))


def spread_within_and_between(values, groups):
    values, groups = np.asarray(values), np.asarray(groups)
    names = sorted(set(groups))
    within = np.mean([np.std(values[groups == g]) for g in names])
    between = np.std([np.mean(values[groups == g]) for g in names])
    return within, between


def test_a_writers_slant_and_width_hold_across_its_lines_and_differ_between_writers(
        population):
    train = population.train
    slant = [ink_slant(x) for x in train.lines]
    width = [ink_width(x, t) for x, t in zip(train.lines, train.texts, strict=True)]
    shuffled = np.random.default_rng(0).permutation(train.writers)
    for measure in (slant, width):
        within, between = spread_within_and_between(measure, train.writers)
        assert within < 0.4 * between, (within, between)
        # Control: the same lines grouped at random show no such structure.
        within, between = spread_within_and_between(measure, shuffled)
        assert within > 0.8 * between, (within, between)


def test_each_line_names_its_writer_and_held_out_writers_are_new(population):
    ids = {s: set(getattr(population, s).writers) for s in ("train", "valid", "test")}
    assert ids["train"] == {f"train-w{w:04d}" for w in range(12)}
    assert ids["valid"] == {"valid-w0000", "valid-w0001", "valid-w0002"}
    assert ids["test"] == {"test-w0000", "test-w0001"}
    # Line i is written by writer i mod 12: 4 lines each.
    assert [population.train.writers.count(w) for w in sorted(ids["train"])] == [4] * 12
    # The held-out writers' hands are their own: no style is a training writer's.
    styles = {s: {w.style for w in writers.population(0, s, len(ids[s]), fonts.WRITER_FONTS)}
              for s in ids}
    assert not styles["train"] & styles["valid"] and not styles["train"] & styles["test"]
    # More writers keep the first ones; the population is a function of the seed.
    assert writers.population(0, "train", 9, fonts.WRITER_FONTS)[:6] == \
        writers.population(0, "train", 6, fonts.WRITER_FONTS)
    assert writers.population(1, "train", 6, fonts.WRITER_FONTS) != \
        writers.population(0, "train", 6, fonts.WRITER_FONTS)
    # An id gives back its writer.
    w = writers.population(0, "valid", 3, fonts.WRITER_FONTS)[2]
    assert writers.writer(0, "valid-w0002", fonts.WRITER_FONTS) == w
    with pytest.raises(StrokeDataError, match="writer id"):
        writers.writer(0, "dev-w0001", fonts.WRITER_FONTS)
    info = population.info
    assert info["writers"] == {"train": 12, "valid": 3, "test": 2}
    assert info["fonts"] == list(fonts.WRITER_FONTS)


def test_writer_lines_are_deterministic_and_near_the_point_density(population):
    again = drawn.load_drawn(WRITERS)
    for a, b in zip(population.valid.lines, again.valid.lines, strict=True):
        np.testing.assert_array_equal(a, b)
    lines, texts = population.train.lines, population.train.texts
    per_char = sum(map(len, lines)) / sum(map(len, texts))
    assert 10.0 < per_char < 15.0  # 12 asked


def test_legacy_lines_are_those_of_generation_1_0_0():
    # Recorded with the code before writers existed (commit 3b65e70): the
    # point and stroke counts of the default config's first lines.
    splits = drawn.load_drawn({"num_train": 6, "num_valid": 2, "num_test": 2})
    assert drawn.GENERATION_VERSION == "1.0.0"
    assert [len(x) for x in splits.train.lines] == LEGACY_POINTS
    assert [int(x[:, 2].sum()) for x in splits.train.lines] == LEGACY_STROKES
    assert splits.train.writers == fonts.FONTS + fonts.FONTS[:2]


LEGACY_POINTS = [759, 761, 726, 1308, 965, 742]
LEGACY_STROKES = [40, 32, 28, 38, 36, 42]


# ----------------------------------------------------------------------------
# Cursive.
# ----------------------------------------------------------------------------

def test_cursive_writers_lift_the_pen_less_than_print_writers():
    text = "minimum summer in the mountains is uncommonly mild"
    words = len(text.split())
    per_word = {}
    for cursive in (False, True):
        per_word[cursive] = []
        for font in fonts.WRITER_FONTS:
            style = drawing.Style(cursive=cursive, curve_gain=0.3, end_speed=0.5)
            line = drawing.render_line(text, font, np.random.default_rng(0), style, 12.0).line
            per_word[cursive].append(line[:, 2].sum() / words)
    print_, cursive_ = np.array(per_word[False]), np.array(per_word[True])
    assert np.all(cursive_ <= print_)
    assert cursive_.mean() < 0.7 * print_.mean(), (cursive_, print_)


def test_cursive_dots_the_is_after_the_word():
    # Hershey script 'i' is a dot and a body, 'm', 'n' and 'u' two or three
    # strokes each; a cursive writer writes 'minimum' in one stroke, then
    # its two dots.
    style = drawing.Style(cursive=True, curve_gain=0.3, end_speed=0.5)
    line = drawing.render_line("minimum", "hershey_script", np.random.default_rng(0),
                               style, 25.0).line
    strokes = line_to_strokes(line)
    assert len(strokes) == 3
    ink = [np.hypot(*np.diff(s, axis=0).T).sum() for s in strokes]
    assert ink[0] > 10 * max(ink[1:])
    # The dots sit above the body, left to right.
    body_top = strokes[0][:, 1].max()
    assert all(s[:, 1].min() > 0.5 * body_top for s in strokes[1:])
    assert strokes[1][0, 0] < strokes[2][0, 0]


# ----------------------------------------------------------------------------
# Fonts.
# ----------------------------------------------------------------------------

def test_font_lists():
    assert set(fonts.FONTS) <= set(fonts.WRITER_FONTS)
    assert not set(fonts.RESERVED_FONTS) & set(fonts.WRITER_FONTS)
    assert len(set(fonts.WRITER_FONTS)) == len(fonts.WRITER_FONTS) == 7


def test_complex_script_keeps_one_pass_of_the_pen():
    # Hershey-Fonts' scriptc 'l': a lead-in, the stem, and a second stem one
    # unit to the right (the thickening pass); ours keeps lead-in and stem.
    package = HersheyFonts()
    package.load_default_font("scriptc")
    raw = [np.array(s, float) for s in package.all_glyphs["l"].strokes]
    assert len(raw) == 3
    ours = fonts.load_font("hershey_script_complex").glyphs["l"].strokes
    assert len(ours) == 2
    scale = np.ptp(ours[1][:, 1]) / np.ptp(raw[1][:, 1])  # font units -> x-heights
    np.testing.assert_allclose(np.diff(ours[1], axis=0),
                               np.diff(raw[1] * [1, -1], axis=0) * scale, atol=1e-9)


def _collector(points: list):
    return lambda **kw: points.append(kw)


def _config_fonts(c) -> tuple[str, ...]:
    return drawn._config(c.data).fonts if c.data.get("dataset") == "drawn" else ()


def test_no_config_trains_or_tunes_on_a_reserved_font():
    reserved = fonts.RESERVED_FONTS
    # In the text of every config and launch file...
    for folder in ("seqgen/configs", "launch", "benchmarks", "tools"):
        for path in (REPO / folder).rglob("*.py"):
            found = [f for f in reserved if re.search(rf"\b{f}\b", path.read_text())]
            assert not found, f"{path} names reserved fonts {found}"
    # ...and in every shipped config, variant and sweep point, as resolved.
    for name in config_files.shipped():
        if name.startswith("tasks/"):
            continue
        module = config_files.load_module(name, f"reserved_{name.replace('/', '_')}")
        with pytest.raises(ConfigError) as e:
            module.get_config("no_such_variant_xyz")
        args = [None] + [a for item in str(e.value).rsplit("; use ", 1)[1].split(", ")
                         if "=<" not in item for a in item.split("|")]
        points: list[dict] = []
        if hasattr(module, "sweep"):
            module.sweep(_collector(points))
        for arg in args:
            c = module.get_config(arg)
            assert not set(_config_fonts(c)) & set(reserved), (name, arg)
            for point in points:
                swept = c.copy_and_resolve_references()
                for key, value in point.items():
                    if key.startswith("data."):
                        swept.data[key[5:]] = value
                assert not set(_config_fonts(swept)) & set(reserved), (name, arg, point)
    with pytest.raises(StrokeDataError, match="reserved"):
        drawn.load_drawn({"fonts": "hershey_script,ems_felix"})


def test_reserved_fonts_can_be_drawn_for_the_independent_check():
    # Each font's own file: the pen lifts once per subpath ('M') of the
    # glyphs of the text (these fonts print, no joins), so a font that fell
    # back to another or dropped letters shows; and no two draw alike.
    files = {"ems_felix": "EMSFelix.svg", "ems_readability": "EMSReadability.svg",
             "ems_readability_italic": "EMSReadabilityItalic.svg"}
    assert set(fonts.RESERVED_FONTS) == set(files)
    text, drawn_by = "To be, or not", {}
    for font, name in files.items():
        svg = (REPO / "seqgen" / "third_party" / "fonts" / name).read_text()
        paths = dict(re.findall(r'<glyph unicode="([^"]+)"[^>]*?d="([^"]*)"', svg))
        subpaths = sum(paths.get(c, "").count("M") for c in text)
        for seed in range(2):
            line = drawn.draw_line(text, font, np.random.default_rng(seed), 12.0)
            assert len(line_to_strokes(line)) == subpaths, (font, seed)
        drawn_by[font] = to_absolute(drawn.draw_line(text, font, np.random.default_rng(0), 12.0))
    for a, b in [("ems_felix", "ems_readability"), ("ems_readability", "ems_readability_italic")]:
        assert drawn_by[a].shape != drawn_by[b].shape or not np.allclose(drawn_by[a], drawn_by[b])


def test_bad_writer_settings_are_one_line_errors():
    for config, name in [({"writers": -1}, "writers"), ({"writers": 2, "valid_writers": 0},
                                                        "valid_writers"),
                         ({"writers": True}, "writers"), ({"fonts": "comic"}, "fonts")]:
        with pytest.raises(StrokeDataError, match=f"data_config.{name}"):
            drawn.load_drawn(config)


def test_style_with_pen_fields_changes_points_not_letters():
    # The same layout with and without the pen profile: the same strokes.
    plain = drawing.Style()
    pen_style = dataclasses.replace(plain, curve_gain=0.4, end_speed=0.4)
    a = drawing.render_line("quoth he", "ems_tech", np.random.default_rng(0), plain).line
    b = drawing.render_line("quoth he", "ems_tech", np.random.default_rng(0), pen_style).line
    assert len(a) == len(b) and a[:, 2].sum() == b[:, 2].sum()
    np.testing.assert_allclose(to_absolute(a)[-1], to_absolute(b)[-1], atol=1.0)


def test_vendored_fonts_match_their_provenance():
    text = (fonts.FONTS_DIR / "PROVENANCE.md").read_text()
    rows = re.findall(r"^\| (\S+\.svg)( \(reserved\))? \| ([\d,]+) \| ([0-9a-f]{64}) \|$",
                      text, re.M)
    on_disk = {p.name for p in fonts.FONTS_DIR.glob("*.svg")}
    assert {name for name, *_ in rows} == on_disk == set(fonts.SVG_FONT_FILES.values())
    reserved_files = {fonts.SVG_FONT_FILES[f] for f in fonts.RESERVED_FONTS}
    for name, reserved, size, digest in rows:
        data = (fonts.FONTS_DIR / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (
            int(size.replace(",", "")), digest), name
        assert bool(reserved) == (name in reserved_files), name
    license_text = (fonts.FONTS_DIR / "LICENSE").read_text()
    assert all(name in license_text for name in on_disk)
