"""Argument checks shared by the numeric attribution functions: inputs (a tensor or a tuple of
tensors), baselines and waypoints broadcast like Captum's, extra forward arguments expanded per
step, batch sizes and models. Each raises the one-line errors of :mod:`numeric.errors`.

>>> import torch
>>> format_point(0.5, torch.zeros(2, 3), "baselines").tolist()
[[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
>>> check_batch_size(0)
Traceback (most recent call last):
...
numeric.errors.ArgumentError: batch_size must be a positive int or None, got 0
"""

from __future__ import annotations

import numpy as np

from ._torch import torch
from .errors import ArgumentError, DimensionError

__all__ = ["check_batch_size", "check_input_tuple", "check_inputs", "check_model",
           "expand_extra", "format_extra", "format_point", "format_points"]



def check_inputs(inputs: object) -> torch.Tensor:
    if not isinstance(inputs, torch.Tensor):
        raise ArgumentError(
            f"inputs must be a torch tensor of shape (N, ...) or a tuple of them, got "
            f"{type(inputs).__name__}"
        )
    if inputs.dim() < 1 or inputs.shape[0] == 0:
        raise DimensionError(
            f"inputs must have a batch dimension (N, ...) with N >= 1, got shape "
            f"{tuple(inputs.shape)}"
        )
    if not inputs.dtype.is_floating_point:
        raise ArgumentError(f"inputs must be a floating-point tensor, got {inputs.dtype}")
    return inputs.detach()


def check_input_tuple(inputs: object) -> tuple[tuple[torch.Tensor, ...], bool]:
    """(the input tensors as a tuple, whether the caller passed a tuple)."""
    if not isinstance(inputs, tuple):
        return (check_inputs(inputs),), False
    if not inputs:
        raise ArgumentError("inputs is an empty tuple; pass a tensor or a tuple of tensors")
    xs = tuple(check_inputs(x) for x in inputs)
    sizes = {x.shape[0] for x in xs}
    if len(sizes) > 1:
        raise DimensionError(
            f"the input tensors have {sorted(sizes)} examples; every tensor of the tuple "
            "needs the same batch size N in dimension 0"
        )
    return xs, True


def format_point(point: object, like: torch.Tensor, what: str) -> torch.Tensor:
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
    try:
        shape = torch.broadcast_shapes(point.shape, like.shape)
    except RuntimeError:
        shape = None
    if shape == like.shape:
        return point.expand_as(like)
    raise DimensionError(
        f"{what} has shape {tuple(point.shape)}; inputs have shape {tuple(like.shape)} "
        f"(use the same shape, (1, *features) or (*features))"
    )


def format_points(point: object, xs: tuple[torch.Tensor, ...],
                   what: str) -> tuple[torch.Tensor, ...]:
    """A baseline or waypoint for every input tensor: a tuple with one entry per tensor, or
    None / a number (for all of them), or a tensor (when there is one input tensor)."""
    if isinstance(point, tuple):
        if len(point) != len(xs):
            raise DimensionError(
                f"{what} is a tuple of {len(point)} but there are {len(xs)} input tensors; "
                "give one entry (None, a number or a tensor) per input tensor"
            )
        return tuple(format_point(p, x, f"{what}[{i}]")
                     for i, (p, x) in enumerate(zip(point, xs, strict=True)))
    if isinstance(point, torch.Tensor) and len(xs) > 1:
        raise ArgumentError(
            f"{what} is one tensor but there are {len(xs)} input tensors; pass a tuple with "
            "one baseline per input tensor"
        )
    return tuple(format_point(point, x, what) for x in xs)


def format_extra(additional_forward_args: object) -> tuple:
    """Captum's convention: None is no extra argument, a tuple is several, anything else one."""
    if additional_forward_args is None:
        return ()
    if isinstance(additional_forward_args, tuple):
        return additional_forward_args
    return (additional_forward_args,)


def expand_extra(extra: tuple, n: int, rows: slice | None, k: int) -> tuple:
    """The extra forward arguments for ``k`` steps of the examples ``rows``: a tensor with a
    batch dimension (its rows sliced to ``rows`` when it has N of them) is repeated k times
    along dimension 0, step-major like the points; 0-d tensors and other objects pass as is."""
    out = []
    for arg in extra:
        if isinstance(arg, torch.Tensor) and arg.dim() > 0:
            if rows is not None and arg.shape[0] == n:
                arg = arg[rows]
            if k > 1:
                arg = arg.repeat(k, *([1] * (arg.dim() - 1)))
        out.append(arg)
    return tuple(out)


def check_batch_size(batch_size: int | None) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ArgumentError(f"batch_size must be a positive int or None, got {batch_size!r}")
    return batch_size


def check_model(model: object) -> None:
    if not callable(model):
        raise ArgumentError(f"model must be an nn.Module or a callable, got {type(model).__name__}")
