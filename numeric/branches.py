"""Which branch every kink operation of a forward pass takes, folded into one integer per point.

The exact walk's catalogue of kink operations (:mod:`numeric.piecewise_ops`: ReLU, leaky ReLU,
clamp, hardtanh, abs, max/min, max-pool, comparisons, ...) decides which operations switch;
:class:`BranchFingerprint` runs any forward (smooth operations included) and records, per point,
a fingerprint of the branches taken. Two points of a path with different fingerprints have a
switch between them: the adaptive integrator (:mod:`numeric.adaptive`) and the kink-split grid
(:func:`numeric.path_integral.kink_grid`) bisect for it.

>>> fp = BranchFingerprint()
>>> with fp.watch(slice(0, 3)):
...     _ = torch.relu(torch.tensor([[-1.0], [2.0], [3.0]]))
>>> p = fp.take().tolist()
>>> p[0] != p[1], p[1] == p[2]
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable

import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from ._torch import torch
from .piecewise_ops import _KINKS, op_name

__all__ = ["BranchFingerprint", "Record", "branch_code", "first_difference"]


_PAIRS = frozenset("maximum minimum fmax fmin".split())
_COMPARE = frozenset("gt lt ge le greater less greater_equal less_equal eq ne not_equal".split())
_CLAMPS = {"hardtanh": (-1.0, 1.0), "relu6": (0.0, 6.0), "clamp": (None, None),
           "clip": (None, None), "clamp_min": (None, None), "clamp_max": (None, None)}
_SIGNS = frozenset("relu leaky_relu prelu abs absolute".split())
_ARGMIN = frozenset("min amin argmin".split())


def _bound(args: tuple, kwargs: dict, i: int, key: str, default):
    return args[i] if len(args) > i else kwargs.get(key, default)


def branch_code(name: str, func: Callable, args: tuple, kwargs: dict, out) -> torch.Tensor | None:
    """Which branch the kink operation ``name`` (a key of the walk's catalogue) took: a tensor
    whose rows are the batch's rows; None when there is no input tensor to read.

    >>> branch_code("relu", torch.relu, (torch.tensor([[-1.0, 2.0]]),), {}, None).tolist()
    [[False, True]]
    """
    x = args[0] if args else kwargs.get("input")
    if not isinstance(x, torch.Tensor):
        return None
    with torch.no_grad():
        x = x.detach()
        if name in _SIGNS or name == "relu_":
            return x > 0
        if name == "sign":
            return torch.sign(x)
        if name == "threshold":
            return x > _bound(args, kwargs, 1, "threshold", 0.0)
        if name in _CLAMPS:
            lo_default, hi_default = _CLAMPS[name]
            if name == "clamp_max":
                lo, hi = None, _bound(args, kwargs, 1, "max", None)
            elif name in ("hardtanh", "relu6"):
                lo = _bound(args, kwargs, 1, "min_val", lo_default) if name == "hardtanh" \
                    else lo_default
                hi = _bound(args, kwargs, 2, "max_val", hi_default) if name == "hardtanh" \
                    else hi_default
            else:
                lo = _bound(args, kwargs, 1, "min", None)
                hi = _bound(args, kwargs, 2, "max", None)
            code = torch.zeros_like(x, dtype=torch.long)
            for b in (lo, hi):
                if b is not None:
                    code = code + (x > b).long()
            return code
        if name in _PAIRS:
            other = _bound(args, kwargs, 1, "other", None)
            return x > other.detach() if isinstance(other, torch.Tensor) else x > other
        if name in _COMPARE:
            return out.detach() if isinstance(out, torch.Tensor) else None
        if name.startswith("max_pool"):
            dims = int(name[8])
            pool = {1: F.max_pool1d_with_indices, 2: F.max_pool2d_with_indices,
                    3: F.max_pool3d_with_indices}[dims]
            kw = {k: v for k, v in kwargs.items() if k != "return_indices"}
            pos = list(args[:6])
            if len(pos) == 7:
                pos = pos[:6]
            return pool(*pos, **kw)[1]
        # max / min / amax / amin / argmax / argmin
        dim = _bound(args, kwargs, 1, "dim", None)
        pick = torch.argmin if name in _ARGMIN else torch.argmax
        if isinstance(dim, int) and not isinstance(dim, bool):
            return pick(x, dim)
        if isinstance(x, torch.Tensor) and x.dim() > 0:
            return pick(x.reshape(x.shape[0], -1), 1)
        return None


_MIX, _MIX2, _PRIME = 0x9E3779B97F4A7C15 % (1 << 61), 0x2545F4914F6CDD1D % (1 << 61), \
    (1 << 61) - 1


class BranchFingerprint(TorchFunctionMode):
    """A torch function mode that, for every kink operation of the walk's catalogue, folds the
    branch each point takes into one integer per point (a pseudo-random-weight sum of the
    branch codes, wrapping): two points with different fingerprints are on different sides of
    a switch. Enter it with :meth:`watch` around a forward pass over ``rows`` points."""

    def __init__(self, record: bool = False) -> None:
        super().__init__()
        self.rows = 0
        self.calls = 0
        self.current: torch.Tensor | None = None
        self.parts: list[torch.Tensor] = []
        #: whether any kink operation ran on a batch of points since this object was made
        self.seen = False
        #: keep, per point, every kink operation's branch code and kink argument
        #: (:class:`Record`), up to ``RECORD_LIMIT`` numbers per pass
        self.record = record
        self._calls: list[tuple] = []
        self._rec_parts: list[list[tuple]] = []
        self._size = 0

    def watch(self, part: slice):
        """A context manager for the forward over the points ``part``."""
        fp = self

        class _Watch:
            def __enter__(self_inner):
                fp.rows = part.stop - part.start
                fp.calls = 0
                fp.current = torch.zeros(fp.rows, dtype=torch.long)
                fp._calls = []
                fp.__enter__()

            def __exit__(self_inner, *exc):
                fp.__exit__(*exc)
                fp.parts.append(fp.current)
                fp._rec_parts.append(fp._calls)
                return False

        return _Watch()

    def take(self) -> torch.Tensor:
        """The fingerprints recorded since the last take, in point order."""
        out = torch.cat(self.parts) if self.parts else torch.zeros(0, dtype=torch.long)
        self.parts = []
        return out

    def take_record(self) -> Record | None:
        """The branch codes and kink arguments recorded since the last take (when made with
        ``record=True``), in point order; None when there were too many to keep or the passes
        over the parts ran different kink operations."""
        parts, self._rec_parts, size, self._size = self._rec_parts, [], self._size, 0
        if not self.record or not parts or size > RECORD_LIMIT:
            return None
        calls = []
        for c in range(len(parts[0])):
            group = [p[c] if c < len(p) else None for p in parts]
            if any(g is None or g[0] != group[0][0] or g[1] != group[0][1]
                   or g[2].shape[1:] != group[0][2].shape[1:] for g in group):
                return None
            vals = None if any(g[3] is None for g in group) else torch.cat([g[3] for g in group])
            calls.append((group[0][0], group[0][1], torch.cat([g[2] for g in group]), vals))
        if any(len(p) != len(calls) for p in parts):
            return None
        return Record(calls)

    def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: D105
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        name = op_name(func)
        if name in _KINKS:
            code = branch_code(name, func, args, kwargs, out)
            if isinstance(code, torch.Tensor) and code.dim() > 0 \
                    and code.shape[0] % max(1, self.rows) == 0 and code.numel() > 0:
                c = code.reshape(self.rows, -1).to(device="cpu", dtype=torch.long)
                self.calls += 1
                self.seen = True
                m = c.shape[1]
                # integer arithmetic (wrapping): the same branches give the same fingerprint
                # whatever the batch and the order of the sum
                w = (torch.arange(1, m + 1, dtype=torch.long) * _MIX
                     + self.calls * _MIX2) % _PRIME
                self.current += (c * w).sum(1)
                if self.record:
                    self._keep(name, args, kwargs, c)
        return out

    def _keep(self, name: str, args: tuple, kwargs: dict, code: torch.Tensor) -> None:
        self._size += code.numel()
        if self._size > RECORD_LIMIT:
            return
        meta, vals = _argument_values(name, args, kwargs, self.rows)
        if vals is not None:
            self._size += vals.numel()
        self._calls.append((name, meta, code, vals))


#: most numbers (codes and kink arguments) a recording fingerprint keeps per pass
RECORD_LIMIT = 1 << 24


def _argument_values(name: str, args: tuple, kwargs: dict, rows: int) -> tuple:
    """(meta, values (rows, K) float64 on the CPU) from which :meth:`Record.argument` reads the
    kink argument of any element: a continuous function of the point whose sign tells the two
    branches of a switch apart (the input minus the threshold; for a max-pool or an argmax,
    the difference of the two competing entries); (None, None) where it is not known (the
    switch is then bisected on the fingerprints alone)."""
    x = args[0] if args else kwargs.get("input")
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() == 0 \
            or x.shape[0] % max(rows, 1):
        return None, None
    with torch.no_grad():
        flat = x.detach().reshape(rows, -1)
        if name in _SIGNS or name in ("relu_", "sign"):
            return ("sign", (0.0,)), flat.to("cpu", torch.float64)
        if name == "threshold":
            return ("sign", (float(_bound(args, kwargs, 1, "threshold", 0.0)),)), \
                flat.to("cpu", torch.float64)
        if name in _CLAMPS:
            lo_default, hi_default = _CLAMPS[name]
            if name == "clamp_max":
                bounds = (_bound(args, kwargs, 1, "max", None),)
            elif name == "hardtanh":
                bounds = (_bound(args, kwargs, 1, "min_val", lo_default),
                          _bound(args, kwargs, 2, "max_val", hi_default))
            elif name == "relu6":
                bounds = (lo_default, hi_default)
            else:
                bounds = (_bound(args, kwargs, 1, "min", None), _bound(args, kwargs, 2, "max",
                                                                      None))
            bounds = tuple(b for b in bounds if b is not None)
            if not all(isinstance(b, (int, float)) for b in bounds):
                return None, None
            return ("sign", tuple(float(b) for b in bounds)), flat.to("cpu", torch.float64)
        if name.startswith("max_pool"):
            dims = int(name[8])
            if x.dim() != dims + 2 or x.shape[0] != rows:
                return None, None
            plane = 1
            for d in x.shape[2:]:
                plane *= int(d)
            return ("pool", (int(x.shape[1]), plane)), flat.to("cpu", torch.float64)
        if name in _PAIRS or name in _COMPARE or name == "sign":
            return None, None
        dim = _bound(args, kwargs, 1, "dim", None)
        sign = -1.0 if name in _ARGMIN else 1.0
        if dim is None:
            return ("pick", (x.numel() // x.shape[0], sign)), flat.to("cpu", torch.float64)
        if isinstance(dim, int) and not isinstance(dim, bool) and dim % x.dim() != 0:
            moved = x.detach().movedim(dim, -1)
            return ("pick", (int(x.shape[dim]), sign)), \
                moved.reshape(rows, -1).to("cpu", torch.float64)
        return None, None


class Record:
    """Per kink operation of a recorded pass (in the order they ran): its name, how to read
    its kink argument, the branch codes (points, elements) and the argument values (points,
    K) or None."""

    def __init__(self, calls: list[tuple]) -> None:
        self.calls = calls

    def argument(self, row: int, element: tuple) -> float | None:
        """The kink argument of ``element`` (:func:`first_difference`) at point ``row``: its
        sign differs between the element's two branches."""
        c, p, lo, hi = element
        _, meta, _, vals = self.calls[c]
        if meta is None or vals is None:
            return None
        kind, info = meta
        v = vals[row]
        if kind == "sign":
            bound = info[min(lo, hi)] if len(info) > 1 else info[0]
            return float(v[p]) - bound
        if kind == "pool":
            channels, plane = info
            per = vals.shape[1] // plane // channels if channels else 0
            outs = self.calls[c][2].shape[1] // max(channels, 1)
            if per != 1 or outs == 0:
                return None
            base = (p // outs) * plane
            return float(v[base + hi] - v[base + lo])
        length, sign = info
        return sign * float(v[p * length + hi] - v[p * length + lo])


def first_difference(a: Record, i: int, b: Record, j: int, limit: int = 1) -> list[tuple]:
    """Up to ``limit`` elements (call, position, branch at a's point i, branch at b's point j)
    whose branch differs between the two points, in the order the operations ran; empty when
    none differs or the passes ran different kink operations."""
    out: list[tuple] = []
    if len(a.calls) != len(b.calls):
        return out
    for c, (ca, cb) in enumerate(zip(a.calls, b.calls, strict=True)):
        if ca[0] != cb[0] or ca[2].shape[1:] != cb[2].shape[1:]:
            return []
        for p in (ca[2][i] != cb[2][j]).nonzero()[:limit - len(out), 0].tolist():
            out.append((c, p, int(ca[2][i, p]), int(cb[2][j, p])))
        if len(out) >= limit:
            break
    return out
