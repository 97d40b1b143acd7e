"""Implementation invariance: two networks, one function; IG agrees, DeepLIFT does not.

The claim. Sundararajan, Taly & Yan (2017, sec. 2.2) require attributions to depend only on the
function a network computes, not on how it is built, and say that DeepLIFT (Shrikumar et al.
2017) and LRP break this: their "discrete gradients" (Delta out / Delta in) have no chain rule
(tutorial 004, "Implementation Invariance"; article 002). Our copies of the sources do not
print a pair of networks, so the standard pair below is worked out here by hand. The networks

    f(x1, x2) = relu(relu(x1) - 1 - relu(x2)),     g(x1, x2) = relu(relu(x1 - 1) - relu(x2))

compute the same function. At x = (3, 1) with baseline 0, IG gives (3/2, -1/2) for both (it sees
only the function): along t*(3, 1) the outer argument is 2t - 1, so both are 0 for t < 1/2 and
2t - 1 after, with dF/dx1 = 1, dF/dx2 = -1 there: IG = (3 * 1/2, 1 * (-1/2)).

DeepLIFT's rescale rule gives each unit the multiplier Delta out / Delta in, with the reference
activations from the baseline. For f: layer 1 multipliers 3/3 = 1 and 1/1 = 1, the output
unit's pre-activation goes from -1 to 1 and its output from 0 to 1, multiplier 1/2:
(3 * 1/2, 1 * (-1) * 1/2) = (3/2, -1/2). For g: relu(x1 - 1) goes from relu(-1) = 0 to 2
while its input goes from -1 to 2, multiplier 2/3; the output unit's multiplier is 1/1:
(3 * 2/3, 1 * (-1)) = (2, -1). Same function, different attributions.
"""

from __future__ import annotations

import sympy as sp

from axioms import deeplift_rescale, network_expression
from counterexamples.base import Counterexample, Result, describe_attribution, exact_equal, fmt
from proofs import Function, integrated_gradients, straight

NAME = "implementation-invariance"

#: The networks as (W, b, activation) layers (W a list of rows).
NET_F = [([[1, 0], [0, 1]], [0, 0], "relu"), ([[1, -1]], [-1], "relu")]
NET_G = [([[1, 0], [0, 1]], [-1, 0], "relu"), ([[1, -1]], [0], "relu")]
X1, X2 = sp.symbols("x1 x2")
INPUT, BASELINE = (3, 1), (0, 0)
EXPECTED_IG = (sp.Rational(3, 2), sp.Rational(-1, 2))
#: DeepLIFT (rescale) by hand, see above.
EXPECTED_DEEPLIFT = ((sp.Rational(3, 2), sp.Rational(-1, 2)), (sp.Integer(2), sp.Integer(-1)))


def _relu_argument(node: sp.Expr) -> sp.Expr:
    """z for a node relu(z) = Max(0, z)."""
    (z,) = [a for a in node.args if a != 0]
    return z


def _upper_bound(expr: sp.Expr, box: dict) -> sp.Expr:
    """An exact upper bound of the linear ``expr`` on the box (sympy AccumBounds)."""
    value = expr.subs(box)
    return value.max if isinstance(value, sp.AccumBounds) else value


def same_function(f: sp.Expr, g: sp.Expr) -> tuple[bool, list[str]]:
    """Prove f == g region by region for f = relu(A_f), g = relu(A_g).

    Split the plane at the inner kinks x1 = 0, x1 = 1, x2 = 0. On each region every inner relu
    is a fixed linear function, so A_f and A_g are linear: either they coincide, or both are
    <= 0 on the whole region (bounded exactly with interval arithmetic), and then f = g = 0.
    """
    lines = []
    ok = True
    oo = sp.oo
    inner_nodes = [n for n in sp.preorder_traversal(f + g)
                   if isinstance(n, sp.Max) and not _relu_argument(n).has(sp.Max)]
    for lo1, hi1 in ((-oo, 0), (0, 1), (1, oo)):
        for lo2, hi2 in ((-oo, 0), (0, oo)):
            probe = {X1: _inside(lo1, hi1), X2: _inside(lo2, hi2)}
            linear = {n: (_relu_argument(n) if _relu_argument(n).subs(probe) > 0
                          else sp.Integer(0)) for n in inner_nodes}
            fa = sp.expand(_relu_argument(f).xreplace(linear))
            ga = sp.expand(_relu_argument(g).xreplace(linear))
            box = {X1: sp.AccumBounds(lo1, hi1), X2: sp.AccumBounds(lo2, hi2)}
            if sp.expand(fa - ga) == 0:
                verdict = f"outer arguments both {fa}: f = g"
            else:
                uf, ug = _upper_bound(fa, box), _upper_bound(ga, box)
                both_off = bool(uf <= 0) and bool(ug <= 0)
                ok &= both_off
                verdict = (f"outer arguments {fa} <= {uf} and {ga} <= {ug}: f = g = 0"
                           if both_off else f"outer arguments {fa}, {ga}: NOT shown equal")
            lines.append(f"  x1 in [{lo1}, {hi1}], x2 in [{lo2}, {hi2}]: {verdict}")
    return ok, lines


def _inside(lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    """A point strictly inside the interval (lo, hi), possibly unbounded."""
    if lo == -sp.oo:
        return hi - 1
    if hi == sp.oo:
        return lo + 1
    return (lo + hi) / 2


def compute() -> Result:
    """IG on both networks, DeepLIFT on both, and the proof that they are one function."""
    f_expr = network_expression(NET_F, [X1, X2])
    g_expr = network_expression(NET_G, [X1, X2])
    same, proof = same_function(f_expr, g_expr)
    F, G = (Function(e, variables=[X1, X2]) for e in (f_expr, g_expr))
    igf, igg = integrated_gradients(F, INPUT), integrated_gradients(G, INPUT)
    dlf, dlg = deeplift_rescale(NET_F, INPUT, BASELINE), deeplift_rescale(NET_G, INPUT, BASELINE)
    lines = [f"f = {f_expr}", f"g = {g_expr}", "f = g everywhere (case analysis):", *proof, ""]
    lines += describe_attribution(igf, straight(BASELINE, INPUT), "IG of f")
    lines += describe_attribution(igg, straight(BASELINE, INPUT), "IG of g")
    lines += ["", f"DeepLIFT (rescale, axioms.deeplift_rescale): f -> {fmt(dlf)}, g -> {fmt(dlg)}"
              f"  (both sum to f(x) - f(0) = {fmt(F(*INPUT) - F(*BASELINE))})",
              "IG is implementation invariant here; DeepLIFT is not."]
    agrees = (same and exact_equal(igf.values, EXPECTED_IG) and exact_equal(igg.values, EXPECTED_IG)
              and exact_equal((dlf, dlg), EXPECTED_DEEPLIFT) and not exact_equal(dlf, dlg))
    computed = (igf.values, igg.values, dlf, dlg)
    text = (f"IG f {fmt(igf.values)}, g {fmt(igg.values)}; DeepLIFT f {fmt(dlf)}, g {fmt(dlg)}")
    return Result(computed, text, agrees, tuple(lines))


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="relu(relu(x1) - 1 - relu(x2)) = relu(relu(x1 - 1) - relu(x2)): IG agrees, DeepLIFT not",
    claim="DeepLIFT's discrete gradients give equal attributions to equal functions",
    source="Sundararajan et al. 2017, sec. 2.2 (implementation invariance); tutorial 004",
    published=(EXPECTED_IG, EXPECTED_IG),
    published_text="IG (1.5, -0.5) for both; DeepLIFT differs (by hand (3/2, -1/2) vs (2, -1))",
    compute=compute,
    draw=None,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
