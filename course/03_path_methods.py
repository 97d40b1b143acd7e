# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Path methods, non-monotone paths, Claim 1 and the Xu et al. ASI example
#
# A *path method* integrates the gradient along any path $\gamma$ from the baseline to the
# input:
#
# $$A_i^\gamma(x, x', F) = \int_0^1 \frac{\partial F}{\partial x_i}\big(\gamma(t)\big)\,\gamma_i'(t)\,dt .$$
#
# IG is the straight path. Friedman (2004) showed, for cost sharing, that the methods with
# a handful of axioms are (mixtures of) *monotone* path methods, and Sundararajan, Taly & Yan
# (2017, Prop. 2) carried this over to attribution. Lundstrom, Huang & Razaviyayn (2022,
# sec. 3.2) state it rigorously as Claim 1 and show that it is false; Xu, Venugopalan &
# Sundararajan (2020, Prop. 1) make a similar claim with affine scale invariance (ASI), refuted
# in Lundstrom, Huang & Razaviyayn (2022, App. E.1). Here you rebuild both counterexamples.

# %%
# %matplotlib inline
import sympy as sp

from proofs import (
    Function,
    affine_image,
    attribute,
    closed_loop,
    concatenate,
    plot,
    polyline,
    straight,
)

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

# %% [markdown]
# ## Different paths, different attributions
#
# For $F = x_1 x_2$ from $0$ to $(1, 1)$, every path gives a total of $F(1,1) - F(0,0) = 1$
# (completeness), but the split depends on the path. The straight line splits evenly; the
# path that moves $x_1$ first gives everything to $x_2$ (while $x_1$ moves, $x_2 = 0$ so
# $\partial F/\partial x_1 = 0$).

# %%
F = Function("x1*x2")
for name, path in [("straight", straight((0, 0), (1, 1))),
                   ("x1 first", polyline([(0, 0), (1, 0), (1, 1)])),
                   ("x2 first", polyline([(0, 0), (0, 1), (1, 1)]))]:
    A = attribute(F, path)
    print(f"{name:9}: monotone {path.is_monotone()}, A = {A.values}, sum = {A.total}")

# %% [markdown]
# On a *monotone* path from $x'$ to $x$ with $x \ge x'$, a function that is non-decreasing in
# every coordinate gets non-negative attributions: each integrand
# $\partial_i F \cdot \gamma_i'$ is a product of two non-negative numbers. So does every
# average (ensemble) of monotone path methods.
#
# ## Claim 1 is false: a loop before the diagonal
#
# Go once round the unit square counterclockwise, then up the diagonal. $F = x_1x_2$ is
# non-decreasing on $[0, 1]^2$, and yet:

# %%
loop = closed_loop([(0, 0), (1, 0), (1, 1), (0, 1)])
claim1_path = concatenate(loop, straight((0, 0), (1, 1)))
A = attribute(F, claim1_path)
display(A)
print("segment by segment:", A.segment_values)
assert A.values == (sp.Rational(-1, 2), sp.Rational(3, 2))
plot(F, claim1_path, title="F = x1*x2: loop, then the diagonal")

# %% [markdown]
# $A_1 = -1/2 < 0$: no ensemble of monotone path methods gives this, yet the method (this path
# for (0, 0) -> (1, 1), its affine image $x' + (x - x')\rho(t)$ for other inputs) satisfies
# completeness, linearity, dummy and implementation invariance, the hypotheses of Claim 1.
#
# **Exercise 1.** Predict, then compute, the attribution of $F = x_1x_2$ along the loop run
# *clockwise* (`loop.reversed()`) followed by the diagonal. Store the engine's result in
# `clockwise_values`.

# %% tags=["exercise"]
clockwise_values = None

# %% tags=["solution"]
# Reversing the loop flips the sign of its contribution, (-1, 1) -> (1, -1); the diagonal adds
# (1/2, 1/2): (3/2, -1/2).
clockwise_values = attribute(F, concatenate(loop.reversed(), straight((0, 0), (1, 1)))).values

# %%
if clockwise_values is None:
    print("Exercise 1: not done yet")
else:
    assert tuple(clockwise_values) == (sp.Rational(3, 2), sp.Rational(-1, 2)), clockwise_values
    print("Exercise 1: correct,", clockwise_values)

# %% [markdown]
# **Exercise 2.** Wind $n$ times round the loop clockwise before the diagonal
# (`loop.reversed().repeated(n)`). Lundstrom, Huang & Razaviyayn (2022, App. F) give
# $A = (1/2 + n, 1/2 - n)$. Check it for $n = 1, 2, 3$ and store the three results in
# `windings` (a list of tuples). Why does this make "ensembles of path methods" ill-defined
# without a bound on the path length?

# %% tags=["exercise"]
windings = None

# %% tags=["solution"]
windings = [attribute(F, concatenate(loop.reversed().repeated(n), straight((0, 0), (1, 1))))
            .values for n in (1, 2, 3)]
print(windings)
# Each loop adds (1, -1): a probability measure that puts mass 2^-k on the path winding
# (-2)^k times gives terms 2^-k (1/2 + (-2)^k, ...) that do not tend to 0: no attribution.

# %%
if windings is None:
    print("Exercise 2: not done yet")
else:
    half = sp.Rational(1, 2)
    assert [tuple(w) for w in windings] == [(half + n, half - n) for n in (1, 2, 3)], windings
    print("Exercise 2: correct")

# %% [markdown]
# ## Xu et al.'s ASI example
#
# The path $(0,0) \to (1,0) \to (1,1) \to (0,1) \to (0,0) \to (1,1)$ with
# $F = x_1 x_2^2$ (Lundstrom, Huang & Razaviyayn (2022), App. E.1). By hand, segment by
# segment: $(0,0)$, $(0,1)$, $(-1,0)$, $(0,0)$, $(1/3, 2/3)$; in total $(-2/3, 5/3)$.

# %%
G = Function("x1*x2**2")
rho = polyline([(0, 0), (1, 0), (1, 1), (0, 1), (0, 0), (1, 1)])
xu = attribute(G, rho)
display(xu)
assert xu.values == (sp.Rational(-2, 3), sp.Rational(5, 3))
plot(G, rho, title="Xu et al.'s path, F = x1*x2**2")

# %% [markdown]
# **Affine scale invariance, correctly stated.** For $T(y) = (\dots, c\,y_i + d, \dots)$ the
# axiom reads $A(T x, T x', F \circ T^{-1}) = A(x, x', F)$. The method's path for $(x, x')$
# is $x' + (x - x')\rho(t)$ (`affine_image`), so applying $T$ maps the path for $(x, x')$ onto
# the path for $(Tx, Tx')$, and the axiom holds.
#
# **Exercise 3.** Take $T(y_1, y_2) = (y_1, -2y_2 + 1)$, $x = (2, 1)$, $x' = (1/2, -1)$.
# Compute both sides of the ASI identity for `G` with the method above (`method(F, x, x')`
# below) and store them in `lhs` and `rhs`.

# %%
def method(F, x, baseline):
    """Xu et al.'s counterexample method: the affine image of rho from baseline to x."""
    scale = [a - b for a, b in zip(x, baseline)]
    return attribute(F, affine_image(rho, scale, list(baseline))).values


x, xb = (2, 1), (sp.Rational(1, 2), -1)

# %% tags=["exercise"]
lhs = rhs = None

# %% tags=["solution"]
y1, y2 = G.variables
T = lambda p: (p[0], -2 * p[1] + 1)  # noqa: E731
G_after_T_inverse = Function(G.expr.subs(y2, (y2 - 1) / -2), variables=G.variables)
lhs = method(G_after_T_inverse, T(x), T(xb))
rhs = method(G, x, xb)
print(lhs, rhs)

# %%
if lhs is None:
    print("Exercise 3: not done yet")
else:
    assert tuple(lhs) == tuple(rhs) == method(G, x, xb), (lhs, rhs)
    print("Exercise 3: correct; ASI holds:", lhs)
