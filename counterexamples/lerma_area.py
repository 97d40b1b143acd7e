"""Example 1 of Lerma & Lucas: off the straight line, a symmetric F gets unequal shares.

The claim. Sundararajan, Taly & Yan (2017, Thm 1) say IG is the unique path method that
preserves symmetry; Lerma & Lucas (2021, sec. 2, Example 1) illustrate why the path matters:
along a curve from (0, 0) to (1, 1) the symmetric function F(x1, x2) = x1 * x2 gets

    A1 = int_gamma dF/dx1 dx1 = int x2 dx1 = the area under the path,
    A2 = int_gamma dF/dx2 dx2 = int x1 dx2 = the area above the path (inside the unit square),

which add up to the area of the square, F(1, 1) = 1 (completeness), but are unequal when the
path bends: "IG_1 < IG_2" for a path below the diagonal. Their figure's curve is not given in
our copy of the paper; we take the parabola gamma(t) = (t, t**2), which lies below the diagonal:

    A1 = int_0^1 t**2 dt = 1/3 (area under x2 = x1**2),   A2 = 1 - 1/3 = 2/3,

while the straight line gives (1/2, 1/2).
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, attribute, curve, straight

NAME = "lerma-area"

F = Function("x1*x2")
T = sp.Symbol("t")
PATH = curve([T, T ** 2])
EXPECTED = (sp.Rational(1, 3), sp.Rational(2, 3))


def areas() -> tuple[sp.Expr, sp.Expr]:
    """The areas under and above the graph x2 = x1**2 in the unit square (polynomial integral)."""
    s = sp.Symbol("s")
    under = sp.integrate(s ** 2, (s, 0, 1))
    return under, 1 - under


def compute() -> Result:
    """A along the parabola, compared with the two areas and with the straight line."""
    A = attribute(F, PATH)
    under, above = areas()
    ig = attribute(F, straight((0, 0), (1, 1))).values
    lines = ["F(x1, x2) = x1*x2 is symmetric: F(x1, x2) = F(x2, x1).",
             "Path gamma(t) = (t, t**2) from (0, 0) to (1, 1), below the diagonal."]
    lines += describe_attribution(A, PATH, "curved path")
    lines += [f"area under the path (int_0^1 x**2 dx) = {fmt(under)};  area above = {fmt(above)}",
              f"A_1 = area under: {exact_equal(A.values[0], under)};  "
              f"A_2 = area above: {exact_equal(A.values[1], above)};  "
              f"A_1 < A_2: {bool(A.values[0] < A.values[1])}",
              f"straight line (IG) instead: {fmt(ig)}, equal shares"]
    agrees = (exact_equal(A.values, EXPECTED) and exact_equal(A.values, (under, above))
              and bool(A.values[0] < A.values[1]) and A.completeness_gap == 0)
    return Result(A.values, f"{fmt(A.values)} = (area under, area above)", agrees, tuple(lines))


def draw(path: Path) -> Path:
    """The parabola in the unit square, the area under it (A1) and above it (A2) shaded."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save

    fig, ax = new_figure(size=(6.8, 6.4))
    s = np.linspace(0, 1, 200)
    ax.fill_between(s, 0, s ** 2, color="C0", alpha=0.35, label="A1 = area under = 1/3")
    ax.fill_between(s, s ** 2, 1, color="C1", alpha=0.35, label="A2 = area above = 2/3")
    pts = np.column_stack([s, s ** 2])
    ax.plot(s, s ** 2, color="k", lw=2.5, label="path gamma(t) = (t, t**2)")
    arrows_along(ax, pts, color="k", count=4, size=20)
    ax.plot([0, 1], [0, 1], "--", color="0.4", lw=1.5, label="straight line: (1/2, 1/2)")
    ax.plot([0], [0], "ko")
    ax.plot([1], [1], "k*", ms=14)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("F = x1*x2 along a curve: A1 = area under,\nA2 = area above, so A1 < A2")
    ax.legend(loc="upper left", fontsize=10)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="F = x1*x2 along a curve: A1 is the area under the path, A2 the area above",
    claim="path methods treat symmetric variables alike (only the straight line does)",
    source="Lerma & Lucas (2021), Example 1 (sec. 2), on Sundararajan, Taly & Yan (2017), Thm 1",
    published=EXPECTED,
    published_text="IG_1 = area under < IG_2 = area above, IG_1 + IG_2 = 1; here (1/3, 2/3)",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
