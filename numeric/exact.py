"""Exact IG for piecewise-linear networks: walk the activation regions along each segment.

Along a segment gamma(t) = a + t (b - a) every pre-activation of a ReLU network is affine in
t inside an activation region, so the gradient is constant there. The walk keeps, per
example, a list of the parts of [0, 1] not yet covered. It probes the middle of one, runs one
float64 forward pass with forward-mode tangents d/dt (giving each kink's value z and slope
z') and one backward pass (giving the region's gradient), reads off the region [lo, hi]
around the probe as the nearest zeros t = m - z/z' of the kink arguments (ReLU, leaky ReLU,
hardtanh/ReLU6 thresholds, pairwise differences inside a max-pool window), and adds
(hi - lo) * gradient. Every probe finds a new region, so a segment crossing R regions costs
R passes; completeness holds to float64 rounding. Regions shorter than ``tol`` in t are
merged into a neighbour. Prior art: ExactLine (Sotoudeh and Thakur, NeurIPS 2019).

Supported layers: Linear, Conv1d/2d/3d, ConvTranspose1d/2d, BatchNorm (eval), Dropout
(eval), Flatten, Unflatten, Identity, AvgPool, AdaptiveAvgPool, padding, ReLU, LeakyReLU,
PReLU, ReLU6, Hardtanh, MaxPool1d/2d, combined with nn.Sequential and
:class:`numeric.Residual`. On a piece of the path where a unit sits exactly at its kink
(identical float64 value and slope 0), the gradient follows torch's convention (relu'(0) =
0, the first maximal entry of a max-pool window) and a warning says so.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()).double()
>>> with torch.no_grad():
...     _ = net[0].weight.fill_(1.0); _ = net[0].bias.fill_(-1.0)
>>> r = exact_path_attribution(net, [torch.zeros(1, 1), torch.full((1, 1), 3.0)])
>>> r.attributions.tolist(), r.regions
([[2.0]], [2])
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch.autograd.forward_ad as fwad
import torch.nn.functional as F

from ._torch import torch
from .errors import ArgumentError, IntegrationError, UnsupportedFunctionError
from .layers import Residual
from .targets import TargetSpec, normalize_target, select_output

nn = torch.nn

__all__ = ["ExactResult", "check_piecewise_linear", "exact_path_attribution"]

_AFFINE = {
    nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d,
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
    nn.Dropout3d, nn.AlphaDropout, nn.Flatten, nn.Unflatten, nn.Identity, nn.AvgPool1d,
    nn.AvgPool2d, nn.AvgPool3d, nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d, nn.ZeroPad1d, nn.ZeroPad2d, nn.ConstantPad1d, nn.ConstantPad2d,
}
_RELU_LIKE = {nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ReLU6, nn.Hardtanh}
_MAXPOOL = {nn.MaxPool1d, nn.MaxPool2d}
_CONTAINERS = {nn.Sequential, Residual}
_TRAIN_SENSITIVE = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.Dropout, nn.Dropout1d,
                    nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
#: probe positions inside a gap, tried in turn when a kink sits exactly at the probe
_FRACTIONS = (0.5, 0.381966011250105, 0.618033988749895, 0.27, 0.73, 0.1, 0.9)


def _label(name: str, module: nn.Module) -> str:
    return f"layer {name} ({type(module).__name__})" if name else \
        f"the model ({type(module).__name__})"


def check_piecewise_linear(model: object, trusted: tuple[type, ...] = ()) -> list[nn.Module]:
    """The kink layers of ``model``; raises UnsupportedFunctionError naming the first layer the
    exact method cannot handle.

    >>> try:
    ...     check_piecewise_linear(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()))
    ... except UnsupportedFunctionError as exc:
    ...     print(exc)
    layer 1 (Tanh) is not piecewise linear; use method='gausslegendre'
    """
    if not isinstance(model, nn.Module):
        raise UnsupportedFunctionError(
            "method='exact' needs an nn.Module built from nn.Sequential, numeric.Residual and "
            "piecewise-linear layers; use method='gausslegendre' for other callables"
        )
    kinks = []
    for name, mod in model.named_modules():
        kind = type(mod)
        if kind in _RELU_LIKE or kind in _MAXPOOL:
            if kind in _MAXPOOL and (mod.ceil_mode or mod.return_indices):
                raise UnsupportedFunctionError(
                    f"{_label(name, mod)} with ceil_mode or return_indices is not supported by "
                    "method='exact'"
                )
            kinks.append(mod)
        elif kind in _AFFINE:
            if isinstance(mod, _TRAIN_SENSITIVE) and (
                    mod.training or getattr(mod, "track_running_stats", True) is False):
                raise UnsupportedFunctionError(
                    f"{_label(name, mod)} is in training mode (or keeps no running statistics), "
                    "so it is not a fixed function; call model.eval()"
                )
        elif kind in _CONTAINERS or (trusted and isinstance(mod, trusted)):
            continue
        elif next(mod.children(), None) is None:
            raise UnsupportedFunctionError(
                f"{_label(name, mod)} is not piecewise linear; use method='gausslegendre'"
                if kind.__module__.startswith("torch.nn") else
                f"{_label(name, mod)} is not a layer method='exact' knows to be piecewise "
                "linear; use method='gausslegendre'"
            )
        else:
            raise UnsupportedFunctionError(
                f"{_label(name, mod)} has its own forward, which method='exact' cannot inspect; "
                f"build the network from nn.Sequential and numeric.Residual, or pass "
                f"trusted=({kind.__name__},) if its forward only adds, scales and calls its "
                "children"
            )
    return kinks


@dataclass
class ExactResult:
    """What the walk found: attributions (float64), the completeness delta per example,
    the number of activation regions crossed per example (all segments), the forward/backward
    passes run, and per example the interior region boundaries in t of each segment."""

    attributions: torch.Tensor
    delta: torch.Tensor
    regions: list[int]
    passes: int
    breakpoints: list[list[list[float]]] = field(default_factory=list)


class _Probe:
    """Forward hooks that turn each kink layer's (value, tangent) into the region around m."""

    def __init__(self) -> None:
        self.m: torch.Tensor | None = None
        self.lo: torch.Tensor | None = None
        self.hi: torch.Tensor | None = None
        self.tie: torch.Tensor | None = None
        self.flat_ties = 0

    def reset(self, m: torch.Tensor) -> None:
        self.m = m.view(-1, 1)
        b = m.shape[0]
        self.lo = torch.full((b,), -float("inf"), dtype=m.dtype, device=m.device)
        self.hi = torch.full((b,), float("inf"), dtype=m.dtype, device=m.device)
        self.tie = torch.zeros(b, dtype=torch.bool, device=m.device)

    def _add(self, u: torch.Tensor, du: torch.Tensor, valid: torch.Tensor | None = None,
             count_flat: bool = True) -> None:
        b = u.shape[0]
        u, du = u.reshape(b, -1), du.reshape(b, -1)
        moving = du != 0
        if valid is not None:
            valid = valid.reshape(b, -1)
            moving = moving & valid
        s = torch.where(moving, self.m - u / torch.where(moving, du, 1.0), self.m)
        self.hi = torch.minimum(self.hi, torch.where(s > self.m, s, float("inf")).amin(1))
        self.lo = torch.maximum(self.lo, torch.where(s < self.m, s, -float("inf")).amax(1))
        self.tie |= ((u == 0) & moving).any(1)
        if count_flat:
            self.flat_ties += int(((u == 0) & (du == 0)).sum())

    def hook(self, module: nn.Module, inputs: tuple, output) -> None:
        primal, tangent = fwad.unpack_dual(inputs[0])
        with torch.no_grad():
            z = primal.detach()
            dz = torch.zeros_like(z) if tangent is None else tangent.detach()
            if type(module) in _MAXPOOL:
                self._maxpool(module, z, dz)
            elif isinstance(module, (nn.Hardtanh,)):  # ReLU6 is a Hardtanh
                self._add(z - module.min_val, dz)
                self._add(z - module.max_val, dz)
            else:
                self._add(z, dz)

    def _maxpool(self, module: nn.Module, z: torch.Tensor, dz: torch.Tensor) -> None:
        two_d = isinstance(module, nn.MaxPool2d)

        def pair(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

        if two_d:
            k, st = pair(module.kernel_size), pair(module.stride or module.kernel_size)
            p, dil = pair(module.padding), pair(module.dilation)
        else:
            z, dz = z.unsqueeze(-2), dz.unsqueeze(-2)
            k, st = (1, int(pair(module.kernel_size)[0])), \
                (1, int(pair(module.stride or module.kernel_size)[0]))
            p, dil = (0, int(pair(module.padding)[0])), (1, int(pair(module.dilation)[0]))
        b, c = z.shape[0], z.shape[1]
        pad = (p[1], p[1], p[0], p[0])
        vz = F.pad(z, pad, value=-float("inf"))
        vz = vz.reshape(b * c, 1, vz.shape[-2], vz.shape[-1])
        vd = F.pad(dz, pad, value=0.0).reshape(vz.shape)
        cz = F.unfold(vz, k, dilation=dil, stride=st).reshape(b, c, k[0] * k[1], -1)
        cd = F.unfold(vd, k, dilation=dil, stride=st).reshape(cz.shape)
        vmax, arg = cz.max(dim=2, keepdim=True)
        win = cd.gather(2, arg)
        finite = torch.isfinite(cz)
        self._add(torch.where(finite, vmax - cz, 1.0), win - cd, finite, count_flat=False)


def _check_tol(tol: float) -> float:
    if not (0 < tol < 1e-3):
        raise ArgumentError(f"tol must be in (0, 1e-3), got {tol!r}")
    return float(tol)


def exact_path_attribution(model: nn.Module, points: Sequence[torch.Tensor],
                           target: TargetSpec = None, batch_size: int | None = None,
                           tol: float = 1e-13, max_passes: int = 100_000,
                           trusted: tuple[type, ...] = ()) -> ExactResult:
    """Exact path attribution of a piecewise-linear ``model`` along the polyline ``points``
    (tensors of equal shape (N, ...)), computed in float64. See the module docstring.

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
    check_piecewise_linear(model, trusted)
    if len(points) < 2:
        raise ArgumentError("a path needs at least two points")
    device = points[-1].device
    net = copy.deepcopy(model).to(device=device, dtype=torch.float64)
    pts = [p.detach().to(device=device, dtype=torch.float64) for p in points]
    shape = pts[-1].shape
    for p in pts:
        if p.shape != shape:
            raise ArgumentError(f"path points have shapes {tuple(p.shape)} and {tuple(shape)}")
    n = shape[0]
    tgt = normalize_target(target, n, device)
    probe = _Probe()
    handles = [m.register_forward_hook(probe.hook) for m in
               check_piecewise_linear(net, trusted)]
    attributions = torch.zeros(shape, dtype=torch.float64, device=device)
    regions = [0] * n
    breakpoints: list[list[list[float]]] = [[] for _ in range(n)]
    passes = 0
    chunk = n if batch_size is None else max(1, batch_size)
    try:
        for a, b in zip(pts[:-1], pts[1:], strict=False):
            d = b - a
            acc = torch.zeros_like(a)
            gaps: list[list[tuple[float, float, int]]] = [[(0.0, 1.0, 0)] for _ in range(n)]
            bounds: list[list[float]] = [[] for _ in range(n)]
            while True:
                active = [e for e in range(n) if gaps[e]][:chunk]
                if not active:
                    break
                passes += 1
                if passes > max_passes:
                    raise IntegrationError(
                        f"the exact walk needed more than {max_passes} passes; raise "
                        "max_passes or use method='gausslegendre'"
                    )
                taken = [gaps[e].pop() for e in active]
                lo_gap = torch.tensor([g[0] for g in taken], dtype=torch.float64, device=device)
                hi_gap = torch.tensor([g[1] for g in taken], dtype=torch.float64, device=device)
                frac = torch.tensor([_FRACTIONS[g[2]] for g in taken], dtype=torch.float64,
                                    device=device)
                m = lo_gap + frac * (hi_gap - lo_gap)
                idx = torch.tensor(active, device=device)
                view = (-1,) + (1,) * (a.dim() - 1)
                x = (a[idx] + m.view(view) * d[idx]).requires_grad_(True)
                probe.reset(m)
                with fwad.dual_level(), torch.enable_grad():
                    out = net(fwad.make_dual(x, d[idx]))
                    primal = fwad.unpack_dual(out).primal
                    sel = select_output(primal, tgt, idx)
                    (g,) = torch.autograd.grad(sel.sum(), x)
                left = torch.where(probe.lo > lo_gap + tol, probe.lo, lo_gap)
                right = torch.where(probe.hi < hi_gap - tol, probe.hi, hi_gap)
                ok = ~probe.tie
                length = torch.where(ok, right - left, 0.0)
                acc.index_add_(0, idx, length.view(view) * g)
                for i, e in enumerate(active):
                    g0, g1, tries = taken[i]
                    if not ok[i]:
                        if tries + 1 >= len(_FRACTIONS):
                            raise IntegrationError(
                                "the exact walk kept probing exactly on a kink; use "
                                "method='gausslegendre'"
                            )
                        gaps[e].append((g0, g1, tries + 1))
                        continue
                    regions[e] += 1
                    lf, rt = float(left[i]), float(right[i])
                    if lf > g0:
                        gaps[e].append((g0, lf, 0))
                        bounds[e].append(lf)
                    if rt < g1:
                        gaps[e].append((rt, g1, 0))
                        bounds[e].append(rt)
            attributions += d * acc
            for e in range(n):
                breakpoints[e].append(sorted(set(bounds[e])))
    finally:
        for h in handles:
            h.remove()
    if probe.flat_ties:
        warnings.warn(
            f"{probe.flat_ties} kink argument(s) sat exactly at their kink on a piece of the "
            "path; the gradient there follows torch's convention (relu'(0) = 0, first maximal "
            "max-pool entry)", stacklevel=2,
        )
    with torch.no_grad():
        rows = torch.arange(n, device=device)
        f_end = select_output(net(pts[-1]), tgt, rows)
        f_start = select_output(net(pts[0]), tgt, rows)
    delta = attributions.reshape(n, -1).sum(1) - (f_end - f_start)
    return ExactResult(attributions, delta, regions, passes, breakpoints)
