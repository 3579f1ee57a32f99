"""Tracing outline fonts into pen strokes (seqgen/data/tracing.py and its
helpers) and the vendored traced families (seqgen/third_party/hands/traced).

Synthetic glyphs: known polylines drawn with a round pen into a mask at
100 px per x-height (the tracer's scale); the tracer must recover the
strokes, their number, direction and order. Vendored data: every traced
family loads, normalised, with every letter and no glyph over the stroke
bound; a sample of glyphs (SAMPLE_PER_FAMILY per family, different
characters for each family, so that every character is measured in several
families) is re-measured against its own .ttf's raster; the quantisation
round-trips. The whole file runs in ~20 s on 2 cores.

Dimension letters: H, W rows and columns; N points.
"""
import json
import pathlib
import string

import numpy as np
import pytest

from seqgen.data import drawing, fonts, hands, writers
from seqgen.data.fonts import segment_distance
from seqgen.data.outline import OutlineFont, Raster, fill_nonzero
from seqgen.data.trace_quality import measure
from seqgen.data.tracing import (
    MAX_STROKES,
    MIN_COVERAGE,
    MIN_PRECISION,
    REQUIRED,
    trace_raster,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
HANDS = ROOT / "seqgen" / "third_party" / "hands"
PEN = 12.0  # px: the synthetic glyphs' stroke width (an x-height is 100 px)
SAMPLE_PER_FAMILY = 10


def draw(polylines: list[list[tuple[float, float]]], size=(220, 200)) -> Raster:
    """Polylines (font units = px, y up, baseline 0) drawn with a round pen of
    width PEN into a raster whose origin is 30 px left of x = 0 and 30 px below."""
    h, w = size
    rows, cols = np.mgrid[0:h, 0:w]
    raster = Raster(np.zeros((h, w), bool), x0=-30.0, y0=h - 30.0, scale=1.0)
    centres_Nx2 = raster.to_font(np.stack([cols.ravel() + 0.5, rows.ravel() + 0.5], 1))
    near_N = np.zeros(len(centres_Nx2), bool)
    for p in polylines:
        p = np.asarray(p, np.float64)
        p = np.repeat(p, 2, axis=0) if len(p) == 1 else p
        near_N |= segment_distance(centres_Nx2, p) <= PEN / 2
    return Raster(near_N.reshape(h, w), raster.x0, raster.y0, 1.0)


def trace(polylines, **kw):
    raster = draw(polylines, **kw)
    strokes = trace_raster(raster, x_height=100.0)
    return raster, strokes


def close_to(stroke_Nx2, polyline, tolerance=PEN):
    """Every point of the stroke within `tolerance` of the polyline, and back."""
    p = np.asarray(polyline, np.float64)
    p = np.repeat(p, 2, axis=0) if len(p) == 1 else p
    s = stroke_Nx2 if len(stroke_Nx2) > 1 else np.repeat(stroke_Nx2, 2, axis=0)
    return (segment_distance(stroke_Nx2, p).max() <= tolerance
            and segment_distance(p, s).max() <= tolerance)


def check_quality(raster, strokes):
    coverage, precision = measure(raster, list(strokes))
    assert coverage >= 0.97 and precision >= 0.99, (coverage, precision)


def test_an_l_is_one_stroke_from_its_top():
    shape = [(20, 150), (20, 0), (80, 0)]
    raster, strokes = trace([shape])
    assert len(strokes) == 1
    assert close_to(strokes[0], shape)
    assert strokes[0][0, 1] > 120 and strokes[0][-1, 0] > 60  # top first, foot last
    check_quality(raster, strokes)


def test_a_plus_is_its_stem_then_its_bar_from_the_left():
    stem, bar = [(50, 110), (50, -10)], [(0, 50), (100, 50)]
    raster, strokes = trace([stem, bar])
    assert len(strokes) == 2
    assert close_to(strokes[0], stem) and close_to(strokes[1], bar)
    assert strokes[0][0, 1] > strokes[0][-1, 1]  # down
    assert strokes[1][0, 0] < strokes[1][-1, 0]  # left to right
    check_quality(raster, strokes)


def test_an_o_is_one_closed_stroke_counter_clockwise_from_its_top():
    t = np.linspace(0, 2 * np.pi, 73)
    ring = np.stack([50 + 40 * np.cos(t), 50 + 40 * np.sin(t)], 1)
    raster, strokes = trace([ring])
    assert len(strokes) == 1
    s = strokes[0]
    assert close_to(s, ring)
    assert s[0, 1] > 80  # starts near the top
    assert np.allclose(s[0], s[-1])  # closed
    area = 0.5 * np.sum(s[:-1, 0] * s[1:, 1] - s[1:, 0] * s[:-1, 1])
    assert area > 0  # counter-clockwise (y up)
    assert s[3, 0] < s[0, 0]  # sets off leftwards
    check_quality(raster, strokes)


def test_a_t_is_its_stem_then_its_bar():
    bar, stem = [(0, 150), (100, 150)], [(50, 150), (50, 0)]
    raster, strokes = trace([bar, stem])
    assert len(strokes) == 2
    assert close_to(strokes[0], stem) and close_to(strokes[1], bar)
    assert strokes[0][0, 1] > strokes[0][-1, 1] and strokes[1][0, 0] < strokes[1][-1, 0]
    check_quality(raster, strokes)


def test_an_h_is_left_stem_right_stem_then_bar():
    left, right, bar = [(0, 150), (0, 0)], [(80, 150), (80, 0)], [(0, 75), (80, 75)]
    raster, strokes = trace([left, right, bar])
    assert len(strokes) == 3
    for s, shape in zip(strokes, (left, right, bar), strict=True):
        assert close_to(s, shape)
    check_quality(raster, strokes)


def test_an_i_is_its_stem_then_its_dot():
    stem, dot = [(50, 100), (50, 0)], [(50, 140)]
    raster, strokes = trace([stem, dot])
    assert len(strokes) == 2
    assert close_to(strokes[0], stem) and strokes[0][0, 1] > strokes[0][-1, 1]
    assert close_to(strokes[1], dot)
    check_quality(raster, strokes)


def test_the_measures_see_a_missing_stroke_and_a_stray_one():
    left, right, bar = [(0, 150), (0, 0)], [(80, 150), (80, 0)], [(0, 75), (80, 75)]
    raster, strokes = trace([left, right, bar])
    coverage, _ = measure(raster, list(strokes[:2]))  # no bar
    assert coverage < MIN_COVERAGE
    stray = np.array([[0.0, 75.0], [0.0, -60.0]])  # leaves the ink below the H
    _, precision = measure(raster, [*strokes, stray])
    assert precision < MIN_PRECISION


def test_nonzero_fill_keeps_overlaps_and_opens_counters():
    outer = np.array([[2, 2], [18, 2], [18, 18], [2, 18]], np.float64)
    same = outer[:, :] * 0.5 + 5  # inside, same direction: still ink
    hole = same[::-1]  # inside, the other way round: a counter
    assert fill_nonzero([outer, same], 20, 20)[10, 10]
    assert not fill_nonzero([outer, hole], 20, 20)[10, 10]
    assert fill_nonzero([outer], 20, 20).sum() == 16 * 16


def test_quantised_storage_round_trips_within_half_a_quantum(tmp_path):
    rng = np.random.default_rng(0)
    glyphs = {c: (tuple(rng.uniform(-1.5, 3, (n, 2)) for n in (5, 2)), 0.8)
              for c in "ab"}
    glyphs[" "] = ((), 0.5)
    arrays = hands.pack(glyphs, x_height=400.0, baseline=-3.0)
    for name in ("first", "second"):
        hands.save(tmp_path / f"{name}.npz", arrays)
    assert (tmp_path / "first.npz").read_bytes() == (tmp_path / "second.npz").read_bytes()
    back, x_height, baseline = hands.load(tmp_path / "first.npz")
    assert (x_height, baseline) == (400.0, -3.0) and set(back) == set(glyphs)
    for c, (strokes, advance) in glyphs.items():
        assert abs(back[c][1] - advance) <= hands.QUANTUM / 2
        for s, t in zip(strokes, back[c][0], strict=True):
            assert np.abs(s - t).max() <= hands.QUANTUM / 2 + 1e-12


# -- the vendored traced families ------------------------------------------------

CATALOGUE = hands.catalogue()
TRACED = fonts.TRACED_FONTS
pytestmark_vendored = pytest.mark.skipif(not TRACED, reason="no traced families vendored")


@pytestmark_vendored
def test_every_family_is_traced_or_listed_as_dropped():
    dropped = (HANDS / "traced" / "DROPPED.md").read_text()
    for record in CATALOGUE:
        assert record["id"] in TRACED or f"- {record['id']}:" in dropped, record["id"]
    assert {p.stem for p in (HANDS / "traced").glob("*.npz")} == set(TRACED)
    others = set(fonts.WRITER_FONTS + fonts.RESERVED_FONTS) | set(fonts.SVG_FONT_FILES)
    assert not set(TRACED) & others
    readme = (HANDS / "traced" / "README.md").read_text()
    assert "LICENSE" in readme and "derived from the fonts" in readme


@pytestmark_vendored
@pytest.mark.parametrize("family", TRACED)
def test_traced_family_loads_normalised_complete_and_within_bounds(family):
    font = fonts.load_font(family)
    assert set(REQUIRED) <= set(font.glyphs)
    assert font.glyphs[" "].strokes == () and font.glyphs[" "].advance > 0
    for char, glyph in font.glyphs.items():
        assert len(glyph.strokes) <= MAX_STROKES, (family, char)
        assert all(s.dtype == np.float64 and s.ndim == 2 and s.shape[1] == 2
                   for s in glyph.strokes)
    tops = [max(s[:, 1].max() for s in font.glyphs[c].strokes) for c in "acemnorsuvwxz"]
    bottoms = [min(s[:, 1].min() for s in font.glyphs[c].strokes) for c in "acemnorsuvwxz"]
    assert abs(np.median(tops) - 1) < 0.01 and abs(np.median(bottoms)) < 0.01
    # The stored arrays are what packing the loaded glyphs gives back.
    glyphs, x_height, baseline = hands.load(hands.TRACED_DIR / f"{family}.npz")
    arrays = hands.pack(glyphs, x_height, baseline)
    with np.load(hands.TRACED_DIR / f"{family}.npz") as stored:
        for key in stored.files:
            assert np.array_equal(stored[key], arrays[key]), key


@pytestmark_vendored
def test_sampled_glyphs_meet_the_thresholds_against_their_own_font():
    """SAMPLE_PER_FAMILY glyphs of every family, re-measured from the .ttf."""
    visible = [c for c in string.printable if c.isprintable() and not c.isspace()]
    failures = []
    for k, family in enumerate(TRACED):
        font = fonts.load_font(family)
        outline = OutlineFont(HANDS / family / f"{family}.ttf")
        chars = [visible[(k * 7 + 11 * i) % len(visible)] for i in range(SAMPLE_PER_FAMILY)]
        for char in [c for c in chars if c in font.glyphs]:
            raster = outline.render(char)
            strokes = [s * font.x_height + (0.0, font.baseline)
                       for s in font.glyphs[char].strokes]
            coverage, precision = measure(raster, strokes)
            if coverage < MIN_COVERAGE or precision < MIN_PRECISION:
                failures.append((family, char, round(coverage, 3), round(precision, 3)))
    assert not failures, failures


@pytestmark_vendored
def test_the_raster_agrees_with_freetype():
    """outline.py's nonzero fill covers as much of each pixel as Pillow's
    FreeType rendering of the same glyphs (an independent rasteriser), so the
    measures see the real ink: the ink at half a pixel's coverage agrees
    within 5% of its area."""
    from PIL import Image, ImageDraw, ImageFont

    for family in TRACED[:3]:
        path = HANDS / family / f"{family}.ttf"
        outline = OutlineFont(path)
        face = ImageFont.truetype(str(path), round(outline.units_per_em * outline.scale))
        for char in "aHg":
            raster = outline.render(char)
            h, w = raster.mask_HxW.shape
            fine = fill_nonzero([raster.to_pixels(c) * 4 for c in outline.contours(char)],
                                h * 4, w * 4)
            ours = fine.reshape(h, 4, w, 4).mean(axis=(1, 3)) >= 0.5
            image = Image.new("L", (w * 3, h * 3), 0)
            # Anchored at the baseline: Pillow clips a glyph that reaches below
            # the descent the font declares when anchored at its top.
            ImageDraw.Draw(image).text((w, int(1.5 * h)), char, fill=255, font=face,
                                       anchor="ls")
            theirs = np.asarray(image) >= 128
            assert abs(int(theirs.sum()) - int(ours.sum())) < 0.05 * ours.sum(), (family, char)


@pytestmark_vendored
def test_writers_draw_lines_with_a_traced_family():
    family = TRACED[0]
    text = "The quick brown fox, jumping: 42 times!"
    for w in range(4):  # print and cursive writers
        writer = writers.sample_writer(f"train-w{w:04d}", family,
                                       np.random.default_rng([7, w]))
        rng = np.random.default_rng(w)
        drawn = drawing.render_line(text, family, rng, writers.line_style(writer, rng))
        assert drawn.text == text and drawn.missing == 0
        assert np.isfinite(drawn.line).all() and drawn.line[:, 2].sum() >= 5
    line = drawing.draw_line("hello world", family, np.random.default_rng(0))
    assert line.shape[1] == 3 and line[-1, 2] == 1


def test_catalogue_is_json_list_of_ids():
    if not (HANDS / "catalogue.json").exists():
        pytest.skip("no hands folder")
    records = json.loads((HANDS / "catalogue.json").read_text())
    assert [r["id"] for r in records] == [r["id"] for r in CATALOGUE]
