"""Figures that people read, with axes, labels and units (matplotlib).

- `alignment`: Graves' figure 12, the window weights phi(t, u) over the
  written line;
- `kappa`: where the window is, kappa_k(t) in characters, over time;
- `density`: Graves' figure 4, the predicted density of every next point;
- `legibility`: character error rate against sampling bias, one curve a
  priming style (seqgen.legibility);
- `cer_over_training`: a writer's CER against its training steps
  (seqgen.legibility_curve).

Each function builds a `matplotlib.figure.Figure` (no pyplot, so no global
state and safe in a server thread), saves it as a PNG when given a path, and
returns it so that tests and notebooks can read what was drawn. Time is in
time steps (one pen point each), positions in the data's raw pen units (y
up), the window's position in characters of the text.

Dimension letters: T time steps, U characters (+1 for the stop rule's end
slot), K window components, M mixture components.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from seqgen.command.errors import UserError
from seqgen.data.strokes import split_strokes
from seqgen.handwriting import render

DPI = 100
CMAP = "inferno"  # perceptually uniform, luminance rising with the value
PEN = "black"
DENSITY_PEN = "#00beff"  # the line over the density map: off the colour map


class PlotError(UserError):
    """Arrays that cannot be drawn (wrong shape, non-finite)."""


def _save(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    return fig


def _draw_line(ax, points_Tx2: np.ndarray, eos_T: np.ndarray | None, color: str,
               width: float = 1.2) -> None:
    for stroke in split_strokes(points_Tx2, eos_T):
        ax.plot(stroke[:, 0], stroke[:, 1], color=color, linewidth=width,
                solid_capstyle="round")


def _label(ch: str) -> str:
    # Mathtext would read '$' and '\'; spaces would be invisible.
    return {" ": "␣", "$": r"\$", "\\": r"\\"}.get(ch, ch)


def alignment(phi_TxU: np.ndarray, text: str, *, points_Tx2: np.ndarray | None = None,
              eos_T: np.ndarray | None = None, path: str | Path | None = None) -> Figure:
    """The window weights phi(t, u) as an image, characters down the left
    (u = 0 at the top; U may be len(text) + 1, the stop rule's end slot,
    labelled '$'), time steps to the right; with points_Tx2 (absolute, raw
    units, pen-ups from eos_T) the written line in a panel below."""
    phi = np.asarray(phi_TxU, np.float64)
    if phi.ndim != 2 or phi.shape[1] not in (len(text), len(text) + 1) or not phi.shape[0]:
        raise PlotError(f"alignment plot: phi has shape {phi.shape} for a text of "
                        f"{len(text)} characters; pass (T, U) with U = len(text) or "
                        "len(text) + 1")
    T, U = phi.shape
    width = float(np.clip(T / 20, 8, 16))
    panels = 2 if points_Tx2 is not None else 1
    fig = Figure(figsize=(width, 0.18 * U + 1.4 + 1.6 * (panels - 1)), dpi=DPI,
                 layout="constrained")
    axes = fig.subplots(panels, 1, squeeze=False,
                        height_ratios=[0.18 * U + 0.6] + [1.6] * (panels - 1))[:, 0]
    ax = axes[0]
    im = ax.imshow(phi.T, aspect="auto", cmap=CMAP, interpolation="nearest",
                   extent=(-0.5, T - 0.5, U - 0.5, -0.5), vmin=0)
    labels = list(text) + ["$"] * (U - len(text))
    ax.set_yticks(range(U), [_label(c) for c in labels],
                  fontsize=7 if U > 40 else 8, family="monospace")
    ax.set_xlabel("time step t (pen points)")
    ax.set_ylabel("character u")
    ax.set_title("attention window φ(t, u)")
    fig.colorbar(im, ax=ax, label="window weight φ", pad=0.01)
    if points_Tx2 is not None:
        points = np.asarray(points_Tx2, np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise PlotError(f"alignment plot: points have shape {points.shape}; pass (T, 2)")
        ax2 = axes[1]
        _draw_line(ax2, points, eos_T, PEN)
        ax2.set_aspect("equal", adjustable="box")
        ax2.set_xlabel("x (pen units)")
        ax2.set_ylabel("y (pen units)")
        ax2.set_title("the line written")
    return _save(fig, path)


def kappa(kappa_TxK: np.ndarray, num_chars: int, *, path: str | Path | None = None) -> Figure:
    """Each window component's position kappa_k(t) (grey) and their mean
    (red) against time, with the end-of-text slot U + 1 dotted: a healthy
    window climbs steadily from 0 to about U + 1."""
    k = np.asarray(kappa_TxK, np.float64)
    if k.ndim != 2 or not k.shape[0] or not np.all(np.isfinite(k)):
        raise PlotError(f"kappa plot: kappa has shape {k.shape} or non-finite values; "
                        "pass a finite (T, K) array")
    T = k.shape[0]
    fig = Figure(figsize=(float(np.clip(T / 60, 6, 14)), 3.2), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    t = np.arange(T)
    for j in range(k.shape[1]):
        ax.plot(t, k[:, j], color="0.75", linewidth=0.8,
                label=r"component $\kappa_k$" if j == 0 else None)
    ax.plot(t, k.mean(1), color="#c80000", linewidth=1.8, label="mean")
    ax.axhline(num_chars + 1, color="0.4", linestyle=":", linewidth=1,
               label=f"end of text (U + 1 = {num_chars + 1})")
    ax.set_xlim(0, max(T - 1, 1))
    ax.set_ylim(min(0.0, float(k.min())), max(float(k.max()), num_chars + 1.0) * 1.05)
    ax.set_xlabel("time step t (pen points)")
    ax.set_ylabel("window position κ (characters)")
    ax.set_title("where the window reads")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return _save(fig, path)


def density(points_Tx2: np.ndarray, eos_T: np.ndarray, mu_TxMx2: np.ndarray,
            sigma_TxMx2: np.ndarray, rho_TxM: np.ndarray, log_pi_TxM: np.ndarray, *,
            resolution: int = 600, decades: float = 4.0,
            path: str | Path | None = None) -> Figure:
    """Graves' figure 4: the density of the NEXT point summed over the time
    steps of a line (render.predictive_density: probability mass per pixel),
    as log10 of the mass per pixel over `decades` decades below the
    maximum, with the line on top. Coordinates are absolute, raw units,
    y up; the view is the line's bounding box plus 10%, `resolution` pixels
    along its longer side."""
    points = np.asarray(points_Tx2, np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not len(points):
        raise PlotError(f"density plot: points have shape {points.shape}; pass (T, 2) "
                        "absolute positions of at least one point")
    (x0, y0), (x1, y1) = points.min(0), points.max(0)
    pad = 0.1 * max(x1 - x0, y1 - y0, 1e-9)
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    pixel = max(x1 - x0, y1 - y0) / resolution
    W, H = max(1, math.ceil((x1 - x0) / pixel)), max(1, math.ceil((y1 - y0) / pixel))
    d_HxW = render.predictive_density(mu_TxMx2, sigma_TxMx2, rho_TxM, log_pi_TxM, x0=x0,
                                      y1=y1, pixel=pixel, shape=(H, W))
    top = d_HxW.max()
    with np.errstate(divide="ignore"):
        v_HxW = np.log10(d_HxW) if top > 0 else np.full_like(d_HxW, -np.inf)
    lo = (math.log10(top) - decades) if top > 0 else -decades
    aspect = (W * pixel) / (H * pixel)
    fig = Figure(figsize=(float(np.clip(2.6 * aspect + 1.8, 5, 16)), 3.4), dpi=DPI,
                 layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(np.maximum(v_HxW, lo), cmap=CMAP, vmin=lo, vmax=lo + decades,
                   extent=(x0, x0 + W * pixel, y1 - H * pixel, y1), origin="upper",
                   interpolation="nearest")
    _draw_line(ax, points, eos_T, DENSITY_PEN, width=0.8)
    ax.set_xlim(x0, x0 + W * pixel)
    ax.set_ylim(y1 - H * pixel, y1)
    ax.set_xlabel("x (pen units)")
    ax.set_ylabel("y (pen units)")
    ax.set_title("predicted density of the next pen position")
    fig.colorbar(im, ax=ax, label="log10 probability per pixel", pad=0.01)
    return _save(fig, path)


def legibility(cells: Sequence[Mapping], *, title: str = "",
               path: str | Path | None = None) -> Figure:
    """Character error rate (%) against the sampling bias, one curve a
    style (cells: dicts with style, bias, cer as seqgen.legibility writes)."""
    if not cells:
        raise PlotError("legibility plot: no cells to draw")
    fig = Figure(figsize=(5.5, 3.6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    for style in dict.fromkeys(c["style"] for c in cells):
        row = sorted((c["bias"], c["cer"]) for c in cells if c["style"] == style)
        b, e = zip(*row, strict=True)
        ax.plot(b, 100 * np.asarray(e), marker="o",
                linewidth=2 if style == "unprimed" else 1, label=style)
    ax.set_xlabel("sampling bias b (Graves eq. 61; 0 = plain sampling)")
    ax.set_ylabel("character error rate (%)")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "legibility: written, then read back")
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def cer_over_training(points: Sequence[Mapping], *, threshold: float = 0.10, title: str = "",
                      path: str | Path | None = None) -> Figure:
    """Character error rate (%) of written-and-read-back lines against
    training minutes (points: dicts with minutes, step, cer as
    seqgen.legibility_curve writes), with the threshold as a dashed line."""
    if not points:
        raise PlotError("CER over training: no checkpoints to draw")
    row = sorted((p["minutes"], p["cer"], p["step"]) for p in points)
    m, e, s = zip(*row, strict=True)
    fig = Figure(figsize=(5.5, 3.6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    ax.plot(m, 100 * np.asarray(e), marker="o")
    for x, y, step in row[:: max(1, len(row) // 6)]:
        ax.annotate(f"{step}", (x, 100 * y), textcoords="offset points", xytext=(3, 4),
                    fontsize=7)
    ax.axhline(100 * threshold, color="0.5", linestyle="--", linewidth=1)
    ax.set_xlabel("training time (minutes on 2 CPU cores; labels: steps)")
    ax.set_ylabel("character error rate (%)")
    ax.set_ylim(bottom=0)
    ax.set_title(title or "legibility over training")
    ax.grid(alpha=0.3)
    return _save(fig, path)
