"""Ties along a whole piece of the path: the exact walk follows proofs' contract (issue 21 item 2,
issue 22 item 4). Where branches of a kink tie in value and slope, F's partial derivatives are
decided from its one-sided derivatives (branches by value, then slope along +-e_i), as
proofs.onesided does; where they differ the walk refuses, as the symbolic engine does. relu,
abs, maximum and the max reductions (amax, max over a dim, max-pool) all behave the same."""

import warnings

import pytest
import sympy as sp
import torch
import torch.nn as nn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numeric
from numeric import exact_integrated_gradients
from numeric.exact import exact_path_attribution
from proofs.errors import NotDifferentiableError

proofs = pytest.importorskip("proofs")

F64 = torch.float64
DIAGONAL = [torch.zeros(1, 2, dtype=F64), torch.ones(1, 2, dtype=F64)]


def _symbolic(expr: str, x, base):
    """proofs' answer: the values, or the NotDifferentiableError it raises."""
    try:
        return proofs.integrated_gradients(proofs.Function(expr), x, base).numeric()
    except NotDifferentiableError as exc:
        return exc


@pytest.mark.parametrize("forward, expr", [
    (lambda z: torch.relu(z[:, 0] - z[:, 1]), "max(0, x1 - x2)"),
    (lambda z: torch.abs(z[:, 0] - z[:, 1]), "abs(x1 - x2)"),
    (lambda z: torch.maximum(z[:, 0], z[:, 1]), "max(x1, x2)"),
    (lambda z: torch.minimum(z[:, 0], z[:, 1]), "min(x1, x2)"),
    (lambda z: z.amax(1), "max(x1, x2)"),
    (lambda z: z.max(dim=1).values, "max(x1, x2)"),
    (lambda z: z.min(1)[0], "min(x1, x2)"),
    (lambda z: nn.functional.max_pool1d(z[:, None], 2)[:, 0, 0], "max(x1, x2)"),
    (lambda z: torch.sort(z, 1).values[:, 1], "max(x1, x2)"),
])
def test_a_tie_of_branches_with_different_gradients_is_refused_like_proofs(forward, expr):
    """Along the diagonal the branches tie in value and slope but differ in gradient: F has
    no partial derivatives there (proofs raises), and every kink operation says so."""
    ref = _symbolic(expr, [1, 1], [0, 0])
    assert isinstance(ref, NotDifferentiableError)
    with pytest.raises(NotDifferentiableError, match=r"dF/dx1 does not exist for t in \[0, 1\]"):
        exact_path_attribution(forward, DIAGONAL)


@pytest.mark.parametrize("forward, expr, x", [
    (lambda z: z[:, 0] - torch.relu(-torch.relu(z[:, 0] - z[:, 1])),
     "x1 - max(0, -max(0, x1 - x2))", [1, 1]),
    (lambda z: torch.cat([z, z], 1).amax(1), "max(x1, x2)", [2, 1]),
    (lambda z: torch.relu(z[:, 0] - z[:, 1]) + torch.relu(z[:, 1] - z[:, 0])
     - torch.abs(z[:, 0] - z[:, 1]) + 2 * z[:, 1], "2*x2", [1, 1]),
])
def test_a_tie_where_f_is_differentiable_gives_f_partials_silently(forward, expr, x):
    """relu(-relu(x1 - x2)) is 0 everywhere; duplicated entries tie with equal gradients;
    relu(u) + relu(-u) - |u| is 0: F has partial derivatives, and they are integrated."""
    base = [0, 0]
    ref = _symbolic(expr, x, base)
    assert not isinstance(ref, Exception)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = exact_path_attribution(forward, [torch.tensor([base], dtype=F64),
                                               torch.tensor([x], dtype=F64)])
    assert got.attributions[0].tolist() == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("forward", [
    lambda z: torch.relu(z[:, 0] - z[:, 1]),
    lambda z: torch.maximum(z[:, 0], z[:, 1]),
    lambda z: z.amax(1),
    lambda z: z.max(dim=1).values,
])
def test_the_convention_is_an_option_and_warns_the_same_way_for_every_kink(forward):
    with pytest.warns(UserWarning, match=r"sat exactly at their kink .* convention"):
        r = exact_path_attribution(forward, DIAGONAL, on_tie="convention")
    assert abs(float(r.delta[0])) < 1e-15


def test_on_tie_is_checked():
    with pytest.raises(ValueError, match=r"on_tie must be one of"):
        exact_path_attribution(lambda z: z[:, 0], DIAGONAL, on_tie="zero")


@st.composite
def planted_ties(draw):
    """A ReLU MLP with small integer weights and an integer path; some first-layer units are
    planted on the path (weights orthogonal to it, bias through the baseline: their input is
    exactly 0 all along), one perhaps duplicated, so that their branches tie flat."""
    n_in = draw(st.integers(2, 3))
    hidden = draw(st.integers(2, 4))
    ints = st.integers(-2, 2)
    base = draw(st.lists(ints, min_size=n_in, max_size=n_in))
    x = draw(st.lists(ints, min_size=n_in, max_size=n_in).filter(lambda v: v != base))
    d = [a - b for a, b in zip(x, base, strict=True)]
    layers = [nn.Linear(n_in, hidden), nn.ReLU()]
    if draw(st.booleans()):
        layers += [nn.Linear(hidden, hidden), nn.ReLU()]
    layers.append(nn.Linear(hidden, 1))
    net = nn.Sequential(*layers).double()
    with torch.no_grad():
        for mod in net:
            if isinstance(mod, nn.Linear):
                w = draw(st.lists(ints, min_size=mod.weight.numel(), max_size=mod.weight.numel()))
                mod.weight.copy_(torch.tensor(w, dtype=F64).view(mod.weight.shape))
                b = draw(st.lists(st.sampled_from([0, 1, -1]), min_size=mod.bias.numel(),
                                  max_size=mod.bias.numel()))
                mod.bias.copy_(torch.tensor(b, dtype=F64))
        planted = draw(st.lists(st.integers(0, hidden - 1), min_size=1, max_size=2,
                                unique=True))
        for k in planted:
            i, j = draw(st.sampled_from([(a, b) for a in range(n_in) for b in range(a + 1, n_in)]))
            s = draw(st.sampled_from([1, -1, 2]))
            w = [0] * n_in
            w[i], w[j] = s * d[j], -s * d[i]          # w . d = 0
            net[0].weight[k] = torch.tensor(w, dtype=F64)
            net[0].bias[k] = -sum(a * b for a, b in zip(w, base, strict=True))
        if draw(st.booleans()) and len(planted) == 1 and hidden > 1:
            other = (planted[0] + 1) % hidden      # a duplicate of the planted unit
            net[0].weight[other] = net[0].weight[planted[0]]
            net[0].bias[other] = net[0].bias[planted[0]]
    return net, x, base


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=planted_ties())
def test_numeric_and_proofs_choose_the_same_branch_on_random_relu_networks(case):
    """On random small ReLU networks with planted ties, the walk and the symbolic engine
    (on the same network, bridged with exact rational weights) both refuse, or both give F's
    partial derivatives integrated: the same numbers."""
    net, x, base = case
    fn = numeric.to_function(net)
    try:
        ref = proofs.integrated_gradients(fn, x, base).numeric()
    except NotDifferentiableError:
        ref = None
    xt, bt = torch.tensor([x], dtype=F64), torch.tensor([base], dtype=F64)
    if ref is None:
        with pytest.raises(NotDifferentiableError, match=r"F is not differentiable along"):
            exact_integrated_gradients(net, xt, bt)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = exact_integrated_gradients(net, xt, bt).attributions[0].tolist()
    assert got == pytest.approx(ref, abs=1e-12)
    assert sum(ref) == pytest.approx(float(sp.S(0) + float(net(xt)[0, 0] - net(bt)[0, 0])),
                                     abs=1e-12)


def _pool_net(baseline_seed: int):
    """conv 3x3 -> ReLU -> max-pool 3/2/1 (overlapping windows, as in a ResNet stem) ->
    linear, with a random input and baseline."""
    gen = torch.Generator().manual_seed(baseline_seed)
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2, 1),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 1)).double()
    with torch.no_grad():
        for prm in net.parameters():
            prm.copy_(torch.rand(prm.shape, generator=gen, dtype=F64) - 0.5)
    x = torch.rand(1, 2, 8, 8, generator=gen, dtype=F64)
    base = torch.rand(1, 2, 8, 8, generator=gen, dtype=F64)
    return net, x, base


def test_max_pool_windows_are_not_ties_with_their_own_winner(monkeypatch):
    """A winner is no tie with itself, and windows of dead ReLU outputs (0 near the probe in
    every direction) cannot change F: neither is settled coordinate by coordinate (the
    rounding of a winner's gradient, accumulated over overlapping windows, once made every
    probe of a random-baseline ResNet a tie settled by two forward rows per coordinate).
    The attributions are the convention's, whose completeness the walk checks."""
    calls = []
    original = numeric.exact._Ties.resolve
    monkeypatch.setattr(numeric.exact._Ties, "resolve",
                        lambda self, *a: calls.append(1) or original(self, *a))
    net, x, base = _pool_net(0)
    got = exact_integrated_gradients(net, x, base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = exact_integrated_gradients(net, x, base, on_tie="convention")
    assert got.flat_ties > 0 and not calls
    assert torch.equal(got.attributions, ref.attributions)


@pytest.mark.parametrize("relu", [torch.relu, lambda u: u])
@pytest.mark.parametrize("pool", [(2, 2, 0), (3, 2, 1)])
def test_a_tie_of_live_entries_in_a_max_pool_is_still_refused(relu, pool):
    """max-pool over relu(x1 + 1) and relu(x2 + 1) along the diagonal: live entries tie in
    value and slope with different gradients (max(x1, x2) + 1: proofs raises), while a window
    of dead ReLU outputs beside them (relu(-1 - x1), relu(-1 - x2)) ties harmlessly; the same
    without the ReLU, and with overlapping, padded windows."""
    ref = _symbolic("max(0, x1 + 1, x2 + 1) + max(0, -1 - x1, -1 - x2)", [1, 1], [0, 0])
    assert isinstance(ref, NotDifferentiableError)

    def forward(z):
        u = torch.stack([z[:, 0] + 1, z[:, 1] + 1, -1 - z[:, 0], -1 - z[:, 1]], 1)
        return nn.functional.max_pool1d(relu(u)[:, None], *pool)[:, 0].sum(1)

    with pytest.raises(NotDifferentiableError, match=r"dF/dx1 does not exist for t in \[0, 1\]"):
        exact_path_attribution(forward, DIAGONAL)


def test_dead_relu_windows_of_a_max_pool_give_f_partials_silently():
    """max-pool over relu(-1 - x1) and relu(-1 - x2) is 0 near the diagonal: F = x1 + that
    has partial derivatives (1, 0), integrated without a warning."""
    def forward(z):
        u = torch.stack([-1 - z[:, 0], -1 - z[:, 1]], 1)
        return z[:, 0] + nn.functional.max_pool1d(torch.relu(u)[:, None], 2)[:, 0, 0]

    ref = _symbolic("x1 + max(0, -1 - x1, -1 - x2)", [1, 1], [0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        got = exact_path_attribution(forward, DIAGONAL)
    assert got.attributions[0].tolist() == pytest.approx(ref, abs=1e-12) == [1.0, 0.0]


def test_a_tie_differing_only_where_the_path_does_not_move_needs_no_one_sided_forwards(
        monkeypatch):
    """max(x1 + x3, x1 + x4) from (0, 0, 0, 0) to (2, 1, 0, 0): the branches tie in value and
    slope all along and differ only in x3 and x4, which the path does not move in (their
    attributions are 0 whatever the branch): integrated silently as proofs does, without
    settling the tie coordinate by coordinate."""
    calls = []
    original = numeric.exact._Ties.resolve
    monkeypatch.setattr(numeric.exact._Ties, "resolve",
                        lambda self, *a: calls.append(1) or original(self, *a))
    x, base = [2, 1, 0, 0], [0, 0, 0, 0]
    ref = _symbolic("max(x1 + x3, x1 + x4) + x2", x, base)
    assert not isinstance(ref, Exception)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        got = exact_path_attribution(
            lambda z: torch.maximum(z[:, 0] + z[:, 2], z[:, 0] + z[:, 3]) + z[:, 1],
            [torch.tensor([base], dtype=F64), torch.tensor([x], dtype=F64)])
    assert got.attributions[0].tolist() == pytest.approx(ref, abs=1e-12)
    assert got.flat_ties > 0 and not calls
