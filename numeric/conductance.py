"""Internal-neuron attributions: conductance, image-patch attribution and neuron flow, with checks.

Lundstrom, Huang & Razaviyayn (2022), sec. 5-6, split a network at a layer, F = G(H(x)), and
attribute along the straight path gamma from the baseline x' to the input x:

- :func:`conductance`: IG_{*,j} = int dG/dH_j(H(gamma)) d/dt H_j(gamma) dt for every unit j of
  the layer (eq. 6; Dhamdhere, Sundararajan & Yan (2019)); with ``patch`` (a boolean mask S
  over one input) the image-patch attribution IG_{S,j}, the same with the direction masked to
  S (eq. 7); ``per_channel`` sums a conv layer's units over positions (the filter the paper
  prunes);
- :func:`neuron_flow`: IG_{i,j} = int dG/dH_j(H(gamma)) dH_j/dx_i(gamma) (x_i - x'_i) dt for one
  unit j, a map over the input features (eq. 4);
- :func:`check_identities`: the identities between them, with numbers: sum_j IG_{*,j} = IG total
  (same rule, to rounding) = F(x) - F(x') (to the rule's error; exactly for ``method="exact"``),
  IG_{S,j} + IG_{S^c,j} = IG_{*,j} and sum_{i in S} IG_{i,j} = IG_{S,j}.

All of them run :func:`numeric.path_integral.layer_path_integral`, which takes d/dt H(gamma) by
forward-mode AD, so one forward, tangent and backward per step covers the whole layer. Every
quadrature rule of :mod:`numeric.quadrature` is accepted, and ``method="exact"`` for
piecewise-linear networks (integrand constant on each activation region of the walk).

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False), torch.nn.ReLU(),
...                           torch.nn.Linear(1, 1, bias=False)).double()
>>> with torch.no_grad():
...     _ = net[0].weight.copy_(torch.tensor([[1.0, -1.0]])); _ = net[2].weight.fill_(2.0)
>>> x = torch.tensor([[3.0, 1.0]], dtype=torch.float64)
>>> conductance(net, "1", x, method="exact").tolist()          # F(x) - F(0) = 4
[[4.0]]
>>> neuron_flow(net, "1", 0, x, method="exact").tolist()
[[6.0, -2.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ._torch import torch
from .adaptive import adaptive_path_integral, check_tolerance
from .arguments import check_batch_size, check_inputs, format_point
from .errors import ArgumentError, DimensionError
from .integrated import _exact_error, _piecewise_linear
from .path_integral import (
    DERIVATIVES,
    Grid,
    _as_model_dtype,
    exact_grid,
    flow_path_integral,
    kink_grid,
    layer_output_shape,
    layer_path_integral,
    model_outputs,
    quadrature_grid,
    resolve_layer,
)
from .targets import TargetSpec, normalize_target

nn = torch.nn

__all__ = ["IdentityReport", "check_identities", "conductance", "neuron_flow"]

Layer = nn.Module | str | None


@dataclass
class _Setup:
    model: Callable
    layer: nn.Module | None
    name: str
    x: torch.Tensor
    base: torch.Tensor
    target: object
    grid: Grid | None
    batch_size: int | None
    tolerance: float | None = None
    max_evaluations: int | None = None
    exact: bool = False


def _setup(model, layer, inputs, baselines, target, steps, method, batch_size,
           split_kinks: bool = False, tolerance: float | None = None,
           max_evaluations: int | None = None, return_error: bool = False) -> _Setup:
    if not callable(model):
        raise ArgumentError(f"model must be an nn.Module or a callable, got {type(model).__name__}")
    if isinstance(inputs, (tuple, list)):
        raise ArgumentError("internal-neuron attributions take one input tensor (N, ...); for "
                            "a model of several inputs, wrap it in a module of one tensor")
    x = check_inputs(inputs)
    base = format_point(baselines, x, "baselines")
    batch_size = check_batch_size(batch_size)
    name, module = resolve_layer(model, layer)
    tgt = normalize_target(target, x.shape[0], x.device)
    if return_error and tolerance is None and method != "exact":
        raise ArgumentError("return_error=True needs tolerance= (or method='exact'): a fixed "
                            "quadrature rule has no error estimate")
    if tolerance is not None:
        check_tolerance(tolerance, max_evaluations)
        if _piecewise_linear(model, (x,), target, ()):
            method = "exact"
        else:
            return _Setup(model, module, name, x, base, tgt, None, batch_size, tolerance,
                          max_evaluations)
    if method == "exact":
        model, module = _as_model_dtype(model, method, module, name)
        x, base = x.double(), base.double()
        grid = exact_grid(model, base, x, target, batch_size)
        return _Setup(model, module, name, x, base, tgt, grid, batch_size, exact=True)
    if split_kinks:
        grid = kink_grid(model, base, x, method, steps, batch_size=batch_size)
    else:
        grid = quadrature_grid(x.shape[0], method, steps, x.device)
    return _Setup(model, module, name, x, base, tgt, grid, batch_size)


def _check_patch(patch: object, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(patch, torch.Tensor):
        raise ArgumentError(f"patch must be a boolean tensor shaped like one input "
                            f"{tuple(x.shape[1:])}, got {type(patch).__name__}")
    if patch.dtype != torch.bool:
        raise ArgumentError(f"patch must be a boolean mask (dtype torch.bool), got {patch.dtype}")
    if patch.shape == x.shape[1:]:
        return patch.to(x.device).unsqueeze(0)
    if patch.shape == (1, *x.shape[1:]) or patch.shape == x.shape:
        return patch.to(x.device)
    raise DimensionError(f"patch has shape {tuple(patch.shape)} but one input has shape "
                         f"{tuple(x.shape[1:])}; pass a boolean mask of that shape")


def _per_channel(values: torch.Tensor) -> torch.Tensor:
    if values.dim() < 3:
        raise ArgumentError(f"per_channel=True needs a layer with channels and positions "
                            f"(N, C, ...), but its output per example has shape "
                            f"{tuple(values.shape[1:])}")
    return values.sum(dim=tuple(range(2, values.dim())))


def conductance(model: Callable, layer: Layer, inputs: torch.Tensor, baselines=None,
                target: TargetSpec = None, steps: int = 50, method: str = "gausslegendre",
                patch: torch.Tensor | None = None, per_channel: bool = False,
                batch_size: int | None = None, derivative: str = "jvp",
                fd_step: float | None = None, split_kinks: bool = False, *,
                tolerance: float | None = None, return_error: bool = False,
                max_evaluations: int | None = None):
    """Conductance IG_{*,j} of every unit j of ``layer``, or with ``patch`` the image-patch
    attribution IG_{S,j}; shaped (N, *layer output shape), or (N, C) with ``per_channel``.

    ``layer`` is a module of ``model``, its dotted name in ``model.named_modules()``, or None
    (the input itself: conductance is then integrated gradients). ``baselines`` and
    ``target`` as in :func:`numeric.integrated_gradients`; ``method`` any quadrature rule or
    ``"exact"`` (piecewise-linear networks, computed in float64). ``patch`` is a boolean mask
    shaped like one input. ``derivative="finite_difference"`` takes d/dt H by the difference
    quotient of Lundstrom, Huang & Razaviyayn (2022, sec. 6.2) with step ``fd_step`` in input
    space (default 1/steps, theirs) instead of forward-mode AD, to show its error.
    ``split_kinks=True`` applies the rule on each piece of the path between the switches of
    the model's ReLU and max-pool modules (:func:`numeric.path_integral.kink_grid`), for
    networks that mix smooth layers with kinks (tanh and max-pool). Sums over
    steps are accumulated in float64; the result has the inputs' dtype (float64 for exact).
    ``tolerance``, ``return_error`` and ``max_evaluations`` as in
    :func:`numeric.integrated_gradients` (the tolerance relative to the largest |IG_{*,j}|;
    piecewise-linear networks take the exact regions).

    A network that doubles its layer's output, F = 2 H(x) with H(x) = x1 + x2:

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1, bias=False),
    ...                           torch.nn.Linear(1, 1, bias=False)).double()
    >>> with torch.no_grad():
    ...     _ = net[0].weight.fill_(1.0); _ = net[1].weight.fill_(2.0)
    >>> x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    >>> mid = dict(method="riemann_middle", steps=1)    # exact on a linear network
    >>> conductance(net, net[0], x, **mid).tolist(), conductance(
    ...     net, "0", x, patch=torch.tensor([True, False]), **mid).tolist()
    ([[6.0]], [[2.0]])
    """
    if derivative not in DERIVATIVES:
        raise ArgumentError(f"unknown derivative {derivative!r}; choose one of "
                            f"{', '.join(DERIVATIVES)}")
    s = _setup(model, layer, inputs, baselines, target, steps, method, batch_size, split_kinks,
               tolerance, max_evaluations, return_error)
    values, error = _conductance_error(s, patch, per_channel, derivative, fd_step)
    return (values, error) if return_error else values


def _conductance(s: _Setup, patch, per_channel: bool = False, derivative: str = "jvp",
                 fd_step: float | None = None) -> torch.Tensor:
    return _conductance_error(s, patch, per_channel, derivative, fd_step)[0]


def _conductance_error(s: _Setup, patch, per_channel: bool = False, derivative: str = "jvp",
                       fd_step: float | None = None
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
    direction = None
    if patch is not None:
        direction = (s.x - s.base) * _check_patch(patch, s.x).to(s.x.dtype)
    if derivative == "finite_difference" and fd_step is None:
        fd_step = 1.0 / (50 if s.grid is None else max(1, len(s.grid) // s.x.shape[0]))
    error = None
    if s.grid is None:
        r = adaptive_path_integral(
            s.model, (s.base,), (s.x,), s.target, tolerance=s.tolerance,
            max_evaluations=s.max_evaluations, batch_size=s.batch_size, layer=s.name or None,
            direction=direction, derivative=derivative, fd_step=fd_step)
        values, error = r.values[0], r.error
    else:
        values = layer_path_integral(s.model, s.layer, s.base, s.x, s.target, s.grid,
                                     direction, s.batch_size, derivative, fd_step)
    if per_channel:
        values = _per_channel(values)
    if s.exact:
        delta = torch.zeros(values.shape[0], dtype=torch.float64)
        if patch is None:
            delta = values.reshape(values.shape[0], -1).sum(1).cpu() - (
                model_outputs(s.model, s.x, s.target, s.batch_size)
                - model_outputs(s.model, s.base, s.target, s.batch_size)).cpu()
        error = _exact_error((values,), delta)
    return values.to(s.x.dtype), error


def _unit_mask(unit, shape: tuple[int, ...], per_channel: bool) -> torch.Tensor:
    mask = torch.zeros(shape, dtype=torch.bool)
    if per_channel:
        if len(shape) < 2:
            raise ArgumentError(f"per_channel=True needs a layer with channels and positions, "
                                f"but its output per example has shape {shape}")
        if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit < shape[0]:
            raise ArgumentError(f"channel {unit!r} is out of range: the layer has {shape[0]} "
                                f"channels (0 to {shape[0] - 1})")
        mask[unit] = True
        return mask
    if isinstance(unit, int) and not isinstance(unit, bool):
        total = mask.numel()
        if not 0 <= unit < total:
            raise ArgumentError(f"unit {unit} is out of range: the layer has {total} units per "
                                f"example (shape {shape}); give a flat index 0 to {total - 1} "
                                "or a tuple index")
        mask.view(-1)[unit] = True
        return mask
    if isinstance(unit, tuple) and all(isinstance(u, int) and not isinstance(u, bool)
                                       for u in unit):
        if len(unit) != len(shape) or not all(0 <= u < s for u, s in zip(unit, shape)):
            raise ArgumentError(f"unit {unit} is out of range for the layer's output shape "
                                f"{shape}")
        mask[unit] = True
        return mask
    raise ArgumentError(f"unit must be an int (flat index) or a tuple of ints, got {unit!r}")


def neuron_flow(model: Callable, layer: Layer, unit: int | tuple[int, ...], inputs: torch.Tensor,
                baselines=None, target: TargetSpec = None, steps: int = 50,
                method: str = "gausslegendre", per_channel: bool = False,
                batch_size: int | None = None, split_kinks: bool = False, *,
                tolerance: float | None = None, return_error: bool = False,
                max_evaluations: int | None = None):
    """Neuron flow IG_{i,j} of one unit j of ``layer`` to every input feature i, shaped like the
    inputs (Lundstrom, Huang & Razaviyayn (2022), eq. 4). ``unit`` is a flat index into one
    example's layer output or a tuple index (c, h, w); with ``per_channel`` it is a channel
    and the flows of its units are summed. Its sum over the features is the unit's conductance.
    ``tolerance``, ``return_error`` and ``max_evaluations`` as in
    :func:`numeric.integrated_gradients`.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.Tanh(),
    ...                           torch.nn.Linear(2, 1)).double()
    >>> x = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    >>> flow = neuron_flow(net, "1", 1, x, steps=30)
    >>> bool(abs(flow.sum() - conductance(net, "1", x, steps=30)[0, 1]) < 1e-12)
    True
    """
    s = _setup(model, layer, inputs, baselines, target, steps, method, batch_size, split_kinks,
               tolerance, max_evaluations, return_error)
    values, error = _neuron_flow_error(s, unit, per_channel)
    return (values, error) if return_error else values


def _neuron_flow(s: _Setup, unit, per_channel: bool = False) -> torch.Tensor:
    return _neuron_flow_error(s, unit, per_channel)[0]


def _neuron_flow_error(s: _Setup, unit, per_channel: bool = False
                       ) -> tuple[torch.Tensor, torch.Tensor | None]:
    shape = layer_output_shape(s.model, s.layer, s.x) if s.layer is not None \
        else tuple(s.x.shape[1:])
    mask = _unit_mask(unit, shape, per_channel).to(s.x.device)
    error = None
    if s.grid is None:
        r = adaptive_path_integral(
            s.model, (s.base,), (s.x,), s.target, tolerance=s.tolerance,
            max_evaluations=s.max_evaluations, factors=((s.x - s.base).double(),),
            batch_size=s.batch_size, layer=s.name or None, unit_mask=mask)
        values, error = r.values[0], r.error
    else:
        values = flow_path_integral(s.model, s.layer, s.base, s.x, s.target, s.grid, mask,
                                    s.batch_size)
        if s.exact:
            error = _exact_error((values,), torch.zeros(values.shape[0], dtype=torch.float64))
    return values.to(s.x.dtype), error


# ---------------------------------------------------------------------------------- checks


@dataclass
class IdentityReport:
    """The identities of Lundstrom, Huang & Razaviyayn (2022), sec. 5-6, with numbers: per row
    the identity, the largest absolute gap over the examples and the largest gap relative to
    the size of its terms."""

    method: str
    steps: int | None
    rows: list[dict] = field(default_factory=list)

    def add(self, identity: str, lhs: torch.Tensor, rhs: torch.Tensor, scale: torch.Tensor,
            exact_rule: bool) -> None:
        gap = (lhs.double() - rhs.double()).abs()
        rel = gap / torch.clamp(scale.double().abs(), min=1e-300)
        self.rows.append({"identity": identity, "lhs": lhs.double().tolist(),
                          "rhs": rhs.double().tolist(), "max_abs_gap": float(gap.max()),
                          "max_rel_gap": float(rel.max()), "holds_to_rounding": exact_rule})

    def max_rel_gap(self, identity: str | None = None) -> float:
        rows = [r for r in self.rows if identity is None or r["identity"] == identity]
        return max(r["max_rel_gap"] for r in rows)

    def __str__(self) -> str:
        head = f"identities ({self.method}" + (f", {self.steps} steps)" if self.steps else ")")
        lines = [head, f"{'identity':52} {'max |gap|':>11} {'max rel gap':>11}  kind"]
        for r in self.rows:
            kind = "rounding" if r["holds_to_rounding"] else "rule error"
            lines.append(f"{r['identity']:52} {r['max_abs_gap']:11.3e} "
                         f"{r['max_rel_gap']:11.3e}  {kind}")
        return "\n".join(lines)


def check_identities(model: Callable, layer: Layer, inputs: torch.Tensor, baselines=None,
                     target: TargetSpec = None, steps: int = 50, method: str = "gausslegendre",
                     patch: torch.Tensor | None = None, unit: int | tuple | None = None,
                     batch_size: int | None = None, split_kinks: bool = False
                     ) -> IdentityReport:
    """Compute conductance, patch attributions and a unit's neuron flow and report the gaps in

    - sum_j IG_{*,j} = sum_i IG_i (the same rule; an identity at every node, so to rounding),
    - sum_j IG_{*,j} = F(x) - F(x') (completeness: to the rule's error; to rounding for exact),
    - IG_{S,j} + IG_{S^c,j} = IG_{*,j} for every unit (to rounding) when ``patch`` is given,
    - sum_i IG_{i,j} = IG_{*,j} and sum_{i in S} IG_{i,j} = IG_{S,j} for ``unit`` (default: the
      unit with the largest total |conductance|) (to rounding).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
    ...                           torch.nn.Linear(4, 1)).double()
    >>> x = torch.randn(2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> report = check_identities(net, "1", x, patch=torch.tensor([True, False, True]))
    >>> report.max_rel_gap() < 1e-9
    True
    """
    s = _setup(model, layer, inputs, baselines, target, steps, method, batch_size, split_kinks)
    cond = _conductance(s, None).double()
    n = cond.shape[0]
    flat = cond.reshape(n, -1)
    total = flat.sum(1)
    scale = flat.abs().sum(1)
    report = IdentityReport(method + (", split at kinks" if split_kinks else ""),
                            None if method == "exact" else steps)
    ig = layer_path_integral(s.model, None, s.base, s.x, s.target, s.grid, None, s.batch_size)
    report.add("sum_j IG_*,j = sum_i IG_i", total, ig.reshape(n, -1).sum(1), scale, True)
    f_x = model_outputs(s.model, s.x, s.target, s.batch_size)
    f_base = model_outputs(s.model, s.base, s.target, s.batch_size)
    diff = f_x - f_base
    # F(x) - F(x') is rounded relative to |F(x)| + |F(x')|, not to the (possibly tiny) difference
    report.add("sum_j IG_*,j = F(x) - F(x')", total, diff,
               torch.maximum(scale, f_x.abs() + f_base.abs()), method == "exact")
    if unit is None:
        unit = int(flat.abs().sum(0).argmax())
    flow = _neuron_flow(s, unit).double()
    shape = tuple(cond.shape[1:])
    j = _unit_mask(unit, shape, False).reshape(-1).nonzero()[0, 0]
    report.add(f"sum_i IG_i,j = IG_*,j (unit {unit})", flow.reshape(n, -1).sum(1), flat[:, j],
               flow.reshape(n, -1).abs().sum(1), True)
    if patch is not None:
        mask = _check_patch(patch, s.x)
        inside = _conductance(s, mask.expand_as(s.x)[0]).double()
        outside = _conductance(s, ~mask.expand_as(s.x)[0]).double()
        report.add("IG_S,j + IG_S^c,j = IG_*,j (all units)", (inside + outside).reshape(n, -1),
                   flat, flat.abs() + inside.reshape(n, -1).abs(), True)
        in_flow = (flow * mask.to(flow.dtype)).reshape(n, -1).sum(1)
        report.add(f"sum_(i in S) IG_i,j = IG_S,j (unit {unit})", in_flow,
                   inside.reshape(n, -1)[:, j], flow.reshape(n, -1).abs().sum(1), True)
    return report

