"""The independent checker of attribution certificates (``python -m proofs verify FILE``).

It shares nothing with the engines beyond the safe parser and sympy arithmetic: every
expression and number in the certificate is read with :mod:`proofs.parse` (never
``sympify``), and each step is re-checked from scratch:

1. the path's segments join up;
2. each breakpoint is a root of its switching function (exact: substituted, simplified to 0;
   numeric: a rational interval, narrower than 1e-10, containing it, with opposite signs of
   the switching function at its ends);
3. the pieces tile each segment from u = 0 to u = 1, and their inner ends are the listed
   breakpoints;
4. each piece's witness is its midpoint; for each coordinate, the stated branch choices
   give the stated active form from F, and each chosen branch is active at the witness
   (largest for max and abs, smallest for min, by evaluation) and, where its difference with
   another branch is a rational polynomial along the path, on the whole piece (no sign
   change inside it, by exact real-root counting);
5. each antiderivative vanishes at the piece's start, differentiates to the integrand
   d(form)/dx_i(gamma(u)) gamma_i'(u), and its value at the piece's end is the stated value
   (exactly, or for a numerically certified certificate to half a unit in the last place of
   the stated decimal);
6. the values add up per coordinate, the sum is their sum, F(end) - F(start) and the
   completeness gap are what is stated.

:func:`verify` returns ``None`` when everything holds and otherwise the first step that does
not, in words; malformed input raises :class:`CertificateError` (exit status 2 on the
command line; 1 when a step fails, 0 when it holds).

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
from typing import Any

import sympy as sp

from .errors import CertificateError, IGVerifyError, ParseError, count
from .parse import parse_expression, parse_number

MAX_BRACKET = sp.Rational(1, 10**10)
DIGITS = 50


class _Failed(Exception):
    pass


def _fail(message: str) -> None:
    raise _Failed(message)


class _Reader:
    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise CertificateError("a certificate is a JSON object")
        self.data = data
        names = self.get(data, "variables", list)
        if not all(isinstance(n, str) for n in names):
            raise CertificateError("variables must be names")
        self.names = names
        self.u = sp.Symbol("u", real=True)
        self.roots: dict[sp.Symbol, sp.Expr] = {}
        for n, entry in enumerate(data.get("algebraic", []) or []):
            self.roots.update(self.algebraic(entry, n))

    def algebraic(self, entry: Any, n: int) -> dict[sp.Symbol, sp.Expr]:
        """An algebraic number: the one root of a square-free rational polynomial in u
        inside a rational interval (counted by sympy's exact real-root isolation)."""
        where = f"algebraic number {n}"
        name = self.get(entry, "name", str)
        if not name.isidentifier() or name in self.names or name == "u" or \
                sp.Symbol(name, real=True) in self.roots:
            raise CertificateError(f"{where}: '{name}' cannot name a number here")
        p = self.expr(self.get(entry, "polynomial", str), ["u"], where)
        ends = self.get(entry, "interval", list)
        lo, hi = (self.number(x, where) for x in ends)
        places = {len(str(x).partition(".")[2]) for x in ends}
        if len(places) != 1 or hi - lo != sp.Rational(1, 10 ** places.pop()):
            _fail(f"{where}: the interval must be decimals one unit in the last place apart")
        try:
            poly = sp.Poly(p, sp.Symbol("u", real=True))
        except sp.PolynomialError:
            raise CertificateError(f"{where}: not a polynomial in u") from None
        if not (poly.domain.is_ZZ or poly.domain.is_QQ) or poly.degree() < 1:
            raise CertificateError(f"{where}: not a rational polynomial in u")
        if not (lo.is_Rational and hi.is_Rational and lo < hi):
            _fail(f"{where}: the interval must have rational ends, lower first")
        if poly.sqf_part().degree() != poly.degree() or poly.eval(lo) == 0 or \
                poly.eval(hi) == 0 or poly.count_roots(lo, hi) != 1:
            _fail(f"{where}: {p} does not have exactly one simple root inside [{lo}, {hi}]")
        index = poly.count_roots(None, lo)
        return {sp.Symbol(name, real=True): sp.CRootOf(poly.as_expr(), index)}

    def get(self, obj: dict, key: str, kind: type) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise CertificateError(f"the certificate has no '{key}'")
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            raise CertificateError(f"'{key}' must be a {kind.__name__}")
        return value

    def expr(self, text: Any, variables: list[str], what: str) -> sp.Expr:
        if not isinstance(text, str):
            raise CertificateError(f"{what} must be a string")
        names = [s.name for s in getattr(self, "roots", {})]
        try:
            value = parse_expression(text, variables + names)[0]
        except ParseError as exc:
            raise CertificateError(f"{what}: {exc}") from None
        return value.xreplace(self.roots) if names else value

    def number(self, text: Any, what: str) -> sp.Expr:
        if not isinstance(text, str):
            raise CertificateError(f"{what} must be a string")
        if getattr(self, "roots", None):
            value = self.expr(text, [], what)
            if value.free_symbols or not value.is_number:
                raise CertificateError(f"{what}: '{text}' is not a number")
            return value
        try:
            return parse_number(text)
        except ParseError as exc:
            raise CertificateError(f"{what}: {exc}") from None

    def in_u(self, text: Any, what: str) -> sp.Expr:
        return self.expr(text, ["u"], what).xreplace({sp.Symbol("u", real=True): self.u})


def _zero(value: sp.Expr) -> bool:
    """Whether an exact expression is 0 (rationals directly, algebraic numbers modulo their
    minimal polynomials, else expand, then simplify)."""
    value = sp.S(value)
    if value.is_Rational:
        return value == 0
    if value.has(sp.CRootOf) and not value.free_symbols:
        reduced = _reduce_algebraic(value)
        if reduced is not None:
            return reduced == 0
    if value.has(sp.Float):
        return abs(sp.N(value, DIGITS)) < sp.Float(10) ** -(DIGITS - 10)
    if sp.expand(value) == 0:
        return True
    simplified = sp.simplify(value)
    if simplified == 0:
        return True
    if simplified.is_number:
        return sp.N(simplified, DIGITS) == 0 and simplified.equals(0) is True
    return False


def _reduce_algebraic(value: sp.Expr) -> sp.Expr | None:
    """A polynomial in algebraic numbers, reduced modulo their minimal polynomials."""
    roots = sorted(value.atoms(sp.CRootOf), key=str)
    names = [sp.Dummy() for _ in roots]
    expr = sp.expand(value.xreplace(dict(zip(roots, names))))
    try:
        numerator, denominator = sp.fraction(sp.together(expr))
        if denominator.free_symbols & set(names):
            return None
        minimal = [r.poly.as_expr(z) for r, z in zip(roots, names)]
        _, remainder = sp.reduced(numerator, minimal, *names)
    except (sp.PolynomialError, sp.CoercionFailed, NotImplementedError, ValueError):
        return None
    return sp.expand(remainder)


def _sign(value: sp.Expr) -> int:
    approx = sp.N(value, DIGITS)
    if approx.is_real is False or approx == 0:
        return 0
    return 1 if approx > 0 else -1


def _less(a: sp.Expr, b: sp.Expr) -> bool:
    return _sign(b - a) > 0


def _close(a: sp.Expr, b: sp.Expr, tol: sp.Expr) -> bool:
    d = a - b
    if d.is_Rational:
        return d == 0 or (tol != 0 and abs(d) <= tol)
    if tol == 0:
        return _zero(d)
    return abs(sp.N(d, DIGITS)) <= tol


def _places(text: Any, places: int | None, where: str) -> None:
    """A numerically certified value must be written "Ne-P" with the certificate's P."""
    if places is None:
        return
    mantissa, sep, exponent = str(text).partition("e-")
    if not sep or not mantissa.lstrip("-").isdigit() or exponent != str(places):
        _fail(f"{where}: {text} is not a decimal with {places} places (Ne-{places})")


def _half_ulp(text: str, exact: bool) -> sp.Expr:
    """0 for an exact certificate; else half a unit in the last place of a decimal "Ne-P"."""
    if exact:
        return sp.S(0)
    mantissa, _, exponent = text.strip().lower().partition("e")
    places = len(mantissa.partition(".")[2]) - int(exponent or 0)
    return sp.Rational(1, 2) * sp.Rational(10) ** (-places) * (1 + sp.Rational(1, 10**6))


class _Piece:
    """Where a piece lies: the witness point, and the path and u-range for the check that a
    polynomial branch difference keeps its sign on the whole piece."""

    def __init__(self, at: dict, sub: dict, u: sp.Symbol, u0: sp.Expr, u1: sp.Expr) -> None:
        self.at, self.sub, self.u, self.u0, self.u1 = at, sub, u, u0, u1


def _keeps_sign(difference: sp.Expr, piece: _Piece) -> bool | None:
    """Whether ``difference`` (in the variables) has no sign change strictly inside the piece:
    decided exactly (square-free factors, sympy's real-root counting) for a rational
    polynomial along the path and rational piece ends; None where it cannot be decided."""
    if not (piece.u0.is_Rational and piece.u1.is_Rational):
        return None
    along = sp.expand(difference.xreplace(piece.sub))
    try:
        poly = sp.Poly(along, piece.u)
    except sp.PolynomialError:
        return None
    if not (poly.domain.is_ZZ or poly.domain.is_QQ):
        return None
    if poly.is_zero or poly.degree() < 1:
        return True
    for factor, multiplicity in poly.sqf_list()[1]:
        if multiplicity % 2 == 0:
            continue
        inside = factor.count_roots(piece.u0, piece.u1)
        inside -= (factor.eval(piece.u0) == 0) + (factor.eval(piece.u1) == 0)
        if inside > 0:
            return False
    return True


def _derive(expr: sp.Expr, chosen: dict[sp.Expr, Any], piece: _Piece, where: str
            ) -> sp.Expr:
    """``expr`` with each kink replaced by its chosen branch, checking that the chosen branch
    is active (largest for max/abs, smallest for min): at the witness by evaluation, and on
    the whole piece where the branch difference is a rational polynomial along the path."""
    at = piece.at
    if not expr.has(sp.Max, sp.Min, sp.Abs):
        return expr
    if isinstance(expr, (sp.Max, sp.Min, sp.Abs)):
        if expr not in chosen:
            _fail(f"{where}: {expr} is not among the listed kinks")
        c = chosen[expr]
        branches = (expr.args[0], -expr.args[0]) if isinstance(expr, sp.Abs) else expr.args
        if c is None or not 0 <= c < len(branches):
            _fail(f"{where}: no valid branch chosen for {expr}")
        derived = [_derive(b, chosen, piece, where) for b in branches]
        values = [d.xreplace(at) for d in derived]
        larger = not isinstance(expr, sp.Min)
        for j, v in enumerate(values):
            order = _sign(v - values[c])
            if (order > 0 and larger) or (order < 0 and not larger):
                _fail(f"{where}: branch {c} of {expr} is not active at the witness "
                      f"(branch {j} is {'larger' if larger else 'smaller'})")
            if j != c and _keeps_sign(derived[c] - derived[j], piece) is False:
                _fail(f"{where}: branch {c} of {expr} is not active on the whole piece "
                      f"(its difference with branch {j} changes sign inside)")
        return derived[c]
    return expr.func(*[_derive(a, chosen, piece, where) for a in expr.args])


def _check(data: Any) -> None:
    r = _Reader(data)
    u = r.u
    names = r.names
    symbols = [sp.Symbol(n, real=True) for n in names]
    F = r.expr(r.get(data, "function", str), names, "function")
    exact = r.get(data, "exact", bool)
    # 1. the path
    segments = []
    for k, seg in enumerate(r.get(data, "segments", list)):
        comps = r.get(seg, "components", list)
        if len(comps) != len(names):
            raise CertificateError(f"segment {k} has {count(len(comps), 'coordinate')}, F has "
                                   f"{count(len(names), 'variable')}")
        segments.append([r.in_u(c, f"segment {k}") for c in comps])
    if not segments:
        raise CertificateError("the path has no segments")
    for k in range(len(segments) - 1):
        for c, d in zip(segments[k], segments[k + 1]):
            if not _zero(c.xreplace({u: 1}) - d.xreplace({u: 0})):
                _fail(f"the path is not continuous: segment {k} ends where segment {k + 1} "
                      "does not start")
    # 2. breakpoints
    cuts: dict[int, list[sp.Expr]] = {}
    widths = sp.S(0)
    for n, b in enumerate(r.get(data, "breakpoints", list)):
        k = r.get(b, "segment", int)
        where = f"breakpoint {n} (segment {k})"
        if not 0 <= k < len(segments):
            _fail(f"{where} refers to a segment the path does not have")
        value = r.number(r.get(b, "u", str), where)
        g = r.in_u(r.get(b, "switching", str), where)
        established = r.get(b, "established", str)
        if not _less(0, value) or not _less(value, 1):
            _fail(f"{where}: u = {value} is not inside the segment")
        if established == "exact root":
            if not _zero(g.xreplace({u: value})):
                _fail(f"{where}: {g} does not vanish at u = {value}")
        elif established == "isolating interval":
            lo, hi = (r.number(x, where) for x in r.get(b, "interval", list))
            if not (lo.is_Rational and hi.is_Rational and lo < hi):
                _fail(f"{where}: the interval must have rational ends, lower first")
            if hi - lo > MAX_BRACKET:
                _fail(f"{where}: the isolating interval is wider than {MAX_BRACKET}")
            if not _zero(value - (lo + hi) / 2):
                _fail(f"{where}: u = {value} is not the midpoint of its interval")
            if _sign(g.xreplace({u: lo})) * _sign(g.xreplace({u: hi})) >= 0:
                _fail(f"{where}: {g} does not change sign on [{lo}, {hi}]")
            widths += hi - lo
        else:
            raise CertificateError(f"{where}: unknown way '{established}'")
        cuts.setdefault(k, []).append(value)
    kinks = [r.expr(k, names, "kinks") for k in r.get(data, "kinks", list)]
    own = list(dict.fromkeys(node for node in sp.preorder_traversal(F)
                             if isinstance(node, (sp.Max, sp.Min, sp.Abs))))
    if own != kinks:
        _fail("the listed kinks are not F's max/min/abs terms in order")
    places = data.get("decimal_places")
    if exact != (places is None) or not (places is None or (
            isinstance(places, int) and not isinstance(places, bool) and 0 < places < 10**4)):
        raise CertificateError("decimal_places: null for an exact certificate, else a "
                               "positive integer")
    # 3.-5. pieces
    pieces = r.get(data, "pieces", list)
    by_segment: dict[int, list] = {}
    totals = [sp.S(0)] * len(names)
    for n, p in enumerate(pieces):
        k = r.get(p, "segment", int)
        where = f"piece {n} (segment {k})"
        if not 0 <= k < len(segments):
            _fail(f"{where} refers to a segment the path does not have")
        u0 = r.number(r.get(p, "u0", str), where)
        u1 = r.number(r.get(p, "u1", str), where)
        w = r.number(r.get(p, "witness", str), where)
        by_segment.setdefault(k, []).append((u0, u1))
        if not _less(u0, u1):
            _fail(f"{where}: it is empty or reversed ([{u0}, {u1}])")
        if not _zero(w - (u0 + u1) / 2):
            _fail(f"{where}: the witness u = {w} is not the midpoint of [{u0}, {u1}]")
        gamma = segments[k]
        sub = dict(zip(symbols, gamma))
        at_w = {s: c.xreplace({u: w}) for s, c in sub.items()}
        F_w = F.xreplace(at_w)
        forms = r.get(p, "forms", list)
        antis = r.get(p, "antiderivatives", list)
        values = r.get(p, "values", list)
        choices = r.get(p, "choices", list)
        if not len(forms) == len(antis) == len(values) == len(choices) == len(names):
            raise CertificateError(f"{where}: one form, antiderivative, value and list of "
                                   "choices per variable")
        for i, name in enumerate(names):
            form = r.expr(forms[i], names, f"{where}, form {i}")
            chosen = choices[i]
            if not isinstance(chosen, list) or len(chosen) != len(kinks) or not all(
                    c is None or (isinstance(c, int) and not isinstance(c, bool))
                    for c in chosen):
                raise CertificateError(f"{where}: choices[{i}] must list one branch index "
                                       "(or null) per kink")
            derived = _derive(F, dict(zip(kinks, chosen)), _Piece(at_w, sub, u, u0, u1),
                              f"{where}, {name}")
            if not _zero(derived - form):
                _fail(f"{where}, {name}: the choices give the form {derived}, not {form}")
            if not _zero(F_w - form.xreplace(at_w)):
                _fail(f"{where}, {name}: F is not {form} at the witness u = {w}")
            integrand = sp.diff(form, symbols[i]).xreplace(sub) * sp.diff(gamma[i], u)
            G = r.in_u(antis[i], f"{where}, antiderivative {i}")
            if not _zero(G.xreplace({u: u0})):
                _fail(f"{where}, {name}: the antiderivative {G} does not vanish at u = {u0}")
            if not _zero(sp.diff(G, u) - integrand):
                _fail(f"{where}, {name}: d/du of {G} is not the integrand {integrand}")
            stated = r.number(values[i], f"{where}, value {i}")
            _places(values[i], places, f"{where}, value {i}")
            got = G.xreplace({u: u1})
            if not _close(got, stated, _half_ulp(values[i], exact)):
                shown = got if got.is_Rational else sp.N(got, 20)
                _fail(f"{where}, {name}: the antiderivative gives {shown}, the certificate "
                      f"says {stated}")
            totals[i] += stated
    for k in range(len(segments)):
        spans = by_segment.get(k, [])
        if not spans:
            _fail(f"no piece covers segment {k}")
        ends = [sp.S(0)] + [s for span in spans for s in span] + [sp.S(1)]
        for a, b in zip(ends[::2], ends[1::2]):
            if not _zero(a - b):
                _fail(f"the pieces do not tile segment {k}: a gap or overlap at u = {a} / {b}")
        inner = [span[0] for span in spans[1:]]
        listed = cuts.get(k, [])
        for x in inner:
            if not any(_zero(x - c) for c in listed):
                _fail(f"segment {k}: the piece boundary u = {x} is not a listed breakpoint")
        for c in listed:
            if not any(_zero(x - c) for x in inner):
                _fail(f"segment {k}: the breakpoint u = {c} is not a piece boundary")
    # 6. totals
    stated_values = [r.number(v, "values") for v in r.get(data, "values", list)]
    for text in [*r.get(data, "values", list), data.get("sum"), data.get("completeness_gap")]:
        _places(text, places, "values, sum and gap")
    if len(stated_values) != len(names):
        raise CertificateError("one value per variable")
    for name, a, b in zip(names, totals, stated_values):
        if not _zero(a - b):
            _fail(f"A[{name}]: the pieces add up to {a}, the certificate says {b}")
    total = r.number(r.get(data, "sum", str), "sum")
    if not _zero(sp.Add(*stated_values) - total):
        _fail(f"the sum of the values is not {total}")
    start = {s: c.xreplace({u: 0}) for s, c in zip(symbols, segments[0])}
    end = {s: c.xreplace({u: 1}) for s, c in zip(symbols, segments[-1])}
    delta = r.number(r.get(data, "delta_F", str), "delta_F")
    if not _zero(F.xreplace(end) - F.xreplace(start) - delta):
        _fail(f"F(end) - F(start) is not {delta}")
    gap_text = r.get(data, "completeness_gap", str)
    gap = r.number(gap_text, "completeness_gap")
    if not _close(total - delta, gap, _half_ulp(gap_text, exact)):
        _fail(f"the completeness gap is not {gap}")


def verify(data: Any) -> str | None:
    """None when the certificate holds, else the first step that does not (in words)."""
    try:
        _check(data)
    except _Failed as failure:
        return str(failure)
    except (TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, IGVerifyError):
            raise
        raise CertificateError(f"malformed certificate ({exc})") from None
    return None


def verify_file(filename: str) -> str | None:
    """:func:`verify` on a JSON file."""
    try:
        with open(filename, encoding="utf-8") as source:
            data = json.load(source)
    except OSError as exc:
        raise CertificateError(f"cannot read {filename}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CertificateError(f"{filename} is not JSON ({exc})") from None
    if isinstance(data, dict) and data.get("kind") == "network":  # numeric's certified IG
        from .verify_network import verify_network

        return verify_network(data, os.path.dirname(os.path.abspath(filename)))
    return verify(data)
