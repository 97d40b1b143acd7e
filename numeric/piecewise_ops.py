"""Which operations a forward runs on the input, and each kink's branch and crossings along a path.

The exact walk (:mod:`numeric.exact`) runs the model under :class:`PiecewiseMode`, a
``torch.overrides.TorchFunctionMode``, on a batch of probe points ``x = a + m d`` carrying the
path direction ``d`` as a forward-mode tangent. A tensor depends on the input when it carries
a tangent (it is then piecewise affine in t) or when it was computed from a kink's branch
(a comparison mask, an argmax index: piecewise constant in t). Operations on tensors that do
not depend on the input run untouched. On tensors that do:

- affine operations pass (linear, convolutions, sums, products and quotients by tensors that
  do not depend on the input, reshapes, indexing, pads, average pools, batch-norm and
  dropout in eval mode, ...);
- kink operations (relu, relu6, leaky_relu, prelu, hardtanh, hardsigmoid, threshold, clamp,
  abs, maximum/minimum, max/min/amax/amin/argmax/argmin over a dim, max-pool and adaptive max-
  pool, sort/topk/kthvalue/median/cummax/cummin along a feature dimension, norms of order 1
  and +-inf, l1_loss without reduction, comparisons, sign) record each kink argument's value z
  and slope z' at the probe, and are re-computed as a selection (``torch.where``/``gather``)
  of the branch that holds just to the right of the probe: the branch is chosen by (value,
  slope) in lexicographic order, so a kink exactly at the probe never stops the walk, and the
  forward value, the tangent and the gradient all follow that branch;
- any other operation (tanh, sigmoid, softmax, exp, a product of two input-dependent tensors,
  ...) raises a one-line :class:`~numeric.errors.UnsupportedFunctionError` naming the
  operation and where it ran; so do what mixes the probes (rows) of a batch (turning
  input-dependent values or masks into Python values, ``.any()``/``.all()``, reductions over
  dimension 0 or over everything) and what hides operations from the gradient
  (``torch.no_grad``/``inference_mode``, ``detach``, custom ``torch.autograd.Function``s).

Crossings ``t = m - z/z'`` are kept with an error bound relative to the magnitudes involved
(the values and slopes feeding the operation), so crossings computed a rounding error away from
a known region boundary snap to it. The rows of every input-dependent tensor must be the
probes (the batch dimension first), as in every model Captum attributes.

>>> import torch
>>> import torch.autograd.forward_ad as fwad
>>> probe = Probe(torch.tensor([0.5], dtype=torch.float64), torch.zeros(1, dtype=torch.float64),
...               torch.ones(1, dtype=torch.float64))
>>> x = torch.tensor([[2.0]], dtype=torch.float64, requires_grad=True)   # t = 0.5, moving 4/t
>>> with fwad.dual_level(), PiecewiseMode(probe):
...     y = torch.relu(fwad.make_dual(x, torch.full_like(x, 4.0)) - 3.0)
>>> probe.lo.tolist(), probe.hi.tolist()     # relu(x - 3) switches on at t = 0.75
([0.0], [0.75])
"""

from __future__ import annotations

import math
import os
import sys
import weakref
from collections.abc import Callable

import torch.autograd.forward_ad as fwad
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from ._torch import torch
from .errors import UnsupportedFunctionError

__all__ = ["CastMode", "PiecewiseMode", "Probe", "op_name"]

F64 = torch.float64
_EPS = float(torch.finfo(F64).eps)
#: rounding allowance, in units of eps times the magnitudes feeding a kink
_C = 128.0
_TORCH_DIR = os.path.dirname(torch.__file__)
_THIS = os.path.abspath(__file__)

_DUNDER = {
    "radd": "add", "iadd": "add", "isub": "sub", "rsub": "rsub", "rmul": "mul", "imul": "mul",
    "truediv": "div", "itruediv": "div", "idiv": "div", "rtruediv": "rdiv", "rdiv": "rdiv",
    "imatmul": "matmul", "rmatmul": "rmatmul", "pos": "positive", "floordiv": "floor_divide",
    "rfloordiv": "floor_divide", "ifloordiv": "floor_divide", "mod": "remainder",
    "rmod": "remainder", "imod": "remainder", "rpow": "pow", "ipow": "pow",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "invert": "bitwise_not",
    "rand": "bitwise_and", "ror": "bitwise_or", "rxor": "bitwise_xor",
}
#: dunders kept as they are (conversions and protocol methods, not tensor operations)
_PROTOCOL = frozenset("""
getitem setitem float int bool index complex len repr format str hash reduce_ex deepcopy iter
array dir sizeof contains
""".split())


def op_name(func: Callable) -> str:
    """The name an intercepted torch function is known by here (in-place and operator forms
    folded: ``relu_`` and ``Tensor.relu`` are ``relu``, ``__rmul__`` is ``mul``).

    >>> op_name(torch.Tensor.__radd__), op_name(torch.relu_), op_name(torch.Tensor.shape.__get__)
    ('add', 'relu', '.shape')
    """
    name = getattr(func, "__name__", None) or type(func).__name__
    if name == "__get__":
        return "." + str(getattr(getattr(func, "__self__", None), "__name__", "?"))
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core in _PROTOCOL:
            return name
        return _DUNDER.get(core, core)
    if name.startswith("_") and name[1:] in _KNOWN:
        name = name[1:]
    if name.endswith("_") and not name.startswith("_") and name[:-1] in _KNOWN:
        name = name[:-1]
    return name


def _tangent(t: torch.Tensor) -> torch.Tensor | None:
    return fwad.unpack_dual(t).tangent


def _split(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(value, slope) of a tensor, detached; slope zero where it carries no tangent."""
    p, d = fwad.unpack_dual(t)
    p = p.detach()
    return p, (torch.zeros_like(p) if d is None else d.detach())


def _bind(args: tuple, kwargs: dict, names: tuple[str, ...], defaults: dict) -> dict:
    out = dict(defaults)
    out.update(zip(names, args))
    out.update(kwargs)
    return out


class Probe:
    """The state of one probe pass: per row (probe), the probe position m in t, the ends
    g0 < m < g1 of the gap it probes, and the region [lo, hi] around m found so far."""

    def __init__(self, m: torch.Tensor, g0: torch.Tensor, g1: torch.Tensor,
                 collect: bool = False) -> None:
        self.b = m.shape[0]
        self.m = m.view(-1, 1)
        self.g0 = g0.view(-1, 1)
        self.g1 = g1.view(-1, 1)
        self.lo = g0.clone()
        self.hi = g1.clone()
        self.lo_err = torch.zeros_like(g0)
        self.hi_err = torch.zeros_like(g1)
        self.flat_ties = 0
        self.collect = collect
        self.kinks: list[str] = []
        self.tainted: dict[int, torch.Tensor] = {}
        self.root: object = None
        #: flat ties met (branch differences tied in value and slope, with their graph), kept
        #: when ``keep_ties``: F's one-sided derivatives decide them (numeric.exact)
        self.keep_ties = False
        self.ties: list[tuple[torch.Tensor, torch.Tensor]] = []
        self._dead: dict[int, tuple[weakref.ref, int]] = {}
        self._pad = 4.0 * _EPS * (self.m.abs() + 1.0)

    def rows(self, u: torch.Tensor, op: str) -> torch.Tensor:
        """``u`` as (probes, -1): the probes must be the leading (batch) dimension."""
        if u.dim() == 0 or u.shape[0] % self.b:
            raise UnsupportedFunctionError(
                f"{op} ran on an input-dependent tensor of shape {tuple(u.shape)} whose first "
                "dimension is not the batch; method='exact' needs the examples along "
                "dimension 0 (use method='gausslegendre')")
        return u.reshape(self.b, -1)

    def kink(self, u: torch.Tensor, du: torch.Tensor, su: torch.Tensor | None = None,
             sd: torch.Tensor | None = None, valid: torch.Tensor | None = None,
             count_flat: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Record kink arguments u (probes, k) with slopes du; return (right, flat): whether
        each argument is positive just to the right of the probe ((value, slope) in
        lexicographic order; torch's sign of the value where both are ~0), and whether it sits
        on its kink along a piece (value and slope ~0). ``su``/``sd`` (probes, 1): the
        magnitudes the rounding of u/du is relative to (default: max |u|, max |du| per row)."""
        with torch.no_grad():
            au, ad = u.abs(), du.abs()
            if su is None:
                su = au.amax(1, keepdim=True) if u.shape[1] else au.new_zeros(self.b, 1)
            if sd is None:
                sd = ad.amax(1, keepdim=True) if u.shape[1] else ad.new_zeros(self.b, 1)
            eu, ed = _C * _EPS * su, _C * _EPS * sd
            near = au <= eu
            moving = ad > ed
            right = (u > eu) | (near & ((du > ed) | (~moving & (u > 0))))
            flat = near & ~moving
            cross = ~near & moving
            tie = near & moving
            if valid is not None:
                flat &= valid
                cross &= valid
                tie &= valid
            if count_flat:
                self.flat_ties += int(torch.count_nonzero(flat))
            ts = self.m - u / torch.where(cross, du, 1.0)
            err = _C * _EPS * (su + (ts - self.m).abs() * sd) / torch.where(cross, ad, 1.0) \
                + self._pad
            up = cross & (ts > self.m) & (ts < self.g1 - err)
            down = cross & (ts < self.m) & (ts > self.g0 + err)
            if u.shape[1]:
                t, i = torch.where(up, ts, float("inf")).min(1)
                self._right_end(up.any(1), t, err.gather(1, i[:, None])[:, 0])
                t, i = torch.where(down, ts, -float("inf")).max(1)
                self._left_end(down.any(1), t, err.gather(1, i[:, None])[:, 0])
                # an argument on its kink at m, moving: the region starts at m
                at_m = tie.any(1) & (self.m[:, 0] > self.g0[:, 0] + self._pad[:, 0])
                self.lo = torch.where(at_m, torch.maximum(self.lo, self.m[:, 0]), self.lo)
        return right, flat

    def remember_dead(self, out: torch.Tensor) -> None:
        """``out`` = relu(u) where no entry of u sits at the kink to rounding: its zeros (u
        below the kink) are 0 near the probe in every direction (:meth:`dead_zeros`)."""
        self._dead[id(out)] = (weakref.ref(out), out._version)   # (not kept alive)

    def dead_zeros(self, t: torch.Tensor) -> bool:
        """Whether the zeros of ``t`` are constant near the probe in every direction (``t``
        is a ReLU's output recorded by :meth:`remember_dead`, not changed in place since)."""
        entry = self._dead.get(id(t))
        return entry is not None and entry[0]() is t and entry[1] == t._version

    def tie(self, z: torch.Tensor, flat: torch.Tensor) -> None:
        """Keep a branch difference ``z`` (a tensor with its graph) where ``flat`` (its
        shape): tied with its other branch in value and slope along the path."""
        if self.keep_ties and bool(flat.any()):
            self.ties.append((z.clone(), flat))

    def fast(self, u: torch.Tensor, du: torch.Tensor, q: torch.Tensor | None = None,
             su: torch.Tensor | None = None, sd: torch.Tensor | None = None) -> bool:
        """Record kink arguments u (probes, k) with slopes du when none sits exactly on its
        kink at the probe (then torch's own branch is the one to the right, and the operation
        can run as it is); return False, recording nothing, otherwise. ``q``: du / u if
        already known (entries that are no kink set to 0). ``su``/``sd`` (probes,): the
        magnitudes of the values and slopes feeding u (a difference of larger values
        carries their rounding); None: u itself."""
        with torch.no_grad():
            given = q
            if q is None:
                q = du / u
            if not q.shape[1]:
                return True
            qmin, imin = q.min(1)        # min/max with indices: faster than aminmax on CPU
            qmax, imax = q.max(1)
            if not bool((torch.isfinite(qmin) & torch.isfinite(qmax)).all()):
                return False
            # |u| and |du| by abs into q's memory (q is no longer needed; no new allocation),
            # then amax/amin: several times faster on CPU than vector_norm of order inf
            buf = q if given is None and q.is_contiguous() else None
            if su is None or given is None:
                au = torch.abs(u, out=buf) if buf is not None else u.abs()
                if su is None:
                    su = au.amax(1)
                if given is None and bool((au.amin(1) <= _C * _EPS * su).any()):
                    return False  # on its kink to rounding: (value, slope) decides, not torch
            if sd is None:
                sd = (torch.abs(du, out=buf) if buf is not None else du.abs()).amax(1)
            m, pad = self.m[:, 0], self._pad[:, 0]
            # the nearest crossing to the right of m (q < 0) and to the left (q > 0)
            r = -1.0 / qmin
            err = _C * _EPS * (su + r * sd) / du.gather(1, imin[:, None])[:, 0].abs() + pad
            self._right_end(qmin < 0, m + r, err)
            r = 1.0 / qmax
            err = _C * _EPS * (su + r * sd) / du.gather(1, imax[:, None])[:, 0].abs() + pad
            self._left_end(qmax > 0, m - r, err)
        return True

    def _right_end(self, has: torch.Tensor, t: torch.Tensor, err: torch.Tensor) -> None:
        """Crossings t (one per probe, where ``has``) known to +-err: a new right end of the
        region unless within err of the gap's end."""
        new = has & (t < self.g1[:, 0] - err) & (t < self.hi)
        self.hi = torch.where(new, t, self.hi)
        self.hi_err = torch.where(new, err, self.hi_err)

    def _left_end(self, has: torch.Tensor, t: torch.Tensor, err: torch.Tensor) -> None:
        new = has & (t > self.g0[:, 0] + err) & (t > self.lo)
        self.lo = torch.where(new, t, self.lo)
        self.lo_err = torch.where(new, err, self.lo_err)

    def taint(self, out: object) -> None:
        """Mark the tensors of ``out`` as depending on the input (piecewise constant)."""
        if isinstance(out, torch.Tensor):
            self.tainted[id(out)] = out
        elif isinstance(out, (tuple, list)):
            for o in out:
                self.taint(o)


# ----------------------------------------------------------------------------- where it ran


def _where(root: object) -> tuple[str, bool]:
    """Where the current operation runs: the innermost module of ``root`` being called (and
    whether it is a leaf module), else the user's source line."""
    module = None
    source = None
    frame = sys._getframe(2)
    while frame is not None:
        code = frame.f_code
        if module is None and code.co_name in ("_call_impl", "_wrapped_call_impl"):
            cand = frame.f_locals.get("self")
            if isinstance(cand, torch.nn.Module):
                module = cand
        fname = os.path.abspath(code.co_filename)
        if source is None and not fname.startswith(_TORCH_DIR) and fname != _THIS:
            source = f"{os.path.basename(fname)}:{frame.f_lineno} ({code.co_name})"
        if module is not None and source is not None:
            break
        frame = frame.f_back
    if module is not None and isinstance(root, torch.nn.Module):
        names = {id(m): n for n, m in root.named_modules()}
        if id(module) in names:
            name = names[id(module)]
            kind = type(module).__name__
            label = f"layer {name} ({kind})" if name else f"the model ({kind})"
            return label, next(module.children(), None) is None
    return (f"the forward at {source}" if source else "the model"), False


def _refuse(root: object, op: str, why: str | None = None) -> UnsupportedFunctionError:
    where, leaf = _where(root)
    if why is None:
        if leaf:
            return UnsupportedFunctionError(
                f"{where} is not piecewise linear; use method='gausslegendre'")
        return UnsupportedFunctionError(
            f"{op} in {where} is not piecewise linear; use method='gausslegendre'")
    return UnsupportedFunctionError(f"{op} in {where} {why}")


# ------------------------------------------------------------------------------ the handlers


def _finish(x: torch.Tensor, out: torch.Tensor, inplace: bool) -> torch.Tensor:
    if inplace:
        x.copy_(out)
        return x
    return out


def _right(probe: Probe, z: torch.Tensor, op: str, **kw) -> torch.Tensor:
    """The (value, slope) branch mask of a kink argument z (a dual or plain tensor)."""
    u, du = _split(z)
    right, flat = probe.kink(probe.rows(u, op), probe.rows(du, op), **kw)
    probe.tie(z, flat.view(u.shape))
    return right.view(u.shape)


def _rows(probe: Probe, z: torch.Tensor, op: str) -> tuple[torch.Tensor, torch.Tensor]:
    u, du = _split(z)
    return probe.rows(u, op), probe.rows(du, op)


def _relu(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "inplace"), {"inplace": False})
    x = a["input"]
    if probe.fast(*_rows(probe, x, name)):
        if a["inplace"]:
            return func(*args, **kwargs)
        # the tangent outside autograd (torch's formula records it in the graph)
        xp, xt = fwad.unpack_dual(x)
        with torch.no_grad():   # xt where xp > 0, else 0 (~4x faster than torch.where on CPU)
            yt = torch.ops.aten.threshold_backward(xt, xp, 0)
        out = fwad.make_dual(F.relu(xp), yt)
        if probe.keep_ties:     # no input at its kink (fast): a 0 out is below it to rounding
            probe.remember_dead(out)
        return out
    out = torch.where(_right(probe, x, name), x, 0.0)
    return _finish(x, out, a["inplace"])


def _leaky_relu(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "negative_slope", "inplace"),
              {"negative_slope": 0.01, "inplace": False})
    x = a["input"]
    if probe.fast(*_rows(probe, x, name)):
        return func(*args, **kwargs)
    out = torch.where(_right(probe, x, name), x, a["negative_slope"] * x)
    return _finish(x, out, a["inplace"])


def _prelu(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "weight"), {})
    x, w = a["input"], a["weight"]
    if _tangent(w) is not None:
        raise _refuse(probe.root, name, "has an input-dependent slope, so it is not piecewise "
                      "linear; use method='gausslegendre'")
    if probe.fast(*_rows(probe, x, name)):
        return func(*args, **kwargs)
    with torch.no_grad():
        slope = -F.prelu(-torch.ones_like(_split(x)[0]), w.detach())
    return x * torch.where(_right(probe, x, name), 1.0, slope)


def _clamp_between(probe, name, x, low, high, inplace=False, run=None):
    """min(max(x, low), high) for numbers low/high (None: no bound); ``run()``: the operation
    itself, used when no bound is met exactly at the probe."""
    if run is not None:
        u, du = _rows(probe, x, name)
        us = [u - v for v in (low, high) if v is not None]
        if not us or probe.fast(torch.cat(us, 1), torch.cat([du] * len(us), 1)):
            return run()
    out = x
    if high is not None:
        above = _right(probe, x - high, name)
    if low is not None:
        below = ~_right(probe, x - low, name)
        out = torch.where(below, torch.full_like(x, float(low)), out)
    if high is not None:
        out = torch.where(above, torch.full_like(x, float(high)), out)
    return _finish(x, out, inplace)


def _hardtanh(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "min_val", "max_val", "inplace"),
              {"min_val": -1.0, "max_val": 1.0, "inplace": False})
    return _clamp_between(probe, name, a["input"], a["min_val"], a["max_val"], a["inplace"],
                          run=lambda: func(*args, **kwargs))


def _relu6(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "inplace"), {"inplace": False})
    return _clamp_between(probe, name, a["input"], 0.0, 6.0, a["inplace"],
                          run=lambda: func(*args, **kwargs))


def _threshold(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "threshold", "value", "inplace"), {"inplace": False})
    x = a["input"]
    u, du = _rows(probe, x, name)
    if probe.fast(u - a["threshold"], du):
        return func(*args, **kwargs)
    out = torch.where(_right(probe, x - a["threshold"], name), x,
                      torch.full_like(x, float(a["value"])))
    return _finish(x, out, a["inplace"])


def _clamp(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "min", "max"), {"min": None, "max": None})
    x, low, high = a["input"], a["min"], a["max"]
    if name == "clamp_min":
        high = None
    elif name == "clamp_max":
        low, high = None, (high if high is not None else low)
    if isinstance(low, torch.Tensor) or isinstance(high, torch.Tensor):
        out = x
        if low is not None:
            out = _maximum(probe, "clamp", torch.maximum, (out, low), {})
        if high is not None:
            out = _minimum(probe, "clamp", torch.minimum, (out, high), {})
        return out
    return _clamp_between(probe, name, x, low, high, run=lambda: func(*args, **kwargs))


def _abs(probe, name, func, args, kwargs):
    x = args[0] if args else kwargs["input"]
    if probe.fast(*_rows(probe, x, name)):
        return func(*args, **kwargs)
    return torch.where(_right(probe, x, name), x, -x)


def _pair(args, kwargs):
    a = _bind(args, kwargs, ("input", "other"), {})
    x, y = a["input"], a["other"]
    if not isinstance(y, torch.Tensor):
        y = torch.full_like(x, float(y))
    if not isinstance(x, torch.Tensor):
        x = torch.full_like(y, float(x))
    return torch.broadcast_tensors(x, y)


def _scale(probe: Probe, name: str, *ts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per probe, the largest |value| and |slope| of the tensors feeding an operation."""
    su = sd = None
    for t in ts:
        u, du = _split(t)
        u, du = probe.rows(u, name), probe.rows(du, name)
        fin = torch.isfinite(u)
        a = torch.where(fin, u.abs(), 0.0).amax(1, keepdim=True)
        b = du.abs().amax(1, keepdim=True)
        su = a if su is None else torch.maximum(su, a)
        sd = b if sd is None else torch.maximum(sd, b)
    return su, sd


def _elementwise_extremum(probe, name, func, args, kwargs, largest: bool):
    """max(x, y) (``largest``) or min(x, y): torch's op away from ties, else the branch that
    holds just to the right of the probe (x where x - y > 0 there, for the max)."""
    x, y = _pair(args, kwargs)
    su, sd = _scale(probe, name, x, y)
    if probe.fast(*_rows(probe, x - y, name), su=su[:, 0], sd=sd[:, 0]):
        return func(*args, **kwargs)
    right = _right(probe, x - y, name, su=su, sd=sd)
    return torch.where(right, x, y) if largest else torch.where(right, y, x)


def _maximum(probe, name, func, args, kwargs):
    return _elementwise_extremum(probe, name, func, args, kwargs, largest=True)


def _minimum(probe, name, func, args, kwargs):
    return _elementwise_extremum(probe, name, func, args, kwargs, largest=False)


def _compare(probe, name, func, args, kwargs):
    x, y = _pair(args, kwargs)
    su, sd = _scale(probe, name, x, y)
    if name in ("lt", "less", "le", "less_equal"):
        x, y = y, x
    xy = _right(probe, x - y, name, su=su, sd=sd)
    yx = _right(probe, y - x, name, su=su, sd=sd)
    if name in ("gt", "greater", "lt", "less"):
        out = xy
    elif name in ("ge", "greater_equal", "le", "less_equal"):
        out = ~yx
    elif name == "eq":
        out = ~xy & ~yx
    else:  # ne, not_equal
        out = xy | yx
    probe.taint(out)
    return out


def _sign(probe, name, func, args, kwargs):
    x = args[0] if args else kwargs["input"]
    p, _ = _split(x)
    pos = _right(probe, x, name)
    neg = _right(probe, -x, name)
    out = torch.where(pos, 1.0, torch.where(neg, -1.0, 0.0)).to(p.dtype)
    probe.taint(out)
    return out


def _window_max(probe: Probe, name: str, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Max over the last dimension of ``w`` (a dual tensor; -inf entries are padding): the
    winner by (value, slope) with a rounding allowance, the first among exact ties; records
    the winner's differences to the other entries as kinks. Returns (values, index)."""
    with torch.no_grad():
        u, du = _split(w)
        valid = torch.isfinite(u)
        su, sd = _scale(probe, name, w)
        shape = (probe.b,) + (1,) * (u.dim() - 1)
        eu, ed = (_C * _EPS * su).view(shape), (_C * _EPS * sd).view(shape)
        vmax = torch.where(valid, u, -float("inf")).amax(-1, keepdim=True)
        cand = valid & (vmax - u <= eu)
        smax = torch.where(cand, du, -float("inf")).amax(-1, keepdim=True)
        best = cand & (smax - du <= ed)
        idx = best.to(torch.uint8).argmax(-1, keepdim=True)
        k = u.shape[-1]
        others = valid & ~best & (torch.arange(k, device=u.device) != idx)
        diff = u.gather(-1, idx) - torch.where(valid, u, 0.0)
        ddiff = du.gather(-1, idx) - du
        probe.kink(probe.rows(diff, name), probe.rows(ddiff, name), su=su, sd=sd,
                   valid=probe.rows(others, name), count_flat=False)
        tied = best & (torch.arange(k, device=u.device) != idx)
        probe.flat_ties += int(torch.count_nonzero(tied))
    top = w.gather(-1, idx)
    if probe.keep_ties and bool(tied.any()):
        probe.tie(top - torch.where(tied, w, top), tied)
    return top.squeeze(-1), idx.squeeze(-1)


def _reduce_max(probe, name, func, args, kwargs):
    """max/min (with a dim or a second tensor), amax/amin, argmax/argmin."""
    smallest = name in ("min", "amin", "argmin")
    if name in ("max", "min"):
        rest = list(args[1:]) + [kwargs[k] for k in ("dim", "other") if k in kwargs]
        if rest and isinstance(rest[0], torch.Tensor):
            return (_minimum if smallest else _maximum)(probe, name, func, args, kwargs)
    a = _bind(args, kwargs, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
    x, dim, keepdim = a["input"], a["dim"], a["keepdim"]
    # (a dim of None or 0 mixes the probes: refused before, in _check_rows)
    dims = sorted(d % x.dim() for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    keep = [d for d in range(x.dim()) if d not in dims]
    y = -x if smallest else x
    w = y.permute(*keep, *dims)
    w = w.reshape(*w.shape[:len(keep)], -1)
    values, idx = _window_max(probe, name, w)
    if smallest:
        values = -values
    if keepdim:
        for d in dims:
            values = values.unsqueeze(d)
            idx = idx.unsqueeze(d)
    probe.taint(idx)
    if name in ("argmax", "argmin"):
        if len(dims) != 1:
            raise _refuse(probe.root, name, "over several dimensions is not supported")
        return idx
    if name in ("max", "min"):
        return getattr(torch.return_types, name)((values, idx))
    return values


def _tuple(v, n: int) -> tuple[int, ...]:
    return tuple(int(e) for e in v) if isinstance(v, (tuple, list)) else (int(v),) * n


def _winner_index(probe: Probe, idx: torch.Tensor, window, sizes, outs, coordinate
                  ) -> torch.Tensor:
    """The flat index, in the input's spatial dims, of each window's winner (max-pool's
    ``return_indices``). ``idx`` counts within a row-major window of shape ``window``;
    ``coordinate(i, out, q)`` is the input coordinate along spatial dim i of position q in
    the window of output position ``out``."""
    n = len(window)
    rem, pos = idx, []
    for i in reversed(range(n)):
        pos.append(rem % window[i])
        rem = rem // window[i]
    pos.reverse()
    flat = torch.zeros_like(idx)
    for i in range(n):
        shape = [1] * idx.dim()
        shape[2 + i] = outs[i]
        out = torch.arange(outs[i], device=idx.device).view(shape)
        flat = flat * sizes[i] + coordinate(i, out, pos[i])
    probe.taint(flat)
    return flat


def _max_pool(probe, name, func, args, kwargs):
    n = int(name[8])
    a = _bind(args, kwargs, ("input", "kernel_size", "stride", "padding", "dilation",
                             "ceil_mode", "return_indices"),
              {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
               "return_indices": False})
    x = a["input"]
    if x.dim() != n + 2:
        raise _refuse(probe.root, name, f"needs a batched input (N, C, {n} spatial dims) "
                      "for method='exact'")
    k = _tuple(a["kernel_size"], n)
    s = _tuple(a["stride"] if a["stride"] not in (None, ()) else a["kernel_size"], n)
    p, dil = _tuple(a["padding"], n), _tuple(a["dilation"], n)
    sizes = x.shape[2:]
    outs, pads = [], []
    for i in range(n):
        span = dil[i] * (k[i] - 1) + 1
        num = sizes[i] + 2 * p[i] - span
        o = (-(-num // s[i]) if a["ceil_mode"] else num // s[i]) + 1
        if a["ceil_mode"] and (o - 1) * s[i] >= sizes[i] + p[i]:
            o -= 1
        outs.append(o)
        need = (o - 1) * s[i] + span - (sizes[i] + 2 * p[i])
        pads.append((p[i], p[i] + max(0, need)))
    flat_pad = [v for pr in reversed(pads) for v in pr]
    xp, xt = fwad.unpack_dual(x)
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[n - 1]
    vp, where_max = pool(xp, k, s, p, dil, ceil_mode=a["ceil_mode"], return_indices=True)
    with torch.no_grad():
        vt = xt.flatten(2).gather(2, where_max.flatten(2)).view_as(vp)
    vals = fwad.make_dual(vp, vt)
    out = (vals, where_max) if a["return_indices"] or name.endswith("with_indices") else vals
    plain = s == k and not any(p) and all(d == 1 for d in dil)

    def windows(t: torch.Tensor, fill: float, out: torch.Tensor):
        """(the windows of t, the pooled ``out`` broadcast against them)."""
        b, c = t.shape[:2]
        if plain:
            crop = tuple(slice(0, o * kk) for o, kk in zip(outs, k, strict=True))
            inter = [e for o, kk in zip(outs, k, strict=True) for e in (o, kk)]
            ones = [e for o in outs for e in (o, 1)]
            return t[(..., *crop)].reshape(b, c, *inter), out.reshape(b, c, *ones)
        tw = F.pad(t, flat_pad, value=fill) if any(flat_pad) else t
        for i in range(n):
            span = dil[i] * (k[i] - 1) + 1
            tw = tw.unfold(2 + i, span, s[i])[..., ::dil[i]].narrow(2 + i, 0, outs[i])
        return tw.reshape(*tw.shape[:2 + n], -1), out[..., None]

    with torch.no_grad():
        u, du = _split(x)
        v, dv = vp.detach(), vt.detach()
        uw, vw = windows(u, -float("inf"), v)
        duw, dvw = windows(du, 0.0, dv)
        diff = vw - uw
        ddiff = dvw - duw
        q = torch.nan_to_num_(ddiff / diff, nan=0.0, posinf=float("inf"),
                              neginf=-float("inf"))
        # the window values feeding the differences: their largest magnitude per probe
        su = probe.rows(v, name).abs().amax(1)
        sd = probe.rows(dv, name).abs().amax(1)
        view = (-1,) + (1,) * (diff.dim() - 1)
        # entries within rounding of their window's max (each window's winner is one): tied
        # in slope too (flat: torch's first maximal entry, as _window_max takes) or not (a
        # tie exactly at the probe: decided by slope below)
        near = diff <= _C * _EPS * su.view(view)    # (diff >= 0: v is the window's max)
        ed = _C * _EPS * sd.view(view)
        moving = torch.gt(ddiff, ed).logical_or_(ddiff < -ed)    # (2x faster than abs)
        at_probe = bool(moving.logical_and_(near).any())
        del moving
        if not at_probe and probe.fast(probe.rows(diff, name), probe.rows(ddiff, name),
                                       probe.rows(q, name), su, sd):
            flat = int(torch.count_nonzero(near)) - v.numel()  # (faster than .sum())
            if flat > 0:
                probe.flat_ties += flat
                if probe.keep_ties:
                    _pool_ties(probe, x, xp, vp, vw, where_max, near, flat, windows,
                               lambda: float(math.prod(k)) if plain else windows(
                                   torch.ones_like(xp[:1, :1]), 0.0, vp[:1, :1])[0].sum(-1)[0, 0])
            return out
    w = F.pad(x, flat_pad, value=-float("inf")) if any(flat_pad) else x
    for i in range(n):
        span = dil[i] * (k[i] - 1) + 1
        w = w.unfold(2 + i, span, s[i])
        if dil[i] > 1:
            w = w[..., ::dil[i]]
        w = w.narrow(2 + i, 0, outs[i])
    w = w.reshape(*w.shape[:2 + n], -1)
    values, idx = _window_max(probe, name, w)
    if not (a["return_indices"] or name.endswith("with_indices")):
        return values
    flat = _winner_index(probe, idx, k, sizes, outs,
                         lambda i, out, q: out * s[i] - p[i] + q * dil[i])
    return values, flat


def _pool_ties(probe: Probe, x: torch.Tensor, xp: torch.Tensor, vp: torch.Tensor,
               vw: torch.Tensor, where_max: torch.Tensor, near: torch.Tensor, flat: int,
               windows, size) -> None:
    """Register a max-pool's ``flat`` ties (entries ``near`` their window's max in value and
    slope; ``vw``: that max broadcast over the windows; ``size()``: the number of entries of
    each window, less padding) for proofs' rule: each window's other entries against its
    winner (torch's ``where_max``; the winner against itself is no tie). Where ``x`` is a
    ReLU's output whose zeros are constant near the probe in every direction
    (:meth:`Probe.dead_zeros`), a window whose max is 0 holds only such zeros: their ties
    cannot change F and are left out."""
    with torch.no_grad():
        spatial = xp.shape[2:]
        dead = probe.dead_zeros(x)
        if dead:
            # a window whose max is 0 has all its entries (less padding) near that max: the
            # ties outside such windows, counted on the pooled tensor (cheap)
            zero, k = vp == 0, size()
            if isinstance(k, float):      # windows all of k entries (no padding)
                flat -= int((k - 1.0) * int(torch.count_nonzero(zero)))
            else:
                flat -= int(((k - 1.0) * zero.sum((0, 1))).sum())
        if flat <= 0:
            return
        at = torch.arange(spatial.numel(), dtype=F64, device=xp.device).view(1, 1, *spatial)
        iw, ww = windows(at.expand(*xp.shape[:2], *spatial), -1.0, where_max.to(F64))
        tied = near & (iw != ww)
        if dead:
            tied &= vw != 0
    with torch.enable_grad():
        xw, pw = windows(xp, -float("inf"), vp)
        tied = tied.expand_as(xw)
        probe.tie(pw - torch.where(tied, xw, pw), tied)


def _hardsigmoid(probe, name, func, args, kwargs):
    """hardsigmoid(x) = min(max(x / 6 + 1/2, 0), 1)."""
    x = _bind(args, kwargs, ("input", "inplace"), {"inplace": False})["input"]
    y = x / 6.0 + 0.5
    return _clamp_between(probe, name, y, 0.0, 1.0, run=lambda: torch.clamp(y, 0.0, 1.0))


def _nan_to_num(probe, name, func, args, kwargs):
    """The identity on finite values (the walk's values always are)."""
    x = args[0] if args else kwargs["input"]
    if not bool(torch.isfinite(_split(x)[0]).all()):
        raise _refuse(probe.root, name, "meets a non-finite input-dependent value; "
                      "method='exact' needs finite values")
    return x.clone()


def _norm(probe, name, func, args, kwargs):
    """norm / vector_norm of order 1, inf or -inf over feature dimensions: sum |x|,
    max |x|, min |x| (other orders are not piecewise linear)."""
    a = _bind(args, kwargs, ("input", "p", "dim", "keepdim"), {"p": "fro", "dim": None,
                                                               "keepdim": False})
    order = kwargs.get("ord", a["p"])
    if name != "norm":
        order = kwargs.get("ord", args[1] if len(args) > 1 else 2)
    x, dim, keepdim = a["input"], a["dim"], a["keepdim"]
    if order not in (1, float("inf"), -float("inf")):
        raise _refuse(probe.root, name, f"of order {order!r} is not piecewise linear (orders "
                      "1, inf and -inf are); use method='gausslegendre'")
    absx = _abs(probe, name, torch.abs, (x,), {})
    if order == 1:
        return absx.sum(dim, keepdim=keepdim)
    reduce = "amax" if order > 0 else "amin"
    return _reduce_max(probe, reduce, getattr(torch, reduce), (absx, dim, keepdim), {})


def _l1_loss(probe, name, func, args, kwargs):
    """l1_loss(x, y, reduction='none') = |x - y| (the reductions over the batch are refused
    before, in _check_rows)."""
    a = _bind(args, kwargs, ("input", "target"), {})
    return _abs(probe, name, torch.abs, (a["input"] - a["target"],), {})


def _ordered(probe: Probe, name: str, x: torch.Tensor, dim: int, descending: bool,
             used: slice | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """x sorted along ``dim`` by the order that holds just to the right of the probe: by
    value, near-equal values (within the rounding allowance) by slope. Returns (values,
    indices) as torch.sort does. Recorded as kinks: the differences of adjacent entries
    when every position is used (the order changes first where two neighbours cross), else
    the differences between each entry at the positions ``used`` and all others (it leaves
    its position where it crosses any of them)."""
    d = dim % x.dim()
    if d == 0:
        raise _refuse(probe.root, name, "orders along the batch dimension, mixing examples; "
                      "method='exact' needs the examples along dimension 0")
    xl = x.movedim(d, -1)
    with torch.no_grad():
        u, du = _split(xl)
        if descending:
            u, du = -u, -du
        su, sd = _scale(probe, name, xl)
        shape = (probe.b,) + (1,) * (u.dim() - 1)
        eu = (_C * _EPS * su).view(shape)
        sv, perm = torch.sort(u, dim=-1, stable=True)
        step = (sv[..., 1:] - sv[..., :-1] > eu).long()
        gid_sorted = torch.cat([torch.zeros_like(step[..., :1]), step.cumsum(-1)], -1)
        gid = torch.empty_like(gid_sorted).scatter_(-1, perm, gid_sorted)
        by_slope = torch.argsort(du, dim=-1, stable=True)
        order = by_slope.gather(-1, torch.argsort(gid.gather(-1, by_slope), dim=-1,
                                                  stable=True))
        us, dus = u.gather(-1, order), du.gather(-1, order)
        if used is None:
            diff, ddiff, valid = us[..., 1:] - us[..., :-1], dus[..., 1:] - dus[..., :-1], None
        else:
            pos = torch.arange(u.shape[-1], device=u.device)[used]
            diff = u.unsqueeze(-2) - us[..., pos].unsqueeze(-1)
            ddiff = du.unsqueeze(-2) - dus[..., pos].unsqueeze(-1)
            valid = probe.rows((order[..., pos].unsqueeze(-1) != torch.arange(
                u.shape[-1], device=u.device)).expand_as(diff), name)
        flat = None
        if diff.numel():
            _, flat = probe.kink(probe.rows(diff, name), probe.rows(ddiff, name), su=su,
                                 sd=sd, valid=valid)
    ordered = xl.gather(-1, order)
    if flat is not None and probe.keep_ties and bool(flat.any()):
        if used is None:
            z = ordered[..., 1:] - ordered[..., :-1]
        else:
            z = xl.unsqueeze(-2) - ordered[..., pos].unsqueeze(-1)
        probe.tie(z, flat.view(z.shape))
    values = ordered.movedim(-1, d)
    idx = order.movedim(-1, d)
    probe.taint(idx)
    return values, idx


def _sort(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "dim", "descending"), {"dim": -1, "descending": False})
    if isinstance(a["dim"], bool):          # sort(input, stable, dim=..., descending=...)
        a = _bind(args[:1], kwargs, ("input",), {"dim": -1, "descending": False})
    values, idx = _ordered(probe, name, a["input"], a["dim"], bool(a["descending"]))
    return torch.return_types.sort((values, idx))


def _topk(probe, name, func, args, kwargs):
    a = _bind(args, kwargs, ("input", "k", "dim", "largest", "sorted"),
              {"dim": -1, "largest": True, "sorted": True})
    k = int(a["k"])
    values, idx = _ordered(probe, name, a["input"], a["dim"], bool(a["largest"]),
                           slice(0, k))
    d = a["dim"]
    return torch.return_types.topk((values.narrow(d, 0, k), idx.narrow(d, 0, k)))


def _kth(probe, name, func, args, kwargs):
    """kthvalue(input, k, dim, keepdim); median(input, dim, keepdim): the lower median,
    the ((n - 1) // 2 + 1)-th smallest, as torch."""
    if name == "median":
        a = _bind(args, kwargs, ("input", "dim", "keepdim"), {"dim": None, "keepdim": False})
        a["k"] = (a["input"].shape[a["dim"]] - 1) // 2 + 1
    else:
        a = _bind(args, kwargs, ("input", "k", "dim", "keepdim"), {"dim": -1,
                                                                   "keepdim": False})
    k, d = int(a["k"]), a["dim"]
    values, idx = _ordered(probe, name, a["input"], d, False, slice(k - 1, k))
    values, idx = values.narrow(d, k - 1, 1), idx.narrow(d, k - 1, 1)
    if not a["keepdim"]:
        values, idx = values.squeeze(d), idx.squeeze(d)
    out_type = torch.return_types.median if name == "median" else torch.return_types.kthvalue
    return out_type((values, idx))


def _cummax(probe, name, func, args, kwargs):
    """cummax/cummin along a feature dimension: the max of each prefix (a window max)."""
    a = _bind(args, kwargs, ("input", "dim"), {})
    x, d = a["input"], a["dim"] % a["input"].dim()
    y = -x if name == "cummin" else x
    n = y.shape[d]
    yl = y.movedim(d, -1)
    keep = torch.ones(n, n, dtype=torch.bool, device=yl.device).tril()
    w = yl.unsqueeze(-2).expand(*yl.shape[:-1], n, n).masked_fill(~keep, -float("inf"))
    values, idx = _window_max(probe, name, w)
    if name == "cummin":
        values = -values
    values, idx = values.movedim(-1, d), idx.movedim(-1, d)
    probe.taint(idx)
    return getattr(torch.return_types, name)((values, idx))


def _adaptive_max_pool(probe, name, func, args, kwargs):
    """adaptive_max_pool{1,2,3}d: a max over windows [floor(i L / O), ceil((i + 1) L / O))."""
    n = int(name[len("adaptive_max_pool")])
    a = _bind(args, kwargs, ("input", "output_size", "return_indices"),
              {"return_indices": False})
    x = a["input"]
    if x.dim() != n + 2:
        raise _refuse(probe.root, name, f"needs a batched input (N, C, {n} spatial dims) "
                      "for method='exact'")
    sizes = x.shape[2:]
    size = a["output_size"]
    size = tuple(size) if isinstance(size, (tuple, list)) else (size,) * n
    outs = [int(o) if o is not None else sizes[i] for i, o in enumerate(size)]
    w = x
    valid = torch.ones((), dtype=torch.bool, device=x.device)
    coords = []
    for i in range(n):
        length, o = sizes[i], outs[i]
        starts = torch.tensor([(j * length) // o for j in range(o)], device=x.device)
        ends = torch.tensor([-((-(j + 1) * length) // o) for j in range(o)], device=x.device)
        k = int((ends - starts).max())
        pos = starts[:, None] + torch.arange(k, device=x.device)
        ok = pos < ends[:, None]
        pos = torch.where(ok, pos, starts[:, None])
        coords.append(pos)
        dim = 2 + 2 * i
        w = w.index_select(dim, pos.reshape(-1)).unflatten(dim, (o, k))
        valid = valid.unsqueeze(-1).unsqueeze(-1) & ok
    order = [0, 1] + [2 + 2 * i for i in range(n)] + [3 + 2 * i for i in range(n)]
    w = w.permute(*order)
    valid = valid.permute(*[2 * i for i in range(n)], *[2 * i + 1 for i in range(n)])
    w = w.masked_fill(~valid, -float("inf"))
    w = w.reshape(*w.shape[:2 + n], -1)
    values, idx = _window_max(probe, name, w)
    if not (a["return_indices"] or name.endswith("with_indices")):
        return values
    flat = _winner_index(probe, idx, [c.shape[1] for c in coords], sizes, outs,
                         lambda i, out, q: coords[i][out.expand_as(q), q])
    return values, flat


_KINKS: dict[str, Callable] = {
    "hardsigmoid": _hardsigmoid, "nan_to_num": _nan_to_num, "norm": _norm,
    "linalg_vector_norm": _norm, "vector_norm": _norm, "l1_loss": _l1_loss, "sort": _sort,
    "topk": _topk, "kthvalue": _kth, "median": _kth, "cummax": _cummax, "cummin": _cummax,
    **{f"adaptive_max_pool{d}d{s}": _adaptive_max_pool for d in (1, 2, 3)
       for s in ("", "_with_indices")},
    "relu": _relu, "relu_": _relu, "leaky_relu": _leaky_relu, "prelu": _prelu,
    "hardtanh": _hardtanh, "relu6": _relu6, "threshold": _threshold, "clamp": _clamp,
    "clip": _clamp, "clamp_min": _clamp, "clamp_max": _clamp, "abs": _abs,
    "absolute": _abs, "maximum": _maximum, "minimum": _minimum, "fmax": _maximum,
    "fmin": _minimum, "max": _reduce_max, "min": _reduce_max, "amax": _reduce_max,
    "amin": _reduce_max, "argmax": _reduce_max, "argmin": _reduce_max, "gt": _compare,
    "lt": _compare, "ge": _compare, "le": _compare, "greater": _compare, "less": _compare,
    "greater_equal": _compare, "less_equal": _compare, "eq": _compare, "ne": _compare,
    "not_equal": _compare, "sign": _sign,
    **{f"max_pool{d}d{s}": _max_pool for d in (1, 2, 3) for s in ("", "_with_indices")},
}

#: affine in the input-dependent arguments (no further condition)
_AFFINE = frozenset("""
add sub rsub neg negative positive sum mean cumsum diff trace diagonal diag diag_embed tril triu
flip fliplr flipud roll rot90 cat concat concatenate stack hstack vstack dstack column_stack
row_stack reshape view view_as reshape_as flatten unflatten ravel permute transpose swapaxes
swapdims movedim moveaxis t squeeze unsqueeze expand expand_as broadcast_to broadcast_tensors
repeat repeat_interleave tile contiguous clone __getitem__ __setitem__ index_select gather take
take_along_dim narrow narrow_copy select split split_with_sizes tensor_split chunk unbind unfold
pad constant_pad_nd avg_pool1d avg_pool2d avg_pool3d adaptive_avg_pool1d adaptive_avg_pool2d
adaptive_avg_pool3d interpolate upsample upsample_nearest upsample_bilinear pixel_shuffle
pixel_unshuffle channel_shuffle native_channel_shuffle fold to type double float half bfloat16
type_as masked_fill where index_add index_copy index_put index_fill scatter scatter_add
masked_scatter masked_select copy zero fill select_scatter slice_scatter diagonal_scatter
as_strided sum_to_size cpu cuda resolve_conj resolve_neg conj real identity cumulative_trapezoid
trapezoid alias max_unpool1d max_unpool2d max_unpool3d
""".split())
#: products: at most one factor may depend on the input (index of the additive argument)
_PRODUCTS = frozenset("""
mul multiply matmul rmatmul mm bmm mv dot vdot inner outer ger einsum tensordot kron linear
conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d conv_tbc addmm addmv
addbmm baddbmm addr addcmul cross chain_matmul multi_dot bilinear
""".split())
_ADDITIVE_FIRST = frozenset("addmm addmv addbmm baddbmm addr addcmul".split())
_BIAS_ARG = {"linear": 2, "conv1d": 2, "conv2d": 2, "conv3d": 2, "conv_transpose1d": 2,
             "conv_transpose2d": 2, "conv_transpose3d": 2, "conv_tbc": 2, "bilinear": 3}
#: divide by the second argument (rdiv: by the first)
_QUOTIENTS = frozenset("div divide true_divide rdiv addcdiv".split())
_DROPOUTS = {"dropout": True, "dropout1d": True, "dropout2d": True, "dropout3d": True,
             "alpha_dropout": False, "feature_alpha_dropout": False,
             "feature_dropout": True}
#: never depend on the input's values (shapes, dtypes, fresh tensors)
_FREE = frozenset("""
size dim numel nelement ndimension is_contiguous stride storage_offset element_size
is_floating_point is_complex get_device data_ptr requires_grad_ retain_grad register_hook
__len__ __repr__ __format__ __str__ has_names zeros_like ones_like empty_like full_like
rand_like randn_like randint_like new_zeros new_ones new_empty new_full __hash__ __reduce_ex__
__deepcopy__ __iter__ is_same_size is_set_to untyped_storage __dir__ __sizeof__
_unpack_dual unpack_dual _make_dual make_dual
""".split())
_ATTRS_REFUSED = frozenset((".data",))
#: turn tensors into Python values or data-dependent shapes: refused on anything that
#: depends on the input (values or piecewise-constant masks and indices)
_TO_PYTHON = frozenset("""
item tolist __bool__ __float__ __int__ __index__ __complex__ numpy __array__ is_nonzero
any all nonzero unique unique_consecutive bincount histc masked_select argwhere equal
allclose
""".split())
_VALUES = frozenset("""
argsort mode
""".split())
#: reductions that mix the rows (probes) when run over dimension 0 or over everything: the
#: position of their dim argument and its default (None: all elements)
_REDUCTIONS = {
    "sum": (1, None), "mean": (1, None), "nansum": (1, None), "nanmean": (1, None),
    "cumsum": (1, None), "cumprod": (1, None), "diff": (2, -1), "trace": (9, None),
    "logsumexp": (1, None), "prod": (1, None), "std": (1, None), "var": (1, None),
    "norm": (2, None), "linalg_vector_norm": (2, None), "vector_norm": (2, None),
    "count_nonzero": (1, None), "amax": (1, None), "amin": (1, None), "max": (1, None),
    "min": (1, None), "argmax": (1, None), "argmin": (1, None), "cummax": (1, None),
    "cummin": (1, None), "sort": (1, -1), "topk": (2, -1), "kthvalue": (2, -1),
    "median": (1, None), "nanmedian": (1, None), "l1_loss": (9, None), "softmax": (1, None),
    "log_softmax": (1, None),
}
_KNOWN = frozenset(_KINKS) | _AFFINE | _PRODUCTS | _QUOTIENTS | frozenset(_DROPOUTS) \
    | frozenset(("batch_norm", "instance_norm", "threshold", "pad", "detach", "fill", "zero",
                 "copy"))


def _check_autograd(root: object, name: str, t: torch.Tensor) -> None:
    """Refuse an input-dependent tensor the gradient cannot see through: made under no_grad or
    detached (it carries a tangent but no gradient), or the output of a custom
    torch.autograd.Function (its operations ran unseen)."""
    if not t.requires_grad:
        raise _refuse(root, name, "gets an input-dependent tensor computed under "
                      "torch.no_grad() or detached, so the gradient is not the derivative of "
                      "the function; remove it or use method='gausslegendre'")
    fn = t.grad_fn
    if isinstance(fn, torch.autograd.function.BackwardCFunction):
        owner = getattr(type(fn), "_forward_cls", None)
        label = getattr(owner, "__name__", type(fn).__name__)
        raise _refuse(root, name, f"gets the output of the custom autograd Function {label}, "
                      "whose operations method='exact' cannot see; write it with torch "
                      "operations or use method='gausslegendre'")


def _check_rows(probe: Probe, name: str, func, args: tuple, kwargs: dict,
                deps: list[torch.Tensor]) -> None:
    """Refuse a reduction over the batch dimension (or over everything) of an input-dependent
    tensor: the walk runs its probe points as the rows of one batch."""
    spec = _REDUCTIONS.get(name)
    x = args[0] if args else kwargs.get("input")
    if spec is None or not isinstance(x, torch.Tensor) or not any(x is t for t in deps):
        return
    if name == "l1_loss":
        if _bind(args, kwargs, ("input", "target", "size_average", "reduce", "reduction"),
                 {"reduction": "mean"})["reduction"] == "none":
            return
        raise _refuse(probe.root, name, "averages over the batch, mixing examples (the walk "
                      "runs its probe points as rows); use reduction='none' and reduce over "
                      "the feature dimensions")
    pos, default = spec
    if name in ("max", "min") and len(args) > 1 and isinstance(args[1], torch.Tensor):
        return
    dim = kwargs.get("dim", kwargs.get("axis", args[pos] if len(args) > pos else default))
    if isinstance(dim, (str, float, bool)) or isinstance(dim, torch.Tensor):
        return
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if dim is None or not dims or x.dim() == 0:
        raise _refuse(probe.root, name, "reduces over all elements, mixing the examples of a "
                      "batch (the walk runs its probe points as rows); reduce over the "
                      "feature dimensions (e.g. x.flatten(1).sum(1))")
    if any(int(d) % x.dim() == 0 for d in dims):
        raise _refuse(probe.root, name, "reduces over the batch dimension, mixing examples; "
                      "method='exact' needs the examples along dimension 0")


def _linear_tangent(func, name: str, args: tuple, kwargs: dict):
    """A linear layer, convolution or eval batch-norm whose input alone carries a tangent:
    the tangent as the same operation on the input's tangent without bias (torch's own
    forward-mode formula also runs the operation on the weight's zero tangent). None where
    the weights carry tangents too."""
    a = list(args)
    kw = dict(kwargs)
    if not a or not isinstance(a[0], torch.Tensor):
        return None
    rest: list[torch.Tensor] = []
    _tensors(a[1:], rest)
    _tensors(kw, rest)
    if any(_tangent(t) is not None for t in rest):
        return None
    xp, xt = fwad.unpack_dual(a[0])
    if xt is None:
        return None
    yp = func(xp, *a[1:], **kw)
    if func is F.batch_norm:
        b = _bind(tuple(a), kw, ("input", "running_mean", "running_var", "weight", "bias",
                                 "training", "momentum", "eps"),
                  {"weight": None, "bias": None, "training": False, "momentum": 0.1,
                   "eps": 1e-5})
        var, w = b["running_var"], b["weight"]
        if var is None:
            return None
        with torch.no_grad():
            scale = torch.rsqrt(var + b["eps"])
            if w is not None:
                scale = scale * w
            yt = xt * scale.view(-1, *([1] * (xt.dim() - 2)))
    else:
        i = _BIAS_ARG[name]
        if len(a) > i:
            a[i] = None
        kw.pop("bias", None)
        with torch.no_grad():
            yt = func(xt, *a[1:], **kw)
    return fwad.make_dual(yp, yt)


def _tensors(obj, out: list) -> None:
    if isinstance(obj, torch.Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)


def _upcast(obj, dtype: torch.dtype):
    """Floating tensors of lower precision in ``obj`` cast to ``dtype`` (structure kept)."""
    if isinstance(obj, torch.Tensor):
        if obj.dtype.is_floating_point and obj.dtype != dtype:
            return obj.to(dtype)
        return obj
    if isinstance(obj, list):
        return [_upcast(o, dtype) for o in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_upcast(o, dtype) for o in obj)
    if isinstance(obj, dict):
        return {k: _upcast(v, dtype) for k, v in obj.items()}
    return obj


def _mixed(ts: list[torch.Tensor], dtype: torch.dtype) -> bool:
    fl = [t.dtype for t in ts if t.dtype.is_floating_point]
    return dtype in fl and any(d != dtype for d in fl)


class CastMode(TorchFunctionMode):
    """Run a forward in ``dtype``: where an operation mixes ``dtype`` tensors with floating
    tensors of lower precision (a float32 model's weights), those are cast first. The
    model itself is not changed."""

    def __init__(self, dtype: torch.dtype = F64) -> None:
        super().__init__()
        self.dtype = dtype

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: D105
        kwargs = kwargs or {}
        ts: list[torch.Tensor] = []
        _tensors(args, ts)
        _tensors(kwargs, ts)
        if _mixed(ts, self.dtype):
            args, kwargs = _upcast(args, self.dtype), _upcast(kwargs, self.dtype)
        return func(*args, **kwargs)


class PiecewiseMode(TorchFunctionMode):
    """Intercept the torch operations of a probe pass: affine operations pass, kinks are
    recorded in ``probe`` and re-computed on the branch to the right of the probe, anything
    else on an input-dependent tensor raises UnsupportedFunctionError. ``root``: the model,
    to name the layer an operation ran in."""

    def __init__(self, probe: Probe, root: object = None, dtype: torch.dtype = F64) -> None:
        super().__init__()
        self.probe = probe
        self.dtype = dtype
        probe.root = root

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: D105
        kwargs = kwargs or {}
        probe = self.probe
        ts: list[torch.Tensor] = []
        _tensors(args, ts)
        _tensors(kwargs, ts)
        if not ts:
            return func(*args, **kwargs)
        if torch.is_inference_mode_enabled():  # it hides the tangents: look without it
            with torch.inference_mode(False):
                moving = [t for t in ts if _tangent(t) is not None]
        else:
            moving = [t for t in ts if _tangent(t) is not None]
        tainted = [t for t in ts if id(t) in probe.tainted]
        if not moving and not tainted:
            return func(*args, **kwargs)
        name = op_name(func)
        if name in _FREE or (name.startswith(".") and name not in _ATTRS_REFUSED):
            return func(*args, **kwargs)
        if name in _TO_PYTHON:
            raise _refuse(probe.root, name, "turns input-dependent values into Python values "
                          "(the walk runs many probe points as the rows of one batch, so this "
                          "mixes them); keep the computation in tensors, row by row (e.g. "
                          "gather instead of .item()), or use method='gausslegendre'")
        if moving and not torch.is_grad_enabled():
            raise _refuse(probe.root, name, "runs under torch.no_grad() or inference_mode on "
                          "an input-dependent tensor, so the gradient is not the derivative of "
                          "the function; remove it or use method='gausslegendre'")
        for t in moving:
            _check_autograd(probe.root, name, t)
        _check_rows(probe, name, func, args, kwargs, moving or tainted)
        if _mixed(ts, self.dtype):
            args, kwargs = _upcast(args, self.dtype), _upcast(kwargs, self.dtype)
        if not moving:  # piecewise constant in t, with its kinks recorded: so is the result
            out = func(*args, **kwargs)
            probe.taint(out)
            return out
        kink = _KINKS.get(name)
        if kink is not None:
            if probe.collect:
                where, _ = _where(probe.root)
                probe.kinks.append(f"{name} in {where}")
            out = kink(probe, name, func, args, kwargs)
            raw = getattr(func, "__name__", "")
            if (raw.endswith("_") and not raw.endswith("__")) or raw.startswith("__i"):
                if out is not args[0]:
                    args[0].copy_(out)
                return args[0]
            return out
        self._check(func, name, args, kwargs, moving)
        if name in _BIAS_ARG or func is F.batch_norm:
            out = _linear_tangent(func, name, args, kwargs)
            if out is not None:
                return out
        out = func(*args, **kwargs)
        outs: list[torch.Tensor] = []
        _tensors(out, outs)
        for o in outs:
            if not (o.dtype.is_floating_point or o.dtype.is_complex):
                raise _refuse(probe.root, name, "turns input-dependent values into "
                              f"{o.dtype} (a step function); use method='gausslegendre'")
        return out

    def _check(self, func, name: str, args: tuple, kwargs: dict,
               moving: list[torch.Tensor]) -> None:
        root = self.probe.root
        if name in _AFFINE:
            return
        if name in _PRODUCTS:
            factors: list[torch.Tensor] = []
            skip = 0 if name in _ADDITIVE_FIRST else None
            bias = _BIAS_ARG.get(name)
            for i, arg in enumerate(args):
                if i not in (skip, bias):
                    _tensors(arg, factors)
            drop = ("bias", "out", "input") if skip == 0 else ("bias", "out")
            for key, arg in kwargs.items():
                if key not in drop:
                    _tensors(arg, factors)
            if sum(_tangent(t) is not None for t in factors) > 1:
                raise _refuse(root, name, "multiplies two input-dependent tensors, so it is "
                              "not piecewise linear; use method='gausslegendre'")
            return
        if name in _QUOTIENTS:
            if name == "rdiv":
                den = args[0]
            elif name == "addcdiv":
                den = args[2] if len(args) > 2 else kwargs.get("tensor2")
            else:
                den = args[1] if len(args) > 1 else kwargs.get("other")
            if isinstance(den, torch.Tensor) and _tangent(den) is not None:
                raise _refuse(root, name, "divides by an input-dependent tensor, so it is not "
                              "piecewise linear; use method='gausslegendre'")
            return
        if name == "batch_norm":
            training = args[5] if len(args) > 5 else kwargs.get("training", False)
            if training:
                raise _refuse(root, name, "uses the batch's statistics (training mode), so "
                              "it is not a fixed function; call model.eval()")
            return
        if name == "instance_norm":
            use = args[5] if len(args) > 5 else kwargs.get("use_input_stats", True)
            if use:
                raise _refuse(root, name, "normalizes by the input's own statistics, so it "
                              "is not piecewise linear; use method='gausslegendre'")
            return
        if name in _DROPOUTS:
            p = args[1] if len(args) > 1 else kwargs.get("p", 0.5)
            training = args[2] if len(args) > 2 else kwargs.get(
                "training", kwargs.get("train", _DROPOUTS[name]))
            if training and p > 0:
                raise _refuse(root, name, "is random in training mode; call model.eval()")
            return
        if name in ("detach", ".data"):
            raise _refuse(root, name, "cuts an input-dependent tensor out of the gradient, "
                          "so the gradient is not the derivative of the function; remove it "
                          "or use method='gausslegendre'")
        if name in _VALUES:
            raise _refuse(root, name, "turns input-dependent values into Python values or "
                          "orderings the walk cannot follow; use method='gausslegendre'")
        raise _refuse(root, name)

