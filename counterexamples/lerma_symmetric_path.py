"""Counterexample 1 of Lerma & Lucas: a symmetry-preserving path method that is not IG.

The claim. Sundararajan, Taly & Yan (2017, Thm 1): IG (the straight line) is the unique path
method that is symmetry preserving. Lerma & Lucas (2021, sec. 2, Counterexample 1) show a
family of paths that preserves symmetry but is not the straight line: from p to q in R^2,

    gamma_k(t) = p_k + t (q_k - p_k) + t (t - 1) D sgn(q_k - p_k),   k = 1, 2,
    D = (p1 - p2)**2 + (q1 - q2)**2.

* When p1 = p2 and q1 = q2 (the only case where symmetry preservation asks anything), D = 0
  and gamma is the straight line, so symmetric variables get equal shares (their Theorem 1).
* The rule (p, q) -> gamma is itself symmetric: swapping the indices 1 and 2 swaps the
  components.
* Otherwise the quadratic term bends the path: from (0, 0) to (1, 2), gamma(t) = (t**2,
  t**2 + t), and F = x1*x2 gets (7/6, 5/6) where IG gives (1, 1).

A qualification found here: the paper says the sgn factor "makes sure that the paths are
monotonic". It does not always: gamma_k'(t) sgn(q_k - p_k) = |q_k - p_k| + (2t - 1) D, whose
minimum (t = 0) is |q_k - p_k| - D. So the path is monotone exactly when D <= |q_k - p_k| for
each k with q_k != p_k; from (0, 0) to (1, 3) (D = 4) gamma_1 = 4t**2 - 3t first decreases.
The family's point (symmetry preserving, not straight) stands; monotone instances exist.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, as_expression, attribute, curve, straight

NAME = "lerma-symmetric-path"

T = sp.Symbol("t")
EXPECTED_PATH = (T ** 2, T ** 2 + T)
EXPECTED = (sp.Rational(7, 6), sp.Rational(5, 6))


def family(p, q) -> tuple[sp.Expr, sp.Expr]:
    """The two components of Lerma & Lucas' path from p to q, as expressions in t."""
    D = (p[0] - p[1]) ** 2 + (q[0] - q[1]) ** 2
    comps = tuple(p[k] + T * (q[k] - p[k]) + T * (T - 1) * D * sp.sign(q[k] - p[k])
                  for k in range(2))
    if all(as_expression(v).is_number for v in (*p, *q)):
        return tuple(sp.expand(c) for c in comps)
    return comps


def family_path(p, q):
    """The path as a proofs.Path (a single smooth curve)."""
    return curve(list(family([as_expression(v) for v in p], [as_expression(v) for v in q])))


def compute() -> Result:
    """Symbolic checks of the family, then two instances with the exact engine."""
    p1, p2, q1, q2, a, b = sp.symbols("p1 p2 q1 q2 a b", real=True)
    g1, g2 = family((p1, p2), (q1, q2))
    swapped = {p1: p2, p2: p1, q1: q2, q2: q1}
    symmetric_rule = sp.simplify(g1.xreplace(swapped) - g2) == 0
    diag = family((a, a), (b, b))
    straight_on_diagonal = all(sp.simplify(c - (a + T * (b - a))) == 0 for c in diag)
    lines = [f"gamma_1 = {g1}", f"gamma_2 = {g2}",
             f"swap 1 <-> 2 in gamma_1 gives gamma_2: {symmetric_rule}",
             f"p = (a, a), q = (b, b): gamma = {fmt(diag)} = straight line: "
             f"{straight_on_diagonal}"]

    # Symmetric F on a symmetric problem: equal shares (the path is the straight line).
    G = Function("x1*x2*(x1 + x2)")
    sym = attribute(G, family_path((0, 0), (2, 2))).values
    sym_ok = exact_equal(sym[0], sym[1])
    lines.append(f"F = x1*x2*(x1 + x2), (0,0) -> (2,2): A = {fmt(sym)}, equal: {sym_ok}")

    # A non-symmetric problem: the path bends.
    F = Function("x1*x2")
    bent = family_path((0, 0), (1, 2))
    comps = family((0, 0), (1, 2))
    A = attribute(F, bent)
    ig = attribute(F, straight((0, 0), (1, 2))).values
    not_straight = bent.point(sp.Rational(1, 2)) != (sp.Rational(1, 2), 1)
    monotone = bent.is_monotone()
    lines += ["", f"p = (0, 0), q = (1, 2): D = 1, gamma = {fmt(comps)}, "
              f"gamma(1/2) = {fmt(bent.point(sp.Rational(1, 2)))} (straight: (1/2, 1)); "
              f"monotone: {monotone}"]
    lines += describe_attribution(A, bent, "bent path, F = x1*x2")
    lines.append(f"IG (straight line) instead: {fmt(ig)}")

    # The qualification: not every member is monotone.
    p, q = (0, 0), (1, 3)
    caveat = family_path(p, q)
    lines += ["", "Monotone only when D <= |q_k - p_k|: gamma_k' sgn = |q_k - p_k| + (2t - 1) D.",
              f"p = {fmt(p)}, q = {fmt(q)}: D = 4, gamma = {fmt(family(p, q))}, "
              f"monotone: {caveat.is_monotone()} (the paper says the sgn factor makes it so)"]
    agrees = (symmetric_rule and straight_on_diagonal and sym_ok and not_straight and monotone
              and exact_equal(comps, EXPECTED_PATH) and exact_equal(A.values, EXPECTED)
              and not exact_equal(A.values, ig))
    text = (f"straight iff p1=p2, q1=q2; (0,0)->(1,2): gamma = {fmt(comps)}, A = {fmt(A.values)}"
            f" vs IG {fmt(ig)}; monotone only if D <= |q_k - p_k|")
    return Result((comps, A.values), text, agrees, tuple(lines))


def draw(path: Path) -> Path:
    """Members of the family for several (p, q); the straight one, bent ones, a non-monotone one."""
    from counterexamples.figures import arrows_along, new_figure, save

    fig, ax = new_figure(size=(7.0, 6.8))
    cases = [((0, 0), (1, 1), "C0"), ((0, 0), (1, 2), "C2"),
             ((0, sp.Rational(1, 2)), (2, sp.Rational(3, 2)), "C1"), ((0, 0), (1, 3), "C3")]
    for p, q, color in cases:
        member = family_path(p, q)
        D = (as_expression(p[0]) - p[1]) ** 2 + (as_expression(q[0]) - q[1]) ** 2
        shape = "straight" if D == 0 else "bent"
        mono = member.is_monotone()
        label = (f"{fmt(p)} -> {fmt(q)}: D = {fmt(D)}, {shape}, "
                 f"{'monotone' if mono else 'NOT monotone'}")
        pts = member.sample(200)
        ax.plot(pts[:, 0], pts[:, 1], "-" if mono else "--", color=color, lw=2.5, label=label)
        arrows_along(ax, pts, color=color, count=3, size=18)
        ax.plot([float(p[0])], [float(p[1])], "o", color=color)
        ax.plot([float(q[0])], [float(q[1])], "*", color=color, ms=13)
    ax.plot([-1, 3], [-1, 3], ":", color="0.6", lw=1)
    ax.set_xlim(-0.7, 2.3)
    ax.set_ylim(-0.7, 3.3)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Lerma & Lucas' symmetric path family from p to q:\n"
                 "gamma_k(t) = p_k + t (q_k - p_k) + t (t - 1) D sgn(q_k - p_k),\n"
                 "D = (p1 - p2)**2 + (q1 - q2)**2: straight when D = 0, bent otherwise",
                 fontsize=10)
    ax.legend(loc="lower right", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="a path family that preserves symmetry but is not the straight line",
    claim="IG is the unique symmetry-preserving path method",
    source="Sundararajan, Taly & Yan (2017), Thm 1; Lerma & Lucas (2021), Counterexample 1 "
           "(sec. 2)",
    published=(EXPECTED_PATH, EXPECTED),
    published_text="straight iff p1=p2 and q1=q2, curved otherwise; (0,0)->(1,2): "
                   "(t**2, t**2 + t) by hand, A = (7/6, 5/6)",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
