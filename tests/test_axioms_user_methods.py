"""User methods: one contract for check, assert_axiom, the matrix and the CLI; verdicts that
say what was shown; tolerance for floats; method failures reported as errors, never as axiom
verdicts; bad input a one-line error with exit status 2."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import broken_methods as B
import pytest
import sympy as sp
from conftest import _run_main

from axioms import METHODS, Method, assert_axiom, check, check_all, evaluate
from axioms.contract import MethodOutputError
from proofs import Function

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


@pytest.fixture
def cli(monkeypatch):
    """``python -m axioms ARGS`` in this process (conftest's run_main), with ``extra_path``
    importable; the real processes are _run's tests below and test_structure.py's."""
    def run(args, extra_path=None):
        if extra_path is not None:
            monkeypatch.syspath_prepend(str(extra_path))
        return _run_main("axioms", *args)
    return run


def _run(args, extra_path=None, timeout=300):
    env = dict(os.environ)
    paths = [str(ROOT), str(TESTS)] + ([str(extra_path)] if extra_path else [])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run([sys.executable, "-m", "axioms", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize("form", [B.scaled, "broken_methods:scaled", Method("scaled", B.scaled)])
def test_one_contract_for_check_and_assert_axiom(form):
    v = check(form, "completeness", max_examples=0)
    assert v.verdict == "violated"
    # x1*x2**2 from 0 to (1, 1): IG = (1/3, 2/3), times 0.99: sum 0.99, off by 0.01
    assert v.witness["function"] == "x1*x2**2" and v.witness["size"] == "0.01"
    with pytest.raises(AssertionError, match="smallest example"):
        assert_axiom(form, "completeness", max_examples=0)


def test_midpoint_rule_error_is_reported_with_its_size():
    # midpoint rule with 50 steps on d/dt F(t, t) = 3 t**2: error h**2/24 * (6 - 0) = 1e-4
    v = check(B.midpoint, "completeness", ["x1*x2**2"], max_examples=0)
    assert v.verdict == "violated" and v.witness["size"] == "0.0001"
    assert "0.9999" in v.witness["got"]
    ok = check(B.midpoint, "completeness", ["x1*x2**2"], max_examples=5, rtol=1e-3)
    assert ok.verdict == "no counterexample" and "rtol=0.001" in ok.evidence


def test_float32_rounding_is_caught_by_default_and_accepted_with_rtol():
    v = check(B.float32, "completeness", max_examples=0)
    assert v.verdict == "violated" and float(v.witness["size"]) < 1e-6
    assert check(B.float32, "completeness", max_examples=3, rtol=1e-6).verdict == \
        "no counterexample"


def test_exact_answers_are_compared_exactly():
    def off_by_tiny(F, x, baseline):
        a = list(METHODS["ig"](F, x, baseline))
        a[0] += sp.Rational(1, 10**30)
        return a

    v = check(off_by_tiny, "completeness", max_examples=0)
    assert v.verdict == "violated" and v.witness["size"] == "1e-30"


@pytest.mark.parametrize("name", B.MALFORMED)
def test_malformed_output_is_an_error_not_a_violation(name):
    v = check(getattr(B, name), "completeness", max_examples=3)
    assert v.verdict == "error", v.message()
    assert v.witness["input"] and v.witness["error"] and "\n" not in v.witness["error"]
    assert "not an axiom verdict" in v.evidence


def test_crash_on_one_input_is_an_error_with_that_input():
    def picky(F, x, baseline):
        if len(x) == 1:
            raise IndexError("list index out of range")
        return B.exact_ig_floats(F, x, baseline)

    v = check(picky, "sensitivity-a", max_examples=10)
    assert v.verdict == "error" and "IndexError" in v.witness["error"]
    assert v.witness["input"].count(",") == 0  # the one-variable input that broke it


def test_evaluate_validates_output():
    F = Function("x1*x2")
    with pytest.raises(MethodOutputError, match="3 attributions for 2 variables"):
        evaluate(B.wrong_length, F, (1, 1), (0, 0))
    with pytest.raises(MethodOutputError, match="finite"):
        evaluate(B.nan, F, (1, 1), (0, 0))
    a = evaluate(B.exact_ig_numpy, F, (1, 1), (0, 0))
    assert a == (sp.Rational(1, 2), sp.Rational(1, 2)) and a.inexact


def test_unsupported_function_for_a_method_is_undecided():
    v = check("deeplift", "completeness", functions=[Function("x1*x2")], max_examples=5)
    assert v.verdict == "undecided"
    assert "deeplift" in v.evidence


def test_proved_by_identity_for_the_given_function():
    v = check(METHODS["ig"], "completeness", ["x1*x2**2 + x3"], max_examples=0)
    assert v.verdict == "proved" and "identity" in v.evidence and "x1*x2**2 + x3" in v.evidence
    # a float method cannot take symbolic inputs: tested, not proved
    w = check(B.exact_ig_floats, "completeness", ["x1*x2**2 + x3"], max_examples=3)
    assert w.verdict == "no counterexample" and "holds" not in w.evidence


def test_the_search_is_deterministic_for_a_seed():
    a = check(B.exact_ig_floats, "linearity", max_examples=4, seed=7).to_dict()
    b = check(B.exact_ig_floats, "linearity", max_examples=4, seed=7).to_dict()
    assert a == b and a["examples"]["random"] > 0


def test_shapley_shubik_equals_discrete_shapley_value():
    F = Function("x1*x2**2 + relu(x1 - x3) + x2*x3")
    x, b = (2, 1, sp.Rational(1, 2)), (0, -1, 1)
    assert METHODS["shapley-shubik"](F, x, b) == METHODS["shapley-value"](F, x, b)


def test_report_renders_in_notebooks():
    r = check_all("cost-share", ["linearity", "completeness"], max_examples=1)
    assert r.exit_status == 1
    assert "<table>" in r._repr_html_() and "| linearity | proved |" in r._repr_markdown_()
    assert r["completeness"].verdict == "violated"


# -- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("expr, examples", [(["relu(relu(x1) - 1 - relu(x2))"], "0"),
                                           (["relu(relu(x1) - 1 - relu(x2))"], "200"),
                                           ([], "0"), ([], "200")])
def test_cli_issue_example_is_consistent_at_any_budget(cli, expr, examples):
    # a midpoint-rule IG steps over a kink just before the input: A_1 = 0 while F changes
    r = cli(["check", *expr, "--method", "broken_methods:midpoint", "--axiom",
              "sensitivity-a", "--axiom", "dist-sensitivity-a", "--examples", examples,
              "--json"])
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    single, dist = out["results"]
    assert single["verdict"] == dist["verdict"] == "violated"
    assert dist["witness"]["distribution"] == "{" + single["witness"]["baseline"] + ": 1}"
    assert single["witness"]["input"] == dist["witness"]["input"]
    assert set(single) == {"axiom", "verdict", "evidence", "witness", "examples"}


def test_cli_user_method_by_module_function(tmp_path, cli):
    (tmp_path / "mymethods.py").write_text(textwrap.dedent("""
        from proofs import integrated_gradients

        def scaled_ig(F, x, baseline):
            A = integrated_gradients(F, x, baseline)
            return [v * 99 / 100 for v in A.values]
    """))
    r = cli(["check", "x1*x2**2", "--method", "mymethods:scaled_ig", "--axiom",
              "completeness", "--axiom", "dummy", "--examples", "3", "--json"], tmp_path)
    assert r.returncode == 1, r.stderr  # a violation, like a failing test
    out = json.loads(r.stdout)
    verdicts = {x["axiom"]: x["verdict"] for x in out["results"]}
    # dummy: the identity A_3 = 0 for symbolic inputs, F with an extra variable x3
    assert verdicts == {"completeness": "violated", "dummy": "proved"}
    w = out["results"][0]["witness"]
    assert w["function"] == "x1*x2**2" and set(w) >= {"input", "baseline", "expected", "got"}


def test_cli_method_error_exits_3():
    r = _run(["check", "--method", "broken_methods:wrong_length", "--axiom", "completeness",
              "--examples", "0"])
    assert r.returncode == 3 and "error" in r.stdout and "3 attributions" in r.stdout


@pytest.mark.parametrize("args", [
    ["check", "x1*", "--method", "ig"],
    ["check", "x1", "--method", "nope"],
    ["check", "x1", "--method", "no_such_module_xyz:f"],
    ["check", "x1", "--method", "ig", "--axiom", "nope"],
    ["check", "__import__('os')", "--method", "ig"],
    ["check", "x1", "--method", "ig", "--rtol", "-1"],
    ["matrix", "--method", "nope"],
    ["frobnicate"],
])
def test_cli_user_errors_exit_2_with_one_line(cli, args):
    r = cli(args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr


def test_cli_help_has_the_glossary(cli):
    r = cli(["check", "--help"])
    assert r.returncode == 0
    for slug in ("d-sens-a", "impl-inv", "ndp", "asi", "Lundstrom, Huang & Razaviyayn (2022)"):
        assert slug in r.stdout


def test_cli_matrix_of_a_user_method_has_its_row_only(cli):
    r = cli(["matrix", "--json", "--examples", "1", "--axiom", "completeness", "--method",
              "broken_methods:scaled"])
    assert r.returncode == 0, r.stderr
    cells = json.loads(r.stdout)["cells"]
    assert [(c["method"], c["axiom"], c["verdict"]) for c in cells] == [
        ("broken_methods:scaled", "completeness", "violated")]


def test_cli_help_states_what_grad_x_input_computes(cli):
    r = cli(["matrix", "--help"])
    assert r.returncode == 0
    assert "grad-x-input: gradient x input, x_i * dF/dx_i(x): the baseline is ignored" in \
        " ".join(r.stdout.split())


def test_cli_matrix_json_with_an_added_row():
    r = _run(["matrix", "--json", "--examples", "1", "--axiom", "completeness", "--method",
              "broken_methods:scaled", "--with-builtins"])
    assert r.returncode == 0, r.stderr
    cells = json.loads(r.stdout)["cells"]
    table = {(c["method"], c["axiom"]): c for c in cells}
    assert table[("broken_methods:scaled", "completeness")]["verdict"] == "violated"
    assert table[("ig", "completeness")]["verdict"] == "proved"
    assert table[("cost-share", "completeness")]["verdict"] == "violated"
    assert set(cells[0]) == {"method", "axiom", "verdict", "witness", "evidence"}


def test_functions_outside_an_axioms_hypothesis_are_undecided_not_an_error():
    v = check("ig", "symmetry", ["x1**2"], max_examples=3)
    assert v.verdict == "undecided" and "enough variables" in v.evidence
    assert check("ig", "completeness", ["sqrt(x1)"], max_examples=2).verdict == \
        "no counterexample"  # Lipschitz hypothesis not met: tested, not proved


def test_functions_with_other_variable_names_are_renamed():
    x, y = sp.symbols("x y", real=True)
    v = check("ig", "completeness", [Function(x * y**2, variables=[x, y])], max_examples=0)
    assert v.verdict == "proved" and "F = x1*x2**2" in v.evidence
