"""IG is not Lipschitz in the input for a function with a max, but is for a smooth function.

The claim. Lundstrom, Huang & Razaviyayn (2022, Theorem 4 and App. J): if F has the
usual ReLU/max kinks, IG(x, F) may fail to be Lipschitz in x; if grad F is Lipschitz with
constant L and |dF/dx_i| <= M on the box [a, b], IG_i is Lipschitz with constant at most
M + |b_i - a_i| L / 2. (It answers the question, studied only by sampling before, of how
sensitive IG is to its input.)

First half, by hand. F(y1, y2) = max(y2 - y1, y1 - y2) = |y1 - y2|, baseline 0, and for e > 0

    x = (1, 1 + e/2), xbar = (1, 1 - e/2),  ||x - xbar|| = e.

On the straight path t*x the kink argument y1 - y2 = -t e/2 is negative for every t in (0, 1],
so F = y2 - y1 there, dF/dy1 = -1 and IG_1(x) = 1 * int_0^1 (-1) dt = -1. On t*xbar it is
+t e/2 > 0, F = y1 - y2 and IG_1(xbar) = +1. So |IG_1(x) - IG_1(xbar)| = 2 for every e > 0,
and the ratio 2/e is unbounded. (Our copy of App. J prints IG_1(x) = 1 and IG_1(xbar) = -1,
a sign slip in the paper or its extraction: the integrand it writes is -1; the difference 2,
which is what matters, is unaffected.)

Second half. For the smooth F = x1**2 * x2 on [0, 1]^2, baseline 0, i = 1, the theorem module
:mod:`proofs.theorems.lipschitz_bound` computes exactly M = 2, L = 2*sqrt(3) (Frobenius norm of
the Hessian, a valid Lipschitz constant of grad F), the bound 2 + sqrt(3), and the measured
constant max ||grad IG_1|| = 2*sqrt(5)/3 of IG_1(x) = 2 x1**2 x2 / 3.
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, NotDifferentiableError, integrated_gradients, straight
from proofs.theorems.lipschitz_bound import lipschitz_certificate

NAME = "ig-not-lipschitz"

F = Function("max(y2 - y1, y1 - y2)", variables=["y1", "y2"])
SMOOTH = Function("x1**2*x2")
BOX = ((0, 1), (0, 1))

#: The published jump, and the bound and measured constant derived by hand for SMOOTH.
EXPECTED_JUMP = sp.Integer(2)
EXPECTED_BOUND = 2 + sp.sqrt(3)
EXPECTED_MEASURED = 2 * sp.sqrt(5) / 3
EPSILONS = (sp.Integer(1), sp.Rational(1, 10), sp.Rational(1, 1000), sp.Rational(1, 10 ** 6))


def symbolic_jump() -> tuple[sp.Expr, list[str]]:
    """IG_1(x) - IG_1(xbar) for a symbolic e > 0, by the sign of the kink argument."""
    e = sp.Symbol("e", positive=True)
    t = sp.Symbol("t", positive=True)
    y1, y2 = F.variables
    lines = []
    values = []
    for label, x in (("x", (1, 1 + e / 2)), ("xbar", (1, 1 - e / 2))):
        arg = sp.expand((y1 - y2).subs({y1: t * x[0], y2: t * x[1]}))
        negative = arg.is_negative
        active = (y2 - y1) if negative else (y1 - y2)
        ig1 = x[0] * sp.integrate(sp.diff(active, y1), (t, 0, 1))
        values.append(ig1)
        lines.append(f"{label} = {fmt(x)}: on t*{label}, y1 - y2 = {arg} "
                     f"({'< 0' if negative else '> 0'} for t > 0, e > 0), F = {active}, "
                     f"IG_1 = {fmt(ig1)}")
    jump = sp.Abs(values[0] - values[1])
    lines.append(f"|IG_1(x) - IG_1(xbar)| = {fmt(jump)} for every e > 0, while ||x - xbar|| = e")
    return jump, lines


def compute() -> Result:
    """The jump for symbolic e, the engine at several e, and the smooth bound."""
    jump, lines = symbolic_jump()
    lines.insert(0, "F = max(y2 - y1, y1 - y2), baseline (0, 0). Symbolically, e > 0:")
    lines.append("")
    lines.append("The exact engine at several e (IG at x and at xbar):")
    engine_ok = True
    for k, e in enumerate(EPSILONS):
        x, xbar = (1, 1 + e / 2), (1, 1 - e / 2)
        A = integrated_gradients(F, x)
        B = integrated_gradients(F, xbar)
        d = sp.Abs(A.values[0] - B.values[0])
        engine_ok &= exact_equal(d, EXPECTED_JUMP)
        lines.append(f"  e = {fmt(e)}: IG(x) = {fmt(A.values)}, IG(xbar) = {fmt(B.values)}, "
                     f"|dIG_1| = {fmt(d)}, |dIG_1| / ||x - xbar|| = {fmt(d / e)}")
        if k == 1:
            lines += ["    " + s for s in describe_attribution(A, straight((0, 0), x), "IG path")]
    try:
        integrated_gradients(F, (1, 1))
        kink = "no error (unexpected)"
    except NotDifferentiableError as exc:
        kink = f"NotDifferentiableError: {exc}"
    lines.append(f"  at e = 0 the path runs along the kink y1 = y2: {kink}")

    cert = lipschitz_certificate(SMOOTH.expr, SMOOTH.variables, BOX, 0, (0, 0))
    lines += ["", "Second half, smooth F (proofs.theorems.lipschitz_bound):"]
    lines += ["  " + s for s in cert.steps]
    bound, measured = cert.values["bound"], cert.values["measured"]
    agrees = (exact_equal(jump, EXPECTED_JUMP) and engine_ok and cert.holds
              and exact_equal(bound, EXPECTED_BOUND) and exact_equal(measured, EXPECTED_MEASURED))
    text = (f"|dIG_1| = {fmt(jump)} for all e > 0; smooth: measured {fmt(measured)} <= "
            f"bound {fmt(bound)}")
    return Result((jump, bound, measured), text, agrees, tuple(lines))


def ig1_curve(values: list[sp.Rational]) -> list[tuple[float, float | None]]:
    """IG_1 of F at input (1, 1 + s) for each s; None where the engine reports the kink."""
    out = []
    for s in values:
        try:
            out.append((float(s), float(integrated_gradients(F, (1, 1 + s)).values[0])))
        except NotDifferentiableError:
            out.append((float(s), None))
    return out


def draw(path: Path) -> Path:
    """Left: IG_1 jumps by 2 as the input crosses the kink. Right: difference quotients."""
    import numpy as np

    from counterexamples.figures import new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.0, 5.5))
    ss = [sp.Rational(k, 20) for k in range(-20, 21)]
    pts = ig1_curve(ss)
    left = [(s, v) for s, v in pts if v is not None and s < 0]
    right = [(s, v) for s, v in pts if v is not None and s > 0]
    for part in (left, right):
        xs, ys = zip(*part, strict=True)
        ax.plot(xs, ys, "o-", color="C0", ms=4)
    ax.plot([], [], "o-", color="C0", label="IG_1 at input (y1, y2) = (1, 1 + s), exact")
    ax.plot([0, 0], [-1, 1], ":", color="C3")
    ax.plot([0], [0], "x", color="C3", ms=10, label="s = 0: path on the kink, undefined")
    ax.annotate("jump of 2", xy=(0.02, 0.0), xytext=(0.25, 0.3), fontsize=12,
                arrowprops={"arrowstyle": "->"})
    ax.set_xlabel("s (input y1 = 1, y2 = 1 + s; baseline (0, 0))")
    ax.set_ylabel("IG_1")
    ax.set_ylim(-1.5, 1.5)
    ax.set_title("F = max(y2 - y1, y1 - y2): IG_1 jumps at the kink")
    ax.legend(loc="lower left")

    es = np.logspace(-4, 0, 30)
    ax2.loglog(es, 2 / es, color="C0", lw=2.5,
               label="F = max(y2 - y1, y1 - y2): |IG_1(y) - IG_1(ybar)| / e = 2/e")
    ig = lipschitz_certificate(SMOOTH.expr, SMOOTH.variables, BOX, 0, (0, 0)).values["IG"]
    x1, x2 = SMOOTH.variables
    # Pairs x = (1, 1), xbar = x - e*u with u the direction of grad IG_1 at (1, 1): the
    # quotient tends to the measured constant from below.
    u1, u2 = 2 / np.sqrt(5), 1 / np.sqrt(5)
    f = sp.lambdify((x1, x2), ig, "numpy")
    smooth = [abs(f(1.0, 1.0) - f(1.0 - e * u1, 1.0 - e * u2)) / e for e in es]
    ax2.loglog(es, smooth, color="C2", lw=2.5,
               label="smooth F = x1**2*x2: pairs near (1, 1)")
    ax2.axhline(float(EXPECTED_BOUND), color="C2", ls="--", label="bound 2 + sqrt(3)")
    ax2.axhline(float(EXPECTED_MEASURED), color="C2", ls=":",
                label="measured constant 2*sqrt(5)/3")
    ax2.set_xlabel("e = ||x - xbar||")
    ax2.set_ylabel("difference quotient of IG_1")
    ax2.set_title("Not Lipschitz with a kink; Lipschitz when smooth")
    ax2.legend(loc="upper right", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="IG jumps by 2 across a max kink; for smooth F it is Lipschitz (Theorem 4)",
    claim="IG is Lipschitz in its input (studied before only by sampling); Theorem 4 says "
          "when it is",
    source="Lundstrom, Huang & Razaviyayn (2022), Theorem 4 (sec. 4.1) and App. J",
    published=(EXPECTED_JUMP, EXPECTED_BOUND, EXPECTED_MEASURED),
    published_text="|dIG_1| = 2 for all e > 0; bound M + |b_i-a_i|L/2 (here 2 + sqrt(3))",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
