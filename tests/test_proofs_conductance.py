"""proofs.conductance: exact conductance of F = G(H(x)) as the path method of G along H o gamma
(Lundstrom, Huang & Razaviyayn (2022), eq. 6), against hand derivations."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from proofs import (
    DimensionError,
    Function,
    IGVerifyError,
    compose_path,
    conductance,
    curve,
    integrated_gradients,
    polyline,
    straight,
)

G2 = Function("h1*h2 + h1", variables=["h1", "h2"])
TENT = ["x1", "relu(x1) - 2*relu(x1 - 1/2)"]


def test_worked_example_non_monotone_layer_path():
    # by hand (module docstring): H o gamma = (t, tent(t)); IG_*,1 = int (h2 + 1) dt = 5/4,
    # IG_*,2 = int h1 h2' dt = 1/8 - 3/8 = -1/4; sum 1 = F(1) - F(0)
    A = conductance(TENT, G2, [1])
    assert A.values == (sp.Rational(5, 4), sp.Rational(-1, 4))
    assert A.delta_F == 1 and A.completeness_gap == 0
    assert "0" in str(A)  # the table prints the gap
    inner = compose_path(TENT, straight([0], [1]))
    assert not inner.is_monotone()
    assert len(inner.segments) == 2  # split where relu(x1 - 1/2) switches, t = 1/2
    assert inner.point(sp.Rational(1, 2)) == (sp.Rational(1, 2), sp.Rational(1, 2))
    m = conductance(TENT, G2, [1], engine="mpmath", dps=30)
    assert abs(m.values[0] - mpmath.mpf(5) / 4) < mpmath.mpf(10) ** -25
    assert abs(m.values[1] + mpmath.mpf(1) / 4) < mpmath.mpf(10) ** -25


def test_two_inputs_relu_layer_against_hand_derivation():
    # x from (0, 0) to (2, 1): H1 = relu(x1 - x2) = t, H2 = relu(x2 - x1/4) = t/2 on [0, 1];
    # G = h1 h2: IG_*,1 = int (t/2) dt = 1/4, IG_*,2 = int t * 1/2 dt = 1/4, sum 1/2 = F(x).
    H = ["relu(x1 - x2)", "relu(x2 - x1/4)"]
    A = conductance(H, Function("h1*h2", variables=["h1", "h2"]), [2, 1])
    assert A.values == (sp.Rational(1, 4), sp.Rational(1, 4))
    assert A.completeness_gap == 0
    # baseline (1, 1): x = (1 + t, 1), H1 = t, H2 = relu(1 - (1 + t)/4) = (3 - t)/4:
    # IG_*,1 = int h2 h1' = int_0^1 (3 - t)/4 dt = 5/8, IG_*,2 = int h1 h2' = -1/8
    B = conductance(H, Function("h1*h2", variables=["h1", "h2"]), [2, 1], baseline=[1, 1])
    assert B.values == (sp.Rational(5, 8), sp.Rational(-1, 8))


def test_conductance_sums_to_integrated_gradients_of_the_composition():
    # sum_j IG_*,j = sum_i IG_i = F(x) - F(x') for F = G o H, here with a kink in G too
    H = ["x1*x2", "relu(x1 - 1/3) - x2"]
    G = Function("max(h1, h2) + h1**2", variables=["h1", "h2"])
    A = conductance(H, G, [1, 2], baseline=[0, 1])
    F = Function("max(x1*x2, relu(x1 - 1/3) - x2) + (x1*x2)**2")
    ig = integrated_gradients(F, [1, 2], baseline=[0, 1])
    assert sp.simplify(A.total - ig.total) == 0
    assert A.completeness_gap == 0 and A.delta_F == ig.delta_F


def test_curved_and_polyline_paths():
    # gamma(t) = (t, t^2), H = (x1 x2), G = h^2: one unit, conductance = F(1,1) - F(0,0) = 1
    A = conductance(["x1*x2"], Function("h1**2", variables=["h1"]), curve(["t", "t**2"]))
    assert A.values == (1,)
    # polyline (0,0) -> (1,0) -> (1,1) with H = (x1, x2), G = h1 h2: IG_*,1 = 0, IG_*,2 = 1
    B = conductance(["x1", "x2"], Function("h1*h2", variables=["h1", "h2"]),
                    polyline([(0, 0), (1, 0), (1, 1)]))
    assert B.values == (0, 1)


def test_errors():
    with pytest.raises(DimensionError, match="one variable per unit"):
        conductance(TENT, Function("h1", variables=["h1"]), [1])
    with pytest.raises(IGVerifyError, match="list of Functions"):
        conductance("x1", G2, [1])
    with pytest.raises(DimensionError, match="coordinates"):
        compose_path(TENT, straight((0, 0), (1, 1)))
