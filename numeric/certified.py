"""Certified exact IG of a piecewise-linear network: the float walk proposes, rationals prove.

:func:`certified_integrated_gradients` takes the network's weights, the input and the baseline
as the exact rationals their floats are. The float64 exact walk (:mod:`numeric.exact`) only
proposes the activation regions along the straight path gamma(t) = x' + t (x - x'); exact
rational arithmetic (python-flint's ``fmpq``/``fmpq_mat``, batched over regions) then proves
each one. On a region with a fixed activation pattern every layer is affine in t,
a(t) = a0 + t a1, so every kink argument (a ReLU's input, the difference of a max-pool's
chosen entry and another) is affine in t and each of its roots -a0/a1 is an exact rational.
From an interior point m of a proposed region the pattern is read off exactly ((value, slope)
in lexicographic order, as :mod:`proofs.onesided`), and the region is the interval between
the nearest roots of its kink arguments around m. The regions found must tile [0, 1] exactly;
a gap (a region the float walk missed) is probed at its midpoint until none is left, and
reported. The gradient on each region is an exact back-propagation under its pattern, and the
attributions are the exact rationals d_i * sum_r |region r| * g_r,i; their sum equals
F(x) - F(x') exactly, checked on every result.

A kink argument identically 0 on a region (a flat tie: a ReLU input that stays 0, max-pool
entries equal all along) is decided from F, as :mod:`proofs.onesided` does: when no tied
branch depends on a coordinate the path moves in (a dependence traced through the pattern),
every branch gives the same partial derivatives there; otherwise the one-sided directional
derivatives along +e_i and -e_i are computed exactly for every moving coordinate i, and a
difference raises :class:`~numeric.errors.NotDifferentiableError`. A coordinate the path does
not move in gets attribution 0 (the factor x_i - x'_i is 0), as in the proofs engines.

The network's layers: nn.Sequential (nested), Linear, Conv2d (zero padding, no groups),
ReLU, LeakyReLU, MaxPool2d, AvgPool2d, Flatten, Identity, Dropout and BatchNorm1d/2d in eval
mode, and :class:`numeric.Residual`. Batch-norm is folded into a per-channel scale and shift
computed in float64 (w / sqrt(var + eps) is not rational); the certified network is the one
with those float64 numbers, recorded in the certificate. Anything else is refused by name.

That is the region prover (``prover="regions"``): dense exact layers, every unit of every
region. A chain of layers (no residual sums) goes by default to the incremental exact sweep
of :mod:`numeric.certified_sweep` (``prover="sweep"``): the same regions, patterns, tie rule
and attributions, found by walking t from 0 to 1 in integer arithmetic and updating only
what each switch changes (small_cnn on 3x32x32, 11,187 breakpoints: seconds of CPU where
this prover would take about an hour); a flat tie whose branches depend on a moving
coordinate sends the network back here. The float walk's regions are compared with the
exact ones either way.

:meth:`CertifiedResult.certificate` writes the proof: the weights (a safetensors file, named
by its SHA-256), the layer list, the exact breakpoints, and, version 1 (region prover), each
piece's activation pattern (packed bits) and the attributions, or, version 2 (sweep), the
first piece's pattern, the switches at each breakpoint and the attributions' SHA-256 with
their float64 roundings; ``python -m proofs verify FILE`` re-checks it with code that shares
nothing with the walk or the provers (:mod:`proofs.verify_network`,
:mod:`proofs.verify_sweep`).

>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU()).double()
>>> with torch.no_grad():
...     _ = net[0].weight.fill_(1.0); _ = net[0].bias.fill_(-1.0)
>>> r = certified_integrated_gradients(net, torch.full((1, 1), 3.0))
>>> r.values[0], r.breakpoints[0]
((Fraction(2, 1),), (Fraction(1, 3),))
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import torch.nn.functional as F
from flint import fmpq, fmpq_mat

from ._torch import torch
from .certified_sweep import NeedsRegions, attribution_digest, is_chain, sweep
from .errors import ArgumentError, NotDifferentiableError, UnsupportedFunctionError
from .layers import Residual

nn = torch.nn

__all__ = ["CertifiedResult", "NetworkCertificate", "certified_integrated_gradients"]

#: the certificate's "kind", which ``python -m proofs verify`` dispatches on
KIND = "network"
_ZERO = fmpq(0)
_ONE = fmpq(1)
#: regions proved per exact batch (memory grows with it)
_BATCH = 256


def _q(value: float) -> fmpq:
    """A float as the exact rational it is."""
    return fmpq(*float(value).as_integer_ratio())


def _qarr(values) -> np.ndarray:
    """A float array (any shape) as an object array of exact rationals (flat)."""
    flat = np.asarray(values, dtype=np.float64).ravel().tolist()
    return np.array([_q(v) for v in flat] or [], dtype=object)


def _fraction(q: fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


def _zeros(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(_ZERO)
    return out


def _matmul(m: fmpq_mat, x: np.ndarray) -> np.ndarray:
    """fmpq_mat (out, in) times an object array (in, cols): an object array (out, cols)."""
    rows, cols = x.shape
    if cols == 0:
        return np.empty((m.nrows(), 0), dtype=object)
    prod = m * fmpq_mat(rows, cols, x.ravel().tolist())
    return np.array(prod.entries(), dtype=object).reshape(m.nrows(), cols)


# ------------------------------------------------------------------------------- the program


@dataclass
class _Affine:
    matrix: fmpq_mat
    bias: np.ndarray | None          # (out, 1) object
    support: np.ndarray              # (out, in) float 0/1: which inputs each output reads
    transpose: fmpq_mat | None = None


@dataclass
class _Relu:
    slope: fmpq                      # 0 for ReLU


@dataclass
class _MaxPool:
    windows: np.ndarray              # (out, k) int64 input indices, -1 for padding
    n_in: int                        # the input's size (a floor-mode pool may skip its end)


@dataclass
class _Sum:
    body: list
    shortcut: list | None


def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


class _Builder:
    """Turns a torch network into the exact program and the certificate's layer list;
    ``dense=False``: the layer list only (the steps are None)."""

    def __init__(self, dense: bool = True) -> None:
        self.tensors: dict[str, np.ndarray] = {}
        self.dense = dense

    def tensor(self, name: str, t: torch.Tensor) -> str:
        self.tensors[name] = t.detach().cpu().to(torch.float64).numpy().copy()
        return name

    def build(self, model: nn.Module, shape: tuple[int, ...], prefix: str = ""
              ) -> tuple[list, list, tuple[int, ...]]:
        if type(model) is nn.Sequential:
            steps, spec = [], []
            for name, child in model.named_children():
                s, p, shape = self.build(child, shape, f"{prefix}{name}.")
                steps += s
                spec += p
            return steps, spec, shape
        return self.layer(model, shape, prefix)

    def layer(self, mod: nn.Module, shape: tuple[int, ...], prefix: str
              ) -> tuple[list, list, tuple[int, ...]]:
        where = f"layer {prefix[:-1] or 'model'} ({type(mod).__name__})"
        n_in = math.prod(shape)
        if isinstance(mod, nn.Dropout) and mod.training and mod.p > 0:
            raise UnsupportedFunctionError(f"{where} is random in training mode; call "
                                           "model.eval()")
        if isinstance(mod, (nn.Identity, nn.Dropout)) or type(mod) is nn.Flatten:
            if type(mod) is nn.Flatten and (mod.start_dim != 1 or mod.end_dim != -1):
                raise UnsupportedFunctionError(f"{where}: only Flatten(1, -1) is certified")
            if type(mod) is nn.Flatten:
                return [], [{"op": "flatten"}], (n_in,)
            return [], [], shape
        if type(mod) is nn.Linear:
            if len(shape) != 1 or shape[0] != mod.in_features:
                raise UnsupportedFunctionError(f"{where} needs a flat input of "
                                               f"{mod.in_features}, gets shape {shape}")
            w = mod.weight.detach().double()
            spec = {"op": "linear", "weight": self.tensor(prefix + "weight", w),
                    "bias": None}
            bias = None
            if mod.bias is not None:
                spec["bias"] = self.tensor(prefix + "bias", mod.bias)
                bias = mod.bias.detach().double()
            return [self.affine(w, bias)], [spec], (mod.out_features,)
        if type(mod) is nn.Conv2d:
            if mod.groups != 1 or mod.padding_mode != "zeros" or isinstance(mod.padding, str) \
                    or len(shape) != 3:
                raise UnsupportedFunctionError(f"{where}: only zero-padded, ungrouped Conv2d "
                                               "on (C, H, W) inputs is certified")
            w = mod.weight.detach().double()
            basis = torch.eye(n_in, dtype=torch.float64).reshape(n_in, *shape) if self.dense \
                else torch.zeros(1, *shape, dtype=torch.float64)
            with torch.no_grad():
                out = F.conv2d(basis, w, None, mod.stride, mod.padding, mod.dilation)
            out_shape = tuple(out.shape[1:])
            matrix = out.reshape(len(basis), -1).T
            bias = None
            spec = {"op": "conv2d", "weight": self.tensor(prefix + "weight", w), "bias": None,
                    "stride": list(_pair(mod.stride)), "padding": list(_pair(mod.padding)),
                    "dilation": list(_pair(mod.dilation))}
            if mod.bias is not None:
                spec["bias"] = self.tensor(prefix + "bias", mod.bias)
                hw = out_shape[1] * out_shape[2]
                bias = mod.bias.detach().double().repeat_interleave(hw)
            return [self.affine(matrix, bias)], [spec], out_shape
        if type(mod) in (nn.ReLU, nn.LeakyReLU):
            slope = 0.0 if type(mod) is nn.ReLU else float(mod.negative_slope)
            if not 0.0 <= slope < 1.0:
                raise UnsupportedFunctionError(f"{where}: a LeakyReLU slope in [0, 1) is "
                                               f"certified, got {slope}")
            spec = {"op": "relu"} if slope == 0 else {
                "op": "leaky_relu", "slope": str(_fraction(_q(slope)))}
            return [_Relu(_q(slope))], [spec], shape
        if type(mod) in (nn.MaxPool2d, nn.AvgPool2d):
            return self.pool(mod, shape, where)
        if type(mod) in (nn.BatchNorm1d, nn.BatchNorm2d):
            if mod.training or mod.running_var is None:
                raise UnsupportedFunctionError(f"{where} is in training mode; call "
                                               "model.eval()")
            with torch.no_grad():
                scale = torch.rsqrt(mod.running_var.double() + mod.eps)
                if mod.weight is not None:
                    scale = scale * mod.weight.double()
                shift = -mod.running_mean.double() * scale
                if mod.bias is not None:
                    shift = shift + mod.bias.double()
            per = n_in // shape[0]
            spec = {"op": "scale_shift", "scale": self.tensor(prefix + "scale", scale),
                    "shift": self.tensor(prefix + "shift", shift)}
            matrix = torch.diag(scale.repeat_interleave(per)) if self.dense else None
            return [self.affine(matrix, shift.repeat_interleave(per))], [spec], shape
        if type(mod) is Residual:
            body, body_spec, out_shape = self.build(mod.body, shape, prefix + "body.")
            short, short_spec = None, None
            if mod.shortcut is not None:
                short, short_spec, s_shape = self.build(mod.shortcut, shape,
                                                        prefix + "shortcut.")
                if s_shape != out_shape:
                    raise UnsupportedFunctionError(f"{where}: body and shortcut shapes differ")
            elif out_shape != shape:
                raise UnsupportedFunctionError(f"{where}: body changes the shape")
            return ([_Sum(body, short)],
                    [{"op": "residual", "body": body_spec, "shortcut": short_spec}], out_shape)
        raise UnsupportedFunctionError(
            f"{where} is not in the certified catalogue (Linear, Conv2d, ReLU, LeakyReLU, "
            "MaxPool2d, AvgPool2d, Flatten, BatchNorm in eval mode, numeric.Residual); use "
            "method='exact' for a float64 result")

    def pool(self, mod: nn.Module, shape: tuple[int, ...], where: str):
        if len(shape) != 3 or mod.ceil_mode or (type(mod) is nn.AvgPool2d and (
                mod.divisor_override is not None or not mod.count_include_pad)):
            raise UnsupportedFunctionError(f"{where}: only floor-mode pools on (C, H, W) "
                                           "inputs (average pools counting padding) are "
                                           "certified")
        k, s = _pair(mod.kernel_size), _pair(mod.stride or mod.kernel_size)
        p = _pair(mod.padding)
        d = _pair(getattr(mod, "dilation", 1))
        c, h, w = shape
        idx = torch.arange(c * h * w, dtype=torch.float64).reshape(c, 1, h, w)
        idx = F.pad(idx, (p[1], p[1], p[0], p[0]), value=-1.0)
        cols = F.unfold(idx, k, dilation=d, stride=s)          # (c, k0*k1, L)
        ho = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
        wo = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
        windows = cols.permute(0, 2, 1).reshape(c * ho * wo, -1).to(torch.int64).numpy()
        geometry = {"kernel": list(k), "stride": list(s), "padding": list(p)}
        if type(mod) is nn.MaxPool2d:
            spec = {"op": "maxpool2d", "dilation": list(d), **geometry}
            return [_MaxPool(windows, c * h * w)], [spec], (c, ho, wo)
        if not self.dense:
            return [None], [{"op": "avgpool2d", **geometry}], (c, ho, wo)
        matrix = torch.zeros(c * ho * wo, c * h * w, dtype=torch.float64)
        for j in range(windows.shape[1]):
            ok = windows[:, j] >= 0
            matrix[torch.arange(len(windows))[ok], torch.from_numpy(windows[ok, j])] = 1.0
        step = self.affine(matrix, None, scale=fmpq(1, k[0] * k[1]))
        return [step], [{"op": "avgpool2d", **geometry}], (c, ho, wo)

    def affine(self, matrix: torch.Tensor, bias: torch.Tensor | None,
               scale: fmpq = _ONE) -> _Affine | None:
        if not self.dense:
            return None
        m = matrix.detach().double().numpy()
        entries = [q * scale for q in _qarr(m)] if scale != _ONE else _qarr(m).tolist()
        mat = fmpq_mat(m.shape[0], m.shape[1], entries)
        b = None if bias is None else _qarr(bias.detach().double().numpy()).reshape(-1, 1)
        return _Affine(mat, b, (m != 0).astype(np.float32))


# ------------------------------------------------------------------- exact pass over regions


class _Pass:
    """One exact pass over R regions, each with an interior point m_r: the layers as
    a0 + t a1 (columns [0, R) and [R, 2R)), the patterns, the region ends, the ties."""

    def __init__(self, ms: list[fmpq]) -> None:
        self.R = len(ms)
        self.m = np.array(ms, dtype=object).reshape(1, -1)
        self.lo = np.array([_ZERO] * self.R, dtype=object)
        self.hi = np.array([_ONE] * self.R, dtype=object)
        self.patterns: list[np.ndarray] = []      # per kink step: (units, R) branch index
        self.records: list = []                   # per kink step, for the backward
        self.tied = np.zeros(self.R, dtype=bool)

    def roots(self, z0: np.ndarray, z1: np.ndarray, valid: np.ndarray | None = None) -> None:
        """Tighten the region ends with the roots of kink arguments z0 + t z1 (units, R)."""
        moving = z1 != 0
        if valid is not None:
            moving &= valid
        if not moving.any():
            return
        rho = np.where(moving, -z0 / np.where(moving, z1, _ONE), _ZERO)
        above = moving & (rho > self.m)
        below = moving & ~above
        if above.any():
            self.hi = np.minimum(self.hi, np.where(above, rho, _ONE).min(axis=0))
        if below.any():
            self.lo = np.maximum(self.lo, np.where(below, rho, _ZERO).max(axis=0))

    def run(self, steps: list, a: np.ndarray) -> np.ndarray:
        R = self.R
        for step in steps:
            if isinstance(step, _Affine):
                a = _matmul(step.matrix, a)     # (before the first kink: one column pair)
                if step.bias is not None:
                    a[:, :a.shape[1] // 2] += step.bias
            elif isinstance(step, _Sum):
                body = self.run(step.body, a)
                short = a if step.shortcut is None else self.run(step.shortcut, a)
                a = self.expand(body, short.shape[1]) + self.expand(short, body.shape[1])
            else:
                a = self.expand(a, 2 * R)
                a = self.relu(step, a) if isinstance(step, _Relu) else self.maxpool(step, a)
        return a

    def expand(self, a: np.ndarray, cols: int) -> np.ndarray:
        """Columns (a0, a1) shared by every region (before the first kink) as one pair per
        region, when ``cols`` asks for them."""
        if a.shape[1] == 2 and cols == 2 * self.R and self.R != 1:
            return np.concatenate([np.repeat(a[:, :1], self.R, 1),
                                   np.repeat(a[:, 1:], self.R, 1)], axis=1)
        return a

    def relu(self, step: _Relu, a: np.ndarray) -> np.ndarray:
        R = self.R
        z0, z1 = a[:, :R], a[:, R:]
        v = z0 + z1 * self.m
        zero_v = v == 0
        on = (v > 0) | (zero_v & (z1 > 0))
        tie = zero_v & (z1 == 0)
        self.tied |= tie.any(axis=0)
        self.roots(z0, z1)
        self.patterns.append(on.astype(np.uint8))
        self.records.append((step, on, tie))
        on2 = np.concatenate([on, on], axis=1)
        return np.where(on2, a, a * step.slope) if step.slope != 0 else np.where(on2, a, _ZERO)

    def maxpool(self, step: _MaxPool, a: np.ndarray) -> np.ndarray:
        R = self.R
        win = step.windows
        valid = win >= 0
        z0, z1 = a[:, :R], a[:, R:]
        safe = np.where(valid, win, 0)
        g0, g1 = z0[safe], z1[safe]                         # (out, k, R)
        v = g0 + g1 * self.m[None]
        first = valid.argmax(axis=1)
        rows = np.arange(len(win))
        best = np.repeat(first[:, None], R, 1)
        bv, bs = v[rows, first], g1[rows, first]
        for j in range(win.shape[1]):
            vj, sj = v[:, j], g1[:, j]
            better = valid[:, j:j + 1] & ((vj > bv) | ((vj == bv) & (sj > bs)))
            best = np.where(better, j, best)
            bv, bs = np.where(better, vj, bv), np.where(better, sj, bs)
        c0 = np.take_along_axis(g0, best[:, None, :], 1)[:, 0]
        c1 = np.take_along_axis(g1, best[:, None, :], 1)[:, 0]
        tiedset = valid[:, :, None] & (v == bv[:, None]) & (g1 == bs[:, None])  # (out, k, R)
        ties = tiedset.sum(axis=1) > 1
        for j in range(win.shape[1]):
            other = valid[:, j:j + 1] & (best != j)
            self.roots(c0 - g0[:, j], c1 - g1[:, j], other)
        self.tied |= ties.any(axis=0)
        self.patterns.append(best.astype(np.uint8))
        src = np.take_along_axis(safe[:, :, None].repeat(R, 2), best[:, None, :], 1)[:, 0]
        self.records.append((step, src, tiedset))
        return np.concatenate([c0, c1], axis=1)

    def backward(self, steps: list, g: np.ndarray, records: list) -> np.ndarray:
        """The gradient (units, R) back through ``steps`` under the recorded patterns;
        ``records`` is consumed from the end."""
        for step in reversed(steps):
            if isinstance(step, _Affine):
                if step.transpose is None:
                    step.transpose = step.matrix.transpose()
                g = _matmul(step.transpose, g)
            elif isinstance(step, _Sum):
                # the shortcut's kinks ran last: their records come off the end first
                gs = g if step.shortcut is None else self.backward(step.shortcut, g, records)
                g = self.backward(step.body, g, records) + gs
            else:
                st, info, _ = records.pop()
                if isinstance(step, _Relu):
                    g = np.where(info, g, g * st.slope) if st.slope != 0 else \
                        np.where(info, g, _ZERO)
                else:
                    out = _zeros((step.n_in, self.R))
                    np.add.at(out, (info, np.arange(self.R)[None, :].repeat(len(info), 0)), g)
                    g = out
        return g

    def dependence(self, steps: list, dep: np.ndarray, records: list,
                   harmful: np.ndarray) -> np.ndarray:
        """Which units depend, near each region's point, on a coordinate the path moves in
        (boolean (units, R)); marks in ``harmful`` the regions with a flat tie between
        branches that do. ``records`` is consumed from the front."""
        for step in steps:
            if isinstance(step, _Affine):
                dep = (step.support @ dep.astype(np.float32)) > 0
            elif isinstance(step, _Sum):
                body = self.dependence(step.body, dep, records, harmful)
                short = dep if step.shortcut is None else self.dependence(
                    step.shortcut, dep, records, harmful)
                dep = body | short
            else:
                if dep.shape[1] == 1:
                    dep = np.repeat(dep, self.R, 1)
                st, info, tie = records.pop(0)
                if isinstance(step, _Relu):
                    harmful |= (tie & dep).any(axis=0)
                    dep = dep & (info | tie) if st.slope == 0 else dep
                else:
                    safe = np.where(step.windows >= 0, step.windows, 0)
                    # the tied entries (the chosen one among them): does any depend?
                    anyd = (dep[safe] & tie).any(axis=1)                # (out, R)
                    harmful |= ((tie.sum(axis=1) > 1) & anyd).any(axis=0)
                    dep = anyd
        return dep


def _directional(steps: list, value: np.ndarray, slopes: np.ndarray) -> tuple:
    """(value, slopes) through ``steps`` at one point: ``value`` (units,) exact, ``slopes``
    (units, K) directional derivatives; each kink takes its branch by (value, then slope
    along the column's direction), innermost first, as proofs.onesided does."""
    for step in steps:
        if isinstance(step, _Affine):
            value = _matmul(step.matrix, value.reshape(-1, 1))[:, 0]
            if step.bias is not None:
                value = value + step.bias[:, 0]
            slopes = _matmul(step.matrix, slopes)
        elif isinstance(step, _Sum):
            bv, bs = _directional(step.body, value, slopes)
            if step.shortcut is None:
                value, slopes = bv + value, bs + slopes
            else:
                sv, ss = _directional(step.shortcut, value, slopes)
                value, slopes = bv + sv, bs + ss
        elif isinstance(step, _Relu):
            pos, zero = (value > 0)[:, None], (value == 0)[:, None]
            take = pos | (zero & (slopes > 0))
            slopes = np.where(take, slopes, slopes * step.slope)
            value = np.where(value > 0, value, value * step.slope)
        else:
            win = step.windows
            valid = win >= 0
            safe = np.where(valid, win, 0)
            wv = value[safe]                                         # (out, k)
            top = np.array([max(wv[o][valid[o]]) for o in range(len(win))], dtype=object)
            at_top = valid & (wv == top[:, None])
            ws = slopes[safe]                                        # (out, k, K)
            best = np.empty((len(win), slopes.shape[1]), dtype=object)
            for o in range(len(win)):
                best[o] = ws[o][at_top[o]].max(axis=0)
            value, slopes = top, best
    return value, slopes


# ---------------------------------------------------------------------------------- results


@dataclass
class CertifiedResult:
    """Exact IG of a network, proved region by region; per example: ``values`` (the exact
    attributions, Fractions, flattened), ``breakpoints`` (exact, in (0, 1)), ``f_input`` and
    ``f_baseline`` (exact outputs), ``missed`` (regions the float walk did not propose),
    ``spurious`` (float breakpoints that are no exact breakpoint), ``tied_regions`` (regions
    with a flat tie, decided from F), ``float_attributions`` (the float walk's), ``prover``
    ("sweep": the incremental exact sweep, :mod:`numeric.certified_sweep`; "regions": every
    region proved on its own), ``seconds`` (CPU seconds of the float walk and of the exact
    proof)."""

    values: list[tuple[Fraction, ...]]
    breakpoints: list[tuple[Fraction, ...]]
    f_input: list[Fraction]
    f_baseline: list[Fraction]
    missed: list[int]
    spurious: list[int]
    tied_regions: list[int]
    float_attributions: torch.Tensor
    shape: tuple[int, ...]
    _cert: dict = field(default_factory=dict, repr=False)
    prover: str = "regions"
    _gaps: list | None = field(default=None, repr=False)
    seconds: dict = field(default_factory=dict)

    @property
    def attributions(self) -> torch.Tensor:
        """The exact attributions rounded to float64 (shape of the inputs)."""
        return torch.tensor([[float(v) for v in vals] for vals in self.values],
                            dtype=torch.float64).reshape(len(self.values), *self.shape)

    @property
    def regions(self) -> list[int]:
        return [len(b) + 1 for b in self.breakpoints]

    @property
    def completeness_gap(self) -> list[Fraction]:
        """sum of the attributions - (F(x) - F(x')), exactly (0 on every result)."""
        if self._gaps is not None:
            return list(self._gaps)
        return [sum(v, Fraction(0)) - (fi - fb)
                for v, fi, fb in zip(self.values, self.f_input, self.f_baseline, strict=True)]

    def certificate(self) -> NetworkCertificate:
        """The proof, for ``python -m proofs verify``: ``.data`` (the JSON object, without
        the weights), ``.write(path)`` (writes ``path`` and the weights file beside it)."""
        return NetworkCertificate(self._cert["data"], self._cert["tensors"])


class NetworkCertificate:
    """A network certificate: the JSON object and the weight tensors it names."""

    def __init__(self, data: dict, tensors: dict[str, np.ndarray]) -> None:
        self.data = data
        self.tensors = tensors

    def write(self, path: str) -> str:
        """Write the weights to ``path`` with suffix ``.safetensors`` and the certificate
        (JSON, naming the weights file and its SHA-256) to ``path``; returns the weights
        file's name."""
        from safetensors.numpy import save

        from .errors import IGVerifyError

        root, _ = os.path.splitext(path)
        weights = root + ".safetensors"
        if os.path.abspath(weights) == os.path.abspath(path):
            raise ArgumentError(f"name the certificate something other than {path!r} (the "
                                "weights go to the .safetensors file beside it)")
        blob = save({k: np.ascontiguousarray(v) for k, v in self.tensors.items()})
        data = dict(self.data)
        data["weights"] = {"file": os.path.basename(weights),
                           "sha256": hashlib.sha256(blob).hexdigest()}
        try:
            with open(weights, "wb") as out:
                out.write(blob)
            with open(path, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1)
                out.write("\n")
        except OSError as exc:
            raise IGVerifyError(f"cannot write the certificate to {path}: {exc.strerror}") \
                from None
        return weights


def _pack(patterns: list[np.ndarray], widths: list[int], r: int) -> str:
    bits = []
    for pat, w in zip(patterns, widths, strict=True):
        col = pat[:, r].astype(np.uint8)
        if w == 1:
            bits.append(col)
        else:
            bits.append(((col[:, None] >> np.arange(w - 1, -1, -1)) & 1).ravel().astype(
                np.uint8))
    return base64.b64encode(np.packbits(np.concatenate(bits)).tobytes()).decode()


def _widths(steps: list) -> list[int]:
    out = []
    for step in steps:
        if isinstance(step, _Sum):
            out += _widths(step.body) + (_widths(step.shortcut) if step.shortcut else [])
        elif isinstance(step, _Relu):
            out.append(1)
        elif isinstance(step, _MaxPool):
            out.append(max(1, (step.windows.shape[1] - 1).bit_length()))
    return out


def _value(steps: list, x: np.ndarray) -> np.ndarray:
    """The exact forward at one point (no directions)."""
    value, _ = _directional(steps, x, np.empty((len(x), 0), dtype=object))
    return value


def certified_integrated_gradients(model: nn.Module, inputs: torch.Tensor,
                                   baselines: torch.Tensor | float | None = None,
                                   target: int | list[int] | None = None,
                                   batch_size: int | None = None,
                                   prover: str = "auto") -> CertifiedResult:
    """Exact, proved IG of a piecewise-linear torch network (see the module docstring):
    ``inputs`` (N, ...), ``baselines`` None (zeros), a number or a tensor like ``inputs``,
    ``target`` the output index (one per example, or one for all; None for a single
    output). ``batch_size``: probes per pass of the float walk. ``prover``: "sweep" (the
    incremental exact sweep of :mod:`numeric.certified_sweep`: chains without residual sums,
    certificate version 2), "regions" (every region proved on its own, dense: any network
    of the catalogue, certificate version 1) or "auto" (the sweep where it applies, else the
    regions; also where the sweep meets a flat tie it does not decide).

    >>> import torch
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(),
    ...                           torch.nn.Linear(2, 1)).double()
    >>> r = certified_integrated_gradients(net, torch.tensor([[1.0, 2.0]]))
    >>> r.completeness_gap
    [Fraction(0, 1)]
    """
    from .arguments import check_inputs, format_point
    from .exact import exact_path_attribution
    from .piecewise_ops import CastMode
    from .targets import normalize_target, select_output

    if not isinstance(model, nn.Module):
        raise ArgumentError(f"model must be an nn.Module, got {type(model).__name__}")
    x = check_inputs(inputs).detach().to(torch.float64)
    base = format_point(baselines, x, "baselines").detach().to(torch.float64)
    if prover not in ("auto", "sweep", "regions"):
        raise ArgumentError(f"prover must be 'auto', 'sweep' or 'regions', got {prover!r}")
    n = x.shape[0]
    shape = tuple(x.shape[1:])
    builder = _Builder(dense=False)
    steps, spec, out_shape = builder.build(model, shape)
    n_out = math.prod(out_shape)
    tgt = normalize_target(target, n, x.device)
    if tgt is None and n_out != 1:
        raise ArgumentError(f"the model has {n_out} outputs; pass target=")
    # the flat output index the target picks, per example (as the walk selects it)
    index = torch.arange(n_out, dtype=torch.float64).expand(n, n_out).reshape(n, *out_shape)
    targets = [int(v) for v in select_output(index, tgt, torch.arange(n)).tolist()]
    cpu = time.process_time()
    with warnings.catch_warnings():   # flat ties are decided below, from F
        warnings.simplefilter("ignore", UserWarning)
        walk = exact_path_attribution(model, [base, x], target=target, batch_size=batch_size)
    seconds = {"float walk": time.process_time() - cpu}
    cpu = time.process_time()
    refs = []
    for e in range(n):
        with torch.no_grad(), CastMode(torch.float64):   # a float32 model runs in float64
            refs.append(model(x[e:e + 1]).reshape(-1).double().tolist())
    if prover != "regions" and is_chain(spec):
        try:
            result = _by_sweep(builder, spec, x, base, targets, walk, refs)
            result.seconds = {**seconds, "exact proof": time.process_time() - cpu}
            return result
        except NeedsRegions as why:
            if prover == "sweep":
                raise UnsupportedFunctionError(f"the exact sweep does not decide this network "
                                               f"on this path ({why}); use prover='regions'") \
                    from None
    elif prover == "sweep":
        raise UnsupportedFunctionError("the exact sweep takes chains of layers (no residual "
                                       "sums); use prover='regions'")
    builder = _Builder()
    steps, spec, out_shape = builder.build(model, shape)
    widths = _widths(steps)
    values, bps, fis, fbs, missed, spurious, tied = [], [], [], [], [], [], []
    examples = []
    for e in range(n):
        xe, be = _qarr(x[e].numpy()), _qarr(base[e].numpy())
        fx = _value(steps, xe)
        _check_forward(fx.tolist(), refs[e])
        fb = _value(steps, be)[targets[e]]
        fi = fx[targets[e]]
        proof = _prove(steps, xe, be, targets[e], walk.breakpoints[e][0])
        values.append(tuple(_fraction(v) for v in proof["attributions"]))
        bps.append(tuple(_fraction(b) for b in proof["breakpoints"]))
        fis.append(_fraction(fi))
        fbs.append(_fraction(fb))
        missed.append(proof["missed"])
        spurious.append(proof["spurious"])
        tied.append(proof["tied"])
        if sum(proof["attributions"], _ZERO) != fi - fb:
            raise RuntimeError("the exact attributions do not add up to F(x) - F(x'); "
                               "please report")
        builder.tensor(f"input.{e}", x[e])
        builder.tensor(f"baseline.{e}", base[e])
        examples.append({
            "input": f"input.{e}", "baseline": f"baseline.{e}", "target": targets[e],
            "breakpoints": [str(b) for b in proof["breakpoints"]],
            "patterns": [_pack(proof["patterns"], widths, r) for r in range(proof["R"])],
            "attributions": [str(v) for v in proof["attributions"]],
            "F(input)": str(fi), "F(baseline)": str(fb),
            "sum": str(sum(proof["attributions"], _ZERO)), "completeness_gap": "0",
        })
    data = _certificate(1, shape, spec, examples, [
                  "pattern bits per piece: the kink layers in order (residual: body, then "
                  "shortcut), units row-major; ReLU 1 bit (1 = input passed), max-pool the "
                  "chosen window entry (row-major in the window, padding included), "
                  "most significant bit first"])
    return CertifiedResult(values, bps, fis, fbs, missed, spurious, tied,
                           walk.attributions, shape,
                           {"data": data, "tensors": builder.tensors},
                           seconds={**seconds, "exact proof": time.process_time() - cpu})


def _certificate(version: int, shape: tuple, spec: list, examples: list, notes: list) -> dict:
    """The certificate's JSON object (without the weights file's name and hash)."""
    return {"kind": KIND, "version": version,
            "method": "integrated gradients, straight path from the baseline to the input",
            "input_shape": list(shape), "layers": spec, "examples": examples,
            "notes": ["weights, inputs and baselines are the exact rationals of the stored "
                      "float64 numbers; batch-norm, if any, is folded in float64 (scale, "
                      "shift)", *notes]}


def _check_forward(exact: list, ref: list[float]) -> None:
    if not all(abs(float(a) - float(b)) <= 1e-9 * (1 + abs(float(b)))
               for a, b in zip(exact, ref, strict=True)):
        raise RuntimeError("the exact program disagrees with the model's float64 forward "
                           "(a layer read wrongly); please report")


def _by_sweep(builder: _Builder, spec: list, x: torch.Tensor, base: torch.Tensor,
              targets: list[int], walk, refs: list) -> CertifiedResult:
    """Every example by the incremental exact sweep; the certificate in version 2."""
    from bisect import bisect_right

    shape = tuple(x.shape[1:])
    values, bps, fis, fbs, missed, spurious, tied, gaps, examples = ([] for _ in range(9))
    for e in range(x.shape[0]):
        sw = sweep(spec, builder.tensors, shape, base[e].numpy(), x[e].numpy(), targets[e])
        _check_forward(sw.outputs, refs[e])
        proposals = _float_proposals(walk.breakpoints[e][0])
        hit = {bisect_right(sw.breakpoints, m) for m in proposals}
        regions = len(sw.breakpoints) + 1
        values.append(tuple(sw.values))
        bps.append(tuple(_fraction(b) for b in sw.breakpoints))
        fis.append(sw.f_input)
        fbs.append(sw.f_baseline)
        missed.append(regions - len(hit))
        spurious.append(len(proposals) - len(hit))
        tied.append(sw.tied)
        gaps.append(sw.gap)
        builder.tensor(f"input.{e}", x[e])
        builder.tensor(f"baseline.{e}", base[e])
        widths = [w for _, w in sw.kink_layers]
        examples.append({
            "input": f"input.{e}", "baseline": f"baseline.{e}", "target": targets[e],
            "breakpoints": [str(b) for b in sw.breakpoints],
            "initial_pattern": _pack([c.reshape(-1, 1) for c in sw.initial], widths, 0),
            "changes": sw.changes,
            "attributions_sha256": attribution_digest(sw.pairs),
            "attributions_float": [p / q for p, q in sw.pairs],
            "F(input)": str(sw.f_input), "F(baseline)": str(sw.f_baseline),
            "completeness_gap": str(sw.gap)})
    data = _certificate(2, shape, spec, examples, [
                  "initial_pattern: the choices on the first piece, packed bits: the kink "
                  "layers in order, units row-major; ReLU 1 bit (1 = input passed), max-pool "
                  "the chosen window entry (row-major in the window, padding included), most "
                  "significant bit first",
                  "changes: per breakpoint, the kink units that switch there, flat triples "
                  "[kink layer, unit, new choice]",
                  "attributions_sha256: SHA-256 of the exact attributions, one line per "
                  "coordinate 'p/q' (reduced, q > 0, lower-case hexadecimal); "
                  "attributions_float: each rounded to the nearest float64"])
    return CertifiedResult(values, bps, fis, fbs, missed, spurious, tied,
                           walk.attributions, shape,
                           {"data": data, "tensors": builder.tensors}, "sweep", gaps)


def _float_proposals(cuts: list[float]) -> list[fmpq]:
    ends = [0.0, *cuts, 1.0]
    return [_q((a + b) / 2) for a, b in zip(ends[:-1], ends[1:], strict=True)
            if a < (a + b) / 2 < b]


def _prove_batch(steps: list, start: np.ndarray, ms: list, target: int, x: np.ndarray,
                 base: np.ndarray, moving: np.ndarray) -> tuple:
    """One exact pass over the regions around the points ``ms``: (lo, hi, patterns,
    gradients (n_in, R), whether each has a flat tie)."""
    p = _Pass(ms)
    out = p.run(steps, start)
    g = _zeros((out.shape[0], p.R))
    g[target, :] = _ONE
    harmful = np.zeros(p.R, dtype=bool)
    if p.tied.any():
        p.dependence(steps, moving.reshape(-1, 1), list(p.records), harmful)
    grad = p.backward(steps, g, list(p.records))              # (n_in, R)
    lo, hi = p.lo.tolist(), p.hi.tolist()
    for r in np.flatnonzero(harmful):
        grad[:, r] = _one_sided(steps, x, base, moving, target, ms[r], (lo[r], hi[r]))
    return lo, hi, p.patterns, grad, p.tied


def _prove(steps: list, x: np.ndarray, base: np.ndarray, target: int,
           cuts: list[float]) -> dict:
    """The exact regions along base -> x (proposed at the midpoints of the float regions;
    each gap left between them probed at its midpoint), their patterns and gradients, and
    the attributions."""
    d = x - base
    moving = np.array([v != 0 for v in d.tolist()], dtype=bool)
    start = np.concatenate([base.reshape(-1, 1), d.reshape(-1, 1)], axis=1)
    found: dict[tuple, tuple] = {}       # (lo, hi) -> (pattern columns, gradient, tied)
    pending = _float_proposals(cuts)
    proposed = len(pending)
    missed = from_float = rounds = 0
    while pending:
        rounds += 1
        for i in range(0, len(pending), _BATCH):
            lo, hi, pats, grad, tied = _prove_batch(steps, start, pending[i:i + _BATCH],
                                                    target, x, base, moving)
            for r, key in enumerate(zip(lo, hi, strict=True)):
                if key not in found:
                    found[key] = ([pat[:, r] for pat in pats], grad[:, r], bool(tied[r]))
                    missed += rounds > 1
        if rounds == 1:
            from_float = len(found)
        pending = []
        at = _ZERO
        for lo, hi in sorted(found):
            if lo > at:
                pending.append((at + lo) / 2)
            elif lo < at:
                raise RuntimeError(f"exact regions overlap at t = {lo}; please report")
            at = hi
        if at < _ONE:
            pending.append((at + _ONE) / 2)
        if rounds > 10_000:
            raise RuntimeError("the exact region search does not converge; please report")
    spans = sorted(found)
    R = len(spans)
    grads = np.stack([found[s][1] for s in spans], axis=1)
    lengths = np.array([hi - lo for lo, hi in spans], dtype=object).reshape(-1, 1)
    grad_sum = _matmul(fmpq_mat(len(x), R, grads.ravel().tolist()), lengths)[:, 0]
    attributions = [di * gi if mv else _ZERO
                    for di, gi, mv in zip(d.tolist(), grad_sum.tolist(), moving.tolist(),
                                          strict=True)]
    kinds = len(found[spans[0]][0])
    merged = [np.stack([found[s][0][k] for s in spans], axis=1) for k in range(kinds)]
    return {"attributions": attributions, "breakpoints": [hi for _, hi in spans[:-1]],
            "patterns": merged, "R": R, "missed": missed,
            "spurious": proposed - from_float,      # float regions inside one exact region
            "tied": sum(found[s][2] for s in spans)}


def _one_sided(steps: list, x: np.ndarray, base: np.ndarray, moving: np.ndarray,
               target: int, m: fmpq, span: tuple) -> np.ndarray:
    """The gradient on a region with a flat tie whose branches depend on moving
    coordinates: from F's one-sided partial derivatives at the interior point m (exact);
    NotDifferentiableError where they differ."""
    idx = np.flatnonzero(moving)
    k = len(idx)
    point = base + (x - base) * m
    slopes = _zeros((len(x), 2 * k))
    for j, i in enumerate(idx):
        slopes[i, j] = _ONE
        slopes[i, k + j] = -_ONE
    _, out = _directional(steps, point, slopes)
    right, left = out[target, :k], -out[target, k:]
    grad = _zeros(len(x))
    for j, i in enumerate(idx):
        if right[j] != left[j]:
            raise NotDifferentiableError(
                f"dF/dx{i + 1} does not exist for t in [{span[0]}, {span[1]}]: the network's "
                f"one-sided derivatives there are {right[j]} (along +x{i + 1}) and {left[j]} "
                f"(along -x{i + 1}), where kink arguments tie all along")
        grad[i] = right[j]
    return grad
