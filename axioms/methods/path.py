"""Path methods, exactly: IG, any polyline or :class:`proofs.Path`, finite path ensembles
(Shapley-Shubik as the average of the n! axis-parallel paths), the non-monotone path of
Xu, Venugopalan & Sundararajan (2020) as Lundstrom, Huang & Razaviyayn (2022), App. E.1 use
it, and distributional IG (expected gradients over a finite baseline distribution).

All integrate with the symbolic engine of :mod:`proofs` (symbolic endpoints too, for smooth
entire F).

>>> from proofs import Function
>>> integrated_gradients(Function("x1*x2**2"), (1, 1), (0, 0))
(1/3, 2/3)
>>> xu_path(Function("x1*x2**2"), (1, 1), (0, 0))
(-2/3, 5/3)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import sympy as sp

from axioms.contract import BASELINE, Method
from proofs.errors import UnsupportedFunctionError

__all__ = ["distributional_ig", "ensemble_method", "integrated_gradients", "path_method",
           "polyline_attribution", "shapley_shubik", "xu_path"]


def _dedupe(points: Sequence[Sequence[sp.Expr]]) -> list[tuple]:
    out: list[tuple] = []
    for p in points:
        p = tuple(p)
        if not out or any(sp.simplify(a - b) != 0 for a, b in zip(p, out[-1], strict=True)):
            out.append(p)
    return out


def polyline_attribution(F, waypoints: Sequence[Sequence]) -> tuple[sp.Expr, ...]:
    """The path method of the polyline through ``waypoints`` (baseline first, input last).

    >>> from proofs import Function
    >>> polyline_attribution(Function("x1*x2"), [(0, 0), (1, 0), (1, 1)])
    (0, 1)
    """
    import proofs

    pts = _dedupe(waypoints)
    if len(pts) == 1:
        return tuple(sp.Integer(0) for _ in F.variables)
    path = proofs.straight(pts[0], pts[1]) if len(pts) == 2 else proofs.polyline(pts)
    return tuple(proofs.attribute(F, path, engine="symbolic").values)


def integrated_gradients(F, x, baseline) -> tuple[sp.Expr, ...]:
    """IG: the straight path from the baseline to x (Sundararajan, Taly & Yan (2017)).

    >>> from proofs import Function
    >>> integrated_gradients(Function("relu(x1 - 1/2)"), (1,), (0,))
    (1/2,)
    """
    return polyline_attribution(F, [baseline, x])


def path_method(waypoints: Callable, name: str = "path", description: str = "",
                theorems: dict | None = None) -> Method:
    """A path method from ``waypoints(x, baseline) -> [baseline, ..., x]`` (a polyline) or
    from ``path(x, baseline) -> proofs.Path`` (any path; integrated by the engine).

    >>> from proofs import Function
    >>> m = path_method(lambda x, b: [b, (x[0], b[1]), x], "x1 first")
    >>> m(Function("x1*x2"), (1, 1), (0, 0))
    (0, 1)
    """
    import proofs

    def method(F, x, baseline):
        route = waypoints(tuple(x), tuple(baseline))
        if hasattr(route, "segments"):
            return tuple(proofs.attribute(F, route, engine="symbolic").values)
        return polyline_attribution(F, route)

    return Method(name, method, BASELINE, description, dict(theorems or {}))


def ensemble_method(members: Sequence[tuple[object, Callable]], name: str = "ensemble",
                    description: str = "", theorems: dict | None = None) -> Method:
    """A finite path ensemble sum_k w_k A^{gamma_k}: ``members`` are (weight, waypoints)
    pairs, weights positive and summing to 1.

    >>> from proofs import Function
    >>> m = ensemble_method([(sp.Rational(1, 2), lambda x, b: [b, (x[0], b[1]), x]),
    ...                      (sp.Rational(1, 2), lambda x, b: [b, (b[0], x[1]), x])])
    >>> m(Function("x1*x2"), (1, 1), (0, 0))
    (1/2, 1/2)
    """
    weights = [sp.Rational(w) if not isinstance(w, sp.Basic) else w for w, _ in members]
    if any(w <= 0 for w in weights) or sp.simplify(sum(weights) - 1) != 0:
        raise UnsupportedFunctionError("ensemble weights must be positive and sum to 1")
    paths = [path_method(p) for _, p in members]

    def method(F, x, baseline):
        total = [sp.Integer(0)] * len(x)
        for w, m in zip(weights, paths, strict=True):
            vals = m.func(F, x, baseline)
            total = [t + w * v for t, v in zip(total, vals, strict=True)]
        return tuple(sp.expand(t) for t in total)

    return Method(name, method, BASELINE, description, dict(theorems or {}))


def _xu_reference(n: int) -> list[tuple]:
    # Coordinates 1 and 2 go round the unit square (0,0) -> (1,0) -> (1,1) -> (0,1) -> (0,0)
    # with the others at 0, then every coordinate goes straight from 0 to 1.
    if n < 2:
        return [(0,) * n, (1,) * n]
    rest = (0,) * (n - 2)
    square = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    return [tuple(p) + rest for p in square] + [(1,) * n]


def xu_waypoints(x, baseline) -> list[tuple]:
    """T(reference path) with T(y) = x' + (x - x') y: from the baseline to x.

    >>> xu_waypoints((2, 2), (0, 0))
    [(0, 0), (2, 0), (2, 2), (0, 2), (0, 0), (2, 2)]
    """
    return [tuple(b + (xi - b) * r for xi, b, r in zip(x, baseline, ref, strict=True))
            for ref in _xu_reference(len(x))]


def xu_path(F, x, baseline) -> tuple[sp.Expr, ...]:
    """The non-monotone path method of Lundstrom, Huang & Razaviyayn (2022), App. E.1.

    >>> from proofs import Function
    >>> xu_path(Function("x1*x2"), (1, 1), (0, 0))
    (-1/2, 3/2)
    """
    return polyline_attribution(F, xu_waypoints(x, baseline))


def _axis_waypoints(order, x, baseline):
    cur = list(baseline)
    pts = [tuple(cur)]
    for i in order:
        cur[i] = x[i]
        pts.append(tuple(cur))
    return pts


def shapley_shubik(F, x, baseline) -> tuple[sp.Expr, ...]:
    """The average of the path methods of the n! axis-parallel paths (Friedman (2004)).

    >>> from proofs import Function
    >>> shapley_shubik(Function("x1*x2**2"), (1, 1), (0, 0))
    (1/2, 1/2)
    """
    n = len(x)
    orders = list(itertools.permutations(range(n)))
    total = [sp.Integer(0)] * n
    for order in orders:
        vals = polyline_attribution(F, _axis_waypoints(order, x, baseline))
        total = [t + v for t, v in zip(total, vals, strict=True)]
    return tuple(sp.expand(t / len(orders)) for t in total)


def distributional_ig(F, x, D) -> tuple[sp.Expr, ...]:
    """Expected gradients E_{X'~D} IG(x, X', F) for a finite D of (baseline, weight) pairs
    (Lundstrom, Huang & Razaviyayn (2022), sec. 5; Erion et al. (2021)).

    >>> from proofs import Function
    >>> distributional_ig(Function("x1*x2"), (2, 2), (((0, 0), 1),))
    (2, 2)
    """
    total = [sp.Integer(0)] * len(x)
    for point, weight in D:
        vals = integrated_gradients(F, x, point)
        total = [t + weight * v for t, v in zip(total, vals, strict=True)]
    return tuple(sp.expand(t) for t in total)


distributional_ig.kind = "distributional"
