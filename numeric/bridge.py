"""Bridge from small torch networks to ``proofs.Function`` with exact rational weights.

Every float weight w becomes the rational number it is exactly (``w.as_integer_ratio()``),
so the function the exact engines see is the network's function, not an approximation of
it. Supported layers: Linear, Conv1d/Conv2d (no groups), MaxPool1d/2d, AvgPool2d, Flatten,
Identity, Dropout and BatchNorm1d/2d in eval mode (bridged as the float64 affine map
w/sqrt(var + eps): exact to float64 rounding, not bit-exact), ReLU, LeakyReLU (slope in
[0, 1]), Tanh, Sigmoid, Softplus, nested nn.Sequential. Softplus is bridged as the exact
log(1 + exp(beta x))/beta; torch switches to x above ``threshold``/beta, a difference below
2.1e-9 there.

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.ReLU())
>>> with torch.no_grad():
...     _ = net[0].weight.copy_(torch.tensor([[0.5, -2.0]])); _ = net[0].bias.fill_(0.25)
>>> to_function(net).expr
Max(0, x1/2 - 2*x2 + 1/4)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np
import sympy as sp

from ._torch import torch
from .errors import ArgumentError, DimensionError, UnsupportedFunctionError

nn = torch.nn

__all__ = ["exact_rational", "to_function"]


def exact_rational(value: float) -> sp.Rational:
    """The float ``value`` as the exact rational it is.

    >>> exact_rational(0.1)
    3602879701896397/36028797018963968
    """
    p, q = float(value).as_integer_ratio()
    return sp.Rational(p, q)


def _rationals(t: torch.Tensor) -> np.ndarray:
    arr = t.detach().cpu().double().numpy()
    out = np.empty(arr.shape, dtype=object)
    for idx in np.ndindex(arr.shape):
        out[idx] = exact_rational(arr[idx])
    return out


def _flatten(model: nn.Module) -> list[tuple[str, nn.Module]]:
    if type(model) is nn.Sequential:
        layers = []
        for name, child in model.named_children():
            layers += [(f"{name}.{n}" if n else name, m) for n, m in _flatten(child)]
        return layers
    return [("", model)]


def _affine(w: np.ndarray, h: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """w (out, in) @ h (in,) + b with sympy Adds built once per output."""
    out = np.empty(w.shape[0], dtype=object)
    for j in range(w.shape[0]):
        terms = [w[j, k] * h[k] for k in range(w.shape[1]) if w[j, k] != 0 and h[k] != 0]
        if b is not None and b[j] != 0:
            terms.append(b[j])
        out[j] = sp.Add(*terms)
    return out


def _conv2d(mod: nn.Conv2d, h: np.ndarray) -> np.ndarray:
    if mod.groups != 1 or mod.padding_mode != "zeros" or isinstance(mod.padding, str):
        raise UnsupportedFunctionError(
            f"{type(mod).__name__} with groups, string padding or padding_mode is not bridged"
        )
    w = _rationals(mod.weight)
    b = _rationals(mod.bias) if mod.bias is not None else None
    (ph, pw), (sh, sw), (dh, dw) = mod.padding, mod.stride, mod.dilation
    c, hh, ww = h.shape
    padded = np.full((c, hh + 2 * ph, ww + 2 * pw), sp.Integer(0), dtype=object)
    padded[:, ph:ph + hh, pw:pw + ww] = h
    kh, kw = mod.kernel_size
    oh = (hh + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (ww + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.empty((mod.out_channels, oh, ow), dtype=object)
    for o, i, j in product(range(mod.out_channels), range(oh), range(ow)):
        rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
        cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
        patch = padded[:, rows, cols]
        terms = [wv * hv for wv, hv in zip(w[o].ravel(), patch.ravel(), strict=True)
                 if wv != 0 and hv != 0]
        if b is not None:
            terms.append(b[o])
        out[o, i, j] = sp.Add(*terms)
    return out


def _pool2d(mod: nn.Module, h: np.ndarray, kind: str) -> np.ndarray:
    def pair(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    k, s = pair(mod.kernel_size), pair(mod.stride or mod.kernel_size)
    if any(pair(mod.padding)) or getattr(mod, "ceil_mode", False) or \
            any(d != 1 for d in pair(getattr(mod, "dilation", 1))):
        raise UnsupportedFunctionError(f"{type(mod).__name__} with padding, dilation or "
                                       "ceil_mode is not bridged")
    c, hh, ww = h.shape
    oh, ow = (hh - k[0]) // s[0] + 1, (ww - k[1]) // s[1] + 1
    out = np.empty((c, oh, ow), dtype=object)
    for ch, i, j in product(range(c), range(oh), range(ow)):
        window = list(h[ch, i * s[0]:i * s[0] + k[0], j * s[1]:j * s[1] + k[1]].ravel())
        out[ch, i, j] = sp.Max(*window) if kind == "max" else sp.Add(*window) / len(window)
    return out


def to_function(model: nn.Module, target: int | None = None,
                input_shape: Sequence[int] | None = None, variables: Sequence[str] | None = None):
    """The scalar function ``model(x)[target]`` as a ``proofs.Function`` with exact weights.

    Variables are x1..xD in the order of the flattened input. ``input_shape`` (without the
    batch dimension) is needed when the first layer is not Linear, e.g. (1, 8, 8) for a
    conv net; ``target`` picks the output when there are several.

    >>> import torch
    >>> f = to_function(torch.nn.Sequential(torch.nn.Linear(1, 1, bias=False), torch.nn.Tanh()))
    >>> f.dimension
    1
    """
    import proofs

    layers = _flatten(model)
    if input_shape is None:
        first = next((m for _, m in layers if not isinstance(m, (nn.Identity, nn.Flatten))), None)
        if not isinstance(first, nn.Linear):
            raise ArgumentError("pass input_shape= (without the batch dimension) for this network")
        input_shape = (first.in_features,)
    input_shape = tuple(int(s) for s in input_shape)
    dim = int(np.prod(input_shape))
    names = list(variables) if variables is not None else [f"x{i + 1}" for i in range(dim)]
    if len(names) != dim:
        raise DimensionError(f"{len(names)} variable names for {dim} inputs")
    symbols = [sp.Symbol(nm, real=True) for nm in names]
    h = np.empty(dim, dtype=object)
    h[:] = symbols
    h = h.reshape(input_shape)
    for name, mod in layers:
        label = f"layer {name} ({type(mod).__name__})" if name else type(mod).__name__
        if mod.training and isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d, nn.Dropout)):
            raise UnsupportedFunctionError(f"{label} is in training mode; call model.eval()")
        if isinstance(mod, nn.Linear):
            if h.ndim != 1 or h.shape[0] != mod.in_features:
                raise DimensionError(f"{label} expects {mod.in_features} inputs, gets {h.shape}")
            h = _affine(_rationals(mod.weight), h,
                        _rationals(mod.bias) if mod.bias is not None else None)
        elif isinstance(mod, nn.Conv2d):
            h = _conv2d(mod, h)
        elif isinstance(mod, nn.Conv1d):
            conv = nn.Conv2d(mod.in_channels, mod.out_channels, (1, mod.kernel_size[0]),
                             stride=(1, mod.stride[0]), padding=(0, mod.padding[0]),
                             dilation=(1, mod.dilation[0]), bias=mod.bias is not None)
            with torch.no_grad():
                conv.weight.copy_(mod.weight.unsqueeze(2))
                if mod.bias is not None:
                    conv.bias.copy_(mod.bias)
            conv = conv.to(mod.weight.dtype)
            h = _conv2d(conv, h[:, None, :])[:, 0, :]
        elif isinstance(mod, nn.MaxPool2d):
            h = _pool2d(mod, h, "max")
        elif isinstance(mod, nn.AvgPool2d):
            h = _pool2d(mod, h, "avg")
        elif isinstance(mod, nn.MaxPool1d):
            h = _pool2d(nn.MaxPool2d((1, mod.kernel_size), (1, mod.stride or mod.kernel_size)),
                        h[:, None, :], "max")[:, 0, :]
        elif isinstance(mod, nn.Flatten):
            h = h.reshape(-1)
        elif isinstance(mod, (nn.Identity, nn.Dropout)):
            pass
        elif isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            scale = mod.weight.detach().double() / torch.sqrt(mod.running_var.double() + mod.eps) \
                if mod.affine else 1.0 / torch.sqrt(mod.running_var.double() + mod.eps)
            shift = (mod.bias.detach().double() if mod.affine else 0.0) - \
                mod.running_mean.double() * scale
            sc, sh = _rationals(scale), _rationals(shift)
            shape = (-1,) + (1,) * (h.ndim - 1)
            h = h * sc.reshape(shape) + sh.reshape(shape)
        else:
            fn = _elementwise(mod, label, proofs)
            h = np.vectorize(fn, otypes=[object])(h)
    out = h.reshape(-1)
    if target is None:
        if out.shape[0] != 1:
            raise ArgumentError(f"the network has {out.shape[0]} outputs; pass target=")
        target = 0
    if not 0 <= target < out.shape[0]:
        raise ArgumentError(f"target {target} is out of range for {out.shape[0]} outputs")
    return proofs.Function(out[target], variables=symbols)


def _elementwise(mod: nn.Module, label: str, proofs):
    if isinstance(mod, nn.ReLU):
        return lambda z: _max(sp.Integer(0), z)
    if isinstance(mod, nn.LeakyReLU):
        slope = mod.negative_slope
        if not 0 <= slope <= 1:
            raise UnsupportedFunctionError(f"{label} has slope {slope} outside [0, 1]")
        s = exact_rational(slope)
        return lambda z: _max(s * z, z)
    if isinstance(mod, nn.Tanh):
        return sp.tanh
    if isinstance(mod, nn.Sigmoid):
        return proofs.sigmoid
    if isinstance(mod, nn.Softplus):
        beta = exact_rational(mod.beta)
        if beta == 1:
            return proofs.softplus
        return lambda z: proofs.softplus(beta * z) / beta
    raise UnsupportedFunctionError(f"{label} is not supported by the bridge to proofs")


def _max(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """Max(a, b) as proofs.relu / proofs.leaky_relu build it, without sympy's slow search for
    which argument is larger (which takes seconds on a 64-input pre-activation)."""
    if (a - b).is_number:
        return sp.Max(a, b)
    return sp.Max(a, b, evaluate=False)
