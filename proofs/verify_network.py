"""The independent checker of network certificates (``python -m proofs verify FILE``).

A network certificate (written by ``numeric.certified_integrated_gradients(...)
.certificate().write(FILE)``) claims: for the network stored in the weights file, at this
input and baseline, the integrated gradients along the straight path are exactly these
rationals. This module shares no code with the float walk or the prover (it does not import
torch or ``numeric``): it reads the weights with safetensors, rebuilds every layer from the
layer list with its own index arithmetic, takes every float as the exact rational it is, and
re-checks with exact arithmetic (python-flint):

1. the weights file is the one named, by its SHA-256;
2. the breakpoints are rationals increasing in (0, 1), and there is one pattern per piece;
3. on every piece, under the stated pattern, every unit is v + t s (exact v, s), so every
   kink argument (a ReLU's input; a max-pool's chosen entry minus each other entry) is
   affine in t, and the stated branch holds on the whole closed piece (checked at both
   ends): a ReLU bit 1 needs its input >= 0 there, bit 0 needs it <= 0, a max-pool's chosen
   entry is >= every other entry.
   A kink argument identically 0 on the piece (a flat tie) must take the canonical branch
   (ReLU: 0; max-pool: the first tied entry);
4. every breakpoint is a root of a moving kink argument of the piece before it (no
   breakpoint is invented, none dropped: a dropped one leaves a sign change inside a piece);
5. where a flat tie involves a branch that depends on a coordinate the path moves in, the
   one-sided partial derivatives along +e_i and -e_i are computed and must agree (F is
   differentiable there), and they are the gradient; elsewhere the gradient is the
   back-propagation under the pattern;
6. the attributions are d_i * sum over pieces of length * gradient_i (0 where d_i = 0), the
   stated F(input) and F(baseline) are the network's exact outputs, and the attributions add
   up to their difference.

:func:`verify_network` returns None when all holds, else the first step that fails, in
words; a malformed certificate or unreadable weights raise :class:`CertificateError`.
This is version 1 (the region prover's: every piece's pattern and the exact attributions
written out, checked with dense exact layers). Version 2 (the sweep's, for chains of layers:
the first piece's pattern, the switches at each breakpoint, the attributions by SHA-256) is
checked sparsely and incrementally by :mod:`proofs.verify_sweep`; steps 1 to 6 hold there
too, with the one-sided derivatives of step 5 left to version 1.

>>> verify_network({"kind": "network", "version": 3}, ".")
Traceback (most recent call last):
...
proofs.errors.CertificateError: unsupported network certificate version 3 (this verifier reads 1, 2)
"""

from __future__ import annotations

import base64
import hashlib
import os
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import CertificateError
from .verify_sweep import (
    SweepNetwork,
    check_sweep_example,
    flint_module,
    gate_slope,
    named_tensor,
    pool_windows,
    sizes,
)
from .verify_sweep import rational as _rational

__all__ = ["summary", "verify_network"]


class _Failed(Exception):
    pass


_flint = flint_module


def _exact(values: np.ndarray) -> np.ndarray:
    """Each float64 as the rational it is (an object array of fmpq, same shape)."""
    fmpq = _flint().fmpq
    arr = np.asarray(values, dtype=np.float64)
    out = [fmpq(*v.as_integer_ratio()) for v in arr.ravel().tolist()]
    return np.array(out, dtype=object).reshape(arr.shape)


def _mul(matrix, cols: np.ndarray) -> np.ndarray:
    """Exact matrix (fmpq_mat) times an object array of columns."""
    fl = _flint()
    r, c = cols.shape
    if c == 0:
        return np.empty((matrix.nrows(), 0), dtype=object)
    prod = matrix * fl.fmpq_mat(r, c, cols.ravel().tolist())
    return np.array(prod.entries(), dtype=object).reshape(matrix.nrows(), c)


class _Lin:
    def __init__(self, dense: np.ndarray, bias: np.ndarray | None) -> None:
        fl = _flint()
        self.nnz = dense != 0
        self.mat = fl.fmpq_mat(dense.shape[0], dense.shape[1], dense.ravel().tolist())
        self.matT = self.mat.transpose()
        self.bias = bias


class _Kink:
    def __init__(self, kind: str, slope=None, windows: np.ndarray | None = None,
                 n_in: int = 0) -> None:
        self.kind = kind            # "relu" or "max"
        self.slope = slope
        self.windows = windows      # (out, k), -1 outside the input
        self.n_in = n_in            # the input's size (a floor-mode pool may skip its end)
        self.width = 1 if kind == "relu" else max(1, (windows.shape[1] - 1).bit_length())


class _Add:
    def __init__(self, body: list, shortcut: list | None) -> None:
        self.body = body
        self.shortcut = shortcut


#: the largest dense layer (entries) this verifier accepts
MAX_DENSE = 2 * 10**8


def _dense_ok(rows: int, cols: int) -> None:
    if rows * cols > MAX_DENSE:
        raise CertificateError(f"a {rows} x {cols} layer is larger than this verifier "
                               f"accepts ({MAX_DENSE:,} entries)")


class _Network:
    """The layers of the certificate, rebuilt from the weights by index arithmetic."""

    def __init__(self, layers: Any, shape: tuple[int, ...], tensors: dict) -> None:
        self.tensors = tensors
        self.size = int(np.prod(shape))
        self.steps, self.shape = self.build(layers, shape)

    def tensor(self, name: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
        return named_tensor(self.tensors, name, shape)

    def build(self, layers: Any, shape: tuple[int, ...]) -> tuple[list, tuple[int, ...]]:
        if not isinstance(layers, list):
            raise CertificateError("'layers' must be a list")
        steps: list = []
        for layer in layers:
            if not isinstance(layer, dict) or not isinstance(layer.get("op"), str):
                raise CertificateError("each layer must be an object with an 'op'")
            op = layer["op"]
            size = int(np.prod(shape))
            if op == "flatten":
                shape = (size,)
            elif op == "linear":
                w = self.tensor(layer.get("weight"))
                if w.ndim != 2 or len(shape) != 1 or w.shape[1] != shape[0]:
                    raise CertificateError(f"linear weight {w.shape} does not fit input "
                                           f"{shape}")
                b = None if layer.get("bias") is None else _exact(
                    self.tensor(layer["bias"], (w.shape[0],)))
                steps.append(_Lin(_exact(w), b))
                shape = (w.shape[0],)
            elif op == "conv2d":
                step, shape = self.conv(layer, shape)
                steps.append(step)
            elif op in ("relu", "leaky_relu"):
                slope = gate_slope(layer)
                fq = _flint().fmpq(slope.numerator, slope.denominator)
                steps.append(_Kink("relu", slope=fq))
            elif op in ("maxpool2d", "avgpool2d"):
                windows, shape = self.windows(layer, shape)
                if op == "maxpool2d":
                    steps.append(_Kink("max", windows=windows, n_in=size))
                else:
                    fq = _flint().fmpq
                    _dense_ok(len(windows), size)
                    dense = np.full((len(windows), size), fq(0), dtype=object)
                    share = fq(1, windows.shape[1])
                    for j in range(windows.shape[1]):
                        ok = windows[:, j] >= 0
                        dense[np.flatnonzero(ok), windows[ok, j]] = share
                    steps.append(_Lin(dense, None))
            elif op == "scale_shift":
                c = shape[0]
                scale = _exact(self.tensor(layer.get("scale"), (c,)))
                shift = _exact(self.tensor(layer.get("shift"), (c,)))
                per = size // c
                _dense_ok(size, size)
                dense = np.full((size, size), _flint().fmpq(0), dtype=object)
                idx = np.arange(size)
                dense[idx, idx] = np.repeat(scale, per)
                steps.append(_Lin(dense, np.repeat(shift, per)))
            elif op == "residual":
                body, out = self.build(layer.get("body"), shape)
                short = None
                if layer.get("shortcut") is not None:
                    short, out2 = self.build(layer["shortcut"], shape)
                    if out2 != out:
                        raise CertificateError("a residual's body and shortcut shapes differ")
                elif out != shape:
                    raise CertificateError("a residual body without shortcut changes the shape")
                steps.append(_Add(body, short))
                shape = out
            else:
                raise CertificateError(f"unknown layer op {op!r}")
        return steps, shape

    def windows(self, layer: dict, shape: tuple[int, ...]):
        win, out = pool_windows(layer, shape, sizes(layer.get("kernel"), 2, "kernel"))
        if (win < 0).all(axis=1).any():
            raise CertificateError("a pooling window lies outside the input")
        return win, out

    def conv(self, layer: dict, shape: tuple[int, ...]):
        w = self.tensor(layer.get("weight"))
        if w.ndim != 4 or len(shape) != 3 or w.shape[1] != shape[0]:
            raise CertificateError(f"conv2d weight {w.shape} does not fit input {shape}")
        cout, cin, kh, kw = w.shape
        h, wd = shape[1], shape[2]
        win, (_, ho, wo) = pool_windows(layer, (1, h, wd), (kh, kw))   # (ho * wo, kh * kw)
        wq = _exact(w).reshape(cout, cin, kh * kw)
        fq = _flint().fmpq
        _dense_ok(cout * ho * wo, cin * h * wd)
        dense = np.full((cout * ho * wo, cin * h * wd), fq(0), dtype=object)
        for pos, row in enumerate(win):
            for kk, col in enumerate(row.tolist()):
                if col < 0:
                    continue
                rows = np.arange(cout) * (ho * wo) + pos
                cols = np.arange(cin) * (h * wd) + col
                dense[rows[:, None], cols[None, :]] = wq[:, :, kk]
        bias = None
        if layer.get("bias") is not None:
            bias = np.repeat(_exact(self.tensor(layer["bias"], (cout,))), ho * wo)
        return _Lin(dense, bias), (cout, ho, wo)


def _kinks(steps: list) -> list[_Kink]:
    out = []
    for s in steps:
        if isinstance(s, _Add):
            out += _kinks(s.body) + (_kinks(s.shortcut) if s.shortcut else [])
        elif isinstance(s, _Kink):
            out.append(s)
    return out


def _units(step: _Kink, n_in: int) -> int:
    return n_in if step.kind == "relu" else len(step.windows)


def _evaluate(steps: list, v: np.ndarray, s: np.ndarray, lo, hi, choices: list,
              log: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each unit as v + t s on each piece (v, s: (units, P), exact), through the layers under
    the stated choices (consumed from the front), checking each choice on the whole closed
    piece [lo, hi]; ``log`` collects, per kink, what the gradient and step 4 need."""
    for step in steps:
        if isinstance(step, _Lin):
            v, s = _mul(step.mat, v), _mul(step.mat, s)
            if step.bias is not None:
                v = v + step.bias[:, None]
        elif isinstance(step, _Add):
            bv, bs = _evaluate(step.body, v, s, lo, hi, choices, log)
            if step.shortcut is None:
                v, s = bv + v, bs + s
            else:
                sv, ss = _evaluate(step.shortcut, v, s, lo, hi, choices, log)
                v, s = bv + sv, bs + ss
        else:
            choice = choices.pop(0)
            k = len(log["kinks"])
            if step.kind == "relu":
                at_lo, at_hi = v + lo * s, v + hi * s
                flat = (v == 0) & (s == 0)
                on = choice == 1
                bad = np.where(on, (at_lo < 0) | (at_hi < 0), (at_lo > 0) | (at_hi > 0))
                bad |= flat & on
                if bad.any():
                    u, p = np.argwhere(bad)[0]
                    _fail(f"piece {p}: ReLU unit {u} of kink layer {k} does not keep the "
                          f"stated branch {int(on[u, p])} on the piece")
                log["root"] |= ((at_hi == 0) & (s != 0)).any(axis=0)
                log["kinks"].append((step, on, flat))
                v = np.where(on, v, v * step.slope)
                s = np.where(on, s, s * step.slope)
            else:
                win = step.windows
                ok = win >= 0
                safe = np.where(ok, win, 0)
                wv, ws = v[safe], s[safe]                           # (out, k, P)
                if (choice >= win.shape[1]).any() or not np.take_along_axis(
                        np.repeat(ok[:, :, None], v.shape[1], 2), choice[:, None], 1).all():
                    _fail(f"kink layer {k}: a max-pool choice names no window entry")
                cv = np.take_along_axis(wv, choice[:, None], 1)[:, 0]
                cs = np.take_along_axis(ws, choice[:, None], 1)[:, 0]
                dv, ds = cv[:, None] - wv, cs[:, None] - ws        # chosen minus each
                at_lo = dv + lo[None] * ds
                at_hi = dv + hi[None] * ds
                bad = ok[:, :, None] & ((at_lo < 0) | (at_hi < 0))
                flat = ok[:, :, None] & (dv == 0) & (ds == 0)       # tied with the chosen
                first = flat.argmax(axis=1)                         # the chosen is tied
                wrong = bad.any(axis=1) | (first != choice)
                if wrong.any():
                    u, p = np.argwhere(wrong)[0]
                    _fail(f"piece {p}: max-pool unit {u} of kink layer {k} does not keep the "
                          "stated choice on the piece (or is not the first of tied entries)")
                log["root"] |= (ok[:, :, None] & (at_hi == 0) & (ds != 0)).any(axis=(0, 1))
                log["kinks"].append((step, choice, flat))
                v, s = cv, cs
    return v, s


def _backward(steps: list, g: np.ndarray, kinks: list) -> np.ndarray:
    fq = _flint().fmpq
    for step in reversed(steps):
        if isinstance(step, _Lin):
            g = _mul(step.matT, g)
        elif isinstance(step, _Add):
            gs = g if step.shortcut is None else _backward(step.shortcut, g, kinks)
            g = _backward(step.body, g, kinks) + gs     # the body's kinks come off last
        else:
            st, choice, _ = kinks.pop()
            if st.kind == "relu":
                g = np.where(choice, g, g * st.slope)
            else:
                win = st.windows
                out = np.full((st.n_in, g.shape[1]), fq(0), dtype=object)
                src = np.take_along_axis(win[:, :, None].repeat(g.shape[1], 2),
                                         choice[:, None], 1)[:, 0]
                np.add.at(out, (src, np.arange(g.shape[1])[None, :].repeat(len(win), 0)), g)
                g = out
    return g


def _depends(steps: list, dep: np.ndarray, kinks: list, harmful: np.ndarray) -> np.ndarray:
    """Does each unit depend, near each piece's midpoint, on a coordinate the path moves
    in (a boolean over-approximation); marks pieces with a flat tie whose branches do."""
    for step in steps:
        if isinstance(step, _Lin):
            dep = (step.nnz.astype(np.float64) @ dep.astype(np.float64)) > 0
        elif isinstance(step, _Add):
            b = _depends(step.body, dep, kinks, harmful)
            dep = b | (dep if step.shortcut is None else _depends(step.shortcut, dep, kinks,
                                                                  harmful))
        else:
            st, choice, flat = kinks.pop(0)
            dep = np.broadcast_to(dep, (dep.shape[0], len(harmful)))
            if st.kind == "relu":
                harmful |= (flat & dep).any(axis=0)
                dep = dep & (choice | flat) if st.slope == 0 else dep.copy()  # bools
            else:
                safe = np.where(st.windows >= 0, st.windows, 0)
                tied = (dep[safe] & flat).any(axis=1)              # flat includes the chosen
                harmful |= ((flat.sum(axis=1) > 1) & tied).any(axis=0)
                dep = tied
    return dep


def _one_sided(steps: list, v: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Directional derivatives (columns of ``s``) at the point with values ``v``: at each kink
    the branch largest by value, then by slope along the column's direction."""
    for step in steps:
        if isinstance(step, _Lin):
            v = _mul(step.mat, v.reshape(-1, 1))[:, 0] + (0 if step.bias is None else step.bias)
            s = _mul(step.mat, s)
        elif isinstance(step, _Add):
            bv, bs = _one_sided(step.body, v, s)
            sv, ss = (v, s) if step.shortcut is None else _one_sided(step.shortcut, v, s)
            v, s = bv + sv, bs + ss
        elif step.kind == "relu":
            keep = (v > 0)[:, None] | ((v == 0)[:, None] & (s > 0))
            s = np.where(keep, s, s * step.slope)
            v = np.where(v > 0, v, v * step.slope)
        else:
            win = step.windows
            newv = np.empty(len(win), dtype=object)
            news = np.empty((len(win), s.shape[1]), dtype=object)
            for o, row in enumerate(win):
                idx = row[row >= 0]
                top = max(v[idx])
                best = idx[v[idx] == top]
                newv[o] = top
                news[o] = s[best].max(axis=0)
            v, s = newv, news
    return v, s


def _fail(message: str) -> None:
    raise _Failed(message)


def _check_example(net: _Network, ex: Any, k: int) -> None:
    fl = _flint()
    fq = fl.fmpq
    if not isinstance(ex, dict):
        raise CertificateError("each example must be an object")
    x = _exact(net.tensor(ex.get("input"))).ravel()
    base = _exact(net.tensor(ex.get("baseline"))).ravel()
    n_out = int(np.prod(net.shape))
    target = ex.get("target")
    if len(x) != len(base) or len(x) != net.size or not isinstance(target, int) or \
            isinstance(target, bool) or not 0 <= target < n_out:
        raise CertificateError(f"example {k}: input, baseline or target does not fit")
    cuts = [_rational(b, "a breakpoint") for b in ex.get("breakpoints", None) or []] \
        if isinstance(ex.get("breakpoints"), list) else None
    patterns = ex.get("patterns")
    if cuts is None or not isinstance(patterns, list):
        raise CertificateError(f"example {k}: 'breakpoints' and 'patterns' must be lists")
    ends = [fq(0), *cuts, fq(1)]
    if any(not a < b for a, b in zip(ends[:-1], ends[1:], strict=False)):
        _fail(f"example {k}: the breakpoints do not increase strictly inside (0, 1)")
    P = len(ends) - 1
    if len(patterns) != P:
        _fail(f"example {k}: {P} pieces but {len(patterns)} patterns")
    kinks = _kinks(net.steps)
    d = x - base
    # the unit counts of the kink layers, from a dry shape pass
    choices = _decode(net, kinks, patterns, len(x), k)
    lo = np.array(ends[:-1], dtype=object)[None, :]
    hi = np.array(ends[1:], dtype=object)[None, :]
    v = np.repeat(base[:, None], P, 1)           # the input is base + t d on every piece
    s = np.repeat(d[:, None], P, 1)
    log = {"kinks": [], "root": np.zeros(P, dtype=bool)}
    out_v, out_s = _evaluate(net.steps, v, s, lo, hi, list(choices), log)
    missing = np.flatnonzero(~log["root"][:-1])
    if len(missing):
        _fail(f"example {k}: breakpoint {missing[0]} ({cuts[missing[0]]}) is no root of a "
              "kink argument")
    g = np.full((n_out, P), fq(0), dtype=object)
    g[target] = fq(1)
    grad = _backward(net.steps, g, list(log["kinks"]))
    moving = np.array([di != 0 for di in d.tolist()], dtype=bool)
    harmful = np.zeros(P, dtype=bool)
    if any(f.any() for _, _, f in log["kinks"]):
        _depends(net.steps, moving[:, None], list(log["kinks"]), harmful)
    idx = np.flatnonzero(moving)
    for p in np.flatnonzero(harmful):
        dirs = np.full((len(x), 2 * len(idx)), fq(0), dtype=object)
        dirs[idx, np.arange(len(idx))] = fq(1)
        dirs[idx, len(idx) + np.arange(len(idx))] = fq(-1)
        mid = (ends[p] + ends[p + 1]) / 2
        _, ds = _one_sided(net.steps, base + d * mid, dirs)
        right, left = ds[target, :len(idx)], -ds[target, len(idx):]
        if (right != left).any():
            i = idx[np.flatnonzero(right != left)[0]]
            _fail(f"example {k}, piece {p}: dF/dx{i + 1} does not exist (one-sided "
                  "derivatives differ where kink arguments tie)")
        grad[:, p] = fq(0)
        grad[idx, p] = right
    length = (hi - lo)[0]
    total = _mul(fl.fmpq_mat(grad.shape[0], P, grad.ravel().tolist()), length[:, None])[:, 0]
    attributions = np.where(moving, d * total, fq(0))
    stated = ex.get("attributions")
    if not isinstance(stated, list) or len(stated) != len(x):
        raise CertificateError(f"example {k}: 'attributions' must list {len(x)} rationals")
    for i, (a, text) in enumerate(zip(attributions.tolist(), stated, strict=True)):
        if a != _rational(text, "an attribution"):
            _fail(f"example {k}: attribution {i} is {a}, the certificate says {text[:40]}")
    f_x = _plain(net.steps, x)[target]
    f_b = _plain(net.steps, base)[target]
    for key, value in (("F(input)", f_x), ("F(baseline)", f_b)):
        if _rational(ex.get(key), key) != value:
            _fail(f"example {k}: {key} is {value}, the certificate says {ex.get(key)}")
    total_a = sum(attributions.tolist(), fq(0))
    if _rational(ex.get("sum"), "sum") != total_a:
        _fail(f"example {k}: the attributions add up to {total_a}, not {ex.get('sum')}")
    if total_a != f_x - f_b or _rational(ex.get("completeness_gap"), "gap") != 0:
        _fail(f"example {k}: completeness fails: the sum is {total_a}, F(input) - "
              f"F(baseline) is {f_x - f_b}")


def _plain(steps: list, x: np.ndarray) -> np.ndarray:
    v, _ = _one_sided(steps, x, np.empty((len(x), 0), dtype=object))
    return v


def _decode(net: _Network, kinks: list[_Kink], patterns: list, n_in: int, k: int
            ) -> list[np.ndarray]:
    """The stated choices per kink layer, (units, P) int arrays, from the packed bits."""
    counts = []
    _count(net.steps, n_in, counts)
    widths = [st.width for st in kinks]
    total = sum(c * w for c, w in zip(counts, widths, strict=True))
    cols = []
    for p, text in enumerate(patterns):
        try:
            raw = np.frombuffer(base64.b64decode(text, validate=True), dtype=np.uint8)
        except (ValueError, TypeError):
            raise CertificateError(f"example {k}: pattern {p} is not base64") from None
        bits = np.unpackbits(raw)
        if len(bits) < total or len(raw) != (total + 7) // 8 or bits[total:].any():
            _fail(f"example {k}: pattern {p} has {len(bits)} bits, the network needs {total}")
        cols.append(bits[:total])
    bits = np.stack(cols, axis=1) if cols else np.zeros((total, 0), dtype=np.uint8)
    out, at = [], 0
    for c, w in zip(counts, widths, strict=True):
        chunk = bits[at:at + c * w].reshape(c, w, -1).astype(np.int64)
        out.append((chunk * (1 << np.arange(w - 1, -1, -1))[None, :, None]).sum(axis=1))
        at += c * w
    return out


def _count(steps: list, n: int, counts: list) -> int:
    """Units of each kink layer in order; returns the output size."""
    for step in steps:
        if isinstance(step, _Lin):
            n = step.mat.nrows()
        elif isinstance(step, _Add):
            nb = _count(step.body, n, counts)
            if step.shortcut is not None:
                _count(step.shortcut, n, counts)
            n = nb
        else:
            counts.append(_units(step, n))
            n = counts[-1]
    return n


def verify_network(data: Any, directory: str) -> str | None:
    """None when the network certificate ``data`` (its weights file in ``directory``)
    holds, else the first step that does not, in words."""
    if not isinstance(data, dict) or data.get("kind") != "network":
        raise CertificateError("not a network certificate")
    if data.get("version") not in (1, 2):
        raise CertificateError(f"unsupported network certificate version "
                               f"{data.get('version')} (this verifier reads 1, 2)")
    weights = data.get("weights")
    if not isinstance(weights, dict) or not isinstance(weights.get("file"), str) or \
            not isinstance(weights.get("sha256"), str):
        raise CertificateError("'weights' must name a 'file' and its 'sha256'")
    name = weights["file"]
    if os.path.basename(name) != name:
        raise CertificateError("the weights file must sit beside the certificate")
    try:
        with open(os.path.join(directory, name), "rb") as src:
            blob = src.read()
    except OSError as exc:
        raise CertificateError(f"cannot read the weights file {name}: {exc.strerror}") \
            from None
    try:
        if hashlib.sha256(blob).hexdigest() != weights["sha256"]:
            _fail(f"the weights file {name} is not the one certified (SHA-256 differs)")
        from safetensors.numpy import load

        try:
            tensors = load(blob)
        except Exception as exc:  # safetensors raises its own error types
            raise CertificateError(f"{name} is not a safetensors file ({exc})") from None
        shape = data.get("input_shape")
        if not isinstance(shape, list) or not 0 < len(shape) <= 3 or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 10**6
                for v in shape) or int(np.prod(shape)) > 10**7:
            raise CertificateError("'input_shape' must be a list of 1 to 3 positive "
                                   "integers (at most 10,000,000 inputs)")
        examples = data.get("examples")
        if data["version"] == 2:
            sweep_net = SweepNetwork(data.get("layers"), tuple(shape), tensors)
            if not isinstance(examples, list) or not examples:
                raise CertificateError("'examples' must be a non-empty list")
            for k, ex in enumerate(examples):
                failure = check_sweep_example(sweep_net, ex, k)
                if failure is not None:
                    return failure
            return None
        net = _Network(data.get("layers"), tuple(shape), tensors)
        if not isinstance(examples, list) or not examples:
            raise CertificateError("'examples' must be a non-empty list")
        for k, ex in enumerate(examples):
            _check_example(net, ex, k)
    except _Failed as failure:
        return str(failure)
    except (TypeError, ValueError, KeyError, IndexError) as exc:
        if isinstance(exc, CertificateError):
            raise
        raise CertificateError(f"malformed network certificate ({exc})") from None
    return None


def summary(data: dict, shown: int = 8) -> str:
    """A few lines on a (verified) network certificate: per example the target, the pieces,
    the first breakpoints and attributions (exact, with their float values).

    >>> print(summary({"layers": [{"op": "relu"}], "input_shape": [1], "examples": [
    ...     {"target": 0, "breakpoints": ["1/3"], "attributions": ["2"],
    ...      "F(input)": "2", "F(baseline)": "0"}]}))
    network: relu; input shape (1,)
    example 0, output 0: 2 pieces, F(input) - F(baseline) = 2 - 0
      breakpoints: 1/3 (0.3333333333333333)
      attributions: 2 (2.0)
    """
    def ops(layers: list) -> list[str]:
        out = []
        for layer in layers:
            if layer.get("op") == "residual":
                out.append("residual(" + ", ".join(ops(layer.get("body") or [])) + ")")
            else:
                out.append(str(layer.get("op")))
        return out

    def show(values: list) -> str:
        parts = [f"{v if len(v) <= 40 else v[:20] + '...'} ({float(Fraction(v))!r})"
                 for v in values[:shown]]
        more = f", ... ({len(values)} in all)" if len(values) > shown else ""
        return ", ".join(parts) + more

    lines = [f"network: {', '.join(ops(data['layers']))}; input shape "
             f"{tuple(data['input_shape'])}"]
    for k, ex in enumerate(data["examples"]):
        lines.append(f"example {k}, output {ex['target']}: {len(ex['breakpoints']) + 1} "
                     f"pieces, F(input) - F(baseline) = {ex['F(input)']} - "
                     f"{ex['F(baseline)']}")
        lines.append(f"  breakpoints: {show(ex['breakpoints']) or 'none'}")
        if "attributions" in ex:
            lines.append(f"  attributions: {show(ex['attributions'])}")
        else:
            vals = [repr(v) for v in ex["attributions_float"][:shown]]
            more = f", ... ({len(ex['attributions_float'])} in all)" \
                if len(ex["attributions_float"]) > shown else ""
            lines.append(f"  attributions (rounded; exact by SHA-256 "
                         f"{ex['attributions_sha256'][:16]}...): {', '.join(vals)}{more}")
    return "\n".join(lines)
