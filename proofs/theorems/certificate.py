"""The record a theorem check returns: what was checked, how, and what came out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Certificate"]


@dataclass(frozen=True)
class Certificate:
    """The outcome of checking one theorem on one instance.

    theorem:  which statement (paper, number)
    checked:  the instance, in words
    method:   how (e.g. "identity simplified to 0", "exact maximum over the box")
    holds:    whether the statement held on the instance
    values:   the exact quantities involved, by name (sympy numbers or expressions)
    steps:    the derivation, one line a step
    """

    theorem: str
    checked: str
    method: str
    holds: bool
    values: dict[str, Any] = field(default_factory=dict)
    steps: tuple[str, ...] = ()

    def __str__(self) -> str:
        head = f"{self.theorem}: {'holds' if self.holds else 'FAILS'} ({self.method})"
        return "\n".join([head, f"  checked: {self.checked}", *(f"  {s}" for s in self.steps)])
