"""The worked example of the encyclopedia article: relu(x - 0.5) at x = 1.

The claim. A saliency map (the gradient at the input) is often read as the feature's share.
The AI Wiki (2026) article on IG ("A simple worked example") computes, for
F(x) = max(0, x - 0.5) at x = 1 with baseline 0: F(1) = 0.5, F(0) = 0; dF/dx = 0 on
(0, 0.5) and 1 on (0.5, 1), so the path-averaged gradient is 0.5 and IG = (1 - 0) * 0.5 = 0.5
= F(1) - F(0), while the gradient at the input is 1 and ignores the flat half of the path.
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
from proofs import Function, integrated_gradients, straight

NAME = "relu-half"

F = Function("max(0, x - 1/2)", variables=["x"])
EXPECTED = (sp.Rational(1, 2), sp.Integer(1))


def compute() -> Result:
    """IG from 0 to 1, and the gradient at the input."""
    (x,) = F.variables
    A = integrated_gradients(F, (1,), (0,))
    branch = local_branch(F.expr, {x: 1})  # x - 1/2, since 1 - 1/2 > 0
    grad = sp.diff(branch, x).subs(x, 1)
    lines = [f"F(x) = {F.expr}; F(1) = {fmt(F(1))}, F(0) = {fmt(F(0))}",
             f"at x = 1 the active branch is {branch}: dF/dx(1) = {fmt(grad)}"]
    lines += describe_attribution(A, straight((0,), (1,)), "IG path 0 -> 1")
    computed = (A.values[0], grad)
    agrees = exact_equal(computed, EXPECTED) and A.completeness_gap == 0
    return Result(computed, f"IG = {fmt(A.values[0])}, gradient = {fmt(grad)}", agrees,
                  tuple(lines))


def draw(path: Path) -> Path:
    """F and F' on [0, 1]; IG is the area under F'."""
    from counterexamples.figures import new_figure, save

    fig, ax = new_figure(size=(7.5, 5.2))
    ax.plot([0, 0.5, 1], [0, 0, 0.5], color="C0", lw=2.5, label="F(x) = max(0, x - 0.5)")
    ax.step([0, 0.5, 1], [0, 1, 1], where="post", color="C1", lw=2, label="F'(x)")
    ax.fill_between([0.5, 1], 0, 1, color="C1", alpha=0.2, label="IG = area = 0.5")
    ax.plot([1], [1], "o", color="C3", ms=9, label="gradient at the input: 1")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_ylim(-0.1, 1.4)
    ax.set_title("relu(x - 0.5) at x = 1: IG = 0.5, gradient = 1")
    ax.legend(loc="upper left", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="max(0, x - 0.5) at x = 1: IG = 0.5 = F(1) - F(0), the gradient says 1",
    claim="the gradient at the input measures a feature's contribution",
    source="AI Wiki (2026), 'A simple worked example'",
    published=EXPECTED,
    published_text="IG = 0.5, gradient = 1",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
