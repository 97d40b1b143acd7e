"""Sundararajan & Najmi's Thm 4.1 is false: linearity and ASI do not reduce attribution to
cost sharing.

The claim. Sundararajan & Najmi (2020, Thm 4.1, "Reducing model explanation to cost
sharing"): if an attribution method satisfies linearity and affine scale invariance (ASI), then
every attribution A(x, x', F) is the difference A(z, 0, G) - A(zbar, 0, H) of the method's
answers to two cost-sharing problems (z, zbar >= 0, G, H non-decreasing), and those answers are
cost shares, i.e. non-negative (Claim 3 of Lundstrom, Huang & Razaviyayn (2022), App. E.2).

The counterexample (Lundstrom, Huang & Razaviyayn (2022), App. E.2). In one dimension let

    A(x, x', F) = F(x') - F(x)          ("minus completeness")

Linearity: A(x, x', aF + bG) = aF(x') + bG(x') - aF(x) - bG(x) = a A(x, x', F) + b A(x, x', G).
ASI: A(T(x), T(x'), F o T^-1) = F(T^-1(T(x'))) - F(T^-1(T(x))) = A(x, x', F).
But A(1, 0, y -> y) = 0 - 1 = -1. If -1 = A(z, 0, G) - A(zbar, 0, H) with both terms >= 0, then
A(zbar, 0, H) >= 1 > 0; yet A(zbar, 0, H) = H(0) - H(zbar) <= 0 for every non-decreasing H and
zbar >= 0. Contradiction: A's answers to cost-sharing problems are never positive, so they are
not cost shares, and the reduction fails.

A is itself a path method in one dimension: the path that runs from x back to x' (the reversed
straight path), so the exact engine computes it.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, exact_equal, fmt
from proofs import Function, attribute, straight

NAME = "najmi-cost-share"

EXPECTED = sp.Integer(-1)


def method(G: Function, x, baseline) -> sp.Expr:
    """A(x, x', G) = G(x') - G(x), computed as the path integral from x back to x'."""
    return attribute(G, straight(x, baseline)).values[0]


def compute() -> Result:
    """Check linearity and ASI exactly, then evaluate A(1, 0, y -> y)."""
    y = sp.Symbol("y")
    a, b, c, d = sp.symbols("a b c d", real=True)
    xs, xbs = sp.symbols("x xprime", real=True)
    f1, f2 = sp.Function("f1"), sp.Function("f2")

    def A_formula(expr, x, xb):
        return expr.subs(y, xb) - expr.subs(y, x)

    lin = sp.simplify(A_formula(a * f1(y) + b * f2(y), xs, xbs)
                      - (a * A_formula(f1(y), xs, xbs) + b * A_formula(f2(y), xs, xbs)))
    # ASI with T(y) = c*y + d, c != 0: F o T^-1 evaluated at T(x') and T(x).
    pulled = f1((y - d) / c)
    asi = sp.simplify(A_formula(pulled, c * xs + d, c * xbs + d) - A_formula(f1(y), xs, xbs))

    identity = Function(y, variables=[y])
    value = method(identity, (1,), (0,))
    by_formula = identity(0) - identity(1)
    # Every cost-sharing problem (zbar >= 0, H non-decreasing) gets A <= 0: a few of them.
    samples = [(Function(y ** 3, variables=[y]), 2), (Function(sp.exp(y), variables=[y]), 1),
               (Function(2 * y + 5, variables=[y]), sp.Rational(1, 2)),
               (Function(sp.Max(0, y - 1), variables=[y]), 3)]
    shares = [(H, z, method(H, (z,), (0,))) for H, z in samples]
    lines = [
        "A(x, x', F) = F(x') - F(x), one variable.",
        f"linearity: A(x, x', a*f1 + b*f2) - (a*A(f1) + b*A(f2)) simplifies to {fmt(lin)}",
        f"ASI: A(c*x + d, c*x' + d, f1 o T^-1) - A(x, x', f1) simplifies to {fmt(asi)}",
        f"A(1, 0, y -> y) by the engine (path 1 -> 0) = {fmt(value)};  by the formula "
        f"F(0) - F(1) = {fmt(by_formula)}",
        "Cost-sharing problems (zbar >= 0, H non-decreasing) always get A = H(0) - H(zbar) <= 0:",
    ]
    lines += [f"  H = {H.expr}, zbar = {fmt(z)}: A = {fmt(s)}" for H, z, s in shares]
    lines += ["So -1 = A(z,0,G) - A(zbar,0,H) with both >= 0 would need A(zbar,0,H) >= 1 > 0:",
              "impossible. The two 'cost shares' of Thm 4.1 do not exist."]
    agrees = (lin == 0 and asi == 0 and exact_equal(value, EXPECTED)
              and exact_equal(by_formula, EXPECTED) and all(bool(s <= 0) for _, _, s in shares))
    return Result(value, f"A(1, 0, y) = {fmt(value)}; linear and ASI: "
                  f"{'yes' if lin == 0 and asi == 0 else 'NO'}", agrees, tuple(lines))


#: The cost-sharing problems (H non-decreasing, zbar >= 0) the figure shows.
COST_PROBLEMS = (("y**3", 2), ("exp(y)", 1), ("2*y + 5", sp.Rational(1, 2)),
                 ("max(0, y - 1)", 3), ("y", 1))


def draw(path: Path) -> Path:
    """Left: F(y) = y and the method's path from x back to x'. Right: A on cost problems."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.0, 5.4))
    ys = np.linspace(-0.3, 1.3, 100)
    ax.plot(ys, ys, color="0.3", lw=2, label="F(y) = y")
    back = np.linspace((1.0, 1.0), (0.0, 0.0), 40)
    ax.plot(back[:, 0], back[:, 1], color="C3", lw=4, alpha=0.8,
            label="the method's path: from x = 1 back to x' = 0")
    arrows_along(ax, back, color="C3", count=3, size=22)
    ax.plot([0], [0], "ko", ms=8, label="baseline x' = 0")
    ax.plot([1], [1], "k*", ms=14, label="input x = 1")
    ax.annotate("A(1, 0, F) = F(0) - F(1) = -1", (0.5, 0.5), xytext=(0.55, 0.1),
                arrowprops={"arrowstyle": "->", "color": "C3"}, color="C3")
    ax.set_xlabel("y")
    ax.set_ylabel("F(y)")
    ax.set_title("A(x, x', F) = F(x') - F(x): linear and ASI")
    ax.legend(loc="upper left", fontsize=9)

    y = sp.Symbol("y")
    values = [float(method(Function(h, variables=[y]), (z,), (0,))) for h, z in COST_PROBLEMS]
    labels = [f"H = {h}\nzbar = {z}" for h, z in COST_PROBLEMS]
    ax2.bar(range(len(values)), values, color="C3", alpha=0.75)
    ax2.axhline(0, color="0.2", lw=1)
    ax2.set_xticks(range(len(values)), labels, fontsize=9)
    ax2.set_ylabel("A(zbar, 0, H)")
    ax2.set_title("Cost-sharing problems (H non-decreasing): A <= 0,\n"
                  "never the non-negative cost shares Thm 4.1 needs")
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="F(x') - F(x) is linear and ASI but not a difference of two cost shares",
    claim="a method with linearity and ASI gives differences of two (non-negative) cost shares",
    source="Sundararajan & Najmi (2020), Thm 4.1 (Claim 3 and App. E.2 of Lundstrom, Huang & "
           "Razaviyayn (2022))",
    published=EXPECTED,
    published_text="A(1, 0, y -> y) = -1, no cost shares",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
