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

All four run on the one path integrator (:mod:`numeric.path_integral`; the two IG classes
through :func:`numeric.integrated_gradients`), so every weighted sum over the steps is
accumulated in float64, each pass holds at most ``internal_batch_size`` path points (memory
does not grow with ``n_steps``), and ``tolerance=``, ``return_error=`` and
``max_evaluations=`` (beyond Captum) integrate to a stated accuracy
(:mod:`numeric.adaptive`). Layers whose output (or, with ``attribute_to_layer_input``, input)
is a tuple of tensors give a tuple of attributions; a list of layers
(LayerIntegratedGradients) gives a list. ``grad_kwargs`` is accepted; a tensor the output
does not use gets zero gradients (Captum's ``materialize_grads``).

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1))
>>> x = torch.tensor([[1.0, -1.0]])
>>> attr, delta = LayerConductance(net, net[1]).attribute(x, return_convergence_delta=True)
>>> attr.shape, bool(delta.abs().max() < 1e-5)
(torch.Size([1, 2]), True)
"""

from __future__ import annotations

from collections.abc import Callable

from ._torch import torch
from .adaptive import adaptive_path_integral, check_tolerance
from .arguments import check_batch_size, format_extra, format_points
from .captum_classes import AttributionArgumentError, NoFutures
from .captum_classes import _captum_errors as captum_errors  # the one AssertionError twin map
from .errors import ArgumentError, DimensionError
from .integrated import integrated_gradients
from .path_integral import _Tap, exact_grid, model_outputs, path_integral, quadrature_grid
from .targets import normalize_target

nn = torch.nn

__all__ = [
    "LayerConductance",
    "LayerIntegratedGradients",
    "NeuronConductance",
    "NeuronIntegratedGradients",
]


# ------------------------------------------------------------------------------ the layers


def _label(layer: nn.Module) -> str:
    return type(layer).__name__


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


def _delta(model, attributions, xs, bases, extra, target, batch) -> torch.Tensor:
    """sum of attributions - (F(x) - F(x')) per example, float64."""
    n = xs[0].shape[0]
    total = sum(a.detach().double().reshape(n, -1).sum(1) for a in attributions)
    return total - (model_outputs(model, xs, target, batch, extra)
                    - model_outputs(model, bases, target, batch, extra))


def _format(values: tuple, is_tuple: bool):
    return values if is_tuple else values[0]


def _accuracy(tolerance, max_evaluations, return_error: bool, method: str) -> None:
    if tolerance is not None:
        check_tolerance(tolerance, max_evaluations)
    elif return_error and method != "exact":
        raise ArgumentError("return_error=True needs tolerance= (an error estimate comes with "
                            "the adaptive integration)")


# ------------------------------------------------------------------------------- the classes


class _LayerMethod(NoFutures):
    """Constructor, names and flags shared by the four classes."""

    _name = ""
    _allow_list = False
    _has_delta = False

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

    def has_convergence_delta(self) -> bool:
        """Whether ``attribute`` can return a completeness delta (Captum's flag)."""
        return self._has_delta


class LayerIntegratedGradients(_LayerMethod):
    """Captum's ``LayerIntegratedGradients(forward_func, layer, device_ids=None,
    multiply_by_inputs=True)``; ``layer`` a module or a list of modules.

    ``attribute(inputs, baselines, target, additional_forward_args, n_steps, method,
    internal_batch_size, return_convergence_delta, attribute_to_layer_input, grad_kwargs)``
    returns attributions shaped like the layer's output (or input): a tensor, a tuple for a
    layer of several tensors, a list for a list of layers; with ``return_convergence_delta``
    also the completeness delta per example (float64). ``inputs`` may hold integer token
    ids. ``device_ids`` (DataParallel) is accepted and not used. Beyond Captum:
    ``tolerance``, ``return_error`` (the estimated error per example, appended last) and
    ``max_evaluations``, as in :func:`numeric.integrated_gradients`; ``method="exact"`` for
    piecewise-linear networks.

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
    _has_delta = True

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps: int = 50, method: str = "gausslegendre",
                  internal_batch_size: int | None = None,
                  return_convergence_delta: bool = False,
                  attribute_to_layer_input: bool = False, grad_kwargs: dict | None = None, *,
                  tolerance: float | None = None, return_error: bool = False,
                  max_evaluations: int | None = None):
        """Layer integrated gradients (see the class docstring)."""
        with captum_errors():
            xs, _ = _model_inputs(inputs)
            bases = format_points(baselines, xs, "baselines")
            extra = format_extra(additional_forward_args)
            check_batch_size(internal_batch_size)
            tap = _Tap(self._layers, "", bool(attribute_to_layer_input))
            with torch.no_grad():
                tap.run(self.forward_func, xs, extra, "record")
                at_x, shapes = list(tap.values), list(tap.is_tuple)
                tap.run(self.forward_func, bases, extra, "record")
                at_base = list(tap.values)
            counts = [len(v) for v in at_x]
            for i, (vx, vb) in enumerate(zip(at_x, at_base, strict=True)):
                if len(vb) != len(vx) or any(a.shape != b.shape for a, b in zip(vx, vb)):
                    raise DimensionError(f"layer {_label(self._layers[i])} has a different "
                                         "shape at the inputs and at the baselines")
                if not all(v.dtype.is_floating_point for v in vx):
                    raise ArgumentError(
                        f"layer {_label(self._layers[i])} gives integer values, which cannot "
                        "be interpolated; choose a layer with floating-point values (for "
                        "token ids: the embedding's output, not its input)")
            k = sum(counts)
            model = self.forward_func

            def through_layers(*args):
                # the network fed the inputs (args[k:]), the layers' values replaced by args[:k]
                cut, tap.replacement = 0, []
                for c in counts:
                    tap.replacement.append(args[cut:cut + c])
                    cut += c
                p = args[0].shape[0]  # the exact walk passes one example's inputs for p points
                fed = tuple(a.expand(p, *a.shape[1:]) if i < len(xs) and a.shape[0] == 1 < p
                            else a for i, a in enumerate(args[k:]))
                return tap.run(model, fed, (), "replace")

            result = integrated_gradients(
                through_layers, tuple(v for vs in at_x for v in vs),
                tuple(v for vs in at_base for v in vs), target, n_steps, method,
                internal_batch_size, additional_forward_args=(*xs, *extra),
                multiply_by_inputs=self._multiply_by_inputs, tolerance=tolerance,
                return_error=return_error, max_evaluations=max_evaluations)
            attr, error = result if return_error else (result, None)
            per_layer, cut = [], 0
            for c, is_tuple in zip(counts, shapes, strict=True):
                per_layer.append(_format(tuple(attr[cut:cut + c]), is_tuple))
                cut += c
            out = per_layer if isinstance(self.layer, list) else per_layer[0]
            extras = ()
            if return_convergence_delta:
                tgt = normalize_target(target, xs[0].shape[0], xs[0].device)
                extras = (_delta(model, attr, xs, bases, extra, tgt, internal_batch_size),)
            if return_error:
                extras += (error,)
        return (out, *extras) if extras else out


def _float_setup(inputs, baselines, additional_forward_args, target, batch, method, n_steps,
                 tolerance, max_evaluations, return_error):
    xs, is_tuple = _model_inputs(inputs)
    for x in xs:
        if not x.dtype.is_floating_point:
            raise ArgumentError(f"inputs must be floating-point tensors to interpolate, got "
                                f"{x.dtype}; for token ids attribute through the embedding "
                                "with LayerIntegratedGradients")
    bases = format_points(baselines, xs, "baselines")
    extra = format_extra(additional_forward_args)
    tgt = normalize_target(target, xs[0].shape[0], xs[0].device)
    check_batch_size(batch)
    _accuracy(tolerance, max_evaluations, return_error, method)
    return xs, is_tuple, bases, extra, tgt


def _integrate(model, xs, bases, extra, tgt, method, n_steps, batch, tolerance,
               max_evaluations, factors=None, **tap):
    """The one path integrator's sum for the tap (a grid of the rule, the exact regions, or
    adaptive pieces with ``tolerance``): (values, estimated error per example or None)."""
    if tolerance is not None:
        r = adaptive_path_integral(model, bases, xs, tgt, tolerance=tolerance,
                                   max_evaluations=max_evaluations, factors=factors,
                                   extra=extra, batch_size=batch, **tap)
        return r.values, r.error
    if method == "exact":
        if len(xs) > 1 or extra or not isinstance(model, nn.Module):
            raise ArgumentError("method='exact' here needs an nn.Module of one input tensor "
                                "and no additional_forward_args; use tolerance= instead")
        grid = exact_grid(model, bases[0], xs[0], tgt, batch)
    else:
        grid = quadrature_grid(xs[0].shape[0], method, n_steps, xs[0].device)
    values = path_integral(model, grid, bases, xs, tgt, extra=extra, batch_size=batch, **tap)
    if factors is not None:
        values = tuple(v * f for v, f in zip(values, factors, strict=True))
    return values, None


class LayerConductance(_LayerMethod):
    """Captum's ``LayerConductance(forward_func, layer, device_ids=None)``.

    ``attribute(inputs, baselines, target, additional_forward_args, n_steps, method,
    internal_batch_size, return_convergence_delta, attribute_to_layer_input, grad_kwargs)``
    returns the conductance of every unit of the layer's output (or input), shaped like it
    (a tuple for a layer of several tensors), and with ``return_convergence_delta`` the
    completeness delta per example (float64). d/dt H is taken by forward-mode AD, so the
    only error is the quadrature rule's; ``tolerance``, ``return_error`` and
    ``max_evaluations`` as in :func:`numeric.conductance`. ``grad_kwargs`` is accepted;
    unused layers get zero gradients (Captum's ``materialize_grads``).

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
    _has_delta = True

    def __init__(self, forward_func: Callable, layer: nn.Module, device_ids=None) -> None:
        super().__init__(forward_func, layer, device_ids, True)

    def attribute(self, inputs, baselines=None, target=None, additional_forward_args=None,
                  n_steps: int = 50, method: str = "gausslegendre",
                  internal_batch_size: int | None = None,
                  return_convergence_delta: bool = False,
                  attribute_to_layer_input: bool = False, grad_kwargs: dict | None = None, *,
                  tolerance: float | None = None, return_error: bool = False,
                  max_evaluations: int | None = None):
        """Layer conductance (see the class docstring)."""
        with captum_errors():
            batch = internal_batch_size
            xs, _, bases, extra, tgt = _float_setup(
                inputs, baselines, additional_forward_args, target, batch, method, n_steps,
                tolerance, max_evaluations, return_error)
            tap = dict(layer=self._layers[0], to_input=bool(attribute_to_layer_input))
            values, error = _integrate(self.forward_func, xs, bases, extra, tgt, method,
                                       n_steps, batch, tolerance, max_evaluations, **tap)
            with torch.no_grad():
                shapes = _Tap(self._layers[0], "", bool(attribute_to_layer_input))
                shapes.run(self.forward_func, tuple(x[:1] for x in xs),
                           tuple(e[:1] if isinstance(e, torch.Tensor) and e.dim() > 0
                                 and e.shape[0] == xs[0].shape[0] else e for e in extra),
                           "stop")
            attr = tuple(v.to(h.dtype) for v, h in zip(values, shapes.value, strict=True))
            out = _format(attr, shapes.is_tuple[0])
            extras = ()
            if return_convergence_delta:
                extras = (_delta(self.forward_func, values, xs, bases, extra, tgt, batch),)
            if return_error:
                extras += (_exact_or(error, values),)
        return (out, *extras) if extras else out


def _exact_or(error, values) -> torch.Tensor:
    """The adaptive estimate, or for the exact regions rounding only (zeros)."""
    if error is not None:
        return error
    return torch.zeros(values[0].shape[0], dtype=torch.float64)


# --------------------------------------------------------------------------------- neurons


def _selector(neuron_selector):
    """A function of the layer's value (one tensor, or a tuple) giving one value per row, and
    whether it is an index (int, or tuple of ints and slices) rather than a function."""
    if callable(neuron_selector):
        return neuron_selector, False
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

    return pick, True


def _neuron_value(pick, values: tuple, total_ok: bool = False) -> torch.Tensor:
    """The selected value per row; with ``total_ok`` a selector may also give the sum over
    the rows (a 0-d tensor, as in Captum's tests), spread evenly over them, which has the
    same gradient as long as the rows do not mix."""
    out = pick(values if len(values) > 1 else values[0])
    rows = values[0].shape[0]
    if isinstance(out, torch.Tensor) and out.dim() == 0 and total_ok:
        return out.expand(rows) / rows
    if not isinstance(out, torch.Tensor) or out.dim() < 1 or out.shape[0] != rows:
        raise ArgumentError("neuron_selector must give one value per example (a tensor of "
                            "shape (N,))")
    return out.reshape(out.shape[0], -1).sum(1) if out.dim() > 1 else out


def _flow_weight(pick, is_index: bool):
    """The neuron-flow integrand's weight (H, dG/dH) -> tensor whose input gradient is taken:
    sum_j dG/dH_j H_j over the selected units for an index; for a function s, as in Captum,
    s(dG/dH) s(H) (for a function that picks one unit, the same)."""
    if is_index:
        return lambda values, grads: _neuron_value(pick, (values[0] * grads[0],))
    return lambda values, grads: _neuron_value(pick, grads) * _neuron_value(pick, values)


class NeuronConductance(_LayerMethod):
    """Captum's ``NeuronConductance(forward_func, layer, device_ids=None,
    multiply_by_inputs=True)``.

    ``attribute(inputs, neuron_selector, baselines, target, additional_forward_args, n_steps,
    method, internal_batch_size, attribute_to_neuron_input, grad_kwargs)`` returns, shaped
    like the inputs, the conductance through the selected unit: an int or a tuple of ints
    (one unit), a tuple with slices (several units: the sum of their conductances, so the
    attributions of a group are the sum of its units'), or a function of the layer's value
    that picks one unit per example (as in Captum, the same function picks its gradient).
    ``tolerance``, ``return_error`` (appended) and ``max_evaluations`` as in
    :func:`numeric.neuron_flow`.

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
                  attribute_to_neuron_input: bool = False, grad_kwargs: dict | None = None, *,
                  tolerance: float | None = None, return_error: bool = False,
                  max_evaluations: int | None = None):
        """Neuron conductance (see the class docstring)."""
        with captum_errors():
            batch = internal_batch_size
            xs, is_tuple, bases, extra, tgt = _float_setup(
                inputs, baselines, additional_forward_args, target, batch, method, n_steps,
                tolerance, max_evaluations, return_error)
            pick, is_index = _selector(neuron_selector)
            factors = tuple(x.double() - b.double() for x, b in zip(xs, bases, strict=True)) \
                if self._multiply_by_inputs else None
            values, error = _integrate(
                self.forward_func, xs, bases, extra, tgt, method, n_steps, batch, tolerance,
                max_evaluations, factors, layer=self._layers[0],
                to_input=bool(attribute_to_neuron_input),
                unit_mask=_flow_weight(pick, is_index))
            attr = _format(tuple(v.to(x.dtype) for v, x in zip(values, xs, strict=True)),
                           is_tuple)
        return (attr, _exact_or(error, values)) if return_error else attr


class NeuronIntegratedGradients(_LayerMethod):
    """Captum's ``NeuronIntegratedGradients(forward_func, layer, device_ids=None,
    multiply_by_inputs=True)``.

    ``attribute(inputs, neuron_selector, baselines, additional_forward_args, n_steps, method,
    internal_batch_size, attribute_to_neuron_input)`` returns integrated gradients of the
    selected unit's value (a sum over the units for slices; any function of the layer's
    value giving one number per example), shaped like the inputs. It is
    :func:`numeric.integrated_gradients` of that value, so every rule, ``method="exact"``
    (piecewise-linear networks), ``tolerance``, ``return_error`` and ``max_evaluations``
    work.

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
                  attribute_to_neuron_input: bool = False, *, tolerance: float | None = None,
                  return_error: bool = False, max_evaluations: int | None = None):
        """Neuron integrated gradients (see the class docstring)."""
        with captum_errors():
            pick, _ = _selector(neuron_selector)
            tap = _Tap(self._layers, "", bool(attribute_to_neuron_input))
            model = self.forward_func
            # the exact walk follows the whole forward; a quadrature rule stops at the layer
            mode = "live" if method == "exact" else "cut"

            def neuron(*args):
                tap.run(model, args, (), mode)
                return _neuron_value(pick, tap.value, total_ok=True)

            return integrated_gradients(neuron, inputs, baselines, None, n_steps, method,
                                        internal_batch_size,
                                        additional_forward_args=additional_forward_args,
                                        multiply_by_inputs=self._multiply_by_inputs,
                                        tolerance=tolerance, return_error=return_error,
                                        max_evaluations=max_evaluations)
