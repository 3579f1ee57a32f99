"""The 1997 suite's figure: the share of trials solved against the
training sequences seen, a panel per task (matplotlib, no pyplot: no global
state). `python -m seqgen.tasks.report` draws it as report.png.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from seqgen.command.errors import UserError

DPI = 100


def success_curves(rows: Sequence[Mapping], *, path: str | Path | None = None) -> Figure:
    """The 1997 experiments: for each (task, variant) a panel, for each net
    the share of trials (%) solved within n training sequences against n
    (log scale, up to the cap; rows as seqgen.tasks.report writes them:
    config, variant, model, cap, trials of {success, sequences})."""
    if not rows:
        raise UserError("success curves: no rows to draw")
    tasks = list(dict.fromkeys((r["config"], r.get("variant", "")) for r in rows))
    cols = min(3, len(tasks))
    nrows = math.ceil(len(tasks) / cols)
    fig = Figure(figsize=(4.2 * cols, 2.9 * nrows), dpi=DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False).ravel())
    for ax, (config, variant) in zip(axes, tasks, strict=False):
        for r in (r for r in rows if (r["config"], r.get("variant", "")) == (config, variant)):
            n, cap = len(r["trials"]), r["cap"]
            solved = np.sort([t["sequences"] for t in r["trials"] if t["success"]])
            x = np.concatenate([[1], solved, [cap]])
            y = 100 * np.concatenate([[0], np.arange(1, len(solved) + 1), [len(solved)]]) / n
            ax.step(x, y, where="post", label=f"{r['model']} ({len(solved)}/{n})")
        ax.set_xscale("log")
        ax.set_ylim(-3, 103)
        ax.set_title(f"{config}{':' + variant if variant else ''}", fontsize=10)
        ax.set_xlabel("training sequences")
        ax.set_ylabel("trials solved (%)")
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        ax.grid(alpha=0.3)
    for ax in axes[len(tasks):]:
        ax.set_visible(False)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI)
    return fig
