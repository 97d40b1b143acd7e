"""How closely an axiom's two sides must agree: exact results exactly, floats within a
tolerance.

A method's answer is exact (ints, Fractions, sympy numbers) or inexact (any float among
them; a float is converted exactly to the rational it stores). Two sides ``got`` and
``expected`` agree when ``|got - expected| <= atol + rtol * scale``, where ``scale`` is the
size of the quantities compared (for completeness: |F(x) - F(x')| + sum |A_i|; for a
comparison of one coordinate, the size of the whole attribution, since float rounding in one
coordinate is relative to it).

* No tolerance given: exact answers are compared exactly; inexact ones with
  ``rtol = FLOAT_RTOL`` (1e-12, about 4500 float64 roundings of the numbers compared) and
  ``atol = 0``: exact IG returned as floats passes, a 50-step Riemann sum (errors near 1e-4)
  does not.
* ``rtol``/``atol`` given (``--rtol``/``--atol``, or keyword arguments): they apply to every
  comparison, exact or not.

A violation reports its size, ``|got - expected|``, so 1e-4 and 1e-16 are told apart at a
glance.

>>> Tolerance().agrees(sp.Rational(1, 3), sp.Rational(1, 3) + sp.Rational(1, 10**15), 1, True)
True
>>> Tolerance().agrees(sp.Rational(1, 3), sp.Rational(1, 3) + sp.Rational(1, 10**15), 1, False)
False
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from proofs import as_expression
from proofs.errors import IGVerifyError

__all__ = ["FLOAT_RTOL", "Tolerance"]

#: default relative tolerance for answers that contain floats
FLOAT_RTOL = 1e-12


def _exactly_zero(d: sp.Expr) -> bool:
    d = sp.expand(d)
    if d == 0:
        return True
    if d.free_symbols:
        return sp.simplify(d) == 0
    if d.is_Rational:
        return False
    return abs(sp.N(d, 50)) < sp.Float("1e-40", 50)  # algebraic / transcendental numbers


@dataclass(frozen=True)
class Tolerance:
    """``rtol``/``atol`` as given by the user (None: the defaults described above)."""

    rtol: float | None = None
    atol: float | None = None

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            v = getattr(self, name)
            if v is not None and not (v >= 0 and v < float("inf")):
                raise IGVerifyError(f"{name} must be a finite number >= 0, got {v!r}")

    @property
    def given(self) -> bool:
        return self.rtol is not None or self.atol is not None

    def allowance(self, scale, inexact: bool) -> sp.Expr | None:
        """The largest |difference| accepted, or None for an exact comparison."""
        if not self.given and not inexact:
            return None
        rtol = self.rtol if self.rtol is not None else (0.0 if self.given else FLOAT_RTOL)
        atol = self.atol or 0.0
        return sp.Rational(atol) + sp.Rational(rtol) * abs(sp.N(scale, 30))

    def is_zero(self, d, scale, inexact: bool) -> bool:
        """Is ``d`` zero (exactly, or within the allowance for ``scale``)?"""
        if isinstance(d, sp.Basic) and d.free_symbols:
            return _exactly_zero(d)
        allow = self.allowance(scale, inexact)
        if allow is None:
            return _exactly_zero(as_expression(d))
        return bool(abs(sp.N(d, 30)) <= allow)

    def agrees(self, got, expected, scale, inexact: bool) -> bool:
        """Do ``got`` and ``expected`` agree?"""
        return self.is_zero(got - expected, scale, inexact)

    def describe(self, inexact: bool | None) -> str:
        """How answers were compared (``inexact`` None: both kinds).

        >>> Tolerance().describe(None)
        'exact answers compared exactly, floats with rtol=1e-12'
        """
        if not self.given and inexact is None:
            return f"exact answers compared exactly, floats with rtol={FLOAT_RTOL:g}"
        if not self.given and not inexact:
            return "compared exactly"
        if not self.given:
            return f"floats compared with rtol={FLOAT_RTOL:g} (the default float allowance)"
        return f"compared with rtol={self.rtol or 0:g}, atol={self.atol or 0:g}"


def size(d) -> float | None:
    """|d| as a float (None for a symbolic d).

    >>> size(sp.Rational(-1, 4))
    0.25
    """
    if isinstance(d, sp.Basic) and d.free_symbols:
        return None
    return float(abs(sp.N(d, 30)))
