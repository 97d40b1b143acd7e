"""Differentiability is a property of F: ties of max/min/abs terms decided from F itself.

Each expected value is derived by hand in the comments; the hypothesis test plants terms
that vanish identically (relu(g) + relu(-g) - abs(g), relu(-relu(g))) for affine g that is 0
on the whole path, and compares with the attribution of F alone.
"""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs import (
    Function,
    NotDifferentiableError,
    attribute,
    integrated_gradients,
    straight,
)

HALF = sp.Rational(1, 2)


@pytest.mark.parametrize("expr, expected", [
    # relu(-relu(z)) = 0 for every z (-relu(z) <= 0): F is identically 0, so A = (0, 0)
    ("relu(-relu(x1 - x2))", (0, 0)),
    # |z|/2 - relu(z) = -z/2 for every z (z >= 0: z/2 - z; z < 0: -z/2 - 0), with
    # z = x1 - x2: F = (x2 - x1)/2 is affine, A = (dF/dx1 * 1, dF/dx2 * 1) = (-1/2, 1/2)
    ("abs(x1 - x2)/2 - relu(x1 - x2)", (-HALF, HALF)),
    # max(-relu(z), -relu(-z)) = -min(relu(z), relu(-z)) = 0 (one of them is 0), so
    # F = x1 and A = (1, 0)
    ("max(-relu(x1 - x2), -relu(x2 - x1)) + x1", (1, 0)),
    # relu(z) + relu(-z) = |z|: F is identically 0, A = (0, 0)
    ("relu(x1-x2) + relu(x2-x1) - abs(x1-x2)", (0, 0)),
])
def test_identities_on_the_diagonal_are_attributed(expr, expected):
    A = integrated_gradients(Function(expr), [1, 1])
    assert A.values == expected
    assert A.completeness_gap == 0
    assert any("decided from F's one-sided derivatives" in n for n in A.notes)


def test_a_crossing_inside_an_inactive_branch_is_not_a_gradient_change():
    # along (0,1) -> (1,0): x1 - 1 = t - 1 <= 0 and x2 - 1 = -t <= 0, so F = max(., 0) = 0
    # everywhere; the inner max switches at t = 1/2 but F's gradient does not change there
    A = attribute(Function("max(max(x1-1, x2-1), 0)"), straight((0, 1), (1, 0)))
    assert A.values == (0, 0)
    assert [b.t for b in A.breakpoints if b.changes_gradient] == []
    assert [(b.t, b.changes_gradient) for b in A.breakpoints] == [(HALF, False)]
    assert A.to_dict()["breakpoints"][0]["changes_gradient"] is False


def test_a_real_kink_is_a_gradient_change_and_segments_number_alike():
    # relu(x1 - 1/2) * x2 along (0,0)->(1,1): the gradient jumps from (0, 0) to (x2, x1-1/2)
    A = integrated_gradients(Function("relu(x1 - 1/2) * x2"), [1, 1])
    (b,) = A.breakpoints
    assert b.changes_gradient and b.t == HALF and b.segment == 0
    assert A.to_dict()["breakpoints"][0]["segment"] == b.segment == A.pieces[0].segment


def test_refusal_names_the_coordinate_and_the_interval():
    # max(x1, x2) on the diagonal: along +e1 the max follows x1 (slope 1), along -e1 it
    # follows x2 (slope 0): the one-sided derivatives 1 and 0 differ, dF/dx1 does not exist
    with pytest.raises(NotDifferentiableError,
                       match=r"dF/dx1 does not exist for t in \[0, 1\].*1 \(along \+x1\) "
                             r"and 0 \(along -x1"):
        integrated_gradients(Function("max(x1, x2)"), [1, 1])


def test_a_coordinate_the_path_does_not_move_in_gets_the_stated_convention():
    # |x1 - 1| along x1 = 1, x2: 0 -> 2: dF/dx1 does not exist anywhere on the path (one-sided
    # derivatives +1 and -1), but x1 does not move, so its integrand has the factor 0 and
    # A[x1] = 0; F = 0 on the path, so A[x2] = 0
    A = attribute(Function("abs(x1 - 1) + x2*0"), straight((1, 0), (1, 2)))
    assert A.values == (0, 0)
    assert any("does not move in x1" in n and "convention" in n for n in A.notes)


def test_gradient_at_a_tie_asks_F():
    # relu(-relu(x1 - x2)) is 0 near (1, 1): gradient (0, 0); max(x1, x2) has none there
    assert Function("relu(-relu(x1 - x2))").gradient_at((1, 1)) == (0, 0)
    with pytest.raises(NotDifferentiableError, match="dF/dx1"):
        Function("max(x1, x2)").gradient_at((1, 1))


def test_slope_order_changing_inside_a_tie_is_split():
    # f = (x1 - x2)(x1 + x2 - 1) is 0 on the diagonal; df/dx1 = 2t - 1 there changes sign at
    # t = 1/2, so max(f, 0) has one-sided x1-derivatives max(2t-1, 0) and min(2t-1, 0): they
    # differ on both halves: F is not differentiable along the diagonal
    with pytest.raises(NotDifferentiableError, match="dF/dx1"):
        integrated_gradients(Function("relu((x1 - x2)*(x1 + x2 - 1))"), [1, 1])


coefficient = st.integers(-3, 3)
point = st.tuples(st.integers(-3, 3), st.integers(1, 3))


@settings(max_examples=25, deadline=None)
@given(x=point, a=coefficient, b=coefficient, c=coefficient, k=st.integers(1, 3),
       plant=st.sampled_from(["relu(g) + relu(-g) - abs(g)", "relu(-relu(g))",
                              "max(-relu(g), -relu(-g))", "abs(g)/2 - relu(g) + g/2"]))
def test_planted_identities_change_nothing(x, a, b, c, k, plant):
    # F has its own kink; g = k*(x2*y1 - x1*y2) vanishes on the whole straight path from 0
    # to x = (x1, x2), and every planted term is identically 0 in g
    F = f"{a}*y1*y2 + relu({b}*y1 + {c}*y2 + 1) + {c}*y2"
    g = f"({k}*({x[1]}*y1 - ({x[0]})*y2))"
    planted = F + " + " + plant.replace("g", g)
    names = ["y1", "y2"]
    reference = integrated_gradients(Function(F, names), list(x))
    A = integrated_gradients(Function(planted, names), list(x))
    assert A.values == reference.values
    assert A.completeness_gap == 0
