"""Winding paths: without a bound on path length, an ensemble of path methods can diverge.

The claim. Lundstrom, Huang & Razaviyayn (2022, sec. 3.2, Conjecture 1 and App. F)
conjecture that the methods with completeness, linearity, dummy and implementation invariance
are the ensembles of (possibly non-monotone) path methods *whose path lengths are bounded*.
App. F shows the bound is needed: without it an "ensemble" need not even be defined.

The construction (App. F). F(y) = y1 * y2 on [0, 1]^2, x = (1, 1), x' = (0, 0). gamma^n goes n
times clockwise round the boundary of the square, then straight from (0, 0) to (1, 1);
gamma^-n goes counterclockwise. One clockwise loop (0,0) -> (0,1) -> (1,1) -> (1,0) -> (0,0):

    A1 = loop integral of y2 dy1 = (top edge, y2 = 1, y1: 0 -> 1) = +1
    A2 = loop integral of y1 dy2 = (right edge, y1 = 1, y2: 1 -> 0) = -1

and the diagonal gives (1/2, 1/2), so A^(gamma^n) = (0.5 + n, 0.5 - n) for every integer n.
Put mass 2^-k on gamma^((-2)^k), k = 1, 2, ...: the "ensemble" would be

    sum_k 2^-k (0.5 + (-2)^k, 0.5 - (-2)^k) = sum_k (2^-(k+1) + (-1)^k, 2^-(k+1) - (-1)^k),

whose terms have |term| >= 1 - 2^-(k+1) >= 3/4 and so do not tend to 0: the series diverges
in both components (its partial sums oscillate), and A(x, x', F) is undefined.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, attribute, closed_loop, concatenate, straight

NAME = "winding-paths"

F = Function("y1*y2", variables=["y1", "y2"])
CLOCKWISE = closed_loop([(0, 0), (0, 1), (1, 1), (1, 0)])
DIAGONAL = straight((0, 0), (1, 1))
HALF = sp.Rational(1, 2)

#: The winding numbers checked directly with the engine (the rest follow by additivity).
WINDINGS = (-8, -2, -1, 0, 1, 2, 3, 4)
#: Partial sums shown for the divergent measure.
K_MAX = 10


def gamma(n: int):
    """gamma^n: |n| loops (clockwise for n > 0, counterclockwise for n < 0), then the diagonal."""
    if n == 0:
        return DIAGONAL
    loop = CLOCKWISE if n > 0 else CLOCKWISE.reversed()
    return concatenate(loop.repeated(abs(n)), DIAGONAL)


def expected(n: int) -> tuple[sp.Expr, sp.Expr]:
    """The published value (0.5 + n, 0.5 - n)."""
    return (HALF + n, HALF - n)


def term(k: int) -> tuple[sp.Expr, sp.Expr]:
    """The k-th term 2^-k A^(gamma^((-2)^k)) of the divergent series, exactly."""
    n = (-2) ** k
    return tuple(sp.Rational(1, 2 ** k) * v for v in expected(n))


def partial_sums(k_max: int = K_MAX) -> list[tuple[sp.Expr, sp.Expr]]:
    """S_K = sum_{k=1}^K 2^-k A^(gamma^((-2)^k)) for K = 1..k_max, exactly."""
    out, s1, s2 = [], sp.Integer(0), sp.Integer(0)
    for k in range(1, k_max + 1):
        a, b = term(k)
        s1, s2 = s1 + a, s2 + b
        out.append((s1, s2))
    return out


def compute() -> Result:
    """Engine values for several winding numbers, one loop's share, and the divergent sums."""
    lines = ["F(y1, y2) = y1*y2, x = (1, 1), x' = (0, 0)."]
    one = attribute(F, CLOCKWISE)
    lines += describe_attribution(one, CLOCKWISE, "one clockwise loop")
    lines.append("")
    ok = exact_equal(one.values, (1, -1))
    values = {}
    for n in WINDINGS:
        A = attribute(F, gamma(n))
        values[n] = A.values
        good = exact_equal(A.values, expected(n))
        ok &= good
        lines.append(f"gamma^{n}: {4 * abs(n) + 1} segments, A = {fmt(A.values)}; "
                     f"(0.5 + n, 0.5 - n) = {fmt(expected(n))}  {'ok' if good else 'DIFFERS'}")
    diag = attribute(F, DIAGONAL).values
    additive = all(exact_equal(values[n], tuple(n * a + b for a, b in
                                                 zip(one.values, diag, strict=True)))
                   for n in WINDINGS)
    ok &= additive
    lines += [f"Additivity: A(gamma^n) = n * A(loop) + A(diagonal) = n*{fmt(one.values)} + "
              f"{fmt(diag)} for every n above ({'checked' if additive else 'FAILS'}); the",
              "engine checked the terms k = 1, 2, 3 (n = -2, 4, -8) directly, later ones",
              "use the same formula."]
    lines += ["", "Mass 2^-k on gamma^((-2)^k): terms and partial sums (exact):"]
    sums = partial_sums()
    for k, (s1, s2) in enumerate(sums, start=1):
        a, b = term(k)
        lines.append(f"  k = {k:2d}: term = {fmt((a, b))},  S_{k} = {fmt((s1, s2))}")
    k = sp.Symbol("k", integer=True, positive=True)
    general = sp.simplify(sp.Rational(1, 2) ** k * (HALF + (-2) ** k) - (-1) ** k)
    lines += [f"  term_1(k) - (-1)^k simplifies to {general}: term_1 = 2^-(k+1) + (-1)^k,",
              "  so |term| >= 3/4 for every k: the terms do not tend to 0 and the series",
              "  diverges in both components; S_K oscillates (odd K near -1/2, even K near 1/2)."]
    # Divergence certificate: consecutive partial sums stay at least 3/4 apart.
    gaps = [abs(sums[j + 1][0] - sums[j][0]) for j in range(len(sums) - 1)]
    diverges = all(g >= sp.Rational(3, 4) for g in gaps) and general == 2 ** (-k - 1)
    ok &= diverges
    text = (f"A(gamma^n) = (0.5 + n, 0.5 - n) for n in {list(WINDINGS)}; "
            f"S_K oscillates: S_{K_MAX - 1}_1 = {fmt(sums[-2][0])}, "
            f"S_{K_MAX}_1 = {fmt(sums[-1][0])}")
    return Result(values, text, ok, tuple(lines))


def draw(path: Path) -> Path:
    """Left: gamma^2 (two clockwise loops, then the diagonal). Right: oscillating partial sums."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.0, 6.0))
    loop = np.array([(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)], dtype=float)
    for j, inset in enumerate((0.0, 0.06)):
        pts = loop * (1 - 2 * inset) + inset
        ax.plot(pts[:, 0], pts[:, 1], color="C0", lw=2.5,
                label="2 clockwise loops (drawn nested)" if j == 0 else None)
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            arrows_along(ax, np.linspace(a, b, 7), color="C0", count=1, size=20)
    ax.plot([0, 1], [0, 1], color="C3", lw=2.5, label="then the diagonal")
    arrows_along(ax, np.linspace((0, 0), (1, 1), 9), color="C3", count=2, size=20)
    ax.text(0.5, 1.08, "each loop: A += (1, -1)", ha="center", color="C0")
    ax.set_title("F = y1*y2: gamma^2 gives A = (0.5 + 2, 0.5 - 2) = (5/2, -3/2)")
    ax.set_xlim(-0.2, 1.2)
    ax.set_ylim(-0.2, 1.25)
    ax.set_aspect("equal")
    ax.set_xlabel("y1")
    ax.set_ylabel("y2")
    ax.legend(loc="lower right")

    sums = partial_sums(14)
    ks = np.arange(1, len(sums) + 1)
    ax2.plot(ks, [float(s[0]) for s in sums], "o-", color="C0", label="S_K, component 1")
    ax2.plot(ks, [float(s[1]) for s in sums], "s--", color="C1", label="S_K, component 2")
    ax2.axhline(1.0, color="0.6", lw=1, ls=":", label="completeness would need sum = 1")
    ax2.set_xlabel("K (number of terms)")
    ax2.set_ylabel("partial sum of 2^-k A(gamma^((-2)^k))")
    ax2.set_title("Mass 2^-k on gamma^((-2)^k): the partial sums oscillate")
    ax2.set_ylim(-1.0, 2.3)
    ax2.legend(loc="upper center", ncol=2, fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="winding n times gives (0.5 + n, 0.5 - n); a measure on windings has no attribution",
    claim="ensembles of path methods are well defined without a bound on path length",
    source="Lundstrom, Huang & Razaviyayn (2022), Conjecture 1 (sec. 3.2) and App. F",
    published={n: expected(n) for n in WINDINGS},
    published_text="A(gamma^n) = (0.5 + n, 0.5 - n); sum of 2^-k A(gamma^((-2)^k)) diverges",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
