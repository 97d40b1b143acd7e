"""The safe parser: what it accepts, what it rejects, and that nothing is ever executed."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs import Function, ParseError, parse_expression, parse_number, parse_point

x1, x2 = sp.symbols("x1 x2", real=True)


@pytest.mark.parametrize("text, expected", [
    ("x1*x2**2", x1 * x2**2),
    ("1/2*x1 + 0.25", x1 / 2 + sp.Rational(1, 4)),
    ("max(x1, x2, 3)", sp.Max(x1, x2, 3)),
    ("min(x1)", x1),
    ("relu(x1 - 1)", sp.Max(0, x1 - 1)),
    ("leaky_relu(x1, 0.1)", sp.Max(x1, x1 / 10)),
    ("abs(x1) + sqrt(x2)", sp.Abs(x1) + sp.sqrt(x2)),
    ("sigmoid(x1)", 1 / (1 + sp.exp(-x1))),
    ("softplus(x1)", sp.log(1 + sp.exp(x1))),
    ("exp(x1)*log(x2)+sin(x1)*cos(x2)-tanh(x1)", sp.exp(x1) * sp.log(x2) + sp.sin(x1) * sp.cos(x2)
     - sp.tanh(x1)),
    ("pi*E*x1", sp.pi * sp.E * x1),
    ("-(+x1)", -x1),
    ("2**-1 * x1", x1 / 2),
])
def test_accepted(text, expected):
    expr, _ = parse_expression(text)
    assert sp.simplify(expr - expected) == 0


def test_decimals_are_exact():
    assert parse_number("0.1") == sp.Rational(1, 10)
    assert parse_number("1e-3") == sp.Rational(1, 1000)
    assert parse_point("1, 1/3, -2.5") == (1, sp.Rational(1, 3), sp.Rational(-5, 2))


def test_default_variables_fill_gaps_in_order():
    _, variables = parse_expression("x3 + x1")
    assert [v.name for v in variables] == ["x1", "x2", "x3"]


def test_named_variables():
    F = Function("x*y - z", variables=["x", "y", "z"])
    assert F(2, 3, 1) == 5


HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "x1.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "[x for x in (1, 2)]",
    "{x1: 1}",
    "x1 if x1 else 2",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('1')",
    "getattr(x1, 'real')",
    "x1[0]",
    "'abc'",
    "b'abc'",
    "x1 < 2",
    "x1 and x2",
    "(x := 1)",
    "10**10**10",
    "9**9**9",
    "2**10000",
    "1" * 2000,
    "(" * 5000 + "x1" + ")" * 5000,
    "x1 +",
    "",
    "   ",
    "x1 ^ 2",
    "max()",
    "relu(x1, x2)",
    "leaky_relu(x1, x2)",
    "foo(x1)",
    "y + 1",
    "1/0",
    "log(0)",
    "sqrt(-1)",
    "1j*x1",
    "x1 @ x2",
    "x0 + x1",
    "max(x1, key=abs)",
    "*x1",
    "x1 ** x2",
    "sin",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_rejected_with_one_line(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParseError) as info:
        Function(text)
    message = str(info.value)
    assert message and "\n" not in message
    assert not (tmp_path / "pwned").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="x12()+-*/.,eE_ ablmnorstuipqw[]{}:'\"=<>!^%&|~@#", max_size=40))
def test_random_text_parses_or_raises_parse_error(text):
    try:
        parse_expression(text)
    except ParseError as exc:
        assert "\n" not in str(exc)


def test_python_api_never_sympifies_strings(tmp_path, monkeypatch):
    from proofs import curve, relu, straight

    monkeypatch.chdir(tmp_path)
    attack = "__import__('os').system('touch pwned')"
    with pytest.raises(ParseError):
        straight((0,), (1,)).point(attack)
    with pytest.raises(ParseError):
        relu(attack)
    with pytest.raises(ParseError):
        curve([attack])

    class Sneaky:
        def __str__(self):
            return attack

    with pytest.raises(ParseError):
        curve([Sneaky()])
    with pytest.raises(ParseError):
        relu(Sneaky())
    assert not (tmp_path / "pwned").exists()
    assert relu("x1 - 1") == sp.Max(0, x1 - 1)
