"""Compile sympy expressions to fast mpmath closures, at any precision or over intervals.

The mpmath engine integrates with these closures, and the breakpoint finder
encloses switching functions with the interval context (``mpmath.iv``) to
certify where they cannot vanish. The same tree walk serves both contexts, so
a number computed by quadrature and a sign certified by interval arithmetic
come from one reading of the expression.

>>> import sympy as sp, mpmath
>>> u = sp.Symbol("u")
>>> f = compile_expression(sp.exp(u) * u**2, [u], mpmath.mp)
>>> mpmath.nstr(f([mpmath.mpf(1)]), 10)
'2.718281828'
>>> g = compile_expression(u**2 - 2, [u], mpmath.iv)
>>> 0 in g([mpmath.iv.mpf([1, 2])]), 0 in g([mpmath.iv.mpf([0, 1])])
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy as sp

from .errors import UnsupportedFunctionError

Closure = Callable[[Sequence[Any]], Any]


def _constant(value: sp.Expr, ctx: Any) -> Any:
    """A sympy constant in ``ctx``: exact for rationals, an enclosure for the rest."""
    if isinstance(value, sp.Integer):
        return ctx.mpf(int(value))
    if isinstance(value, sp.Rational):
        return ctx.mpf(int(value.p)) / ctx.mpf(int(value.q))
    if value is sp.pi:
        return ctx.pi
    if value is sp.E:
        return ctx.e
    digits = int(ctx.prec * 0.302) + 20
    approx = sp.Float(value.evalf(digits), digits)
    if approx.has(sp.I) or not approx.is_real:
        raise UnsupportedFunctionError(f"constant {value} is not real")
    text = mpmath.mpf(approx._mpf_)
    if ctx is mpmath.iv:
        ulp = abs(text) * mpmath.mpf(2) ** (-(ctx.prec + 4)) + mpmath.mpf(2) ** (-10 * ctx.prec)
        return ctx.mpf([text - 4 * ulp, text + 4 * ulp])
    return ctx.mpf(text)


def _tanh(ctx: Any) -> Callable[[Any], Any]:
    if ctx is mpmath.iv:
        return lambda x: 1 - 2 / (ctx.exp(2 * x) + 1)
    return ctx.tanh


def _power(base: Closure, exponent: sp.Expr, ctx: Any) -> Closure:
    if exponent.is_Integer:
        n = int(exponent)
        if n >= 0:
            return lambda v: base(v) ** n
        return lambda v: 1 / (base(v) ** (-n))
    if exponent == sp.Rational(1, 2):
        return lambda v: ctx.sqrt(base(v))
    if exponent == -sp.Rational(1, 2):
        return lambda v: 1 / ctx.sqrt(base(v))
    e = _constant(exponent, ctx)
    return lambda v: ctx.exp(e * ctx.log(base(v)))


def _interval_extreme(parts: list[Closure], upper: bool) -> Closure:
    """max/min of intervals: the max of the lower ends and the max of the upper ends."""
    pick = max if upper else min

    def extreme(v):
        values = [p(v) for p in parts]
        return mpmath.iv.mpf([pick(x.a for x in values), pick(x.b for x in values)])
    return extreme


def compile_expression(expr: sp.Expr, symbols: Sequence[sp.Symbol], ctx: Any = mpmath.mp
                       ) -> Closure:
    """Compile ``expr`` over ``symbols`` to a closure ``f(values)`` in ``ctx``.

    ``ctx`` is ``mpmath.mp`` (the working precision is the context's at call
    time) or ``mpmath.iv`` (rigorous interval enclosures).
    """
    index = {s: i for i, s in enumerate(symbols)}
    cache: dict[sp.Expr, Closure] = {}

    def build(node: sp.Expr) -> Closure:
        if node in cache:
            return cache[node]
        result = _build(node)
        cache[node] = result
        return result

    def _build(node: sp.Expr) -> Closure:
        if node.is_Symbol:
            if node not in index:
                raise UnsupportedFunctionError(f"unexpected free symbol {node}")
            i = index[node]
            return lambda v: v[i]
        if node.is_number and not node.free_symbols:
            if node.is_Atom or node.is_Rational:
                c = _constant(node, ctx)
                return lambda v: c
            if isinstance(node, sp.CRootOf):
                c = _constant(node, ctx)
                return lambda v: c
        if node.is_Add:
            parts = [build(a) for a in node.args]

            def add(v, parts=parts):
                total = parts[0](v)
                for p in parts[1:]:
                    total = total + p(v)
                return total
            return add
        if node.is_Mul:
            parts = [build(a) for a in node.args]

            def mul(v, parts=parts):
                total = parts[0](v)
                for p in parts[1:]:
                    total = total * p(v)
                return total
            return mul
        if node.is_Pow:
            base, exponent = node.args
            if exponent.free_symbols:
                b, e = build(base), build(exponent)
                return lambda v: ctx.exp(e(v) * ctx.log(b(v)))
            return _power(build(base), exponent, ctx)
        unary = {sp.exp: ctx.exp, sp.log: ctx.log, sp.sin: ctx.sin, sp.cos: ctx.cos,
                 sp.tan: ctx.tan, sp.tanh: _tanh(ctx)}
        if node.func in unary and len(node.args) == 1:
            f, a = unary[node.func], build(node.args[0])
            return lambda v: f(a(v))
        if isinstance(node, sp.Abs):
            a = build(node.args[0])
            return lambda v: abs(a(v))
        if isinstance(node, (sp.Max, sp.Min)):
            parts = [build(a) for a in node.args]
            if ctx is mpmath.iv:
                return _interval_extreme(parts, isinstance(node, sp.Max))
            pick = max if isinstance(node, sp.Max) else min
            return lambda v: pick(p(v) for p in parts)
        if node.is_number:
            c = _constant(node, ctx)
            return lambda v: c
        raise UnsupportedFunctionError(
            f"cannot evaluate {node.func.__name__} numerically",
            "use +, -, *, /, **, exp, log, sqrt, sin, cos, tan, tanh, abs, max, min")

    return build(sp.S(expr))
