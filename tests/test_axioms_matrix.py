"""The method-vs-axiom cells the papers settle, computed by axioms.check.

Expected verdicts and witness values come from the papers: paper 000 sec. 2.2, App. E.1
(Xu path: A(1, 0, x1*x2**2) = (-2/3, 5/3)), App. E.2 (cost-share), App. K (distributional IG),
and Sundararajan et al. 2017 (gradient x input on 1 - relu(1 - x); DeepLIFT on f and g).
"""

import pytest

from axioms import AXIOMS, check
from axioms.checks import BASELINE_AXIOMS, DISTRIBUTIONAL_AXIOMS

N = 8


@pytest.mark.parametrize("axiom", BASELINE_AXIOMS)
def test_ig_satisfies_all_baseline_axioms(axiom):
    v = check("ig", axiom, max_examples=N)
    assert v.verdict == "holds", v.message()
    assert "no violation in" in v.evidence


@pytest.mark.parametrize("axiom", DISTRIBUTIONAL_AXIOMS)
def test_distributional_ig_satisfies_distributional_axioms(axiom):
    v = check("distributional-ig", axiom, max_examples=N)
    assert v.verdict == "holds", v.message()
    assert "App. K" in v.evidence


@pytest.mark.parametrize("axiom", ["dummy", "linearity", "completeness", "asi"])
def test_xu_path_satisfies(axiom):
    assert check("xu-path", axiom, max_examples=N).verdict == "holds"


def test_xu_path_violates_ndp_with_the_papers_example():
    v = check("xu-path", "ndp", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["function"] == "x1*x2**2"
    assert v.witness["input"] == "(1, 1)" and v.witness["baseline"] == "(0, 0)"
    assert v.witness["got"] == "A = (-2/3, 5/3)"


def test_xu_path_violates_symmetry():
    v = check("xu-path", "symmetry", max_examples=N)
    assert v.verdict == "violated"
    # x1*x2 from 0 to (1, 1) along the Xu path: A1 = -1 + 1/2, A2 = 1 + 1/2 (hand computed)
    assert v.witness["got"] == "A = (-1/2, 3/2)"


def test_cost_share():
    assert check("cost-share", "linearity", max_examples=N).verdict == "holds"
    assert check("cost-share", "asi", max_examples=N).verdict == "holds"
    v = check("cost-share", "completeness", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["expected"].endswith("= 1") and "sum A = -2" in v.witness["got"]


def test_grad_x_input_violates_sensitivity_a():
    v = check("grad-x-input", "sensitivity-a", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["function"] == "1 - Max(0, 1 - x1)"
    assert v.witness["got"] == "A_1 = 0"


def test_deeplift_violates_implementation_invariance_on_the_ig_paper_networks():
    v = check("deeplift", "implementation-invariance", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["input"] == "(3, 1)"
    assert v.witness["got"] == "A(F) = (3/2, -1/2), A(G) = (2, -1)"


@pytest.mark.parametrize("axiom", ["symmetry", "completeness"])
def test_shapley_shubik(axiom):
    assert check("shapley-shubik", axiom, max_examples=N).verdict == "holds"


def test_gradient_methods_are_implementation_invariant():
    for m in ("gradient", "grad-x-input"):
        assert check(m, "implementation-invariance", max_examples=N).verdict == "holds"


def test_holds_is_backed_by_symbolic_identity_where_possible():
    v = check("ig", "completeness", max_examples=N)
    assert "identity simplifies to 0 for symbolic inputs" in v.evidence


def test_every_axiom_has_a_statement_and_battery():
    for name, ax in AXIOMS.items():
        assert ax.statement and ax.battery, name
