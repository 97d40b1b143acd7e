"""The user errors numeric/ raises: the shared hierarchy of proofs.errors, plus two of its own."""

from __future__ import annotations

from proofs.errors import (
    DimensionError,
    IGVerifyError,
    IntegrationError,
    MissingDependencyError,
    NotDifferentiableError,
    UnsupportedFunctionError,
)


class ArgumentError(IGVerifyError, ValueError):
    """A bad argument to a numeric function (unknown method, steps < 1, bad target)."""


__all__ = [
    "ArgumentError",
    "DimensionError",
    "IGVerifyError",
    "IntegrationError",
    "MissingDependencyError",
    "NotDifferentiableError",
    "UnsupportedFunctionError",
]
