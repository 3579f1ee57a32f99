"""How well pen strokes reproduce an outline glyph, measured on the font's own raster.

The measures look only at the outline's ink (outline.Raster) and the
strokes, never at the skeleton the tracer built them from, so they judge a
trace from any source (tests/tracing_test.py re-measures the vendored
traces from the .ttf files with them):

- coverage: the share of the outline's ink pixels that a pen of the local
  stroke width, drawn along the strokes, would cover: ink pixels within
  (local half stroke width + COVER_TOLERANCE_PX) of a stroke. The local half
  width at a pixel is the largest value of the ink's distance transform
  within the glyph's 95th-percentile half width (+ 1 px) of it, i.e. the
  radius of the widest disc of ink around it: the half width of the stroke
  the pixel belongs to.
- precision: the share of points along the strokes (every SAMPLE_PX) that
  lie on the ink or within PRECISION_PX of it: a stroke that leaves the
  letter (a wrong join, an end pushed out) lowers it.

Dimension letters: H, W rows and columns of a mask; N points.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from seqgen.data.outline import Raster

COVER_TOLERANCE_PX = 1.0  # pixels beyond the local half width that still count as covered
PRECISION_PX = 1.5  # pixels outside the ink a stroke point may lie (anti-aliasing, rounding)
SAMPLE_PX = 0.5  # spacing of the points sampled along the strokes


def sample_strokes(strokes_px: list[np.ndarray], step: float = SAMPLE_PX) -> np.ndarray:
    """Points every `step` along each polyline (pixel coordinates), (N, 2)."""
    out = []
    for s_Nx2 in strokes_px:
        if len(s_Nx2) < 2:
            out.append(np.asarray(s_Nx2, np.float64).reshape(-1, 2))
            continue
        arc_N = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(s_Nx2, axis=0).T))])
        at = np.linspace(0.0, arc_N[-1], max(2, int(np.ceil(arc_N[-1] / step)) + 1))
        out.append(np.stack([np.interp(at, arc_N, s_Nx2[:, 0]),
                             np.interp(at, arc_N, s_Nx2[:, 1])], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2))


def local_half_width(mask_HxW: np.ndarray) -> np.ndarray:
    """Each pixel's local half stroke width (module docstring), pixels."""
    edt_HxW = ndimage.distance_transform_edt(mask_HxW)
    if not mask_HxW.any():
        return edt_HxW
    reach = int(np.ceil(np.percentile(edt_HxW[mask_HxW], 95))) + 1
    yy, xx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    return ndimage.grey_dilation(edt_HxW, footprint=xx ** 2 + yy ** 2 <= reach ** 2)


def measure(raster: Raster, strokes_font: list[np.ndarray]) -> tuple[float, float]:
    """(coverage, precision) of strokes (font units) against the raster's ink."""
    mask_HxW = raster.mask_HxW
    h, w = mask_HxW.shape
    points_Nx2 = sample_strokes([raster.to_pixels(s) for s in strokes_font])
    if not mask_HxW.any() or not len(points_Nx2):
        return 0.0, 0.0
    col = np.floor(points_Nx2[:, 0]).astype(np.int64)
    row = np.floor(points_Nx2[:, 1]).astype(np.int64)
    inside_N = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    trace_HxW = np.zeros_like(mask_HxW)
    trace_HxW[row[inside_N], col[inside_N]] = True
    to_trace_HxW = ndimage.distance_transform_edt(~trace_HxW)
    covered = to_trace_HxW[mask_HxW] <= local_half_width(mask_HxW)[mask_HxW] + COVER_TOLERANCE_PX
    to_ink_HxW = ndimage.distance_transform_edt(~mask_HxW)
    near = np.zeros(len(points_Nx2), bool)
    near[inside_N] = to_ink_HxW[row[inside_N], col[inside_N]] <= PRECISION_PX
    return float(covered.mean()), float(near.mean())
