"""igverify.axioms: the attribution axioms as checks on any attribution method.

The axioms are those of Lundstrom, Huang & Razaviyayn (2022), sec. 2.2 (Sundararajan, Taly &
Yan (2017)), sec. 3.3 (ASI), sec. 4 (NDP) and sec. 5 (distributional). A check answers
proved / no counterexample / violated / error / undecided with its evidence
(:mod:`axioms.verdict`); how a method is passed is written once in :mod:`axioms.contract`.

>>> from axioms import check
>>> check("ig", "completeness", max_examples=5).verdict
'proved'
>>> check(lambda F, x, b: [0] * len(x), "completeness").witness["got"]
'sum A = 0, A = (0, 0)'

Public face: :func:`check`, :func:`check_all`, :func:`compute_matrix`, :func:`assert_axiom`,
:data:`AXIOMS`, :data:`METHODS`, :func:`glossary`, :class:`Result`, :class:`Tolerance`, the
methods' building blocks (:func:`deeplift_rescale`, :func:`path_method`, ...) and
:mod:`axioms.strategies`.
"""

from axioms.axiom import Axiom, Case
from axioms.contract import (
    BASELINE,
    DISTRIBUTIONAL,
    Method,
    MethodError,
    MethodOutputError,
    Theorem,
    coerce_method,
    evaluate,
    load_method,
)
from axioms.families import FAMILIES
from axioms.matrix import Matrix, compute_matrix, format_matrix
from axioms.methods import (
    METHODS,
    deeplift,
    deeplift_rescale,
    ensemble_method,
    gradient_at,
    network_expression,
    network_function,
    path_method,
    shapley_value,
)
from axioms.pytest_helper import assert_axiom, assert_axioms, assert_case
from axioms.registry import AXIOMS, as_method, cases, get_axiom, get_method, glossary
from axioms.search import DEFAULT_EXAMPLES, SearchSettings, check, check_all, check_case
from axioms.tolerance import FLOAT_RTOL, Tolerance
from axioms.verdict import (
    ERROR,
    NO_COUNTEREXAMPLE,
    PROVED,
    UNDECIDED,
    VERDICTS,
    VIOLATED,
    Report,
    Result,
    Verdict,
)

__all__ = [
    "AXIOMS", "Axiom", "BASELINE", "Case", "DEFAULT_EXAMPLES", "DISTRIBUTIONAL", "ERROR",
    "FAMILIES", "FLOAT_RTOL", "METHODS", "Matrix", "Method", "MethodError",
    "MethodOutputError", "NO_COUNTEREXAMPLE", "PROVED", "Report", "Result", "SearchSettings",
    "Theorem", "Tolerance", "UNDECIDED", "VERDICTS", "VIOLATED", "Verdict", "as_method",
    "assert_axiom", "assert_axioms", "assert_case", "cases", "check", "check_all", "check_case",
    "coerce_method", "compute_matrix", "deeplift",
    "deeplift_rescale", "ensemble_method", "evaluate", "format_matrix", "get_axiom",
    "get_method", "glossary", "gradient_at", "load_method", "network_expression",
    "network_function", "path_method", "shapley_value",
]
