"""Captum's test cases for its layer and neuron IG classes, as functions of the classes under test.

A port (written for igverify, not copied) of the cases of Captum's
tests/attr/layer/test_layer_integrated_gradients.py, test_layer_conductance.py and
tests/attr/neuron/test_neuron_conductance.py, test_neuron_integrated_gradients.py (Kokhlikyan
et al. (2020)), plus the test_futures_not_implemented case of its IG tests: the same models
(``captum.testing.helpers``), inputs, arguments, assertions (Captum's own
``assertTensorAlmostEqual``) and tolerances. Each case takes ``impl``, a namespace with the
classes IG, LIG, LC, NC, NIG (Captum's or numeric's). Reference computations that are not
under test (Captum's LayerActivation and interpretable embedding, a Jacobian-based
conductance in place of Captum's test helper ConductanceReference) are the same for both.
Run by tests/test_numeric_captum_layer.py (numeric) and benchmarks/captum_layer_suite.py (both).
"""

from __future__ import annotations

import random
import unittest
from types import SimpleNamespace

import numpy as np
import torch
from captum.attr import LayerActivation
from captum.attr._models.base import (
    configure_interpretable_embedding_layer,
    remove_interpretable_embedding_layer,
)
from captum.attr._utils.approximation_methods import approximation_parameters
from captum.testing.helpers.basic import assertTensorAlmostEqual, assertTensorTuplesAlmostEqual
from captum.testing.helpers.basic_models import (
    BasicEmbeddingModel,
    BasicModel_ConvNet,
    BasicModel_MultiLayer,
    BasicModel_MultiLayer_MultiInput,
    BasicModel_MultiLayer_TrueMultiInput,
)

T = unittest.TestCase()  # what Captum's assertion helpers call assertAlmostEqual on


def seed(value: int = 1234) -> None:
    """What Captum's BaseTest.setUp does before every test."""
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def implementation(name: str) -> SimpleNamespace:
    """The classes of ``name`` ("captum" or "numeric") under the names the cases use."""
    if name == "captum":
        from captum.attr import (
            IntegratedGradients,
            LayerConductance,
            LayerIntegratedGradients,
            NeuronConductance,
            NeuronIntegratedGradients,
        )
    else:
        from numeric import (
            IntegratedGradients,
            LayerConductance,
            LayerIntegratedGradients,
            NeuronConductance,
            NeuronIntegratedGradients,
        )
    return SimpleNamespace(IG=IntegratedGradients, LIG=LayerIntegratedGradients,
                           LC=LayerConductance, NC=NeuronConductance,
                           NIG=NeuronIntegratedGradients)


# ------------------------------------------------------------- layer integrated gradients


def _emb_patching(impl, inputs, baseline, additional_args, multiply_by_inputs=True,
                  multiple_emb=False):
    model = BasicEmbeddingModel(nested_second_embedding=True)
    layers = [model.embedding1, model.embedding2] if multiple_emb else model.embedding1
    lig = impl.LIG(model, layers, multiply_by_inputs=multiply_by_inputs)
    attributions, delta = lig.attribute(inputs, baselines=baseline,
                                        additional_forward_args=additional_args,
                                        return_convergence_delta=True)
    e1 = configure_interpretable_embedding_layer(model, "embedding1")
    input_emb = e1.indices_to_embeddings(inputs[0] if multiple_emb else inputs)
    baseline_emb = e1.indices_to_embeddings(baseline[0] if multiple_emb else baseline)
    e2 = None
    if multiple_emb:
        e2 = configure_interpretable_embedding_layer(model, "embedding2")
        input_emb = (input_emb, e2.indices_to_embeddings(*inputs[1:]))
        baseline_emb = (baseline_emb, e2.indices_to_embeddings(*baseline[1:]))
    ig = impl.IG(model, multiply_by_inputs=multiply_by_inputs)
    with_ig, delta_ig = ig.attribute(input_emb, baselines=baseline_emb,
                                     additional_forward_args=additional_args, target=0,
                                     return_convergence_delta=True)
    remove_interpretable_embedding_layer(model, e1)
    if e2 is not None:
        remove_interpretable_embedding_layer(model, e2)
    assert isinstance(with_ig, tuple) == isinstance(attributions, list)
    assert isinstance(with_ig, tuple) == multiple_emb
    if not isinstance(with_ig, tuple):
        attributions, with_ig = (attributions,), (with_ig,)
    else:
        attributions = tuple(attributions)
    for a_lig, a_ig in zip(attributions, with_ig, strict=True):
        assert a_lig.shape == a_ig.shape
        assertTensorAlmostEqual(T, a_lig, a_ig, delta=0.05, mode="max")
    if multiply_by_inputs:
        assertTensorAlmostEqual(T, delta, delta_ig, delta=0.05, mode="max")


def lig_compare_with_emb_patching(impl):
    _emb_patching(impl, torch.tensor([[2, 5, 0, 1]]), torch.tensor([[0, 0, 0, 0]]),
                  (torch.tensor([[0, 2, 4, 1]]), torch.tensor([[2, 3, 0, 1]])))


def lig_compare_with_emb_patching_wo_mult_by_inputs(impl):
    _emb_patching(impl, torch.tensor([[2, 5, 0, 1]]), torch.tensor([[0, 0, 0, 0]]),
                  (torch.tensor([[0, 2, 4, 1]]), torch.tensor([[2, 3, 0, 1]])),
                  multiply_by_inputs=False)


def lig_compare_with_emb_patching_batch(impl):
    _emb_patching(impl, torch.tensor([[2, 5, 0, 1], [3, 1, 1, 0]]),
                  torch.tensor([[0, 0, 0, 0]]),
                  (torch.tensor([[0, 2, 4, 1], [2, 3, 5, 7]]),
                   torch.tensor([[3, 5, 6, 7], [2, 3, 0, 1]])))


def _compare_with_layer_conductance(impl, to_input):
    model = BasicModel_MultiLayer()
    x = torch.tensor([[50.0, 50.0, 50.0]], requires_grad=True)
    attribution, delta = impl.LC(model, model.linear2).attribute(
        x, target=0, n_steps=1500, return_convergence_delta=True,
        attribute_to_layer_input=to_input)
    attribution2, delta2 = impl.LIG(model, model.linear2).attribute(
        x, target=0, n_steps=1500, return_convergence_delta=True,
        attribute_to_layer_input=to_input)
    assertTensorAlmostEqual(T, attribution, attribution2, delta=0.01, mode="max")
    assertTensorAlmostEqual(T, delta, delta2, delta=0.5, mode="max")


def lig_compare_with_layer_conductance_attr_to_outputs(impl):
    _compare_with_layer_conductance(impl, False)


def lig_compare_with_layer_conductance_attr_to_inputs(impl):
    _compare_with_layer_conductance(impl, True)


def lig_multiple_tensors_compare_with_expected(impl):
    net = BasicModel_MultiLayer(multi_input_module=True)
    attributions = impl.LIG(net, net.multi_relu).attribute(torch.tensor([[0.0, 100.0, 0.0]]),
                                                          target=0)
    assertTensorTuplesAlmostEqual(T, attributions, ([[90.0, 100.0, 100.0, 100.0]],
                                                    [[90.0, 100.0, 100.0, 100.0]]), delta=0.01)


def lig_multiple_layers_single_inputs(impl):
    inputs = (torch.tensor([[2, 5, 0, 1], [3, 1, 1, 0]]),
              torch.tensor([[0, 2, 4, 1], [2, 3, 5, 7]]),
              torch.tensor([[3, 5, 6, 7], [2, 3, 0, 1]]))
    baseline = tuple(torch.zeros_like(x) for x in inputs)
    _emb_patching(impl, inputs, baseline, None, multiple_emb=True)


def _multiple_layers(impl, count, delta):
    inputs = tuple(torch.randn(5, 3) for _ in range(count))
    baseline = tuple(torch.zeros_like(x) for x in inputs)
    net = BasicModel_MultiLayer_TrueMultiInput()
    lig = impl.LIG(net, layer=[net.m1, net.m234])
    at_inputs = lig.attribute(inputs, baseline, target=0, attribute_to_layer_input=True)
    regular = impl.IG(net).attribute(inputs, baseline, target=0)
    assert isinstance(at_inputs, list) and len(at_inputs) == 2
    assert isinstance(at_inputs[0], torch.Tensor)
    assert isinstance(at_inputs[1], tuple) and len(at_inputs[1]) == 3
    if count == 3:  # the last input of the second layer is the first input: add them
        combined = (at_inputs[0] + at_inputs[1][-1],) + at_inputs[1][0:-1]
    else:
        combined = (at_inputs[0],) + at_inputs[1]
    assertTensorTuplesAlmostEqual(T, combined, regular, delta=delta)
    attribs = lig.attribute(inputs, baseline, target=0)
    last, last_base = (inputs[0], baseline[1]) if count == 3 else (inputs[3], baseline[3])
    with_ig = impl.IG(lambda x, y: x + y).attribute(
        (net.m1(inputs[0]), net.m234(inputs[1], inputs[2], last, 1)),
        (net.m1(baseline[0]), net.m234(baseline[1], baseline[2], last_base, 1)), target=0)
    assertTensorTuplesAlmostEqual(T, attribs, with_ig, delta=delta)


def lig_multiple_layers_multiple_inputs_shared_input(impl):
    _multiple_layers(impl, 3, 1e-5)


def lig_multiple_layers_multiple_input_outputs(impl):
    _multiple_layers(impl, 4, 1e-7)


def lig_multiple_tensors_compare_with_exp_wo_mult_by_inputs(impl):
    net = BasicModel_MultiLayer(multi_input_module=True)
    inp, base = torch.tensor([[0.0, 100.0, 0.0]]), torch.tensor([[0.0, 0.0, 0.0]])
    attributions = impl.LIG(net, net.multi_relu).attribute(inp, target=0)
    local = impl.LIG(net, net.multi_relu, multiply_by_inputs=False).attribute(inp, target=0)
    act = LayerActivation(net, net.multi_relu)
    diff = tuple(a - b for a, b in zip(act.attribute(inp), act.attribute(base), strict=True))
    assertTensorTuplesAlmostEqual(T, tuple(lo * d for lo, d in zip(local, diff, strict=True)),
                                  attributions)


# ------------------------------------------------------------------------ layer conductance


def _conductance(impl, model, layer, x, expected, baselines=None, additional_args=None,
                 grad_kwargs=None):
    cond = impl.LC(model, layer)
    assert cond.multiplies_by_inputs
    for internal_batch_size in (None, 4, 20):
        attributions, delta = cond.attribute(
            x, baselines=baselines, target=0, n_steps=500, method="gausslegendre",
            additional_forward_args=additional_args, internal_batch_size=internal_batch_size,
            return_convergence_delta=True, grad_kwargs=grad_kwargs)
        assert bool((delta.abs() < 0.01).all()), f"delta {delta}"
        assertTensorTuplesAlmostEqual(T, attributions, expected, delta=0.1)


def _jacobian_conductance(model, layer, x, baseline, target, n_steps):
    """Conductance from the Jacobian of the layer (reverse mode, one row per unit, batched)
    and Captum's Gauss-Legendre steps: the quantity Captum's ConductanceReference computes."""
    step_sizes, alphas = (torch.tensor(f(n_steps)) for f in
                          approximation_parameters("gausslegendre"))
    base = torch.zeros_like(x) if baseline is None else baseline
    store = {}
    hook = layer.register_forward_hook(lambda m, i, o: store.__setitem__("h", o))
    rows = []
    try:
        for e in range(x.shape[0]):
            d = x[e] - base[e]
            p = (base[e].unsqueeze(0) + alphas.view(-1, *([1] * x[e].dim())) * d).detach()
            p.requires_grad_(True)
            out = model(p)[:, target]
            h = store["h"]
            (g,) = torch.autograd.grad(out.sum(), h, retain_graph=True)
            units = h[0].numel()
            eye = torch.eye(units).reshape(units, 1, *h.shape[1:]).expand(units, *h.shape)
            (jac,) = torch.autograd.grad(h, p, eye, is_grads_batched=True)
            hdot = (jac.reshape(units, n_steps, -1) * d.reshape(1, 1, -1)).sum(2).t()
            term = step_sizes.view(-1, 1) * g.reshape(n_steps, -1) * hdot
            rows.append(term.sum(0).reshape(h.shape[1:]).detach())
    finally:
        hook.remove()
    return torch.stack(rows)


def _conductance_reference(impl, model, layer, x, baseline=None, n_steps=300):
    store = {}
    hook = layer.register_forward_hook(lambda m, i, o: store.__setitem__("h", o))
    final = model(x)
    hook.remove()
    target = int(torch.argmax(torch.sum(final, 0)))
    cond = impl.LC(model, layer)
    attributions, delta = cond.attribute(x, baselines=baseline, target=target, n_steps=n_steps,
                                         method="gausslegendre", return_convergence_delta=True)
    assert bool((delta.abs() < 0.005).all()), f"delta {delta}"
    reference = _jacobian_conductance(model, layer, x.detach(), baseline, target, n_steps)
    assert store["h"].shape == attributions.shape
    assertTensorAlmostEqual(T, attributions, reference, delta=0.07, mode="max")
    if x.shape[0] > 1:
        for i in range(x.shape[0]):
            single = cond.attribute(x[i:i + 1],
                                    baselines=None if baseline is None else baseline[i:i + 1],
                                    target=target, n_steps=n_steps, method="gausslegendre")
            assertTensorAlmostEqual(T, attributions[i:i + 1], single, delta=0.01, mode="max")


def lc_simple_input_conductance(impl):
    net = BasicModel_MultiLayer()
    _conductance(impl, net, net.linear0, torch.tensor([[0.0, 100.0, 0.0]]), [[0.0, 390.0, 0.0]])


def lc_simple_input_multi_conductance(impl):
    net = BasicModel_MultiLayer(multi_input_module=True)
    _conductance(impl, net, net.multi_relu, torch.tensor([[0.0, 100.0, 0.0]]),
                 ([[90.0, 100.0, 100.0, 100.0]], [[90.0, 100.0, 100.0, 100.0]]))


def lc_simple_input_with_scalar_baseline_conductance(impl):
    net = BasicModel_MultiLayer()
    _conductance(impl, net, net.linear0, torch.tensor([[0.0, 100.0, 0.0]]), [[0.0, 390.0, 0.0]],
                 baselines=0.0)


def lc_simple_linear_conductance(impl):
    net = BasicModel_MultiLayer()
    _conductance(impl, net, net.linear1, torch.tensor([[0.0, 100.0, 0.0]], requires_grad=True),
                 [[90.0, 100.0, 100.0, 100.0]])


def lc_simple_relu_conductance(impl):
    net = BasicModel_MultiLayer()
    _conductance(impl, net, net.relu, torch.tensor([[0.0, 100.0, 0.0]]),
                 [[90.0, 100.0, 100.0, 100.0]])


def lc_simple_output_conductance(impl):
    net = BasicModel_MultiLayer()
    _conductance(impl, net, net.linear2, torch.tensor([[0.0, 100.0, 0.0]], requires_grad=True),
                 [[390.0, 0.0]])


def lc_simple_multi_input_linear2_conductance(impl):
    net = BasicModel_MultiLayer_MultiInput()
    x = (torch.tensor([[0.0, 10.0, 0.0]]), torch.tensor([[0.0, 10.0, 0.0]]),
         torch.tensor([[0.0, 5.0, 0.0]]))
    _conductance(impl, net, net.model.linear2, x, [[390.0, 0.0]], additional_args=(4,))


RELU_X = (torch.tensor([[0.0, 10.0, 1.0]]), torch.tensor([[0.0, 4.0, 5.0]]))
RELU_X3 = torch.tensor([[0.0, 0.0, 0.0]])
BATCH_X = (torch.tensor([[0.0, 10.0, 1.0], [0.0, 0.0, 10.0]]),
           torch.tensor([[0.0, 4.0, 5.0], [0.0, 0.0, 10.0]]))
BATCH_X3 = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 5.0]])


def lc_simple_multi_input_relu_conductance(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _conductance(impl, net, net.model.relu, RELU_X, [[90.0, 100.0, 100.0, 100.0]],
                 additional_args=(RELU_X3, 5))


def lc_simple_multi_input_relu_conductance_batch(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _conductance(impl, net, net.model.relu, BATCH_X,
                 [[90.0, 100.0, 100.0, 100.0], [100.0, 100.0, 100.0, 100.0]],
                 additional_args=(BATCH_X3, 5))


def lc_matching_conv1_conductance(impl):
    net = BasicModel_ConvNet()
    _conductance_reference(impl, net, net.conv1, 100 * torch.randn(1, 1, 10, 10,
                                                                   requires_grad=True),
                           n_steps=100)


def lc_matching_pool1_conductance(impl):
    net = BasicModel_ConvNet()
    _conductance_reference(impl, net, net.pool1, 100 * torch.randn(1, 1, 10, 10))


def lc_matching_conv2_conductance(impl):
    net = BasicModel_ConvNet()
    _conductance_reference(impl, net, net.conv2, 100 * torch.randn(1, 1, 10, 10,
                                                                   requires_grad=True))


def lc_matching_pool2_conductance(impl):
    net = BasicModel_ConvNet()
    _conductance_reference(impl, net, net.pool2, 100 * torch.randn(1, 1, 10, 10))


def lc_matching_conv_multi_input_conductance(impl):
    net = BasicModel_ConvNet()
    _conductance_reference(impl, net, net.relu3, 100 * torch.randn(4, 1, 10, 10,
                                                                   requires_grad=True))


def lc_matching_conv_with_baseline_conductance(impl):
    net = BasicModel_ConvNet()
    x = 100 * torch.randn(3, 1, 10, 10)
    baseline = 100 * torch.randn(3, 1, 10, 10, requires_grad=True)
    _conductance_reference(impl, net, net.fc1, x, baseline.detach())


def lc_layer_conductance_with_unused_layer(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _conductance(impl, net, net.model.relu, BATCH_X,
                 [[90.0, 100.0, 100.0, 100.0], [100.0, 100.0, 100.0, 100.0]],
                 additional_args=(BATCH_X3, 5), grad_kwargs={"materialize_grads": True})


# ----------------------------------------------------------------------- neuron conductance


def _neuron_conductance(impl, model, layer, x, neuron, expected, additional=None,
                        multiply_by_inputs=True):
    for internal_batch_size in (None, 5, 20):
        cond = impl.NC(model, layer, multiply_by_inputs=multiply_by_inputs)
        assert cond.multiplies_by_inputs == multiply_by_inputs
        attributions = cond.attribute(x, neuron, target=0, n_steps=500, method="gausslegendre",
                                      additional_forward_args=additional,
                                      internal_batch_size=internal_batch_size)
        if isinstance(expected, tuple):
            for i in range(len(expected)):
                for j in range(len(expected[i])):
                    assertTensorAlmostEqual(T, attributions[i][j:j + 1].squeeze(0),
                                            expected[i][j], delta=0.1, mode="max")
        else:
            assert isinstance(attributions, torch.Tensor), "not a tensor"
            assertTensorAlmostEqual(T, attributions.squeeze(0), expected, delta=0.1, mode="max")


def _neuron_conductance_sum(impl, model, layer, x, baseline=None):
    attributions = impl.LC(model, layer).attribute(x, baselines=baseline, target=0,
                                                   n_steps=500, method="gausslegendre")
    neuron_cond = impl.NC(model, layer)
    for i in range(attributions.shape[1]):
        for j in range(attributions.shape[2]):
            for k in range(attributions.shape[3]):
                vals = neuron_cond.attribute(x, (i, j, k), baselines=baseline, target=0,
                                             n_steps=500)
                for n in range(attributions.shape[0]):
                    T.assertAlmostEqual(torch.sum(vals[n]).item(),
                                        attributions[n, i, j, k].item(), delta=0.005)


def nc_simple_conductance_input_linear2(impl):
    net = BasicModel_MultiLayer()
    _neuron_conductance(impl, net, net.linear2, torch.tensor([[0.0, 100.0, 0.0]],
                                                             requires_grad=True),
                        (0,), [0.0, 390.0, 0.0])


def nc_simple_conductance_input_linear2_wo_mult_by_inputs(impl):
    net = BasicModel_MultiLayer()
    _neuron_conductance(impl, net, net.linear2, torch.tensor([[100.0, 100.0, 100.0]],
                                                             requires_grad=True),
                        (0,), [3.96, 3.96, 3.96], multiply_by_inputs=False)


def nc_simple_conductance_input_linear1(impl):
    net = BasicModel_MultiLayer()
    _neuron_conductance(impl, net, net.linear1, torch.tensor([[0.0, 100.0, 0.0]]), 0,
                        [0.0, 90.0, 0.0])


def nc_simple_conductance_input_linear1_selector_fn(impl):
    net = BasicModel_MultiLayer()
    _neuron_conductance(impl, net, net.linear1, torch.tensor([[0.0, 100.0, 0.0]]),
                        lambda x: x[:, 0], [0.0, 90.0, 0.0])


def nc_simple_conductance_input_relu(impl):
    net = BasicModel_MultiLayer()
    _neuron_conductance(impl, net, net.relu, torch.tensor([[0.0, 70.0, 30.0]],
                                                          requires_grad=True),
                        (3,), [0.0, 70.0, 30.0])


def nc_simple_conductance_multi_input_linear2(impl):
    net = BasicModel_MultiLayer_MultiInput()
    x = (torch.tensor([[0.0, 10.0, 0.0]]), torch.tensor([[0.0, 10.0, 0.0]]),
         torch.tensor([[0.0, 5.0, 0.0]]))
    _neuron_conductance(impl, net, net.model.linear2, x, (0,),
                        ([[0.0, 156.0, 0.0]], [[0.0, 156.0, 0.0]], [[0.0, 78.0, 0.0]]), (4,))


def nc_simple_conductance_multi_input_relu(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _neuron_conductance(impl, net, net.model.relu, RELU_X, (3,),
                        ([[0.0, 50.0, 5.0]], [[0.0, 20.0, 25.0]]), (RELU_X3, 5))


def nc_simple_conductance_multi_input_batch_relu(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _neuron_conductance(impl, net, net.model.relu, BATCH_X, (3,),
                        ([[0.0, 50.0, 5.0], [0.0, 0.0, 50.0]],
                         [[0.0, 20.0, 25.0], [0.0, 0.0, 50.0]]), (BATCH_X3, 5))


def nc_layer_tuple_selector_fn(impl):
    net = BasicModel_MultiLayer(multi_input_module=True)
    _neuron_conductance(impl, net, net.multi_relu, torch.tensor([[0.0, 6.0, 0.0]]),
                        lambda x: x[0][:, 1], [0.0, 6.0, 0.0])


def nc_matching_conv2_multi_input_conductance(impl):
    net = BasicModel_ConvNet()
    x = 100 * torch.randn(2, 1, 10, 10)
    _neuron_conductance_sum(impl, net, net.conv2, x, 0.0)
    _neuron_conductance_sum(impl, net, net.conv2, x, 0.000001)


def nc_matching_relu2_multi_input_conductance(impl):
    net = BasicModel_ConvNet()
    x = 100 * torch.randn(3, 1, 10, 10, requires_grad=True)
    baseline = 20 * torch.randn(3, 1, 10, 10, requires_grad=True)
    _neuron_conductance_sum(impl, net, net.relu2, x, baseline)


def nc_matching_relu2_with_scalar_base_multi_input_conductance(impl):
    net = BasicModel_ConvNet()
    _neuron_conductance_sum(impl, net, net.relu2, 100 * torch.randn(3, 1, 10, 10,
                                                                    requires_grad=True), 0.0)


def nc_matching_pool2_multi_input_conductance(impl):
    net = BasicModel_ConvNet()
    x = 100 * torch.randn(1, 1, 10, 10)
    baseline = 20 * torch.randn(1, 1, 10, 10, requires_grad=True)
    _neuron_conductance_sum(impl, net, net.pool2, x, baseline)


def nc_matching_layer_tuple_selector_fn(impl):
    net = BasicModel_MultiLayer(multi_input_module=True)
    inp = torch.tensor([[0.0, 6.0, 0.0]])
    layer_attr = impl.LC(net, net.multi_relu).attribute(inp, target=0, n_steps=500,
                                                        method="gausslegendre")
    nc = impl.NC(net, net.multi_relu)
    for i in range(len(layer_attr)):
        for j in range(layer_attr[i].shape[1]):
            neuron_attr = nc.attribute(inp, lambda x, i=i, j=j: x[i][:, j], target=0,
                                       n_steps=500, method="gausslegendre")
            T.assertAlmostEqual(neuron_attr.sum().item(), layer_attr[i][0][j].item(),
                                delta=0.005)


# --------------------------------------------------------------- neuron integrated gradients


def _neuron_ig(impl, model, layer, x, neuron, expected, additional=None,
               multiply_by_inputs=True):
    for internal_batch_size in (None, 5, 20):
        nig = impl.NIG(model, layer, multiply_by_inputs=multiply_by_inputs)
        assert nig.multiplies_by_inputs == multiply_by_inputs
        attributions = nig.attribute(x, neuron, n_steps=200, method="gausslegendre",
                                     additional_forward_args=additional,
                                     internal_batch_size=internal_batch_size)
        assertTensorTuplesAlmostEqual(T, attributions, expected, delta=0.1)


def nig_simple_ig_input_linear2(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.linear2, torch.tensor([[0.0, 100.0, 0.0]]), 0,
               [[0.0, 390.0, 0.0]])


def nig_simple_ig_input_linear2_wo_mult_by_inputs(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.linear2, torch.tensor([[100.0, 100.0, 100.0]]), 0,
               [[3.96, 3.96, 3.96]], multiply_by_inputs=False)


def nig_simple_ig_input_linear1(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.linear1, torch.tensor([[0.0, 100.0, 0.0]], requires_grad=True),
               (0,), [[0.0, 100.0, 0.0]])


def nig_simple_ig_input_relu(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.relu, torch.tensor([[0.0, 6.0, 14.0]], requires_grad=True), (0,),
               [[0.0, 3.0, 7.0]])


def nig_simple_ig_input_relu2(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.relu, torch.tensor([[0.0, 5.0, 4.0]]), 1, [[0.0, 5.0, 4.0]])


def nig_simple_ig_input_relu_selector_fn(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.relu, torch.tensor([[0.0, 5.0, 4.0]]),
               lambda x: torch.sum(x[:, 2:]), [[0.0, 10.0, 8.0]])


def nig_simple_ig_input_relu2_agg_neurons(impl):
    net = BasicModel_MultiLayer()
    _neuron_ig(impl, net, net.relu, torch.tensor([[0.0, 5.0, 4.0]]), (slice(0, 2, 1),),
               [[0.0, 5.0, 4.0]])


def nig_simple_ig_multi_input_linear2(impl):
    net = BasicModel_MultiLayer_MultiInput()
    x = (torch.tensor([[0.0, 10.0, 0.0]]), torch.tensor([[0.0, 10.0, 0.0]]),
         torch.tensor([[0.0, 5.0, 0.0]]))
    _neuron_ig(impl, net, net.model.linear2, x, (0,),
               ([[0.0, 156.0, 0.0]], [[0.0, 156.0, 0.0]], [[0.0, 78.0, 0.0]]), (4,))


def nig_simple_ig_multi_input_relu(impl):
    net = BasicModel_MultiLayer_MultiInput()
    x = (torch.tensor([[0.0, 6.0, 14.0]]), torch.tensor([[0.0, 6.0, 14.0]]))
    _neuron_ig(impl, net, net.model.relu, x, (0,), ([[0.0, 1.5, 3.5]], [[0.0, 1.5, 3.5]]),
               (RELU_X3, 0.5))


NIG_BATCH = (torch.tensor([[0.0, 6.0, 14.0], [0.0, 80.0, 0.0]]),
             torch.tensor([[0.0, 6.0, 14.0], [0.0, 20.0, 0.0]]))
NIG_X3 = torch.tensor([[0.0, 0.0, 0.0], [0.0, 20.0, 0.0]])


def nig_simple_ig_multi_input_relu_batch(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _neuron_ig(impl, net, net.model.relu, NIG_BATCH, (0,),
               ([[0.0, 1.5, 3.5], [0.0, 40.0, 0.0]], [[0.0, 1.5, 3.5], [0.0, 10.0, 0.0]]),
               (NIG_X3, 0.5))


def nig_simple_ig_multi_input_relu_batch_selector_fn(impl):
    net = BasicModel_MultiLayer_MultiInput()
    _neuron_ig(impl, net, net.model.relu, NIG_BATCH, lambda x: torch.sum(x),
               ([[0.0, 10.5, 24.5], [0.0, 160.0, 0.0]], [[0.0, 10.5, 24.5], [0.0, 40.0, 0.0]]),
               (NIG_X3, 0.5))


def nig_matching_output_gradient(impl):
    net = BasicModel_ConvNet()
    x = 100 * torch.randn(2, 1, 10, 10, requires_grad=True)
    baseline = 20 * torch.randn(2, 1, 10, 10, requires_grad=True)
    out = net(x)
    input_attrib = impl.IG(net)
    nig = impl.NIG(net, net.softmax)
    for i in range(out.shape[1]):
        ig_vals = input_attrib.attribute(x, target=i, baselines=baseline)
        neuron_vals = nig.attribute(x, (i,), baselines=baseline)
        assertTensorAlmostEqual(T, ig_vals, neuron_vals, delta=0.001, mode="max")
        assert neuron_vals.shape == x.shape


# ---------------------------------------------------------------------------------- futures


def ig_futures_not_implemented(impl):
    # Captum's IG test_futures_not_implemented (Captum 0.9's layer and neuron classes have
    # no attribute_future at all; numeric's raise NotImplementedError on every class)
    attributions = None
    try:
        attributions = impl.IG(BasicModel_MultiLayer()).attribute_future()
    except NotImplementedError:
        pass
    else:
        raise AssertionError("attribute_future did not raise NotImplementedError")
    assert attributions is None


CASES = {name: fn for name, fn in dict(globals()).items()
         if callable(fn) and name.split("_")[0] in ("lig", "lc", "nc", "nig", "ig")
         and not name.startswith("_")}
