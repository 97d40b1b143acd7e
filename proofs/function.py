"""Functions F: an expression over ordered variables, in the class the papers study.

The class is real-analytic pieces (polynomials, exp, log, sqrt, sin, cos, tanh,
sigmoid, softplus, ...) combined with max, min, abs, relu and leaky relu: the
functions of Lundstrom, Huang & Razaviyayn (2022) built from analytic layers and
max. A Function comes from a string typed by a user (parsed safely, see
:mod:`proofs.parse`) or from a sympy expression.

>>> F = Function("x1*x2**2")
>>> F.variables, F(1, 2), F([2, 1/2])
((x1, x2), 4, 0.5)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

import sympy as sp

from .errors import (
    DimensionError,
    NotDifferentiableError,
    ParseError,
    UnsupportedFunctionError,
    count,
)
from .kinks import KINDS, is_kink, kinks_of, takes_largest
from .kinks import branches as kink_branches
from .parse import _DEFAULT_VARIABLE, as_expression, parse_expression, parse_number

_ANALYTIC = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.tanh)
_REJECTED = (sp.Piecewise, sp.Heaviside, sp.sign, sp.floor, sp.ceiling, sp.frac, sp.Mod,
             sp.DiracDelta)


def active_branch(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """An expression without max/min/abs that equals ``expr`` near ``point``.

    Each kink is replaced by its branch active at the point. Branches that tie there
    are fine when their gradients agree; otherwise F has no gradient at the point and
    NotDifferentiableError says so.

    >>> x = sp.Symbol("x")
    >>> active_branch(1 - sp.Max(0, 1 - x), {x: 2}), active_branch(sp.Abs(x - 1), {x: 0})
    (1, 1 - x)
    """
    if not expr.has(*KINDS):
        return expr
    if not is_kink(expr):
        return expr.func(*[active_branch(a, point) for a in expr.args])
    branches = [active_branch(b, point) for b in kink_branches(expr)]
    pick = max if takes_largest(expr) else min
    values = [b.xreplace(point) for b in branches]
    if any(v.free_symbols or not v.is_real for v in values):
        raise UnsupportedFunctionError(
            f"cannot decide the branch of {_short(expr)} at a symbolic point",
            "use numeric inputs for functions with max/min/abs")
    best = pick(values)
    tied = [b for b, v in zip(branches, values) if v == best]
    if len(tied) > 1:
        grads = {tuple(sp.simplify(sp.diff(b, s).xreplace(point)) for s in point) for b in tied}
        if len(grads) > 1:
            where = ", ".join(str(v) for v in point.values())
            raise NotDifferentiableError(
                f"F is not differentiable at ({where}): the branches of {_short(expr)} tie there")
    return tied[0]


def _short(expr: object, limit: int = 50) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_supported(expr: sp.Expr) -> None:
    """Raise UnsupportedFunctionError for constructs the engines do not handle."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, _REJECTED):
            raise UnsupportedFunctionError(
                f"{node.func.__name__} is not supported",
                "write piecewise functions with max, min, abs or relu")
        if isinstance(node, sp.Function) and not isinstance(node, _ANALYTIC + KINDS):
            if isinstance(node, sp.core.function.AppliedUndef):
                raise UnsupportedFunctionError(f"undefined function {node.func}")
        if node.is_number and node.is_real is False and node.is_finite is not False:
            raise UnsupportedFunctionError(f"non-real constant {node}")
        if node in (sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise UnsupportedFunctionError("the expression is undefined (infinity or 0/0)")


def _as_number(value: object) -> sp.Expr:
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    try:
        return parse_number(value)  # type: ignore[arg-type]
    except ParseError:
        raise
    except (TypeError, ValueError) as exc:
        raise ParseError(f"cannot read {value!r} as a number") from exc


def as_point(values: Sequence[object], dimension: int | None = None, what: str = "point"
             ) -> tuple[sp.Expr, ...]:
    """Exact sympy coordinates from ints, Fractions, sympy numbers or strings."""
    if isinstance(values, str):
        from .parse import parse_point
        point = parse_point(values)
    else:
        try:
            point = tuple(_as_number(v) for v in values)
        except TypeError:
            raise DimensionError(f"{what} must be a sequence of numbers, got {values!r}") from None
    if dimension is not None and len(point) != dimension:
        raise DimensionError(f"{what} has {count(len(point), 'coordinate')}, the function has "
                             f"{count(dimension, 'variable')}")
    return point


class Function:
    """A real function of ordered variables, given by a string or a sympy expression.

    >>> Function("max(x, y) - z", variables=["x", "y", "z"]).expr
    -z + Max(x, y)
    >>> Function("relu(x1 - 1/2)")(1)
    1/2
    """

    def __init__(self, source: str | sp.Expr | Function,
                 variables: Sequence[str | sp.Symbol] | None = None,
                 max_size: int | None = None) -> None:
        if isinstance(source, Function):
            source, variables = source.expr, variables or source.variables
        if isinstance(source, str):
            expr, symbols = parse_expression(source, variables, max_size=max_size)
        elif isinstance(source, (sp.Expr, int, Fraction)) and not isinstance(source, bool):
            expr = as_expression(source)
            symbols = self._symbols_for(expr, variables)
        else:
            raise UnsupportedFunctionError(
                f"cannot make a function from {type(source).__name__}",
                "pass a string such as 'x1*x2' or a sympy expression")
        check_supported(expr)
        self.expr: sp.Expr = expr
        self.text: str | None = source.strip() if isinstance(source, str) else None
        """The string F was parsed from (None for a sympy expression)."""
        self.variables: tuple[sp.Symbol, ...] = tuple(symbols)
        self._expanded: sp.Expr | None = None

    @staticmethod
    def _symbols_for(expr: sp.Expr, variables: Sequence[str | sp.Symbol] | None
                     ) -> tuple[sp.Symbol, ...]:
        free = {s.name: s for s in expr.free_symbols}
        if variables is None:
            names = sorted(free, key=lambda n: (len(n), n))
            if any(not _DEFAULT_VARIABLE.match(n) for n in names):
                raise ParseError(f"name the variables of {expr} (variables=[...])")
            top = max((int(n[1:]) for n in names), default=0)
            return tuple(free.get(f"x{i}", sp.Symbol(f"x{i}", real=True))
                         for i in range(1, top + 1))
        symbols = []
        for v in variables:
            if isinstance(v, sp.Symbol):
                symbols.append(v)
            elif isinstance(v, str):
                symbols.append(free.get(v, sp.Symbol(v, real=True)))
            else:
                raise ParseError(f"variables must be names or Symbols, got {v!r}")
        if len({s.name for s in symbols}) != len(symbols):
            raise ParseError("a variable is declared twice")
        missing = {s for s in expr.free_symbols} - set(symbols)
        if missing:
            raise ParseError(f"{', '.join(sorted(map(str, missing)))} not among the variables")
        return tuple(symbols)

    @property
    def dimension(self) -> int:
        return len(self.variables)

    def __call__(self, *args: object) -> sp.Expr | float:
        if len(args) == 1 and not isinstance(args[0], (str, int, float, Fraction, sp.Expr)):
            args = tuple(args[0])  # type: ignore[arg-type]
        floats = any(isinstance(a, float) for a in args)
        point = as_point(args, self.dimension)
        value = self.expr.xreplace(dict(zip(self.variables, point)))
        if floats:
            return float(sp.N(value, 30))
        return value

    def at(self, point: Sequence[object]) -> sp.Expr:
        """F at ``point``, exactly."""
        return self.expr.xreplace(dict(zip(self.variables, as_point(point, self.dimension))))

    def gradient(self) -> tuple[sp.Expr, ...]:
        """The partial derivatives (sympy's; use on smooth F)."""
        return tuple(sp.diff(self.expr, v) for v in self.variables)

    def gradient_at(self, point: Sequence[object]) -> tuple[sp.Expr, ...]:
        """The gradient at ``point``, exactly, from the branch of each kink active there.

        >>> Function("max(0, x1 - 1/2) * x2").gradient_at((1, 3))
        (3, 1/2)
        """
        env = dict(zip(self.variables, as_point(point, self.dimension)))
        try:
            smooth = active_branch(self.expr, env)
        except NotDifferentiableError:
            # a tie of differing branches: ask F, not the term (one-sided derivatives)
            from .onesided import one_sided_partials

            right, left = one_sided_partials(self.expr, self.variables, env)
            for v, r, lft in zip(self.variables, right, left):
                if sp.simplify(r - lft) != 0:
                    where = ", ".join(str(c) for c in env.values())
                    raise NotDifferentiableError(
                        f"dF/d{v} does not exist at ({where}): its one-sided derivatives are "
                        f"{r} (along +{v}) and {lft} (along -{v}, sign reversed)") from None
            return tuple(sp.simplify(r) for r in right)
        return tuple(sp.simplify(sp.diff(smooth, v).xreplace(env)) for v in self.variables)

    def kinks(self) -> list[sp.Expr]:
        """The max, min and abs terms whose arguments decide a branch."""
        return kinks_of(self.expr)

    def is_smooth(self) -> bool:
        return not self.kinks()

    def is_lipschitz_on(self, a: Sequence[object], b: Sequence[object]) -> bool | None:
        """Whether F is Lipschitz on the box with opposite vertices ``a`` and ``b``.

        True when F is built from locally Lipschitz pieces (polynomials, exp, sin,
        cos, tanh, max, min, abs) and every pole, log or root argument is bounded
        away from its singular value on the box (certified by interval
        arithmetic); False when such an argument is singular everywhere on the box;
        None when this cannot be decided. Completeness holds for Lipschitz F.

        >>> Function("max(x1, x2) * exp(x1)").is_lipschitz_on((0, 0), (1, 1))
        True
        >>> root = Function("sqrt(x1)")
        >>> root.is_lipschitz_on((0,), (1,)), root.is_lipschitz_on((1,), (2,))
        (None, True)
        """
        import mpmath

        from .evaluate import compile_expression
        from .roots import _precision

        lo = as_point(a, self.dimension, "box corner")
        hi = as_point(b, self.dimension, "box corner")
        with _precision(30):
            box = [mpmath.iv.mpf(sorted([sp.Float(p, 40), sp.Float(q, 40)]))
                   for p, q in zip(lo, hi)]
            verdict: bool | None = True
            for node in sp.preorder_traversal(self.expr):
                if node.is_Pow and node.exp.is_number and not (node.exp.is_Integer
                                                               and node.exp >= 0):
                    arg, kind = node.base, ("pole" if node.exp.is_Integer else "root")
                elif isinstance(node, sp.log):
                    arg, kind = node.args[0], "log"
                elif isinstance(node, sp.tan):
                    return None
                else:
                    continue
                if not arg.free_symbols:
                    continue
                try:
                    r = compile_expression(arg, self.variables, mpmath.iv)(box)
                except (ZeroDivisionError, ValueError, UnsupportedFunctionError):
                    return None
                if kind == "pole":
                    if r.a > 0 or r.b < 0:
                        continue
                elif r.a > 0:
                    continue
                if kind != "pole" and r.b < 0:
                    return False  # log or root of a negative number on the whole box
                verdict = None
            return verdict

    def latex(self) -> str:
        return sp.latex(self.expr)

    def __repr__(self) -> str:
        names = ", ".join(v.name for v in self.variables)
        return f"Function({self.expr}, variables=({names}))"

    def __str__(self) -> str:
        return str(self.expr)

    def _canonical(self) -> sp.Expr:
        """The expanded expression: equal Functions have equal canonical forms (and hashes)."""
        if self._expanded is None:
            self._expanded = sp.expand(self.expr)
        return self._expanded

    def __eq__(self, other: object) -> bool:
        """Same variables and the same expanded expression (a structural test, so it agrees
        with ``hash``): ``x1*(x2 + 1)`` equals ``x1*x2 + x1``; ``sin(x1)**2 + cos(x1)**2``
        does not equal ``1`` (implementation invariance is a question for the engines).

        >>> Function("x1*(x2+1)") == Function("x1*x2 + x1")
        True
        """
        if not isinstance(other, Function) or self.variables != other.variables:
            return False
        return self.expr == other.expr or self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash((self._canonical(), self.variables))
