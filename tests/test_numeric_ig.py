"""integrated_gradients / path_attribution: Captum's known values, closed forms derived by
hand, targets, baselines (including distributions), chunking, NumPy models, user errors."""

import warnings

import numpy as np
import pytest
import torch

import numeric
from numeric import BaselineDistribution, NumpyModel, integrated_gradients, path_attribution
from proofs.errors import DimensionError, IGVerifyError, UnsupportedFunctionError

F64 = torch.float64


class BasicModel2(torch.nn.Module):
    """Captum's tests' BasicModel2: relu(relu(x1) - 1 - relu(x2))."""

    def forward(self, x1, x2=None):
        if x2 is None:
            x1, x2 = x1[:, 0], x1[:, 1]
        return torch.relu(torch.relu(x1) - 1 - torch.relu(x2))


def basic_model2_sequential():
    """The same function as an nn.Sequential, so method='exact' can walk it."""
    net = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1), torch.nn.ReLU()).double()
    with torch.no_grad():
        net[1].weight.copy_(torch.tensor([[1.0, -1.0]]))
        net[1].bias.fill_(-1.0)
    return net


X = torch.tensor([[3.0, 1.0]], dtype=F64)
PUBLISHED = torch.tensor([[1.5, -0.5]], dtype=F64)  # Captum's test_basic_model2 expectation


def test_captum_basic_model2_published_value():
    # Captum's own test asserts (1.5, -0.5) to delta 0.05 at its default 50 GL steps
    attr = integrated_gradients(BasicModel2(), X)
    assert torch.allclose(attr, PUBLISHED, atol=0.05)
    # the kink is at t = 1/2, so a midpoint rule with an even number of steps is exact
    attr = integrated_gradients(BasicModel2(), X, steps=2, method="riemann_middle")
    assert torch.allclose(attr, PUBLISHED, rtol=0, atol=1e-15)


def test_captum_basic_model2_exact_method():
    net = basic_model2_sequential()
    assert torch.allclose(net(X).squeeze(), BasicModel2()(X).squeeze())
    attr, delta = integrated_gradients(net, X, method="exact", return_delta=True)
    assert torch.allclose(attr, PUBLISHED, rtol=0, atol=1e-12)
    assert abs(float(delta[0])) < 1e-12


def test_captum_basic_model_1d():
    # Captum's BasicModel: 1 - relu(1 - x); IG at 3 from 0 is F(3) - F(0) = 1 (completeness)
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.ReLU(), torch.nn.Linear(1, 1))
    net = net.double()
    with torch.no_grad():
        net[0].weight.fill_(-1.0)
        net[0].bias.fill_(1.0)
        net[2].weight.fill_(-1.0)
        net[2].bias.fill_(1.0)
    x = torch.tensor([[3.0]], dtype=F64)
    assert float(integrated_gradients(net, x, method="exact")) == pytest.approx(1.0, abs=1e-12)


def test_captum_agrees_on_a_cnn_in_float64_to_its_float32_weights():
    captum = pytest.importorskip("captum.attr")
    from numeric.models import small_cnn

    model = small_cnn(size=16).double()
    x = torch.randn(3, 3, 16, 16, dtype=F64, generator=torch.Generator().manual_seed(4))
    theirs = captum.IntegratedGradients(model).attribute(x, target=1, n_steps=20)
    ours = integrated_gradients(model, x, target=1, steps=20)
    assert float((ours - theirs).abs().max()) < 1e-6 * float(theirs.abs().max())


def test_quadratic_closed_form_and_gauss_legendre_exactness():
    # F = x1^2 x2: IG at (a, b) from 0 is (2/3 a^2 b, 1/3 a^2 b), derived by hand
    def f(x):
        return x[:, 0] ** 2 * x[:, 1]

    x = torch.tensor([[1.5, -2.0], [0.5, 3.0]], dtype=F64)
    a, b = x[:, 0], x[:, 1]
    expected = torch.stack([2 / 3 * a ** 2 * b, a ** 2 * b / 3], 1)
    attr = integrated_gradients(f, x, steps=2)  # GL with 2 nodes is exact for degree 3
    assert torch.allclose(attr, expected, rtol=0, atol=1e-14)


def test_polyline_path_attribution_closed_form():
    # F = x1 x2 from (0, 0) to (1, 1): via (1, 0) all credit goes to x2, via (0, 1) to x1
    def f(x):
        return x[:, 0] * x[:, 1]

    end = torch.tensor([[1.0, 1.0]], dtype=F64)
    a1, d1 = path_attribution(f, [0.0, torch.tensor([1.0, 0.0]), end], steps=1,
                              return_delta=True)
    a2 = path_attribution(f, [None, torch.tensor([[0.0, 1.0]]), end], steps=3,
                          method="riemann_trapezoid")
    assert a1.tolist() == [[0.0, 1.0]] and a2.tolist() == [[1.0, 0.0]]
    assert abs(float(d1[0])) < 1e-15


def test_polyline_exact_on_a_relu_network_matches_fine_quadrature():
    net = basic_model2_sequential()
    pts = [torch.zeros(1, 2, dtype=F64), torch.tensor([[3.0, 0.0]], dtype=F64), X]
    # relu(x2) sits at its kink all along the first segment, which does not move in x2:
    # x2 gets 0 there whatever F does (proofs' rule), so no convention and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exact = path_attribution(net, pts, method="exact")
    # along (0,0)->(3,0): relu(x1 - 1) gives x1 credit 2; then x2 from 0 to 1 takes 1 away
    assert torch.allclose(exact, torch.tensor([[2.0, -1.0]], dtype=F64), atol=1e-12)


def test_target_forms_agree_with_per_example_loops():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    model = model.double()
    x = torch.randn(3, 4, dtype=F64)
    targets = [2, 0, 1]
    batched = integrated_gradients(model, x, target=targets, steps=9)
    for i, t in enumerate(targets):
        one = integrated_gradients(model, x[i:i + 1], target=t, steps=9)
        # reference: the same integral by hand, with torch.autograd on each node
        nodes, weights = np.polynomial.legendre.leggauss(9)
        g = torch.zeros(4, dtype=F64)
        for tt, w in zip(0.5 * (nodes + 1), 0.5 * weights, strict=True):
            p = (tt * x[i]).requires_grad_(True)
            (gp,) = torch.autograd.grad(model(p.unsqueeze(0))[0, t], p)
            g += w * gp
        assert torch.allclose(one[0], g * x[i], atol=1e-14)
        assert torch.allclose(batched[i], one[0], atol=1e-14)
    tensor_t = integrated_gradients(model, x, target=torch.tensor(targets), steps=9)
    assert torch.allclose(tensor_t, batched, atol=1e-15)


@pytest.mark.parametrize("batch_size", [1, 2, 5, 7, 1000])
def test_chunking_gives_the_unchunked_answer(batch_size):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Softplus(),
                                torch.nn.Linear(5, 2)).double()
    x = torch.randn(3, 4, dtype=F64)
    full = integrated_gradients(model, x, target=[0, 1, 1], steps=6)
    chunked = integrated_gradients(model, x, target=[0, 1, 1], steps=6, batch_size=batch_size)
    assert torch.allclose(full, chunked, rtol=0, atol=1e-14)


def test_split_first_layer_and_plain_callable_agree():
    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(3 * 4 * 4, 1)).double()
    x = torch.randn(2, 2, 6, 6, dtype=F64)
    via_split = integrated_gradients(model, x, steps=8)
    via_callable = integrated_gradients(lambda z: model(z), x, steps=8)
    assert torch.allclose(via_split, via_callable, rtol=0, atol=1e-13)


def test_distributional_baselines_linear_closed_form():
    torch.manual_seed(3)
    model = torch.nn.Linear(3, 1).double()
    x = torch.randn(2, 3, dtype=F64)
    samples = torch.randn(4, 3, dtype=F64)
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=F64)
    attr, delta = integrated_gradients(model, x, BaselineDistribution(samples, probs), steps=3,
                                       return_delta=True)
    mean = (probs[:, None] * samples).sum(0)
    assert torch.allclose(attr, model.weight.detach()[0] * (x - mean), atol=1e-14)
    assert float(delta.abs().max()) < 1e-14
    uniform = integrated_gradients(model, x, BaselineDistribution(samples), steps=3,
                                   method="exact")
    assert torch.allclose(uniform, model.weight.detach()[0] * (x - samples.mean(0)), atol=1e-14)


def test_numpy_model_closed_form():
    model = NumpyModel(lambda X: np.sin(X[:, 0]) * X[:, 1],
                       lambda X: np.stack([np.cos(X[:, 0]) * X[:, 1], np.sin(X[:, 0])], 1))
    x = np.array([[1.0, 2.0]])
    attr, delta = integrated_gradients(model, x, steps=20, return_delta=True)
    # by hand: int_0^1 2t cos t dt = 2(cos 1 + sin 1 - 1) and 2 int_0^1 sin t dt = 2(1 - cos 1)
    assert attr[0, 0] == pytest.approx(2 * (np.cos(1) + np.sin(1) - 1), abs=1e-14)
    assert attr[0, 1] == pytest.approx(2 * (1 - np.cos(1)), abs=1e-14)
    assert abs(delta[0]) < 1e-14


def test_float32_inputs_keep_float32_and_delta_is_float64():
    model = torch.nn.Linear(3, 1)
    x = torch.ones(2, 3)
    attr, delta = integrated_gradients(model, x, steps=4, return_delta=True)
    assert attr.dtype == torch.float32 and delta.dtype == F64
    assert float(delta.abs().max()) < 1e-5


@pytest.mark.parametrize("call, error, message", [
    (lambda m, x: integrated_gradients(m, x, torch.zeros(2, 5)), DimensionError, "baselines"),
    (lambda m, x: integrated_gradients(m, x, method="simpson"), IGVerifyError, "unknown method"),
    (lambda m, x: integrated_gradients(m, x, steps=0), IGVerifyError, "steps >= 1"),
    (lambda m, x: integrated_gradients(m, x), IGVerifyError, "pass target"),
    (lambda m, x: integrated_gradients(m, x, target=7), IGVerifyError, "out of range"),
    (lambda m, x: integrated_gradients(m, x, target=[0, 1, 2]), DimensionError, "3 entries"),
    (lambda m, x: integrated_gradients(m, x.numpy(), target=0), IGVerifyError, "torch tensor"),
    (lambda m, x: integrated_gradients(m, x[0, 0], target=0), DimensionError, "batch"),
    (lambda m, x: integrated_gradients(m, x, target=0, batch_size=0), IGVerifyError,
     "batch_size"),
    (lambda m, x: integrated_gradients(m, x.long(), target=0), IGVerifyError, "floating"),
    (lambda m, x: path_attribution(m, [x], target=0), IGVerifyError, "two waypoints"),
])
def test_user_errors_are_one_line(call, error, message):
    model = torch.nn.Sequential(torch.nn.Linear(4, 2))
    x = torch.ones(2, 4)
    with pytest.raises(error, match=message) as info:
        call(model, x)
    assert "\n" not in str(info.value)


def test_exact_on_a_smooth_layer_names_the_layer():
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                                torch.nn.Tanh(), torch.nn.Linear(3, 1))
    with pytest.raises(UnsupportedFunctionError,
                       match=r"^layer 3 \(Tanh\) is not piecewise linear; use "
                             r"method='gausslegendre'$"):
        integrated_gradients(model, torch.ones(1, 4), method="exact")


def test_public_face():
    for name in ("integrated_gradients", "path_attribution", "quadrature_rule", "to_function",
                 "exact_integrated_gradients", "Residual", "BaselineDistribution"):
        assert hasattr(numeric, name)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu_and_bf16_autocast_runs():
    from numeric.models import small_cnn

    model = small_cnn(size=16).double()
    x = torch.randn(2, 3, 16, 16, dtype=F64)
    cpu = integrated_gradients(model, x, target=[0, 1], steps=16)
    gpu = integrated_gradients(model.cuda(), x.cuda(), target=[0, 1], steps=16)
    assert torch.allclose(gpu.cpu(), cpu, atol=1e-12)
    model32, x32 = model.float(), x.float().cuda()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        attr = integrated_gradients(model32, x32, target=[0, 1], steps=16)
    scale = float(cpu.abs().max())
    assert float((attr.double().cpu() - cpu).abs().max()) < 0.05 * scale  # bf16: ~3 digits
