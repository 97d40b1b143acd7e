"""Exact IG for piecewise-linear networks: walk the activation regions along each segment.

Along a segment gamma(t) = a + t (b - a) a network built from affine maps and kinks (ReLU,
max, max-pool, ...) is affine in t inside an activation region, so its gradient is constant
there. The walk keeps, per example and segment, the parts of [0, 1] not yet covered (the
gaps). Each pass probes many points at once (several per gap where the regions found so far
say a gap holds many, across all examples and segments, at most ``batch_size`` a pass): one
float64 forward pass under :class:`numeric.piecewise_ops.PiecewiseMode` with forward-mode
tangents d/dt gives every kink argument's value z and slope z' and so the region [lo, hi]
around each probe (the nearest crossings t = m - z/z'), and one backward pass, weighted by the
regions' lengths, adds length * gradient (outside the dual level: inside it forward-mode AD
would run on every backward operation too). Every probe that does not land in a region found
in the same pass finds a new one; completeness holds to float64 rounding. An nn.Sequential
that starts with a Linear or Conv layer has the segment pushed through that layer once (as
the quadrature path does), and its transposed Jacobian applied once at the end.

Which operations are piecewise linear is decided from the operations the forward actually
runs (:mod:`numeric.piecewise_ops`), so any ``nn.Module`` or callable works: nn.Sequential,
modules with their own ``forward`` (Captum's test models, ResNet blocks computing
``self.relu(out + identity)``), functional ``F.relu``, ``torch.maximum``, ``clamp``, ...
A kink exactly at a probe or at a segment's end takes the branch just to the right of it
((value, slope) in lexicographic order). On a piece of the path where a kink argument sits
exactly at its kink (value and slope 0: a flat tie, e.g. a ReLU input that is 0 all along),
the gradient follows torch's convention (relu'(0) = 0) and a warning says so; entries of a
max or max-pool that are equal all along take the first, as torch does. A float32 model is
run in float64 by casting its tensors where they meet the float64 input; the model is not
copied or changed. Prior art: ExactLine (Sotoudeh &
Thakur (2019)) propagates the segment layer by layer instead of probing.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()).double()
>>> with torch.no_grad():
...     _ = net[0].weight.fill_(1.0); _ = net[0].bias.fill_(-1.0)
>>> r = exact_path_attribution(net, [torch.zeros(1, 1), torch.full((1, 1), 3.0)])
>>> r.attributions.tolist(), r.regions
([[2.0]], [2])
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch.autograd.forward_ad as fwad

from ._torch import torch
from .errors import ArgumentError, IntegrationError, UnsupportedFunctionError
from .piecewise_ops import CastMode, PiecewiseMode, Probe
from .targets import TargetSpec, normalize_target, select_output

__all__ = ["ExactResult", "UnsupportedFunctionError", "check_piecewise_linear",
           "exact_path_attribution"]

F64 = torch.float64
_EPS = float(torch.finfo(F64).eps)
#: probes a pass when batch_size is None
DEFAULT_PROBES = 64
#: probes in a gap of a track with nothing found yet
_FIRST_PROBES = 8


@dataclass
class ExactResult:
    """What the walk found: attributions (float64), the completeness delta per example,
    the number of activation regions crossed per example (all segments), the forward/backward
    passes run, per example the interior region boundaries in t of each segment, and the
    number of flat ties met (kink arguments sitting on their kink along a piece)."""

    attributions: torch.Tensor
    delta: torch.Tensor
    regions: list[int]
    passes: int
    breakpoints: list[list[list[float]]] = field(default_factory=list)
    flat_ties: int = 0
    probes: int = 0


def _check_tol(tol: float) -> float:
    if not (0 <= tol < 1e-3):
        raise ArgumentError(f"tol must be in [0, 1e-3), got {tol!r}")
    return float(tol)


_FIRST_AFFINE = (torch.nn.Linear, torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)


def _first_affine(model: Callable) -> tuple[torch.nn.Module, torch.nn.Module] | None:
    """(first layer, the rest) of an nn.Sequential that starts with a Linear or Conv layer
    and has no hooks of its own; None otherwise."""
    if type(model) is not torch.nn.Sequential or len(model) < 2:
        return None
    if model._forward_hooks or model._forward_pre_hooks or model._backward_hooks:
        return None
    first = model[0]
    if type(first) not in _FIRST_AFFINE or first._forward_hooks or first._forward_pre_hooks:
        return None
    if getattr(first, "padding_mode", "zeros") != "zeros":
        return None
    return first, model[1:]


def _call(model: Callable, x: torch.Tensor, extra: tuple, rows: torch.Tensor,
          n: int) -> torch.Tensor:
    args = tuple(e[rows] if isinstance(e, torch.Tensor) and e.dim() > 0 and e.shape[0] == n
                 else e for e in extra)
    out = model(x, *args)
    if not isinstance(out, torch.Tensor):
        raise ArgumentError(f"the model returned {type(out).__name__}; method='exact' needs a "
                            "tensor of outputs (N, ...)")
    return out


def check_piecewise_linear(model: Callable, inputs: torch.Tensor, target: TargetSpec = None,
                           additional_forward_args: tuple | None = None) -> list[str]:
    """Run ``model`` once at ``inputs`` as the exact walk does (float64, a tangent along
    ``inputs``) and return the kink operations it ran and where; raises
    UnsupportedFunctionError naming the first operation method='exact' cannot handle.

    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> check_piecewise_linear(net, torch.ones(1, 2))
    ['relu in layer 1 (ReLU)']
    >>> try:
    ...     check_piecewise_linear(lambda x: torch.tanh(x).sum(1), torch.ones(1, 2))
    ... except UnsupportedFunctionError as exc:
    ...     print(str(exc).split(" at ")[0])
    tanh in the forward
    """
    x = inputs.detach().to(F64)
    n = x.shape[0]
    half = torch.full((n,), 0.5, dtype=F64, device=x.device)
    probe = Probe(half, torch.zeros_like(half), torch.ones_like(half), collect=True)
    extra = tuple(additional_forward_args or ())
    with fwad.dual_level(), PiecewiseMode(probe, model):
        out = _call(model, fwad.make_dual(x, x.clone()), extra, torch.arange(n), n)
    select_output(fwad.unpack_dual(out).primal, normalize_target(target, n, x.device),
                  torch.arange(n, device=x.device))
    return list(dict.fromkeys(probe.kinks))


class _Walk:
    """The gaps and regions of every track (one example on one segment)."""

    def __init__(self, tracks: int, tol: float) -> None:
        self.gaps: list[list[tuple[float, float]]] = [[(0.0, 1.0)] for _ in range(tracks)]
        self.found: list[list[tuple[float, float]]] = [[] for _ in range(tracks)]
        self.covered = [0.0] * tracks
        self.tol = tol

    def plan(self, budget: int) -> list[tuple[int, float, float, int]]:
        """(track, g0, g1, probes) for this pass, at most ``budget`` probes in all. A gap
        gets about half the regions the track's density so far predicts in it."""
        out: list[tuple[int, float, float, int]] = []
        left = budget
        for tr, gaps in enumerate(self.gaps):
            if not gaps:
                continue
            count = len(self.found[tr])
            density = count / self.covered[tr] if count >= 2 and self.covered[tr] > 0 else None
            while gaps and left > 0:
                g0, g1 = gaps.pop()
                if density is None:
                    k = _FIRST_PROBES if count == 0 else 1
                else:
                    k = int(density * (g1 - g0) / 2)
                k = max(1, min(k, left))
                out.append((tr, g0, g1, k))
                left -= k
            if left <= 0:
                break
        return out

    def merge(self, tr: int, g0: float, g1: float, ms: list[float], los: list[float],
              his: list[float], lo_errs: list[float], hi_errs: list[float]) -> list[float]:
        """Fold the regions around the probes ``ms`` (increasing) of gap (g0, g1) into the
        track; returns each probe's weight (its region's length, 0 for a repeat). The ends
        found are known to +-err (the probes' rounding bound); two computations of one
        boundary closer than their errors are the same boundary."""
        cur, cur_err = g0, 0.0
        weights = []
        for m, lo, hi, lo_err, hi_err in zip(ms, los, his, lo_errs, hi_errs, strict=True):
            if m < cur or hi <= cur:
                weights.append(0.0)
                continue
            lo = max(lo, cur)
            if lo - cur <= self._snap(cur, lo_err + cur_err):
                lo = cur
            else:
                self.gaps[tr].append((cur, lo))
            if g1 - hi <= self._snap(g1, hi_err):
                hi = g1
            weights.append(hi - lo)
            self.found[tr].append((lo, hi))
            self.covered[tr] += hi - lo
            cur, cur_err = hi, hi_err
        if g1 - cur > self._snap(g1, cur_err):
            self.gaps[tr].append((cur, g1))
        return weights

    def _snap(self, t: float, err: float) -> float:
        return max(self.tol, err, 64.0 * _EPS * max(1.0, abs(t)))


def exact_path_attribution(model: Callable, points: Sequence[torch.Tensor],
                           target: TargetSpec = None, batch_size: int | None = None,
                           tol: float = 0.0, max_passes: int = 100_000,
                           trusted: tuple[type, ...] = (),
                           additional_forward_args: tuple | None = None) -> ExactResult:
    """Exact path attribution of a piecewise-linear ``model`` (an nn.Module or any callable)
    along the polyline ``points`` (tensors of equal shape (N, ...)), computed in float64. See
    the module docstring.

    ``batch_size``: the most probe points one forward/backward pass holds (default
    DEFAULT_PROBES); memory grows with it. ``tol``: regions shorter than this in t are merged
    into a neighbour (on top of a bound relative to the rounding of each crossing; default
    0). ``trusted`` is deprecated and ignored: the walk checks the operations the forward
    runs. ``additional_forward_args``: passed after the input (tensors with N rows are taken
    row by row with their example).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False), torch.nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1.0, -1.0]]))
    >>> x = torch.tensor([[2.0, 1.0]])
    >>> r = exact_path_attribution(net, [torch.zeros_like(x), x])
    >>> r.attributions.tolist(), float(r.delta[0])
    ([[2.0, -1.0]], 0.0)
    """
    tol = _check_tol(tol)
    if trusted:
        warnings.warn("trusted= is no longer needed and is ignored: method='exact' checks the "
                      "operations the forward runs", DeprecationWarning, stacklevel=2)
    if not callable(model):
        raise ArgumentError(f"model must be an nn.Module or a callable, got "
                            f"{type(model).__name__}")
    if len(points) < 2:
        raise ArgumentError("a path needs at least two points")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, int) or batch_size < 1):
        raise ArgumentError(f"batch_size must be a positive int or None, got {batch_size!r}")
    device = points[-1].device
    pts = [p.detach().to(device=device, dtype=F64) for p in points]
    shape = pts[-1].shape
    for p in pts:
        if p.shape != shape:
            raise ArgumentError(f"path points have shapes {tuple(p.shape)} and {tuple(shape)}")
    n = shape[0]
    segments = len(pts) - 1
    tgt = normalize_target(target, n, device)
    extra = tuple(additional_forward_args or ())
    start = torch.cat(pts[:-1])                                   # track = segment * n + e
    direction = torch.cat([b - a for a, b in zip(pts[:-1], pts[1:], strict=False)])
    example = torch.arange(n, device=device).repeat(segments)
    split = None if extra else _first_affine(model)
    net = model
    if split is not None:
        # F = R o L with L affine: push the segments through L once, walk R, and apply L's
        # transposed Jacobian to the accumulated gradient once per track at the end
        first, net = split
        x_in, direction_in = start, direction
        with torch.no_grad(), fwad.dual_level(), CastMode(F64):
            out = fwad.unpack_dual(first(fwad.make_dual(start, direction)))
        start, direction = out.primal, out.tangent
    walk = _Walk(segments * n, tol)
    acc = torch.zeros_like(start)
    budget = batch_size or DEFAULT_PROBES
    view = (-1,) + (1,) * (len(shape) - 1)
    passes = flat_ties = probes = 0
    while True:
        plan = walk.plan(budget)
        if not plan:
            break
        passes += 1
        if passes > max_passes:
            raise IntegrationError(f"the exact walk needed more than {max_passes} passes; raise "
                                   "max_passes or use method='gausslegendre'")
        tracks, g0s, g1s, ms = [], [], [], []
        for tr, g0, g1, k in plan:
            for j in range(k):
                tracks.append(tr)
                g0s.append(g0)
                g1s.append(g1)
                ms.append(g0 + (j + 0.5) / k * (g1 - g0))
        probes += len(tracks)
        rows = torch.tensor(tracks, device=device)
        m = torch.tensor(ms, dtype=F64, device=device)
        probe = Probe(m, torch.tensor(g0s, dtype=F64, device=device),
                      torch.tensor(g1s, dtype=F64, device=device))
        x = torch.addcmul(start[rows], m.view(view), direction[rows]).requires_grad_(True)
        with fwad.dual_level(), torch.enable_grad():
            with PiecewiseMode(probe, model):
                out = _call(net, fwad.make_dual(x, direction[rows]), extra, example[rows], n)
            out = fwad.unpack_dual(out).primal
        # the backward outside the dual level: inside it, forward AD would also run on every
        # backward operation (the saved tensors are dual), three times the work
        with torch.enable_grad():
            sel = select_output(out, tgt, example[rows])
            los, his = probe.lo.tolist(), probe.hi.tolist()
            lo_errs, hi_errs = probe.lo_err.tolist(), probe.hi_err.tolist()
            weights: list[float] = []
            i = 0
            for tr, g0, g1, k in plan:
                weights += walk.merge(tr, g0, g1, ms[i:i + k], los[i:i + k], his[i:i + k],
                                      lo_errs[i:i + k], hi_errs[i:i + k])
                i += k
            if sel.requires_grad and any(w > 0 for w in weights):
                w = torch.tensor(weights, dtype=sel.dtype, device=device)
                (g,) = torch.autograd.grad(sel, x, w, allow_unused=True)
                if g is not None:
                    acc.index_add_(0, rows, g)
        flat_ties += probe.flat_ties
    if split is not None:
        probe_x = torch.zeros_like(x_in).requires_grad_(True)
        with torch.enable_grad(), CastMode(F64):
            (acc,) = torch.autograd.grad(first(probe_x), probe_x, acc)
        direction = direction_in
    attributions = (direction * acc).reshape(segments, *shape).sum(0)
    regions = [0] * n
    breakpoints: list[list[list[float]]] = [[] for _ in range(n)]
    for tr, found in enumerate(walk.found):
        e = tr % n
        regions[e] += len(found)
        cuts = sorted({t for lo, hi in found for t in (lo, hi) if 0.0 < t < 1.0})
        breakpoints[e].append(cuts)
    if flat_ties:
        warnings.warn(
            f"{flat_ties} kink argument(s) sat exactly at their kink on a piece of the "
            "path; the gradient there follows a fixed convention (relu'(0) = 0, the first "
            "maximal entry of a max)", stacklevel=2)
    rise = _value(model, pts[-1], extra, tgt, batch_size) - \
        _value(model, pts[0], extra, tgt, batch_size)
    delta = attributions.reshape(n, -1).sum(1) - rise
    return ExactResult(attributions, delta, regions, passes, breakpoints, flat_ties, probes)


def _value(model: Callable, x: torch.Tensor, extra: tuple, tgt, batch_size: int | None
           ) -> torch.Tensor:
    """The selected output at x, in float64, chunked."""
    n = x.shape[0]
    chunk = batch_size or max(n, 1)
    parts = []
    with torch.no_grad(), CastMode(F64):
        for e0 in range(0, n, chunk):
            rows = torch.arange(e0, min(n, e0 + chunk), device=x.device)
            out = _call(model, x[rows], extra, rows, n)
            parts.append(select_output(out, tgt, rows).to(F64))
    return torch.cat(parts)
