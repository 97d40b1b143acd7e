"""Gradient-based methods, exactly: the gradient, gradient x input and a deterministic
SmoothGrad (Smilkov et al. (2017)); the gradient at a point comes from the active branch of
each max/min/abs (:meth:`proofs.Function.gradient_at`).

>>> from proofs import Function
>>> grad_x_input(Function("1 - relu(1 - x1)"), (2,), (0,))
(0,)
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = ["grad_x_input", "gradient", "gradient_at", "smoothgrad"]


def gradient_at(F, point) -> tuple[sp.Expr, ...]:
    """The gradient of ``F`` at ``point``, exactly (active branch of each max/min/abs).

    >>> from proofs import Function
    >>> gradient_at(Function("x1*x2**2"), (1, 2))
    (4, 4)
    """
    return F.gradient_at(point)


def gradient(F, x, baseline) -> tuple[sp.Expr, ...]:
    """The gradient of F at x (a saliency map; the baseline is not used).

    >>> from proofs import Function
    >>> gradient(Function("x1*x2"), (2, 3), (0, 0))
    (3, 2)
    """
    return gradient_at(F, x)


def grad_x_input(F, x, baseline) -> tuple[sp.Expr, ...]:
    """Gradient x input, x_i * dF/dx_i(x): the baseline is not used (this is not
    (x_i - x'_i) * dF/dx_i(x), which equals it only for the zero baseline).

    >>> from proofs import Function
    >>> grad_x_input(Function("x1*x2"), (2, 3), (0, 0))
    (6, 6)
    """
    return tuple(sp.expand(g * xi) for g, xi in zip(gradient_at(F, x), x, strict=True))


def smoothgrad(sigma=None) -> Callable:
    """SmoothGrad with a deterministic, symmetric noise stencil: the mean gradient at
    x + sigma*e_k and x - sigma*e_k for every k (sigma = 1/10 by default).

    >>> from proofs import Function
    >>> smoothgrad()(Function("x1**2"), (1,), (0,))
    (2,)
    """
    sigma = sp.Rational(1, 10) if sigma is None else sp.Rational(sigma)

    def method(F, x, baseline):
        n = len(x)
        total = [sp.Integer(0)] * n
        for k in range(n):
            for s in (1, -1):
                point = tuple(xi + (s * sigma if i == k else 0) for i, xi in enumerate(x))
                total = [t + g for t, g in zip(total, gradient_at(F, point), strict=True)]
        return tuple(sp.expand(t / (2 * n)) for t in total)

    return method
