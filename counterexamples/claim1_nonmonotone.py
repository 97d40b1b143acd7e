"""Claim 1 is false: a non-monotone path method that is no ensemble of monotone path methods.

The claim. Sundararajan, Taly & Yan (2017, Prop. 2), citing Friedman (2004): "path methods
are the only attribution methods that always satisfy implementation invariance,
sensitivity(b), linearity and completeness". Lundstrom, Huang & Razaviyayn (2022,
sec. 3.2) state it rigorously as Claim 1: such a method is an ensemble of *monotone* path
methods. They show it is false with a non-monotone path method (their App. C, which our copy
of the paper lacks), so this module builds the cleanest instance and proves the sign exactly.

The construction.
    reference path  rho: (0,0) -> (1,0) -> (1,1) -> (0,1) -> (0,0) -> (1,1)
                    once round the unit square counterclockwise, then the diagonal
    the method      A(x, x', F) = path integral of F along x' + (x - x') * rho(t)
    the function    F(x1, x2) = x1 * x2, non-decreasing on [0, 1]^2
    the problem     input x = (1, 1), baseline x' = (0, 0)

Every path method satisfies completeness (for Lipschitz F), linearity, dummy and
implementation invariance (it sees only the mapping F). This one gives x1 a negative share.
By hand, segment by segment, with dF/dx1 = x2 and dF/dx2 = x1:

    (0,0) -> (1,0):  x2 = 0, so A1 = 0; x2 does not move, so A2 = 0     (0, 0)
    (1,0) -> (1,1):  A2 = int_0^1 x1 dx2 = int_0^1 1 dx2 = 1             (0, 1)
    (1,1) -> (0,1):  A1 = int_1^0 x2 dx1 = int_1^0 1 dx1 = -1            (-1, 0)
    (0,1) -> (0,0):  x1 = 0 and x1 does not move                          (0, 0)
    (0,0) -> (1,1):  A1 = int_0^1 t dt = 1/2, A2 = 1/2                   (1/2, 1/2)
    total                                                                 (-1/2, 3/2)

Why no ensemble of monotone paths can do this: on a monotone path from 0 to (1, 1) both
gamma_i' >= 0, and F non-decreasing means dF/dx_i >= 0, so every A_i^gamma >= 0, and so is
every average of them. A1 = -1/2 < 0 rules every ensemble out.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, affine_image, attribute, polyline, straight

NAME = "claim1-nonmonotone"

#: The reference path rho on [0, 1]^2 (the method uses its affine image for other x, x').
REFERENCE = polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)])

#: The function: x1 * x2, non-decreasing in each coordinate on [0, 1]^2.
F = Function("x1*x2")

#: What the hand derivation above gives, segment by segment and in total.
EXPECTED_SEGMENTS = ((0, 0), (0, 1), (-1, 0), (0, 0), (sp.Rational(1, 2), sp.Rational(1, 2)))
EXPECTED = (sp.Rational(-1, 2), sp.Rational(3, 2))


def method_path(x: tuple, baseline: tuple):
    """The path of the method for input ``x`` and baseline ``baseline``: x' + (x - x') rho."""
    scale = [xi - bi for xi, bi in zip(x, baseline, strict=True)]
    return affine_image(REFERENCE, scale, list(baseline))


def method(G: Function, x: tuple, baseline: tuple) -> tuple:
    """The non-monotone path method A(x, x', G), exactly."""
    return attribute(G, method_path(x, baseline)).values


def compute() -> Result:
    """Run the method on F = x1*x2 from 0 to (1, 1) and check the axioms it keeps."""
    x, base = (1, 1), (0, 0)
    path = method_path(x, base)
    A = attribute(F, path)
    lines = ["F(x1, x2) = x1*x2: dF/dx1 = x2 >= 0 and dF/dx2 = x1 >= 0 on [0,1]^2, so F is",
             "non-decreasing; the path goes once round the square counterclockwise, then up",
             "the diagonal.", ""]
    lines += describe_attribution(A, path, "method path (x' = (0,0), x = (1,1))")
    negative = [i for i, v in enumerate(A.values, start=1) if v < 0]
    lines += ["", f"A_{negative[0] if negative else '?'} = "
              f"{fmt(A.values[negative[0] - 1]) if negative else '?'} < 0 although F is "
              "non-decreasing and the baseline is 0."]

    # The axioms the method keeps, checked exactly on concrete functions.
    G = Function("x1 + x2**3")
    H = Function(2 * F.expr + 3 * G.expr, variables=F.variables)
    lin = method(H, x, base)
    lin_ok = exact_equal(lin, tuple(2 * a + 3 * b for a, b in
                                    zip(A.values, method(G, x, base), strict=True)))
    dummy = Function("x2**3 + x2")
    dummy_ok = method(dummy, x, base)[0] == 0
    other = Function(((F.variables[0] + F.variables[1]) ** 2
                      - (F.variables[0] - F.variables[1]) ** 2) / 4, variables=F.variables)
    ii_ok = exact_equal(method(other, x, base), A.values)
    complete_ok = A.completeness_gap == 0
    lines += ["", "The axioms of Claim 1 hold for this method (exact checks):",
              f"  completeness: sum A = {fmt(A.total)} = F(1,1) - F(0,0)   "
              f"({'holds' if complete_ok else 'FAILS'})",
              f"  linearity:    A(2F + 3G) = 2A(F) + 3A(G) with G = x1 + x2**3   "
              f"({'holds' if lin_ok else 'FAILS'})",
              f"  dummy:        A_1(x2**3 + x2) = 0   ({'holds' if dummy_ok else 'FAILS'})",
              "  impl. invariance: ((x1+x2)**2 - (x1-x2)**2)/4, another formula for F, gets "
              f"the same A   ({'holds' if ii_ok else 'FAILS'})"]

    # Monotone paths cannot give a negative share to a non-decreasing F.
    ig = attribute(F, straight(base, x)).values
    axis = attribute(F, polyline([(0, 0), (1, 0), (1, 1)])).values
    lines += ["", "Monotone paths give non-negative shares (integrand dF/dx_i * gamma_i' >= 0):",
              f"  straight line (IG): {fmt(ig)};  via (1,0): {fmt(axis)}",
              "so every ensemble of monotone path methods gives A >= 0 here: Claim 1 is false."]

    segs_ok = exact_equal(tuple(tuple(s) for s in A.segment_values), EXPECTED_SEGMENTS)
    agrees = (exact_equal(A.values, EXPECTED) and segs_ok and bool(negative)
              and lin_ok and dummy_ok and ii_ok and complete_ok)
    return Result(A.values, f"{fmt(A.values)}, A_1 < 0", agrees, tuple(lines))


def draw(path: Path) -> Path:
    """The loop-then-diagonal path over the level sets of F, each segment with its shares."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save, segment_label

    fig, ax = new_figure(size=(7.0, 6.5))
    g = np.linspace(0, 1, 200)
    X, Y = np.meshgrid(g, g)
    cs = ax.contourf(X, Y, X * Y, levels=np.linspace(0, 1, 11), cmap="Greys", alpha=0.4)
    fig.colorbar(cs, ax=ax, label="F(x1, x2) = x1*x2")
    loop = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)], dtype=float)
    ax.plot(loop[:, 0], loop[:, 1], color="C0", lw=3, label="loop (counterclockwise)")
    ax.plot([0, 1], [0, 1], color="C3", lw=3, label="then the diagonal")
    for a, b in zip(loop[:-1], loop[1:], strict=True):
        arrows_along(ax, np.linspace(a, b, 9), color="C0", count=2, size=22)
    arrows_along(ax, np.linspace((0, 0), (1, 1), 9), color="C3", count=2, size=22)
    labels = ["(0, 0)", "(0, 1)", "(-1, 0)", "(0, 0)"]
    offsets = [(0, -0.09), (0.12, 0), (0, 0.08), (-0.12, 0)]
    for (a, b), text, off in zip(zip(loop[:-1], loop[1:], strict=True), labels, offsets,
                                 strict=True):
        segment_label(ax, a, b, text, off, color="C0")
    segment_label(ax, (0, 0), (1, 1), "(1/2, 1/2)", (0.1, -0.06), color="C3")
    ax.plot([0], [0], "ko")
    ax.plot([1], [1], "k*", ms=14)
    ax.text(-0.05, -0.1, "baseline", ha="right")
    ax.text(1.04, 1.06, "input", ha="left")
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(-0.3, 1.3)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Claim 1 is false: F = x1*x2 is non-decreasing,\n"
                 "yet this path method gives A = (-1/2, 3/2)")
    ax.legend(loc="upper left")
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="a non-monotone path method gives a non-decreasing F a negative share",
    claim="methods with completeness, linearity, dummy and implementation invariance are "
          "ensembles of monotone path methods",
    source="Sundararajan, Taly & Yan (2017), Prop. 2 (Claim 1 in Lundstrom, Huang & "
           "Razaviyayn (2022), sec. 3.2 and App. C)",
    published=EXPECTED,
    published_text="some A_i < 0 (App. C); by hand (-1/2, 3/2)",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
