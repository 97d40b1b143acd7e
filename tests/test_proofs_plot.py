"""proofs.plot and ``python -m proofs plot``: what the figures show, checked against hand values.

The pictures are checked through the data they draw: the plotted integrand of each coordinate
must have the area the hand derivation gives (trapezoid rule on the drawn points), breakpoints
must sit where the kink changes sign, the legend must list each piece's contribution, and the
module must not touch matplotlib's backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from conftest import _run_main
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs import Function, IGVerifyError, plot, polyline

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _areas(ax) -> float:
    """Sum of the trapezoid areas under the solid lines drawn on ``ax`` (the integrand)."""
    total = 0.0
    for line in ax.get_lines():
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if line.get_linestyle() != "-" or len(x) < 3 or not np.all(np.diff(x) > 0):
            continue
        total += float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))
    return total


def test_xu_path_legend_lists_each_segment_by_hand():
    # Lundstrom, Huang & Razaviyayn (2022), App. E.1: segments (0,0), (0,1), (-1,0), (0,0),
    # (1/3,2/3); total (-2/3, 5/3).
    fig = plot("x1*x2**2", "polyline:0,0;1,0;1,1;0,1;0,0;1,1")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    pieces = [lab.split("A += ")[1] for lab in labels if lab.startswith("piece")]
    assert pieces == ["(0, 0)", "(0, 1)", "(-1, 0)", "(0, 0)", "(1/3, 2/3)"]
    assert "A = (-2/3, 5/3)" in ax.get_title(loc="left")
    assert any("baseline x' = (0, 0)" in lab for lab in labels)


def test_two_variables_breakpoint_and_kinks():
    # max(x1, 2*x2) - relu(x1 - 1/2) along t*(1, 1): relu switches at t = 1/2, i.e. at
    # (1/2, 1/2); by hand A = (0, 1) + (-1/2, 1) = (-1/2, 2).
    fig = plot("max(x1, 2*x2) - relu(x1 - 1/2)", input="1,1")
    ax = fig.axes[0]
    marks = [line.get_xydata()[0].tolist() for line in ax.get_lines()
             if line.get_marker() == "X" and len(line.get_xdata())]
    assert marks == [[0.5, 0.5]]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "kinks (max/min/abs switch)" in labels
    assert "A = (-1/2, 2)" in ax.get_title(loc="left")


def test_one_variable_integrand_area_is_the_attribution():
    # 1 - relu(1 - x) from 0 to 2: slope 1 until x = 1, then flat; IG = 1 (the IG tutorial's
    # example of gradient x input failing: the gradient at x = 2 is 0).
    fig = plot("1 - relu(1 - x)", input=[2], variables=["x"])
    assert len(fig.axes) == 3
    assert _areas(fig.axes[2]) == pytest.approx(1.0, abs=1e-9)
    f_ax = fig.axes[0]
    kinks = [line.get_xdata()[0] for line in f_ax.get_lines() if line.get_linestyle() == "--"
             and len(line.get_xdata())]
    assert kinks == pytest.approx([1.0])


def test_five_variables_one_panel_each_with_hand_areas():
    # F = x1*x2 + x3*x4*x5 along t*(1, 2, 1, 2, 3): A1 = A2 = 1*2/2 = 1, A3 = A4 = A5 = 6/3 = 2.
    fig = plot("x1*x2 + x3*x4*x5", input="1,2,1,2,3")
    assert len(fig.axes) == 5
    # (quadratic integrands: the trapezoid rule on ~300 points is off by O(1e-5))
    assert [_areas(ax) for ax in fig.axes] == pytest.approx([1, 1, 2, 2, 2], abs=1e-4)


def test_five_variables_with_a_kink_shades_two_pieces():
    # relu(x1 - 2*x2) + x3 + x4 + x5 from (0, 1, 0, 0, 0) to (2, 1/2, 1, 1, 1):
    # x1 - 2 x2 = 2t - 2 + t = 3t - 2, switches at t = 2/3; afterwards dF/dx1 = 1 (speed 2),
    # dF/dx2 = -2 (speed -1/2): A1 = 2/3, A2 = 1/3, A3..5 = 1.
    fig = plot("relu(x1 - 2*x2) + x3 + x4 + x5", input="2,1/2,1,1,1", baseline="0,1,0,0,0")
    assert [_areas(ax) for ax in fig.axes] == pytest.approx([2 / 3, 1 / 3, 1, 1, 1], abs=1e-9)
    breaks = {round(float(line.get_xdata()[0]), 12) for line in fig.axes[0].get_lines()
              if line.get_color() == "C3" and line.get_linestyle() == "--"}
    assert breaks == {round(2 / 3, 12)}


def test_undefined_attribution_is_drawn_with_the_reason():
    # max(x, y) has no partial derivatives on x = y (Lerma & Lucas (2021), sec. 1.2.1).
    fig = plot("max(x, y)", input=[1, 1], variables=["x", "y"])
    assert "A undefined" in fig.axes[0].get_title(loc="left")


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=4, max_size=4),
       st.lists(st.fractions(-2, 2, max_denominator=4), min_size=2, max_size=2))
def test_title_values_match_closed_form(c, x):
    # F = c0 x1 + c1 x2 + c2 x1 x2 + c3 x1**2 along t*x: by hand
    # A1 = c0 x1 + c2 x1 x2 / 2 + c3 x1**2, A2 = c1 x2 + c2 x1 x2 / 2.
    F = Function(f"{c[0]}*x1 + {c[1]}*x2 + {c[2]}*x1*x2 + {c[3]}*x1**2")
    fig = plot(F, polyline([(0, 0), x]))
    x1, x2 = (Fraction(v) for v in x)
    a1 = c[0] * x1 + Fraction(c[2]) * x1 * x2 / 2 + c[3] * x1 ** 2
    a2 = c[1] * x2 + Fraction(c[2]) * x1 * x2 / 2
    title = fig.axes[0].get_title(loc="left")
    assert f"A = ({a1.numerator}{'' if a1.denominator == 1 else f'/{a1.denominator}'}, " \
           f"{a2.numerator}{'' if a2.denominator == 1 else f'/{a2.denominator}'})" in title


@pytest.mark.parametrize("kwargs, message", [
    ({"function": "x1*x2", "input": [1]}, "coordinate"),
    ({"function": "x1*x2"}, "needs an input"),
    ({"function": "x1 +", "input": [1]}, "malformed"),
    ({"function": "x1*x2", "path": "spiral:1", "input": [1, 1]}, "unknown path kind"),
    ({"function": "x1*x2", "path": "polyline:0,0;1,2", "input": [1, 1]}, "not at the input"),
])
def test_bad_input_is_one_line_error(kwargs, message):
    with pytest.raises(IGVerifyError, match=message) as info:
        plot(**kwargs)
    assert "\n" not in str(info.value)


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proofs", "plot", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


def _in_process(*args: str) -> subprocess.CompletedProcess:
    """``python -m proofs plot ARGS`` in this process (conftest's run_main)."""
    return _run_main("proofs", "plot", *args)


def test_cli_writes_pngs_for_one_two_and_five_variables(tmp_path):
    cases = [("1 - relu(1 - x)", "--vars", "x", "--input", "2"),
             ("x1*x2**2", "--path", "polyline:0,0;1,0;1,1;0,1;0,0;1,1"),
             ("relu(x1 - 2*x2) * x3 + max(x4, x5)", "--input", "2,1/2,1,1,2",
              "--baseline", "0,1,0,2,0")]
    for k, case in enumerate(cases):
        out = tmp_path / f"f{k}.png"
        # the first in a real process (its imports, its exit status), the others in this one
        done = (_cli if k == 0 else _in_process)(*case, "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert out.stat().st_size > 20_000


@pytest.mark.parametrize("args", [
    ("x1*", "--input", "1", "--out", "a.png"),
    ("x1*x2", "--input", "1", "--out", "a.png"),
    ("x1*x2", "--input", "1,1", "--out", "a.pdf"),
    ("x1*x2", "--input", "1,1", "--out", "/nonexistent-dir/a.png"),
    ("__import__('os')", "--input", "1", "--out", "a.png"),
])
def test_cli_bad_input_exit_2_one_line(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a relative --out would go
    # the code-injection case in a real process (os.system would write to its stdout)
    done = (_cli if args[0].startswith("__import__") else _in_process)(*args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_imports_keep_the_notebook_backend():
    # A notebook's backend (inline) must survive importing proofs.plot and the counterexamples'
    # figure helpers, and drawing with them.
    code = ("import matplotlib; b = matplotlib.get_backend(); "
            "import proofs, counterexamples.figures; from proofs import plot; "
            "plot('x1*x2', input=[1, 1]); counterexamples.figures.new_figure(); "
            "print(b, matplotlib.get_backend())")
    env = {**os.environ, "MPLBACKEND": "svg"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["svg", "svg"]
