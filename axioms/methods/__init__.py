"""The built-in attribution methods, by family, and their registry by command-line name.

Families: :mod:`axioms.methods.path` (IG, any path, ensembles, Shapley-Shubik, the Xu path,
distributional IG), :mod:`axioms.methods.shapley` (the Shapley value, the cost share of
App. E.2), :mod:`axioms.methods.gradient` (gradient, gradient x input, SmoothGrad) and
:mod:`axioms.methods.deeplift` (one DeepLIFT, rescale rule). Each registered method carries the
published theorems that it satisfies an axiom, with their hypotheses; the checks cite one as
the reason for "proved" only where the function checked meets them. How a method is called is
written once, in :mod:`axioms.contract`.

>>> from proofs import Function
>>> METHODS["ig"](Function("x1*x2**2"), (1, 1), (0, 0))
(1/3, 2/3)
"""

from __future__ import annotations

import sympy as sp

from axioms.contract import (
    BASELINE,
    DISTRIBUTIONAL,
    Method,
    MethodError,
    MethodOutputError,
    Theorem,
    evaluate,
    load_method,
)
from axioms.methods.deeplift import (
    deeplift,
    deeplift_rescale,
    network_expression,
    network_function,
)
from axioms.methods.gradient import grad_x_input, gradient, gradient_at, smoothgrad
from axioms.methods.path import (
    distributional_ig,
    ensemble_method,
    integrated_gradients,
    path_method,
    shapley_shubik,
    xu_path,
)
from axioms.methods.shapley import cost_share, shapley_value

__all__ = [
    "METHODS", "Method", "MethodError", "MethodOutputError", "cost_share",
    "deeplift", "deeplift_rescale", "distributional_ig", "ensemble_method", "evaluate",
    "grad_x_input", "gradient", "gradient_at", "integrated_gradients",
    "load_method", "locally_lipschitz", "network_expression", "network_function",
    "path_method", "shapley_shubik", "shapley_value", "smooth", "smoothgrad", "xu_path",
]

_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.tanh, sp.sinh, sp.cosh)


def locally_lipschitz(F) -> bool:
    """True when F is built from polynomials, exp, sin, cos, tanh and max/min/abs only, so it
    is Lipschitz on every bounded set (False when unsure: division, log, sqrt, ...).

    >>> from proofs import Function
    >>> locally_lipschitz(Function("relu(x1) * x2**2")), locally_lipschitz(Function("1/x1"))
    (True, False)
    """
    def ok(e) -> bool:
        if e.is_Atom:
            return bool(e.is_Symbol or e.is_number)
        if e.is_Pow:
            return bool(e.exp.is_Integer and e.exp >= 0 and ok(e.base))
        if e.is_Add or e.is_Mul or isinstance(e, (sp.Max, sp.Min, sp.Abs, *_ENTIRE)):
            return all(ok(a) for a in e.args)
        return False

    return ok(F.expr)


def smooth(F) -> bool:
    """True when F is locally Lipschitz without max/min/abs: then it is C^1 (indeed C^inf).

    >>> from proofs import Function
    >>> smooth(Function("x1*x2**2")), smooth(Function("relu(x1)"))
    (True, False)
    """
    return locally_lipschitz(F) and not F.expr.has(sp.Max, sp.Min, sp.Abs)


_L = "F Lipschitz on bounded sets (polynomials, ReLU networks, exp, sin) and differentiable " \
     "almost everywhere on the path (other cases are skipped)"
_C1 = "F continuously differentiable (no max/min/abs)"


def _T(source, statement, hypotheses=_L, applies=locally_lipschitz) -> Theorem:
    return Theorem(source, statement, hypotheses, applies)


_COMPLETE = _T("Lerma & Lucas (2021), Prop. 1",
               "the gradient theorem for Lipschitz F: every path method is complete")
_PATH = {
    "implementation-invariance": _T("Sundararajan, Taly & Yan (2017), sec. 4",
                                    "path methods depend on F only through its gradient"),
    "completeness": _COMPLETE,
    "linearity": _T("Sundararajan, Taly & Yan (2017), sec. 4",
                    "path methods are linear in F (the integral is)"),
    "dummy": _T("Sundararajan, Taly & Yan (2017), sec. 4",
                "path methods satisfy dummy (the integrand of x_i is 0 when dF/dx_i == 0)"),
}
_ASI = _T("Xu, Venugopalan & Sundararajan (2020), Prop. 1, with the F o T^-1 form of "
          "Lundstrom, Huang & Razaviyayn (2022), sec. 3.3",
          "path methods whose path commutes with coordinatewise affine maps satisfy ASI")
_NDP = _T("Lundstrom, Huang & Razaviyayn (2022), Thm 2",
          "ensembles of monotone path methods satisfy NDP", _C1, smooth)
_IG = {
    **_PATH,
    "sensitivity-a": _T("Sundararajan, Taly & Yan (2017), sec. 3, with Lerma & Lucas (2021), "
                        "Prop. 1", "completeness implies sensitivity(a) for IG (coordinates "
                        "that do not move get 0)"),
    "symmetry": _T("Lerma & Lucas (2021), Cor. 1 (the rigorous form of Sundararajan, Taly & "
                   "Yan (2017), Thm 1)", "the straight path preserves symmetry"),
    "asi": _ASI,
    "ndp": _NDP,
}
_K = "Lundstrom, Huang & Razaviyayn (2022), App. K"
_DIST = {
    "dist-sensitivity-a": _T(_K, "distributional IG satisfies distributional sensitivity(a)"),
    "dist-completeness": _T(_K, "distributional IG satisfies distributional completeness"),
    "dist-symmetry": _T(_K, "distributional IG satisfies distributional symmetry"),
    "dist-ndp": _T(_K, "distributional IG satisfies distributional NDP (from IG's NDP)",
                   _C1, smooth),
}
_SHAPLEY = "Shapley (1953)"
_ANY = "any F (the value depends on F's values at the 2^n corners only)"


def _any(F) -> bool:
    return True


def _build_registry() -> dict[str, Method]:
    methods = [
        Method("ig", integrated_gradients, BASELINE,
               "integrated gradients: the straight path x' -> x", {**_IG, **_DIST}),
        Method("xu-path", xu_path, BASELINE,
               "the non-monotone path of Lundstrom, Huang & Razaviyayn (2022), App. E.1: "
               "T(reference path), T(y) = x' + (x - x') y", {**_PATH, "asi": _ASI}),
        Method("shapley-shubik", shapley_shubik, BASELINE,
               "the average of the n! axis-parallel paths (a path ensemble)",
               {**_PATH, "symmetry": _T("Friedman (2004)", "Shapley-Shubik is symmetric"),
                "ndp": _NDP, "asi": _ASI}),
        Method("shapley-value", shapley_value, BASELINE,
               "the Shapley value of the game S -> F(x_S, x'_rest)",
               {"completeness": Theorem(_SHAPLEY, "efficiency", _ANY, _any),
                "symmetry": Theorem(_SHAPLEY, "symmetry", _ANY, _any),
                "linearity": Theorem(_SHAPLEY, "additivity", _ANY, _any),
                "dummy": Theorem(_SHAPLEY, "null player", _ANY, _any)}),
        Method("gradient", gradient, BASELINE, "the gradient of F at x"),
        Method("grad-x-input", grad_x_input, BASELINE,
               "gradient x input, x_i * dF/dx_i(x): the baseline is ignored (it is not "
               "(x_i - x'_i) * dF/dx_i(x), the form that takes the baseline into account)"),
        Method("smoothgrad", smoothgrad(), BASELINE,
               "mean gradient over the stencil x +- sigma e_k, sigma = 1/10 (Smilkov et al. "
               "(2017), deterministic)"),
        Method("distributional-ig", distributional_ig, DISTRIBUTIONAL,
               "expected gradients: E_{X'~D} IG(x, X', F), D finite", {**_IG, **_DIST}),
        Method("deeplift", deeplift, BASELINE,
               "DeepLIFT rescale rule on the expression's computation graph",
               {"completeness": Theorem(
                   "Shrikumar, Greenside & Kundaje (2017), summation-to-delta",
                   "DeepLIFT's attributions sum to F(x) - F(x')",
                   "F a network: sums, constant multiples, one-input units (others are "
                   "refused by the method and skipped)", _any)}),
        Method("cost-share", cost_share, BASELINE,
               "A_i = F(x') - F(x) for every i (Lundstrom, Huang & Razaviyayn (2022), App. E.2)",
               {"linearity": Theorem("Lundstrom, Huang & Razaviyayn (2022), App. E.2, eq. (9)",
                                     "the cost share is linear", "any F", _any),
                "asi": Theorem("Lundstrom, Huang & Razaviyayn (2022), App. E.2, eq. (10)",
                               "the cost share is affine-scale invariant", "any F", _any)}),
    ]
    return {m.name: m for m in methods}


#: the built-in methods by command-line name
METHODS: dict[str, Method] = _build_registry()

