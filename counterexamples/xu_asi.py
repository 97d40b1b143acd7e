"""Xu et al.'s Prop. 1 is false: a non-monotone path method with dummy, linearity, completeness
and affine scale invariance (ASI).

The claim. Xu, Venugopalan & Sundararajan (2020, Prop. 1): "path methods are the only
attribution methods that always satisfy Dummy, Linearity, Affine Scale Invariance and
Completeness", where "path methods" means ensembles of monotone path methods (Claim 2 of
Lundstrom, Huang & Razaviyayn (2022), App. E.1).

The counterexample (Lundstrom, Huang & Razaviyayn (2022), App. E.1). The reference path runs
at constant speed through (0,0) -> (1,0) -> (1,1) -> (0,1) -> (0,0) -> (1,1); for input x and
baseline x' the method integrates along its affine image T(rho(t)) with
T(y) = x' + (x - x') * y. With F(x1, x2) = x1 * x2**2 (dF/dx1 = x2**2, dF/dx2 = 2*x1*x2),
x = (1, 1), x' = (0, 0):

    P1 (0,0)->(1,0):  x2 = 0 and x2 fixed                      (0, 0)
    P2 (1,0)->(1,1):  A2 = int_0^1 2*1*s ds = 1                (0, 1)
    P3 (1,1)->(0,1):  A1 = int_1^0 1 ds = -1                   (-1, 0)
    P4 (0,1)->(0,0):  x1 = 0 and x1 fixed                      (0, 0)
    P5 (0,0)->(1,1):  A1 = int_0^1 t**2 dt = 1/3, A2 = 2/3     (1/3, 2/3)
    total                                                      (-2/3, 5/3)

F is non-decreasing on [0,1]^2 and A1 < 0, so no ensemble of monotone path methods equals it.

ASI, correctly (Friedman & Moulin (1999)): for T'(y) = (y_1, ..., c*y_i + d, ..., y_n),
A(x, x', F) = A(T'(x), T'(x'), F o T'^-1). It holds because T' o T_(x,x') = T_(T'x, T'x')
(Lundstrom, Huang & Razaviyayn (2022), eq. 8); this module checks it exactly on random
rational maps. The form in Xu, Venugopalan & Sundararajan (2020) and Sundararajan, Taly & Yan
(2017) (footnote 8 of Lundstrom, Huang & Razaviyayn (2022)), A(x, x', F) = A(T'x, T'x', F o T'),
fails for this method, and for IG too: it is not the axiom.
"""

from __future__ import annotations

import random
from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, affine_image, attribute, polyline, straight

NAME = "xu-asi"

REFERENCE = polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)])
F = Function("x1*x2**2")

EXPECTED_SEGMENTS = ((0, 0), (0, 1), (-1, 0), (0, 0), (sp.Rational(1, 3), sp.Rational(2, 3)))
EXPECTED = (sp.Rational(-2, 3), sp.Rational(5, 3))

#: How many random affine maps the ASI check draws (fixed seed: the check is reproducible).
N_MAPS = 4
SEED = 2020


def method_path(x, baseline):
    """The method's path for (x, x'): T(rho(t)) with T(y) = x' + (x - x') * y."""
    return affine_image(REFERENCE, [a - b for a, b in zip(x, baseline, strict=True)],
                        list(baseline))


def method(G: Function, x, baseline) -> tuple:
    """A^gamma(x, x', G), exactly."""
    return attribute(G, method_path(x, baseline)).values


def ig(G: Function, x, baseline) -> tuple:
    """Integrated gradients (the straight path), exactly."""
    return attribute(G, straight(baseline, x)).values


def affine_map(i: int, c: sp.Rational, d: sp.Rational):
    """T'(y) = y with coordinate i replaced by c*y_i + d; returns T', F o T'^-1, F o T'."""
    def T(point):
        return tuple(c * v + d if k == i else v for k, v in enumerate(point))

    def pull_inverse(G: Function) -> Function:
        y = G.variables[i]
        return Function(G.expr.subs(y, (y - d) / c), variables=G.variables)

    def push(G: Function) -> Function:
        y = G.variables[i]
        return Function(G.expr.subs(y, c * y + d), variables=G.variables)

    return T, pull_inverse, push


def _random_rational(rng: random.Random, lo: int, hi: int, nonzero: bool = False) -> sp.Rational:
    while True:
        q = sp.Rational(rng.randint(lo * 4, hi * 4), rng.choice([1, 2, 4]))
        if not (nonzero and q == 0):
            return q


def asi_checks(n_maps: int = N_MAPS, seed: int = SEED) -> list[tuple]:
    """Random maps T' and points x, x': (description, correct form holds, footnote form holds,
    IG footnote form holds)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n_maps):
        i = rng.randrange(2)
        c = _random_rational(rng, -2, 2, nonzero=True)
        d = _random_rational(rng, -2, 2)
        x = (_random_rational(rng, 1, 2), _random_rational(rng, 1, 2))
        xb = (_random_rational(rng, -1, 0), _random_rational(rng, -1, 0))
        T, pull_inverse, push = affine_map(i, c, d)
        lhs = method(F, x, xb)
        correct = exact_equal(lhs, method(pull_inverse(F), T(x), T(xb)))
        footnote = exact_equal(lhs, method(push(F), T(x), T(xb)))
        ig_footnote = exact_equal(ig(F, x, xb), ig(push(F), T(x), T(xb)))
        yi = sp.Symbol(f"y{i + 1}")
        desc = (f"T'(y)_{i + 1} = {fmt(c * yi + d)}, x = {fmt(x)}, "
                f"x' = {fmt(xb)}: A = {fmt(lhs)}")
        out.append((desc, correct, footnote, ig_footnote))
    return out


def compute() -> Result:
    """The five segments, the total, and the ASI checks."""
    path = method_path((1, 1), (0, 0))
    A = attribute(F, path)
    lines = describe_attribution(A, path, "reference path, F = x1*x2**2")
    lines += ["", "F is non-decreasing on [0,1]^2 (dF/dx1 = x2**2 >= 0, dF/dx2 = 2*x1*x2 >= 0)",
              f"but A_1 = {fmt(A.values[0])} < 0: no ensemble of monotone path methods.", "",
              "ASI on random affine maps T' (exact):"]
    checks = asi_checks()
    for desc, correct, footnote, ig_footnote in checks:
        lines.append(f"  {desc}")
        lines.append(f"    A(T'x, T'x', F o T'^-1) = A(x, x', F): {'yes' if correct else 'NO'};"
                     f"  footnote-8 form A(T'x, T'x', F o T'): {'yes' if footnote else 'no'};"
                     f"  IG in footnote-8 form: {'yes' if ig_footnote else 'no'}")
    all_correct = all(c for _, c, _, _ in checks)
    footnote_fails = sum(1 for _, _, f, _ in checks if not f)
    lines += ["", f"correct ASI holds on {sum(c for _, c, _, _ in checks)}/{len(checks)} maps; "
              f"the footnote-8 form fails on {footnote_fails}/{len(checks)} (IG fails it too: "
              "it is not the axiom)."]
    segs_ok = exact_equal(tuple(tuple(s) for s in A.segment_values), EXPECTED_SEGMENTS)
    agrees = exact_equal(A.values, EXPECTED) and segs_ok and all_correct and footnote_fails > 0
    text = (f"segments {fmt(tuple(tuple(s) for s in A.segment_values))}, total {fmt(A.values)}; "
            f"ASI {sum(c for _, c, _, _ in checks)}/{len(checks)}")
    return Result(A.values, text, agrees, tuple(lines))


def draw(path: Path) -> Path:
    """Left: the reference path with each segment's attribution. Right: an affine image."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save, segment_label

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.0, 6.2))
    pts = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)], dtype=float)
    colors = ["C0", "C1", "C2", "C4", "C3"]
    labels = ["P1: (0, 0)", "P2: (0, 1)", "P3: (-1, 0)", "P4: (0, 0)", "P5: (1/3, 2/3)"]
    offsets = [(0, -0.1), (0.17, 0), (0, 0.09), (-0.17, 0), (0.14, -0.07)]
    for k in range(5):
        a, b = pts[k], pts[k + 1]
        ax.plot([a[0], b[0]], [a[1], b[1]], color=colors[k], lw=3, label=labels[k])
        arrows_along(ax, np.linspace(a, b, 9), color=colors[k], count=2, size=22)
        segment_label(ax, a, b, labels[k].split(": ")[1], offsets[k], color=colors[k])
    ax.set_title("Reference path, F = x1*x2**2:\nA = (-2/3, 5/3) although F is non-decreasing")
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(-0.75, 1.3)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(loc="lower center", fontsize=9, ncol=3)

    xb, x = (sp.Rational(-1, 2), sp.Rational(1, 4)), (sp.Rational(3, 2), sp.Rational(5, 4))
    image = method_path(x, xb).sample(400)
    ax2.plot(image[:, 0], image[:, 1], color="C0", lw=2.5,
             label="the method's path: the reference path mapped by T")
    arrows_along(ax2, image, color="C0", count=10, size=18)
    ax2.plot([float(xb[0])], [float(xb[1])], "ko", label=f"baseline x' = {fmt(xb)}")
    ax2.plot([float(x[0])], [float(x[1])], "k*", ms=14, label=f"input x = {fmt(x)}")
    A = method(F, x, xb)
    ax2.set_title(f"The same method at other (x, x'), T(y) = x' + (x - x')*y:\n"
                  f"F = x1*x2**2, A(x, x', F) = {fmt(A)}")
    ax2.set_xlabel("x1")
    ax2.set_ylabel("x2")
    ax2.set_aspect("equal")
    ax2.set_xlim(-1.0, 2.0)
    ax2.set_ylim(-0.75, 2.0)
    ax2.legend(loc="upper left", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="a non-monotone path method with dummy, linearity, completeness and ASI",
    claim="only (monotone) path methods satisfy dummy, linearity, ASI and completeness",
    source="Xu, Venugopalan & Sundararajan (2020), Prop. 1 (Claim 2 and App. E.1 of Lundstrom, "
           "Huang & Razaviyayn (2022))",
    published=EXPECTED,
    published_text="segments (0,0), (0,1), (-1,0), (0,0), (1/3,2/3); total (-2/3, 5/3)",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
