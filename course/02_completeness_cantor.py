# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Completeness, Lipschitz functions and Cantor's staircase
#
# *Completeness* says the attributions add up to the change of the output:
# $\sum_i A_i(x, x', F) = F(x) - F(x')$. For a path method it is the gradient theorem
# (the fundamental theorem of calculus along the path). Sundararajan, Taly & Yan (2017,
# Prop. 1) state it for F "continuous everywhere and differentiable almost everywhere";
# Lerma & Lucas (2021, sec. 1.2.1 and Prop. 1) show that this is not enough and that
# *Lipschitz* F is. This notebook checks both statements with exact arithmetic.

# %%
# %matplotlib inline
import sympy as sp

from counterexamples.cantor_staircase import staircase, surviving_intervals
from proofs import Function, integrated_gradients, plot

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

# %% [markdown]
# ## Completeness on Lipschitz functions
#
# A small ReLU network, a tanh unit and a max: all Lipschitz on the box the path stays in.
# `Function.is_lipschitz_on(a, b)` decides it with interval arithmetic (True, False, or None
# when it cannot tell), and the exact engine gives a completeness gap of exactly 0.

# %%
examples = [
    ("relu(relu(x1) - 1 - relu(x2))", [3, 1]),
    ("tanh(2*x1 - x2) + x1*x2", [1, 2]),
    ("max(x1, 2*x2) - relu(x1 - 1/2)", [1, 1]),
]
for text, x in examples:
    F = Function(text)
    A = integrated_gradients(F, x)
    print(f"{text:34}  Lipschitz on [0, x]: {F.is_lipschitz_on([0] * len(x), x)}  "
          f"A = {A.values}  gap = {A.completeness_gap}")
    assert A.completeness_gap == 0

# %% [markdown]
# Lipschitz is sufficient, not necessary: $\sqrt{x}$ has an unbounded derivative at 0, so it
# is not Lipschitz on $[0, 1]$ (the interval check cannot certify it and answers None), yet it
# is absolutely continuous and IG is still complete.

# %%
root = Function("sqrt(x)", variables=["x"])
print("Lipschitz on [0, 1]:", root.is_lipschitz_on([0], [1]))
display(integrated_gradients(root, [1]))

# %% [markdown]
# ## Cantor's staircase
#
# The Cantor function $C$ (Cantor (1884)) is continuous, non-decreasing, $C(0) = 0$, $C(1) = 1$, and
# $C' = 0$ at almost every point (off the Cantor set, which has measure 0). So
# $\int_0^1 C'(x)\,dx = 0 \ne 1 = C(1) - C(0)$: completeness fails for a function that is
# continuous and differentiable almost everywhere.
#
# We cannot integrate $C$ itself, but we can integrate its approximations $C_k$: piecewise
# linear, slope $(3/2)^k$ on the $2^k$ intervals of length $3^{-k}$ that survive $k$ steps of
# removing middle thirds, flat elsewhere. Each $C_k$ is Lipschitz (constant $(3/2)^k$), and
# the engine finds every kink.

# %%
C2 = staircase(2)
print("C_2(y) =", C2.expr)
A2 = integrated_gradients(C2, [1])
for piece in A2.pieces:
    print(f"t in [{piece.t0}, {piece.t1}]: contributes {piece.values[0]}")
plot(C2, input=[1], title="Level-2 staircase C_2")

# %% [markdown]
# **Exercise 1.** For $k = 1, \dots, 5$ compute the IG of $C_k$ from 0 to 1 and the total
# length of the pieces where $C_k' > 0$ (from the engine's `pieces`: a piece's contribution
# is its slope times its length). Store the lengths in `steep_lengths` (a list of five sympy
# numbers). What do they converge to? What does that say about $\int_0^1 C'$?

# %% tags=["exercise"]
steep_lengths = None

# %% tags=["solution"]
steep_lengths = []
for k in range(1, 6):
    A = integrated_gradients(staircase(k), [1])
    assert A.values == (1,)  # completeness holds for every (Lipschitz) C_k
    steep_lengths.append(sum((p.t1 - p.t0 for p in A.pieces if p.values[0] != 0),
                             sp.Integer(0)))
print(steep_lengths)  # (2/3)^k -> 0: in the limit the slope lives on a null set, int C' = 0

# %%
if steep_lengths is None:
    print("Exercise 1: not done yet")
else:
    assert list(steep_lengths) == [sp.Rational(2, 3) ** k for k in range(1, 6)], steep_lengths
    print("Exercise 1: correct; (2/3)^k -> 0")

# %% [markdown]
# **Exercise 2.** The Lipschitz constant of $C_k$ is its largest slope. Read it off the
# pieces (contribution / length) for $k = 1, \dots, 5$ and store it in `lipschitz`.
# Why does Lerma & Lucas (2021)'s Proposition 1 not apply to the limit $C$?

# %% tags=["exercise"]
lipschitz = None

# %% tags=["solution"]
lipschitz = []
for k in range(1, 6):
    A = integrated_gradients(staircase(k), [1])
    lipschitz.append(max(p.values[0] / (p.t1 - p.t0) for p in A.pieces))
print(lipschitz)  # (3/2)^k -> infinity: C is not Lipschitz, so Prop. 1 says nothing about it

# %%
if lipschitz is None:
    print("Exercise 2: not done yet")
else:
    assert list(lipschitz) == [sp.Rational(3, 2) ** k for k in range(1, 6)], lipschitz
    print("Exercise 2: correct; (3/2)^k grows without bound")

# %% [markdown]
# The total length of the removed middle thirds is $\sum_{m \ge 1} 2^{m-1}/3^m = 1$, so the
# Cantor set (what survives) has measure 0:

# %%
m = sp.Symbol("m", integer=True, positive=True)
print("removed length:", sp.summation(2 ** (m - 1) / sp.Integer(3) ** m, (m, 1, sp.oo)))
print("surviving intervals after 2 steps:", surviving_intervals(2))

# %% [markdown]
# `python -m counterexamples cantor-staircase` prints the whole derivation and draws the
# staircases $C_1, \dots, C_6$.
