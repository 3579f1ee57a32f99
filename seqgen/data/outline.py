"""Outline (TrueType / CFF) glyphs rendered to binary masks, for tracing.

An outline font draws a letter as the area between closed contours; the
tracer (tracing.py) turns that area back into pen strokes and needs it as a
raster. `OutlineFont(path)` reads a .ttf/.otf with fontTools, measures the
font's x-height from its own outlines (the median top minus the median bottom of
X_HEIGHT_LETTERS, as fonts.normalise_font does for single-line fonts) and fixes one scale for
the whole family: PX_PER_X_HEIGHT pixels per x-height, so that thresholds
in x-heights mean the same number of pixels in every family and a stem of a
handwriting font (0.05-0.2 x-heights) is 5-20 px wide. `render(char)`
flattens the contours (quadratic and cubic Beziers, components decomposed)
and fills them with the nonzero winding rule (overlapping contours, common
in handwriting fonts, stay ink; a counter drawn the other way round is a
hole), a pixel being ink when a fifth of its 4 x 4 sample points are (so
a calligraphic hairline thinner than a pixel stays connected) and pinholes
where contours overlap unevenly filled (fill_pinholes); no FreeType
hinting moves anything, so `Raster.to_font` / `to_pixels` map exactly between pixel
(column, row) and font units (x right, y up).

Dimension letters: H, W rows and columns of a mask; N points; E edges of
the flattened outline.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont, TTLibError
from scipy import ndimage

from seqgen.command.errors import UserError
from seqgen.data.fonts import X_HEIGHT_LETTERS, baseline_and_x_height

PX_PER_X_HEIGHT = 100.0  # pixels per x-height of every family's raster
PAD_PX = 6  # empty border around a glyph's ink: room for the distance transforms
CURVE_STEP_PX = 1.5  # a Bezier is flattened into pieces about this long
# A pixel is ink when at least HAIRLINE_SHARE of its SUPERSAMPLE x SUPERSAMPLE
# sample points are: a hairline of a calligraphic script, under a pixel wide,
# stays one connected line instead of breaking into specks between pixel centres.
SUPERSAMPLE = 4
HAIRLINE_SHARE = 0.2
PINHOLE_PX = 1.5  # enclosed gaps at most this far from ink are filled (fill_pinholes)


@dataclasses.dataclass(frozen=True)
class Raster:
    """One glyph's ink as a mask, with the map to font units."""

    mask_HxW: np.ndarray  # bool, True = ink; row 0 at the top
    x0: float  # font units at the left edge of column 0
    y0: float  # font units at the top edge of row 0
    scale: float  # pixels per font unit

    def to_font(self, cr_Nx2: np.ndarray) -> np.ndarray:
        """(column, row) pixel coordinates (centres at +0.5) -> font units (x, y up)."""
        cr_Nx2 = np.asarray(cr_Nx2, np.float64)
        return np.stack([self.x0 + cr_Nx2[:, 0] / self.scale,
                         self.y0 - cr_Nx2[:, 1] / self.scale], axis=1)

    def to_pixels(self, xy_Nx2: np.ndarray) -> np.ndarray:
        """Font units (x, y up) -> (column, row) pixel coordinates."""
        xy_Nx2 = np.asarray(xy_Nx2, np.float64)
        return np.stack([(xy_Nx2[:, 0] - self.x0) * self.scale,
                         (self.y0 - xy_Nx2[:, 1]) * self.scale], axis=1)


class _FlattenPen(BasePen):
    """Collects each contour as a closed polyline (font units), curves flattened."""

    def __init__(self, glyph_set, step: float):
        super().__init__(glyph_set)  # with the glyph set, components are decomposed
        self.step = step  # font units
        self.contours: list[list[tuple[float, float]]] = []

    def _moveTo(self, p):
        self.contours.append([p])

    def _lineTo(self, p):
        self.contours[-1].append(p)

    def _pieces(self, *points) -> np.ndarray:
        control_Kx2 = np.array([self._getCurrentPoint(), *points], np.float64)
        length = np.hypot(*np.diff(control_Kx2, axis=0).T).sum()  # >= the curve's length
        return np.linspace(0.0, 1.0, max(2, int(np.ceil(length / self.step)) + 1))[1:, None]

    def _curveToOne(self, p1, p2, p3):
        p0 = np.array(self._getCurrentPoint())
        t = self._pieces(p1, p2, p3)
        pts = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * np.array(p1)
               + 3 * (1 - t) * t ** 2 * np.array(p2) + t ** 3 * np.array(p3))
        self.contours[-1].extend(map(tuple, pts))

    def _qCurveToOne(self, p1, p2):
        p0 = np.array(self._getCurrentPoint())
        t = self._pieces(p1, p2)
        pts = (1 - t) ** 2 * p0 + 2 * (1 - t) * t * np.array(p1) + t ** 2 * np.array(p2)
        self.contours[-1].extend(map(tuple, pts))

    def _closePath(self):
        pass  # the fill closes every contour anyway

    _endPath = _closePath


def fill_nonzero(contours: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """Closed polylines in pixel coordinates (column, row) filled by the nonzero rule.

    A pixel is ink when the winding number at its centre is not 0: every
    edge crossing a row's centre line adds its direction (+1 down, -1 up)
    to the first pixel centre right of the crossing, and a running sum along
    the row gives the winding number of each centre.
    """
    starts, ends = [], []
    for c_Nx2 in contours:
        if len(c_Nx2) >= 2:
            starts.append(c_Nx2)
            ends.append(np.roll(c_Nx2, -1, axis=0))  # the closing edge included
    if not starts:
        return np.zeros((height, width), bool)
    a_Ex2, b_Ex2 = np.concatenate(starts), np.concatenate(ends)
    low, high = np.minimum(a_Ex2[:, 1], b_Ex2[:, 1]), np.maximum(a_Ex2[:, 1], b_Ex2[:, 1])
    direction_E = np.where(b_Ex2[:, 1] > a_Ex2[:, 1], 1, -1)
    diff_HxW1 = np.zeros((height, width + 1), np.int32)
    rows = np.arange(height)
    centre_H = rows + 0.5
    # Half-open [low, high): a vertex shared by two edges counts once.
    hit_HxE = (centre_H[:, None] >= low) & (centre_H[:, None] < high)
    r, e = np.nonzero(hit_HxE)
    t = (centre_H[r] - a_Ex2[e, 1]) / (b_Ex2[e, 1] - a_Ex2[e, 1])
    x = a_Ex2[e, 0] + t * (b_Ex2[e, 0] - a_Ex2[e, 0])
    first = np.clip(np.floor(x - 0.5).astype(np.int64) + 1, 0, width)
    np.add.at(diff_HxW1, (r, first), direction_E[e])
    return np.cumsum(diff_HxW1[:, :width], axis=1) != 0


def fill_pinholes(mask_HxW: np.ndarray) -> np.ndarray:
    """The mask with its pinholes filled: enclosed gaps no wider than
    2 * PINHOLE_PX, where contours overlap unevenly (a blot of an 'i' dot
    drawn as two shapes). A real counter, even a bold 'e's, is wider."""
    holes_HxW, n = ndimage.label(~mask_HxW)
    if n < 2:
        return mask_HxW
    width_K = ndimage.maximum(ndimage.distance_transform_edt(holes_HxW > 0), holes_HxW,
                              np.arange(1, n + 1))
    border = set(np.unique(np.concatenate([holes_HxW[0], holes_HxW[-1], holes_HxW[:, 0],
                                           holes_HxW[:, -1]])).tolist())
    small = [k for k in range(1, n + 1) if k not in border and width_K[k - 1] <= PINHOLE_PX]
    return mask_HxW | np.isin(holes_HxW, small)


class OutlineFont:
    """A .ttf/.otf font: its glyphs rendered at PX_PER_X_HEIGHT pixels per x-height."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.font = TTFont(str(self.path), lazy=True)
            self.cmap = self.font.getBestCmap() or {}
            self.glyph_set = self.font.getGlyphSet()
            self.hmtx = self.font["hmtx"]
            self.units_per_em = float(self.font["head"].unitsPerEm)
        except (OSError, TTLibError, KeyError, AssertionError) as err:
            raise UserError(f"{self.path}: cannot read the font ({err}); restore the file "
                            f"from its source named in the catalogue.") from None
        measured = baseline_and_x_height(
            {c: self.contours(c, step=self.units_per_em / 400) for c in X_HEIGHT_LETTERS})
        if measured is None:
            raise UserError(f"{self.path}: fewer than 3 of the letters {X_HEIGHT_LETTERS!r} "
                            f"have outlines, so the x-height cannot be measured; drop the "
                            f"font from the catalogue.")
        self.x_height = measured[1]  # font units
        self.scale = PX_PER_X_HEIGHT / self.x_height  # pixels per font unit

    def has(self, char: str) -> bool:
        return ord(char) in self.cmap

    def advance(self, char: str) -> float:
        """The horizontal advance from hmtx, font units."""
        return float(self.hmtx[self.cmap[ord(char)]][0])

    def contours(self, char: str, step: float | None = None) -> list[np.ndarray]:
        """The glyph's contours as closed polylines (N, 2) in font units; [] if none."""
        name = self.cmap.get(ord(char))
        if name is None:
            return []
        pen = _FlattenPen(self.glyph_set, step or CURVE_STEP_PX / self.scale)
        self.glyph_set[name].draw(pen)
        return [np.array(c, np.float64) for c in pen.contours if len(c) >= 3]

    def render(self, char: str) -> Raster | None:
        """The glyph's ink, PAD_PX around it; None for a glyph without ink (a space)."""
        contours = self.contours(char)
        if not contours:
            return None
        xy_Nx2 = np.concatenate(contours)
        x0 = np.floor(xy_Nx2[:, 0].min() * self.scale - PAD_PX) / self.scale
        y0 = np.ceil(xy_Nx2[:, 1].max() * self.scale + PAD_PX) / self.scale
        width = int(np.ceil((xy_Nx2[:, 0].max() - x0) * self.scale + PAD_PX))
        height = int(np.ceil((y0 - xy_Nx2[:, 1].min()) * self.scale + PAD_PX))
        raster = Raster(np.zeros((height, width), bool), x0, y0, self.scale)
        k = SUPERSAMPLE
        fine_HxW = fill_nonzero([raster.to_pixels(c) * k for c in contours], height * k,
                                width * k)
        share_HxW = fine_HxW.reshape(height, k, width, k).mean(axis=(1, 3))
        return dataclasses.replace(raster, mask_HxW=fill_pinholes(share_HxW >= HAIRLINE_SHARE))
