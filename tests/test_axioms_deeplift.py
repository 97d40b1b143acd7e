"""DeepLIFT (rescale rule) on the two networks of Sundararajan et al. (2017, sec. 2.1).

Expected values are hand-derived (see the docstring of axioms.methods.deeplift_rescale):
f = relu(relu(x1) - 1 - relu(x2)) gets (3/2, -1/2) and g = relu(relu(x1 - 1) - relu(x2))
gets (2, -1) at x = (3, 1), baseline 0, although f == g on x >= 0 and IG gives (3/2, -1/2)
for both.
"""

from fractions import Fraction

import pytest
import sympy as sp

from axioms.methods import deeplift_rescale, network_expression
from proofs.errors import DimensionError, IGVerifyError, UnsupportedFunctionError

F_NET = [([[1, 0], [0, 1]], [0, 0], "relu"), ([[1, -1]], [-1], "relu")]
G_NET = [([[1, 0], [0, 1]], [-1, 0], "relu"), ([[1, -1]], [0], "relu")]


def test_deeplift_f_network():
    assert deeplift_rescale(F_NET, (3, 1), (0, 0)) == (sp.Rational(3, 2), sp.Rational(-1, 2))


def test_deeplift_g_network():
    assert deeplift_rescale(G_NET, (3, 1), (0, 0)) == (sp.Integer(2), sp.Integer(-1))


def test_deeplift_returns_exact_sympy_numbers():
    vals = deeplift_rescale(G_NET, (Fraction(3), 1), (0, 0))
    assert all(isinstance(v, sp.Basic) and v.is_Rational for v in vals)


def test_deeplift_sums_to_delta():
    x1, x2 = sp.symbols("x1 x2")
    for net in (F_NET, G_NET):
        expr = network_expression(net, (x1, x2))
        for x, b in [((3, 1), (0, 0)), ((Fraction(5, 2), -1), (1, 2)), ((0, 0), (2, 0))]:
            delta = expr.subs({x1: x[0], x2: x[1]}) - expr.subs({x1: b[0], x2: b[1]})
            assert sum(deeplift_rescale(net, x, b)) == delta


def test_network_expressions_agree_on_positive_inputs():
    x1, x2 = sp.symbols("x1 x2")
    f = network_expression(F_NET, (x1, x2))
    g = network_expression(G_NET, (x1, x2))
    for a in range(0, 5):
        for c in range(0, 5):
            assert f.subs({x1: a, x2: c}) == g.subs({x1: a, x2: c})


def test_deeplift_zero_delta_uses_gradient():
    # one unit whose pre-activation does not move: z = x2 + 1 > 0, relu' = 1
    net = [([[1, 0], [0, 1]], [0, 1], "relu"), ([[1, 1]], [0], "identity")]
    assert deeplift_rescale(net, (2, 0), (0, 0)) == (2, 0)


@pytest.mark.parametrize("layers, exc", [
    ([], DimensionError),
    ([([[1, 0]], [0], "tanh")], UnsupportedFunctionError),
    ([([[1]], [0], "relu")], DimensionError),
    ([([[1, 0], [0, 1]], [0], "relu")], DimensionError),
    ([([[1, 0], [0, 1]], [0, 0], "relu")], DimensionError),
    ([([["1", 0]], [0], "relu")], UnsupportedFunctionError),
    ([([[float("nan"), 0]], [0], "relu")], UnsupportedFunctionError),
])
def test_deeplift_bad_networks_are_user_errors(layers, exc):
    with pytest.raises(exc) as info:
        deeplift_rescale(layers, (1, 2), (0, 0))
    assert isinstance(info.value, IGVerifyError)
    assert "\n" not in str(info.value)
