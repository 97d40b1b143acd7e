"""The distributional attribution axioms of Lundstrom, Huang & Razaviyayn (2022), sec. 5 (proofs
for distributional IG in App. K): a baseline distribution D (finite here: (point, weight)
pairs) replaces the baseline. Each one extends a baseline axiom and agrees with it when D is
one point: every case of the baseline axiom is also tried here as a one-point distribution.

>>> from axioms import check
>>> check("cost-share", "dist-completeness").verdict
'violated'
"""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

from axioms import strategies as S
from axioms.axiom import Axiom, Case, at, failure, total_abs, vector_text
from axioms.baseline import (
    NDP,
    Completeness,
    SensitivityA,
    Symmetry,
    _draw_function,
    _given,
    certified_monotone,
    symmetric_version,
    tie,
)
from axioms.contract import DISTRIBUTIONAL

__all__ = ["DistCompleteness", "DistNDP", "DistSensitivityA", "DistSymmetry"]

_K = "Lundstrom, Huang & Razaviyayn (2022), sec. 5"


def expected_F(F, D) -> sp.Expr:
    return sum((w * at(F, p) for p, w in D), sp.Integer(0))


class _Distributional(Axiom):
    kind = DISTRIBUTIONAL

    #: the baseline axiom this one extends (they agree on one-point D)
    base_axiom: type[Axiom]

    def _base(self) -> Axiom:
        return self.base_axiom()

    def known_cases(self) -> list[Case]:
        # the baseline axiom's cases first: the two checks then report the same witness
        return [c.one_point() for c in self._base().known_cases()] + super().known_cases()

    def planted(self, F, functions):
        return [c.one_point() for c in self._base().planted(F, functions)]

    def identities(self, F):
        cases, _scope = self._base().identities(F)
        return [c.one_point() for c in cases], None


class DistSensitivityA(_Distributional):
    slug = "dist-sensitivity-a"
    short = "d-sens-a"
    title = "distributional sensitivity(a)"
    statement = ("if X' varies only in coordinate i (X'_j = x_j for j != i) and "
                 "E F(X') != F(x), then E_i(x, X', F) != 0")
    source = f"{_K}, axiom 1"
    counterpart = "sensitivity-a"
    base_axiom = SensitivityA

    def prop(self, m, case, tol):
        d = at(case.F, case.x) - expected_F(case.F, case.D)
        if sp.simplify(d) == 0:
            return None
        e = self.call(m, case.F, case.x, case.D)
        k = case.i
        if not tol.is_zero(e[k], abs(d), e.inexact):
            return None
        return failure(f"E_{k + 1} != 0 since F(x) - E F(X') = {d}",
                       f"E_{k + 1} = {vector_text([e[k]], e.inexact)[1:-1]}, "
                       f"E = {vector_text(e, e.inexact)}", d)

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            F = draw(_draw_function(functions, kinds, (1, 2)))
            n = F.dimension
            x = draw(S.points(n))
            i = draw(st.integers(0, n - 1))
            vals = draw(st.lists(S.rationals(2, (1, 2)), min_size=1, max_size=3, unique=True))
            D = tuple((tuple(v if k == i else x[k] for k in range(n)),
                       sp.Rational(1, len(vals))) for v in vals)
            return Case(F, x, D=D, i=i)

        return build()


class DistCompleteness(_Distributional):
    slug = "dist-completeness"
    short = "d-compl"
    title = "distributional completeness"
    statement = "sum_i E_i(x, X', F) = F(x) - E F(X')"
    source = f"{_K}, axiom 2"
    counterpart = "completeness"
    base_axiom = Completeness

    def prop(self, m, case, tol):
        e = self.call(m, case.F, case.x, case.D)
        d = at(case.F, case.x) - expected_F(case.F, case.D)
        total = sum(e, sp.Integer(0))
        if tol.agrees(total, d, abs(d) + total_abs(e), e.inexact):
            return None
        return failure(f"sum E = F(x) - E F(X') = {sp.simplify(d)}",
                       f"sum E = {vector_text([sp.simplify(total)], e.inexact)[1:-1]}, "
                       f"E = {vector_text(e, e.inexact)}", total - d, case.symbolic)

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        @st.composite
        def build(draw):
            F = draw(_draw_function(functions, kinds))
            n = F.dimension
            return Case(F, draw(S.points(n)), D=draw(S.distributions(n)))

        return build()


class DistSymmetry(_Distributional):
    slug = "dist-symmetry"
    short = "d-symm"
    title = "distributional symmetry preserving"
    statement = ("if F is symmetric in x_i, x_j, X'_i and X'_j are exchangeable and "
                 "x_i = x_j, then E_i(x, X', F) = E_j(x, X', F)")
    source = f"{_K}, axiom 3"
    counterpart = "symmetry"
    base_axiom = Symmetry

    def prop(self, m, case, tol):
        e = self.call(m, case.F, case.x, case.D)
        i, j = case.i, case.j
        if tol.agrees(e[i], e[j], total_abs(e), e.inexact):
            return None
        return failure(f"E_{i + 1} = E_{j + 1} (F symmetric, X'_i, X'_j exchangeable, "
                       "x_i = x_j)", f"E = {vector_text(e, e.inexact)}", e[i] - e[j],
                       case.symbolic)

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        pool = _given(functions, range(2, 100)) if functions else None

        @st.composite
        def build(draw):
            if functions:
                G, pairs, _note = symmetric_version(draw(pool))
                i, j = draw(st.sampled_from(pairs))
            else:
                n = draw(st.sampled_from((2, 3)))
                i, j = 0, 1
                G = draw(S.symmetric_functions(n, i, j, S.functions(n, kinds)))
            n = G.dimension
            x = tie(draw(S.points(n)), i, j)
            return Case(G, x, D=draw(S.exchangeable_distributions(n, i, j)), i=i, j=j)

        return build()


class DistNDP(_Distributional):
    slug = "dist-ndp"
    short = "d-ndp"
    title = "distributional non-decreasing positivity"
    statement = "if F is non-decreasing from every point of the support of D to x, then E >= 0"
    source = f"{_K}, axiom 4"
    counterpart = "ndp"
    base_axiom = NDP

    def prop(self, m, case, tol):
        e = self.call(m, case.F, case.x, case.D)
        scale = total_abs(e)
        neg = [v for v in e if sp.N(v, 30) < 0 and not tol.is_zero(v, scale, e.inexact)]
        if not neg:
            return None
        return failure("E >= 0 (F non-decreasing from every baseline in D to x)",
                       f"E = {vector_text(e, e.inexact)}", min(neg, key=lambda v: sp.N(v, 30)))

    def strategy(self, functions=None, kinds=("polynomial", "network")):
        if functions:
            @st.composite
            def given(draw):
                F = draw(_given(functions))
                n = F.dimension
                x = draw(S.points(n))
                pts = draw(st.lists(S.points(n), min_size=1, max_size=2, unique=True))
                if not all(certified_monotone(F, x, p) for p in pts):
                    return None
                return Case(F, x, D=tuple((p, sp.Rational(1, len(pts))) for p in pts))

            return given().filter(lambda c: c is not None)

        @st.composite
        def build(draw):
            n = draw(st.sampled_from((2, 3)))
            s = tuple(draw(st.sampled_from((1, -1))) for _ in range(n))
            F = draw(S.monotone_functions(n, s))
            x = draw(S.points(n))
            D = draw(S.distributions(n))
            # move every support point below x in the order s: s_i (x_i - p_i) >= 0
            merged: dict = {}
            for p, w in D:
                q = tuple(xi - si * abs(pi - xi) for xi, si, pi in zip(x, s, p, strict=True))
                merged[q] = merged.get(q, 0) + w
            return Case(F, x, D=tuple(merged.items()))

        return build()
