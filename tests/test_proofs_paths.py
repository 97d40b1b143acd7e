"""Paths: construction, continuity, monotonicity, boxes, affine images."""

from __future__ import annotations

import pytest
import sympy as sp

from proofs import (
    DimensionError,
    Function,
    PathError,
    affine_image,
    attribute,
    closed_loop,
    concatenate,
    curve,
    polyline,
    straight,
)

R = sp.Rational


def test_endpoints_and_points_are_exact():
    p = polyline([(0, 0), (R(1, 3), 0), (R(1, 3), R(2, 7))])
    assert p.start == (0, 0) and p.end == (R(1, 3), R(2, 7))
    assert p.point(R(3, 4)) == (R(1, 3), R(1, 7))


def test_monotone():
    assert straight((0, 0), (1, -1)).is_monotone()
    assert polyline([(0, 0), (1, 0), (1, 1)]).is_monotone()
    assert not polyline([(0, 0), (1, 0), (0, 1)]).is_monotone()
    assert curve(["t", "t**2"]).is_monotone()
    assert not curve(["t", "t*(1 - t)"]).is_monotone()  # rises then falls back
    assert curve(["sin(pi*t/2)", "t**3"]).is_monotone()


def test_stays_in_box():
    assert curve(["t", "t**2"]).stays_in_box((0, 0), (1, 1))
    # 4t(1-t) - t/2 peaks above... 2t(1 - t) + t has max 9/8 at t = 3/4 > 1
    assert not curve(["t", "2*t*(1 - t) + t"]).stays_in_box((0, 0), (1, 1))
    assert polyline([(0, 0), (1, 0), (1, 1)]).stays_in_box((1, 1), (0, 0))


def test_loops_and_repetition():
    loop = closed_loop([(0, 0), (1, 0), (1, 1)])
    assert loop.is_closed() and len(loop) == 3 and len(loop.repeated(3)) == 9
    with pytest.raises(PathError, match="closed"):
        straight((0, 0), (1, 1)).repeated(2)


def test_concatenation_must_be_continuous():
    with pytest.raises(PathError, match="ends at"):
        concatenate(straight((0, 0), (1, 1)), straight((1, 0), (2, 2)))
    with pytest.raises(DimensionError):
        concatenate(straight((0, 0), (1, 1)), straight((1, 1, 1), (2, 2, 2)))


def test_affine_image_moves_endpoints():
    p = affine_image(polyline([(0, 0), (1, 0), (1, 1)]), (2, -1), (R(1, 2), 3))
    assert p.start == (R(1, 2), 3) and p.end == (R(5, 2), 2)


def test_curve_errors():
    with pytest.raises(PathError, match="not smooth"):
        curve(["abs(t - 1/2)", "t"])
    with pytest.raises(Exception, match="unknown name"):
        curve(["s", "t"])


def test_dimension_mismatch_between_path_and_function():
    with pytest.raises(DimensionError, match="3 coordinates"):
        attribute(Function("x1*x2"), straight((0, 0, 0), (1, 1, 1)))


def test_attribution_is_parametrisation_invariant():
    # the same geometric curve y = x^2 traversed as (t, t^2) and (t^2, t^4)
    F = Function("x1*x2 + x1**3")
    assert attribute(F, curve(["t", "t**2"])).values == attribute(
        F, curve(["t**2", "t**4"])).values
