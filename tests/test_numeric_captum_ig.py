"""numeric.IntegratedGradients as a drop-in for Captum's: the same calls give Captum's numbers
(Captum run on the same model and inputs is the reference), plus the float32 accuracy and the
deliberate differences (trapezoid weights, float64 delta, method="exact")."""

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import numeric
from numeric import IntegratedGradients, integrated_gradients, path_attribution
from proofs.errors import IGVerifyError

captum_attr = pytest.importorskip("captum.attr")
bm = pytest.importorskip("captum.testing.helpers.basic_models")
cm = pytest.importorskip("captum.testing.helpers.classification_models")

F64 = torch.float64
CAPTUM_METHODS = ["riemann_right", "riemann_left", "riemann_middle", "gausslegendre"]


def both(model, *args, multiply_by_inputs=True, **kwargs):
    """(ours, Captum's) for the same attribute call."""
    ours = IntegratedGradients(model, multiply_by_inputs).attribute(*args, **kwargs)
    theirs = captum_attr.IntegratedGradients(model, multiply_by_inputs).attribute(*args,
                                                                                 **kwargs)
    return ours, theirs


def assert_same_form(ours, theirs, rtol=1e-6, atol=1e-9):
    """Same type (tensor / tuple), shapes and dtypes, and values within Captum's float32
    weights (Captum rounds every quadrature weight to float32, relative error ~ 1e-8)."""
    assert type(ours) is type(theirs)
    pairs = zip(ours, theirs, strict=True) if isinstance(ours, tuple) else [(ours, theirs)]
    for a, b in pairs:
        assert a.shape == b.shape and a.dtype == b.dtype
        scale = float(b.detach().abs().max()) + 1.0
        assert float((a - b.detach()).abs().max()) <= rtol * scale + atol


# ---------------------------------------------------------------- the forms of the arguments


MULTI_ARGS = (torch.tensor([[1.5, 2.0, 34.3], [3.4, 1.2, 2.0]], dtype=F64),
              torch.tensor([[3.0, 3.5, 23.2], [2.3, 1.2, 0.3]], dtype=F64))


@pytest.mark.parametrize("method", CAPTUM_METHODS)
@pytest.mark.parametrize("model, baselines, extra", [
    (bm.BasicModel4_MultiArgs(), (torch.zeros((2, 3), dtype=F64), 0.0),
     (torch.arange(1.0, 7.0, dtype=F64).reshape(2, 3), 1)),
    (bm.BasicModel4_MultiArgs(), (0.5, torch.full((1, 3), 0.25, dtype=F64)),
     torch.arange(1.0, 7.0, dtype=F64).reshape(2, 3)),
    (bm.BasicModel5_MultiArgs(), (0.0, 0.00001), ([2, 3], 1)),
    (bm.BasicModel5_MultiArgs(), (torch.zeros((1, 3), dtype=F64), -0.5), ([2, 3], 0)),
])
def test_tuple_inputs_per_tensor_baselines_and_extra_args_match_captum(model, baselines, extra,
                                                                       method):
    ours, theirs = both(model, MULTI_ARGS, baselines, additional_forward_args=extra,
                        method=method, n_steps=40)
    assert_same_form(ours, theirs)
    assert isinstance(ours, tuple) and len(ours) == 2


def test_tensor_in_tensor_out_and_one_dimensional_inputs():
    # Captum's univariable case: inputs of shape (1,), a float baseline
    ours, theirs = both(bm.BasicModel(), torch.tensor([-1.0]), 0.00001, n_steps=30,
                        method="riemann_left")
    assert_same_form(ours, theirs)
    ours, theirs = both(bm.BasicModel2(), (torch.tensor([3.0]), torch.tensor([1.0])),
                        n_steps=30, method="riemann_right")
    assert_same_form(ours, theirs)
    assert torch.allclose(ours[0], torch.tensor([1.5]), atol=0.05)  # Sundararajan et al. (2017)


@pytest.mark.parametrize("method", ["riemann_right", "gausslegendre"])
def test_multiply_by_inputs_false_matches_captum(method):
    model = bm.BasicModel_MultiLayer().double()
    x = (torch.tensor([[1.5, 2.1, 1.9], [0.5, 0.0, 0.7]], dtype=F64),
         torch.tensor([[0.3, 1.9, 2.4], [0.5, 0.6, 2.1]], dtype=F64))
    ours, theirs = both(model, x, target=0, method=method, n_steps=64,
                        multiply_by_inputs=False)
    assert_same_form(ours, theirs)
    ig = IntegratedGradients(model, multiply_by_inputs=False)
    assert ig.multiplies_by_inputs is False and ig.has_convergence_delta()
    # multiplied = local * (inputs - baselines), by definition
    glob = IntegratedGradients(model).attribute(x, target=0, method=method, n_steps=64)
    for g, loc, xi in zip(glob, ours, x, strict=True):
        assert torch.allclose(g, loc * xi, rtol=0, atol=1e-13)


def _multidim_model():
    return bm.BasicModel_MultiLayer().double()


@pytest.mark.parametrize("target, extra", [
    (1, None),
    (torch.tensor(0), None),
    (torch.tensor([1]), None),
    (torch.tensor([1, 0, 0, 1]), None),
    ([0, 1, 1, 0], None),
    ((1, 0, 1), (None, True)),
    ([(1, 0, 0), (0, 1, 1), (1, 1, 1), (0, 0, 0)], (None, True)),
])
def test_every_target_form_matches_captum(target, extra):
    x = torch.randn(4, 3, dtype=F64, generator=torch.Generator().manual_seed(5))
    ours, theirs = both(_multidim_model(), x, target=target, additional_forward_args=extra,
                        n_steps=24, return_convergence_delta=True)
    assert_same_form(ours[0], theirs[0])
    assert ours[1].shape == theirs[1].shape == (4,)
    assert float((ours[1] - theirs[1]).abs().max()) < 1e-6


def test_scalar_output_needs_no_target_and_a_leading_index_target_is_accepted():
    model = bm.BasicModel_MultiLayer().double()
    x = torch.randn(3, 3, dtype=F64, generator=torch.Generator().manual_seed(6))
    ours, theirs = both(lambda z: model(z)[:, :1], x, n_steps=10)  # outputs (N, 1), no target
    assert_same_form(ours, theirs)
    ours, theirs = both(lambda z: model(z).unsqueeze(2), x, target=1, n_steps=10)  # (N, 2, 1)
    assert_same_form(ours, theirs)


# -------------------------------------------------------------------- delta and batching


@pytest.mark.parametrize("method", CAPTUM_METHODS + ["riemann_trapezoid"])
def test_convergence_delta_is_compute_convergence_delta(method):
    model = bm.BasicModel_MultiLayer()
    x = (torch.tensor([[1.5, 2.1, 1.9], [0.5, 0.0, 0.7], [1.5, 2.1, 1.1]]),
         torch.tensor([[0.3, 1.9, 2.4], [0.5, 0.6, 2.1], [1.2, 2.1, 0.2]]))
    base = (torch.zeros(1, 3), 0.1)
    ig = IntegratedGradients(model)
    attr, delta = ig.attribute(x, base, target=0, method=method, n_steps=100,
                               return_convergence_delta=True)
    assert delta.shape == (3,) and delta.dtype == F64
    again = ig.compute_convergence_delta(attr, base, x, target=0)
    assert torch.equal(delta, again)
    # by hand: sum of attributions minus F(x) - F(baseline)
    f = model(*x)[:, 0].double() - model(torch.zeros(1, 3), torch.full((3, 3), 0.1))[:, 0]
    assert torch.allclose(delta, sum(a.double().sum(1) for a in attr) - f, atol=1e-12)
    if method != "riemann_trapezoid":  # Captum's trapezoid weights differ (test below)
        _, theirs = captum_attr.IntegratedGradients(model).attribute(
            x, base, target=0, method=method, n_steps=100, return_convergence_delta=True)
        assert float((delta - theirs).abs().max()) < 1e-5


def test_trapezoid_weights_sum_to_one_unlike_captum():
    # F linear: every rule whose weights sum to 1 is exact, so our delta is rounding only;
    # Captum's trapezoid weights sum to (n-1)/n, so its attributions are (n-1)/n of exact
    model = torch.nn.Linear(3, 1).double()
    x = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(1))
    n = 20
    (ours, d_ours), (theirs, d_theirs) = both(model, x, n_steps=n, method="riemann_trapezoid",
                                              return_convergence_delta=True)
    exact = model.weight.detach()[0] * x
    assert torch.allclose(ours, exact, rtol=0, atol=1e-14)
    assert float(d_ours.abs().max()) < 1e-14
    assert torch.allclose(theirs, exact * (n - 1) / n, rtol=1e-6)


@pytest.mark.parametrize("internal_batch_size", [1, 2, 5, 9, 40])
def test_internal_batch_size_gives_the_unbatched_answer(internal_batch_size):
    model = bm.BasicModel_MultiLayer_MultiInput().double()
    g = torch.Generator().manual_seed(2)
    x = (10 * torch.randn(4, 3, dtype=F64, generator=g), 5 * torch.randn(4, 3, dtype=F64,
                                                                        generator=g))
    extra = (2 * torch.randn(4, 3, dtype=F64, generator=g), 5)
    ig = IntegratedGradients(model)
    kw = dict(target=[0, 1, 1, 0], additional_forward_args=extra, n_steps=13,
              return_convergence_delta=True)
    full, d_full = ig.attribute(x, **kw)
    part, d_part = ig.attribute(x, internal_batch_size=internal_batch_size, **kw)
    for a, b in zip(full, part, strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-12)
    assert torch.allclose(d_full, d_part, rtol=0, atol=1e-12)
    theirs = captum_attr.IntegratedGradients(model).attribute(
        x, internal_batch_size=internal_batch_size, **kw)
    assert_same_form(part, theirs[0])


# ---------------------------------------------------------------------- classification


@pytest.mark.parametrize("make, x, target, baseline", [
    (lambda: cm.SigmoidModel(20, 5, 1), torch.arange(20.0).unsqueeze(0), torch.tensor(0),
     None),
    (lambda: cm.SoftmaxModel(40, 20, 10), torch.arange(40.0).unsqueeze(0), torch.tensor(5),
     None),
    (lambda: cm.SoftmaxModel(40, 20, 10), torch.arange(120.0).reshape(3, 40),
     torch.tensor([5, 5, 2]), torch.zeros(1, 40)),
])
@pytest.mark.parametrize("method", ["riemann_middle", "gausslegendre"])
def test_classification_models_match_captum_and_complete(make, x, target, baseline, method):
    torch.manual_seed(1234)
    model = make()
    (ours, d_ours), (theirs, d_theirs) = both(model, x, baseline, target=target,
                                              method=method, n_steps=100,
                                              return_convergence_delta=True)
    assert_same_form(ours, theirs, rtol=1e-5)
    assert d_ours.shape == (x.shape[0],)
    assert float(d_ours.abs().max()) < 0.005  # Captum's own bound in its tests


# ------------------------------------------------------------------------ float32 accuracy


@pytest.mark.parametrize("steps", [50, 500, 5000])
def test_float32_error_no_worse_than_captum(steps):
    """Float32 inputs: the step sum is accumulated in float64, so the error against a float64
    run stays at the float32 rounding of the result at every step count (it used to grow
    with the step count: 4.5e-6 at 50, 3e-5 at 500, 2.8e-4 at 5000 steps here)."""
    model = bm.BasicModel_MultiLayer()
    x = torch.tensor([[1.5, 2.0, 1.3], [0.5, 0.1, 2.3], [1.5, 2.0, 1.3]])
    # reference: the same midpoint sum, every gradient in float64 by plain autograd
    m64, x64 = copy.deepcopy(model).double(), x.double()
    nodes = torch.tensor((np.arange(steps) + 0.5) / steps)
    pts = (nodes[:, None, None] * x64[None]).reshape(-1, 3).requires_grad_(True)
    (grad,) = torch.autograd.grad(m64(pts)[:, 0].sum(), pts)
    ref = grad.reshape(steps, 3, 3).sum(0) / steps * x64
    ours = IntegratedGradients(model).attribute(x, target=0, n_steps=steps,
                                                method="riemann_middle")
    theirs = captum_attr.IntegratedGradients(model).attribute(x, target=0, n_steps=steps,
                                                              method="riemann_middle")
    assert ours.dtype == torch.float32
    err_ours = float((ours.double() - ref).abs().max())
    err_theirs = float((theirs.double() - ref).abs().max())
    assert err_ours <= err_theirs
    assert err_ours <= torch.finfo(torch.float32).eps * float(ref.abs().max())


# -------------------------------------------------------------- beyond Captum: exact, API


def test_exact_method_on_two_input_tensors():
    # F(x, a) = f(x + a): the gradients in x and in a are both grad f(x + a), so the two
    # attributions add up, feature by feature, to the single-input IG of f at x + a
    model = bm.BasicModel_MultiLayer().double()
    g = torch.Generator().manual_seed(3)
    x, a = torch.randn(3, 3, dtype=F64, generator=g), torch.randn(3, 3, dtype=F64, generator=g)
    attr, delta = IntegratedGradients(model).attribute((x, a), target=0, method="exact",
                                                       return_convergence_delta=True)
    single = numeric.exact_integrated_gradients(model, x + a, target=0).attributions
    assert torch.allclose(attr[0] + attr[1], single, rtol=0, atol=1e-12)
    assert float(delta.abs().max()) < 1e-12


def test_exact_method_with_per_example_extra_args():
    model = bm.BasicModel_MultiLayer_MultiInput().double()
    g = torch.Generator().manual_seed(4)
    x = (torch.randn(3, 3, dtype=F64, generator=g), torch.randn(3, 3, dtype=F64, generator=g))
    extra = (torch.randn(3, 3, dtype=F64, generator=g), 2)
    attr, delta = integrated_gradients(model, x, target=[0, 1, 0], method="exact",
                                       additional_forward_args=extra, return_delta=True)
    assert float(delta.abs().max()) < 1e-12
    fine = integrated_gradients(model, x, target=[0, 1, 0], method="riemann_middle",
                                steps=4000, additional_forward_args=extra)
    for e, q in zip(attr, fine, strict=True):
        assert torch.allclose(e, q, rtol=0, atol=5e-3)


def test_path_attribution_with_tuple_waypoints_closed_form():
    # F(x, y) = x1 * y1: from (0, 0) via (1, 0) to (1, 1) all credit goes to y
    def f(x, y):
        return x[:, 0] * y[:, 0]

    end = (torch.ones(1, 1, dtype=F64), torch.ones(1, 1, dtype=F64))
    attr, delta = path_attribution(f, [0.0, (1.0, 0.0), end], steps=1, return_delta=True)
    assert attr[0].tolist() == [[0.0]] and attr[1].tolist() == [[1.0]]
    assert abs(float(delta[0])) < 1e-15


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 3), widths=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       kinds=st.lists(st.sampled_from(["none", "number", "row", "full"]), min_size=3,
                      max_size=3),
       method=st.sampled_from(CAPTUM_METHODS), steps=st.integers(2, 12),
       seed=st.integers(0, 2 ** 16))
def test_property_any_tuple_and_baseline_form_matches_captum(n, widths, kinds, method, steps,
                                                             seed):
    g = torch.Generator().manual_seed(seed)
    xs = tuple(torch.randn(n, w, dtype=F64, generator=g) for w in widths)
    weights = [torch.randn(w, dtype=F64, generator=g) for w in widths]

    def model(*inputs):
        return torch.tanh(sum((x * w).sum(1) for x, w in zip(inputs, weights, strict=True)))

    def baseline(kind, x):
        if kind == "none":
            return 0.0
        if kind == "number":
            return 0.5
        if kind == "row":
            return torch.randn(1, x.shape[1], dtype=F64, generator=g)
        return torch.randn(x.shape, dtype=F64, generator=g)

    bases = tuple(baseline(k, x) for k, x in zip(kinds, xs, strict=False))
    ours, theirs = both(model, xs, bases, method=method, n_steps=steps)
    assert_same_form(ours, theirs)


# -------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, message", [
    (lambda ig, x: ig.attribute(x), "pass target"),
    (lambda ig, x: ig.attribute(x, additional_forward_args=(None, True), target=(1, 0)),
     "indexes 2 output dimension"),
    (lambda ig, x: ig.attribute(x, target=[0, 1]), "2 entries"),
    (lambda ig, x: ig.attribute(x, method="simpson", target=0), "unknown method"),
    (lambda ig, x: ig.attribute((x, x), (0.0,), target=0), "one entry"),
    (lambda ig, x: ig.attribute(x, torch.zeros(2, 3), target=0), "baselines has shape"),
    (lambda ig, x: ig.attribute([x], target=0), "tuple of them"),
])
def test_bad_arguments_raise_one_line_errors_that_are_assertion_errors(call, message):
    ig = IntegratedGradients(bm.BasicModel_MultiLayer())
    with pytest.raises(IGVerifyError, match=message) as info:
        call(ig, torch.zeros(1, 3))
    assert isinstance(info.value, AssertionError)  # what Captum raises, so except-clauses work
    assert "\n" not in str(info.value)
