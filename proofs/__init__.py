"""proofs: the exact mathematics the rest of igverify trusts.

Functions (parsed safely from strings or given as sympy expressions), paths
(straight, polyline, curve, affine image, concatenation, loops) and two engines
that evaluate path-method attributions A_i = int_0^1 dF/dx_i(gamma(t)) gamma_i'(t) dt:
``symbolic`` (exact, sympy) and ``mpmath`` (any number of digits). See
CONTRACT.md for the public API.

>>> from proofs import Function, integrated_gradients
>>> integrated_gradients(Function("max(0, x1 - 1/2)"), [1]).values
(1/2,)
"""

from .attribution import Attribution, Breakpoint, Piece
from .conductance import compose_path, conductance
from .engines import ENGINES, attribute, integrated_gradients
from .errors import (
    DimensionError,
    IGVerifyError,
    IntegrationError,
    NotDifferentiableError,
    ParseError,
    PathError,
    UnsupportedFunctionError,
)
from .function import Function, active_branch, as_point
from .parse import (
    as_expression,
    leaky_relu,
    parse_expression,
    parse_number,
    parse_point,
    relu,
    sigmoid,
    softplus,
)
from .paths import Path, Segment, affine_image, closed_loop, concatenate, curve, polyline, straight
from .plot import plot

__all__ = [
    "ENGINES", "Attribution", "Breakpoint", "DimensionError", "Function", "IGVerifyError",
    "IntegrationError", "NotDifferentiableError", "ParseError", "Path", "PathError", "Piece",
    "Segment", "UnsupportedFunctionError", "active_branch", "affine_image", "as_expression",
    "as_point", "attribute", "compose_path", "conductance",
    "closed_loop", "concatenate", "curve", "integrated_gradients", "leaky_relu",
    "parse_expression", "parse_number", "parse_point", "plot", "polyline", "relu", "sigmoid",
    "softplus", "straight",
]
