"""numeric.adaptive and tolerance=: the error estimate against closed forms (hand-integrated),
mpmath quadrature with hand-placed breakpoints, the exact walk and a very fine kink-split rule."""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from numeric import (  # noqa: E402
    IntegratedGradients,
    NoiseTunnel,
    exact_integrated_gradients,
    integrated_gradients,
    path_attribution,
)
from numeric.adaptive import kronrod_rule  # noqa: E402
from numeric.conductance import conductance, neuron_flow  # noqa: E402
from numeric.errors import ArgumentError, ToleranceNotReached  # noqa: E402
from numeric.path_integral import kink_grid, path_integral  # noqa: E402

nn = torch.nn
F64 = torch.float64

pytestmark = pytest.mark.usefixtures("one_thread")


def _rel(true: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return true / scale.clamp_min(1e-300)


def test_kronrod_pair_degrees():
    """The 7-point Gauss rule integrates t^k exactly for k <= 13, the 15-point Kronrod rule
    for k <= 22: the integral of t^k over [0, 1] is 1 / (k + 1)."""
    x, wk, wg = kronrod_rule()
    for k in range(23):
        assert abs(float(wk @ x ** k) - 1 / (k + 1)) < 1e-15
        if k <= 13:
            assert abs(float(wg @ x ** k) - 1 / (k + 1)) < 1e-15
    assert abs(float(wg @ x ** 14) - 1 / 15) > 1e-9


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-6, 1e-9])
def test_smooth_closed_form(tol):
    """F(x) = sum_i tanh(c_i x_i) from 0: IG_i = tanh(c_i x_i) (one variable per term)."""
    c = torch.tensor([0.5, 3.0, -7.0], dtype=F64)
    model = lambda x: torch.tanh(c * x).sum(1)  # noqa: E731
    x = torch.tensor([[1.0, 2.0, 0.3], [-0.4, 1.5, 1.0]], dtype=F64)
    attr, err = integrated_gradients(model, x, tolerance=tol, return_error=True)
    true = (attr - torch.tanh(c * x)).abs().amax(1)
    scale = attr.abs().amax(1)
    assert (true <= err).all()
    assert (err <= tol * scale).all()
    assert (true >= err / 100).all() or (err < 1e-13 * scale).all()


def test_kinked_against_mpmath_with_hand_breakpoints():
    """F(x1, x2) = relu(sin(5 x1)) + tanh(x2) relu(x1 - 1/2) on the path t (2, 1): the
    kinks sit where 10 t = pi, 2 pi, 3 pi (sin) and at t = 1/4 (x1 = 1/2)."""
    model = lambda x: torch.relu(torch.sin(5 * x[:, 0])) + torch.tanh(x[:, 1]) * torch.relu(  # noqa: E731
        x[:, 0] - 0.5)
    x = torch.tensor([[2.0, 1.0]], dtype=F64)
    mp.mp.dps = 30

    def g0(t):
        return 2 * ((5 * mp.cos(10 * t) if mp.sin(10 * t) > 0 else 0)
                    + (mp.tanh(t) if 2 * t > 0.5 else 0))

    def g1(t):
        return (1 - mp.tanh(t) ** 2) * max(2 * t - 0.5, 0)

    cuts = [0, mp.mpf(1) / 4, mp.pi / 10, mp.pi / 5, 3 * mp.pi / 10, 1]
    ref = torch.tensor([[float(mp.quad(g0, cuts)), float(mp.quad(g1, cuts))]], dtype=F64)
    for tol in (1e-3, 1e-8):
        attr, err = integrated_gradients(model, x, tolerance=tol, return_error=True)
        true = float((attr - ref).abs().max())
        assert true <= float(err[0]) <= tol * float(attr.abs().max())


def _mixed_net(seed: int, widths: list[int], acts: list[str]) -> nn.Sequential:
    torch.manual_seed(seed)
    kinds = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
             "leaky": lambda: nn.LeakyReLU(0.1), "softplus": nn.Softplus}
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-2], widths[1:-1], strict=True)):
        layers += [nn.Linear(a, b), kinds[acts[i % len(acts)]]()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    return nn.Sequential(*layers).double().eval()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000),
       widths=st.lists(st.integers(2, 6), min_size=2, max_size=3),
       acts=st.lists(st.sampled_from(["relu", "tanh", "sigmoid", "gelu", "leaky", "softplus"]),
                     min_size=2, max_size=2),
       tol=st.sampled_from([1e-3, 1e-6]))
def test_estimate_bounds_error_on_random_mixed_networks(seed, widths, acts, tol):
    """Random small networks mixing smooth and piecewise-linear activations: the estimate
    bounds the true error against a very fine kink-split rule (Gauss-Legendre 40 on every
    piece between the ReLU switches, located by bisection to 1e-13)."""
    net = _mixed_net(seed, [3, *widths, 1], acts)
    x = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(seed)) * 2
    base = torch.zeros_like(x)
    attr, err = integrated_gradients(net, x, tolerance=tol, return_error=True)
    grid = kink_grid(net, base, x, "gausslegendre", 40, scan=1024)
    (g,) = path_integral(net, grid, base, x, None)
    ref = g * x
    true = (attr - ref).abs().amax(1)
    # the reference's own error: its switches are placed to 1e-13 in t
    slack = 1e-10 * (ref.abs().sum(1) + x.abs().sum(1))
    assert (true <= err + slack).all()
    assert (err <= tol * attr.abs().amax(1) + 1e-300).all()


def test_piecewise_linear_goes_to_the_exact_walk():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(12, 2)).double().eval()
    x = torch.rand(2, 1, 4, 4, dtype=F64)
    attr, err = integrated_gradients(net, x, target=1, tolerance=1e-6, return_error=True)
    walk = exact_integrated_gradients(net, x, target=1)
    assert torch.equal(attr, walk.attributions)
    assert (err < 1e-12 * attr.reshape(2, -1).abs().amax(1)).all()


def test_tolerance_not_reached_warns_with_the_estimate():
    model = lambda x: torch.tanh(8 * (x - 0.5)).sum(1)  # noqa: E731
    x = torch.ones(1, 1, dtype=F64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        attr, err = integrated_gradients(model, x, tolerance=1e-12, max_evaluations=30,
                                         return_error=True)
    msgs = [w for w in caught if issubclass(w.category, ToleranceNotReached)]
    assert len(msgs) == 1
    assert f"{float(err[0]):.3e}" in str(msgs[0].message)
    true = abs(float(attr[0, 0]) - 2 * float(np.tanh(4.0)))    # F(1) - F(0)
    assert true <= float(err[0])
    assert float(err[0]) > 1e-12 * float(attr.abs().max())


@pytest.mark.parametrize("budget", [17, 40, 120, 400, 900])
def test_max_evaluations_never_overshot_on_a_kinked_network(budget):
    """The tanh + max-pool App. M network (about 35 max-pool switches per path): whatever the
    budget, the switch-locating round included, no example spends more than max_evaluations;
    below what it needs the result comes back with ToleranceNotReached and an estimate that
    still bounds the error against Gauss-Legendre 64 on every piece between the switches."""
    from numeric.adaptive import adaptive_path_integral
    from numeric.experiments.digits import appm_net
    from numeric.models import seeded

    net = seeded(appm_net("tanh"), 0).double().eval()
    x = torch.rand(2, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(2))
    base = torch.zeros_like(x)
    target = torch.tensor([1, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = adaptive_path_integral(net, (base,), (x,), target, tolerance=1e-8,
                                   max_evaluations=budget, factors=(x,))
    assert (r.evaluations <= budget).all()
    warned = [w for w in caught if issubclass(w.category, ToleranceNotReached)]
    assert bool(r.converged.all()) == (not warned)
    if warned:
        worst = int(torch.argmax(r.error / r.values[0].reshape(2, -1).abs().amax(1)))
        assert f"{float(r.error[worst]):.3e}" in str(warned[0].message)
    grid = kink_grid(net, base, x, "gausslegendre", 64, scan=2048)
    (g,) = path_integral(net, grid, base, x, target)
    true = (r.values[0] - g * x).reshape(2, -1).abs().amax(1)
    assert (true <= r.error + 1e-10 * (g * x).reshape(2, -1).abs().sum(1)).all()


def test_kink_arguments_by_hand():
    """The recorded kink argument whose sign tells the branches of a switch apart: a ReLU's
    input, and for a max-pool window the new winner's entry minus the old winner's."""
    from numeric.branches import BranchFingerprint, first_difference

    fp = BranchFingerprint(record=True)
    with fp.watch(slice(0, 2)):
        torch.relu(torch.tensor([[-1.0, 2.0], [3.0, 2.0]], dtype=F64))
        torch.nn.functional.max_pool2d(torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]],
                                                     [[[0.0, 2.0], [0.5, 0.0]]]], dtype=F64), 2)
    fp.take()
    rec = fp.take_record()
    relu_el, pool_el = first_difference(rec, 0, rec, 1, limit=8)
    assert relu_el == (0, 0, 0, 1)
    assert (rec.argument(0, relu_el), rec.argument(1, relu_el)) == (-1.0, 3.0)
    assert pool_el == (1, 0, 0, 1)                      # winner: flat index 0, then 1
    assert (rec.argument(0, pool_el), rec.argument(1, pool_el)) == (-1.0, 2.0)


def test_bad_arguments_are_one_line_errors():
    x = torch.ones(1, 2, dtype=F64)
    f = lambda x: x.sum(1)  # noqa: E731
    with pytest.raises(ArgumentError, match="tolerance"):
        integrated_gradients(f, x, tolerance=2.0)
    with pytest.raises(ArgumentError, match="max_evaluations"):
        integrated_gradients(f, x, tolerance=1e-6, max_evaluations=3)
    with pytest.raises(ArgumentError, match="return_error"):
        integrated_gradients(f, x, return_error=True)


def test_polyline_tuple_inputs_and_extra_args():
    """A two-segment path of a two-input model with an extra argument: the path attribution of
    F(a, b; c) = sum tanh(a b) + c sum b^3 along 0 -> (a, 0) -> (a, b) is, for the a part,
    zero on the first leg (b = 0 there: tanh(0) = 0) ... checked against Gauss-Legendre 200
    per segment (exact to rounding on these analytic pieces)."""
    model = lambda a, b, c: torch.tanh(a * b).sum(1) + c * (b ** 3).sum(1)  # noqa: E731
    a = torch.tensor([[1.0, -2.0]], dtype=F64)
    b = torch.tensor([[0.5, 1.5]], dtype=F64)
    c = torch.tensor([2.0], dtype=F64)
    path = [(0.0, 0.0), (a, torch.zeros_like(b)), (a, b)]
    attr, err = path_attribution(model, path, additional_forward_args=(c,), tolerance=1e-9,
                                 return_error=True)
    ref = path_attribution(model, path, additional_forward_args=(c,), steps=200)
    true = max(float((x - y).abs().max()) for x, y in zip(attr, ref, strict=True))
    assert true <= float(err[0]) <= 1e-9 * max(float(x.abs().max()) for x in attr)


def test_captum_classes_take_tolerance():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    x = torch.randn(3, 3, dtype=F64)
    attr, delta, err = IntegratedGradients(net).attribute(
        x, target=1, return_convergence_delta=True, tolerance=1e-8, return_error=True)
    ref = integrated_gradients(net, x, target=1, steps=100)   # analytic: GL-100 is converged
    assert ((attr - ref).abs().amax(1) <= err).all()
    assert (delta.abs() <= 3 * err.sum() + 1e-12).all()
    smooth, err_nt = NoiseTunnel(IntegratedGradients(net)).attribute(
        x, nt_type="smoothgrad", nt_samples=3, target=1, tolerance=1e-8, return_error=True)
    assert smooth.shape == x.shape and err_nt.shape == (3,)
    assert (err_nt <= 1e-8 * 10).all()


def test_conductance_and_neuron_flow_with_tolerance():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.ReLU(),
                        nn.Linear(4, 1)).double()
    x = torch.randn(2, 3, dtype=F64)
    cond, err = conductance(net, "1", x, tolerance=1e-8, return_error=True)
    ref = conductance(net, "1", x, steps=60, split_kinks=True)
    assert ((cond - ref).abs().amax(1) <= err + 1e-13).all()
    flow, err = neuron_flow(net, "1", 2, x, tolerance=1e-8, return_error=True)
    ref = neuron_flow(net, "1", 2, x, steps=60, split_kinks=True)
    assert ((flow - ref).abs().amax(1) <= err + 1e-13).all()


def test_adaptive_on_a_relu_network_matches_the_walk():
    """Forced through the adaptive integrator (not the walk), a trained ReLU MLP whose first
    switch sits closer to the baseline than the first Gauss node: the ends of every piece are
    fingerprinted too, so the switch is found and the estimate bounds the error."""
    from numeric.adaptive import adaptive_path_integral
    from numeric.models import digits_data, digits_mlp
    from numeric.targets import normalize_target

    net = digits_mlp()
    x = digits_data()[0][1500:1503]
    target = net(x).argmax(1)
    walk = exact_integrated_gradients(net, x, target=target)
    r = adaptive_path_integral(net, (torch.zeros_like(x),), (x,),
                               normalize_target(target, 3, x.device), tolerance=1e-6,
                               factors=(x,))
    true = (r.values[0] - walk.attributions).abs().amax(1)
    assert (true <= r.error).all()
    assert (r.error <= 1e-6 * r.values[0].abs().amax(1)).all()


def test_done_when_models():
    """tolerance=1e-6 on small_cnn from a black baseline (the exact walk), a transformer encoder
    (against Gauss-Legendre 1024, converged on this analytic integrand) and the tanh + max-pool
    App. M digits network (against Gauss-Legendre 64 on every piece between max-pool
    switches): within 1e-6 relative, and the estimate bounds the true error."""
    from numeric.experiments.digits import appm_net
    from numeric.models import seeded, small_cnn, tiny_encoder

    cnn = small_cnn(size=16).double()
    x = torch.rand(1, 3, 16, 16, dtype=F64, generator=torch.Generator().manual_seed(0))
    attr, err = integrated_gradients(cnn, x, target=3, tolerance=1e-6, return_error=True)
    walk = exact_integrated_gradients(cnn, x, target=3).attributions
    assert float((attr - walk).abs().max()) <= float(err[0]) + 1e-15
    enc = tiny_encoder()
    xe = torch.randn(2, 8, 16, dtype=F64, generator=torch.Generator().manual_seed(1))
    attr, err = integrated_gradients(enc, xe, target=0, tolerance=1e-6, return_error=True)
    ref = integrated_gradients(enc, xe, target=0, steps=1024)
    true = (attr - ref).reshape(2, -1).abs().amax(1)
    assert (true <= err).all() and (err <= 1e-6 * ref.reshape(2, -1).abs().amax(1) * 1.01).all()
    net = seeded(appm_net("tanh"), 0).double().eval()
    xd = torch.rand(2, 1, 8, 8, dtype=F64, generator=torch.Generator().manual_seed(2))
    attr, err = integrated_gradients(net, xd, target=1, tolerance=1e-6, return_error=True)
    base = torch.zeros_like(xd)
    grid = kink_grid(net, base, xd, "gausslegendre", 64, scan=2048)
    (g,) = path_integral(net, grid, base, xd, (1,))
    ref = g * xd
    true = (attr - ref).reshape(2, -1).abs().amax(1)
    assert (true <= err + 1e-10 * ref.reshape(2, -1).abs().sum(1)).all()
    assert (err <= 1e-6 * ref.reshape(2, -1).abs().amax(1) * 1.01).all()
