"""Certificates: every counterexample's derivation re-checks; any changed number is caught.

The verifier (proofs/verify.py) shares nothing with the engines beyond the parser and sympy
arithmetic, so a certificate that verifies is evidence from outside the engine.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest
import sympy as sp

from proofs import (
    Function,
    IGVerifyError,
    attribute,
    curve,
    integrated_gradients,
    polyline,
    straight,
)
from proofs.verify import CertificateError, verify


def _rejected(data) -> bool:
    """The verifier names a failed step, or refuses the data as no certificate."""
    try:
        return verify(data) is not None
    except CertificateError:
        return True


# every counterexample's certificate verifies in a fresh process: tests/test_proofs_verify.py


@pytest.mark.parametrize("expr, path, published", [
    # Xu et al. (2020)'s reference path for x1*x2**2 (Lundstrom, Huang & Razaviyayn (2022))
    ("x1*x2**2", polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)]),
     (sp.Rational(-2, 3), sp.Rational(5, 3))),
    # Lerma & Lucas (2021): x1*x2 along (t, t**2)
    ("x1*x2", curve(["t", "t**2"]), (sp.Rational(1, 3), sp.Rational(2, 3))),
    # Sundararajan, Taly & Yan (2017): 1 - relu(1 - x) from 0 to 2
    ("1 - relu(1 - x1)", straight((0,), (2,)), (1,)),
])
def test_published_values_verify(expr, path, published):
    A = attribute(Function(expr), path)
    data = A.certificate().data
    assert verify(data) is None
    assert tuple(sp.Rational(v) if "/" in v else sp.Integer(v) for v in data["values"]) \
        == published


def _leaves(obj, at=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _leaves(value, at + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _leaves(value, at + (i,))
    else:
        yield at, obj


def _mutations(value):
    """Each number in the field changed by one (alone): ints, and the digits of numbers in
    strings (not the digits of a variable name such as x1)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        yield value + 1
        return
    found = list(re.finditer(r"(?<![A-Za-z_\d])\d+", value))
    # every field, and in a long expression its first, middle and last number
    for m in {id(m): m for m in (found[:1] + found[len(found) // 2:][:1] + found[-1:])
              }.values() if len(found) > 3 else found:
        yield value[:m.start()] + str(int(m.group()) + 1) + value[m.end():]


def _set(data, at, value):
    for key in at[:-1]:
        data = data[key]
    data[at[-1]] = value


@pytest.mark.parametrize("expr, path, dps", [
    # two segments, two exact breakpoints, an active power and a product
    ("x2*relu(x1 - 1/3) + relu(x2 - 2*x1)**2", polyline([(0, 0), (0, 1), (1, 1)]), 50),
    # a numerically certified breakpoint (cos(3t) = t), values as decimals
    ("max(0, cos(3*x1) - x1)*x1", straight((0,), (1,)), 10),
    # a tie decided from F
    ("abs(x1 - x2)/2 - relu(x1 - x2) + x1*x2", straight((0, 0), (1, 1)), 50),
    # algebraic breakpoints (roots of 16u^3 - 8u + 1), named with their isolating intervals
    ("relu(x1**3 - 2*x1 + 1/2)*x2", straight((0, 0), (2, 1)), 50),
])
def test_tampering_with_any_number_is_caught(expr, path, dps):
    data = attribute(Function(expr), path, dps=dps).certificate().data
    assert verify(data) is None
    tried = 0
    for at, value in list(_leaves(data)):
        for changed in _mutations(value):
            forged = copy.deepcopy(data)
            _set(forged, at, changed)
            tried += 1
            assert _rejected(forged), (at, value, changed)
    assert tried > 25


def _cli(capsys, *args):
    """``python -m proofs ARGS`` in this process: (exit status, stdout, stderr)."""
    from proofs.cli import main

    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_certificate_verify_and_exit_codes(tmp_path, capsys):
    cert = tmp_path / "c.json"
    status, out, err = _cli(capsys, "attribute", "max(0, x1 - 1/2)*x2", "--input", "1,-2",
                            "--certificate", str(cert), "--latex")
    assert status == 0, err
    # the LaTeX derivation: F, the path, each piece's integral, the result
    assert r"\int_{\frac{1}{2}}^{1}" in out and r"A_{x_{1}} &= - \frac{3}{4}" in out
    status, out, _ = _cli(capsys, "attribute", "max(0, x1 - 1/2)*x2", "--input", "1,-2",
                          "--derivation")
    # on [1/2, 1]: dF/dx1 = x2 = -2u, integral from 1/2: 1/4 - u**2, at 1: -3/4
    assert status == 0
    assert "x1: F = x2*(x1 - 1/2) there; antiderivative 1/4 - u**2; value -3/4" in out
    status, out, _ = _cli(capsys, "verify", str(cert), "--text")
    assert status == 0 and "certificate holds" in out and "antiderivative" in out
    data = json.loads(cert.read_text())
    data["pieces"][1]["values"][0] = "-1/2"
    cert.write_text(json.dumps(data))
    status, out, _ = _cli(capsys, "verify", str(cert))
    assert status == 1 and "piece 1" in out
    for text in ("not json", json.dumps({"format": "x"}),
                 json.dumps({**data, "function": "__import__('os').system('echo hacked')"})):
        cert.write_text(text)
        status, out, err = _cli(capsys, "verify", str(cert))
        assert status == 2 and len(err.strip().splitlines()) == 1
        assert "hacked" not in out + err
    assert _cli(capsys, "verify", str(tmp_path / "missing.json"))[0] == 2
    # and once as a real process: the module entry point and its exit status
    cert.write_text("[]")
    done = subprocess.run([sys.executable, "-m", "proofs", "verify", str(cert)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_notebook_renderings_show_the_derivation():
    A = integrated_gradients(Function("relu(x1 - 1/2)*x2"), [1, 1])
    latex, page = A._repr_latex_(), A._repr_html_()
    assert latex.startswith("$$") and r"\int" in latex and r"\frac{3}{8}" in latex
    assert "<table>" in page and "x2*(x1 - 1/2)" in page and "completeness gap = 0" in page
    assert "A[x1] = 3/8" in A.certificate().text()


def test_a_certificate_that_skips_a_breakpoint_fails():
    # relu(x1 - 1/2)*x2 on the diagonal: claiming one piece u in [0, 1] with the active
    # branch x1 - 1/2 (true only for u > 1/2) is caught: the branch difference u - 1/2
    # changes sign inside the piece
    data = integrated_gradients(Function("relu(x1 - 1/2)*x2"), [1, 1]).certificate().data
    second = data["pieces"][1]
    data["breakpoints"] = []
    data["pieces"] = [dict(second, u0="0", witness="1/2")]
    assert "not active on the whole piece" in verify(data)


def test_only_the_symbolic_engine_writes_certificates():
    A = integrated_gradients(Function("x1*x2"), [1, 1], engine="mpmath", dps=15)
    with pytest.raises(IGVerifyError, match="symbolic"):
        A.certificate()
    assert A._repr_latex_().startswith("$")


def test_malformed_certificates_are_bad_input():
    data = integrated_gradients(Function("x1"), [1]).certificate().data
    for broken in ([], {**data, "variables": "x1"}, {**data, "pieces": [{}]},
                   {**data, "function": "x1 +"}):
        with pytest.raises(CertificateError):
            verify(broken)


def test_numerically_certified_results_say_so():
    # cos(3t) = t has no closed form: the breakpoint is bracketed, the value is known to the
    # bound only. The true value is 0: F(r) = (cos 3r - r) r = 0 at the root r.
    A = integrated_gradients(Function("max(0, cos(3*x1) - x1)*x1"), [1], dps=10)
    assert not A.exact and A.to_dict()["exact"] is False
    assert abs(A.values[0]) <= A.error < 1e-13
    assert "not exact" in str(A) and "error bound" in A.certified
    assert verify(A.certificate().data) is None
    assert integrated_gradients(Function("relu(x1 - 1/2)"), [1]).exact


# random functions' certificates verify in a fresh process: tests/test_proofs_verify.py
