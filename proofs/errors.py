"""The one exception hierarchy of igverify; axioms, counterexamples and numeric reuse it.

Every user error is an :class:`IGVerifyError`. Its ``str`` is one line that says
what is wrong and, where it can, what to do next. The command-line tools print
that line to stderr and exit with status 2; anything else is an internal bug.
"""

from __future__ import annotations


def count(n: int, noun: str) -> str:
    """"1 variable", "2 variables": counts in messages.

    >>> count(1, "variable"), count(2, "coordinate")
    ('1 variable', '2 coordinates')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class IGVerifyError(Exception):
    """Base class of every error a user can cause (bad input, unsupported case)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message}; {hint}")


class ParseError(IGVerifyError, ValueError):
    """An expression string that is malformed, unsafe or too large."""

    def __init__(self, message: str, source: str | None = None, col: int | None = None,
                 hint: str | None = None) -> None:
        self.source = source
        self.col = col
        where = f" at column {col + 1}" if col is not None else ""
        super().__init__(f"{message}{where}", hint)


class DimensionError(IGVerifyError, ValueError):
    """Points, paths and functions whose numbers of coordinates disagree."""


class PathError(IGVerifyError, ValueError):
    """A path that is not continuous, does not start or end where it must, or is malformed."""


class NotDifferentiableError(IGVerifyError, ArithmeticError):
    """F has no partial derivative along a piece of the path of positive length."""


class UnsupportedFunctionError(IGVerifyError, ValueError):
    """A function outside the class an engine or method handles."""


class IntegrationError(IGVerifyError, ArithmeticError):
    """An engine could not evaluate a path integral (e.g. no closed form exists)."""


class CertificateError(IGVerifyError, ValueError):
    """A certificate that is not one: bad JSON, missing fields, unreadable expressions."""


class MissingDependencyError(IGVerifyError, ImportError):
    """An optional package a feature needs is not installed; the message says how to install it.

    >>> str(MissingDependencyError("numeric/ needs PyTorch", "pip install torch"))
    'numeric/ needs PyTorch; pip install torch'
    """


class LimitError(CertificateError):
    """A certificate check beyond the verifier's limits (precision, magnitude, size, time)."""
