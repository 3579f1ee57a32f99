"""Strokes to SVG and PNG pages, and the predictive density as a pixel grid.

Input lines follow the seqgen stroke convention: float (T, 3) rows of
(dx, dy, eos) in raw units, x right, y UP; point t is the sum of rows 0..t
(row 0 is the offset from the line's origin, so a line starting with (0, 0)
starts at the origin); eos[t] = 1 ends a stroke after point t, and the move
to point t+1 is a pen-up that is never drawn.

Page layout of save_lines (SVG user units = PNG pixels, y down). Line i,
with absolute points (x, y) and bounding box [x0, x1] x [y0, y1]
(w = x1 - x0, h = y1 - y0), is drawn at
  X = MARGIN + (x - x0) * s_i,   Y = top_i + (line_height - h s_i) / 2 + (y1 - y) * s_i
  s_i = line_height / max(h, w / MAX_ASPECT)
so every line gets the same height, except that a very flat line (aspect
above MAX_ASPECT) is fitted to the width MAX_ASPECT * line_height instead
and centred vertically: lines that are separate samples. A page of one
text (same_scale=True: seqgen.write, the web page) has one scale instead,
  s_i = s = line_height / median_i(max(h_i, w_i / MAX_ASPECT)),
so a short line ("our", "nine.") is written at the page's letter size, not
blown up to the row's height; row i is then H_i = max(line_height, h_i s)
high and the line centred in it, (line_height - h s) / 2 becoming
(H_i - h_i s) / 2 above. top_0 = MARGIN; each row is line_height (H_i),
then the caption (if any) under the line, then GAP. PNGs are drawn at twice the size
and averaged down, which anti-aliases the pen.

Pages are drawn with Pillow and numpy (exact pixel layout, no axes); the
figures with axes (density map, attention window, kappa) are in plots.py.

Dimension letters: T points (time steps), M mixture components, U
characters, H x W image rows x columns, P points of one stroke.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from seqgen.command.errors import UserError
from seqgen.data.strokes import split_strokes, to_absolute

MARGIN = 10.0  # page border, user units
GAP = 12.0  # between rows
MAX_ASPECT = 30.0  # flatter lines are fitted to width MAX_ASPECT * line_height
DEFAULT_LINE_HEIGHT = 64.0
SUPERSAMPLE = 2  # PNG drawn at 2x and averaged down
BLUR = 0.7  # std, in pixels, of the blur of each Gaussian in the density map
_SMALL_PATCH = 4096  # patches up to this many pixels get their mass renormalised

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class RenderError(UserError):
    """Input that cannot be drawn; the message names the argument and the fix."""


# ----------------------------------------------------------------------------
# Strokes


def _absolute(line_Tx3: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(points_Tx2, eos_T) of a line to draw (data/strokes.py), after the
    checks that make bad input a one-line RenderError naming the argument."""
    a = np.asarray(line_Tx3, np.float64)
    if a.ndim != 2 or a.shape[1] != 3:
        raise RenderError(f"{what} has shape {a.shape}; pass (T, 3) offsets (dx, dy, eos)")
    bad = np.flatnonzero(~np.isfinite(a).all(axis=1))
    if bad.size:
        raise RenderError(f"{what} has non-finite values in {bad.size} rows (first row "
                          f"{bad[0]}); drop or repair them (a diverged model samples NaN)")
    return to_absolute(a), a[:, 2]


# ----------------------------------------------------------------------------
# Page of lines: one layout, drawn as SVG and as PNG


@dataclasses.dataclass
class _Page:
    width: int
    height: int
    stroke_width: float
    font_size: float
    rows: list[list[np.ndarray]]  # per line, its strokes in page coordinates
    captions: list[tuple[float, float, str]]  # (x, baseline y, text)
    color: str = "#000000"  # the pen, as '#rrggbb'


def _font(size: float) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ValueError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def _clean_text(text: str) -> str:
    return _XML_ILLEGAL.sub("", str(text))


def pen_color(color: str) -> str:
    """A CSS colour name or #rgb / #rrggbb as '#rrggbb' (one-line error otherwise)."""
    try:
        rgb = ImageColor.getrgb(str(color))
    except ValueError:
        raise RenderError(f"color={color!r} is not a colour; use a name (black, navy) or "
                          "#rrggbb") from None
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def _layout(lines: Sequence[np.ndarray], texts: Sequence[str] | None,
            line_height: float | None, stroke_width: float | None,
            color: str = "black", same_scale: bool = False) -> _Page:
    lh = float(line_height or DEFAULT_LINE_HEIGHT)
    if not lh > 0:
        raise RenderError(f"line_height={line_height}; it must be positive")
    if stroke_width is not None and not stroke_width > 0:
        raise RenderError(f"stroke_width={stroke_width}; it must be positive")
    if texts is not None and len(texts) != len(lines):
        raise RenderError(f"{len(texts)} texts for {len(lines)} lines; pass one caption per "
                          "line or texts=None")
    font_size = max(8.0, round(lh / 4))
    caption_h = font_size * 1.5 if texts is not None else 0.0
    font = _font(font_size)
    rows, captions = [], []
    top, right = MARGIN, MARGIN + lh
    absolute = [_absolute(line, f"line {i}") for i, line in enumerate(lines)]

    def extent(points: np.ndarray) -> float:
        (x0, y0), (x1, y1) = points.min(0), points.max(0)
        return float(max(y1 - y0, (x1 - x0) / MAX_ASPECT))

    extents = [e for e in (extent(p) for p, _ in absolute if len(p)) if e > 0]
    page_scale = lh / float(np.median(extents)) if same_scale and extents else None
    for i, (points, eos) in enumerate(absolute):
        strokes = []
        row = lh
        if len(points):
            (x0, y0), (x1, y1) = points.min(0), points.max(0)
            w, h = x1 - x0, y1 - y0
            s = page_scale or (lh / extent(points) if extent(points) > 0 else 1.0)
            row = max(lh, h * s) if page_scale else lh
            page = np.stack([MARGIN + (points[:, 0] - x0) * s,
                             top + (row - h * s) / 2 + (y1 - points[:, 1]) * s], axis=-1)
            strokes = split_strokes(page, eos)
            right = max(right, MARGIN + w * s)
        rows.append(strokes)
        if texts is not None:
            text = _clean_text(texts[i])
            captions.append((MARGIN, top + row + font_size * 1.2, text))
            right = max(right, MARGIN + font.getlength(text))
        top += row + caption_h + GAP
    return _Page(width=math.ceil(right + MARGIN), height=math.ceil(top - GAP + MARGIN),
                 stroke_width=float(stroke_width or max(1.0, lh / 32)), font_size=font_size,
                 rows=rows, captions=captions, color=pen_color(color))


def _svg(page: _Page) -> str:
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{page.width}" '
           f'height="{page.height}" viewBox="0 0 {page.width} {page.height}">',
           '<rect width="100%" height="100%" fill="white"/>']
    for strokes in page.rows:
        if not strokes:
            continue
        d = []
        for st in strokes:
            pts = st if len(st) > 1 else np.concatenate([st, st])  # a dot: round cap
            d.append("M" + " L".join(f"{x:.2f} {y:.2f}" for x, y in pts))
        out.append(f'<path d="{" ".join(d)}" fill="none" stroke="{page.color}" '
                   f'stroke-width="{page.stroke_width:g}" stroke-linecap="round" '
                   'stroke-linejoin="round"/>')
    for x, y, text in page.captions:
        out.append(f'<text x="{x:.2f}" y="{y:.2f}" font-family="sans-serif" '
                   f'font-size="{page.font_size:g}" fill="#444">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _draw_strokes(draw: ImageDraw.ImageDraw, strokes: list[np.ndarray], width: float,
                  rgb: tuple[int, int, int], scale: float = 1.0) -> None:
    """Polylines with round ends; a one-point stroke is a dot."""
    w = max(1, round(width * scale))
    r = width * scale / 2
    for st in strokes:
        pts = [(float(x) * scale, float(y) * scale) for x, y in st]
        if len(pts) > 1:
            draw.line(pts, fill=rgb, width=w, joint="curve")
        if w >= 3 or len(pts) == 1:
            for x, y in (pts[0], pts[-1]):
                draw.ellipse((x - r, y - r, x + r, y + r), fill=rgb)


def _draw_text(draw: ImageDraw.ImageDraw, x: float, baseline: float, text: str,
               font, rgb: tuple[int, int, int]) -> None:
    if isinstance(font, ImageFont.FreeTypeFont):
        draw.text((x, baseline), text, font=font, fill=rgb, anchor="ls")
    else:  # the bitmap fallback font knows Latin-1 only and no anchors
        text = text.encode("latin-1", "replace").decode("latin-1")
        draw.text((x, baseline - 11), text, font=font, fill=rgb)


def _png(page: _Page) -> Image.Image:
    k = SUPERSAMPLE
    im = Image.new("RGB", (page.width * k, page.height * k), "white")
    draw = ImageDraw.Draw(im)
    for strokes in page.rows:
        _draw_strokes(draw, strokes, page.stroke_width, ImageColor.getrgb(page.color), k)
    font = _font(page.font_size * k)
    for x, y, text in page.captions:
        _draw_text(draw, x * k, y * k, text, font, (68, 68, 68))
    return im.reduce(k)


def _with_suffix(path: str | Path, suffix: str) -> Path:
    path = Path(path)
    if path.suffix.lower() in (".svg", ".png"):
        return path.with_suffix(suffix)
    return path.with_name(path.name + suffix)  # keep 'samples.step100' whole


def save_lines(path: str | Path, lines: Sequence[np.ndarray],
               texts: Sequence[str] | None = None, *, line_height: float | None = None,
               stroke_width: float | None = None, color: str = "black",
               same_scale: bool = False) -> tuple[Path, Path]:
    """Writes path.svg and path.png, the same drawing: one line per row of a
    page, pen-ups respected (an 'M' starts every stroke in the SVG), an
    optional caption under each line; layout in the module docstring. A
    .svg/.png suffix of path is replaced. `line_height` (user units = PNG
    pixels), `stroke_width` (the same units) and `color` (CSS name or
    #rrggbb) style the pen; same_scale draws every line at one scale (a page
    of one text) rather than each at the row's height. Returns (svg_path, png_path)."""
    page = _layout(lines, texts, line_height, stroke_width, color, same_scale)
    svg_path, png_path = _with_suffix(path, ".svg"), _with_suffix(path, ".png")
    svg_path.parent.mkdir(parents=True, exist_ok=True)
    svg_path.write_text(_svg(page), encoding="utf-8")
    _png(page).save(png_path)
    return svg_path, png_path


def page_svg(lines: Sequence[np.ndarray], texts: Sequence[str] | None = None, *,
             line_height: float | None = None, stroke_width: float | None = None,
             color: str = "black", same_scale: bool = False) -> tuple[str, dict]:
    """The SVG save_lines would write, as a string, and its layout: width,
    height, stroke_width, color and per line its strokes as lists of [x, y]
    page points in drawing order (what a browser animates)."""
    page = _layout(lines, texts, line_height, stroke_width, color, same_scale)
    rows = [[[[round(float(x), 2), round(float(y), 2)] for x, y in st] for st in strokes]
            for strokes in page.rows]
    return _svg(page), {"width": page.width, "height": page.height,
                        "stroke_width": page.stroke_width, "color": page.color,
                        "rows": rows}


# ----------------------------------------------------------------------------
# Predictive density (Graves fig. 4)


def predictive_density(mu_TxMx2: np.ndarray, sigma_TxMx2: np.ndarray, rho_TxM: np.ndarray,
                       log_pi_TxM: np.ndarray, *, x0: float, y1: float, pixel: float,
                       shape: tuple[int, int], min_pi: float = 1e-4,
                       max_evaluations: float = 3e7) -> np.ndarray:
    """Probability mass per pixel of sum_t sum_j pi_tj N(mu_tj, Sigma_tj): HxW.

    Pixel (r, c) is the square with top-left corner (x0 + c*pixel,
    y1 - r*pixel) (y up). Each Gaussian is blurred by an isotropic one of
    std BLUR pixels (covariance Sigma + (BLUR pixel)^2 I), so a component
    narrower than a pixel still shows, and is evaluated at pixel centres
    within 4 standard deviations of its mean; a component that small has
    its pixel masses rescaled to sum to pi exactly. Components with
    pi < min_pi are left out. When the patches would cost
    more than max_evaluations density evaluations (wide components early in
    training), the grid is computed coarser and repeated back to shape.
    """
    H, W = shape
    mu = np.asarray(mu_TxMx2, np.float64).reshape(-1, 2)
    sig = np.asarray(sigma_TxMx2, np.float64).reshape(-1, 2)
    rho = np.asarray(rho_TxM, np.float64).reshape(-1)
    pi = np.exp(np.asarray(log_pi_TxM, np.float64)).reshape(-1)
    keep = (pi >= min_pi) & np.isfinite(mu).all(1) & np.isfinite(sig).all(1)
    mu, sig, rho, pi = mu[keep], sig[keep], np.clip(rho[keep], -1, 1), pi[keep]
    cost = np.sum(np.minimum(8 * np.sqrt(sig[:, 0] ** 2 + pixel ** 2) / pixel + 1, W)
                  * np.minimum(8 * np.sqrt(sig[:, 1] ** 2 + pixel ** 2) / pixel + 1, H))
    f = max(1, math.ceil(math.sqrt(cost / max_evaluations)))
    px, Hc, Wc = pixel * f, math.ceil(H / f), math.ceil(W / f)
    d_HxW = np.zeros((Hc, Wc))
    a = sig[:, 0] ** 2 + (BLUR * px) ** 2
    b = rho * sig[:, 0] * sig[:, 1]
    c = sig[:, 1] ** 2 + (BLUR * px) ** 2
    det = a * c - b * b  # >= (BLUR px)^4 > 0 even for |rho| = 1
    for k in range(len(pi)):
        hw_x, hw_y = 4 * math.sqrt(a[k]), 4 * math.sqrt(c[k])
        c0 = math.floor((mu[k, 0] - hw_x - x0) / px)
        c1 = math.ceil((mu[k, 0] + hw_x - x0) / px)
        r0 = math.floor((y1 - mu[k, 1] - hw_y) / px)
        r1 = math.ceil((y1 - mu[k, 1] + hw_y) / px)
        small = (c1 - c0) * (r1 - r0) <= _SMALL_PATCH
        if not small:  # evaluate only what is on the grid
            c0, c1, r0, r1 = max(c0, 0), min(c1, Wc), max(r0, 0), min(r1, Hc)
        if c0 >= Wc or c1 <= 0 or r0 >= Hc or r1 <= 0 or c0 >= c1 or r0 >= r1:
            continue
        dx = x0 + (np.arange(c0, c1) + 0.5) * px - mu[k, 0]
        dy = y1 - (np.arange(r0, r1) + 0.5) * px - mu[k, 1]
        q = (c[k] * dx[None, :] ** 2 - 2 * b[k] * dx[None, :] * dy[:, None]
             + a[k] * dy[:, None] ** 2) / det[k]
        g = np.exp(-0.5 * q)
        if small:
            # A few pixels wide: sampling at pixel centres misses a little
            # mass depending on where the mean falls; rescale to exactly pi
            # before cutting the patch to the grid.
            g *= pi[k] / g.sum()
            g = g[max(0, -r0):(r1 - r0) - max(0, r1 - Hc), max(0, -c0):(c1 - c0) - max(0, c1 - Wc)]
            c0, c1, r0, r1 = max(c0, 0), min(c1, Wc), max(r0, 0), min(r1, Hc)
        else:
            g *= pi[k] * px * px / (2 * math.pi * math.sqrt(det[k]))
        d_HxW[r0:r1, c0:c1] += g
    if f > 1:
        d_HxW = np.repeat(np.repeat(d_HxW, f, 0), f, 1)[:H, :W] / (f * f)
    return d_HxW
