"""The counterexamples: every published value asserted exactly, plus the command line.

The expected numbers come from the papers (Lundstrom, Huang & Razaviyayn (2022); Lerma & Lucas
(2021); AI Wiki (2026); IG tutorial (2026); see REFERENCES.md) or, where the paper gives only a
statement, from the hand derivations written in each module's docstring.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp
from conftest import _run_main

import counterexamples
from counterexamples import (
    cantor_staircase,
    claim1_nonmonotone,
    ig_not_lipschitz,
    lerma_area,
    lerma_symmetric_path,
    lerma_theorem1_witness,
    najmi_cost_share,
    winding_paths,
    xu_asi,
)
from counterexamples.base import exact_equal, fmt, local_branch
from proofs import Function, NotDifferentiableError, attribute, integrated_gradients

R = sp.Rational
ROOT = Path(__file__).resolve().parents[1]

NAMES = ["claim1-nonmonotone", "xu-asi", "najmi-cost-share", "ig-not-lipschitz",
         "winding-paths", "lerma-area", "lerma-symmetric-path", "lerma-theorem1-witness",
         "cantor-staircase", "max-on-diagonal", "saturation", "relu-half",
         "implementation-invariance"]


@pytest.fixture(scope="session")
def results(counterexample_runs):
    """Every counterexample's Result, computed once per test run (tests/conftest.py)."""
    return {name: result for name, (result, _) in counterexample_runs.items()}


@pytest.fixture(scope="session")
def figures(counterexample_figures):
    """Every counterexample's figure, drawn once per test run (tests/conftest.py)."""
    return {name: png for name, (png, _) in counterexample_figures.items()}


def test_registry_has_the_thirteen_in_order():
    assert counterexamples.names() == NAMES
    assert [c.name for c in counterexamples.all_counterexamples()] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_counterexample_agrees(name, results):
    ce = counterexamples.get(name)
    result = results[name]
    assert result.agrees, ce.report(result)
    assert result.lines, "a derivation is printed"
    assert ce.claim and ce.source and ce.published_text


# --- Lundstrom, Huang & Razaviyayn (2022) ----------------------------------------------------

def test_claim1_nonmonotone_negative_share_exactly():
    A = attribute(claim1_nonmonotone.F, claim1_nonmonotone.method_path((1, 1), (0, 0)))
    assert A.values == (R(-1, 2), R(3, 2))
    assert [tuple(s) for s in A.segment_values] == [(0, 0), (0, 1), (-1, 0), (0, 0),
                                                    (R(1, 2), R(1, 2))]
    assert not claim1_nonmonotone.method_path((1, 1), (0, 0)).is_monotone()


def test_xu_asi_published_segments_and_total():
    # App. E.1: IG(P1..P5) = (0,0), (0,1), (-1,0), (0,0), (1/3,2/3); total (-2/3, 5/3).
    A = attribute(xu_asi.F, xu_asi.method_path((1, 1), (0, 0)))
    assert [tuple(s) for s in A.segment_values] == [(0, 0), (0, 1), (-1, 0), (0, 0),
                                                    (R(1, 3), R(2, 3))]
    assert A.values == (R(-2, 3), R(5, 3))


def test_xu_asi_correct_form_holds_and_footnote_form_fails():
    checks = xu_asi.asi_checks(n_maps=3, seed=7)
    assert all(correct for _, correct, _, _ in checks)
    assert not any(footnote for _, _, footnote, _ in checks)


def test_xu_asi_by_hand_affine_map():
    # T'(y) = (2*y1 + 1, y2), x = (1, 1), x' = (0, 0): F o T'^-1 = (y1 - 1)/2 * y2**2.
    T, pull_inverse, _ = xu_asi.affine_map(0, sp.Integer(2), sp.Integer(1))
    lhs = xu_asi.method(xu_asi.F, (1, 1), (0, 0))
    rhs = xu_asi.method(pull_inverse(xu_asi.F), T((1, 1)), T((0, 0)))
    assert lhs == rhs == (R(-2, 3), R(5, 3))


def test_najmi_cost_share_minus_one():
    y = sp.Symbol("y")
    assert najmi_cost_share.method(Function(y, variables=[y]), (1,), (0,)) == -1


def test_ig_not_lipschitz_jump_is_two():
    jump, _ = ig_not_lipschitz.symbolic_jump()
    assert jump == 2
    for e in (R(1, 2), R(1, 10 ** 9)):
        a = integrated_gradients(ig_not_lipschitz.F, (1, 1 + e / 2)).values
        b = integrated_gradients(ig_not_lipschitz.F, (1, 1 - e / 2)).values
        assert (a[0], b[0]) == (-1, 1)
    with pytest.raises(NotDifferentiableError):
        integrated_gradients(ig_not_lipschitz.F, (1, 1))


def test_ig_not_lipschitz_smooth_bound_by_hand(results):
    result = results["ig-not-lipschitz"]
    _, bound, measured = result.computed
    assert exact_equal(bound, 2 + sp.sqrt(3))
    assert exact_equal(measured, 2 * sp.sqrt(5) / 3)


@pytest.mark.parametrize("n", [-2, -1, 0, 1, 2, 3])
def test_winding_paths_half_plus_n(n):
    A = attribute(winding_paths.F, winding_paths.gamma(n))
    assert A.values == (R(1, 2) + n, R(1, 2) - n)


def test_winding_paths_partial_sums_oscillate():
    sums = winding_paths.partial_sums(6)
    # S_K,1 = 1/2 - 2^-(K+1) - (1 if K odd else 0)
    assert [s[0] for s in sums] == [R(1, 2) - R(1, 2 ** (K + 1)) - (K % 2) for K in range(1, 7)]
    assert all(s[0] + s[1] == 1 - R(1, 2 ** K) for K, s in enumerate(sums, start=1))


# --- Lerma & Lucas (2021) ----------------------------------------------------------------------

def test_lerma_area_is_area_under_and_above():
    A = attribute(lerma_area.F, lerma_area.PATH)
    assert A.values == (R(1, 3), R(2, 3))
    assert A.values[0] < A.values[1]


def test_lerma_symmetric_path_instance_and_caveat():
    t = lerma_symmetric_path.T
    assert exact_equal(lerma_symmetric_path.family((0, 0), (1, 2)), (t ** 2, t ** 2 + t))
    A = attribute(Function("x1*x2"), lerma_symmetric_path.family_path((0, 0), (1, 2)))
    assert A.values == (R(7, 6), R(5, 6))
    assert lerma_symmetric_path.family_path((0, 0), (1, 2)).is_monotone()
    assert not lerma_symmetric_path.family_path((0, 0), (1, 3)).is_monotone()
    assert exact_equal(lerma_symmetric_path.family((5, 5), (2, 2)), (5 - 3 * t, 5 - 3 * t))


def test_lerma_witness_separates():
    A = attribute(lerma_theorem1_witness.F, lerma_theorem1_witness.PATH)
    assert A.values == (R(17, 120), R(13, 120))


def test_cantor_levels_are_complete_and_limit_is_not():
    for k in (1, 3):
        assert integrated_gradients(cantor_staircase.staircase(k), (1,), (0,)).values == (1,)
    assert cantor_staircase.removed_length() == 1
    assert len(cantor_staircase.surviving_intervals(4)) == 16


def test_max_on_diagonal_raises():
    with pytest.raises(NotDifferentiableError):
        integrated_gradients(Function("max(x, y)", variables=["x", "y"]), (1, 1))


# --- AI Wiki (2026) and IG tutorial (2026) -------------------------------------------------------

def test_saturation_published(results):
    assert results["saturation"].computed == (0, 1)


def test_relu_half_published(results):
    assert results["relu-half"].computed == (R(1, 2), 1)


def test_implementation_invariance_published(results):
    computed = results["implementation-invariance"].computed
    ig_f, ig_g, dl_f, dl_g = computed
    assert ig_f == ig_g == (R(3, 2), R(-1, 2))
    assert dl_f == (R(3, 2), R(-1, 2)) and dl_g == (2, -1)


# --- base helpers ---------------------------------------------------------------------------------

def test_exact_equal_and_fmt():
    assert exact_equal((R(1, 2), sp.sqrt(2) ** 2), (R(1, 2), 2))
    assert not exact_equal((1, 2), (1, 3))
    with pytest.raises(TypeError):
        exact_equal(0.5, R(1, 2))
    assert fmt((R(-2, 3), sp.tanh(3) / 3)) == "(-2/3, tanh(3)/3)"


def test_local_branch():
    x = sp.Symbol("x")
    assert local_branch(1 - sp.Max(0, 1 - x), {x: 2}) == 1
    assert local_branch(sp.Abs(x - 1), {x: 0}) == 1 - x
    with pytest.raises(ValueError):
        local_branch(sp.Max(x, 1 - x), {x: R(1, 2)})


def test_all_thirteen_draw_their_figures_as_pngs(figures):
    assert list(figures) == NAMES
    for name, out in figures.items():
        assert out is not None and out.name == f"{name}.png"
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name, wanted, unwanted", [
    # the right panel names F and says what the curve is (not "T(rho(t))")
    ("xu-asi", ["F = x1*x2**2, A(x, x', F) = (-41/24, 49/12)",
                "the method's path: the reference path mapped by T"], ["T(rho(t))"]),
    # D is defined where it is used
    ("lerma-symmetric-path", ["D = (p1 - p2)**2 + (q1 - q2)**2"], []),
    # one set of names: F's variables are y1, y2, and so is the input's axis
    ("ig-not-lipschitz", ["s (input y1 = 1, y2 = 1 + s; baseline (0, 0))"],
     ["s (input x2 = 1 + s; baseline 0)"]),
])
def test_figure_labels_say_what_they_show(name, wanted, unwanted, counterexample_figures):
    text = " ".join(" ".join(t.split()) for t in counterexample_figures[name][1])
    for phrase in wanted:
        assert phrase in text, (phrase, text)
    for phrase in unwanted:
        assert phrase not in text, phrase


# --- command line -------------------------------------------------------------------------------

def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "counterexamples", *args], cwd=cwd or ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def _cached(monkeypatch, results, figures):
    """The command line in this process, on the results and figures computed once per run."""
    from counterexamples import __main__ as cli
    from counterexamples.base import Counterexample

    monkeypatch.setattr(cli, "_run", lambda ce: results[ce.name])
    monkeypatch.setattr(Counterexample, "figure", lambda ce, directory: figures[ce.name])
    return cli.main


def test_cli_json_all_agree(tmp_path, monkeypatch, capsys, results, figures):
    main = _cached(monkeypatch, results, figures)
    assert main(["--json", "--figures", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = data["counterexamples"]
    assert [r["name"] for r in rows] == NAMES
    assert all(r["agrees"] is True for r in rows)
    for r in rows:
        assert {"name", "claim", "published", "computed", "agrees", "figure"} <= set(r)
        assert Path(r["figure"]).is_file()  # every counterexample draws its figure


def test_cli_one_name_prints_derivation(monkeypatch, capsys, results, figures):
    main = _cached(monkeypatch, results, figures)
    assert main(["xu-asi"]) == 0
    out = capsys.readouterr().out
    assert "segment 5: (0, 0) -> (1, 1)" in out
    assert "(-2/3, 5/3)" in out and "Agrees:    yes" in out


def test_cli_table_fits_its_columns(monkeypatch, capsys, results, figures):
    main = _cached(monkeypatch, results, figures)
    assert main(["--no-figures"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0]
    width = header.index("claim refuted")
    assert width == max(len(n) for n in NAMES) + 2  # the name column fits the longest name
    assert "13/13 agree" in out


def test_cli_list():
    proc = _run_main("counterexamples", "--list")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    # one column of names, two spaces wide of the longest: every title starts in it
    assert {len(line) - len(line[len(line.split()[0]):].lstrip()) for line in lines} == \
        {max(map(len, NAMES)) + 2}


def test_cli_bad_name_and_option_exit_2_one_line():
    # the unknown name in a real process (its exit status), the bad option in this one
    unknown = _cli("foo")
    for proc in (unknown, _run_main("counterexamples", "--nope")):
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "unknown counterexample 'foo'" in unknown.stderr


def test_cli_unwritable_figures_directory_exit_2_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = _run_main("counterexamples", "--figures", str(blocker / "figs"))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "cannot write figures" in proc.stderr
