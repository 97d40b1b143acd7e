"""Certified exact IG of networks (numeric.certified) and its certificates (proofs.verify_network).

Expected values come from hand derivations (in the comments) and from the proofs symbolic
engine on the same network (numeric.to_function): the hypothesis test plants dead units,
duplicated units (coincident kinks), units that sit on their kink all along the path (flat
ties) and pairs of kinks closer than float64 can separate.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numeric import certified_integrated_gradients, to_function
from numeric.errors import ArgumentError, NotDifferentiableError, UnsupportedFunctionError
from proofs import integrated_gradients as symbolic_ig
from proofs.errors import NotDifferentiableError as ProofsNotDifferentiable
from proofs.verify import CertificateError, verify_file

nn = torch.nn


def _net(*layers: nn.Module, weights: list | None = None) -> nn.Sequential:
    net = nn.Sequential(*layers).double().eval()
    if weights is not None:
        with torch.no_grad():
            for p, w in zip(net.parameters(), weights, strict=True):
                p.copy_(torch.tensor(w, dtype=torch.float64).reshape(p.shape))
    return net


def _maxpool_net() -> nn.Sequential:
    # F(x) = max over the 1x2 window of relu(2x1 - 1), relu(x2 - 1/2) ... on input (1, 1, 2)
    return _net(nn.Conv2d(1, 2, 1), nn.ReLU(), nn.MaxPool2d((1, 2)), nn.Flatten(),
                nn.Linear(2, 1),
                weights=[[1.5, -1.0], [-0.5, 0.25], [[1.0, 0.5]], [0.125]])


def test_one_relu_by_hand():
    # relu(x - 1) from 0 to 3: the kink at t = 1/3; A = 3 * (1 - 1/3) = 2
    net = _net(nn.Linear(1, 1), nn.ReLU(), weights=[[[1.0]], [-1.0]])
    r = certified_integrated_gradients(net, torch.tensor([[3.0]]))
    assert r.values == [(Fraction(2),)]
    assert r.breakpoints == [(Fraction(1, 3),)]
    assert r.completeness_gap == [0]


def test_max_pool_crossing_by_hand():
    # max(x1, x2) on input (1, 1, 2) from (1, 0) to (0, 2): x1 = 1 - t, x2 = 2t cross at
    # t = 1/3; before it the gradient is (1, 0), after it (0, 1):
    # A1 = -1 * 1/3 = -1/3, A2 = 2 * 2/3 = 4/3, sum 1 = F(x) - F(x') = 2 - 1
    net = _net(nn.MaxPool2d((1, 2)), nn.Flatten())
    x = torch.tensor([[[[0.0, 2.0]]]])
    base = torch.tensor([[[[1.0, 0.0]]]])
    r = certified_integrated_gradients(net, x, base)
    assert r.values == [(Fraction(-1, 3), Fraction(4, 3))]
    assert r.breakpoints == [(Fraction(1, 3),)]


def test_kinks_closer_than_float64_are_both_found():
    # relu(t - q) - relu((1 + 2^-52) t - q), q = float(1/3): two kinks at q / (1 + 2^-52)
    # and q, about 7e-17 apart; along 0 -> 1, A = F(1) - F(0) = (1 - q) - (1 + 2^-52 - q)
    eps = 2.0 ** -52
    q = 1.0 / 3.0
    net = _net(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1, bias=False),
               weights=[[[1.0], [1.0 + eps]], [-q, -q], [[1.0, -1.0]]])
    r = certified_integrated_gradients(net, torch.tensor([[1.0]]))
    qq = Fraction(q)
    assert r.breakpoints == [(qq / (1 + Fraction(eps)), qq)]
    assert r.values == [(-Fraction(eps),)]
    # the float walk cannot tell the two kinks apart: the middle region is found exactly
    assert r.regions == [3] and r.missed == [1]


def test_a_flat_tie_is_decided_from_f():
    # relu(-relu(x1 - x2)) is 0 everywhere: along the diagonal both ReLU inputs are 0 all
    # along (flat ties whose branches depend on x1, x2), F's one-sided derivatives agree: A = 0
    net = _net(nn.Linear(2, 1, bias=False), nn.ReLU(), nn.Linear(1, 1, bias=False), nn.ReLU(),
               weights=[[[1.0, -1.0]], [[-1.0]]])
    r = certified_integrated_gradients(net, torch.tensor([[1.0, 1.0]]))
    assert r.values == [(0, 0)] and r.tied_regions == [1]
    # relu(x1 - x2) on the diagonal: dF/dx1 is 1 from the right and 0 from the left
    with pytest.raises(NotDifferentiableError, match="dF/dx1 does not exist"):
        certified_integrated_gradients(net[:2], torch.tensor([[1.0, 1.0]]))


def test_unsupported_layer_is_named():
    net = _net(nn.Linear(2, 1), nn.Tanh())
    with pytest.raises(UnsupportedFunctionError, match=r"layer 1 \(Tanh\)"):
        certified_integrated_gradients(net, torch.ones(1, 2))


# ------------------------------------------------------------- agreement with proofs (symbolic)

_small = st.sampled_from([-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0])


@st.composite
def planted_mlps(draw):
    """A 2-h-1 ReLU MLP (small dyadic weights: ties are likely) with planted features, an
    input and a baseline."""
    h = draw(st.integers(2, 4))
    w1 = [[draw(_small), draw(_small)] for _ in range(h)]
    b1 = [draw(_small) for _ in range(h)]
    w2 = [draw(_small) for _ in range(h)]
    x = [draw(st.sampled_from([-1.0, 0.5, 1.0, 2.0])) for _ in range(2)]
    base = draw(st.sampled_from([[0.0, 0.0], [1.0, -0.5], x]))
    d = [a - b for a, b in zip(x, base, strict=True)]
    plant = draw(st.sampled_from(["dead", "duplicate", "flat", "flat pair", "flat unused",
                                  "close", "none"]))
    if plant == "dead":            # off along the whole path
        w1[0], b1[0] = [0.25, 0.25], -8.0
    elif plant == "duplicate":     # two units with the same kink (a coincident root)
        w1[1], b1[1] = list(w1[0]), b1[0]
    elif plant.startswith("flat"):  # a unit whose input z is 0 all along the path
        w1[0] = [d[1], -d[0]]
        b1[0] = -(w1[0][0] * base[0] + w1[0][1] * base[1])
        if plant == "flat pair":    # and relu(z) - relu(-z) = z: F is differentiable
            w1[1], b1[1], w2[1] = [-w1[0][0], -w1[0][1]], -b1[0], -w2[0]
        elif plant == "flat unused":
            w2[0] = 0.0
    elif plant == "close":         # a second kink 2^-52 (relative) from the first
        w1[1] = [w1[0][0] * (1 + 2.0 ** -52), w1[0][1] * (1 + 2.0 ** -52)]
        b1[1] = b1[0]
    net = _net(nn.Linear(2, h), nn.ReLU(), nn.Linear(h, 1, bias=False),
               weights=[w1, b1, [w2]])
    return net, torch.tensor([x]), torch.tensor([base]), plant


def _symbolic(net, x, base):
    f = to_function(net)
    try:
        a = symbolic_ig(f, [sp.Rational(*v.as_integer_ratio()) for v in x[0].tolist()],
                        baseline=[sp.Rational(*v.as_integer_ratio()) for v in
                                  base[0].tolist()])
    except ProofsNotDifferentiable:
        return None
    return tuple(Fraction(int(sp.fraction(v)[0]), int(sp.fraction(v)[1])) for v in a.values)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_mlps())
def test_certified_equals_the_symbolic_engine(case):
    net, x, base, _plant = case
    expected = _symbolic(net, x, base)
    if expected is None:
        with pytest.raises(NotDifferentiableError):
            certified_integrated_gradients(net, x, base)
        return
    r = certified_integrated_gradients(net, x, base)
    assert r.values[0] == expected
    assert r.completeness_gap == [0]
    if r.prover == "sweep":     # and the region prover agrees
        assert certified_integrated_gradients(net, x, base, prover="regions").values == r.values
    _verifies(r)


def _verifies(r) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/c.json"
        r.certificate().write(path)
        assert verify_file(path) is None


@st.composite
def planted_pools(draw):
    """conv 1x1 (2 channels) -> ReLU -> 2x2 max-pool -> linear on a 1x2x2 input, with pool
    entries that tie all along the path (equal pixels), dead channels or neither."""
    w = [[draw(_small)], [draw(_small)]]
    b = [draw(_small), draw(_small)]
    out = [draw(_small), draw(_small)]
    pix = st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0])
    x = [draw(pix) for _ in range(4)]
    base = [draw(pix) for _ in range(4)]
    plant = draw(st.sampled_from(["tie", "dead", "none"]))
    if plant == "tie":
        x[1], base[1] = x[0], base[0]
    elif plant == "dead":
        b[0] = -8.0
    net = _net(nn.Conv2d(1, 2, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
               nn.Linear(2, 1, bias=False), weights=[w, b, [out]])
    return net, torch.tensor(x).reshape(1, 1, 2, 2), torch.tensor(base).reshape(1, 1, 2, 2)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted_pools())
def test_certified_equals_the_symbolic_engine_on_max_pools(case):
    net, x, base = case
    f = to_function(net, input_shape=(1, 2, 2))
    q = [[sp.Rational(*v.as_integer_ratio()) for v in t.reshape(-1).tolist()] for t in (x, base)]
    try:
        expected = symbolic_ig(f, q[0], baseline=q[1]).values
    except ProofsNotDifferentiable:
        with pytest.raises(NotDifferentiableError):
            certified_integrated_gradients(net, x, base)
        return
    r = certified_integrated_gradients(net, x, base)
    assert r.values[0] == tuple(Fraction(str(v)) for v in expected)
    _verifies(r)


def test_certified_equals_the_symbolic_engine_through_a_max_pool():
    net = _maxpool_net()
    x, base = torch.tensor([[[[2.0, 3.0]]]]), torch.tensor([[[[-1.0, 0.5]]]])
    r = certified_integrated_gradients(net, x, base)
    f = to_function(net, input_shape=(1, 1, 2))
    a = symbolic_ig(f, [sp.Integer(2), sp.Integer(3)], baseline=[-1, sp.Rational(1, 2)])
    assert r.values[0] == tuple(Fraction(str(v)) for v in a.values)
    assert len(r.breakpoints[0]) >= 2


# ----------------------------------------------------------------- the sweep against the regions


def _evaluated(net: nn.Module, bn: nn.Module, seed: int) -> tuple:
    """``net`` in eval mode with random running statistics in ``bn``; two inputs and two
    baselines (2, 2, 4, 4) in [-2, 2)."""
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    net.eval()
    gen = torch.Generator().manual_seed(seed)
    x = 4 * torch.rand(2, 2, 4, 4, dtype=torch.float64, generator=gen) - 2
    base = 4 * torch.rand(2, 2, 4, 4, dtype=torch.float64, generator=gen) - 2
    return x, base


def _same(a, b) -> None:
    assert a.values == b.values and a.breakpoints == b.breakpoints
    assert a.f_input == b.f_input and a.f_baseline == b.f_baseline
    assert (a.missed, a.spurious, a.tied_regions) == (b.missed, b.spurious, b.tied_regions)
    assert a.completeness_gap == b.completeness_gap == [0] * len(a.values)


def test_the_sweep_equals_the_region_prover_on_small_cnn(tmp_path):
    from numeric.models import small_cnn

    net = small_cnn(size=4).double()
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(1, 3, 4, 4, generator=gen, dtype=torch.float64)
    x[..., :2, :] = 0.0     # blank, as the black baseline: max-pool entries tie as constants
    fast = certified_integrated_gradients(net, x, 0.0, target=3)
    slow = certified_integrated_gradients(net, x, 0.0, target=3, prover="regions")
    assert fast.prover == "sweep" and slow.prover == "regions"
    _same(fast, slow)
    assert fast.regions[0] > 50 and fast.tied_regions[0] > 0
    path = tmp_path / "cnn.json"
    fast.certificate().write(str(path))
    assert verify_file(str(path)) is None


def test_the_sweep_equals_the_region_prover_through_every_chain_layer(tmp_path):
    # batch-norm (folded in float64), leaky ReLU, an average pool of 9 (not dyadic), an
    # overlapping padded max-pool, two examples with their own targets and baselines
    torch.manual_seed(5)
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.LeakyReLU(0.2),
                        nn.AvgPool2d(3, stride=1, padding=1), nn.MaxPool2d(3, 2, padding=1),
                        nn.ReLU(), nn.Flatten(), nn.Linear(12, 4)).double()
    x, base = _evaluated(net, net[1], seed=2)
    fast = certified_integrated_gradients(net, x, base, target=[1, 3])
    slow = certified_integrated_gradients(net, x, base, target=[1, 3], prover="regions")
    assert fast.prover == "sweep"
    _same(fast, slow)
    assert min(fast.regions) > 3
    for r, name in ((fast, "v2.json"), (slow, "v1.json")):
        r.certificate().write(str(tmp_path / name))
        assert verify_file(str(tmp_path / name)) is None


def test_a_floor_mode_pool_that_skips_the_last_row_is_proved_by_both(tmp_path):
    # MaxPool2d(2) on 3x3 reads rows and columns 0-1 only: the gradient still has 9 entries
    torch.manual_seed(4)
    net = nn.Sequential(nn.Conv2d(1, 2, 2, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(2, 1)).double().eval()
    x = torch.rand(1, 1, 2, 2, dtype=torch.float64) * 4 - 2
    fast = certified_integrated_gradients(net, x)
    slow = certified_integrated_gradients(net, x, prover="regions")
    _same(fast, slow)
    for r, name in ((fast, "v2.json"), (slow, "v1.json")):
        r.certificate().write(str(tmp_path / name))
        assert verify_file(str(tmp_path / name)) is None


def test_a_flat_tie_the_sweep_does_not_decide_goes_to_the_regions():
    # relu(-relu(x1 - x2)) = 0 along the diagonal (test_a_flat_tie_is_decided_from_f): the
    # sweep does not decide ReLU inputs that are 0 all along; the region prover does (A = 0)
    net = _net(nn.Linear(2, 1, bias=False), nn.ReLU(), nn.Linear(1, 1, bias=False), nn.ReLU(),
               weights=[[[1.0, -1.0]], [[-1.0]]])
    x = torch.tensor([[1.0, 1.0]])
    with pytest.raises(UnsupportedFunctionError, match="identically 0"):
        certified_integrated_gradients(net, x, prover="sweep")
    r = certified_integrated_gradients(net, x)
    assert r.prover == "regions" and r.values == [(0, 0)]


def test_the_sweep_refuses_a_residual_network_by_name():
    from numeric import Residual

    net = nn.Sequential(Residual(nn.Sequential(nn.Linear(2, 2), nn.ReLU())),
                        nn.Linear(2, 1)).double().eval()
    with pytest.raises(UnsupportedFunctionError, match="residual"):
        certified_integrated_gradients(net, torch.ones(1, 2), prover="sweep")
    with pytest.raises(ArgumentError, match="prover"):
        certified_integrated_gradients(net, torch.ones(1, 2), prover="fast")


# --------------------------------------------------------------------------------- certificates


@pytest.fixture(params=["regions", "sweep"])
def cert(tmp_path, request):
    """The max-pool network's certificate, in version 1 (regions) and version 2 (sweep)."""
    net = _maxpool_net()
    r = certified_integrated_gradients(net, torch.tensor([[[[2.0, 3.0]]]]),
                                       torch.tensor([[[[-1.0, 0.5]]]]), prover=request.param)
    assert r.prover == request.param
    path = tmp_path / "cert.json"
    weights = r.certificate().write(str(path))
    assert verify_file(str(path)) is None
    return path, weights


def _edit(path, change) -> None:
    data = json.loads(path.read_text())
    change(data["examples"][0])
    path.write_text(json.dumps(data))


def test_verify_command_exit_codes(cert, tmp_path):
    path, _ = cert
    run = [sys.executable, "-m", "proofs", "verify"]
    ok = subprocess.run([*run, str(path), "--text"], capture_output=True, text=True)
    assert ok.returncode == 0 and "certificate holds" in ok.stdout
    assert "3 pieces" in ok.stdout and "breakpoints: 5/12" in ok.stdout
    if "attributions" in json.loads(path.read_text())["examples"][0]:
        _edit(path, lambda ex: ex["attributions"].__setitem__(0, "1/7"))
    else:
        _edit(path, lambda ex: ex["attributions_float"].__setitem__(0, 1 / 7))
    bad = subprocess.run([*run, str(path)], capture_output=True, text=True)
    assert bad.returncode == 1 and "attribution 0" in bad.stdout
    (tmp_path / "junk.json").write_text('{"kind": "network", "version": 1}')
    junk = subprocess.run([*run, str(tmp_path / "junk.json")], capture_output=True, text=True)
    assert junk.returncode == 2 and junk.stderr.count("\n") == 1


def test_tampered_breakpoints_are_caught(cert):
    path, _ = cert
    good = path.read_text()
    n = len(json.loads(good)["examples"][0]["breakpoints"])
    for k in range(n):
        for change in ("move", "drop"):
            path.write_text(good)

            def tamper(ex, k=k, change=change):
                if change == "move":
                    ex["breakpoints"][k] = str(Fraction(ex["breakpoints"][k]) +
                                               Fraction(1, 10**30))
                elif "patterns" in ex:
                    del ex["breakpoints"][k]
                    del ex["patterns"][k]
                else:   # version 2: drop it and its switches, or move them to the next one
                    del ex["breakpoints"][k]
                    moved = ex["changes"].pop(k)
                    if k < len(ex["changes"]):
                        ex["changes"][k] = moved + ex["changes"][k]
            _edit(path, tamper)
            assert verify_file(str(path)) is not None, (k, change)


def test_every_pattern_bit_flip_is_caught(cert):
    path, _ = cert
    good = path.read_text()
    ex = json.loads(good)["examples"][0]
    if "patterns" not in ex:
        return _every_switch_change_is_caught(path, good, ex)
    for p, text in enumerate(ex["patterns"]):
        raw = np.frombuffer(base64.b64decode(text), dtype=np.uint8)
        for bit in range(8 * len(raw)):
            flipped = np.unpackbits(raw)
            flipped[bit] ^= 1
            path.write_text(good)
            _edit(path, lambda e, p=p, f=flipped: e["patterns"].__setitem__(
                p, base64.b64encode(np.packbits(f).tobytes()).decode()))
            assert verify_file(str(path)) is not None, (p, bit)


def _every_switch_change_is_caught(path, good: str, ex: dict) -> None:
    """Version 2: every bit of the first piece's pattern, every stated switch's unit and
    choice changed, a switch added and one removed: each is caught."""
    raw = np.frombuffer(base64.b64decode(ex["initial_pattern"]), dtype=np.uint8)
    tampers = []
    for bit in range(8 * len(raw)):
        flipped = np.unpackbits(raw)
        flipped[bit] ^= 1
        text = base64.b64encode(np.packbits(flipped).tobytes()).decode()
        tampers.append(lambda e, text=text: e.__setitem__("initial_pattern", text))
    for j, flat in enumerate(ex["changes"]):
        for a in range(0, len(flat), 3):
            for pos, values in ((1, [0, 1]), (2, [0, 1, 2, 3])):
                for v in values:
                    if v != flat[a + pos]:
                        tampers.append(lambda e, j=j, i=a + pos, v=v:
                                       e["changes"][j].__setitem__(i, v))
        tampers.append(lambda e, j=j: e["changes"][j].extend([0, 0, 1 - ex["changes"][j][2]
                                                              if ex["changes"][j][0] == 0
                                                              else 1]))
        if len(flat) > 3:
            tampers.append(lambda e, j=j: e["changes"][j].__delitem__(slice(0, 3)))
    for tamper in tampers:
        path.write_text(good)
        _edit(path, tamper)
        outcome = None
        try:
            outcome = verify_file(str(path))
        except CertificateError:
            outcome = "refused"
        assert outcome is not None
    assert len(tampers) > 8


def test_tampered_weights_are_caught(cert):
    import hashlib

    from safetensors.numpy import load_file, save

    path, weights = cert
    tensors = load_file(weights)
    tensors["0.weight"] = tensors["0.weight"].copy()
    tensors["0.weight"].flat[0] += 2.0 ** -40
    blob = save(tensors)
    with open(weights, "wb") as out:
        out.write(blob)
    assert "SHA-256" in verify_file(str(path))
    data = json.loads(path.read_text())
    data["weights"]["sha256"] = hashlib.sha256(blob).hexdigest()   # a consistent forgery
    path.write_text(json.dumps(data))
    assert verify_file(str(path)) is not None


def test_malformed_certificate_is_a_certificate_error(cert):
    path, _ = cert
    _edit(path, lambda ex: ex.__setitem__("breakpoints", "1/2"))
    with pytest.raises(CertificateError):
        verify_file(str(path))


def test_leaky_relu_and_average_pool_equal_the_symbolic_engine():
    # avg-pool 1x2 then leaky relu (slope 1/8): F = lrelu((x1 + x2)/2 * 3/2 - 1/4) ...
    net = _net(nn.Conv2d(1, 1, 1), nn.AvgPool2d((1, 2)), nn.LeakyReLU(0.125), nn.Flatten(),
               nn.Linear(1, 1), weights=[[1.5], [-0.25], [[2.0]], [0.5]])
    x, base = torch.tensor([[[[1.0, 0.5]]]]), torch.tensor([[[[-1.0, 0.25]]]])
    r = certified_integrated_gradients(net, x, base)
    a = symbolic_ig(to_function(net, input_shape=(1, 1, 2)), [1, sp.Rational(1, 2)],
                    baseline=[-1, sp.Rational(1, 4)])
    assert r.values[0] == tuple(Fraction(str(v)) for v in a.values)
    assert len(r.breakpoints[0]) == 1


def test_residual_and_batch_norm_against_the_float_walk(tmp_path):
    from numeric import Residual, exact_integrated_gradients

    torch.manual_seed(3)
    body = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(),
                         nn.Conv2d(2, 2, 3, padding=1))
    net = nn.Sequential(Residual(body), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(8, 3)).double()
    x, base = _evaluated(net, body[1], seed=1)
    r = certified_integrated_gradients(net, x, base, target=[0, 2])
    assert min(r.regions) > 2       # kinks inside the residual block and after it
    walk = exact_integrated_gradients(net, x, base, target=[0, 2])
    assert torch.allclose(r.attributions, walk.attributions, rtol=0, atol=1e-12)
    assert r.completeness_gap == [0, 0]
    path = tmp_path / "res.json"
    r.certificate().write(str(path))
    assert verify_file(str(path)) is None
    data = json.loads(path.read_text())
    data["examples"][1]["attributions"][5] = "12345/7"
    path.write_text(json.dumps(data))
    assert "example 1: attribution 5" in verify_file(str(path))


def test_a_float32_model_is_certified_as_its_float32_weights_are():
    # every float32 is a float64: the float32 model and its float64 copy are one function
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)).eval()
    x = torch.rand(2, 3)
    r32 = certified_integrated_gradients(net, x, target=1)
    r64 = certified_integrated_gradients(net.double(), x.double(), target=1)
    assert r32.values == r64.values and r32.breakpoints == r64.breakpoints


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:3]):
            yield from _paths(v, (*prefix, i))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mangled_certificate_fails_or_is_refused_in_one_line(cert, data):
    path, _ = cert
    good = json.loads(path.read_text())
    paths = [p for p in _paths(good) if p]
    where = data.draw(st.sampled_from(paths))
    junk = data.draw(st.sampled_from([None, "x", "1/0", -1, 10**30, 0.5, [], {}, [1, 2],
                                      "AAAA", True]))
    mangled = json.loads(json.dumps(good))
    obj = mangled
    for key in where[:-1]:
        obj = obj[key]
    obj[where[-1]] = junk
    path.write_text(json.dumps(mangled))
    try:
        outcome = verify_file(str(path))
    except CertificateError as exc:
        assert "\n" not in str(exc)
    else:
        assert outcome is None or isinstance(outcome, str)
    finally:
        path.write_text(json.dumps(good))
