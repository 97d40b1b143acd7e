"""Use the axiom checks in your own test suite.

>>> from axioms.pytest_helper import assert_axiom
>>> def test_my_method_is_complete():
...     assert_axiom("mypkg.attr:my_method", "completeness")

``assert_axiom`` raises ``AssertionError`` whose message is the smallest witness found (like
hypothesis' falsifying example); an undecided verdict fails too unless ``allow_undecided``.
"""

from __future__ import annotations

from collections.abc import Sequence

from axioms.checks import check
from axioms.methods import Method
from axioms.verdict import HOLDS, UNDECIDED, Verdict

__all__ = ["assert_axiom", "assert_axioms"]


def assert_axiom(method: Method | str | object, axiom: str, functions: Sequence | None = None,
                 max_examples: int = 25, allow_undecided: bool = False) -> Verdict:
    """Check ``axiom`` on ``method`` (a registered name, ``module:function``, a Method or a
    plain callable ``method(F, x, baseline)``); raise AssertionError with the witness unless
    it holds. Returns the verdict."""
    if callable(method) and not isinstance(method, (Method, str)):
        method = Method(getattr(method, "__name__", "method"), method)
    verdict = check(method, axiom, functions=functions, max_examples=max_examples)
    if verdict.verdict == HOLDS or (allow_undecided and verdict.verdict == UNDECIDED):
        return verdict
    raise AssertionError(verdict.message())


def assert_axioms(method, axioms: Sequence[str], **kwargs) -> list[Verdict]:
    """:func:`assert_axiom` for several axioms; fails on the first that does not hold."""
    return [assert_axiom(method, a, **kwargs) for a in axioms]
