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
from .adaptive import adaptive_path_integral, check_tolerance
from .arguments import (
    check_batch_size,
    check_input_tuple,
    check_inputs,
    check_model,
    expand_extra,
    format_extra,
    format_points,
)
from .errors import ArgumentError, DimensionError, UnsupportedFunctionError
from .path_integral import model_outputs, path_integral, quadrature_grid
from .quadrature import quadrature_rule
from .targets import TargetSpec, normalize_target

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


def completeness_delta(model: Model, attributions, start, end, target: TargetSpec = None,
                       batch_size: int | None = None, additional_forward_args=None
                       ) -> torch.Tensor:
    """Per example: sum of attributions - (F(end) - F(start)), in float64.

    ``end`` is a tensor (N, ...) or a tuple of them (the inputs), ``attributions`` has the
    same form, ``start`` is None, a number, a tensor or a tuple (the baselines), and
    ``additional_forward_args`` are passed to ``model`` after the inputs, as in Captum.

    >>> import torch
    >>> m = torch.nn.Linear(2, 1).double()
    >>> x = torch.ones(1, 2, dtype=torch.float64)
    >>> a = integrated_gradients(m, x, method="riemann_left", steps=1)
    >>> abs(float(completeness_delta(m, a, torch.zeros_like(x), x))) < 1e-15
    True
    """
    xs, is_tuple = check_input_tuple(end)
    starts = format_points(start, xs, "start")
    attrs = attributions if isinstance(attributions, tuple) else (attributions,)
    if len(attrs) != len(xs):
        raise DimensionError(f"{len(attrs)} attribution tensors for {len(xs)} input tensors")
    n = xs[0].shape[0]
    for at in attrs:
        if not isinstance(at, torch.Tensor) or at.dim() < 1 or at.shape[0] != n:
            raise DimensionError(
                f"attributions must be tensors with the inputs' {n} examples in dimension 0")
    extra = format_extra(additional_forward_args)
    tgt = normalize_target(target, n, xs[0].device)
    batch_size = check_batch_size(batch_size)
    diff = model_outputs(model, xs, tgt, batch_size, extra) - model_outputs(
        model, starts, tgt, batch_size, extra)
    total = sum(at.detach().double().reshape(n, -1).sum(1) for at in attrs)
    return total - diff


# ---------------------------------------------------------------------------- exact, any input


class _Flattened(torch.nn.Module):
    """``model(*inputs, *extra)`` as a function of one tensor (N, total features): the input
    tensors flattened and concatenated, the extra arguments held (tensors as buffers, so that
    ``.to(device, dtype)`` on this module moves them with the model)."""

    def __init__(self, model: Model, shapes: list[tuple[int, ...]], extra: tuple) -> None:
        super().__init__()
        self.inner = model
        self.shapes = shapes
        self.sizes = [int(np.prod(s)) if s else 1 for s in shapes]
        self.slots: list = []
        for i, arg in enumerate(extra):
            if isinstance(arg, torch.Tensor):
                self.register_buffer(f"extra{i}", arg.detach())
                self.slots.append(f"extra{i}")
            else:
                self.slots.append((arg,))

    def forward(self, flat: torch.Tensor) -> torch.Tensor:  # noqa: D102
        parts = flat.split(self.sizes, dim=1)
        xs = [p.reshape(p.shape[0], *s) for p, s in zip(parts, self.shapes, strict=True)]
        args = [getattr(self, s) if isinstance(s, str) else s[0] for s in self.slots]
        return self.inner(*xs, *args)


def _exact(model: Model, points: list[tuple], target, batch_size: int | None,
           extra: tuple) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Exact attributions along the polyline ``points`` (each a tuple of tensors) and the
    walk's completeness delta per example (float64); several input tensors or extra forward
    arguments go through :class:`_Flattened`, one example at a time when an extra argument
    has a batch dimension."""
    from .exact import exact_path_attribution

    end = points[-1]
    if len(end) == 1 and not extra:
        walk = exact_path_attribution(model, [p[0] for p in points], target=target,
                                      batch_size=batch_size)
        return (walk.attributions.to(end[0].dtype),), walk.delta
    n = end[0].shape[0]
    shapes = [tuple(x.shape[1:]) for x in end]
    tgt = normalize_target(target, n, end[0].device)
    per_row = n > 1 and any(isinstance(e, torch.Tensor) and e.dim() > 0 and e.shape[0] == n
                            for e in extra)
    parts = [slice(i, i + 1) for i in range(n)] if per_row else [slice(None)]
    flat_attr, deltas = [], []
    for part in parts:
        args = expand_extra(extra, n, part if per_row else None, 1)
        net = _Flattened(model, shapes, args)
        t = tgt[part] if isinstance(tgt, torch.Tensor) else tgt
        flat = [torch.cat([x[part].reshape(x[part].shape[0], -1).double() for x in p], 1)
                for p in points]
        walk = exact_path_attribution(net, flat, target=t, batch_size=batch_size)
        flat_attr.append(walk.attributions)
        deltas.append(walk.delta)
    pieces = torch.cat(flat_attr).split([int(np.prod(s)) if s else 1 for s in shapes], dim=1)
    return tuple(p.reshape(x.shape).to(x.dtype) for p, x in zip(pieces, end, strict=True)), \
        torch.cat(deltas)


def _exact_error(attr: tuple, delta: torch.Tensor) -> torch.Tensor:
    """The error bound of an exact walk's result, per example: rounding only (the walk runs
    in float64; its completeness delta, 64 float64 roundings of the attributions' absolute
    sum, and the cast to the inputs' dtype)."""
    n = delta.shape[0]
    total = sum(a.detach().double().reshape(n, -1).abs().sum(1) for a in attr)
    cast = max(float(torch.finfo(a.dtype).eps) for a in attr) * torch.stack(
        [a.detach().double().reshape(n, -1).abs().amax(1) for a in attr]).amax(0)
    return delta.abs().cpu() + 64.0 * float(torch.finfo(torch.float64).eps) * total.cpu() \
        + cast.cpu()


def _piecewise_linear(model: Model, end: tuple, target, extra: tuple) -> bool:
    """Whether the exact walk accepts ``model`` (one input tensor): one probe forward."""
    from .exact import check_piecewise_linear

    if len(end) != 1:
        return False
    n = end[0].shape[0]
    tgt = normalize_target(target, n, end[0].device)
    try:
        check_piecewise_linear(model, end[0][:1],
                               tgt[:1] if isinstance(tgt, torch.Tensor) else tgt,
                               expand_extra(extra, n, slice(0, 1), 1))
    except (UnsupportedFunctionError, ArgumentError, DimensionError):
        return False
    return True


# ---------------------------------------------------------------------------------- public


def _attribute(model: Model, points: list[tuple], target: TargetSpec, steps: int,
               method: str, batch_size: int | None, extra: tuple,
               multiply_by_inputs: bool, tolerance: float | None = None,
               max_evaluations: int | None = None
               ) -> tuple[tuple[torch.Tensor, ...], torch.Tensor | None]:
    """Attributions along the polyline ``points`` (tuples of tensors, formatted), one per
    input tensor, in the inputs' dtypes, and the estimated error per example (None for a
    fixed quadrature rule)."""
    end = points[-1]
    if tolerance is not None:
        check_tolerance(tolerance, max_evaluations)
    if method == "exact" or (tolerance is not None and multiply_by_inputs
                             and _piecewise_linear(model, end, target, extra)):
        if not multiply_by_inputs:
            raise ArgumentError("multiply_by_inputs=False needs a quadrature method, not "
                                "'exact'; use method='gausslegendre'")
        attr, delta = _exact(model, points, target, batch_size, extra)
        return attr, _exact_error(attr, delta)
    if tolerance is not None:
        return _adaptive(model, points, target, batch_size, extra, multiply_by_inputs,
                         tolerance, max_evaluations)
    grid = quadrature_grid(end[0].shape[0], method, steps, end[0].device)
    tgt = normalize_target(target, end[0].shape[0], end[0].device)
    attr = [torch.zeros(x.shape, dtype=torch.float64, device=x.device) for x in end]
    for a, b in zip(points[:-1], points[1:], strict=False):
        gs = path_integral(model, grid, a, b, tgt, extra=extra, batch_size=batch_size)
        for total, g, ai, bi in zip(attr, gs, a, b, strict=True):
            total += (bi.double() - ai.double()) * g if multiply_by_inputs else g
    return tuple(at.to(x.dtype) for at, x in zip(attr, end, strict=True)), None


def _adaptive(model: Model, points: list[tuple], target: TargetSpec, batch_size: int | None,
              extra: tuple, multiply_by_inputs: bool, tolerance: float,
              max_evaluations: int | None) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """The polyline's segments as tracks of :func:`numeric.adaptive.adaptive_path_integral`."""
    end = points[-1]
    n = end[0].shape[0]
    segments = len(points) - 1
    starts = tuple(torch.cat([p[i] for p in points[:-1]]) for i in range(len(end)))
    ends = tuple(torch.cat([p[i] for p in points[1:]]) for i in range(len(end)))
    factors = tuple((b.double() - a.double()) for a, b in zip(starts, ends, strict=True)) \
        if multiply_by_inputs else None
    tgt = normalize_target(target, n, end[0].device)
    if isinstance(tgt, torch.Tensor):
        tgt = tgt.repeat(segments, *([1] * (tgt.dim() - 1)))
    extra_tracks = tuple(e.repeat(segments, *([1] * (e.dim() - 1)))
                         if isinstance(e, torch.Tensor) and e.dim() > 0 and e.shape[0] == n
                         else e for e in extra)
    result = adaptive_path_integral(
        model, starts, ends, tgt, tolerance=tolerance, max_evaluations=max_evaluations,
        factors=factors, track_example=torch.arange(n).repeat(segments), extra=extra_tracks,
        batch_size=batch_size)
    return tuple(v.to(x.dtype) for v, x in zip(result.values, end, strict=True)), result.error


def path_attribution(model: Model, waypoints: Sequence, target: TargetSpec = None,
                     steps: int = 50, method: str = "gausslegendre",
                     batch_size: int | None = None, return_delta: bool = False, *,
                     additional_forward_args=None, tolerance: float | None = None,
                     return_error: bool = False, max_evaluations: int | None = None):
    """Path attribution of ``model`` along the polyline through ``waypoints``.

    ``waypoints[0]`` and ``waypoints[-1]`` are the start and the end (for IG: the baseline
    and the input); the last waypoint must be a tensor (N, ...) or a tuple of them (a model
    of several inputs), the others of the same form, with each tensor of the same shape, of
    shape (1, ...) or (...), a number, or None (zeros). ``steps`` is the number of gradient
    evaluations per segment. ``additional_forward_args`` (one object or a tuple) are passed
    to ``model`` after the inputs, tensors with a batch dimension repeated per step, as in
    Captum. Returns attributions of the same form as the end point (a tensor or a tuple), and
    with ``return_delta`` also the completeness delta per example (float64).
    ``tolerance``, ``return_error`` and ``max_evaluations`` as in
    :func:`integrated_gradients` (each example's tolerance covers its whole path).

    >>> import torch
    >>> F = lambda x: (x[:, 0] * x[:, 1]).unsqueeze(1)    # F(x1, x2) = x1 x2
    >>> end = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    >>> path_attribution(F, [0.0, torch.tensor([1.0, 0.0]), end], steps=4)   # x1 first
    tensor([[0., 1.]], dtype=torch.float64)
    """
    return _path_attribution(model, waypoints, target, steps, method, batch_size,
                             return_delta, additional_forward_args, True,
                             tolerance=tolerance, return_error=return_error,
                             max_evaluations=max_evaluations)


def _path_attribution(model, waypoints, target, steps, method, batch_size, return_delta,
                      additional_forward_args, multiply_by_inputs: bool,
                      start_name: str | None = None, *, tolerance=None, return_error=False,
                      max_evaluations=None):
    check_model(model)
    if return_error and tolerance is None and method != "exact":
        raise ArgumentError("return_error=True needs tolerance= (or method='exact'): a fixed "
                            "quadrature rule has no error estimate")
    if len(waypoints) < 2:
        raise ArgumentError("a path needs at least two waypoints (start and end)")
    end, is_tuple = check_input_tuple(waypoints[-1])
    points = [format_points(p, end, start_name or f"waypoint {i}")
              for i, p in enumerate(waypoints[:-1])]
    points.append(end)
    batch_size = check_batch_size(batch_size)
    extra = format_extra(additional_forward_args)
    attr, error = _attribute(model, points, target, steps, method, batch_size, extra,
                             multiply_by_inputs, tolerance, max_evaluations)
    result = attr if is_tuple else attr[0]
    if not (return_delta or return_error):
        return result
    out = (result,)
    if return_delta:
        out += (completeness_delta(model, attr, points[0], end, target, batch_size, extra),)
    if return_error:
        out += (error.to(torch.float64),)
    return out


def integrated_gradients(model: Model | NumpyModel, inputs, baselines=None,
                         target: TargetSpec = None, steps: int = 50,
                         method: str = "gausslegendre", batch_size: int | None = None,
                         return_delta: bool = False, *, additional_forward_args=None,
                         multiply_by_inputs: bool = True, tolerance: float | None = None,
                         return_error: bool = False, max_evaluations: int | None = None):
    """Integrated gradients of ``model`` at ``inputs`` (N, ...) from ``baselines``.

    Captum-shaped: ``inputs`` is a tensor or a tuple of tensors (a model of several inputs;
    the result then is a tuple too); ``target`` (int, tuple, list or tensor) picks the
    output; ``method`` is one of riemann_left, riemann_right, riemann_middle,
    riemann_trapezoid, gausslegendre (float64 weights summing to 1) or ``"exact"``
    (piecewise-linear networks); ``batch_size`` caps the number of points per
    forward/backward pass. ``baselines`` is None (zeros), a number, a tensor, a tuple of
    those (one per input tensor), or a :class:`BaselineDistribution` (expected IG over its
    samples). ``additional_forward_args`` are passed to ``model`` after the inputs (tensors
    with a batch dimension repeated per step). With ``multiply_by_inputs=False`` the result
    is the path-averaged gradient, not multiplied by inputs - baselines (Captum's "local"
    IG). ``model`` may be a :class:`NumpyModel` with NumPy ``inputs``. With ``return_delta``
    the result is (attributions, completeness delta per example in float64). The weighted
    sum over the steps is accumulated in float64 whatever the inputs' dtype, and the
    attributions come back in the inputs' dtype.

    With ``tolerance`` (relative, e.g. 1e-6) each example is integrated until its estimated
    error, the largest over the features of |A_i - IG_i|, is at most ``tolerance`` times its
    largest |A_i| (``steps`` and ``method`` are then not used): a piecewise-linear network goes
    to the exact walk (error: rounding only), any other to the adaptive integrator
    (:mod:`numeric.adaptive`: Gauss-Kronrod pieces split where a kink switches, bisected
    where the estimate is too large). ``return_error=True`` appends the estimated absolute
    error per example (float64, shape (N,)) to the returned tuple. ``max_evaluations`` (per
    example, default 50,000) bounds the work; an example that runs out comes back with its
    estimate and a :class:`numeric.errors.ToleranceNotReached` warning.

    Captum's BasicModel2, F(x1, x2) = relu(relu(x1) - 1 - relu(x2)), at (3, 1):

    >>> import torch
    >>> F = lambda x: torch.relu(torch.relu(x[:, 0]) - 1 - torch.relu(x[:, 1]))
    >>> x = torch.tensor([[3.0, 1.0]], dtype=torch.float64)
    >>> integrated_gradients(F, x, method="riemann_middle", steps=2).tolist()
    [[1.5, -0.5]]

    The same function with two input tensors, as Captum's tests call it:

    >>> G = lambda x1, x2: torch.relu(torch.relu(x1) - 1 - torch.relu(x2))
    >>> x1, x2 = torch.tensor([3.0]), torch.tensor([1.0])
    >>> integrated_gradients(G, (x1, x2), (0.0, 0.0), method="riemann_middle", steps=2)
    (tensor([1.5000]), tensor([-0.5000]))

    To a stated accuracy, with the error estimate (tanh is smooth: the adaptive integrator):

    >>> H = lambda x: torch.tanh(2 * x).sum(1)
    >>> attr, err = integrated_gradients(H, torch.ones(1, 1, dtype=torch.float64),
    ...                                  tolerance=1e-8, return_error=True)
    >>> true = abs(float(attr[0, 0]) - float(torch.tanh(torch.tensor(2.0, dtype=torch.float64))))
    >>> true <= float(err[0]) <= 1e-8 * float(attr.abs().max())
    True
    """
    if isinstance(model, NumpyModel):
        if tolerance is not None or return_error:
            raise ArgumentError("tolerance= and return_error= need a torch model, not a "
                                "NumpyModel")
        if additional_forward_args is not None or not multiply_by_inputs:
            raise ArgumentError("a NumpyModel takes neither additional_forward_args nor "
                                "multiply_by_inputs=False")
        return _numpy_integrated_gradients(model, inputs, baselines, steps, method, batch_size,
                                           return_delta, target)
    check_model(model)
    if not isinstance(baselines, BaselineDistribution):
        return _path_attribution(model, [baselines, inputs], target, steps, method,
                                 batch_size, return_delta, additional_forward_args,
                                 multiply_by_inputs, "baselines", tolerance=tolerance,
                                 return_error=return_error, max_evaluations=max_evaluations)
    if isinstance(inputs, tuple):
        raise ArgumentError("a BaselineDistribution needs a single input tensor, not a tuple")
    x = check_inputs(inputs)
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
    extra = tuple(e.repeat(m, *([1] * (e.dim() - 1)))
                  if isinstance(e, torch.Tensor) and e.dim() > 0 and e.shape[0] == n else e
                  for e in format_extra(additional_forward_args))
    result = _path_attribution(model, [bs, xs], tgt, steps, method, batch_size, return_delta,
                               extra, multiply_by_inputs, "baselines", tolerance=tolerance,
                               return_error=return_error, max_evaluations=max_evaluations)
    parts = list(result) if (return_delta or return_error) else [result]
    w = probs.to(parts[0].dtype).view(m, 1, *([1] * (x.dim() - 1)))
    out = [(w * parts[0].reshape(m, n, *x.shape[1:])).sum(0)]
    # the delta and the error (a bound, by the triangle inequality) mix with the same weights
    out += [(probs.view(m, 1) * p.reshape(m, n)).sum(0) for p in parts[1:]]
    return out[0] if len(out) == 1 else tuple(out)


# ------------------------------------------------------------------------------------ NumPy


def _numpy_integrated_gradients(model: NumpyModel, inputs, baselines, steps: int, method: str,
                                batch_size: int | None, return_delta: bool, target):
    if target is not None:
        raise ArgumentError("a NumpyModel gives one output per example; leave target=None")
    if method == "exact":
        raise ArgumentError("method='exact' needs a torch nn.Module, not a NumpyModel")
    batch_size = check_batch_size(batch_size)
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
