"""Captum-shaped target selection: pick one scalar output per example from a model's output,
and F(x) for that target (:func:`model_outputs`, the one output evaluator of the numeric core:
the path integrals, the layer classes and the exact walk all use it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ._torch import torch
from .errors import ArgumentError, DimensionError

TargetSpec = int | tuple | Sequence | torch.Tensor | None


def normalize_target(target: TargetSpec, n: int,
                     device: torch.device) -> torch.Tensor | tuple | None:
    """None, a tuple of ints (one output index for every example), or a LongTensor (n,) or (n, k).

    >>> normalize_target([1, 0], 2, torch.device("cpu")).tolist()
    [1, 0]
    """
    if target is None:
        return None
    if isinstance(target, bool):
        raise ArgumentError(f"target must be an int, a tuple, a list or a tensor, got {target!r}")
    if isinstance(target, int):
        return (target,)
    if isinstance(target, tuple):
        if not all(isinstance(t, int) and not isinstance(t, bool) for t in target):
            raise ArgumentError(f"a tuple target must hold ints, got {target!r}")
        return target
    if isinstance(target, torch.Tensor):
        if target.dtype.is_floating_point or target.dtype == torch.bool:
            raise ArgumentError("a tensor target must hold integers")
        if target.numel() == 1:
            return (int(target.reshape(-1)[0]),)
        t = target.to(device=device, dtype=torch.long)
    elif isinstance(target, Sequence) and not isinstance(target, str):
        items = list(target)
        if len(items) == 1 and isinstance(items[0], int):
            return (items[0],)
        try:
            t = torch.tensor(items, dtype=torch.long, device=device)
        except (TypeError, ValueError) as exc:
            raise ArgumentError(f"cannot read target {target!r}: {exc}") from None
    else:
        raise ArgumentError(f"target must be an int, a tuple, a list or a tensor, got {target!r}")
    if t.dim() == 0:
        return (int(t),)
    if t.shape[0] != n:
        raise DimensionError(f"target has {t.shape[0]} entries but inputs have {n} examples")
    return t


def select_output(out: torch.Tensor, target: torch.Tensor | tuple | None,
                  example: torch.Tensor | slice) -> torch.Tensor:
    """One scalar per row of ``out``; ``example`` maps rows to example indices (for per-example
    targets). A tuple target may index only the leading output dimensions when a single value
    per example is left (Captum's convention: target 0 of outputs (N, 3, 1)).

    >>> out = torch.arange(6.0).reshape(2, 3, 1)
    >>> select_output(out, (2,), slice(None)).tolist()
    [2.0, 5.0]
    """
    if target is None:
        if out.dim() > 1 and out[0].numel() != 1:
            raise ArgumentError(
                f"the model gives {out[0].numel()} outputs per example; pass target= to pick one"
            )
        return out.reshape(out.shape[0])
    if isinstance(target, tuple):
        if out.dim() - 1 < len(target):
            raise DimensionError(
                f"target {target if len(target) > 1 else target[0]!r} indexes "
                f"{len(target)} output dimension(s) but the model output per example has "
                f"shape {tuple(out.shape[1:])}"
            )
        try:
            picked = out[(slice(None), *target)]
        except IndexError:
            raise ArgumentError(
                f"target {target!r} is out of range for outputs of shape {tuple(out.shape[1:])}"
            ) from None
        if picked.dim() > 1:  # leading indices, as in Captum: fine if one value is left
            if picked[0].numel() != 1:
                raise DimensionError(
                    f"target {target if len(target) > 1 else target[0]!r} indexes "
                    f"{len(target)} output dimension(s) but the model output per example has "
                    f"shape {tuple(out.shape[1:])}; give one index per output dimension"
                )
            picked = picked.reshape(picked.shape[0])
        return picked
    rows = target[example]
    if rows.dim() == 1:
        rows = rows.unsqueeze(1)
    if out.dim() - 1 != rows.shape[1]:
        raise DimensionError(
            f"per-example targets index {rows.shape[1]} output dimension(s) but the model output "
            f"per example has shape {tuple(out.shape[1:])}"
        )
    sizes = torch.tensor(out.shape[1:], device=rows.device)
    if (rows < 0).any() or (rows >= sizes).any():
        raise ArgumentError(f"a target is out of range for outputs of shape {tuple(out.shape[1:])}")
    flat = torch.zeros(rows.shape[0], dtype=torch.long, device=rows.device)
    for k in range(rows.shape[1]):
        flat = flat * int(sizes[k]) + rows[:, k]
    return out.reshape(out.shape[0], -1).gather(1, flat.unsqueeze(1)).squeeze(1)


def extra_rows(extra: tuple, n: int, rows: torch.Tensor | slice) -> tuple:
    """The extra forward arguments for points of the examples ``rows``: a tensor with the
    inputs' N rows is indexed by them; anything else passes as it is."""
    return tuple(e[rows] if isinstance(e, torch.Tensor) and e.dim() > 0 and e.shape[0] == n
                 else e for e in extra)


def model_outputs(model: Callable, x, target, batch_size: int | None = None,
                  extra: tuple = ()) -> torch.Tensor:
    """F(x) for the (normalised) target, one float64 value per example, without gradients;
    ``x`` a tensor or a tuple of them, ``extra`` passed after it.

    >>> import torch
    >>> model_outputs(lambda x: 2 * x, torch.tensor([[1.0], [3.0]]), None).tolist()
    [2.0, 6.0]
    """
    xs = x if isinstance(x, tuple) else (x,)
    n = xs[0].shape[0]
    size = n if batch_size is None else batch_size
    parts = []
    with torch.no_grad():
        for e0 in range(0, n, size):
            rows = torch.arange(e0, min(n, e0 + size), device=xs[0].device)
            out = model(*[x[rows] for x in xs], *extra_rows(extra, n, rows))
            parts.append(select_output(out, target, rows).double())
    return torch.cat(parts)
