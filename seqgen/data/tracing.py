"""Outline handwriting fonts traced into pen strokes: fonts.Glyph from a .ttf.

Real people's handwriting fonts are outline fonts: each letter is an area.
The writer learns from pen paths, so `trace_family(name, path)` turns every
printable ASCII glyph of a .ttf/.otf into pen-down polylines in a plausible
writing order, measures each trace against the font's own raster, and keeps
what passes:

1. outline.py renders the glyph at PX_PER_X_HEIGHT = 100 pixels per
   x-height (nonzero winding, no hinting; a fixed map to font units);
2. skeleton_graph.py thins the ink to its centre line, reads it as a graph
   (ends, junctions, paths, rings, dots) and cleans it (spurs, split
   crossings, holes, pulled-in ends, pixel stairs);
3. stroke_order.py covers the graph with strokes (pen passing straight
   through junctions), orients them (top to bottom, left to right; rings
   counter-clockwise from the top) and orders them (left to right, stems
   before crossbars, dots and accents last);
   then a short stroke lying wholly within the others' stroke width (a
   crumb of a knotted junction) is dropped;
4. trace_quality.py measures coverage and precision against the outline.

A glyph fails (and is left out) if its coverage is under MIN_COVERAGE, its
precision under MIN_PRECISION, or it takes more than MAX_STROKES strokes: no
printable ASCII character takes a writer more than four pen-downs ('#', 'E'
or 'W' at most), so six leaves room for two breaks in a rough outline while
a glyph traced into shreds (a textured or hollow outline) fails. A family is
dropped if any of REQUIRED (a-z, A-Z: a letter from another font would mix
hands within a word) is missing or fails, or more than MAX_FAILED of the
digits and punctuation marks it has fail (they may fall back to another
font, as drawing.py does for the characters a font lacks, but a family
whose outlines trace badly that often is not trusted for its letters either).
The space keeps its advance, without ink.

Glyphs are returned in font units, then normalised (fonts.normalise_font:
baseline y = 0, x-height y = 1), as the single-line fonts are.

Needs scikit-image and SciPy (the `hands` extra); the package itself only
reads the traced result (fonts.py, hands.py).
"""
from __future__ import annotations

import dataclasses
import string
from pathlib import Path

import numpy as np

from seqgen.data.fonts import Font, Glyph, normalise_font, segment_distance
from seqgen.data.outline import PX_PER_X_HEIGHT, OutlineFont, Raster
from seqgen.data.skeleton_graph import Graph, arc_length, skeleton_graph
from seqgen.data.stroke_order import order_strokes
from seqgen.data.trace_quality import measure, sample_strokes

CHARS = "".join(c for c in string.printable if c.isprintable())  # ' ' and the 94 visible
REQUIRED = string.ascii_lowercase + string.ascii_uppercase
MIN_COVERAGE = 0.9
MIN_PRECISION = 0.95
MAX_STROKES = 6
MAX_FAILED = 8  # digits and punctuation marks the font has that may fail
REDUNDANT_PX = 0.3 * PX_PER_X_HEIGHT  # a shorter stroke inside the others' ink goes


@dataclasses.dataclass(frozen=True)
class TracedGlyph:
    """One character's trace (font units) and how it measured."""

    char: str
    glyph: Glyph | None  # None: the font has no such glyph
    coverage: float = 1.0
    precision: float = 1.0
    problem: str = ""  # why it fails; "" if it passes


@dataclasses.dataclass(frozen=True)
class TracedFamily:
    name: str
    path: Path
    glyphs: dict[str, TracedGlyph]  # every character tried, passing or not
    font: Font | None  # the passing glyphs, normalised; None if the family is dropped
    dropped: str = ""  # why the family is dropped; "" if kept


def _to_units(graph: Graph, to: callable) -> Graph:
    """The graph with every coordinate mapped by `to` ((N, 2) -> (N, 2))."""
    return dataclasses.replace(
        graph,
        nodes={k: to(v[None])[0] for k, v in graph.nodes.items()},
        edges=[dataclasses.replace(e, path_Nx2=to(e.path_Nx2)) for e in graph.edges],
        cycles=[to(c) for c in graph.cycles],
        dots=[to(d) for d in graph.dots])


def _drop_redundant(strokes_px: list[np.ndarray], graph: Graph) -> list[np.ndarray]:
    """The strokes without short ones (under REDUNDANT_PX) that lie wholly
    within the stroke width of the others: crumbs of a knotted junction, where
    a hairline crosses a stem, that add no ink and only pen lifts."""
    keep = list(strokes_px)
    for s in sorted(strokes_px, key=arc_length):
        if arc_length(s) > REDUNDANT_PX or len(keep) < 2:
            continue
        others = [o for o in keep if o is not s]
        p_Nx2 = sample_strokes([s], 1.0)
        near_N = np.min([segment_distance(p_Nx2, o if len(o) > 1 else np.repeat(o, 2, 0))
                         for o in others], axis=0)
        if np.all(near_N <= np.array([graph.radius(p) for p in p_Nx2]) + 1.0):
            keep = others
    return keep


def trace_raster(raster: Raster, x_height: float) -> tuple[np.ndarray, ...]:
    """The pen strokes of a glyph's ink (font units, y up), in writing order.

    `x_height` is the font's, in its units: the order's thresholds are in
    x-heights; the raster should be at about PX_PER_X_HEIGHT pixels per
    x-height, for which the cleaning's pixel tolerances are set.
    """
    graph = skeleton_graph(raster.mask_HxW)
    # A dot (a one-point skeleton) becomes a short downward dab of its half width.
    graph.dots = [np.array([d[0] - (0, graph.radius(d[0]) / 2),
                            d[0] + (0, graph.radius(d[0]) / 2)]) for d in graph.dots]
    in_x_heights = _to_units(graph, lambda p: raster.to_font(p) / x_height)
    ordered = [raster.to_pixels(s * x_height) for s in order_strokes(in_x_heights)]
    return tuple(raster.to_font(s) for s in _drop_redundant(ordered, graph))


def trace_glyph(outline: OutlineFont, char: str) -> TracedGlyph:
    """One character traced and measured (module docstring)."""
    if not outline.has(char):
        return TracedGlyph(char, None, 0.0, 0.0, "not in the font")
    advance = outline.advance(char)
    raster = outline.render(char)
    if raster is None:
        if char.isspace():
            return TracedGlyph(char, Glyph(strokes=(), advance=advance))
        return TracedGlyph(char, None, 0.0, 0.0, "no ink")
    strokes = trace_raster(raster, outline.x_height)
    coverage, precision = measure(raster, list(strokes))
    problems = []
    if coverage < MIN_COVERAGE:
        problems.append(f"coverage {coverage:.3f} < {MIN_COVERAGE}")
    if precision < MIN_PRECISION:
        problems.append(f"precision {precision:.3f} < {MIN_PRECISION}")
    if len(strokes) > MAX_STROKES:
        problems.append(f"{len(strokes)} strokes > {MAX_STROKES}")
    return TracedGlyph(char, Glyph(strokes=strokes, advance=advance), coverage, precision,
                       "; ".join(problems))


def family_verdict(glyphs: dict[str, TracedGlyph]) -> str:
    """Why a family with these traces is dropped, or "" (module docstring)."""
    bad_required = [c for c in REQUIRED if c not in glyphs or glyphs[c].problem]
    if bad_required:
        c = bad_required[0]
        why = glyphs[c].problem if c in glyphs else "not traced"
        return (f"required letter{'s' if len(bad_required) > 1 else ''} "
                f"{''.join(bad_required)!r} fail{'' if len(bad_required) > 1 else 's'} "
                f"({c!r}: {why})")
    failed = [c for c in CHARS if c in glyphs and glyphs[c].glyph is not None
              and glyphs[c].problem]
    if len(failed) > MAX_FAILED:
        return (f"{len(failed)} digits and punctuation marks fail (> {MAX_FAILED}): "
                f"{''.join(failed)!r}")
    return ""


def trace_family(name: str, path: str | Path, chars: str = CHARS) -> TracedFamily:
    """Every character of `chars` traced from the font file; the family's verdict."""
    outline = OutlineFont(path)
    glyphs = {c: trace_glyph(outline, c) for c in chars}
    dropped = family_verdict(glyphs)
    font = None
    if not dropped:
        kept = {c: t.glyph for c, t in glyphs.items() if not t.problem}
        font = normalise_font(name, kept)
    return TracedFamily(name, Path(path), glyphs, font, dropped)
