"""The one path integrator: every path attribution here (integrated gradients, polyline paths,
conductance, patch attributions, neuron flow, layer IG) is a weighted sum over a grid of points.

A :class:`Grid` holds, for all examples at once, points p on straight segments
gamma(t) = start + t (end - start): the example ``example[p]`` whose segment it is on, its
``t[p]`` in [0, 1], and its weight (a column per rule: ``weight`` is (P,) or (P, k), float64).
Grids come from a quadrature rule (:func:`quadrature_grid`), the activation regions of a
piecewise-linear network (:func:`exact_grid`, midpoint and length of each region), a rule on
every smooth piece between kinks (:func:`kink_grid`), or the adaptive integrator
(:mod:`numeric.adaptive`, Gauss-Kronrod pieces with ``slot`` = the piece a point belongs to).

:func:`path_integral` evaluates one integrand at every point, in passes of at most
``batch_size`` points, and adds w_p * integrand(p) into a float64 accumulator row ``slot[p]``
(default: the example). The integrand is chosen by the layer tap:

- ``layer=None``: the gradient of the target output with respect to each input tensor (integrated
  gradients and path attributions multiply it by end - start);
- a layer, ``along="input"``: dG/dH(H(gamma)) * D_v H(gamma) for every unit of the layer,
  F = G(H(x)), with v = end - start or ``direction`` (conductance IG_{*,j}, Lundstrom, Huang &
  Razaviyayn (2022) eq. 6; patch attribution IG_{S,j}, eq. 7); D_v H by forward-mode AD, or
  ``derivative="finite_difference"`` for the paper's difference quotient (sec. 6.2);
- a layer and ``unit_mask``: grad_x [sum_j m_j dG/dH_j H_j](gamma) with dG/dH held fixed (neuron
  flow IG_{i,j}, eq. 4, once multiplied by end - start);
- a layer, ``along="layer"``: the gradient with respect to the layer's output when that output is
  replaced by H(start) + t (H(end) - H(start)) and the model runs on ``end`` (layer integrated
  gradients, as Captum's LayerIntegratedGradients; multiply by H(end) - H(start), see
  :func:`layer_values`).

The input's points are made by one interpolation (:func:`interpolate`); for the gradient
integrands they come from an autograd function whose backward reduces the per-point gradients
into the float64 accumulator block by block, so the weighted sum over thousands of float32 points
loses no more than one float32 rounding per gradient, and no gradient the size of all points is
kept. ``additional_forward_args`` are passed after the inputs (tensors with N rows taken row by
row with their point's example).

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
>>> net = net.double()
>>> x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
>>> grid = quadrature_grid(1, "gausslegendre", 20, x.device)
>>> cond = layer_path_integral(net, net[1], torch.zeros_like(x), x, None, grid)
>>> bool(abs(cond.sum() - (net(x) - net(torch.zeros_like(x))).sum()) < 1e-12)
True
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch.autograd.forward_ad as fwad

from ._torch import quiet_forward_ad, torch
from .errors import ArgumentError
from .quadrature import quadrature_rule
from .targets import extra_rows, model_outputs, select_output

nn = torch.nn

__all__ = [
    "ALONG",
    "DERIVATIVES",
    "Grid",
    "exact_grid",
    "flow_path_integral",
    "forward_points",
    "interpolate",
    "kink_grid",
    "layer_output_shape",
    "layer_path_integral",
    "layer_values",
    "model_outputs",
    "path_integral",
    "quadrature_grid",
    "resolve_layer",
]

#: how the directional derivative of the layer along the path is taken
DERIVATIVES = ("jvp", "finite_difference")
#: which path a layer tap integrates along: the input's straight path, or the layer's own
ALONG = ("input", "layer")

#: float64 elements of one block of the backward's reduction (bounds its float64 copy)
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class Grid:
    """The points of a path integral over [0, 1], for all examples at once: point p belongs to
    example ``example[p]``, sits at ``t[p]`` and has weight ``weight[p]`` (float64; shape (P,)
    or (P, k) for k rules on the same points). Its weighted integrand is added to accumulator
    row ``slot[p]`` of ``slots`` (default: the example's row).

    >>> g = Grid(torch.tensor([0, 0]), torch.tensor([0.25, 0.75], dtype=torch.float64),
    ...          torch.tensor([0.5, 0.5], dtype=torch.float64))
    >>> len(g), g.columns, g.rows(3)
    (2, 1, 3)
    """

    example: torch.Tensor
    t: torch.Tensor
    weight: torch.Tensor
    slot: torch.Tensor | None = None
    slots: int | None = None

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def columns(self) -> int:
        """How many weight columns (rules) the grid carries."""
        return 1 if self.weight.dim() == 1 else int(self.weight.shape[1])

    def rows(self, n: int) -> int:
        """The accumulator's rows: ``slots``, or the ``n`` examples."""
        return n if self.slot is None else int(self.slots)

    def part(self, p: slice) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(example, t, weight (P, k), slot) of the points ``p``."""
        w = self.weight[p]
        return (self.example[p], self.t[p], w.view(w.shape[0], -1),
                self.example[p] if self.slot is None else self.slot[p])


def quadrature_grid(n: int, method: str, steps: int, device: torch.device | str) -> Grid:
    """The nodes and weights of a quadrature rule, repeated for ``n`` examples (step-major).

    >>> g = quadrature_grid(2, "riemann_trapezoid", 3, "cpu")
    >>> g.example.tolist(), g.t.tolist(), g.weight.tolist()
    ([0, 1, 0, 1, 0, 1], [0.0, 0.0, 0.5, 0.5, 1.0, 1.0], [0.25, 0.25, 0.5, 0.5, 0.25, 0.25])
    """
    rule = quadrature_rule(method)
    nodes, weights = rule.tensors(rule.check_steps(steps), torch.float64, device)
    example = torch.arange(n, device=device).repeat(nodes.shape[0])
    return Grid(example, nodes.repeat_interleave(n), weights.repeat_interleave(n))


def exact_grid(model: nn.Module, start: torch.Tensor, end: torch.Tensor, target,
               batch_size: int | None = None) -> Grid:
    """Midpoints and lengths of the activation regions a piecewise-linear ``model`` crosses on
    each straight segment start -> end (found by :func:`numeric.exact_path_attribution`).

    On a region every pre-activation is affine in t, so any integrand built from the network's
    local Jacobians (conductance, patch attribution, neuron flow) is constant there, and the
    midpoint rule on the regions is exact.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()).double()
    >>> with torch.no_grad():
    ...     _ = net[0].weight.fill_(1.0); _ = net[0].bias.fill_(-1.0)
    >>> g = exact_grid(net, torch.zeros(1, 1), torch.full((1, 1), 4.0), None)
    >>> g.t.tolist(), g.weight.tolist()
    ([0.125, 0.625], [0.25, 0.75])
    """
    from .exact import exact_path_attribution

    walk = exact_path_attribution(model, [start, end], target=target, batch_size=batch_size)
    return regions_grid([per_segment[0] for per_segment in walk.breakpoints], end.device)


def regions_grid(cuts: list[list[float]], device: torch.device | str) -> Grid:
    """The midpoint and length of every piece of [0, 1] between the sorted ``cuts[e]`` of each
    example e (the exact rule for an integrand constant on each piece).

    >>> g = regions_grid([[0.25], []], "cpu")
    >>> g.example.tolist(), g.t.tolist(), g.weight.tolist()
    ([0, 0, 1], [0.125, 0.625, 0.5], [0.25, 0.75, 1.0])
    """
    examples, ts, ws = [], [], []
    for e, inner in enumerate(cuts):
        edges = [0.0, *sorted(float(b) for b in inner), 1.0]
        for lo, hi in zip(edges[:-1], edges[1:], strict=False):
            if hi > lo:
                examples.append(e)
                ts.append(0.5 * (lo + hi))
                ws.append(hi - lo)
    return Grid(torch.tensor(examples, dtype=torch.long, device=device),
                torch.tensor(ts, dtype=torch.float64, device=device),
                torch.tensor(ws, dtype=torch.float64, device=device))


def interpolate(start: torch.Tensor, direction: torch.Tensor, example: torch.Tensor,
                t: torch.Tensor) -> torch.Tensor:
    """The points start[e_p] + t_p direction[e_p], in start's dtype (the one interpolation).

    >>> interpolate(torch.zeros(1, 2), torch.ones(1, 2), torch.tensor([0, 0]),
    ...             torch.tensor([0.5, 1.0], dtype=torch.float64)).tolist()
    [[0.5, 0.5], [1.0, 1.0]]
    """
    view = (-1,) + (1,) * (start.dim() - 1)
    return torch.addcmul(start[example], t.to(start.dtype).view(view), direction[example])


def kink_grid(model: nn.Module, start: torch.Tensor, end: torch.Tensor, method: str,
              steps: int, scan: int = 256, tol: float = 1e-13,
              batch_size: int | None = None) -> Grid:
    """A quadrature rule on each smooth piece of every straight segment start -> end.

    The pieces end where a kink operation of ``model`` switches branch (any operation of the
    exact walk's catalogue, in modules or in a forward function: :mod:`numeric.branches`).
    Switches are located by sampling ``scan`` + 1 equally
    spaced points and bisecting every interval whose branch pattern changed, to ``tol`` in t;
    a pair of switches that cancel between two samples is missed. On smooth pieces
    (tanh, sigmoid, softmax between the kinks) Gauss-Legendre converges fast again, where
    over the whole segment it converges only algebraically.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()).double()
    >>> with torch.no_grad():
    ...     _ = net[0].weight.fill_(1.0); _ = net[0].bias.fill_(-1.0)
    >>> x = torch.full((1, 1), 4.0, dtype=torch.float64)
    >>> g = kink_grid(net, torch.zeros_like(x), x, "riemann_middle", 1)   # kink at t = 1/4
    >>> [round(v, 12) for v in g.t.tolist()], [round(v, 12) for v in g.weight.tolist()]
    ([0.125, 0.625], [0.25, 0.75])
    """
    from .branches import BranchFingerprint

    fp = BranchFingerprint()
    n = end.shape[0]
    size = batch_size or 65536

    def patterns(e: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        forward_points(model, Grid(e, t, torch.zeros_like(t)), start, end, batch_size=size,
                       watch=fp.watch)
        return fp.take()

    ts = torch.linspace(0.0, 1.0, scan + 1, dtype=torch.float64, device=end.device)
    e_all = torch.arange(n, device=end.device).repeat_interleave(scan + 1)
    pat = patterns(e_all, ts.repeat(n)).reshape(n, scan + 1)
    changed = pat[:, 1:] != pat[:, :-1]
    work = [(int(e), float(ts[k]), float(ts[k + 1])) for e, k in changed.nonzero()]
    cuts: list[list[float]] = [[] for _ in range(n)]
    while work:
        ex = torch.tensor([w[0] for w in work], device=end.device)
        lo = torch.tensor([w[1] for w in work], dtype=torch.float64, device=end.device)
        hi = torch.tensor([w[2] for w in work], dtype=torch.float64, device=end.device)
        p_lo = patterns(ex, lo)
        while float((hi - lo).max()) > tol:
            mid = 0.5 * (lo + hi)
            left = patterns(ex, mid) == p_lo  # the first switch is right of mid
            lo = torch.where(left, mid, lo)
            hi = torch.where(left, hi, mid)
        # the switch is in [lo, hi]; more switches remain where hi's pattern is not the
        # pattern at the end of the original interval
        ends = torch.tensor([w[2] for w in work], dtype=torch.float64, device=end.device)
        same = patterns(ex, hi) == patterns(ex, ends)
        nxt = []
        for i, (e, _, b) in enumerate(work):
            cuts[e].append(float(hi[i]))
            if float(hi[i]) < b and not bool(same[i]):
                nxt.append((e, float(hi[i]), b))
        work = nxt
    nodes, weights = quadrature_rule(method).tensors(quadrature_rule(method).check_steps(steps),
                                                     torch.float64, end.device)
    examples, tss, wss = [], [], []
    for e in range(n):
        edges = [0.0, *sorted(set(cuts[e])), 1.0]
        for lo_, hi_ in zip(edges[:-1], edges[1:]):
            if hi_ > lo_:
                examples.append(torch.full((len(nodes),), e, dtype=torch.long,
                                           device=end.device))
                tss.append(lo_ + (hi_ - lo_) * nodes)
                wss.append((hi_ - lo_) * weights)
    return Grid(torch.cat(examples), torch.cat(tss), torch.cat(wss))


# ----------------------------------------------------------------------------- the layer


def resolve_layer(model: Callable, layer: nn.Module | str | None) -> tuple[str, nn.Module | None]:
    """(dotted name, module) of ``layer`` in ``model``; ("", None) for None (the input itself).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    >>> resolve_layer(net, "1")[0], resolve_layer(net, net[0])[0]
    ('1', '0')
    >>> try:
    ...     resolve_layer(net, "2")
    ... except ArgumentError as exc:
    ...     print(exc)
    no layer named '2' in the model; its layers are: 0, 1
    """
    if layer is None:
        return "", None
    if not isinstance(model, nn.Module):
        if isinstance(layer, nn.Module):  # a module of a model run by a function (a bound
            return type(layer).__name__, layer  # method): the tap says if it never runs
        raise ArgumentError("a layer can only be chosen in an nn.Module model; wrap the "
                            "callable in an nn.Module or pass layer=None for the input")
    named = dict(model.named_modules())
    if isinstance(layer, str):
        if layer in named and layer != "":
            return layer, named[layer]
        names = [n for n in named if n]
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise ArgumentError(f"no layer named {layer!r} in the model; its layers are: {shown}")
    if isinstance(layer, nn.Module):
        for name, mod in named.items():
            if mod is layer:
                if name == "":
                    raise ArgumentError("layer is the whole model; choose one of its layers "
                                        "(its output is the model's output)")
                return name, mod
        raise ArgumentError(f"layer {type(layer).__name__} is not a submodule of the model; "
                            "pass the module object from the model or its dotted name")
    raise ArgumentError(f"layer must be a module of the model, its dotted name, or None, got "
                        f"{type(layer).__name__}")


class _Stop(Exception):
    """Raised by a hook to end a forward pass once the layers' values are known."""


class _Tap:
    """Forward hooks on one layer or several (``module`` a module, a list of modules, or None
    for the input itself), on their outputs or, with ``to_input``, on the positional
    arguments they receive (forward pre-hooks).

    Per layer i, ``values[i]``, ``tangents[i]`` and ``leaves[i]`` are tuples (one entry per
    tensor the layer gives; ``is_tuple[i]`` says whether there are several, as Captum returns
    them); ``value``, ``tangent`` and ``leaf`` are the first layer's. Modes: "stop" records
    the values (detached) and ends the pass once every layer has run; "record" records them
    and goes on; "live" keeps them in the graph and changes nothing ("cut": and ends the pass
    once every layer has run); "jvp" keeps each
    value's tangent and hands the rest of the network a fresh leaf ("leaf": the same, for a
    pass without tangents); "flow" keeps the values with their graph and hands on leaves;
    "replace" hands on ``replacement[i]`` (a tuple per layer) instead."""

    def __init__(self, module: nn.Module | list | None, label: str = "",
                 to_input: bool = False) -> None:
        self.modules = module if isinstance(module, list) else [module]
        self.label = label
        self.to_input = to_input
        self.mode = "leaf"
        self.replacement: list[tuple] = []
        self._reset()

    def _reset(self) -> None:
        k = len(self.modules)
        self.calls = [0] * k
        self.values: list[tuple | None] = [None] * k
        self.tangents: list[tuple | None] = [None] * k
        self.leaves: list[tuple | None] = [None] * k
        self.is_tuple: list[bool] = [False] * k

    @property
    def value(self) -> tuple | None:
        return self.values[0]

    @property
    def tangent(self) -> tuple | None:
        return self.tangents[0]

    @property
    def leaf(self) -> tuple | None:
        return self.leaves[0]

    def _name(self, i: int) -> str:
        if len(self.modules) == 1 and self.label:
            return self.label
        return type(self.modules[i]).__name__

    def _tensors(self, i: int, obj) -> tuple[tuple, list[int]]:
        where = "input" if self.to_input else "output"
        if isinstance(obj, torch.Tensor):
            return (obj,), [0]
        if isinstance(obj, (tuple, list)):
            pos = [k for k, o in enumerate(obj) if isinstance(o, torch.Tensor)]
            if pos and (self.to_input or len(pos) == len(obj)):
                return tuple(obj[k] for k in pos), pos
        raise ArgumentError(f"layer {self._name(i)} {where} is {type(obj).__name__}"
                            f"{' with entries that are not tensors' if obj else ''}; choose a "
                            f"layer whose {where} is a tensor or a tuple of tensors")

    def _hook(self, i: int, obj):
        self.calls[i] += 1
        if self.calls[i] > 1:
            raise ArgumentError(f"layer {self._name(i)} runs more than once in one forward "
                                "pass; choose a layer that runs once (give a shared module its "
                                "own instance per use)")
        tensors, pos = self._tensors(i, obj)
        self.is_tuple[i] = len(tensors) > 1
        new = self._swap(i, tensors)
        if new is None:
            return None
        if isinstance(obj, torch.Tensor):
            return new[0]
        out = list(obj)
        for k, t in zip(pos, new, strict=True):
            out[k] = t
        return type(obj)(out) if isinstance(obj, tuple) else out

    def _swap(self, i: int, tensors: tuple) -> tuple | None:
        """What the rest of the network gets instead of ``tensors`` (None: the same)."""
        if self.mode in ("stop", "record"):
            self.values[i] = tuple(fwad.unpack_dual(t).primal.detach() for t in tensors)
            if self.mode == "stop" and all(v is not None for v in self.values):
                raise _Stop
            return None
        if self.mode in ("live", "cut"):
            self.values[i] = tensors
            if self.mode == "cut" and all(v is not None for v in self.values):
                raise _Stop
            return None
        if self.mode == "replace":
            new = tuple(self.replacement[i])
            if len(new) != len(tensors) or any(a.shape != b.shape
                                               for a, b in zip(new, tensors, strict=True)):
                raise ArgumentError(f"layer {self._name(i)} gives values of shapes "
                                    f"{[tuple(t.shape) for t in tensors]} here but "
                                    f"{[tuple(t.shape) for t in new]} at the path's ends")
            return new
        if self.mode == "flow":
            self.values[i] = tensors
            new = tuple(t.detach().requires_grad_(True) for t in tensors)
        else:  # jvp, leaf
            parts = [fwad.unpack_dual(t) for t in tensors]
            self.tangents[i] = tuple(torch.zeros_like(p.primal) if p.tangent is None
                                     else p.tangent.detach() for p in parts)
            new = tuple(p.primal.detach().requires_grad_(True) for p in parts)
        self.leaves[i] = new
        return new

    def run(self, model: Callable, xs: tuple, args: tuple, mode: str) -> torch.Tensor | None:
        """Run ``model(*xs, *args)`` with the taps in ``mode``; the output (None: stopped)."""
        self.mode = mode
        self._reset()
        if self.modules == [None]:  # the layer is the input itself
            self.calls[0] = 1
            self.is_tuple[0] = len(xs) > 1
            try:
                new = self._swap(0, tuple(xs))
            except _Stop:
                return None
            return model(*(xs if new is None else new), *args)
        handles = []
        for i, m in enumerate(self.modules):
            if self.to_input:
                handles.append(m.register_forward_pre_hook(lambda _, a, i=i: self._hook(i, a)))
            else:
                handles.append(m.register_forward_hook(lambda _, a, o, i=i: self._hook(i, o)))
        try:
            out = model(*xs, *args)
        except _Stop:
            return None
        finally:
            for h in handles:
                h.remove()
        for i, c in enumerate(self.calls):
            if c == 0:
                raise ArgumentError(f"layer {self._name(i)} did not run in the forward pass; "
                                    "choose a layer the model calls")
        return out


def _as_tuple(x) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def layer_values(model: Callable, layer: nn.Module | str | None, inputs, extra: tuple = (),
                 batch_size: int | None = None, to_input: bool = False
                 ) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """The output of ``layer`` at ``inputs`` (a tensor or a tuple), without gradients, chunked
    to ``batch_size`` examples; ``inputs`` itself for layer None; with ``to_input`` the
    tensors the layer receives. A tuple when the layer gives several tensors.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.Tanh())
    >>> layer_values(net, "1", torch.zeros(2, 1, 5, 5)).shape
    torch.Size([2, 3, 3, 3])
    """
    name, module = resolve_layer(model, layer)
    xs = _as_tuple(inputs)
    n = xs[0].shape[0]
    tap = _Tap(module, name, to_input)
    size = n if batch_size is None else batch_size
    parts = []
    with torch.no_grad():
        for e0 in range(0, n, size):
            rows = slice(e0, min(n, e0 + size))
            tap.run(model, tuple(x[rows] for x in xs), extra_rows(extra, n, rows), "stop")
            parts.append(tap.value)
    values = tuple(torch.cat(p) for p in zip(*parts, strict=True))
    return values if tap.is_tuple[0] else values[0]


def layer_output_shape(model: Callable, layer: nn.Module | str | None,
                       example: torch.Tensor) -> tuple[int, ...]:
    """The shape of one example's output of ``layer`` (one forward on ``example[:1]``).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.Tanh())
    >>> layer_output_shape(net, "1", torch.zeros(2, 1, 5, 5))
    (3, 3, 3)
    """
    return tuple(layer_values(model, layer, example[:1]).shape[1:])


def _chunks(grid: Grid, batch_size: int | None):
    size = len(grid) if batch_size is None else max(1, int(batch_size))
    for p0 in range(0, len(grid), size):
        yield slice(p0, min(len(grid), p0 + size))


def _as_model_dtype(model: Callable, method: str, layer: nn.Module | None, name: str):
    """For the exact grid: a float64 copy of the model (and the layer in it)."""
    if method != "exact" or not isinstance(model, nn.Module):
        return model, layer
    net = copy.deepcopy(model).to(torch.float64)
    return net, (net.get_submodule(name) if layer is not None else None)


# --------------------------------------------------------------------- the integrator


class _Interpolate(torch.autograd.Function):
    """The points a[e_p] + t_p d[e_p] (:func:`interpolate`) from a dummy float64 leaf u of shape
    (k, slots, *a.shape[1:]) whose gradient is, for every weight column c and slot s, the sum
    of w_pc g_p over the points p of slot s, reduced in float64 a block of points at a time.

    The points are made inside the graph and not saved, so they are freed as soon as the
    first layer has consumed them, and no gradient the size of all points is kept."""

    @staticmethod
    def forward(ctx, u, a, d, e, t, w, slot):  # noqa: D102
        ctx.save_for_backward(w, slot)
        ctx.shape = u.shape
        return interpolate(a, d, e, t)

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        w, slot = ctx.saved_tensors
        k, slots = ctx.shape[0], ctx.shape[1]
        rows = grad.reshape(grad.shape[0], -1)
        g = torch.zeros((k * slots, rows.shape[1]), dtype=torch.float64, device=rows.device)
        block = max(1, _BLOCK_ELEMENTS // max(1, rows.shape[1]))
        for s in range(0, rows.shape[0], block):
            blk = slice(s, s + block)
            r = rows[blk].double()
            for c in range(k):
                g.index_add_(0, slot[blk] + c * slots, r * w[blk, c, None])
        return g.reshape(ctx.shape), None, None, None, None, None, None


def _run_layers(layers: list, box: list) -> torch.Tensor:
    """Apply ``layers`` in turn to the one tensor in ``box``, holding no other reference to
    it, so that it is freed as soon as the first layer is done with it (a call
    ``model(points)`` keeps ``points`` alive until the whole forward returns)."""
    h = box.pop()
    for layer in layers:
        h = layer(h)
    return h


def _plain_sequential(model: Callable) -> bool:
    return type(model) is nn.Sequential and not (
        model._forward_hooks or model._forward_pre_hooks or model._backward_hooks)


def _accumulate(acc: torch.Tensor | None, term: torch.Tensor, w: torch.Tensor, slot: torch.Tensor,
                rows: int) -> torch.Tensor:
    """acc (k, rows, *feat) += w[:, c] * term summed per slot, in float64."""
    k = w.shape[1]
    if acc is None:
        acc = torch.zeros((k, rows, *term.shape[1:]), dtype=torch.float64, device=term.device)
    view = (-1,) + (1,) * (term.dim() - 1)
    t64 = term.double()
    for c in range(k):
        acc[c].index_add_(0, slot, t64 * w[:, c].view(view))
    return acc


def path_integral(model: Callable, grid: Grid, start, end, target, *,
                  layer: nn.Module | str | None = None, along: str = "input",
                  direction=None, unit_mask: torch.Tensor | Callable | None = None,
                  extra: tuple = (), batch_size: int | None = None, derivative: str = "jvp",
                  fd_step: float | None = None, to_input: bool = False,
                  watch: Callable[[slice], contextlib.AbstractContextManager] | None = None
                  ) -> tuple[torch.Tensor, ...]:
    """sum_p weight[p] * integrand(gamma_{example[p]}(t[p])) per accumulator row, in float64.

    ``start`` and ``end`` are tensors (N, ...) or tuples of them (a model of several inputs),
    ``target`` already normalised (:func:`numeric.targets.normalize_target`). Returns one
    float64 tensor per input tensor (the gradient integrands) or per tensor the layer gives
    (its units), shaped (rows, *features), or (k, rows, *features) when the grid's weight has k
    columns; rows = ``grid.rows(N)``. With ``to_input`` the layer's value is what it receives
    (its positional tensor arguments), not its output. The integrand (see the module
    docstring):

    - ``layer=None``: grad_x F;
    - ``layer`` with ``along="input"``: dG/dH * D_v H, v = ``direction`` or end - start
      (``derivative`` "jvp" or "finite_difference" with step ``fd_step`` in input space);
    - ``layer`` and ``unit_mask`` (one example's layer shape): grad_x [sum_j m_j dG/dH_j H_j];
      ``unit_mask`` may instead be a function ``(H, dG/dH) -> tensor`` (tuples of the layer's
      tensors) whose sum is differentiated, dG/dH held fixed;
    - ``layer`` with ``along="layer"``: dF/dH with H replaced by H(start) + t (H(end) -
      H(start)), the model run on ``end``.

    ``watch(part)``, if given, is entered around the forward pass over the points ``part``
    (the adaptive integrator records there which branch each kink takes).

    >>> import torch
    >>> F = lambda x: (x ** 2).sum(1)
    >>> grid = Grid(torch.tensor([0, 1, 1]), torch.tensor([0.5, 0.5, 0.25], dtype=torch.float64),
    ...             torch.ones(3, dtype=torch.float64))
    >>> path_integral(F, grid, torch.zeros(2, 1), torch.ones(2, 1), None)[0].tolist()
    [[1.0], [1.5]]
    """
    starts, ends = _as_tuple(start), _as_tuple(end)
    name, module = resolve_layer(model, layer)
    if derivative not in DERIVATIVES:
        raise ArgumentError(f"unknown derivative {derivative!r}; choose one of "
                            f"{', '.join(DERIVATIVES)}")
    if along not in ALONG:
        raise ArgumentError(f"unknown path {along!r}; choose one of {', '.join(ALONG)}")
    n = ends[0].shape[0]
    rows = grid.rows(n)
    if len(grid) == 0:
        return tuple(torch.zeros((grid.columns, rows, *x.shape[1:]) if grid.weight.dim() > 1
                                 else (rows, *x.shape[1:]), dtype=torch.float64,
                                 device=x.device) for x in ends)
    watch = watch or (lambda part: contextlib.nullcontext())
    tap = _Tap(module, name, to_input)
    if module is None or unit_mask is not None or along == "layer":
        acc = _gradient_integral(model, grid, starts, ends, target, tap, along,
                                 unit_mask, extra, batch_size, watch)
    else:
        acc = _conductance_integral(model, grid, starts, ends, target, tap, direction, extra,
                                    batch_size, derivative, fd_step, watch)
    if grid.weight.dim() == 1:
        acc = tuple(a[0] for a in acc)
    return acc


def forward_points(model: Callable, grid: Grid, start, end, *,
                   layer: nn.Module | str | None = None, along: str = "input",
                   extra: tuple = (), batch_size: int | None = None, to_input: bool = False,
                   watch: Callable[[slice], contextlib.AbstractContextManager] | None = None
                   ) -> None:
    """Run the model's forward, without gradients, at the grid's points as
    :func:`path_integral` would with the same ``layer`` and ``along`` (inside ``watch(part)``);
    for the branch fingerprints of the adaptive integrator."""
    starts, ends = _as_tuple(start), _as_tuple(end)
    name, module = resolve_layer(model, layer)
    n = ends[0].shape[0]
    watch = watch or (lambda part: contextlib.nullcontext())
    tap = _Tap(module, name, to_input)
    paths = _paths(model, tap, starts, ends, along, None, extra, batch_size)
    with torch.no_grad():
        for part in _chunks(grid, batch_size):
            e, t, _, _ = grid.part(part)
            pts = [interpolate(a, d, e, t) for a, d in paths]
            args = extra_rows(extra, n, e)
            with watch(part):
                if along == "layer" and module is not None:
                    tap.replacement = [tuple(pts)]
                    tap.run(model, tuple(x[e] for x in ends), args, "replace")
                else:
                    model(*pts, *args)


def _paths(model, tap: _Tap, starts: tuple, ends: tuple, along: str, unit_mask, extra: tuple,
           batch_size) -> tuple:
    """(start, end - start) of every straight path integrated: the inputs', or for
    ``along="layer"`` the layer's own, from its value at the starts to that at the ends."""
    if along == "layer" and tap.modules != [None] and unit_mask is None:
        layer = tap.modules[0]
        lo = _as_tuple(layer_values(model, layer, starts, extra, batch_size, tap.to_input))
        hi = _as_tuple(layer_values(model, layer, ends, extra, batch_size, tap.to_input))
        return tuple((a, b - a) for a, b in zip(lo, hi, strict=True))
    return tuple((a, b - a) for a, b in zip(starts, ends, strict=True))


def _grads(output: torch.Tensor, wrt: tuple) -> tuple:
    """Gradients of ``output`` with respect to ``wrt``, zeros for the tensors it does not use."""
    gs = torch.autograd.grad(output, wrt, allow_unused=True)
    return tuple(torch.zeros_like(w) if g is None else g for g, w in zip(gs, wrt, strict=True))


def _gradient_integral(model, grid: Grid, starts: tuple, ends: tuple, target, tap: _Tap,
                       along: str, unit_mask, extra: tuple, batch_size, watch) -> tuple:
    """The gradient integrands (layer None, neuron flow, layer path), reduced through
    :class:`_Interpolate` into (k, rows, *features) float64 sums."""
    n = ends[0].shape[0]
    rows = grid.rows(n)
    k = grid.columns
    module = tap.modules[0]
    paths = _paths(model, tap, starts, ends, along, unit_mask, extra, batch_size)
    plain = module is None and unit_mask is None and len(ends) == 1 and not extra \
        and _plain_sequential(model)
    acc = None
    for part in _chunks(grid, batch_size):
        e, t, w, slot = grid.part(part)
        us = [torch.zeros((k, rows, *a.shape[1:]), dtype=torch.float64, device=a.device,
                          requires_grad=True) for a, _ in paths]
        args = extra_rows(extra, n, e)
        with torch.enable_grad(), watch(part):
            box = [_Interpolate.apply(u, a, d, e, t, w.to(torch.float64), slot)
                   for u, (a, d) in zip(us, paths, strict=True)]
            if plain:
                out = _run_layers(list(model), box)
            elif module is None and unit_mask is None:
                out = model(*[box.pop(0) for _ in range(len(box))], *args)
            elif along == "layer" and unit_mask is None:
                tap.replacement = [tuple(box)]
                box = []
                out = tap.run(model, tuple(x[e] for x in ends), args, "replace")
            else:
                xs = [box.pop(0) for _ in range(len(box))]
                out = tap.run(model, tuple(xs), args, "flow")
            sel = select_output(out, target, e)
            if unit_mask is not None:
                gs = tuple(g.detach() for g in _grads(sel.sum(), tap.leaf))
                if callable(unit_mask):
                    sel = unit_mask(tap.value, gs)
                else:
                    sel = tap.value[0] * (gs[0] * unit_mask.unsqueeze(0))
            grads = _grads(sel.sum(), tuple(us))
        acc = grads if acc is None else [a + g for a, g in zip(acc, grads, strict=True)]
    return tuple(acc)


def _conductance_integral(model, grid: Grid, starts: tuple, ends: tuple, target, tap: _Tap,
                          direction, extra: tuple, batch_size, derivative: str, fd_step,
                          watch) -> tuple:
    """dG/dH * D_v H per point, accumulated into (k, rows, *shape) in float64 for every tensor
    the layer gives."""
    n = ends[0].shape[0]
    rows = grid.rows(n)
    ds = tuple(b - a for a, b in zip(starts, ends, strict=True))
    vs = ds if direction is None else _as_tuple(direction)
    if derivative == "finite_difference":
        if fd_step is None or not fd_step > 0:
            raise ArgumentError(f"fd_step must be a positive number, got {fd_step!r}")
        if len(ends) > 1:
            raise ArgumentError("the finite-difference derivative takes one input tensor; use "
                                "derivative='jvp' for a model of several inputs")
        norms = vs[0].reshape(n, -1).double().norm(dim=1)
    else:
        quiet_forward_ad()
    acc = None
    for part in _chunks(grid, batch_size):
        e, t, w, slot = grid.part(part)
        points = tuple(interpolate(a, d, e, t) for a, d in zip(starts, ds, strict=True))
        args = extra_rows(extra, n, e)
        with torch.enable_grad(), watch(part):
            if derivative == "jvp":
                with fwad.dual_level():
                    duals = tuple(fwad.make_dual(p, v[e]) for p, v in zip(points, vs,
                                                                         strict=True))
                    out = fwad.unpack_dual(tap.run(model, duals, args, "jvp")).primal
                # the backward runs outside the dual level (G's graph holds no dual tensors,
                # as the tap hands it plain leaves)
                gs = _grads(select_output(out, target, e).sum(), tap.leaf)
                tangents = tuple(tan.double() for tan in tap.tangent)
            else:
                out = tap.run(model, points, args, "leaf")
                gs = _grads(select_output(out, target, e).sum(), tap.leaf)
                h0 = tuple(h.detach().double() for h in tap.leaf)
                norm = norms[e]
                safe = torch.where(norm > 0, norm, 1.0)
                step = (fd_step / safe).to(ends[0].dtype).view((-1,) + (1,) *
                                                                (ends[0].dim() - 1))
                with torch.no_grad():
                    tap.run(model, (points[0] + step * vs[0][e],), args, "stop")
                tangents = tuple((h1.double() - h) * (norm / fd_step).view(
                    (-1,) + (1,) * (h.dim() - 1)) for h1, h in zip(tap.value, h0, strict=True))
        terms = [g.double() * tan for g, tan in zip(gs, tangents, strict=True)]
        acc = [_accumulate(None if acc is None else acc[i], term, w, slot, rows)
               for i, term in enumerate(terms)]
    return tuple(acc)


def layer_path_integral(model: Callable, layer: nn.Module | str | None, start: torch.Tensor,
                        end: torch.Tensor, target, grid: Grid,
                        direction: torch.Tensor | None = None, batch_size: int | None = None,
                        derivative: str = "jvp", fd_step: float | None = None) -> torch.Tensor:
    """sum_p w_p dG/dH(H(gamma(t_p))) * D_v H(gamma(t_p)) per example, in float64, shaped
    (N, *layer output shape): the conductance of every unit of ``layer`` when ``direction``
    v is None (v = end - start), the patch attribution when v is end - start masked to a patch;
    for layer None (H the identity) integrated gradients. A front of :func:`path_integral`.
    """
    if layer is None and derivative == "jvp":
        v = end - start if direction is None else direction
        (g,) = path_integral(model, grid, start, end, target, batch_size=batch_size)
        return g * v.double()
    (acc,) = path_integral(model, grid, start, end, target, layer=layer, direction=direction,
                           batch_size=batch_size, derivative=derivative, fd_step=fd_step)
    return acc


def flow_path_integral(model: Callable, layer: nn.Module | str | None, start: torch.Tensor,
                       end: torch.Tensor, target, grid: Grid, unit_mask: torch.Tensor,
                       batch_size: int | None = None) -> torch.Tensor:
    """Neuron flow: per example, (x - x') * sum_p w_p grad_x [sum_j m_j dG/dH_j H_j](gamma(t_p))
    with the bracketed weights dG/dH_j held fixed, in float64, shaped like the inputs;
    ``unit_mask`` (one example's layer shape) picks the units j (several: their sum). A front
    of :func:`path_integral`.
    """
    (g,) = path_integral(model, grid, start, end, target, layer=layer,
                         unit_mask=unit_mask.to(end.device), batch_size=batch_size)
    return g * (end - start).double()
