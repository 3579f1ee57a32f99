"""Single-line fonts for drawn handwriting: glyphs as pen-down polylines, in x-heights.

Four lists of font names:
  FONTS          Hershey script and the EMS fonts Allure, Elfin and Nixish
                 Italic: the default of data_config.fonts, unchanged since
                 drawn handwriting began (the legacy lines are drawn with them).
  WRITER_FONTS   FONTS plus Hershey script complex and EMS Nixish and Tech:
                 every single-line handwriting-like font with a free licence
                 that training may use (drawn.py's writers draw from these).
  RESERVED_FONTS EMS Felix, Readability and Readability Italic: vendored for
                 an independent check of what a model learnt and never
                 trained or tuned on; drawn.py refuses them in data_config.fonts.
  TRACED_FONTS   the outline handwriting fonts of seqgen/third_party/hands that
                 traced cleanly into pen strokes (ids from its catalogue.json;
                 hands.py reads the traced files tools/trace_fonts.py writes).
                 Which of them train or judge a writer is decided elsewhere.
Hershey fonts come from the PyPI package Hershey-Fonts (MIT; HERSHEY_FONTS);
the EMS SVG fonts are vendored in seqgen/third_party/fonts (SIL OFL 1.1,
provenance in PROVENANCE.md there; SVG_FONT_FILES). `load_font(name)`
reads one, once per process, and normalises it (`normalise_font`): baseline
and x-height are the medians of the bottoms and tops of the lowercase letters
without ascenders or descenders (X_HEIGHT_LETTERS), and every glyph is scaled
so that the baseline is y = 0 and the x-height y = 1, x measured from the
glyph's origin, y up. drawn.py writes lines with these glyphs.

SVG fonts are parsed with defusedxml. Path data may use M, L, H, V, C and Z,
absolute or relative; a cubic Bezier becomes CUBIC_SEGMENTS straight pieces
(drawn.py resamples the strokes anyway). A file that cannot be read or
parsed raises StrokeDataError naming it and the fix. A change here that moves
any glyph changes the drawn lines: bump drawn.GENERATION_VERSION with it.

Dimension letters: N points of a polyline.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from defusedxml import ElementTree

from seqgen.data import hands, stroke_order
from seqgen.data.strokes import StrokeDataError
from seqgen.data.vendored import vendored_dir

# Package data, with its licence and PROVENANCE.md alongside.
FONTS_DIR = vendored_dir("fonts")
SVG_FONT_FILES = {"ems_allure": "EMSAllure.svg", "ems_elfin": "EMSElfin.svg",
                  "ems_nixish_italic": "EMSNixishItalic.svg", "ems_nixish": "EMSNixish.svg",
                  "ems_tech": "EMSTech.svg", "ems_felix": "EMSFelix.svg",
                  "ems_readability": "EMSReadability.svg",
                  "ems_readability_italic": "EMSReadabilityItalic.svg"}
# seqgen name -> Hershey-Fonts name. The package's 'cursive' has the very
# letters of 'scripts' (only digits and punctuation differ), so it adds no hand.
HERSHEY_FONTS = {"hershey_script": "scripts", "hershey_script_complex": "scriptc"}
FONTS = ("hershey_script", "ems_allure", "ems_elfin", "ems_nixish_italic")
WRITER_FONTS = FONTS + ("hershey_script_complex", "ems_nixish", "ems_tech")
# Kept out of every training and validation font list: an independent check.
RESERVED_FONTS = ("ems_felix", "ems_readability", "ems_readability_italic")
# Every traced handwriting family (its id in seqgen/third_party/hands/catalogue.json).
TRACED_FONTS = hands.traced_ids()
# Hershey "complex" fonts thicken stems with a second, parallel pass of the
# pen; a stretch of a stroke lying within this many x-heights of a longer
# stroke of the same glyph is such a pass and is cut out (one line, as a pen
# writes; drop_double_passes). Only the fonts named here are thinned.
DOUBLE_PASS_FONTS = ("hershey_script_complex",)
DOUBLE_PASS_DISTANCE = 0.12
DOUBLE_PASS_RUN = 7.0  # distances (0.84 x-heights): a shorter stretch is a loop, not a pass

# Lowercase letters without ascenders or descenders: their median top and
# bottom define a font's x-height and baseline (the SVG fonts' declared
# x-height="300" and baseline 0 are off by 20-70%).
X_HEIGHT_LETTERS = "acemnorsuvwxz"
CUBIC_SEGMENTS = 8  # straight pieces per cubic Bezier (resampled afterwards anyway)


@dataclasses.dataclass(frozen=True)
class Glyph:
    """One character: pen-down polylines and the advance to the next origin."""

    strokes: tuple[np.ndarray, ...]  # each float64 (N, 2): x right, y up
    advance: float


@dataclasses.dataclass(frozen=True)
class Font:
    """Glyphs in x-heights: baseline at y = 0, x-height at y = 1, origin x = 0."""

    name: str
    glyphs: Mapping[str, Glyph]
    x_height: float  # in the source's own units, as measured
    baseline: float  # in the source's own units, as measured


# ----------------------------------------------------------------------------
# Reading fonts.
# ----------------------------------------------------------------------------

_PATH_TOKEN = re.compile(r"([A-Za-z])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_PATH_ARGS = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "Z": 0}


def parse_svg_path(d: str, where: str = "path") -> list[np.ndarray]:
    """An SVG path `d` -> polylines (float64 (N, 2)), one per subpath, in its own axes.

    Handles M, L, H, V, C, Z, absolute and relative (lowercase), with the
    SVG rules that extra pairs after M/m are line-tos and that commands repeat
    while numbers follow. Cubic Beziers become CUBIC_SEGMENTS straight pieces.
    Other commands (Q, S, T, A) raise StrokeDataError naming `where`.
    """
    tokens = []
    pos = 0
    for m in _PATH_TOKEN.finditer(d):
        if d[pos:m.start()].strip(" \t\r\n,"):
            raise StrokeDataError(f"{where}: unreadable path data {d[pos:m.start()]!r} at "
                                  f"offset {pos}; the file is not a valid SVG font.")
        tokens.append(m.group(1) or float(m.group(2)))
        pos = m.end()
    if d[pos:].strip(" \t\r\n,"):
        raise StrokeDataError(f"{where}: unreadable path data {d[pos:]!r} at offset {pos}; "
                              f"the file is not a valid SVG font.")
    polylines: list[list[tuple[float, float]]] = []
    cur = np.zeros(2)
    start = np.zeros(2)
    cmd = ""
    i = 0
    while i < len(tokens):
        if isinstance(tokens[i], str):
            cmd = tokens[i]
            i += 1
            if cmd.upper() not in _PATH_ARGS:
                raise StrokeDataError(f"{where}: path command {cmd!r} is not supported "
                                      f"(only M, L, H, V, C, Z); use a font without it.")
        elif not cmd:
            raise StrokeDataError(f"{where}: path data starts with a number, not a "
                                  f"command; the file is not a valid SVG font.")
        upper, relative = cmd.upper(), cmd.islower()
        n = _PATH_ARGS[upper]
        args = tokens[i:i + n]
        if len(args) < n or any(isinstance(a, str) for a in args):
            raise StrokeDataError(f"{where}: command {cmd!r} needs {n} numbers; the "
                                  f"path data is truncated.")
        i += n
        base = cur if relative else np.zeros(2)
        if upper == "M":
            cur = base + args
            start = cur
            polylines.append([tuple(cur)])
            cmd = "l" if relative else "L"  # further pairs are line-tos
            continue
        if not polylines:
            polylines.append([tuple(cur)])  # drawing before any moveto starts at (0, 0)
        if upper == "Z":
            cur = start
            polylines[-1].append(tuple(cur))
            if i < len(tokens) and not isinstance(tokens[i], str):
                raise StrokeDataError(f"{where}: numbers after Z; the path data is "
                                      f"malformed.")
            continue
        if upper == "L":
            cur = base + args
        elif upper == "H":
            cur = np.array([base[0] + args[0], cur[1]])
        elif upper == "V":
            cur = np.array([cur[0], base[1] + args[0]])
        else:  # C: control points c1, c2 and the end point
            p0 = cur
            c1, c2, p3 = (base + args[0:2], base + args[2:4], base + args[4:6])
            t = np.linspace(0, 1, CUBIC_SEGMENTS + 1)[1:, None]
            pts = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * c1
                   + 3 * (1 - t) * t ** 2 * c2 + t ** 3 * p3)
            polylines[-1].extend(map(tuple, pts[:-1]))
            cur = p3
        polylines[-1].append(tuple(cur))
    return [np.array(p, np.float64) for p in polylines if len(p) > 1]


def read_svg_font(path: Path) -> dict[str, Glyph]:
    """The glyphs of an SVG font file in its own units (y up, as in the file).

    Glyphs whose `unicode` is missing or more than one character (ligatures)
    are left out. A glyph without `horiz-adv-x` takes the font's.
    """
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as err:
        raise StrokeDataError(f"{path}: cannot read the SVG font ({err}); restore it from "
                              f"the package named in PROVENANCE.md beside it.") from None
    font = next((e for e in root.iter() if _local(e.tag) == "font"), None)
    if font is None:
        raise StrokeDataError(f"{path}: no <font> element; it is not an SVG font.")
    default_advance = font.get("horiz-adv-x")
    glyphs = {}
    for element in font.iter():
        if _local(element.tag) != "glyph":
            continue
        char = element.get("unicode")
        if char is None or len(char) != 1:
            continue
        where = f"{path}: glyph {char!r}"
        advance = element.get("horiz-adv-x", default_advance)
        try:
            advance = float(advance)
        except (TypeError, ValueError):
            raise StrokeDataError(f"{where} has no numeric horiz-adv-x ({advance!r}) and "
                                  f"the <font> gives none; the file is malformed.") from None
        strokes = parse_svg_path(element.get("d", ""), where)
        glyphs[char] = Glyph(strokes=tuple(strokes), advance=advance)
    if not glyphs:
        raise StrokeDataError(f"{path}: the <font> holds no glyphs.")
    return glyphs


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _hershey_glyphs(name: str) -> dict[str, Glyph]:
    """Hershey-Fonts glyphs in font units, y flipped to point up."""
    from HersheyFonts import HersheyFonts  # a heavy import, only here

    font = HersheyFonts()
    font.load_default_font(name)
    glyphs = {}
    for char, g in font.all_glyphs.items():
        strokes = tuple(np.array([(x - g.left_offset, -y) for x, y in s], np.float64)
                        for s in g.strokes if len(s))
        glyphs[char] = Glyph(strokes=strokes, advance=float(g.char_width))
    return glyphs


def baseline_and_x_height(lines: Mapping[str, Sequence[np.ndarray]]
                          ) -> tuple[float, float] | None:
    """(baseline, x-height): the medians of the bottoms and of the tops of the
    X_HEIGHT_LETTERS among `lines` (char -> polylines or contours, y up),
    less the baseline; None when fewer than 3 of them have any."""
    tops, bottoms = [], []
    for c in X_HEIGHT_LETTERS:
        if c in lines and len(lines[c]):
            y = np.concatenate([s[:, 1] for s in lines[c]])
            tops.append(y.max())
            bottoms.append(y.min())
    if len(tops) < 3:
        return None
    baseline = float(np.median(bottoms))
    return baseline, float(np.median(tops)) - baseline


def normalise_font(name: str, glyphs: Mapping[str, Glyph]) -> Font:
    """Glyphs scaled to x-heights, with the baseline moved to y = 0
    (`baseline_and_x_height`)."""
    measured = baseline_and_x_height({c: g.strokes for c, g in glyphs.items()})
    if measured is None:
        raise StrokeDataError(f"font {name!r}: fewer than 3 of the letters "
                              f"{X_HEIGHT_LETTERS!r}, so its size cannot be measured; "
                              f"use a font with lowercase letters.")
    baseline, x_height = measured
    offset = np.array([0.0, baseline])
    scaled = {c: Glyph(strokes=tuple((s - offset) / x_height for s in g.strokes),
                       advance=g.advance / x_height)
              for c, g in glyphs.items()}
    return Font(name=name, glyphs=scaled, x_height=x_height, baseline=baseline)


def segment_distance(p_Nx2: np.ndarray, polyline_Mx2: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest point of a polyline, (N,)."""
    a_Sx2, b_Sx2 = polyline_Mx2[:-1], polyline_Mx2[1:]
    ab_Sx2 = b_Sx2 - a_Sx2
    t_NxS = np.clip(((p_Nx2[:, None] - a_Sx2) * ab_Sx2).sum(-1)
                    / np.maximum((ab_Sx2 ** 2).sum(-1), 1e-12), 0.0, 1.0)
    nearest_NxSx2 = a_Sx2 + t_NxS[..., None] * ab_Sx2
    return np.hypot(*(p_Nx2[:, None] - nearest_NxSx2).transpose(2, 0, 1)).min(axis=1)


def _runs(mask_K: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask_K.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def drop_double_passes(glyph: Glyph, distance: float) -> Glyph:
    """The glyph without second passes of the pen (glyph units).

    Strokes are taken longest first; where a stroke runs within `distance`
    of the strokes kept so far for at least DOUBLE_PASS_RUN distances of
    arc, that stretch is a pass that thickens a stem and is cut out (a
    shorter stretch is a narrow loop or a junction and stays). What is left
    of the stroke stays, reaching `distance` into the cut so that it still
    touches the stroke it doubled; a stroke with nothing (or only crumbs
    under 2 distances) left is dropped.
    """
    lengths = [float(np.hypot(*np.diff(s, axis=0).T).sum()) for s in glyph.strokes]
    kept: dict[int, list[np.ndarray]] = {}
    step = distance / 4
    for i in sorted(range(len(glyph.strokes)), key=lambda i: -lengths[i]):
        s_Nx2 = glyph.strokes[i]
        others = [p for pieces in kept.values() for p in pieces if len(p) > 1]
        if len(s_Nx2) < 2 or not others:
            kept[i] = [s_Nx2]
            continue
        # Dense samples of the stroke (its vertices can be far apart).
        arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(s_Nx2, axis=0).T))])
        at_K = np.linspace(0.0, arc_N[-1], max(2, int(arc_N[-1] / step) + 1))
        p_Kx2 = np.stack([np.interp(at_K, arc_N, s_Nx2[:, 0]),
                          np.interp(at_K, arc_N, s_Nx2[:, 1])], axis=1)
        near_K = np.min([segment_distance(p_Kx2, o) for o in others], axis=0) < distance
        cut_K = np.zeros(len(p_Kx2), bool)
        for a, b in _runs(near_K):
            if (b - a) * step >= DOUBLE_PASS_RUN * distance:
                cut_K[a:b] = True
        if not cut_K.any():
            kept[i] = [s_Nx2]
            continue
        reach = 4  # samples: `distance` of arc into the cut
        pieces = [p_Kx2[max(a - reach, 0):b + reach] for a, b in _runs(~cut_K)
                  if (b - a) * step >= 2 * distance]
        kept[i] = pieces
    return Glyph(strokes=tuple(p for i in sorted(kept) for p in kept[i]),
                 advance=glyph.advance)


@functools.cache
def load_font(name: str, writing_order: bool = False) -> Font:
    """One of WRITER_FONTS, RESERVED_FONTS or TRACED_FONTS, in x-heights (cached).

    writing_order: the single-line SVG fonts' strokes in the order and
    direction a writer draws them (stroke_order.order_polylines) rather than
    the file's, which were drawn for plotters (an 's' from its foot, stems
    upwards). The traced hands are in writing order already; the Hershey
    scripts' strokes run as a pen writes and are kept.
    """
    if writing_order and name in SVG_FONT_FILES:
        font = load_font(name)
        return dataclasses.replace(font, glyphs={
            c: Glyph(strokes=tuple(stroke_order.order_polylines(list(g.strokes))),
                     advance=g.advance) for c, g in font.glyphs.items()})
    if name in HERSHEY_FONTS:
        font = normalise_font(name, _hershey_glyphs(HERSHEY_FONTS[name]))
        if name in DOUBLE_PASS_FONTS:
            font = dataclasses.replace(font, glyphs={
                c: drop_double_passes(g, DOUBLE_PASS_DISTANCE) for c, g in font.glyphs.items()})
        return font
    if name in SVG_FONT_FILES:
        path = FONTS_DIR / SVG_FONT_FILES[name]
        if not path.is_file():
            raise StrokeDataError(f"font {name!r}: {path} not found; the fonts ship in the "
                                  f"package data seqgen/third_party/fonts: reinstall seqgen "
                                  f"(pip install -e . or the wheel) or drop {name!r} from "
                                  f"data_config.fonts.")
        return normalise_font(name, read_svg_font(path))
    if name in TRACED_FONTS:
        # Stored already normalised (hands.py), so not normalised again.
        glyphs, x_height, baseline = hands.load(hands.TRACED_DIR / f"{name}.npz")
        return Font(name=name, glyphs={c: Glyph(strokes=s, advance=a)
                                       for c, (s, a) in glyphs.items()},
                    x_height=x_height, baseline=baseline)
    raise StrokeDataError(f"font {name!r} is unknown: data_config.fonts takes names from "
                          f"{WRITER_FONTS}.")
