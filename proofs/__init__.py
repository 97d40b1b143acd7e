"""proofs: the exact mathematics the rest of igverify trusts.

Functions (parsed safely from strings or given as sympy expressions), paths
(straight, polyline, curve, affine image, concatenation, loops) and two engines
that evaluate path-method attributions A_i = int_0^1 dF/dx_i(gamma(t)) gamma_i'(t) dt:
``symbolic`` (exact, sympy) and ``mpmath`` (any number of digits). See
CONTRACT.md for the public API.

The names below are loaded on first use, so ``import proofs.errors`` (which numeric,
axioms and counterexamples do for the shared exceptions) loads neither sympy nor matplotlib.

>>> from proofs import Function, integrated_gradients
>>> integrated_gradients(Function("max(0, x1 - 1/2)"), [1]).values
(1/2,)
"""

from __future__ import annotations

from .errors import (
    DimensionError,
    IGVerifyError,
    IntegrationError,
    NotDifferentiableError,
    ParseError,
    PathError,
    UnsupportedFunctionError,
)
from .lazy import make_lazy

#: public name -> the module of proofs that defines it (imported when the name is first used)
_LAZY = {
    "Attribution": "attribution", "Breakpoint": "attribution", "Piece": "attribution",
    "compose_path": "conductance", "conductance": "conductance",
    "ENGINES": "engines", "attribute": "engines", "integrated_gradients": "engines",
    "Function": "function", "active_branch": "function", "as_point": "function",
    "as_expression": "parse", "leaky_relu": "parse", "parse_expression": "parse",
    "parse_number": "parse", "parse_point": "parse", "relu": "parse", "sigmoid": "parse",
    "softplus": "parse",
    "Path": "paths", "Segment": "paths", "affine_image": "paths", "closed_loop": "paths",
    "concatenate": "paths", "curve": "paths", "polyline": "paths", "straight": "paths",
    "plot": "plot",
}

__all__ = [
    "ENGINES", "Attribution", "Breakpoint", "DimensionError", "Function", "IGVerifyError",
    "IntegrationError", "NotDifferentiableError", "ParseError", "Path", "PathError", "Piece",
    "Segment", "UnsupportedFunctionError", "active_branch", "affine_image", "as_expression",
    "as_point", "attribute", "compose_path", "conductance",
    "closed_loop", "concatenate", "curve", "integrated_gradients", "leaky_relu",
    "parse_expression", "parse_number", "parse_point", "plot", "polyline", "relu", "sigmoid",
    "softplus", "straight",
]


make_lazy(__name__, _LAZY)
