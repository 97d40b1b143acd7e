"""Quadrature rules on [0, 1] for path integrals: nodes and float64 weights that sum to 1.

One small class per rule over a shared base that caches nodes and weights per
(n, dtype, device), in the style of mpmath's calculus/quadrature.py, and
:func:`quadrature_rule` that picks a rule by name.

Captum's ``riemann_trapezoid`` weights are (1/(2n), 1/n, ..., 1/n, 1/(2n)) over n
points and sum to (n-1)/n, so its IG of a linear model comes out 2 % low at 50
steps; Captum also rounds every weight to float32. Here the trapezoid weights are
(1/(2(n-1)), 1/(n-1), ..., 1/(2(n-1))), which sum to 1, and every weight is computed
in float64 and cast to the model's dtype only when it is used.

>>> nodes, weights = quadrature_rule("riemann_trapezoid").nodes_weights(3)
>>> nodes.tolist(), weights.tolist()
([0.0, 0.5, 1.0], [0.25, 0.5, 0.25])
"""

from __future__ import annotations

import numpy as np

from ._torch import torch
from .errors import ArgumentError

__all__ = [
    "METHODS",
    "GaussLegendre",
    "QuadratureRule",
    "RiemannLeft",
    "RiemannMiddle",
    "RiemannRight",
    "RiemannTrapezoid",
    "quadrature_rule",
]


class QuadratureRule:
    """Base class: ``calc_nodes(n)`` gives float64 nodes in [0, 1] and weights summing to 1.

    ``nodes_weights(n)`` caches the NumPy arrays; ``tensors(n, dtype, device)`` caches
    the torch tensors per (n, dtype, device).
    """

    name = "base"
    min_steps = 1

    def __init__(self) -> None:
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._tensor_cache: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def calc_nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def check_steps(self, n: int) -> int:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise ArgumentError(f"steps must be an integer, got {n!r}")
        if n < self.min_steps:
            raise ArgumentError(
                f"{self.name} needs steps >= {self.min_steps}, got {n}"
                + ("; it evaluates both ends of the path" if self.min_steps == 2 else "")
            )
        return int(n)

    def nodes_weights(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Float64 nodes in [0, 1] and weights (summing to 1 up to rounding) for n points."""
        n = self.check_steps(n)
        if n not in self._cache:
            nodes, weights = self.calc_nodes(n)
            nodes.setflags(write=False)
            weights.setflags(write=False)
            self._cache[n] = (nodes, weights)
        return self._cache[n]

    def tensors(self, n: int, dtype: torch.dtype = torch.float64,
                device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """Nodes and weights as tensors of ``dtype`` on ``device`` (cast from float64)."""
        key = (n, dtype, str(device))
        if key not in self._tensor_cache:
            nodes, weights = self.nodes_weights(n)
            self._tensor_cache[key] = (
                torch.tensor(nodes, dtype=torch.float64).to(device=device, dtype=dtype),
                torch.tensor(weights, dtype=torch.float64).to(device=device, dtype=dtype),
            )
        return self._tensor_cache[key]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RiemannLeft(QuadratureRule):
    """Left Riemann sum: nodes k/n, k = 0..n-1, weights 1/n."""

    name = "riemann_left"

    def calc_nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(n, dtype=np.float64) / n, np.full(n, 1.0 / n)


class RiemannRight(QuadratureRule):
    """Right Riemann sum: nodes k/n, k = 1..n, weights 1/n."""

    name = "riemann_right"

    def calc_nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(1, n + 1, dtype=np.float64) / n, np.full(n, 1.0 / n)


class RiemannMiddle(QuadratureRule):
    """Midpoint rule: nodes (k + 1/2)/n, weights 1/n."""

    name = "riemann_middle"

    def calc_nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        return (np.arange(n, dtype=np.float64) + 0.5) / n, np.full(n, 1.0 / n)


class RiemannTrapezoid(QuadratureRule):
    """Trapezoid rule on n >= 2 points k/(n-1) including both ends; weights sum to 1."""

    name = "riemann_trapezoid"
    min_steps = 2

    def calc_nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        h = 1.0 / (n - 1)
        weights = np.full(n, h)
        weights[0] = weights[-1] = h / 2
        return np.arange(n, dtype=np.float64) / (n - 1), weights


def _legendre_newton(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] by Newton's method on the three-term
    recurrence (O(n) memory, O(n^2) time), from Tricomi's initial guesses."""
    m = (n + 1) // 2
    k = np.arange(1, m + 1, dtype=np.float64)
    x = np.cos(np.pi * (k - 0.25) / (n + 0.5))
    dp = np.ones_like(x)
    for _ in range(100):
        p0, p1 = np.ones_like(x), x.copy()
        for j in range(2, n + 1):
            p0, p1 = p1, ((2 * j - 1) * x * p1 - (j - 1) * p0) / j
        dp = n * (x * p1 - p0) / (x * x - 1.0)
        step = p1 / dp
        x = x - step
        if np.max(np.abs(step)) < 1e-15:
            break
    w = 2.0 / ((1.0 - x * x) * dp * dp)
    if n % 2:
        x[-1] = 0.0
    nodes = np.concatenate([-x, x[::-1][n % 2:]])
    weights = np.concatenate([w, w[::-1][n % 2:]])
    return nodes, weights


class GaussLegendre(QuadratureRule):
    """Gauss-Legendre rule mapped to [0, 1]: numpy.polynomial.legendre.leggauss up to 100
    points (where NumPy tests it; Captum uses it at every n), Newton's method on the Legendre
    recurrence above that (leggauss builds an n x n matrix: 32 GiB at n = 65536). At most
    ``max_steps`` = 20000 points."""

    name = "gausslegendre"
    max_steps = 20000

    def calc_nodes(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if n > self.max_steps:
            raise ArgumentError(f"gausslegendre supports at most {self.max_steps} steps, got "
                                f"{n}; use riemann_middle for more")
        x, w = np.polynomial.legendre.leggauss(n) if n <= 100 else _legendre_newton(n)
        return 0.5 * (x + 1.0), 0.5 * w


_RULES: dict[str, QuadratureRule] = {
    rule.name: rule
    for rule in (RiemannLeft(), RiemannRight(), RiemannMiddle(), RiemannTrapezoid(),
                 GaussLegendre())
}

#: every method name integrated_gradients accepts ("exact" walks activation regions)
METHODS: tuple[str, ...] = (*_RULES, "exact")


def quadrature_rule(method: str) -> QuadratureRule:
    """The (shared, caching) rule object for a method name.

    >>> quadrature_rule("gausslegendre").nodes_weights(2)[1].tolist()
    [0.5, 0.5]
    """
    try:
        return _RULES[method]
    except (KeyError, TypeError):
        raise ArgumentError(
            f"unknown method {method!r}; choose one of {', '.join(METHODS)}"
        ) from None
