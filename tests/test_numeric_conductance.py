"""numeric.conductance: internal-neuron attributions (Lundstrom, Huang & Razaviyayn (2022),
eq. 4, 6, 7) against hand derivations, the exact engines (proofs.conductance on bridged ReLU
networks) and Captum's LayerConductance / NeuronConductance."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

import sympy as sp  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import proofs  # noqa: E402
from numeric import integrated_gradients, to_function  # noqa: E402
from numeric.conductance import check_identities, conductance, neuron_flow  # noqa: E402
from numeric.errors import (  # noqa: E402
    ArgumentError,
    DimensionError,
    IGVerifyError,
    UnsupportedFunctionError,
)
from numeric.models import random_mlp  # noqa: E402

nn = torch.nn
F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")


class _Square(nn.Module):  # H(x) = (x1^2, x1 x2)
    def forward(self, x):
        return torch.stack([x[:, 0] ** 2, x[:, 0] * x[:, 1]], dim=1)


class _Product(nn.Module):  # G(h) = h1 h2
    def forward(self, h):
        return (h[:, 0] * h[:, 1]).unsqueeze(1)


def _poly_net() -> nn.Module:
    return nn.Sequential(_Square(), _Product())


def _relu_cnn(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
        nn.Linear(4 * 3 * 3, 5), nn.ReLU(), nn.Linear(5, 3)).double().eval()


def _tanh_cnn(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Flatten(),
        nn.Linear(4 * 3 * 3, 5), nn.Tanh(), nn.Linear(5, 3)).double().eval()


# ------------------------------------------------------------------------- hand derivations


def test_hand_derivation_polynomial_layer():
    # F = G(H(x)), H = (x1^2, x1 x2), G = h1 h2, straight path from 0 to x (hand derivation):
    # IG_*,1 = int h2 d/dt h1 = int t^2 x1 x2 * 2 t x1^2 dt = x1^3 x2 / 2, IG_*,2 = x1^3 x2 / 2;
    # patch S = {x1}: IG_S,1 = x1^3 x2 / 2, IG_S,2 = int h1 * t x1 x2 dt = x1^3 x2 / 4;
    # neuron flow of unit 2: IG_1,2 = int h1 * x2 t * x1 dt = x1^3 x2 / 4 = IG_2,2.
    x = torch.tensor([[2.0, 3.0]], dtype=F64)
    v = 2.0 ** 3 * 3.0
    net = _poly_net()
    for method in ("gausslegendre", "riemann_trapezoid"):
        steps = 10 if method == "gausslegendre" else 4000
        tol = 1e-12 if method == "gausslegendre" else 1e-4 * v
        c = conductance(net, "0", x, steps=steps, method=method)
        assert torch.allclose(c, torch.tensor([[v / 2, v / 2]], dtype=F64), atol=tol, rtol=0)
    s = conductance(net, net[0], x, steps=10, patch=torch.tensor([True, False]))
    assert torch.allclose(s, torch.tensor([[v / 2, v / 4]], dtype=F64), atol=1e-12, rtol=0)
    flow = neuron_flow(net, "0", 1, x, steps=10)
    assert torch.allclose(flow, torch.tensor([[v / 4, v / 4]], dtype=F64), atol=1e-12, rtol=0)
    # with the layer at the input, conductance is integrated gradients: 3/4 v and 1/4 v
    ig = conductance(net, None, x, steps=10)
    assert torch.allclose(ig, torch.tensor([[0.75 * v, 0.25 * v]], dtype=F64), atol=1e-12)


def test_layer_none_is_integrated_gradients():
    net = random_mlp(4, 6, 3, activation="tanh", seed=3)
    x = torch.randn(5, 4, dtype=F64, generator=torch.Generator().manual_seed(1))
    ours = conductance(net, None, x, target=[0, 1, 2, 0, 1], steps=20)
    ref = integrated_gradients(net, x, target=[0, 1, 2, 0, 1], steps=20)
    assert torch.allclose(ours, ref, atol=1e-13, rtol=0)


@pytest.mark.parametrize("dtype,batch_size", [(torch.float64, None), (torch.float32, 7)])
def test_layer_none_on_a_grid_per_example_is_the_exact_walk(dtype, batch_size):
    # regions of their own per example (split at kinks), whole or in chunks of 7 points:
    # integrated gradients' quadrature core on a grid, against the exact region walk
    net64 = random_mlp(3, 12, 2, activation="relu", seed=5, layers=2)
    net = copy.deepcopy(net64).to(dtype)
    x = torch.randn(4, 3, dtype=dtype, generator=torch.Generator().manual_seed(2))
    ours = conductance(net, None, x, target=1, steps=8, split_kinks=True,
                       batch_size=batch_size)
    walk = integrated_gradients(net64, x.double(), target=1, method="exact")
    tol = 1e-10 if dtype == torch.float64 else 1e-5
    assert torch.allclose(ours.double(), walk, atol=tol, rtol=0)
    with torch.no_grad():
        diff = (net(x) - net(torch.zeros_like(x)))[:, 1].double()
    assert torch.allclose(ours.double().sum(1), diff, atol=tol, rtol=0)


def test_finite_difference_form_has_an_error_that_shrinks():
    # the paper's difference quotient (sec. 6.2) against the exact JVP, on a smooth network
    net = random_mlp(5, 8, 1, activation="tanh", seed=0, layers=2)
    x = torch.randn(3, 5, dtype=F64, generator=torch.Generator().manual_seed(0))
    exact = conductance(net, "1", x, steps=60)
    errs = []
    for n in (10, 40, 160):
        fd = conductance(net, "1", x, steps=n, method="riemann_right",
                         derivative="finite_difference")
        errs.append(float((fd - exact).abs().max()))
    assert errs[0] > 1e-4 and errs[2] < errs[1] < errs[0]
    jvp = conductance(net, "1", x, steps=160, method="riemann_right")
    assert float((jvp - exact).abs().max()) < errs[2]


def test_split_at_kinks_restores_fast_convergence():
    # F = tanh(max(x1, x2)) from x' = (0, 1) to x = (2, 0): the max switches at t = 1/3
    # (2t = 1 - t); by hand IG_1 = tanh(2) - tanh(2/3), IG_2 = tanh(2/3) - tanh(1)
    import math

    net = nn.Sequential(nn.MaxPool1d(2), nn.Flatten(), nn.Tanh())
    x = torch.tensor([[[2.0, 0.0]]], dtype=F64)
    base = torch.tensor([[[0.0, 1.0]]], dtype=F64)
    want = torch.tensor([[[math.tanh(2) - math.tanh(2 / 3), math.tanh(2 / 3) - math.tanh(1)]]],
                        dtype=F64)
    split = conductance(net, None, x, baselines=base, steps=20, split_kinks=True)
    whole = conductance(net, None, x, baselines=base, steps=20)
    assert float((split - want).abs().max()) < 1e-12  # the switch is located to 1e-13 in t
    assert float((whole - want).abs().max()) > 1e-4  # one Gauss-Legendre rule across the kink
    report = check_identities(net, "1", x, baselines=base, steps=20, split_kinks=True)
    assert report.max_rel_gap() < 1e-12, str(report)


# ------------------------------------------------------------------------------ identities


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), width=st.integers(2, 7), n_in=st.integers(1, 5),
       layers=st.integers(1, 2))
def test_identities_random_tanh_nets(seed, width, n_in, layers):
    net = random_mlp(n_in, width, 2, activation="tanh", seed=seed, layers=layers)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(3, n_in, dtype=F64, generator=gen)
    base = torch.randn(1, n_in, dtype=F64, generator=gen) * 0.1
    patch = torch.arange(n_in) % 2 == 0
    report = check_identities(net, str(2 * layers - 1), x, baselines=base, target=1, steps=60,
                              patch=patch)
    assert report.max_rel_gap() < 1e-9, str(report)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), width=st.integers(2, 6), n_in=st.integers(1, 4))
def test_identities_random_relu_nets_exact(seed, width, n_in):
    net = random_mlp(n_in, width, 2, activation="relu", seed=seed, layers=2)
    x = torch.randn(2, n_in, dtype=F64, generator=torch.Generator().manual_seed(seed))
    report = check_identities(net, "1", x, target=[0, 1], method="exact",
                              patch=torch.arange(n_in) < 1)
    assert report.max_rel_gap() < 1e-12, str(report)
    assert all(r["holds_to_rounding"] for r in report.rows)


def test_conv_layer_units_and_channels():
    net, tnet = _relu_cnn(), _tanh_cnn()
    x = torch.rand(2, 1, 6, 6, dtype=F64, generator=torch.Generator().manual_seed(0))
    patch = torch.zeros(1, 6, 6, dtype=torch.bool)
    patch[:, :3, 2:] = True
    report = check_identities(net, "4", x, target=[0, 2], method="exact", patch=patch,
                              unit=(1, 2, 0))
    assert report.max_rel_gap() < 1e-12, str(report)
    report = check_identities(tnet, "4", x, target=[0, 2], steps=40, patch=patch)
    assert report.max_rel_gap() < 1e-9, str(report)
    per_unit = conductance(net, "4", x, target=[0, 2], method="exact")
    per_channel = conductance(net, "4", x, target=[0, 2], method="exact", per_channel=True)
    assert per_unit.shape == (2, 4, 3, 3) and per_channel.shape == (2, 4)
    assert torch.allclose(per_channel, per_unit.sum((2, 3)), atol=1e-14)
    flow = neuron_flow(net, "4", 3, x, target=[0, 2], method="exact", per_channel=True)
    assert flow.shape == x.shape
    assert torch.allclose(flow.sum((1, 2, 3)), per_channel[:, 3], atol=1e-13)


def test_float32_model_accumulates_in_float64():
    net = random_mlp(6, 10, 1, activation="tanh", seed=1, dtype=torch.float32)
    x = torch.rand(4, 6, generator=torch.Generator().manual_seed(0))
    c32 = conductance(net, "1", x, steps=2000, method="riemann_middle")
    c64 = conductance(net.double(), "1", x.double(), steps=2000, method="riemann_middle")
    assert c32.dtype == torch.float32
    assert float((c32.double() - c64).abs().max()) < 1e-5


# ------------------------------------------------------------------ exact engines (proofs)


def test_exact_method_matches_symbolic_conductance_on_a_bridged_relu_net():
    torch.manual_seed(7)
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2), nn.ReLU(),
                        nn.Linear(2, 1)).double().eval()
    with torch.no_grad():  # weights on a coarse dyadic grid keep the exact numbers small
        for p in net.parameters():
            p.copy_(torch.round(p * 8) / 8)
    x = torch.tensor([[1.5, -2.0]], dtype=F64)
    base = torch.tensor([[-0.5, 0.75]], dtype=F64)
    ours = conductance(net, "3", x, baselines=base, method="exact")
    H = [to_function(net[:4], target=j) for j in range(2)]
    G = to_function(net[4:], variables=["h1", "h2"])
    A = proofs.conductance(H, G, [sp.Rational(3, 2), -2], baseline=[sp.Rational(-1, 2),
                                                                     sp.Rational(3, 4)])
    assert A.completeness_gap == 0
    assert [float(v) for v in A.values] == pytest.approx(ours[0].tolist(), abs=1e-13)
    flow = neuron_flow(net, "3", 0, x, baselines=base, method="exact")
    assert float(flow.sum()) == pytest.approx(float(A.values[0]), abs=1e-13)


# ----------------------------------------------------------------------------------- Captum


def test_captum_layer_conductance_converges_to_ours():
    captum = pytest.importorskip("captum.attr")
    net = _tanh_cnn(1)
    x = torch.rand(2, 1, 6, 6, dtype=F64, generator=torch.Generator().manual_seed(2))
    ref = conductance(net, net[4], x, target=1, steps=64)
    assert float((conductance(net, net[4], x, target=1, steps=32) - ref).abs().max()) < 1e-12
    errs = []
    for n in (25, 100, 400):
        theirs = captum.LayerConductance(net, net[4]).attribute(x, target=1, n_steps=n)
        errs.append(float((theirs.detach() - ref).abs().max()))
    scale = float(ref.abs().max())
    assert errs[0] < 0.05 * scale  # agrees within its rule error ...
    assert errs[2] < errs[1] < errs[0] and errs[2] < errs[0] / 8  # ... which shrinks like 1/n


def test_captum_neuron_conductance_matches_neuron_flow():
    captum = pytest.importorskip("captum.attr")
    net = random_mlp(5, 6, 3, activation="tanh", seed=4, layers=2)
    x = torch.randn(3, 5, dtype=F64, generator=torch.Generator().manual_seed(5))
    ours = neuron_flow(net, net[3], 2, x, target=0, steps=40)
    theirs = captum.NeuronConductance(net, net[3]).attribute(
        x, 2, target=0, n_steps=40, method="gausslegendre")
    # the same rule; Captum rounds its weights to float32 (relative 6e-8)
    assert float((theirs.detach() - ours).abs().max()) < 1e-7 * float(ours.abs().max())
    errs = []
    for n in (20, 80):  # Captum's default trapezoid weights sum to (n-1)/n: an O(1/n) error
        t = captum.NeuronConductance(net, net[3]).attribute(x, 2, target=0, n_steps=n)
        errs.append(float((t.detach() - ours).abs().max()))
    assert errs[1] < errs[0] / 3


# ---------------------------------------------------------------------------------- errors


def test_errors_are_one_line():
    net = _relu_cnn()
    x = torch.rand(1, 1, 6, 6, dtype=F64)
    cases = [
        (lambda: conductance(net, "9", x, target=0), ArgumentError, "no layer named '9'"),
        (lambda: conductance(net, nn.ReLU(), x, target=0), ArgumentError, "not a submodule"),
        (lambda: conductance(net, "4", x, target=0, patch=torch.ones(5, 5, dtype=torch.bool)),
         DimensionError, "one input has shape (1, 6, 6)"),
        (lambda: conductance(net, "4", x, target=0, patch=torch.ones(1, 6, 6)), ArgumentError,
         "boolean"),
        (lambda: conductance(net, "7", x, target=0, per_channel=True), ArgumentError,
         "per_channel"),
        (lambda: neuron_flow(net, "7", 5, x, target=0), ArgumentError, "unit 5 is out of range"),
        (lambda: neuron_flow(net, "4", (0, 3, 3), x, target=0), ArgumentError, "out of range"),
        (lambda: neuron_flow(net, "4", 4, x, target=0, per_channel=True), ArgumentError,
         "channel 4"),
        (lambda: conductance(_tanh_cnn(), "4", x, target=0, method="exact"),
         UnsupportedFunctionError, "not piecewise linear"),
        (lambda: conductance(net, "4", x, target=0, derivative="secant"), ArgumentError,
         "derivative"),
        (lambda: conductance(net, "4", x, target=0, method="simpson"), ArgumentError,
         "unknown method"),
        (lambda: conductance(net, "4", (x,), target=0), ArgumentError, "one input tensor"),
    ]
    for call, kind, text in cases:
        with pytest.raises(kind) as info:
            call()
        assert isinstance(info.value, IGVerifyError)
        assert text in str(info.value) and "\n" not in str(info.value)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    net = _tanh_cnn(2)
    x = torch.rand(3, 1, 6, 6, dtype=F64, generator=torch.Generator().manual_seed(3))
    patch = torch.zeros(1, 6, 6, dtype=torch.bool)
    patch[:, 2:4, :] = True
    cpu = conductance(net, "4", x, target=[0, 1, 2], steps=16, patch=patch)
    gpu = conductance(net.cuda(), "4", x.cuda(), target=[0, 1, 2], steps=16, patch=patch,
                      batch_size=20)
    assert gpu.device.type == "cuda"
    assert torch.allclose(gpu.cpu(), cpu, atol=1e-12)
    flow = neuron_flow(net, "4", (1, 0, 2), x.cuda(), target=1, steps=16)
    assert flow.shape == x.shape and flow.device.type == "cuda"
