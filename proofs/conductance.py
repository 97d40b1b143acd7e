"""Exact conductance of a composition F = G(H(x)): the path method of G along the curve H o gamma.

Lundstrom, Huang & Razaviyayn (2022), eq. 6, write the conductance of an internal unit j (the
gradient flow through it, Dhamdhere, Sundararajan & Yan (2019)) as

    IG_{*,j} = int_0^1 dG/dh_j(H(gamma(t))) d/dt H_j(gamma(t)) dt,

which is the path method of G along the path H o gamma in the space of the layer's values, and
they remark that this path need not be monotone. :func:`compose_path` builds H o gamma
exactly: along each segment of gamma it splits where a max/min/abs inside some H_j switches
branch (the engines' breakpoints), so every piece is a smooth curve; :func:`conductance` hands
it to :func:`proofs.attribute` with G. The values are the conductances of h_1, ..., h_m, and
their sum is G(H(x)) - G(H(x')) = F(x) - F(x'): the completeness gap is exactly 0.

Worked example (the path in the layer is not monotone). Input x in R, gamma from 0 to 1;
H_1(x) = x, H_2(x) = relu(x) - 2 relu(x - 1/2) (a tent: up to 1/2 at t = 1/2, back to 0);
G(h_1, h_2) = h_1 h_2 + h_1. By hand: IG_{*,1} = int (h_2 + 1) h_1' dt = 1/4 + 1 = 5/4 and
IG_{*,2} = int h_1 h_2' dt = int_0^{1/2} t dt - int_{1/2}^1 t dt = 1/8 - 3/8 = -1/4; the sum
is 1 = F(1) - F(0).

>>> H = ["x1", "relu(x1) - 2*relu(x1 - 1/2)"]
>>> G = Function("h1*h2 + h1", variables=["h1", "h2"])
>>> A = conductance(H, G, [1])
>>> A.values, A.delta_F, A.completeness_gap
((5/4, -1/4), 1, 0)
>>> compose_path(H, straight([0], [1])).is_monotone()
False
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from .attribution import Attribution
from .engines import attribute
from .errors import DimensionError, IGVerifyError
from .function import Function, as_point
from .kinks import kinks_of
from .paths import Path, Segment, U, straight
from .precision import DEFAULT_DPS

__all__ = ["compose_path", "conductance"]


def _functions(H: Sequence[Function | str | sp.Expr],
               variables: Sequence[str | sp.Symbol] | None) -> list[Function]:
    if isinstance(H, (str, Function, sp.Expr)) or len(H) < 1:
        raise IGVerifyError("H must be a list of Functions (one per unit of the layer)",
                            "pass e.g. ['relu(x1 - x2)', 'x1*x2']")
    funcs = [h if isinstance(h, Function) else Function(h) for h in H]
    if variables is None:
        variables = max(funcs, key=lambda f: f.dimension).variables
    return [Function(f.expr, variables=variables) for f in funcs]


def _key(value: sp.Expr) -> sp.Expr:
    return value if value.is_Rational else sp.N(value, 60)


def compose_path(H: Sequence[Function | str | sp.Expr], path: Path,
                 variables: Sequence[str | sp.Symbol] | None = None) -> Path:
    """The path H o gamma (one coordinate per H_j), split into smooth segments where a branch
    of a max/min/abs in some H_j switches along ``path``.

    >>> compose_path(["x1**2", "x1*x2"], straight((0, 0), (1, 2))).segments[0].components
    (u**2, 2*u**2)
    """
    funcs = _functions(H, variables)
    if not isinstance(path, Path):
        raise IGVerifyError(f"expected a Path, got {type(path).__name__}",
                            "build one with straight(), polyline() or curve()")
    if path.dimension != funcs[0].dimension:
        raise DimensionError(f"the path has {path.dimension} coordinates but H has "
                             f"{funcs[0].dimension} variables "
                             f"({', '.join(map(str, funcs[0].variables))})")
    segments: list[Segment] = []
    for seg in path.segments:
        single = Path([seg])
        pieces = []
        for f in funcs:
            if kinks_of(f.expr):
                pieces.append([(p.t0, p.active, p.t1) for p in attribute(f, single).pieces])
            else:
                pieces.append([(sp.S(0), f.expr, sp.S(1))])
        cuts = {_key(t): t for ps in pieces for p in ps for t in (p[0], p[2])}
        ordered = [cuts[k] for k in sorted(cuts)]
        for lo, hi in zip(ordered, ordered[1:]):
            mid = _key((lo + hi) / 2)
            sub = {v: c.xreplace({U: lo + U * (hi - lo)})
                   for v, c in zip(funcs[0].variables, seg.components)}
            comps = []
            for ps in pieces:
                active = next(a for t0, a, t1 in ps if _key(t0) <= mid <= _key(t1))
                comp = active.xreplace(sub)
                comps.append(sp.expand(comp) if comp.is_polynomial(U) else comp)
            segments.append(Segment(tuple(comps), "curve"))
    return Path(segments)


def conductance(H: Sequence[Function | str | sp.Expr], G: Function | str | sp.Expr,
                path: Path | Sequence[object], baseline: Sequence[object] | None = None,
                engine: str = "symbolic", dps: int = DEFAULT_DPS, timeout: float | None = None,
                variables: Sequence[str | sp.Symbol] | None = None) -> Attribution:
    """Conductance of each unit h_j of the layer H (a list of Functions of x) for F = G(H(x)):
    the path method of ``G`` (a Function of m variables, one per unit) along H o gamma.

    ``path`` is a :class:`Path` gamma, or an input point (then gamma is the straight path from
    ``baseline``, default the origin). ``variables`` fixes the order of x's variables (default:
    those of the H_j with the most). The result's ``values`` are IG_{*,1}, ..., IG_{*,m};
    ``delta_F`` is F(x) - F(x') and ``completeness_gap`` their difference (0 exactly).

    >>> conductance(["x1**2", "x1*x2"], Function("h1*h2", variables=["h1", "h2"]), [1, 2]).values
    (1, 1)
    """
    funcs = _functions(H, variables)
    if not isinstance(path, Path):
        x = as_point(path, funcs[0].dimension, "input")
        base = (0,) * len(x) if baseline is None else as_point(baseline, len(x), "baseline")
        path = straight(base, x)
    g = G if isinstance(G, Function) else Function(G)
    if g.dimension != len(funcs):
        raise DimensionError(f"G has {g.dimension} variables but H has {len(funcs)} units; "
                             "G takes one variable per unit of the layer")
    return attribute(g, compose_path(funcs, path), engine=engine, dps=dps, timeout=timeout)
