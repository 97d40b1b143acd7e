# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Token attributions on a transformer
#
# Language models read integer token ids, and there is no straight path between two integers.
# So IG on a transformer runs through the embedding layer: the path goes from the embeddings of
# a baseline sentence to those of the input, and each token's score is the sum of its
# embedding's attributions. This is what Captum's BERT tutorial does (Kokhlikyan et al.
# (2020)), with a baseline that keeps [CLS] and [SEP] and replaces every word by [PAD].
#
# The model here is a small BERT-style classifier (Devlin et al. (2019)), built with Hugging
# Face transformers (Wolf et al. (2020)) from a config with **random weights**: the scores show
# how the method works, not what a trained model has learnt. `numeric.LayerIntegratedGradients`
# takes Captum's call unchanged. Needs `pip install torch==2.13.0 transformers`.

# %%
# %matplotlib inline
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure

from numeric import LayerIntegratedGradients
from numeric.tiny_bert import TinyBert

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

torch.set_num_threads(1)  # a tiny model: one thread is fastest (and kind to shared machines)

# %% [markdown]
# ## The attributions
#
# Class 1 of the classifier is "positive". We attribute its logit for one sentence against the
# [PAD] baseline, with 32 Gauss-Legendre steps, and sum each token's 32 embedding coordinates.

# %%
model = TinyBert(seed=0)
ids, mask = model.encode("the film was wonderful but the acting was dull")
baseline = model.pad_baseline(ids)
tokens = model.tokens(ids)
print("tokens:  ", tokens)
print("baseline:", model.tokens(baseline))

lig = LayerIntegratedGradients(model, model.embeddings)
attr, delta = lig.attribute(ids, baseline, target=1, additional_forward_args=mask,
                            n_steps=32, return_convergence_delta=True)
token_scores = attr.sum(-1)[0]
with torch.no_grad():
    change = float(model(ids, mask)[0, 1] - model(baseline, mask)[0, 1])
print(f"F(x) - F(baseline) = {change:.6f}, sum of token scores = {float(token_scores.sum()):.6f}")
print(f"completeness delta: {float(delta[0]):.1e}")

# %% [markdown]
# The sentence coloured by the scores: red tokens raise the logit, blue ones lower it.

# %%
def coloured_sentence(words, scores, title):
    bound = float(scores.abs().max()) or 1.0
    cmap = colormaps["RdBu_r"]
    fig = Figure(figsize=(9, 1.6), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    x = 0.0
    for word, s in zip(words, scores.tolist()):
        ax.text(x, 0.5, word, fontsize=12, va="center", family="monospace",
                color="white" if abs(s) > 0.6 * bound else "black",
                bbox=dict(facecolor=cmap(0.5 + 0.5 * s / bound), edgecolor="none"))
        x += 0.011 * (len(word) + 2)
    ax.set_xlim(0, x)
    ax.set_title(title, fontsize=10)
    return fig


display(coloured_sentence(tokens, token_scores, "token attributions to the 'positive' logit"))
for word, s in zip(tokens, token_scores.tolist()):
    print(f"{word:>10s} {s:+.5f}")

# %% [markdown]
# **Exercise 1.** Two tokens get a score of exactly 0. Which? Store them, as strings, in the
# list `zero_tokens`, and think about why: what do the input and the baseline have at those
# positions, and what does IG's factor $(x_i - x'_i)$ make of that?

# %% tags=["exercise"]
zero_tokens = None

# %% tags=["solution"]
zero_tokens = [w for w, s in zip(tokens, token_scores.tolist()) if s == 0.0]
print(zero_tokens)
# [CLS] and [SEP] are the same token, at the same position, in the input and in the baseline:
# their embeddings (word + position + type, normalised) are equal, so x_i - x'_i = 0 and so is
# every coordinate's attribution, whatever the gradient.

# %%
if zero_tokens is None:
    print("Exercise 1: not done yet")
else:
    emb_x = model.embeddings(ids)
    emb_b = model.embeddings(baseline)
    same = [w for w, a, b in zip(tokens, emb_x[0], emb_b[0]) if torch.equal(a, b)]
    assert sorted(zero_tokens) == sorted(same) == ["[CLS]", "[SEP]"], zero_tokens
    print("Exercise 1: correct; identical embeddings in input and baseline get nothing")

# %% [markdown]
# ## How many steps?
#
# The tutorial uses 50 steps. Is that enough here?
#
# **Exercise 2.** Take a Gauss-Legendre rule with 64 steps as the reference. Double the number
# of steps of the midpoint rule (`method="riemann_middle"`), $n = 2, 4, 8, \dots$, until every
# token score is within $10^{-4}$ of the largest reference score (relative error
# $\max_i |s_i - s^{ref}_i| / \max_i |s^{ref}_i|$). Store that $n$ in `steps_needed`.

# %% tags=["exercise"]
steps_needed = None

# %% tags=["solution"]
def scores(n, method):
    a = lig.attribute(ids, baseline, target=1, additional_forward_args=mask, n_steps=n,
                      method=method)
    return a.sum(-1)[0]


reference = scores(64, "gausslegendre")


def relative_error(n):
    return float((scores(n, "riemann_middle") - reference).abs().max() / reference.abs().max())


steps_needed = 2
while relative_error(steps_needed) > 1e-4:
    steps_needed *= 2
print(steps_needed, relative_error(steps_needed))
# The path is smooth (GELU, softmax, LayerNorm: no kinks), so the midpoint rule's error falls
# like 1/n^2 and Gauss-Legendre's much faster still; 64 Gauss-Legendre steps agree with 128 to
# about the last digit here.

# %%
if steps_needed is None:
    print("Exercise 2: not done yet")
else:
    ref = lig.attribute(ids, baseline, target=1, additional_forward_args=mask, n_steps=64
                        ).sum(-1)[0]

    def err(n):
        a = lig.attribute(ids, baseline, target=1, additional_forward_args=mask, n_steps=n,
                          method="riemann_middle").sum(-1)[0]
        return float((a - ref).abs().max() / ref.abs().max())

    assert err(steps_needed) <= 1e-4 < err(steps_needed // 2), steps_needed
    print(f"Exercise 2: correct; the midpoint rule needs {steps_needed} steps")
