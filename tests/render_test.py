"""Rendering against the documented page transform re-derived here, parsed
SVG, the PNG's pixels, and closed-form moments of a Gaussian's pixel mass."""

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from scipy import stats

from seqgen.handwriting import render

SVG = "{http://www.w3.org/2000/svg}"


def offsets(points_Px2, ends):
    """(dx, dy, eos) rows from absolute points; eos = 1 at the listed indices."""
    p = np.asarray(points_Px2, np.float64)
    eos = np.zeros(len(p))
    eos[list(ends)] = 1
    return np.column_stack([np.diff(np.vstack([[0, 0], p]), axis=0), eos]).astype(np.float32)


def path_commands(svg):
    root = ET.fromstring(svg)
    return [[(c, float(x), float(y)) for c, x, y in
             re.findall(r"([ML])\s*(-?[\d.]+) (-?[\d.]+)", p.get("d"))]
            for p in root.iter(SVG + "path")]


def drawn_points(cmds):
    """A path's points, a one-point stroke (a dot, written twice so the round
    cap shows) once."""
    got = np.array([(x, y) for _, x, y in cmds])
    return np.array([g for i, g in enumerate(got) if i == 0 or cmds[i][0] == "M"
                     or not np.array_equal(g, got[i - 1])])


def svg_of(tmp_path, lines, texts=None, **kw):
    """The SVG text that save_lines writes (beside its PNG)."""
    svg_path, _ = render.save_lines(tmp_path / "page", lines, texts, **kw)
    return svg_path.read_text(encoding="utf-8")


def dark(png_path):
    """Boolean HxW: pixels visibly darker than the white page."""
    return np.asarray(Image.open(png_path).convert("L")) < 200


# Two letter-like lines: an "L" and a "+" with a dot, 3 and 3 strokes.
LETTERS = [
    offsets([[0, 10], [0, 0], [6, 0], [9, 4], [12, 4]], ends=[2, 4]),
    offsets([[0, 0], [4, 0], [2, -2], [2, 2], [7, 1]], ends=[1, 3, 4]),
]
NUM_STROKES = [2, 3]


def test_svg_is_xml_with_one_move_per_stroke_and_escaped_captions(tmp_path):
    svg = svg_of(tmp_path, LETTERS, ["a <b> & 'c'", "d\x01e"])
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    cmds = path_commands(svg)
    assert [sum(c == "M" for c, _, _ in p) for p in cmds] == NUM_STROKES
    assert [t.text for t in root.iter(SVG + "text")] == ["a <b> & 'c'", "de"]


def test_svg_coordinates_follow_the_documented_transform(tmp_path):
    lh = 50.0
    svg = svg_of(tmp_path, LETTERS, line_height=lh)
    top = render.MARGIN
    for line, cmds in zip(LETTERS, path_commands(svg), strict=True):
        p = np.cumsum(line[:, :2].astype(np.float64), axis=0)  # to_absolute
        (x0, y0), (x1, y1) = p.min(0), p.max(0)
        s = lh / max(y1 - y0, (x1 - x0) / render.MAX_ASPECT)
        want = np.column_stack([render.MARGIN + (p[:, 0] - x0) * s,
                                top + (lh - (y1 - y0) * s) / 2 + (y1 - p[:, 1]) * s])
        np.testing.assert_allclose(drawn_points(cmds), want, atol=0.006)
        top += lh + render.GAP


def test_a_page_of_one_text_has_one_scale(tmp_path):
    # same_scale: s = lh / median extent, rows max(lh, h s) high, each line centred.
    lh = 50.0
    tall = offsets([[0, 0], [0, 40], [3, 40]], ends=[2])  # an 'l' four times as high
    lines = LETTERS + [tall]
    svg = svg_of(tmp_path, lines, line_height=lh, same_scale=True)
    absolute = [np.cumsum(line[:, :2].astype(np.float64), axis=0) for line in lines]
    extents = [max(np.ptp(p[:, 1]), np.ptp(p[:, 0]) / render.MAX_ASPECT) for p in absolute]
    s = lh / np.median(extents)
    top = render.MARGIN
    for p, cmds in zip(absolute, path_commands(svg), strict=True):
        (x0, y0), (_, y1) = p.min(0), p.max(0)
        row = max(lh, (y1 - y0) * s)
        want = np.column_stack([render.MARGIN + (p[:, 0] - x0) * s,
                                top + (row - (y1 - y0) * s) / 2 + (y1 - p[:, 1]) * s])
        np.testing.assert_allclose(drawn_points(cmds), want, atol=0.006)
        top += row + render.GAP
    # The tall line's row grew to hold it: nothing overlaps the next row.
    assert (40 * s) > lh


def test_a_short_line_is_written_at_the_pages_letter_size(tmp_path):
    # Lines with a tall letter (10 units), and a lone short word without one
    # (5 units, an "our"): per-line fitting blows the word up to the row's
    # height, twice its letters' size; one page scale keeps it 5 / 10 as high.
    word = [[0, 0], [0, 5], [4, 5], [4, 0]]
    three = offsets([[x + 8 * k, y] for k in range(3) for x, y in word] + [[30, 0], [30, 10]],
                    ends=[3, 7, 11, 13])
    short = offsets(word, ends=[3])
    heights = {}
    for same in (False, True):
        svg = svg_of(tmp_path, [three, short, three], line_height=40, same_scale=same)
        heights[same] = [np.ptp([y for _, _, y in cmds]) for cmds in path_commands(svg)]
    assert heights[False][1] == pytest.approx(heights[False][0], rel=1e-3)  # blown up
    assert heights[True][1] == pytest.approx(heights[True][0] / 2, rel=1e-3)
    wide = offsets([[0, 0], [400, 0], [400, 2]], ends=[2])  # flatter than MAX_ASPECT
    svg = svg_of(tmp_path, [three, wide, three], line_height=40, same_scale=True)
    widths = [np.ptp([x for _, x, _ in cmds]) for cmds in path_commands(svg)]
    assert widths[1] == pytest.approx(400 / 10 * 40 / 1, rel=1e-3)  # s = 40 / 10 units


def test_png_matches_svg_size_and_lights_a_horizontal_band(tmp_path):
    line = offsets([[0, 0], [10, 0]], ends=[1])
    svg_path, png_path = render.save_lines(tmp_path / "one.svg", [line], line_height=40)
    assert (svg_path.name, png_path.name) == ("one.svg", "one.png")
    root = ET.parse(svg_path).getroot()
    # Flat line: fitted to width MAX_ASPECT * line_height, centred vertically.
    w = 2 * render.MARGIN + render.MAX_ASPECT * 40
    h = 2 * render.MARGIN + 40
    assert (int(root.get("width")), int(root.get("height"))) == (math.ceil(w), math.ceil(h))
    im = Image.open(png_path)
    assert im.size == (math.ceil(w), math.ceil(h))
    d = dark(png_path)
    rows = np.flatnonzero(d.any(axis=1))
    y = render.MARGIN + 20  # the band's centre
    assert rows.min() >= y - 3 and rows.max() <= y + 3, rows
    x0, x1 = int(render.MARGIN), int(render.MARGIN + render.MAX_ASPECT * 40)
    assert d[:, x0 + 2:x1 - 2].any(axis=0).all()  # lit along the whole stroke
    assert not d[:, :x0 - 3].any() and not d[:, x1 + 3:].any()


def test_pen_up_leaves_the_gap_blank(tmp_path):
    # Two strokes 20 units apart on one line, and a dot far below.
    line = offsets([[0, 0], [10, 0], [30, 0], [40, 0]], ends=[1, 3])
    _, png = render.save_lines(tmp_path / "gap", [line], line_height=40)
    d = dark(png)
    s = render.MAX_ASPECT * 40 / 40  # pixels per unit
    X = lambda x: render.MARGIN + x * s  # noqa: E731
    assert d[:, int(X(0)) + 2:int(X(10)) - 2].any(axis=0).all()
    assert d[:, int(X(30)) + 2:int(X(40)) - 2].any(axis=0).all()
    assert not d[:, int(X(10)) + 3:int(X(30)) - 3].any()
    # Without the pen-up the gap is drawn: the check can fail.
    _, png = render.save_lines(tmp_path / "nogap", [offsets(line[:, :2].cumsum(0), [3])],
                               line_height=40)
    assert dark(png)[:, int(X(10)) + 3:int(X(30)) - 3].any(axis=0).all()


def test_save_lines_names_and_bad_input(tmp_path):
    svg, png = render.save_lines(tmp_path / "sub" / "samples.step100", LETTERS)
    assert (svg.name, png.name) == ("samples.step100.svg", "samples.step100.png")
    assert svg.exists() and png.exists()
    bad = LETTERS[1].copy()
    bad[2, 0] = np.nan
    with pytest.raises(render.RenderError, match="line 1 has non-finite"):
        render.save_lines(tmp_path / "bad", [LETTERS[0], bad])
    with pytest.raises(render.RenderError, match=r"line 0 has shape \(5, 2\)"):
        render.save_lines(tmp_path / "bad", [LETTERS[0][:, :2]])
    with pytest.raises(render.RenderError, match="1 texts for 2 lines"):
        render.save_lines(tmp_path / "bad", LETTERS, ["x"])
    # An empty line is an empty row, not an error.
    assert len(path_commands(svg_of(tmp_path, [np.zeros((0, 3)), LETTERS[0]]))) == 1


@pytest.mark.parametrize("sigma", [(1.0, 0.6), (0.01, 0.02)])
def test_pixel_mass_has_the_gaussians_moments(sigma):
    """Mass sums to 1 with mean mu and covariance Sigma + (BLUR pixel)^2, also
    for a Gaussian far narrower than a pixel."""
    mu, rho, pixel = np.array([3.3, -1.2]), 0.7, 0.1
    d = render.predictive_density(mu[None, None], np.array(sigma)[None, None],
                                  np.array([[rho]]), np.zeros((1, 1)),
                                  x0=-2.0, y1=4.0, pixel=pixel, shape=(100, 110))
    cx = -2.0 + (np.arange(110) + 0.5) * pixel
    cy = 4.0 - (np.arange(100) + 0.5) * pixel
    X, Y = np.meshgrid(cx, cy)
    assert abs(d.sum() - 1) < 2e-3
    mean = np.array([(d * X).sum(), (d * Y).sum()])
    np.testing.assert_allclose(mean, mu, atol=2e-3)
    cov = np.cov(np.stack([X.ravel(), Y.ravel()]), aweights=d.ravel(), bias=True)
    s1, s2 = sigma
    want = (np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
            + (render.BLUR * pixel) ** 2 * np.eye(2))
    # 4-sigma patches trim the variance by 0.1%; sub-pixel blobs alias a little.
    np.testing.assert_allclose(cov, want, rtol=3e-3, atol=0.01 * pixel ** 2)
    if sigma[0] > 0.5:  # a wide Gaussian: pixel mass = density at the centre * area
        ref = stats.multivariate_normal(mu, want).pdf(np.dstack([X, Y])) * pixel ** 2
        np.testing.assert_allclose(d, ref, atol=1e-6)


def test_density_of_many_wide_components_is_quick():
    """An untrained model's wide mixtures take the coarse path."""
    import time

    T, M = 700, 20
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    d = render.predictive_density(rng.normal(size=(T, M, 2)) * 20, np.full((T, M, 2), 30.0),
                                  np.zeros((T, M)), np.full((T, M), -np.log(M)),
                                  x0=-50, y1=50, pixel=0.125, shape=(800, 800))
    assert time.perf_counter() - t0 < 10
    assert d.shape == (800, 800) and np.isfinite(d).all() and d.sum() > 0


@pytest.mark.parametrize("sigma", [0.01, 0.5])
def test_mass_off_the_grid_is_cut_not_moved(sigma):
    """A Gaussian centred on the left edge keeps half its mass in view (and
    rho = 1, a degenerate covariance, is drawn finite thanks to the blur)."""
    d = render.predictive_density(np.array([[[0.0, 0.5]]]), np.full((1, 1, 2), sigma),
                                  np.ones((1, 1)), np.zeros((1, 1)),
                                  x0=0.0, y1=3.5, pixel=0.05, shape=(120, 60))
    assert abs(d.sum() - 0.5) < 0.01
