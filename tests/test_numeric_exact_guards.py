"""method="exact" never returns a silently wrong number: forwards it cannot integrate exactly
(row-mixing code, jumps, no-grad regions, custom autograd Functions, scripted or compiled
modules) are refused by name, very steep ramps keep their region, and every result passes a
final completeness check (issue 22, items 1-6 and the final guard)."""

import warnings

import pytest
import sympy as sp
import torch
import torch.nn as nn

import numeric
from numeric import exact_integrated_gradients
from numeric.bridge import exact_rational
from numeric.exact import check_piecewise_linear, exact_path_attribution
from proofs.errors import IntegrationError, UnsupportedFunctionError

F64 = torch.float64


def _mlp(seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4)).double()


def _ig(fn, x, base=None):
    base = torch.zeros_like(x) if base is None else base
    return exact_path_attribution(fn, [base, x])


# ---------------------------------------------------------------- item 1: row-mixing forwards

def test_explaining_the_predicted_class_with_item_is_refused_and_gather_is_right():
    """Issue 22's example: out[:, out.argmax(1)[0].item()] mixes the probe rows; the same F
    written with gather, max_c F_c, equals the symbolic engine on the bridged network."""
    net = _mlp()
    x = torch.tensor([[0.9, -1.3, 0.4]], dtype=F64)

    def by_item(z):
        out = net(z)
        return out[:, out.argmax(1)[0].item()]

    with pytest.raises(UnsupportedFunctionError, match=r"item .*Python values.*gather"):
        _ig(by_item, x)

    def by_gather(z):
        out = net(z)
        return out.gather(1, out.argmax(1, keepdim=True))[:, 0]

    got = _ig(by_gather, x).attributions[0].tolist()
    proofs = pytest.importorskip("proofs")
    outs = [numeric.to_function(net, target=c).expr for c in range(4)]
    fn = proofs.Function(sp.Max(*outs), variables=sp.symbols("x1:4", real=True))
    ref = proofs.integrated_gradients(fn, [exact_rational(v) for v in x[0].tolist()])
    assert max(abs(a - b) for a, b in zip(got, ref.numeric(), strict=True)) < 1e-12


@pytest.mark.parametrize("forward, pattern", [
    (lambda z: z[:, 0] + 0.1 * z.sum(), r"sum .*reduces over all elements"),
    (lambda z: z[:, 0] - z.mean(0)[0], r"mean .*reduces over the batch dimension"),
    (lambda z: torch.relu(z).cumsum(0)[:, 0], r"cumsum .*batch dimension"),
    (lambda z: z[:, 0] * 2 if bool((z > 0).all()) else z[:, 1], r"all .*Python values"),
    (lambda z: z[:, 0] + float(z[0, 1]), r"__float__ .*Python values"),
    (lambda z: torch.relu(z[:, 0]) + z.roll(1, 0)[:, 1], r"mixes the rows of a batch"),
    (lambda z: torch.relu(z.flip(0))[:, 0], r"mixes the rows of a batch"),
])
def test_row_mixing_forwards_are_refused_by_name(forward, pattern):
    x = torch.tensor([[1.5, -0.5], [0.25, 2.0]], dtype=F64)
    with pytest.raises(UnsupportedFunctionError, match=pattern):
        _ig(forward, x)


# ------------------------------------------------------------------------ item 2: jumps


@pytest.mark.parametrize("forward", [
    lambda z: (z > 0).double()[:, 0],
    lambda z: (z[:, 0] - 1) * (z[:, 0] > 0),           # a selector, but F jumps by 1 at 0
    lambda z: torch.where(z[:, 0] > 0, 1.0, 0.0) + torch.relu(z[:, 0]),
    lambda z: torch.sign(z[:, 0]),
])
def test_a_jump_of_f_is_refused_not_dropped(forward):
    """F(1) - F(-1) is 1 or 2 for each; the walk's gradient is 0 or 1 on both sides."""
    with pytest.raises(IntegrationError, match=r"F jumps by .* at t = 0\.5"):
        _ig(forward, torch.ones(1, 1, dtype=F64), -torch.ones(1, 1, dtype=F64))


def test_a_comparison_used_as_a_kink_selector_is_accepted():
    """x * (x > 0) is relu: IG from -1 to 3 of it is 3 (hand derivation)."""
    r = _ig(lambda z: (z[:, 0] * (z[:, 0] > 0)), torch.full((1, 1), 3.0, dtype=F64),
            -torch.ones(1, 1, dtype=F64))
    assert r.attributions.tolist() == [[3.0]]


def test_the_completeness_guard_catches_a_jump_at_the_path_start_or_warns_by_option():
    """(x > 0) from 0 to 1 is 1 on the whole open path but 0 at its start: no two regions
    disagree, so only the final completeness check sees it."""
    fn = lambda z: (z > 0).double()[:, 0]  # noqa: E731
    x, base = torch.ones(1, 1, dtype=F64), torch.zeros(1, 1, dtype=F64)
    with pytest.raises(IntegrationError, match=r"completeness check failed .*gap -1"):
        exact_path_attribution(fn, [base, x])
    with pytest.warns(UserWarning, match=r"completeness check failed"):
        r = exact_path_attribution(fn, [base, x], on_incomplete="warn")
    assert float(r.delta[0]) == -1.0


# ---------------------------------------------------- item 3: no_grad, detach, custom Function


class _Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * x * g

    @staticmethod
    def jvp(ctx, t):
        return t


def _no_grad_forward(z):
    with torch.no_grad():
        y = 2 * z
    return (z + y)[:, 0]


def _inference_forward(z):
    with torch.inference_mode():
        return torch.relu(z)[:, 0]


@pytest.mark.parametrize("forward, pattern", [
    (_no_grad_forward, r"mul .*torch.no_grad"),
    (_inference_forward, r"relu .*no_grad\(\) or inference_mode"),
    (lambda z: _Square.apply(z)[:, 0], r"custom autograd Function _Square"),
    (lambda z: _Square.apply(z), r"custom autograd Function _Square"),
    (lambda z: (z + z.detach())[:, 0], r"detach .*cuts an input-dependent tensor"),
])
def test_autograd_bypasses_are_refused(forward, pattern):
    with pytest.raises(UnsupportedFunctionError, match=pattern):
        _ig(forward, torch.ones(1, 1, dtype=F64))
    with pytest.raises(UnsupportedFunctionError, match=pattern):
        check_piecewise_linear(forward, torch.ones(1, 1, dtype=F64))


# ------------------------------------------------------------------------- item 5: steep


@pytest.mark.parametrize("slope", [1e10, 1e14, 3e15])
@pytest.mark.parametrize("at", [0.3, 0.7071])
def test_a_very_steep_ramp_keeps_its_region(slope, at):
    """clamp(s (x - a), 0, 1) from 0 to 1 rises by 1 in a region of width 1/s: IG = 1."""
    def ramp(z):
        return torch.clamp(slope * (z[:, 0] - at), 0.0, 1.0)

    r = _ig(ramp, torch.ones(1, 1, dtype=F64))
    assert r.attributions[0].tolist() == pytest.approx([1.0], abs=1e-12)
    two = _ig(lambda z: ramp(z[:, :1]) + 2 * ramp(z[:, 1:]),
              torch.tensor([[1.0, 1.0]], dtype=F64))
    assert two.attributions[0].tolist() == pytest.approx([1.0, 2.0], abs=1e-12)


# --------------------------------------------------------------- item 6: scripted/compiled


def _calling(inner):
    """A plain function that calls a scripted module (seen only when it runs)."""
    return lambda z: inner(z)


@pytest.mark.parametrize("wrap", [
    lambda net: torch.jit.script(net),
    lambda net: torch.jit.trace(net, torch.zeros(1, 2, dtype=F64)),
    lambda net: torch.compile(net),
    lambda net: nn.Sequential(torch.jit.trace(net, torch.zeros(1, 2, dtype=F64))),
    lambda net: _calling(torch.jit.trace(net, torch.zeros(1, 2, dtype=F64))),
])
def test_scripted_or_compiled_models_get_one_line_pass_the_eager_module(wrap):
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = wrap(net)
    with pytest.raises(UnsupportedFunctionError, match=r"pass the eager module") as info:
        exact_integrated_gradients(model, torch.ones(1, 2, dtype=F64))
    assert "\n" not in str(info.value)


def test_warnings_as_errors_do_not_stop_the_first_walk_of_a_process():
    """torch 2.13 loads its forward-mode decompositions at a process's first make_dual, and
    loading them warns (DeprecationWarning: torch.jit.script). Under ``-W error`` that warning
    used to escape from inside the walk as an error; a fresh process shows it (in this one the
    decompositions are already loaded)."""
    import subprocess
    import sys

    code = ("import torch; from numeric import integrated_gradients, conductance\n"
            "net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(),"
            " torch.nn.Linear(2, 1)).double()\n"
            "x = torch.tensor([[1.0, 2.0]], dtype=torch.float64)\n"
            "print(integrated_gradients(net, x, method='exact').sum().item(),"
            " (net(x) - net(0 * x)).item())\n")
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    total, difference = map(float, done.stdout.split())
    assert total == pytest.approx(difference, abs=1e-12)
