"""numeric: fast floating-point IG for real networks (PyTorch on CPU or GPU, or NumPy).

Captum-shaped :func:`integrated_gradients` with float64 quadrature weights that sum to 1,
polyline :func:`path_attribution`, ``method="exact"`` for piecewise-linear networks (walks
the activation regions), and :func:`to_function`, a bridge from small torch networks to
``proofs.Function`` with exact rational weights, for cross-checks against the exact engines.
:class:`IntegratedGradients` and :class:`NoiseTunnel` are drop-ins for Captum's classes
(same calls, float64 step sums), and so are :class:`LayerIntegratedGradients`,
:class:`LayerConductance`, :class:`NeuronConductance` and :class:`NeuronIntegratedGradients`.
Needs PyTorch (``pip install torch==2.13.0``).

>>> import torch
>>> F = lambda x: torch.relu(torch.relu(x[:, 0]) - 1 - torch.relu(x[:, 1]))
>>> x = torch.tensor([[3.0, 1.0]], dtype=torch.float64)
>>> integrated_gradients(F, x, method="riemann_middle", steps=2).tolist()
[[1.5, -0.5]]
"""

from __future__ import annotations

import sys

try:
    from ._torch import torch  # noqa: F401  (fails with the install line when torch is missing)
except ImportError as _missing:
    if sys.argv[:1] == ["-m"]:  # `python -m numeric ...`: a user error, one line, exit 2
        sys.stderr.write(f"error: {_missing}\n")
        raise SystemExit(2) from None
    raise
from .bridge import to_function
from .captum_classes import IntegratedGradients, NoiseTunnel
from .conductance import IdentityReport, check_identities, conductance, neuron_flow
from .exact import ExactResult, check_piecewise_linear, exact_path_attribution
from .integrated import (
    BaselineDistribution,
    NumpyModel,
    completeness_delta,
    integrated_gradients,
    path_attribution,
)
from .layer_attribution import (
    LayerConductance,
    LayerIntegratedGradients,
    NeuronConductance,
    NeuronIntegratedGradients,
)
from .layers import Residual
from .quadrature import (
    METHODS,
    GaussLegendre,
    QuadratureRule,
    RiemannLeft,
    RiemannMiddle,
    RiemannRight,
    RiemannTrapezoid,
    quadrature_rule,
)

__all__ = [
    "METHODS",
    "BaselineDistribution",
    "ExactResult",
    "GaussLegendre",
    "IdentityReport",
    "IntegratedGradients",
    "LayerConductance",
    "LayerIntegratedGradients",
    "NeuronConductance",
    "NeuronIntegratedGradients",
    "NoiseTunnel",
    "NumpyModel",
    "QuadratureRule",
    "Residual",
    "RiemannLeft",
    "RiemannMiddle",
    "RiemannRight",
    "RiemannTrapezoid",
    "check_identities",
    "check_piecewise_linear",
    "completeness_delta",
    "conductance",
    "exact_integrated_gradients",
    "exact_path_attribution",
    "integrated_gradients",
    "neuron_flow",
    "path_attribution",
    "quadrature_rule",
    "to_function",
]


def exact_integrated_gradients(model, inputs, baselines=None, target=None,
                               batch_size: int | None = None, tol: float = 0.0,
                               trusted: tuple[type, ...] = ()) -> ExactResult:
    """Exact IG of a piecewise-linear torch model (any nn.Module or callable built from
    piecewise-linear operations), with region counts and breakpoints.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU())
    >>> r = exact_integrated_gradients(net, torch.ones(1, 2))
    >>> abs(float(r.delta[0])) < 1e-12
    True
    """
    from .arguments import check_inputs, format_point

    x = check_inputs(inputs)
    base = format_point(baselines, x, "baselines")
    return exact_path_attribution(model, [base, x], target=target, batch_size=batch_size,
                                  tol=tol, trusted=trusted)
