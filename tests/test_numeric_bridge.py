"""The bridge from torch networks to proofs.Function: exact rational weights, the same function
as torch computes, and cross-engine agreement (symbolic, mpmath, numeric) on bridged nets."""

from fractions import Fraction

import pytest
import sympy as sp
import torch

from numeric import integrated_gradients, to_function
from numeric.bridge import exact_rational
from numeric.models import random_mlp
from proofs.errors import IGVerifyError, UnsupportedFunctionError

proofs = pytest.importorskip("proofs")
F64 = torch.float64


def test_weights_become_the_exact_rationals_of_the_floats():
    net = torch.nn.Linear(2, 1).double()
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[0.1, -0.3]], dtype=F64))
        net.bias.fill_(1e-3)
    fn = to_function(torch.nn.Sequential(net))
    x1, x2 = fn.variables
    expected = (sp.Rational(*Fraction(0.1).as_integer_ratio()) * x1
                + sp.Rational(*Fraction(-0.3).as_integer_ratio()) * x2
                + sp.Rational(*Fraction(1e-3).as_integer_ratio()))
    assert sp.expand(fn.expr - expected) == 0
    assert exact_rational(0.1) != sp.Rational(1, 10)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "softplus"])
def test_bridged_function_computes_what_torch_computes(activation):
    net = random_mlp(3, 4, 2, activation, seed=5)
    point = torch.tensor([[0.25, -1.5, 2.0]], dtype=F64)
    with torch.no_grad():
        out = net(point)[0, 1]
    fn = to_function(net, target=1)
    value = fn(*[exact_rational(v) for v in point[0].tolist()])
    assert float(sp.N(value, 30)) == pytest.approx(float(out), rel=1e-14, abs=1e-15)


def test_conv_maxpool_bridge_computes_what_torch_computes():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1, stride=2), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(3 * 2 * 2, 2)).double()
    x = torch.randn(1, 2, 8, 8, dtype=F64)
    fn = to_function(net, target=0, input_shape=(2, 8, 8))
    assert fn.dimension == 128
    value = fn(*[exact_rational(v) for v in x.reshape(-1).tolist()])
    with torch.no_grad():
        assert float(value) == pytest.approx(float(net(x)[0, 0]), rel=1e-13)


def test_engines_agree_with_exact_and_quadrature_on_a_bridged_leaky_network():
    net = random_mlp(4, 6, 1, "leaky_relu", seed=8)
    x = torch.tensor([[1.0, -0.5, 0.75, 2.0]], dtype=F64)
    fn = to_function(net)
    point = [exact_rational(v) for v in x[0].tolist()]
    sym = proofs.integrated_gradients(fn, point, engine="symbolic")
    mp = proofs.integrated_gradients(fn, point, engine="mpmath", dps=30)
    assert sym.completeness_gap == 0
    assert max(abs(float(a) - float(b)) for a, b in zip(sym.values, mp.values, strict=True)) \
        < 1e-25
    exact = integrated_gradients(net, x, method="exact")[0].tolist()
    assert max(abs(a - b) for a, b in zip(exact, sym.numeric(), strict=True)) < 1e-13


def test_gauss_legendre_converges_to_mpmath_on_a_tanh_network():
    net = random_mlp(3, 5, 1, "tanh", seed=6)
    x = torch.tensor([[0.5, 1.0, -2.0]], dtype=F64)
    ref = proofs.integrated_gradients(to_function(net), [exact_rational(v) for v in x[0]
                                                          .tolist()], engine="mpmath", dps=30)
    attr = integrated_gradients(net, x, steps=40)[0].tolist()
    assert max(abs(a - b) for a, b in zip(attr, ref.numeric(), strict=True)) < 1e-13


def test_bridge_errors():
    with pytest.raises(UnsupportedFunctionError, match="GELU"):
        to_function(torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.GELU()))
    with pytest.raises(IGVerifyError, match="pass target"):
        to_function(torch.nn.Sequential(torch.nn.Linear(2, 3)))
    with pytest.raises(IGVerifyError, match="input_shape"):
        to_function(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 2)))
