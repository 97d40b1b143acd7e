"""The public strategies draw what they promise (checked on every draw)."""

import sympy as sp
from hypothesis import given, settings

from axioms import cases, deeplift, deeplift_rescale, network_function
from axioms import strategies as S

FAST = settings(max_examples=20, deadline=None, derandomize=True, database=None)


@FAST
@given(S.symmetric_functions(3))
def test_symmetric_functions_are_symmetric(F):
    x1, x2, _ = F.variables
    assert sp.simplify(F.expr.xreplace({x1: x2, x2: x1}) - F.expr) == 0


@FAST
@given(S.dummy_functions(3, 1))
def test_dummy_functions_ignore_their_coordinate(F):
    assert F.variables[1] not in F.expr.free_symbols


@FAST
@given(S.monotone_problems(2))
def test_monotone_problems_are_non_decreasing_on_a_grid(problem):
    F, x, b = problem
    ts = [sp.Rational(k, 4) for k in range(5)]
    # along both axis-parallel monotone paths F does not decrease
    for order in ((0, 1), (1, 0)):
        prev = None
        for stage in order:
            for t in ts:
                p = list(b)
                for done in order[: order.index(stage)]:
                    p[done] = x[done]
                p[stage] = b[stage] + t * (x[stage] - b[stage])
                v = F.expr.xreplace(dict(zip(F.variables, p)))
                assert prev is None or v >= prev
                prev = v


@FAST
@given(S.equivalent_pairs(2), S.points(2))
def test_equivalent_pairs_agree(pair, p):
    F, G = pair
    env = dict(zip(F.variables, p))
    assert sp.expand(F.expr.xreplace(env) - G.expr.xreplace(env)) == 0


@FAST
@given(S.distributions(2))
def test_distribution_weights_sum_to_one(D):
    assert sum(w for _, w in D) == 1 and all(w > 0 for _, w in D)


@FAST
@given(S.relu_networks(2, layers=True), S.points(2), S.points(2))
def test_deeplift_on_the_expression_equals_deeplift_on_the_layers(layers, x, b):
    F = network_function(layers, 2)
    assert deeplift(F, x, b) == deeplift_rescale(layers, x, b)


@FAST
@given(cases("completeness"))
def test_cases_strategy_with_the_method_contract(case):
    import broken_methods as B

    from axioms.pytest_helper import assert_case

    assert_case(B.exact_ig_floats, "completeness", case)  # a callable, like check takes
    assert_case("ig", "completeness", case)  # a built-in name


def test_assert_case_reports_the_witness():
    import broken_methods as B
    import pytest

    from axioms import get_axiom
    from axioms.pytest_helper import assert_case

    case = get_axiom("completeness").known_cases()[2]  # x1*x2**2 from 0 to (1, 1)
    with pytest.raises(AssertionError, match="size = 0.0001"):
        assert_case("broken_methods:midpoint", "completeness", case)
    assert_case(B.midpoint, "completeness", case, rtol=1e-3)
