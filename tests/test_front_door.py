"""What a new user meets first, as issue 21 found it: each message names the real column and
says what to type; plots and results show what was typed, to the digits asked for.

The commands run in this process (``proofs.cli.main``: the same shell as ``python -m proofs``).
"""

from __future__ import annotations

import pytest
import sympy as sp

from proofs import Function, attribute, curve, integrated_gradients, parse_point
from proofs.cli import main


def _error(capsys, *argv: str) -> str:
    """Run ``python -m proofs ARGV`` here; it must fail with status 2 and one stderr line."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_caret_says_use_double_star_first_at_the_caret_column(capsys):
    err = _error(capsys, "attribute", "x^2", "--vars", "x", "--input", "1")
    assert err == "error: EXPR: use ** for powers, not '^' at column 2; e.g. x**2"
    err = _error(capsys, "attribute", "(x1 + 1) ^ 2", "--input", "1")
    assert "use ** for powers, not '^' at column 10" in err


def test_other_operators_are_named_by_their_symbol_at_their_column(capsys):
    err = _error(capsys, "attribute", "x1 + x2 % 3", "--input", "1,1")
    assert "'%' is not allowed at column 9" in err


def test_a_point_in_brackets_is_read():
    assert parse_point("[1, 2]") == (1, 2) == parse_point("(1, 2)")
    assert parse_point("(1 + 1)*2, 3") == (4, 3)  # parentheses inside a coordinate stay
    with pytest.raises(ValueError, match="coordinates separated by commas"):
        parse_point("[1, 2")


def test_input_in_brackets_from_the_command_line(capsys):
    assert main(["attribute", "x1*x2", "--input", "[1, 2]", "--json"]) == 0
    assert '"attributions": ["1", "1"]' in capsys.readouterr().out


def test_a_point_split_by_the_shell_says_what_to_type(capsys):
    err = _error(capsys, "attribute", "x1*x2", "--input", "1,", "2")
    assert err == ('error: --input 1, 2: the shell split the point at its space; type '
                   '--input 1,2 (no spaces) or quote it: --input "1, 2"')


def test_missing_vars_hint_names_the_variables(capsys):
    err = _error(capsys, "attribute", "1 - relu(1 - x)", "--input", "2")
    assert "unknown name 'x' at column 14" in err and "--vars x " in err


def test_a_curve_typed_in_t_is_echoed_in_t(capsys):
    assert main(["attribute", "x1*x2", "--path", "curve:t,t**2"]) == 0
    out = capsys.readouterr().out
    assert "along Path(t -> (t, t**2), t in [0, 1])" in out and "(u, u**2)" not in out


def test_mpmath_results_show_the_digits_asked_for():
    A = attribute(Function("x1*x2"), curve(["t", "t**2"]), engine="mpmath", dps=30)
    assert "0.333333333333333333333333333333" in repr(A)  # not mpmath's 17 digits
    assert "0.333333333333333333333333333333" in str(A)


def test_one_dps_default_for_attribute_and_plot():
    import inspect

    from proofs.cli import _build_parser
    from proofs.plot import plot
    from proofs.precision import DEFAULT_DPS

    parser = _build_parser()
    assert parser.parse_args(["attribute", "x1"]).dps == DEFAULT_DPS
    assert parser.parse_args(["plot", "x1", "--out", "f.png"]).dps == DEFAULT_DPS
    assert inspect.signature(plot).parameters["dps"].default == DEFAULT_DPS
    assert inspect.signature(integrated_gradients).parameters["dps"].default == DEFAULT_DPS


def test_plot_title_shows_the_expression_as_typed():
    from proofs.plot import plot

    fig = plot("max(x1, 2*x2) - relu(x1 - 1/2)", input=[1, 1])
    assert fig.axes[0].get_title(loc="left").splitlines()[0] == \
        "F = max(x1, 2*x2) - relu(x1 - 1/2)"  # not sympy's -Max(0, x1 - 1/2) + Max(...)


def test_plot_of_an_undefined_attribution_writes_the_figure_and_exits_2(capsys, tmp_path):
    out = tmp_path / "diagonal.png"
    err = _error(capsys, "plot", "max(x1, x2)", "--input", "1,1", "--out", str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "the attribution is undefined" in err and "not differentiable" in err
    assert f"the figure in {out} shows where" in err


def test_the_kinks_module_chooses_relu_branches_by_value_then_slope():
    # the kinks module's (value, slope) rule, by hand: relu(x) at 0 moving right is x
    from proofs.kinks import branches, choose, takes_largest

    x = sp.Symbol("x", real=True)
    kink = sp.Max(0, x)
    values, slopes = [b.subs(x, 0) for b in branches(kink)], \
        [sp.diff(b, x) for b in branches(kink)]
    right = choose(values, slopes, takes_largest(kink))
    left = choose(values, [-s for s in slopes], takes_largest(kink))
    assert [branches(kink)[i] for i in right] == [x]
    assert [branches(kink)[i] for i in left] == [0]
