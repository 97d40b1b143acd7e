"""Building blocks for networks the exact method can walk: the residual sum as a module.

>>> import torch
>>> block = Residual(torch.nn.Linear(2, 2))
>>> x = torch.ones(1, 2)
>>> torch.allclose(block(x), block.body(x) + x)
True
"""

from __future__ import annotations

from ._torch import torch

nn = torch.nn

__all__ = ["Residual"]


class Residual(nn.Module):
    """``body(x) + shortcut(x)`` (shortcut: identity when None), as in a ResNet block."""

    def __init__(self, *body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body[0] if len(body) == 1 else nn.Sequential(*body)
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))
