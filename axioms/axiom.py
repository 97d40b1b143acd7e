"""The shape of an axiom: one class per axiom, listed in :data:`axioms.registry.AXIOMS`.

A subclass of :class:`Axiom` gives its slug (the command-line name), a short column name, its
statement with the author-year citation, the property one :class:`Case` satisfies or violates,
the known cases it tries first (from :mod:`axioms.families`), the planted cases for a function
a user gives, the symbolic identities that prove it for such a function, and its hypothesis
strategy. The search driver (:mod:`axioms.search`) runs them; nothing here holds state.

>>> from axioms.baseline import Completeness
>>> Completeness().source.split("; ")[0]
'Sundararajan, Taly & Yan (2017), sec. 3, Prop. 1'
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import ClassVar

import sympy as sp

from axioms import families
from axioms.contract import BASELINE, evaluate
from axioms.tolerance import Tolerance, size

__all__ = ["Axiom", "Case", "Failure"]


def _symbols(n: int) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(f"x{i}", real=True) for i in range(1, n + 1))


def function(expr, n: int | None = None):
    """A proofs Function over x1..xn from a sympy expression or a string (safe parser).

    >>> function("x1**2", 3).variables
    (x1, x2, x3)
    """
    from proofs import Function, as_expression

    e = as_expression(expr)
    if n is None:
        idx = [int(str(s)[1:]) for s in e.free_symbols if str(s)[1:].isdigit()]
        n = max(idx, default=1)
    return Function(e, variables=_symbols(n))


@dataclass(frozen=True)
class Case:
    """One instance of an axiom's hypothesis (a baseline, or a distribution D of
    (point, weight) pairs) and the family it comes from."""

    F: object
    x: tuple
    baseline: tuple | None = None
    D: tuple | None = None
    G: object = None
    i: int | None = None
    j: int | None = None
    alpha: object = None
    beta: object = None
    scale: tuple | None = None
    shift: tuple | None = None
    family: str = ""
    note: str = ""

    @property
    def symbolic(self) -> bool:
        pts = [self.x] + ([self.baseline] if self.baseline is not None else [])
        pts += [p for p, _ in self.D] if self.D else []
        return any(isinstance(v, sp.Basic) and v.free_symbols for p in pts for v in p)

    def functions(self) -> list:
        return [f for f in (self.F, self.G) if f is not None]

    def one_point(self) -> Case:
        """This baseline case as a distributional one: D concentrated at the baseline."""
        return replace(self, baseline=None, D=((tuple(self.baseline), sp.Integer(1)),))

    def witness(self) -> dict[str, str]:
        w = {"function": str(self.F.expr)}
        if self.G is not None:
            w["G"] = str(self.G.expr)
        w["input"] = point_text(self.x)
        if self.baseline is not None:
            w["baseline"] = point_text(self.baseline)
        if self.D is not None:
            w["distribution"] = "{" + ", ".join(f"{point_text(p)}: {wt}" for p, wt in self.D) + "}"
        if self.alpha is not None:
            w["alpha, beta"] = f"{self.alpha}, {self.beta}"
        if self.scale is not None:
            w["T"] = "y -> (" + ", ".join(
                str(c * sp.Symbol(f"y{k + 1}") + d)
                for k, (c, d) in enumerate(zip(self.scale, self.shift, strict=True))) + ")"
        if self.i is not None:
            w["i"] = str(self.i + 1)
        if self.j is not None:
            w["j"] = str(self.j + 1)
        if self.family:
            fam = families.FAMILIES.get(self.family)
            w["family"] = f"{fam.title} ({fam.source})" if fam else self.family
        if self.note:
            w["note"] = self.note
        return w


def point_text(p) -> str:
    return "(" + ", ".join(str(v) for v in p) + ")"


def number_text(a, inexact: bool = False) -> str:
    """Exact numbers as sympy prints them; numbers that came from floats as floats."""
    if inexact and isinstance(a, sp.Basic) and not a.free_symbols:
        return repr(float(a))
    return str(a)


def vector_text(v, inexact: bool = False) -> str:
    return "(" + ", ".join(number_text(a, inexact) for a in v) + ")"


@dataclass
class Failure:
    """Why a case violates the axiom: expected, got, and the size |got - expected|."""

    expected: str
    got: str
    size: float | None = None
    symbolic: bool = False


def at(F, p) -> sp.Expr:
    """F at a point, exactly (symbols allowed)."""
    return F.expr.xreplace(dict(zip(F.variables, p, strict=True)))


def _total_abs(values) -> sp.Expr:
    return sum((abs(v) for v in values if not (isinstance(v, sp.Basic) and v.free_symbols)),
               sp.Integer(0))


# ---------------------------------------------------------------------------------------------
# Planted points for a function a user gives (no randomness: the same cases every run).

_R = sp.Rational


def grid_inputs(n: int) -> list[tuple]:
    base = [(1,) * n, (2, -1, _R(1, 2), _R(-3, 2)), (-1, 2, _R(-1, 2), 1),
            (_R(1, 2), _R(3, 2), 2, -1)]
    return [tuple(sp.Integer(1) * v for v in (p + (1,) * n)[:n]) for p in base]


def grid_baselines(n: int) -> list[tuple]:
    base = [(0,) * n, (-1,) * n, (1, _R(-1, 2), 2, 0)]
    return [tuple(sp.Integer(1) * v for v in (p + (0,) * n)[:n]) for p in base]


def grid_pairs(n: int, limit: int | None = None) -> list[tuple[tuple, tuple, str]]:
    """(input, baseline, note): zero, negative and nonzero baselines, and one equal pair."""
    pairs = [(x, b) for x in grid_inputs(n) for b in grid_baselines(n)]
    pairs.append((grid_inputs(n)[1], grid_inputs(n)[1]))
    return pairs[:limit] if limit else pairs


def symbolic_points(n: int) -> tuple[tuple, tuple]:
    a = tuple(sp.Symbol(f"a{k}", real=True) for k in range(1, n + 1))
    b = tuple(sp.Symbol(f"b{k}", real=True) for k in range(1, n + 1))
    return a, b


def is_polynomial(F) -> bool:
    return bool(F.expr.is_polynomial(*F.variables))


# ---------------------------------------------------------------------------------------------
# The base class.


class Axiom:
    """One axiom. Subclasses set the class attributes and implement :meth:`prop`."""

    slug: ClassVar[str] = ""
    short: ClassVar[str] = ""
    title: ClassVar[str] = ""
    statement: ClassVar[str] = ""
    source: ClassVar[str] = ""
    kind: ClassVar[str] = BASELINE
    #: the baseline axiom a distributional one extends (they agree on one-point D)
    counterpart: ClassVar[str | None] = None

    def __repr__(self) -> str:
        return f"<axiom {self.slug}>"

    @property
    def name(self) -> str:
        return self.slug

    def full_statement(self) -> str:
        return f"{self.statement} ({self.source})"

    # -- what a subclass provides -------------------------------------------------------------

    def prop(self, m, case: Case, tol: Tolerance) -> Failure | None:  # pragma: no cover
        raise NotImplementedError

    def strategy(self, functions=None, kinds=("polynomial", "network")):  # pragma: no cover
        raise NotImplementedError

    def planted(self, F, functions) -> list[Case]:
        """Numeric cases for a function F the user gave (``functions``: all of them)."""
        return []

    def identities(self, F) -> tuple[list[Case], str | None]:
        """Symbolic cases for F, and, when together they prove the axiom for F, what they
        prove (else None)."""
        return [], None

    # -- shared -------------------------------------------------------------------------------

    def known_cases(self) -> list[Case]:
        """The cases from the witness families, in the order listed."""
        return [self.from_spec(s) for s in families.CASES.get(self.slug, ())]

    @staticmethod
    def from_spec(s: families.Spec) -> Case:
        from proofs import parse_number

        F = function(s.F, s.n)
        n = F.dimension

        def pt(text):
            out = []
            for part in text.split(","):
                part = part.strip()
                if part.isidentifier():
                    out.append(sp.Symbol(part, real=True))
                else:
                    out.append(parse_number(part))
            return tuple(out)

        def num(text):
            return None if text is None else parse_number(text)

        G = function(s.G, n) if s.G else None
        D = tuple((pt(p), num(w)) for p, w in s.D) if s.D else None
        return Case(F, pt(s.x), pt(s.baseline) if s.baseline is not None else None, D, G,
                    s.i, s.j, num(s.alpha), num(s.beta), pt(s.scale) if s.scale else None,
                    pt(s.shift) if s.shift else None, s.family)

    def call(self, m, F, x, baseline):
        """The method's answer, validated (see :mod:`axioms.contract`)."""
        return evaluate(m, F, x, baseline)


# helpers the axiom modules share
def total_abs(values) -> sp.Expr:
    return _total_abs(values)


def failure(expected: str, got: str, diff=None, symbolic: bool = False) -> Failure:
    return Failure(expected, got, None if diff is None or symbolic else size(diff), symbolic)


def pairs_of(seq):
    return itertools.combinations(seq, 2)
