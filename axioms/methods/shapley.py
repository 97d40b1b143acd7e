"""Game-theoretic methods: the Shapley value (Shapley (1953)) of the game
S -> F(x_S, x'_rest), and the "minus completeness" cost share of Lundstrom, Huang &
Razaviyayn (2022), App. E.2 (the counterexample to Sundararajan & Najmi (2020), Thm 4.1).

>>> from proofs import Function
>>> shapley_value(Function("x1*x2**2"), (1, 1), (0, 0))
(1/2, 1/2)
>>> cost_share(Function("x1"), (1,), (0,))
(-1,)
"""

from __future__ import annotations

import itertools
import math

import sympy as sp

__all__ = ["cost_share", "shapley_value"]


def _at(F, point):
    return F.expr.xreplace(dict(zip(F.variables, point, strict=True)))


def shapley_value(F, x, baseline) -> tuple[sp.Expr, ...]:
    """The Shapley value of the game v(S) = F(x_S, x'_rest) (exact; 2^n evaluations).

    >>> from proofs import Function
    >>> shapley_value(Function("x1*x2"), (1, 1), (0, 0))
    (1/2, 1/2)
    """
    n = len(x)
    value: dict[frozenset, sp.Expr] = {}
    for r in range(n + 1):
        for S in itertools.combinations(range(n), r):
            point = [x[i] if i in S else baseline[i] for i in range(n)]
            value[frozenset(S)] = _at(F, point)
    out = []
    for i in range(n):
        phi = sp.Integer(0)
        others = [j for j in range(n) if j != i]
        for r in range(n):
            w = sp.Rational(math.factorial(r) * math.factorial(n - r - 1), math.factorial(n))
            for S in itertools.combinations(others, r):
                phi += w * (value[frozenset(S) | {i}] - value[frozenset(S)])
        out.append(sp.simplify(phi))
    return tuple(out)


def cost_share(F, x, baseline) -> tuple[sp.Expr, ...]:
    """A_i(x, x', F) = F(x') - F(x) for every i (Lundstrom, Huang & Razaviyayn (2022),
    App. E.2): linear and affine-scale invariant, never a cost share.

    >>> from proofs import Function
    >>> cost_share(Function("x1*x2"), (1, 1), (0, 0))
    (-1, -1)
    """
    d = _at(F, baseline) - _at(F, x)
    return tuple(d for _ in x)
