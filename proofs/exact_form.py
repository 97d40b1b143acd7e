"""Canonical exact forms: how an exact number the engines computed is tidied before it is shown.

Numbers stay numbers, small expressions are simplified, polynomials in algebraic numbers
(``CRootOf``) are reduced modulo their minimal polynomials, so equal numbers print equally
and an exact zero prints as 0. The engines, :class:`proofs.Attribution` and the certificate
all tidy through :func:`tidy`.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["reduce_algebraic", "tidy"]


def tidy(value: sp.Expr) -> sp.Expr:
    """A canonical exact form: numbers stay numbers, small expressions are simplified.

    ``sympy.simplify`` is kept to small expressions: on a tanh network's attributions it
    takes minutes, where expanding (which collects equal terms, so a completeness gap
    that is zero prints 0) takes milliseconds.

    >>> tidy(sp.Rational(1, 3) + sp.Rational(2, 3)), tidy(sp.sqrt(8) - sp.sqrt(2))
    (1, sqrt(2))
    """
    value = sp.S(value)
    if value.is_Rational or value.is_Float:
        return value
    if value.has(sp.CRootOf):
        return reduce_algebraic(value)
    try:
        if sp.count_ops(value) <= SIMPLIFY_OPS:
            return sp.simplify(value)
        expanded = sp.expand(value)
        return expanded if sp.count_ops(expanded) <= sp.count_ops(value) else value
    except (TypeError, ValueError, NotImplementedError):
        return value


SIMPLIFY_OPS = 60


def reduce_algebraic(value: sp.Expr) -> sp.Expr:
    """Reduce a polynomial in ``CRootOf`` numbers modulo their minimal polynomials.

    Antiderivatives evaluated at algebraic breakpoints come out as polynomials
    in the roots; reducing them makes equal numbers print equally and an exact
    zero print as 0.

    >>> r = sp.CRootOf(sp.Symbol("x")**2 - 2, 1)
    >>> reduce_algebraic(r**3 - 2*r + 1)
    1
    """
    roots = sorted(value.atoms(sp.CRootOf), key=str)
    if not roots:
        return value
    names = [sp.Dummy(f"r{i}") for i in range(len(roots))]
    expr = sp.expand(value.xreplace(dict(zip(roots, names))))
    try:
        numerator, denominator = sp.fraction(sp.together(expr))
        minimal = [sp.Poly(r.poly.as_expr().xreplace({r.poly.gen: z}), z).monic()
                   for r, z in zip(roots, names)]
        if denominator.free_symbols & set(names):
            return value
        _, remainder = sp.reduced(numerator, [m.as_expr() for m in minimal], *names)
    except (sp.PolynomialError, sp.CoercionFailed, NotImplementedError, ValueError):
        return value
    return sp.expand(remainder / denominator).xreplace(dict(zip(names, roots)))
