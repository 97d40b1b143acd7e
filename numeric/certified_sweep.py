"""The incremental exact sweep behind certified IG of a chain network (the fast path).

For a chain of Linear, Conv2d, scale-shift (folded batch-norm), AvgPool2d, ReLU, LeakyReLU,
MaxPool2d and Flatten layers (no residual sums), every number the network computes along the
straight path gamma(t) = x' + t (x - x') is, on a region with a fixed activation pattern, an
affine form (a + b t) / D with integers a, b and one common denominator D per layer: the
weights, inputs and baselines are floats (dyadic rationals), so only the breakpoints are
non-dyadic. The sweep (kinetic, as ExactLine by Sotoudeh & Thakur (2019), but exact) walks
t from 0 to 1:

- every kink argument (a ReLU's input, a max-pool's chosen entry minus another entry) has its
  next root after the current t; the roots sit in a heap (exact ``fmpq`` keys); the next
  breakpoint is the smallest;
- at a breakpoint t*, only the units downstream of the units that switch are updated (a
  convolution as sparse rows: a switch touches a kernel-sized neighbourhood), each re-decided
  by (value at t*, then slope) in lexicographic order, as :mod:`proofs.onesided`, and its
  next root recomputed;
- the backward vector (the gradient of the target output) is updated the same way, and the
  change of the input gradient at each breakpoint t_k is kept; the attributions are the Abel
  sums A_i = d_i (g_last,i - sum_k t_k (g_k,i - g_k-1,i)), each coordinate's rational terms
  summed by binary splitting at the end.

Checked on every result: the target's slope on every region equals d . g (the gradient), the
target is continuous at every breakpoint, and the attributions add up to F(x) - F(x')
modulo a 61-bit prime (the exact identity is the first two checks). A flat tie (a kink
argument identically 0 on a region) is decided here only where it cannot matter: max-pool
entries that are all outputs of switched-off ReLUs (all 0, depending on nothing); any other
raises :class:`NeedsRegions`, and :mod:`numeric.certified` proves that network region by
region instead (F's one-sided derivatives).

>>> import numpy as np
>>> layers = [{"op": "linear", "weight": "w", "bias": "b"}, {"op": "relu"}]
>>> tensors = {"w": np.array([[1.0]]), "b": np.array([-1.0])}
>>> s = sweep(layers, tensors, (1,), np.array([0.0]), np.array([3.0]), 0)
>>> s.breakpoints, s.values
([1/3], [Fraction(2, 1)])
"""

from __future__ import annotations

import hashlib
import heapq
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import fmpq, fmpz

__all__ = ["NeedsRegions", "Sweep", "attribution_digest", "is_chain", "sweep"]

#: the prime modulo which the attributions' sum is checked against F(x) - F(x')
PRIME = 2**61 - 1


class NeedsRegions(Exception):
    """A flat tie the sweep does not decide (the region prover decides it from F)."""


def is_chain(layers: list) -> bool:
    """Whether the sweep handles this layer list (no residual sums).

    >>> is_chain([{"op": "relu"}]), is_chain([{"op": "residual"}])
    (True, False)
    """
    return all(layer["op"] != "residual" for layer in layers)


def _ints(values) -> tuple[np.ndarray, int]:
    """Float64 values as integers over one power of two: (object array of ints, D)."""
    flat = np.asarray(values, dtype=np.float64).ravel().tolist()
    ratios = [v.as_integer_ratio() for v in flat]
    d = max((q for _, q in ratios), default=1)
    out = np.empty(len(ratios), dtype=object)
    out[:] = [p * (d // q) for p, q in ratios]
    return out, d


def _zeros(n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(0)
    return out


def _ranges(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of ``rows`` and, for each, which of ``rows`` it is."""
    counts = ptr[rows + 1] - ptr[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    starts = np.repeat(ptr[rows] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return starts + np.arange(counts.sum()), owner


def _accumulate(index: np.ndarray, *values: np.ndarray):
    """Sum each of ``values`` (object arrays) over equal entries of ``index``."""
    uniq, inv = np.unique(index, return_inverse=True)
    sums = []
    for v in values:
        s = _zeros(len(uniq))
        np.add.at(s, inv, v)
        sums.append(s)
    return uniq, sums


# ----------------------------------------------------------------------------------- steps


class _Lin:
    """A sparse affine layer: out_j = (sum_k w[j, k] in[idx[j, k]] + bias_j) / d_out."""

    def __init__(self, idx: np.ndarray, w: np.ndarray, bias: np.ndarray | None, n_in: int,
                 d_in: int, d_w: int, d_b: int) -> None:
        self.d_out = math.lcm(d_in * d_w, d_b)
        f = self.d_out // (d_in * d_w)
        valid = idx >= 0
        self.n_in, self.n = n_in, len(idx)
        self.idx = np.where(valid, idx, n_in)                # n_in: a slot that is always 0
        self.w = np.where(valid, w * f if f != 1 else w, 0)
        self.bias = None if bias is None else bias * (self.d_out // d_b)
        rows, cols = np.nonzero(valid)
        order = np.argsort(idx[rows, cols], kind="stable")
        self.t_rows = rows[order]
        self.t_w = self.w[rows[order], cols[order]]
        self.t_ptr = np.searchsorted(idx[rows, cols][order], np.arange(n_in + 1))
        self.g_scale = self.d_out // d_in                    # G_in = G_out * d_out / d_in
        # the structural support (nonzero weights): which outputs each input can move
        self.nz = valid & (self.w != 0).astype(bool)
        rows, cols = np.nonzero(self.nz)
        order = np.argsort(idx[rows, cols], kind="stable")
        self.d_rows = rows[order]
        self.d_ptr = np.searchsorted(idx[rows, cols][order], np.arange(n_in + 1))


class _Relu:
    def __init__(self, p: int, q: int, n: int) -> None:
        self.p, self.q, self.n = p, q, n


class _Max:
    def __init__(self, windows: np.ndarray, n_in: int) -> None:
        self.win, self.n, self.n_in = windows, len(windows), n_in
        rows, cols = np.nonzero(windows >= 0)
        order = np.argsort(windows[rows, cols], kind="stable")
        self.t_rows = rows[order]
        self.t_ptr = np.searchsorted(windows[rows, cols][order], np.arange(n_in + 1))


def _pair(v) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (list, tuple)) else (int(v), int(v))


def _windows(shape: tuple, k, s, p, d) -> tuple[np.ndarray, tuple]:
    """Flat input indices of each (C, H, W) window, row-major in the window, -1 in padding."""
    c, h, w = shape
    ho = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    wo = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    iy = np.arange(ho)[:, None] * s[0] - p[0] + np.arange(k[0])[None, :] * d[0]   # (ho, kh)
    ix = np.arange(wo)[:, None] * s[1] - p[1] + np.arange(k[1])[None, :] * d[1]   # (wo, kw)
    yy, xx = iy[:, None, :, None], ix[None, :, None, :]
    inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
    flat = np.where(inside, yy * w + xx, -1).reshape(1, ho * wo, k[0] * k[1])
    chan = np.arange(c)[:, None, None] * (h * w)
    win = np.where(flat >= 0, flat + chan, -1).reshape(c * ho * wo, -1)
    return win, (c, ho, wo)


def _compile(layers: list, tensors: dict, shape: tuple, d_in: int) -> tuple[list, tuple]:
    """The layer list as sparse integer steps (denominators from ``d_in`` on)."""
    steps: list = []
    for layer in layers:
        op = layer["op"]
        n_in = math.prod(shape)
        if op == "flatten":
            shape = (n_in,)
            continue
        if op in ("linear", "conv2d", "scale_shift", "avgpool2d"):
            bias, d_b = None, 1
            if op == "linear":
                w = tensors[layer["weight"]]
                n_out = w.shape[0]
                idx = np.broadcast_to(np.arange(n_in), (n_out, n_in))
                widx = np.arange(w.size).reshape(w.shape)
                out_shape: tuple = (n_out,)
                if layer.get("bias") is not None:
                    bias, d_b = _ints(tensors[layer["bias"]])
            elif op == "conv2d":
                w = tensors[layer["weight"]]
                cout, cin, kh, kw = w.shape
                win, (_, ho, wo) = _windows((1, *shape[1:]), (kh, kw), layer["stride"],
                                            layer["padding"], layer["dilation"])
                hw = shape[1] * shape[2]
                # (cout, ho*wo, cin, kh*kw): input index and weight index of each entry
                pos = win[None, :, None, :]
                idx = np.where(pos >= 0, pos + np.arange(cin)[None, None, :, None] * hw, -1)
                idx = np.broadcast_to(idx, (cout, ho * wo, cin, kh * kw))
                widx = (np.arange(cout)[:, None, None, None] * (cin * kh * kw)
                        + np.arange(cin)[None, None, :, None] * (kh * kw)
                        + np.arange(kh * kw)[None, None, None, :])
                widx = np.broadcast_to(widx, idx.shape)
                idx = idx.reshape(cout * ho * wo, -1)
                widx = widx.reshape(cout * ho * wo, -1)
                out_shape = (cout, ho, wo)
                if layer.get("bias") is not None:
                    b, d_b = _ints(tensors[layer["bias"]])
                    bias = np.repeat(b, ho * wo)
            elif op == "scale_shift":
                per = n_in // shape[0]
                w = tensors[layer["scale"]]
                idx = np.arange(n_in)[:, None]
                widx = np.repeat(np.arange(shape[0]), per)[:, None]
                out_shape = shape
                b, d_b = _ints(tensors[layer["shift"]])
                bias = np.repeat(b, per)
            else:
                k = _pair(layer["kernel"])
                idx, out_shape = _windows(shape, k, _pair(layer["stride"]),
                                          _pair(layer["padding"]), (1, 1))
                w = np.ones(1)
                widx = np.zeros_like(idx)
            wi, d_w = _ints(w)
            if op == "avgpool2d":
                d_w = k[0] * k[1]
            step = _Lin(np.ascontiguousarray(idx), wi[widx], bias, n_in, d_in, d_w, d_b)
            d_in = step.d_out
            shape = out_shape
        elif op in ("relu", "leaky_relu"):
            slope = Fraction(layer.get("slope", "0"))
            step = _Relu(slope.numerator, slope.denominator, n_in)
            d_in *= slope.denominator
        elif op == "maxpool2d":
            win, shape = _windows(shape, _pair(layer["kernel"]), _pair(layer["stride"]),
                                  _pair(layer["padding"]), _pair(layer.get("dilation", 1)))
            step = _Max(win, n_in)
        else:
            raise NeedsRegions(op)
        steps.append(step)
    return steps, shape


# ----------------------------------------------------------------------------------- sweep


@dataclass
class Sweep:
    """The sweep's result for one example: exact ``breakpoints`` (fmpq, increasing in (0, 1)),
    ``values`` (the attributions, Fractions; ``pairs``: the same as reduced (p, q)),
    ``changes`` (per breakpoint, the kink units that
    switch: flat [kink layer, unit, new choice, ...]), ``initial`` (per kink layer, the
    choices on the first region), ``f_input``, ``f_baseline`` (Fractions), ``tied`` (regions
    with a flat tie), ``kink_layers`` (unit count and bits per choice of each kink layer),
    ``outputs`` (every output at the input, exact), ``gap`` (sum of the attributions minus
    F(x) - F(x'), exactly, summed per breakpoint)."""

    breakpoints: list
    values: list
    pairs: list
    changes: list
    initial: list
    f_input: Fraction
    f_baseline: Fraction
    tied: int
    kink_layers: list
    outputs: list
    gap: Fraction


def _coprime_fraction(p: int, q: int) -> Fraction:
    """p/q as a Fraction, p and q known coprime (q > 0): no second gcd of huge numbers."""
    make = getattr(Fraction, "_from_coprime_ints", None)     # Python >= 3.12
    if make is not None:
        return make(p, q)
    try:
        return Fraction(p, q, _normalize=False)               # Python 3.11
    except TypeError:  # pragma: no cover
        return Fraction(p, q)


def attribution_digest(values: list[tuple[int, int]]) -> str:
    """SHA-256 of the attributions' canonical text: one line per coordinate, the reduced
    numerator and positive denominator in lower-case hexadecimal, ``p/q``.

    >>> attribution_digest([(1, 2), (-255, 1)]) == hashlib.sha256(b"1/2\\n-ff/1\\n").hexdigest()
    True
    """
    h = hashlib.sha256()
    for p, q in values:
        h.update(f"{p:x}/{q:x}\n".encode())
    return h.hexdigest()


def _fraction_sum(nums: list, dens: list) -> tuple:
    """sum nums[k] / dens[k] (fmpz) by binary splitting: (numerator, denominator)."""
    while len(nums) > 1:
        nn = [nums[j] * dens[j + 1] + nums[j + 1] * dens[j] for j in range(0, len(nums) - 1, 2)]
        dd = [dens[j] * dens[j + 1] for j in range(0, len(nums) - 1, 2)]
        if len(nums) % 2:
            nn.append(nums[-1])
            dd.append(dens[-1])
        nums, dens = nn, dd
    return nums[0], dens[0]


class _State:
    """The sweep's state for one example: every layer's forms, choices and gradients."""

    def __init__(self, base: np.ndarray, x: np.ndarray, target: int) -> None:
        self.steps: list = []
        bi, db = _ints(base)
        xi, dx = _ints(x)
        self.d0 = max(db, dx)
        bi = bi * (self.d0 // db)
        di = xi * (self.d0 // dx) - bi
        self.dint = di
        self.A = [np.append(bi, 0)]
        self.B = [np.append(di, 0)]
        # which units depend, near the current t, on a coordinate the path moves in
        # (structurally, through the pattern; as numeric.certified's region prover traces it)
        self.dep = [np.append((di != 0).astype(bool), False)]
        self.cnt: list = []
        self.state: list = []      # per step: on (bool array) / choice (int array) / None
        self.version: list = []
        self.heap: list = []
        self.tied_windows: list = []
        self.n_tied = 0
        self.target = target
        self.P, self.Q = 0, 1
        self.t = fmpq(0)

    # ---- decisions at the current t = P/Q (value, then slope)
    def value(self, a, b):
        return a * self.Q + b * self.P

    def relu_decide(self, s: int, units: np.ndarray) -> np.ndarray:
        a, b = self.A[s][units], self.B[s][units]
        v = self.value(a, b)
        if (((a == 0) & (b == 0)).astype(bool) & self.dep[s][units]).any():
            raise NeedsRegions("a ReLU input identically 0 on a region, depending on a "
                               "coordinate the path moves in")
        return ((v > 0) | ((v == 0) & (b > 0))).astype(bool)

    def max_decide(self, s: int, o: int) -> tuple[int, bool, bool]:
        """The window's choice, whether entries tie all along, whether the output depends
        on a moving coordinate (one of the tied entries does)."""
        win = self.steps[s].win[o]
        A, B, dep = self.A[s], self.B[s], self.dep[s]
        best, bv, bb, same = -1, None, None, []
        for j, i in enumerate(win.tolist()):
            if i < 0:
                continue
            a, b = A[i], B[i]
            v = a * self.Q + b * self.P
            if best < 0 or v > bv or (v == bv and b > bb):
                best, bv, bb, same = j, v, b, [i]
            elif v == bv and b == bb:
                same.append(i)
        moves = any(dep[i] for i in same)
        if len(same) > 1 and moves:
            raise NeedsRegions("max-pool entries tied all along a region, depending on a "
                               "coordinate the path moves in")
        return best, len(same) > 1, moves

    # ---- next roots
    def relu_events(self, s: int, units: np.ndarray) -> None:
        ver = self.version[s]
        ver[units] += 1
        a, b = self.A[s][units], self.B[s][units]
        v = self.value(a, b)
        end = a + b
        cand = ((b > 0) & (v < 0) & (end > 0)) | ((b < 0) & (v > 0) & (end < 0))
        cand = cand.astype(bool)
        for u, au, bu in zip(units[cand].tolist(), a[cand].tolist(), b[cand].tolist(),
                             strict=True):
            heapq.heappush(self.heap, (-au / bu, fmpq(-au, bu), s, u, int(ver[u])))

    def max_event(self, s: int, o: int) -> None:
        ver = self.version[s]
        ver[o] += 1
        win = self.steps[s].win[o]
        c = win[self.state[s][o]]
        A, B = self.A[s], self.B[s]
        ac, bc = A[c], B[c]
        root = None
        for i in win.tolist():
            if i < 0 or i == c:
                continue
            da, db = ac - A[i], bc - B[i]
            if db < 0 and da * self.Q + db * self.P > 0 and da + db < 0:
                r = fmpq(-da, db)
                if root is None or r < root:
                    root, approx = r, -da / db
        if root is not None:
            heapq.heappush(self.heap, (approx, root, s, o, int(ver[o])))

    # ---- the first region
    def start(self) -> None:
        for s, step in enumerate(self.steps):
            a, b = self.A[s], self.B[s]
            dep = self.dep[s]
            if isinstance(step, _Lin):
                na, nb = self.lin_full(step, a), self.lin_full(step, b)
                if step.bias is not None:
                    na[:-1] += step.bias
                self.state.append(None)
                self.version.append(None)
                cnt = (step.nz & dep[step.idx]).sum(axis=1)
                self.cnt.append(cnt)
                self.dep.append(np.append(cnt > 0, False))
            elif isinstance(step, _Relu):
                self.cnt.append(None)
                units = np.arange(step.n)
                on = self.relu_decide(s, units)
                self.state.append(on)
                self.version.append(np.zeros(step.n, dtype=np.int64))
                na = np.append(np.where(on, a[:-1] * step.q, a[:-1] * step.p), 0)
                nb = np.append(np.where(on, b[:-1] * step.q, b[:-1] * step.p), 0)
                self.dep.append(np.append(dep[:-1] & on if step.p == 0 else dep[:-1], False))
                self.relu_events(s, units)
            else:
                self.cnt.append(None)
                choice = np.zeros(step.n, dtype=np.int64)
                tied = np.zeros(step.n, dtype=bool)
                moves = np.zeros(step.n + 1, dtype=bool)
                for o in range(step.n):
                    choice[o], tied[o], moves[o] = self.max_decide(s, o)
                self.dep.append(moves)
                src = step.win[np.arange(step.n), choice]
                na, nb = np.append(a[src], 0), np.append(b[src], 0)
                self.state.append(choice)
                self.version.append(np.zeros(step.n, dtype=np.int64))
                self.n_tied += int(tied.sum())
                self.A.append(na)
                self.B.append(nb)
                for o in range(step.n):
                    self.max_event(s, o)
                self.tied_windows.append(tied)
                continue
            self.tied_windows.append(None)
            self.A.append(na)
            self.B.append(nb)
        # the gradient of the target output, back through the steps under the pattern
        g = _zeros(len(self.A[-1]))
        g[self.target] = 1
        self.g = [None] * len(self.A)
        self.g[-1] = g
        self.G = [1] * len(self.A)
        for s in range(len(self.steps) - 1, -1, -1):
            step = self.steps[s]
            gout = self.g[s + 1]
            if isinstance(step, _Lin):
                gin = _zeros(step.n_in + 1)
                np.add.at(gin, step.idx.ravel(), (step.w * gout[:-1, None]).ravel())
                gin[-1] = 0
                self.G[s] = self.G[s + 1] * step.g_scale
            elif isinstance(step, _Relu):
                on = self.state[s]
                gin = np.append(np.where(on, gout[:-1] * step.q, gout[:-1] * step.p), 0)
                self.G[s] = self.G[s + 1] * step.q
            else:
                gin = _zeros(step.n_in + 1)
                src = step.win[np.arange(step.n), self.state[s]]
                np.add.at(gin, src, gout[:-1])
                self.G[s] = self.G[s + 1]
            self.g[s] = gin

    @staticmethod
    def lin_full(step: _Lin, a: np.ndarray) -> np.ndarray:
        return np.append((step.w * a[step.idx]).sum(axis=1), 0)

    # ---- a breakpoint
    def cross(self, events: dict) -> tuple[list, np.ndarray, np.ndarray]:
        """Switch what switches at the current t; returns the pattern changes (flat) and
        the input gradient's change (indices, integer deltas)."""
        changed = moved = np.empty(0, dtype=np.int64)     # forms changed; dependence flipped
        da = db = _zeros(0)
        changes: list = []
        flips: dict = {}
        kink = -1
        for s, step in enumerate(self.steps):
            ev = events.get(s)
            dep_in, dep_out = self.dep[s], self.dep[s + 1]
            if isinstance(step, _Lin):
                if len(moved):
                    pos, owner = _ranges(step.d_ptr, moved)
                    rows = step.d_rows[pos]
                    np.add.at(self.cnt[s], rows, np.where(dep_in[moved][owner], 1, -1))
                    rows = np.unique(rows)
                    moved = rows[(self.cnt[s][rows] > 0) != dep_out[rows]]
                    dep_out[moved] = ~dep_out[moved]
                if not len(changed):
                    continue
                pos, owner = _ranges(step.t_ptr, changed)
                rows = step.t_rows[pos]
                w = step.t_w[pos]
                rows, (sa, sb) = _accumulate(rows, w * da[owner], w * db[owner])
                self.A[s + 1][rows] += sa
                self.B[s + 1][rows] += sb
                keep = ((sa != 0) | (sb != 0)).astype(bool)
                changed, da, db = rows[keep], sa[keep], sb[keep]
                continue
            kink += 1
            ev = np.empty(0, dtype=np.int64) if ev is None else np.fromiter(ev, dtype=np.int64)
            if isinstance(step, _Relu):
                units = np.union1d(np.union1d(changed, ev), moved)
                if not len(units):
                    changed = moved = units
                    continue
                old = self.state[s][units]
                on = self.relu_decide(s, units)
                a, b = self.A[s][units], self.B[s][units]
                na = np.where(on, a * step.q, a * step.p)
                nb = np.where(on, b * step.q, b * step.p)
                oa, ob = self.A[s + 1][units], self.B[s + 1][units]
                self.A[s + 1][units] = na
                self.B[s + 1][units] = nb
                self.state[s][units] = on
                now = dep_in[units] & on if step.p == 0 else dep_in[units]
                moved = units[now != dep_out[units]]
                dep_out[moved] = ~dep_out[moved]
                flip = units[on != old]
                if len(flip):
                    flips[s] = flip
                    for u, v in zip(flip.tolist(), on[on != old].tolist(), strict=True):
                        changes += [kink, u, int(v)]
                self.relu_events(s, units)
                da, db = na - oa, nb - ob
                keep = ((da != 0) | (db != 0)).astype(bool)
                changed, da, db = units[keep], da[keep], db[keep]
            else:
                wins = ev
                touched = np.union1d(changed, moved)
                if len(touched):
                    pos, _ = _ranges(step.t_ptr, touched)
                    wins = np.union1d(step.t_rows[pos], ev)
                out, ca, cb, old_choice, flipped = [], [], [], {}, []
                choice, tied = self.state[s], self.tied_windows[s]
                for o in wins.tolist():
                    c, tie, dep = self.max_decide(s, o)
                    if dep != dep_out[o]:
                        dep_out[o] = dep
                        flipped.append(o)
                    self.n_tied += int(tie) - int(tied[o])
                    tied[o] = tie
                    if c != choice[o]:
                        old_choice[o] = int(choice[o])
                        choice[o] = c
                        changes += [kink, o, c]
                    src = step.win[o, c]
                    a, b = self.A[s][src], self.B[s][src]
                    xa, xb = a - self.A[s + 1][o], b - self.B[s + 1][o]
                    if xa != 0 or xb != 0:
                        self.A[s + 1][o], self.B[s + 1][o] = a, b
                        out.append(o)
                        ca.append(xa)
                        cb.append(xb)
                    self.max_event(s, o)
                if old_choice:
                    flips[s] = old_choice
                moved = np.array(flipped, dtype=np.int64)
                changed = np.array(out, dtype=np.int64)
                da, db = np.array(ca + [0], dtype=object)[:-1], np.array(cb + [0],
                                                                         dtype=object)[:-1]
        return changes, *self.backward(flips)

    def backward(self, flips: dict) -> tuple[np.ndarray, np.ndarray]:
        """Update the gradients after the switches ``flips``; the input gradient's change."""
        changed = np.empty(0, dtype=np.int64)
        dg = _zeros(0)
        for s in range(len(self.steps) - 1, -1, -1):
            step = self.steps[s]
            gout, gin = self.g[s + 1], self.g[s]
            if isinstance(step, _Lin):
                if not len(changed):
                    continue
                cols = step.idx[changed]
                contrib = step.w[changed] * dg[:, None]
                ok = cols != step.n_in
                rows, (sums,) = _accumulate(cols[ok], contrib[ok])
                gin[rows] += sums
                keep = (sums != 0).astype(bool)
                changed, dg = rows[keep], sums[keep]
            elif isinstance(step, _Relu):
                flip = flips.get(s)
                units = changed if flip is None else np.union1d(changed, flip)
                if not len(units):
                    continue
                on = self.state[s][units]
                g = gout[units]
                new = np.where(on, g * step.q, g * step.p)
                d = new - gin[units]
                gin[units] = new
                keep = (d != 0).astype(bool)
                changed, dg = units[keep], d[keep]
            else:
                old_choice = flips.get(s, {})
                delta = dict(zip(changed.tolist(), dg.tolist(), strict=True))
                acc: dict = {}
                for o in set(delta) | set(old_choice):
                    new_v = gout[o]
                    old_v = new_v - delta.get(o, 0)
                    old_src = int(step.win[o, old_choice.get(o, self.state[s][o])])
                    new_src = int(step.win[o, self.state[s][o]])
                    acc[old_src] = acc.get(old_src, 0) - old_v
                    acc[new_src] = acc.get(new_src, 0) + new_v
                items = [(i, v) for i, v in acc.items() if v != 0]
                changed = np.array([i for i, _ in items], dtype=np.int64)
                dg = np.array([v for _, v in items] + [0], dtype=object)[:-1]
                if len(changed):
                    gin[changed] += dg
        return changed, dg


def sweep(layers: list, tensors: dict, shape: tuple, base: np.ndarray, x: np.ndarray,
          target: int) -> Sweep:
    """The exact sweep along base -> x of the chain network ``layers`` (the certificate's
    layer list, weights in ``tensors``) for output ``target``; raises :class:`NeedsRegions`
    on a flat tie it does not decide (see the module docstring)."""
    st = _State(base, x, target)
    steps, _ = _compile(layers, tensors, tuple(shape), st.d0)
    st.steps = steps
    st.start()
    kinks = [s for s, step in enumerate(steps) if not isinstance(step, _Lin)]
    initial = [np.asarray(st.state[s], dtype=np.int64).copy() for s in kinks]
    out = len(st.A) - 1
    d_out, d0, g0 = _denominator(steps, st.d0), st.d0, st.G[0]
    dot = int((st.dint * st.g[0][:-1]).sum()) if len(st.dint) else 0
    a_first = st.A[out][target]

    def slope_check() -> None:
        if dot * d_out != st.B[out][target] * d0 * g0:
            raise RuntimeError("the exact gradient does not match the target's slope on a "
                               "region; please report")

    slope_check()
    bps, changes, deltas, dots, tied = [], [], [], [], int(st.n_tied > 0)
    # heap entries: (root rounded to float64: monotone, so it orders the exact roots but for
    # equal floats; the exact root; kink step; unit; version)
    while st.heap:
        t = st.heap[0][1]
        events: dict = {}
        while st.heap and st.heap[0][1] == t:
            _, _, s, u, v = heapq.heappop(st.heap)
            if st.version[s][u] == v:
                events.setdefault(s, set()).add(u)
        if not events:
            continue
        st.t, st.P, st.Q = t, int(t.p), int(t.q)
        fa, fb = st.A[out][target], st.B[out][target]
        ch, idx, dg = st.cross(events)
        if not ch:
            raise RuntimeError(f"nothing switches at t = {t}; please report")
        if (st.A[out][target] - fa) * st.Q + (st.B[out][target] - fb) * st.P != 0:
            raise RuntimeError(f"the target is not continuous at t = {t}; please report")
        bps.append(t)
        changes.append(ch)
        deltas.append((idx, dg))
        step_dot = int((st.dint[idx] * dg).sum()) if len(idx) else 0
        dots.append(step_dot)
        dot += step_dot
        slope_check()
        tied += st.n_tied > 0
        if len(st.heap) > 4 * sum(step.n for step in steps) + 100_000:
            st.heap = [e for e in st.heap if st.version[e[2]][e[3]] == e[4]]
            heapq.heapify(st.heap)
    f_in = Fraction(int(st.A[out][target] + st.B[out][target]), d_out)
    f_base = Fraction(int(a_first), d_out)
    values = _abel(st, bps, deltas, d0 * g0)
    _check_sum(values, f_in - f_base)
    # sum_i A_i exactly, summed per breakpoint: (d.g_last - sum_k t_k d.delta_k) / (d0 g0)
    num, den = _fraction_sum([fmpz(int(t.p)) * v for t, v in zip(bps, dots, strict=True)]
                             or [fmpz(0)], [fmpz(int(t.q)) for t in bps] or [fmpz(1)])
    diff = f_in - f_base
    gap_num = (dot * den - num) * diff.denominator - diff.numerator * den * d0 * g0
    gap = Fraction(0) if gap_num == 0 else Fraction(int(gap_num), int(den * d0 * g0 *
                                                                        diff.denominator))
    kink_layers = [(steps[s].n, 1 if isinstance(steps[s], _Relu) else
                    max(1, (steps[s].win.shape[1] - 1).bit_length())) for s in kinks]
    outputs = [Fraction(int(a + b), d_out) for a, b in zip(st.A[out][:-1].tolist(),
                                                          st.B[out][:-1].tolist(), strict=True)]
    return Sweep(bps, [_coprime_fraction(p, q) for p, q in values], values, changes, initial,
                 f_in, f_base, tied, kink_layers, outputs, gap)


def _denominator(steps: list, d: int) -> int:
    for step in steps:
        if isinstance(step, _Lin):
            d = step.d_out
        elif isinstance(step, _Relu):
            d *= step.q
    return d


def _abel(st: _State, bps: list, deltas: list, scale: int) -> list:
    """A_i = d_i (g_last,i - sum_k t_k delta_k,i) / scale, exact and reduced: (p, q) ints."""
    n = len(st.dint)
    if deltas:
        idx = np.concatenate([i for i, _ in deltas])
        ks = np.concatenate([np.full(len(i), k, dtype=np.int64) for k, (i, _) in
                             enumerate(deltas)])
        dg = np.concatenate([g for _, g in deltas]) if len(idx) else _zeros(0)
    else:
        idx, ks, dg = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), _zeros(0)
    order = np.argsort(idx, kind="stable")
    idx, ks, dg = idx[order], ks[order], dg[order]
    bounds = np.searchsorted(idx, np.arange(n + 1))
    tp = [fmpz(int(t.p)) for t in bps]
    tq = [fmpz(int(t.q)) for t in bps]
    out = []
    last = st.g[0]
    for i in range(n):
        di = st.dint[i]
        if di == 0:
            out.append((0, 1))
            continue
        lo, hi = bounds[i], bounds[i + 1]
        if hi > lo:
            num, den = _fraction_sum([tp[k] * int(v) for k, v in zip(
                ks[lo:hi].tolist(), dg[lo:hi].tolist(), strict=True)],
                [tq[k] for k in ks[lo:hi].tolist()])
        else:
            num, den = fmpz(0), fmpz(1)
        p = fmpz(int(di)) * (fmpz(int(last[i])) * den - num)
        q = den * scale
        g = p.gcd(q)
        out.append((int(p // g), int(q // g)))
    return out


def _check_sum(values: list, total: Fraction) -> None:
    """sum of the attributions == ``total`` modulo PRIME (the exact identity is checked on
    every region; this checks the per-coordinate sums)."""
    acc = 0
    for p, q in values:
        if q % PRIME == 0:  # pragma: no cover
            return
        acc = (acc + p * pow(q, -1, PRIME)) % PRIME
    want = total.numerator * pow(total.denominator, -1, PRIME) % PRIME
    if acc != want:
        raise RuntimeError("the exact attributions do not add up to F(x) - F(x'); please "
                           "report")
