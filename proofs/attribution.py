"""The result of a path-method computation: values, breakpoints and the completeness check.

An :class:`Attribution` holds one value per variable, the breakpoints where a
branch of a max/min/abs changed along the path, the pieces the path was split
into, F(end) - F(start) and the completeness gap. Exact values print exactly
(``-2/3``, ``tanh(3)/3``); ``to_dict`` gives the JSON form the CLIs print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp


@dataclass(frozen=True)
class Breakpoint:
    """A parameter value where the active branch of a kink changes.

    ``t`` is in [0, 1] of the whole path; ``exact`` says whether it is an exact
    number (rational or algebraic) or certified numerically (``how`` says how).
    """

    t: sp.Expr
    segment: int
    term: str
    exact: bool
    how: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"t": str(self.t), "t_numeric": float(sp.N(self.t, 20)),
                "segment": self.segment + 1, "term": self.term, "exact": self.exact,
                "how": self.how}


@dataclass(frozen=True)
class Piece:
    """A stretch of one segment on which F is smooth: its active expression and values."""

    segment: int
    t0: sp.Expr
    t1: sp.Expr
    active: sp.Expr
    values: tuple


def _text(value: Any, digits: int) -> str:
    if isinstance(value, float):
        value = mpmath.mpf(value)
    if isinstance(value, mpmath.mpf):
        return mpmath.nstr(value, digits, min_fixed=-6, max_fixed=12)
    return str(value)


def _float(value: Any) -> float:
    if isinstance(value, mpmath.mpf):
        return float(value)
    return float(sp.N(value, 30))


@dataclass
class Attribution:
    """Path-method attributions A_i = integral of dF/dx_i(gamma) gamma_i' dt, one per variable."""

    engine: str
    variables: tuple[sp.Symbol, ...]
    values: tuple
    delta_F: Any
    breakpoints: tuple[Breakpoint, ...] = ()
    pieces: tuple[Piece, ...] = ()
    segment_values: tuple[tuple, ...] = ()
    error: Any = 0
    dps: int = 50
    notes: tuple[str, ...] = ()
    function: str = ""
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> Any:
        if self.engine == "mpmath":
            with mpmath.workdps(self.dps + 10):
                return mpmath.fsum(self.values)
        return _tidy(sp.Add(*self.values))

    @property
    def completeness_gap(self) -> Any:
        if self.engine == "mpmath":
            with mpmath.workdps(self.dps + 10):
                return self.total - self.delta_F
        return _tidy(self.total - self.delta_F)

    def numeric(self) -> tuple[float, ...]:
        """The values as floats."""
        return tuple(_float(v) for v in self.values)

    def __getitem__(self, i: int) -> Any:
        return self.values[i]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def latex(self) -> str:
        """The values as a LaTeX column vector."""
        body = r" \\ ".join(sp.latex(sp.S(v)) if self.engine == "symbolic"
                            else _text(v, self.dps) for v in self.values)
        return r"\begin{pmatrix} " + body + r" \end{pmatrix}"

    def to_dict(self) -> dict[str, Any]:
        digits = self.dps
        return {
            "engine": self.engine,
            "function": self.function,
            "path": self.path,
            "variables": [v.name for v in self.variables],
            "attributions": [_text(v, digits) for v in self.values],
            "numeric": list(self.numeric()),
            "sum": _text(self.total, digits),
            "delta_F": _text(self.delta_F, digits),
            "completeness_gap": _text(self.completeness_gap, digits),
            "completeness_gap_numeric": _float(self.completeness_gap),
            "error_estimate": _text(self.error, 5) if self.engine == "mpmath" else "0",
            "dps": self.dps if self.engine == "mpmath" else None,
            "breakpoints": [b.to_dict() for b in self.breakpoints],
            "segments": [[_text(v, digits) for v in seg] for seg in self.segment_values],
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        digits = min(self.dps, 30) if self.engine == "mpmath" else self.dps
        width = max(len(v.name) for v in self.variables) if self.variables else 1
        lines = [f"{self.engine} attribution of {self.function} along {self.path}"]
        for v, a in zip(self.variables, self.values):
            shown = _text(a, digits)
            approx = "" if self.engine == "mpmath" or sp.S(a).is_Integer else \
                f"   ~ {_float(a):.15g}"
            lines.append(f"  A[{v.name:<{width}}] = {shown}{approx}")
        lines.append(f"  sum            = {_text(self.total, digits)}")
        lines.append(f"  F(end)-F(start) = {_text(self.delta_F, digits)}")
        lines.append(f"  completeness gap = {_text(self.completeness_gap, digits)}")
        if self.engine == "mpmath":
            lines.append(f"  error estimate = {_text(self.error, 3)} ({self.dps} digits)")
        if self.breakpoints:
            lines.append("  breakpoints:")
            for b in self.breakpoints:
                tag = "exact" if b.exact else "certified numerically"
                lines.append(f"    t = {_text(b.t, 20)} ({tag}) where {b.term} switches")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)


def _tidy(value: sp.Expr) -> sp.Expr:
    """A canonical exact form: numbers stay numbers, small expressions are simplified.

    ``sympy.simplify`` is kept to small expressions: on a tanh network's attributions it
    takes minutes, where expanding (which collects equal terms, so a completeness gap
    that is zero prints 0) takes milliseconds.
    """
    value = sp.S(value)
    if value.is_Rational or value.is_Float:
        return value
    if value.has(sp.CRootOf):
        return reduce_algebraic(value)
    try:
        if sp.count_ops(value) <= SIMPLIFY_OPS:
            return sp.simplify(value)
        expanded = sp.expand(value)
        return expanded if sp.count_ops(expanded) <= sp.count_ops(value) else value
    except (TypeError, ValueError, NotImplementedError):
        return value


SIMPLIFY_OPS = 60


def reduce_algebraic(value: sp.Expr) -> sp.Expr:
    """Reduce a polynomial in ``CRootOf`` numbers modulo their minimal polynomials.

    Antiderivatives evaluated at algebraic breakpoints come out as polynomials
    in the roots; reducing them makes equal numbers print equally and an exact
    zero print as 0.

    >>> r = sp.CRootOf(sp.Symbol("x")**2 - 2, 1)
    >>> reduce_algebraic(r**3 - 2*r + 1)
    1
    """
    roots = sorted(value.atoms(sp.CRootOf), key=str)
    if not roots:
        return value
    names = [sp.Dummy(f"r{i}") for i in range(len(roots))]
    expr = sp.expand(value.xreplace(dict(zip(roots, names))))
    try:
        numerator, denominator = sp.fraction(sp.together(expr))
        minimal = [sp.Poly(r.poly.as_expr().xreplace({r.poly.gen: z}), z).monic()
                   for r, z in zip(roots, names)]
        if denominator.free_symbols & set(names):
            return value
        _, remainder = sp.reduced(numerator, [m.as_expr() for m in minimal], *names)
    except (sp.PolynomialError, sp.CoercionFailed, NotImplementedError, ValueError):
        return value
    return sp.expand(remainder / denominator).xreplace(dict(zip(names, roots)))
