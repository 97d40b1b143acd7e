"""method="exact": against exact rational arithmetic (an independent ExactLine-style walk in
fractions.Fraction, written here), against the proofs engines through the bridge, and its
completeness on the trained digits network."""

import warnings
from fractions import Fraction

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric
from numeric import Residual, exact_integrated_gradients, integrated_gradients
from numeric.models import digits_data, digits_mlp, random_mlp, small_cnn
from proofs.errors import UnsupportedFunctionError

F64 = torch.float64


def _frac_layers(net):
    """[(W, b)] in exact fractions from a Linear/ReLU nn.Sequential."""
    layers = []
    for m in net:
        if isinstance(m, torch.nn.Linear):
            w = [[Fraction(float(v)) for v in row] for row in m.weight.detach().double().tolist()]
            b = [Fraction(float(v)) for v in m.bias.detach().double().tolist()]
            layers.append((w, b))
    return layers


def _affine(w, b, h):
    return [sum((wj * hj for wj, hj in zip(row, h, strict=True)), bj)
            for row, bj in zip(w, b, strict=True)]


def rational_ig(net, x, base, target=0):
    """Exact IG of a ReLU MLP in Fractions: breakpoints layer by layer (ExactLine), then the
    gradient on each piece by exact back-propagation at the piece's midpoint."""
    layers = _frac_layers(net)
    x = [Fraction(float(v)) for v in x]
    base = [Fraction(float(v)) for v in base]
    d = [xi - bi for xi, bi in zip(x, base, strict=True)]
    ts = [Fraction(0), Fraction(1)]
    vals = [list(base), list(x)]
    for k, (w, b) in enumerate(layers[:-1]):
        pre = [_affine(w, b, v) for v in vals]
        new_ts, new_vals = [ts[0]], [pre[0]]
        for i in range(len(ts) - 1):
            t0, t1, p0, p1 = ts[i], ts[i + 1], pre[i], pre[i + 1]
            cross = sorted({p0[j] / (p0[j] - p1[j]) for j in range(len(p0))
                            if (p0[j] < 0 < p1[j]) or (p1[j] < 0 < p0[j])})
            for s in cross:
                new_ts.append(t0 + s * (t1 - t0))
                new_vals.append([a + s * (c - a) for a, c in zip(p0, p1, strict=True)])
            new_ts.append(t1)
            new_vals.append(p1)
        ts = new_ts
        vals = [[max(v, Fraction(0)) for v in row] for row in new_vals]
        del k
    attr = [Fraction(0)] * len(x)
    for t0, t1 in zip(ts[:-1], ts[1:], strict=True):
        m = (t0 + t1) / 2
        h = [bi + m * di for bi, di in zip(base, d, strict=True)]
        masks = []
        for w, b in layers[:-1]:
            z = _affine(w, b, h)
            masks.append([zj > 0 for zj in z])
            h = [max(zj, Fraction(0)) for zj in z]
        g = list(layers[-1][0][target])
        for (w, _), mask in zip(reversed(layers[:-1]), reversed(masks), strict=True):
            g = [gj if on else Fraction(0) for gj, on in zip(g, mask, strict=True)]
            g = [sum((g[j] * w[j][i] for j in range(len(g))), Fraction(0))
                 for i in range(len(w[0]))]
        attr = [a + (t1 - t0) * gi * di for a, gi, di in zip(attr, g, d, strict=True)]
    return attr, len(ts) - 1


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), hidden=st.integers(2, 10), layers=st.integers(1, 3))
def test_exact_equals_rational_arithmetic_on_random_relu_networks(seed, hidden, layers):
    net = random_mlp(5, hidden, 2, "relu", seed=seed, layers=layers)
    gen = torch.Generator().manual_seed(seed + 1)
    x = 2 * torch.randn(2, 5, dtype=F64, generator=gen)
    base = torch.randn(2, 5, dtype=F64, generator=gen)
    result = exact_integrated_gradients(net, x, base, target=1)
    for i in range(2):
        ref, pieces = rational_ig(net, x[i].tolist(), base[i].tolist(), target=1)
        ref_t = torch.tensor([float(r) for r in ref], dtype=F64)
        scale = max(1.0, float(ref_t.abs().max()))
        assert float((result.attributions[i] - ref_t).abs().max()) <= 1e-10 * scale
        assert result.regions[i] == pieces


def test_exact_through_integrated_gradients_matches_rationals_to_1e_10():
    net = random_mlp(8, 16, 1, "relu", seed=11, layers=2)
    x = torch.randn(3, 8, dtype=F64, generator=torch.Generator().manual_seed(5))
    attr = integrated_gradients(net, x, method="exact")
    for i in range(3):
        ref, _ = rational_ig(net, x[i].tolist(), [0.0] * 8)
        assert max(abs(float(r) - float(a)) for r, a in zip(ref, attr[i], strict=True)) < 1e-10


def test_digits_network_completeness_below_1e_9_relative():
    net = digits_mlp()
    x, _ = digits_data()
    batch = x[1500:1520]
    targets = net(batch).argmax(1)
    attr = integrated_gradients(net, batch, target=targets, method="exact")
    with torch.no_grad():
        rise = (net(batch) - net(torch.zeros_like(batch))).gather(1, targets[:, None])[:, 0]
    gap = (attr.sum(1) - rise).abs() / rise.abs().clamp_min(1e-300)
    assert float(gap.max()) < 1e-9


def _cnn_with_everything():
    torch.manual_seed(1)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3, padding=1), torch.nn.BatchNorm2d(3), torch.nn.LeakyReLU(0.1),
        torch.nn.MaxPool2d(2),
        Residual(torch.nn.Conv2d(3, 3, 3, padding=1), torch.nn.ReLU6()),
        torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 4), torch.nn.Hardtanh(),
    )
    with torch.no_grad():
        net[1].running_mean.normal_()
        net[1].running_var.uniform_(0.5, 2)
    return net.eval().double()


def test_exact_on_conv_batchnorm_maxpool_residual_is_the_limit_of_quadrature():
    net = _cnn_with_everything()
    x = torch.randn(2, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(2))
    result = exact_integrated_gradients(net, x, target=[0, 3])
    with torch.no_grad():
        rise = (net(x) - net(torch.zeros_like(x)))[[0, 1], [0, 3]]
    assert float((result.attributions.reshape(2, -1).sum(1) - rise).abs().max()) < 1e-12
    fine = integrated_gradients(net, x, target=[0, 3], steps=4000, method="riemann_middle",
                                batch_size=8000)
    # the midpoint rule's error on a piecewise-constant gradient is O(regions / steps^2)...
    # at kinks O(1/steps): 4000 steps leave < 1e-3 of the scale
    scale = float(result.attributions.abs().max())
    assert float((fine - result.attributions).abs().max()) < 1e-3 * scale
    assert min(result.regions) > 3


def test_exact_matches_the_symbolic_engine_through_the_bridge():
    proofs = pytest.importorskip("proofs")
    from numeric.bridge import exact_rational

    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(2 * 3 * 3, 1)).double()
    x = torch.randn(1, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(9))
    fn = numeric.to_function(net, input_shape=(1, 8, 8))
    ref = proofs.integrated_gradients(fn, [exact_rational(v) for v in x.reshape(-1).tolist()],
                                      engine="symbolic")
    result = exact_integrated_gradients(net, x)
    got = result.attributions.reshape(-1).tolist()
    assert max(abs(a - b) for a, b in zip(got, ref.numeric(), strict=True)) < 1e-12
    assert result.regions[0] == len(ref.breakpoints) + 1


def test_unsupported_layers_and_modes_are_named():
    with pytest.raises(UnsupportedFunctionError, match=r"layer 1 \(Sigmoid\) is not piecewise"):
        exact_integrated_gradients(torch.nn.Sequential(torch.nn.Linear(2, 2),
                                                       torch.nn.Sigmoid()), torch.ones(1, 2))
    bn = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    with pytest.raises(UnsupportedFunctionError,
                       match=r"batch_norm in layer 1 \(BatchNorm1d\) uses the batch's statistics"):
        exact_integrated_gradients(bn, torch.ones(1, 2), target=0)

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 1)

        def forward(self, x):
            return self.lin(x) * 2

    # a forward of its own is fine now: the operations it runs are checked
    block = Block().double()
    r = exact_integrated_gradients(block, torch.ones(1, 2, dtype=F64))
    expected = 2 * block.lin.weight.detach()[0]
    assert torch.allclose(r.attributions[0], expected, rtol=0, atol=1e-15)
    attr = integrated_gradients(lambda z: z.sum(1), torch.ones(1, 2), method="exact")
    assert attr.tolist() == [[1.0, 1.0]]


def test_exact_keeps_the_input_dtype_and_runs_in_float64():
    net = random_mlp(3, 4, 1, seed=2, dtype=torch.float32)
    x = torch.randn(2, 3)
    attr = integrated_gradients(net, x, method="exact")
    assert attr.dtype == torch.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = exact_integrated_gradients(net, x)
    assert r.attributions.dtype == F64


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_exact_on_cuda_matches_cpu():
    net = random_mlp(8, 16, 3, seed=4, layers=2)
    x = torch.randn(4, 8, dtype=F64)
    cpu = exact_integrated_gradients(net, x, target=2).attributions
    gpu = exact_integrated_gradients(net.cuda(), x.cuda(), target=2).attributions
    assert torch.allclose(gpu.cpu(), cpu, atol=1e-12)


# ------------------------------------------------------------------- ties on purpose


@st.composite
def tied_mlps(draw):
    """A ReLU MLP with small integer weights, some biases 0 (kinks exactly at a zero baseline),
    some very negative (dead units), and an integer input where some units sit exactly on
    their kink at t = 1."""
    n_in, hidden = draw(st.integers(2, 4)), draw(st.integers(2, 6))
    layers = draw(st.integers(1, 2))
    net = random_mlp(n_in, hidden, 2, "relu", layers=layers)
    ints = st.integers(-3, 3)
    with torch.no_grad():
        for mod in net:
            if isinstance(mod, torch.nn.Linear):
                w = draw(st.lists(ints, min_size=mod.weight.numel(), max_size=mod.weight.numel()))
                mod.weight.copy_(torch.tensor(w, dtype=F64).reshape(mod.weight.shape))
                b = draw(st.lists(st.sampled_from([0.0, 0.0, 1.0, -1.0, -100.0]),
                                  min_size=mod.bias.numel(), max_size=mod.bias.numel()))
                mod.bias.copy_(torch.tensor(b, dtype=F64))
    x = draw(st.lists(ints, min_size=n_in, max_size=n_in))
    return net, torch.tensor([x], dtype=F64)


@settings(max_examples=25, deadline=None)
@given(case=tied_mlps(), black=st.booleans())
def test_ties_at_the_ends_and_dead_units_match_rational_arithmetic(case, black):
    net, x = case
    base = torch.zeros_like(x) if black else torch.full_like(x, 0.5)
    # rational_ig takes relu'(0) = 0 where a unit sits at 0 all along: so does the walk's
    # on_tie="convention" (the default, proofs' rule, is tested in test_numeric_exact_ties.py)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = exact_integrated_gradients(net, x, base, target=0, on_tie="convention")
    ref, pieces = rational_ig(net, x[0].tolist(), base[0].tolist(), target=0)
    ref_t = torch.tensor([float(r) for r in ref], dtype=F64)
    scale = max(1.0, float(ref_t.abs().max()))
    assert float((result.attributions[0] - ref_t).abs().max()) <= 1e-12 * scale
    assert result.regions[0] == pieces


def _tiny_cnn(seed, channels, dead):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, channels, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(channels, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(4 * 2 * 2, 3)).double().eval()
    with torch.no_grad():
        net[0].bias[:dead] = -50.0     # dead units: off all along the path
    return net


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 1000), channels=st.integers(2, 4), dead=st.integers(0, 1),
       patch=st.integers(0, 2))
def test_black_baseline_cnn_with_planted_max_pool_ties_is_complete(seed, channels, dead, patch):
    net = _tiny_cnn(seed, channels, dead)
    x = torch.rand(1, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(seed))
    # planted ties: a constant patch gives equal conv outputs (so equal max-pool entries) in
    # its interior, and at t = 0 every window of the biased conv ties at the bias
    x[..., 2 * patch:2 * patch + 4, 2 * patch:2 * patch + 4] = 0.5
    # tied max-pool entries of different receptive fields: F has no partial derivatives
    # there, so proofs' rule (the default) refuses; the convention integrates torch's branch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = exact_integrated_gradients(net, x, target=1, on_tie="convention")
    with torch.no_grad():
        rise = float(net(x)[0, 1] - net(torch.zeros_like(x))[0, 1])
    assert abs(float(r.delta[0])) <= 1e-9 * max(abs(rise), 1e-3)
    fine = integrated_gradients(net, x, target=1, steps=2000, method="riemann_middle",
                                batch_size=4000)
    scale = float(r.attributions.abs().max())
    assert float((fine - r.attributions).abs().max()) <= 5e-3 * scale + 1e-12


@pytest.mark.slow
def test_black_baseline_small_cnn_completes_with_completeness_below_1e_9_relative():
    # the case of the issue: numeric.models.small_cnn() in float64, torch.rand(1, 3, 32, 32),
    # baseline zeros, target 0: biased convs, max-pools, dead units, and at t = 0 every
    # max-pool window tied (all entries equal the bias). About 11,000 regions.
    net = small_cnn().double()
    x = torch.rand(1, 3, 32, 32, dtype=F64, generator=torch.Generator().manual_seed(0))
    r = exact_integrated_gradients(net, x, target=0, batch_size=128)
    with torch.no_grad():
        rise = float(net(x)[0, 0] - net(torch.zeros_like(x))[0, 0])
    assert abs(float(r.delta[0])) <= 1e-9 * abs(rise)
    assert r.regions[0] > 1000
    # quadrature converges to it: GL with 400 steps is within 1 % (GL-50 is off by ~2 %)
    gl = integrated_gradients(net, x, target=0, steps=400)
    assert float((gl - r.attributions).abs().max()) < 1e-2 * float(r.attributions.abs().max())


def test_regions_and_breakpoints_do_not_depend_on_the_probes_per_pass():
    # each region end carries its rounding bound, so a boundary found from two sides is one
    # boundary: the walk finds the same regions whatever the batch of probes
    net = _tiny_cnn(5, 3, 0)
    gen = torch.Generator().manual_seed(4)
    x = torch.rand(2, 1, 8, 8, dtype=F64, generator=gen)
    base = torch.rand(2, 1, 8, 8, dtype=F64, generator=gen)
    runs = [exact_integrated_gradients(net, x, base, target=[0, 2], batch_size=b)
            for b in (5, 64)]
    for r in runs[1:]:
        assert r.regions == runs[0].regions
        for e in range(2):
            assert max(abs(a - b) for a, b in zip(r.breakpoints[e][0], runs[0].breakpoints[e][0],
                                                   strict=True)) < 1e-12
        assert float((r.attributions - runs[0].attributions).abs().max()) < 1e-13
    assert min(runs[0].regions) > 20
