"""Drawing helpers shared by the counterexamples' figures (matplotlib, Agg backend).

Figures are meant to be projected in class: large fonts, titles, labelled axes, legends, and
arrows that show which way a path runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

__all__ = ["arrows_along", "new_figure", "plt", "save", "segment_label"]

plt.rcParams.update({
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "figure.dpi": 100,
})


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] | None = None
               ) -> tuple[Any, Any]:
    """A figure and its axes (a single Axes when there is one panel)."""
    if size is None:
        size = (6.0 * ncols, 5.5 * nrows)
    fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=True)
    return fig, axes


def arrows_along(ax: Any, points: np.ndarray, color: str = "C0", every: int | None = None,
                 count: int = 8, size: float = 16.0) -> None:
    """Arrow heads along a sampled path (rows of ``points``), pointing the way it runs."""
    n = len(points)
    if n < 2:
        return
    step = every if every is not None else max(1, n // (count + 1))
    for k in range(step // 2, n - 1, step):
        p, q = points[k], points[k + 1]
        if np.allclose(p, q):
            continue
        ax.annotate("", xy=q, xytext=p,
                    arrowprops={"arrowstyle": "-|>", "color": color, "lw": 0,
                                "mutation_scale": size})


def segment_label(ax: Any, start: Sequence[float], end: Sequence[float], text: str,
                  offset: tuple[float, float] = (0.0, 0.0), **kwargs: Any) -> None:
    """A label at the middle of the straight segment start -> end, shifted by ``offset``."""
    mx = (float(start[0]) + float(end[0])) / 2 + offset[0]
    my = (float(start[1]) + float(end[1])) / 2 + offset[1]
    style = {"ha": "center", "va": "center", "fontsize": 10,
             "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7", "alpha": 0.9}}
    style.update(kwargs)
    ax.text(mx, my, text, **style)


def save(fig: Any, path: Path) -> Path:
    """Save as PNG, close the figure, return the path."""
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
