"""The result of a path-method computation: values, breakpoints and the completeness check.

An :class:`Attribution` holds one value per variable, the breakpoints where a
branch of a max/min/abs changed along the path, the pieces the path was split
into, F(end) - F(start) and the completeness gap. Exact values print exactly
(``-2/3``, ``tanh(3)/3``); ``to_dict`` gives the JSON form the CLIs print.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import mpmath
import sympy as sp

from .exact_form import tidy
from .precision import bracket_width, working


@dataclass(frozen=True)
class Breakpoint:
    """A parameter value where the active branch of a kink changes.

    ``t`` is in [0, 1] of the whole path; ``segment`` is the index of the path's segment
    (0-based, an index into ``path.segments``, in Python and in JSON alike); ``u`` the local
    parameter of that segment. ``exact`` says whether ``t`` is an exact number (rational,
    algebraic, or named by sympy) or certified numerically (``bracket``: the rational
    interval of ``u`` at whose ends ``switching`` has opposite signs; ``how`` says how).
    ``changes_gradient`` is False for a crossing where F's gradient along the path does not
    change (a branch switch inside an inactive term).
    """

    t: sp.Expr
    segment: int
    term: str
    exact: bool
    how: str = ""
    u: Any = field(default=None, compare=False)
    switching: Any = field(default=None, compare=False, repr=False)
    bracket: tuple | None = field(default=None, compare=False, repr=False)
    changes_gradient: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"t": str(self.t), "t_numeric": float(sp.N(self.t, 20)),
                "segment": self.segment, "term": self.term, "exact": self.exact,
                "how": self.how, "changes_gradient": self.changes_gradient}


@dataclass(frozen=True)
class Piece:
    """A stretch of one segment on which F is smooth: its active expression and values.

    ``segment`` is 0-based like :class:`Breakpoint`'s; ``t0, t1`` on the whole path and
    ``u0, u1`` on the segment bound it. ``active`` is the smooth expression equal to F there;
    where branches tie on the piece, ``forms[i]`` is the one whose dF/dx_i F has (decided from
    F's one-sided derivatives). ``gradient`` holds dF/dx_i along the segment, in its ``u``.
    """

    segment: int
    t0: sp.Expr
    t1: sp.Expr
    active: sp.Expr
    values: tuple
    u0: Any = field(default=None, compare=False)
    u1: Any = field(default=None, compare=False)
    forms: tuple = field(default=(), compare=False, repr=False)
    gradient: tuple = field(default=(), compare=False, repr=False)

    def form(self, i: int) -> sp.Expr:
        """The smooth expression whose dF/dx_i is F's on this piece."""
        return self.forms[i] if self.forms else self.active


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
    exact: bool = True
    source: Any = field(default=None, repr=False, compare=False)  # (Function, Path)

    @property
    def certified(self) -> str:
        """How the values are known: "exact", "numerically certified (error bound ...)" for
        the symbolic engine with numerically certified breakpoints, or "quadrature"."""
        if self.engine == "mpmath":
            return f"quadrature to {self.dps} digits (error estimate {_text(self.error, 3)})"
        if self.exact:
            return "exact"
        return (f"numerically certified: breakpoints bracketed to "
                f"{_text(bracket_width(self.dps), 2)}, "
                f"error bound {_text(self.error, 3)}")

    @property
    def total(self) -> Any:
        if self.engine == "mpmath":
            with mpmath.workdps(working(self.dps)):
                return mpmath.fsum(self.values)
        return tidy(sp.Add(*self.values))

    @property
    def completeness_gap(self) -> Any:
        if self.engine == "mpmath":
            with mpmath.workdps(working(self.dps)):
                return self.total - self.delta_F
        return tidy(self.total - self.delta_F)

    def numeric(self) -> tuple[float, ...]:
        """The values as floats."""
        return tuple(_float(v) for v in self.values)

    def __getitem__(self, i: int) -> Any:
        return self.values[i]

    def __iter__(self):
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def certificate(self) -> Any:
        """The derivation as data (:class:`proofs.certificate.Derivation`), for the
        symbolic engine: ``.to_json()``, ``.write(file)``, ``.text()``, ``.latex()``;
        :func:`proofs.verify.verify` re-checks it.

        >>> from proofs import Function, integrated_gradients
        >>> integrated_gradients(Function("x1*x2"), [1, 2]).certificate().data["values"]
        ['1', '1']
        """
        from .certificate import build

        return build(self)

    def _derivation(self) -> Any:
        try:
            return self.certificate()
        except Exception:  # noqa: BLE001 - a rendering falls back to the plain values
            return None

    def _repr_latex_(self) -> str:
        derivation = self._derivation()
        if derivation is None:
            return "$" + self.latex() + "$"
        return "$$" + derivation.latex() + "$$"

    def _repr_html_(self) -> str:
        derivation = self._derivation()
        if derivation is None:
            import html

            return "<pre>" + html.escape(str(self)) + "</pre>"
        return derivation.html()

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
            "exact": self.exact,
            "certified": self.certified,
            "error_estimate": (_text(self.error, 5) if self.engine == "mpmath" or not self.exact
                               else "0"),
            "dps": self.dps if self.engine == "mpmath" else None,
            "breakpoints": [b.to_dict() for b in self.breakpoints],
            "segments": [[_text(v, digits) for v in seg] for seg in self.segment_values],
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        """The fields, with mpmath numbers shown to the ``dps`` digits they were computed to
        (mpmath's own repr shows its global precision, 15 digits by default)."""
        def text() -> str:
            return "Attribution(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}"
                                              for f in fields(self) if f.repr) + ")"

        if self.engine != "mpmath":
            return text()
        with mpmath.workdps(self.dps):
            return text()

    def __str__(self) -> str:
        digits = self.dps
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
        elif not self.exact:
            lines.append(f"  not exact: {self.certified}")
        if self.breakpoints:
            lines.append("  breakpoints:")
            for b in self.breakpoints:
                tag = "exact" if b.exact else "certified numerically"
                change = "" if b.changes_gradient else "; F's gradient does not change there"
                lines.append(f"    t = {_text(b.t, 20)} ({tag}) where {b.term} switches"
                             f"{change}")
        for note in self.notes:
            lines.append(f"  note: {note}")
        return "\n".join(lines)
