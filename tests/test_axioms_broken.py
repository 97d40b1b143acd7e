"""A suite of deliberately broken attribution methods (tests/broken_methods.py): each is
caught with a witness from the known families, and correct methods (exact IG returned as
floats) are never reported violated with the default tolerance."""

import broken_methods as B
import pytest

from axioms import check, check_all


@pytest.mark.parametrize("name", sorted(B.BROKEN))
def test_broken_method_is_caught_by_the_known_families(name):
    v = check(getattr(B, name), B.BROKEN[name], max_examples=0)
    assert v.verdict == "violated", v.message()
    w = v.witness
    assert {"function", "input", "expected", "got", "size", "family"} <= set(w)
    assert float(w["size"]) > 0
    assert "found in the known family" in v.evidence


@pytest.mark.parametrize("name", ["rounded", "winner_takes_all"])
def test_all_axioms_without_an_expression_catch_it(name):
    report = check_all(getattr(B, name), max_examples=0)
    assert report.exit_status == 1
    assert any(r.verdict == "violated" for r in report)


@pytest.mark.parametrize("name", B.CORRECT)
def test_correct_float_methods_are_never_violated(name):
    report = check_all(getattr(B, name), max_examples=4)
    bad = [r.message() for r in report if r.verdict not in ("no counterexample", "proved")]
    assert not bad, bad
    assert report.exit_status == 0


def test_correct_float_method_on_given_functions():
    report = check_all(B.exact_ig_floats, functions=["relu(relu(x1) - 1 - relu(x2))",
                                                     "x1*x2**2"], max_examples=2)
    assert report.exit_status == 0, str(report)
