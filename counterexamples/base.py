"""The shared shape of a counterexample: a claim, its source, the published value, and a check.

Every module in this package builds one :class:`Counterexample`. Its ``compute`` returns a
:class:`Result`: the value the exact engines give, the step-by-step derivation as lines of
text a teacher can project, and whether the value agrees with the published one. Agreement is
exact equality of sympy values (never float closeness) wherever the published value is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from proofs import NotDifferentiableError, active_branch

__all__ = [
    "Counterexample",
    "Result",
    "describe_attribution",
    "exact_equal",
    "fmt",
    "fmt_point",
    "local_branch",
]


@dataclass(frozen=True)
class Result:
    """What a counterexample's computation found.

    ``computed`` is the exact value (a sympy number, a tuple of them, or a short phrase where
    the result is a fact such as "raises NotDifferentiableError"); ``computed_text`` is how
    the table prints it; ``lines`` is the derivation, one step a line; ``agrees`` says whether
    it matches the published value exactly.
    """

    computed: Any
    computed_text: str
    agrees: bool
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counterexample:
    """One published claim about IG and the construction that refutes or qualifies it.

    name:           the command-line name (``python -m counterexamples NAME``)
    title:          one line saying what the example shows
    claim:          the claim refuted or qualified, in a sentence
    source:         who made the claim and where (paper, statement, page/section), and who
                    published the counterexample
    published:      the published value (exact sympy value or tuple) or statement
    published_text: how the table prints it
    compute:        builds the objects, runs the exact engine, returns a :class:`Result`
    draw:           draws the figure into the given file and returns its path; None if the
                    example has no picture
    """

    name: str
    title: str
    claim: str
    source: str
    published: Any
    published_text: str
    compute: Callable[[], Result]
    draw: Callable[[Path], Path] | None = field(default=None)

    def figure(self, directory: Path | str) -> Path | None:
        """Write ``NAME.png`` into ``directory`` (created if missing); None if no picture."""
        if self.draw is None:
            return None
        from counterexamples.figures import style

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with style():
            return self.draw(directory / f"{self.name}.png")

    def report(self, result: Result | None = None) -> str:
        """The worked example as text: claim, source, derivation, published vs computed."""
        result = self.compute() if result is None else result
        out = [f"{self.name}: {self.title}", "",
               f"Claim:     {self.claim}",
               f"Source:    {self.source}", "", "Derivation:"]
        out += [f"  {line}" if line else "" for line in result.lines]
        out += ["",
                f"Published: {self.published_text}",
                f"Computed:  {result.computed_text}",
                f"Agrees:    {'yes' if result.agrees else 'NO'}"]
        return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Exact comparison and printing.


def exact_equal(a: Any, b: Any) -> bool:
    """True when ``a`` and ``b`` are the same exact value (tuples compared entrywise).

    Structural equality first; otherwise ``simplify(a - b) == 0``. Floats are refused: the
    published values this package compares are exact.
    """
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        if not (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list))):
            return False
        return len(a) == len(b) and all(exact_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        raise TypeError("exact_equal compares exact values; got a float")
    a, b = _exact(a), _exact(b)
    if a == b:
        return True
    if not (isinstance(a, sp.Expr) and isinstance(b, sp.Expr)):
        return False
    return sp.simplify(a - b) == 0


def _exact(value: Any) -> sp.Basic:
    """An exact sympy value from an int, Fraction, bool or sympy object (never a string)."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        return sp.true if value else sp.false
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    raise TypeError(f"not an exact value: {value!r}")


def fmt(value: Any) -> str:
    """Exact numbers in sympy syntax ("-2/3", "tanh(3)/3"); tuples as "(a, b)"."""
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(fmt(v) for v in value) + ")"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def fmt_point(point: Sequence[Any]) -> str:
    """A point as "(a, b)"."""
    return fmt(tuple(point))


def describe_attribution(attribution: Any, path: Any, label: str = "path") -> list[str]:
    """The engine's work on one path, step by step: segments, breakpoints, pieces, total.

    ``attribution`` is a :class:`proofs.Attribution`; ``path`` the :class:`proofs.Path` it
    was computed on. Each segment is printed with its end points and its per-coordinate
    attributions, then the breakpoints (where a max/min/abs changes branch), then the smooth
    pieces with the active branch, then the total and the completeness check.
    """
    lines: list[str] = [f"{label}: {len(path.segments)} segment(s) from "
                        f"{fmt_point(path.start)} to {fmt_point(path.end)}"]
    names = ", ".join(str(v) for v in attribution.variables)
    for k, (seg, vals) in enumerate(zip(path.segments, attribution.segment_values,
                                        strict=True), start=1):
        lines.append(f"  segment {k}: {_segment_text(seg)}  ->  A({names}) = {fmt(vals)}")
    if attribution.breakpoints:
        lines.append("  breakpoints (t on the whole path, where a kink changes sign):")
        for bp in attribution.breakpoints:
            how = "exact" if bp.exact else "certified numerically"
            lines.append(f"    t = {fmt(bp.t)} in segment {bp.segment + 1}: "
                         f"{bp.term} = 0 ({how})")
    else:
        lines.append("  breakpoints: none (no max/min/abs changes branch on the path)")
    if attribution.breakpoints:
        lines.append("  smooth pieces, with the active branch of F:")
        for piece in attribution.pieces:
            lines.append(f"    segment {piece.segment + 1}, t in [{fmt(piece.t0)}, "
                         f"{fmt(piece.t1)}]: F = {piece.active}  ->  {fmt(piece.values)}")
    lines.append(f"  total A = {fmt(attribution.values)};  sum = {fmt(attribution.total)};  "
                 f"F(end) - F(start) = {fmt(attribution.delta_F)};  "
                 f"gap = {fmt(attribution.completeness_gap)}")
    for note in attribution.notes:
        lines.append(f"  note: {note}")
    return lines


def local_branch(expr: sp.Expr, point: dict) -> sp.Expr:
    """The smooth expression that equals ``expr`` near ``point`` (a dict symbol -> number).

    Each max/min/abs is replaced by its branch active at the point (proofs.active_branch);
    a point on a kink raises ValueError: there is no gradient.
    """
    try:
        return active_branch(expr, point)
    except NotDifferentiableError as exc:
        raise ValueError(str(exc)) from None


def _segment_text(segment: Any) -> str:
    """A segment as "(a, b) -> (c, d)", plus its formula in u when it is not straight."""
    text = f"{fmt_point(segment.start)} -> {fmt_point(segment.end)}"
    if getattr(segment, "kind", "curve") != "straight":
        text += f" along {fmt(tuple(segment.components))}, u in [0, 1]"
    return text


def table(rows: Iterable[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    rows = [list(r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)
