"""The exact engines against published values, hand derivations and each other."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proofs import (
    Function,
    IntegrationError,
    NotDifferentiableError,
    attribute,
    closed_loop,
    concatenate,
    curve,
    integrated_gradients,
    polyline,
    straight,
)

R = sp.Rational


# -- published values (issue 2, papers 000 App. E.1, 001 Example 1, 002, 004) -------------

def test_xu_reference_path_x1_x2_squared():
    # paper 000, App. E.1: segments (0,0), (0,1), (-1,0), (0,0), (1/3,2/3); total (-2/3, 5/3)
    path = polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)])
    A = attribute(Function("x1*x2**2"), path)
    assert A.values == (R(-2, 3), R(5, 3))
    assert A.segment_values == ((0, 0), (0, 1), (-1, 0), (0, 0), (R(1, 3), R(2, 3)))
    assert A.completeness_gap == 0


def test_lerma_curve_t_t_squared():
    # paper 001, Example 1: IG_1 = area under y = x^2 = 1/3, IG_2 = area above = 2/3
    A = attribute(Function("x1*x2"), curve(["t", "t**2"]))
    assert A.values == (R(1, 3), R(2, 3))


def test_saturation_one_minus_relu():
    # paper 004: f(x) = 1 - relu(1 - x), baseline 0, input 2: IG = 1, gradient x input = 0
    A = integrated_gradients(Function("1 - relu(1 - x)", variables=["x"]), [2])
    assert A.values == (1,)
    assert [b.t for b in A.breakpoints] == [R(1, 2)]
    gradient_times_input = sp.diff(Function("1 - relu(1 - x)", ["x"]).expr,
                                   sp.Symbol("x", real=True)).subs(sp.Symbol("x", real=True), 2)
    assert gradient_times_input * 2 == 0


def test_relu_half():
    # paper 002: F = max(0, x - 0.5) at x = 1: IG = 1/2
    assert integrated_gradients(Function("max(0, x1 - 0.5)"), [1]).values == (R(1, 2),)


def test_captum_basic_model2_network():
    # Sundararajan et al. 2017 / Captum BasicModel2: (3, 1), baseline 0 -> (1.5, -0.5)
    A = integrated_gradients(Function("relu(relu(x1) - 1 - relu(x2))"), [3, 1])
    assert A.values == (R(3, 2), R(-1, 2))
    B = integrated_gradients(Function("relu(relu(x1 - 1) - relu(x2))"), [3, 1])
    assert B.values == (R(3, 2), R(-1, 2))


def test_winding_paths_x1_x2():
    # paper 000, App. F: n times clockwise around the boundary, then straight: (1/2+n, 1/2-n)
    loop = closed_loop([(0, 0), (0, 1), (1, 1), (1, 0)])
    for n in (1, 2, 3):
        path = concatenate(loop.repeated(n), straight((0, 0), (1, 1)))
        assert attribute(Function("x1*x2"), path).values == (R(1, 2) + n, R(1, 2) - n)


# -- hand derivations ----------------------------------------------------------------------

def test_monomials_split_by_exponent():
    # F = x^a homogeneous of degree |a| on the straight path from 0: IG_i = a_i/|a| * F(x)
    F = Function("x1**2 * x2 * x3**3")
    A = integrated_gradients(F, [1, 2, R(1, 3)])
    value = F(1, 2, R(1, 3))
    assert A.values == (value * R(2, 6), value * R(1, 6), value * R(3, 6))


def test_irrational_breakpoint_is_exact():
    # relu(x1*x2 - 1/2) on the diagonal: switches at t = 1/sqrt(2); by symmetry each gets 1/4
    A = integrated_gradients(Function("relu(x1*x2 - 1/2)"), [1, 1])
    assert A.values == (R(1, 4), R(1, 4))
    (b,) = A.breakpoints
    assert b.exact and sp.simplify(b.t - 1 / sp.sqrt(2)) == 0


def test_algebraic_breakpoint_of_a_cubic():
    # |x1^3 - 3 x1 x2 ... |: use max(x1**3, 1/3) on 0 -> 1: breakpoint at 3^(-1/3), IG = 1 - 1/3
    A = integrated_gradients(Function("max(x1**3, 1/3)"), [1])
    assert A.values == (R(2, 3),)
    (b,) = A.breakpoints
    assert b.exact and abs(sp.N(b.t - sp.Rational(1, 3) ** R(1, 3), 50)) < 1e-45


def test_transcendental_breakpoint_exact_when_sympy_names_it():
    # max(exp(x1) - 2, 0) on 0 -> 1: the kink is at t = log 2 exactly; IG = e - 2
    A = integrated_gradients(Function("max(exp(x1) - 2, 0)"), [1], dps=40)
    (b,) = A.breakpoints
    assert b.exact and b.t == sp.log(2)
    assert sp.simplify(A.values[0] - (sp.E - 2)) == 0
    B = integrated_gradients(Function("relu(sin(10*x1))*x2"), [1, 1])
    assert [b.t for b in B.breakpoints] == [sp.pi / 10, sp.pi / 5, 3 * sp.pi / 10]


def test_transcendental_breakpoint_is_certified_numerically():
    # max(cos(3 x1) - x1, 0) on 0 -> 1: kink where cos(3t) = t (no closed form);
    # in one dimension IG = F(1) - F(0) = -1
    A = integrated_gradients(Function("max(cos(3*x1) - x1, 0)"), [1], dps=40)
    (b,) = A.breakpoints
    assert not b.exact and "certified" in b.how
    assert abs(sp.N(sp.cos(3 * b.t) - b.t, 60)) < sp.Float(10) ** -40
    assert abs(sp.N(A.values[0] + 1, 60)) < sp.Float(10) ** -40


def test_nested_max_min_two_breakpoints():
    # F = max(min(x1, 1/2), x1 - 1/4) on 0 -> 1: slope 1 on [0,1/2), 0 on (1/2, 3/4), 1 after
    A = integrated_gradients(Function("max(min(x1, 1/2), x1 - 1/4)"), [1])
    assert A.values == (R(3, 4),)
    assert sorted(b.t for b in A.breakpoints) == [R(1, 2), R(3, 4)]


def test_abs_in_three_variables():
    # F = |x1 - x2| * x3 from 0 to (1, 3, 2): on the line x1 - x2 = -2t < 0, F = (x2 - x1) x3
    # IG of the polynomial (x2 - x1) x3 (degree 2, homogeneous): IG_i = x_i dF/dx_i / 2 ... by hand:
    # A1 = int_0^1 (-x3(t)) * 1 dt = -2/2 = -1; A2 = int 2t*3 dt = 3; A3 = int 2t*2 dt = 2
    A = integrated_gradients(Function("abs(x1 - x2) * x3"), [1, 3, 2])
    assert A.values == (-1, 3, 2)


def test_reversal_negates():
    F = Function("x1*x2**2 + max(x1, 1/2)*x2")
    path = polyline([(0, 0), (1, 0), (1, 1)])
    forward = attribute(F, path).values
    backward = attribute(F, path.reversed()).values
    assert tuple(-v for v in forward) == backward


def test_closed_loop_completeness_zero_total():
    A = attribute(Function("x1*x2**2"), closed_loop([(0, 0), (1, 0), (1, 1), (0, 1)]))
    # Green's theorem: A1 = -A2 = -(area integral of d(x1 x2^2)/dx1 ...) = -1 on coordinate 1
    assert A.values == (-1, 1) and A.delta_F == 0 and A.completeness_gap == 0


def test_mpmath_error_estimate_and_digits():
    A = integrated_gradients(Function("tanh(3*x1)*x2"), [1, 1], engine="mpmath", dps=60)
    S = integrated_gradients(Function("tanh(3*x1)*x2"), [1, 1], engine="symbolic")
    # hand: A1 = int_0^1 3t sech^2(3t) dt = tanh(3) - log(cosh(3))/3, A2 = log(cosh(3))/3
    assert close(S.values[0], sp.tanh(3) - sp.log(sp.cosh(3)) / 3, 90)
    assert close(S.values[1], sp.log(sp.cosh(3)) / 3, 90)
    assert close(A.total, sp.tanh(3), 58)
    assert A.error < mpmath.mpf(10) ** -55
    for s, m in zip(S.values, A.values):
        assert close(s, m, 58)


def to_mpf(value):
    if isinstance(value, mpmath.mpf):
        return value
    return mpmath.mpf(sp.Float(sp.S(value).evalf(100), 100)._mpf_)


def close(a, b, digits):
    """|a - b| <= 10^-digits * max(1, |b|), computed at 100 digits."""
    with mpmath.workdps(100):
        a, b = to_mpf(a), to_mpf(b)
        return abs(a - b) <= mpmath.mpf(10) ** -digits * max(1, abs(b))


# -- what F cannot do ---------------------------------------------------------------------

def test_max_on_diagonal_names_term_and_interval():
    with pytest.raises(NotDifferentiableError) as info:
        integrated_gradients(Function("max(x1, x2)"), [1, 1])
    message = str(info.value)
    assert "Max(x1, x2)" in message and "t in [0, 1]" in message


def test_tie_that_does_not_matter_is_noted_not_raised():
    # relu(max(x1, x2) - 5) is 0 near the diagonal segment [0, 1]^2: differentiable, A = 0
    A = integrated_gradients(Function("relu(max(x1, x2) - 5)"), [1, 1])
    assert A.values == (0, 0) and A.notes


def test_tie_only_on_part_of_a_polyline():
    # along (0,0)->(1,1)->(2,1): the diagonal segment is a tie of max(x1, x2), the second is not
    with pytest.raises(NotDifferentiableError, match=r"t in \[0, 1/2\]"):
        attribute(Function("max(x1, x2)"), polyline([(0, 0), (1, 1), (2, 1)]))


def test_symbolic_without_closed_form_says_use_mpmath():
    with pytest.raises(IntegrationError, match="mpmath"):
        integrated_gradients(Function("x1**2*tanh(x2)"), [1, 2])


# -- cross-engine properties --------------------------------------------------------------

coefficient = st.integers(-3, 3).map(sp.Integer) | st.fractions(
    min_value=-2, max_value=2, max_denominator=4).map(lambda f: R(f.numerator, f.denominator))
x1, x2 = sp.symbols("x1 x2", real=True)


@st.composite
def polynomials(draw):
    terms = draw(st.lists(st.tuples(coefficient, st.integers(0, 2), st.integers(0, 2)),
                          min_size=1, max_size=3))
    return sum(c * x1**a * x2**b for c, a, b in terms)


@st.composite
def kinked_functions(draw):
    kind = draw(st.sampled_from(["max", "min", "abs", "relu_sum", "nested", "smooth"]))
    p, q = draw(polynomials()), draw(polynomials())
    if kind == "max":
        return sp.Max(p, q)
    if kind == "min":
        return sp.Min(p, q)
    if kind == "abs":
        return sp.Abs(p) + q
    if kind == "relu_sum":
        return sp.Max(0, p) - sp.Max(0, q)
    if kind == "nested":
        r = draw(polynomials())
        return sp.Max(sp.Min(p, q), r)
    return p * q


points = st.tuples(coefficient, coefficient)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinked_functions(), points, points)
def test_symbolic_and_mpmath_agree_and_completeness_is_exact(expr, x, baseline):
    assume(x != baseline)
    F = Function(expr, variables=[x1, x2])
    try:
        S = integrated_gradients(F, x, baseline)
    except NotDifferentiableError:
        assume(False)
    M = integrated_gradients(F, x, baseline, engine="mpmath", dps=30)
    assert S.completeness_gap == 0  # Lipschitz on the segment: completeness holds exactly
    for s, m in zip(S.values, M.values):
        assert close(s, m, 25)


@settings(max_examples=25, deadline=None)
@given(kinked_functions(), st.lists(points, min_size=2, max_size=4))
def test_polyline_engines_agree(expr, waypoints):
    path = polyline(waypoints)
    F = Function(expr, variables=[x1, x2])
    try:
        S = attribute(F, path)
    except NotDifferentiableError:
        assume(False)
    M = attribute(F, path, engine="mpmath", dps=30)
    assert S.completeness_gap == 0
    for s, m in zip(S.values, M.values):
        assert close(s, m, 25)


@settings(max_examples=4, deadline=None)
@given(st.integers(1, 2), st.integers(1, 2))
def test_curves_with_analytic_functions(a, b):
    # along (t^a, t^b) from (0,0) to (1,1): A1 + A2 = F(1,1) - F(0,0) = e + 1/4
    F = Function("exp(x1)*x2 + relu(x1 - x2/2 - 1/4)")
    path = curve([f"t**{a}", f"t**{b}"])
    M = attribute(F, path, engine="mpmath", dps=30)
    assert close(M.total, sp.E + sp.Rational(1, 4), 25)
    try:
        S = attribute(F, path)
    except IntegrationError:
        return
    for s, m in zip(S.values, M.values):
        assert close(s, m, 25)


# -- symbolic endpoints: an attribution as an identity --------------------------------------

def test_symbolic_endpoints_give_identities():
    a, b, c, d = sp.symbols("a b c d", real=True)
    # hand: on the straight path from 0, IG of x1*x2 splits F(x) = ab equally
    assert integrated_gradients(Function("x1*x2"), [a, b]).values == (a * b / 2, a * b / 2)
    # completeness for any baseline, as a polynomial identity in a, b, c, d
    A = integrated_gradients(Function("x1*x2**2 + sin(x1)"), [a, b], [c, d])
    assert A.completeness_gap == 0
    assert sp.simplify(A.total - (a * b**2 + sp.sin(a) - c * d**2 - sp.sin(c))) == 0


def test_symbolic_endpoints_refuse_kinks_and_mpmath():
    a = sp.Symbol("a", real=True)
    with pytest.raises(Exception, match="smooth F"):
        integrated_gradients(Function("relu(x1)"), [a])
    with pytest.raises(Exception, match="numeric endpoints"):
        integrated_gradients(Function("x1**2"), [a], engine="mpmath")
    with pytest.raises(Exception, match="poles, logs or roots"):
        integrated_gradients(Function("log(x1 + 2)"), [a])


def test_lipschitz_on_a_box():
    assert Function("max(x1, x2)*tanh(x1) + abs(x2)").is_lipschitz_on((-1, -1), (1, 1)) is True
    assert Function("1/(x1 - 2)").is_lipschitz_on((0,), (1,)) is True
    assert Function("1/(x1 - 1/2)").is_lipschitz_on((0,), (1,)) is None
    assert Function("log(x1 - 3)").is_lipschitz_on((0,), (1,)) is False


def test_timeout_turns_a_stalled_closed_form_into_an_error():
    import time

    start = time.monotonic()
    with pytest.raises(IntegrationError, match="gave up after 1 s"):
        integrated_gradients(Function("tanh(sigmoid(softplus(x1)))*x2"), [1, 1], timeout=1)
    assert time.monotonic() - start < 10
    # the same function to 30 digits with mpmath (completeness: F(1, 1) - F(0, 0))
    M = integrated_gradients(Function("tanh(sigmoid(softplus(x1)))*x2"), [1, 1],
                             engine="mpmath", dps=30)
    exact = sp.tanh(1 / (1 + sp.exp(-sp.log(1 + sp.E))))
    assert close(M.total, exact, 28)


@pytest.mark.parametrize("dps", [20, 50])
def test_mpmath_keeps_its_digits_at_an_integrable_endpoint_singularity(dps):
    # d/dx sqrt(x) = 1/(2 sqrt(x)) is singular at the baseline 0; IG = sqrt(1) - sqrt(0) = 1 and,
    # by hand, sqrt(x1 + x2**2) on the diagonal gives A2 = int_0^1 t/sqrt(t + t^2) dt
    A = integrated_gradients(Function("sqrt(x1)"), [1], engine="mpmath", dps=dps)
    assert close(A.values[0], 1, dps - 5)
    B = integrated_gradients(Function("sqrt(x1 + x2**2)"), [1, 1], engine="mpmath", dps=dps)
    a2 = sp.integrate(sp.Symbol("t") / sp.sqrt(sp.Symbol("t") + sp.Symbol("t") ** 2),
                      (sp.Symbol("t"), 0, 1))
    assert close(B.values[1], a2, dps - 5)
    assert close(B.total, sp.sqrt(2), dps - 5)
