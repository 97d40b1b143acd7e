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
  which the Gauss nodes leave uncovered. A piece whose points disagree contains a switch. It
  is located with forward passes only, all switches of all examples in one pass per step, by
  regula falsi with the Anderson-Bjorck step (Anderson and Bjorck (1973)) on the kink argument
  of an element whose branch differs between the bracket's ends (the input minus the
  threshold of a ReLU or clamp; the difference of the two competing entries of a max-pool or
  argmax; :mod:`numeric.branches`), which is smooth on each side: about 6 evaluations per
  switch where bisection took 45. Where the argument is not known (maximum of two tensors,
  comparisons) the fingerprints are bisected. The bracket is closed to ``SWITCH_WIDTH`` in t
  (switches closer than that, the rounding-level flicker of tied max-pool entries near a zero
  baseline, count as one), the piece is cut at its middle, and the cut's distance r to the
  switch is paid for in the estimate: 2 r times the integrand at the node next to the cut, on
  both sides, bounds r times the jump;
- the pieces that carry most of an unconverged example's estimate are split, as QUADPACK
  does, until the example meets its tolerance or has spent ``max_evaluations`` model
  evaluations (gradient points and forward-only points counted alike: 17 per piece, 15 when
  no kink operation runs, 1 per locating step; never more, the switch round included: where
  evaluations run short, switches are located only as far as the pieces they make can still
  be integrated, and a piece left holding a switch counts its whole size as error). A split
  halves the piece, except where the two halves of its parent differed by far (64x): the
  error then sits near the outer end of the worse half (an integrand that varies fast there,
  as a LayerNorm does near a zero baseline), and its next split cuts a quarter off that end, so
  that the pieces shrink geometrically towards it as graded meshes do.

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

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._torch import torch
from .branches import BranchFingerprint, Record, first_difference
from .errors import ArgumentError, ToleranceNotReached
from .path_integral import Grid, forward_points, path_integral

__all__ = ["AdaptiveResult", "adaptive_path_integral", "check_tolerance", "kronrod_rule"]

F64 = torch.float64
#: width in t to which a switch of branch is located (float64 models); switches closer than
#: this (the rounding-level flicker of tied entries near a zero baseline) count as one
SWITCH_WIDTH = 2.0 ** -40
#: default model evaluations per example
DEFAULT_MAX_EVALUATIONS = 50_000
#: the estimate of a piece's Gauss error is this times |Kronrod - Gauss|: the true error is
#: |Kronrod - Gauss + (exact - Kronrod)|, and the Kronrod error, though far smaller on a
#: resolved piece, can add to it
_SAFETY = 2.0
#: bisection aims at this fraction of the tolerance (QUADPACK's choice of pieces to bisect)
_AIM = 0.5
#: a graded split cuts this fraction of the piece off at the end it leans to
_GRADE = 0.25
#: how much worse one half of a split must be than the other for the next split to lean
_LEAN = 64.0
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
            or max_evaluations < 17:
        raise ArgumentError(f"max_evaluations must be an int >= 17 (model evaluations per "
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
    """The accepted pieces: track, ends, per output tensor the Gauss sum and its error bound
    (with the factors applied), and the per-piece scalar error."""

    def __init__(self) -> None:
        self.track: list[int] = []
        self.a: list[float] = []
        self.b: list[float] = []
        self.gauss: list[list[torch.Tensor]] = []
        self.diff: list[list[torch.Tensor]] = []
        self.err: list[float] = []
        self.alive: list[bool] = []
        self.flags: list[tuple[float, float]] = []
        #: where to split the piece: 0 the middle, -1 near its left end, 1 near its right end
        self.lean: list[int] = []


def _lean(pieces: _Pieces, halves: dict[int, dict[int, tuple[int, int]]]) -> None:
    """Where the two halves of a split differ in error by far, the error sits near the outer
    end of the worse one (an integrand varying fast there, such as a LayerNorm near a zero
    baseline): split that half next near that end, so that the pieces shrink geometrically
    towards it (as graded meshes do) rather than by halves. A wrong guess (the larger half of
    a graded split is the worse) goes back to halving."""
    for pair in halves.values():
        if len(pair) != 2:
            continue
        (left, small), (right, _) = pair[-1], pair[1]
        el, er = pieces.err[left], pieces.err[right]
        if el > _LEAN * er:
            pieces.lean[left] = -1 if small in (0, -1) else 0
        elif er > _LEAN * el:
            pieces.lean[right] = 1 if small in (0, 1) else 0


def switch_width(dtype: torch.dtype) -> float:
    """The width in t to which a switch of branch is located: ``SWITCH_WIDTH`` for float64
    models, ``2**-26`` for lower precisions (where the points themselves are rounded more
    coarsely than that).

    >>> switch_width(torch.float64) == SWITCH_WIDTH, switch_width(torch.float32)
    (True, 1.4901161193847656e-08)
    """
    return SWITCH_WIDTH if dtype == F64 or not dtype.is_floating_point else 2.0 ** -26


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
    of :func:`~numeric.path_integral.path_integral`. Never spends more than
    ``max_evaluations`` model evaluations on an example (at least 17 per segment); warns
    :class:`ToleranceNotReached` for examples that ran out of them, whose estimate is still
    returned.
    """
    tolerance, max_evaluations = check_tolerance(tolerance, max_evaluations)
    starts = start if isinstance(start, tuple) else (start,)
    ends = end if isinstance(end, tuple) else (end,)
    tracks = ends[0].shape[0]
    device = ends[0].device
    owner = torch.arange(tracks) if track_example is None else track_example.cpu()
    n = int(owner.max()) + 1 if tracks else 0
    if tracks and max_evaluations < 17 * int(torch.bincount(owner).max()):
        raise ArgumentError(f"max_evaluations must be at least 17 per straight segment of the "
                            f"path ({17 * int(torch.bincount(owner).max())} here), got "
                            f"{max_evaluations}")
    width = switch_width(ends[0].dtype)
    end_gap = 2 * width
    nodes, wk, wg = kronrod_rule()
    nodes_t = torch.tensor(nodes, dtype=F64)
    first, last = np.eye(15)[0], np.eye(15)[14]
    weights_t = torch.tensor(np.stack([wk, wg, first, last], 1), dtype=F64)
    evals = torch.zeros(n, dtype=torch.long)
    fp = BranchFingerprint(record=True)
    probe = _Probe(model, starts, ends, tap, extra, batch_size, fp)
    pieces = _Pieces()
    # (track, a, b, how far a located switch at a may be from a (0: no switch), same at b,
    # whether a switch inside was left unlocated for want of evaluations; for the two halves of
    # a split: the split's id, which side the piece is on (-1, 1) and which side was the
    # smaller, 0: neither)
    pending: list[tuple] = [(r, 0.0, 1.0, 0.0, 0.0, False, -1, 0, 0) for r in range(tracks)]
    splits = 0
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
        w = torch.cat([(h[:, None, None] * weights_t[None, :, :2]),
                       weights_t[None, :, 2:].expand(m, 15, 2)], 2).reshape(-1, 4)
        grid = Grid(tr.repeat_interleave(15).to(device), t.to(device), w.to(device),
                    torch.arange(m).repeat_interleave(15).to(device), m)
        sums = path_integral(model, grid, starts, ends, target, extra=extra,
                             batch_size=batch_size, watch=fp.watch, **tap)
        prints = fp.take().view(m, 15)
        node_rec = fp.take_record()
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
        # the points of each piece in order: (t, fingerprint, record, row)
        points = [[(float(t[j * 15 + k]), int(prints[j, k]), node_rec, j * 15 + k)
                   for k in range(15)] for j in range(m)]
        kinked = torch.zeros(m, dtype=torch.bool)
        if fp.seen:
            # the Gauss nodes leave the piece's ends uncovered: fingerprint them too, just
            # inside (a switch closer than end_gap to an end is within the location allowance)
            wide = h > 4 * end_gap
            ends_t = torch.stack([torch.where(wide, a + end_gap, a + 0.5 * h),
                                  torch.where(wide, b - end_gap, a + 0.5 * h)], 1)
            edge, edge_rec = probe(tr.repeat_interleave(2).tolist(), ends_t.reshape(-1).tolist())
            edge = edge.view(m, 2)
            evals.index_add_(0, owner[tr], torch.full((m,), 2, dtype=torch.long))
            for j in range(m):
                points[j] = [(float(ends_t[j, 0]), int(edge[j, 0]), edge_rec, 2 * j),
                             *points[j], (float(ends_t[j, 1]), int(edge[j, 1]), edge_rec,
                                          2 * j + 1)]
            kinked = torch.tensor([any(p[1] != q[1] for p, q in zip(pts[:-1], pts[1:],
                                                                    strict=True))
                                   for pts in points], dtype=torch.bool)
        cost = 17 if fp.seen else 15
        # out of evaluations: a switch left in a piece, whose whole size then counts as error
        unresolved = torch.tensor([bool(p[5]) for p in pending], dtype=torch.bool) & ~kinked
        # a piece narrower than the switch width is not split further: a jump inside it
        # moves its integral by at most its width times the jump
        tiny = kinked & (h <= 4 * end_gap)
        kinked &= ~tiny
        located: dict[int, list[tuple[float, float]]] = {}
        lost: dict[int, list[tuple[float, float]]] = {}
        if bool(kinked.any()):
            intervals = [_Interval(int(tr[j]), int(owner[tr[j]]), j, p, q)
                         for j in kinked.nonzero().flatten().tolist()
                         for p, q in zip(points[j][:-1], points[j][1:], strict=True)
                         if p[1] != q[1]]
            pieces_per = torch.zeros(n, dtype=torch.long).index_add_(0, owner[tr],
                                                                     kinked.long())
            located, lost = _locate(probe, intervals, evals, max_evaluations, cost,
                                    pieces_per, width)
        # split at the switches, as far as evaluations are left to integrate the new pieces;
        # a piece holding a switch not located is integrated as it is, its size the error
        reserved = torch.zeros(n, dtype=torch.long)
        nxt = []
        halves: dict[int, dict[int, tuple[int, int]]] = {}
        for j in range(m):
            if bool(kinked[j]):
                e = int(owner[tr[j]])
                cuts = [(c, r) for c, r in located.get(j, [])
                        if float(a[j]) < c < float(b[j])]
                allowed = (max_evaluations - int(evals[e] + reserved[e])) // cost
                cuts = cuts[:max(allowed - 1, 0)]
                if not cuts:     # accepted as it is
                    unresolved[j] = True
                else:
                    ts = [float(a[j]), *(c for c, _ in cuts), float(b[j])]
                    rs = [pending[j][3], *(r for _, r in cuts), pending[j][4]]
                    holes = lost.get(j, [])
                    reserved[e] += cost * (len(ts) - 1)
                    switches[e] += len(cuts)
                    for k in range(len(ts) - 1):
                        lo, hi = ts[k], ts[k + 1]
                        hole = any(u < hi and v > lo for u, v in holes) or (
                            k == len(ts) - 2 and len(cuts) < len(located.get(j, [])))
                        nxt.append((int(tr[j]), lo, hi, rs[k], rs[k + 1], hole, -1, 0, 0))
                    continue
            gauss = [s[1, j] for s in scaled]
            # rounding: the model's dtype per evaluation
            floor = 4.0 * eps
            if bool(unresolved[j]):
                floor = 1.0
            diff = []
            for s, g in zip(scaled, gauss, strict=True):
                d = _SAFETY * (s[0, j] - s[1, j]).abs() + floor * g.abs()
                # a switch located to within r of a cut moves the integral by at most r times
                # the integrand's jump there, bounded by 2 r times the integrand at the
                # node next to the cut (the same bound on the piece on the other side)
                if pending[j][3]:
                    d = d + 2 * pending[j][3] * s[2, j].abs()
                if pending[j][4]:
                    d = d + 2 * pending[j][4] * s[3, j].abs()
                if bool(tiny[j]):
                    d = d + float(h[j]) * (s[2, j].abs() + s[3, j].abs())
                diff.append(d)
            pieces.track.append(int(tr[j]))
            pieces.a.append(float(a[j]))
            pieces.b.append(float(b[j]))
            pieces.gauss.append(gauss)
            pieces.diff.append(diff)
            pieces.err.append(max(float(d.max()) if d.numel() else 0.0 for d in diff))
            pieces.alive.append(True)
            pieces.flags.append((pending[j][3], pending[j][4]))
            pieces.lean.append(0)
            if pending[j][6] >= 0:
                halves.setdefault(pending[j][6], {})[pending[j][7]] = (len(pieces.a) - 1,
                                                                       pending[j][8])
        _lean(pieces, halves)
        pending = nxt
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
            budget = (max_evaluations - int(evals[e])) // (2 * cost)
            excess = float(error[e]) - _AIM * float(target_err[e])
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
                lean = pieces.lean[i]
                mid = pieces.a[i] + (0.5 + lean * (0.5 - _GRADE)) * (pieces.b[i] - pieces.a[i])
                fa, fb = pieces.flags[i]
                pending += [(pieces.track[i], pieces.a[i], mid, fa, 0.0, False, splits, -1,
                             lean),
                            (pieces.track[i], mid, pieces.b[i], 0.0, fb, False, splits, 1,
                             lean)]
                splits += 1
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
    summed error bounds, all output tensors) and the scale (largest |value|)."""
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


class _Probe:
    """Forward-only passes at given points of given tracks: their branch fingerprints and
    their record (branch codes and kink arguments)."""

    def __init__(self, model, starts, ends, tap, extra, batch_size, fp: BranchFingerprint
                 ) -> None:
        self.model, self.starts, self.ends, self.extra = model, starts, ends, extra
        self.batch_size, self.fp = batch_size, fp
        self.tap = {k: v for k, v in tap.items() if k in ("layer", "along", "to_input")}

    def __call__(self, tracks: list[int], ts: list[float]) -> tuple[torch.Tensor,
                                                                    Record | None]:
        device = self.ends[0].device
        grid = Grid(torch.tensor(tracks, device=device),
                    torch.tensor(ts, dtype=F64, device=device),
                    torch.zeros(len(ts), dtype=F64, device=device))
        # a forward pass without gradients holds no activations for a backward: four times the
        # points of a gradient pass in the same memory (fewer, larger passes where the caller
        # asked for small batches)
        batch = None if self.batch_size is None else 4 * self.batch_size
        forward_points(self.model, grid, self.starts, self.ends, extra=self.extra,
                       batch_size=batch, watch=self.fp.watch, **self.tap)
        return self.fp.take(), self.fp.take_record()


class _Interval:
    """A piece of a track between two points whose fingerprints differ, closed in on by
    regula falsi (Anderson-Bjorck) on the kink argument of an element whose branch differs
    between the ends, or by bisection on the fingerprints where that argument is unknown."""

    __slots__ = ("track", "example", "piece", "lo", "hi", "alo", "ahi", "element", "last",
                 "side", "steps")

    def __init__(self, track: int, example: int, piece: int, lo: tuple, hi: tuple) -> None:
        self.track, self.example, self.piece = track, example, piece
        self.lo, self.hi = lo, hi           # (t, fingerprint, record, row)
        self.last: float | None = None
        self.side = 0
        self.steps = 0
        self.element = None
        self.alo = self.ahi = None
        self._choose()

    def _choose(self) -> None:
        """Of the elements whose branches differ between the ends, the one whose kink
        argument changes sign between them farthest from rounding (None: none does)."""
        lo, hi = self.lo, self.hi
        self.element, self.side, self.last = None, 0, None
        if lo[2] is None or hi[2] is None:
            return
        best = 0.0
        for el in first_difference(lo[2], lo[3], hi[2], hi[3], limit=_CANDIDATES):
            alo, ahi = lo[2].argument(lo[3], el), hi[2].argument(hi[3], el)
            if alo is None or ahi is None or not (alo * ahi < 0):
                continue
            size = min(abs(alo), abs(ahi))
            if size > best:
                best, self.element, self.alo, self.ahi = size, el, alo, ahi

    def next_point(self, width: float) -> float:
        lo, hi = self.lo[0], self.hi[0]
        mid = 0.5 * (lo + hi)
        if self.element is None or hi - lo <= 2 * width or self.steps >= _SECANT_STEPS:
            return mid
        t = hi - self.ahi * (hi - lo) / (self.ahi - self.alo)
        if not math.isfinite(t):
            return mid
        if self.last is not None and abs(t - self.last) < 0.5 * width:
            # converged to within the width: step across the root, by twice the last step,
            # to close the bracket (usually far narrower than the width)
            step = max(2 * abs(t - self.last), 2.0 ** -52)
            t = self.last + (step if self.last == lo else -step)
        return min(max(t, lo + 0.25 * width), hi - 0.25 * width)

    def update(self, point: tuple) -> list[_Interval]:
        """Take the new point (t, fingerprint, record, row); returns the part cut off, when
        its ends' fingerprints differ (another switch lies there)."""
        self.steps += 1
        value = None
        if self.element is not None and self.steps <= _SECANT_STEPS and point[2] is not None:
            value = point[2].argument(point[3], self.element)
            if value == 0.0:      # on the root (or a tie): the fingerprints decide from here
                value = None
        if value is not None:
            right = (value > 0) == (self.ahi > 0)    # the root lies left of the point
        else:
            right = point[1] != self.lo[1]           # the first switch lies left of it
        out = []
        if right:
            if point[1] != self.hi[1]:
                out.append(_Interval(self.track, self.example, self.piece, point, self.hi))
            if value is not None:
                if self.side == 1:    # the left end kept twice: Anderson-Bjorck's scaling
                    f = 1.0 - value / self.ahi
                    self.alo *= f if f > 0 else 0.5
                self.ahi = value
            self.hi, self.side = point, 1
        else:
            if point[1] != self.lo[1]:
                out.append(_Interval(self.track, self.example, self.piece, self.lo, point))
            if value is not None:
                if self.side == -1:
                    f = 1.0 - value / self.alo
                    self.ahi *= f if f > 0 else 0.5
                self.alo = value
            self.lo, self.side = point, -1
        self.last = point[0]
        if value is None:
            self._choose()
        return out


#: regula falsi steps on one interval before it falls back to bisection
_SECANT_STEPS = 16
#: elements whose branches differ between an interval's ends tried for a kink argument
_CANDIDATES = 64


def _locate(probe: _Probe, work: list[_Interval], evals: torch.Tensor, max_evaluations: int,
            cost: int, pieces: torch.Tensor, width: float
            ) -> tuple[dict[int, list[tuple[float, float]]], dict[int, list[tuple[float, float]]]]:
    """Close in on every switch of the intervals, all in one forward-only pass per step, to
    ``width``; per piece the switch points (the middle of the final bracket) and how far the
    switch may be from them, and the intervals left unlocated where an example would not have
    the evaluations left (``cost`` per piece) to integrate the pieces its switches make."""
    found: dict[int, list[tuple[float, float]]] = {}
    lost: dict[int, list[tuple[float, float]]] = {}
    count = torch.zeros_like(evals)
    while work:
        done = [w for w in work if w.hi[0] - w.lo[0] <= width or w.lo[1] == w.hi[1]]
        for w in done:
            if w.lo[1] != w.hi[1]:
                found.setdefault(w.piece, []).append((0.5 * (w.lo[0] + w.hi[0]),
                                                      0.5 * (w.hi[0] - w.lo[0])))
                count[w.example] += 1
        work = [w for w in work if not (w.hi[0] - w.lo[0] <= width or w.lo[1] == w.hi[1])]
        # each interval still open costs one evaluation now and will cut one more piece
        active = torch.zeros_like(evals)
        kept = []
        for w in work:
            e = w.example
            after = int(evals[e]) + int(active[e]) + 1 + cost * (
                int(pieces[e]) + int(count[e]) + int(active[e]) + 1)
            if after > max_evaluations:
                lost.setdefault(w.piece, []).append((w.lo[0], w.hi[0]))
                continue
            active[e] += 1
            kept.append(w)
        work = kept
        if not work:
            break
        spend = {e: int(k) for e, k in enumerate(active.tolist()) if k}
        ts = [w.next_point(width) for w in work]
        prints, rec = probe([w.track for w in work], ts)
        for e, k in spend.items():
            evals[e] += k
        nxt = []
        for i, (w, t) in enumerate(zip(work, ts, strict=True)):
            nxt += w.update((t, int(prints[i]), rec, i))
            nxt.append(w)
        work = nxt
    return {j: sorted(set(v)) for j, v in found.items()}, lost
