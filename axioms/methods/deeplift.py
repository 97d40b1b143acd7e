"""DeepLIFT with the rescale rule (Shrikumar, Greenside & Kundaje (2017)), exactly: one
implementation, on the computation graph of an expression; a network given layer by layer is
turned into its expression first (:func:`network_expression`).

>>> deeplift_rescale([([[1, 0], [0, 1]], [0, 0], "relu"), ([[1, -1]], [-1], "relu")],
...                  (3, 1), (0, 0))
(3/2, -1/2)
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from axioms.contract import exact_number as _exact
from proofs.errors import DimensionError, UnsupportedFunctionError

__all__ = ["deeplift", "deeplift_rescale", "network_expression", "network_function"]


def _short(obj: object, limit: int = 80) -> str:
    text = " ".join(str(obj).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _deeplift_node(expr, env_x, env_b, n, index):
    """(value at x, value at baseline, multipliers w.r.t. the inputs) of a node."""
    if expr.is_Symbol:
        m = [sp.Integer(0)] * n
        if expr in index:
            m[index[expr]] = sp.Integer(1)
        return env_x.get(expr, expr), env_b.get(expr, expr), m
    if not expr.free_symbols:
        return expr, expr, [sp.Integer(0)] * n
    if expr.is_Add:
        vx, vb, m = sp.Integer(0), sp.Integer(0), [sp.Integer(0)] * n
        for arg in expr.args:
            ax, ab, am = _deeplift_node(arg, env_x, env_b, n, index)
            vx, vb = vx + ax, vb + ab
            m = [a + b for a, b in zip(m, am, strict=True)]
        return vx, vb, m
    if expr.is_Mul:
        const = [a for a in expr.args if not a.free_symbols]
        rest = [a for a in expr.args if a.free_symbols]
        if len(rest) == 1:
            c = sp.Mul(*const)
            ax, ab, am = _deeplift_node(rest[0], env_x, env_b, n, index)
            return c * ax, c * ab, [c * a for a in am]
        raise UnsupportedFunctionError(
            f"deeplift: {_short(expr, 50)} multiplies two inputs-dependent terms",
            "DeepLIFT handles networks: sums, constant multiples and one-input nonlinearities")
    if isinstance(expr, sp.Max) and len(expr.args) == 2 and 0 in expr.args:
        inner = expr.args[1] if expr.args[0] == 0 else expr.args[0]
        act = sp.Max
    elif expr.is_Pow and not expr.exp.free_symbols:
        inner, act = expr.base, None
    elif isinstance(expr, sp.Function) and len(expr.args) == 1:
        inner, act = expr.args[0], None
    else:
        raise UnsupportedFunctionError(
            f"deeplift: {_short(expr, 50)} is not a sum, constant multiple or "
            "one-input nonlinearity", "write max(a, b) as a + relu(b - a)")
    ix, ib, im = _deeplift_node(inner, env_x, env_b, n, index)
    z = sp.Dummy("z")
    outer = expr.xreplace({inner: z}) if act is None else sp.Max(0, z)
    ox, ob = outer.xreplace({z: ix}), outer.xreplace({z: ib})
    dz = sp.simplify(ix - ib)
    if dz == 0:
        if act is sp.Max:
            slope = sp.Integer(1) if ix > 0 else sp.Integer(0)
        else:
            slope = sp.diff(outer, z).xreplace({z: ix})
    else:
        slope = (ox - ob) / dz
    slope = sp.simplify(slope)
    return ox, ob, [slope * a for a in im]


def deeplift(F, x, baseline) -> tuple[sp.Expr, ...]:
    """DeepLIFT (rescale rule) on the computation graph of ``F.expr``.

    Each ``Max(0, z)`` (relu) and each one-input function or power is a unit with the rescale
    rule ``Delta_out / Delta_in`` (its derivative where ``Delta_in = 0``); sums and constant
    multiples pass multipliers linearly. Two expressions of one function are two
    implementations, and may get different attributions. On a network built by
    :func:`network_function` it is :func:`deeplift_rescale` on the layers.

    >>> from proofs import Function
    >>> deeplift(Function("relu(relu(x1 - 1) - relu(x2))"), (3, 1), (0, 0))
    (2, -1)
    """
    return _graph_deeplift(F.expr, F.variables, tuple(x), tuple(baseline))


def _graph_deeplift(expr, variables, x, baseline) -> tuple[sp.Expr, ...]:
    env_x = dict(zip(variables, x, strict=True))
    env_b = dict(zip(variables, baseline, strict=True))
    index = {v: k for k, v in enumerate(variables)}
    _vx, _vb, m = _deeplift_node(expr, env_x, env_b, len(x), index)
    return tuple(sp.simplify(mi * (xi - bi)) for mi, xi, bi in zip(m, x, baseline, strict=True))


# ---------------------------------------------------------------------------------------------
# Networks given layer by layer.
#
# A network is a list of layers (W, b, activation): W a list of rows (out x in), b a list
# (out), activation "relu" or "identity". The last layer has one output.

_ACTIVATIONS = ("relu", "identity")


def _check_layers(layers, n_inputs: int) -> list[tuple[list[list], list, str]]:
    if not layers:
        raise DimensionError("the network has no layers; give a list of (W, b, activation)")
    width = n_inputs
    out = []
    for k, layer in enumerate(layers, start=1):
        try:
            W, b, act = layer
        except (TypeError, ValueError) as exc:
            raise DimensionError(
                f"layer {k} is not a (W, b, activation) triple") from exc
        if act not in _ACTIVATIONS:
            raise UnsupportedFunctionError(
                f"layer {k} has activation {act!r}; use one of {', '.join(_ACTIVATIONS)}")
        rows = [[_exact(w, f"layer {k} weight") for w in row] for row in W]
        bias = [_exact(v, f"layer {k} bias") for v in b]
        if len(rows) == 0 or len(rows) != len(bias):
            raise DimensionError(
                f"layer {k} has {len(rows)} weight rows and {len(bias)} biases; they must agree")
        for row in rows:
            if len(row) != width:
                raise DimensionError(
                    f"layer {k} has a weight row of length {len(row)}, expected {width} "
                    "(the width of the previous layer)")
        out.append((rows, bias, act))
        width = len(rows)
    if width != 1:
        raise DimensionError(f"the last layer has {width} outputs; a network here has one")
    return out


def network_expression(layers, variables: Sequence[sp.Symbol]) -> sp.Expr:
    """The sympy expression the network computes (relu(z) as ``Max(0, z)``).

    >>> network_expression([([[1, -1]], [-1], "relu"), ([[2]], [0], "identity")],
    ...                    sp.symbols("x1 x2"))
    2*Max(0, x1 - x2 - 1)
    """
    layers = _check_layers(layers, len(variables))
    h: list = list(variables)
    for W, b, act in layers:
        z = [sp.Add(*[w * v for w, v in zip(row, h, strict=True)]) + c
             for row, c in zip(W, b, strict=True)]
        h = [sp.Max(0, v) for v in z] if act == "relu" else z
    return h[0]


def deeplift_rescale(layers, x, baseline) -> tuple:
    """DeepLIFT with the rescale rule (Shrikumar, Greenside & Kundaje (2017)) on a network.

    Linear layers pass multipliers through their weights (the linear rule); an activation
    gets the multiplier ``Delta_out / Delta_in`` (the rescale rule), and its derivative where
    ``Delta_in = 0`` (relu'(z) = 1 for z > 0 and 0 for z <= 0, the convention of the
    autograd frameworks; identity' = 1). The multipliers chain like a gradient, and the
    attribution of input j is ``m_j * (x_j - baseline_j)``. They sum to
    ``f(x) - f(baseline)`` (summation-to-delta) by construction.

    Hand derivation on the two networks of Sundararajan, Taly & Yan (2017), sec. 2.2, x = (3, 1),
    baseline 0. Both compute the same function relu(x1 - 1 - x2) for x >= 0, with f(x) = 1,
    f(0) = 0, and IG gives (3/2, -1/2) for both.

    f = relu(relu(x1) - 1 - relu(x2)):
        layer 1: h1 = relu(x1): Delta_in 3, Delta_out 3, m = 1; h2 = relu(x2): 1/1, m = 1.
        layer 2: z = h1 - h2 - 1 goes from -1 to 1 (Delta 2); relu(z) from 0 to 1 (Delta 1):
        m = 1/2.
        A1 = 3 * 1 * 1 * 1/2 = 3/2;  A2 = 1 * 1 * (-1) * 1/2 = -1/2.  -> (3/2, -1/2)
    g = relu(relu(x1 - 1) - relu(x2)):
        layer 1: z1 = x1 - 1 from -1 to 2 (Delta 3), relu from 0 to 2 (Delta 2): m = 2/3;
                 h2 = relu(x2): m = 1.
        layer 2: z = h1 - h2 from 0 to 1, relu from 0 to 1: m = 1.
        A1 = 3 * 2/3 * 1 * 1 = 2;  A2 = 1 * 1 * (-1) * 1 = -1.  -> (2, -1)
    The two implementations of one function get different attributions: DeepLIFT violates
    implementation invariance (both sum to 1, so completeness holds for each).

    >>> deeplift_rescale([([[1, 0], [0, 1]], [-1, 0], "relu"), ([[1, -1]], [0], "relu")],
    ...                  (3, 1), (0, 0))
    (2, -1)
    """
    xs = [_exact(v, "input coordinate") for v in x]
    bs = [_exact(v, "baseline coordinate") for v in baseline]
    if len(xs) != len(bs):
        raise DimensionError(
            f"input has {len(xs)} coordinates and baseline {len(bs)}; they must agree")
    symbols = [sp.Symbol(f"x{i}", real=True) for i in range(1, len(xs) + 1)]
    expr = network_expression(layers, symbols)
    return _graph_deeplift(expr, symbols, xs, bs)


def network_function(layers, variables: Sequence[str | sp.Symbol] | int | None = None):
    """A :class:`proofs.Function` whose expression is the network, layer by layer.

    >>> network_function([([[1, 1]], [0], "relu")]).expr
    Max(0, x1 + x2)
    """
    from proofs import Function

    if variables is None or isinstance(variables, int):
        n = variables if isinstance(variables, int) else len(layers[0][0][0])
        variables = [sp.Symbol(f"x{i}", real=True) for i in range(1, n + 1)]
    symbols = [v if isinstance(v, sp.Symbol) else sp.Symbol(v, real=True) for v in variables]
    return Function(network_expression(layers, symbols), variables=symbols)


