"""Quadrature rules: float64 weights that sum to 1, exactness on linear models, and agreement
with Captum's rules once its documented weight defects are corrected."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from numeric import METHODS, integrated_gradients, quadrature_rule
from proofs.errors import IGVerifyError

RULES = [m for m in METHODS if m != "exact"]


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("n", [2, 3, 7, 50, 301])
def test_weights_sum_to_one_and_nodes_in_unit_interval(rule, n):
    nodes, weights = quadrature_rule(rule).nodes_weights(n)
    assert nodes.dtype == np.float64 and weights.dtype == np.float64
    assert abs(float(np.sum(weights)) - 1.0) < 1e-14
    assert np.all((nodes >= 0) & (nodes <= 1))


@pytest.mark.parametrize("n", [2, 3, 4, 50])
def test_trapezoid_weights_are_the_closed_form(n):
    # (1/(2(n-1)), 1/(n-1), ..., 1/(2(n-1))) over k/(n-1), derived by hand, in exact fractions
    nodes, weights = quadrature_rule("riemann_trapezoid").nodes_weights(n)
    h = Fraction(1, n - 1)
    expected = [h / 2] + [h] * (n - 2) + [h / 2]
    assert weights.tolist() == [float(e) for e in expected]  # correctly rounded
    assert nodes.tolist() == [k / (n - 1) for k in range(n)]


def test_gauss_legendre_integrates_degree_2n_minus_1_exactly():
    nodes, weights = quadrature_rule("gausslegendre").nodes_weights(3)
    for p in range(6):  # int_0^1 t^p dt = 1/(p+1)
        assert float(np.dot(weights, nodes ** p)) == pytest.approx(1 / (p + 1), abs=1e-15)


def _linear_model(seed=0, n_in=5, n_out=3):
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out).double()


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("steps", [1, 2, 3, 4, 5, 50])
def test_every_rule_is_exact_on_a_linear_model(rule, steps):
    if rule == "riemann_trapezoid" and steps == 1:
        with pytest.raises(IGVerifyError, match="needs steps >= 2"):
            integrated_gradients(_linear_model(), torch.ones(1, 5, dtype=torch.float64),
                                 steps=1, method=rule)
        return
    model = _linear_model()
    x = torch.randn(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    base = torch.randn(1, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    attr = integrated_gradients(model, x, base, target=2, steps=steps, method=rule)
    expected = model.weight[2].detach() * (x - base)  # IG of w.x + b is w * (x - x')
    assert torch.allclose(attr, expected, rtol=0, atol=1e-12)


def test_captum_trapezoid_is_low_by_n_minus_1_over_n():
    captum = pytest.importorskip("captum.attr")
    model = _linear_model()
    x = torch.ones(1, 5, dtype=torch.float64)
    exact = model.weight[0].detach() * x
    for n in (2, 50):
        theirs = captum.IntegratedGradients(model).attribute(
            x, target=0, n_steps=n, method="riemann_trapezoid")
        ours = integrated_gradients(model, x, target=0, steps=n, method="riemann_trapezoid")
        assert torch.allclose(theirs, exact * (n - 1) / n, rtol=1e-6)  # Captum's known defect
        assert torch.allclose(ours, exact, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rule", RULES)
def test_rules_match_captum_after_its_float32_rounding(rule):
    """Same nodes as Captum's rules; Captum rounds weights (and Riemann nodes) to float32, so
    the two agree to ~1e-7 relative on a float64 CNN, not to float64 rounding."""
    captum = pytest.importorskip("captum.attr")
    from numeric.models import small_cnn

    model = small_cnn(size=16).double()
    x = torch.randn(2, 3, 16, 16, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    n = 12
    theirs = captum.IntegratedGradients(model).attribute(x, target=[3, 4], n_steps=n,
                                                         method=rule)
    if rule == "riemann_trapezoid":
        theirs = theirs * n / (n - 1)
    ours = integrated_gradients(model, x, target=[3, 4], steps=n, method=rule)
    scale = float(theirs.abs().max())
    assert float((ours - theirs).abs().max()) < 2e-6 * scale


def test_unknown_rule_and_bad_steps_are_user_errors():
    with pytest.raises(IGVerifyError, match="unknown method 'simpson'"):
        quadrature_rule("simpson")
    for steps in (0, -3, 2.5, True):
        with pytest.raises(IGVerifyError):
            quadrature_rule("gausslegendre").nodes_weights(steps)


def test_tensors_are_cached_per_dtype_and_cast_from_float64():
    rule = quadrature_rule("riemann_middle")
    n64, w64 = rule.tensors(3, torch.float64)
    n32, w32 = rule.tensors(3, torch.float32)
    assert rule.tensors(3, torch.float64)[0] is n64
    assert w64.dtype == torch.float64 and w32.dtype == torch.float32
    assert n64.tolist() == [1 / 6, 0.5, 5 / 6]


@pytest.mark.parametrize("n", [101, 1000])
def test_gauss_legendre_above_100_points_is_exact_for_closed_forms(n):
    # Newton's method on the Legendre recurrence above 100 points (leggauss is O(n^2) memory)
    nodes, weights = quadrature_rule("gausslegendre").nodes_weights(n)
    assert np.all(np.diff(nodes) > 0)
    assert float(np.dot(weights, np.exp(nodes))) == pytest.approx(np.e - 1, abs=1e-14)
    assert float(np.dot(weights, np.cos(40 * nodes))) == pytest.approx(np.sin(40) / 40,
                                                                       abs=1e-14)


def test_gauss_legendre_refuses_more_than_its_maximum():
    with pytest.raises(IGVerifyError, match="at most 20000 steps"):
        quadrature_rule("gausslegendre").nodes_weights(20001)
