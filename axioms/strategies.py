"""Public hypothesis strategies for attribution problems (reuse them in your own tests).

Everything is exact: numbers are sympy Rationals with small numerators and denominators,
functions are :class:`proofs.Function` objects built from sympy expressions (never from
strings), so a failing example shrinks to a few symbols.

>>> from hypothesis import given
>>> from axioms.strategies import functions, points
>>> @given(functions(2), points(2), points(2))
... def test_my_method_is_complete(F, x, baseline): ...

:func:`axioms.cases` (in :mod:`axioms.registry`) draws whole instances of an axiom's
hypothesis; pass them, with your method in any form of :mod:`axioms.contract`, to
:func:`axioms.pytest_helper.assert_case`.
"""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

__all__ = [
    "affine_maps",
    "analytic_functions",
    "distributions",
    "dummy_functions",
    "equivalent_pairs",
    "exchangeable_distributions",
    "functions",
    "monotone_functions",
    "monotone_problems",
    "points",
    "polylines",
    "polynomials",
    "rationals",
    "relu_networks",
    "symbols",
    "symmetric_functions",
]


def symbols(n: int) -> tuple[sp.Symbol, ...]:
    """The variables x1..xn (real), as :class:`proofs.Function` names them."""
    return tuple(sp.Symbol(f"x{i}", real=True) for i in range(1, n + 1))


def _function(expr: sp.Expr, n: int):
    from proofs import Function, as_expression

    return Function(as_expression(expr), variables=symbols(n))


def rationals(bound: int = 3, denominators: tuple[int, ...] = (1, 2, 3), nonzero: bool = False
              ) -> st.SearchStrategy[sp.Rational]:
    """Small exact rationals p/q with |p| <= bound*q (shrink towards 0, then 1)."""
    lo = 1 if nonzero else 0

    def build(mag, sign, q):
        return sp.Rational(sign * mag, q)

    return st.builds(build, st.integers(lo, bound * max(denominators)),
                     st.sampled_from((1, -1)), st.sampled_from(denominators)).filter(
        lambda r: abs(r) <= bound)


def points(n: int, bound: int = 2, denominators: tuple[int, ...] = (1, 2)
           ) -> st.SearchStrategy[tuple[sp.Rational, ...]]:
    """Points of R^n with small rational coordinates."""
    return st.tuples(*[rationals(bound, denominators) for _ in range(n)])


def _coefficients() -> st.SearchStrategy[sp.Rational]:
    return rationals(3, (1, 2), nonzero=True)


@st.composite
def _monomial(draw, xs: tuple[sp.Symbol, ...], max_degree: int) -> sp.Expr:
    expr = sp.Integer(1)
    budget = max_degree
    for v in xs:
        e = draw(st.integers(0, budget))
        budget -= e
        expr *= v**e
    return expr


def polynomials(n: int, max_degree: int = 3, max_terms: int = 3):
    """Polynomials in x1..xn with small rational coefficients (as proofs Functions)."""
    xs = symbols(n)

    @st.composite
    def build(draw):
        terms = draw(st.lists(st.tuples(_coefficients(), _monomial(xs, max_degree)),
                              min_size=1, max_size=max_terms))
        return _function(sp.Add(*[c * m for c, m in terms]), n)

    return build()


def _relu_expr(layers, xs):
    from axioms.methods import network_expression

    return network_expression(layers, xs)


def _layer(draw, fan_in: int, width: int, act: str):
    W = [[draw(rationals(2, (1, 2))) for _ in range(fan_in)] for _ in range(width)]
    b = [draw(rationals(2, (1, 2))) for _ in range(width)]
    return (W, b, act)


def relu_networks(n: int, max_width: int = 2, max_depth: int = 2, layers: bool = False):
    """ReLU networks with small rational weights: x -> relu layers -> one linear output.

    With ``layers=True`` the strategy gives the list of ``(W, b, activation)`` triples (as
    :func:`axioms.methods.deeplift_rescale` takes them); otherwise a proofs Function whose
    expression is the network (so its kinks are the units). Includes ``1 - relu(1 - x)``.
    """

    @st.composite
    def build(draw):
        depth = draw(st.integers(1, max_depth))
        fan_in = n
        net = []
        for _ in range(depth):
            width = draw(st.integers(1, max_width))
            net.append(_layer(draw, fan_in, width, "relu"))
            fan_in = width
        net.append(_layer(draw, fan_in, 1, "identity"))
        if layers:
            return net
        return _function(_relu_expr(net, symbols(n)), n)

    return build()


def analytic_functions(n: int):
    """c * exp(a.x) + polynomial-free analytic pieces: exp, sin of small linear forms."""
    xs = symbols(n)

    @st.composite
    def build(draw):
        coeffs = [draw(rationals(1, (1, 2))) for _ in xs]
        lin = sp.Add(*[c * v for c, v in zip(coeffs, xs, strict=True)])
        head = draw(st.sampled_from((sp.exp, sp.sin)))
        c = draw(_coefficients())
        extra = draw(st.sampled_from((0, 1))) * xs[0]
        return _function(c * head(lin) + extra, n)

    return build()


def functions(n: int, kinds: tuple[str, ...] = ("polynomial", "network", "analytic")):
    """Functions of the supported class: polynomials, ReLU networks, analytic functions."""
    table = {"polynomial": lambda: polynomials(n, 3, 3),
             "network": lambda: relu_networks(n),
             "analytic": lambda: analytic_functions(n)}
    return st.one_of(*[table[k]() for k in kinds])


def symmetric_functions(n: int, i: int = 0, j: int = 1, base=None):
    """G(x) + G(x*) with x* the swap of coordinates i and j: symmetric in (x_i, x_j)."""
    xs = symbols(n)
    base = functions(n) if base is None else base

    def symmetrize(G):
        swap = {xs[i]: xs[j], xs[j]: xs[i]}
        return _function(G.expr + G.expr.xreplace(swap), n)

    return base.map(symmetrize)


def dummy_functions(n: int, i: int, base=None):
    """Functions of x1..xn that do not depend on x_i (a function of the others, embedded)."""
    if n < 2:
        return st.just(_function(sp.Integer(0), n))
    small = symbols(n - 1)
    big = symbols(n)
    others = [v for k, v in enumerate(big) if k != i]
    base = functions(n - 1) if base is None else base
    return base.map(lambda G: _function(
        G.expr.xreplace(dict(zip(small, others, strict=True))), n))


def affine_maps(n: int):
    """(scale, shift) of T(y)_i = scale_i y_i + shift_i, scales nonzero."""
    return st.tuples(st.tuples(*[rationals(2, (1, 2), nonzero=True) for _ in range(n)]),
                     st.tuples(*[rationals(2, (1, 2)) for _ in range(n)]))


def distributions(n: int, max_size: int = 3):
    """Finite baseline distributions: ((point, weight), ...) with weights summing to 1."""

    @st.composite
    def build(draw):
        pts = draw(st.lists(points(n), min_size=1, max_size=max_size, unique=True))
        raw = [draw(st.integers(1, 3)) for _ in pts]
        total = sum(raw)
        return tuple((p, sp.Rational(r, total)) for p, r in zip(pts, raw, strict=True))

    return build()


def exchangeable_distributions(n: int, i: int = 0, j: int = 1, max_size: int = 2):
    """Finite distributions invariant under swapping coordinates i and j (X'_i, X'_j
    exchangeable): each drawn point and its swap, with equal weights."""

    @st.composite
    def build(draw):
        pts = draw(st.lists(points(n), min_size=1, max_size=max_size, unique=True))
        weights: dict[tuple, sp.Rational] = {}
        for p in pts:
            q = list(p)
            q[i], q[j] = q[j], q[i]
            for r in (tuple(p), tuple(q)):
                weights[r] = weights.get(r, 0) + sp.Rational(1, 2 * len(pts))
        return tuple(weights.items())

    return build()


@st.composite
def _monotone_poly(draw, us):
    """A polynomial with nonnegative coefficients: non-decreasing in each u on u >= 0."""
    terms = draw(st.lists(st.tuples(rationals(2, (1, 2), nonzero=True).map(abs),
                                    _monomial(us, 3)), min_size=1, max_size=3))
    return sp.Add(*[c * m for c, m in terms])


def monotone_problems(n: int):
    """(F, x, baseline) with F non-decreasing from the baseline to x (Lundstrom, Huang &
    Razaviyayn (2022), sec. 4, Def. 6).

    F(y) = P(u) with u_i = (y_i - x'_i)/(x_i - x'_i) (u_i = y_i - x_i + 1 where x_i = x'_i)
    and P a polynomial with nonnegative coefficients, or a sum of nonnegative multiples of
    relu(w.u + b) with w >= 0: either is non-decreasing in every u_i on the box u in [0, 1]^n,
    so F(gamma(t)) is non-decreasing along every monotone path from x' to x. Includes
    x1*x2**2 at x = (1, 1), x' = 0 (their App. E.1).
    """
    xs = symbols(n)

    @st.composite
    def build(draw):
        baseline = draw(points(n))
        x = draw(points(n))
        # u_i = 1 on the whole box where x_i = x'_i (the coordinate does not move)
        us = tuple((v - b) / (xi - b) if xi != b else v - xi + 1
                   for v, xi, b in zip(xs, x, baseline, strict=True))
        if draw(st.booleans()):
            k = draw(st.integers(1, 2))
            expr = sp.Integer(0)
            for _ in range(k):
                w = [abs(draw(rationals(2, (1, 2)))) for _ in us]
                b = draw(rationals(1, (1, 2)))
                a = abs(draw(rationals(2, (1, 2), nonzero=True)))
                expr += a * sp.Max(0, sp.Add(*[wi * ui for wi, ui in zip(w, us, strict=True)]) + b)
        else:
            dummies = sp.symbols(f"u1:{n + 1}")
            expr = draw(_monotone_poly(dummies)).xreplace(dict(zip(dummies, us, strict=True)))
        return _function(sp.expand(expr) if expr.is_polynomial(*xs) else expr, n), x, baseline

    return build()


def monotone_functions(n: int, signs: tuple[int, ...] | None = None):
    """Functions non-decreasing in every coordinate of s*y on all of R^n (s the signs):
    nonnegative combinations of relu(s.w y + b) (w >= 0), s_i y_i and products
    relu(s_i y_i - c) * relu(s_j y_j - d)**2."""
    xs = symbols(n)
    s = signs or (1,) * n

    @st.composite
    def build(draw):
        ys = [si * v for si, v in zip(s, xs, strict=True)]
        parts = []
        for _ in range(draw(st.integers(1, 2))):
            kind = draw(st.integers(0, 2))
            a = abs(draw(rationals(2, (1, 2), nonzero=True)))
            if kind == 0:
                w = [abs(draw(rationals(2, (1, 2)))) for _ in ys]
                parts.append(a * sp.Max(0, sp.Add(*[wi * y for wi, y in zip(w, ys, strict=True)])
                                        + draw(rationals(1, (1, 2)))))
            elif kind == 1:
                parts.append(a * ys[draw(st.integers(0, n - 1))])
            else:
                i = draw(st.integers(0, n - 1))
                j = draw(st.integers(0, n - 1))
                parts.append(a * sp.Max(0, ys[i] - draw(rationals(1, (1, 2))))
                             * sp.Max(0, ys[j] - draw(rationals(1, (1, 2))))**2)
        return _function(sp.Add(*parts), n)

    return build()


def equivalent_pairs(n: int):
    """Pairs (F, G) of different implementations of one function.

    * relu(relu(u) - c - v) and relu(relu(u - c) - v) with u = a.x + p, v = relu(b.x + q),
      c > 0 (the construction of the two networks of Sundararajan et al. 2017, sec. 2.1:
      both vanish unless u > c, where both equal u - c - v);
    * a product of two polynomials and its expansion.
    """
    xs = symbols(n)

    @st.composite
    def networks(draw):
        a = [draw(rationals(2, (1, 2))) for _ in xs]
        b = [draw(rationals(2, (1, 2))) for _ in xs]
        p, q = draw(rationals(1, (1, 2))), draw(rationals(1, (1, 2)))
        c = abs(draw(rationals(2, (1, 2), nonzero=True)))
        u = sp.Add(*[ai * v for ai, v in zip(a, xs, strict=True)]) + p
        w = sp.Max(0, sp.Add(*[bi * v for bi, v in zip(b, xs, strict=True)]) + q)
        f = sp.Max(0, sp.Max(0, u) - c - w)
        g = sp.Max(0, sp.Max(0, u - c) - w)
        return _function(f, n), _function(g, n)

    @st.composite
    def products(draw):
        P = draw(polynomials(n, 2, 2)).expr
        Q = draw(polynomials(n, 1, 2)).expr
        if P.is_number or Q.is_number:
            prod = P * Q
        else:
            prod = sp.Mul(P, Q, evaluate=False)
        return _function(prod, n), _function(sp.expand(P * Q), n)

    return st.one_of(networks(), products())


def polylines(start, end, max_waypoints: int = 2):
    """Polylines from ``start`` to ``end`` through a few small rational waypoints."""
    n = len(start)
    return st.lists(points(n), max_size=max_waypoints).map(
        lambda mids: [tuple(start), *[tuple(m) for m in mids], tuple(end)])
