"""numeric: fast floating-point IG for real networks (PyTorch on CPU or GPU, or NumPy).

Captum-shaped :func:`integrated_gradients` with float64 quadrature weights that sum to 1,
polyline :func:`path_attribution`, ``method="exact"`` for piecewise-linear networks (walks
the activation regions), :func:`certified_integrated_gradients` (exact rational IG of a
network, each region proved, with a certificate for ``python -m proofs verify``; needs
python-flint), and :func:`to_function`, a bridge from small torch networks to
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

from typing import Any

from proofs.lazy import make_lazy

#: public name -> the module of numeric that defines it. Loaded on first use, so that
#: ``import numeric`` neither fails without PyTorch (each name then raises a
#: MissingDependencyError with the install line) nor loads sympy or matplotlib.
_LAZY = {
    "load_attributions": "attribution_store",
    "to_function": "bridge",
    "IntegratedGradients": "captum_classes", "NoiseTunnel": "captum_classes",
    "LayerConductance": "layer_attribution",
    "LayerIntegratedGradients": "layer_attribution",
    "NeuronConductance": "layer_attribution",
    "NeuronIntegratedGradients": "layer_attribution",
    "IdentityReport": "conductance", "check_identities": "conductance",
    "conductance": "conductance", "neuron_flow": "conductance",
    "ExactResult": "exact", "check_piecewise_linear": "exact",
    "attribute_dataset": "dataset",
    "exact_path_attribution": "exact",
    "BaselineDistribution": "integrated", "NumpyModel": "integrated",
    "completeness_delta": "integrated", "integrated_gradients": "integrated",
    "path_attribution": "integrated",
    "Residual": "layers",
    "METHODS": "quadrature", "GaussLegendre": "quadrature", "QuadratureRule": "quadrature",
    "RiemannLeft": "quadrature", "RiemannMiddle": "quadrature", "RiemannRight": "quadrature",
    "RiemannTrapezoid": "quadrature", "quadrature_rule": "quadrature",
    "ToleranceNotReached": "errors",
}

__all__ = [
    "METHODS",
    "BaselineDistribution",
    "CertifiedResult",
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
    "ToleranceNotReached",
    "attribute_dataset",
    "check_identities",
    "certified_integrated_gradients",
    "check_piecewise_linear",
    "completeness_delta",
    "conductance",
    "exact_integrated_gradients",
    "exact_path_attribution",
    "integrated_gradients",
    "load_attributions",
    "neuron_flow",
    "path_attribution",
    "quadrature_rule",
    "to_function",
]


def __getattr__(name: str):
    """Certified exact IG (numeric.certified) loads python-flint: imported on first use."""
    if name in ("certified_integrated_gradients", "CertifiedResult"):
        from . import certified

        return getattr(certified, name)
    raise AttributeError(f"module 'numeric' has no attribute {name!r}")


def exact_integrated_gradients(model, inputs, baselines=None, target=None,
                               batch_size: int | None = None, tol: float = 0.0,
                               trusted: tuple[type, ...] = ()) -> Any:
    """Exact IG of a piecewise-linear torch model (any nn.Module or callable built from
    piecewise-linear operations), with region counts and breakpoints.

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU())
    >>> r = exact_integrated_gradients(net, torch.ones(1, 2))
    >>> abs(float(r.delta[0])) < 1e-12
    True
    """
    from .arguments import check_inputs, format_point
    from .exact import exact_path_attribution

    x = check_inputs(inputs)
    base = format_point(baselines, x, "baselines")
    return exact_path_attribution(model, [base, x], target=target, batch_size=batch_size,
                                  tol=tol, trusted=trusted)


make_lazy(__name__, _LAZY)
