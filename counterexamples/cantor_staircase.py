"""Cantor's staircase: continuous and differentiable almost everywhere is not enough for
completeness.

The claim. Sundararajan, Taly & Yan (2017, Prop. 1 and its remark) prove completeness of IG
from the gradient theorem, restated for F "continuous everywhere and differentiable almost
everywhere". Lerma & Lucas (2021, sec. 1.2.1) point out that this cannot work: in one
dimension the gradient theorem is the fundamental theorem of calculus, and Cantor's staircase
C (continuous, non-decreasing, C(0) = 0, C(1) = 1, C' = 0 almost everywhere) breaks it. Their
Proposition 1 needs F Lipschitz instead.

The construction. C_k, the level-k staircase, is piecewise linear: it rises by 2^-k with slope
(3/2)^k on each of the 2^k intervals of length 3^-k that survive k steps of removing middle
thirds, and is flat on the removed intervals. C_k -> C uniformly (|C_k - C| <= 2^-k).

    int_0^1 C_k' = (3/2)^k * (2/3)^k = 1 = C_k(1) - C_k(0)      for every k (C_k is Lipschitz),

but the slope lives on a set of measure (2/3)^k -> 0. In the limit C is constant on every
removed interval, of total length sum_m 2^(m-1)/3^m = 1, so C' = 0 almost everywhere and

    int_0^1 C'(x) dx = 0  !=  1 = C(1) - C(0).

The engine computes the IG of C_k exactly (C_k written with relu, one kink per interval end).
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, exact_equal, fmt
from proofs import Function, integrated_gradients, relu

NAME = "cantor-staircase"

Y = sp.Symbol("y")
LEVELS = (1, 2, 3, 4)
EXPECTED = (sp.Integer(0), sp.Integer(1))


def surviving_intervals(k: int) -> list[tuple[sp.Rational, sp.Rational]]:
    """The 2^k closed intervals of length 3^-k left after k steps of removing middle thirds."""
    intervals = [(sp.Integer(0), sp.Integer(1))]
    for _ in range(k):
        nxt = []
        for a, b in intervals:
            third = (b - a) / 3
            nxt += [(a, a + third), (b - third, b)]
        intervals = nxt
    return intervals


def staircase(k: int) -> Function:
    """C_k as a Function of y: sum over surviving intervals [a, a + 3^-k] of
    2^-k (relu(3^k (y - a)) - relu(3^k (y - a) - 1))."""
    n = 3 ** k
    expr = sp.Add(*[sp.Rational(1, 2 ** k) * (relu(n * (Y - a)) - relu(n * (Y - a) - 1))
                    for a, _ in surviving_intervals(k)])
    return Function(expr, variables=[Y])


def removed_length() -> sp.Expr:
    """Total length of the removed middle thirds: sum_m 2^(m-1) / 3^m (exactly 1)."""
    m = sp.Symbol("m", integer=True, positive=True)
    return sp.summation(2 ** (m - 1) / sp.Integer(3) ** m, (m, 1, sp.oo))


def compute() -> Result:
    """IG of each C_k with the engine; the limit: C' = 0 off a null set."""
    lines = ["C_k: slope (3/2)^k on 2^k intervals of length 3^-k, flat elsewhere; IG from 0 to 1."]
    level_ok = True
    for k in LEVELS:
        Ck = staircase(k)
        A = integrated_gradients(Ck, (1,), (0,))
        steep = [p for p in A.pieces if p.values[0] != 0]
        flat = [p for p in A.pieces if p.values[0] == 0]
        measure = sum((p.t1 - p.t0 for p in steep), sp.Integer(0))
        slope = sp.Rational(3, 2) ** k
        good = (exact_equal(A.values[0], 1) and exact_equal(measure, sp.Rational(2, 3) ** k)
                and all(exact_equal(p.values[0], slope * (p.t1 - p.t0)) for p in steep))
        level_ok &= good
        lines.append(f"  k = {k}: {len(A.breakpoints)} breakpoints, {len(steep)} pieces with "
                     f"slope {fmt(slope)} (total length {fmt(measure)} = (2/3)^{k}), "
                     f"{len(flat)} flat pieces; IG = {fmt(A.values[0])} = C_k(1) - C_k(0)")
        if k == 2:
            for p in A.pieces:
                lines.append(f"      t in [{fmt(p.t0)}, {fmt(p.t1)}]: C_2' = "
                             f"{fmt(sp.diff(p.active, Y))}, contributes {fmt(p.values[0])}")
    removed = removed_length()
    k = sp.Symbol("k", integer=True, positive=True)
    survivor = sp.limit(sp.Rational(2, 3) ** k, k, sp.oo)
    integral = sp.Integer(0)  # C' = 0 on the removed set (measure 1); the rest is null.
    lines += [
        "",
        "The limit C = lim C_k:",
        f"  length of the surviving set (2/3)^k -> {fmt(survivor)} (the Cantor set is null)",
        f"  removed intervals: total length sum_m 2^(m-1)/3^m = {fmt(removed)}; C is constant "
        "on each, so C' = 0 there",
        f"  int_0^1 C'(x) dx = {fmt(integral)} (C' = 0 almost everywhere)",
        "  C(1) - C(0) = 1: the gradient theorem fails for this continuous, a.e. "
        "differentiable F;",
        "  it holds for every Lipschitz C_k (Lipschitz constant (3/2)^k -> oo).",
    ]
    computed = (integral, sp.Integer(1))
    agrees = (level_ok and removed == 1 and survivor == 0 and exact_equal(computed, EXPECTED))
    return Result(computed, f"int C' = {fmt(integral)}, C(1) - C(0) = 1; IG of C_k = 1 for k "
                  f"= {', '.join(map(str, LEVELS))}", agrees, tuple(lines))


def draw(path: Path) -> Path:
    """Left: C_1..C_6 converge to the staircase. Right: C_k' (slope on a shrinking set)."""
    from counterexamples.figures import new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.0, 5.6))
    for k in range(1, 7):
        knots = []
        for j, (a, b) in enumerate(surviving_intervals(k)):
            knots += [(float(a), j / 2 ** k), (float(b), (j + 1) / 2 ** k)]
        xs, ys = zip(*knots, strict=True)
        ax.plot(xs, ys, lw=2.2 if k == 6 else 1.2, alpha=1.0 if k == 6 else 0.7,
                label=f"C_{k}" + (" (close to C)" if k == 6 else ""))
    ax.set_xlabel("y")
    ax.set_ylabel("C_k(y)")
    ax.set_title("Level-k staircases C_k -> Cantor's staircase C")
    ax.legend(loc="upper left")

    for k, color in ((1, "C0"), (2, "C1"), (3, "C2"), (4, "C3")):
        slope = 1.5 ** k
        for j, (a, b) in enumerate(surviving_intervals(k)):
            ax2.fill_between([float(a), float(b)], 0, slope, color=color, alpha=0.25, lw=0)
            ax2.plot([float(a), float(b)], [slope, slope], color=color, lw=2.5,
                     label=(f"C_{k}' = {slope:g} on a set of length (2/3)^{k} = "
                            f"{(2 / 3) ** k:.3f}") if j == 0 else None)
    ax2.set_xlabel("y")
    ax2.set_ylabel("C_k'(y)")
    ax2.set_title("int C_k' = 1 for every k, but C' = 0 a.e.: int C' = 0")
    ax2.legend(loc="upper center", fontsize=9)
    ax2.set_ylim(0, 7.5)
    ax2.set_xlim(-0.02, 1.02)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="Cantor's staircase: C' = 0 a.e., so int C' = 0 while C(1) - C(0) = 1",
    claim="completeness holds for F continuous everywhere and differentiable a.e.",
    source="Sundararajan, Taly & Yan (2017), Prop. 1 remark; Lerma & Lucas (2021), sec. 1.2.1",
    published=EXPECTED,
    published_text="int_0^1 C' = 0 != 1 = C(1) - C(0)",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
