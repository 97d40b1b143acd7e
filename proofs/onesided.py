"""One-sided directional derivatives of F: differentiability is a property of F, not of a term.

Where branches of max/min/abs tie, whether F has a partial derivative dF/dx_i is decided
from F itself: its one-sided derivatives along +e_i and -e_i. Near a point p, along a
direction v, each kink takes its branch by the (value, slope) rule of :mod:`proofs.kinks`,
innermost kinks first. That choice
gives a smooth expression E_v equal to F to first order along v, so D_v F(p) = grad E_v(p).v;
dF/dx_i(p) exists exactly when the choices for +e_i and -e_i give the same derivative.

``relu(-relu(x1 - x2))`` is 0 everywhere, although its inner term has two branches of
different slopes on the diagonal:

>>> import sympy as sp
>>> x1, x2 = sp.symbols("x1 x2", real=True)
>>> F = sp.Max(0, -sp.Max(0, x1 - x2))
>>> one_sided_partials(F, (x1, x2), {x1: 1, x2: 1})
((0, 0), (0, 0))
>>> one_sided_partials(sp.Max(x1, x2), (x1, x2), {x1: 1, x2: 1})
((1, 1), (0, 0))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from .kinks import KINDS, branches, choose, is_kink, takes_largest
from .precision import TIE_DIGITS, numeric_value


@dataclass(frozen=True)
class Decision:
    """How a kink's branch was chosen: ``difference`` (chosen minus other, an expression in
    the variables) tied in value at the point (``kind="value"``) and was then ordered by its
    slope (``slope``, an expression; ``kind="slope"``) or tied in slope too
    (``kind="slope tie"``)."""

    kind: str
    difference: sp.Expr
    slope: sp.Expr


def _sign(value: sp.Expr) -> int:
    """The sign of a real number; 0 within 10**-TIE_DIGITS (ties are confirmed elsewhere)."""
    value = sp.S(value)
    if value.is_Rational:
        return 1 if value > 0 else (-1 if value < 0 else 0)
    approx = numeric_value(value, TIE_DIGITS + 20)
    if abs(approx) < sp.Float(10) ** (-TIE_DIGITS):
        return 0
    return 1 if approx > 0 else -1


class _Walk:
    """Bottom-up (value, slope) evaluation along one direction, choosing branches."""

    def __init__(self, point: Mapping[sp.Symbol, sp.Expr], direction: Mapping[sp.Symbol, int]):
        self.point = {k: sp.S(v) for k, v in point.items()}
        self.direction = direction
        self.cache: dict[sp.Expr, tuple[sp.Expr, sp.Expr, sp.Expr]] = {}
        self.decisions: list[Decision] = []
        self.choice: dict[sp.Expr, int] = {}  # kink -> index of the branch chosen

    def slope_of(self, expr: sp.Expr) -> sp.Expr:
        """The directional derivative of a smooth expression, as an expression."""
        return sp.Add(*[s * sp.diff(expr, v) for v, s in self.direction.items() if s])

    def walk(self, node: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        """(smooth expression, value at the point, slope at the point) of ``node``."""
        if node in self.cache:
            return self.cache[node]
        if not node.has(*KINDS):
            value = node.xreplace(self.point)
            slope = self.slope_of(node).xreplace(self.point) if node.free_symbols else sp.S(0)
            result = (node, value, slope)
        elif is_kink(node):
            result = self.kink(node)
        else:
            parts = [self.walk(a) for a in node.args]
            smooth = node.func(*[p[0] for p in parts])
            value = node.func(*[p[1] for p in parts])
            dummies = [sp.Dummy() for _ in parts]
            outer = node.func(*dummies)
            slope = sp.Add(*[sp.diff(outer, d).xreplace(dict(zip(dummies, [p[1] for p in parts])))
                             * p[2] for d, p in zip(dummies, parts) if p[2] != 0])
            result = (smooth, value, slope)
        self.cache[node] = result
        return result

    def kink(self, node: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        options = [self.walk(b) for b in branches(node)]
        chosen = choose([o[1] for o in options], [o[2] for o in options],
                        takes_largest(node), lambda a, b: _sign(a - b))[0]
        best = options[chosen]
        self.choice[node] = chosen
        for option in options:
            if option is best or _sign(option[1] - best[1]) != 0:
                continue
            difference = best[0] - option[0]
            slope = self.slope_of(difference)
            kind = "slope tie" if _sign(best[2] - option[2]) == 0 else "slope"
            self.decisions.append(Decision(kind, difference, slope))
        return best


def directional_branch(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr],
                       direction: Mapping[sp.Symbol, int]) -> tuple[sp.Expr, list[Decision]]:
    """A smooth expression equal to ``expr`` to first order at ``point`` along ``direction``,
    and the tie decisions that chose it.

    >>> x = sp.Symbol("x", real=True)
    >>> right, _ = directional_branch(sp.Abs(x), {x: 0}, {x: 1})
    >>> left, _ = directional_branch(sp.Abs(x), {x: 0}, {x: -1})
    >>> right, left
    (x, -x)
    """
    walk = _Walk(point, direction)
    smooth, _, _ = walk.walk(expr)
    return smooth, walk.decisions


def branch_choices(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr],
                   direction: Mapping[sp.Symbol, int]) -> dict[sp.Expr, int]:
    """The branch index each kink of ``expr`` takes at ``point`` along ``direction`` (for an
    Abs: 0 is its argument, 1 its negation).

    >>> x = sp.Symbol("x", real=True)
    >>> branch_choices(sp.Max(x, 1 - x), {x: sp.Rational(1, 2)}, {x: -1})
    {Max(x, 1 - x): 1}
    """
    walk = _Walk(point, direction)
    walk.walk(expr)
    return walk.choice


def one_sided_partials(expr: sp.Expr, variables: Sequence[sp.Symbol],
                       point: Mapping[sp.Symbol, Any]) -> tuple[tuple, tuple]:
    """dF/dx_i from the right and from the left at ``point``, for each variable.

    The right derivative is D_{+e_i} F; the left one is -D_{-e_i} F; the partial derivative
    exists where they agree.
    """
    right, left = [], []
    for var in variables:
        plus, _ = directional_branch(expr, point, {var: 1})
        minus, _ = directional_branch(expr, point, {var: -1})
        at = {k: sp.S(v) for k, v in point.items()}
        right.append(sp.diff(plus, var).xreplace(at))
        left.append(sp.diff(minus, var).xreplace(at))
    return tuple(right), tuple(left)
