"""Lerma & Lucas (2021), Theorem 1, the step (2) => (1): the witness g(x_i) g(x_j).

Statement. A strictly monotone smooth path gamma with gamma_i(0) = gamma_j(0) and
gamma_i(1) = gamma_j(1) is IG-symmetry preserving for x_i, x_j only if gamma_i = gamma_j.

The proof's witness. Suppose gamma_i < gamma_j on a maximal interval (u, v), both increasing,
and let c = gamma_i(u) = gamma_j(u), d = gamma_i(v) = gamma_j(v). Put

    g(z) = 0 for z < c,   z - c for c <= z <= d,   d - c for z > d   ( = min(max(z - c, 0), d - c) )

and F(x) = g(x_i) g(x_j), symmetric in x_i, x_j. Outside [u, v] the path is below c or above
d in both coordinates, so g' vanishes there and only [u, v] contributes:

    A_i = int_u^v (gamma_j - c) gamma_i' dt,    A_j = int_u^v (gamma_i - c) gamma_j' dt.

Our copy of the paper writes the top value of g as v (it must be d - c for g to be continuous)
and "t not in [a, b]" (it means [u, v]); and its last step compares the integrands without the
different velocities gamma_i', gamma_j'. The step is repaired by the identity (integration by
parts, using gamma_i = gamma_j at u and v)

    A_i - A_j = 2 int_u^v (gamma_j - gamma_i) gamma_i' dt,   A_i + A_j = (d - c)**2,

whose integrand is positive on (u, v) when gamma_j > gamma_i and gamma_i' > 0. This module
checks all of it exactly for polynomial components.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from proofs.errors import UnsupportedFunctionError
from proofs.theorems.certificate import Certificate

__all__ = ["separation_certificate", "witness_function", "witness_g"]

THEOREM = "Lerma & Lucas 2021, Theorem 1, (2) => (1): the witness g(x_i) g(x_j)"


def witness_g(c: sp.Expr, d: sp.Expr) -> Callable[[sp.Expr], sp.Expr]:
    """g(z) = min(max(z - c, 0), d - c): 0 below c, the identity shifted on [c, d], flat above."""
    c, d = sp.S(c), sp.S(d)

    def g(z: sp.Expr) -> sp.Expr:
        return sp.Min(sp.Max(z - c, 0), d - c)

    return g


def witness_function(c: sp.Expr, d: sp.Expr, xi: sp.Symbol, xj: sp.Symbol) -> sp.Expr:
    """F(x) = g(x_i) g(x_j), symmetric in x_i and x_j."""
    g = witness_g(c, d)
    return g(xi) * g(xj)


def _no_root_inside(p: sp.Expr, t: sp.Symbol, u: sp.Expr, v: sp.Expr) -> bool:
    """True if the polynomial ``p`` has no real root in the open interval (u, v) (Sturm)."""
    poly = sp.Poly(sp.expand(p), t)
    if poly.is_zero:
        return False
    if poly.degree() == 0:
        return True
    on_ends = sum(1 for e in (u, v) if poly.eval(e) == 0)
    return poly.count_roots(u, v) - on_ends == 0


def _positive_inside(p: sp.Expr, t: sp.Symbol, u: sp.Expr, v: sp.Expr) -> bool:
    """True if the polynomial ``p`` is positive on the open interval (u, v)."""
    return _no_root_inside(p, t, u, v) and bool(p.subs(t, (u + v) / 2) > 0)


def separation_certificate(gamma_i: sp.Expr, gamma_j: sp.Expr, t: sp.Symbol,
                           u: sp.Expr, v: sp.Expr) -> Certificate:
    """Check that the witness separates A_i from A_j on the stretch [u, v] of a path.

    ``gamma_i``, ``gamma_j``: polynomials in ``t``, the two coordinates of the path on
    [u, v], meeting at both ends, strictly increasing, with gamma_i < gamma_j inside.
    Returns the exact A_i, A_j and the checks of the identity and of the sign.
    """
    u, v = sp.S(u), sp.S(v)
    for name, comp in (("gamma_i", gamma_i), ("gamma_j", gamma_j)):
        try:
            sp.Poly(comp, t)
        except sp.PolynomialError as exc:
            raise UnsupportedFunctionError(f"{name} = {comp} is not a polynomial in {t}") from exc
    c, d = sp.simplify(gamma_i.subs(t, u)), sp.simplify(gamma_i.subs(t, v))
    meet = (sp.simplify(gamma_j.subs(t, u) - c) == 0 and sp.simplify(gamma_j.subs(t, v) - d) == 0)
    di, dj = sp.diff(gamma_i, t), sp.diff(gamma_j, t)
    increasing = _positive_inside(di, t, u, v) and _positive_inside(dj, t, u, v)
    below = _positive_inside(gamma_j - gamma_i, t, u, v)
    A_i = sp.integrate(sp.expand((gamma_j - c) * di), (t, u, v))
    A_j = sp.integrate(sp.expand((gamma_i - c) * dj), (t, u, v))
    gap_integrand = sp.expand((gamma_j - gamma_i) * di)
    gap = 2 * sp.integrate(gap_integrand, (t, u, v))
    identity = sp.simplify(A_i - A_j - gap) == 0
    total = sp.simplify(A_i + A_j - (d - c) ** 2) == 0
    positive = _positive_inside(gap_integrand, t, u, v)
    separated = bool(A_i > A_j)
    holds = meet and increasing and below and identity and total and positive and separated
    steps = (
        f"gamma_i = {gamma_i}, gamma_j = {gamma_j} on [{u}, {v}]; c = {c}, d = {d}; "
        f"meet at both ends: {meet}",
        f"both strictly increasing on ({u}, {v}) (derivatives have no root there): {increasing}",
        f"gamma_i < gamma_j on ({u}, {v}): {below}",
        f"g(z) = min(max(z - {c}, 0), {d - c}); F = g(x_i) g(x_j)",
        f"A_i = int (gamma_j - c) gamma_i' dt = {A_i};  "
        f"A_j = int (gamma_i - c) gamma_j' dt = {A_j}",
        f"A_i - A_j - 2 int (gamma_j - gamma_i) gamma_i' dt simplifies to 0: {identity}",
        f"A_i + A_j = (d - c)**2 = {(d - c) ** 2}: {total}",
        f"(gamma_j - gamma_i) gamma_i' > 0 on ({u}, {v}): {positive};  so A_i > A_j: {separated}",
    )
    return Certificate(
        theorem=THEOREM,
        checked=f"the path ({gamma_i}, {gamma_j}) on [{u}, {v}]",
        method="exact integrals, identity simplified to 0, roots isolated with solveset",
        holds=holds,
        values={"A_i": A_i, "A_j": A_j, "difference": sp.simplify(A_i - A_j), "c": c, "d": d},
        steps=steps,
    )
