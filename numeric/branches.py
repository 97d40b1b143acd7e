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

__all__ = ["BranchFingerprint", "branch_code"]



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

    def __init__(self) -> None:
        super().__init__()
        self.rows = 0
        self.calls = 0
        self.current: torch.Tensor | None = None
        self.parts: list[torch.Tensor] = []
        #: whether any kink operation ran on a batch of points since this object was made
        self.seen = False

    def watch(self, part: slice):
        """A context manager for the forward over the points ``part``."""
        fp = self

        class _Watch:
            def __enter__(self_inner):
                fp.rows = part.stop - part.start
                fp.calls = 0
                fp.current = torch.zeros(fp.rows, dtype=torch.long)
                fp.__enter__()

            def __exit__(self_inner, *exc):
                fp.__exit__(*exc)
                fp.parts.append(fp.current)
                return False

        return _Watch()

    def take(self) -> torch.Tensor:
        """The fingerprints recorded since the last take, in point order."""
        out = torch.cat(self.parts) if self.parts else torch.zeros(0, dtype=torch.long)
        self.parts = []
        return out

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
        return out
