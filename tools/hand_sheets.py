"""Contact sheets of traced handwriting fonts (tools/trace_fonts.py --sheets).

One small PNG per family: the traced alphabet, digits and punctuation in
rows of SHEET_COLUMNS cells, each glyph's outline in light grey behind its
strokes, at one scale per family (X_HEIGHT_PX per x-height, less where the
family's wide or tall glyphs would leave their cells). Strokes are
coloured in writing order (STROKE_COLOURS: 1st blue, 2nd orange, 3rd
green, 4th red, 5th purple, 6th brown), each with a dot at
its start, its number beside it, and an arrowhead a third of the way along
showing the pen's direction. A glyph that failed the quality checks is
drawn in grey with its cell framed in red; a glyph the font lacks is an
empty cell framed in red. The image is a palette PNG (a dozen colours),
optimised, ~30-60 KB.

Dimension letters: N points; H, W rows and columns of a mask.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from seqgen.data.outline import OutlineFont, fill_nonzero
from seqgen.data.tracing import REQUIRED, TracedFamily

SHEET_ORDER = (REQUIRED + "0123456789" + "".join(
    c for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"))
SHEET_COLUMNS = 16
CELL = (78, 100)  # pixels (width, height) at scale 1
X_HEIGHT_PX = 24  # pixels per x-height at scale 1
BASELINE_PX = 64  # from the cell's top, at scale 1
STROKE_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                  (148, 103, 189), (140, 86, 75)]
OUTLINE = (222, 222, 222)
FAILED = (150, 150, 150)
FRAME = (220, 40, 40)
TITLE_PX = 22


def _label_font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def contact_sheet(family: TracedFamily, outline: OutlineFont, out: Path,
                  scale: float = 1.0, chars: str = SHEET_ORDER) -> None:
    """Write the family's contact sheet of `chars` to `out` (module docstring)."""
    cell_w, cell_h = int(CELL[0] * scale), int(CELL[1] * scale)
    rows = -(-len(chars) // SHEET_COLUMNS)
    title_h = int(TITLE_PX * scale)
    image = Image.new("RGB", (cell_w * SHEET_COLUMNS, title_h + cell_h * rows), "white")
    draw = ImageDraw.Draw(image)
    small = _label_font(max(int(9 * scale), 8))
    status = f"dropped: {family.dropped}" if family.dropped else "kept"
    draw.text((4, 4), f"{family.name}: {status}", fill=(0, 0, 0),
              font=_label_font(max(int(13 * scale), 8)))
    # Wide capitals of a script (or tall loops) shrink the family's scale, so
    # that nine glyphs in ten fit their cells (a few may reach a neighbour's).
    widths, ups, downs = [1.0], [1.0], [0.0]  # x-heights from the origin
    for traced in family.glyphs.values():
        if traced.char in chars and traced.glyph is not None and traced.glyph.strokes:
            xy = np.concatenate(traced.glyph.strokes) / outline.x_height
            widths.append(float(xy[:, 0].max() - min(xy[:, 0].min(), 0.0)))
            ups.append(float(xy[:, 1].max()))
            downs.append(float(xy[:, 1].min()))
    fit = min(0.85 * CELL[0] / np.percentile(widths, 90),
              (BASELINE_PX - 12) / np.percentile(ups, 90),
              (CELL[1] - BASELINE_PX - 2) / max(-np.percentile(downs, 10), 1e-9))
    px_per_unit = min(X_HEIGHT_PX, fit) * scale / outline.x_height
    for k, char in enumerate(chars):
        left = (k % SHEET_COLUMNS) * cell_w
        top = title_h + (k // SHEET_COLUMNS) * cell_h
        traced = family.glyphs.get(char)
        left_x = 0.0
        if traced is not None and traced.glyph is not None and traced.glyph.strokes:
            left_x = min(float(np.concatenate(traced.glyph.strokes)[:, 0].min()), 0.0)
        origin = np.array([left + 0.1 * cell_w - left_x * px_per_unit,
                           top + BASELINE_PX * scale])

        def to_sheet(p_Nx2: np.ndarray, origin=origin) -> np.ndarray:
            return origin + p_Nx2 * px_per_unit * np.array([1.0, -1.0])

        draw.text((left + 2, top + 1), char, fill=(120, 120, 120), font=small)
        if traced is None or traced.glyph is None:
            draw.rectangle([left + 1, top + 1, left + cell_w - 2, top + cell_h - 2],
                           outline=FRAME)
            continue
        contours = [to_sheet(c) - (left, top) for c in outline.contours(char)]
        ink_HxW = fill_nonzero(contours, cell_h, cell_w)
        region = np.asarray(image)[top:top + cell_h, left:left + cell_w].copy()
        region[ink_HxW] = OUTLINE
        image.paste(Image.fromarray(region), (left, top))
        failed = bool(traced.problem)
        if failed:
            draw.rectangle([left + 1, top + 1, left + cell_w - 2, top + cell_h - 2],
                           outline=FRAME)
        for n, stroke in enumerate(traced.glyph.strokes):
            colour = FAILED if failed else STROKE_COLOURS[n % len(STROKE_COLOURS)]
            p_Nx2 = to_sheet(stroke)
            width = max(int(round(1.5 * scale)), 1)
            if len(p_Nx2) > 1:
                draw.line([tuple(p) for p in p_Nx2], fill=colour, width=width)
            start = p_Nx2[0]
            r = 2.0 * scale
            draw.ellipse([start[0] - r, start[1] - r, start[0] + r, start[1] + r], fill=colour)
            _arrow(draw, p_Nx2, colour, 4.0 * scale)
            draw.text((start[0] + 2 * scale, start[1] - 11 * scale), str(n + 1), fill=colour,
                      font=small)
    palette = image.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out.parent.mkdir(parents=True, exist_ok=True)
    palette.save(out, optimize=True)


def _arrow(draw: ImageDraw.ImageDraw, p_Nx2: np.ndarray, colour, size: float) -> None:
    """An arrowhead a third of the way along the polyline, pointing along it."""
    if len(p_Nx2) < 2:
        return
    arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p_Nx2, axis=0).T))])
    if arc_N[-1] < 3 * size:
        return
    at = arc_N[-1] / 3
    tip = np.array([np.interp(at, arc_N, p_Nx2[:, 0]), np.interp(at, arc_N, p_Nx2[:, 1])])
    back = np.array([np.interp(at - size, arc_N, p_Nx2[:, 0]),
                     np.interp(at - size, arc_N, p_Nx2[:, 1])])
    d = tip - back
    d = d / max(float(np.hypot(*d)), 1e-9)
    normal = np.array([-d[1], d[0]])
    corners = [tip + d * size * 0.4, tip - d * size + normal * size * 0.6,
               tip - d * size - normal * size * 0.6]
    draw.polygon([tuple(c) for c in corners], fill=colour)
