"""The independent checker of sweep network certificates (version 2), sparse and incremental.

A version-2 network certificate (``numeric.certified_integrated_gradients`` on a chain of
layers) states the breakpoints t_1 < ... < t_m in (0, 1), the activation pattern on the first
piece and, per breakpoint, the kink units that switch there; the attributions are committed
by the SHA-256 of their exact canonical text (one line ``p/q`` per coordinate, reduced, in
lower-case hexadecimal) and shown rounded. This module imports neither torch nor ``numeric``;
it rebuilds every layer from the layer list by its own index arithmetic (convolutions as
sparse rows), takes every float as the exact rational it is (integers over one power of two
per layer) and walks the pieces in order, updating only what a switch changes:

1. on every piece, under the stated pattern, every kink argument (a ReLU's input; a
   max-pool's chosen entry minus another entry) is affine in t, and the stated branch must
   hold on the whole closed piece: each unit's (form, branch) holds on an interval of t,
   which must contain the piece where it starts and reach the breakpoint where it changes
   (or 1). A flat tie (a kink argument identically 0 on a piece) must take the canonical
   branch (ReLU: 0; max-pool: the first tied entry) and is accepted only where no tied
   branch depends on a coordinate the path moves in (traced through the nonzero weights
   and the pattern), so that every branch has the same partial derivatives there; any other
   is refused (that network needs the region certificate, version 1, whose verifier checks
   F's one-sided derivatives);
2. every breakpoint is where the interval of some unit that changes there ends (a root of a
   moving kink argument of the piece before it): none invented; a dropped one leaves a unit
   whose interval ends inside a piece;
3. on every piece, the gradient back-propagated under the pattern (updated where the switches
   change it) dotted with x - x' equals the target's slope;
4. the attributions A_i = d_i (g_last,i - sum_k t_k (g_k,i - g_k-1,i)) (Abel summation of
   d_i sum over pieces of length * g_i), each coordinate summed exactly, hash to the stated
   SHA-256 and round to the stated floats; the target's exact values at the input and the
   baseline are the stated F(input) and F(baseline); the attributions add up to their
   difference (checked modulo a 61-bit prime; exactly it follows from steps 1 and 3).

>>> check_sweep_example({"target": 0}, None, 0)
Traceback (most recent call last):
...
proofs.errors.CertificateError: example 0: 'input' must name a tensor of the weights file
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import CertificateError

__all__ = ["SweepNetwork", "check_sweep_example", "flint_module", "gate_slope", "named_tensor",
           "pool_windows", "rational", "sizes"]

_PRIME = 2**61 - 1
#: the largest layer geometry number and sparse layer (stored entries) this verifier accepts
MAX_GEOMETRY = 4096
MAX_ENTRIES = 10**8


class _Fail(Exception):
    pass


def flint_module():
    """python-flint, or a CertificateError saying how to install it."""
    try:
        import flint
    except ImportError:  # pragma: no cover
        raise CertificateError("verifying a network certificate needs python-flint: "
                               "pip install python-flint") from None
    return flint


def _fq():
    flint = flint_module()
    return flint.fmpq, flint.fmpz


def sizes(obj: Any, n: int, what: str) -> tuple[int, ...]:
    """``obj`` as n geometry integers in [0, MAX_GEOMETRY], or a CertificateError.

    >>> sizes([1, 2], 2, "stride")
    (1, 2)
    """
    if not isinstance(obj, list) or len(obj) != n or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_GEOMETRY
            for v in obj):
        raise CertificateError(f"'{what}' must be a list of {n} integers in [0, "
                               f"{MAX_GEOMETRY}]")
    return tuple(obj)


def pool_windows(layer: dict, shape: tuple, kernel: tuple[int, int]
                 ) -> tuple[np.ndarray, tuple]:
    """The flat input index of every entry of every window of a (C, H, W) input (row-major in
    the window, -1 in the padding) and the output shape, from the layer's stride, padding
    and dilation.

    >>> pool_windows({"op": "maxpool2d", "stride": [2, 2], "padding": [0, 0]}, (1, 2, 2),
    ...              (2, 2))[0].tolist()
    [[0, 1, 2, 3]]
    """
    if len(shape) != 3:
        raise CertificateError(f"{layer['op']} needs a (C, H, W) input, gets {shape}")
    s = sizes(layer.get("stride"), 2, "stride")
    p = sizes(layer.get("padding"), 2, "padding")
    d = sizes(layer.get("dilation", [1, 1]), 2, "dilation")
    if min(s) < 1 or min(d) < 1 or min(kernel) < 1:
        raise CertificateError("kernel, stride and dilation must be positive")
    c, h, w = shape
    ho = (h + 2 * p[0] - d[0] * (kernel[0] - 1) - 1) // s[0] + 1
    wo = (w + 2 * p[1] - d[1] * (kernel[1] - 1) - 1) // s[1] + 1
    if ho < 1 or wo < 1:
        raise CertificateError(f"{layer['op']} leaves no output")
    oy = np.arange(ho)[:, None] * s[0] - p[0] + np.arange(kernel[0])[None, :] * d[0]
    ox = np.arange(wo)[:, None] * s[1] - p[1] + np.arange(kernel[1])[None, :] * d[1]
    iy, ix = oy[:, None, :, None], ox[None, :, None, :]
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    flat = np.where(inside, iy * w + ix, -1).reshape(ho * wo, kernel[0] * kernel[1])
    chan = np.arange(c)[:, None, None] * (h * w)
    win = np.where(flat[None] >= 0, flat[None] + chan, -1).reshape(c * ho * wo, -1)
    return win, (c, ho, wo)


def named_tensor(tensors: dict, name: Any, shape: tuple | None = None) -> np.ndarray:
    """The weights file's tensor ``name`` (of ``shape``, when given), or a CertificateError.

    >>> named_tensor({"w": np.zeros(2)}, "w", (2,)).tolist()
    [0.0, 0.0]
    """
    if not isinstance(name, str) or name not in tensors:
        raise CertificateError(f"the weights file has no tensor {name!r}")
    t = tensors[name]
    if shape is not None and tuple(t.shape) != shape:
        raise CertificateError(f"tensor {name!r} has shape {tuple(t.shape)}, the layer "
                               f"needs {shape}")
    return t


def gate_slope(layer: dict) -> Fraction:
    """The negative-side slope of a "relu" (0) or "leaky_relu" layer (its 'slope' p/q, in
    [0, 1)), or a CertificateError.

    >>> gate_slope({"op": "leaky_relu", "slope": "1/8"})
    Fraction(1, 8)
    """
    if layer["op"] == "relu":
        return Fraction(0)
    text = layer.get("slope")
    try:
        slope = Fraction(text) if isinstance(text, str) and len(text) < 100 else None
    except (ValueError, ZeroDivisionError):
        slope = None
    if slope is None or not 0 <= slope < 1:
        raise CertificateError("a leaky_relu needs a 'slope' p/q in [0, 1)")
    return slope


def _entries(n: int) -> None:
    if n > MAX_ENTRIES:
        raise CertificateError(f"a layer of {n:,} weight entries is larger than this verifier "
                               f"accepts ({MAX_ENTRIES:,})")


def _dyadic(values: np.ndarray) -> tuple[list[int], int]:
    """Floats as integers over their least common power-of-two denominator."""
    pairs = [v.as_integer_ratio() for v in np.asarray(values, dtype=np.float64).ravel().tolist()]
    den = max([q for _, q in pairs] + [1])
    return [p * (den // q) for p, q in pairs], den


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


class _Rows:
    """An affine layer as sparse rows: out_j = (sum w[j, k] in[col[j, k]] + bias_j) / den."""

    def __init__(self, col: np.ndarray, w: np.ndarray, bias: np.ndarray | None, n_in: int,
                 den_in: int, den_w: int, den_b: int) -> None:
        den = math.lcm(den_in * den_w, den_b)
        self.den = den
        self.up = den // den_in      # the gradient's denominator grows by this factor
        lift = den // (den_in * den_w)
        self.n_in, self.n = n_in, col.shape[0]
        ok = col >= 0
        self.col = np.where(ok, col, n_in)
        self.w = np.where(ok, w * lift, 0)
        self.bias = None if bias is None else bias * (den // den_b)
        r, k = np.nonzero(ok)
        by = np.argsort(col[r, k], kind="stable")
        self.fan_row = r[by]
        self.fan_w = self.w[r[by], k[by]]
        self.fan_start = np.searchsorted(col[r, k][by], np.arange(n_in + 1))
        self.nz = ok & (self.w != 0).astype(bool)          # which inputs an output reads
        r, k = np.nonzero(self.nz)
        by = np.argsort(col[r, k], kind="stable")
        self.nz_row = r[by]
        self.nz_start = np.searchsorted(col[r, k][by], np.arange(n_in + 1))


class _Gate:
    def __init__(self, p: int, q: int, n: int) -> None:
        self.p, self.q, self.n = p, q, n
        self.width = 1


class _Pool:
    def __init__(self, win: np.ndarray, n_in: int) -> None:
        self.win, self.n, self.n_in = win, len(win), n_in
        self.width = max(1, (win.shape[1] - 1).bit_length())
        r, k = np.nonzero(win >= 0)
        by = np.argsort(win[r, k], kind="stable")
        self.fan_row = r[by]
        self.fan_start = np.searchsorted(win[r, k][by], np.arange(n_in + 1))


class SweepNetwork:
    """The layer list of a version-2 certificate as sparse integer layers (the chain only)."""

    def __init__(self, layers: Any, shape: tuple[int, ...], tensors: dict) -> None:
        if not isinstance(layers, list):
            raise CertificateError("'layers' must be a list")
        self.layers, self.tensors, self.shape_in = layers, tensors, shape
        self.size = int(np.prod(shape))
        shape_now = shape
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("op"), str):
                raise CertificateError("each layer must be an object with an 'op'")
        self.out_size = None
        self._plan = []
        for layer in layers:
            shape_now = self._check(layer, shape_now)
        self.out_size = int(np.prod(shape_now))

    def tensor(self, name: Any, shape: tuple | None = None) -> np.ndarray:
        return named_tensor(self.tensors, name, shape)

    def _check(self, layer: dict, shape: tuple) -> tuple:
        """Validate one layer; remember what building it needs; the output shape."""
        op, size = layer["op"], int(np.prod(shape))
        if op == "flatten":
            return (size,)
        if op == "linear":
            w = self.tensor(layer.get("weight"))
            if w.ndim != 2 or len(shape) != 1 or w.shape[1] != shape[0]:
                raise CertificateError(f"linear weight {w.shape} does not fit input {shape}")
            if layer.get("bias") is not None:
                self.tensor(layer["bias"], (w.shape[0],))
            _entries(w.size)
            self._plan.append((layer, shape))
            return (w.shape[0],)
        if op == "conv2d":
            w = self.tensor(layer.get("weight"))
            if w.ndim != 4 or len(shape) != 3 or w.shape[1] != shape[0]:
                raise CertificateError(f"conv2d weight {w.shape} does not fit input {shape}")
            if layer.get("bias") is not None:
                self.tensor(layer["bias"], (w.shape[0],))
            _, out = pool_windows(layer, (1, *shape[1:]), tuple(w.shape[2:]))
            _entries(w.shape[0] * out[1] * out[2] * w.shape[1] * w.shape[2] * w.shape[3])
            self._plan.append((layer, shape))
            return (w.shape[0], out[1], out[2])
        if op in ("relu", "leaky_relu"):
            self._plan.append((layer, shape, gate_slope(layer)))
            return shape
        if op in ("maxpool2d", "avgpool2d"):
            k = sizes(layer.get("kernel"), 2, "kernel")
            win, out = pool_windows(layer, shape, k)
            if (win < 0).all(axis=1).any():
                raise CertificateError("a pooling window lies outside the input")
            self._plan.append((layer, shape, win))
            return out
        if op == "scale_shift":
            c = shape[0]
            self.tensor(layer.get("scale"), (c,))
            self.tensor(layer.get("shift"), (c,))
            self._plan.append((layer, shape))
            return shape
        if op == "residual":
            raise CertificateError("a version-2 (sweep) certificate has no residual layers")
        raise CertificateError(f"unknown layer op {op!r}")

    def build(self, den: int) -> list:
        """The steps, the input's denominator being ``den``."""
        steps = []
        for item in self._plan:
            layer, shape = item[0], item[1]
            op, size = layer["op"], int(np.prod(shape))
            if op in ("relu", "leaky_relu"):
                slope = item[2]
                steps.append(_Gate(slope.numerator, slope.denominator, size))
                den *= slope.denominator
                continue
            if op == "maxpool2d":
                steps.append(_Pool(item[2], size))
                continue
            bias, den_b = None, 1
            if op == "linear":
                w = self.tensor(layer["weight"])
                wi, den_w = _dyadic(w)
                col = np.broadcast_to(np.arange(size), w.shape)
                wmat = _objects(wi).reshape(w.shape)
                if layer.get("bias") is not None:
                    b, den_b = _dyadic(self.tensor(layer["bias"]))
                    bias = _objects(b)
            elif op == "conv2d":
                w = self.tensor(layer["weight"])
                cout, cin, kh, kw = w.shape
                win, (_, ho, wo) = pool_windows(layer, (1, *shape[1:]), (kh, kw))
                plane = shape[1] * shape[2]
                col = np.where(win[None, :, None, :] >= 0, win[None, :, None, :]
                               + plane * np.arange(cin)[None, None, :, None], -1)
                col = np.broadcast_to(col, (cout, ho * wo, cin, kh * kw))
                wi, den_w = _dyadic(w)
                wq = _objects(wi).reshape(cout, 1, cin, kh * kw)
                wmat = np.broadcast_to(wq, col.shape).reshape(cout * ho * wo, -1)
                col = col.reshape(cout * ho * wo, -1)
                if layer.get("bias") is not None:
                    b, den_b = _dyadic(self.tensor(layer["bias"]))
                    bias = np.repeat(_objects(b), ho * wo)
            elif op == "scale_shift":
                per = size // shape[0]
                sc, den_w = _dyadic(self.tensor(layer["scale"]))
                col = np.arange(size)[:, None]
                wmat = np.repeat(_objects(sc), per)[:, None]
                b, den_b = _dyadic(self.tensor(layer["shift"]))
                bias = np.repeat(_objects(b), per)
            else:                                                   # avgpool2d
                col = item[2]
                k = col.shape[1]
                wmat = np.full(col.shape, 1, dtype=object)
                den_w = k
            step = _Rows(np.ascontiguousarray(col), wmat, bias, size, den, den_w, den_b)
            den = step.den
            steps.append(step)
        return steps


def _fanout(start: np.ndarray, rows: np.ndarray, idx: np.ndarray):
    """CSR rows of ``idx``: (positions, which of idx each belongs to)."""
    n = start[idx + 1] - start[idx]
    who = np.repeat(np.arange(len(idx)), n)
    first = np.repeat(start[idx] - np.cumsum(n) + n, n)
    return first + np.arange(int(n.sum())), who


def _sum_by(index: np.ndarray, *vals: np.ndarray):
    keys, inv = np.unique(index, return_inverse=True)
    out = []
    for v in vals:
        acc = np.empty(len(keys), dtype=object)
        acc.fill(0)
        np.add.at(acc, inv, v)
        out.append(acc)
    return keys, out


class _Walk:
    """The pieces in order: forms, stated choices, each unit's interval end, gradients."""

    def __init__(self, steps: list, base: list, d: list, target: int, t0) -> None:
        self.steps = steps
        self.kinks = [s for s, st in enumerate(steps) if not isinstance(st, _Rows)]
        a, b = _objects(base + [0]), _objects(d + [0])
        self.v, self.s = [a], [b]
        # which units depend on a coordinate the path moves in, near the piece (through the
        # nonzero weights and the pattern: a switched-off ReLU cuts it, a max-pool passes its
        # tied entries')
        self.dep = [np.array([di != 0 for di in d] + [False], dtype=bool)]
        self.reads: dict = {}
        self.choice: dict = {}
        self.until: dict = {}          # per kink step: the end of each unit's interval
        self.target = target
        self.t0 = t0

    # the interval of t on which a kink argument v + s t keeps the sign ``sign``
    def _interval(self, v, s, sign: int, lo, hi):
        """Tighten (lo, hi) (fmpq or None) with {t: sign * (v + s t) >= 0}; False if empty."""
        fmpq, _ = _fq()
        v, s = sign * v, sign * s
        if s == 0:
            return (lo, hi) if v >= 0 else False
        r = fmpq(-v, s)
        if s > 0:
            lo = r if lo is None or r > lo else lo
        else:
            hi = r if hi is None or r < hi else hi
        if lo is not None and hi is not None and lo > hi:
            return False
        return lo, hi

    def settle(self, s: int, u: int, t) -> bool:
        """The (form, branch) of unit ``u`` of kink step ``s`` holds from ``t`` on until its
        interval ends (recorded); returns whether the old interval ended exactly at t."""
        step = self.steps[s]
        old_end = self.until[s][u]
        ended = old_end is not None and t is not None and old_end == t
        if t is not None and old_end is not None and old_end < t:
            raise _Fail(f"kink layer {self.kinks.index(s)} unit {u} leaves its stated branch "
                        f"at t = {old_end}, inside a piece")
        v, sl = self.v[s], self.s[s]
        c = int(self.choice[s][u])
        where = f"kink layer {self.kinks.index(s)} unit {u}"
        dep_in = self.dep[s]
        if isinstance(step, _Gate):
            a, b = v[u], sl[u]
            if a == 0 and b == 0 and (c or dep_in[u]):
                raise _Fail(f"{where}: a ReLU input identically 0 on a piece "
                            + ("takes the branch 1, not 0" if c else "depends on a coordinate "
                               "the path moves in (a flat tie a version-2 certificate does "
                               "not cover)"))
            span = self._interval(a, b, 1 if c else -1, None, None)
            self.dep[s + 1][u] = dep_in[u] and (c or step.p != 0)
        else:
            row = step.win[u]
            if row[c] < 0:
                raise _Fail(f"{where}: the stated max-pool choice is in the padding")
            ci = row[c]
            span = (None, None)
            tied = [ci]
            for j, i in enumerate(row.tolist()):
                if i < 0 or j == c:
                    continue
                dv, ds = v[ci] - v[i], sl[ci] - sl[i]
                if dv == 0 and ds == 0:
                    if j < c:
                        raise _Fail(f"{where}: not the first of max-pool entries tied all "
                                    "along the piece")
                    tied.append(i)
                    continue
                span = self._interval(dv, ds, 1, *span)
                if span is False:
                    break
            moves = any(dep_in[i] for i in tied)
            if len(tied) > 1 and moves:
                raise _Fail(f"{where}: max-pool entries tied all along a piece depend on a "
                            "coordinate the path moves in (a flat tie a version-2 "
                            "certificate does not cover)")
            self.dep[s + 1][u] = moves
        if span is False or (span[0] is not None and span[0] > (t if t is not None
                                                                 else self.t0)):
            raise _Fail(f"{where} does not keep its stated branch at the start of a piece")
        self.until[s][u] = span[1]
        return ended

    def start(self) -> None:
        for s, step in enumerate(self.steps):
            v, sl = self.v[s], self.s[s]
            if isinstance(step, _Rows):
                nv = np.append((step.w * v[step.col]).sum(axis=1), 0)
                ns = np.append((step.w * sl[step.col]).sum(axis=1), 0)
                if step.bias is not None:
                    nv[:-1] += step.bias
                self.reads[s] = (step.nz & self.dep[s][step.col]).sum(axis=1)
                self.dep.append(np.append(self.reads[s] > 0, False))
            elif isinstance(step, _Gate):
                on = self.choice[s].astype(bool)
                nv = np.append(np.where(on, v[:-1] * step.q, v[:-1] * step.p), 0)
                ns = np.append(np.where(on, sl[:-1] * step.q, sl[:-1] * step.p), 0)
            else:
                src = step.win[np.arange(step.n), self.choice[s]]
                nv, ns = np.append(v[src], 0), np.append(sl[src], 0)
            self.v.append(nv)
            self.s.append(ns)
            if not isinstance(step, _Rows):
                self.dep.append(np.zeros(step.n + 1, dtype=bool))
                self.until[s] = [None] * step.n
                for u in range(step.n):
                    self.settle(s, u, None)

    def gradient(self) -> None:
        n_out = len(self.v[-1]) - 1
        g = np.empty(n_out + 1, dtype=object)
        g.fill(0)
        g[self.target] = 1
        self.g = [None] * (len(self.steps) + 1)
        self.g[-1] = g
        self.den_g = 1
        for s in range(len(self.steps) - 1, -1, -1):
            step, up = self.steps[s], self.g[s + 1]
            gin = np.empty(self._width(s) + 1, dtype=object)
            gin.fill(0)
            if isinstance(step, _Rows):
                np.add.at(gin, step.col.ravel(), (step.w * up[:-1, None]).ravel())
                gin[-1] = 0
                self.den_g *= step.up
            elif isinstance(step, _Gate):
                on = self.choice[s].astype(bool)
                gin[:-1] = np.where(on, up[:-1] * step.q, up[:-1] * step.p)
                self.den_g *= step.q
            else:
                np.add.at(gin, step.win[np.arange(step.n), self.choice[s]], up[:-1])
            self.g[s] = gin

    def _width(self, s: int) -> int:
        return len(self.v[s]) - 1

    def cross(self, t, stated: dict) -> tuple[np.ndarray, np.ndarray]:
        """Apply the switches stated at breakpoint t; check them (steps 1, 2); the change of
        the input gradient (indices, integer deltas)."""
        idx = flipped = np.empty(0, dtype=np.int64)
        dv = ds = np.empty(0, dtype=object)
        root = False
        old_choice: dict = {}
        for s, step in enumerate(self.steps):
            if isinstance(step, _Rows):
                if len(flipped):
                    pos, who = _fanout(step.nz_start, step.nz_row, flipped)
                    rows = step.nz_row[pos]
                    np.add.at(self.reads[s], rows, np.where(self.dep[s][flipped][who], 1, -1))
                    rows = np.unique(rows)
                    flipped = rows[(self.reads[s][rows] > 0) != self.dep[s + 1][rows]]
                    self.dep[s + 1][flipped] ^= True
                if len(idx):
                    pos, who = _fanout(step.fan_start, step.fan_row, idx)
                    rows, (av, as_) = _sum_by(step.fan_row[pos], step.fan_w[pos] * dv[who],
                                              step.fan_w[pos] * ds[who])
                    self.v[s + 1][rows] += av
                    self.s[s + 1][rows] += as_
                    moved = ((av != 0) | (as_ != 0)).astype(bool)
                    idx, dv, ds = rows[moved], av[moved], as_[moved]
                continue
            mine = stated.get(s, {})
            came = np.union1d(idx, flipped)
            if isinstance(step, _Gate):
                touched = set(came.tolist()) | set(mine)
            else:
                touched = set(mine)
                if len(came):
                    pos, _ = _fanout(step.fan_start, step.fan_row, came)
                    touched |= set(step.fan_row[pos].tolist())
            out, ov, os_, now_flipped = [], [], [], []
            for u in sorted(touched):
                if u in mine:
                    old_choice.setdefault(s, {})[u] = int(self.choice[s][u])
                    self.choice[s][u] = mine[u]
                was = self.dep[s + 1][u]
                root |= self.settle(s, u, t)
                if self.dep[s + 1][u] != was:
                    now_flipped.append(u)
                c = int(self.choice[s][u])
                if isinstance(step, _Gate):
                    k = step.q if c else step.p
                    nv, ns = self.v[s][u] * k, self.s[s][u] * k
                else:
                    src = step.win[u, c]
                    nv, ns = self.v[s][src], self.s[s][src]
                xv, xs = nv - self.v[s + 1][u], ns - self.s[s + 1][u]
                if xv != 0 or xs != 0:
                    self.v[s + 1][u], self.s[s + 1][u] = nv, ns
                    out.append(u)
                    ov.append(xv)
                    os_.append(xs)
            idx = np.array(out, dtype=np.int64)
            flipped = np.array(now_flipped, dtype=np.int64)
            dv, ds = _objects(ov), _objects(os_)
        if not root:
            raise _Fail(f"breakpoint t = {t} is no root of a kink argument that switches there")
        return self._regrade(old_choice)

    def _regrade(self, old_choice: dict) -> tuple[np.ndarray, np.ndarray]:
        idx = np.empty(0, dtype=np.int64)
        dg = np.empty(0, dtype=object)
        for s in range(len(self.steps) - 1, -1, -1):
            step, up, gin = self.steps[s], self.g[s + 1], self.g[s]
            if isinstance(step, _Rows):
                if not len(idx):
                    continue
                cols = step.col[idx]
                part = step.w[idx] * dg[:, None]
                real = cols != step.n_in
                keys, (acc,) = _sum_by(cols[real], part[real])
                gin[keys] += acc
                moved = (acc != 0).astype(bool)
                idx, dg = keys[moved], acc[moved]
                continue
            flips = old_choice.get(s, {})
            was = dict(zip(idx.tolist(), dg.tolist(), strict=True))
            if isinstance(step, _Gate):
                units = sorted(set(was) | set(flips))
                new = {u: up[u] * (step.q if self.choice[s][u] else step.p) for u in units}
                delta = {u: new[u] - gin[u] for u in units}
                for u in units:
                    gin[u] = new[u]
            else:
                delta: dict = {}
                for o in set(was) | set(flips):
                    before = step.win[o, flips.get(o, self.choice[s][o])]
                    after = step.win[o, self.choice[s][o]]
                    delta[before] = delta.get(before, 0) - (up[o] - was.get(o, 0))
                    delta[after] = delta.get(after, 0) + up[o]
                for i, x in delta.items():
                    gin[i] += x
            items = [(i, x) for i, x in sorted(delta.items()) if x != 0]
            idx = np.array([i for i, _ in items], dtype=np.int64)
            dg = _objects([x for _, x in items])
        return idx, dg


_RATIONAL = re.compile(r"-?[0-9]+(/[0-9]+)?")


def rational(text: Any, what: str):
    """A certificate's rational ``p/q`` (or integer) string as an fmpq (any number of
    digits), or a CertificateError naming ``what``.

    >>> rational("-6/4", "a breakpoint")
    -3/2
    """
    fmpq, fmpz = _fq()
    if not isinstance(text, str) or len(text) > 1_000_000 or not _RATIONAL.fullmatch(text):
        raise CertificateError(f"{what} must be a rational 'p/q' string")
    p, _, q = text.partition("/")
    den = fmpz(q) if q else fmpz(1)
    if den == 0:
        raise CertificateError(f"{what} is not a rational: {text[:40]!r}")
    return fmpq(fmpz(p), den)


_rational = rational


def _initial(net_steps: list, kinks: list, text: Any, k: int) -> list[np.ndarray]:
    total = sum(net_steps[s].n * net_steps[s].width for s in kinks)
    try:
        raw = np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint8)
    except (ValueError, TypeError):
        raise CertificateError(f"example {k}: 'initial_pattern' is not base64") from None
    bits = np.unpackbits(raw)
    if len(raw) != (total + 7) // 8 or bits[total:].any():
        raise _Fail(f"example {k}: the initial pattern has {len(bits)} bits, the network "
                    f"needs {total}")
    out, at = [], 0
    for s in kinks:
        n, w = net_steps[s].n, net_steps[s].width
        chunk = bits[at:at + n * w].reshape(n, w).astype(np.int64)
        out.append((chunk * (1 << np.arange(w - 1, -1, -1))[None, :]).sum(axis=1))
        at += n * w
    return out


def check_sweep_example(net: SweepNetwork, ex: Any, k: int) -> str | None:
    """None when example ``k`` of a version-2 certificate holds, else the first failing
    step in words; CertificateError when it is malformed."""
    fmpq, fmpz = _fq()
    if not isinstance(ex, dict) or not isinstance(ex.get("input"), str) or \
            not isinstance(ex.get("baseline"), str):
        raise CertificateError(f"example {k}: 'input' must name a tensor of the weights file")
    x = net.tensor(ex["input"]).ravel()
    base = net.tensor(ex["baseline"]).ravel()
    target = ex.get("target")
    if len(x) != net.size or len(base) != net.size or not isinstance(target, int) or \
            isinstance(target, bool) or not 0 <= target < net.out_size:
        raise CertificateError(f"example {k}: input, baseline or target does not fit")
    xi, dx = _dyadic(x)
    bi, db = _dyadic(base)
    den0 = max(dx, db)
    bi = [v * (den0 // db) for v in bi]
    d = [v * (den0 // dx) - w for v, w in zip(xi, bi, strict=True)]
    steps = net.build(den0)
    walk = _Walk(steps, bi, d, target, fmpq(0))
    texts, changes = ex.get("breakpoints"), ex.get("changes")
    if not isinstance(texts, list) or not isinstance(changes, list):
        raise CertificateError(f"example {k}: 'breakpoints' and 'changes' must be lists")
    cuts = [_rational(b, "a breakpoint") for b in texts]
    try:
        ends = [fmpq(0), *cuts, fmpq(1)]
        if any(not a < b for a, b in zip(ends[:-1], ends[1:], strict=False)):
            raise _Fail(f"example {k}: the breakpoints do not increase strictly inside (0, 1)")
        if len(changes) != len(cuts):
            raise _Fail(f"example {k}: {len(cuts)} breakpoints but {len(changes)} change lists")
        for s, c in zip(walk.kinks, _initial(steps, walk.kinks, ex.get("initial_pattern"), k),
                        strict=True):
            limit = 2 if isinstance(steps[s], _Gate) else steps[s].win.shape[1]
            if (c >= limit).any():
                raise _Fail(f"example {k}: an initial choice is out of range")
            walk.choice[s] = c
        walk.start()
        walk.gradient()
        out = len(walk.v) - 1
        den_out = _den_out(steps, den0)
        d_obj = _objects(d)
        dot = int((d_obj * walk.g[0][:-1]).sum()) if len(d) else 0
        first_v = walk.v[out][target]

        def slope(where: str) -> None:
            if dot * den_out != walk.s[out][target] * den0 * walk.den_g:
                raise _Fail(f"example {k}: {where}: the gradient dotted with x - x' is not "
                            "the target's slope")

        slope("the first piece")
        deltas = []
        for j, (t, flat) in enumerate(zip(cuts, changes, strict=True)):
            stated = _stated(flat, walk, steps, k, j)
            idx, dg = walk.cross(t, stated)
            deltas.append((idx, dg))
            dot += int((d_obj[idx] * dg).sum()) if len(idx) else 0
            slope(f"piece {j + 1}")
        for s in walk.kinks:
            for u, end in enumerate(walk.until[s]):
                if end is not None and end < 1:
                    raise _Fail(f"example {k}: kink layer {walk.kinks.index(s)} unit {u} "
                                f"leaves its stated branch at t = {end}, and no breakpoint "
                                "switches it there")
        f_in = Fraction(int(walk.v[out][target] + walk.s[out][target]), den_out)
        f_base = Fraction(int(first_v), den_out)
        for key, value in (("F(input)", f_in), ("F(baseline)", f_base)):
            if _rational(ex.get(key), key) != fmpq(value.numerator, value.denominator):
                raise _Fail(f"example {k}: {key} is {value}, the certificate says "
                            f"{str(ex.get(key))[:40]}")
        pairs = _attributions(walk, d, cuts, deltas, den0 * walk.den_g)
        digest = hashlib.sha256()
        for p, q in pairs:
            digest.update(f"{p:x}/{q:x}\n".encode())
        if digest.hexdigest() != ex.get("attributions_sha256"):
            raise _Fail(f"example {k}: the exact attributions do not hash to the stated "
                        "SHA-256")
        shown = ex.get("attributions_float")
        if not isinstance(shown, list) or len(shown) != len(pairs):
            raise CertificateError(f"example {k}: 'attributions_float' must list {len(pairs)} "
                                   "numbers")
        for i, ((p, q), f) in enumerate(zip(pairs, shown, strict=True)):
            if not isinstance(f, (int, float)) or isinstance(f, bool) or p / q != f:
                raise _Fail(f"example {k}: attribution {i} rounds to {p / q!r}, the "
                            f"certificate shows {str(f)[:40]}")
        total = 0
        for p, q in pairs:
            total = (total + p * pow(q, -1, _PRIME)) % _PRIME
        diff = f_in - f_base
        if total != diff.numerator * pow(diff.denominator, -1, _PRIME) % _PRIME or \
                _rational(ex.get("completeness_gap"), "completeness_gap") != 0:
            raise _Fail(f"example {k}: the attributions do not add up to F(input) - "
                        "F(baseline)")
    except _Fail as failure:
        return str(failure)
    return None


def _den_out(steps: list, den: int) -> int:
    for step in steps:
        if isinstance(step, _Rows):
            den = step.den
        elif isinstance(step, _Gate):
            den *= step.q
    return den


def _stated(flat: Any, walk: _Walk, steps: list, k: int, j: int) -> dict:
    if not isinstance(flat, list) or len(flat) % 3 or not flat or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in flat):
        raise CertificateError(f"example {k}: change list {j} must be a non-empty flat list "
                               "of integer triples")
    out: dict = {}
    for a in range(0, len(flat), 3):
        layer, unit, choice = flat[a:a + 3]
        if not 0 <= layer < len(walk.kinks):
            raise _Fail(f"example {k}: change list {j} names kink layer {layer}")
        s = walk.kinks[layer]
        limit = 2 if isinstance(steps[s], _Gate) else steps[s].win.shape[1]
        if not 0 <= unit < steps[s].n or not 0 <= choice < limit:
            raise _Fail(f"example {k}: change list {j}: unit or choice out of range")
        if unit in out.get(s, {}) or walk.choice[s][unit] == choice:
            raise _Fail(f"example {k}: change list {j}: unit {unit} of kink layer {layer} "
                        "does not change")
        out.setdefault(s, {})[unit] = choice
    return out


def _attributions(walk: _Walk, d: list, cuts: list, deltas: list, den: int) -> list:
    """A_i = d_i (g_last,i - sum_k t_k delta_k,i) / den, reduced: (p, q) ints."""
    _, fmpz = _fq()
    per: dict = {}
    for j, (idx, dg) in enumerate(deltas):
        for i, x in zip(idx.tolist(), dg.tolist(), strict=True):
            per.setdefault(i, []).append((j, x))
    tp = [fmpz(int(t.p)) for t in cuts]
    tq = [fmpz(int(t.q)) for t in cuts]
    out = []
    for i, di in enumerate(d):
        if di == 0:
            out.append((0, 1))
            continue
        terms = [(tp[j] * x, tq[j]) for j, x in per.get(i, [])] or [(fmpz(0), fmpz(1))]
        while len(terms) > 1:                     # binary splitting
            nxt = [(a * d2 + c * b, b * d2) for (a, b), (c, d2) in zip(terms[::2],
                                                                        terms[1::2])]
            if len(terms) % 2:
                nxt.append(terms[-1])
            terms = nxt
        num, q = terms[0]
        p = fmpz(di) * (fmpz(int(walk.g[0][i])) * q - num)
        q = q * den
        g = p.gcd(q)
        out.append((int(p // g), int(q // g)))
    return out
