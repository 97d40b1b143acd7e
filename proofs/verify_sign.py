"""Whole-piece sign proofs for the certificate verifier: a branch difference d(u) is >= 0 on a
whole open piece (u0, u1), whatever its ends are (rational, algebraic, transcendental).

- d a polynomial with rational coefficients: exact real-root isolation (sympy's square-free
  decomposition and Sturm counts with rational bounds): no root of odd multiplicity strictly
  inside, and d > 0 at a rational point inside;
- otherwise: certified interval arithmetic with subdivision (:mod:`proofs.verify_numbers`),
  and at an end where d vanishes, the first derivative of d that does not (decided exactly)
  with its sign held on a neighbourhood (Taylor's theorem with the remainder's derivative
  enclosed).

A value at one witness point is never enough: d = -(u - 1/2)**2 is 0 at u = 1/2 and negative
everywhere else.

>>> import sympy as sp
>>> from proofs.verify_numbers import Numbers
>>> u = sp.Symbol("u", real=True)
>>> signs = Signs(u, Numbers())
>>> signs.order(-(u - sp.Rational(1, 2))**2, End(0), End(1))
Traceback (most recent call last):
...
proofs.verify_sign.SignFailure: is negative at u = 1/64
>>> signs.order(sp.sin(10*u) - sp.Rational(9, 10), End(sp.asin(sp.Rational(9, 10))/10),
...             End(sp.pi/10 - sp.asin(sp.Rational(9, 10))/10))
'positive'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy as sp

from .errors import LimitError
from .verify_numbers import Numbers, formally_zero

MAX_BOXES = 3000
"""Interval evaluations allowed for one analytic sign proof."""

MAX_FACTOR_OPS = 400
"""Largest difference factored where interval arithmetic alone does not decide its sign."""

MAX_ORDER = 4
"""Highest derivative looked at where a difference vanishes at a piece's end."""


class SignFailure(Exception):
    """The difference is shown negative somewhere inside the piece (the message says where)."""


@dataclass(frozen=True)
class End:
    """A piece's end: an exact number, or for a numerically certified breakpoint the
    rational bracket around it (the piece is then only claimed beyond the bracket)."""

    value: Any
    bracket: tuple[sp.Rational, sp.Rational] | None = None


class Signs:
    """Sign proofs in the variable ``u``, with a cache of polynomial root isolations."""

    def __init__(self, u: sp.Symbol, numbers: Numbers) -> None:
        self.u, self.numbers = u, numbers
        self._polys: dict[sp.Expr, Any] = {}

    def order(self, d: sp.Expr, lo: End, hi: End) -> str:
        """'tie' if d is identically 0, 'positive' if d >= 0 on the open piece and not
        identically 0; SignFailure where d < 0 inside, LimitError where undecided."""
        poly = self._poly(d)
        if poly is not None:
            return self._poly_order(poly, lo, hi)
        if formally_zero(d, self.numbers.algebraic):
            return "tie"
        try:
            return self._analytic_order(d, lo, hi)
        except LimitError:
            # a tangency inside (d = (u - 1/2)**2 exp(u)): the sign of each factor
            if sp.count_ops(d) > MAX_FACTOR_OPS:
                raise
            factored = sp.factor(d)
            if not factored.is_Mul:
                raise
            total = 1
            for factor in factored.args:
                base, power = factor.as_base_exp()
                if power.is_Integer and power % 2 == 0:
                    continue
                if power.is_Integer and power > 0:
                    factor = base
                total *= self._constant_sign(factor, lo, hi)
            if total < 0:
                raise SignFailure("is negative inside (by its factors)") from None
            return "positive"

    def _constant_sign(self, f: sp.Expr, lo: End, hi: End) -> int:
        """+1 or -1: the sign f keeps on the whole piece (LimitError where not shown)."""
        if not f.free_symbols:
            return self.numbers.sign(f)
        for sign in (1, -1):
            try:
                if self.order(sign * f, lo, hi) == "positive":
                    return sign
            except SignFailure:
                continue
        raise LimitError(f"cannot show that {f} keeps its sign on the piece")

    # -- polynomials ----------------------------------------------------------------------
    def _poly(self, d: sp.Expr) -> Any:
        if d in self._polys:
            return self._polys[d]
        result = None
        if d.free_symbols <= {self.u}:
            try:
                poly = sp.Poly(d, self.u)
            except (sp.PolynomialError, sp.GeneratorsNeeded):
                poly = None
            if poly is not None and (poly.domain.is_ZZ or poly.domain.is_QQ):
                poly = poly.to_field() if poly.domain.is_ZZ else poly
                if poly.is_zero:
                    result = ("zero",)
                else:
                    odd = sp.Poly(1, self.u, domain="QQ")
                    for factor, multiplicity in poly.sqf_list()[1]:
                        if multiplicity % 2:
                            odd = odd * factor
                    roots = [interval for interval, _ in odd.intervals()] \
                        if odd.degree() >= 1 else []
                    result = (poly, odd, roots)
        self._polys[d] = result
        return result

    def _poly_order(self, entry: tuple, lo: End, hi: End) -> str:
        if entry[0] == "zero":
            return "tie"
        poly, odd, roots = entry
        a, b = self._region(lo, hi)
        if odd.degree() >= 1:
            inside = self._count_below(odd, roots, b, strict=True) - \
                self._count_below(odd, roots, a, strict=False)
            if inside > 0:
                raise SignFailure("changes sign inside")
        # no sign change inside: the sign at any rational inside where d is not 0
        for q in self._inner_rationals(a, b):
            value = poly.eval(q)
            if value > 0:
                return "positive"
            if value < 0:
                raise SignFailure(f"is negative at u = {q}")
        raise LimitError("no rational point inside the piece found")  # pragma: no cover

    def _region(self, lo: End, hi: End) -> tuple[Any, Any]:
        a = lo.value if lo.bracket is None else lo.bracket[1]
        b = hi.value if hi.bracket is None else hi.bracket[0]
        return sp.S(a), sp.S(b)

    def _count_below(self, f: sp.Poly, roots: list, x: Any, strict: bool) -> int:
        """Roots of the square-free f below x (strict) or at most x; ``roots`` are f's
        isolating intervals (refined in place where x falls inside one)."""
        if x.is_Rational:
            below = 0
            for n, (a, b) in enumerate(roots):
                while a < x < b:
                    if f.eval(x) == 0:
                        break
                    a, b = f.refine_root(a, b, eps=(b - a) / 64)
                    roots[n] = (a, b)
                if b < x or (a == b == x and not strict):
                    below += 1
                elif a < x < b or (a <= x <= b and f.eval(x) == 0):
                    below += 0 if strict else 1
                elif b == x and a < x:  # the root is x or below it: f(x) decides
                    below += 1 if f.eval(x) != 0 or not strict else 0
            return below
        root = None
        for prec in (64, 200, 800, 3200):
            lo, hi = self.numbers.rational_bounds(x, prec)
            inside = f.count_roots(lo, hi)
            if inside == 0:
                return self._count_below(f, roots, lo, strict=False)
            # x may be a root of f: then (exactly) f(x) = 0, and it is the one root in [lo, hi]
            if root is None:
                root = formally_zero(f.as_expr().xreplace({self.u: x}), self.numbers.algebraic)
            if root and inside == 1 and f.eval(lo) != 0 and f.eval(hi) != 0:
                below = self._count_below(f, roots, lo, strict=False)
                return below if strict else below + 1
        raise LimitError(f"cannot place u = {x} among the roots of {f.as_expr()}")

    def _inner_rationals(self, a: Any, b: Any) -> Any:
        """Distinct rationals strictly between a and b (simple ones first)."""
        for prec in (64, 200, 800, 3200):
            lo = self.numbers.rational_bounds(a, prec)[1]
            hi = self.numbers.rational_bounds(b, prec)[0]
            if lo < hi:
                break
        else:
            raise LimitError(f"cannot separate the ends {a} and {b} of a piece")
        yield _simple_between(lo, hi)
        step = (hi - lo) / 64
        for k in range(1, 64):
            yield lo + k * step

    # -- analytic differences ------------------------------------------------------------
    def _analytic_order(self, d: sp.Expr, lo: End, hi: End) -> str:
        numbers = self.numbers
        a, b = self._region(lo, hi)
        a_lo, a_hi = numbers.rational_bounds(a, 200)
        b_lo, b_hi = numbers.rational_bounds(b, 200)
        if not a_hi < b_lo:
            raise LimitError(f"cannot separate the ends {a} and {b} of a piece")
        left = self._end_neighbourhood(d, a, a_lo, a_hi, b_lo, +1)
        right = self._end_neighbourhood(d, b, b_lo, b_hi, a_hi, -1)
        if left >= right:
            return "positive"
        boxes = [(left, right)]
        used = 0
        while boxes:
            l, h = boxes.pop()
            used += 1
            if used > MAX_BOXES:
                raise LimitError(f"cannot show {d} >= 0 on the piece with {MAX_BOXES} "
                                 "interval boxes (a tangency inside?)")
            s = self._box_sign(d, l, h)
            if s > 0:
                continue
            if s < 0:
                raise SignFailure(f"is negative on u in [{sp.N(l, 12)}, {sp.N(h, 12)}]")
            m = (l + h) / 2
            boxes += [(l, m), (m, h)]
        return "positive"

    def _box_sign(self, d: sp.Expr, l: sp.Rational, h: sp.Rational) -> int:
        from .verify_numbers import _excludes_zero, _iv_rational, _Undecided

        prec = 96
        box = (_iv_rational(int(l.p), int(l.q), prec)[0], _iv_rational(int(h.p), int(h.q),
                                                                       prec)[1])
        try:
            return _excludes_zero(self.numbers.enclose(d, prec, {self.u: box}))
        except _Undecided:
            return 0

    def _end_neighbourhood(self, d: sp.Expr, e: Any, e_lo: sp.Rational, e_hi: sp.Rational,
                           other: sp.Rational, side: int) -> sp.Rational:
        """A rational point p between e and ``other`` with d > 0 on (e, p] (side +1: p > e)
        or [p, e) (side -1): the first derivative of d not 0 at e has the right sign there
        and keeps it from e to p."""
        u = self.u
        derivative, k = d, 0
        while (s := self.numbers.sign(derivative.xreplace({u: e}))) == 0:
            k += 1
            if k > MAX_ORDER:
                raise LimitError(f"{d} and its first {MAX_ORDER} derivatives vanish at "
                                 f"u = {e}")
            derivative = sp.diff(derivative, u)
        want = 1 if side > 0 else (-1) ** k
        if s != want:
            raise SignFailure(f"is negative just {'after' if side > 0 else 'before'} "
                              f"u = {e}")
        # d(e) > 0 but tiny (a bracket's end): d moving away from 0 inward is enough
        slope = sp.diff(d, u) if k == 0 else None
        if slope is not None and self.numbers.sign(slope.xreplace({u: e})) != side:
            slope = None
        reach = (other - e_hi) / 2 if side > 0 else (e_lo - other) / 2
        for _ in range(60):
            p = e_hi + reach if side > 0 else e_lo - reach
            lo, hi = (e_lo, p) if side > 0 else (p, e_hi)
            if self._box_sign(derivative, lo, hi) == want:
                return p
            if slope is not None and self._box_sign(slope, lo, hi) == side:
                return p
            reach /= 4
        raise LimitError(f"cannot bound {derivative} near u = {e}")


def _simple_between(lo: sp.Rational, hi: sp.Rational) -> sp.Rational:
    """A rational with a small (power of two) denominator strictly between lo < hi."""
    a, b = Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
    q = 1
    while True:
        n = math.floor(a * q) + 1
        if Fraction(n, q) < b:
            return sp.Rational(n, q)
        q *= 2
