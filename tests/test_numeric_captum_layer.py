"""numeric's LayerIntegratedGradients, LayerConductance, NeuronConductance and
NeuronIntegratedGradients as drop-ins for Captum's: the port of Captum's own test cases for
them (tests/captum_layer_cases.py) passes with numeric's classes, and the same calls give
Captum's numbers where the two compute the same quantity (Captum run on the same model is the
reference)."""

import pytest
import torch

import numeric
from numeric import (
    IntegratedGradients,
    LayerConductance,
    LayerIntegratedGradients,
    NeuronConductance,
    NeuronIntegratedGradients,
    NoiseTunnel,
)
from proofs.errors import IGVerifyError

captum_attr = pytest.importorskip("captum.attr")
cases = pytest.importorskip("captum_layer_cases")
bm = pytest.importorskip("captum.testing.helpers.basic_models")

pytestmark = pytest.mark.usefixtures("one_thread")
F64 = torch.float64

#: Cases that pin Captum's finite-difference conductance, not the conductance integral: Captum
#: takes sum_k dF/dH(t_k) (H(t_{k+1}) - H(t_k)), which telescopes to F(x) - F(x') whatever
#: the step count when the layer's gradient is constant (the output layer) or nearly so, so
#: its completeness delta is tiny even where its attributions carry an error of order 1/n.
#: numeric integrates dF/dH d/dt H exactly with the rule; on BasicModel_MultiLayer the path
#: crosses a ReLU kink at t = 0.1, where Gauss-Legendre 500 (1500) leaves a quadrature error
#: of 0.05 (0.017) in the delta, over the cases' bound of 0.01. The attributions themselves
#: are within the cases' bounds; with ``tolerance=`` the same cases pass (checked below).
PINNED = {
    "lig_compare_with_layer_conductance_attr_to_outputs",
    "lig_compare_with_layer_conductance_attr_to_inputs",
    "lc_simple_input_conductance",
    "lc_simple_input_multi_conductance",
    "lc_simple_input_with_scalar_baseline_conductance",
    "lc_simple_linear_conductance",
    "lc_simple_relu_conductance",
    "lc_simple_output_conductance",
    "lc_simple_multi_input_linear2_conductance",
    "lc_simple_multi_input_relu_conductance",
    "lc_simple_multi_input_relu_conductance_batch",
    "lc_layer_conductance_with_unused_layer",
}
SLOW = {"lc_matching_conv1_conductance", "lc_matching_pool1_conductance",
        "lc_matching_conv2_conductance", "lc_matching_conv_multi_input_conductance",
        "nc_matching_conv2_multi_input_conductance"}


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


@pytest.mark.parametrize("name", _params([n for n in cases.CASES if n not in PINNED]))
def test_captum_case_passes_with_numeric(name):
    cases.seed()
    cases.CASES[name](cases.implementation("numeric"))


class _Accurate:
    """LayerConductance with ``tolerance=1e-6`` added to every call: the adaptive integrator
    splits the path at the kink and meets the tolerance, whatever n_steps says."""

    def __init__(self, *args, **kwargs):
        self.inner = LayerConductance(*args, **kwargs)
        self.multiplies_by_inputs = True

    def attribute(self, *args, **kwargs):
        return self.inner.attribute(*args, tolerance=1e-6, **kwargs)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_case_fails_on_the_delta_only_and_passes_with_a_tolerance(name):
    impl = cases.implementation("numeric")
    cases.seed()
    with pytest.raises(AssertionError, match="delta|differ more than by 0.01"):
        cases.CASES[name](impl)
    impl.LC = _Accurate
    cases.seed()
    cases.CASES[name](impl)


def test_pinned_case_passes_with_captum():
    # the port is faithful: Captum's classes pass what they pin
    cases.seed()
    cases.CASES["lc_simple_relu_conductance"](cases.implementation("captum"))


# ---------------------------------------------------------------- the same numbers as Captum


def _same(ours, theirs, rtol=1e-6, atol=1e-9):
    assert type(ours) is type(theirs)
    if isinstance(ours, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            _same(a, b, rtol, atol)
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    scale = float(theirs.detach().abs().max()) + 1.0
    assert float((ours - theirs.detach()).abs().max()) <= rtol * scale + atol


def _multi_input():
    g = torch.Generator().manual_seed(7)
    x = (torch.randn(4, 3, dtype=F64, generator=g), torch.randn(4, 3, dtype=F64, generator=g))
    return x, (torch.randn(4, 3, dtype=F64, generator=g), 3)


@pytest.mark.parametrize("target", [0, [0, 1, 1, 0], torch.tensor([1, 0, 0, 1])])
@pytest.mark.parametrize("to_input", [False, True])
@pytest.mark.parametrize("internal_batch_size", [None, 3])
def test_layer_ig_matches_captum_on_every_target_form(target, to_input, internal_batch_size):
    model = bm.BasicModel_MultiLayer_MultiInput().double()
    x, extra = _multi_input()
    kw = dict(baselines=(0.5, torch.zeros(1, 3, dtype=F64)), target=target,
              additional_forward_args=extra, n_steps=16, method="riemann_middle",
              internal_batch_size=internal_batch_size, return_convergence_delta=True,
              attribute_to_layer_input=to_input)
    ours = LayerIntegratedGradients(model, model.model.linear1).attribute(x, **kw)
    theirs = captum_attr.LayerIntegratedGradients(model, model.model.linear1).attribute(x, **kw)
    _same(ours[0], theirs[0], rtol=1e-12, atol=1e-12)
    assert torch.allclose(ours[1], theirs[1], rtol=0, atol=1e-12)


def test_layer_ig_on_a_list_of_layers_and_a_tuple_output_matches_captum():
    net = bm.BasicModel_MultiLayer(multi_input_module=True).double()
    x = torch.randn(3, 3, dtype=F64, generator=torch.Generator().manual_seed(8))
    two = bm.BasicModel_MultiLayer_TrueMultiInput().double()
    xs = tuple(torch.randn(3, 3, dtype=F64, generator=torch.Generator().manual_seed(s))
               for s in (1, 2, 3))
    for multiply in (True, False):
        kw = dict(target=1, n_steps=8, method="riemann_left")
        for model, layers, inputs in ((net, [net.multi_relu], x),
                                      (two, [two.m1.linear1, two.m234.model.linear1], xs)):
            ours = LayerIntegratedGradients(model, layers, multiply_by_inputs=multiply
                                            ).attribute(inputs, **kw)
            theirs = captum_attr.LayerIntegratedGradients(
                model, layers, multiply_by_inputs=multiply).attribute(inputs, **kw)
            assert isinstance(ours, list)
            _same(ours, theirs, rtol=1e-12, atol=1e-12)
        assert isinstance(ours[0], torch.Tensor)


def test_neuron_ig_matches_captum_for_each_selector_form():
    net = bm.BasicModel_MultiLayer().double()
    x = torch.randn(3, 3, dtype=F64, generator=torch.Generator().manual_seed(9))
    for selector in (2, (1,), (slice(0, 3),), lambda h: h[:, 0] * h[:, 3]):
        kw = dict(n_steps=16, method="riemann_right", internal_batch_size=5)
        ours = NeuronIntegratedGradients(net, net.linear1).attribute(x, selector, **kw)
        theirs = captum_attr.NeuronIntegratedGradients(net, net.linear1).attribute(
            x, selector, **kw)
        _same(ours, theirs, rtol=1e-12, atol=1e-12)


def test_neuron_conductance_matches_captum_for_one_unit():
    # for one unit Captum's neuron conductance is the integral we compute (gradient of the
    # unit times its output gradient), so the two agree to Captum's step weights
    net = bm.BasicModel_MultiLayer_MultiInput().double()
    x, extra = _multi_input()
    for selector in ((2,), lambda h: h[:, 1]):
        kw = dict(target=[0, 1, 0, 1], additional_forward_args=extra, n_steps=32,
                  method="riemann_middle")
        ours = NeuronConductance(net, net.model.linear1).attribute(x, selector, **kw)
        theirs = captum_attr.NeuronConductance(net, net.model.linear1).attribute(
            x, selector, **kw)
        _same(ours, theirs, rtol=1e-12, atol=1e-12)


def test_neuron_conductance_of_a_group_is_the_sum_of_its_units():
    # a slice selects several units; their conductances add (Captum instead multiplies the
    # summed gradients by the summed unit gradients, which mixes the units)
    net = bm.BasicModel_MultiLayer().double()
    x = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(10))
    nc = NeuronConductance(net, net.linear1)
    group = nc.attribute(x, (slice(1, 4),), target=0, n_steps=64, method="gausslegendre")
    units = sum(nc.attribute(x, j, target=0, n_steps=64, method="gausslegendre")
                for j in (1, 2, 3))
    assert torch.allclose(group, units, rtol=0, atol=1e-12)


def test_layer_conductance_converges_like_one_over_n_in_captum_and_fast_in_ours():
    # a smooth network: our Gauss-Legendre conductance converges spectrally; Captum's
    # difference form has an error of order 1/n_steps
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6),
                              torch.nn.Sigmoid(), torch.nn.Linear(6, 2)).double()
    x = torch.randn(2, 4, dtype=F64)
    reference = LayerConductance(net, net[1]).attribute(x, target=1, n_steps=200)
    ours = LayerConductance(net, net[1]).attribute(x, target=1, n_steps=40)
    assert float((ours - reference).abs().max()) < 1e-12
    errors = [float((captum_attr.LayerConductance(net, net[1]).attribute(
        x, target=1, n_steps=n).detach() - reference).abs().max()) for n in (80, 160)]
    assert 1.7 < errors[0] / errors[1] < 2.6   # first order: twice the steps, half the error
    assert errors[1] > 1e6 * float((ours - reference).abs().max())


def test_float32_models_keep_their_dtype_and_sum_in_float64():
    net = bm.BasicModel_MultiLayer()
    x = torch.tensor([[1.0, 2.0, 3.0]])
    lig, d1 = LayerIntegratedGradients(net, net.relu).attribute(
        x, target=0, n_steps=1000, return_convergence_delta=True)
    lc, d2 = LayerConductance(net, net.relu).attribute(x, target=0, n_steps=1000,
                                                       return_convergence_delta=True)
    assert lig.dtype == lc.dtype == torch.float32 and d1.dtype == d2.dtype == F64
    assert float(d1.abs().max()) < 1e-5 and float(d2.abs().max()) < 1e-5


def test_exact_method_through_the_layer_classes():
    # a piecewise-linear network: layer IG and neuron IG integrate exactly
    net = bm.BasicModel_MultiLayer().double()
    x = torch.tensor([[0.0, 100.0, 0.0], [3.0, -2.0, 5.0]], dtype=F64)
    _, delta = LayerIntegratedGradients(net, net.linear1).attribute(
        x, target=0, method="exact", return_convergence_delta=True)
    assert float(delta.abs().max()) < 1e-10
    exact = NeuronIntegratedGradients(net, net.relu).attribute(x, 0, method="exact")
    fine = NeuronIntegratedGradients(net, net.relu).attribute(x, 0, n_steps=4000,
                                                              method="riemann_middle")
    assert torch.allclose(exact, fine, rtol=0, atol=1e-2)
    h = net.relu(net.linear1(net.linear0(x)))[:, 0]
    assert torch.allclose(exact.sum(1), h, rtol=0, atol=1e-10)   # completeness, exactly


def test_attribute_future_raises_on_every_class():
    net = bm.BasicModel_MultiLayer()
    for method in (IntegratedGradients(net), NoiseTunnel(IntegratedGradients(net)),
                   LayerIntegratedGradients(net, net.linear1), LayerConductance(net, net.relu),
                   NeuronConductance(net, net.relu), NeuronIntegratedGradients(net, net.relu)):
        with pytest.raises(NotImplementedError):
            method.attribute_future()


def test_noise_tunnel_wraps_layer_ig():
    net = bm.BasicModel_MultiLayer()
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(11))
    nt = NoiseTunnel(LayerIntegratedGradients(net, net.linear1))
    smooth = nt.attribute(x, nt_samples=3, stdevs=0.0, target=0)
    plain = LayerIntegratedGradients(net, net.linear1).attribute(x, target=0)
    assert torch.allclose(smooth, plain, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda net: LayerIntegratedGradients(net, "linear1"), "layer must be"),
    (lambda net: LayerIntegratedGradients(net, net.linear1).attribute(
        torch.zeros(1, 3)), "pass target"),
    (lambda net: LayerConductance(net, net.linear1).attribute(
        torch.zeros(1, 3, dtype=torch.long), target=0), "floating-point"),
    (lambda net: LayerIntegratedGradients(net, torch.nn.Linear(3, 3)).attribute(
        torch.zeros(1, 3), target=0), "did not run"),
    (lambda net: NeuronConductance(net, net.linear1).attribute(
        torch.zeros(1, 3), (0, 1), target=0), "2 indices"),
    (lambda net: NeuronConductance(net, net.linear1).attribute(
        torch.zeros(1, 3), "a", target=0), "neuron_selector must be"),
    (lambda net: NeuronIntegratedGradients(net, net.linear1).attribute(
        torch.zeros(1, 3), (9,)), "out of range"),
    (lambda net: LayerConductance(net, net.linear1).attribute(
        torch.zeros(1, 3), target=0, n_steps=0), "steps"),
])
def test_bad_arguments_raise_one_line_assertion_errors(call, message):
    net = bm.BasicModel_MultiLayer()
    with pytest.raises(IGVerifyError, match=message) as info:
        call(net)
    assert isinstance(info.value, AssertionError)
    assert "\n" not in str(info.value)


def test_the_classes_are_exported_with_captums_names_and_flags():
    net = bm.BasicModel_MultiLayer()
    for name in ("LayerIntegratedGradients", "LayerConductance", "NeuronConductance",
                 "NeuronIntegratedGradients"):
        assert name in numeric.__all__
        ours = getattr(numeric, name)(net, net.relu)
        theirs = getattr(captum_attr, name)(net, net.relu)
        assert ours.get_name() == theirs.get_name()
        assert ours.has_convergence_delta() == theirs.has_convergence_delta()
        assert ours.multiplies_by_inputs == theirs.multiplies_by_inputs
