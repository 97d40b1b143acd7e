"""``python -m proofs attribute``: JSON output and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "proofs", "attribute", *args],
                          capture_output=True, text=True, timeout=120)


def test_json_published_xu_values():
    out = run("x1*x2**2", "--path", "polyline:0,0;1,0;1,1;0,1;0,0;1,1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["attributions"] == ["-2/3", "5/3"]
    assert data["numeric"] == pytest.approx([-2 / 3, 5 / 3])
    assert data["sum"] == "1" and data["delta_F"] == "1" and data["completeness_gap"] == "0"
    assert data["engine"] == "symbolic" and data["breakpoints"] == []


def test_json_curve_and_mpmath_digits():
    out = run("x1*x2", "--path", "curve:t,t**2", "--engine", "mpmath", "--dps", "40", "--json")
    data = json.loads(out.stdout)
    assert data["attributions"][0].startswith("0.3333333333333333333333333333333333333")
    assert data["engine"] == "mpmath"


def test_breakpoints_in_json():
    out = run("1 - relu(1 - x)", "--vars", "x", "--input", "2", "--json")
    data = json.loads(out.stdout)
    assert data["attributions"] == ["1"]
    assert [b["t"] for b in data["breakpoints"]] == ["1/2"]


def test_human_table():
    out = run("max(0, x1 - 1/2)", "--input", "1")
    assert out.returncode == 0 and "A[x1] = 1/2" in out.stdout


@pytest.mark.parametrize("args", [
    ("__import__('os').system('echo hacked')", "--input", "1"),
    ("x1 +", "--input", "1"),
    ("nope(x1)", "--input", "1"),
    ("10**10**10", "--input", "1"),
    ("x1*x2", "--input", "1"),
    ("x1*x2", "--path", "polyline:0,0;1,1", "--input", "1,2"),
    ("x1*x2", "--path", "polyline:0,0;1,1", "--baseline", "1,0"),
    ("x1*x2", "--path", "spiral:1"),
    ("x1*x2",),
    ("max(x1, x2)", "--input", "1,1"),
    ("x1", "--input", "1", "--dps", "100000"),
    ("x1", "--input", "a,b"),
    ("x1", "--input", "1", "--engine", "numpy"),
    ("x1", "--bogus"),
    ("x*y", "--vars", "x,x", "--input", "1,1"),
])
def test_user_errors_exit_2_with_one_line(args):
    out = run(*args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "Traceback" not in out.stderr and "hacked" not in out.stdout
