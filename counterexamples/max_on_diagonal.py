"""max(x, y) has no partial derivatives on the line x = y, so IG along the diagonal is undefined.

The claim. Sundararajan, Taly & Yan (2017, Prop. 1 and remark) apply the gradient theorem to
any F differentiable almost everywhere. Lerma & Lucas (2021, sec. 1.2.1 and before their
Proposition 1) note that the allowed paths matter: f(x, y) = max(x, y) is continuous and
differentiable almost everywhere in the plane, yet has no partial derivatives at any point of
the line x = y. IG from (0, 0) to (1, 1) runs along that line, so its integrand is undefined on
the whole path; any number it reports comes from a silent convention.

At a point (a, a) the one-sided difference quotients of f in x are

    (max(a + h, a) - a) / h  ->  1  as h -> 0+,        ->  0  as h -> 0-,

so df/dx does not exist there (nor df/dy, by symmetry). Conventions for the derivative of max
at a tie disagree: 0 for both arguments gives (0, 0) (and breaks completeness, as f(1, 1) -
f(0, 0) = 1), "the first argument wins" gives (1, 0), "half each" gives (1/2, 1/2).
The exact engine refuses and says where: a NotDifferentiableError naming the kink and the
t-interval. Off the diagonal the integrand is defined a.e. and IG is fine.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, fmt
from proofs import Function, NotDifferentiableError, integrated_gradients

NAME = "max-on-diagonal"

F = Function("max(x, y)", variables=["x", "y"])
EXPECTED = "NotDifferentiableError"


def compute() -> Result:
    """One-sided quotients on x = y, the engine on the diagonal, and an input off it."""
    x, y = F.variables
    a = sp.Symbol("a", real=True)
    h = sp.Symbol("h", real=True)
    quotient = (F.expr.subs({x: a + h, y: a}) - F.expr.subs({x: a, y: a})) / h
    right = sp.limit(quotient.subs(h, sp.Symbol("h", positive=True)),
                     sp.Symbol("h", positive=True), 0, "+")
    hn = sp.Symbol("h", negative=True)
    left = sp.limit(quotient.subs(h, hn), hn, 0, "-")
    lines = [f"f(x, y) = {F.expr}",
             f"at (a, a): (f(a + h, a) - f(a, a)) / h -> {fmt(right)} as h -> 0+, "
             f"-> {fmt(left)} as h -> 0-: no df/dx on the line x = y"]
    try:
        A = integrated_gradients(F, (1, 1))
        outcome = f"no error: {fmt(A.values)} (a convention was applied)"
        raised = False
    except NotDifferentiableError as exc:
        outcome = f"NotDifferentiableError: {exc}"
        raised = True
    lines.append(f"IG from (0, 0) to (1, 1): {outcome}")
    off = integrated_gradients(F, (1, sp.Rational(11, 10)))
    lines.append(f"off the diagonal, input (1, 11/10): IG = {fmt(off.values)} "
                 f"(sum {fmt(off.total)} = f(x) - f(0) = {fmt(off.delta_F)})")
    lines.append("conventions at a tie that would hide the problem: derivative 0 -> (0, 0); "
                 "first argument wins -> (1, 0); half each -> (1/2, 1/2)")
    agrees = raised and right == 1 and left == 0 and off.completeness_gap == 0
    computed = EXPECTED if raised else "no error"
    return Result(computed, "raises NotDifferentiableError (t in [0, 1])" if raised else outcome,
                  agrees, tuple(lines))


def draw(path: Path) -> Path:
    """Left: max(x, y), its kink x = y and the IG path lying on it. Right: df/dx across it."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.0, 5.8))
    g = np.linspace(-0.25, 1.35, 220)
    X, Y = np.meshgrid(g, g)
    cs = ax.contourf(X, Y, np.maximum(X, Y), levels=12, cmap="Greys", alpha=0.45)
    fig.colorbar(cs, ax=ax, label="f(x, y) = max(x, y)")
    ax.plot([-0.25, 1.35], [-0.25, 1.35], color="C1", ls="--", lw=1.5,
            label="kink x = y: no df/dx, no df/dy")
    diag = np.linspace((0, 0), (1, 1), 40)
    ax.plot(diag[:, 0], diag[:, 1], color="C3", lw=4, alpha=0.8,
            label="IG path to (1, 1): on the kink, undefined")
    arrows_along(ax, diag, color="C3", count=2, size=22)
    off = np.linspace((0, 0), (1, 1.1), 40)
    A = integrated_gradients(F, (1, sp.Rational(11, 10)))
    ax.plot(off[:, 0], off[:, 1], color="C0", lw=2.5,
            label=f"IG path to (1, 11/10): A = {fmt(A.values)}")
    arrows_along(ax, off, color="C0", count=2, size=20)
    ax.plot([0], [0], "ko")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.set_title("max(x, y): IG along the diagonal has no integrand")
    ax.legend(loc="upper left", fontsize=9)

    a = 0.5
    xs = np.linspace(0.0, 1.0, 401)
    ax2.plot(xs[xs < a], np.zeros((xs < a).sum()), color="C0", lw=3, label="df/dx(x, 1/2)")
    ax2.plot(xs[xs > a], np.ones((xs > a).sum()), color="C0", lw=3)
    ax2.plot([a], [1], "o", mfc="white", mec="C3", ms=10, label="right quotient -> 1")
    ax2.plot([a], [0], "o", mfc="white", mec="C2", ms=10, label="left quotient -> 0")
    ax2.axvline(a, color="C1", ls="--", lw=1.5)
    ax2.text(a + 0.02, 0.5, "x = y = 1/2:\nno derivative", color="C1")
    ax2.set_xlabel("x (with y = 1/2 fixed)")
    ax2.set_ylabel("df/dx")
    ax2.set_ylim(-0.2, 1.3)
    ax2.set_title("One-sided quotients disagree on the kink")
    ax2.legend(loc="upper left", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="max(x, y) has no partials on x = y: IG along the diagonal is undefined",
    claim="IG is defined (and complete) for every F differentiable almost everywhere",
    source="Sundararajan, Taly & Yan (2017), Prop. 1 remark; Lerma & Lucas (2021), sec. 1.2.1",
    published=EXPECTED,
    published_text="partials do not exist on x = y; IG undefined",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
