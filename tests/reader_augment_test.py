"""The drawn lines' reader augmentations (glyph warp, stroke shuffle) and the
single-line fonts in writing order (seqgen/data/drawing.py, stroke_order.py)."""

import numpy as np
import pytest

from seqgen.data import drawing, drawn, fonts, stroke_order
from seqgen.data.skeleton_graph import arc_length
from seqgen.data.strokes import StrokeDataError

SMALL = {"num_train": 6, "num_valid": 3, "num_test": 3, "writers": 3, "valid_writers": 1,
         "test_writers": 1, "fonts": "ems_nixish,ems_elfin"}


def test_only_training_lines_are_augmented():
    plain = drawn.load_drawn(SMALL)
    augmented = drawn.load_drawn({**SMALL, "glyph_warp": 0.2, "stroke_shuffle": 0.3})
    for split in ("valid", "test"):
        for a, b in zip(getattr(plain, split).lines, getattr(augmented, split).lines,
                        strict=True):
            np.testing.assert_array_equal(a, b)
    assert plain.train.texts == augmented.train.texts
    assert not any(len(a) == len(b) and np.array_equal(a, b)
                   for a, b in zip(plain.train.lines, augmented.train.lines, strict=True))
    assert augmented.info["glyph_warp"] == 0.2 and augmented.info["stroke_shuffle"] == 0.3
    assert "glyph_warp" not in plain.info  # an unaugmented run's info is as before


@pytest.mark.parametrize("field,value", [("glyph_warp", 0.9), ("glyph_warp", "0.1"),
                                         ("stroke_shuffle", -0.1), ("stroke_shuffle", True),
                                         ("stroke_order", "plotter")])
def test_bad_augmentation_settings_are_one_line_errors(field, value):
    with pytest.raises(StrokeDataError, match=f"data_config.{field}="):
        drawn.load_drawn({**SMALL, field: value})


def test_glyph_warp_scales_a_stem_by_the_stated_spread():
    # A vertical stem of height 1: its warped height is exp(N(0, w)) times
    # cos(rotation) plus the smooth displacement's share, so log height has a
    # standard deviation near w (the waves add a little).
    rng = np.random.default_rng(0)
    stem = [np.stack([np.zeros(50), np.linspace(0.0, 1.0, 50)], axis=1)]
    for w in (0.05, 0.15):
        heights = [np.ptp(drawing.warp_glyph(stem, rng, w)[0][:, 1]) for _ in range(3000)]
        sd = float(np.std(np.log(heights)))
        assert 0.9 * w < sd < 1.5 * w, (w, sd)
    assert drawing.warp_glyph(stem, rng, 0.0) is stem


def test_glyph_warp_and_shuffle_draw_no_random_numbers_when_off():
    # Off, the generator is untouched: a line draws the numbers it always drew.
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    strokes = [np.zeros((3, 2)), np.ones((2, 2))]
    assert drawing.warp_glyph(strokes, rng, 0.0) is strokes
    assert drawing.shuffle_strokes(strokes, rng, 0.0) is strokes
    assert rng.bit_generator.state == before
    drawing.shuffle_strokes(strokes, rng, 0.3)
    assert rng.bit_generator.state != before


def test_stroke_shuffle_reverses_and_swaps_at_the_stated_rate():
    rng = np.random.default_rng(0)
    strokes = [np.array([[float(i), 0.0], [float(i), 1.0]]) for i in range(4)]
    assert drawing.shuffle_strokes(strokes, rng, 0.0) is strokes
    every = drawing.shuffle_strokes(strokes, rng, 1.0)
    # p = 1: all reversed, then each pair swapped in turn: the first moves to the end.
    assert [s[0, 0] for s in every] == [1.0, 2.0, 3.0, 0.0]
    assert all(s[0, 1] == 1.0 for s in every)
    n, p = 4000, 0.3
    reversed_ = first_kept = 0
    for _ in range(n // 4):
        out = drawing.shuffle_strokes(strokes, rng, p)
        reversed_ += sum(s[0, 1] == 1.0 for s in out)
        first_kept += out[0][0, 0] == 0.0
    # Binomial: 4 standard deviations.
    assert abs(reversed_ / n - p) < 4 * np.sqrt(p * (1 - p) / n)
    assert abs(first_kept / (n // 4) - (1 - p)) < 4 * np.sqrt(p * (1 - p) / (n // 4))


def test_polylines_are_put_in_writing_order():
    s_from_foot = np.array([[0.1, 0.0], [0.8, 0.3], [0.2, 0.7], [0.9, 1.0]])
    stem_up = np.array([[0.3, 0.0], [0.3, 1.0]])
    dot = np.array([[0.3, 1.4]])
    got = stroke_order.order_polylines([dot, stem_up])
    np.testing.assert_array_equal(got[0], stem_up[::-1])  # the stem from the top ...
    np.testing.assert_array_equal(got[1], dot)  # ... then the dot
    np.testing.assert_array_equal(stroke_order.order_polylines([s_from_foot])[0],
                                  s_from_foot[::-1])
    # A ring drawn clockwise from its foot: from its top, setting off leftwards.
    t = np.linspace(0.0, 2 * np.pi, 33)
    ring = np.stack([0.5 - 0.5 * np.sin(t), 0.5 - 0.5 * np.cos(t)], axis=1)
    (o,) = stroke_order.order_polylines([ring])
    assert o[0, 1] == pytest.approx(1.0) and o[1, 0] < o[0, 0]
    np.testing.assert_allclose(o[0], o[-1])


@pytest.mark.parametrize("name", sorted(fonts.SVG_FONT_FILES))
def test_writing_order_keeps_every_glyphs_ink_and_starts_stems_at_the_top(name):
    plotter, written = fonts.load_font(name), fonts.load_font(name, writing_order=True)
    assert plotter.glyphs.keys() == written.glyphs.keys()
    for char, glyph in plotter.glyphs.items():
        ink = sum(arc_length(s) for s in glyph.strokes)
        # Ends within NODE_MERGE are one node: a ring is closed, a joined
        # stroke skips the gap; each changes the ink by less than that.
        more = sum(arc_length(s) for s in written.glyphs[char].strokes) - ink
        assert abs(more) <= stroke_order.NODE_MERGE * len(glyph.strokes), (name, char)
    for char in "il":
        stem = written.glyphs[char].strokes[0]
        # A print 'i' or 'l' stem from the top (a cursive one, EMS Allure's,
        # runs from the baseline's entry stroke to its exit: ends level).
        assert stem[0, 1] > stem[-1, 1] or abs(stem[0, 1] - stem[-1, 1]) <= \
            stroke_order.START_DY, (name, char)
    # The Hershey scripts run as a pen writes: kept as the font draws them.
    hershey, kept = fonts.load_font("hershey_script"), fonts.load_font("hershey_script", True)
    assert all(len(g.strokes) == len(kept.glyphs[c].strokes) and all(
        np.array_equal(a, b) for a, b in zip(g.strokes, kept.glyphs[c].strokes, strict=True))
        for c, g in hershey.glyphs.items())


def test_the_plotter_fonts_draw_some_stems_upwards():
    # Why writing order exists: in the files some stems go up.
    upward = [name for name in fonts.SVG_FONT_FILES
              if (lambda s: s[0, 1] < s[-1, 1])(fonts.load_font(name).glyphs["i"].strokes[0])]
    assert upward
