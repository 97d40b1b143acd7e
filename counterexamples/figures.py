"""Drawing helpers shared by the counterexamples' figures (matplotlib's object API).

Figures are meant to be projected in class: large fonts, titles, labelled axes, legends, and
arrows that show which way a path runs. Nothing here touches matplotlib's global state:
figures are ``matplotlib.figure.Figure`` objects saved through their own Agg canvas, so
importing this module in a notebook keeps the notebook's backend (``inline``, ``widget``), and
the projector style applies only inside :func:`style` (``Counterexample.figure`` uses it).

>>> import matplotlib
>>> backend = matplotlib.get_backend()
>>> fig, ax = new_figure()
>>> matplotlib.get_backend() == backend
True
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["STYLE", "arrows_along", "new_figure", "save", "segment_label", "style"]

#: Projector-sized fonts, applied only inside :func:`style`.
STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "legend.fontsize": 10,
    "figure.dpi": 100,
}


@contextmanager
def style() -> Iterator[None]:
    """The projector style for the figures drawn inside the ``with`` block (restored after)."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(ncols: int = 1, nrows: int = 1, size: tuple[float, float] | None = None
               ) -> tuple[Figure, Any]:
    """A figure and its axes (a single Axes when there is one panel); no pyplot state."""
    if size is None:
        size = (6.0 * ncols, 5.5 * nrows)
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True)
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
    box = {"ha": "center", "va": "center", "fontsize": 10,
           "bbox": {"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7", "alpha": 0.9}}
    box.update(kwargs)
    ax.text(mx, my, text, **box)


def save(fig: Figure, path: Path) -> Path:
    """Save as PNG through the figure's own Agg canvas and return the path."""
    fig.tight_layout()
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.savefig(path, format="png")
    return path
