"""The piecewise-linear operations method="exact" accepts beyond relu and max (issue 22, item 7):
sort, topk, kthvalue, median, cummax/cummin, hardsigmoid, norm(p=1), vector_norm(ord=inf),
l1_loss, max_unpool, adaptive max pooling and nan_to_num, each checked against the symbolic
engine (proofs) on the same function written with Max, Min and Abs."""

from itertools import combinations

import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from numeric.exact import exact_path_attribution
from proofs.errors import IntegrationError, UnsupportedFunctionError

proofs = pytest.importorskip("proofs")

F64 = torch.float64
X = [sp.Rational(7, 4), sp.Rational(-5, 4), sp.Rational(3, 2), sp.Rational(1, 4),
     sp.Rational(-1, 2)]
BASE = [sp.Rational(1, 2), sp.Rational(1, 4), sp.Rational(-3, 4), sp.Rational(5, 4), -1]
C = [1, -2, 3, sp.Rational(1, 2), -1]
V = sp.symbols("x1:6", real=True)


def _kth_smallest(xs, k):
    """The k-th smallest of xs: the least of the maxima of its k-subsets."""
    return sp.Min(*[sp.Max(*s) for s in combinations(xs, k)])


def _check(forward, expr, x=X, base=BASE):
    """Exact walk of forward vs the symbolic engine's IG of expr, from base to x."""
    n = len(x)
    ref = proofs.integrated_gradients(proofs.Function(expr, variables=V[:n]), x, base)
    xt = torch.tensor([[float(v) for v in x]], dtype=F64)
    bt = torch.tensor([[float(v) for v in base]], dtype=F64)
    got = exact_path_attribution(forward, [bt, xt]).attributions[0].tolist()
    assert got == pytest.approx(ref.numeric(), abs=1e-12)


def _dot(values, coeffs):
    return (values * torch.tensor([float(c) for c in coeffs], dtype=F64)).sum(1)


def test_sort_ascending_and_descending():
    ordered = [_kth_smallest(V, k) for k in range(1, 6)]
    _check(lambda z: _dot(torch.sort(z, 1).values, C),
           sum(c * o for c, o in zip(C, ordered, strict=True)))
    _check(lambda z: _dot(z.sort(dim=-1, descending=True).values, C),
           sum(c * o for c, o in zip(C, ordered[::-1], strict=True)))


def test_topk_kthvalue_and_median():
    _check(lambda z: _dot(torch.topk(z, 2, dim=1).values, [3, -1]),
           3 * sp.Max(*V) - _kth_smallest(V, 4))
    _check(lambda z: torch.topk(z, 2, dim=1, largest=False).values[:, 1],
           _kth_smallest(V, 2))
    _check(lambda z: torch.kthvalue(z, 3, dim=1).values, _kth_smallest(V, 3))
    # torch's median of an even count is the lower one
    _check(lambda z: z[:, :4].median(dim=1).values, _kth_smallest(V[:4], 2))
    _check(lambda z: torch.median(z, 1, keepdim=True).values[:, 0], _kth_smallest(V, 3))


def test_cummax_and_cummin():
    _check(lambda z: _dot(torch.cummax(z, 1).values, C),
           sum(c * sp.Max(*V[:i + 1]) for i, c in enumerate(C)))
    _check(lambda z: _dot(z.cummin(dim=1).values, C),
           sum(c * sp.Min(*V[:i + 1]) for i, c in enumerate(C)))


def test_hardsigmoid_crossing_both_bends():
    x = [sp.Integer(4), sp.Integer(-5), sp.Rational(1, 2), sp.Integer(2), sp.Integer(-2)]
    base = [sp.Integer(-4), sp.Integer(1), sp.Integer(0), sp.Integer(-6), sp.Integer(3)]
    expr = sum(c * sp.Min(sp.Max(v / 6 + sp.Rational(1, 2), 0), 1) for c, v in zip(C, V,
                                                                                   strict=True))
    _check(lambda z: _dot(F.hardsigmoid(z), C), expr, x, base)
    _check(lambda z: _dot(torch.nn.Hardsigmoid()(z), C), expr, x, base)


def test_norms_of_order_one_and_infinity():
    _check(lambda z: torch.norm(z, p=1, dim=1), sum(sp.Abs(v) for v in V))
    _check(lambda z: z.norm(1, 1), sum(sp.Abs(v) for v in V))
    _check(lambda z: torch.linalg.vector_norm(z, ord=float("inf"), dim=1),
           sp.Max(*[sp.Abs(v) for v in V]))
    _check(lambda z: torch.linalg.vector_norm(z, ord=-float("inf"), dim=(1,)),
           sp.Min(*[sp.Abs(v) for v in V]))
    _check(lambda z: torch.linalg.vector_norm(z, 1, dim=-1), sum(sp.Abs(v) for v in V))
    with pytest.raises(UnsupportedFunctionError, match=r"order 2 is not piecewise linear"):
        _check(lambda z: torch.linalg.vector_norm(z, 2, dim=1), V[0])


def test_l1_loss_without_reduction_and_refused_with_a_batch_mean():
    target = [1, -1, 0, 2, sp.Rational(1, 2)]
    tt = torch.tensor([[float(t) for t in target]], dtype=F64)
    _check(lambda z: _dot(F.l1_loss(z, tt.expand_as(z), reduction="none"), C),
           sum(c * sp.Abs(v - t) for c, v, t in zip(C, V, target, strict=True)))
    with pytest.raises(UnsupportedFunctionError, match=r"l1_loss .*reduction='none'"):
        _check(lambda z: F.l1_loss(z, tt.expand_as(z)).expand(z.shape[0]), V[0])


def test_nan_to_num_is_the_identity_on_finite_values():
    _check(lambda z: _dot(torch.nan_to_num(z, nan=0.0), C),
           sum(c * v for c, v in zip(C, V, strict=True)))


def _grid(values):
    return torch.tensor([[float(v) for v in values]], dtype=F64)


X16 = [sp.Rational((7 * i) % 11 - 5, 4) for i in range(16)]
BASE16 = [sp.Rational((5 * i) % 13 - 6, 8) for i in range(16)]
V16 = sp.symbols("x1:17", real=True)


def _check16(forward, expr):
    ref = proofs.integrated_gradients(proofs.Function(expr, variables=V16), X16, BASE16)
    got = exact_path_attribution(forward, [_grid(BASE16), _grid(X16)]).attributions
    assert got[0].tolist() == pytest.approx(ref.numeric(), abs=1e-12)


def _window(i0, i1, j0, j1):
    return [V16[4 * i + j] for i in range(i0, i1) for j in range(j0, j1)]


def test_max_unpool_after_max_pool_with_window_constant_weights():
    """max_unpool2d puts each window's max where it was; weighted by a constant per window,
    F = sum_w c_w max(window w)."""
    cw = torch.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=F64).repeat_interleave(2, 0) \
        .repeat_interleave(2, 1)

    def forward(z):
        v, idx = F.max_pool2d(z.view(-1, 1, 4, 4), 2, return_indices=True)
        return (F.max_unpool2d(v, idx, 2) * cw).flatten(1).sum(1)

    expr = sum(c * sp.Max(*_window(2 * a, 2 * a + 2, 2 * b, 2 * b + 2))
               for (a, b), c in zip([(0, 0), (0, 1), (1, 0), (1, 1)], [1, -2, 3, 0.5],
                                    strict=True))
    _check16(forward, expr)


def test_max_unpool_with_weights_that_differ_inside_a_window_jumps_and_is_refused():
    """F = sum c_p unpool(max)_p jumps where a window's winner changes (the max is not 0
    there): refused by name, not integrated."""
    cw = torch.arange(16, dtype=F64).view(4, 4)

    def forward(z):
        v, idx = F.max_pool2d(z.view(-1, 1, 4, 4), 2, return_indices=True)
        return (F.max_unpool2d(v, idx, 2) * cw).flatten(1).sum(1)

    with pytest.raises(IntegrationError, match=r"F jumps by"):
        exact_path_attribution(forward, [_grid(BASE16), _grid(X16)])


def test_adaptive_max_pool_1d_and_2d_overlapping_windows():
    # 1d, length 5 into 3: windows [0, 2), [1, 4), [3, 5)
    _check(lambda z: _dot(F.adaptive_max_pool1d(z[:, None], 3)[:, 0], [1, -2, 3]),
           sp.Max(*V[0:2]) - 2 * sp.Max(*V[1:4]) + 3 * sp.Max(*V[3:5]))
    # 2d, 4x4 into 3x3: windows [0, 2), [1, 3), [2, 4) on each axis
    coeff = [[1, -2, 3], [sp.Rational(1, 2), -1, 2], [-3, 1, 1]]
    ct = torch.tensor([[float(c) for c in row] for row in coeff], dtype=F64)
    _check16(lambda z: (F.adaptive_max_pool2d(z.view(-1, 1, 4, 4), 3)[:, 0] * ct).sum((1, 2)),
             sum(coeff[a][b] * sp.Max(*_window(a, a + 2, b, b + 2))
                 for a in range(3) for b in range(3)))
    _check16(lambda z: torch.nn.AdaptiveMaxPool2d((2, None))(z.view(-1, 1, 4, 4)).sum((1, 2, 3)),
             sum(sp.Max(*_window(2 * a, 2 * a + 2, b, b + 1)) for a in range(2)
                 for b in range(4)))


def test_adaptive_max_pool_indices_are_torchs():
    """The indices returned on the walk's own (tie-safe) path are the ones torch returns."""
    import torch.autograd.forward_ad as fwad

    from numeric.piecewise_ops import PiecewiseMode, Probe

    x = torch.randn(3, 2, 5, 7, dtype=F64, generator=torch.Generator().manual_seed(1))
    _, ref = F.adaptive_max_pool2d(x, (3, 4), return_indices=True)
    half = torch.full((3,), 0.5, dtype=F64)
    probe = Probe(half, torch.zeros_like(half), torch.ones_like(half))
    with fwad.dual_level(), PiecewiseMode(probe):
        dual = fwad.make_dual(x.clone().requires_grad_(True), torch.zeros_like(x))
        values, idx = F.adaptive_max_pool2d(dual, (3, 4), return_indices=True)
    assert torch.equal(idx, ref)
    assert torch.equal(fwad.unpack_dual(values).primal, F.adaptive_max_pool2d(x, (3, 4)))


def test_ordering_along_the_batch_dimension_is_refused():
    with pytest.raises(UnsupportedFunctionError, match=r"batch dimension"):
        _check(lambda z: torch.sort(z, 0).values[:, 0], V[0])
    with pytest.raises(UnsupportedFunctionError, match=r"all elements"):
        _check(lambda z: torch.median(z).expand(z.shape[0]), V[0])
