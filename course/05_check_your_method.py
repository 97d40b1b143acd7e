# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Check your own attribution method against the axioms
#
# The axioms of Sundararajan, Taly & Yan (2017) and Lundstrom, Huang & Razaviyayn (2022,
# sec. 2.2) are properties an attribution method $A(x, x', F)$ may or may not have:
# completeness, dummy (sensitivity(b)), linearity, symmetry preserving, implementation
# invariance, ASI, NDP, ... `axioms.check(method, axiom)` tests one of them on *your*
# method: first on the published counterexamples and exact identities, then with a
# randomised search (hypothesis) that shrinks a violation to a small witness.
#
# A method is a plain Python function `method(F, x, baseline)`:
#
# * `F` is a `proofs.Function`: `F(x)` evaluates it exactly, `F.gradient_at(x)` gives the
#   exact gradient at a point, `F.dimension` the number of variables;
# * `x` and `baseline` are tuples of exact numbers;
# * it returns one number per variable.
#
# From a terminal the same check is `python -m axioms check --method mymodule:mymethod`
# (with `mymodule.py` on `PYTHONPATH`); `python -m axioms --help` explains the axiom names.

# %%
import axioms
from proofs import attribute, integrated_gradients, polyline

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

SEARCH = {"max_examples": 10}  # a short search keeps the notebook quick; raise it at home


def verdict_of(result):
    """The verdict word of a check result ("violated", "proved", "no counterexample", ...)."""
    return str(getattr(result, "verdict", result))


# %% [markdown]
# The axioms the checker knows, with their short names and where they are stated:

# %%
if hasattr(axioms, "glossary"):
    print(axioms.glossary())
else:
    print(", ".join(axioms.AXIOMS))


# %% [markdown]
# ## Gradient times input
#
# The simplest saliency method multiplies the gradient at the input by the input's distance
# from the baseline. It is not complete: on $F(x) = 1 - \mathrm{relu}(1 - x)$ at $x = 2$ the
# gradient is 0 although $F$ changed by 1 (the IG tutorial (2026) example). The checker finds
# such a witness by itself:

# %%
def gradient_times_input(F, x, baseline):
    return [g * (xi - bi) for g, xi, bi in zip(F.gradient_at(x), x, baseline)]


result = axioms.check(gradient_times_input, "completeness", **SEARCH)
display(result)
assert verdict_of(result) == "violated"

# %% [markdown]
# **Exercise 1.** Write `equal_split`, the method that gives every variable the same share
# $(F(x) - F(x'))/n$. Which axioms do you expect it to satisfy? Check `completeness` and
# `dummy` and store the two results in `split_completeness` and `split_dummy`.

# %% tags=["exercise"]
def equal_split(F, x, baseline):
    return None  # your code: a list with one number per variable


split_completeness = split_dummy = None

# %% tags=["solution"]
def equal_split(F, x, baseline):
    share = (F(x) - F(baseline)) / len(x)
    return [share] * len(x)


split_completeness = axioms.check(equal_split, "completeness", **SEARCH)
split_dummy = axioms.check(equal_split, "dummy", **SEARCH)
display(split_completeness)
display(split_dummy)
# Complete by construction, but a variable F does not depend on still gets a share: the
# checker's witness is a function with a dummy variable.

# %%
if split_dummy is None:
    print("Exercise 1: not done yet")
else:
    assert verdict_of(split_completeness) != "violated", split_completeness
    assert verdict_of(split_dummy) == "violated", split_dummy
    print("Exercise 1: correct; complete, but dummy fails with witness", split_dummy.witness)

# %% [markdown]
# **Exercise 2.** A path method on a *monotone* path that is not the straight line: move
# $x_1$ first, then $x_2$, and so on (the axis-parallel path). Write it with
# `proofs.polyline` and `proofs.attribute`, and find which of `dummy`, `linearity` and
# `symmetry` it violates. Store the names of the violated axioms in `violated`.

# %% tags=["exercise"]
def axis_path(F, x, baseline):
    return None  # your code


violated = None

# %% tags=["solution"]
def axis_path(F, x, baseline):
    corners = [tuple(baseline)]
    for i in range(len(x)):
        corner = list(corners[-1])
        corner[i] = x[i]
        corners.append(tuple(corner))
    return attribute(F, polyline(corners)).values


violated = []
for name in ("dummy", "linearity", "symmetry"):
    r = axioms.check(axis_path, name, **SEARCH)
    display(r)
    if verdict_of(r) == "violated":
        violated.append(name)
print("violated:", violated)
# Symmetry: x1 moves while x2 is still at its baseline, so x1*x2 from 0 to (1, 1) gives (0, 1).

# %%
if violated is None:
    print("Exercise 2: not done yet")
else:
    assert violated == ["symmetry"], violated
    print("Exercise 2: correct; only symmetry is violated")

# %% [markdown]
# ## IG passes
#
# For comparison, IG itself (written with the exact engine) on the same axioms:

# %%
def ig(F, x, baseline):
    return integrated_gradients(F, x, baseline).values


for name in ("completeness", "dummy", "symmetry"):
    r = axioms.check(ig, name, **SEARCH)
    print(f"{name:12}: {verdict_of(r)}")
    assert verdict_of(r) != "violated"
