"""Kinks and ties: the one place that says what a kink's branches are and which one is active.

A *kink* of F is one of its max, min or abs terms. Its *branches* are the arguments of a max or
a min, and ``a`` and ``-a`` for ``|a|``. The active branch is the largest (max, abs) or the
smallest (min). Where branches tie in value at a point, the branch active just after the
point, moving along a direction v, is the largest (smallest) by its slope along v: the rule is
lexicographic on **(value, slope)**. Branches tied in value and in slope stay tied; the caller
decides from F itself (one-sided derivatives, :mod:`proofs.onesided`) and never applies a
silent convention such as relu'(0) = 0.

The engines, the certificate, :mod:`proofs.function` and :mod:`proofs.onesided` take branches
and choices from here. :func:`choose` works on any ordered numbers (sympy, Fractions,
floats), so the numeric exact walk can follow the same contract.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> branches(sp.Abs(x - 1)), takes_largest(sp.Min(x, 1))
((x - 1, 1 - x), False)
>>> choose([0, 0], [0, 1])       # relu at 0 moving right: the branch x (slope 1)
[1]
>>> choose([0, 0], [0, -1])      # ... moving left: the branch 0
[0]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sympy as sp

__all__ = ["KINDS", "branches", "choose", "innermost_kinks", "is_kink", "kinks_of",
           "takes_largest"]

#: the sympy classes whose instances are kinks
KINDS = (sp.Max, sp.Min, sp.Abs)


def is_kink(node: object) -> bool:
    """Whether ``node`` is a max, min or abs term.

    >>> is_kink(sp.Max(sp.Symbol("x"), 0)), is_kink(sp.Symbol("x"))
    (True, False)
    """
    return isinstance(node, KINDS)


def kinks_of(expr: sp.Expr) -> list[sp.Expr]:
    """The distinct kinks of ``expr``, outermost first (preorder).

    >>> x = sp.Symbol("x", real=True)
    >>> kinks_of(sp.Max(0, 1 - sp.Abs(x)))
    [Max(0, 1 - Abs(x)), Abs(x)]
    """
    return list(dict.fromkeys(node for node in sp.preorder_traversal(expr) if is_kink(node)))


def innermost_kinks(expr: sp.Expr) -> list[sp.Expr]:
    """The distinct kinks of ``expr`` with no kink inside their arguments.

    >>> x = sp.Symbol("x", real=True)
    >>> innermost_kinks(sp.Max(0, 1 - sp.Abs(x)))
    [Abs(x)]
    """
    return [k for k in kinks_of(expr)
            if not any(is_kink(a) for arg in k.args for a in sp.preorder_traversal(arg))]


def branches(kink: sp.Expr) -> tuple[sp.Expr, ...]:
    """The branches of a kink: its arguments (max, min), or ``(a, -a)`` for ``|a|``.

    >>> x = sp.Symbol("x", real=True)
    >>> branches(sp.Max(x, 1 - x))
    (x, 1 - x)
    """
    if isinstance(kink, sp.Abs):
        return (kink.args[0], -kink.args[0])
    return tuple(kink.args)


def takes_largest(kink: sp.Expr) -> bool:
    """True for max and abs (the largest branch is active), False for min.

    >>> takes_largest(sp.Abs(sp.Symbol("x")))
    True
    """
    return not isinstance(kink, sp.Min)


def _exact_order(a: Any, b: Any) -> int:
    return 1 if a > b else -1 if a < b else 0


def choose(values: Sequence[Any], slopes: Sequence[Any], largest: bool = True,
           compare: Callable[[Any, Any], int] = _exact_order) -> list[int]:
    """The indices of the active branches: best by value, then by slope along the direction
    of travel (largest for max and abs, smallest for min); several only where they tie in
    both. ``compare(a, b)`` is the sign of a - b (default: exact comparison; proofs passes
    one that screens sympy numbers to its tie digits).

    >>> choose([1, 2, 2], [5, 0, 3])              # max: the value 2 ties, slope 3 wins
    [2]
    >>> choose([1, 2, 2], [5, 0, 3], largest=False) # min: the value 1 alone
    [0]
    >>> choose([0.0, 0.0], [1.0, 1.0])             # tied in value and slope: both
    [0, 1]
    >>> choose([sp.Integer(0), sp.Integer(0)], [sp.Integer(0), sp.Integer(1)])  # sympy numbers
    [1]
    """
    if len(values) != len(slopes) or not values:
        raise ValueError("choose needs one slope per value, and at least one branch")
    sign = 1 if largest else -1
    best = [0]
    for i in range(1, len(values)):
        order = sign * (compare(values[i], values[best[0]])
                        or compare(slopes[i], slopes[best[0]]))
        if order > 0:
            best = [i]
        elif order == 0:
            best.append(i)
    return best
