"""Implementation invariance: two networks, one function; IG agrees, DeepLIFT does not.

The claim. Sundararajan, Taly & Yan (2017, sec. 2.2) require attributions to depend only on the
function a network computes, not on how it is built, and say that DeepLIFT (Shrikumar,
Greenside & Kundaje (2017)) and LRP break this: their "discrete gradients" (Delta out /
Delta in) have no chain rule (IG tutorial (2026), "Implementation Invariance"; AI Wiki
(2026)). Our copies of the sources do not
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

from pathlib import Path

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


def draw(path: Path) -> Path:
    """Left: the one function, both networks' unit kinks and the IG path. Right: the bars."""
    import numpy as np

    from counterexamples.figures import arrows_along, new_figure, save

    fig, (ax, ax2) = new_figure(ncols=2, size=(13.5, 5.6))
    X, Y = np.meshgrid(np.linspace(-0.6, 3.6, 260), np.linspace(-0.8, 1.8, 200))
    r = lambda z: np.maximum(z, 0)  # noqa: E731
    f = r(r(X) - 1 - r(Y))
    cs = ax.contourf(X, Y, f, levels=12, cmap="Greys", alpha=0.45)
    fig.colorbar(cs, ax=ax, label="f = g")
    for expr, color, style, label in (
            (X, "C1", "--", "f's units switch: x1 = 0, x2 = 0, relu(x1) - 1 - relu(x2) = 0"),
            (Y, "C1", "--", None), (r(X) - 1 - r(Y), "C1", "--", None),
            (X - 1, "C4", ":", "g's units switch: x1 = 1, x2 = 0, relu(x1 - 1) - relu(x2) = 0"),
            (r(X - 1) - r(Y), "C4", ":", None)):
        ax.contour(X, Y, expr, levels=[0], colors=color, linestyles=style, linewidths=1.8)
        if label:
            ax.plot([], [], color=color, ls=style, lw=1.8, label=label)
    line = np.linspace((0, 0), (3, 1), 60)
    ax.plot(line[:, 0], line[:, 1], color="C3", lw=3, label="IG path, breakpoint t = 1/2")
    arrows_along(ax, line, color="C3", count=3, size=20)
    ax.plot([1.5], [0.5], "X", color="C3", ms=11, mec="white")
    ax.plot([0], [0], "ko")
    ax.plot([3], [1], "k*", ms=14)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("Two networks, one function: IG sees only the function")
    ax.legend(loc="upper left", fontsize=8.5)

    result = compute()
    igf, igg, dlf, dlg = result.computed
    bars = (("IG of f", igf, "C0"), ("IG of g", igg, "C9"), ("DeepLIFT of f", dlf, "C1"),
            ("DeepLIFT of g", dlg, "C3"))
    width = 0.2
    for k, (label, vals, color) in enumerate(bars):
        xs = np.arange(2) + (k - 1.5) * width
        ax2.bar(xs, [float(v) for v in vals], width, color=color, label=f"{label}: {fmt(vals)}")
    ax2.axhline(0, color="0.2", lw=1)
    ax2.set_xticks([0, 1], ["A_1 (x1 = 3)", "A_2 (x2 = 1)"])
    ax2.set_ylabel("attribution at x = (3, 1), baseline 0")
    ax2.set_title("DeepLIFT (rescale) depends on the implementation")
    ax2.legend(loc="upper right", fontsize=9)
    return save(fig, path)


COUNTEREXAMPLE = Counterexample(
    name=NAME,
    title="relu(relu(x1) - 1 - relu(x2)) = relu(relu(x1 - 1) - relu(x2)): IG agrees, DeepLIFT not",
    claim="DeepLIFT's discrete gradients give equal attributions to equal functions",
    source="Sundararajan, Taly & Yan (2017), sec. 2.2 (implementation invariance); "
           "IG tutorial (2026)",
    published=(EXPECTED_IG, EXPECTED_IG),
    published_text="IG (1.5, -0.5) for both; DeepLIFT differs (by hand (3/2, -1/2) vs (2, -1))",
    compute=compute,
    draw=draw,
)

if __name__ == "__main__":
    print(COUNTEREXAMPLE.report())
