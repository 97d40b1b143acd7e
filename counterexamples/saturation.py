"""Saturation: gradient x input gives 0 to a feature that changed the output from 0 to 1.

The claim. Sundararajan, Taly & Yan (2017, sec. 2.1, Sensitivity(a)): an attribution method
should give a non-zero share to a feature that alone changes the output; gradient-based
methods fail it where the network saturates. The IG tutorial (2026, "Why gradients fail")
uses the one-neuron example

    f(x) = 1 - relu(1 - x),  baseline x' = 0,  input x = 2.

f(0) = 0 and f(2) = 1, but for x > 1 the relu is off and f is flat: f'(2) = 0, so
gradient x input = f'(2) * 2 = 0. IG integrates along the path t*2: for t < 1/2 (x < 1)
f(x) = x and f' = 1; for t > 1/2, f' = 0. So IG = 2 * (1/2 * 1 + 1/2 * 0) = 1 = f(2) - f(0).
"""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from counterexamples.base import (
    Counterexample,
    Result,
    describe_attribution,
    exact_equal,
    fmt,
    local_branch,
)
from proofs import Function, integrated_gradients, relu, straight

NAME = "saturation"

X = sp.Symbol("x")
F = Function(1 - relu(1 - X), variables=[X])
EXPECTED = (sp.Integer(0), sp.Integer(1))


def gradient_times_input(x: sp.Expr) -> sp.Expr:
    """f'(x) * x, with f' the derivative of the branch of f active near x."""
    branch = local_branch(F.expr, {X: x})
    return sp.diff(branch, X).subs(X, x) * x


def compute() -> Result:
    """Gradient x input at 2 and IG from 0 to 2."""
    gxi = gradient_times_input(sp.Integer(2))
    A = integrated_gradients(F, (2,), (0,))
    lines = [f"f(x) = {F.expr}; f(0) = {fmt(F(0))}, f(2) = {fmt(F(2))}",
             f"at x = 2 the relu is off (1 - x = -1 < 0): f = 1 near 2, f'(2) = 0, "
             f"gradient x input = {fmt(gxi)}"]
    lines += describe_attribution(A, straight((0,), (2,)), "IG path 0 -> 2")
    computed = (gxi, A.values[0])
    agrees = exact_equal(computed, EXPECTED)
    return Result(computed, f"gradient x input = {fmt(gxi)}, IG = {fmt(A.values[0])}",
                  agrees, tuple(lines))


def draw(path: Path) -> Path:
    """f and its derivative on [0, 2], with IG's integral shaded."""
    from counterexamples.figures import new_figure, save

    fig, ax = new_figure(size=(7.5, 5.2))
    ax.plot([0, 1, 2.3], [0, 1, 1], color="C0", lw=2.5, label="f(x) = 1 - relu(1 - x)")
    ax.step([0, 1, 2.3], [1, 0, 0], where="post", color="C1", lw=2, label="f'(x)")
    ax.fill_between([0, 1], 0, 1, color="C1", alpha=0.2,
                    label="IG = integral of f' over [0, 2] = 1")
    ax.plot([2], [0], "o", color="C3", ms=9, label="gradient x input at x = 2: 0 * 2 = 0")
    ax.plot([2], [1], "*", color="k", ms=13, label="input x = 2, f(2) = 1")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_ylim(-0.15, 1.5)
    ax.set_title("Saturation: the gradient at the input is 0, IG is 1")
    ax.legend(loc="upper right", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="f(x) = 1 - relu(1 - x) at 2: gradient x input 0, IG 1",
    claim="gradient x input gives a non-zero share to a feature that changes the output",
    source="Sundararajan, Taly & Yan (2017), sec. 2.1 (Sensitivity(a)); IG tutorial (2026), "
           "'Why gradients fail'",
    published=EXPECTED,
    published_text="gradient x input = 0, IG = 1",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
