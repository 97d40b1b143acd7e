"""Paths gamma: [0, 1] -> R^n, continuous and piecewise smooth, made of segments.

A path is a sequence of smooth segments, each given by exact sympy expressions
in a local parameter ``u`` on [0, 1]; segment k of K covers t in [k/K, (k+1)/K]
of the whole path. Path integrals do not depend on the parametrisation, so this
choice changes no attribution, only where the breakpoints are reported.

>>> p = polyline([(0, 0), (1, 0), (1, 1)])
>>> p.start, p.end, p.is_monotone(), p.point(sp.Rational(3, 4))
((0, 0), (1, 1), True, (1, 1/2))
>>> loop = closed_loop([(0, 0), (1, 0), (1, 1), (0, 1)])
>>> loop.is_closed(), loop.is_monotone()
(True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .errors import DimensionError, PathError, count
from .function import as_point, check_supported
from .kinks import kinks_of
from .parse import as_expression, parse_expression, parse_number, parse_point
from .roots import identically_zero, sign_changes

U = sp.Symbol("u", real=True)
"""The local parameter of a segment, on [0, 1]."""

T = sp.Symbol("t", real=True)
"""The parameter users write curves in, on [0, 1]."""


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    d = a - b
    if d.is_Rational:
        return d == 0
    return sp.simplify(d) == 0


@dataclass(frozen=True)
class Segment:
    """One smooth piece of a path: coordinates as expressions in ``U`` on [0, 1]."""

    components: tuple[sp.Expr, ...]
    kind: str = "curve"

    @property
    def dimension(self) -> int:
        return len(self.components)

    @property
    def start(self) -> tuple[sp.Expr, ...]:
        return self.point(0)

    @property
    def end(self) -> tuple[sp.Expr, ...]:
        return self.point(1)

    def point(self, u: sp.Expr | int) -> tuple[sp.Expr, ...]:
        u = sp.S(u)
        return tuple(sp.simplify(c.subs(U, u)) if not c.is_polynomial(U) else sp.expand(
            c.subs(U, u)) for c in self.components)

    def derivative(self) -> tuple[sp.Expr, ...]:
        return tuple(sp.diff(c, U) for c in self.components)

    def reversed(self) -> Segment:
        return Segment(tuple(c.subs(U, 1 - U) for c in self.components), self.kind)

    def direction(self, i: int) -> int | None:
        """+1 / -1 if coordinate i is monotone on the segment, 0 if constant, None if not."""
        d = sp.diff(self.components[i], U)
        if not d.has(U):
            return int(sp.sign(d)) if d.is_number else None
        if identically_zero(d, U, sp.S(0), sp.S(1)):
            return 0
        if sign_changes(d, U, 0, 1):
            return None
        for probe in (sp.Rational(1, 2), sp.Rational(1, 3), sp.Rational(2, 3), sp.Rational(1, 7)):
            value = sp.N(d.subs(U, probe), 30)
            if value != 0:
                return 1 if value > 0 else -1
        return None

    def extremes(self, i: int) -> tuple[sp.Expr, sp.Expr]:
        """Exact (where possible) minimum and maximum of coordinate i on the segment."""
        c = self.components[i]
        candidates = [c.subs(U, 0), c.subs(U, 1)]
        d = sp.diff(c, U)
        if d.has(U):
            candidates += [c.subs(U, r.value) for r in sign_changes(d, U, 0, 1)]
        key = [sp.N(v, 50) for v in candidates]
        return candidates[key.index(min(key))], candidates[key.index(max(key))]


class Path:
    """A continuous, piecewise-smooth path made of :class:`Segment` s."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        segments = tuple(segments)
        if not segments:
            raise PathError("a path needs at least one segment")
        dims = {s.dimension for s in segments}
        if len(dims) != 1:
            raise DimensionError(f"segments of different dimensions {sorted(dims)}")
        for k, (a, b) in enumerate(zip(segments, segments[1:])):
            if not all(_same(x, y) for x, y in zip(a.end, b.start)):
                raise PathError(f"the path is not continuous: segment {k + 1} ends at "
                                f"{_fmt(a.end)} but segment {k + 2} starts at {_fmt(b.start)}")
        self.segments: tuple[Segment, ...] = segments

    # -- geometry -----------------------------------------------------------------
    @property
    def dimension(self) -> int:
        return self.segments[0].dimension

    @property
    def start(self) -> tuple[sp.Expr, ...]:
        return self.segments[0].start

    @property
    def end(self) -> tuple[sp.Expr, ...]:
        return self.segments[-1].end

    def global_t(self, segment: int, u: sp.Expr) -> sp.Expr:
        """The whole path's parameter t for local parameter ``u`` of ``segment``."""
        return (segment + sp.S(u)) / len(self.segments)

    def point(self, t: sp.Expr | int | float) -> tuple[sp.Expr, ...]:
        t = parse_number(t)
        if not 0 <= t <= 1:
            raise PathError(f"t = {t} is outside [0, 1]")
        K = len(self.segments)
        k = min(int(sp.floor(t * K)), K - 1)
        return self.segments[k].point(t * K - k)

    def sample(self, n: int = 200) -> np.ndarray:
        """``n`` points per segment as a float array of shape (n * segments, dimension)."""
        rows = []
        for seg in self.segments:
            fs = [sp.lambdify(U, c, "numpy") for c in seg.components]
            us = np.linspace(0.0, 1.0, n)
            rows.append(np.stack([np.broadcast_to(np.asarray(f(us), dtype=float), us.shape)
                                  for f in fs], axis=1))
        return np.concatenate(rows, axis=0)

    def is_closed(self) -> bool:
        return all(_same(a, b) for a, b in zip(self.start, self.end))

    def is_monotone(self) -> bool:
        """Whether every coordinate is monotone (non-increasing or non-decreasing) in t."""
        for i in range(self.dimension):
            signs = {s.direction(i) for s in self.segments}
            if None in signs or {1, -1} <= signs:
                return False
        return True

    def stays_in_box(self, a: Sequence[object], b: Sequence[object]) -> bool:
        """Whether the path stays in the box with opposite vertices ``a`` and ``b``."""
        a = as_point(a, self.dimension, "box corner")
        b = as_point(b, self.dimension, "box corner")
        for i in range(self.dimension):
            low, high = min(a[i], b[i], key=lambda v: sp.N(v, 50)), max(
                a[i], b[i], key=lambda v: sp.N(v, 50))
            for seg in self.segments:
                lo, hi = seg.extremes(i)
                if sp.N(lo - low, 50) < 0 or sp.N(hi - high, 50) > 0:
                    return False
        return True

    # -- building -----------------------------------------------------------------
    def reversed(self) -> Path:
        return Path([s.reversed() for s in reversed(self.segments)])

    def repeated(self, n: int) -> Path:
        """The closed path traversed ``n >= 1`` times."""
        if not isinstance(n, int) or n < 1:
            raise PathError(f"repeat count must be a positive integer, got {n!r}")
        if not self.is_closed():
            raise PathError("only a closed path can be repeated",
                            "use closed_loop(...) or concatenate a path back to its start")
        return Path(self.segments * n)

    def __add__(self, other: Path) -> Path:
        return concatenate(self, other)

    def __len__(self) -> int:
        return len(self.segments)

    def __repr__(self) -> str:
        kinds = {s.kind for s in self.segments}
        if kinds == {"straight"}:
            pts = [self.segments[0].start] + [s.end for s in self.segments]
            return "Path(" + " -> ".join(_fmt(p) for p in pts) + ")"
        if len(self.segments) == 1:  # one curve: its parameter is t, as the user wrote it
            return f"Path(t -> {_fmt(_in_t(self.segments[0].components))}, t in [0, 1])"
        return "Path(" + " ; ".join(_fmt(s.components) for s in self.segments) + ")"

    def describe(self) -> list[str]:
        """One line per segment, for derivations (a single curve in t, as typed; the
        segments of a longer path in their local parameter u).

        >>> curve(["t", "t**2"]).describe()
        ['segment 1: t -> (t, t**2), t in [0, 1]']
        """
        lines = []
        for k, s in enumerate(self.segments):
            if s.kind == "straight":
                lines.append(f"segment {k + 1}: {_fmt(s.start)} -> {_fmt(s.end)}")
            elif len(self.segments) == 1:
                lines.append(f"segment {k + 1}: t -> {_fmt(_in_t(s.components))}, t in [0, 1]")
            else:
                lines.append(f"segment {k + 1}: u -> {_fmt(s.components)}, u in [0, 1]")
        return lines


def _in_t(components: Sequence[sp.Expr]) -> tuple[sp.Expr, ...]:
    """A one-segment path's components in t (its local parameter u is t there)."""
    return tuple(sp.S(c).xreplace({U: T}) for c in components)


def _fmt(point: Sequence[sp.Expr]) -> str:
    return "(" + ", ".join(str(c) for c in point) + ")"


def straight(start: Sequence[object], end: Sequence[object]) -> Path:
    """The straight path from ``start`` (the baseline) to ``end`` (the input): IG's path.

    >>> straight((0, 0), (1, 2)).segments[0].components
    (u, 2*u)
    """
    a = as_point(start, what="baseline")
    b = as_point(end, len(a), what="input")
    return Path([Segment(tuple(sp.expand(x + U * (y - x)) for x, y in zip(a, b)), "straight")])


def polyline(points: Sequence[Sequence[object]]) -> Path:
    """The polyline through ``points`` in order (repeated consecutive points are skipped).

    >>> len(polyline([(0, 0), (1, 0), (1, 0), (1, 1)]))
    2
    """
    if isinstance(points, str) or len(points) < 2:
        raise PathError("a polyline needs at least two points")
    pts = [as_point(p, what="waypoint") for p in points]
    dims = {len(p) for p in pts}
    if len(dims) != 1:
        raise DimensionError(f"waypoints of different dimensions {sorted(dims)}")
    segments = []
    for a, b in zip(pts, pts[1:]):
        if all(_same(x, y) for x, y in zip(a, b)):
            continue
        segments.append(Segment(tuple(sp.expand(x + U * (y - x)) for x, y in zip(a, b)),
                                "straight"))
    if not segments:  # a path that stays put
        segments = [Segment(tuple(pts[0]), "straight")]
    return Path(segments)


def closed_loop(points: Sequence[Sequence[object]]) -> Path:
    """The polyline through ``points`` and back to the first one."""
    if isinstance(points, str) or len(points) < 2:
        raise PathError("a loop needs at least two points")
    return polyline(list(points) + [points[0]])


def curve(components: Sequence[str | sp.Expr], parameter: sp.Symbol | str = "t") -> Path:
    """A smooth parametric curve, one expression in ``t`` (on [0, 1]) per coordinate.

    >>> curve(["t", "t**2"]).end
    (1, 1)
    """
    if isinstance(components, str) or len(components) < 1:
        raise PathError("a curve needs one expression per coordinate")
    name = parameter.name if isinstance(parameter, sp.Symbol) else parameter
    exprs = []
    for c in components:
        if isinstance(c, str):
            expr, _ = parse_expression(
                c, variables=[name],
                unknown_hint=f"a curve is written in its parameter {name}, e.g. curve:{name},"
                             f"{name}**2")
            expr = expr.xreplace({sp.Symbol(name, real=True): U})
        else:
            expr = as_expression(c)
            extra = {s for s in expr.free_symbols if s.name != name}
            if extra:
                raise PathError(f"curve component {expr} has symbols other than {name}: "
                                f"{sorted(map(str, extra))}")
            expr = expr.xreplace({s: U for s in expr.free_symbols})
        check_supported(expr)
        if kinks_of(expr):
            raise PathError(f"curve component {c} is not smooth",
                            "split it into smooth curves and concatenate them")
        exprs.append(expr)
    segment = Segment(tuple(exprs), "curve")
    for u in (0, 1):
        for value in segment.point(u):
            if value.has(sp.zoo, sp.nan, sp.oo) or value.is_real is False:
                raise PathError(f"the curve is undefined at t = {u}")
    return Path([segment])


def affine_image(path: Path, scale: Sequence[object], shift: Sequence[object]) -> Path:
    """The image of ``path`` under T(y)_i = scale_i * y_i + shift_i.

    >>> affine_image(straight((0, 0), (1, 1)), (2, 3), (1, 0)).end
    (3, 3)
    """
    c = as_point(scale, path.dimension, "scale")
    d = as_point(shift, path.dimension, "shift")
    return Path([Segment(tuple(sp.expand(ci * comp + di) for ci, comp, di in
                               zip(c, s.components, d)), s.kind) for s in path.segments])


def concatenate(*paths: Path) -> Path:
    """The paths one after another; each must start where the previous one ends."""
    if not paths:
        raise PathError("nothing to concatenate")
    for k, (a, b) in enumerate(zip(paths, paths[1:])):
        if a.dimension != b.dimension:
            raise DimensionError(f"path {k + 1} has dimension {a.dimension}, path {k + 2} has "
                                 f"{b.dimension}")
        if not all(_same(x, y) for x, y in zip(a.end, b.start)):
            raise PathError(f"path {k + 1} ends at {_fmt(a.end)} but path {k + 2} starts at "
                            f"{_fmt(b.start)}")
    return Path([s for p in paths for s in p.segments])


def split_top_level(text: str, separator: str) -> list[str]:
    """Split ``text`` at ``separator`` outside parentheses: "max(t, 1),t" -> 2 parts."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_path(spec: str, input_point: tuple | None, baseline: tuple | None,
               dimension: int) -> Path:
    """A path from a command-line spec: ``straight``, ``polyline:P0;P1;...`` or
    ``curve:g1(t),g2(t),...``, checked against the input, the baseline and F's dimension.

    >>> parse_path("polyline:0,0;1,0;1,1", (1, 1), None, 2).end
    (1, 1)
    """
    kind, _, body = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "straight":
        if body.strip():
            raise PathError("'straight' takes no points; use --input and --baseline")
        if input_point is None:
            raise PathError("the straight path needs --input (and optionally --baseline)")
        start = baseline if baseline is not None else (0,) * len(input_point)
        return straight(start, input_point)
    if kind == "polyline":
        if not body.strip():
            raise PathError("polyline needs points, e.g. polyline:0,0;1,0;1,1")
        points = [parse_point(p) for p in split_top_level(body, ";")]
        path = polyline(points)
    elif kind == "curve":
        components = split_top_level(body, ",")
        if not body.strip() or any(not c.strip() for c in components):
            raise PathError("curve needs one expression in t per coordinate, e.g. curve:t,t**2")
        path = curve(components)
    else:
        raise PathError(f"unknown path kind '{kind}'",
                        "use straight, polyline:P0;P1;... or curve:g1(t),g2(t),...")
    if path.dimension != dimension:
        raise PathError(f"the path has {count(path.dimension, 'coordinate')}, the function "
                        f"has {count(dimension, 'variable')}")
    if input_point is not None and not all(_same(a, b) for a, b in zip(path.end, input_point)):
        raise PathError(f"the path ends at {_fmt(path.end)}, not at the input {_fmt(input_point)}")
    if baseline is not None and not all(_same(a, b) for a, b in zip(path.start, baseline)):
        raise PathError(f"the path starts at {_fmt(path.start)}, not at the baseline "
                        f"{_fmt(baseline)}")
    return path
