"""Pictures of a path-method attribution: any function, any path, drawn from the engine's pieces.

:func:`plot` computes the attribution exactly (or with mpmath) and draws what it is made of:

* 1 variable: F over the stretch the path visits (kinks as vertical lines), the path's t-axis
  gamma(t), and the integrand dF/dx(gamma(t)) gamma'(t) with each smooth piece shaded and
  labelled with its contribution (the shaded area);
* 2 variables: F's contours, the kinks (zero sets of the max/min/abs arguments) as dashed
  lines, the path with arrows showing the way it runs, breakpoints marked, each piece drawn in
  its own colour and listed with its contribution;
* 3 or more variables: one panel per coordinate with the integrand
  t -> dF/dx_i(gamma(t)) gamma_i'(t), the pieces shaded and labelled with their contributions.

The result is a ``matplotlib.figure.Figure`` built with the object API (no pyplot state, the
backend is never changed): a notebook shows it, ``fig.savefig("f.png")`` saves it.
``python -m proofs plot EXPR ... --out FILE.png`` is the command-line face.

>>> fig = plot("x1*x2**2", "polyline:0,0;1,0;1,1;0,1;0,0;1,1")
>>> fig.axes[0].get_title(loc="left").splitlines()[-1]
'A = (-2/3, 5/3);  sum = 1 = F(end) - F(start)'
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy as sp

from .attribution import Attribution
from .engines import ENGINES, attribute
from .errors import DimensionError, IGVerifyError, NotDifferentiableError, PathError
from .function import Function, as_point
from .kinks import branches
from .parse import parse_point
from .paths import Path, parse_path, straight
from .paths import U as _U
from .precision import DEFAULT_DPS

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn, not by the CLI's parser
    from matplotlib.figure import Figure

__all__ = ["plot"]

#: Font sizes for projection in class (set on each text, never in rcParams).
_TITLE, _LABEL, _SMALL = 12, 11, 9
#: Most pieces listed one by one in a legend; the rest are summed up in one line.
_MAX_LISTED = 10
#: More variables than this get one panel each only up to this many (the rest are summarised).
_MAX_PANELS = 12


def plot(function: Function | str | sp.Expr, path: Path | str | None = None, *,
         input: Sequence[object] | str | None = None,
         baseline: Sequence[object] | str | None = None,
         variables: Sequence[str] | None = None, engine: str = "symbolic",
         dps: int = DEFAULT_DPS, samples: int = 300, title: str | None = None) -> Figure:
    """A figure of F, the path and the attribution's pieces (see the module docstring).

    ``path`` is a :class:`Path`, a command-line spec (``"straight"``,
    ``"polyline:0,0;1,0;1,1"``, ``"curve:t,t**2"``) or None for the straight path from
    ``baseline`` (default the origin) to ``input``. Where F has no partial derivative along
    the path (max(x, y) on the diagonal) the figure is still drawn, with the engine's
    explanation in the title instead of the values.

    >>> fig = plot("max(0, x - 1/2)", input=[1], variables=["x"])
    >>> len(fig.axes), fig.axes[2].get_ylabel()
    (3, "dF/dx(gamma(t)) gamma'(t)")
    >>> fig.axes[0].get_title(loc="left").splitlines()[0]   # F as it was typed
    'F = max(0, x - 1/2)'
    """
    return _draw(function, path, input, baseline, variables, engine, dps, samples, title)[0]


def _draw(function: Function | str | sp.Expr, path: Path | str | None, input: object,
          baseline: object, variables: Sequence[str] | None, engine: str, dps: int,
          samples: int, title: str | None) -> tuple[Figure, str]:
    """The figure, and why the attribution is undefined ("" when it is defined)."""
    F = function if isinstance(function, Function) else Function(function, variables)
    gamma = _path(F, path, input, baseline)
    if samples < 20 or samples > 5000:
        raise IGVerifyError(f"samples must be from 20 to 5000, got {samples}")
    try:
        result: Attribution | None = attribute(F, gamma, engine=engine, dps=dps)
        failure = ""
    except NotDifferentiableError as exc:
        result, failure = None, " ".join(str(exc).split())
    typed = " ".join(function.split()) if isinstance(function, str) else ""
    shown = typed if typed and len(typed) <= 60 else _short(F.expr, 60)
    heading = title if title is not None else f"F = {shown}"
    summary = _summary(result, failure)
    if F.dimension == 1:
        fig = _plot_one(F, gamma, result, samples)
    elif F.dimension == 2:
        fig = _plot_two(F, gamma, result, samples)
    else:
        fig = _plot_many(F, gamma, result, samples)
    fig.axes[0].set_title(heading + "\n" + summary, fontsize=_TITLE, loc="left")
    fig.tight_layout()
    return fig, failure


# ------------------------------------------------------------------------------- inputs


def _path(F: Function, path: Path | str | None, input: object, baseline: object) -> Path:
    x = _point(input, F.dimension, "input")
    base = _point(baseline, F.dimension, "baseline")
    if path is None or (isinstance(path, str) and path.strip().lower() == "straight"):
        if x is None:
            raise PathError("the straight path needs an input (and optionally a baseline)")
        gamma = straight(base if base is not None else (0,) * F.dimension, x)
    elif isinstance(path, str):
        gamma = parse_path(path, x, base, F.dimension)
    elif isinstance(path, Path):
        gamma = path
    else:
        raise PathError(f"path must be a Path, a spec such as 'polyline:0,0;1,1', or None; "
                        f"got {type(path).__name__}")
    if gamma.dimension != F.dimension:
        raise DimensionError(f"the path has {gamma.dimension} coordinates, the function has "
                             f"{F.dimension} variables")
    return gamma


def _point(value: object, dimension: int, what: str) -> tuple | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_point(value)
    return as_point(value, dimension, what)


# ------------------------------------------------------------------------------- numbers


def _short(value: object, limit: int = 14) -> str:
    """An exact value as sympy prints it, or ~float when that is long."""
    text = str(value)
    if len(text) <= limit:
        return text
    try:
        return f"~{float(sp.N(sp.S(value), 15)):.4g}"
    except (TypeError, ValueError):
        return text[: limit - 3] + "..."


def _vec(values: Sequence[object]) -> str:
    return "(" + ", ".join(_short(v) for v in values) + ")"


def _summary(result: Attribution | None, failure: str) -> str:
    if result is None:
        return "\n".join(textwrap.wrap(f"A undefined: {failure}", 72))
    gap = result.completeness_gap
    closed = "=" if (gap == 0 if result.engine == "symbolic" else abs(gap) < 1e-10) else "!="
    return (f"A = {_vec(result.values)};  sum = {_short(result.total)} {closed} "
            f"F(end) - F(start)")


def _numeric(expr: sp.Expr, symbols: Sequence[sp.Symbol]):
    """A NumPy function of ``symbols`` (max/min/abs vectorised), broadcasting constants."""
    f = sp.lambdify(list(symbols), expr, "numpy")

    def call(*arrays: np.ndarray) -> np.ndarray:
        shape = np.broadcast(*arrays).shape if arrays else ()
        with np.errstate(all="ignore"):
            out = np.asarray(f(*arrays), dtype=complex)
        real = np.where(np.abs(out.imag) < 1e-12, out.real, np.nan)
        return np.broadcast_to(real, shape).astype(float)

    return call


def _t_grid(gamma: Path, t0: float, t1: float, n: int) -> np.ndarray:
    return np.linspace(t0, t1, max(2, int(n * (t1 - t0)) + 2))


def _points(gamma: Path, ts: np.ndarray) -> np.ndarray:
    """gamma(t) for the float array ``ts`` (rows: points)."""
    K = len(gamma.segments)
    k = np.minimum((ts * K).astype(int), K - 1)
    out = np.empty((len(ts), gamma.dimension))
    for j, seg in enumerate(gamma.segments):
        mask = k == j
        if not mask.any():
            continue
        u = ts[mask] * K - j
        for i, c in enumerate(seg.components):
            out[mask, i] = _numeric(c, [_U])(u)
    return out


def _integrands(F: Function, gamma: Path, result: Attribution | None, n: int
                ) -> list[tuple[Any, np.ndarray, np.ndarray]]:
    """Per piece: (piece or None, t samples, integrand values of shape (len(t), dimension))."""
    K = len(gamma.segments)
    if result is not None and result.pieces:
        stretches = [(p, p.segment, float(p.t0), float(p.t1), p.active) for p in result.pieces]
    else:  # undefined along the path: show sympy's derivative where it has one
        stretches = [(None, j, j / K, (j + 1) / K, F.expr) for j in range(K)]
    out = []
    for piece, j, t0, t1, active in stretches:
        seg = gamma.segments[j]
        ts = _t_grid(gamma, t0, t1, n)
        u = ts * K - j
        point = [_numeric(c, [_U])(u) for c in seg.components]
        speed = [K * _numeric(sp.diff(c, _U), [_U])(u) for c in seg.components]
        cols = []
        for i, v in enumerate(F.variables):
            d = sp.diff(active, v)
            if d.has(sp.Heaviside, sp.DiracDelta, sp.Subs, sp.Derivative):
                cols.append(np.full_like(ts, np.nan))
            else:
                cols.append(_numeric(d, F.variables)(*point) * speed[i])
        out.append((piece, ts, np.stack(cols, axis=1)))
    return out


# ------------------------------------------------------------------------------- drawing


def _figure(size: tuple[float, float]) -> Figure:
    """A figure with its own Agg canvas: pyplot and the backend are never touched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def _arrow(ax: Any, p: np.ndarray, q: np.ndarray, color: str, size: float = 18) -> None:
    if np.allclose(p, q):
        return
    ax.annotate("", xy=q, xytext=p,
                arrowprops={"arrowstyle": "-|>", "color": color, "lw": 0,
                            "mutation_scale": size})


def _piece_label(k: int, piece: Any, names: Sequence[str], one: bool = False) -> str:
    values = piece.values[0] if one else _vec(piece.values)
    what = f"A_{names[0]}" if one else "A"
    return (f"piece {k + 1}, t in [{_short(piece.t0, 8)}, {_short(piece.t1, 8)}]: "
            f"{what} += {_short(values) if one else values}")


def _shade_integrand(ax: Any, stretches: list, i: int, names: Sequence[str]) -> None:
    """The integrand of coordinate i, each piece shaded and labelled with its contribution."""
    for k, (piece, ts, vals) in enumerate(stretches):
        color = f"C{k % 10}"
        y = vals[:, i]
        ax.plot(ts, y, color=color, lw=2)
        ax.fill_between(ts, 0, np.nan_to_num(y), color=color, alpha=0.25, lw=0)
        if piece is not None and (len(stretches) <= _MAX_LISTED or piece.values[i] != 0):
            finite = y[np.isfinite(y)]
            top = float(np.max(np.abs(finite))) if finite.size else 0.0
            mid = (ts[0] + ts[-1]) / 2
            ax.text(mid, 0.5 * (float(np.nanmean(y)) if finite.size else 0.0) or top * 0.1,
                    _short(piece.values[i], 10), ha="center", va="center", fontsize=_SMALL,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": color,
                          "alpha": 0.9})
    for _piece, ts, _ in stretches[1:]:
        ax.axvline(ts[0], color="0.5", lw=0.8, ls=":")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xlim(0, 1)


def _plot_one(F: Function, gamma: Path, result: Attribution | None, n: int) -> Figure:
    fig = _figure((15.0, 4.8))
    ax_f, ax_t, ax_i = fig.subplots(1, 3)
    name = F.variables[0].name
    ts = np.linspace(0, 1, n * len(gamma.segments))
    xs = _points(gamma, ts)[:, 0]
    lo, hi = float(np.nanmin(xs)), float(np.nanmax(xs))
    pad = max(0.25 * (hi - lo), 0.25)
    grid = np.linspace(lo - pad, hi + pad, 600)
    f = _numeric(F.expr, F.variables)
    ax_f.plot(grid, f(grid), color="0.2", lw=2, label=f"F({name})")
    visited = np.linspace(lo, hi, 300)
    ax_f.plot(visited, f(visited), color="C3", lw=4, alpha=0.6, label="values the path visits")
    for z in _kink_zeros_1d(F, lo - pad, hi + pad):
        ax_f.axvline(z, color="C1", ls="--", lw=1.2)
    ax_f.plot([], [], color="C1", ls="--", label="kinks (max/min/abs switch)")
    start, end = float(xs[0]), float(xs[-1])
    ax_f.plot([start], [f(np.array(start))], "ko", ms=7, label=f"baseline {name}' = "
              f"{_short(gamma.start[0], 8)}")
    ax_f.plot([end], [f(np.array(end))], "k*", ms=13, label=f"input {name} = "
              f"{_short(gamma.end[0], 8)}")
    ax_f.set_xlabel(name, fontsize=_LABEL)
    ax_f.set_ylabel(f"F({name})", fontsize=_LABEL)
    ax_f.legend(fontsize=_SMALL, loc="best")

    ax_t.plot(ts, xs, color="C0", lw=2.5)
    for k in range(5, len(ts) - 1, max(1, len(ts) // 6)):
        _arrow(ax_t, np.array([ts[k], xs[k]]), np.array([ts[k + 1], xs[k + 1]]), "C0")
    if result is not None:
        for b in result.breakpoints:
            tb = float(b.t)
            ax_t.plot([tb], [_points(gamma, np.array([tb]))[0, 0]], "X", color="C3", ms=10)
            ax_t.annotate(f"t = {_short(b.t, 8)}", (tb, _points(gamma, np.array([tb]))[0, 0]),
                          textcoords="offset points", xytext=(6, -14), fontsize=_SMALL)
    ax_t.set_xlim(0, 1)
    ax_t.set_xlabel("t", fontsize=_LABEL)
    ax_t.set_ylabel(f"gamma(t) (the path in {name})", fontsize=_LABEL)
    ax_t.set_title("the path on its t-axis; X = breakpoint", fontsize=_LABEL)

    stretches = _integrands(F, gamma, result, n)
    _shade_integrand(ax_i, stretches, 0, [name])
    ax_i.set_xlabel("t", fontsize=_LABEL)
    ax_i.set_ylabel(f"dF/d{name}(gamma(t)) gamma'(t)", fontsize=_LABEL)
    ax_i.set_title("integrand; shaded area of each piece = its contribution", fontsize=_LABEL)
    return fig


def _kink_zeros_1d(F: Function, lo: float, hi: float) -> list[float]:
    grid = np.linspace(lo, hi, 4001)
    zeros: list[float] = []
    for g in _kink_arguments(F):
        vals = _numeric(g, F.variables)(grid)
        s = np.sign(vals)
        for k in np.nonzero(s[:-1] * s[1:] < 0)[0]:
            zeros.append(float(grid[k] - vals[k] * (grid[k + 1] - grid[k])
                               / (vals[k + 1] - vals[k])))
        zeros += [float(grid[k]) for k in np.nonzero(vals == 0)[0]]
    return sorted(set(zeros))


def _kink_arguments(F: Function) -> list[sp.Expr]:
    """Expressions whose zero sets are F's kinks: a - b for max/min(a, b, ...), z for |z|."""
    out: list[sp.Expr] = []
    for node in F.kinks():
        if isinstance(node, sp.Abs):  # its branches z and -z meet where z = 0
            out.append(node.args[0])
        else:
            args = branches(node)
            out += [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
    return out


def _plot_two(F: Function, gamma: Path, result: Attribution | None, n: int) -> Figure:
    fig = _figure((9.5, 7.8))
    ax = fig.subplots()
    n1, n2 = (v.name for v in F.variables)
    ts_all = np.linspace(0, 1, n * len(gamma.segments))
    pts = _points(gamma, ts_all)
    lo, hi = np.nanmin(pts, axis=0), np.nanmax(pts, axis=0)
    pad = np.maximum(0.2 * (hi - lo).max(), 0.4)
    g1 = np.linspace(lo[0] - pad, hi[0] + pad, 240)
    g2 = np.linspace(lo[1] - pad, hi[1] + pad, 240)
    X, Y = np.meshgrid(g1, g2)
    Z = _numeric(F.expr, F.variables)(X, Y)
    if np.isfinite(Z).any() and np.nanmax(Z) > np.nanmin(Z):
        filled = ax.contourf(X, Y, Z, levels=14, cmap="Greys", alpha=0.45)
        ax.contour(X, Y, Z, levels=filled.levels, colors="0.55", linewidths=0.5)
        fig.colorbar(filled, ax=ax, label=f"F({n1}, {n2})", shrink=0.85)
    drew_kink = False
    for g in _kink_arguments(F):
        G = _numeric(g, F.variables)(X, Y)
        if np.isfinite(G).any() and np.nanmin(G) < 0 < np.nanmax(G):
            ax.contour(X, Y, G, levels=[0], colors="C1", linewidths=1.6, linestyles="--")
            drew_kink = True
    if drew_kink:
        ax.plot([], [], color="C1", ls="--", lw=1.6, label="kinks (max/min/abs switch)")

    stretches = _integrands(F, gamma, result, n)
    for k, (piece, ts, _) in enumerate(stretches):
        color = f"C{(k + 2) % 10}" if k % 10 != 8 else "C0"
        p = _points(gamma, ts)
        label = (_piece_label(k, piece, [n1, n2]) if piece is not None and k < _MAX_LISTED
                 else None)
        if piece is None:  # no attribution: the path in red, labelled once
            color, label = "C3", ("the path (A undefined along it)" if k == 0 else None)
        ax.plot(p[:, 0], p[:, 1], color=color, lw=3, label=label, solid_capstyle="round")
        m = len(p) // 2
        _arrow(ax, p[max(m - 1, 0)], p[min(m + 1, len(p) - 1)], color, 22)
        if piece is not None and len(stretches) > 1 and k < _MAX_LISTED:
            ax.annotate(str(k + 1), p[m], textcoords="offset points", xytext=(8, 8),
                        fontsize=_SMALL, color=color, fontweight="bold",
                        bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "ec": color})
    if result is not None and len(stretches) > _MAX_LISTED:
        ax.plot([], [], color="none", label=f"... {len(stretches) - _MAX_LISTED} more pieces")
    if result is not None:
        for b in result.breakpoints:
            q = _points(gamma, np.array([float(b.t)]))[0]
            ax.plot([q[0]], [q[1]], "X", color="C3", ms=11, mec="white", zorder=5)
        if result.breakpoints:
            ax.plot([], [], "X", color="C3", ms=9, ls="none", label="breakpoints")
    a, b = pts[0], pts[-1]
    ax.plot([a[0]], [a[1]], "ko", ms=8, zorder=6,
            label=f"baseline x' = {_vec(gamma.start)}")
    ax.plot([b[0]], [b[1]], "k*", ms=15, zorder=6, label=f"input x = {_vec(gamma.end)}")
    ax.set_xlabel(n1, fontsize=_LABEL)
    ax.set_ylabel(n2, fontsize=_LABEL)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(fontsize=_SMALL, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1,
              framealpha=0.9)
    return fig


def _plot_many(F: Function, gamma: Path, result: Attribution | None, n: int) -> Figure:
    shown = min(F.dimension, _MAX_PANELS)
    fig = _figure((10.0, 1.3 + 1.9 * shown))
    axes = fig.subplots(shown, 1, sharex=True, squeeze=False)[:, 0]
    stretches = _integrands(F, gamma, result, n)
    names = [v.name for v in F.variables]
    for i, ax in enumerate(axes):
        _shade_integrand(ax, stretches, i, names)
        total = f" = {_short(result.values[i])}" if result is not None else ""
        ax.set_ylabel(f"{names[i]}", fontsize=_LABEL, rotation=0, ha="right", va="center")
        ax.text(1.01, 0.5, f"A_{names[i]}{total}", transform=ax.transAxes, fontsize=_SMALL,
                va="center")
    if result is not None:
        for b in result.breakpoints:
            for ax in axes:
                ax.axvline(float(b.t), color="C3", lw=1.2, ls="--")
    axes[-1].set_xlabel("t   (each panel: dF/dx_i(gamma(t)) gamma_i'(t); shaded area of a "
                        "piece = its contribution; red dashes = breakpoints)", fontsize=_SMALL)
    if shown < F.dimension:
        axes[-1].text(0.0, -0.6, f"({F.dimension - shown} more coordinates not drawn)",
                      transform=axes[-1].transAxes, fontsize=_SMALL)
    return fig


# ------------------------------------------------------------------------- command line


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register ``plot`` on the subparsers of ``python -m proofs``."""
    p = sub.add_parser("plot", help="draw F, the path and the attribution's pieces to a PNG",
                       description="Draw F (contours for 2 variables), the path with its "
                                   "direction, breakpoints and each piece's contribution; "
                                   "for 3+ variables the integrand per coordinate.")
    p.add_argument("expr", metavar="EXPR", help="the function, e.g. 'max(x1, 2*x2)'")
    p.add_argument("--vars", help="comma-separated variable names in order (default x1, x2, ...)")
    p.add_argument("--input", help="the input x, e.g. 1,1/2")
    p.add_argument("--baseline", help="the baseline x' (default the origin)")
    p.add_argument("--path", default="straight",
                   help="straight (default) | polyline:0,0;1,0;1,1 | curve:t,t**2")
    p.add_argument("--engine", choices=ENGINES, default="symbolic")
    p.add_argument("--dps", type=int, default=DEFAULT_DPS,
                   help=f"digits for the mpmath engine ({DEFAULT_DPS})")
    p.add_argument("--title", help="the figure's first title line (default 'F = EXPR')")
    p.add_argument("--out", required=True, metavar="FILE.png", help="where to write the PNG")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="give up after this many seconds (120)")
    p.set_defaults(handler=main)
    return p


def main(args: argparse.Namespace) -> int:
    """``python -m proofs plot``: write the figure, print where it went. Where the attribution
    is undefined (F not differentiable along the path) the figure is written all the same and
    the command fails with status 2, saying why."""
    out = str(args.out)
    if not out.lower().endswith(".png"):
        raise IGVerifyError(f"--out must name a .png file, got {out!r}")
    variables = [v.strip() for v in args.vars.split(",")] if args.vars else None
    fig, failure = _draw(args.expr, args.path, args.input, args.baseline, variables,
                         args.engine, args.dps, 300, args.title)
    try:
        fig.savefig(out, format="png", dpi=100)
    except OSError as exc:
        raise IGVerifyError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(out)
    if failure:
        raise NotDifferentiableError(f"the attribution is undefined: {failure}",
                                     f"the figure in {out} shows where")
    return 0

