"""The axioms of paper 000 (sec. 2.2, 4 and 5) as checks on any attribution method.

Each axiom is an :class:`Axiom`: its name, the paper's statement, a property that one case
(function(s), input, baseline or baseline distribution, and what else the axiom quantifies
over) either satisfies or violates, a battery of exact cases (symbolic inputs where the
method accepts them, and the published examples), and a hypothesis strategy of cases.
:func:`check` runs the exact cases, then searches, and shrinks a violation to a small
witness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sympy as sp
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from axioms import strategies as S
from axioms.methods import (
    BASELINE,
    DISTRIBUTIONAL,
    Method,
    MethodError,
    MethodOutputError,
    evaluate,
    get_method,
)
from axioms.verdict import HOLDS, UNDECIDED, VIOLATED, Verdict
from proofs.errors import IGVerifyError

__all__ = ["AXIOMS", "Axiom", "Case", "check", "get_axiom"]


# ---------------------------------------------------------------------------------------------
# Cases, outcomes, exact comparisons.


@dataclass(frozen=True)
class Case:
    """One instance of an axiom's hypothesis."""

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
    note: str = ""

    @property
    def symbolic(self) -> bool:
        pts = [self.x] + ([self.baseline] if self.baseline is not None else [])
        pts += [p for p, _ in self.D] if self.D else []
        return any(isinstance(v, sp.Basic) and v.free_symbols for p in pts for v in p)

    def witness(self) -> dict[str, str]:
        w = {"function": str(self.F.expr)}
        if self.G is not None:
            w["G"] = str(self.G.expr)
        w["input"] = _pt(self.x)
        if self.baseline is not None:
            w["baseline"] = _pt(self.baseline)
        if self.D is not None:
            w["distribution"] = "{" + ", ".join(f"{_pt(p)}: {wt}" for p, wt in self.D) + "}"
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
        if self.note:
            w["note"] = self.note
        return w


def _pt(p) -> str:
    return "(" + ", ".join(str(v) for v in p) + ")"


def _num(a) -> str:
    if isinstance(a, sp.Basic) and a.has(sp.Float):
        return f"{float(sp.N(a)):.12g}"
    return str(a)


def _vec(v) -> str:
    return "(" + ", ".join(_num(a) for a in v) + ")"


@dataclass
class Failure:
    expected: str
    got: str
    symbolic: bool = False


def _inexact(*vals) -> bool:
    return any(isinstance(v, sp.Basic) and v.has(sp.Float) for v in vals)


def _diff_zero(d: sp.Expr) -> bool:
    """Is d exactly 0? (symbolic: simplifies to 0; numbers: exact, or 0 to 40 digits for
    transcendental ones; floats from a user's method: relative 1e-9)."""
    d = sp.expand(d)
    if d == 0:
        return True
    if d.free_symbols:
        return sp.simplify(d) == 0
    if d.is_Rational:
        return False
    v = sp.N(d, 50)
    return abs(v) < sp.Float("1e-40", 50)


def _eq(a, b) -> bool:
    if _inexact(a, b):
        fa, fb = float(sp.N(a)), float(sp.N(b))
        return abs(fa - fb) <= 1e-9 * (1 + abs(fa) + abs(fb))
    return _diff_zero(a - b)


def _sign(a) -> int:
    if _inexact(a):
        f = float(sp.N(a))
        return 0 if abs(f) <= 1e-12 else (1 if f > 0 else -1)
    if _diff_zero(a):
        return 0
    if a.free_symbols:
        return 2  # nonzero, sign depends on the symbols
    return 1 if sp.N(a, 50) > 0 else -1


def _at(F, p):
    return F.expr.xreplace(dict(zip(F.variables, p, strict=True)))


def _fn(expr, n):
    return S._function(expr, n)


def _syms(prefix: str, n: int):
    return tuple(sp.Symbol(f"{prefix}{k}", real=True) for k in range(1, n + 1))


# ---------------------------------------------------------------------------------------------
# The axioms.


@dataclass
class Axiom:
    name: str
    statement: str
    kind: str = BASELINE
    battery: list = field(default_factory=list, repr=False)

    def prop(self, m: Method, case: Case) -> Failure | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def strategy(self, functions=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def exact_cases(self, functions=None) -> list[Case]:
        return list(self.battery) if functions is None else self.user_cases(functions)

    def user_cases(self, functions) -> list[Case]:
        return []


def _A(m, case, F=None, x=None, baseline=None):
    return evaluate(m, F or case.F, case.x if x is None else x,
                    case.baseline if baseline is None else baseline)


def _functions_or(functions, n_strategy):
    if functions:
        return st.sampled_from(list(functions))
    return n_strategy


def _n():
    return st.sampled_from((2, 3))


class _SearchConfig:
    """The function classes the search draws from (set by :func:`check`)."""

    kinds: tuple[str, ...] = ("polynomial", "network")


def _funcs(n: int):
    return S.functions(n, _SearchConfig.kinds)


class SensitivityA(Axiom):
    def prop(self, m, case):
        d = _at(case.F, case.x) - _at(case.F, case.baseline)
        if _sign(d) == 0:
            return None
        a = _A(m, case)[case.i]
        if _sign(a) != 0:
            return None
        return Failure(f"A_{case.i + 1} != 0 since F(x) - F(x') = {d}", f"A_{case.i + 1} = {a}")

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            F = draw(_functions_or(functions, st.sampled_from((1, 2)).flatmap(_funcs)))
            n = F.dimension
            base = draw(S.points(n))
            i = draw(st.integers(0, n - 1))
            v = draw(S.rationals(2, (1, 2)).filter(lambda r: r != base[i]))
            x = tuple(v if k == i else b for k, b in enumerate(base))
            return Case(F, x, base, i=i)

        return build()


class ImplementationInvariance(Axiom):
    def prop(self, m, case):
        a, b = _A(m, case), _A(m, case, F=case.G)
        if all(_eq(p, q) for p, q in zip(a, b, strict=True)):
            return None
        return Failure("A(x, x', F) = A(x, x', G) (F and G are the same function)",
                       f"A(F) = {_vec(a)}, A(G) = {_vec(b)}", case.symbolic)

    def strategy(self, functions=None):
        if functions:
            pairs = _equivalent_given(functions)

        @st.composite
        def build(draw):
            if functions:
                F, G = draw(st.sampled_from(pairs))
            else:
                F, G = draw(_n().flatmap(S.equivalent_pairs))
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)), G=G)

        return build()

    def user_cases(self, functions):
        return []


def _grid(n: int):
    import itertools

    vals = [sp.Rational(k, 2) for k in range(-6, 7)] if n <= 2 else \
        [sp.Rational(k, 2) for k in range(-4, 5, 2)]
    return itertools.product(vals, repeat=n)


def _equivalent_given(functions) -> list[tuple]:
    """Consecutive given functions as implementations of one function (checked: their
    difference simplifies to 0, or they agree on a grid of rational points)."""
    if len(functions) < 2:
        raise IGVerifyError("implementation invariance compares implementations of one "
                            "function", "give two or more expressions of the same function")
    pairs = []
    for F, G in zip(functions, functions[1:], strict=False):
        if F.variables != G.variables:
            raise IGVerifyError(f"{F.expr} and {G.expr} have different variables")
        if not (F.is_smooth() and G.is_smooth() and sp.simplify(F.expr - G.expr) == 0):
            for p in _grid(F.dimension):
                if not _diff_zero(_at(F, p) - _at(G, p)):
                    raise IGVerifyError(
                        f"{F.expr} and {G.expr} are different functions (they differ at "
                        f"{_pt(p)})", "give implementations of one function")
        pairs.append((F, G))
    return pairs


class Completeness(Axiom):
    def prop(self, m, case):
        a = _A(m, case)
        d = _at(case.F, case.x) - _at(case.F, case.baseline)
        if _eq(sum(a), d):
            return None
        return Failure(f"sum A = F(x) - F(x') = {sp.simplify(d)}",
                       f"sum A = {_num(sp.simplify(sum(a)))}, A = {_vec(a)}", case.symbolic)

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            F = draw(_functions_or(functions, _n().flatmap(_funcs)))
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)))

        return build()

    def user_cases(self, functions):
        return [Case(F, _syms("a", F.dimension), _syms("b", F.dimension)) for F in functions
                if F.expr.is_polynomial(*F.variables)]


class Linearity(Axiom):
    def prop(self, m, case):
        n = case.F.dimension
        H = _fn(case.alpha * case.F.expr + case.beta * case.G.expr, n)
        h, f, g = _A(m, case, F=H), _A(m, case), _A(m, case, F=case.G)
        want = [case.alpha * p + case.beta * q for p, q in zip(f, g, strict=True)]
        if all(_eq(p, q) for p, q in zip(h, want, strict=True)):
            return None
        return Failure(f"A(alpha F + beta G) = alpha A(F) + beta A(G) = {_vec(want)}",
                       f"A(alpha F + beta G) = {_vec(h)}", case.symbolic)

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            if functions:
                F = draw(st.sampled_from(list(functions)))
                same = [g for g in functions if g.variables == F.variables]
                G = draw(st.sampled_from(same))
            else:
                n = draw(_n())
                F, G = draw(_funcs(n)), draw(_funcs(n))
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)), G=G,
                        alpha=draw(S.rationals(2, (1, 2))), beta=draw(S.rationals(2, (1, 2))))

        return build()

    def user_cases(self, functions):
        out = []
        for F in functions:
            if F.expr.is_polynomial(*F.variables):
                n = F.dimension
                G = _fn(sp.Add(*F.variables) ** 2, n)
                out.append(Case(F, _syms("a", n), _syms("b", n), G=G, alpha=sp.Integer(2),
                                beta=sp.Integer(-3)))
        return out


def _with_dummy(F):
    n = F.dimension
    return _fn(F.expr.xreplace(dict(zip(F.variables, S.symbols(n), strict=True))), n + 1)


class Dummy(Axiom):
    def prop(self, m, case):
        a = _A(m, case)[case.i]
        if _sign(a) == 0:
            return None
        return Failure(f"A_{case.i + 1} = 0 (F does not depend on x{case.i + 1})",
                       f"A_{case.i + 1} = {a}", case.symbolic)

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            if functions:
                F = draw(st.sampled_from(list(functions)))
                dummies = [k for k, v in enumerate(F.variables) if v not in F.expr.free_symbols]
                note = ""
                if not dummies:
                    F, dummies = _with_dummy(F), [F.dimension]
                    note = f"F with an extra variable x{F.dimension}"
                i = draw(st.sampled_from(dummies))
            else:
                n = draw(_n())
                i = draw(st.integers(0, n - 1))
                F = draw(S.dummy_functions(n, i, _funcs(n - 1) if n > 1 else None))
                note = ""
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)), i=i, note=note)

        return build()

    def user_cases(self, functions):
        out = []
        for F in functions:
            if F.expr.is_polynomial(*F.variables):
                G = _with_dummy(F)
                n = G.dimension
                out.append(Case(G, _syms("a", n), _syms("b", n), i=n - 1,
                                note=f"F with an extra variable x{n}"))
        return out


def _symmetric_pairs(F):
    xs = F.variables
    pairs = []
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            swapped = F.expr.xreplace({xs[i]: xs[j], xs[j]: xs[i]})
            if sp.simplify(swapped - F.expr) == 0:
                pairs.append((i, j))
    return pairs


def _symmetrized(F, i, j):
    xs = F.variables
    return _fn(F.expr + F.expr.xreplace({xs[i]: xs[j], xs[j]: xs[i]}), F.dimension)


class Symmetry(Axiom):
    def prop(self, m, case):
        a = _A(m, case)
        if _eq(a[case.i], a[case.j]):
            return None
        return Failure(f"A_{case.i + 1} = A_{case.j + 1} (F symmetric in x{case.i + 1}, "
                       f"x{case.j + 1}; x_i = x_j and x'_i = x'_j)", f"A = {_vec(a)}",
                       case.symbolic)

    @staticmethod
    def _tie(p, i, j):
        p = list(p)
        p[j] = p[i]
        return tuple(p)

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            note = ""
            if functions:
                F = draw(st.sampled_from([f for f in functions if f.dimension >= 2]))
                pairs = _symmetric_pairs(F)
                if pairs:
                    i, j = draw(st.sampled_from(pairs))
                else:
                    i, j = 0, 1
                    F = _symmetrized(F, 0, 1)
                    note = "F(x) + F(x with x1, x2 swapped)"
            else:
                n = draw(_n())
                i, j = 0, 1
                F = draw(S.symmetric_functions(n, i, j, _funcs(n)))
            n = F.dimension
            x = self._tie(draw(S.points(n)), i, j)
            b = self._tie(draw(S.points(n)), i, j)
            return Case(F, x, b, i=i, j=j, note=note)

        return build()

    def user_cases(self, functions):
        out = []
        for F in functions:
            if F.dimension < 2 or not F.expr.is_polynomial(*F.variables):
                continue
            pairs = _symmetric_pairs(F)
            i, j = pairs[0] if pairs else (0, 1)
            G = F if pairs else _symmetrized(F, 0, 1)
            a, b = _syms("a", F.dimension), _syms("b", F.dimension)
            out.append(Case(G, self._tie(a, i, j), self._tie(b, i, j), i=i, j=j))
        return out


class ASI(Axiom):
    def prop(self, m, case):
        n = case.F.dimension
        xs = case.F.variables
        c, d = case.scale, case.shift
        inv = {v: (v - dk) / ck for v, ck, dk in zip(xs, c, d, strict=True)}
        FT = _fn(case.F.expr.xreplace(inv), n)
        T = lambda p: tuple(ck * pk + dk for pk, ck, dk in zip(p, c, d, strict=True))  # noqa: E731
        lhs = _A(m, case, F=FT, x=T(case.x), baseline=T(case.baseline))
        rhs = _A(m, case)
        if all(_eq(p, q) for p, q in zip(lhs, rhs, strict=True)):
            return None
        return Failure(f"A(Tx, Tx', F o T^-1) = A(x, x', F) = {_vec(rhs)}",
                       f"A(Tx, Tx', F o T^-1) = {_vec(lhs)}", case.symbolic)

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            F = draw(_functions_or(functions, _n().flatmap(_funcs)))
            n = F.dimension
            c, d = draw(S.affine_maps(n))
            return Case(F, draw(S.points(n)), draw(S.points(n)), scale=c, shift=d)

        return build()

    def user_cases(self, functions):
        out = []
        for F in functions:
            if F.expr.is_polynomial(*F.variables):
                n = F.dimension
                c = tuple(sp.Integer(k + 2) * (-1) ** k for k in range(n))
                d = tuple(sp.Rational(1, k + 2) for k in range(n))
                out.append(Case(F, _syms("a", n), _syms("b", n), scale=c, shift=d))
        return out


def _certified_monotone(F, x, b) -> bool:
    """F polynomial and every dF/dy_i * (x_i - x'_i), in u = (y - x')/(x - x'), a polynomial
    with nonnegative coefficients: then F is non-decreasing from x' to x."""
    if not F.expr.is_polynomial(*F.variables):
        return False
    us = sp.symbols(f"u1:{F.dimension + 1}")
    env = {v: bi + (xi - bi) * u for v, xi, bi, u in zip(F.variables, x, b, us, strict=True)}
    for v, xi, bi in zip(F.variables, x, b, strict=True):
        g = sp.expand(sp.diff(F.expr, v).xreplace(env) * (xi - bi))
        if g != 0 and any(c < 0 for c in sp.Poly(g, *us).coeffs()):
            return False
    return True


class NDP(Axiom):
    def prop(self, m, case):
        a = _A(m, case)
        neg = [k for k, v in enumerate(a) if _sign(v) == -1]
        if not neg:
            return None
        return Failure("A >= 0 (F is non-decreasing from x' to x)", f"A = {_vec(a)}")

    def strategy(self, functions=None):
        if not functions:
            return _n().flatmap(S.monotone_problems).map(lambda t: Case(t[0], t[1], t[2]))

        @st.composite
        def build(draw):
            F = draw(st.sampled_from(list(functions)))
            n = F.dimension
            x, b = draw(S.points(n)), draw(S.points(n))
            if not _certified_monotone(F, x, b):
                return None
            return Case(F, x, b)

        return build().filter(lambda c: c is not None)


# -- distributional axioms (paper 000, sec. 5 and App. K)


def _EF(F, D):
    return sum((w * _at(F, p) for p, w in D), sp.Integer(0))


def _E(m, case, F=None):
    return evaluate(m, F or case.F, case.x, case.D)


class DistSensitivityA(Axiom):
    def prop(self, m, case):
        d = _at(case.F, case.x) - _EF(case.F, case.D)
        if _sign(d) == 0:
            return None
        e = _E(m, case)[case.i]
        if _sign(e) != 0:
            return None
        return Failure(f"E_{case.i + 1} != 0 since F(x) - E F(X') = {d}", f"E_{case.i + 1} = {e}")

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            F = draw(_functions_or(functions, st.sampled_from((1, 2)).flatmap(_funcs)))
            n = F.dimension
            x = draw(S.points(n))
            i = draw(st.integers(0, n - 1))
            vals = draw(st.lists(S.rationals(2, (1, 2)), min_size=1, max_size=3, unique=True))
            D = tuple((tuple(v if k == i else x[k] for k in range(n)),
                       sp.Rational(1, len(vals))) for v in vals)
            return Case(F, x, D=D, i=i)

        return build()


class DistCompleteness(Axiom):
    def prop(self, m, case):
        e = _E(m, case)
        d = _at(case.F, case.x) - _EF(case.F, case.D)
        if _eq(sum(e), d):
            return None
        return Failure(f"sum E = F(x) - E F(X') = {sp.simplify(d)}",
                       f"sum E = {_num(sp.simplify(sum(e)))}, E = {_vec(e)}", case.symbolic)

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            F = draw(_functions_or(functions, _n().flatmap(_funcs)))
            n = F.dimension
            return Case(F, draw(S.points(n)), D=draw(S.distributions(n)))

        return build()


class DistSymmetry(Axiom):
    def prop(self, m, case):
        e = _E(m, case)
        if _eq(e[case.i], e[case.j]):
            return None
        return Failure(f"E_{case.i + 1} = E_{case.j + 1} (F symmetric, X'_i, X'_j "
                       "exchangeable, x_i = x_j)", f"E = {_vec(e)}")

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            if functions:
                F = draw(st.sampled_from([f for f in functions if f.dimension >= 2]))
                pairs = _symmetric_pairs(F)
                i, j = pairs[0] if pairs else (0, 1)
                F = F if pairs else _symmetrized(F, 0, 1)
            else:
                n = draw(_n())
                i, j = 0, 1
                F = draw(S.symmetric_functions(n, i, j, _funcs(n)))
            n = F.dimension
            x = Symmetry._tie(draw(S.points(n)), i, j)
            return Case(F, x, D=draw(S.exchangeable_distributions(n, i, j)), i=i, j=j)

        return build()


class DistNDP(Axiom):
    def prop(self, m, case):
        e = _E(m, case)
        if all(_sign(v) != -1 for v in e):
            return None
        return Failure("E >= 0 (F non-decreasing from every baseline in D to x)",
                       f"E = {_vec(e)}")

    def strategy(self, functions=None):
        @st.composite
        def build(draw):
            n = draw(_n())
            s = tuple(draw(st.sampled_from((1, -1))) for _ in range(n))
            F = draw(S.monotone_functions(n, s))
            x = draw(S.points(n))
            D = draw(S.distributions(n))
            # move every support point below x in the order s: s_i (x_i - p_i) >= 0
            D = tuple((tuple(xi - si * abs(pi - xi) for xi, si, pi in zip(x, s, p, strict=True)),
                       w) for p, w in D)
            merged: dict = {}
            for p, w in D:
                merged[p] = merged.get(p, 0) + w
            return Case(F, x, D=tuple(merged.items()))

        if functions:
            return st.nothing()
        return build()


def _battery() -> dict[str, list[Case]]:
    x1, x2 = S.symbols(2)
    a, b = _syms("a", 2), _syms("b", 2)
    R = sp.Rational
    F = _fn(x1 * x2**2, 2)
    relu = lambda z: sp.Max(0, z)  # noqa: E731
    f_net = _fn(relu(relu(x1) - 1 - relu(x2)), 2)
    g_net = _fn(relu(relu(x1 - 1) - relu(x2)), 2)
    step = _fn(1 - relu(1 - S.symbols(1)[0]), 1)
    poly2 = _fn(x1**2 + 3 * x1 * x2, 2)
    xy = _fn(x1 * x2, 2)
    zero, one = sp.Integer(0), sp.Integer(1)
    t = sp.Symbol("t", real=True)
    s = sp.Symbol("s", real=True)
    return {
        "sensitivity-a": [Case(step, (R(2),), (zero,), i=0),
                          Case(f_net, (R(3), one), (zero, one), i=0)],
        "implementation-invariance": [
            Case(f_net, (R(3), one), (zero, zero), G=g_net),
            Case(_fn(sp.Mul(x1, x2 + 1, evaluate=False), 2), a, b, G=_fn(x1 * x2 + x1, 2))],
        "completeness": [Case(F, a, b), Case(poly2, a, b), Case(F, (one, one), (zero, zero)),
                         Case(f_net, (R(3), one), (zero, zero))],
        "linearity": [Case(F, a, b, G=poly2, alpha=R(2), beta=R(-3)),
                      Case(f_net, (R(3), one), (zero, zero), G=F, alpha=R(2), beta=R(-3))],
        "dummy": [Case(_fn(x1**2, 2), a, b, i=1),
                  Case(_fn(relu(x1 - 1), 2), (R(3), R(2)), (zero, R(5)), i=1)],
        "symmetry": [Case(xy, (t, t), (s, s), i=0, j=1), Case(xy, (one, one), (zero, zero), i=0,
                                                              j=1)],
        "asi": [Case(F, a, b, scale=(R(2), R(-3)), shift=(one, R(1, 2))),
                Case(f_net, (R(3), one), (zero, zero), scale=(R(2), R(-1)), shift=(one, zero))],
        "ndp": [Case(F, (one, one), (zero, zero)),
                Case(_fn(-x1, 2), (-one, zero), (zero, zero)),
                Case(_fn(x1 + x2, 2), (-one, one), (R(-2), zero)),
                Case(_fn(relu(x1 + x2 - 1), 2), (one, one), (zero, zero))],
        "dist-sensitivity-a": [Case(step, (R(2),), D=(((zero,), R(1, 2)), ((R(-1),), R(1, 2))),
                                    i=0)],
        "dist-completeness": [Case(F, a, D=(((zero, zero), R(1, 2)), ((one, -one), R(1, 2)))),
                              Case(f_net, (R(3), one),
                                   D=(((zero, zero), R(1, 2)), ((one, R(2)), R(1, 2))))],
        "dist-symmetry": [Case(xy, (R(2), R(2)), D=(((zero, one), R(1, 2)),
                                                    ((one, zero), R(1, 2))), i=0, j=1)],
        "dist-ndp": [Case(_fn(-x1, 2), (-one, zero), D=(((zero, zero), one),)),
                     Case(_fn(relu(x1) * relu(x2) ** 2, 2), (one, one),
                          D=(((zero, zero), R(1, 2)), ((R(1, 2), zero), R(1, 2))))],
    }


_SPECS = [
    (SensitivityA, "sensitivity-a", BASELINE,
     "if x and x' differ in exactly one coordinate i and F(x) != F(x'), then A_i != 0"),
    (ImplementationInvariance, "implementation-invariance", BASELINE,
     "A depends only on the function F computes, not on how it is implemented"),
    (Completeness, "completeness", BASELINE, "sum_i A_i(x, x', F) = F(x) - F(x')"),
    (Linearity, "linearity", BASELINE,
     "A(x, x', alpha F + beta G) = alpha A(x, x', F) + beta A(x, x', G)"),
    (Dummy, "dummy", BASELINE, "if dF/dx_i == 0 then A_i(x, x', F) = 0 (sensitivity(b))"),
    (Symmetry, "symmetry", BASELINE,
     "if F is symmetric in x_i, x_j, x_i = x_j and x'_i = x'_j, then A_i = A_j"),
    (ASI, "asi", BASELINE,
     "for T(y)_i = c_i y_i + d_i (c_i != 0): A(Tx, Tx', F o T^-1) = A(x, x', F) "
     "(paper 000 axiom 7; footnote 8's F o T is incorrect)"),
    (NDP, "ndp", BASELINE,
     "if F is non-decreasing from x' to x, then A(x, x', F) >= 0 (paper 000 Def. 6)"),
    (DistSensitivityA, "dist-sensitivity-a", DISTRIBUTIONAL,
     "if X' varies only in coordinate i and E F(X') != F(x), then E_i(x, X', F) != 0"),
    (DistCompleteness, "dist-completeness", DISTRIBUTIONAL,
     "sum_i E_i(x, X', F) = F(x) - E F(X')"),
    (DistSymmetry, "dist-symmetry", DISTRIBUTIONAL,
     "if F is symmetric in x_i, x_j, X'_i and X'_j are exchangeable and x_i = x_j, then "
     "E_i = E_j"),
    (DistNDP, "dist-ndp", DISTRIBUTIONAL,
     "if F is non-decreasing from every point of the support of D to x, then E >= 0"),
]


def _build_axioms() -> dict[str, Axiom]:
    batt = _battery()
    return {name: cls(name, statement, kind, batt.get(name, []))
            for cls, name, kind, statement in _SPECS}


AXIOMS: dict[str, Axiom] = _build_axioms()
BASELINE_AXIOMS = [a for a in AXIOMS if AXIOMS[a].kind == BASELINE]
DISTRIBUTIONAL_AXIOMS = [a for a in AXIOMS if AXIOMS[a].kind == DISTRIBUTIONAL]


def get_axiom(name: str | Axiom) -> Axiom:
    if isinstance(name, Axiom):
        return name
    if name not in AXIOMS:
        raise IGVerifyError(f"unknown axiom {name!r}", f"use one of {', '.join(AXIOMS)}")
    return AXIOMS[name]


# ---------------------------------------------------------------------------------------------
# The driver.


@dataclass
class _Outcome:
    status: str  # ok, fail, skip, crash, symbolic-unproved
    case: Case | None = None
    failure: Failure | None = None
    reason: str = ""


def _run(m: Method, axiom: Axiom, case: Case) -> _Outcome:
    try:
        fail = axiom.prop(m, case)
    except MethodOutputError as exc:
        return _Outcome("fail", case, Failure("an attribution: one finite number per variable",
                                              str(exc)))
    except MethodError as exc:
        return _Outcome("crash", case, reason=str(exc))
    except IGVerifyError as exc:
        return _Outcome("skip", case, reason=str(exc))
    if fail is None:
        return _Outcome("ok", case)
    if fail.symbolic:
        return _Outcome("symbolic-unproved", case, fail)
    return _Outcome("fail", case, fail)


def _adapt(method: Method, axiom: Axiom) -> Method:
    return method.lifted() if axiom.kind == DISTRIBUTIONAL else method.with_baseline()


class _StopShrinking(BaseException):
    """Raised through hypothesis to end shrinking when its budget is spent."""


def _search(m, axiom, functions, max_examples, shrink_budget):
    state = {"evaluated": 0, "skipped": 0, "last_skip": "", "after": 0, "found": False}
    try:
        strategy = axiom.strategy(functions)
    except IGVerifyError as exc:
        return None, state | {"last_skip": str(exc)}

    cache: dict[str, bool] = {}
    failures: list[Case] = []

    def condition(case):
        key = repr(case)
        if key in cache:  # hypothesis replays examples: answer the same way
            return cache[key]
        if state["found"]:
            state["after"] += 1
            if state["after"] > shrink_budget:
                raise _StopShrinking
        out = _run(m, axiom, case)
        if out.status == "skip":
            state["skipped"] += 1
            state["last_skip"] = out.reason
            cache[key] = False
            return False
        if not state["found"]:
            state["evaluated"] += 1
        hit = out.status in ("fail", "crash")
        if hit:
            state["found"] = True
            failures.append(case)
        cache[key] = hit
        return hit

    cfg = settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck),
                   phases=[Phase.explicit, Phase.generate, Phase.shrink])
    try:
        case = find(strategy, condition, settings=cfg)
    except (NoSuchExample, Unsatisfiable):
        if not failures:
            return None, state
        case = min(failures, key=lambda c: len(repr(c)))
    except _StopShrinking:  # the shrink budget is spent: the smallest failure seen so far
        case = min(failures, key=lambda c: len(repr(c)))
    except Exception:  # hypothesis could not replay (e.g. flaky method): keep what we saw
        if not failures:
            raise
        case = min(failures, key=lambda c: len(repr(c)))
    return _run(m, axiom, case), state


def check(method: Method | str, axiom: Axiom | str, functions: Sequence | None = None,
          max_examples: int = 25, search: bool = True, shrink_budget: int = 25,
          kinds: tuple[str, ...] = ("polynomial", "network")) -> Verdict:
    """Check ``axiom`` on ``method``: exact cases first, then a hypothesis search.

    ``functions`` (proofs Functions) restrict the check to those functions (inputs, baselines
    and the rest are still drawn); without them the battery of exact cases (the papers'
    examples, symbolic identities) runs and the search draws functions of the ``kinds``
    ("polynomial", "network", "analytic"; analytic functions are slower to integrate exactly).
    """
    _SearchConfig.kinds = tuple(kinds)
    method = get_method(method)
    axiom = get_axiom(axiom)
    m = _adapt(method, axiom)
    base = dict(axiom=axiom.name, method=method.name, statement=axiom.statement)
    proved, exact_ok, skipped, unproved = [], 0, [], []
    for case in axiom.exact_cases(functions):
        out = _run(m, axiom, case)
        if out.status == "fail":
            return Verdict(verdict=VIOLATED, witness=_witness(out),
                           evidence="exact computation on this case (sympy Rationals, "
                                    "proofs engines)", **base)
        if out.status == "crash" and case.symbolic:
            skipped.append(out.reason)  # symbolic inputs are optional for a method
            continue
        if out.status == "crash":
            return Verdict(verdict=UNDECIDED, witness=case.witness(),
                           evidence=f"{out.reason}; fix the method and check again", **base)
        if out.status == "skip":
            skipped.append(out.reason)
        elif out.status == "symbolic-unproved":
            unproved.append(case)
        elif case.symbolic:
            proved.append(case)
        else:
            exact_ok += 1
    n_search, found, state = 0, None, {}
    if search:
        found, state = _search(m, axiom, functions, max_examples, shrink_budget)
        n_search = state.get("evaluated", 0)
        if found is not None and found.status == "fail":
            return Verdict(verdict=VIOLATED, witness=_witness(found),
                           evidence=f"found by search after {n_search} examples and shrunk "
                                    "(hypothesis); exact arithmetic", **base)
        if found is not None and found.status == "crash":
            return Verdict(verdict=UNDECIDED, witness=found.case.witness(),
                           evidence=f"{found.reason} (smallest input found by search); fix the "
                                    "method and check again", **base)
    parts = []
    if proved:
        fs = sorted({str(c.F.expr) for c in proved})
        parts.append("identity simplifies to 0 for symbolic inputs on F = " + "; ".join(fs))
    if exact_ok:
        parts.append(f"exact on {exact_ok} published/worked case(s)")
    if search:
        parts.append(f"no violation in {n_search} examples (search)")
    if unproved:
        parts.append(f"{len(unproved)} symbolic identity(ies) did not simplify to 0 and no "
                     "numeric counterexample was found")
    theorem = method.theorems.get(axiom.name)
    if theorem:
        parts.append(f"theorem: {theorem}")
    if not proved and not exact_ok and n_search == 0:
        why = (skipped[-1] if skipped else state.get("last_skip")) or \
            "no case satisfies the axiom's hypothesis for these functions"
        return Verdict(verdict=UNDECIDED, witness=None,
                       evidence=f"no case could be checked: {why}", **base)
    return Verdict(verdict=HOLDS, witness=None, evidence="; ".join(parts), **base)


def _witness(out: _Outcome) -> dict[str, str]:
    w = out.case.witness()
    w["expected"] = out.failure.expected
    w["got"] = out.failure.got
    return w
