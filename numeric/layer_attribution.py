"""Captum-shaped layer and neuron attributions: ``LayerIntegratedGradients``,
``LayerConductance``, ``NeuronConductance`` and ``NeuronIntegratedGradients``.

The constructors, ``attribute`` arguments and return forms are Captum 0.9's (Kokhlikyan et al.
(2020)), so switching is a change of import. What each computes, for a network F = G(H(x))
split at ``layer`` and the straight path gamma(t) = x' + t (x - x'):

- :class:`LayerIntegratedGradients`: integrated gradients (Sundararajan, Taly & Yan (2017)) of
  the network as a function of the layer's value, along the straight line from H(x') to H(x),
  the rest of the network fed the inputs x (as Captum does). It is
  :func:`numeric.integrated_gradients` of that function, so the rules, ``method="exact"``,
  the float64 step sums and the chunking are integrated gradients' own. The inputs may be
  integer token ids (the layer is then usually the embedding).
- :class:`LayerConductance`: the conductance of every unit j of the layer (Dhamdhere,
  Sundararajan & Yan (2019)), int dG/dH_j(H(gamma)) d/dt H_j(gamma) dt, with d/dt H taken by
  forward-mode AD (exact; Captum takes a difference of H between steps, an error of order 1/n).
- :class:`NeuronConductance`: the conductance through one unit j attributed to the input
  features, (x_i - x'_i) int dG/dH_j dH_j/dx_i dt (the neuron flow of Lundstrom, Huang &
  Razaviyayn (2022), eq. 4).
- :class:`NeuronIntegratedGradients`: integrated gradients of the unit's value H_j.

Every weighted sum over the steps is accumulated in float64, and each pass holds at most
``internal_batch_size`` path points, so memory does not grow with ``n_steps``. Layers whose
output (or, with ``attribute_to_layer_input``, input) is a tuple of tensors give a tuple of
attributions; a list of layers (LayerIntegratedGradients) gives a list.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
>>> x = torch.tensor([[1.0, -1.0]])
>>> attr, delta = LayerConductance(net, net[1]).attribute(x, return_convergence_delta=True)
>>> attr.shape, bool(delta.abs().max() < 1e-5)
(torch.Size([1, 2]), True)
"""

from __future__ import annotations

from collections.abc import Callable

import torch.autograd.forward_ad as fwad

from ._torch import torch
from .arguments import check_batch_size, format_extra, format_point
from .captum_classes import AttributionArgumentError, NoFutures
from .captum_classes import _captum_errors as captum_errors  # the one AssertionError twin map
from .errors import ArgumentError, DimensionError
from .integrated import integrated_gradients
from .path_integral import Grid, quadrature_grid
from .targets import normalize_target, select_output

nn = torch.nn

__all__ = [
    "LayerConductance",
    "LayerIntegratedGradients",
    "NeuronConductance",
    "NeuronIntegratedGradients",
]


# ------------------------------------------------------------------------------ the hooks


class _Stop(Exception):
    """Raised by a hook to end a forward pass once the layers' values are known."""


def _label(layer: nn.Module) -> str:
    return type(layer).__name__


class _Taps:
    """Forward hooks (or, for a layer's input, forward pre-hooks) on several layers.

    ``value[i]`` is the tuple of tensors layer i outputs (or receives as positional
    arguments), ``is_tuple[i]`` whether there are several (results then are tuples).
    Modes: "record" keeps the values (detached); "replace" hands the rest of the network
    ``self.replacement[i]`` instead; "jvp" keeps each value's tangent and hands on a fresh
    leaf; "flow" keeps the values in the graph and hands on fresh leaves; "live" keeps the
    values in the graph and changes nothing; "stop" does the same and ends the pass once
    every layer has run."""

    def __init__(self, layers: list[nn.Module], to_input: bool) -> None:
        self.layers = layers
        self.to_input = to_input
        self.mode = "record"
        self.replacement: list[tuple] = []
        self.reset()

    def reset(self) -> None:
        self.calls = [0] * len(self.layers)
        self.value: list[tuple | None] = [None] * len(self.layers)
        self.is_tuple: list[bool] = [False] * len(self.layers)
        self.tangent: list[tuple | None] = [None] * len(self.layers)
        self.leaf: list[tuple | None] = [None] * len(self.layers)

    def _tensors(self, i: int, obj) -> tuple[tuple, bool, list[int]]:
        """(tensors, whether a tuple, their positions in obj)."""
        where = "input" if self.to_input else "output"
        if isinstance(obj, torch.Tensor):
            return (obj,), False, [0]
        if isinstance(obj, (tuple, list)):
            pos = [k for k, o in enumerate(obj) if isinstance(o, torch.Tensor)]
            if not pos:
                raise ArgumentError(f"layer {_label(self.layers[i])} has no tensor {where}")
            if not self.to_input and len(pos) != len(obj):
                raise ArgumentError(f"layer {_label(self.layers[i])} returns a tuple with "
                                    "entries that are not tensors; choose a layer whose "
                                    "output is a tensor or a tuple of tensors")
            return tuple(obj[k] for k in pos), True, pos
        raise ArgumentError(f"layer {_label(self.layers[i])} {where} is "
                            f"{type(obj).__name__}, not a tensor")

    def _hook(self, i: int, obj):
        self.calls[i] += 1
        if self.calls[i] > 1:
            raise ArgumentError(f"layer {_label(self.layers[i])} runs more than once in one "
                                "forward pass; choose a layer that runs once (give a shared "
                                "module its own instance per use)")
        tensors, is_tuple, pos = self._tensors(i, obj)
        self.is_tuple[i] = len(tensors) > 1  # Captum: a tuple of one is one tensor
        if self.mode == "record":
            self.value[i] = tuple(fwad.unpack_dual(t).primal.detach() for t in tensors)
            return None
        if self.mode in ("live", "stop"):
            self.value[i] = tensors
            if self.mode == "stop" and all(v is not None for v in self.value):
                raise _Stop
            return None
        if self.mode == "replace":
            new = self.replacement[i]
            if len(new) != len(tensors):
                raise ArgumentError(f"layer {_label(self.layers[i])} gave {len(tensors)} "
                                    f"tensors here but {len(new)} at the inputs")
        elif self.mode == "jvp":
            parts = [fwad.unpack_dual(t) for t in tensors]
            self.tangent[i] = tuple(torch.zeros_like(p.primal) if p.tangent is None
                                    else p.tangent.detach() for p in parts)
            new = tuple(p.primal.detach().requires_grad_(True) for p in parts)
            self.leaf[i] = new
        else:  # flow
            self.value[i] = tensors
            new = tuple(t.detach().requires_grad_(True) for t in tensors)
            self.leaf[i] = new
        if not isinstance(obj, (tuple, list)):
            return new[0]
        out = list(obj)
        for k, t in zip(pos, new, strict=True):
            out[k] = t
        return type(obj)(out) if isinstance(obj, tuple) else out

    def run(self, model: Callable, args: tuple, mode: str):
        """``model(*args)`` with the hooks in ``mode``; the model's output (None: stopped)."""
        self.mode = mode
        self.reset()
        handles = []
        for i, layer in enumerate(self.layers):
            if self.to_input:
                handles.append(layer.register_forward_pre_hook(
                    lambda m, a, i=i: self._hook(i, a)))
            else:
                handles.append(layer.register_forward_hook(
                    lambda m, a, o, i=i: self._hook(i, o)))
        try:
            out = model(*args)
        except _Stop:
            return None
        finally:
            for h in handles:
                h.remove()
        for i, c in enumerate(self.calls):
            if c == 0:
                raise ArgumentError(f"layer {_label(self.layers[i])} did not run in the "
                                    "forward pass; choose a layer the model calls")
        return out


def _as_layers(model: Callable, layer, allow_list: bool) -> list[nn.Module]:
    items = layer if (allow_list and isinstance(layer, list)) else [layer]
    if not items:
        raise AttributionArgumentError("layer is an empty list; give one module or a list")
    for m in items:
        if not isinstance(m, nn.Module):
            kind = "a module or a list of modules" if allow_list else "a module"
            raise AttributionArgumentError(f"layer must be {kind} of the model, got "
                                           f"{type(m).__name__}")
    return list(items)


# --------------------------------------------------------------------------- the arguments


def _model_inputs(inputs) -> tuple[tuple[torch.Tensor, ...], bool]:
    """The inputs as a tuple (any dtype: token ids are inputs too), and whether a tuple."""
    items = inputs if isinstance(inputs, tuple) else (inputs,)
    if not items:
        raise ArgumentError("inputs is an empty tuple; pass a tensor or a tuple of tensors")
    for x in items:
        if not isinstance(x, torch.Tensor):
            raise ArgumentError(f"inputs must be a torch tensor of shape (N, ...) or a tuple of "
                                f"them, got {type(x).__name__}")
        if x.dim() < 1 or x.shape[0] == 0:
            raise DimensionError(f"inputs must have a batch dimension (N, ...) with N >= 1, "
                                 f"got shape {tuple(x.shape)}")
    if len({x.shape[0] for x in items}) > 1:
        raise DimensionError("the input tensors have different numbers of examples; every "
                             "tensor of the tuple needs the same N in dimension 0")
    return tuple(x.detach() for x in items), isinstance(inputs, tuple)


def _baselines(baselines, xs: tuple) -> tuple[torch.Tensor, ...]:
    if isinstance(baselines, tuple):
        if len(baselines) != len(xs):
            raise DimensionError(f"baselines is a tuple of {len(baselines)} but there are "
                                 f"{len(xs)} input tensors; give one entry per input tensor")
        items = baselines
    else:
        if isinstance(baselines, torch.Tensor) and len(xs) > 1:
            raise ArgumentError(f"baselines is one tensor but there are {len(xs)} input "
                                "tensors; pass a tuple with one baseline per input tensor")
        items = (baselines,) * len(xs)
    return tuple(format_point(b, x, "baselines").expand_as(x)
                 for b, x in zip(items, xs, strict=True))


def _rows(extra: tuple, n: int, e: torch.Tensor) -> tuple:
    """The extra forward arguments for path points of examples ``e``: tensors with N rows are
    indexed by ``e``; other objects pass as they are."""
    return tuple(a[e] if isinstance(a, torch.Tensor) and a.dim() > 0 and a.shape[0] == n else a
                 for a in extra)


def _outputs(model: Callable, xs: tuple, extra: tuple, target) -> torch.Tensor:
    """F(x) for the (normalised) target, float64 per example, without gradients."""
    with torch.no_grad():
        out = model(*xs, *extra)
    return select_output(out, target, torch.arange(xs[0].shape[0], device=xs[0].device)
                         ).double()


def _delta(model, attributions: list, xs, bases, extra, target) -> torch.Tensor:
    """sum of attributions - (F(x) - F(x')) per example, float64."""
    n = xs[0].shape[0]
    total = sum(a.detach().double().reshape(n, -1).sum(1) for a in attributions)
    return total - (_outputs(model, xs, extra, target) - _outputs(model, bases, extra, target))


def _grid(n: int, method: str, steps: int, device) -> Grid:
    if method == "exact":
        raise ArgumentError("method='exact' is not available for conductance through a "
                            "Captum-shaped class; use numeric.conductance(..., "
                            "method='exact') or a quadrature rule")
    return quadrature_grid(n, method, steps, device)


def _chunks(grid: Grid, batch_size: int | None):
    size = len(grid) if batch_size is None else batch_size
    for p0 in range(0, len(grid), size):
        yield slice(p0, min(len(grid), p0 + size))


def _grad(output: torch.Tensor, wrt: tuple, grad_kwargs: dict | None) -> tuple:
    """Gradients of ``output`` with respect to ``wrt``; zeros for tensors it does not use."""
    kw = dict(grad_kwargs or {})
    kw.pop("materialize_grads", None)
    kw.setdefault("allow_unused", True)
    gs = torch.autograd.grad(output, wrt, **kw)
    return tuple(torch.zeros_like(w) if g is None else g for g, w in zip(gs, wrt, strict=True))


def _format(values: tuple, is_tuple: bool):
    return values if is_tuple else values[0]


# ------------------------------------------------------------------------------- the classes


class _LayerMethod(NoFutures):
    """Constructor, names and flags shared by the four classes."""

    _name = ""
    _allow_list = False

    def __init__(self, forward_func: Callable, layer, device_ids=None,
                 multiply_by_inputs: bool = True) -> None:
        if not callable(forward_func):
            raise AttributionArgumentError(f"forward_func must be a model or a callable, got "
                                           f"{type(forward_func).__name__}")
        self.forward_func = forward_func
        self.layer = layer
        self.device_ids = device_ids
        self._layers = _as_layers(forward_func, layer, self._allow_list)
        self._multiply_by_inputs = bool(multiply_by_inputs)

    @classmethod
    def get_name(cls) -> str:
        """The readable name Captum's classes give."""
        return cls._name

    @property
    def multiplies_by_inputs(self) -> bool:
        """Whether attributions are multiplied by (inputs - baselines) (global attribution)."""
        return self._multiply_by_inputs


class LayerIntegratedGradients(_LayerMethod):
    """Captum's ``LayerIntegratedGradients(forward_func, layer, device_ids=None,
    multiply_by_inputs=True)``; ``layer`` a module or a list of modules.

    ``attribute(inputs, baselines, target, additional_forward_args, n_steps, method,
    internal_batch_size, return_convergence_delta, attribute_to_layer_input, grad_kwargs)``
    returns attributions shaped like the layer's output (or input): a tensor, a tuple for a
    layer of several tensors, a list for a list of layers; with ``return_convergence_delta``
    also the completeness delta per example (float64). ``inputs`` may hold integer token
    ids. ``device_ids`` (DataParallel) is accepted and not used.

    >>> import torch
    >>> emb = torch.nn.Embedding(5, 3)
    >>> model = torch.nn.Sequential(emb, torch.nn.Flatten(), torch.nn.Linear(6, 1))
    >>> ids, pad = torch.tensor([[1, 4]]), torch.tensor([[0, 0]])
    >>> attr, delta = LayerIntegratedGradients(model, emb).attribute(
    ...     ids, pad, return_convergence_delta=True)
    >>> attr.shape, bool(delta.abs().max() < 1e-6)   # a linear head: IG is exact
    (torch.Size([1, 2, 3]), True)
    """

    _name = "Layer Integrated Gradients"
    _allow_list = True

    def has_convergence_delta(self) -> bool:
        """True: layer IG has a completeness delta."""
        return True

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps: int = 50, method: str = "gausslegendre",
                  internal_batch_size: int | None = None,
                  return_convergence_delta: bool = False,
                  attribute_to_layer_input: bool = False, grad_kwargs: dict | None = None):
        """Layer integrated gradients (see the class docstring)."""
        with captum_errors():
            xs, _ = _model_inputs(inputs)
            bases = _baselines(baselines, xs)
            extra = format_extra(additional_forward_args)
            check_batch_size(internal_batch_size)
            taps = _Taps(self._layers, bool(attribute_to_layer_input))
            with torch.no_grad():
                taps.run(self.forward_func, (*xs, *extra), "record")
                at_x = list(taps.value)
                shapes = list(taps.is_tuple)
                taps.run(self.forward_func, (*bases, *extra), "record")
                at_base = list(taps.value)
            counts = [len(v) for v in at_x]
            for i, (vx, vb) in enumerate(zip(at_x, at_base, strict=True)):
                if len(vb) != len(vx) or any(a.shape != b.shape for a, b in zip(vx, vb)):
                    raise DimensionError(f"layer {_label(self._layers[i])} has a different "
                                         "shape at the inputs and at the baselines")
                for v in vx:
                    if not v.dtype.is_floating_point:
                        raise ArgumentError(
                            f"layer {_label(self._layers[i])} gives {v.dtype} values, which "
                            "cannot be interpolated; choose a layer with floating-point "
                            "values (for token ids: the embedding's output, not its input)")
            flat_x = tuple(v for vs in at_x for v in vs)
            flat_base = tuple(v for vs in at_base for v in vs)
            k = len(flat_x)
            model = self.forward_func

            def through_layer(*args):
                # the network with the layers' values replaced by args[:k], fed the inputs
                cut = 0
                taps.replacement = []
                for c in counts:
                    taps.replacement.append(args[cut:cut + c])
                    cut += c
                return taps.run(model, args[k:], "replace")

            attr = integrated_gradients(
                through_layer, flat_x, flat_base, target, n_steps, method,
                internal_batch_size, additional_forward_args=(*xs, *extra),
                multiply_by_inputs=self._multiply_by_inputs)
            per_layer, cut = [], 0
            for c, is_tuple in zip(counts, shapes, strict=True):
                per_layer.append(_format(tuple(attr[cut:cut + c]), is_tuple))
                cut += c
            result = per_layer if isinstance(self.layer, list) else per_layer[0]
            if not return_convergence_delta:
                return result
            tgt = normalize_target(target, xs[0].shape[0], xs[0].device)
            delta = _delta(model, list(attr), xs, bases, extra, tgt)
        return result, delta


class LayerConductance(_LayerMethod):
    """Captum's ``LayerConductance(forward_func, layer, device_ids=None)``.

    ``attribute(inputs, baselines, target, additional_forward_args, n_steps, method,
    internal_batch_size, return_convergence_delta, attribute_to_layer_input, grad_kwargs)``
    returns the conductance of every unit of the layer's output (or input), shaped like it
    (a tuple for a layer of several tensors), and with ``return_convergence_delta`` the
    completeness delta per example (float64). d/dt H is taken by forward-mode AD, so the
    only error is the quadrature rule's.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False),
    ...                           torch.nn.Linear(1, 1, bias=False))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.fill_(1.0); _ = net[1].weight.fill_(2.0)
    >>> LayerConductance(net, net[0]).attribute(torch.tensor([[1.0, 2.0]]), n_steps=1,
    ...                                         method="riemann_middle")
    tensor([[6.]])
    """

    _name = "Layer Conductance"

    def __init__(self, forward_func: Callable, layer: nn.Module, device_ids=None) -> None:
        super().__init__(forward_func, layer, device_ids, True)

    def has_convergence_delta(self) -> bool:
        """True: conductance has a completeness delta."""
        return True

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps: int = 50, method: str = "gausslegendre",
                  internal_batch_size: int | None = None,
                  return_convergence_delta: bool = False,
                  attribute_to_layer_input: bool = False, grad_kwargs: dict | None = None):
        """Layer conductance (see the class docstring)."""
        with captum_errors():
            xs, bases, extra, tgt = _float_setup(inputs, baselines, additional_forward_args,
                                                 target)
            batch = check_batch_size(internal_batch_size)
            grid = _grid(xs[0].shape[0], method, n_steps, xs[0].device)
            taps = _Taps(self._layers, bool(attribute_to_layer_input))
            acc, is_tuple = _conductance_sum(self.forward_func, taps, xs, bases, extra, tgt,
                                             grid, batch, grad_kwargs)
            attr = tuple(a.to(t.dtype) for a, t in zip(acc, taps.leaf[0], strict=True))
            result = _format(attr, is_tuple)
            if not return_convergence_delta:
                return result
            delta = _delta(self.forward_func, list(acc), xs, bases, extra, tgt)
        return result, delta


def _float_setup(inputs, baselines, additional_forward_args, target):
    xs, _ = _model_inputs(inputs)
    for x in xs:
        if not x.dtype.is_floating_point:
            raise ArgumentError(f"inputs must be floating-point tensors to interpolate, got "
                                f"{x.dtype}; for token ids attribute through the embedding "
                                "with LayerIntegratedGradients")
    bases = _baselines(baselines, xs)
    extra = format_extra(additional_forward_args)
    tgt = normalize_target(target, xs[0].shape[0], xs[0].device)
    return xs, bases, extra, tgt


def _points(xs, bases, grid: Grid, part: slice):
    e = grid.example[part]
    pts = []
    for x, b in zip(xs, bases, strict=True):
        t = grid.t[part].to(x.dtype).view((-1,) + (1,) * (x.dim() - 1))
        pts.append(b[e] + t * (x[e] - b[e]))
    return e, pts


def _conductance_sum(model, taps: _Taps, xs, bases, extra, target, grid: Grid,
                     batch: int | None, grad_kwargs) -> tuple[list, bool]:
    """sum_p w_p dG/dH(H(gamma(t_p))) * D_v H(gamma(t_p)) per example and unit, float64."""
    n = xs[0].shape[0]
    acc: list | None = None
    for part in _chunks(grid, batch):
        e, pts = _points(xs, bases, grid, part)
        w = grid.weight[part]
        with torch.enable_grad():
            with fwad.dual_level():
                duals = [fwad.make_dual(p, (x - b)[e]) for p, x, b in zip(pts, xs, bases,
                                                                         strict=True)]
                out = taps.run(model, (*duals, *_rows(extra, n, e)), "jvp")
                out = fwad.unpack_dual(out).primal
            gs = _grad(select_output(out, target, e).sum(), taps.leaf[0], grad_kwargs)
        terms = [g.double() * tan.double() * w.view((-1,) + (1,) * (g.dim() - 1))
                 for g, tan in zip(gs, taps.tangent[0], strict=True)]
        if acc is None:
            acc = [torch.zeros((n, *t.shape[1:]), dtype=torch.float64, device=t.device)
                   for t in terms]
        for a, t in zip(acc, terms, strict=True):
            a.index_add_(0, e, t)
    return acc, taps.is_tuple[0]


# --------------------------------------------------------------------------------- neurons


def _selector(neuron_selector):
    """A function of the layer's value (one tensor, or a tuple) giving one value per row, and
    for index selectors the index (to pick gradients with)."""
    if callable(neuron_selector):
        return neuron_selector, None
    index = (neuron_selector,) if isinstance(neuron_selector, int) else neuron_selector
    if isinstance(neuron_selector, bool) or not isinstance(index, tuple) or not index or not all(
            isinstance(i, slice) or (isinstance(i, int) and not isinstance(i, bool))
            for i in index):
        raise ArgumentError(f"neuron_selector must be an int, a tuple of ints and slices, or "
                            f"a function of the layer's value, got {neuron_selector!r}")

    def pick(value):
        if isinstance(value, tuple):
            raise ArgumentError("the layer gives several tensors; select a neuron with a "
                                "function of the tuple, e.g. lambda x: x[0][:, 1]")
        if len(index) > value.dim() - 1:
            raise DimensionError(f"neuron_selector {neuron_selector!r} has {len(index)} "
                                 f"indices but the layer's value per example has shape "
                                 f"{tuple(value.shape[1:])}")
        try:
            chosen = value[(slice(None), *index)]
        except IndexError:
            raise ArgumentError(f"neuron_selector {neuron_selector!r} is out of range for the "
                                f"layer's shape {tuple(value.shape[1:])}") from None
        return chosen.reshape(chosen.shape[0], -1).sum(1)

    return pick, index


def _neuron_value(pick, values: tuple, is_tuple: bool, total_ok: bool = False
                  ) -> torch.Tensor:
    """The selected value per row; with ``total_ok`` a selector may also give the sum over
    the rows (a 0-d tensor, as in Captum's tests), spread evenly over them, which has the
    same gradient as long as the rows do not mix."""
    out = pick(values if is_tuple else values[0])
    rows = values[0].shape[0]
    if isinstance(out, torch.Tensor) and out.dim() == 0 and total_ok:
        return out.expand(rows) / rows
    if not isinstance(out, torch.Tensor) or out.dim() < 1 or out.shape[0] != rows:
        raise ArgumentError("neuron_selector must give one value per example (a tensor of "
                            "shape (N,))")
    return out.reshape(out.shape[0], -1).sum(1) if out.dim() > 1 else out


class NeuronConductance(_LayerMethod):
    """Captum's ``NeuronConductance(forward_func, layer, device_ids=None,
    multiply_by_inputs=True)``.

    ``attribute(inputs, neuron_selector, baselines, target, additional_forward_args, n_steps,
    method, internal_batch_size, attribute_to_neuron_input, grad_kwargs)`` returns, shaped
    like the inputs, the conductance through the selected unit: an int or a tuple of ints
    (one unit), a tuple with slices (several units: the sum of their conductances, so the
    attributions of a group are the sum of its units'), or a function of the layer's value
    that picks one unit per example (as in Captum, the same function picks its gradient).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> x = torch.tensor([[1.0, 2.0]])
    >>> nc = NeuronConductance(net, net[1]).attribute(x, 0, n_steps=100)
    >>> lc = LayerConductance(net, net[1]).attribute(x, n_steps=100)
    >>> bool(abs(nc.sum() - lc[0, 0]) < 1e-2)
    True
    """

    _name = "Neuron Conductance"

    def attribute(self, inputs, neuron_selector, baselines=None, target=None,
                  additional_forward_args=None, n_steps: int = 50,
                  method: str = "riemann_trapezoid", internal_batch_size: int | None = None,
                  attribute_to_neuron_input: bool = False, grad_kwargs: dict | None = None):
        """Neuron conductance (see the class docstring)."""
        with captum_errors():
            xs, bases, extra, tgt = _float_setup(inputs, baselines, additional_forward_args,
                                                 target)
            _, is_tuple_in = _model_inputs(inputs)
            pick, index = _selector(neuron_selector)
            batch = check_batch_size(internal_batch_size)
            grid = _grid(xs[0].shape[0], method, n_steps, xs[0].device)
            taps = _Taps(self._layers, bool(attribute_to_neuron_input))
            n = xs[0].shape[0]
            acc = [torch.zeros(x.shape, dtype=torch.float64, device=x.device) for x in xs]
            for part in _chunks(grid, batch):
                e, pts = _points(xs, bases, grid, part)
                pts = [p.detach().requires_grad_(True) for p in pts]
                with torch.enable_grad():
                    out = taps.run(self.forward_func, (*pts, *_rows(extra, n, e)), "flow")
                    gs = _grad(select_output(out, tgt, e).sum(), taps.leaf[0], grad_kwargs)
                    values, is_tuple = taps.value[0], taps.is_tuple[0]
                    if index is None:  # Captum's rule: the selector picks the gradient too
                        weight = _neuron_value(pick, tuple(g.detach() for g in gs), is_tuple)
                        flow = (weight * _neuron_value(pick, values, is_tuple)).sum()
                    else:  # sum_j dG/dH_j H_j over the selected units, dG/dH_j held fixed
                        flow = _neuron_value(pick, (values[0] * gs[0].detach(),), False).sum()
                    gx = _grad(flow, tuple(pts), grad_kwargs)
                w = grid.weight[part]
                for a, g in zip(acc, gx, strict=True):
                    a.index_add_(0, e, g.double() * w.view((-1,) + (1,) * (g.dim() - 1)))
            if self._multiply_by_inputs:
                acc = [a * (x.double() - b.double()) for a, x, b in zip(acc, xs, bases,
                                                                        strict=True)]
            attr = tuple(a.to(x.dtype) for a, x in zip(acc, xs, strict=True))
        return _format(attr, is_tuple_in)


class NeuronIntegratedGradients(_LayerMethod):
    """Captum's ``NeuronIntegratedGradients(forward_func, layer, device_ids=None,
    multiply_by_inputs=True)``.

    ``attribute(inputs, neuron_selector, baselines, additional_forward_args, n_steps, method,
    internal_batch_size, attribute_to_neuron_input)`` returns integrated gradients of the
    selected unit's value (a sum over the units for slices; any function of the layer's
    value giving one number per example), shaped like the inputs. It is
    :func:`numeric.integrated_gradients` of that value, so every rule and, for
    piecewise-linear networks, ``method="exact"`` work.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> x = torch.tensor([[1.0, 2.0]])
    >>> a = NeuronIntegratedGradients(net, net[0]).attribute(x, 1, n_steps=2)
    >>> v = net[0](x)[0, 1] - net[0](torch.zeros(1, 2))[0, 1]
    >>> bool(abs(a.sum() - v) < 1e-6)     # completeness: the unit is affine in x
    True
    """

    _name = "Neuron Integrated Gradients"

    def attribute(self, inputs, neuron_selector, baselines=None, additional_forward_args=None,
                  n_steps: int = 50, method: str = "gausslegendre",
                  internal_batch_size: int | None = None,
                  attribute_to_neuron_input: bool = False):
        """Neuron integrated gradients (see the class docstring)."""
        with captum_errors():
            pick, _ = _selector(neuron_selector)
            taps = _Taps(self._layers, bool(attribute_to_neuron_input))
            model = self.forward_func
            # the exact walk follows the whole forward; a quadrature rule stops at the layer
            mode = "live" if method == "exact" else "stop"

            def neuron(*args):
                taps.run(model, args, mode)
                return _neuron_value(pick, taps.value[0], taps.is_tuple[0], total_ok=True)

            return integrated_gradients(neuron, inputs, baselines, None, n_steps, method,
                                        internal_batch_size,
                                        additional_forward_args=additional_forward_args,
                                        multiply_by_inputs=self._multiply_by_inputs)
