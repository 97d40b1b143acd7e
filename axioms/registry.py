"""The registries of axioms/, filled here explicitly: every axiom and every built-in method,
each once, and the functions that look one up by name.

Nothing registers itself on import: :data:`AXIOMS` lists the axiom classes of
:mod:`axioms.baseline` and :mod:`axioms.distributional` in the papers' order, and
:data:`METHODS` is the table of :mod:`axioms.methods`. :func:`as_method` takes a method in any
form the contract accepts (:mod:`axioms.contract`) or a built-in name.

>>> AXIOMS["completeness"].source.split("; ")[0]
'Sundararajan, Taly & Yan (2017), sec. 3, Prop. 1'
>>> as_method("ig").name
'ig'
"""

from __future__ import annotations

from collections.abc import Callable

from axioms.axiom import Axiom
from axioms.baseline import (
    ASI,
    NDP,
    Completeness,
    Dummy,
    ImplementationInvariance,
    Linearity,
    SensitivityA,
    Symmetry,
)
from axioms.contract import Method, coerce_method
from axioms.distributional import DistCompleteness, DistNDP, DistSensitivityA, DistSymmetry
from axioms.methods import METHODS
from proofs.errors import IGVerifyError

__all__ = ["AXIOMS", "METHODS", "as_method", "cases", "get_axiom", "get_method", "glossary"]

#: every axiom by slug, in the papers' order: the baseline axioms, then the distributional ones
AXIOMS: dict[str, Axiom] = {a.slug: a for a in (
    SensitivityA(), ImplementationInvariance(), Completeness(), Linearity(), Dummy(),
    Symmetry(), ASI(), NDP(),
    DistSensitivityA(), DistCompleteness(), DistSymmetry(), DistNDP(),
)}


def get_axiom(name: str | Axiom) -> Axiom:
    """An axiom by slug (or the Axiom itself).

    >>> get_axiom("dummy").title
    'sensitivity(b) / dummy'
    """
    if isinstance(name, Axiom):
        return name
    if name not in AXIOMS:
        raise IGVerifyError(f"unknown axiom {name!r}", f"use one of {', '.join(AXIOMS)}")
    return AXIOMS[name]


def as_method(method: Method | str | Callable) -> Method:
    """Any accepted form of a method (see :mod:`axioms.contract`) or a built-in name, as a
    :class:`~axioms.contract.Method`.

    >>> as_method("ig").name, as_method(lambda F, x, b: x).kind
    ('ig', 'baseline')
    """
    if isinstance(method, str) and ":" not in method:
        if method not in METHODS:
            raise IGVerifyError(f"unknown method {method!r}",
                                f"use one of {', '.join(METHODS)} or module:function")
        return METHODS[method]
    return coerce_method(method)


def get_method(name: Method | str | Callable) -> Method:
    """:func:`as_method` under its older name.

    >>> get_method("xu-path").name
    'xu-path'
    """
    return as_method(name)


def glossary(width: int = 100) -> str:
    """The axioms by slug and short name, with their statements (for --help and legends).

    >>> "d-sens-a" in glossary()
    True
    """
    import textwrap

    lines = []
    for a in AXIOMS.values():
        head = f"{a.slug} ({a.short}): {a.title}. "
        lines.append(textwrap.fill(head + a.full_statement(), width, subsequent_indent="    "))
    return "\n".join(lines)


def cases(axiom: str, functions=None, kinds: tuple[str, ...] = ("polynomial", "network")):
    """Instances of an axiom's hypothesis (:class:`axioms.Case`: F, input, baseline or
    distribution, and what else it needs), as the search draws them (a hypothesis strategy).

    >>> from hypothesis import given
    >>> from axioms.pytest_helper import assert_case
    >>> @given(cases("completeness"))
    ... def test_ig_is_complete(case):
    ...     assert_case("ig", "completeness", case)
    """
    from proofs import Function

    fs = [f if isinstance(f, Function) else Function(f) for f in functions] if functions \
        else None
    return get_axiom(axiom).strategy(fs, tuple(kinds))
