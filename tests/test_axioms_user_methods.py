"""User methods: planted bugs are caught with small witnesses; broken methods give a clear
verdict or a one-line error, never a crash."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sympy as sp

from axioms import METHODS, Method, assert_axiom, check, evaluate
from axioms.methods import MethodOutputError
from proofs import Function

ROOT = Path(__file__).resolve().parents[1]
ig = METHODS["ig"]


def scaled(F, x, baseline):
    return [0.99 * float(a) for a in ig(F, x, baseline)]


def swapped(F, x, baseline):
    a = list(ig(F, x, baseline))
    if len(a) >= 2:
        a[0], a[1] = a[1], a[0]
    return a


def _size(witness):
    return sum(len(v) for v in witness.values())


def test_scaled_ig_violates_completeness_with_small_witness():
    v = check(Method("scaled", scaled), "completeness", max_examples=15)
    assert v.verdict == "violated"
    assert len(v.witness["function"]) <= 40, v.witness


def test_swapped_coordinates_violate_dummy():
    v = check(Method("swapped", swapped), "dummy", max_examples=15)
    assert v.verdict == "violated"
    assert len(v.witness["function"]) <= 40, v.witness


def test_swapped_coordinates_caught_by_sensitivity_a():
    # symmetry cannot see a swap (it compares A_i and A_j where they must agree), so the swap
    # is caught by dummy (above) and by sensitivity(a): only coordinate i moves, and the
    # swapped method puts IG's A_i on coordinate j and 0 on i
    v = check(Method("swapped", swapped), "sensitivity-a", max_examples=15)
    assert v.verdict == "violated"
    assert v.witness["got"].endswith("= 0")
    assert len(v.witness["function"]) <= 40, v.witness


def test_crash_on_one_input_is_undecided_with_that_input():
    def picky(F, x, baseline):
        if len(x) == 1:
            raise IndexError("list index out of range")
        return ig(F, x, baseline)

    v = check(Method("picky", picky), "sensitivity-a", max_examples=10)
    assert v.verdict == "undecided" and "IndexError" in v.evidence
    assert v.witness["input"].count(",") == 0  # the one-variable input that broke it


def test_assert_axiom_raises_with_the_witness():
    with pytest.raises(AssertionError, match="smallest example"):
        assert_axiom(scaled, "completeness", max_examples=10)
    assert assert_axiom("ig", "dummy", max_examples=5).verdict == "holds"


def raises(F, x, baseline):
    raise ZeroDivisionError("boom")


def wrong_length(F, x, baseline):
    return [0] * (len(x) + 1)


def nan(F, x, baseline):
    return [float("nan")] * len(x)


def not_numbers(F, x, baseline):
    return ["a"] * len(x)


def test_raising_method_is_undecided_with_one_line_reason():
    v = check(Method("raises", raises), "completeness", max_examples=5)
    assert v.verdict == "undecided"
    assert "ZeroDivisionError: boom" in v.evidence and "\n" not in v.evidence
    assert v.witness is not None


@pytest.mark.parametrize("bad", [wrong_length, nan, not_numbers])
def test_invalid_output_is_a_violation_with_the_reason(bad):
    v = check(Method(bad.__name__, bad), "completeness", max_examples=5)
    assert v.verdict == "violated"
    assert "\n" not in v.witness["got"]


def test_evaluate_validates_output():
    F = Function("x1*x2")
    with pytest.raises(MethodOutputError, match="3 attributions for 2 variables"):
        evaluate(wrong_length, F, (1, 1), (0, 0))
    with pytest.raises(MethodOutputError, match="finite"):
        evaluate(nan, F, (1, 1), (0, 0))


def test_unsupported_function_for_a_method_is_undecided():
    v = check("deeplift", "completeness", functions=[Function("x1*x2")], max_examples=5)
    assert v.verdict == "undecided"
    assert "deeplift" in v.evidence


def test_shapley_shubik_equals_discrete_shapley_value():
    F = Function("x1*x2**2 + relu(x1 - x3) + x2*x3")
    x, b = (2, 1, sp.Rational(1, 2)), (0, -1, 1)
    assert METHODS["shapley-shubik"](F, x, b) == METHODS["shapley-value"](F, x, b)


def _run(args, extra_path=None, timeout=120):
    env = dict(os.environ)
    paths = [str(ROOT)] + ([str(extra_path)] if extra_path else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run([sys.executable, "-m", "axioms", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=ROOT)


def test_cli_user_method_by_module_function(tmp_path):
    (tmp_path / "mymethods.py").write_text(textwrap.dedent("""
        from proofs import integrated_gradients

        def scaled_ig(F, x, baseline):
            A = integrated_gradients(F, x, baseline)
            return [v * 99 / 100 for v in A.values]
    """))
    r = _run(["check", "x1*x2**2", "--method", "mymethods:scaled_ig", "--axiom",
              "completeness", "--axiom", "dummy", "--examples", "10", "--json"], tmp_path)
    assert r.returncode == 1, r.stderr  # a violation, like a failing test
    out = json.loads(r.stdout)
    verdicts = {x["axiom"]: x["verdict"] for x in out["results"]}
    assert verdicts == {"completeness": "violated", "dummy": "holds"}
    w = out["results"][0]["witness"]
    assert w["function"] == "x1*x2**2" and set(w) >= {"input", "baseline", "expected", "got"}


@pytest.mark.parametrize("args", [
    ["check", "x1*", "--method", "ig"],
    ["check", "x1", "--method", "nope"],
    ["check", "x1", "--method", "no_such_module_xyz:f"],
    ["check", "x1", "--method", "ig", "--axiom", "nope"],
    ["check", "__import__('os')", "--method", "ig"],
    ["frobnicate"],
])
def test_cli_user_errors_exit_2_with_one_line(args):
    r = _run(args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_cli_matrix_json():
    r = _run(["matrix", "--json", "--examples", "3"], timeout=300)
    assert r.returncode == 0, r.stderr
    cells = json.loads(r.stdout)["cells"]
    assert {c["verdict"] for c in cells} <= {"holds", "violated", "undecided"}
    table = {(c["method"], c["axiom"]): c for c in cells}
    assert table[("xu-path", "ndp")]["verdict"] == "violated"
    assert table[("ig", "ndp")]["verdict"] == "holds"
    assert set(cells[0]) == {"method", "axiom", "verdict", "witness", "evidence"}
