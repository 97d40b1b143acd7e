"""Path attributions to a stated accuracy: Gauss-Kronrod pieces split at kinks, bisected as needed.

:func:`adaptive_path_integral` integrates, per example, until its estimated error (the largest
over the features of |A_i - exact A_i|) is at most ``tolerance`` times its largest |A_i|:

- every straight segment starts as one piece [0, 1]; each piece is integrated by the
  7-point Gauss-Legendre rule and the 15-point Kronrod rule on the same nodes (Kronrod (1965);
  QUADPACK's qk15, Piessens et al. (1983)), one batched pass over all pieces of all examples
  (:func:`numeric.path_integral.path_integral`);
- the result is the Gauss sum and its error estimate 2 |Kronrod - Gauss| per feature, summed
  in absolute value over the pieces: the Kronrod sum is far more accurate than the Gauss sum on a
  smooth piece, so the estimate is close to the true error (neither far above nor below it),
  which the more accurate Kronrod sum would not have;
- while a forward pass runs, the branch every kink operation takes (ReLU, max-pool, clamp,
  max, ..., the exact walk's catalogue in :mod:`numeric.piecewise_ops`) is fingerprinted per
  point, at the 15 nodes and (one more forward-only pass) just inside both ends of the piece,
  which the Gauss nodes leave uncovered. A piece whose points disagree contains a switch: the
  switch is bisected to ``2**-44`` in t with forward passes only and the piece split there, so
  every piece integrated is smooth, where the rule pair converges fast and its estimate can be
  trusted;
- the pieces that carry most of an unconverged example's estimate are bisected, as QUADPACK
  does, until the example meets its tolerance or has spent ``max_evaluations`` model
  evaluations (gradient points and forward-only points counted alike: 17 per piece, 15 when
  no kink operation runs).

A switch that two nodes straddle an even number of times is not seen by the fingerprints but
shows as a large estimate (the integrand jumps) and is bisected until seen.

>>> import torch
>>> F = lambda x: torch.sin(3 * x).sum(1)
>>> x = torch.ones(1, 1, dtype=torch.float64)
>>> r = adaptive_path_integral(F, (torch.zeros_like(x),), (x,), None, tolerance=1e-10)
>>> exact = torch.sin(torch.tensor(3.0, dtype=torch.float64))     # F(1) - F(0)
>>> bool(abs(r.values[0][0, 0] - exact) <= r.error[0] <= 1e-10 * abs(exact)), r.pieces
(True, [1])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._torch import torch
from .branches import BranchFingerprint
from .errors import ArgumentError, ToleranceNotReached
from .path_integral import Grid, forward_points, path_integral

__all__ = ["AdaptiveResult", "adaptive_path_integral", "check_tolerance", "kronrod_rule"]

F64 = torch.float64
#: width in t to which a switch of branch is bisected
SWITCH_WIDTH = 2.0 ** -44
#: default model evaluations per example
DEFAULT_MAX_EVALUATIONS = 50_000
#: the estimate of a piece's Gauss error is this times |Kronrod - Gauss|: the true error is
#: |Kronrod - Gauss + (exact - Kronrod)|, and the Kronrod error, though far smaller on a
#: resolved piece, can add to it
_SAFETY = 2.0
#: how far inside a piece its ends are fingerprinted
_END = 2 * SWITCH_WIDTH
#: smallest piece bisected further
_MIN_PIECE = 1e-13

# QUADPACK qk15: Kronrod abscissae on [0, 1) of [-1, 1] (odd indices are the 7-point Gauss
# abscissae) and the Kronrod and Gauss weights
_XGK = (0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
        0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
        0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0.000000000000000000000000000000000)
_WGK = (0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
        0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
        0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714)
_WG = (0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
       0.381830050505118944950369775488975, 0.417959183673469387755102040816327)


def kronrod_rule() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 15 nodes on [0, 1] (increasing), their Kronrod weights and their Gauss weights (0
    at the 8 Kronrod-only nodes); both weight sets sum to 1.

    >>> x, wk, wg = kronrod_rule()
    >>> round(float(wk.sum()), 15), round(float(wg.sum()), 15), int((wg > 0).sum())
    (1.0, 1.0, 7)
    """
    xs = [-v for v in _XGK[:-1]] + [0.0] + list(reversed(_XGK[:-1]))
    wk = list(_WGK[:-1]) + [_WGK[-1]] + list(reversed(_WGK[:-1]))
    gauss = {1: _WG[0], 3: _WG[1], 5: _WG[2], 7: _WG[3]}
    wg_half = [gauss.get(i, 0.0) for i in range(7)]
    wg = wg_half + [_WG[3]] + list(reversed(wg_half))
    return (0.5 * (np.array(xs) + 1.0), 0.5 * np.array(wk), 0.5 * np.array(wg))


def check_tolerance(tolerance: object, max_evaluations: object) -> tuple[float, int]:
    """Validate ``tolerance`` (relative, in [1e-12, 1)) and ``max_evaluations`` (per example;
    None: the default).

    >>> check_tolerance(1e-6, None)
    (1e-06, 50000)
    """
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not (
            1e-12 <= float(tolerance) < 1):
        raise ArgumentError(f"tolerance must be a number in [1e-12, 1) (relative to the largest "
                            f"attribution), got {tolerance!r}")
    if max_evaluations is None:
        max_evaluations = DEFAULT_MAX_EVALUATIONS
    if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, int) \
            or max_evaluations < 15:
        raise ArgumentError(f"max_evaluations must be an int >= 15 (model evaluations per "
                            f"example), got {max_evaluations!r}")
    return float(tolerance), max_evaluations


# ------------------------------------------------------------------------------- driver


@dataclass
class AdaptiveResult:
    """Per output tensor the integral (N, *features) in float64 with the factors applied; per
    example the estimated absolute error (largest over the features), the model evaluations
    spent, whether the tolerance was met, and the pieces and switches used."""

    values: tuple[torch.Tensor, ...]
    error: torch.Tensor
    evaluations: torch.Tensor
    converged: torch.Tensor
    pieces: list[int]
    switches: list[int]


class _Pieces:
    """The accepted pieces: track, ends, per output tensor the Gauss sum and |Kronrod - Gauss|
    (with the factors applied), and the per-piece scalar error."""

    def __init__(self) -> None:
        self.track: list[int] = []
        self.a: list[float] = []
        self.b: list[float] = []
        self.gauss: list[list[torch.Tensor]] = []
        self.diff: list[list[torch.Tensor]] = []
        self.err: list[float] = []
        self.alive: list[bool] = []


def adaptive_path_integral(model: Callable, start: tuple, end: tuple, target, *,
                           tolerance: float, max_evaluations: int | None = None,
                           factors: tuple | None = None,
                           track_example: torch.Tensor | None = None,
                           extra: tuple = (), batch_size: int | None = None,
                           **tap) -> AdaptiveResult:
    """Integrate :func:`numeric.path_integral.path_integral`'s integrand along the straight
    segments start[r] -> end[r] (tracks r, tuples of tensors) to ``tolerance`` (see the module
    docstring). ``factors`` (one tensor (tracks, *features) or None per output tensor)
    multiply the integrand (end - start for integrated gradients); ``track_example`` maps
    tracks to examples (a polyline has one track per segment; default: one each), and the
    tolerance applies to each example's sum over its tracks. ``tap``: the layer tap keywords
    of :func:`~numeric.path_integral.path_integral`. Warns :class:`ToleranceNotReached` for
    examples that ran out of evaluations; their estimate is still returned.
    """
    tolerance, max_evaluations = check_tolerance(tolerance, max_evaluations)
    starts = start if isinstance(start, tuple) else (start,)
    ends = end if isinstance(end, tuple) else (end,)
    tracks = ends[0].shape[0]
    device = ends[0].device
    owner = torch.arange(tracks) if track_example is None else track_example.cpu()
    n = int(owner.max()) + 1 if tracks else 0
    nodes, wk, wg = kronrod_rule()
    nodes_t = torch.tensor(nodes, dtype=F64)
    weights_t = torch.tensor(np.stack([wk, wg], 1), dtype=F64)
    evals = torch.zeros(n, dtype=torch.long)
    fp = BranchFingerprint()
    pieces = _Pieces()
    pending: list[tuple[int, float, float]] = [(r, 0.0, 1.0) for r in range(tracks)]
    switches = [0] * n
    stopped = torch.zeros(n, dtype=torch.bool)
    out_shapes: list[tuple] | None = None
    eps = float(torch.finfo(ends[0].dtype).eps) if ends[0].dtype.is_floating_point else 0.0
    while pending:
        m = len(pending)
        tr = torch.tensor([p[0] for p in pending])
        a = torch.tensor([p[1] for p in pending], dtype=F64)
        b = torch.tensor([p[2] for p in pending], dtype=F64)
        h = b - a
        t = (a[:, None] + h[:, None] * nodes_t[None, :]).reshape(-1)
        w = (h[:, None, None] * weights_t[None]).reshape(-1, 2)
        grid = Grid(tr.repeat_interleave(15).to(device), t.to(device), w.to(device),
                    torch.arange(m).repeat_interleave(15).to(device), m)
        sums = path_integral(model, grid, starts, ends, target, extra=extra,
                             batch_size=batch_size, watch=fp.watch, **tap)
        prints = fp.take().view(m, 15)
        evals.index_add_(0, owner[tr], torch.full((m,), 15, dtype=torch.long))
        if out_shapes is None:
            out_shapes = [tuple(s.shape[2:]) for s in sums]
        scaled = []
        for i, s in enumerate(sums):
            s = s.cpu()
            fac = None if factors is None or factors[i] is None else factors[i].cpu().double()
            if fac is not None:
                s = s * fac[tr].unsqueeze(0)
            scaled.append(s)
        if not fp.seen:  # no kink operation ran: the integrand is smooth, no switch to find
            prints = torch.zeros((m, 17), dtype=torch.long)
            t_all = torch.zeros((m, 17), dtype=F64)
        # the Gauss nodes leave the piece's ends uncovered: fingerprint them too, just inside
        # (a switch closer than _END to an end is within the estimate's bisection allowance)
        wide = h > 4 * _END
        ends_t = torch.stack([torch.where(wide, a + _END, a + 0.5 * h),
                              torch.where(wide, b - _END, a + 0.5 * h)], 1)
        if fp.seen:
            edge = _prints_at(model, starts, ends, tap, extra, batch_size, fp,
                              tr.repeat_interleave(2).tolist(),
                              ends_t.reshape(-1).tolist()).view(m, 2)
            evals.index_add_(0, owner[tr], torch.full((m,), 2, dtype=torch.long))
            prints = torch.cat([edge[:, :1], prints, edge[:, 1:]], 1)
            t_all = torch.cat([ends_t[:, :1], t.view(m, 15), ends_t[:, 1:]], 1)
        kinked = (prints[:, 1:] != prints[:, :-1]).any(1)
        # out of evaluations: a switch left in a piece, whose whole size then counts as error
        unresolved = kinked & (evals[owner[tr]] >= max_evaluations)
        kinked &= ~unresolved
        located = _locate(model, starts, ends, tap, extra, batch_size, fp, tr, t_all,
                          prints, kinked, owner, evals) if bool(kinked.any()) else {}
        pending = []
        for j in range(m):
            if j in located:
                cuts = [float(a[j]), *located[j], float(b[j])]
                switches[int(owner[tr[j]])] += len(located[j])
                pending += [(int(tr[j]), lo, hi) for lo, hi in zip(cuts[:-1], cuts[1:],
                                                                    strict=False) if hi > lo]
                continue
            gauss = [s[1, j] for s in scaled]
            # plus rounding: the model's dtype per evaluation, a switch's bisection width
            floor = 4.0 * eps + SWITCH_WIDTH / max(float(h[j]), SWITCH_WIDTH)
            if bool(unresolved[j]):
                floor = 1.0
            diff = [_SAFETY * (s[0, j] - s[1, j]).abs() + floor * g.abs()
                    for s, g in zip(scaled, gauss, strict=True)]
            pieces.track.append(int(tr[j]))
            pieces.a.append(float(a[j]))
            pieces.b.append(float(b[j]))
            pieces.gauss.append(gauss)
            pieces.diff.append(diff)
            pieces.err.append(max(float(d.max()) if d.numel() else 0.0 for d in diff))
            pieces.alive.append(True)
        # per example: value, estimate, scale; bisect where the estimate is too large
        values, error, scale = _totals(pieces, owner, n, out_shapes)
        target_err = tolerance * scale
        need = (error > target_err) & ~stopped
        for e in need.nonzero().flatten().tolist():
            if any(int(owner[p[0]]) == e for p in pending):
                continue  # pieces of it are still on their way
            mine = [i for i, alive in enumerate(pieces.alive)
                    if alive and int(owner[pieces.track[i]]) == e]
            mine.sort(key=lambda i: -pieces.err[i])
            budget = (max_evaluations - int(evals[e])) // 30
            excess = float(error[e]) - 0.5 * float(target_err[e])
            chosen = []
            for i in mine:
                if excess <= 0 or len(chosen) >= budget:
                    break
                if pieces.b[i] - pieces.a[i] <= _MIN_PIECE:
                    continue
                chosen.append(i)
                excess -= pieces.err[i]
            if not chosen:
                stopped[e] = True
                continue
            for i in chosen:
                pieces.alive[i] = False
                mid = 0.5 * (pieces.a[i] + pieces.b[i])
                pending += [(pieces.track[i], pieces.a[i], mid), (pieces.track[i], mid,
                                                                  pieces.b[i])]
    values, error, scale = _totals(pieces, owner, n, out_shapes)
    converged = error <= tolerance * scale
    count = [0] * n
    for i, alive in enumerate(pieces.alive):
        if alive:
            count[int(owner[pieces.track[i]])] += 1
    if not bool(converged.all()):
        bad = (~converged).nonzero().flatten()
        rel = error[bad] / scale[bad].clamp_min(1e-300)
        worst = int(bad[int(rel.argmax())])
        warnings.warn(ToleranceNotReached(
            f"{len(bad)} of {n} example(s) did not reach tolerance {tolerance:g} within "
            f"max_evaluations={max_evaluations}: example {worst} has an estimated error of "
            f"{float(error[worst]):.3e} ({float(rel.max()):.3e} of its largest attribution); "
            "raise max_evaluations or loosen tolerance"), stacklevel=3)
    return AdaptiveResult(tuple(v.to(device) for v in values), error, evals, converged,
                          count, switches)


def _totals(pieces: _Pieces, owner: torch.Tensor, n: int, shapes: list[tuple]
            ) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """Per example: the values (per output tensor), the estimate (max over features of the
    summed |Kronrod - Gauss|, all output tensors) and the scale (largest |value|)."""
    values = [torch.zeros((n, *s), dtype=F64) for s in shapes]
    diffs = [torch.zeros((n, *s), dtype=F64) for s in shapes]
    for i, alive in enumerate(pieces.alive):
        if not alive:
            continue
        e = int(owner[pieces.track[i]])
        for k in range(len(shapes)):
            values[k][e] += pieces.gauss[i][k]
            diffs[k][e] += pieces.diff[i][k]
    error = torch.zeros(n, dtype=F64)
    scale = torch.zeros(n, dtype=F64)
    for v, d in zip(values, diffs, strict=True):
        if v[0].numel():
            error = torch.maximum(error, d.reshape(n, -1).amax(1))
            scale = torch.maximum(scale, v.reshape(n, -1).abs().amax(1))
    return values, error, scale


def _locate(model, starts, ends, tap, extra, batch_size, fp: BranchFingerprint,
            tr: torch.Tensor, t: torch.Tensor, prints: torch.Tensor, kinked: torch.Tensor,
            owner: torch.Tensor, evals: torch.Tensor) -> dict[int, list[float]]:
    """Bisect, with forward passes only, every switch between two neighbouring nodes of a
    kinked piece whose fingerprints differ, to SWITCH_WIDTH; per piece the switch points."""
    work = []  # (piece, lo, hi, print at lo, print at the interval's right end, end)
    for j in kinked.nonzero().flatten().tolist():
        for k in range(prints.shape[1] - 1):
            if prints[j, k] != prints[j, k + 1]:
                work.append([j, float(t[j, k]), float(t[j, k + 1]), int(prints[j, k]),
                             int(prints[j, k + 1]), float(t[j, k + 1])])
    found: dict[int, list[float]] = {}
    while work:
        while True:
            open_ = [w for w in work if w[2] - w[1] > SWITCH_WIDTH]
            if not open_:
                break
            mids = [0.5 * (w[1] + w[2]) for w in open_]
            p = _prints_at(model, starts, ends, tap, extra, batch_size, fp,
                           [int(tr[w[0]]) for w in open_], mids)
            evals.index_add_(0, owner[torch.tensor([int(tr[w[0]]) for w in open_])],
                             torch.ones(len(open_), dtype=torch.long))
            for w, mid, pm in zip(open_, mids, p.tolist(), strict=True):
                if pm != w[3]:
                    w[2] = mid
                else:
                    w[1] = mid
        # each interval now brackets its first switch; more may follow up to its end
        rights = _prints_at(model, starts, ends, tap, extra, batch_size, fp,
                            [int(tr[w[0]]) for w in work], [w[2] for w in work])
        evals.index_add_(0, owner[torch.tensor([int(tr[w[0]]) for w in work])],
                         torch.ones(len(work), dtype=torch.long))
        nxt = []
        for w, pr in zip(work, rights.tolist(), strict=True):
            found.setdefault(w[0], []).append(0.5 * (w[1] + w[2]))
            if pr != w[4] and w[2] < w[5]:
                nxt.append([w[0], w[2], w[5], pr, w[4], w[5]])
        work = nxt
    return {j: sorted(set(v)) for j, v in found.items()}


def _prints_at(model, starts, ends, tap, extra, batch_size, fp: BranchFingerprint,
               tracks: list[int], ts: list[float]) -> torch.Tensor:
    """The branch fingerprints of the points at ``ts`` on ``tracks`` (forward only)."""
    device = ends[0].device
    grid = Grid(torch.tensor(tracks, device=device), torch.tensor(ts, dtype=F64, device=device),
                torch.zeros(len(ts), dtype=F64, device=device))
    forward_points(model, grid, starts, ends, extra=extra, batch_size=batch_size,
                   watch=fp.watch,
                   **{k: v for k, v in tap.items() if k in ("layer", "along", "to_input")})
    return fp.take()
