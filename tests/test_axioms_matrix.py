"""The method-vs-axiom cells the papers settle, computed by axioms.check.

Expected verdicts and witness values come from the papers: Lundstrom, Huang & Razaviyayn
(2022), sec. 2.2, App. E.1 (the Xu path: A(1, 0, x1*x2**2) = (-2/3, 5/3)), App. E.2 (the cost
share), App. K (distributional IG); Sundararajan, Taly & Yan (2017) (gradient x input on
1 - relu(1 - x); the two networks f and g, DeepLIFT (3/2, -1/2) vs (2, -1), hand-derived in
axioms.methods.deeplift); Lerma & Lucas (2021), Prop. 1 and Cor. 1.
"""

import pytest

from axioms import AXIOMS, check, compute_matrix
from axioms.registry import glossary

N = 3  # random examples per check: the known families decide these cells
BASELINE = [a for a, ax in AXIOMS.items() if ax.kind == "baseline"]
DIST = [a for a, ax in AXIOMS.items() if ax.kind == "distributional"]


@pytest.mark.parametrize("axiom", [a for a in BASELINE if a != "ndp"])
def test_ig_axioms_are_proved_by_cited_theorems(axiom):
    v = check("ig", axiom, max_examples=N)
    assert v.verdict == "proved", v.message()
    assert "theorem:" in v.evidence and "(20" in v.evidence  # author (year)
    assert "no counterexample in" in v.evidence  # the implementation was tested too


def test_ig_ndp_is_tested_not_proved_outside_c1():
    # Thm 2 of Lundstrom, Huang & Razaviyayn (2022) needs C^1; ReLU networks are checked too
    v = check("ig", "ndp", max_examples=N)
    assert v.verdict == "no counterexample"
    assert "Thm 2" in v.evidence and "holds" not in v.evidence


@pytest.mark.parametrize("axiom", ["dist-sensitivity-a", "dist-completeness", "dist-symmetry"])
def test_distributional_ig_proved_by_app_k(axiom):
    v = check("distributional-ig", axiom, max_examples=N)
    assert v.verdict == "proved" and "App. K" in v.evidence


def test_xu_path_violates_ndp_with_the_papers_example():
    v = check("xu-path", "ndp", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["function"] == "x1*x2**2"
    assert v.witness["input"] == "(1, 1)" and v.witness["baseline"] == "(0, 0)"
    assert v.witness["got"] == "A = (-2/3, 5/3)" and v.witness["size"] == "0.667"
    assert "App. E.1" in v.witness["family"]


def test_xu_path_violates_symmetry():
    v = check("xu-path", "symmetry", max_examples=N)
    assert v.verdict == "violated"
    # x1*x2 from 0 to (1, 1) along the Xu path: A1 = -1 + 1/2, A2 = 1 + 1/2 (hand computed)
    assert v.witness["got"] == "A = (-1/2, 3/2)" and v.witness["size"] == "2"


@pytest.mark.parametrize("axiom", ["completeness", "linearity", "dummy", "asi"])
def test_xu_path_is_a_path_method(axiom):
    assert check("xu-path", axiom, max_examples=N).verdict == "proved"


def test_cost_share():
    assert check("cost-share", "linearity", max_examples=N).verdict == "proved"
    v = check("cost-share", "asi", max_examples=N)
    assert v.verdict == "proved" and "App. E.2, eq. (10)" in v.evidence
    v = check("cost-share", "completeness", max_examples=N)
    assert v.verdict == "violated"
    # x1*x2**2 from 0 to (1, 1): F(x') - F(x) = -1 to each coordinate, sum -2, expected 1
    assert v.witness["expected"].endswith("= 1") and "sum A = -2" in v.witness["got"]
    assert v.witness["size"] == "3"


def test_grad_x_input_violates_sensitivity_a_on_the_saturating_relu():
    v = check("grad-x-input", "sensitivity-a", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["function"] == "1 - Max(0, 1 - x1)"
    assert v.witness["got"] == "A_1 = 0, A = (0)"
    assert "Sundararajan, Taly & Yan (2017)" in v.witness["family"]


def test_deeplift_violates_implementation_invariance_on_the_ig_paper_networks():
    v = check("deeplift", "implementation-invariance", max_examples=N)
    assert v.verdict == "violated"
    assert v.witness["input"] == "(3, 1)"
    assert v.witness["got"] == "A(F) = (3/2, -1/2), A(G) = (2, -1)"


def test_deeplift_completeness_is_summation_to_delta():
    v = check("deeplift", "completeness", max_examples=N)
    assert v.verdict == "proved" and "Shrikumar, Greenside & Kundaje (2017)" in v.evidence


@pytest.mark.parametrize("axiom", ["symmetry", "completeness", "ndp"])
def test_shapley_shubik(axiom):
    assert check("shapley-shubik", axiom, max_examples=N).verdict in (
        ("proved",) if axiom != "ndp" else ("no counterexample",))


def test_gradient_methods_are_tested_not_proved_for_implementation_invariance():
    for m in ("gradient", "grad-x-input"):
        v = check(m, "implementation-invariance", max_examples=N)
        assert v.verdict == "no counterexample" and "tested, not proved" in v.evidence


@pytest.mark.parametrize("method", ["xu-path", "gradient", "cost-share", "grad-x-input"])
def test_single_and_one_point_distributional_checks_agree(method):
    # a violation of a baseline axiom on a known case is a violation of its distributional
    # version with D one point (Lundstrom, Huang & Razaviyayn (2022), sec. 5)
    for dist in DIST:
        base = AXIOMS[dist].counterpart
        b = check(method, base, max_examples=0)
        d = check(method, dist, max_examples=0)
        if b.verdict == "violated":
            assert d.verdict == "violated", (method, dist, d.message())


def test_every_axiom_is_registered_with_statement_citation_and_known_cases():
    for slug, ax in AXIOMS.items():
        assert ax.slug == slug and ax.short and ax.statement
        assert "(20" in ax.source, slug  # author-year
        assert ax.known_cases(), slug
        assert f"{slug} ({ax.short})" in glossary()


def test_matrix_repr_html_and_user_rows():
    def zero(F, x, baseline):
        return [0] * len(x)

    m = compute_matrix(["ig", zero], ["completeness"], max_examples=1)
    assert [c.verdict for c in m.cells] == ["proved", "violated"]
    html = m._repr_html_()
    assert "<table>" in html and "compl" in html and "no counterexample" in html
    assert m.to_dict()["cells"][1]["method"] == "zero"
    assert set(m.to_dict()["cells"][0]) == {"method", "axiom", "verdict", "evidence", "witness"}
