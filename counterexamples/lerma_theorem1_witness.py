"""The witness of Lerma & Lucas' Theorem 1: a symmetric F that tells apart the coordinates of a
monotone path that leaves the diagonal.

The claim. Sundararajan, Taly & Yan (2017, Thm 1): IG is the unique symmetry-preserving path
method. Lerma & Lucas (2021, Theorem 1) prove the rigorous version: a strictly monotone smooth
path with gamma_i = gamma_j at both ends preserves the symmetry of every symmetric F only if
gamma_i = gamma_j all along. The proof builds, for a path that leaves the diagonal on (u, v),
the symmetric witness F = g(x_i) g(x_j) with g(z) = min(max(z - c, 0), d - c), c = gamma(u),
d = gamma(v), and shows A_i > A_j.

The construction. From (0, 0) to (1, 1): straight to (1/4, 1/4); then the curve

    gamma(s) = (1/4 + s/2,  1/4 + s/2 + s**2 (1 - s)**2),  s in [0, 1],

which leaves the diagonal (x2 > x1) and comes back at (3/4, 3/4); then straight to (1, 1). The
path is strictly increasing in both coordinates (d/ds of x2 is 1/2 + 2s(1 - s)(1 - 2s) > 0).
So c = 1/4, d = 3/4, g(z) = min(max(z - 1/4, 0), 1/2), and by hand (x1 is the lower
coordinate, so i = 1, j = 2):

    A1 = int_0^1 (x2 - 1/4) dx1 = int_0^1 (s/2 + s**2 (1 - s)**2) / 2 ds = 1/8 + 1/60 = 17/120
    A2 = (d - c)**2 - A1 = 1/4 - 17/120 = 13/120,   A1 - A2 = 2 * 1/60 = 1/30 > 0,

while along the diagonal the same F gets (1/8, 1/8).
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, attribute, concatenate, curve, straight
from proofs.theorems.lerma_theorem1 import separation_certificate, witness_function

NAME = "lerma-theorem1-witness"

S = sp.Symbol("t")
QUARTER, THREE_QUARTERS = sp.Rational(1, 4), sp.Rational(3, 4)
BUMP = (QUARTER + S / 2, QUARTER + S / 2 + S ** 2 * (1 - S) ** 2)
PATH = concatenate(straight((0, 0), (QUARTER, QUARTER)), curve(list(BUMP)),
                   straight((THREE_QUARTERS, THREE_QUARTERS), (1, 1)))
X1, X2 = sp.symbols("x1 x2")
F = Function(witness_function(QUARTER, THREE_QUARTERS, X1, X2), variables=[X1, X2])
EXPECTED = (sp.Rational(17, 120), sp.Rational(13, 120))


def compute() -> Result:
    """The engine on the whole path, the theorem module on the bump, and the diagonal."""
    A = attribute(F, PATH)
    cert = separation_certificate(BUMP[0], BUMP[1], S, 0, 1)
    diagonal = attribute(F, straight((0, 0), (1, 1))).values
    swapped = F.expr.xreplace({X1: X2, X2: X1})
    symmetric = sp.simplify(swapped - F.expr) == 0
    lines = [f"F = {F.expr}  (symmetric: {symmetric})"]
    lines += describe_attribution(A, PATH, "path leaving the diagonal on (1/4, 3/4)")
    lines += ["", "The proof's computation (proofs.theorems.lerma_theorem1), on the bump only:"]
    lines += ["  " + s for s in cert.steps]
    lines += ["", f"Same F along the diagonal: {fmt(diagonal)} "
              "(equal, as Theorem 1 (1) => (2) says)"]
    agrees = (exact_equal(A.values, EXPECTED) and cert.holds and symmetric
              and exact_equal((cert.values["A_i"], cert.values["A_j"]), EXPECTED)
              and exact_equal(diagonal[0], diagonal[1]))
    text = f"{fmt(A.values)}, A1 - A2 = {fmt(A.values[0] - A.values[1])} > 0"
    return Result(A.values, text, agrees, tuple(lines))


def draw(path: Path) -> Path:
    """Left: the path and the square [c, d]^2 where the witness varies. Right: g."""
    import numpy as np
    from matplotlib.patches import Rectangle

    from counterexamples.figures import arrows_along, new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(12.5, 6.0))
    ax.add_patch(Rectangle((0.25, 0.25), 0.5, 0.5, color="C1", alpha=0.15,
                           label="[c, d]^2: where g(x1) g(x2) varies"))
    pts = PATH.sample(200)
    ax.plot([0, 1], [0, 1], ":", color="0.5", label="diagonal: A = (1/8, 1/8)")
    ax.plot(pts[:, 0], pts[:, 1], color="C0", lw=2.5,
            label="path: A = (17/120, 13/120)")
    arrows_along(ax, pts, color="C0", count=6, size=18)
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("A monotone path that leaves the diagonal\n"
                 "on (1/4, 3/4): the witness separates A1, A2")
    ax.legend(loc="upper left", fontsize=10)

    z = np.linspace(0, 1, 300)
    ax2.plot(z, np.clip(z - 0.25, 0, 0.5), color="C1", lw=2.5,
             label="g(z) = min(max(z - 1/4, 0), 1/2)")
    ax2.axvline(0.25, color="0.6", ls=":")
    ax2.axvline(0.75, color="0.6", ls=":")
    ax2.text(0.25, 0.55, " c = 1/4", color="0.3")
    ax2.text(0.75, 0.05, " d = 3/4", color="0.3")
    ax2.set_xlabel("z")
    ax2.set_ylabel("g(z)")
    ax2.set_ylim(-0.05, 0.65)
    ax2.set_title("The witness factor g; F(x) = g(x1) g(x2)")
    ax2.legend(loc="upper left")
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="the symmetric witness g(x1)g(x2) separates a path that leaves the diagonal",
    claim="a monotone path off the diagonal can still preserve symmetry (Theorem 1 says no)",
    source="Lerma & Lucas (2021), Theorem 1 and its proof (sec. 2)",
    published=EXPECTED,
    published_text="A_i > A_j for the lower coordinate i; by hand (17/120, 13/120)",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
