"""proofs.theorems: the Lipschitz bound of Theorem 4 and Lerma & Lucas' Theorem 1 witness.

Expected values are derived by hand in the comments (maxima of small polynomials, integrals of
low-degree polynomials).
"""

from __future__ import annotations

import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.errors import UnsupportedFunctionError
from proofs.theorems import Certificate
from proofs.theorems.lerma_theorem1 import (
    separation_certificate,
    witness_function,
    witness_g,
)
from proofs.theorems.lipschitz_bound import (
    ig_polynomial,
    lipschitz_certificate,
    polynomial_max_on_box,
)

R = sp.Rational
x1, x2, t = sp.symbols("x1 x2 t")


# --- polynomial maxima ----------------------------------------------------------------------------

def test_max_interior_edge_and_vertex():
    # x(1 - x) on [0, 1]: interior maximum 1/4 at 1/2.
    assert polynomial_max_on_box(x1 * (1 - x1), [x1], [(0, 1)]) == (R(1, 4), (R(1, 2),))
    # -(x1 - 1/3)^2 - (x2 - 2/3)^2 on [0, 1]^2: 0 at (1/3, 2/3).
    value, point = polynomial_max_on_box(-(x1 - R(1, 3)) ** 2 - (x2 - R(2, 3)) ** 2,
                                         [x1, x2], [(0, 1), (0, 1)])
    assert value == 0 and point == (R(1, 3), R(2, 3))
    # x1 - x2 on [0, 1]^2: vertex (1, 0).
    assert polynomial_max_on_box(x1 - x2, [x1, x2], [(0, 1), (0, 1)]) == (1, (1, 0))
    # x1**3 - x1 on [-2, 2]: max at the end 2 (value 6), not at the critical -1/sqrt(3).
    assert polynomial_max_on_box(x1 ** 3 - x1, [x1], [(-2, 2)])[0] == 6


def test_max_irrational_critical_point():
    # x - x**3 on [0, 1]: critical point 1/sqrt(3), value 2/(3 sqrt(3)) = 2 sqrt(3)/9.
    value, _ = polynomial_max_on_box(x1 - x1 ** 3, [x1], [(0, 1)])
    assert sp.simplify(value - 2 * sp.sqrt(3) / 9) == 0


def test_max_rejects_non_polynomials():
    try:
        polynomial_max_on_box(sp.sin(x1), [x1], [(0, 1)])
    except UnsupportedFunctionError:
        pass
    else:
        raise AssertionError("sin accepted")


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=6, max_size=6))
def test_max_is_at_least_every_grid_value(c):
    p = c[0] + c[1] * x1 + c[2] * x2 + c[3] * x1 ** 2 + c[4] * x1 * x2 + c[5] * x2 ** 2
    value, point = polynomial_max_on_box(p, [x1, x2], [(0, 1), (0, 1)])
    assert sp.simplify(p.subs({x1: point[0], x2: point[1]}) - value) == 0
    for a in range(5):
        for b in range(5):
            assert sp.N(value - p.subs({x1: R(a, 4), x2: R(b, 4)}), 30) >= -1e-25


# --- Theorem 4 ----------------------------------------------------------------------------------

def test_ig_polynomial_by_hand():
    # F = x1**2 x2, baseline 0: IG_1 = x1 * int 2 t x1 * t x2 dt = 2 x1**2 x2 / 3.
    assert sp.expand(ig_polynomial(x1 ** 2 * x2, [x1, x2], 0, [0, 0]) - 2 * x1 ** 2 * x2 / 3) == 0
    # Completeness: IG_1 + IG_2 = F(x) - F(x') for a baseline off 0.
    F = x1 ** 2 * x2 + x2 ** 3
    b = [R(1, 2), -1]
    total = ig_polynomial(F, [x1, x2], 0, b) + ig_polynomial(F, [x1, x2], 1, b)
    assert sp.expand(total - (F - F.subs({x1: b[0], x2: b[1]}))) == 0


def test_lipschitz_certificate_by_hand():
    cert = lipschitz_certificate(x1 ** 2 * x2, [x1, x2], [(0, 1), (0, 1)], 0, [0, 0])
    assert isinstance(cert, Certificate) and cert.holds
    v = cert.values
    assert v["M"] == 2                       # max |2 x1 x2|
    assert v["L"] == 2 * sp.sqrt(3)          # max sqrt(4 x2**2 + 8 x1**2) at (1, 1)
    assert sp.simplify(v["bound"] - (2 + sp.sqrt(3))) == 0
    assert v["measured"] == 2 * sp.sqrt(5) / 3   # |(4/3, 2/3)| at (1, 1)


def test_lipschitz_quadratic_with_constant_hessian():
    # F = x1*x2 on [0, 2]^2, i = 1: M = 2, H = [[0,1],[1,0]], ||H||_F = sqrt(2),
    # bound = 2 + 2*sqrt(2)/2; IG_1 = x1 x2 / 2, max |grad| = |(1, 1)| = sqrt(2).
    cert = lipschitz_certificate(x1 * x2, [x1, x2], [(0, 2), (0, 2)], 0, [0, 0])
    assert cert.holds
    assert sp.simplify(cert.values["bound"] - (2 + sp.sqrt(2))) == 0
    assert cert.values["measured"] == sp.sqrt(2)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(-2, 2), min_size=4, max_size=4),
       st.integers(0, 1), st.integers(0, 2), st.integers(0, 2))
def test_theorem4_bound_holds_on_random_polynomials(c, i, b1, b2):
    F = c[0] * x1 ** 2 + c[1] * x1 * x2 + c[2] * x2 ** 3 + c[3] * x1 ** 2 * x2
    cert = lipschitz_certificate(F, [x1, x2], [(0, 2), (0, 2)], i, [b1, b2])
    assert cert.holds, str(cert)


# --- Lerma & Lucas, Theorem 1 -------------------------------------------------------------------

def test_witness_is_symmetric_and_flat_outside():
    g = witness_g(R(1, 4), R(3, 4))
    assert [g(sp.Integer(0)), g(R(1, 2)), g(sp.Integer(1))] == [0, R(1, 4), R(1, 2)]
    F = witness_function(R(1, 4), R(3, 4), x1, x2)
    assert F.xreplace({x1: x2, x2: x1}) == F


def test_separation_certificate_parabola():
    # gamma = (t**2, t) on [0, 1]: i is the lower coordinate t**2, j = t; c = 0, d = 1.
    # A_i = int t * 2t dt = 2/3, A_j = int t**2 dt = 1/3, difference 1/3 = 2 int (t - t**2) 2t dt.
    cert = separation_certificate(t ** 2, t, t, 0, 1)
    assert cert.holds
    assert (cert.values["A_i"], cert.values["A_j"]) == (R(2, 3), R(1, 3))
    assert cert.values["difference"] == R(1, 3)


def test_separation_certificate_bump():
    cert = separation_certificate(R(1, 4) + t / 2, R(1, 4) + t / 2 + t ** 2 * (1 - t) ** 2,
                                  t, 0, 1)
    assert cert.holds
    assert (cert.values["A_i"], cert.values["A_j"]) == (R(17, 120), R(13, 120))


def test_separation_fails_on_the_diagonal_and_on_wrong_order():
    assert not separation_certificate(t, t, t, 0, 1).holds
    # gamma_i above gamma_j: the hypothesis gamma_i < gamma_j fails.
    assert not separation_certificate(t, t ** 2, t, 0, 1).holds


def test_separation_rejects_non_polynomials():
    try:
        separation_certificate(sp.sin(t), t, t, 0, 1)
    except UnsupportedFunctionError:
        pass
    else:
        raise AssertionError("sin accepted")
