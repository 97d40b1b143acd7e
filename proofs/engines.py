"""The exact (sympy) and arbitrary-precision (mpmath) engines for path integrals.

Both engines do the same thing up to the last step. Along each segment of the
path they find the breakpoints where the active branch of a max, min or abs
changes (innermost kinks first, so nested ones are handled), split the segment
there, and on each smooth piece replace every kink by its active branch. Then
the symbolic engine integrates each piece exactly and the mpmath engine by
tanh-sinh quadrature at the requested number of digits. No Piecewise, Max or
Heaviside integrand is ever handed to ``sympy.integrate``.

Where branches of a max/min/abs tie on a whole piece (max(x1, x2) on the diagonal),
differentiability is decided from F, not from the term (:mod:`proofs.onesided`): at an
interior point of the piece F's one-sided derivatives along +e_i and -e_i are taken, with
branches chosen by value and then slope. Where they agree along the piece F has its partial
derivatives there and they are integrated (a note says so); where they differ for a
coordinate the path moves in, :class:`NotDifferentiableError` names the coordinate and the
t-interval. A coordinate the path does not move in contributes 0 on that segment whatever F
does there (its integrand has the factor gamma_i' = 0); when dF/dx_i does not exist there, a
note states that convention. Breakpoints where F's gradient along the path does not change
(a crossing inside an inactive branch) are listed with ``changes_gradient=False``.

>>> from proofs import Function, polyline
>>> F = Function("x1*x2**2")
>>> attribute(F, polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)])).values
(-2/3, 5/3)
>>> integrated_gradients(Function("1 - relu(1 - x1)"), [2]).values
(1,)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import mpmath
import sympy as sp

from .attribution import Attribution, Breakpoint, Piece
from .errors import (
    DimensionError,
    IGVerifyError,
    IntegrationError,
    NotDifferentiableError,
    UnsupportedFunctionError,
    count,
)
from .evaluate import compile_expression
from .exact_form import tidy
from .function import Function, as_point
from .kinks import branches, innermost_kinks, is_kink, takes_largest
from .onesided import directional_branch
from .paths import Path, Segment, U, straight
from .precision import (
    COMPARE_DIGITS,
    DEFAULT_DPS,
    GUARD,
    SAFETY,
    bracket_width,
    numeric_value,
    working,
)
from .roots import _precision, as_rational_poly, identically_zero, sign_changes, to_mpf
from .shell import time_limit

ENGINES = ("symbolic", "mpmath")
MAX_DPS = 1000


def _as_poly(g: sp.Expr) -> sp.Poly | None:
    """``g`` as a polynomial in ``U`` (coefficients may hold symbols), or None."""
    p = as_rational_poly(g, U)
    if p is not None:
        return p
    if not g.is_polynomial(U):
        return None
    try:
        return sp.Poly(g, U)
    except (sp.PolynomialError, sp.GeneratorsNeeded, sp.CoercionFailed):
        return None


def _replace(expr: sp.Expr, mapping: dict[sp.Expr, sp.Expr],
             origin: dict[sp.Expr, sp.Expr] | None = None,
             memo: dict[Any, Any] | None = None) -> sp.Expr:
    """``expr.xreplace(mapping)``, but max/min nodes are rebuilt without evaluation.

    sympy's Max compares its arguments pairwise when it is built (factor_terms on
    every difference); on networks that is most of the time spent. The branches
    are resolved by the engine anyway, so nothing is lost. ``memo`` (one per engine run)
    keeps rebuilt nodes across calls: a node whose new arguments are the same objects as in
    an earlier call is not rebuilt, and a long sum where few arguments changed is updated
    by adding the differences (a network's pre-activation, rebuilt for every piece, costs
    most of the time otherwise).
    """
    cache: dict[sp.Expr, sp.Expr] = {}

    def build(node: sp.Expr, args: list[sp.Expr]) -> sp.Expr:
        if isinstance(node, (sp.Max, sp.Min)):
            return node.func(*args, evaluate=False)
        if memo is None:
            return node.func(*args)
        key = (node, tuple(map(id, args)))
        if key in memo:
            return memo[key][1]
        result = None
        if node.is_Add and len(args) > INCREMENTAL_ARGS and ("sum", node) in memo:
            before, total = memo[("sum", node)]
            changed = [(old, new) for old, new in zip(before, args) if old is not new]
            if len(changed) * 4 < len(args):
                result = sp.Add(total, *[new - old for old, new in changed])
        if result is None:
            result = node.func(*args)
        memo[key] = (args, result)  # args kept alive: their ids stay theirs
        if node.is_Add and len(args) > INCREMENTAL_ARGS:
            memo[("sum", node)] = (args, result)
        return result

    def walk(node: sp.Expr) -> sp.Expr:
        if node in mapping:
            return mapping[node]
        if not node.args:
            return node
        if node in cache:
            return cache[node]
        args = [walk(a) for a in node.args]
        if all(a is b for a, b in zip(args, node.args)):
            result = node
        else:
            result = build(node, args)
        if origin is not None and is_kink(node):
            origin.setdefault(result, origin.get(node, node))  # the term as the user wrote it
        cache[node] = result
        return result

    return walk(expr)


PRINTED_NODES = 400
INCREMENTAL_ARGS = 8
LONG_TEXT = 5_000


def _describe(expr: sp.Expr) -> str:
    """``str(expr)``, or a short description of a large one (printing a network's hidden
    unit takes longer than finding its breakpoint)."""
    size = 0
    for _ in sp.preorder_traversal(expr):
        size += 1
        if size > PRINTED_NODES:
            name = {sp.Max: "max", sp.Min: "min", sp.Abs: "abs"}.get(expr.func, str(expr.func))
            return f"{name}(...) of {len(expr.args)} arguments, over {PRINTED_NODES} nodes"
    return str(expr)


def _numeric_key(value: sp.Expr, digits: int = COMPARE_DIGITS) -> sp.Float:
    return numeric_value(value, digits)


def _between(a: sp.Expr, b: sp.Expr, fraction: sp.Rational, dps: int) -> sp.Expr:
    """A rational point strictly inside (a, b), a fraction of the way along."""
    if a.is_Rational and b.is_Rational:
        return a + (b - a) * fraction
    digits = working(dps) + GUARD
    x = sp.N(a, digits) + (sp.N(b, digits) - sp.N(a, digits)) * fraction
    return sp.Rational(str(x))


class _Engine:
    """Shared splitting machinery; subclasses integrate smooth pieces."""

    name = ""

    def __init__(self, function: Function, path: Path, dps: int) -> None:
        self.F = function
        self.path = path
        self.dps = dps
        self.breakpoints: list[Breakpoint] = []
        self.notes: list[str] = []
        self.origin: dict[sp.Expr, sp.Expr] = {}
        self.terms: dict[sp.Expr, str] = {}
        self.memo: dict[Any, Any] = {}  # _replace's nodes across pieces
        self.tied: dict[int, list[str]] = {}  # id(piece) -> tied terms, decided from F later

    def _term(self, kink: sp.Expr) -> str:
        """A kink as the user wrote it, and as it reads here if branches were resolved."""
        if kink not in self.terms:
            original = self.origin.get(kink, kink)
            self.terms[kink] = (_describe(kink) if original == kink
                                else f"{_describe(original)} (here {_describe(kink)})")
        return self.terms[kink]

    # -- splitting ----------------------------------------------------------------
    def _value(self, expr: sp.Expr, u: sp.Expr) -> sp.Expr:
        value = expr.xreplace({U: u})
        return value if value.is_Rational else sp.N(value, working(self.dps) + 5)

    def _active(self, kink: sp.Expr, along: Sequence[sp.Expr], a: sp.Expr, b: sp.Expr
                ) -> list[int]:
        """Indices of the branches active on (a, b): one, or several that coincide there."""
        pick = max if takes_largest(kink) else min
        tol = bracket_width(self.dps)
        for fraction in (sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(5, 7)):
            m = _between(a, b, fraction, self.dps)
            values = [self._value(g, m) for g in along]
            best = pick(values)
            tied = [i for i, v in enumerate(values) if abs(v - best) <= tol]
            if len(tied) == 1:
                return tied
            confirmed = [i for i in tied if i == tied[0] or identically_zero(
                along[i] - along[tied[0]], U, a, b, self.dps)]
            if len(confirmed) == len(tied):
                return confirmed
        return confirmed

    def gradient_along(self, expr: sp.Expr, seg: Segment) -> tuple[sp.Expr, ...]:
        """dF/dx_m(gamma(u)) for each m, for a smooth ``expr``."""
        sub = dict(zip(self.F.variables, seg.components))
        return tuple(sp.diff(expr, var).xreplace(sub) for var in self.F.variables)

    def resolve(self, expr: sp.Expr, k: int, seg: Segment, a: sp.Expr, b: sp.Expr
                ) -> list[Piece]:
        """Pieces of segment ``k`` on (a, b) where ``expr`` is smooth, with their values."""
        kinks = innermost_kinks(expr)
        if not kinks:
            self._check_domain(expr, k, seg, a, b)
            gradient = self.gradient_along(expr, seg)
            return [self._piece(expr, k, seg, a, b, gradient)]
        return self._split(expr, kinks, k, seg, a, b)

    def _piece(self, expr: sp.Expr, k: int, seg: Segment, a: sp.Expr, b: sp.Expr,
               gradient: tuple, forms: tuple = ()) -> Piece:
        """A smooth piece and its values (``gradient``: dF/dx_m along the path)."""
        try:
            values = self.integrate(expr, seg, a, b, gradient)
        except ZeroDivisionError:
            raise IntegrationError(
                f"{expr} or its gradient is singular on the path for "
                f"t in [{self._t(k, a)}, {self._t(k, b)}]") from None
        except TypeError as exc:
            if "complex" not in str(exc):
                raise
            raise IntegrationError(
                f"{expr} is not real on the path for t in "
                f"[{self._t(k, a)}, {self._t(k, b)}]") from None
        return Piece(k, self.path.global_t(k, a), self.path.global_t(k, b), expr, values,
                         u0=a, u1=b, forms=forms, gradient=gradient)

    def _split(self, expr: sp.Expr, kinks: list[sp.Expr], k: int, seg: Segment, a: sp.Expr,
               b: sp.Expr) -> list[Piece]:
        sub = dict(zip(self.F.variables, seg.components))
        along = {kink: [g.xreplace(sub) for g in branches(kink)] for kink in kinks}
        cuts: dict[Any, tuple[sp.Expr, str, bool, str]] = {}
        for kink in kinks:
            options = along[kink]
            for i, j in itertools.combinations(range(len(options)), 2):
                g = options[i] - options[j]
                if not g.has(U) and not g.is_zero:
                    continue
                for root in sign_changes(g, U, a, b, self.dps):
                    key = _numeric_key(root.value, working(self.dps))
                    if not any(abs(key - other) < bracket_width(self.dps) * 100
                               for other in cuts):
                        cuts[key] = (root, self._term(kink), g)
        ordered = sorted(cuts.items(), key=lambda item: item[0])
        for _, (root, term, g) in ordered:
            self.breakpoints.append(self._breakpoint(k, root, term, g))
        points = [a] + [v[0].value for _, v in ordered] + [b]
        pieces: list[Piece] = []
        for lo, hi in zip(points, points[1:]):
            choices = {kink: self._active(kink, along[kink], lo, hi) for kink in kinks}
            pieces += self._resolve_choices(expr, k, seg, lo, hi, choices)
        return pieces

    def _breakpoint(self, k: int, root: Any, term: str, g: sp.Expr) -> Breakpoint:
        return Breakpoint(self.path.global_t(k, root.value), k, term, root.exact, root.how,
                          u=root.value, switching=g, bracket=root.bracket)

    def _resolve_choices(self, expr: sp.Expr, k: int, seg: Segment, lo: sp.Expr, hi: sp.Expr,
                         choices: dict[sp.Expr, list[int]]) -> list[Piece]:
        kinks = list(choices)
        combo = {kink: branches(kink)[choices[kink][0]] for kink in kinks}
        pieces = self.resolve(_replace(expr, combo, self.origin, self.memo), k, seg, lo, hi)
        tied = [self._term(kink) for kink in kinks if len(choices[kink]) > 1]
        if tied:
            # branches tie on the whole piece: the first choice finds the breakpoints of the
            # outer kinks (the same for every choice: tied branches agree along the path);
            # the values are decided from F in _decide_from_F
            for piece in pieces:
                self.tied.setdefault(id(piece), []).extend(tied)
        return pieces

    def _decide_from_F(self, k: int, seg: Segment, lo: sp.Expr, hi: sp.Expr,
                       terms: list[str]) -> list[Piece]:
        """Values on a piece where branches tie, from F's one-sided partial derivatives."""
        F, variables = self.F, self.F.variables
        sub = dict(zip(variables, seg.components))
        moving = [d != 0 for d in seg.derivative()]
        interval = f"t in [{self._t(k, lo)}, {self._t(k, hi)}]"
        for fraction in (sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(5, 7),
                         sp.Rational(2, 11)):
            m = _between(lo, hi, fraction, self.dps)
            point = {v: c.xreplace({U: m}) for v, c in sub.items()}
            plus, minus, cuts, accidental = [], [], [], False
            for var in variables:
                for sign, store in ((1, plus), (-1, minus)):
                    smooth, decisions = directional_branch(F.expr, point, {var: sign})
                    store.append(smooth)
                    for d in decisions:
                        along_value = d.difference.xreplace(sub)
                        along_slope = d.slope.xreplace(sub)
                        if not identically_zero(along_value, U, lo, hi, self.dps):
                            accidental = True  # a tie at this point only: probe elsewhere
                        elif d.kind == "slope tie":
                            accidental |= not identically_zero(along_slope, U, lo, hi, self.dps)
                        else:
                            cuts += [(r, along_slope) for r in
                                     sign_changes(along_slope, U, lo, hi, self.dps)]
            if accidental:
                continue
            if cuts:
                # the slope order of tied branches changes inside the piece: split there
                unique: dict[Any, tuple] = {}
                for root, g in cuts:
                    key = _numeric_key(root.value, working(self.dps))
                    if not any(abs(key - other) < bracket_width(self.dps) * 100
                               for other in unique):
                        unique[key] = (root, g)
                ordered = [unique[key] for key in sorted(unique)]
                for root, g in ordered:
                    self.breakpoints.append(self._breakpoint(
                        k, root, f"slope order of the tied branches of {', '.join(terms)}", g))
                bounds = [lo] + [root.value for root, _ in ordered] + [hi]
                out: list[Piece] = []
                for a, b in zip(bounds, bounds[1:]):
                    out += self._decide_from_F(k, seg, a, b, terms)
                return out
            gradient = []
            t_mid = self._t(k, m)
            for i, var in enumerate(variables):
                right = sp.diff(plus[i], var)
                left = sp.diff(minus[i], var)
                along = (right - left).xreplace(sub)
                gradient.append(right.xreplace(sub))
                if along == 0 or identically_zero(along, U, lo, hi, self.dps):
                    continue
                at = dict(point)
                one_sided = (f"its one-sided derivatives at t = {t_mid} are "
                             f"{tidy(right.xreplace(at))} (along +{var}) and "
                             f"{tidy(left.xreplace(at))} (along -{var}, sign reversed)")
                if moving[i]:
                    raise NotDifferentiableError(
                        f"F is not differentiable along the path: dF/d{var} does not exist "
                        f"for {interval}, where {', '.join(terms)} tie; {one_sided}",
                        "move the path off the kink or use another path")
                self.notes.append(
                    f"dF/d{var} does not exist for {interval} ({one_sided}); the path does "
                    f"not move in {var} there, so by convention {var} gets 0 from that "
                    f"stretch (its integrand has the factor d{var}/dt = 0)")
            self.notes.append(
                f"{', '.join(dict.fromkeys(terms))} tie for {interval}: F's partial "
                "derivatives there were decided from F's one-sided derivatives (branches "
                "chosen by value, then slope) and are integrated")
            forms = tuple(plus)
            first = next((i for i, mv in enumerate(moving) if mv), 0)
            piece = self._piece(forms[first], k, seg, lo, hi, tuple(gradient), forms)
            return [piece]
        raise NotDifferentiableError(
            f"F is not differentiable along the path: {', '.join(terms)} tie for {interval} "
            "and no interior point decides F's one-sided derivatives",
            "move the path off the kink or use another path")

    def _function_text(self) -> str:
        """F as sympy prints it; a long one as the user typed it (printing a network's
        sympy tree takes longer than attributing it)."""
        if self.F.text is not None and len(self.F.text) > LONG_TEXT:
            return self.F.text
        return str(self.F.expr)

    def _mark_gradient_changes(self, k: int, pieces: list[Piece]) -> None:
        """Set ``changes_gradient`` on the breakpoints of segment ``k``."""
        for n, bp in enumerate(self.breakpoints):
            if bp.segment != k or bp.u is None:
                continue
            left = next((p for p in pieces if p.u1 is not None and _same_point(p.u1, bp.u)),
                        None)
            right = next((p for p in pieces if p.u0 is not None and _same_point(p.u0, bp.u)),
                         None)
            if left is None or right is None:
                continue
            same = all(
                (d := (x - y)) == 0 or (d.is_number and abs(sp.N(d, working(self.dps)))
                                        < bracket_width(self.dps))
                or (not d.is_number and identically_zero(d, U, left.u0, right.u1, self.dps))
                for x, y in zip(left.gradient, right.gradient))
            if same:
                self.breakpoints[n] = replace(bp, changes_gradient=False)

    def _check_domain(self, expr: sp.Expr, k: int, seg: Segment, a: sp.Expr, b: sp.Expr
                      ) -> None:
        """F must be real and finite on the closed piece: no pole, no log or root of a
        non-positive number (exact for polynomial arguments, by sampling otherwise)."""
        sub = dict(zip(self.F.variables, seg.components))
        for node in sp.preorder_traversal(expr):
            if node.is_Pow and node.exp.is_number and not node.exp.is_Integer:
                condition, what = node.base, "root of a negative number"
            elif node.is_Pow and node.exp.is_number and node.exp.is_negative:
                condition, what = node.base, "division by zero"
            elif isinstance(node, sp.log):
                condition, what = node.args[0], "log of a non-positive number"
            else:
                continue
            if not condition.free_symbols:
                continue
            g = condition.xreplace(sub)
            p = as_rational_poly(g, U)
            bad = None
            if p is not None:
                if p.is_zero:
                    bad = a
                else:
                    for r in p.real_roots():
                        if not (sp.N(r - a, COMPARE_DIGITS) < 0
                                or sp.N(r - b, COMPARE_DIGITS) > 0):
                            endpoint_root = what.startswith("root") and (r == a or r == b)
                            if not endpoint_root:
                                bad = r
                                break
                    if bad is None and what != "division by zero":
                        mid = _between(a, b, sp.Rational(1, 2), self.dps)
                        if p.eval(mid) < 0:
                            bad = mid
            else:
                for fraction in (0, sp.Rational(1, 3), sp.Rational(1, 2), sp.Rational(2, 3), 1):
                    probe = a + (b - a) * fraction if (a.is_Rational and b.is_Rational) else \
                        _between(a, b, sp.Rational(1, 2), self.dps)
                    value = sp.N(g.xreplace({U: probe}), 30)
                    if value.is_real is False or (value <= 0 and what != "division by zero"
                                                   and not (what.startswith("root")
                                                            and value == 0)):
                        bad = probe
                        break
                    if what == "division by zero" and value == 0:
                        bad = probe
                        break
            if bad is not None:
                raise IntegrationError(
                    f"F is not defined on the whole path: {what} in {node} at t = "
                    f"{self._t(k, bad)}", "choose a path that stays in F's domain")

    def _t(self, k: int, u: sp.Expr) -> str:
        t = self.path.global_t(k, u)
        return str(t) if t.is_Rational else mpmath.nstr(to_mpf(t, 20), 10)

    def _sum_pieces(self, pieces: list[Piece]) -> tuple:
        n = self.F.dimension
        return tuple(self.add([p.values[m] for p in pieces]) for m in range(n))

    # -- running ------------------------------------------------------------------
    def run(self) -> Attribution:
        pieces: list[Piece] = []
        segment_values = []
        for k, seg in enumerate(self.path.segments):
            seg_pieces = []
            for piece in self.resolve(self.F.expr, k, seg, sp.S(0), sp.S(1)):
                if id(piece) in self.tied:
                    seg_pieces += self._decide_from_F(k, seg, piece.u0, piece.u1,
                                                      list(dict.fromkeys(self.tied[id(piece)])))
                else:
                    seg_pieces.append(piece)
            self._mark_gradient_changes(k, seg_pieces)
            pieces += seg_pieces
            segment_values.append(self._sum_pieces(seg_pieces))
        values = tuple(self.finish(self.add([s[m] for s in segment_values]))
                       for m in range(self.F.dimension))
        self.breakpoints.sort(key=lambda b: _numeric_key(b.t))
        return Attribution(
            engine=self.name, variables=self.F.variables, values=values,
            delta_F=self.delta_F(), breakpoints=tuple(self.breakpoints), pieces=tuple(pieces),
            segment_values=tuple(tuple(self.finish(v) for v in s) for s in segment_values),
            error=self.error_estimate(pieces), dps=self.dps,
            notes=tuple(dict.fromkeys(self.notes)),
            function=self._function_text(), path=repr(self.path),
            exact=self.name == "symbolic" and all(b.exact for b in self.breakpoints),
            source=(self.F, self.path))

    # -- hooks --------------------------------------------------------------------
    def integrate(self, expr: sp.Expr, seg: Segment, a: sp.Expr, b: sp.Expr,
                  gradient: tuple) -> tuple:
        raise NotImplementedError

    def add(self, values: list) -> Any:
        raise NotImplementedError

    def finish(self, value: Any) -> Any:
        return value

    def delta_F(self) -> Any:
        raise NotImplementedError

    def error_estimate(self, pieces: list[Piece]) -> Any:
        """The symbolic engine's bound for numerically certified breakpoints (0 if none):
        SAFETY times the sum, over such breakpoints, of the integrand on both sides times
        the bracket width, plus rounding at the working precision."""
        numeric = [b for b in self.breakpoints if not b.exact and b.u is not None]
        if not numeric:
            return sp.S(0)
        bound = sp.S(0)
        for bp in numeric:
            seg = self.path.segments[bp.segment]
            derivs = seg.derivative()
            for p in pieces:
                if p.segment == bp.segment and (_same_point(p.u0, bp.u) or
                                                _same_point(p.u1, bp.u)):
                    jump = max((abs(sp.N((g * d).xreplace({U: bp.u}), 20))
                                for g, d in zip(p.gradient, derivs)), default=sp.S(0))
                    bound += SAFETY * jump * bracket_width(self.dps)
        return sp.Float(bound + sp.Float(10) ** (-working(self.dps)), 3)

    def integrands(self, expr: sp.Expr, seg: Segment, gradient: tuple
                   ) -> list[sp.Expr | None]:
        """dF/dx_m(gamma(u)) * gamma_m'(u) for each m; None where gamma_m is constant."""
        return [None if d == 0 else g * d for g, d in zip(gradient, seg.derivative())]


class SymbolicEngine(_Engine):
    """Exact integration of each smooth piece with sympy."""

    name = "symbolic"

    def integrate(self, expr: sp.Expr, seg: Segment, a: sp.Expr, b: sp.Expr,
                  gradient: tuple) -> tuple:
        values = []
        for integrand in self.integrands(expr, seg, gradient):
            if integrand is None:
                values.append(sp.S(0))
                continue
            values.append(self._definite(integrand, a, b))
        return tuple(values)

    def _definite(self, integrand: sp.Expr, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        p = _as_poly(integrand)
        if p is not None:
            # substitute into the expression: Poly.eval would round a Float limit (a
            # certified numeric breakpoint) to a 15-digit rational of the coefficient domain
            antiderivative = p.integrate().as_expr()
            value = antiderivative.xreplace({U: b}) - antiderivative.xreplace({U: a})
            return value if value.is_Rational else sp.expand(value)
        terms = sp.Add.make_args(integrand)
        if len(terms) > 1:
            # term by term: sympy's integrate can stall on a whole sum (a tanh network's
            # gradient) that it integrates in milliseconds one term at a time
            polynomial = sp.Add(*[t for t in terms if _as_poly(t) is not None])
            rest = [t for t in terms if _as_poly(t) is None]
            parts = [self._definite(polynomial, a, b)] if polynomial != 0 else []
            if len(rest) > 1 or parts:
                return sp.Add(*parts, *[self._definite(t, a, b) for t in rest])
        try:
            value = sp.integrate(integrand, (U, a, b), conds="none")
        except (NotImplementedError, ValueError, TypeError) as exc:
            raise IntegrationError(f"sympy cannot integrate {integrand}: {exc}",
                                   "use engine='mpmath'") from None
        if value.has(sp.Integral) or value.has(sp.nan, sp.zoo, sp.oo):
            raise IntegrationError(f"no closed form found for the integral of {integrand} "
                                   f"over u in [{a}, {b}]", "use engine='mpmath'")
        return value

    def add(self, values: list) -> sp.Expr:
        return sp.Add(*values)

    def finish(self, value: sp.Expr) -> sp.Expr:
        return tidy(value)

    def delta_F(self) -> sp.Expr:
        return tidy(self.F.at(self.path.end) - self.F.at(self.path.start))


class MpmathEngine(_Engine):
    """Tanh-sinh quadrature of each smooth piece at ``dps`` digits, with an error estimate."""

    name = "mpmath"

    def __init__(self, function: Function, path: Path, dps: int) -> None:
        super().__init__(function, path, dps)
        self.work = working(dps)
        self.errors: list[mpmath.mpf] = []

    def integrate(self, expr: sp.Expr, seg: Segment, a: sp.Expr, b: sp.Expr,
                  gradient: tuple) -> tuple:
        values = []
        with _precision(self.work):
            lo, hi = to_mpf(a, self.work), to_mpf(b, self.work)
            for integrand in self.integrands(expr, seg, gradient):
                if integrand is None:
                    values.append(mpmath.mpf(0))
                    continue
                f = compile_expression(integrand, [U], mpmath.mp)
                if self._singular_at_an_end(f, lo, hi):
                    # tanh-sinh nodes next to an end keep absolute, not relative, precision;
                    # an integrable singularity there (sqrt(x) from 0) costs half the digits
                    with _precision(2 * self.work):
                        f = compile_expression(integrand, [U], mpmath.mp)
                        value, err = mpmath.quad(lambda u, f=f: f([u]),
                                                 [to_mpf(a, 2 * self.work),
                                                  to_mpf(b, 2 * self.work)], error=True)
                else:
                    value, err = mpmath.quad(lambda u, f=f: f([u]), [lo, hi], error=True)
                if not mpmath.isfinite(value):
                    raise IntegrationError(f"the integral of {integrand} diverges on the path")
                values.append(value)
                self.errors.append(err)
        return tuple(values)

    @staticmethod
    def _singular_at_an_end(f: Any, lo: mpmath.mpf, hi: mpmath.mpf) -> bool:
        for end in (lo, hi):
            try:
                if not mpmath.isfinite(f([end])):
                    return True
            except (ZeroDivisionError, ValueError, OverflowError):
                return True
        return False

    def add(self, values: list) -> mpmath.mpf:
        with _precision(self.work):
            return mpmath.fsum(values)

    def delta_F(self) -> mpmath.mpf:
        with _precision(self.work):
            f = compile_expression(self.F.expr, self.F.variables, mpmath.mp)
            end = [to_mpf(c, self.work) for c in self.path.end]
            start = [to_mpf(c, self.work) for c in self.path.start]
            return f(end) - f(start)

    def error_estimate(self, pieces: list[Piece]) -> mpmath.mpf:
        with _precision(self.work):
            return mpmath.fsum(self.errors) if self.errors else mpmath.mpf(0)


def _same_point(a: sp.Expr, b: sp.Expr) -> bool:
    if a is b or a == b:
        return True
    if a.is_Rational and b.is_Rational:
        return False
    return abs(sp.N(a - b, COMPARE_DIGITS)) < sp.Float(10) ** -(COMPARE_DIGITS - 10)


def _check_symbolic(F: Function, engine: str, symbols: set[sp.Symbol]) -> None:
    """Symbolic endpoints are for smooth entire F, where no branch or domain is in doubt."""
    names = ", ".join(sorted(map(str, symbols)))
    if engine != "symbolic":
        raise IGVerifyError(f"the {engine} engine needs numeric endpoints, the path has {names}",
                            "use engine='symbolic'")
    if F.kinks():
        raise UnsupportedFunctionError(
            f"symbolic endpoints ({names}) need a smooth F, and {F} has max/min/abs terms",
            "substitute numbers for the symbols")
    for node in sp.preorder_traversal(F.expr):
        singular = isinstance(node, (sp.log, sp.tan)) or (
            node.is_Pow and not (node.exp.is_Integer and node.exp >= 0)
            and node.base.free_symbols)
        if singular:
            raise UnsupportedFunctionError(
                f"symbolic endpoints ({names}) need F without poles, logs or roots ({node})",
                "substitute numbers for the symbols")


def _engine_class(engine: str) -> type[_Engine]:
    if engine == "symbolic":
        return SymbolicEngine
    if engine == "mpmath":
        return MpmathEngine
    raise IGVerifyError(f"unknown engine '{engine}'", "choose 'symbolic' or 'mpmath'")


def attribute(function: Function | str | sp.Expr, path: Path, engine: str = "symbolic",
              dps: int = DEFAULT_DPS, timeout: float | None = None) -> Attribution:
    """The path-method attribution of ``function`` along ``path``.

    ``engine="symbolic"`` gives exact values; ``engine="mpmath"`` gives ``dps``
    significant digits with an error estimate. ``timeout`` (seconds, main thread
    only) turns a closed form sympy cannot find quickly into an IntegrationError.

    >>> from proofs import Function, curve
    >>> attribute(Function("x1*x2"), curve(["t", "t**2"])).values
    (1/3, 2/3)
    """
    F = function if isinstance(function, Function) else Function(function)
    if not isinstance(path, Path):
        raise IGVerifyError(f"expected a Path, got {type(path).__name__}",
                            "build one with straight(), polyline() or curve()")
    if path.dimension != F.dimension:
        raise DimensionError(f"the path has {count(path.dimension, 'coordinate')} but {F} has "
                             f"{count(F.dimension, 'variable')} "
                             f"({', '.join(map(str, F.variables))})")
    if not isinstance(dps, int) or isinstance(dps, bool) or not 5 <= dps <= MAX_DPS:
        raise IGVerifyError(f"dps must be an integer from 5 to {MAX_DPS}, got {dps!r}")
    symbols = set().union(*(c.free_symbols for s in path.segments for c in s.components)) - {U}
    if symbols:
        _check_symbolic(F, engine, symbols)
    runner = _engine_class(engine)(F, path, dps)
    hint = "use engine='mpmath'" if engine == "symbolic" else "lower dps"
    with time_limit(timeout, lambda: IntegrationError(
            f"the {engine} engine gave up after {timeout:g} s", hint)):
        return runner.run()


def integrated_gradients(function: Function | str | sp.Expr, input: Sequence[object],
                         baseline: Sequence[object] | None = None, engine: str = "symbolic",
                         dps: int = DEFAULT_DPS, timeout: float | None = None) -> Attribution:
    """Integrated Gradients: the path method of the straight path from baseline to input.

    The baseline defaults to the origin.

    >>> from proofs import Function
    >>> integrated_gradients(Function("relu(relu(x1) - 1 - relu(x2))"), [3, 1]).values
    (3/2, -1/2)
    """
    F = function if isinstance(function, Function) else Function(function)
    x = as_point(input, F.dimension, "input")
    base = (0,) * F.dimension if baseline is None else as_point(baseline, F.dimension, "baseline")
    return attribute(F, straight(base, x), engine=engine, dps=dps, timeout=timeout)
