"""The known witness families, as data: the published counterexamples and worked examples,
and the planted cases (dummy and symmetric variables, zero, negative and equal baselines, a
kink just inside the segment), that every check tries before any random draw.

Each :class:`Family` names its source author-year; :data:`CASES` lists, per axiom, the cases
drawn from the families (functions and points as strings, read by the safe parser of
:mod:`proofs`). ``counterexamples/`` holds the full derivations of the published ones.

>>> FAMILIES["saturation"].source
'Sundararajan, Taly & Yan (2017), sec. 2.1'
>>> len(CASES["completeness"]) >= 8
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CASES", "FAMILIES", "Family", "Spec", "EPSILONS"]


@dataclass(frozen=True)
class Family:
    key: str
    title: str
    source: str


FAMILIES: dict[str, Family] = {f.key: f for f in [
    Family("saturation", "saturating ReLU 1 - relu(1 - x)",
           "Sundararajan, Taly & Yan (2017), sec. 2.1"),
    Family("two-networks", "two networks of one function, relu(relu(x1) - 1 - relu(x2)) and "
           "relu(relu(x1 - 1) - relu(x2))", "Sundararajan, Taly & Yan (2017), sec. 2.2"),
    Family("xu-path", "x1*x2**2 from 0 to (1, 1) (the Xu path's negative share)",
           "Lundstrom, Huang & Razaviyayn (2022), App. E.1"),
    Family("claim1", "x1*x2 from 0 to (1, 1) (a non-monotone path gives x1 a negative share)",
           "Lundstrom, Huang & Razaviyayn (2022), sec. 3.2, Claim 1"),
    Family("winding", "x1*x2 from 0 to (1, 1) (paths winding round the square)",
           "Lundstrom, Huang & Razaviyayn (2022), App. F"),
    Family("lerma-path", "x1*x2 from (0, 0) to (1, 2) (a symmetric rule that bends the path)",
           "Lerma & Lucas (2021), Counterexample 1"),
    Family("cost-share", "F(y) = y from 0 to 1 (a cost share that is negative)",
           "Lundstrom, Huang & Razaviyayn (2022), App. E.2"),
    Family("max-diagonal", "max and min on the diagonal x1 = x2",
           "Lerma & Lucas (2021), sec. 1.2.1"),
    Family("lerma-witness", "g(x1) g(x2) with g(z) = min(max(z - 1/4, 0), 1/2)",
           "Lerma & Lucas (2021), Thm 1"),
    Family("lerma-area", "x1*x2 (the shares are areas under and above the path)",
           "Lerma & Lucas (2021), Example 1"),
    Family("relu-half", "relu(x - 1/2) at 1", "AI Wiki (2026)"),
    Family("abs-diagonal", "|x1 - x2| near the diagonal",
           "Lundstrom, Huang & Razaviyayn (2022), Thm 4 and App. J"),
    Family("cantor", "Cantor's staircase at level 1 (flat on the middle third)",
           "Lerma & Lucas (2021), sec. 1.2.1"),
    Family("near-kink", "a kink just inside the segment (a Riemann sum steps over it)",
           "planted"),
    Family("dummy", "a variable F does not depend on", "planted"),
    Family("symmetric", "symmetric variables with equal input and baseline values", "planted"),
    Family("baselines", "zero, negative, nonzero and equal baselines", "planted"),
    Family("identity", "symbolic input and baseline (an identity in them)", "planted"),
]}

#: kinks are crossed by these fractions of the segment (Riemann sums with fewer than about
#: 1/(2 eps) steps step over the kink)
EPSILONS = ("1/1024", "1/65536")


@dataclass(frozen=True)
class Spec:
    """One case as strings: F over n variables, input, baseline (or D: (point, weight)
    pairs), and what else the axiom quantifies over (G, i, j, alpha, beta, scale, shift)."""

    family: str
    F: str
    x: str
    baseline: str | None = None
    n: int | None = None
    D: tuple = ()
    G: str | None = None
    i: int | None = None
    j: int | None = None
    alpha: str | None = None
    beta: str | None = None
    scale: str | None = None
    shift: str | None = None


_F = "relu(relu(x1) - 1 - relu(x2))"
_G = "relu(relu(x1 - 1) - relu(x2))"
_LW = "min(max(x1 - 1/4, 0), 1/2)*min(max(x2 - 1/4, 0), 1/2)"
_CANTOR = "3/2*(relu(x1) - relu(x1 - 1/3)) + 3/2*(relu(x1 - 2/3) - relu(x1 - 1))"
_SYM = "a1, a2"  # symbolic points: a1, a2 / b1, b2 are real symbols
_SYMB = "b1, b2"

CASES: dict[str, tuple[Spec, ...]] = {
    "sensitivity-a": (
        Spec("saturation", "1 - relu(1 - x1)", "2", "0", i=0),
        Spec("two-networks", _F, "3, 1", "0, 1", i=0),
        Spec("near-kink", _F, "1025/1024, 0", "0, 0", i=0),
        Spec("near-kink", _F, "65537/65536, 0", "0, 0", i=0),
        Spec("near-kink", "1 - relu(1 - x1)", "1023/1024", "2", i=0),
        Spec("relu-half", "relu(x1 - 1/2)", "1", "0", i=0),
        Spec("near-kink", "relu(x1 - 1/2)", "513/1024", "0", i=0),
        Spec("baselines", "x1**3 + x2", "-1, 1", "1, 1", i=0),
        Spec("baselines", "x1*x2**2", "1, -2", "1, 1/2", i=1),
    ),
    "implementation-invariance": (
        Spec("two-networks", _F, "3, 1", "0, 0", G=_G),
        Spec("two-networks", _F, "2, -1", "-1, 1", G=_G),
        Spec("identity", "x1*(x2 + 1)", _SYM, _SYMB, G="x1*x2 + x1"),
        Spec("baselines", "x1*(x2 + 1)", "1, 2", "-1, 1/2", G="x1*x2 + x1"),
        Spec("max-diagonal", "max(x1, x2)", "2, 1", "0, 0", G="x2 + relu(x1 - x2)"),
    ),
    "completeness": (
        Spec("identity", "x1*x2**2", _SYM, _SYMB),
        Spec("identity", "x1**2 + 3*x1*x2", _SYM, _SYMB),
        Spec("xu-path", "x1*x2**2", "1, 1", "0, 0"),
        Spec("two-networks", _F, "3, 1", "0, 0"),
        Spec("cost-share", "x1", "1", "0"),
        Spec("baselines", "x1*x2*x3", "1, 1, 1", "0, 0, 0"),
        Spec("baselines", "x1*x2**2", "1, 2", "-1, 1/2"),
        Spec("baselines", "x1*x2**2", "1, 2", "1, 2"),
        Spec("baselines", "x1 + 2*x2", "3, -1", "1, 1"),
        Spec("cantor", _CANTOR, "1", "0"),
        Spec("abs-diagonal", "abs(x1 - x2)", "1, 3/2", "0, 0"),
        Spec("near-kink", _F, "1025/1024, 0", "0, 0"),
        Spec("lerma-path", "x1*x2", "1, 2", "0, 0"),
        Spec("winding", "x1*x2", "1, 1", "0, 0"),
    ),
    "linearity": (
        Spec("identity", "x1*x2**2", _SYM, _SYMB, G="x1**2 + 3*x1*x2", alpha="2", beta="-3"),
        Spec("two-networks", _F, "3, 1", "0, 0", G="x1*x2**2", alpha="2", beta="-3"),
        Spec("baselines", "relu(x1 - x2)", "2, 1", "0, 0", G="x2**2", alpha="1", beta="1"),
        Spec("baselines", "x1*x2", "1, 2", "-1, 1", G="x1 + x2", alpha="1/2", beta="3"),
    ),
    "dummy": (
        Spec("identity", "x1**2", _SYM, _SYMB, n=2, i=1),
        Spec("dummy", "x1**2", "1, 2", "0, 0", n=2, i=1),
        Spec("dummy", "relu(x1 - 1)", "3, 2", "0, 5", n=2, i=1),
        Spec("dummy", "x2**2", "2, 1", "-1, 0", n=2, i=0),
        Spec("dummy", "x1*x3", "1, 1, 1", "0, 0, 0", n=3, i=1),
        Spec("dummy", "x1*x3", "2, -1, 1", "0, 1, 0", n=3, i=1),
    ),
    "symmetry": (
        Spec("identity", "x1*x2", "t, t", "s, s", i=0, j=1),
        Spec("lerma-area", "x1*x2", "1, 1", "0, 0", i=0, j=1),
        Spec("symmetric", "x1 + x2", "1, 1", "0, 0", i=0, j=1),
        Spec("symmetric", "x1*x2*x3", "1, 1, 2", "0, 0, 1", i=0, j=1),
        Spec("max-diagonal", "max(x1, x2)", "1, 1", "0, 0", i=0, j=1),
        Spec("max-diagonal", "min(x1, x2)", "1, 1", "0, 0", i=0, j=1),
        Spec("lerma-witness", _LW, "1, 1", "0, 0", i=0, j=1),
        Spec("symmetric", "x1**2 + x2**2", "-1, -1", "1/2, 1/2", i=0, j=1),
    ),
    "asi": (
        Spec("identity", "x1*x2**2", _SYM, _SYMB, scale="2, -3", shift="1, 1/2"),
        Spec("xu-path", "x1*x2**2", "1, 1", "0, 0", scale="2, -3", shift="1, 1/2"),
        Spec("two-networks", _F, "3, 1", "0, 0", scale="2, -1", shift="1, 0"),
        Spec("baselines", "x1**2 + x2", "1, 2", "-1, 1", scale="1/2, 3", shift="0, -1"),
    ),
    "ndp": (
        Spec("xu-path", "x1*x2**2", "1, 1", "0, 0"),
        Spec("cost-share", "x1", "1", "0"),
        Spec("baselines", "-x1", "-1, 0", "0, 0", n=2),
        Spec("baselines", "x1 + x2", "-1, 1", "-2, 0"),
        Spec("two-networks", "relu(x1 + x2 - 1)", "1, 1", "0, 0"),
        Spec("claim1", "x1*x2", "1, 1", "0, 0"),
        Spec("xu-path", "x1*x2**3", "1, 1", "0, 0"),
    ),
    "dist-sensitivity-a": (
        Spec("saturation", "1 - relu(1 - x1)", "2", D=(("0", "1/2"), ("-1", "1/2")), i=0),
        Spec("near-kink", _F, "1025/1024, 0", D=(("0, 0", "1/2"), ("-1, 0", "1/2")), i=0),
    ),
    "dist-completeness": (
        Spec("identity", "x1*x2**2", _SYM, D=(("0, 0", "1/2"), ("1, -1", "1/2"))),
        Spec("baselines", "x1*x2**2", "2, 1", D=(("0, 0", "1/2"), ("1, -1", "1/2"))),
        Spec("two-networks", _F, "3, 1", D=(("0, 0", "1/2"), ("1, 2", "1/2"))),
        Spec("two-networks", _F, "3, 1", D=(("0, 0", "1/3"), ("2, 0", "2/3"))),
        Spec("baselines", "x1*x2*x3", "1, 1, 1", D=(("0, 0, 0", "1/3"), ("1, 0, -1", "2/3"))),
    ),
    "dist-symmetry": (
        Spec("symmetric", "x1*x2", "2, 2", D=(("0, 1", "1/2"), ("1, 0", "1/2")), i=0, j=1),
        Spec("symmetric", "x1 + x2", "1, 1", D=(("0, 2", "1/2"), ("2, 0", "1/2")), i=0, j=1),
    ),
    "dist-ndp": (
        Spec("baselines", "-x1", "-1, 0", D=(("0, 0", "1"),), n=2),
        Spec("xu-path", "relu(x1)*relu(x2)**2", "1, 1",
             D=(("0, 0", "1/2"), ("1/2, 0", "1/2"))),
        Spec("cost-share", "x1", "1", D=(("0", "1/2"), ("1/2", "1/2"))),
    ),
}
