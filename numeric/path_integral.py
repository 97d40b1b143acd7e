"""One path integrator for attributions to any tensor of a network: the input or a layer's output.

Split a network at a layer, F = G(H(x)), and take the straight path gamma(t) = x' + t (x - x').
:func:`layer_path_integral` returns, per example and for every unit j of the layer at once,

    sum_p w_p * dG/dH_j(H(gamma(t_p))) * D_v H_j(gamma(t_p))

over the points (t_p, w_p) of a :class:`Grid`: a quadrature rule of :mod:`numeric.quadrature`,
or the activation regions of a piecewise-linear network (:func:`exact_grid`, midpoint and
length of every region, where the integrand is constant). With v = x - x' this is the
conductance IG_{*,j} of Lundstrom, Huang & Razaviyayn (2022), eq. 6; with v = x - x' masked to a
patch S it is the patch attribution IG_{S,j} (eq. 7); with no layer (H the identity) it is
integrated gradients, computed by integrated gradients' own quadrature core
(:func:`numeric.integrated.segment_gradient_sum`, on this grid). The directional
derivative D_v H comes from forward-mode AD (one forward with tangents up to the layer, then
one forward and backward through G), so one pass gives the whole layer;
``derivative="finite_difference"`` uses the paper's difference quotient instead (sec. 6.2),
so its error can be seen. :func:`flow_path_integral` gives the neuron flow IG_{i,j} (eq. 4)
of chosen units, one backward through H per pass. Step sums are accumulated in float64
whatever the model's dtype.

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

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch.autograd.forward_ad as fwad

from ._torch import torch
from .errors import ArgumentError
from .integrated import segment_gradient_sum
from .quadrature import quadrature_rule
from .targets import select_output

nn = torch.nn

__all__ = [
    "DERIVATIVES",
    "Grid",
    "exact_grid",
    "flow_path_integral",
    "kink_grid",
    "layer_output_shape",
    "layer_path_integral",
    "model_outputs",
    "quadrature_grid",
    "resolve_layer",
]

#: how the directional derivative of the layer along the path is taken
DERIVATIVES = ("jvp", "finite_difference")


@dataclass(frozen=True)
class Grid:
    """The points of a path integral over [0, 1], for all examples at once: point p belongs to
    example ``example[p]``, sits at ``t[p]`` and has weight ``weight[p]`` (float64)."""

    example: torch.Tensor
    t: torch.Tensor
    weight: torch.Tensor

    def __len__(self) -> int:
        return int(self.t.shape[0])


def quadrature_grid(n: int, method: str, steps: int, device: torch.device | str) -> Grid:
    """The nodes and weights of a quadrature rule, repeated for ``n`` examples.

    >>> g = quadrature_grid(2, "riemann_trapezoid", 3, "cpu")
    >>> g.example.tolist(), g.t.tolist(), g.weight.tolist()
    ([0, 0, 0, 1, 1, 1], [0.0, 0.5, 1.0, 0.0, 0.5, 1.0], [0.25, 0.5, 0.25, 0.25, 0.5, 0.25])
    """
    rule = quadrature_rule(method)
    nodes, weights = rule.tensors(rule.check_steps(steps), torch.float64, device)
    example = torch.arange(n, device=device).repeat_interleave(nodes.shape[0])
    return Grid(example, nodes.repeat(n), weights.repeat(n))


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
    examples, ts, ws = [], [], []
    for e, per_segment in enumerate(walk.breakpoints):
        cuts = [0.0, *sorted(float(b) for b in per_segment[0]), 1.0]
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            if hi > lo:
                examples.append(e)
                ts.append(0.5 * (lo + hi))
                ws.append(hi - lo)
    device = end.device
    return Grid(torch.tensor(examples, dtype=torch.long, device=device),
                torch.tensor(ts, dtype=torch.float64, device=device),
                torch.tensor(ws, dtype=torch.float64, device=device))


_KINK_MODULES = (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.ReLU6, nn.Hardtanh, nn.MaxPool1d,
                 nn.MaxPool2d)


def _pattern_hook(store: list):
    """A forward hook appending, per row, which branch each kink of the module takes."""
    import torch.nn.functional as F

    def hook(module, inputs, output):
        z = inputs[0].detach()
        if isinstance(module, (nn.MaxPool1d, nn.MaxPool2d)):
            pool = F.max_pool1d if isinstance(module, nn.MaxPool1d) else F.max_pool2d
            _, idx = pool(z, module.kernel_size, module.stride, module.padding, module.dilation,
                          module.ceil_mode, return_indices=True)
            store.append(idx.reshape(z.shape[0], -1))
        elif isinstance(module, nn.Hardtanh):  # ReLU6 too
            store.append(((z > module.min_val).long() + (z > module.max_val).long())
                         .reshape(z.shape[0], -1))
        else:
            store.append((z > 0).long().reshape(z.shape[0], -1))

    return hook


def kink_grid(model: nn.Module, start: torch.Tensor, end: torch.Tensor, method: str,
              steps: int, scan: int = 256, tol: float = 1e-13,
              batch_size: int | None = None) -> Grid:
    """A quadrature rule on each smooth piece of every straight segment start -> end.

    The pieces end where a ReLU-like layer or a max-pool window of ``model`` switches branch
    (ReLU, leaky ReLU, PReLU, ReLU6/hardtanh, MaxPool1d/2d modules; kinks computed in a
    forward function are not seen). Switches are located by sampling ``scan`` + 1 equally
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
    if not isinstance(model, nn.Module):
        raise ArgumentError("splitting at kinks needs an nn.Module (its ReLU and max-pool "
                            "modules are watched)")
    store: list = []
    handles = [m.register_forward_hook(_pattern_hook(store)) for m in model.modules()
               if isinstance(m, _KINK_MODULES)]
    n = end.shape[0]
    d = end - start
    view = (-1,) + (1,) * (end.dim() - 1)
    size = batch_size or 65536

    def patterns(e: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        rows = []
        for p0 in range(0, len(t), size):
            store.clear()
            ee, tt = e[p0:p0 + size], t[p0:p0 + size]
            model(start[ee] + tt.to(end.dtype).view(view) * d[ee])
            rows.append(torch.cat(store, dim=1) if store else
                        torch.zeros(len(tt), 0, dtype=torch.long, device=end.device))
        return torch.cat(rows)

    try:
        with torch.no_grad():
            ts = torch.linspace(0.0, 1.0, scan + 1, dtype=torch.float64, device=end.device)
            e_all = torch.arange(n, device=end.device).repeat_interleave(scan + 1)
            pat = patterns(e_all, ts.repeat(n)).reshape(n, scan + 1, -1)
            changed = (pat[:, 1:] != pat[:, :-1]).any(2)
            work = [(int(e), float(ts[k]), float(ts[k + 1])) for e, k in changed.nonzero()]
            cuts: list[list[float]] = [[] for _ in range(n)]
            while work:
                ex = torch.tensor([w[0] for w in work], device=end.device)
                lo = torch.tensor([w[1] for w in work], dtype=torch.float64, device=end.device)
                hi = torch.tensor([w[2] for w in work], dtype=torch.float64, device=end.device)
                p_lo = patterns(ex, lo)
                while float((hi - lo).max()) > tol:
                    mid = 0.5 * (lo + hi)
                    p_mid = patterns(ex, mid)
                    left = (p_mid == p_lo).all(1)  # the first switch is right of mid
                    lo = torch.where(left, mid, lo)
                    hi = torch.where(left, hi, mid)
                # the switch is in [lo, hi]; more switches remain where hi's pattern is not the
                # pattern at the end of the original interval
                ends = torch.tensor([w[2] for w in work], dtype=torch.float64, device=end.device)
                p_end = patterns(ex, ends)
                p_after = patterns(ex, hi)
                nxt = []
                for i, (e, _, b) in enumerate(work):
                    cuts[e].append(float(hi[i]))
                    if float(hi[i]) < b and not bool((p_after[i] == p_end[i]).all()):
                        nxt.append((e, float(hi[i]), b))
                work = nxt
    finally:
        for h in handles:
            h.remove()
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
    """Raised by a hook to end a forward pass once the layer's output is known."""


class _Tap:
    """A forward hook on the layer. Modes: "jvp" keeps the output's tangent and hands the rest
    of the network a fresh leaf; "leaf" does the same without tangents; "stop" records the
    output and ends the pass; "flow" keeps the output with its graph and hands on a leaf."""

    def __init__(self, module: nn.Module | None, label: str) -> None:
        self.module = module
        self.label = label
        self.mode = "leaf"
        self.calls = 0
        self.value: torch.Tensor | None = None
        self.tangent: torch.Tensor | None = None
        self.leaf: torch.Tensor | None = None

    def hook(self, module: nn.Module, inputs: tuple, output: object):
        self.calls += 1
        if self.calls > 1:
            raise ArgumentError(f"layer {self.label} runs more than once in one forward pass; "
                                "choose a layer that runs once (give a shared module its own "
                                "instance per use)")
        if not isinstance(output, torch.Tensor):
            raise ArgumentError(f"layer {self.label} returns {type(output).__name__}, not a "
                                "tensor; choose a layer whose output is one tensor")
        if self.mode == "stop":
            self.value = fwad.unpack_dual(output).primal.detach()
            raise _Stop
        if self.mode == "flow":
            self.value = output
            self.leaf = output.detach().requires_grad_(True)
            return self.leaf
        primal, tangent = fwad.unpack_dual(output)
        self.tangent = torch.zeros_like(primal) if tangent is None else tangent.detach()
        self.leaf = primal.detach().requires_grad_(True)
        return self.leaf

    def run(self, model: Callable, x: torch.Tensor, mode: str) -> torch.Tensor | None:
        """Run ``model`` on ``x`` with the tap in ``mode``; the model's output (None: stopped)."""
        self.mode, self.calls = mode, 0
        self.value = self.tangent = self.leaf = None
        if self.module is None:  # the layer is the input itself
            if mode == "stop":
                self.value = fwad.unpack_dual(x).primal.detach()
                return None
            primal, tangent = fwad.unpack_dual(x)
            self.tangent = torch.zeros_like(primal) if tangent is None else tangent
            if mode == "flow":
                self.value = x
                self.leaf = x.detach().requires_grad_(True)
            else:
                self.leaf = primal.detach().requires_grad_(True)
            return model(self.leaf)
        handle = self.module.register_forward_hook(self.hook)
        try:
            out = model(x)
        except _Stop:
            return None
        finally:
            handle.remove()
        if self.calls == 0:
            raise ArgumentError(f"layer {self.label} did not run in the forward pass; choose a "
                                "layer the model calls")
        return out


def layer_output_shape(model: Callable, layer: nn.Module | str | None,
                       example: torch.Tensor) -> tuple[int, ...]:
    """The shape of one example's output of ``layer`` (one forward on ``example[:1]``).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.Tanh())
    >>> layer_output_shape(net, "1", torch.zeros(2, 1, 5, 5))
    (3, 3, 3)
    """
    name, module = resolve_layer(model, layer)
    tap = _Tap(module, name)
    with torch.no_grad():
        tap.run(model, example[:1], "stop")
    return tuple(tap.value.shape[1:])


def model_outputs(model: Callable, x: torch.Tensor, target, batch_size: int | None = None
                  ) -> torch.Tensor:
    """F(x) for the (normalised) target, one float64 value per example, without gradients.

    >>> import torch
    >>> model_outputs(lambda x: 2 * x, torch.tensor([[1.0], [3.0]]), None).tolist()
    [2.0, 6.0]
    """
    n = x.shape[0]
    size = n if batch_size is None else batch_size
    parts = []
    with torch.no_grad():
        for e0 in range(0, n, size):
            rows = torch.arange(e0, min(n, e0 + size), device=x.device)
            parts.append(select_output(model(x[e0:e0 + size]), target, rows).double())
    return torch.cat(parts)


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


def layer_path_integral(model: Callable, layer: nn.Module | str | None, start: torch.Tensor,
                        end: torch.Tensor, target, grid: Grid,
                        direction: torch.Tensor | None = None, batch_size: int | None = None,
                        derivative: str = "jvp", fd_step: float | None = None) -> torch.Tensor:
    """sum_p w_p dG/dH(H(gamma(t_p))) * D_v H(gamma(t_p)) per example, in float64, shaped
    (N, *layer output shape): the conductance of every unit of ``layer`` when ``direction``
    v is None (v = end - start), the patch attribution when v is end - start masked to a patch.

    ``target`` is already normalised (:func:`numeric.targets.normalize_target`).
    ``derivative="finite_difference"`` replaces D_v H by Lundstrom, Huang & Razaviyayn's
    (2022, sec. 6.2) quotient ||v|| (H(gamma + h v/||v||) - H(gamma)) / h with h = ``fd_step``.
    """
    name, module = resolve_layer(model, layer)
    if derivative not in DERIVATIVES:
        raise ArgumentError(f"unknown derivative {derivative!r}; choose one of "
                            f"{', '.join(DERIVATIVES)}")
    d = end - start
    v = d if direction is None else direction
    if module is None and derivative == "jvp":
        # the input itself: D_v H = v, and the sum is integrated gradients' own quadrature
        (g,) = segment_gradient_sum(model, (start,), (end,), target, grid.t, grid.weight,
                                    batch_size, example=grid.example)
        return g * v.double()
    tap = _Tap(module, name)
    acc: torch.Tensor | None = None
    n = end.shape[0]
    view = (-1,) + (1,) * (end.dim() - 1)
    if derivative == "finite_difference":
        if fd_step is None or not fd_step > 0:
            raise ArgumentError(f"fd_step must be a positive number, got {fd_step!r}")
        norms = v.reshape(n, -1).double().norm(dim=1)
    for part in _chunks(grid, batch_size):
        e = grid.example[part]
        t = grid.t[part].to(end.dtype).view(view)
        w = grid.weight[part]
        points = start[e] + t * d[e]
        with torch.enable_grad():
            if derivative == "jvp":
                with fwad.dual_level():
                    out = fwad.unpack_dual(tap.run(model, fwad.make_dual(points, v[e]),
                                                   "jvp")).primal
                # the backward runs outside the dual level (G's graph holds no dual tensors,
                # as the tap hands it a plain leaf)
                (g,) = torch.autograd.grad(select_output(out, target, e).sum(), tap.leaf)
                tangent = tap.tangent.double()
            else:
                out = tap.run(model, points, "leaf")
                sel = select_output(out, target, e)
                (g,) = torch.autograd.grad(sel.sum(), tap.leaf)
                h0 = tap.leaf.detach().double()
                norm = norms[e]
                safe = torch.where(norm > 0, norm, 1.0)
                step = (fd_step / safe).to(end.dtype).view(view)
                with torch.no_grad():
                    tap.run(model, points + step * v[e], "stop")
                tangent = (tap.value.double() - h0) * (norm / fd_step).view(
                    (-1,) + (1,) * (h0.dim() - 1))
        term = g.double() * tangent * w.view((-1,) + (1,) * (g.dim() - 1))
        if acc is None:
            acc = torch.zeros((n, *term.shape[1:]), dtype=torch.float64, device=end.device)
        acc.index_add_(0, e, term)
    return acc


def flow_path_integral(model: Callable, layer: nn.Module | str | None, start: torch.Tensor,
                       end: torch.Tensor, target, grid: Grid, unit_mask: torch.Tensor,
                       batch_size: int | None = None) -> torch.Tensor:
    """Neuron flow: per example, (x - x') * sum_p w_p grad_x [sum_j m_j dG/dH_j H_j](gamma(t_p))
    with the bracketed weights dG/dH_j held fixed, in float64, shaped like the inputs;
    ``unit_mask`` (one example's layer shape) picks the units j (several: their sum).
    """
    name, module = resolve_layer(model, layer)
    d = end - start
    tap = _Tap(module, name)
    acc = torch.zeros(end.shape, dtype=torch.float64, device=end.device)
    view = (-1,) + (1,) * (end.dim() - 1)
    mask = unit_mask.unsqueeze(0)
    for part in _chunks(grid, batch_size):
        e = grid.example[part]
        t = grid.t[part].to(end.dtype).view(view)
        points = (start[e] + t * d[e]).requires_grad_(True)
        with torch.enable_grad():
            out = tap.run(model, points, "flow")
            sel = select_output(out, target, e)
            (g,) = torch.autograd.grad(sel.sum(), tap.leaf)
            (gx,) = torch.autograd.grad((tap.value * (g.detach() * mask)).sum(), points,
                                        allow_unused=True)
        if gx is None:
            continue
        acc.index_add_(0, e, gx.double() * grid.weight[part].view(view))
    return acc * d.double()

