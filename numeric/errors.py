"""The user errors numeric/ raises: the shared hierarchy of proofs.errors, plus its own."""

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


class ToleranceNotReached(UserWarning):
    """A warning: an attribution asked for with ``tolerance=`` ran out of ``max_evaluations``
    before its error estimate met the tolerance; the result and its estimate are returned."""


__all__ = [
    "ArgumentError",
    "DimensionError",
    "IGVerifyError",
    "IntegrationError",
    "MissingDependencyError",
    "NotDifferentiableError",
    "ToleranceNotReached",
    "UnsupportedFunctionError",
]
