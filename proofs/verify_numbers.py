"""Certified numbers for the certificate verifier: interval enclosures and the decisions taken
from them, within stated limits.

An exact real expression (rationals, pi, E, exp, log, sqrt, powers, sin, cos, tan, atan, asin,
acos, tanh, max, min, abs, and the certificate's algebraic numbers) is enclosed by mpmath's
interval arithmetic (``mpmath.libmp.libmpi``, precision passed per call: no global state)
at 96, then more bits. A sign is decided when the enclosure excludes 0; a zero is decided
only by bounded exact arithmetic (expansion, rational-function normal form, algebraic numbers
reduced by their minimal polynomials), never by ``simplify``. What neither decides within
the limits (precision, magnitude, size) raises :class:`LimitError`: the verifier then says so
in one line (exit status 2) instead of running for hours or guessing.

>>> import sympy as sp
>>> numbers = Numbers()
>>> numbers.sign(sp.pi - sp.Rational(355, 113)), numbers.sign(sp.exp(sp.log(2)) - 2)
(-1, 0)
>>> try:
...     numbers.sign(sp.sin(sp.exp(sp.exp(sp.exp(3)))))
... except LimitError as refused:
...     print(refused)
exp(exp(exp(3))): exp of a number above 10000 is beyond the verifier's limits
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import cmp_to_key
from typing import Any

import mpmath.libmp as L
import sympy as sp
from mpmath.libmp import libmpi as M

from .errors import CertificateError, LimitError
from .parse import MAX_EXP_ARGUMENT

PRECISIONS = (96, 400, 1600)
"""Bits of the successive interval evaluations before a sign is declared undecidable."""

MAX_EXP = MAX_EXP_ARGUMENT
"""Largest argument of exp the verifier evaluates (the parser's limit on numbers)."""

MAX_OPS = 4000
"""Largest expression (in operations) given to the exact normal forms."""


Interval = tuple[Any, Any]


def _short(expr: Any, length: int = 80) -> str:
    text = str(expr)
    return text if len(text) <= length else text[:length - 3] + "..."


def _iv_rational(p: int, q: int, prec: int) -> Interval:
    return (L.from_rational(p, q, prec, L.round_floor), L.from_rational(p, q, prec,
                                                                        L.round_ceiling))


def _excludes_zero(x: Interval) -> int:
    """+1 or -1 when the interval is on one side of 0, else 0."""
    if L.mpf_cmp(x[0], L.fzero) > 0:
        return 1
    if L.mpf_cmp(x[1], L.fzero) < 0:
        return -1
    return 0


def _bounded(x: Interval) -> bool:
    return all(v not in (L.finf, L.fninf, L.fnan) for v in x)


def _monotone(f: Callable, x: Interval, prec: int, increasing: bool = True) -> Interval:
    """An increasing (or decreasing) function on an interval, from its ends, evaluated with
    20 guard bits and widened outward by one unit at ``prec`` bits."""
    lo = f(x[0], prec + 20, L.round_floor)
    hi = f(x[1], prec + 20, L.round_ceiling)
    if not increasing:
        lo, hi = f(x[1], prec + 20, L.round_floor), f(x[0], prec + 20, L.round_ceiling)
    eps = L.mpf_shift(L.fone, -prec)
    widen = L.mpf_mul(L.mpf_add(L.mpf_abs(lo), L.mpf_abs(hi), prec), eps, prec, L.round_ceiling)
    widen = L.mpf_add(widen, L.mpf_shift(L.fone, -4 * prec), prec, L.round_ceiling)
    return (L.mpf_sub(lo, widen, prec, L.round_floor), L.mpf_add(hi, widen, prec,
                                                                 L.round_ceiling))


class Numbers:
    """Enclosures and decisions for exact expressions; ``algebraic`` maps a name to
    (square-free rational polynomial in it, isolating rational interval) of one real root."""

    def __init__(self, algebraic: dict[sp.Symbol, tuple[sp.Poly, sp.Rational, sp.Rational]]
                 | None = None) -> None:
        self.algebraic = dict(algebraic or {})
        self._refined: dict[tuple[sp.Symbol, int], tuple[sp.Rational, sp.Rational]] = {}
        self._narrowest: dict[sp.Symbol, tuple] = {}

    # -- enclosures ---------------------------------------------------------------------
    def root_bounds(self, name: sp.Symbol, prec: int) -> tuple[sp.Rational, sp.Rational]:
        """Rational bounds of an algebraic number, at most 2**-prec apart (exact bisection
        in Python fractions, continued from the narrowest bounds found so far)."""
        key = (name, prec)
        if key not in self._refined:
            poly, lo, hi = self._narrowest.get(name) or self.algebraic[name]
            coefficients = [Fraction(int(c.p), int(c.q)) for c in poly.all_coeffs()]

            def value(x: Fraction) -> Fraction:
                total = Fraction(0)
                for c in coefficients:
                    total = total * x + c
                return total

            a, b = Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
            positive = value(a) > 0
            width = Fraction(1, 2**prec)
            while b - a > width:
                mid = (a + b) / 2
                v = value(mid)
                if v == 0:
                    a = b = mid
                    break
                if (v > 0) == positive:
                    a = mid
                else:
                    b = mid
            low, high = sp.Rational(a.numerator, a.denominator), sp.Rational(b.numerator,
                                                                              b.denominator)
            self._narrowest[name] = (poly, low, high)
            self._refined[key] = (low, high)
        return self._refined[key]

    def enclose(self, expr: sp.Expr, prec: int, env: dict | None = None) -> Interval:
        """An interval holding the value of ``expr`` (its free symbols: algebraic names, or
        given intervals in ``env``)."""
        env = env or {}
        cache: dict = {}

        def go(e: sp.Expr) -> Interval:
            hit = cache.get(e)
            if hit is None:
                hit = cache[e] = self._node(e, prec, env, go)
            return hit

        return go(sp.S(expr))

    def _node(self, e: sp.Expr, prec: int, env: dict, go: Callable) -> Interval:
        if e.is_Rational:
            return _iv_rational(int(e.p), int(e.q), prec)
        if e.is_Symbol:
            if e in env:
                return env[e]
            if e in self.algebraic:
                lo, hi = self.root_bounds(e, prec + 4)
                return (_iv_rational(int(lo.p), int(lo.q), prec)[0],
                        _iv_rational(int(hi.p), int(hi.q), prec)[1])
            raise CertificateError(f"'{e}' is not a number here")
        if e is sp.pi:
            return M.mpi_pi(prec)
        if e is sp.E:
            return M.mpi_exp((L.fone, L.fone), prec)
        args = e.args
        if e.is_Add:
            total = go(args[0])
            for a in args[1:]:
                total = M.mpi_add(total, go(a), prec)
            return total
        if e.is_Mul:
            total = go(args[0])
            for a in args[1:]:
                total = M.mpi_mul(total, go(a), prec)
            return total
        if e.is_Pow:
            base, power = args
            if power.is_Integer:
                b = go(base)
                if power < 0 and not _excludes_zero(b):
                    raise _Undecided(f"cannot show {_short(base)} is not 0")
                if abs(power) > 10**4:
                    raise LimitError(f"{_short(e)}: the exponent is beyond the verifier's "
                                     "limits")
                return M.mpi_pow_int(b, int(power), prec)
            b = go(base)
            if _excludes_zero(b) <= 0:
                raise _Undecided(f"cannot show {_short(base)} is positive")
            if power == sp.Rational(1, 2):
                return M.mpi_sqrt(b, prec)
            return self._exp(M.mpi_mul(go(power), M.mpi_log(b, prec), prec), prec, e)
        if isinstance(e, sp.exp):
            return self._exp(go(args[0]), prec, e)
        if isinstance(e, sp.log):
            x = go(args[0])
            if _excludes_zero(x) <= 0:
                raise _Undecided(f"cannot show {_short(args[0])} is positive")
            return M.mpi_log(x, prec)
        if isinstance(e, (sp.sin, sp.cos, sp.tan)):
            x = go(args[0])
            size = max(v[2] + v[3] for v in x if v != L.fzero) if x != (L.fzero,) * 2 else 0
            if not _bounded(x) or size > prec // 2 or L.mpf_cmp(
                    L.mpf_sub(x[1], x[0], prec), L.from_int(6)) > 0:
                if isinstance(e, sp.tan):
                    raise _Undecided(f"cannot enclose {_short(e)}")
                return (L.from_int(-1), L.fone)
            c, s = M.mpi_cos_sin(x, prec)
            if isinstance(e, sp.sin):
                return s
            if isinstance(e, sp.cos):
                return c
            if not _excludes_zero(c):
                raise _Undecided(f"cannot show cos({_short(args[0])}) is not 0")
            return M.mpi_div(s, c, prec)
        if isinstance(e, sp.atan):
            return M.mpi_atan(go(args[0]), prec)
        if isinstance(e, (sp.asin, sp.acos)):
            x = go(args[0])
            if L.mpf_cmp(x[0], L.from_int(-1)) < 0 or L.mpf_cmp(x[1], L.fone) > 0:
                raise _Undecided(f"cannot show {_short(args[0])} is in [-1, 1]")
            if isinstance(e, sp.asin):
                return _monotone(L.mpf_asin, x, prec)
            return _monotone(L.mpf_acos, x, prec, increasing=False)
        if isinstance(e, sp.tanh):
            x = go(args[0])
            return _monotone(L.mpf_tanh, x, prec)
        if isinstance(e, (sp.Max, sp.Min)):
            parts = [go(a) for a in args]
            pick = max if isinstance(e, sp.Max) else min
            key = cmp_to_key(L.mpf_cmp)
            return (pick((p[0] for p in parts), key=key), pick((p[1] for p in parts), key=key))
        if isinstance(e, sp.Abs):
            return M.mpi_abs(go(args[0]), prec)
        raise CertificateError(f"the verifier cannot evaluate {_short(e)}")

    def _exp(self, x: Interval, prec: int, e: sp.Expr) -> Interval:
        if not _bounded(x) or L.mpf_cmp(x[1], L.from_int(MAX_EXP)) > 0:
            raise LimitError(f"{_short(e)}: exp of a number above {MAX_EXP} is beyond the "
                             "verifier's limits")
        if L.mpf_cmp(x[0], L.from_int(-MAX_EXP)) < 0:
            return (L.fzero, M.mpi_exp((x[1], x[1]), prec)[1])
        return M.mpi_exp(x, prec)

    # -- decisions ----------------------------------------------------------------------
    def sign_interval(self, expr: sp.Expr) -> int:
        """+1 / -1 where an enclosure decides, 0 where none at any precision does."""
        for prec in PRECISIONS:
            try:
                s = _excludes_zero(self.enclose(expr, prec))
            except _Undecided:
                continue
            if s:
                return s
        return 0

    def is_zero(self, expr: sp.Expr) -> bool:
        """Whether an exact number (or an expression in u: an identity) is 0: exact normal
        forms decide a zero, enclosures a non-zero; LimitError where neither does."""
        expr = sp.S(expr)
        if expr.is_Rational:
            return expr == 0
        if formally_zero(expr, self.algebraic):
            return True
        if expr.free_symbols - set(self.algebraic):
            return self._identity_is_zero(expr)
        if self.sign_interval(expr):
            return False
        raise LimitError(f"cannot decide whether {_short(expr)} is 0")

    def _identity_is_zero(self, expr: sp.Expr) -> bool:
        free = sorted(expr.free_symbols - set(self.algebraic), key=str)
        for point in (sp.Rational(1, 3), sp.Rational(5, 7), sp.Rational(-2, 9)):
            try:
                if self.sign_interval(expr.xreplace({s: point for s in free})):
                    return False
            except CertificateError:
                continue
        raise LimitError(f"cannot decide whether {_short(expr)} is identically 0")

    def sign(self, expr: sp.Expr) -> int:
        """The sign of an exact number: -1, 0 or 1 (LimitError where undecidable)."""
        expr = sp.S(expr)
        if expr.is_Rational:
            return 1 if expr.p > 0 else -1 if expr.p < 0 else 0
        try:
            first = _excludes_zero(self.enclose(expr, PRECISIONS[0]))
        except _Undecided:
            first = 0
        if first:
            return first
        if formally_zero(expr, self.algebraic):
            return 0
        s = self.sign_interval(expr)
        if s:
            return s
        raise LimitError(f"cannot decide the sign of {_short(expr)}")

    def rational_bounds(self, expr: sp.Expr, prec: int = PRECISIONS[0]
                        ) -> tuple[sp.Rational, sp.Rational]:
        """Rational lower and upper bounds of an exact number."""
        expr = sp.S(expr)
        if expr.is_Rational:
            return expr, expr
        x = self.enclose(expr, prec)
        return _to_rational(x[0]), _to_rational(x[1])


class _Undecided(Exception):
    pass


def _to_rational(v: Any) -> sp.Rational:
    sign, man, exp, _ = v
    if v in (L.finf, L.fninf, L.fnan):
        raise _Undecided("unbounded")
    value = sp.Integer(int(man)) * sp.Integer(2) ** int(exp)
    return -value if sign else value


def formally_zero(expr: sp.Expr, algebraic: dict | None = None) -> bool:
    """Whether bounded exact arithmetic shows ``expr`` is 0: expansion, then algebraic
    numbers reduced by their polynomials, then the rational-function normal form (with exp
    and trigonometric functions written as exponentials). False means "not shown"."""
    expr = sp.S(expr)
    if expr.is_Rational:
        return expr == 0
    if sp.count_ops(expr, visual=False) > MAX_OPS:
        return False
    expanded = sp.expand(expr)
    if expanded == 0:
        return True
    names = [s for s in expanded.free_symbols if algebraic and s in algebraic]
    if names:
        try:
            polys = [algebraic[s][0].as_expr() for s in names]
            _, remainder = sp.reduced(expanded, polys, *names)
            if sp.expand(remainder) == 0:
                return True
        except (sp.PolynomialError, sp.CoercionFailed, NotImplementedError, ValueError):
            pass
    numerator = sp.expand(sp.numer(sp.together(expanded)))
    if numerator == 0:
        return True
    if expanded.has(sp.sin, sp.cos, sp.tan):  # sin(pi/4 + 1) = (sin(1) + cos(1))/sqrt(2)
        if sp.expand(sp.expand_trig(expanded)) == 0:
            return True
    if expanded.has(sp.sin, sp.cos, sp.tan, sp.tanh, sp.exp):
        rewritten = expanded.rewrite(sp.exp)
        if sp.count_ops(rewritten, visual=False) <= MAX_OPS:
            if sp.expand(sp.numer(sp.together(sp.expand(rewritten)))) == 0:
                return True
    return False
