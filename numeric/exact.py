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
copied or changed.

What the operation checks cannot see is caught on the result: the first pass is re-run
split and reordered (a forward that mixes its rows changes its output), F must agree at the
common end of every two regions (a comparison reaching the output as a step makes F jump:
refused by name), and the completeness gap must be within its rounding bound (else
IntegrationError, or a warning with ``on_incomplete="warn"``). A region narrower than its
ends' rounding (a ramp of slope ~1e14) is not lost: its width is taken from F's continuity.
Scripted, traced or compiled models are refused (pass the eager module). Prior art:
ExactLine (Sotoudeh & Thakur (2019)) propagates the segment layer by layer instead of probing.

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
from typing import NamedTuple

import torch.autograd.forward_ad as fwad

from proofs.shell import Progress

from ._torch import quiet_forward_ad, torch
from .errors import (
    ArgumentError,
    IntegrationError,
    NotDifferentiableError,
    UnsupportedFunctionError,
)
from .piecewise_ops import CastMode, PiecewiseMode, Probe
from .targets import TargetSpec, extra_rows, model_outputs, normalize_target, select_output

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


_EAGER = ("pass the eager module (not the output of torch.jit.script, torch.jit.trace or "
          "torch.compile): method='exact' must see each operation it runs")


def _check_eager(model: Callable) -> None:
    """Refuse scripted, traced or compiled models, whose operations the walk cannot see."""
    parts = list(model.modules()) if isinstance(model, torch.nn.Module) else [model]
    for part in parts:
        if isinstance(part, (torch.jit.ScriptModule, torch.jit.ScriptFunction)) \
                or hasattr(part, "_torchdynamo_orig_callable") \
                or type(part).__name__ == "OptimizedModule":
            raise UnsupportedFunctionError(f"{type(part).__name__} is a compiled model; "
                                           + _EAGER)


def _call(model: Callable, x: torch.Tensor, extra: tuple, rows: torch.Tensor,
          n: int) -> torch.Tensor:
    try:
        out = model(x, *extra_rows(extra, n, rows))
    except RuntimeError as exc:  # a scripted or compiled part inside a callable
        text = str(exc)
        if "TorchScript" in text or "_fw_primal" in text or "INTERNAL ASSERT" in text \
                or "dynamo" in text.lower():
            raise UnsupportedFunctionError("the model runs a scripted or compiled part; "
                                           + _EAGER) from None
        raise
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
    quiet_forward_ad()
    _check_eager(model)
    x = inputs.detach().to(F64).requires_grad_(True)
    n = x.shape[0]
    half = torch.full((n,), 0.5, dtype=F64, device=x.device)
    probe = Probe(half, torch.zeros_like(half), torch.ones_like(half), collect=True)
    extra = tuple(additional_forward_args or ())
    with fwad.dual_level(), torch.enable_grad(), PiecewiseMode(probe, model):
        out = _call(model, fwad.make_dual(x, x.detach().clone()), extra, torch.arange(n), n)
        _check_output(model, out)
    select_output(fwad.unpack_dual(out).primal, normalize_target(target, n, x.device),
                  torch.arange(n, device=x.device))
    return list(dict.fromkeys(probe.kinks))


class _Piece(NamedTuple):
    """A region [lo, hi] of a track (ends known to +-lo_err, +-hi_err) with its probe m, F
    and dF/dt there (value, slope) and F extrapolated to its ends (f_lo, f_hi)."""

    lo: float
    hi: float
    f_lo: float
    f_hi: float
    m: float
    value: float
    slope: float
    lo_err: float
    hi_err: float


class _Walk:
    """The gaps and regions of every track (one example on one segment)."""

    def __init__(self, tracks: int, tol: float) -> None:
        self.gaps: list[list[tuple[float, float]]] = [[(0.0, 1.0)] for _ in range(tracks)]
        self.found: list[list[tuple[float, float]]] = [[] for _ in range(tracks)]
        self.pieces: list[list[_Piece]] = [[] for _ in range(tracks)]
        #: widths of the slivers folded into a neighbour (each known to the rounding only)
        self.snapped = [0.0] * tracks
        #: the slivers (track, t0, t1): gaps shorter than their ends' rounding bound
        self.slivers: list[tuple[int, float, float]] = []
        #: (track, t) of the jumps a sliver's probe explained (a region narrower than the
        #: rounding of its ends, e.g. a ramp of slope 1e14)
        self.repaired: set[tuple[int, float]] = set()
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
              his: list[float], lo_errs: list[float], hi_errs: list[float],
              values: list[float], slopes: list[float]) -> list[float]:
        """Fold the regions around the probes ``ms`` (increasing) of gap (g0, g1) into the
        track; returns each probe's weight (its region's length, 0 for a repeat). The ends
        found are known to +-err (the probes' rounding bound); two computations of one
        boundary closer than their errors are the same boundary. ``values``/``slopes``: F
        and dF/dt at each probe."""
        cur, cur_err = g0, 0.0
        weights = []
        for m, lo, hi, lo_err, hi_err, v, sl in zip(ms, los, his, lo_errs, hi_errs, values,
                                                     slopes, strict=True):
            if m < cur or hi <= cur:
                weights.append(0.0)
                continue
            lo = max(lo, cur)
            if lo - cur <= self._snap(cur, lo_err + cur_err):
                self._sliver(tr, cur, lo)
                lo = cur
            else:
                self.gaps[tr].append((cur, lo))
            if g1 - hi <= self._snap(g1, hi_err):
                self._sliver(tr, hi, g1)
                hi = g1
            weights.append(hi - lo)
            self.found[tr].append((lo, hi))
            self.pieces[tr].append(_Piece(lo, hi, v + sl * (lo - m), v + sl * (hi - m), m, v,
                                          sl, self._snap(lo, lo_err), self._snap(hi, hi_err)))
            self.covered[tr] += hi - lo
            cur, cur_err = hi, hi_err
        if g1 - cur > self._snap(g1, cur_err):
            self.gaps[tr].append((cur, g1))
        else:
            self._sliver(tr, cur, g1)
        return weights

    def _sliver(self, tr: int, t0: float, t1: float) -> None:
        if t1 > t0:
            self.snapped[tr] += t1 - t0
            self.slivers.append((tr, t0, t1))

    def _snap(self, t: float, err: float) -> float:
        return max(self.tol, err, 64.0 * _EPS * max(1.0, abs(t)))

    def jumps(self, tr: int) -> list[tuple[float, float]]:
        """(t, size) of the jumps of F between adjacent regions of track ``tr`` larger than
        the rounding of the two regions' values allows (none where F is continuous), leaving
        out those a sliver's probe explained."""
        pieces = sorted(self.pieces[tr])
        out = []
        for a, b in zip(pieces[:-1], pieces[1:], strict=False):
            size = b.f_lo - a.f_hi
            steep = abs(a.slope) + abs(b.slope)
            allow = _GUARD * _EPS * (abs(a.f_hi) + abs(b.f_lo) + steep) \
                + steep * max(a.hi_err, b.lo_err)
            if abs(size) > allow and (tr, a.hi) not in self.repaired:
                out.append((a.hi, size))
        return out

    def corrections(self, tr: int) -> list[tuple[float, float, float, float]]:
        """(m, lo, hi, dw) for the regions of track ``tr`` whose width hi - lo is less
        accurate than F allows: a steep region's width is (F(hi) - F(lo)) / slope with F at
        each end taken from the flatter of the two regions meeting there (F is continuous, and
        a flat neighbour knows F at the common end to rounding whatever the end's error).
        Only corrections within the ends' rounding bounds are made; a larger mismatch is a
        jump, left to the final check."""
        pieces = sorted(self.pieces[tr])
        out = []
        for i, p in enumerate(pieces):
            if not p.slope:
                continue
            left, right = p.f_lo, p.f_hi
            if i and pieces[i - 1].hi == p.lo and (tr, p.lo) not in self.repaired \
                    and abs(pieces[i - 1].slope) < abs(p.slope):
                left = pieces[i - 1].f_hi
            if i + 1 < len(pieces) and pieces[i + 1].lo == p.hi \
                    and (tr, p.hi) not in self.repaired \
                    and abs(pieces[i + 1].slope) < abs(p.slope):
                right = pieces[i + 1].f_lo
            dw = (right - left) / p.slope - (p.hi - p.lo)
            if dw and abs(dw) <= p.lo_err + p.hi_err \
                    and abs(dw * p.slope) > 4.0 * _EPS * (abs(left) + abs(right)):
                out.append((p.m, p.lo, p.hi, dw))
        return out


#: rounding allowance of the final checks, in units of eps times the magnitudes summed
_GUARD = 1024.0
_ON_INCOMPLETE = ("raise", "warn")
_ON_TIE = ("proofs", "convention")


def _check_output(model: Callable, out: torch.Tensor) -> None:
    """Refuse an output the gradient cannot follow (computed under no_grad, or by a custom
    autograd Function)."""
    if not isinstance(out, torch.Tensor) or fwad.unpack_dual(out).tangent is None:
        return
    if not out.requires_grad:
        raise UnsupportedFunctionError(
            "the model's output was computed under torch.no_grad() or detached, so the "
            "gradient is not the derivative of the function; remove it or use "
            "method='gausslegendre'")
    if isinstance(out.grad_fn, torch.autograd.function.BackwardCFunction):
        owner = getattr(type(out.grad_fn), "_forward_cls", None)
        raise UnsupportedFunctionError(
            f"the model's output comes from the custom autograd Function "
            f"{getattr(owner, '__name__', '?')}, whose operations method='exact' cannot see; "
            "write it with torch operations or use method='gausslegendre'")


def _row_check(net: Callable, root: Callable, x: torch.Tensor, dx: torch.Tensor,
               extra: tuple, example: torch.Tensor, n: int, probe: Probe,
               value: torch.Tensor, slope: torch.Tensor) -> None:
    """Re-run a probe batch as two halves, each in reverse order, and refuse the forward if a
    row's output changes: it mixes the rows (probe points) of a batch."""
    b = x.shape[0]
    if b < 2:
        return
    h = b // 2
    order = torch.cat([torch.arange(h - 1, -1, -1), torch.arange(b - 1, h - 1, -1)]).to(
        x.device)
    vs, ts = [], []
    m, g0, g1 = probe.m[:, 0], probe.g0[:, 0], probe.g1[:, 0]
    for idx in (order[:h], order[h:]):
        pr = Probe(m[idx], g0[idx], g1[idx])
        xi = x.detach()[idx].requires_grad_(True)
        with fwad.dual_level(), torch.enable_grad(), PiecewiseMode(pr, root):
            out = _call(net, fwad.make_dual(xi, dx[idx]), extra, example[idx], n)
            p, t = fwad.unpack_dual(out)
        vs.append(p.detach())
        ts.append(torch.zeros_like(p) if t is None else t.detach())
    v, t = torch.empty_like(value), torch.empty_like(slope)
    v[order], t[order] = torch.cat(vs), torch.cat(ts)
    for new, ref in ((v, value), (t, slope)):
        scale = ref.reshape(b, -1).abs().amax(1).clamp_min(1e-300).view(
            (-1,) + (1,) * (ref.dim() - 1))
        bad = ~((new - ref).abs() <= 1e-9 * scale) & ~(new.isnan() & ref.isnan())
        if bool(bad.any()):
            raise UnsupportedFunctionError(
                "the forward mixes the rows of a batch: an example's output changes when the "
                "other rows change (e.g. .item(), x[0], a reduction over dimension 0, batch "
                "statistics); method='exact' runs its probe points as the rows of one batch, "
                "so make the forward row by row or use method='gausslegendre'")


def exact_path_attribution(model: Callable, points: Sequence[torch.Tensor],
                           target: TargetSpec = None, batch_size: int | None = None,
                           tol: float = 0.0, max_passes: int = 100_000,
                           trusted: tuple[type, ...] = (),
                           additional_forward_args: tuple | None = None,
                           on_incomplete: str = "raise", on_tie: str = "proofs") -> ExactResult:
    """Exact path attribution of a piecewise-linear ``model`` (an nn.Module or any callable)
    along the polyline ``points`` (tensors of equal shape (N, ...)), computed in float64. See
    the module docstring.

    ``batch_size``: the most probe points one forward/backward pass holds (default
    DEFAULT_PROBES); memory grows with it. ``tol``: regions shorter than this in t are merged
    into a neighbour (on top of a bound relative to the rounding of each crossing; default
    0). ``trusted`` is deprecated and ignored: the walk checks the operations the forward
    runs. ``additional_forward_args``: passed after the input (tensors with N rows are taken
    row by row with their example). ``on_incomplete``: what a failed final check does
    ("raise", the default, or "warn"): F jumping between two regions, or the completeness
    gap sum(attributions) - (F(end) - F(start)) exceeding its rounding bound. ``on_tie``:
    where branches of a kink tie in value and in slope along a piece of the path,
    ``"proofs"`` (the default) decides F's partial derivatives there from its one-sided
    derivatives along +-e_i, as :mod:`proofs.onesided` does, and raises
    NotDifferentiableError where they differ for a coordinate the path moves in;
    ``"convention"`` takes torch's branch (relu'(0) = 0, the first maximal entry) and warns.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False), torch.nn.ReLU())
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[1.0, -1.0]]))
    >>> x = torch.tensor([[2.0, 1.0]])
    >>> r = exact_path_attribution(net, [torch.zeros_like(x), x])
    >>> r.attributions.tolist(), float(r.delta[0])
    ([[2.0, -1.0]], 0.0)
    """
    quiet_forward_ad()
    tol = _check_tol(tol)
    if on_tie not in _ON_TIE:
        raise ArgumentError(f"on_tie must be one of {_ON_TIE}, got {on_tie!r}")
    if on_incomplete not in _ON_INCOMPLETE:
        raise ArgumentError(f"on_incomplete must be one of {_ON_INCOMPLETE}, got "
                            f"{on_incomplete!r}")
    if trusted:
        warnings.warn("trusted= is no longer needed and is ignored: method='exact' checks the "
                      "operations the forward runs", DeprecationWarning, stacklevel=2)
    if not callable(model):
        raise ArgumentError(f"model must be an nn.Module or a callable, got "
                            f"{type(model).__name__}")
    _check_eager(model)
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
    else:
        first, x_in, direction_in = None, start, direction
    ties = _Ties(net, model, first, x_in.shape, direction_in, extra, example, n, tgt,
                 budget=batch_size or DEFAULT_PROBES) if on_tie == "proofs" else None
    walk = _Walk(segments * n, tol)
    acc = torch.zeros_like(start)
    acc_abs = torch.zeros_like(start)          # sum of |length * gradient|: the rounding scale
    budget = batch_size or DEFAULT_PROBES
    passes = flat_ties = probes = 0
    row_checked = False         # the first pass of two rows or more is re-run (_row_check)
    bar = Progress(desc="exact walk", unit="pass")  # on a terminal only
    while True:
        plan = walk.plan(budget)
        if not plan:
            break
        passes += 1
        bar.update(1, regions=sum(map(len, walk.pieces)), probes=probes)
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
        probe, x, out, out_t = _forward(net, model, start, direction, extra, example, n,
                                        rows, ms, g0s, g1s, keep_ties=ties is not None)
        if not row_checked and len(tracks) >= 2:
            row_checked = True
            _row_check(net, model, x, direction[rows], extra, example[rows], n, probe,
                       out.detach(), out_t)
        # the backward outside the dual level: inside it, forward AD would also run on every
        # backward operation (the saved tensors are dual), three times the work
        with torch.enable_grad():
            sel = select_output(out, tgt, example[rows])
            vals = sel.detach().tolist()
            slopes = select_output(out_t, tgt, example[rows]).tolist()
            los, his = probe.lo.tolist(), probe.hi.tolist()
            lo_errs, hi_errs = probe.lo_err.tolist(), probe.hi_err.tolist()
            weights: list[float] = []
            i = 0
            for tr, g0, g1, k in plan:
                weights += walk.merge(tr, g0, g1, ms[i:i + k], los[i:i + k], his[i:i + k],
                                      lo_errs[i:i + k], hi_errs[i:i + k], vals[i:i + k],
                                      slopes[i:i + k])
                i += k
            live = ties.differences(probe, x, rows, weights) if ties is not None else None
            if sel.requires_grad and any(w > 0 for w in weights):
                w = torch.tensor(weights, dtype=sel.dtype, device=device)
                (g,) = torch.autograd.grad(sel, x, w, allow_unused=True)
                if g is not None:
                    acc.index_add_(0, rows, g)
                    acc_abs.index_add_(0, rows, g.abs())
                if live is not None:
                    ties.resolve(live, probe, x, g, rows, weights)
        flat_ties += probe.flat_ties
    bar.close()
    _repair(walk, net, model, start, direction, extra, example, n, tgt, acc, acc_abs)
    scale = (direction.abs() * acc_abs).reshape(segments, n, -1).sum((0, 2))
    if split is not None:
        probe_x = torch.zeros_like(x_in).requires_grad_(True)
        with torch.enable_grad(), CastMode(F64):
            (acc,) = torch.autograd.grad(first(probe_x), probe_x, acc)
        direction = direction_in
    if ties is not None:
        acc = acc + ties.fix
        scale = scale + (direction * ties.fix).abs().reshape(segments, n, -1).sum((0, 2))
    attributions = (direction * acc).reshape(segments, *shape).sum(0)
    regions = [0] * n
    breakpoints: list[list[list[float]]] = [[] for _ in range(n)]
    for tr, found in enumerate(walk.found):
        e = tr % n
        regions[e] += len(found)
        cuts = sorted({t for lo, hi in found for t in (lo, hi) if 0.0 < t < 1.0})
        breakpoints[e].append(cuts)
    if flat_ties and ties is None:
        warnings.warn(
            f"{flat_ties} kink argument(s) sat exactly at their kink on a piece of the "
            "path; the gradient there follows a fixed convention (relu'(0) = 0, the first "
            "maximal entry of a max)", stacklevel=2)
    with CastMode(F64):
        high = model_outputs(model, pts[-1], tgt, batch_size, extra)
        low = model_outputs(model, pts[0], tgt, batch_size, extra)
    delta = attributions.reshape(n, -1).sum(1) - (high - low)
    _final_checks(walk, n, attributions, delta, high, low, scale, on_incomplete)
    return ExactResult(attributions, delta, regions, passes, breakpoints, flat_ties, probes)


def _forward(net: Callable, model: Callable, start: torch.Tensor, direction: torch.Tensor,
             extra: tuple, example: torch.Tensor, n: int, rows: torch.Tensor,
             ms: list[float], g0s: list[float], g1s: list[float], keep_ties: bool = False):
    """One probe pass's forward: (probe, x, output, output's slope d/dt)."""
    device = start.device
    m = torch.tensor(ms, dtype=F64, device=device)
    probe = Probe(m, torch.tensor(g0s, dtype=F64, device=device),
                  torch.tensor(g1s, dtype=F64, device=device))
    probe.keep_ties = keep_ties
    view = (-1,) + (1,) * (start.dim() - 1)
    x = torch.addcmul(start[rows], m.view(view), direction[rows]).requires_grad_(True)
    with fwad.dual_level(), torch.enable_grad():
        with PiecewiseMode(probe, model):
            out = _call(net, fwad.make_dual(x, direction[rows]), extra, example[rows], n)
            _check_output(model, out)
        out, out_t = fwad.unpack_dual(out)
    out_t = torch.zeros_like(out) if out_t is None else out_t.detach()
    return probe, x, out, out_t


class _Ties:
    """F's partial derivatives where branches of a kink tie in value and in slope along a piece
    of the path (proofs' rule, :mod:`proofs.kinks` and :mod:`proofs.onesided`): a tie whose
    branches have the same gradient changes nothing; otherwise, for each coordinate x_i the
    path moves in and the tied branches differ in, F's one-sided derivatives along +e_i and
    -e_i are computed (each kink choosing its branch by value, then slope along +-e_i); where
    they agree dF/dx_i is that number, where they differ F has no partial derivative there
    and NotDifferentiableError names the coordinate and the piece. ``fix``: per track, in
    the input's coordinates, what replaces the walk's own gradient at the ties."""

    def __init__(self, net: Callable, model: Callable, first: torch.nn.Module | None,
                 in_shape: torch.Size, direction_in: torch.Tensor, extra: tuple,
                 example: torch.Tensor, n: int, tgt, budget: int) -> None:
        self.net, self.model, self.first = net, model, first
        self.in_shape = in_shape
        self.direction_in = direction_in
        self.extra, self.example, self.n, self.tgt = extra, example, n, tgt
        self.budget = max(budget, 16)
        self.fix = torch.zeros(in_shape, dtype=F64, device=direction_in.device)
        self.gen = torch.Generator(device=direction_in.device).manual_seed(20170304)

    def to_input(self, g: torch.Tensor) -> torch.Tensor:
        """Gradients (rows) with respect to the walked tensor, in the input's coordinates."""
        if self.first is None:
            return g
        px = torch.zeros((g.shape[0], *self.in_shape[1:]), dtype=F64,
                         device=g.device).requires_grad_(True)
        with torch.enable_grad(), CastMode(F64):
            (gi,) = torch.autograd.grad(self.first(px), px, g)
        return gi

    def differences(self, probe: Probe, x: torch.Tensor, rows: torch.Tensor,
                    weights: list[float]):
        """The probe rows (of tracks ``rows``) whose tied branches differ in gradient along
        a coordinate the path moves in, and per such row, in the input's coordinates, the
        gradient of a random combination of its tied branches' differences; None when there
        is none (no tie, or every tie between branches of equal gradient there). Runs
        before the pass's own backward (the graph is kept)."""
        if not probe.ties:
            return None
        total = x.new_zeros(())
        for z, flat in probe.ties:
            c = torch.rand(z.shape, generator=self.gen, dtype=F64, device=z.device) + 1.0
            total = total + torch.where(flat, z * c, 0.0).sum()
        if not total.requires_grad:
            return None
        (diff,) = torch.autograd.grad(total, x, retain_graph=True, allow_unused=True)
        probe.ties.clear()
        if diff is None:
            return None
        live = diff.flatten(1).ne(0).any(1).tolist()
        keep = [r for r, w in enumerate(weights) if w > 0 and live[r]]
        if not keep:
            return None
        diff_in = self.to_input(diff[keep])
        # only the coordinates the path moves in are decided (proofs' rule); a tie whose
        # branches differ in the others alone is settled here
        moves = self.direction_in[rows[keep]] != 0
        live = (diff_in.ne(0) & moves).flatten(1).any(1).tolist()
        if not any(live):
            return None
        pick = [j for j, v in enumerate(live) if v]
        return [keep[j] for j in pick], diff_in[pick]

    def _tangents(self, coords: list[int]) -> torch.Tensor:
        """The unit vectors e_i of the input, as tangents of the walked tensor."""
        e = torch.zeros((len(coords), *self.in_shape[1:]), dtype=F64,
                        device=self.direction_in.device)
        e.view(len(coords), -1)[torch.arange(len(coords)), torch.tensor(coords)] = 1.0
        if self.first is None:
            return e
        with torch.no_grad(), fwad.dual_level(), CastMode(F64):
            return fwad.unpack_dual(self.first(fwad.make_dual(torch.zeros_like(e), e))).tangent

    def resolve(self, live, probe: Probe, x: torch.Tensor, g: torch.Tensor | None,
                rows: torch.Tensor, weights: list[float]) -> None:
        """Replace the walk's gradient at the live ties of a pass by F's partial derivatives
        (``live`` from :meth:`differences`), or refuse where F has none."""
        keep, diff_in = live
        grad_in = self.to_input(g[keep]) if g is not None else torch.zeros_like(diff_in)
        pairs = []                                   # (row, coordinate)
        for j, r in enumerate(keep):
            d = self.direction_in[int(rows[r])].reshape(-1)
            dj = diff_in[j].reshape(-1).abs()
            big = float(dj.max())
            for i in torch.nonzero((d != 0) & (dj > 1e-12 * big)).flatten().tolist():
                pairs.append((j, r, i))
        for c0 in range(0, len(pairs), self.budget):
            chunk = pairs[c0:c0 + self.budget]
            rs = torch.tensor([r for _, r, _ in chunk for _ in (0, 1)], device=x.device)
            tan = self._tangents([i for *_, i in chunk])
            tan = torch.stack([tan, -tan], 1).reshape(-1, *tan.shape[1:])
            pr = Probe(probe.m[rs, 0], probe.g0[rs, 0], probe.g1[rs, 0])
            xr = x.detach()[rs].requires_grad_(True)
            with fwad.dual_level(), torch.enable_grad(), PiecewiseMode(pr, self.model):
                out = _call(self.net, fwad.make_dual(xr, tan), self.extra,
                            self.example[rows[rs]], self.n)
                out_t = fwad.unpack_dual(out).tangent
            ex = self.example[rows[rs]]
            slope = select_output(out_t.detach() if out_t is not None else torch.zeros_like(
                out.detach()), self.tgt, ex).tolist()
            for k, (j, r, i) in enumerate(chunk):
                plus, minus = slope[2 * k], -slope[2 * k + 1]
                w = weights[r]
                conv = float(grad_in[j].reshape(-1)[i])
                scale = abs(plus) + abs(minus) + float(grad_in[j].abs().max()) / w
                if abs(plus - minus) > 1e-9 * scale:
                    self._refuse(int(rows[r]), i, float(probe.lo[r]),
                                     float(probe.hi[r]), plus, minus)
                self.fix[int(rows[r])].view(-1)[i] += w * plus - conv

    def _refuse(self, track: int, i: int, lo: float, hi: float, plus: float,
                minus: float) -> None:
        n = self.n
        where = ""
        if len(self.in_shape) > 2:
            element = torch.unravel_index(torch.tensor(i), tuple(self.in_shape[1:]))
            where = f" (input element {tuple(int(v) for v in element)})"
        raise NotDifferentiableError(
            f"F is not differentiable along the path: dF/dx{i + 1}{where} does not exist for "
            f"t in [{lo:.6g}, {hi:.6g}] on segment {track // n} of example {track % n}, where "
            f"branches of a kink tie in value and slope; its one-sided derivatives are "
            f"{plus:.6g} (along +x{i + 1}) and {minus:.6g} (along -x{i + 1}, sign reversed)",
            "move the path off the kink or use another path, or pass on_tie='convention' "
            "(relu'(0) = 0, the first maximal entry)")


def _repair(walk: _Walk, net: Callable, model: Callable, start: torch.Tensor,
            direction: torch.Tensor, extra: tuple, example: torch.Tensor, n: int, tgt,
            acc: torch.Tensor, acc_abs: torch.Tensor) -> None:
    """Integrate the slivers where F jumps between the regions on either side: a region
    narrower than the rounding of its ends (a ramp of slope ~1e14). Its probe gives the
    gradient; its width is the jump divided by the slope dF/dt there (F is continuous), which
    the ends alone cannot give to float64 accuracy. A jump no sliver explains is left to the
    final check."""
    todo = []          # (track, m, lo, hi, weight or None: a sliver's, from its slope)
    jumps = {}
    for tr in sorted({tr for tr, _, _ in walk.slivers}):
        for t, size in walk.jumps(tr):
            for s_tr, t0, t1 in walk.slivers:
                if s_tr == tr and t0 <= t <= t1:
                    jumps[len(todo)] = (t, size)
                    walk.repaired.add((tr, t))     # (undone below if its probe disagrees)
                    todo.append((tr, 0.5 * (t0 + t1), t0, t1, None))
                    break
    for tr in range(len(walk.pieces)):
        todo += [(tr, m, lo, hi, dw) for m, lo, hi, dw in walk.corrections(tr)]
    if not todo:
        return
    rows = torch.tensor([item[0] for item in todo], device=start.device)
    _, x, out, out_t = _forward(net, model, start, direction, extra, example, n, rows,
                                [item[1] for item in todo], [item[2] for item in todo],
                                [item[3] for item in todo])
    with torch.enable_grad():
        sel = select_output(out, tgt, example[rows])
        slopes = select_output(out_t, tgt, example[rows]).tolist()
        weights = []
        for i, ((tr, _, t0, t1, dw), sl) in enumerate(zip(todo, slopes, strict=True)):
            if dw is not None:
                weights.append(dw)
                continue
            t, size = jumps[i]
            width = size / sl if sl else -1.0
            if 0.0 < width <= 2.0 * (t1 - t0) + walk._snap(t, 0.0):
                weights.append(width)
            else:
                weights.append(0.0)
                walk.repaired.discard((tr, t))
        if sel.requires_grad and any(weights):
            (g,) = torch.autograd.grad(sel, x, torch.tensor(weights, dtype=sel.dtype,
                                                            device=sel.device),
                                       allow_unused=True)
            if g is not None:
                acc.index_add_(0, rows, g)
                acc_abs.index_add_(0, rows, g.abs())


def _final_checks(walk: _Walk, n: int, attributions: torch.Tensor, delta: torch.Tensor,
                  high: torch.Tensor, low: torch.Tensor, scale: torch.Tensor,
                  on_incomplete: str) -> None:
    """Raise (or warn) where F jumps between two regions or the completeness gap exceeds its
    rounding bound: the guard on every result, for what no operation check caught."""
    problems = []
    for tr in range(len(walk.pieces)):
        for jump in walk.jumps(tr):
            problems.append(
                f"F jumps by {jump[1]:.6g} at t = {jump[0]:.17g} on segment {tr // n} of "
                f"example {tr % n}: a comparison or step function (e.g. (x > 0).double()) "
                "reaches the output other than as the selector of a continuous kink, and "
                "integrated gradients needs F continuous along the path")
            break
    if not problems:
        sizes = attributions.reshape(n, -1).abs().sum(1)
        for e in range(n):
            tracks = range(e, len(walk.pieces), n)
            slope = max((abs(p.slope) for tr in tracks for p in walk.pieces[tr]), default=0.0)
            count = sum(len(walk.pieces[tr]) for tr in tracks)
            snapped = sum(walk.snapped[tr] for tr in tracks)
            bound = _GUARD * _EPS * (count + 1) * float(
                scale[e] + sizes[e] + high[e].abs() + low[e].abs()) + 2.0 * snapped * slope
            gap = float(delta[e])
            if not abs(gap) <= bound:
                problems.append(
                    f"the completeness check failed for example {e}: the attributions sum to "
                    f"{float(delta[e] + high[e] - low[e]):.17g} but F(end) - F(start) = "
                    f"{float(high[e] - low[e]):.17g} (gap {gap:.3g}, rounding allows "
                    f"{bound:.3g}); the forward may mix the rows of a batch, bypass autograd, "
                    "jump, or have a region narrower than float64 resolves (slopes near "
                    "1/eps)")
                break
    if problems:
        if on_incomplete == "warn":
            warnings.warn(problems[0], stacklevel=3)
        else:
            raise IntegrationError(problems[0] + "; use method='gausslegendre', or "
                                   "on_incomplete='warn' to get the numbers anyway")
