"""Breakpoints: where a switching function changes sign along a piece of a path.

A breakpoint is a parameter value where the active branch of a max, min or abs
changes. For a switching function that is a polynomial in the path parameter
with rational coefficients, the sign changes are found exactly (square-free
factorisation, then rational roots, radicals for quadratics and ``CRootOf``
for the rest). For anything else they are isolated by interval arithmetic:
an interval on which the enclosure of g excludes 0 has no breakpoint, one on
which the enclosure of g' excludes 0 has at most one, and that one is
bracketed by a certified sign change and bisected to the requested precision.

>>> import sympy as sp
>>> u = sp.Symbol("u")
>>> [r.value for r in sign_changes(3*u**2 - 1, u, 0, 1)]
[sqrt(3)/3]
>>> r, = sign_changes(sp.exp(u) - 2, u, 0, 1, dps=20)
>>> r.value, r.exact
(log(2), True)
>>> r, = sign_changes(sp.cos(3*u) - u, u, 0, 1, dps=20)
>>> r.exact, abs(sp.cos(3*r.value) - r.value) < 1e-20
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from .errors import IntegrationError
from .evaluate import compile_expression
from .precision import BRACKET_EXTRA, COMPARE_DIGITS, GUARD, bracket_width, precision, working

MAX_BOXES = 20_000


@dataclass(frozen=True)
class Root:
    """A sign change of a switching function: its value and how it was established."""

    value: sp.Expr
    exact: bool
    how: str
    bracket: tuple | None = None


_precision = precision  # the name other modules import from here


def to_mpf(value: sp.Expr | int, dps: int) -> mpmath.mpf:
    """A sympy real number as an mpmath float with ``dps`` digits."""
    value = sp.S(value)
    if value.is_Rational:
        with _precision(dps):
            return mpmath.mpf(int(value.p)) / int(value.q)
    approx = sp.Float(value.evalf(dps + 5), dps + 5)
    return mpmath.mpf(approx._mpf_)


def as_rational_poly(g: sp.Expr, u: sp.Symbol) -> sp.Poly | None:
    """``g`` as a polynomial in ``u`` over the rationals, or None."""
    try:
        p = sp.Poly(g, u)
    except (sp.PolynomialError, sp.GeneratorsNeeded, sp.CoercionFailed):
        return None
    if p.domain.is_ZZ or p.domain.is_QQ:
        return p
    return None


def _inside(r: sp.Expr, lo: sp.Expr, hi: sp.Expr) -> bool:
    for a, b in ((lo, r), (r, hi)):
        if a.is_Rational and b.is_Rational:
            if not a < b:
                return False
            continue
        diff = sp.N(b - a, COMPARE_DIGITS)
        if abs(diff) > sp.Float(10) ** -(COMPARE_DIGITS - 10):
            if diff < 0:
                return False
            continue
        if sp.simplify(b - a) == 0:
            return False
        if not bool(b > a):
            return False
    return True


def _exact_roots(p: sp.Poly, lo: sp.Expr, hi: sp.Expr) -> list[Root]:
    roots: list[Root] = []
    if p.degree() <= 0:
        return roots
    if p.degree() == 1:
        c1, c0 = p.all_coeffs()
        r = -c0 / c1
        return [Root(r, True, "rational root")] if _inside(r, lo, hi) else []
    _, factors = p.sqf_list()
    for factor, multiplicity in factors:
        if multiplicity % 2 == 0:
            continue  # touches zero without changing sign: no branch change
        for q, _ in factor.factor_list()[1]:
            if q.degree() == 1:
                c1, c0 = q.all_coeffs()
                candidates = [(-c0 / c1, "rational root")]
            elif q.degree() == 2:
                candidates = [(r, "quadratic root") for r in sp.roots(q, filter="R")]
            else:
                candidates = [(r, f"algebraic root of {q.as_expr()}") for r in q.real_roots()]
            for r, how in candidates:
                if _inside(r, lo, hi):
                    roots.append(Root(r, True, how))
    roots.sort(key=lambda r: sp.N(r.value, COMPARE_DIGITS))
    return roots


def _exact(x: mpmath.mpf) -> sp.Rational:
    """An mpmath float as the exact rational it is."""
    man, exp = mpmath.mpf(x).man_exp
    return sp.Integer(int(man)) * sp.Rational(2) ** int(exp)


def _numeric_roots(g: sp.Expr, u: sp.Symbol, lo: sp.Expr, hi: sp.Expr, dps: int) -> list[Root]:
    work = working(dps) + BRACKET_EXTRA
    with _precision(work):
        g_iv = compile_expression(g, [u], mpmath.iv)
        dg_iv = compile_expression(sp.diff(g, u), [u], mpmath.iv)
        a0, b0 = to_mpf(lo, work), to_mpf(hi, work)
        tol = to_mpf(bracket_width(dps), work)

        def sign_at(x: mpmath.mpf) -> int:
            value = g_iv([mpmath.iv.mpf(x)])
            if value.a > 0:
                return 1
            if value.b < 0:
                return -1
            return 0

        def bisect(a: mpmath.mpf, b: mpmath.mpf, sa: int) -> Root:
            mid = None
            while b - a > tol:
                m = (a + b) / 2
                sm = sign_at(m)
                if sm == 0:
                    mid = m
                    break
                if sm == sa:
                    a = m
                else:
                    b = m
            if mid is None:
                mid = (a + b) / 2
            digits = dps + BRACKET_EXTRA + GUARD // 2
            value = sp.Float(mpmath.nstr(mid, digits, strip_zeros=False), digits)
            return Root(value, False,
                        f"certified sign change, bracket width < 1e-{dps + BRACKET_EXTRA} "
                        "(interval arithmetic)", (_exact(a), _exact(b)))

        roots: list[Root] = []
        stack = [(a0, b0)]
        boxes = 0
        while stack:
            a, b = stack.pop()
            boxes += 1
            if boxes > MAX_BOXES:
                raise IntegrationError(
                    f"could not isolate the zeros of {g} on [{lo}, {hi}]",
                    "the switching function oscillates too fast; simplify it or split the path")
            box = mpmath.iv.mpf([a, b])
            try:
                enclosure = g_iv([box])
            except (ZeroDivisionError, ValueError):
                enclosure = mpmath.iv.mpf([-mpmath.inf, mpmath.inf])
            if enclosure.a > 0 or enclosure.b < 0:
                continue
            sa, sb = sign_at(a), sign_at(b)
            try:
                slope = dg_iv([box])
                monotone = slope.a > 0 or slope.b < 0
            except (ZeroDivisionError, ValueError):
                monotone = False
            if monotone and sa != 0 and sb != 0:
                if sa != sb:
                    roots.append(bisect(a, b, sa))
                continue
            if b - a < tol:
                if sa * sb < 0:
                    roots.append(bisect(a, b, sa))
                continue
            m = (a + b) / 2
            stack.append((m, b))
            stack.append((a, m))
        roots.sort(key=lambda r: r.value)
        # a root found twice at a split point is one root
        unique: list[Root] = []
        for r in roots:
            if not unique or abs(r.value - unique[-1].value) > sp.Float(10) ** (-dps):
                if _inside(r.value, lo, hi):
                    unique.append(r)
        return unique


def sign_changes(g: sp.Expr, u: sp.Symbol, lo: sp.Expr | int, hi: sp.Expr | int,
                 dps: int = 50) -> list[Root]:
    """The points strictly inside (lo, hi) where ``g(u)`` changes sign, in order.

    Touching zeros (even multiplicity) are not sign changes and are skipped:
    the active branch is the same on both sides.
    """
    lo, hi = sp.S(lo), sp.S(hi)
    p = as_rational_poly(g, u)
    if p is not None:
        return _exact_roots(p, lo, hi)
    if identically_zero(g, u, lo, hi, dps):
        return []
    return _exact_where_possible(g, u, lo, hi, dps, _numeric_roots(g, u, lo, hi, dps))


EXACT_OPS = 25


def _exact_where_possible(g: sp.Expr, u: sp.Symbol, lo: sp.Expr, hi: sp.Expr, dps: int,
                          found: list[Root]) -> list[Root]:
    """Replace certified numeric roots by sympy's exact ones (log 2, pi/10, ...) when
    ``solveset`` finds a finite set that matches them one to one to ``dps`` digits.

    The interval isolation stays the certificate that no sign change was missed; the
    exact values only name the roots it found.
    """
    if not found or sp.count_ops(g) > EXACT_OPS:
        return found
    try:
        solutions = sp.solveset(g, u, sp.Interval(lo, hi))
    except (NotImplementedError, ValueError, TypeError):
        return found
    if not isinstance(solutions, sp.FiniteSet):
        return found
    exact = [c for c in solutions if c.is_real and not c.free_symbols]
    tol = sp.Float(10) ** (-dps)
    named = []
    for root in found:
        matches = [c for c in exact if abs(sp.N(c - root.value, working(dps))) < tol]
        if len(matches) != 1:
            return found
        named.append(Root(matches[0], True, "exact root (sympy solveset), confirmed by the "
                                            "interval isolation"))
    return named


def identically_zero(g: sp.Expr, u: sp.Symbol, lo: sp.Expr, hi: sp.Expr, dps: int = 50) -> bool:
    """Whether the analytic ``g`` vanishes on all of [lo, hi] (so everywhere)."""
    p = as_rational_poly(g, u)
    if p is not None:
        return p.is_zero
    if not g.has(u):
        return sp.simplify(g) == 0 if not g.is_number else (
            g.is_zero if g.is_zero is not None else abs(sp.N(g, dps)) < sp.Float(10) ** -dps)
    work = working(dps)
    with _precision(work):
        f = compile_expression(g, [u], mpmath.mp)
        a, b = to_mpf(lo, work), to_mpf(hi, work)
        small = mpmath.mpf(10) ** (-(dps // 2))
        for frac in ("0.1234567", "0.5", "0.8765432"):
            try:
                value = f([a + (b - a) * mpmath.mpf(frac)])
            except (ZeroDivisionError, ValueError):
                return False
            if abs(value) > small:
                return False
    return True
