"""Figures of the pruning experiments (one PNG per figure), drawn with matplotlib's object API
on Agg canvases: importing this module never changes matplotlib's global backend.

Style as in the counterexamples' figures: large fonts, titles, labelled axes, legends.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["draw_all"]

_STYLE = {"font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 10}


def _figure(ncols: int, nrows: int = 1, width: float = 5.2, height: float = 4.4):
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_STYLE):
        fig = Figure(figsize=(width * ncols, height * nrows))
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _save(fig, path: Path) -> str:
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=100)
    return str(path)


def _fig1(exp: dict, activation: str, path: Path) -> str:
    fig, axes = _figure(2)
    for ax, label in zip(axes[0], ("dense", "conv")):
        g = exp["global"]["layers"][label]
        fr = g["fractions"]
        ax.fill_between(fr, g["random_min"], g["random_max"], color="0.8",
                        label=f"random (min-max of {len(g['random'])} seeds)")
        ax.plot(fr, g["random_mean"], color="0.4", ls="--", label="random (mean)")
        ax.plot(fr, g["descending"], "o-", color="C3", label="IG \u2193 (descending)")
        ax.plot(fr, g["ascending"], "s-", color="C0", label="IG \u2191 (ascending)")
        what = "units" if label == "dense" else "channels"
        _accuracy_axes(ax, f"{label} layer {g['layer']} ({g['units']} {what})",
                       f"fraction of {what} zeroed")
    fig.suptitle(f"Pruning by average conductance, digits, {activation} network")
    return _save(fig, path)


def _accuracy_axes(ax, title: str, xlabel: str) -> None:
    """Title, labels, limits, grid and legend of a test-accuracy-while-pruning panel."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")


def _fig2(exp: dict, activation: str, path: Path) -> str:
    pc = exp["per_class"]
    c0 = str(pc["focus_class"])
    fig, axes = _figure(2, 2)
    for row, label in enumerate(("dense", "conv")):
        lay = pc["layers"][label]
        fr = lay["fractions"]
        entry = lay["classes"][c0]
        for col, order in enumerate(("descending", "ascending")):
            ax = axes[row][col]
            ax.plot(fr, entry[f"{order}_class"], "o-", color="C3", label=f"IG, class {c0}")
            ax.plot(fr, entry[f"{order}_median"], "s-", color="C0", label="IG, median class")
            ax.plot(fr, entry["random_class"], "--", color="C1", label=f"random, class {c0}")
            ax.plot(fr, lay["random_median"], "--", color="0.4", label="random, median class")
            _accuracy_axes(ax, f"{label} layer, {order} (class {c0})", "fraction pruned")
    fig.suptitle(f"Pruning by class-{c0} conductance, digits, {activation} network")
    return _save(fig, path)


def _fig9(exp: dict, activation: str, path: Path) -> str:
    p = exp["patch"]
    fr = p["fractions"]
    panels = (("descending", "patch ranking, descending"),
              ("ascending", "patch ranking, ascending"),
              ("random", f"random (mean of {p['random_seeds']})"),
              ("global_descending", "global conductance, descending"))
    fig, axes = _figure(4, width=4.6)
    for ax, (key, title) in zip(axes[0], panels):
        c = p["curves"][key]
        ax.plot(fr, c["inside"], "o-", color="C3", label="\u03a3 IG inside box")
        ax.plot(fr, c["outside"], "s-", color="C0", label="\u03a3 IG outside box")
        ax.plot(fr, c["all"], "^-", color="0.3", label="\u03a3 IG, whole image")
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel("fraction of dense units zeroed")
        ax.set_ylabel(f"mean over {p['images']} test images")
        ax.grid(alpha=0.3)
        ax.legend(loc="best")
    r0, r1 = p["box_rows"]
    c0, c1 = p["box_cols"]
    fig.suptitle(f"IG inside/outside the box rows {r0}-{r1 - 1}, cols {c0}-{c1 - 1} of class "
                 f"{p['focus_class']} while pruning layer {p['layer']}, {activation} network")
    return _save(fig, path)


def draw_all(report: dict, folder: str | Path) -> list[str]:
    """One PNG per figure and network into ``folder`` (created); the paths written."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for activation, exp in report["experiments"].items():
        written.append(_fig1(exp, activation, out / f"prune_fig1_{activation}.png"))
        written.append(_fig2(exp, activation, out / f"prune_fig2_{activation}.png"))
        written.append(_fig9(exp, activation, out / f"prune_fig9_{activation}.png"))
    return written
