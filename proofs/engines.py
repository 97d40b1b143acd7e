"""The exact (sympy) and arbitrary-precision (mpmath) engines for path integrals.

Both engines do the same thing up to the last step. Along each segment of the
path they find the breakpoints where the active branch of a max, min or abs
changes (innermost kinks first, so nested ones are handled), split the segment
there, and on each smooth piece replace every kink by its active branch. Then
the symbolic engine integrates each piece exactly and the mpmath engine by
tanh-sinh quadrature at the requested number of digits. No Piecewise, Max or
Heaviside integrand is ever handed to ``sympy.integrate``.

Where a switching function vanishes on a whole piece (max(x1, x2) on the
diagonal), F may have no partial derivatives there. Both branches are then
integrated: if they give the same attributions the choice does not matter and a
note says so; if they differ, :class:`NotDifferentiableError` names the term and
the t-interval.

>>> from proofs import Function, polyline
>>> F = Function("x1*x2**2")
>>> attribute(F, polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)])).values
(-2/3, 5/3)
>>> integrated_gradients(Function("1 - relu(1 - x1)"), [2]).values
(1,)
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

import mpmath
import sympy as sp

from .attribution import Attribution, Breakpoint, Piece, _tidy
from .errors import (
    DimensionError,
    IGVerifyError,
    IntegrationError,
    NotDifferentiableError,
    UnsupportedFunctionError,
)
from .evaluate import compile_expression
from .function import Function, as_point
from .paths import Path, Segment, U, straight
from .roots import _precision, as_rational_poly, identically_zero, sign_changes, to_mpf

ENGINES = ("symbolic", "mpmath")
MAX_DPS = 1000
MAX_TIES = 64


def _innermost_kinks(expr: sp.Expr) -> list[sp.Expr]:
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Max, sp.Min, sp.Abs)):
            if not any(isinstance(a, (sp.Max, sp.Min, sp.Abs)) for arg in node.args
                       for a in sp.preorder_traversal(arg)):
                found.append(node)
    return list(dict.fromkeys(found))


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
             origin: dict[sp.Expr, sp.Expr] | None = None) -> sp.Expr:
    """``expr.xreplace(mapping)``, but max/min nodes are rebuilt without evaluation.

    sympy's Max compares its arguments pairwise when it is built (factor_terms on
    every difference); on networks that is most of the time spent. The branches
    are resolved by the engine anyway, so nothing is lost.
    """
    cache: dict[sp.Expr, sp.Expr] = {}

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
        elif isinstance(node, (sp.Max, sp.Min)):
            result = node.func(*args, evaluate=False)
        else:
            result = node.func(*args)
        if origin is not None and isinstance(node, (sp.Max, sp.Min, sp.Abs)):
            origin.setdefault(result, origin.get(node, node))  # the term as the user wrote it
        cache[node] = result
        return result

    return walk(expr)


PRINTED_NODES = 400


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


def _branches(kink: sp.Expr) -> tuple[sp.Expr, ...]:
    if isinstance(kink, sp.Abs):
        return (kink.args[0], -kink.args[0])
    return tuple(kink.args)


def _numeric_key(value: sp.Expr, digits: int = 60) -> sp.Float:
    return value if value.is_Rational else sp.N(value, digits)


def _between(a: sp.Expr, b: sp.Expr, fraction: sp.Rational, dps: int) -> sp.Expr:
    """A rational point strictly inside (a, b), a fraction of the way along."""
    if a.is_Rational and b.is_Rational:
        return a + (b - a) * fraction
    x = sp.N(a, dps + 20) + (sp.N(b, dps + 20) - sp.N(a, dps + 20)) * fraction
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
        return value if value.is_Rational else sp.N(value, self.dps + 15)

    def _active(self, kink: sp.Expr, along: Sequence[sp.Expr], a: sp.Expr, b: sp.Expr
                ) -> list[int]:
        """Indices of the branches active on (a, b): one, or several that coincide there."""
        pick = min if isinstance(kink, sp.Min) else max
        tol = sp.Float(10) ** (-(self.dps + 5))
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

    def resolve(self, expr: sp.Expr, k: int, seg: Segment, a: sp.Expr, b: sp.Expr
                ) -> list[Piece]:
        """Pieces of segment ``k`` on (a, b) where ``expr`` is smooth, with their values."""
        kinks = _innermost_kinks(expr)
        if not kinks:
            self._check_domain(expr, k, seg, a, b)
            try:
                values = self.integrate(expr, seg, a, b)
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
            return [Piece(k, self.path.global_t(k, a), self.path.global_t(k, b), expr, values)]
        sub = dict(zip(self.F.variables, seg.components))
        along = {kink: [g.xreplace(sub) for g in _branches(kink)] for kink in kinks}
        cuts: dict[Any, tuple[sp.Expr, str, bool, str]] = {}
        for kink in kinks:
            branches = along[kink]
            for i, j in itertools.combinations(range(len(branches)), 2):
                g = branches[i] - branches[j]
                if not g.has(U) and not g.is_zero:
                    continue
                for root in sign_changes(g, U, a, b, self.dps):
                    key = _numeric_key(root.value, self.dps + 10)
                    if not any(abs(key - other) < sp.Float(10) ** (-self.dps - 3)
                               for other in cuts):
                        cuts[key] = (root.value, self._term(kink), root.exact, root.how)
        ordered = sorted(cuts.items(), key=lambda item: item[0])
        for _, (value, term, exact, how) in ordered:
            self.breakpoints.append(Breakpoint(self.path.global_t(k, value), k, term, exact, how))
        points = [a] + [v[0] for _, v in ordered] + [b]
        pieces: list[Piece] = []
        for lo, hi in zip(points, points[1:]):
            choices = {kink: self._active(kink, along[kink], lo, hi) for kink in kinks}
            pieces += self._resolve_choices(expr, k, seg, lo, hi, choices)
        return pieces

    def _resolve_choices(self, expr: sp.Expr, k: int, seg: Segment, lo: sp.Expr, hi: sp.Expr,
                         choices: dict[sp.Expr, list[int]]) -> list[Piece]:
        kinks = list(choices)
        options = [[(kink, i) for i in choices[kink]] for kink in kinks]
        combos = list(itertools.islice(itertools.product(*options), MAX_TIES + 1))
        if len(combos) > MAX_TIES:
            raise UnsupportedFunctionError(
                f"too many coinciding branches of max/min along t in "
                f"[{self._t(k, lo)}, {self._t(k, hi)}]")
        results = []
        for combo in combos:
            replacement = {kink: _branches(kink)[i] for kink, i in combo}
            results.append(self.resolve(_replace(expr, replacement, self.origin), k, seg, lo, hi))
        if len(results) == 1:
            return results[0]
        totals = [self._sum_pieces(r) for r in results]
        tied = [kink for kink in kinks if len(choices[kink]) > 1]
        interval = f"t in [{self._t(k, lo)}, {self._t(k, hi)}]"
        for other in totals[1:]:
            for m, (x, y) in enumerate(zip(totals[0], other)):
                if not self.equal(x, y):
                    term = tied[0]
                    raise NotDifferentiableError(
                        f"F is not differentiable along the path: the branches "
                        f"{', '.join(map(str, _branches(term)))} of {self._term(term)} coincide "
                        f"for {interval} "
                        f"and give different dF/d{self.F.variables[m]} there",
                        "move the path off the kink or use another path")
        self.notes.append(
            f"branches of {', '.join(map(self._term, tied))} coincide for {interval}; every choice "
            "gives the same attributions there, so the integral is well defined")
        return results[0]

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
                        if not (sp.N(r - a, 30) < 0 or sp.N(r - b, 30) > 0):
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
            seg_pieces = self.resolve(self.F.expr, k, seg, sp.S(0), sp.S(1))
            pieces += seg_pieces
            segment_values.append(self._sum_pieces(seg_pieces))
        values = tuple(self.finish(self.add([s[m] for s in segment_values]))
                       for m in range(self.F.dimension))
        self.breakpoints.sort(key=lambda b: _numeric_key(b.t))
        return Attribution(
            engine=self.name, variables=self.F.variables, values=values,
            delta_F=self.delta_F(), breakpoints=tuple(self.breakpoints), pieces=tuple(pieces),
            segment_values=tuple(tuple(self.finish(v) for v in s) for s in segment_values),
            error=self.error_estimate(), dps=self.dps, notes=tuple(dict.fromkeys(self.notes)),
            function=str(self.F.expr), path=repr(self.path))

    # -- hooks --------------------------------------------------------------------
    def integrate(self, expr: sp.Expr, seg: Segment, a: sp.Expr, b: sp.Expr) -> tuple:
        raise NotImplementedError

    def add(self, values: list) -> Any:
        raise NotImplementedError

    def equal(self, x: Any, y: Any) -> bool:
        raise NotImplementedError

    def finish(self, value: Any) -> Any:
        return value

    def delta_F(self) -> Any:
        raise NotImplementedError

    def error_estimate(self) -> Any:
        return 0

    def integrands(self, expr: sp.Expr, seg: Segment) -> list[sp.Expr | None]:
        """dF/dx_m(gamma(u)) * gamma_m'(u) for each m; None where gamma_m is constant."""
        sub = dict(zip(self.F.variables, seg.components))
        out: list[sp.Expr | None] = []
        for var, d in zip(self.F.variables, seg.derivative()):
            if d == 0:
                out.append(None)
                continue
            out.append(sp.diff(expr, var).xreplace(sub) * d)
        return out


class SymbolicEngine(_Engine):
    """Exact integration of each smooth piece with sympy."""

    name = "symbolic"

    def integrate(self, expr: sp.Expr, seg: Segment, a: sp.Expr, b: sp.Expr) -> tuple:
        values = []
        for integrand in self.integrands(expr, seg):
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

    def equal(self, x: sp.Expr, y: sp.Expr) -> bool:
        d = x - y
        if d.is_Rational:
            return d == 0
        if abs(sp.N(d, self.dps)) > sp.Float(10) ** (-self.dps // 2):
            return False
        return sp.simplify(d) == 0 or abs(sp.N(d, 2 * self.dps)) < sp.Float(10) ** -self.dps

    def finish(self, value: sp.Expr) -> sp.Expr:
        return _tidy(value)

    def delta_F(self) -> sp.Expr:
        return _tidy(self.F.at(self.path.end) - self.F.at(self.path.start))


class MpmathEngine(_Engine):
    """Tanh-sinh quadrature of each smooth piece at ``dps`` digits, with an error estimate."""

    name = "mpmath"

    def __init__(self, function: Function, path: Path, dps: int) -> None:
        super().__init__(function, path, dps)
        self.work = dps + 10
        self.errors: list[mpmath.mpf] = []

    def integrate(self, expr: sp.Expr, seg: Segment, a: sp.Expr, b: sp.Expr) -> tuple:
        values = []
        with _precision(self.work):
            lo, hi = to_mpf(a, self.work), to_mpf(b, self.work)
            for integrand in self.integrands(expr, seg):
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

    def equal(self, x: mpmath.mpf, y: mpmath.mpf) -> bool:
        return abs(x - y) <= mpmath.mpf(10) ** (-(self.dps - 5)) * max(1, abs(x), abs(y))

    def delta_F(self) -> mpmath.mpf:
        with _precision(self.work):
            f = compile_expression(self.F.expr, self.F.variables, mpmath.mp)
            end = [to_mpf(c, self.work) for c in self.path.end]
            start = [to_mpf(c, self.work) for c in self.path.start]
            return f(end) - f(start)

    def error_estimate(self) -> mpmath.mpf:
        with _precision(self.work):
            return mpmath.fsum(self.errors) if self.errors else mpmath.mpf(0)


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


class _time_limit:
    """Raise IntegrationError after ``seconds`` (main thread, Unix); restores any outer timer."""

    def __init__(self, seconds: float | None, engine: str) -> None:
        usable = (seconds is not None and hasattr(signal, "SIGALRM")
                  and threading.current_thread() is threading.main_thread())
        self.seconds = seconds if usable else None
        self.engine = engine

    def _expire(self, signum: int, frame: object) -> None:
        hint = "use engine='mpmath'" if self.engine == "symbolic" else "lower dps"
        raise IntegrationError(f"the {self.engine} engine gave up after {self.seconds:g} s", hint)

    def __enter__(self) -> None:
        if self.seconds is None:
            return
        self.outer = signal.getitimer(signal.ITIMER_REAL)
        self.started = time.monotonic()
        self.handler = signal.signal(signal.SIGALRM, self._expire)
        limit = self.seconds if not self.outer[0] else min(self.seconds, self.outer[0])
        signal.setitimer(signal.ITIMER_REAL, limit)

    def __exit__(self, *exc: object) -> None:
        if self.seconds is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.handler)
        if self.outer[0]:  # give the outer timer what is left of it
            left = self.outer[0] - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


def attribute(function: Function | str | sp.Expr, path: Path, engine: str = "symbolic",
              dps: int = 50, timeout: float | None = None) -> Attribution:
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
        raise DimensionError(f"the path has {path.dimension} coordinates but {F} has "
                             f"{F.dimension} variables ({', '.join(map(str, F.variables))})")
    if not isinstance(dps, int) or isinstance(dps, bool) or not 5 <= dps <= MAX_DPS:
        raise IGVerifyError(f"dps must be an integer from 5 to {MAX_DPS}, got {dps!r}")
    symbols = set().union(*(c.free_symbols for s in path.segments for c in s.components)) - {U}
    if symbols:
        _check_symbolic(F, engine, symbols)
    runner = _engine_class(engine)(F, path, dps)
    with _time_limit(timeout, engine):
        return runner.run()


def integrated_gradients(function: Function | str | sp.Expr, input: Sequence[object],
                         baseline: Sequence[object] | None = None, engine: str = "symbolic",
                         dps: int = 50, timeout: float | None = None) -> Attribution:
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
