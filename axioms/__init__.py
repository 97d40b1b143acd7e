"""igverify.axioms: the attribution axioms of paper 000 as checks on any attribution method.

>>> from axioms import check
>>> check("ig", "completeness").verdict
'holds'

Public face: :func:`check`, :data:`AXIOMS`, :data:`METHODS`, :class:`Verdict`,
:func:`compute_matrix`, :func:`assert_axiom`, the methods' building blocks
(:func:`deeplift_rescale`, :func:`path_method`, ...) and :mod:`axioms.strategies`.
"""

from axioms.checks import AXIOMS, Axiom, Case, check, get_axiom
from axioms.matrix import compute_matrix, format_matrix
from axioms.methods import (
    METHODS,
    Method,
    MethodError,
    MethodOutputError,
    deeplift,
    deeplift_rescale,
    ensemble_method,
    evaluate,
    get_method,
    gradient_at,
    load_method,
    network_expression,
    network_function,
    path_method,
    shapley_value,
)
from axioms.pytest_helper import assert_axiom, assert_axioms
from axioms.verdict import HOLDS, UNDECIDED, VIOLATED, Verdict

__all__ = [
    "AXIOMS", "Axiom", "Case", "HOLDS", "METHODS", "Method", "MethodError",
    "MethodOutputError", "UNDECIDED", "VIOLATED", "Verdict", "assert_axiom", "assert_axioms",
    "check", "compute_matrix", "deeplift", "deeplift_rescale", "ensemble_method", "evaluate",
    "format_matrix", "get_axiom", "get_method", "gradient_at", "load_method",
    "network_expression", "network_function", "path_method", "shapley_value",
]
