"""The method contract: what an attribution method is, how it is named, called and validated.

This is the one place the contract is written down; :func:`axioms.check`, the matrix
(``--method``, repeatable), :func:`axioms.assert_axiom` and :mod:`axioms.strategies` all take
a method through :func:`axioms.as_method` (:mod:`axioms.registry`: a built-in name, or what
:func:`coerce_method` here accepts), so they accept exactly the same things:

* a callable ``method(F, x, baseline)``. ``F`` is a :class:`proofs.Function`: call it on a
  point (``F(x)``, ``F(*x)``), read ``F.expr`` (a sympy expression), ``F.variables``,
  ``F.dimension``, ``F.gradient_at(point)`` (the exact gradient from the active branches).
  ``x`` and ``baseline`` are tuples of exact sympy numbers (``float(v)`` turns one into a
  float); in identity checks they may be sympy symbols, and a method that cannot take symbols
  may raise there (those cases are skipped, never counted against the method). It returns one
  number per variable: a list, tuple, NumPy array or tensor of ints, Fractions, floats, sympy
  or mpmath numbers.
* a distributional method: the same callable with the attribute ``kind = "distributional"``;
  it is called as ``method(F, x, D)`` with ``D`` a tuple of ``(baseline, weight)`` pairs
  (weights positive, summing to 1).
* ``"module:function"``: imported with importlib (your code: put it on ``PYTHONPATH``).
* a built-in name (``python -m axioms --help`` lists them) or a :class:`Method`.

Floats returned by a method are compared with a tolerance (see :mod:`axioms.tolerance`); exact
numbers exactly. A method that raises, or returns a wrong length, NaN, infinity or something
that is not a number, gets the verdict "error" with the input and the message: that is a bug in
the method, not an axiom verdict. An igverify user error raised inside a method (F not
differentiable on the path, an unsupported function: raise
``proofs.UnsupportedFunctionError("why")`` for inputs your method does not handle) means the
case is outside the method's domain: it is skipped and counted.

>>> from proofs import Function
>>> def halves(F, x, baseline):
...     d = F(x) - F(baseline)
...     return [d / 2, d / 2]
>>> evaluate(coerce_method(halves), Function("x1*x2"), (1, 3), (0, 0))
(3/2, 3/2)
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from proofs.errors import DimensionError, IGVerifyError, UnsupportedFunctionError

__all__ = [
    "BASELINE", "DISTRIBUTIONAL", "Attributions", "Method", "MethodError", "MethodOutputError",
    "Theorem", "coerce_method", "evaluate", "exact_number", "load_method",
]

BASELINE = "baseline"
DISTRIBUTIONAL = "distributional"


class MethodError(IGVerifyError):
    """The method under test raised an exception that is not an igverify user error."""


class MethodOutputError(IGVerifyError):
    """The method under test returned something that is not an attribution."""


@dataclass(frozen=True)
class Theorem:
    """A published result that a built-in method satisfies an axiom.

    ``source`` names it (authors, year, result number); ``hypotheses`` says what F must meet,
    and ``applies(F)`` decides it (conservatively: False when unsure).
    """

    source: str
    statement: str
    hypotheses: str = "any F"
    applies: Callable = field(default=lambda F: True, repr=False, compare=False)

    def describe(self) -> str:
        return f"{self.statement} ({self.source}); hypotheses: {self.hypotheses}"


@dataclass(frozen=True)
class Method:
    """An attribution method: a callable, its name, and what is published about it.

    ``theorems`` maps an axiom slug to the :class:`Theorem` saying the method satisfies it.
    """

    name: str
    func: Callable
    kind: str = BASELINE
    description: str = ""
    theorems: dict = field(default_factory=dict, compare=False)

    def __call__(self, F, x, baseline):
        return evaluate(self, F, x, baseline)

    def with_baseline(self) -> Method:
        """A distributional method as a baseline method: D concentrated at the baseline."""
        if self.kind == BASELINE:
            return self
        return Method(self.name, lambda F, x, b: self.func(F, x, ((tuple(b), sp.Integer(1)),)),
                      BASELINE, self.description, self.theorems)

    def lifted(self) -> Method:
        """A baseline method as a distributional one: E_D[A(x, X', F)] (finite D)."""
        if self.kind == DISTRIBUTIONAL:
            return self

        def expected(F, x, D):
            total, inexact = [sp.Integer(0)] * len(x), False
            for point, weight in D:
                vals = evaluate(self, F, x, point)
                inexact = inexact or vals.inexact
                total = [t + weight * v for t, v in zip(total, vals, strict=True)]
            return Attributions(total, inexact)

        return Method(self.name, expected, DISTRIBUTIONAL, f"E_D[{self.name}(x, X', F)]",
                      self.theorems)


class Attributions(tuple):
    """A method's validated answer: exact sympy numbers (a float is converted exactly to the
    rational it stores), with ``inexact`` True when any came from a float."""

    inexact: bool

    def __new__(cls, values, inexact: bool = False):
        self = super().__new__(cls, values)
        self.inexact = inexact
        return self


def _short(obj: object, limit: int = 80) -> str:
    text = " ".join(str(obj).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _as_value(v: object, index: int, symbolic_ok: bool) -> tuple[sp.Expr, bool]:
    """(exact value, came from a float)."""
    where = f"attribution {index + 1}"
    if isinstance(v, bool) or isinstance(v, (str, bytes)):
        raise MethodOutputError(f"{where} is {type(v).__name__} {_short(repr(v), 30)}; "
                                "expected a number")
    if isinstance(v, sp.Basic):
        if not isinstance(v, sp.Expr):
            raise MethodOutputError(f"{where} ({_short(v)}) is not a number")
        if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise MethodOutputError(f"{where} is {v}; expected a finite number")
        if v.free_symbols:
            if not symbolic_ok:
                raise MethodOutputError(f"{where} ({_short(v)}) contains symbols for numeric "
                                        "inputs")
            return v, False
        if v.is_real is False:
            raise MethodOutputError(f"{where} is {v}; expected a real number")
        if v.has(sp.Float):
            fv = float(v)
            if not math.isfinite(fv):
                raise MethodOutputError(f"{where} is {fv}; expected a finite number")
            return sp.Rational(fv), True
        return v, False
    if isinstance(v, (int, Fraction)):
        return sp.Rational(v), False
    if hasattr(v, "__float__"):
        try:
            fv = float(v)  # floats, numpy scalars, mpmath mpf, one-element tensors
        except (TypeError, ValueError, OverflowError) as exc:
            raise MethodOutputError(f"{where} ({_short(v)}) is not a real number") from exc
        if not math.isfinite(fv):
            raise MethodOutputError(f"{where} is {fv}; expected a finite number")
        if isinstance(v, int) or (hasattr(v, "dtype") and "int" in str(v.dtype)):
            return sp.Integer(int(v)), False
        return sp.Rational(fv), True
    raise MethodOutputError(f"{where} is {type(v).__name__} {_short(repr(v), 40)}; "
                            "expected a number")


def _has_symbols(*points) -> bool:
    return any(isinstance(v, sp.Basic) and v.free_symbols for p in points for v in p)


def exact_number(v, what: str, symbolic: bool = False) -> sp.Expr:
    """An exact sympy number from an int, Fraction, float (converted exactly) or sympy number.

    >>> exact_number(0.5, "x"), exact_number(Fraction(1, 3), "x")
    (1/2, 1/3)
    """
    if isinstance(v, (bool, str)):
        raise UnsupportedFunctionError(
            f"{what} is {v!r}; pass numbers (int, Fraction, sympy Rational)")
    if isinstance(v, sp.Basic):
        if symbolic and isinstance(v, sp.Expr) and v.free_symbols:
            return v
        out = v
    elif isinstance(v, (int, Fraction)):
        out = sp.Rational(v)
    elif hasattr(v, "__float__"):
        fv = float(v)
        if not math.isfinite(fv):
            raise UnsupportedFunctionError(f"{what} is {fv}; pass a finite number")
        out = sp.Rational(fv)  # exact: 0.1 -> 3602879701896397/36028797018963968
    else:
        raise UnsupportedFunctionError(f"{what} is not a number: {v!r}")
    if not out.is_number or out.is_finite is False or out.has(sp.nan, sp.zoo):
        raise UnsupportedFunctionError(f"{what} is not a finite number: {v!r}")
    return out


def evaluate(method: Method | Callable, F, x, baseline) -> Attributions:
    """Call ``method`` on ``(F, x, baseline)`` and validate its answer.

    Raises :class:`MethodOutputError` for a wrong length, NaN, infinity or a non-number,
    :class:`MethodError` (one line) when the method raises anything but an igverify user
    error; igverify user errors (F not differentiable, unsupported function) pass through.

    >>> from proofs import Function
    >>> evaluate(lambda F, x, b: [0.5, 1], Function("x1 + x2"), (1, 1), (0, 0)).inexact
    True
    """
    m = method if isinstance(method, Method) else coerce_method(method)
    x = tuple(exact_number(v, "input coordinate", True) for v in x)
    if m.kind == DISTRIBUTIONAL:
        baseline = tuple((tuple(exact_number(v, "baseline coordinate", True) for v in p),
                          exact_number(w, "baseline weight")) for p, w in baseline)
        symbolic = _has_symbols(x, *(p for p, _ in baseline))
    else:
        baseline = tuple(exact_number(v, "baseline coordinate", True) for v in baseline)
        symbolic = _has_symbols(x, baseline)
    if len(x) != F.dimension:
        raise DimensionError(f"the input has {len(x)} coordinates, F has {F.dimension} variables")
    try:
        out = m.func(F, x, baseline)
    except IGVerifyError:
        raise
    except Exception as exc:  # the method under test is arbitrary user code
        raise MethodError(f"{m.name} raised {type(exc).__name__}: {_short(exc)}") from exc
    if isinstance(out, Attributions):
        return out
    if isinstance(out, (str, bytes)) or not hasattr(out, "__len__"):
        raise MethodOutputError(f"{m.name} returned {type(out).__name__} "
                                f"{_short(repr(out), 40)}; expected {len(x)} numbers")
    try:
        values = list(out)
    except TypeError as exc:
        raise MethodOutputError(f"{m.name} returned an object that is not a sequence") from exc
    if len(values) != len(x):
        raise MethodOutputError(
            f"{m.name} returned {len(values)} attributions for {len(x)} variables")
    pairs = [_as_value(v, k, symbolic) for k, v in enumerate(values)]
    return Attributions([p for p, _ in pairs], any(f for _, f in pairs))


def load_method(spec: str) -> Method:
    """Load a user's method ``module:function`` (imported with importlib: the user's code).

    >>> load_method("axioms.methods.gradient:grad_x_input").name
    'axioms.methods.gradient:grad_x_input'
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise IGVerifyError(f"cannot read method {spec!r}", "name it as module:function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise IGVerifyError(f"no module named {module_name!r}",
                            "put it on PYTHONPATH or run from its folder") from exc
    except Exception as exc:  # the user's module raised while importing
        raise IGVerifyError(f"importing {module_name} raised {type(exc).__name__}: "
                            f"{_short(exc)}") from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise IGVerifyError(f"module {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, Method):
        return obj
    if not callable(obj):
        raise IGVerifyError(f"{spec} is not callable", "give a function method(F, x, baseline)")
    return _wrap(obj, spec)


def _wrap(func: Callable, name: str) -> Method:
    kind = getattr(func, "kind", BASELINE)
    kind = kind if kind in (BASELINE, DISTRIBUTIONAL) else BASELINE
    doc = (getattr(func, "__doc__", None) or "a user's method").strip().splitlines()[0]
    return Method(name, func, kind, doc)


def coerce_method(method: Method | str | Callable) -> Method:
    """A :class:`Method`, a callable or ``"module:function"`` as a :class:`Method`; built-in
    names are looked up one level up, by :func:`axioms.as_method`.

    >>> coerce_method(lambda F, x, b: x).kind
    'baseline'
    """
    if isinstance(method, Method):
        return method
    if isinstance(method, str):
        if ":" in method:
            return load_method(method)
        raise IGVerifyError(f"unknown method {method!r}",
                            "look built-in names up with axioms.as_method, or give "
                            "module:function")
    if callable(method):
        return _wrap(method, getattr(method, "__name__", "method"))
    raise IGVerifyError(f"a method must be a callable, a built-in name or module:function, "
                        f"not {type(method).__name__}")
