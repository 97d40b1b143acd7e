# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. Integrated Gradients by hand and by the engine
#
# Integrated Gradients (Sundararajan, Taly & Yan (2017)) attributes the change
# F(x) - F(x') of a model's output between a baseline x' and an input x to the input's
# coordinates:
#
# $$\mathrm{IG}_i(x, x', F) = (x_i - x'_i)\int_0^1 \frac{\partial F}{\partial x_i}\big(x' + t(x - x')\big)\,dt .$$
#
# It is the path method of the straight path $\gamma(t) = x' + t(x - x')$. In this notebook
# you compute IG by hand, check it with the exact engine of `proofs`, and see what the
# Riemann sums that practitioners use (20 to 300 steps, AI Wiki (2026)) get wrong and by how
# much.
#
# Cells tagged *exercise* are yours; the lecturer's version has the solutions.

# %%
# %matplotlib inline
from fractions import Fraction

import numpy as np
import sympy as sp
from matplotlib.figure import Figure

from proofs import Function, integrated_gradients, plot

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

# %% [markdown]
# ## A worked example
#
# Take $F(x_1, x_2) = x_1 x_2^2$, the input $x = (1, 2)$ and the baseline $x' = 0$. On the
# straight path $\gamma(t) = (t, 2t)$:
#
# * $\partial F/\partial x_1 = x_2^2 = 4t^2$ and $x_1 - x'_1 = 1$, so
#   $\mathrm{IG}_1 = \int_0^1 4t^2\,dt = 4/3$;
# * $\partial F/\partial x_2 = 2x_1x_2 = 4t^2$ and $x_2 - x'_2 = 2$, so
#   $\mathrm{IG}_2 = 2\int_0^1 4t^2\,dt = 8/3$.
#
# The two add up to $4 = F(x) - F(x')$: that is *completeness*. The engine agrees, exactly:

# %%
F = Function("x1*x2**2")
A = integrated_gradients(F, [1, 2])
display(A)
assert A.values == (sp.Rational(4, 3), sp.Rational(8, 3))
assert A.completeness_gap == 0

# %% [markdown]
# `proofs.plot` draws F's level sets, the path and each piece's contribution. Try it on your
# own functions (`python -m proofs plot EXPR --input ... --out f.png` does the same from a
# terminal).

# %%
plot(F, input=[1, 2])

# %% [markdown]
# **Exercise 1.** Compute by hand the IG of $F(x_1, x_2) = x_1^2 + 3x_1x_2$ at $x = (2, 1)$
# from the baseline $0$. Write your answer as two `Fraction`s in `my_ig`.

# %% tags=["exercise"]
my_ig = None  # e.g. (Fraction(1, 2), Fraction(3, 4))

# %% tags=["solution"]
# gamma(t) = (2t, t): dF/dx1 = 2 x1 + 3 x2 = 7t, times x1 - 0 = 2: IG1 = 2 * 7/2 = 7;
# dF/dx2 = 3 x1 = 6t, times 1: IG2 = 3. Sum 10 = F(2, 1) = 4 + 6.
my_ig = (Fraction(7), Fraction(3))

# %%
exact = integrated_gradients(Function("x1**2 + 3*x1*x2"), [2, 1]).values
if my_ig is None:
    print("Exercise 1: not done yet")
else:
    assert tuple(sp.Rational(v.numerator, v.denominator) for v in my_ig) == exact, exact
    print("Exercise 1: correct,", exact)

# %% [markdown]
# ## Riemann sums and their error
#
# Libraries approximate the integral by a sum over $n$ points $t_k$ of the path:
#
# $$\mathrm{IG}_i \approx (x_i - x'_i)\,\frac1n\sum_{k} \frac{\partial F}{\partial x_i}\big(x' + t_k(x - x')\big).$$
#
# The *left* rule takes $t_k = k/n$ ($k = 0..n-1$), the *right* rule $k = 1..n$, the
# *midpoint* rule $t_k = (k + 1/2)/n$. Below, a small implementation with NumPy (the
# gradient is sympy's derivative of F, turned into a NumPy function).

# %%
def riemann_ig(F, x, baseline, n, rule="midpoint"):
    """IG by a Riemann sum with n points (floats)."""
    x, baseline = np.asarray(x, dtype=float), np.asarray(baseline, dtype=float)
    grad = sp.lambdify(F.variables, sp.Matrix(F.gradient()), "numpy")
    offset = {"left": 0.0, "right": 1.0, "midpoint": 0.5}[rule]
    ts = (np.arange(n) + offset) / n
    total = np.zeros_like(x)
    for t in ts:
        total += np.asarray(grad(*(baseline + t * (x - baseline))), dtype=float).ravel()
    return (x - baseline) * total / n


exact = np.array(A.numeric())
for rule in ("left", "right", "midpoint"):
    approx = riemann_ig(F, [1, 2], [0, 0], 20, rule)
    print(f"{rule:>8}, 20 steps: {approx}   error {np.abs(approx - exact).max():.2e}")

# %% [markdown]
# How does the error shrink with $n$? For a smooth integrand the left and right rules are
# first order (error $\sim 1/n$) and the midpoint rule is second order ($\sim 1/n^2$).

# %%
steps = np.array([2, 4, 8, 16, 32, 64, 128, 256])
errors = {rule: [np.abs(riemann_ig(F, [1, 2], [0, 0], n, rule) - exact).max() for n in steps]
          for rule in ("left", "right", "midpoint")}
fig = Figure(figsize=(6.5, 4.5))
ax = fig.subplots()
for rule, errs in errors.items():
    ax.loglog(steps, errs, "o-", label=rule)
ax.loglog(steps, 4.0 / steps, "k:", label="1/n")
ax.loglog(steps, 2.0 / steps**2, "k--", label="1/n^2")
ax.set_xlabel("steps n")
ax.set_ylabel("max error")
ax.set_title("Riemann-sum IG of x1*x2**2 at (1, 2)")
ax.legend()
display(fig)

# %% [markdown]
# **Exercise 2.** Estimate the order $p$ of each rule (error $\approx C n^{-p}$) from the
# errors above: fit a line to $\log(\text{error})$ against $\log n$. Put the slopes in a
# dict `orders` (e.g. `{"left": ..., "right": ..., "midpoint": ...}`).

# %% tags=["exercise"]
orders = None

# %% tags=["solution"]
orders = {rule: -np.polyfit(np.log(steps), np.log(errs), 1)[0] for rule, errs in errors.items()}

# %%
if orders is None:
    print("Exercise 2: not done yet")
else:
    assert abs(orders["left"] - 1) < 0.15 and abs(orders["right"] - 1) < 0.15, orders
    assert abs(orders["midpoint"] - 2) < 0.15, orders
    print("Exercise 2: correct,", {k: round(float(v), 2) for k, v in orders.items()})

# %% [markdown]
# ## Kinks: where Riemann sums lose their order
#
# Networks are built from ReLUs. The AI Wiki (2026) worked example is
# $F(x) = \max(0, x - 1/2)$ at $x = 1$: IG $= 1/2$ although the gradient at $x$ is 1. The
# engine finds the breakpoint $t = 1/2$ where the ReLU switches and integrates each piece
# exactly.

# %%
relu_F = Function("max(0, x - 1/2)", variables=["x"])
B = integrated_gradients(relu_F, [1])
display(B)
print("breakpoints:", [str(b.t) for b in B.breakpoints])
plot(relu_F, input=[1])

# %% [markdown]
# **Exercise 3.** Move the kink: $F(x) = \max(0, x - 1/3)$ at $x = 1$ (IG $= 2/3$). Compute
# the midpoint-rule error for $n = 3, 6, 12, 24, 48, \dots$ and for $n = 4, 8, 16, 32, \dots$
# What do you see? Store the errors for $n = 4, 8, 16, 32$ in `kink_errors` (a list of
# floats).

# %% tags=["exercise"]
kink_errors = None

# %% tags=["solution"]
kink_F = Function("max(0, x - 1/3)", variables=["x"])
for n in (3, 6, 12, 24, 48):
    print(n, abs(riemann_ig(kink_F, [1], [0], n)[0] - 2 / 3))
kink_errors = [float(abs(riemann_ig(kink_F, [1], [0], n)[0] - 2 / 3)) for n in (4, 8, 16, 32)]
print(kink_errors)
# For n a multiple of 3 the kink falls on a cell boundary and the sum is exact. Otherwise the
# integrand jumps inside one cell and the error is first order, ~ 1/n, not 1/n^2.

# %%
if kink_errors is None:
    print("Exercise 3: not done yet")
else:
    ratios = [a / b for a, b in zip(kink_errors, kink_errors[1:])]
    assert all(1.5 < r < 2.5 for r in ratios), ratios  # halves with each doubling: ~1/n
    print("Exercise 3: correct; error ratios when n doubles:", [round(float(r), 2) for r in ratios])
