"""The baseline attribution axioms: Lundstrom, Huang & Razaviyayn (2022), sec. 2.2 (the six of
Sundararajan, Taly & Yan (2017)), sec. 3.3 (ASI, in its correct F o T^-1 form) and sec. 4
(NDP, Def. 6). One class each; :mod:`axioms.registry` lists them.

>>> from axioms import check
>>> check("grad-x-input", "sensitivity-a").verdict
'violated'
"""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

from axioms import strategies as S
from axioms.axiom import (
    Axiom,
    Case,
    at,
    failure,
    function,
    grid_pairs,
    is_polynomial,
    symbolic_points,
    total_abs,
    vector_text,
)
from proofs.errors import IGVerifyError

__all__ = ["ASI", "NDP", "Completeness", "Dummy", "ImplementationInvariance", "Linearity",
           "SensitivityA", "Symmetry"]

_L22 = "Lundstrom, Huang & Razaviyayn (2022)"
_STY = "Sundararajan, Taly & Yan (2017)"


def _given(functions, dims=None):
    fs = [f for f in functions if dims is None or f.dimension in dims]
    if not fs:
        raise IGVerifyError("no given function has enough variables for this axiom")
    return st.sampled_from(fs)


def _draw_function(functions, kinds, dims=(2, 3)):
    if functions:
        return _given(functions)
    return st.sampled_from(dims).flatmap(lambda n: S.functions(n, kinds))


def _agree_all(tol, got, want, inexact, extra_scale=()):
    # float rounding in one coordinate is relative to the size of the whole answer
    overall = total_abs(got) + total_abs(want) + sum(extra_scale, sp.Integer(0))
    for k, (p, q) in enumerate(zip(got, want, strict=True)):
        scale = abs(p) + abs(q) + overall
        if not tol.agrees(p, q, scale, inexact):
            return k
    return None


def _max_diff(got, want):
    diffs = [p - q for p, q in zip(got, want, strict=True)]
    if any(isinstance(d, sp.Basic) and d.free_symbols for d in diffs):
        return None
    return max(diffs, key=lambda d: abs(sp.N(d, 30)))


_EPS = (sp.Rational(1, 1024),)


def kink_crossings(F, i: int, fixed, eps=_EPS, limit: int = 3):
    """(input, baseline) pairs that differ in coordinate i only and cross a kink of F just
    before the input: the kinks come from the exact engine's breakpoints on a long line.

    >>> kink_crossings(function("relu(x1 - 1)"), 0, (0,))
    [((1025/1024,), (0,)), ((1023/1024,), (2,))]
    """
    import proofs

    n = F.dimension

    def p(s):
        return tuple(s if k == i else fixed[k] for k in range(n))

    try:
        A = proofs.attribute(F, proofs.straight(p(-4), p(4)), engine="symbolic")
    except IGVerifyError:
        return []
    kinks = sorted({-4 + 8 * b.t for b in A.breakpoints
                    if isinstance(b.t, sp.Basic) and b.t.is_Rational})
    out = []
    for s in kinks[:limit]:
        for e in eps:
            for b_s, x_s in ((s - 1, s + e), (s + 1, s - e)):
                x, b = p(x_s), p(b_s)
                if at(F, x) != at(F, b):
                    out.append((x, b))
    return out


class SensitivityA(Axiom):
    slug = "sensitivity-a"
    short = "sens-a"
    title = "sensitivity(a)"
    statement = ("if x and x' differ in exactly one coordinate i and F(x) != F(x'), then "
                 "A_i(x, x', F) != 0")
    source = f"{_STY}, sec. 2.1; {_L22}, sec. 2.2, axiom 1"

    def prop(self, m, case, tol):
        d = at(case.F, case.x) - at(case.F, case.baseline)
        if sp.simplify(d) == 0:
            return None
        a = self.call(m, case.F, case.x, case.baseline)
        k = case.i
        if not tol.is_zero(a[k], abs(d), a.inexact):
            return None
        return failure(f"A_{k + 1} != 0 since F(x) - F(x') = {d}",
                       f"A_{k + 1} = {vector_text([a[k]], a.inexact)[1:-1]}, "
                       f"A = {vector_text(a, a.inexact)}", d)

    def planted(self, F, functions):
        n = F.dimension
        out = []
        half = sp.Rational(-1, 2)
        for i in range(n):
            for fixed in ((0,) * n, (1,) * n, (half,) * n):
                fixed = tuple(sp.Integer(1) * v for v in fixed)
                for x, b in kink_crossings(F, i, fixed):
                    out.append(Case(F, x, b, i=i, family="near-kink"))
                if fixed[0] == half:
                    continue
                for xs in (1, 2, -1):
                    x = tuple(sp.Integer(xs) if k == i else fixed[k] for k in range(n))
                    if at(F, x) != at(F, fixed):
                        out.append(Case(F, x, fixed, i=i, family="baselines"))
        return out

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            F = draw(_draw_function(functions, kinds, (1, 2)))
            n = F.dimension
            base = draw(S.points(n))
            i = draw(st.integers(0, n - 1))
            v = draw(S.rationals(2, (1, 2)).filter(lambda r: r != base[i]))
            x = tuple(v if k == i else b for k, b in enumerate(base))
            return Case(F, x, base, i=i)

        return build()


class ImplementationInvariance(Axiom):
    slug = "implementation-invariance"
    short = "impl-inv"
    title = "implementation invariance"
    statement = ("A depends only on the function F computes, not on how it is implemented: "
                 "A(x, x', F) = A(x, x', G) when F and G are the same function")
    source = f"{_STY}, sec. 2.2; {_L22}, sec. 2.2, axiom 2"

    def prop(self, m, case, tol):
        a = self.call(m, case.F, case.x, case.baseline)
        b = self.call(m, case.G, case.x, case.baseline)
        inexact = a.inexact or b.inexact
        if _agree_all(tol, a, b, inexact) is None:
            return None
        return failure("A(x, x', F) = A(x, x', G) (F and G are the same function)",
                       f"A(F) = {vector_text(a, inexact)}, A(G) = {vector_text(b, inexact)}",
                       _max_diff(a, b), case.symbolic)

    @staticmethod
    def equivalents(F, functions=()):
        """Other implementations of F: F plus an implementation of 0, its expansion, and the
        given functions equal to it on a grid."""
        x1 = F.variables[0]
        zero = sp.Max(0, x1) - sp.Max(0, -x1) - x1  # relu(x1) - relu(-x1) - x1 == 0
        out = [(function(sp.Add(F.expr, zero, evaluate=False), F.dimension),
                "F + relu(x1) - relu(-x1) - x1")]
        expanded = sp.expand(F.expr)
        if expanded != F.expr:
            out.append((function(expanded, F.dimension), "F expanded"))
        for G in functions:
            if G is F or G.variables != F.variables or G.expr == F.expr:
                continue
            if all(at(F, p) == at(G, p) for p, _b in grid_pairs(F.dimension)):
                out.append((G, "a given implementation"))
        return out

    def planted(self, F, functions):
        return [Case(F, x, b, G=G, family="identity", note=note)
                for G, note in self.equivalents(F, functions)
                for x, b in grid_pairs(F.dimension, 4)]

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            if functions:
                F = draw(_given(functions))
                G, note = draw(st.sampled_from(self.equivalents(F, functions)))
            else:
                F, G = draw(st.sampled_from((2, 3)).flatmap(S.equivalent_pairs))
                note = ""
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)), G=G, note=note)

        return build()


class Completeness(Axiom):
    slug = "completeness"
    short = "compl"
    title = "completeness"
    statement = "sum_i A_i(x, x', F) = F(x) - F(x')"
    source = f"{_STY}, sec. 3, Prop. 1; {_L22}, sec. 2.2, axiom 3"

    def prop(self, m, case, tol):
        a = self.call(m, case.F, case.x, case.baseline)
        d = at(case.F, case.x) - at(case.F, case.baseline)
        total = sum(a, sp.Integer(0))
        if tol.agrees(total, d, abs(d) + total_abs(a), a.inexact):
            return None
        return failure(f"sum A = F(x) - F(x') = {sp.simplify(d)}",
                       f"sum A = {vector_text([sp.simplify(total)], a.inexact)[1:-1]}, "
                       f"A = {vector_text(a, a.inexact)}", total - d, case.symbolic)

    def planted(self, F, functions):
        return [Case(F, x, b, family="baselines") for x, b in grid_pairs(F.dimension)]

    def identities(self, F):
        if not is_polynomial(F):
            return [], None
        a, b = symbolic_points(F.dimension)
        return [Case(F, a, b, family="identity")], \
            f"for every input and baseline, F = {F.expr}"

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            F = draw(_draw_function(functions, kinds))
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)))

        return build()


def _linear_partners(F, functions):
    xs = F.variables
    out = [G for G in functions if G is not F and G.variables == xs]
    out.append(function(sp.Add(*[v**2 for v in xs]), F.dimension))
    second = xs[1] if len(xs) > 1 else sp.Rational(1, 2)
    out.append(function(sp.Max(0, xs[0] - second), F.dimension))
    return out


class Linearity(Axiom):
    slug = "linearity"
    short = "linear"
    title = "linearity"
    statement = "A(x, x', alpha F + beta G) = alpha A(x, x', F) + beta A(x, x', G)"
    source = f"{_STY}, sec. 4; {_L22}, sec. 2.2, axiom 4"

    def prop(self, m, case, tol):
        n = case.F.dimension
        H = function(case.alpha * case.F.expr + case.beta * case.G.expr, n)
        h = self.call(m, H, case.x, case.baseline)
        f = self.call(m, case.F, case.x, case.baseline)
        g = self.call(m, case.G, case.x, case.baseline)
        inexact = h.inexact or f.inexact or g.inexact
        want = [case.alpha * p + case.beta * q for p, q in zip(f, g, strict=True)]
        scale = [abs(case.alpha * p) + abs(case.beta * q) for p, q in zip(f, g, strict=True)]
        if _agree_all(tol, h, want, inexact, scale) is None:
            return None
        return failure(f"A(alpha F + beta G) = alpha A(F) + beta A(G) = "
                       f"{vector_text(want, inexact)}",
                       f"A(alpha F + beta G) = {vector_text(h, inexact)}", _max_diff(h, want),
                       case.symbolic)

    def planted(self, F, functions):
        R = sp.Rational
        return [Case(F, x, b, G=G, alpha=R(2), beta=R(-3), family="baselines")
                for G in _linear_partners(F, functions) for x, b in grid_pairs(F.dimension, 3)]

    def identities(self, F):
        if not is_polynomial(F):
            return [], None
        a, b = symbolic_points(F.dimension)
        G = function(sp.Add(*F.variables) ** 2, F.dimension)
        return [Case(F, a, b, G=G, alpha=sp.Integer(2), beta=sp.Integer(-3),
                     family="identity")], None

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            if functions:
                F = draw(_given(functions))
                G = draw(st.sampled_from(_linear_partners(F, functions)))
            else:
                n = draw(st.sampled_from((2, 3)))
                F, G = draw(S.functions(n, kinds)), draw(S.functions(n, kinds))
            n = F.dimension
            return Case(F, draw(S.points(n)), draw(S.points(n)), G=G,
                        alpha=draw(S.rationals(2, (1, 2))), beta=draw(S.rationals(2, (1, 2))))

        return build()


def with_dummy(F):
    """F with its dummy variables, or F with an extra variable x_{n+1} it ignores: (G, i's,
    note)."""
    dummies = [k for k, v in enumerate(F.variables) if v not in F.expr.free_symbols]
    if dummies:
        return F, dummies, ""
    n = F.dimension
    return function(F.expr, n + 1), [n], f"F with an extra variable x{n + 1}"


class Dummy(Axiom):
    slug = "dummy"
    short = "dummy"
    title = "sensitivity(b) / dummy"
    statement = "if dF/dx_i == 0 everywhere, then A_i(x, x', F) = 0"
    source = f"{_STY}, sec. 4; {_L22}, sec. 2.2, axiom 5"

    def prop(self, m, case, tol):
        a = self.call(m, case.F, case.x, case.baseline)
        k = case.i
        d = at(case.F, case.x) - at(case.F, case.baseline)
        if tol.is_zero(a[k], total_abs(a) + abs(d), a.inexact):
            return None
        return failure(f"A_{k + 1} = 0 (F does not depend on x{k + 1})",
                       f"A_{k + 1} = {vector_text([a[k]], a.inexact)[1:-1]}, "
                       f"A = {vector_text(a, a.inexact)}", a[k], case.symbolic)

    def planted(self, F, functions):
        G, dummies, note = with_dummy(F)
        return [Case(G, x, b, i=i, family="dummy", note=note)
                for i in dummies for x, b in grid_pairs(G.dimension, 6)]

    def identities(self, F):
        if not is_polynomial(F):
            return [], None
        G, dummies, note = with_dummy(F)
        a, b = symbolic_points(G.dimension)
        cases = [Case(G, a, b, i=i, family="identity", note=note) for i in dummies]
        what = f"F = {F.expr}" + (f" with an extra variable x{G.dimension}" if note else "")
        return cases, f"for every input and baseline, {what}"

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            if functions:
                G, dummies, note = with_dummy(draw(_given(functions)))
                i = draw(st.sampled_from(dummies))
            else:
                n = draw(st.sampled_from((2, 3)))
                i = draw(st.integers(0, n - 1))
                G = draw(S.dummy_functions(n, i, S.functions(n - 1, kinds)))
                note = ""
            n = G.dimension
            return Case(G, draw(S.points(n)), draw(S.points(n)), i=i, note=note)

        return build()


def symmetric_pairs(F) -> list[tuple[int, int]]:
    xs = F.variables
    out = []
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            if sp.simplify(F.expr.xreplace({xs[i]: xs[j], xs[j]: xs[i]}) - F.expr) == 0:
                out.append((i, j))
    return out


def symmetric_version(F):
    """(G, pairs, note): F if it has symmetric variables, else F(x) + F(x with x1, x2
    swapped)."""
    pairs = symmetric_pairs(F)
    if pairs:
        return F, pairs, ""
    xs = F.variables
    G = function(F.expr + F.expr.xreplace({xs[0]: xs[1], xs[1]: xs[0]}), F.dimension)
    return G, [(0, 1)], "F(x) + F(x with x1, x2 swapped)"


def tie(p, i: int, j: int) -> tuple:
    p = list(p)
    p[j] = p[i]
    return tuple(p)


class Symmetry(Axiom):
    slug = "symmetry"
    short = "symm"
    title = "symmetry preserving"
    statement = ("if F is symmetric in x_i, x_j, x_i = x_j and x'_i = x'_j, then "
                 "A_i(x, x', F) = A_j(x, x', F)")
    source = f"{_STY}, sec. 4; {_L22}, sec. 2.2, axiom 6"

    def prop(self, m, case, tol):
        a = self.call(m, case.F, case.x, case.baseline)
        i, j = case.i, case.j
        if tol.agrees(a[i], a[j], total_abs(a), a.inexact):
            return None
        return failure(f"A_{i + 1} = A_{j + 1} (F symmetric in x{i + 1}, x{j + 1}; x_i = x_j "
                       "and x'_i = x'_j)", f"A = {vector_text(a, a.inexact)}", a[i] - a[j],
                       case.symbolic)

    def planted(self, F, functions):
        if F.dimension < 2:
            return []
        G, pairs, note = symmetric_version(F)
        return [Case(G, tie(x, i, j), tie(b, i, j), i=i, j=j, family="symmetric", note=note)
                for i, j in pairs[:3] for x, b in grid_pairs(G.dimension, 6)]

    def identities(self, F):
        if F.dimension < 2 or not is_polynomial(F):
            return [], None
        G, pairs, note = symmetric_version(F)
        a, b = symbolic_points(G.dimension)
        cases = [Case(G, tie(a, i, j), tie(b, i, j), i=i, j=j, family="identity", note=note)
                 for i, j in pairs]
        what = f"F = {F.expr}" if not note else f"{note}, F = {F.expr}"
        return cases, f"for every input and baseline tied in each symmetric pair, {what}"

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        pool = _given(functions, range(2, 100)) if functions else None

        @st.composite
        def build(draw):
            note = ""
            if functions:
                G, pairs, note = symmetric_version(draw(pool))
                i, j = draw(st.sampled_from(pairs))
            else:
                n = draw(st.sampled_from((2, 3)))
                i, j = 0, 1
                G = draw(S.symmetric_functions(n, i, j, S.functions(n, kinds)))
            n = G.dimension
            return Case(G, tie(draw(S.points(n)), i, j), tie(draw(S.points(n)), i, j), i=i, j=j,
                        note=note)

        return build()


def _maps(n):
    R = sp.Rational
    c1 = tuple(R(2) if k % 2 == 0 else R(-3) for k in range(n))
    d1 = tuple(R(1) if k % 2 == 0 else R(1, 2) for k in range(n))
    c2 = tuple(R(1, 2) if k % 2 == 0 else R(3) for k in range(n))
    d2 = tuple(R(0) if k % 2 == 0 else R(-1) for k in range(n))
    return [(c1, d1), (c2, d2)]


class ASI(Axiom):
    slug = "asi"
    short = "asi"
    title = "affine scale invariance"
    statement = ("for T(y)_i = c_i y_i + d_i (c_i != 0): A(Tx, Tx', F o T^-1) = A(x, x', F); "
                 "the F o T of Sundararajan, Taly & Yan (2017) and Xu, Venugopalan & "
                 "Sundararajan (2020) is incorrect")
    source = f"{_L22}, sec. 3.3, axiom 7 and footnote 8"

    def prop(self, m, case, tol):
        n = case.F.dimension
        c, d = case.scale, case.shift
        inv = {v: (v - dk) / ck for v, ck, dk in zip(case.F.variables, c, d, strict=True)}
        FT = function(case.F.expr.xreplace(inv), n)

        def T(p):
            return tuple(ck * pk + dk for pk, ck, dk in zip(p, c, d, strict=True))

        lhs = self.call(m, FT, T(case.x), T(case.baseline))
        rhs = self.call(m, case.F, case.x, case.baseline)
        inexact = lhs.inexact or rhs.inexact
        if _agree_all(tol, lhs, rhs, inexact) is None:
            return None
        return failure(f"A(Tx, Tx', F o T^-1) = A(x, x', F) = {vector_text(rhs, inexact)}",
                       f"A(Tx, Tx', F o T^-1) = {vector_text(lhs, inexact)}",
                       _max_diff(lhs, rhs), case.symbolic)

    def planted(self, F, functions):
        return [Case(F, x, b, scale=c, shift=d, family="baselines")
                for c, d in _maps(F.dimension) for x, b in grid_pairs(F.dimension, 3)]

    def identities(self, F):
        if not is_polynomial(F):
            return [], None
        a, b = symbolic_points(F.dimension)
        c, d = _maps(F.dimension)[0]
        return [Case(F, a, b, scale=c, shift=d, family="identity")], None

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            F = draw(_draw_function(functions, kinds))
            n = F.dimension
            c, d = draw(S.affine_maps(n))
            return Case(F, draw(S.points(n)), draw(S.points(n)), scale=c, shift=d)

        return build()


def certified_monotone(F, x, b) -> bool:
    """F polynomial and every dF/dy_i * (x_i - x'_i), in u = (y - x')/(x - x'), a polynomial
    with nonnegative coefficients: then F is non-decreasing from x' to x.

    >>> certified_monotone(function("x1*x2**2"), (1, 1), (0, 0))
    True
    """
    if not is_polynomial(F):
        return False
    us = sp.symbols(f"u1:{F.dimension + 1}")
    env = {v: bi + (xi - bi) * u for v, xi, bi, u in zip(F.variables, x, b, us, strict=True)}
    for v, xi, bi in zip(F.variables, x, b, strict=True):
        g = sp.expand(sp.diff(F.expr, v).xreplace(env) * (xi - bi))
        if g != 0 and any(c < 0 for c in sp.Poly(g, *us).coeffs()):
            return False
    return True


class NDP(Axiom):
    slug = "ndp"
    short = "ndp"
    title = "non-decreasing positivity"
    statement = "if F is non-decreasing from x' to x, then A(x, x', F) >= 0"
    source = f"{_L22}, sec. 4, Def. 6"

    def prop(self, m, case, tol):
        a = self.call(m, case.F, case.x, case.baseline)
        scale = total_abs(a)
        neg = [v for v in a if (sp.N(v, 30) < 0) and not tol.is_zero(v, scale, a.inexact)]
        if not neg:
            return None
        return failure("A >= 0 (F is non-decreasing from x' to x)",
                       f"A = {vector_text(a, a.inexact)}", min(neg, key=lambda v: sp.N(v, 30)))

    def planted(self, F, functions):
        return [Case(F, x, b, family="baselines") for x, b in grid_pairs(F.dimension)
                if certified_monotone(F, x, b)]

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        if not functions:
            return st.sampled_from((2, 3)).flatmap(S.monotone_problems).map(
                lambda t: Case(t[0], t[1], t[2]))

        @st.composite
        def build(draw):
            F = draw(_given(functions))
            n = F.dimension
            x, b = draw(S.points(n)), draw(S.points(n))
            return Case(F, x, b) if certified_monotone(F, x, b) else None

        return build().filter(lambda c: c is not None)
