"""Attribution methods under test, a registry by CLI name, and user-method loading.

Every baseline method is called as ``method(F, x, baseline)`` with ``F`` a
:class:`proofs.Function`, ``x`` and ``baseline`` tuples of exact sympy numbers, and returns one
attribution per variable. A distributional method is called as ``method(F, x, D)`` with ``D``
a tuple of ``(baseline, weight)`` pairs (weights positive, summing to 1).
:func:`evaluate` calls a method and validates what it returns; a user's method is loaded from
``module:function`` by :func:`load_method`.

Path methods (IG, the Xu et al. path, Shapley-Shubik, ensembles) integrate with the exact
engine of :mod:`proofs`; when the input or baseline is symbolic and ``F`` is a polynomial, they
integrate the polynomial along the polyline here (the engines take numeric points only).
"""

from __future__ import annotations

import importlib
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from proofs.errors import DimensionError, IGVerifyError, UnsupportedFunctionError

__all__ = [
    "Method",
    "MethodError",
    "MethodOutputError",
    "METHODS",
    "deeplift",
    "deeplift_rescale",
    "ensemble_method",
    "evaluate",
    "get_method",
    "gradient_at",
    "load_method",
    "network_expression",
    "network_function",
    "path_method",
    "shapley_value",
]


class MethodError(IGVerifyError):
    """The method under test raised an exception that is not an igverify user error."""


class MethodOutputError(IGVerifyError):
    """The method under test returned something that is not an attribution."""


# ---------------------------------------------------------------------------------------------
# The Method object and output validation.

BASELINE = "baseline"
DISTRIBUTIONAL = "distributional"


@dataclass(frozen=True)
class Method:
    """An attribution method: a callable, its CLI name, and what is known about it.

    ``theorems`` maps an axiom name to the published statement that the method satisfies it;
    the checks cite it as evidence next to what they computed (never instead of it).
    """

    name: str
    func: Callable
    kind: str = BASELINE
    description: str = ""
    theorems: Mapping[str, str] = field(default_factory=dict)

    def __call__(self, F, x, baseline):
        return evaluate(self, F, x, baseline)

    def with_baseline(self) -> Method:
        """A distributional method as a baseline method: the distribution concentrated at x'."""
        if self.kind == BASELINE:
            return self
        return Method(self.name, lambda F, x, b: self.func(F, x, ((tuple(b), sp.Integer(1)),)),
                      BASELINE, self.description, self.theorems)

    def lifted(self) -> Method:
        """A baseline method as a distributional one: E_D[A(x, X', F)] (finite D)."""
        if self.kind == DISTRIBUTIONAL:
            return self

        def expected(F, x, D):
            total = [sp.Integer(0)] * len(x)
            for point, weight in D:
                vals = evaluate(self, F, x, point)
                total = [t + weight * v for t, v in zip(total, vals, strict=True)]
            return tuple(total)

        return Method(self.name, expected, DISTRIBUTIONAL,
                      f"E_D[{self.name}(x, X', F)]", {})


def _short(obj: object, limit: int = 80) -> str:
    text = str(obj).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _as_value(v: object, index: int, symbolic_ok: bool) -> sp.Expr:
    if isinstance(v, bool):
        raise MethodOutputError(f"attribution {index + 1} is the boolean {v}; expected a number")
    if isinstance(v, sp.Basic):
        out = v
    elif isinstance(v, (int, Fraction)):
        out = sp.Rational(v)
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise MethodOutputError(f"attribution {index + 1} is {v}; expected a finite number")
        out = sp.Float(v, 17)
    elif hasattr(v, "__float__") and not isinstance(v, str):
        try:
            fv = float(v)  # numpy scalars, mpmath mpf, torch scalars
        except (TypeError, ValueError, OverflowError) as exc:
            raise MethodOutputError(
                f"attribution {index + 1} ({_short(v)}) is not a real number") from exc
        if not math.isfinite(fv):
            raise MethodOutputError(f"attribution {index + 1} is {fv}; expected a finite number")
        out = sp.Float(fv, 17)
    else:
        raise MethodOutputError(
            f"attribution {index + 1} is {type(v).__name__} {_short(repr(v), 40)}; "
            "expected a number")
    if out.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or out.is_finite is False:
        raise MethodOutputError(f"attribution {index + 1} is {out}; expected a finite number")
    if not isinstance(out, sp.Expr):
        raise MethodOutputError(f"attribution {index + 1} ({_short(out)}) is not a number")
    if out.free_symbols and not symbolic_ok:
        raise MethodOutputError(
            f"attribution {index + 1} ({_short(out)}) contains symbols for numeric inputs")
    if out.is_real is False:
        raise MethodOutputError(f"attribution {index + 1} is {out}; expected a real number")
    return out


def _has_symbols(*points) -> bool:
    for p in points:
        for v in p:
            if isinstance(v, sp.Basic) and v.free_symbols:
                return True
    return False


def evaluate(method: Method | Callable, F, x, baseline) -> tuple[sp.Expr, ...]:
    """Call ``method`` and validate its answer: one finite real number per variable.

    Raises :class:`MethodOutputError` for a wrong length, NaN, infinity or a non-number,
    :class:`MethodError` (one line) when the method raises anything but an igverify user error;
    igverify user errors (F not differentiable, unsupported function, ...) pass through.
    """
    func = method.func if isinstance(method, Method) else method
    name = method.name if isinstance(method, Method) else getattr(method, "__name__", "method")
    x = tuple(_exact(v, "input coordinate", True) for v in x)
    if isinstance(method, Method) and method.kind == DISTRIBUTIONAL:
        baseline = tuple((tuple(_exact(v, "baseline coordinate", True) for v in p),
                          _exact(w, "baseline weight")) for p, w in baseline)
    else:
        baseline = tuple(_exact(v, "baseline coordinate", True) for v in baseline)
    if len(x) != F.dimension:
        raise DimensionError(f"the input has {len(x)} coordinates, F has {F.dimension} variables")
    if isinstance(method, Method) and method.kind == DISTRIBUTIONAL:
        symbolic = _has_symbols(x, *(p for p, _ in baseline))
    else:
        symbolic = _has_symbols(x, baseline)
    try:
        out = func(F, x, baseline)
    except IGVerifyError:
        raise
    except RecursionError as exc:
        raise MethodError(f"{name} raised RecursionError: {_short(exc)}") from exc
    except Exception as exc:  # the method under test is arbitrary user code
        raise MethodError(f"{name} raised {type(exc).__name__}: {_short(exc)}") from exc
    if isinstance(out, (str, bytes)) or not hasattr(out, "__len__"):
        raise MethodOutputError(
            f"{name} returned {type(out).__name__} {_short(repr(out), 40)}; "
            f"expected a sequence of {len(x)} numbers")
    try:
        values = list(out)
    except TypeError as exc:
        raise MethodOutputError(f"{name} returned an object that is not a sequence") from exc
    if len(values) != len(x):
        raise MethodOutputError(
            f"{name} returned {len(values)} attributions for {len(x)} variables")
    return tuple(_as_value(v, k, symbolic) for k, v in enumerate(values))


# ---------------------------------------------------------------------------------------------
# Gradients at a point, for functions with max/min/abs (the active branch).


def gradient_at(F, point) -> tuple[sp.Expr, ...]:
    """The gradient of ``F`` at ``point``, exactly (active branch of each max/min/abs)."""
    return F.gradient_at(point)


# ---------------------------------------------------------------------------------------------
# Path methods.


def _engine():
    import proofs

    return proofs


def _dedupe(points: Sequence[Sequence[sp.Expr]]) -> list[tuple]:
    out: list[tuple] = []
    for p in points:
        p = tuple(p)
        if not out or any(sp.simplify(a - b) != 0 for a, b in zip(p, out[-1], strict=True)):
            out.append(p)
    return out


def _polyline_attribution(F, waypoints: Sequence[Sequence]) -> tuple[sp.Expr, ...]:
    pts = _dedupe(waypoints)
    if len(pts) == 1:
        return tuple(sp.Integer(0) for _ in F.variables)
    # symbolic waypoints too: the engine takes them for smooth entire F (and says when not)
    proofs = _engine()
    path = proofs.straight(pts[0], pts[1]) if len(pts) == 2 else proofs.polyline(pts)
    return tuple(proofs.attribute(F, path, engine="symbolic").values)


def path_method(waypoints: Callable, name: str = "path", description: str = "",
                theorems: Mapping[str, str] | None = None) -> Method:
    """A path method from ``waypoints(x, baseline) -> [baseline, ..., x]`` (a polyline) or
    from ``path(x, baseline) -> proofs.Path`` (any path; integrated by the engine)."""

    def method(F, x, baseline):
        route = waypoints(tuple(x), tuple(baseline))
        if hasattr(route, "segments"):
            return tuple(_engine().attribute(F, route, engine="symbolic").values)
        return _polyline_attribution(F, route)

    return Method(name, method, BASELINE, description, dict(theorems or {}))


def ensemble_method(members: Sequence[tuple[object, Callable]], name: str = "ensemble",
                    description: str = "", theorems: Mapping[str, str] | None = None) -> Method:
    """A finite path ensemble: sum_k w_k A^{gamma_k}, weights positive and summing to 1."""
    weights = [sp.Rational(w) if not isinstance(w, sp.Basic) else w for w, _ in members]
    if any(w <= 0 for w in weights) or sp.simplify(sum(weights) - 1) != 0:
        raise UnsupportedFunctionError("ensemble weights must be positive and sum to 1")
    paths = [path_method(p) for _, p in members]

    def method(F, x, baseline):
        total = [sp.Integer(0)] * len(x)
        for w, m in zip(weights, paths, strict=True):
            vals = m.func(F, x, baseline)
            total = [t + w * v for t, v in zip(total, vals, strict=True)]
        return tuple(sp.expand(t) for t in total)

    return Method(name, method, BASELINE, description, dict(theorems or {}))


def _straight_waypoints(x, baseline):
    return [baseline, x]


# The reference path of Xu et al.'s counterexample (paper 000, App. E.1), in n dimensions:
# coordinates 1 and 2 go round the unit square (0,0) -> (1,0) -> (1,1) -> (0,1) -> (0,0) with
# the others at 0, then every coordinate goes straight from 0 to 1. Its image under
# T(y) = x' + (x - x') * y runs from x' to x.
def _xu_reference(n: int) -> list[tuple]:
    if n < 2:
        return [(0,) * n, (1,) * n]
    rest = (0,) * (n - 2)
    square = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
    return [tuple(p) + rest for p in square] + [(1,) * n]


def _xu_waypoints(x, baseline):
    return [tuple(b + (xi - b) * r for xi, b, r in zip(x, baseline, ref, strict=True))
            for ref in _xu_reference(len(x))]


def _axis_waypoints(order):
    def waypoints(x, baseline):
        cur = list(baseline)
        pts = [tuple(cur)]
        for i in order:
            cur[i] = x[i]
            pts.append(tuple(cur))
        return pts

    return waypoints


def _shapley_shubik(F, x, baseline):
    n = len(x)
    orders = list(itertools.permutations(range(n)))
    total = [sp.Integer(0)] * n
    for order in orders:
        vals = _polyline_attribution(F, _axis_waypoints(order)(x, baseline))
        total = [t + v for t, v in zip(total, vals, strict=True)]
    return tuple(sp.expand(t / len(orders)) for t in total)


def shapley_value(F, x, baseline) -> tuple[sp.Expr, ...]:
    """The Shapley value of the game v(S) = F(x_S, x'_rest) (exact; 2^n evaluations)."""
    n = len(x)
    value: dict[frozenset, sp.Expr] = {}
    for r in range(n + 1):
        for S in itertools.combinations(range(n), r):
            point = [x[i] if i in S else baseline[i] for i in range(n)]
            value[frozenset(S)] = F.expr.xreplace(dict(zip(F.variables, point, strict=True)))
    out = []
    for i in range(n):
        phi = sp.Integer(0)
        others = [j for j in range(n) if j != i]
        for r in range(n):
            w = sp.Rational(math.factorial(r) * math.factorial(n - r - 1), math.factorial(n))
            for S in itertools.combinations(others, r):
                phi += w * (value[frozenset(S) | {i}] - value[frozenset(S)])
        out.append(sp.simplify(phi))
    return tuple(out)


def _ig(F, x, baseline):
    return _polyline_attribution(F, [baseline, x])


def _gradient(F, x, baseline):
    return gradient_at(F, x)


def _grad_x_input(F, x, baseline):
    return tuple(sp.expand(g * xi) for g, xi in zip(gradient_at(F, x), x, strict=True))


def smoothgrad(sigma=None) -> Callable:
    """SmoothGrad with a deterministic, symmetric noise stencil: the mean gradient at
    x + sigma*e_k and x - sigma*e_k for every k (exact; the stencil's covariance is that of
    the Gaussian noise scaled to sigma**2/n per coordinate)."""
    sigma = sp.Rational(1, 10) if sigma is None else sp.Rational(sigma)

    def method(F, x, baseline):
        n = len(x)
        total = [sp.Integer(0)] * n
        for k in range(n):
            for s in (1, -1):
                point = tuple(xi + (s * sigma if i == k else 0) for i, xi in enumerate(x))
                total = [t + g for t, g in zip(total, gradient_at(F, point), strict=True)]
        return tuple(sp.expand(t / (2 * n)) for t in total)

    return method


def _distributional_ig(F, x, D):
    total = [sp.Integer(0)] * len(x)
    for point, weight in D:
        vals = _ig(F, x, point)
        total = [t + weight * v for t, v in zip(total, vals, strict=True)]
    return tuple(sp.expand(t) for t in total)


def _cost_share(F, x, baseline):
    # paper 000, App. E.2: A(x, x', F) = F(x') - F(x), given to every coordinate
    env_x = dict(zip(F.variables, x, strict=True))
    env_b = dict(zip(F.variables, baseline, strict=True))
    d = F.expr.xreplace(env_b) - F.expr.xreplace(env_x)
    return tuple(d for _ in x)


# ---------------------------------------------------------------------------------------------
# DeepLIFT on the computation graph of an expression.


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
    :func:`network_function` it equals :func:`deeplift_rescale` on the layers.
    """
    env_x = dict(zip(F.variables, x, strict=True))
    env_b = dict(zip(F.variables, baseline, strict=True))
    index = {v: k for k, v in enumerate(F.variables)}
    _vx, _vb, m = _deeplift_node(F.expr, env_x, env_b, len(x), index)
    return tuple(sp.simplify(mi * (xi - bi)) for mi, xi, bi in zip(m, x, baseline, strict=True))


# ---------------------------------------------------------------------------------------------
# Networks given layer by layer, and DeepLIFT's rescale rule.
#
# A network is a list of layers (W, b, activation): W a list of rows (out x in), b a list
# (out), activation "relu" or "identity". The last layer has one output.

_ACTIVATIONS = ("relu", "identity")


def _exact(v, what: str, symbolic: bool = False) -> sp.Expr:
    """An exact sympy number from an int, Fraction, float (converted exactly) or sympy number."""
    if isinstance(v, bool) or isinstance(v, str):
        raise UnsupportedFunctionError(
            f"{what} is {v!r}; pass numbers (int, Fraction, sympy Rational)")
    if isinstance(v, sp.Basic):
        out = v
        if symbolic and isinstance(v, sp.Expr) and v.free_symbols:
            return v
    elif isinstance(v, (int, Fraction)):
        out = sp.Rational(v)
    elif isinstance(v, float) or hasattr(v, "__float__"):
        fv = float(v)
        if fv != fv or fv in (float("inf"), float("-inf")):
            raise UnsupportedFunctionError(f"{what} is {fv}; pass a finite number")
        # a float is converted exactly (0.1 -> 3602879701896397/36028797018963968); pass
        # Rationals or Fractions for 1/10.
        out = sp.Rational(int(v)) if float(int(fv)) == fv else sp.Rational(fv)
    else:
        raise UnsupportedFunctionError(f"{what} is not a number: {v!r}")
    if not out.is_number or out.is_finite is False or out.has(sp.nan, sp.zoo):
        raise UnsupportedFunctionError(f"{what} is not a finite number: {v!r}")
    return out


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


def _forward(layers, point) -> list[list[tuple[list, list]]]:
    """Pre- and post-activations of every layer at ``point``."""
    h = list(point)
    trace = []
    for W, b, act in layers:
        z = [sum((w * v for w, v in zip(row, h, strict=True)), sp.Integer(0)) + c
             for row, c in zip(W, b, strict=True)]
        a = [sp.Max(0, v) for v in z] if act == "relu" else list(z)
        trace.append((z, a))
        h = a
    return trace


def network_expression(layers, variables: Sequence[sp.Symbol]) -> sp.Expr:
    """The sympy expression the network computes (relu(z) as ``Max(0, z)``)."""
    layers = _check_layers(layers, len(variables))
    h: list = list(variables)
    for W, b, act in layers:
        z = [sp.Add(*[w * v for w, v in zip(row, h, strict=True)]) + c
             for row, c in zip(W, b, strict=True)]
        h = [sp.Max(0, v) for v in z] if act == "relu" else z
    return h[0]


def deeplift_rescale(layers, x, baseline) -> tuple:
    """DeepLIFT with the rescale rule (Shrikumar et al., 2017), exactly.

    Linear layers pass multipliers through their weights (the linear rule); an activation
    gets the multiplier ``Delta_out / Delta_in`` (the rescale rule), and its derivative where
    ``Delta_in = 0`` (relu'(z) = 1 for z > 0 and 0 for z <= 0, the convention of the
    autograd frameworks; identity' = 1). The multipliers chain like a gradient, and the
    attribution of input j is ``m_j * (x_j - baseline_j)``. They sum to
    ``f(x) - f(baseline)`` (summation-to-delta) by construction.

    Hand derivation on the two networks of Sundararajan et al. (2017, sec. 2.1), x = (3, 1),
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
    """
    xs = [_exact(v, "input coordinate") for v in x]
    bs = [_exact(v, "baseline coordinate") for v in baseline]
    if len(xs) != len(bs):
        raise DimensionError(
            f"input has {len(xs)} coordinates and baseline {len(bs)}; they must agree")
    layers = _check_layers(layers, len(xs))
    at_x = _forward(layers, xs)
    at_b = _forward(layers, bs)
    n = len(xs)
    # M: multipliers of the current layer's units with respect to the inputs (rows: units).
    M = [[sp.Integer(1) if i == j else sp.Integer(0) for j in range(n)] for i in range(n)]
    for (W, _b, act), (z, a), (z0, a0) in zip(layers, at_x, at_b, strict=True):
        pre = [[sum((W[u][k] * M[k][j] for k in range(len(M))), sp.Integer(0))
                for j in range(n)] for u in range(len(W))]
        if act == "identity":
            M = pre
            continue
        scale = []
        for zu, au, z0u, a0u in zip(z, a, z0, a0, strict=True):
            dz = sp.simplify(zu - z0u)
            if dz == 0:
                scale.append(sp.Integer(1) if sp.simplify(zu) > 0 else sp.Integer(0))
            else:
                scale.append(sp.simplify((au - a0u) / dz))
        M = [[scale[u] * pre[u][j] for j in range(n)] for u in range(len(W))]
    return tuple(sp.simplify(M[0][j] * (xs[j] - bs[j])) for j in range(n))


def network_function(layers, variables: Sequence[str | sp.Symbol] | int | None = None):
    """A :class:`proofs.Function` whose expression is the network, layer by layer."""
    from proofs import Function

    if variables is None or isinstance(variables, int):
        n = variables if isinstance(variables, int) else len(layers[0][0][0])
        variables = [sp.Symbol(f"x{i}", real=True) for i in range(1, n + 1)]
    symbols = [v if isinstance(v, sp.Symbol) else sp.Symbol(v, real=True) for v in variables]
    return Function(network_expression(layers, symbols), variables=symbols)


# ---------------------------------------------------------------------------------------------
# The registry (names as on the command line).

_IG_THEOREMS = {
    "sensitivity-a": "IG satisfies sensitivity(a) (completeness + dummy; paper 000 sec. 2.2)",
    "implementation-invariance": "path methods, IG among them, depend on F only through its "
                                 "gradient (paper 000 sec. 2.2)",
    "completeness": "IG satisfies completeness for Lipschitz F (paper 000 sec. 2.2, Thm 4)",
    "linearity": "path methods are linear in F (paper 000 sec. 2.2)",
    "dummy": "path methods satisfy dummy (paper 000 sec. 2.2)",
    "symmetry": "IG is symmetry preserving (Sundararajan et al. 2017, Thm 1)",
    "asi": "path methods with affinely equivariant paths satisfy ASI (paper 000 App. E.1)",
    "ndp": "monotone path methods satisfy NDP (paper 000 sec. 4)",
}
_DIST_THEOREMS = {
    "dist-sensitivity-a": "distributional IG satisfies it (paper 000 App. K)",
    "dist-completeness": "distributional IG satisfies it (paper 000 App. K)",
    "dist-symmetry": "distributional IG satisfies it (paper 000 App. K)",
    "dist-ndp": "distributional IG satisfies it (paper 000 App. K)",
}
_PATH_THEOREMS = {
    **{k: _IG_THEOREMS[k] for k in ("implementation-invariance", "linearity", "dummy")},
    "completeness": "every path method is complete for Lipschitz F (gradient theorem; "
                    "Lerma & Lucas 2021, Prop. 1)",
}


def _build_registry() -> dict[str, Method]:
    methods = [
        Method("ig", _ig, BASELINE, "integrated gradients: the straight path x' -> x",
               {**_IG_THEOREMS, **_DIST_THEOREMS}),
        path_method(_xu_waypoints, "xu-path",
                    "the non-monotone path of Xu et al.'s counterexample, T(reference path) "
                    "with T(y) = x' + (x - x') y (paper 000 App. E.1)",
                    {**_PATH_THEOREMS, "asi": _IG_THEOREMS["asi"]}),
        Method("shapley-shubik", _shapley_shubik, BASELINE,
               "the average of the n! axis-parallel paths (path ensemble)",
               {**_PATH_THEOREMS, "symmetry": "Shapley-Shubik is symmetric (Friedman 2004)",
                "ndp": "ensembles of monotone paths satisfy NDP (paper 000 sec. 4)",
                "asi": _IG_THEOREMS["asi"]}),
        Method("shapley-value", shapley_value, BASELINE,
               "the Shapley value of the game S -> F(x_S, x'_rest)",
               {"completeness": "efficiency of the Shapley value (Shapley 1953)",
                "symmetry": "symmetry of the Shapley value (Shapley 1953)",
                "linearity": "additivity of the Shapley value (Shapley 1953)"}),
        Method("gradient", _gradient, BASELINE, "the gradient of F at x"),
        Method("grad-x-input", _grad_x_input, BASELINE, "x_i * dF/dx_i(x)"),
        Method("smoothgrad", smoothgrad(), BASELINE,
               "mean gradient over the stencil x +- sigma e_k, sigma = 1/10"),
        Method("distributional-ig", _distributional_ig, DISTRIBUTIONAL,
               "expected gradients: E_{X'~D} IG(x, X', F), D finite",
               {**_IG_THEOREMS, **_DIST_THEOREMS}),
        Method("deeplift", deeplift, BASELINE,
               "DeepLIFT rescale rule on the expression's computation graph",
               {"completeness": "summation-to-delta (Shrikumar et al. 2017)"}),
        Method("cost-share", _cost_share, BASELINE,
               "A_i = F(x') - F(x) for every i (paper 000 App. E.2)",
               {"linearity": "paper 000 App. E.2, eq. (9)", "asi": "paper 000 App. E.2, eq. (10)"}),
    ]
    return {m.name: m for m in methods}


METHODS: dict[str, Method] = _build_registry()


def load_method(spec: str) -> Method:
    """Load a user's method ``module:function`` (imported with importlib: the user's code)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise MethodError(f"cannot read method {spec!r}; name it as module:function")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise MethodError(f"no module named {module_name!r}",
                          "put it on PYTHONPATH or run from its folder") from exc
    except Exception as exc:  # the user's module raised while importing
        raise MethodError(f"importing {module_name} raised {type(exc).__name__}: "
                          f"{_short(exc)}") from exc
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise MethodError(f"module {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, Method):
        return obj
    if not callable(obj):
        raise MethodError(f"{spec} is not callable; give a function method(F, x, baseline)")
    kind = getattr(obj, "kind", BASELINE)
    if kind not in (BASELINE, DISTRIBUTIONAL):
        kind = BASELINE
    return Method(spec, obj, kind, getattr(obj, "__doc__", None) or "a user's method")


def get_method(name: str) -> Method:
    """A registered method by CLI name, or a user's method ``module:function``."""
    if isinstance(name, Method):
        return name
    if ":" in name:
        return load_method(name)
    if name not in METHODS:
        raise MethodError(f"unknown method {name!r}",
                          f"use one of {', '.join(METHODS)} or module:function")
    return METHODS[name]
