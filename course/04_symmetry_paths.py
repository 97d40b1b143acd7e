# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Symmetry-preserving paths (Lerma & Lucas (2021))
#
# $F$ is *symmetric* in $x_i, x_j$ if swapping the two leaves $F$ unchanged. A method is
# *symmetry preserving* if, whenever $F$ is symmetric in $x_i, x_j$ and the input and the
# baseline have equal $i$th and $j$th coordinates, $A_i = A_j$. Sundararajan, Taly & Yan
# (2017, Thm 1) say that IG is the unique symmetry-preserving path method. Lerma & Lucas
# (2021) make this precise: their Theorem 1 characterises the symmetry-preserving *strictly
# monotone* paths ($\gamma_i = \gamma_j$), their Example 1 shows what goes wrong off the
# diagonal, and their Counterexample 1 builds a family of paths, not the straight line, that
# is still symmetry preserving.

# %%
# %matplotlib inline
import sympy as sp

from counterexamples.lerma_symmetric_path import family, family_path
from counterexamples.lerma_theorem1_witness import PATH as BUMP_PATH
from counterexamples.lerma_theorem1_witness import F as WITNESS
from proofs import Function, attribute, curve, integrated_gradients, plot

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

t = sp.Symbol("t")

# %% [markdown]
# ## Example 1: a curved path favours one variable
#
# $F = x_1x_2$ is symmetric. Along $\gamma(t) = (t, t^2)$ from $(0,0)$ to $(1,1)$:
# $A_1 = \int x_2\,dx_1$ is the area *under* the path and $A_2 = \int x_1\,dx_2$ the area
# *above* it (inside the unit square), so $A_1 = 1/3 < 2/3 = A_2$.

# %%
F = Function("x1*x2")
bent = curve([t, t**2])
A = attribute(F, bent)
display(A)
assert A.values == (sp.Rational(1, 3), sp.Rational(2, 3))
plot(F, bent, title="Example 1: F = x1*x2 along (t, t**2)")

# %% [markdown]
# **Exercise 1.** Write a function `area_split(k)` that returns the attributions of
# $F = x_1x_2$ along $\gamma(t) = (t, t^k)$, and guess a closed form in $k$.

# %% tags=["exercise"]
def area_split(k):
    return None  # your code: the engine's values for the path (t, t**k)


# %% tags=["solution"]
def area_split(k):
    # A1 = int_0^1 t^k dt = 1/(k + 1) (area under), A2 = k/(k + 1) (area above).
    return attribute(F, curve([t, t**k])).values


# %%
if area_split(2) is None:
    print("Exercise 1: not done yet")
else:
    for k in (1, 2, 3, 5):
        assert tuple(area_split(k)) == (sp.Rational(1, k + 1), sp.Rational(k, k + 1))
    print("Exercise 1: correct; A = (1/(k+1), k/(k+1))")

# %% [markdown]
# ## Theorem 1 and its witness
#
# If a strictly monotone path leaves the diagonal on a stretch $[u, v]$, Lerma & Lucas build a
# symmetric $F = g(x_1)g(x_2)$ with $g(z) = \min(\max(z - c, 0), d - c)$ that tells $x_1$
# and $x_2$ apart. For a path that bulges above the diagonal between $(1/4, 1/4)$ and
# $(3/4, 3/4)$ the witness gets $(17/120, 13/120)$, while the diagonal gives it $(1/8, 1/8)$.

# %%
print("witness F =", WITNESS.expr)
W = attribute(WITNESS, BUMP_PATH)
display(W)
print("on the diagonal:", integrated_gradients(WITNESS, [1, 1]).values)
plot(WITNESS, BUMP_PATH, title="Theorem 1's witness along a path off the diagonal")

# %% [markdown]
# ## Counterexample 1: symmetry preserving, yet not IG
#
# From $p$ to $q$ in the plane, Lerma & Lucas take
# $\gamma_k(t) = p_k + t(q_k - p_k) + t(t - 1)\,D\,\mathrm{sgn}(q_k - p_k)$ with
# $D = (p_1 - p_2)^2 + (q_1 - q_2)^2$. When $p_1 = p_2$ and $q_1 = q_2$ (the only case in which
# symmetry preservation asks anything), $D = 0$ and the path is straight. Otherwise it bends:

# %%
print("from (0,0) to (1,2):", family((0, 0), (1, 2)))
print("from (0,0) to (1,1):", family((0, 0), (1, 1)))
print("F = x1*x2 from (0,0) to (1,2):", attribute(F, family_path((0, 0), (1, 2))).values,
      " IG:", integrated_gradients(F, [1, 2]).values)

# %% [markdown]
# **Exercise 2.** Theorem 1 says the path must have $\gamma_1 = \gamma_2$, not that it must be
# the straight line *parametrised at constant speed*. Check that the path
# $\gamma(t) = (t^3, t^3)$ is symmetry preserving on the symmetric functions in `symmetric`
# below: store the list of attributions in `on_cubic` and compare with IG. (Leave out
# $\max(x_1, x_2)$: on the diagonal it has no partial derivatives, and the engine refuses
# with a `NotDifferentiableError`; see `python -m counterexamples max-on-diagonal`.)

# %%
symmetric = [Function("x1*x2"), Function("(x1 + x2)**3 + sin(x1)*sin(x2)"),
             Function("tanh(x1 + x2) * x1 * x2")]

# %% tags=["exercise"]
on_cubic = None

# %% tags=["solution"]
cubic = curve([t**3, t**3])
on_cubic = [attribute(G, cubic, engine="mpmath", dps=20).values for G in symmetric]
print(on_cubic)
# The image is the diagonal; a path method depends on the path only through its image and
# direction (reparametrising the same curve changes nothing), so these are IG's values.

# %%
if on_cubic is None:
    print("Exercise 2: not done yet")
else:
    for G, values in zip(symmetric, on_cubic):
        a1, a2 = (float(v) for v in values)
        ig = integrated_gradients(G, [1, 1], engine="mpmath", dps=20).numeric()
        assert abs(a1 - a2) < 1e-12 and abs(a1 - ig[0]) < 1e-12, (G, values, ig)
    print("Exercise 2: correct; equal shares, as on the straight line")
