"""Use the axiom checks in your own test suite.

>>> from axioms.pytest_helper import assert_axiom
>>> def test_my_method_is_complete():
...     assert_axiom("mypkg.attr:my_method", "completeness")

``assert_axiom`` raises ``AssertionError`` whose message is the smallest witness found (like
hypothesis' falsifying example); "error" and "undecided" fail too (undecided unless
``allow_undecided``). The method is taken in any form of :mod:`axioms.contract`.
"""

from __future__ import annotations

from collections.abc import Sequence

from axioms.search import check, check_case
from axioms.verdict import NO_COUNTEREXAMPLE, PROVED, UNDECIDED, Result

__all__ = ["assert_axiom", "assert_axioms", "assert_case"]


def assert_axiom(method, axiom: str, functions: Sequence | None = None,
                 allow_undecided: bool = False, **kwargs) -> Result:
    """Check ``axiom`` on ``method``; raise AssertionError with the witness unless it is
    proved or no counterexample is found. Keyword arguments go to :func:`axioms.check`
    (max_examples, seed, rtol, atol, kinds). Returns the result.

    >>> assert_axiom("ig", "dummy", max_examples=5).verdict
    'proved'
    """
    result = check(method, axiom, functions, **kwargs)
    ok = {PROVED, NO_COUNTEREXAMPLE} | ({UNDECIDED} if allow_undecided else set())
    if result.verdict in ok:
        return result
    raise AssertionError(result.message())


def assert_axioms(method, axioms: Sequence[str], **kwargs) -> list[Result]:
    """:func:`assert_axiom` for several axioms; fails on the first that does not pass."""
    return [assert_axiom(method, a, **kwargs) for a in axioms]


def assert_case(method, axiom: str, case, **kwargs) -> Result:
    """Check one case (from :func:`axioms.cases`); AssertionError with the witness
    when it is violated or the method fails on it (rtol/atol as keyword arguments).

    >>> from axioms import get_axiom
    >>> assert_case("ig", "ndp", get_axiom("ndp").known_cases()[0]).verdict
    'no counterexample'
    """
    result = check_case(method, axiom, case, **kwargs)
    if result.verdict in (NO_COUNTEREXAMPLE, UNDECIDED):
        return result
    raise AssertionError(result.message())
