"""The one precision policy of proofs: what ``dps`` means, and where guard digits are added.

``dps`` (decimal digits, 5 to 1000, default 50) means, for each engine:

- ``mpmath``: the values are computed to ``dps`` significant digits. Quadrature, breakpoint
  isolation and function evaluation run at ``working(dps)`` = dps + GUARD digits; the
  reported error estimate is the quadrature's.
- ``symbolic``: the values are exact whenever every breakpoint is an exact number (rational,
  algebraic, or named by sympy, such as log(2)). A breakpoint that is only known numerically
  (a sign change of cos(3t) - t) is bracketed by interval arithmetic to a width below
  ``bracket_width(dps)`` = 10**-(dps + BRACKET_EXTRA); the values are then floating-point
  numbers, the result is marked "certified numerically", and its error bound (the jump of the
  integrand at each such breakpoint times its bracket width, with a safety factor) is
  reported. ``dps`` is then the number of digits to which those breakpoints are certified.

Ties between branches at a point are first screened numerically to TIE_DIGITS digits and then
confirmed exactly (or to working precision) along the whole piece; a screen never decides
alone. Every other module takes its digits from here.

>>> working(50), bracket_width(10)
(60, 1.00000000000000e-15)
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp

DEFAULT_DPS = 50
"""The default ``dps`` of every engine, function and command line of proofs."""

GUARD = 10
"""Guard digits added to the requested dps for all intermediate numeric work."""

BRACKET_EXTRA = 5
"""A numeric breakpoint is bracketed to 10**-(dps + BRACKET_EXTRA)."""

TIE_DIGITS = 40
"""Digits to which a tie of branch values or slopes at one point is screened."""

COMPARE_DIGITS = 60
"""Digits used to order exact (algebraic, transcendental) numbers."""

SAFETY = 4
"""Factor on first-order error bounds of numerically certified results."""


def working(dps: int) -> int:
    """The working precision for a requested ``dps``."""
    return dps + GUARD


def bracket_width(dps: int) -> sp.Float:
    """The width below which a numerically certified breakpoint is bracketed."""
    return sp.Float(10) ** (-(dps + BRACKET_EXTRA))


def numeric_value(value: Any, digits: int = COMPARE_DIGITS) -> sp.Expr:
    """``value`` itself if rational, else a sympy Float with ``digits`` digits."""
    value = sp.S(value)
    return value if value.is_Rational else sp.N(value, digits)


class precision:
    """Set the working precision of both mpmath contexts (mp and iv) for a block."""

    def __init__(self, dps: int) -> None:
        self.dps = dps

    def __enter__(self) -> None:
        self.saved = (mpmath.mp.dps, mpmath.iv.dps)
        mpmath.mp.dps = self.dps
        mpmath.iv.dps = self.dps

    def __exit__(self, *exc: object) -> None:
        mpmath.mp.dps, mpmath.iv.dps = self.saved
