"""The independent checker of certificates (``python -m proofs verify FILE``).

It shares nothing with the engines beyond the safe parser and sympy arithmetic: every
expression and number in the certificate is read with :mod:`proofs.parse` (never
``sympify``), numbers are decided by :mod:`proofs.verify_numbers` (exact arithmetic, certified
intervals; never ``simplify``) and branch activity by :mod:`proofs.verify_sign`. Certificates
are dispatched by their ``format`` (:data:`CHECKERS`); an attribution certificate
(:data:`FORMAT`) is re-checked from scratch:

1. every field is known (a field the verifier would not check is refused), the path's
   segments join up and a ``straight`` segment is affine in u;
2. each breakpoint is a root of its switching function (exactly), or sits at the midpoint of
   a rational interval, narrower than 1e-10, at whose ends the switching function has
   opposite signs;
3. the pieces tile each segment from u = 0 to u = 1 in order, and their inner ends are the
   listed breakpoints in order;
4. each piece's witness is its midpoint; for each coordinate, the stated branch choices (one
   per kink reached, null for the others) give the stated active form from F, and each
   chosen branch is active on the whole open piece: its difference with every other branch
   along the path is >= 0 there (exact real-root isolation for rational polynomials,
   certified interval arithmetic with subdivision otherwise); where two branches tie on the
   whole piece, the chosen one is not below the other in slope along the coordinate;
5. each antiderivative vanishes at the piece's start, differentiates to the integrand
   d(form)/dx_i(gamma(u)) gamma_i'(u), and its value at the piece's end is the stated value
   (exactly, or for a numerically certified certificate to half a unit in the last place);
6. exact certificates: the values add up per coordinate, the sum is their sum, F(end) -
   F(start) is delta_F, and the completeness gap is 0, stated and computed. Numerically
   certified ones: each total, the sum and the gap are within one unit in the last place of
   the certified enclosure of the true value (the exact integrals of the pieces plus, at each
   bracketed breakpoint, half its bracket times the jump of the integrand there).

:func:`verify` returns ``None`` when everything holds and otherwise the first step that does
not, in words; malformed input raises :class:`CertificateError`, and a check beyond the
verifier's limits (size, magnitude, precision, time) raises :class:`LimitError` (exit status
2 on the command line; 1 when a step fails, 0 when it holds).

>>> from proofs import Function, integrated_gradients
>>> data = integrated_gradients(Function("relu(x1 - 1/2)*x1"), [1]).certificate().data
>>> verify(data) is None
True
>>> data["pieces"][1]["values"] = ["1/3"]
>>> verify(data)
'piece 1 (segment 0), x1: the antiderivative gives 1/2, the certificate says 1/3'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

import sympy as sp
from sympy.polys.domains import QQ

from .errors import CertificateError, IGVerifyError, LimitError, ParseError, count
from .parse import CERTIFICATE_FUNCTIONS, MAX_INTEGER_DIGITS, parse_expression
from .shell import time_limit
from .verify_numbers import (
    PRECISIONS,
    Numbers,
    _excludes_zero,
    _iv_rational,
    _to_rational,
    _Undecided,
)
from .verify_sign import End, SignFailure, Signs

__all__ = ["CHECKERS", "CLAIM", "FORMAT", "CertificateError", "LimitError", "verify",
           "verify_file"]

FORMAT = "igverify-certificate/1"
CLAIM = ("path-method attributions A_i = integral over the path of dF/dx_i dx_i "
         "(Sundararajan, Taly & Yan (2017); Lundstrom, Huang & Razaviyayn (2022))")
MAX_BRACKET = sp.Rational(1, 10**10)
MAX_FILE_BYTES = 64 * 2**20
"""Largest certificate file read (bytes)."""
TIMEOUT = 600.0
"""Default time limit of one verification (seconds)."""

SEGMENT_KINDS = ("straight", "curve")
FIELDS = {"format", "claim", "function", "variables", "kinks", "segments", "breakpoints",
          "pieces", "values", "sum", "delta_F", "completeness_gap", "algebraic", "exact",
          "decimal_places"}
SEGMENT_FIELDS = {"kind", "components"}
BREAKPOINT_FIELDS = {"segment", "u", "switching", "established", "interval"}
PIECE_FIELDS = {"segment", "u0", "u1", "witness", "choices", "forms", "antiderivatives",
                "values"}
ALGEBRAIC_FIELDS = {"name", "polynomial", "interval"}
KINKS = (sp.Max, sp.Min, sp.Abs)
_RATIONAL = re.compile(r"-?\d+(/\d+)?")


class _Failed(Exception):
    pass


def _fail(message: str) -> None:
    raise _Failed(message)


def _fields(obj: Any, allowed: set, where: str) -> None:
    if not isinstance(obj, dict):
        raise CertificateError(f"{where} must be a JSON object")
    extra = sorted(set(obj) - allowed)
    if extra:
        _fail(f"{where}: unknown field{'s' if len(extra) > 1 else ''} "
              f"{', '.join(repr(e) for e in extra)} (the verifier checks every field)")


class _Reader:
    """Reads fields and expressions (cached by text) with the safe parser."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise CertificateError("a certificate is a JSON object")
        self.data = data
        names = self.get(data, "variables", list)
        if not names or not all(isinstance(n, str) for n in names):
            raise CertificateError("variables must be names")
        self.names = names
        self.u = sp.Symbol("u", real=True)
        self.algebraic: dict[sp.Symbol, tuple] = {}
        self.root_names: list[str] = []
        self._cache: dict[tuple[str, tuple], sp.Expr] = {}

    def get(self, obj: dict, key: str, kind: type) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise CertificateError(f"the certificate has no '{key}'")
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            raise CertificateError(f"'{key}' must be a {kind.__name__}")
        return value

    def expr(self, text: Any, variables: tuple[str, ...], what: str) -> sp.Expr:
        if not isinstance(text, str):
            raise CertificateError(f"{what} must be a string")
        key = (text, variables)
        hit = self._cache.get(key)
        if hit is None and _RATIONAL.fullmatch(text):  # a plain rational: no parser needed
            numerator, _, denominator = text.partition("/")
            if len(text) <= MAX_INTEGER_DIGITS and denominator != "0":
                hit = self._cache[key] = sp.Rational(int(numerator), int(denominator or 1))
        if hit is None:
            try:
                hit = parse_expression(text, list(variables) + self.root_names,
                                       functions=CERTIFICATE_FUNCTIONS)[0]
            except ParseError as exc:
                raise CertificateError(f"{what}: {exc}") from None
            self._cache[key] = hit
        return hit

    def number(self, text: Any, what: str) -> sp.Expr:
        value = self.expr(text, (), what)
        if value.free_symbols - set(self.algebraic):
            raise CertificateError(f"{what}: '{text}' is not a number")
        return value

    def in_u(self, text: Any, what: str) -> sp.Expr:
        return self.expr(text, ("u",), what)

    def read_algebraic(self, entry: Any, n: int) -> None:
        """An algebraic number: the one root of a square-free rational polynomial in u
        inside a rational interval (exact real-root counting); reductions use its irreducible
        factor with that root."""
        where = f"algebraic number {n}"
        _fields(entry, ALGEBRAIC_FIELDS, where)
        name = self.get(entry, "name", str)
        if not name.isidentifier() or name in self.names or name == "u" or \
                name in self.root_names:
            raise CertificateError(f"{where}: '{name}' cannot name a number here")
        p = self.in_u(self.get(entry, "polynomial", str), where)
        ends = self.get(entry, "interval", list)
        if len(ends) != 2 or not all(isinstance(x, str) for x in ends):
            raise CertificateError(f"{where}: the interval is two decimal strings")
        lo, hi = (self.number(x, where) for x in ends)
        places = {len(str(x).partition(".")[2]) for x in ends}
        if len(places) != 1 or hi - lo != sp.Rational(1, 10 ** places.pop()):
            _fail(f"{where}: the interval must be decimals one unit in the last place apart")
        try:
            poly = sp.Poly(p, self.u)
        except (sp.PolynomialError, sp.GeneratorsNeeded):
            raise CertificateError(f"{where}: not a polynomial in u") from None
        if not (poly.domain.is_ZZ or poly.domain.is_QQ) or poly.degree() < 1 or \
                poly.degree() > 200:
            raise CertificateError(f"{where}: not a rational polynomial in u (degree 1-200)")
        if not (lo.is_Rational and hi.is_Rational and lo < hi):
            _fail(f"{where}: the interval must have rational ends, lower first")
        if poly.sqf_part().degree() != poly.degree() or poly.eval(lo) == 0 or \
                poly.eval(hi) == 0 or poly.count_roots(lo, hi) != 1:
            _fail(f"{where}: {p} does not have exactly one simple root inside [{lo}, {hi}]")
        symbol = sp.Symbol(name, real=True)
        minimal = next(f for f, _ in poly.factor_list()[1] if f.count_roots(lo, hi) == 1)
        self.algebraic[symbol] = (sp.Poly(minimal.as_expr().xreplace({self.u: symbol}),
                                          symbol), lo, hi)
        self.root_names.append(name)
        self._cache.clear()


def _places(text: Any, places: int | None, where: str) -> None:
    """A numerically certified value must be written "Ne-P" with the certificate's P."""
    if places is None:
        return
    mantissa, sep, exponent = str(text).partition("e-")
    if not sep or not mantissa.lstrip("-").isdigit() or exponent != str(places):
        _fail(f"{where}: {text} is not a decimal with {places} places (Ne-{places})")


def _coefficients(expr: sp.Expr, u: sp.Symbol) -> list | None:
    """The coefficients (constant first, no trailing zeros) of a polynomial in u with
    rational coefficients, as elements of sympy's ground field QQ; None for anything else."""
    if expr.is_Rational:
        return [QQ(int(expr.p), int(expr.q))] if expr != 0 else []
    if expr == u:
        return [QQ(0), QQ(1)]
    if expr.is_Add or expr.is_Mul:
        parts = [_coefficients(a, u) for a in expr.args]
        if None in parts:
            return None
        result = parts[0]
        for p in parts[1:]:
            result = _plus(result, p) if expr.is_Add else _times(result, p)
        return result
    if expr.is_Pow and expr.exp.is_Integer and 0 <= expr.exp <= 64:
        base = _coefficients(expr.base, u)
        if base is None:
            return None
        result = [QQ(1)]
        for _ in range(int(expr.exp)):
            result = _times(result, base)
        return result
    return None


def _plus(a: list, b: list) -> list:
    n = max(len(a), len(b))
    out = [(a[k] if k < len(a) else 0) + (b[k] if k < len(b) else 0) for k in range(n)]
    while out and out[-1] == 0:
        out.pop()
    return out


def _times(a: list, b: list) -> list:
    if not a or not b:
        return []
    out = [QQ(0)] * (len(a) + len(b) - 1)
    for j, x in enumerate(a):
        for k, y in enumerate(b):
            out[j + k] += x * y
    return out


def _derivative(a: list) -> list:
    return [k * c for k, c in enumerate(a)][1:]


def _at(a: list, x: sp.Rational) -> Any:
    point, total = QQ(int(x.p), int(x.q)), QQ(0)
    for c in reversed(a):
        total = total * point + c
    return total


def _kinks_in_order(expr: sp.Expr) -> list[sp.Expr]:
    return list(dict.fromkeys(node for node in sp.preorder_traversal(expr)
                              if isinstance(node, KINKS)))


class _Checker:
    """The checks of one attribution certificate."""

    def __init__(self, data: Any) -> None:
        self.r = r = _Reader(data)
        self.data = data
        _fields(data, FIELDS, "the certificate")
        if data.get("claim") != CLAIM:
            _fail("the claim is not the one this verifier checks")
        for n, entry in enumerate(r.get(data, "algebraic", list)):
            r.read_algebraic(entry, n)
        self.numbers = Numbers(r.algebraic)
        self.signs = Signs(r.u, self.numbers)
        self.names = tuple(r.names)
        self.symbols = [sp.Symbol(n, real=True) for n in self.names]
        self.F = r.expr(r.get(data, "function", str), self.names, "function")
        self.exact = r.get(data, "exact", bool)
        places = data.get("decimal_places")
        if self.exact != (places is None) or not (places is None or (
                isinstance(places, int) and not isinstance(places, bool) and
                0 < places < 10**4)):
            raise CertificateError("decimal_places: null for an exact certificate, else a "
                                   "positive integer")
        self.places = places
        self._analyses: dict[tuple, Any] = {}
        self._orders: dict[tuple, str] = {}
        self._derivatives: dict[tuple, bool] = {}
        self._coefficients: dict[sp.Expr, list | None] = {}

    # -- numbers --------------------------------------------------------------------------
    def coefficients(self, expr: sp.Expr) -> list | None:
        if expr not in self._coefficients:
            self._coefficients[expr] = _coefficients(expr, self.r.u)
        return self._coefficients[expr]

    def zero(self, value: sp.Expr) -> bool:
        return self.numbers.is_zero(value)

    def same(self, a: Any, b: Any, a_text: Any = None, b_text: Any = None) -> bool:
        if a_text is not None and a_text == b_text:
            return True
        return self.zero(sp.S(a) - b)

    def within(self, value: sp.Expr, low: sp.Rational, high: sp.Rational) -> bool:
        """Whether an exact number is shown to lie in [low, high] (False: shown outside or
        not shown at the verifier's precisions)."""
        if sp.S(value).is_Rational:
            return low <= value <= high
        for prec in PRECISIONS:
            try:
                a, b = self.numbers.rational_bounds(value, prec)
            except _Undecided:
                continue
            if low <= a and b <= high:
                return True
            if b < low or a > high:
                return False
        return False

    def exact_at(self, expr: sp.Expr, point: dict) -> sp.Expr:
        """F at a point, exactly: max/min/abs decided by certified signs, never by sympy's
        own comparison of numbers."""
        if not expr.has(*KINKS):
            return expr.xreplace(point)
        if isinstance(expr, sp.Abs):
            z = self.exact_at(expr.args[0], point)
            return -z if self.numbers.sign(z) < 0 else z
        if isinstance(expr, (sp.Max, sp.Min)):
            values = [self.exact_at(a, point) for a in expr.args]
            best = values[0]
            for v in values[1:]:
                s = self.numbers.sign(v - best)
                if (s > 0) if isinstance(expr, sp.Max) else (s < 0):
                    best = v
            return best
        return expr.func(*[self.exact_at(a, point) for a in expr.args])

    # -- the path and the breakpoints -------------------------------------------------------
    def path(self) -> None:
        r, u = self.r, self.r.u
        self.segments, self.segment_keys = [], []
        for k, seg in enumerate(r.get(self.data, "segments", list)):
            _fields(seg, SEGMENT_FIELDS, f"segment {k}")
            comps = r.get(seg, "components", list)
            if len(comps) != len(self.names):
                raise CertificateError(f"segment {k} has {count(len(comps), 'coordinate')}, "
                                       f"F has {count(len(self.names), 'variable')}")
            gamma = [r.in_u(c, f"segment {k}") for c in comps]
            kind = r.get(seg, "kind", str)
            if kind not in SEGMENT_KINDS:
                _fail(f"segment {k}: unknown kind '{kind}' ({', '.join(SEGMENT_KINDS)})")
            if kind == "straight" and not all(
                    (coefficients := _coefficients(c, u)) is not None and len(coefficients) <= 2
                    for c in gamma):
                _fail(f"segment {k} is marked straight but is not affine in u")
            self.segments.append(gamma)
            self.segment_keys.append(tuple(comps))
        if not self.segments:
            raise CertificateError("the path has no segments")
        ends = []
        for gamma in self.segments:
            ends.append([self.exact_at(c, {u: 0}) for c in gamma])
            ends.append([self.exact_at(c, {u: 1}) for c in gamma])
        for k in range(len(self.segments) - 1):
            if not all(self.zero(c - d) for c, d in zip(ends[2 * k + 1], ends[2 * k + 2])):
                _fail(f"the path is not continuous: segment {k} ends where segment {k + 1} "
                      "does not start")
        self.start, self.end = ends[0], ends[-1]
        self.derivatives = [[sp.diff(c, u) for c in gamma] for gamma in self.segments]

    def breakpoints(self) -> None:
        r, u = self.r, self.r.u
        self.cuts: dict[int, list[tuple[str, sp.Expr, tuple | None]]] = {}
        for n, b in enumerate(r.get(self.data, "breakpoints", list)):
            _fields(b, BREAKPOINT_FIELDS, f"breakpoint {n}")
            k = r.get(b, "segment", int)
            where = f"breakpoint {n} (segment {k})"
            if not 0 <= k < len(self.segments):
                _fail(f"{where} refers to a segment the path does not have")
            text = r.get(b, "u", str)
            value = r.number(text, where)
            g = r.in_u(r.get(b, "switching", str), where)
            established = r.get(b, "established", str)
            if self.numbers.sign(value) <= 0 or self.numbers.sign(1 - value) <= 0:
                _fail(f"{where}: u = {value} is not inside the segment")
            bracket = None
            if established == "exact root":
                if "interval" in b:
                    _fail(f"{where}: an exact root has no interval")
                if not self.zero(g.xreplace({u: value})):
                    _fail(f"{where}: {g} does not vanish at u = {value}")
            elif established == "isolating interval":
                ends = r.get(b, "interval", list)
                if len(ends) != 2:
                    raise CertificateError(f"{where}: the interval has two ends")
                lo, hi = (r.number(x, where) for x in ends)
                if not (lo.is_Rational and hi.is_Rational and lo < hi):
                    _fail(f"{where}: the interval must have rational ends, lower first")
                if hi - lo > MAX_BRACKET:
                    _fail(f"{where}: the isolating interval is wider than {MAX_BRACKET}")
                if not value.is_Rational or value != (lo + hi) / 2:
                    _fail(f"{where}: u = {value} is not the midpoint of its interval")
                if self.numbers.sign(g.xreplace({u: lo})) * \
                        self.numbers.sign(g.xreplace({u: hi})) >= 0:
                    _fail(f"{where}: {g} does not change sign on [{lo}, {hi}]")
                if self.exact:
                    _fail(f"{where}: an exact certificate has only exact breakpoints")
                bracket = (lo, hi)
            else:
                raise CertificateError(f"{where}: unknown way '{established}'")
            self.cuts.setdefault(k, []).append((text, value, bracket))

    # -- the branches ---------------------------------------------------------------------
    def analysis(self, k: int, i: int, chosen: tuple) -> tuple:
        """For coordinate i on segment k under ``chosen``: the form, the branch
        differences along the path that must be >= 0 (with, for a tie, the slope difference
        along x_i), and the integrand."""
        key = (self.segment_keys[k], i, chosen)
        if key in self._analyses:
            return self._analyses[key]
        sub = dict(zip(self.symbols, self.segments[k]))
        choice = dict(zip(self.kinks, chosen))
        reached: set = set()
        constraints: list[tuple[str, sp.Expr, sp.Expr]] = []
        var = self.symbols[i]

        def derive(expr: sp.Expr) -> sp.Expr:
            if not expr.has(*KINKS):
                return expr
            if isinstance(expr, KINKS):
                reached.add(expr)
                c = choice.get(expr)
                branches = (expr.args[0], -expr.args[0]) if isinstance(expr, sp.Abs) \
                    else expr.args
                if c is None or not 0 <= c < len(branches):
                    _fail(f"no valid branch chosen for {expr}")
                derived = [derive(b) for b in branches]
                sense = -1 if isinstance(expr, sp.Min) else 1
                for j, other in enumerate(derived):
                    if j != c:
                        diff = sense * (derived[c] - other)
                        constraints.append(((c, expr, j), diff.xreplace(sub),
                                            sp.diff(diff, var).xreplace(sub)))
                return derived[c]
            return expr.func(*[derive(a) for a in expr.args])

        form = derive(self.F)
        for kink, c in zip(self.kinks, chosen):
            if kink not in reached and c is not None:
                _fail(f"a branch is chosen for {kink}, which is not reached")
        integrand = sp.S(0)
        if self.derivatives[k][i] != 0:
            integrand = sp.diff(form, var).xreplace(sub) * self.derivatives[k][i]
        result = (form, constraints, integrand)
        self._analyses[key] = result
        return result

    def active(self, constraints: list, lo: End, hi: End, ends_key: tuple) -> list:
        """Check every constraint on the piece; return the branches tied with the chosen
        one on the whole piece but below it in slope along x_i, as (kink, branch)."""
        steeper = []
        for (c, kink, j), d, slope in constraints:
            key = (d, slope, ends_key)
            if key not in self._orders:
                message, order = "", ""
                try:
                    if self.signs.order(d, lo, hi) == "tie":
                        order = self.signs.order(slope, lo, hi)
                except SignFailure as failure:
                    message = (f"branch {c} of {kink} against branch {j}: the chosen branch "
                               f"is not active on the whole piece (the difference {failure})")
                self._orders[key] = (message, order)
            message, order = self._orders[key]
            if message:
                _fail(message)
            if order == "positive":
                steeper.append((kink, j))
        return steeper

    def differentiable(self, k: int, i: int, chosen: tuple, steeper: list,
                       integrand: sp.Expr) -> None:
        """Where branches tie on the whole piece, the chosen ones give F's derivative from
        the right along x_i; the one from the left takes the tied branch below in slope.
        F must have dF/dx_i: both give the same integrand."""
        left = list(chosen)
        for kink, j in steeper:
            left[self.kinks.index(kink)] = j
        other = self.analysis(k, i, tuple(left))[2]
        if not self.zero(other - integrand):
            _fail(f"F is not differentiable along the path: its one-sided derivatives in "
                  f"{self.names[i]} differ ({integrand} and {other}) where branches tie")

    # -- pieces ---------------------------------------------------------------------------
    def pieces(self) -> None:
        r = self.r
        names = self.names
        self.kinks = [r.expr(k, names, "kinks") for k in r.get(self.data, "kinks", list)]
        if _kinks_in_order(self.F) != self.kinks:
            _fail("the listed kinks are not F's max/min/abs terms in order")
        pieces = r.get(self.data, "pieces", list)
        self.stated = [[] for _ in names]      # the stated piece values, per coordinate
        self.integrals = [[] for _ in names]   # the exact piece integrals, per coordinate
        self.integrands: list[list] = []
        position: dict[int, int] = {}          # next breakpoint of each segment
        last: dict[int, tuple[str, sp.Expr]] = {}
        finished: set[int] = set()
        for n, p in enumerate(pieces):
            _fields(p, PIECE_FIELDS, f"piece {n}")
            k = r.get(p, "segment", int)
            where = f"piece {n} (segment {k})"
            if not 0 <= k < len(self.segments):
                _fail(f"{where} refers to a segment the path does not have")
            if k in finished or any(s > k for s in last):
                _fail(f"{where}: the pieces must be listed segment by segment, in order")
            t0, t1 = r.get(p, "u0", str), r.get(p, "u1", str)
            u0, u1 = r.number(t0, where), r.number(t1, where)
            cuts = self.cuts.get(k, [])
            lo_bracket = hi_bracket = None
            if k not in last:
                if not (u0 == 0):
                    _fail(f"the pieces do not tile segment {k}: the first starts at {u0}")
            else:
                if not self.same(last[k][1], u0, last[k][0], t0):
                    _fail(f"the pieces do not tile segment {k}: a gap or overlap at u = "
                          f"{last[k][1]} / {u0}")
                lo_bracket = cuts[position[k] - 1][2]
            index = position.get(k, 0)
            if index < len(cuts):
                text, value, hi_bracket = cuts[index]
                if not self.same(value, u1, text, t1):
                    _fail(f"segment {k}: the piece boundary u = {u1} is not the next listed "
                          f"breakpoint (u = {value})")
                position[k] = index + 1
            elif u1 != 1:
                _fail(f"segment {k}: the piece boundary u = {u1} is not a listed breakpoint")
            else:
                position[k] = index + 1
                finished.add(k)
            last[k] = (t1, u1)
            if self.numbers.sign(u1 - u0) <= 0:
                _fail(f"{where}: it is empty or reversed ([{u0}, {u1}])")
            w = r.number(r.get(p, "witness", str), where)
            if not self.zero(w - (u0 + u1) / 2):
                _fail(f"{where}: the witness u = {w} is not the midpoint of [{u0}, {u1}]")
            self.piece(n, p, k, (t0, t1), u0, u1, End(u0, lo_bracket), End(u1, hi_bracket))
        for k in range(len(self.segments)):
            if k not in finished:
                _fail(f"the pieces do not tile segment {k}: nothing reaches u = 1"
                      if k in last else f"no piece covers segment {k}")
            if position[k] != len(self.cuts.get(k, [])) + 1:
                _fail(f"segment {k}: a breakpoint is not a piece boundary")

    def piece(self, n: int, p: dict, k: int, texts: tuple, u0: sp.Expr, u1: sp.Expr,
              lo: End, hi: End) -> None:
        r, u = self.r, self.r.u
        names = self.names
        where = f"piece {n} (segment {k})"
        forms = r.get(p, "forms", list)
        antis = r.get(p, "antiderivatives", list)
        values = r.get(p, "values", list)
        choices = r.get(p, "choices", list)
        if not len(forms) == len(antis) == len(values) == len(choices) == len(names):
            raise CertificateError(f"{where}: one form, antiderivative, value and list of "
                                   "choices per variable")
        integrands = []
        for i, name in enumerate(names):
            chosen = choices[i]
            if not isinstance(chosen, list) or len(chosen) != len(self.kinks) or not all(
                    c is None or (isinstance(c, int) and not isinstance(c, bool))
                    for c in chosen):
                raise CertificateError(f"{where}: choices[{i}] must list one branch index "
                                       "(or null) per kink")
            try:
                form, constraints, integrand = self.analysis(k, i, tuple(chosen))
                steeper = self.active(constraints, lo, hi, (texts, lo.bracket, hi.bracket))
                if steeper:
                    self.differentiable(k, i, tuple(chosen), steeper, integrand)
            except _Failed as failure:
                _fail(f"{where}, {name}: {failure}")
            stated_form = r.expr(forms[i], names, f"{where}, form {i}")
            if stated_form != form and not self.zero(form - stated_form):
                _fail(f"{where}, {name}: the choices give the form {form}, not {stated_form}")
            G = r.in_u(antis[i], f"{where}, antiderivative {i}")
            fast = _coefficients(G, u), self.coefficients(integrand)
            if None not in fast and u0.is_Rational and u1.is_Rational:
                # rational polynomials, rational ends: exact arithmetic in fractions
                g, f = fast
                if _at(g, u0) != 0:
                    _fail(f"{where}, {name}: the antiderivative {G} does not vanish at "
                          f"u = {u0}")
                if _derivative(g) != f:
                    _fail(f"{where}, {name}: d/du of {G} is not the integrand {integrand}")
                got = QQ.to_sympy(_at(g, u1))
            else:
                if not self.zero(G.xreplace({u: u0})):
                    _fail(f"{where}, {name}: the antiderivative {G} does not vanish at "
                          f"u = {u0}")
                key = (G, integrand)
                if key not in self._derivatives:
                    self._derivatives[key] = self.zero(sp.diff(G, u) - integrand)
                if not self._derivatives[key]:
                    _fail(f"{where}, {name}: d/du of {G} is not the integrand {integrand}")
                got = G.xreplace({u: u1})
            stated = r.number(values[i], f"{where}, value {i}")
            if self.exact:
                ok = got == stated or self.zero(got - stated)
            else:
                _places(values[i], self.places, f"{where}, value {i}")
                half = sp.Rational(1, 2) / sp.Integer(10) ** self.places
                ok = self.within(got - stated, -half, half)
            if not ok:
                shown = got if got.is_Rational else sp.N(got, 20)
                _fail(f"{where}, {name}: the antiderivative gives {shown}, the certificate "
                      f"says {stated}")
            self.stated[i].append(stated)
            self.integrals[i].append(got)
            integrands.append(integrand)
        self.integrands.append((k, lo, hi, integrands))

    # -- totals ---------------------------------------------------------------------------
    def totals(self) -> None:
        r, data = self.r, self.data
        texts = r.get(data, "values", list)
        if len(texts) != len(self.names):
            raise CertificateError("one value per variable")
        values = [r.number(v, "values") for v in texts]
        total = r.number(r.get(data, "sum", str), "sum")
        gap_text = r.get(data, "completeness_gap", str)
        gap = r.number(gap_text, "completeness_gap")
        start = dict(zip(self.symbols, self.start))
        end = dict(zip(self.symbols, self.end))
        delta = r.number(r.get(data, "delta_F", str), "delta_F")
        if not self.zero(self.exact_at(self.F, end) - self.exact_at(self.F, start) - delta):
            _fail(f"F(end) - F(start) is not {delta}")
        if self.exact:
            for name, parts, b in zip(self.names, self.stated, values):
                a = sp.Add(*parts)
                if not self.zero(a - b):
                    _fail(f"A[{name}]: the pieces add up to {a}, the certificate says {b}")
            if not self.zero(sp.Add(*values) - total):
                _fail(f"the sum of the values is not {total}")
            if gap != 0:
                _fail(f"the completeness gap of an exact certificate must be 0, not {gap}")
            if not self.zero(total - delta):
                _fail(f"the values add up to {total}, F(end) - F(start) is {delta}: "
                      "completeness fails")
            return
        for text in [*texts, r.get(data, "sum", str), gap_text]:
            _places(text, self.places, "values, sum and gap")
        unit = sp.Rational(1, 10**self.places)
        enclosures = [self.enclosure(i) for i in range(len(self.names))]
        for name, (a, b), v in zip(self.names, enclosures, values):
            if not (v - unit <= a and b <= v + unit):
                _fail(f"A[{name}] = {v} is not within 1e-{self.places} of the certified "
                      f"enclosure [{sp.N(a, 20)}, {sp.N(b, 20)}]")
        a = sum(e[0] for e in enclosures)
        b = sum(e[1] for e in enclosures)
        if not (total - unit <= a and b <= total + unit):
            _fail(f"the sum {total} is not within 1e-{self.places} of the certified "
                  f"enclosure [{sp.N(a, 20)}, {sp.N(b, 20)}]")
        d_lo, d_hi = self.numbers.rational_bounds(delta, PRECISIONS[1])
        if not (gap - unit <= a - d_hi and b - d_lo <= gap + unit):
            _fail(f"the completeness gap {gap} is not within 1e-{self.places} of the "
                  "certified enclosure")

    def enclosure(self, i: int) -> tuple[sp.Rational, sp.Rational]:
        """Rational bounds of the true A_i: the sum of the exact piece integrals, widened at
        each bracketed breakpoint by half its bracket times the integrand's jump there."""
        prec = max(PRECISIONS[1], int(self.places * 3.33) + 64)
        lo = hi = sp.S(0)
        for got in self.integrals[i]:
            a, b = self.numbers.rational_bounds(got, prec)
            lo, hi = lo + a, hi + b
        pieces = self.integrands
        for (k, _, hi_end, left), (k2, _, _, right) in zip(pieces, pieces[1:]):
            if k != k2 or hi_end.bracket is None:
                continue
            b0, b1 = hi_end.bracket
            box = (_iv_rational(int(b0.p), int(b0.q), prec)[0],
                   _iv_rational(int(b1.p), int(b1.q), prec)[1])
            try:
                jump = self.numbers.enclose(sp.Abs(left[i] - right[i]), prec, {self.r.u: box})
            except _Undecided:
                raise LimitError("cannot bound the integrand's jump at a bracketed "
                                 "breakpoint") from None
            if not _excludes_zero(jump) and jump[1] == jump[0]:
                continue
            bound = (b1 - b0) / 2 * _to_rational(jump[1])
            lo, hi = lo - bound, hi + bound
        return lo, hi


def _check_attribution(data: Any) -> None:
    checker = _Checker(data)
    checker.path()
    checker.breakpoints()
    checker.pieces()
    checker.totals()


CHECKERS: dict[str, Callable[[Any], None]] = {
    FORMAT: _check_attribution,
}
"""The certificate formats this verifier reads, by their ``format`` field: each checker
raises ``_Failed`` (a step that does not hold), CertificateError or LimitError."""


def verify(data: Any, timeout: float | None = TIMEOUT) -> str | None:
    """None when the certificate holds, else the first step that does not (in words);
    LimitError after ``timeout`` seconds (None: no limit)."""
    with time_limit(timeout, lambda: LimitError(
            f"gave up after {timeout:g} s: beyond the verifier's time limit",
            "give a larger --timeout")):
        return _verify(data)


def _verify(data: Any) -> str | None:
    if not isinstance(data, dict):
        raise CertificateError("a certificate is a JSON object")
    checker = CHECKERS.get(data.get("format"))  # type: ignore[arg-type]
    if checker is None:
        raise CertificateError(f"unknown certificate format {data.get('format')!r} (this "
                               f"verifier reads {', '.join(sorted(CHECKERS))})")
    try:
        checker(data)
    except _Failed as failure:
        return str(failure)
    except (RecursionError, MemoryError):
        raise LimitError("the certificate is too large for the verifier") from None
    except (TypeError, ValueError, AttributeError, ArithmeticError,
            sp.PolynomialError) as exc:
        if isinstance(exc, IGVerifyError):
            raise
        raise CertificateError(f"malformed certificate ({exc})") from None
    return None


def verify_file(filename: str, timeout: float | None = TIMEOUT) -> str | None:
    """:func:`verify` on a JSON file (at most :data:`MAX_FILE_BYTES` bytes)."""
    try:
        if os.path.getsize(filename) > MAX_FILE_BYTES:
            raise LimitError(f"{filename} is larger than the verifier's limit of "
                             f"{MAX_FILE_BYTES // 2**20} MiB")
        with open(filename, encoding="utf-8") as source:
            data = json.load(source)
    except OSError as exc:
        raise CertificateError(f"cannot read {filename}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CertificateError(f"{filename} is not JSON ({exc})") from None
    if isinstance(data, dict) and data.get("kind") == "network":  # numeric's certified IG
        from .verify_network import verify_network

        return verify_network(data, os.path.dirname(os.path.abspath(filename)))
    return verify(data, timeout)
