"""Integrated gradients and polyline path attributions on torch models, by quadrature or exactly.

The work horse is :func:`path_attribution`: for waypoints p_0, ..., p_K (each shaped like
the inputs) it returns, per example, sum_k (p_{k+1} - p_k) * integral_0^1 grad F(p_k + t
(p_{k+1} - p_k)) dt, the integral by a quadrature rule (one batched forward and backward over
steps x examples, chunked to ``batch_size`` points) or, with ``method="exact"``, by walking
the activation regions of a piecewise-linear network. :func:`integrated_gradients` is the
straight path from the baseline (a tensor, a scalar, or a :class:`BaselineDistribution`).

>>> import torch
>>> model = torch.nn.Linear(2, 1, bias=False).double()
>>> with torch.no_grad():
...     _ = model.weight.copy_(torch.tensor([[2.0, -3.0]]))
>>> integrated_gradients(model, torch.tensor([[1.0, 1.0]], dtype=torch.float64), steps=2)
tensor([[ 2., -3.]], dtype=torch.float64)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._torch import torch
from .errors import ArgumentError, DimensionError
from .quadrature import quadrature_rule
from .targets import TargetSpec, normalize_target, select_output

__all__ = [
    "BaselineDistribution",
    "NumpyModel",
    "integrated_gradients",
    "path_attribution",
]

Model = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class BaselineDistribution:
    """A finite distribution of baselines (distributional IG / expected gradients).

    ``samples`` has shape (M, *features); ``weights`` (M,) are probabilities (uniform when
    None). IG against it is sum_j weights[j] * IG(x, samples[j]), computed deterministically.

    >>> import torch
    >>> BaselineDistribution(torch.zeros(3, 2)).probabilities().tolist()
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333]
    """

    samples: torch.Tensor | np.ndarray
    weights: torch.Tensor | np.ndarray | Sequence[float] | None = None

    def probabilities(self) -> torch.Tensor:
        m = len(self.samples)
        if m == 0:
            raise ArgumentError("a baseline distribution needs at least one sample")
        if self.weights is None:
            return torch.full((m,), 1.0 / m, dtype=torch.float64)
        w = torch.as_tensor(np.asarray(self.weights, dtype=np.float64)
                            if not isinstance(self.weights, torch.Tensor)
                            else self.weights.detach().cpu().double())
        if w.shape != (m,):
            raise DimensionError(f"{m} baseline samples but {tuple(w.shape)} weights")
        if (w < 0).any() or not torch.isfinite(w).all() or float(w.sum()) <= 0:
            raise ArgumentError(
                "baseline weights must be finite, non-negative, with a positive sum")
        return w / w.sum()


@dataclass(frozen=True)
class NumpyModel:
    """A NumPy function and its gradient: ``f(X)`` maps (B, *features) to (B,), ``grad(X)``
    to (B, *features). Use it as the model of :func:`integrated_gradients`.

    >>> F = NumpyModel(lambda X: (X ** 2).sum(1), lambda X: 2 * X)
    >>> np.round(integrated_gradients(F, np.array([[1.0, 2.0]]), steps=3), 12).tolist()
    [[1.0, 4.0]]
    """

    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------- argument checks


def _check_inputs(inputs: object) -> torch.Tensor:
    if not isinstance(inputs, torch.Tensor):
        raise ArgumentError(
            f"inputs must be a torch tensor of shape (N, ...), got {type(inputs).__name__}"
        )
    if inputs.dim() < 1 or inputs.shape[0] == 0:
        raise DimensionError(
            f"inputs must have a batch dimension (N, ...) with N >= 1, got shape "
            f"{tuple(inputs.shape)}"
        )
    if not inputs.dtype.is_floating_point:
        raise ArgumentError(f"inputs must be a floating-point tensor, got {inputs.dtype}")
    return inputs.detach()


def _format_point(point: object, like: torch.Tensor, what: str) -> torch.Tensor:
    """A baseline or waypoint broadcast to the shape, dtype and device of ``like``."""
    if point is None:
        return torch.zeros_like(like)
    if isinstance(point, (int, float)) and not isinstance(point, bool):
        return torch.full_like(like, float(point))
    if isinstance(point, np.ndarray):
        point = torch.from_numpy(point)
    if not isinstance(point, torch.Tensor):
        raise ArgumentError(
            f"{what} must be None, a number or a tensor, got {type(point).__name__}")
    point = point.detach().to(device=like.device, dtype=like.dtype)
    if point.shape == like.shape:
        return point
    if point.dim() == 0:
        return point.expand_as(like)
    if point.shape == like.shape[1:]:
        point = point.unsqueeze(0)
    if point.dim() == like.dim() and point.shape[0] == 1 and point.shape[1:] == like.shape[1:]:
        return point.expand_as(like)
    raise DimensionError(
        f"{what} has shape {tuple(point.shape)}; inputs have shape {tuple(like.shape)} "
        f"(use the same shape, (1, *features) or (*features))"
    )


def _check_batch_size(batch_size: int | None) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ArgumentError(f"batch_size must be a positive int or None, got {batch_size!r}")
    return batch_size


def _check_model(model: object) -> None:
    if not callable(model):
        raise ArgumentError(f"model must be an nn.Module or a callable, got {type(model).__name__}")


# -------------------------------------------------------------------------------- quadrature


_FIRST_AFFINE = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)


def _first_affine(model: Model) -> tuple[torch.nn.Module, torch.nn.Module] | None:
    """(first layer, the rest) when ``model`` is an nn.Sequential that starts with an affine
    layer and has no hooks of its own; None otherwise."""
    if type(model) is not torch.nn.Sequential or len(model) < 2:
        return None
    if model._forward_hooks or model._forward_pre_hooks or model._backward_hooks:
        return None
    if type(model[0]) not in _FIRST_AFFINE:
        return None
    return model[0], model[1:]


def _segment_gradient_sum(model: Model, a: torch.Tensor, b: torch.Tensor, target,
                          nodes: torch.Tensor, weights: torch.Tensor,
                          batch_size: int | None) -> torch.Tensor:
    """sum_s weights[s] * grad F(a + nodes[s] (b - a)), shaped like a; one example per row.

    When F = R o L with L affine (an nn.Sequential starting with Linear or Conv), the path is
    pushed through L once (L(a + t d) = L(a) + t (L(b) - L(a))), the weighted gradient sum is
    taken at L's output, and L's transposed Jacobian is applied once per example instead of
    once per step: the same number up to rounding, with L's forward and backward over the
    steps saved."""
    split = _first_affine(model)
    if split is None:
        plain = type(model) is torch.nn.Sequential and not (
            model._forward_hooks or model._forward_pre_hooks or model._backward_hooks)
        return _gradient_sum(list(model) if plain else model, a, b, target, nodes, weights,
                             batch_size)
    first, rest = split
    with torch.no_grad(), torch.autocast(a.device.type, enabled=False):
        za, zb = first(a), first(b)
    g = _gradient_sum(list(rest), za, zb, target, nodes.to(za.dtype), weights, batch_size)
    probe = torch.zeros_like(a).requires_grad_(True)
    with torch.enable_grad(), torch.autocast(a.device.type, enabled=False):
        (gx,) = torch.autograd.grad(first(probe), probe, g.to(za.dtype))
    return gx


class _Interpolate(torch.autograd.Function):
    """Points a + t_s d (steps x N) from a dummy leaf u whose gradient is sum_s w_s g_s.

    The points are made inside the graph and not saved, so they are freed as soon as the
    first layer has consumed them; the backward reduces the incoming (steps x N) gradient
    with one matrix product, so no gradient the size of all points is kept or returned."""

    @staticmethod
    def forward(ctx, u, a, d, alpha, w):  # noqa: D102
        k = alpha.shape[0]
        feat = (1,) * (a.dim() - 1)
        pts = torch.empty((k * a.shape[0], *a.shape[1:]), dtype=a.dtype, device=a.device)
        # filled through a view but returned as the base: autograd keeps an output that is a
        # view alive with its base, which would hold all points until the backward
        torch.addcmul(a.unsqueeze(0), alpha.view(k, 1, *feat), d.unsqueeze(0),
                      out=pts.view(k, *a.shape))
        ctx.save_for_backward(w)
        ctx.shape = a.shape
        return pts

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        (w,) = ctx.saved_tensors
        g = grad.reshape(w.shape[0], -1).t().mv(w.to(grad.dtype))  # gemv: no packed copy
        return g.reshape(ctx.shape), None, None, None, None


def _run_layers(layers: list, box: list) -> torch.Tensor:
    """Apply ``layers`` in turn to the one tensor in ``box``, holding no other reference to
    it, so that it is freed as soon as the first layer is done with it (a call
    ``model(points)`` keeps ``points`` alive until the whole forward returns)."""
    h = box.pop()
    for layer in layers:
        h = layer(h)
    return h


def _gradient_sum(model: Model | list, a: torch.Tensor, b: torch.Tensor, target,
                  nodes: torch.Tensor, weights: torch.Tensor,
                  batch_size: int | None) -> torch.Tensor:
    """The weighted gradient sum over the steps, chunked to ``batch_size`` points a pass."""
    n = a.shape[0]
    steps = nodes.shape[0]
    d = b - a
    acc = torch.zeros(a.shape, dtype=a.dtype, device=a.device)
    per_tensor_target = isinstance(target, torch.Tensor)

    def run(a_part, d_part, alpha, w, rows) -> torch.Tensor:
        u = torch.zeros(a_part.shape, dtype=a.dtype, device=a.device, requires_grad=True)
        with torch.enable_grad():
            box = [_Interpolate.apply(u, a_part, d_part, alpha, w)]
            out = _run_layers(model, box) if isinstance(model, list) else model(box.pop())
            (g,) = torch.autograd.grad(select_output(out, target, rows).sum(), u)
        return g

    if batch_size is None or batch_size >= n:
        k = steps if batch_size is None else max(1, batch_size // n)
        for s0 in range(0, steps, k):
            s1 = min(steps, s0 + k)
            rows = torch.arange(n, device=a.device).repeat(s1 - s0) if per_tensor_target \
                else slice(None)
            acc += run(a, d, nodes[s0:s1], weights[s0:s1], rows)
    else:
        for s in range(steps):
            for e0 in range(0, n, batch_size):
                e1 = min(n, e0 + batch_size)
                acc[e0:e1] += run(a[e0:e1], d[e0:e1], nodes[s:s + 1], weights[s:s + 1],
                                  torch.arange(e0, e1, device=a.device))
    return acc


def _outputs(model: Model, x: torch.Tensor, target, batch_size: int | None) -> torch.Tensor:
    """F(x) for the selected target, one float64 value per example (no grad)."""
    n = x.shape[0]
    chunk = n if batch_size is None else batch_size
    parts = []
    with torch.no_grad():
        for e0 in range(0, n, chunk):
            rows = torch.arange(e0, min(n, e0 + chunk), device=x.device)
            out = model(x[e0:e0 + chunk])
            parts.append(select_output(out, target, rows).double())
    return torch.cat(parts)


def completeness_delta(model: Model, attributions: torch.Tensor, start: torch.Tensor,
                       end: torch.Tensor, target: TargetSpec = None,
                       batch_size: int | None = None) -> torch.Tensor:
    """Per example: sum of attributions - (F(end) - F(start)), in float64.

    >>> import torch
    >>> m = torch.nn.Linear(2, 1).double()
    >>> x = torch.ones(1, 2, dtype=torch.float64)
    >>> a = integrated_gradients(m, x, method="riemann_left", steps=1)
    >>> abs(float(completeness_delta(m, a, torch.zeros_like(x), x))) < 1e-15
    True
    """
    tgt = normalize_target(target, end.shape[0], end.device)
    diff = _outputs(model, end, tgt, batch_size) - _outputs(model, start, tgt, batch_size)
    return attributions.detach().double().reshape(end.shape[0], -1).sum(1) - diff


# ---------------------------------------------------------------------------------- public


def path_attribution(model: Model, waypoints: Sequence[torch.Tensor | float | None],
                     target: TargetSpec = None, steps: int = 50,
                     method: str = "gausslegendre", batch_size: int | None = None,
                     return_delta: bool = False):
    """Path attribution of ``model`` along the polyline through ``waypoints``.

    ``waypoints[0]`` and ``waypoints[-1]`` are the start and the end (for IG: the baseline
    and the input); the last waypoint must be a tensor (N, ...), the others a tensor of the
    same shape, of shape (1, ...) or (...), a number, or None (zeros). ``steps`` is the
    number of gradient evaluations per segment. Returns attributions shaped like the end
    point, and with ``return_delta`` also the completeness delta per example (float64).

    >>> import torch
    >>> F = lambda x: (x[:, 0] * x[:, 1]).unsqueeze(1)    # F(x1, x2) = x1 x2
    >>> end = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    >>> path_attribution(F, [0.0, torch.tensor([1.0, 0.0]), end], steps=4)   # x1 first
    tensor([[0., 1.]], dtype=torch.float64)
    """
    _check_model(model)
    if len(waypoints) < 2:
        raise ArgumentError("a path needs at least two waypoints (start and end)")
    end = _check_inputs(waypoints[-1])
    points = [_format_point(p, end, f"waypoint {i}") for i, p in enumerate(waypoints[:-1])]
    points.append(end)
    batch_size = _check_batch_size(batch_size)
    tgt = normalize_target(target, end.shape[0], end.device)
    if method == "exact":
        from .exact import exact_path_attribution

        walk = exact_path_attribution(model, points, target=target, batch_size=batch_size)
        attr = walk.attributions.to(end.dtype)
    else:
        rule = quadrature_rule(method)
        rule.check_steps(steps)
        nodes, weights = rule.tensors(steps, torch.float64, end.device)
        nodes = nodes.to(end.dtype)
        attr = torch.zeros_like(end)
        for a, b in zip(points[:-1], points[1:], strict=False):
            g = _segment_gradient_sum(model, a, b, tgt, nodes, weights, batch_size)
            attr += (b - a) * g
    if not return_delta:
        return attr
    return attr, completeness_delta(model, attr, points[0], end, target, batch_size)


def integrated_gradients(model: Model | NumpyModel, inputs, baselines=None,
                         target: TargetSpec = None, steps: int = 50,
                         method: str = "gausslegendre", batch_size: int | None = None,
                         return_delta: bool = False):
    """Integrated gradients of ``model`` at ``inputs`` (N, ...) from ``baselines``.

    Captum-shaped: ``target`` (int, tuple, list or tensor) picks the output; ``method`` is one
    of riemann_left, riemann_right, riemann_middle, riemann_trapezoid, gausslegendre (float64
    weights summing to 1) or ``"exact"`` (piecewise-linear networks); ``batch_size`` caps the
    number of points per forward/backward pass. ``baselines`` is None (zeros), a number, a
    tensor, or a :class:`BaselineDistribution` (expected IG over its samples). ``model`` may
    be a :class:`NumpyModel` with NumPy ``inputs``. With ``return_delta`` the result is
    (attributions, completeness delta per example).

    Captum's BasicModel2, F(x1, x2) = relu(relu(x1) - 1 - relu(x2)), at (3, 1):

    >>> import torch
    >>> F = lambda x: torch.relu(torch.relu(x[:, 0]) - 1 - torch.relu(x[:, 1]))
    >>> x = torch.tensor([[3.0, 1.0]], dtype=torch.float64)
    >>> integrated_gradients(F, x, method="riemann_middle", steps=2).tolist()
    [[1.5, -0.5]]
    """
    if isinstance(model, NumpyModel):
        return _numpy_integrated_gradients(model, inputs, baselines, steps, method, batch_size,
                                           return_delta, target)
    _check_model(model)
    x = _check_inputs(inputs)
    if not isinstance(baselines, BaselineDistribution):
        return path_attribution(model, [_format_point(baselines, x, "baselines"), x], target,
                                steps, method, batch_size, return_delta)
    probs = baselines.probabilities().to(x.device)
    samples = baselines.samples
    if isinstance(samples, np.ndarray):
        samples = torch.from_numpy(samples)
    samples = samples.detach().to(device=x.device, dtype=x.dtype)
    if samples.shape[1:] != x.shape[1:]:
        raise DimensionError(
            f"baseline samples have shape {tuple(samples.shape)}; each must have the shape "
            f"{tuple(x.shape[1:])} of one input"
        )
    m, n = samples.shape[0], x.shape[0]
    xs = x.unsqueeze(0).expand(m, *x.shape).reshape(m * n, *x.shape[1:])
    bs = samples.unsqueeze(1).expand(m, n, *x.shape[1:]).reshape(m * n, *x.shape[1:])
    tgt = target
    if isinstance(target, (list, torch.Tensor)) and not (
            isinstance(target, torch.Tensor) and target.numel() == 1):
        t = torch.as_tensor(target)
        tgt = t.repeat(m, *([1] * (t.dim() - 1)))
    result = path_attribution(model, [bs, xs], tgt, steps, method, batch_size, return_delta)
    attr, delta = result if return_delta else (result, None)
    w = probs.to(attr.dtype).view(m, 1, *([1] * (x.dim() - 1)))
    attr = (w * attr.reshape(m, n, *x.shape[1:])).sum(0)
    if not return_delta:
        return attr
    return attr, (probs.view(m, 1) * delta.reshape(m, n)).sum(0)


# ------------------------------------------------------------------------------------ NumPy


def _numpy_integrated_gradients(model: NumpyModel, inputs, baselines, steps: int, method: str,
                                batch_size: int | None, return_delta: bool, target):
    if target is not None:
        raise ArgumentError("a NumpyModel gives one output per example; leave target=None")
    if method == "exact":
        raise ArgumentError("method='exact' needs a torch nn.Module, not a NumpyModel")
    batch_size = _check_batch_size(batch_size)
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim < 1 or x.shape[0] == 0:
        raise DimensionError(f"inputs must have shape (N, ...) with N >= 1, got {x.shape}")
    if isinstance(baselines, BaselineDistribution):
        probs = baselines.probabilities().numpy()
        parts = [_numpy_integrated_gradients(model, x, np.asarray(s), steps, method, batch_size,
                                             True, None) for s in np.asarray(baselines.samples)]
        attr = sum(p * a for p, (a, _) in zip(probs, parts, strict=True))
        if not return_delta:
            return attr
        return attr, sum(p * d for p, (_, d) in zip(probs, parts, strict=True))
    if baselines is None:
        base = np.zeros_like(x)
    else:
        base = np.asarray(baselines, dtype=np.float64)
        if base.shape == x.shape[1:] or base.ndim == 0:
            base = np.broadcast_to(base, x.shape)
        elif base.shape != x.shape and not (base.shape[0] == 1 and base.shape[1:] == x.shape[1:]):
            raise DimensionError(f"baselines have shape {base.shape}; inputs have shape {x.shape}")
        base = np.broadcast_to(base, x.shape)
    rule = quadrature_rule(method)
    nodes, weights = rule.nodes_weights(steps)
    n = x.shape[0]
    d = x - base
    feat = (1,) * (x.ndim - 1)
    k = len(nodes) if batch_size is None else max(1, batch_size // n)
    acc = np.zeros_like(x)
    for s0 in range(0, len(nodes), k):
        alpha = nodes[s0:s0 + k].reshape(-1, 1, *feat)
        pts = (base[None] + alpha * d[None]).reshape(-1, *x.shape[1:])
        g = np.asarray(model.grad(pts), dtype=np.float64)
        if g.shape != pts.shape:
            raise DimensionError(f"grad returned shape {g.shape} for points of shape {pts.shape}")
        acc += np.tensordot(weights[s0:s0 + k], g.reshape(-1, *x.shape), axes=1)
    attr = d * acc
    if not return_delta:
        return attr
    fx = np.asarray(model.f(x), dtype=np.float64).reshape(n)
    fb = np.asarray(model.f(np.ascontiguousarray(base)), dtype=np.float64).reshape(n)
    return attr, attr.reshape(n, -1).sum(1) - (fx - fb)
