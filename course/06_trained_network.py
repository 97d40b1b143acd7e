# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. IG on a trained network: exact against Riemann, and inside the network
#
# A ReLU network is piecewise linear, so along the straight path its gradient is piecewise
# constant: IG can be computed *exactly* by walking the activation regions the path crosses
# (the idea behind ExactLine: Sotoudeh & Thakur (2019)). `numeric` does that
# (`method="exact"`), and also the quadrature rules libraries use (Riemann sums, Gauss-Legendre).
# Here you measure the quadrature error on a small trained classifier of 8x8 handwritten digits
# (Alpaydin & Kaynak (1998), shipped with scikit-learn), cross-check the numeric core against
# the exact engine of `proofs`, and look inside the network with conductance (Dhamdhere,
# Sundararajan & Yan (2019); Lundstrom, Huang & Razaviyayn (2022), sec. 6).

# %%
# %matplotlib inline
import numpy as np
import torch
from matplotlib.figure import Figure

import numeric
from numeric.models import digits_data, digits_mlp, random_mlp
from proofs import integrated_gradients as exact_ig

try:  # in a notebook, display() renders; as a plain script it prints
    from IPython.display import display
except ImportError:  # pragma: no cover
    display = print

torch.set_num_threads(1)  # tiny networks: one thread is fastest (and kind to shared machines)

# %% [markdown]
# ## The network
#
# A 64-32-10 ReLU perceptron, trained for a second with Adam on the first 1500 digits. We
# attribute its output for the predicted class on three held-out digits, from a black
# (all-zero) baseline.

# %%
net = digits_mlp()
images, labels = digits_data()
x = images[1500:1503]
with torch.no_grad():
    target = net(x).argmax(dim=1)
print("labels:", labels[1500:1503].tolist(), " predicted:", target.tolist())

exact = numeric.exact_integrated_gradients(net, x, target=target)
print("activation regions crossed per digit:", exact.regions)
print("completeness delta of the exact IG:", exact.delta.tolist())

# %% [markdown]
# Red pixels push the predicted class up, blue ones down; the black line outlines the digit.

# %%
fig = Figure(figsize=(9, 3.2))
axes = fig.subplots(1, 3)
for k, ax in enumerate(axes):
    a = exact.attributions[k].reshape(8, 8).numpy()
    bound = np.abs(a).max()
    shown = ax.imshow(a, cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.contour(x[k].reshape(8, 8).numpy(), levels=[0.4], colors="k", linewidths=1.2)
    ax.set_title(f"digit {labels[1500 + k].item()}: exact IG")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(shown, ax=list(axes), shrink=0.8, label="attribution")
display(fig)

# %% [markdown]
# ## Quadrature error
#
# The error of each rule against the exact IG, as the number of steps grows. The integrand is
# piecewise constant with jumps where a ReLU switches, so no rule converges faster than
# about $1/n$, however clever it is on smooth integrands.

# %%
steps = [4, 8, 16, 32, 64, 128]
rules = ["riemann_left", "riemann_middle", "riemann_trapezoid", "gausslegendre"]
errors = {}
for rule in rules:
    errors[rule] = [float((numeric.integrated_gradients(net, x, target=target, steps=n,
                                                        method=rule)
                           - exact.attributions).abs().max()) for n in steps]
    print(f"{rule:18}", "  ".join(f"{e:.1e}" for e in errors[rule]))

fig = Figure(figsize=(6.5, 4.5))
ax = fig.subplots()
for rule in rules:
    ax.loglog(steps, errors[rule], "o-", label=rule)
ax.loglog(steps, [1.0 / n for n in steps], "k:", label="1/n")
ax.set_xlabel("steps")
ax.set_ylabel("max |IG_rule - IG_exact|")
ax.set_title("Quadrature error on the digits network")
ax.legend()
display(fig)

# %% [markdown]
# **Exercise 1.** Double the number of steps, $n = 8, 16, 32, \dots$, until the midpoint
# rule's maximum error (over the three digits and 64 pixels) is below $10^{-3}$. Store that
# $n$ in `enough_steps`. Is it within the 20 to 300 steps libraries recommend?

# %% tags=["exercise"]
enough_steps = None

# %% tags=["solution"]
def midpoint_error(n):
    approx = numeric.integrated_gradients(net, x, target=target, steps=n, method="riemann_middle")
    return float((approx - exact.attributions).abs().max())


enough_steps = 8
while midpoint_error(enough_steps) >= 1e-3:
    enough_steps *= 2
print(enough_steps, midpoint_error(enough_steps))
# Compare with the usual 20 to 300 steps: the jumps of the ReLU network's gradient cap the
# midpoint rule at first order; the exact walk needs one pass per activation region instead.

# %%
if enough_steps is None:
    print("Exercise 1: not done yet")
else:
    approx = numeric.integrated_gradients(net, x, target=target, steps=enough_steps,
                                          method="riemann_middle")
    assert float((approx - exact.attributions).abs().max()) < 1e-3
    before = numeric.integrated_gradients(net, x, target=target, steps=enough_steps // 2,
                                          method="riemann_middle")
    assert float((before - exact.attributions).abs().max()) >= 1e-3
    print(f"Exercise 1: correct; {enough_steps} steps")

# %% [markdown]
# ## How accurate is my IG?
#
# Here you knew the exact IG, so you could measure each rule's error. On a network with smooth
# layers there is no exact walk, and the completeness delta is no error bar. Ask for an accuracy
# instead: `tolerance=1e-6` integrates each digit until its estimated error (the largest over
# the pixels of |A_i - IG_i|) is at most 1e-6 of its largest attribution, and
# `return_error=True` returns that estimate. On this ReLU network it runs the exact walk (the
# error is rounding only); on a network with smooth layers the path is cut where a ReLU or
# max-pool switches and each piece is integrated with a Gauss-Kronrod pair (Kronrod (1965)),
# splitting the pieces whose estimate is too large (Piessens et al. (1983)): in halves, or
# near the end where a piece's error sits.

# %%
attr, err = numeric.integrated_gradients(net, x, target=target, tolerance=1e-6,
                                         return_error=True)
print("ReLU network: estimated errors", [f"{e:.1e}" for e in err.tolist()],
      " true errors", [f"{e:.1e}" for e in
                       (attr - exact.attributions).abs().amax(1).tolist()])

smooth = random_mlp(64, 32, 10, activation="softplus", seed=0)
attr, err = numeric.integrated_gradients(smooth, x, target=target, tolerance=1e-6,
                                         return_error=True)
reference = numeric.integrated_gradients(smooth, x, target=target, steps=400)  # converged
true = (attr - reference).abs().amax(1)
print("softplus network: estimated errors", [f"{e:.1e}" for e in err.tolist()],
      " true errors", [f"{e:.1e}" for e in true.tolist()])
assert (true <= err).all() and (err <= 1e-6 * attr.abs().amax(1)).all()

# %% [markdown]
# ## Cross-check with the exact engine
#
# `numeric.to_function` turns a small torch network into a `proofs.Function` with its weights
# as exact rationals; the symbolic engine then computes IG exactly, breakpoints and all. On a
# random 3-6-1 network the two agree to rounding.

# %%
small = random_mlp(3, 6, 1, seed=1)
point = torch.tensor([[1.0, -0.5, 2.0]], dtype=torch.float64)
F = numeric.to_function(small)
by_proofs = exact_ig(F, [1, -0.5, 2]).numeric()
by_numeric = numeric.exact_integrated_gradients(small, point).attributions[0].tolist()
print("proofs :", by_proofs)
print("numeric:", by_numeric)
assert np.allclose(by_proofs, by_numeric, atol=1e-12)

# %% [markdown]
# ## Inside the network: conductance
#
# The conductance of a hidden unit $j$ is the part of the IG that flows through it:
# $\mathrm{Cond}_j = \sum_i \mathrm{IG}_{i,j}$, where the neuron flow is
# $\mathrm{IG}_{i,j} = \int_0^1 \frac{\partial F}{\partial h_j}\frac{\partial h_j}{\partial x_i}\big(\gamma(t)\big)\,\gamma_i'(t)\,dt$
# (Lundstrom, Huang & Razaviyayn (2022), eq. 4 and 6). The output depends on the input only
# through the hidden layer, so by the chain rule the conductances of its units add up to the
# total IG.
#
# **Exercise 2.** Compute the conductance of the 32 hidden units (the ReLU, `"1"` in
# `net.named_modules()`) for the first digit with `numeric.conductance(..., method="exact")`,
# and store the sum over the units in `conductance_total`. Compare it with the sum of the
# exact IG.

# %%
has_conductance = hasattr(numeric, "conductance")
if not has_conductance:
    print("numeric.conductance is not in this version of igverify: this part is skipped")

# %% tags=["exercise"]
conductance_total = None

# %% tags=["solution"]
if has_conductance:
    cond = numeric.conductance(net, "1", x[:1], target=target[:1], method="exact")
    conductance_total = float(cond.sum())
    top = torch.argsort(cond[0].abs(), descending=True)[:5]
    print("largest conductances:", {int(j): round(float(cond[0, j]), 4) for j in top})

# %%
if not has_conductance:
    print("Exercise 2: skipped (needs numeric.conductance)")
elif conductance_total is None:
    print("Exercise 2: not done yet")
else:
    ig_total = float(exact.attributions[0].sum())
    assert abs(conductance_total - ig_total) < 1e-9, (conductance_total, ig_total)
    print(f"Exercise 2: correct; sum of conductances {conductance_total:.6f} = sum of IG "
          f"{ig_total:.6f}")

# %% [markdown]
# The neuron flow of the unit with the largest conductance shows which pixels reach the output
# through that unit:

# %%
if has_conductance and hasattr(numeric, "neuron_flow"):
    cond = numeric.conductance(net, "1", x[:1], target=target[:1], method="exact")
    unit = int(torch.argmax(cond[0].abs()))
    flow = numeric.neuron_flow(net, "1", unit, x[:1], target=target[:1], steps=64)
    print(f"unit {unit}: flow sums to {float(flow.sum()):.4f}, its conductance "
          f"{float(cond[0, unit]):.4f} (64 Gauss-Legendre steps vs exact)")
    fig = Figure(figsize=(3.6, 3.2))
    ax = fig.subplots()
    bound = float(flow.abs().max())
    shown = ax.imshow(flow[0].reshape(8, 8).numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax.set_title(f"neuron flow through unit {unit}")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.colorbar(shown, ax=ax, shrink=0.8)
    display(fig)
