"""Tests of drawn handwriting: font parsing, layout, conventions, splits, determinism."""
import json
import re

import numpy as np
import pytest
from HersheyFonts import HersheyFonts

from seqgen.data import drawing, drawn, drawn_texts, fonts
from seqgen.data.strokes import StrokeDataError, line_to_strokes, to_absolute
from seqgen.data.text import shakespeare

# A neutral style: the font as designed, 100 raw units to the x-height.
PLAIN = dict(x_height=100.0, slant=0.0, aspect=1.0, tilt=0.0, drift_amplitude=0.0,
             letter_spacing=0.0, tracking=0.0, word_space=1.0, speed=1.0, jitter=0.0)

SMALL = {"num_train": 12, "num_valid": 4, "num_test": 4}

# A hand-written SVG font: absolute and relative commands, implicit line-tos,
# H/V, Z, a cubic, a default advance, a ligature (skipped).
FIXTURE_SVG = """<?xml version="1.0" encoding="UTF-8" ?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1"><defs>
<font id="Fixture" horiz-adv-x="400">
<font-face units-per-em="1000" x-height="300" />
<glyph unicode="l" horiz-adv-x="250" d="M 100 10 L 120 710" />
<glyph unicode="a" horiz-adv-x="500" d="M10 10L 410,510 m 0 -100 l 50 0 50 -50" />
<glyph unicode="c" d="M 0 10 C 0 510 400 510 400 10" />
<glyph unicode="o" horiz-adv-x="520" d="M 50 10 H 450 V 510 h -400 Z" />
<glyph unicode="e" horiz-adv-x="480" d="M 20 10 L 30 510" />
<glyph unicode="fi" horiz-adv-x="600" d="M 0 0 L 1 1" />
<glyph unicode=" " horiz-adv-x="300" />
</font></defs></svg>
"""


def _xml(tmp_path, body, name="f.svg"):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------
# Fonts.
# ----------------------------------------------------------------------------

def test_svg_glyphs_match_the_hand_written_coordinates(tmp_path):
    glyphs = fonts.read_svg_font(_xml(tmp_path, FIXTURE_SVG))
    assert set(glyphs) == {"l", "a", "c", "o", "e", " "}  # the ligature is left out
    np.testing.assert_allclose(glyphs["l"].strokes[0], [[100, 10], [120, 710]])
    assert glyphs["l"].advance == 250
    # 'a': an implicit line-to after M, a relative moveto and two relative line-tos.
    a = glyphs["a"].strokes
    assert len(a) == 2
    np.testing.assert_allclose(a[0], [[10, 10], [410, 510]])
    np.testing.assert_allclose(a[1], [[410, 410], [460, 410], [510, 360]])
    # 'o': H, V, relative h and Z back to the start.
    np.testing.assert_allclose(glyphs["o"].strokes[0],
                               [[50, 10], [450, 10], [450, 510], [50, 510], [50, 10]])
    # 'c': a cubic from (0, 10) to (400, 10); its midpoint (t = 1/2) is
    # (P0 + 3 P1 + 3 P2 + P3) / 8 = (200, 385); the font's default advance.
    c = glyphs["c"].strokes[0]
    np.testing.assert_allclose(c[[0, -1]], [[0, 10], [400, 10]])
    np.testing.assert_allclose(c[len(c) // 2], [200, 385])
    assert glyphs["c"].advance == 400
    assert glyphs[" "].strokes == ()


def test_svg_font_normalised_to_baseline_and_x_height(tmp_path):
    glyphs = fonts.read_svg_font(_xml(tmp_path, FIXTURE_SVG))
    font = fonts.normalise_font("fixture", glyphs)
    # a, c, e, o: bottoms all 10; tops 510, 385 (the cubic's peak at t = 1/2), 510, 510.
    assert font.baseline == pytest.approx(10)
    assert font.x_height == pytest.approx(500)
    np.testing.assert_allclose(font.glyphs["l"].strokes[0], [[0.2, 0.0], [0.24, 1.4]])
    assert font.glyphs["l"].advance == pytest.approx(0.5)


@pytest.mark.parametrize("body, expected", [
    (FIXTURE_SVG.replace("M 100 10 L 120 710", "M 100 10 Q 1 2 3 4"), "command 'Q'"),
    (FIXTURE_SVG.replace("M 100 10 L 120 710", "M 100 10 L 120"), "truncated"),
    (FIXTURE_SVG.replace("</font>", ""), "cannot read"),
    ("<svg xmlns='http://www.w3.org/2000/svg'/>", "no <font>"),
])
def test_bad_svg_fonts_give_one_line_errors_naming_the_file(tmp_path, body, expected):
    path = _xml(tmp_path, body)
    with pytest.raises(StrokeDataError, match=re.escape(expected)) as err:
        fonts.read_svg_font(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_vendored_fonts_cover_the_corpus_and_use_only_m_l_c():
    chars = set(shakespeare.shakespeare_text()) - {"\n", " "}
    for name in fonts.WRITER_FONTS + fonts.RESERVED_FONTS:
        font = fonts.load_font(name)
        assert chars <= set(font.glyphs), name
        assert 0.5 < font.glyphs["n"].advance < 2.5, name  # x-heights, a sane width
    for file in fonts.SVG_FONT_FILES.values():
        paths = re.findall(r' d="([^"]*)"', (fonts.FONTS_DIR / file).read_text())
        # Letters other than an exponent's e (EMSFelix.svg has 2.84e-14).
        commands = re.findall(r"[A-DF-Za-df-z]", "".join(paths))
        assert set(commands) == {"M", "L", "C"}, file


def test_hershey_glyph_is_the_package_glyph_flipped_to_y_up():
    package = HersheyFonts()
    package.load_default_font("scripts")
    raw = package.all_glyphs["l"]
    ours = fonts.load_font("hershey_script")
    # Hershey script: lowercase bodies sit between y = 0 and y = 9 (y down).
    expected = [(x - raw.left_offset, 9 - y) for x, y in raw.strokes[0]]
    np.testing.assert_allclose(ours.glyphs["l"].strokes[0], np.array(expected) / 9.0)


@pytest.mark.parametrize("font", ["hershey_script", "ems_nixish_italic"])
def test_l_goes_up_from_the_baseline(font):
    # Dense sampling (speed 10), so that resampling cuts corners by < 1%.
    points = to_absolute(drawn.draw_line("l", font, np.random.default_rng(0),
                                         **{**PLAIN, "speed": 10.0}))
    assert np.allclose(points[0], 0)
    top = int(np.argmax(points[:, 1]))
    # The stem rises well over one x-height (100 units) above its start.
    assert points[top, 1] > 120
    if font == "ems_nixish_italic":
        # Its 'l': foot 6.3 -> 202 -> 101 on y = 31.5, then up to (214, 693),
        # cap to (120, 693): up is later in the stroke than the foot, and the
        # drawn glyph keeps the file's height-to-width ratio.
        assert top > len(points) // 2
        height = np.ptp(points[:, 1])
        width = np.ptp(points[:, 0])
        assert height / width == pytest.approx((693 - 31.5) / (214 - 6.3), rel=0.02)


# ----------------------------------------------------------------------------
# Lines.
# ----------------------------------------------------------------------------

def test_line_convention():
    line = drawn.draw_line("To be, or not to be", "ems_allure", np.random.default_rng(1))
    assert line.dtype == np.float32 and line.ndim == 2 and line.shape[1] == 3
    np.testing.assert_array_equal(line[0], [0, 0, 0])
    assert line[-1, 2] == 1 and set(np.unique(line[:, 2])) <= {0.0, 1.0}
    assert np.all(np.isfinite(line))


@pytest.mark.parametrize("font", fonts.FONTS)
def test_pen_lifts_before_every_word_gap(font):
    words = ["mine", "own", "minim", "sum"]
    line = drawn.draw_line(" ".join(words), font, np.random.default_rng(2),
                           **{**PLAIN, "word_space": 6.0})
    # Word gaps are >= 0.6 * 6 = 3.6 x-heights (360 units) wide: the only
    # offsets that long; each must be a pen-up move, after eos = 1.
    jumps = np.flatnonzero(line[:, 0] > 300)
    assert len(jumps) == len(words) - 1
    assert np.all(line[jumps - 1, 2] == 1)


def test_styled_lines_end_a_stroke_at_every_word():
    rng = np.random.default_rng(3)
    for font in fonts.FONTS:
        line_text = "we desire increase from fairest creatures"
        strokes = line_to_strokes(drawn.draw_line(line_text, font, rng))
        assert len(strokes) >= len(line_text.split())


def test_missing_glyphs_fall_back_or_are_left_out_and_counted():
    rng = np.random.default_rng(4)
    # Hershey script lacks 'é' (the EMS fonts have it); no font has a snowman.
    result = drawn.render_line("caf\u00e9 \u2603 ok", "hershey_script", rng, drawn.Style())
    assert (result.fallback, result.missing) == (1, 1)
    assert result.text == "caf\u00e9 ok"
    with_e = drawn.draw_line("caf\u00e9", "hershey_script", rng, **PLAIN)
    without = drawn.draw_line("caf", "hershey_script", rng, **PLAIN)
    assert len(with_e) > len(without)  # the fallback glyph is drawn
    with pytest.raises(StrokeDataError, match="nothing to draw"):
        drawn.draw_line("\u2603", "ems_elfin", rng)


def test_missing_glyphs_are_counted_in_the_dataset_info(monkeypatch):
    # 200 paragraphs of 24-26 characters: one text line each (max_chars=60
    # wraps at 30 characters or more).
    corpus = "\n\n".join(f"Sing {i} Achill\u00e9s \u2603 rage" for i in range(200))
    monkeypatch.setattr(shakespeare, "shakespeare_text", lambda: corpus)
    drawing._ink_rates.cache_clear()  # they depend on the corpus
    try:
        splits = drawn.load_drawn({"num_train": 8, "num_valid": 2, "num_test": 2,
                                   "max_chars": 60, "fonts": ("hershey_script", "ems_elfin")})
    finally:
        drawing._ink_rates.cache_clear()
    info = splits.info
    # Every line holds one 'é' and one snowman; the lines alternate fonts.
    assert info["missing_glyphs"] == {"hershey_script": 6, "ems_elfin": 6}
    assert info["fallback_glyphs"] == {"hershey_script": 6, "ems_elfin": 0}
    assert all("\u2603" not in t and "\u00e9" in t for t in splits.train.texts)


def test_more_lines_than_the_pool_reuse_its_texts_drawn_anew(monkeypatch):
    corpus = "\n\n".join(f"Arms and the man {i} I sing" for i in range(100))
    monkeypatch.setattr(shakespeare, "shakespeare_text", lambda: corpus)
    drawing._ink_rates.cache_clear()
    try:
        splits = drawn.load_drawn({"num_train": 4, "num_valid": 12, "num_test": 1,
                                   "max_chars": 60})
    finally:
        drawing._ink_rates.cache_clear()
    # Paragraphs 90-94 are the valid stretch: 5 texts, used in rounds of 5.
    assert sorted(set(splits.valid.texts)) == [f"Arms and the man {i} I sing"
                                               for i in range(90, 95)]
    assert splits.info["lines_reused"]["valid"] == 7
    first, again = splits.valid.texts.index(splits.valid.texts[5]), 5
    assert first < 5 and len(splits.valid.lines[first]) != len(splits.valid.lines[again])


def test_bad_settings_are_one_line_errors():
    for config, name in [({"fonts": ("comic_sans",)}, "fonts"), ({"num_train": 0}, "num_train"),
                         ({"max_chars": 5}, "max_chars"), ({"seed": -1}, "seed"),
                         ({"points_per_char": 2}, "points_per_char"),
                         ({"points_per_char": "12"}, "points_per_char")]:
        with pytest.raises(StrokeDataError, match=f"data_config.{name}"):
            drawn.load_drawn(config)
    with pytest.raises(StrokeDataError, match="unknown style"):
        drawn.draw_line("a", "ems_elfin", np.random.default_rng(0), slnat=0.1)


# ----------------------------------------------------------------------------
# Text pools and the dataset.
# ----------------------------------------------------------------------------

def test_text_pools_come_from_disjoint_stretches_of_the_corpus():
    corpus = shakespeare.shakespeare_text()
    pools = drawn_texts.wrap_corpus(corpus, 50)
    n = len(corpus)
    regions = {"train": corpus[:n - 2 * round(0.05 * n)],
               "valid": corpus[n - 2 * round(0.05 * n):n - round(0.05 * n)],
               "test": corpus[n - round(0.05 * n):]}
    rng = np.random.default_rng(0)
    for split, lines in pools.lines.items():
        assert len(lines) > 1000
        lengths = np.array([len(t) for t in lines])
        assert lengths.max() <= 50 and 25 < lengths.mean() < 40
        for i in rng.choice(len(lines), 30, replace=False):
            words = lines[i].split(" ")
            pattern = r"\s+".join(re.escape(w) for w in words)
            assert re.search(pattern, regions[split]), (split, lines[i])
    train = set(pools.lines["train"])
    assert not train & set(pools.lines["valid"])
    assert not train & set(pools.lines["test"])
    assert not set(pools.lines["valid"]) & set(pools.lines["test"])


def test_same_seed_same_lines_other_seed_other_lines():
    a, b = drawn.load_drawn(SMALL), drawn.load_drawn(SMALL)
    c = drawn.load_drawn({**SMALL, "seed": 1})
    for split in ("train", "valid", "test"):
        sa, sb, sc = getattr(a, split), getattr(b, split), getattr(c, split)
        assert sa.texts == sb.texts and sa.writers == sb.writers and sa.ids == sb.ids
        for x, y in zip(sa.lines, sb.lines, strict=True):
            np.testing.assert_array_equal(x, y)
        assert sa.texts != sc.texts
        assert not any(len(x) == len(z) and np.array_equal(x, z)
                       for x, z in zip(sa.lines, sc.lines, strict=True))
    # More lines keep the first ones.
    more = drawn.load_drawn({**SMALL, "num_train": 15})
    np.testing.assert_array_equal(more.train.lines[11], a.train.lines[11])


def test_dataset_texts_ids_writers_and_stats():
    splits = drawn.load_drawn(SMALL)
    assert splits.name == "drawn"
    assert len(splits.train) == 12 and len(splits.valid) == 4 and len(splits.test) == 4
    assert splits.train.ids[3] == "drawn-train-000003"
    assert splits.train.writers[:4] == fonts.FONTS
    pools = drawn_texts.wrap_corpus(shakespeare.shakespeare_text(), 50)
    assert set(splits.valid.texts) <= set(pools.lines["valid"])
    assert not set(splits.valid.texts) & set(pools.lines["train"])
    offsets = np.concatenate([line[1:, :2] for line in splits.train.lines]).astype(np.float64)
    np.testing.assert_allclose(splits.stats.mean, offsets.mean(axis=0), rtol=1e-9)
    np.testing.assert_allclose(splits.stats.std, offsets.std(axis=0), rtol=1e-9)
    assert splits.info["missing_glyphs"] == dict.fromkeys(fonts.FONTS, 0)
    json.dumps(splits.info)  # JSON-safe


def test_points_per_character_near_25():
    # Documented: 25 per character of text (spaces included) on average; 25.5
    # measured over the default 6,000 training lines.
    splits = drawn.load_drawn({"num_train": 160, "num_valid": 0, "num_test": 0})
    points = sum(len(line) for line in splits.train.lines)
    chars = sum(len(t) for t in splits.train.texts)
    assert 23.0 < points / chars < 28.5
    for font in fonts.FONTS:
        mine = [i for i, w in enumerate(splits.train.writers) if w == font]
        ratio = (sum(len(splits.train.lines[i]) for i in mine)
                 / sum(len(splits.train.texts[i]) for i in mine))
        assert 21.0 < ratio < 31.0, font
    assert splits.info["mean_points_per_char"]["train"] == pytest.approx(points / chars)


def test_points_per_character_follows_the_setting():
    # Same texts and styles at half the density: half the points, the same ink.
    config = {"num_train": 40, "num_valid": 0, "num_test": 0}
    dense = drawn.load_drawn(config)
    sparse = drawn.load_drawn({**config, "points_per_char": 12.5})
    assert sparse.train.texts == dense.train.texts
    chars = sum(len(t) for t in sparse.train.texts)
    assert 11.0 < sum(len(line) for line in sparse.train.lines) / chars < 14.5
    for a, b in zip(dense.train.lines[:8], sparse.train.lines[:8], strict=True):
        np.testing.assert_allclose(a[:, :2].sum(0), b[:, :2].sum(0), atol=0.2 * 150)
        assert a[:, 2].sum() == b[:, 2].sum()  # the same strokes
