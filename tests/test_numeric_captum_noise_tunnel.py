"""numeric.NoiseTunnel as a drop-in for Captum's: under the same seed it draws the same noise,
so Captum's NoiseTunnel on the same model and inputs is the reference; plus closed forms at
stdevs=0, reproducibility, baselines drawn from a distribution, and bad arguments."""

from functools import partial

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric import IntegratedGradients, NoiseTunnel, integrated_gradients
from proofs.errors import IGVerifyError

captum_attr = pytest.importorskip("captum.attr")
bm = pytest.importorskip("captum.testing.helpers.basic_models")

F64 = torch.float64
NT_TYPES = ["smoothgrad", "smoothgrad_sq", "vargrad"]


def seeded(fn, seed=1234):
    torch.manual_seed(seed)
    return fn()


def assert_close(ours, theirs, tol=1e-6):
    assert type(ours) is type(theirs)
    pairs = zip(ours, theirs, strict=True) if isinstance(ours, tuple) else [(ours, theirs)]
    for a, b in pairs:
        assert a.shape == b.shape and a.dtype == b.dtype
        assert float((a - b).abs().max()) <= tol * (1.0 + float(b.abs().max()))


MULTI = (torch.tensor([[1.5, 2.1, 1.9], [0.5, 0.0, 0.7], [1.5, 2.1, 1.1]], dtype=F64),
         torch.tensor([[0.3, 1.9, 2.4], [0.5, 0.6, 2.1], [1.2, 2.1, 0.2]], dtype=F64))


@pytest.mark.parametrize("nt_type", NT_TYPES)
@pytest.mark.parametrize("batch", [None, 1, 2, 3])
def test_same_seed_same_noise_as_captum_tuple_inputs(nt_type, batch):
    model = bm.BasicModel_MultiLayer().double()
    kw = dict(nt_type=nt_type, nt_samples=5, nt_samples_batch_size=batch, stdevs=0.3,
              target=[0, 1, 0], n_steps=20, method="riemann_middle",
              baselines=(torch.zeros(1, 3, dtype=F64), 0.1), return_convergence_delta=True)
    ours, d_ours = seeded(lambda: NoiseTunnel(IntegratedGradients(model)).attribute(MULTI,
                                                                                    **kw))
    theirs, d_theirs = seeded(lambda: captum_attr.NoiseTunnel(
        captum_attr.IntegratedGradients(model)).attribute(MULTI, **kw))
    assert_close(ours, theirs)
    assert d_ours.shape == d_theirs.shape == (3 * 5,)
    assert float((d_ours - d_theirs).abs().max()) < 1e-6


@pytest.mark.parametrize("nt_type", NT_TYPES)
def test_same_seed_same_noise_as_captum_extra_args_and_per_example_baselines(nt_type):
    model = bm.BasicModel_MultiLayer_MultiInput()
    g = torch.Generator().manual_seed(7)
    x = (torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g))
    kw = dict(nt_type=nt_type, nt_samples=4, stdevs=(0.5, 0.2), n_steps=16,
              target=torch.tensor([0, 1, 1, 0]),
              baselines=(0.2 * torch.randn(4, 3, generator=g), 0.0),
              additional_forward_args=(torch.randn(4, 3, generator=g), 2))
    ours = seeded(lambda: NoiseTunnel(IntegratedGradients(model)).attribute(x, **kw), 5)
    theirs = seeded(lambda: captum_attr.NoiseTunnel(
        captum_attr.IntegratedGradients(model)).attribute(x, **kw), 5)
    assert_close(ours, theirs, tol=2e-5)  # float32 model: Captum's float32 sums


@settings(max_examples=15, deadline=None)
@given(nt_type=st.sampled_from(NT_TYPES), nt_samples=st.integers(1, 6),
       batch=st.one_of(st.none(), st.integers(1, 7)), n=st.integers(1, 3),
       two_inputs=st.booleans(), stdev=st.floats(0.0, 2.0), seed=st.integers(0, 2 ** 16))
def test_property_same_seed_same_result_as_captum(nt_type, nt_samples, batch, n, two_inputs,
                                                  stdev, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(2, 3, dtype=F64, generator=g)

    def model(x, y=None):
        z = x if y is None else x * y
        return torch.tanh(z @ w.t())

    xs = tuple(torch.randn(n, 3, dtype=F64, generator=g) for _ in range(1 + two_inputs))
    inputs = xs if two_inputs else xs[0]
    kw = dict(nt_type=nt_type, nt_samples=nt_samples, nt_samples_batch_size=batch,
              stdevs=stdev, target=1, n_steps=6)
    ours = seeded(lambda: NoiseTunnel(IntegratedGradients(model)).attribute(inputs, **kw),
                  seed)
    theirs = seeded(lambda: captum_attr.NoiseTunnel(
        captum_attr.IntegratedGradients(model)).attribute(inputs, **kw), seed)
    assert_close(ours, theirs)


def test_tensor_in_tensor_out_and_reproducible_under_manual_seed():
    model = bm.BasicModel_MultiLayer()
    x = torch.randn(3, 3, generator=torch.Generator().manual_seed(1))
    nt = NoiseTunnel(IntegratedGradients(model))

    def run():
        return nt.attribute(x, nt_type="vargrad", nt_samples=6, stdevs=0.5, target=1)

    a, b, c = seeded(run, 3), seeded(run, 3), seeded(run, 4)
    assert isinstance(a, torch.Tensor) and a.shape == x.shape and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_zero_noise_closed_forms():
    # with stdevs = 0 every sample is the plain IG: smoothgrad = IG, smoothgrad_sq = IG^2,
    # vargrad = E[IG^2] - E[IG]^2 = 0
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model = model.double()
    x = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(2))
    ig = IntegratedGradients(model)
    plain = ig.attribute(x, target=1, n_steps=10)
    nt = NoiseTunnel(ig)
    kw = dict(nt_samples=3, stdevs=0.0, target=1, n_steps=10)
    assert torch.allclose(nt.attribute(x, nt_type="smoothgrad", **kw), plain, atol=1e-14)
    assert torch.allclose(nt.attribute(x, nt_type="smoothgrad_sq", **kw), plain ** 2,
                          atol=1e-14)
    assert float(nt.attribute(x, nt_type="vargrad", **kw).abs().max()) < 1e-14


def test_properties_pass_through():
    for multiply in (True, False):
        nt = NoiseTunnel(IntegratedGradients(torch.nn.Linear(2, 1), multiply_by_inputs=multiply))
        assert nt.multiplies_by_inputs is multiply and nt.has_convergence_delta()
    plain = NoiseTunnel(partial(integrated_gradients, torch.nn.Linear(2, 1)))
    assert not plain.has_convergence_delta()


def test_baselines_drawn_from_a_distribution_are_rows_of_it():
    # F = w . x is linear, so IG = w * (x - b): with two baselines 0 and 1 the smoothgrad of
    # k draws is w * (x - c/k) for the number c of draws of 1, and vargrad is w^2 c(k-c)/k^2
    model = torch.nn.Linear(3, 1, bias=False).double()
    w = model.weight.detach()[0]
    x = torch.randn(2, 3, dtype=F64, generator=torch.Generator().manual_seed(3))
    rows = torch.stack([torch.zeros(3, dtype=F64), torch.ones(3, dtype=F64)])
    nt = NoiseTunnel(IntegratedGradients(model))
    k = 8

    def run(nt_type):
        return nt.attribute(x, nt_type=nt_type, nt_samples=k, stdevs=0.0, baselines=rows,
                            draw_baseline_from_distrib=True, n_steps=2)

    smooth, var = seeded(lambda: run("smoothgrad"), 11), seeded(lambda: run("vargrad"), 11)
    counts = ((w * x - smooth) / w).mean(1) * k  # c per example
    assert torch.allclose(counts, counts.round(), atol=1e-9)
    assert ((counts >= 0) & (counts <= k)).all()
    expected_var = w ** 2 * (counts * (k - counts) / k ** 2).unsqueeze(1)
    assert torch.allclose(var, expected_var, atol=1e-12)
    assert torch.equal(seeded(lambda: run("smoothgrad"), 11), smooth)


def test_wraps_captum_methods_and_plain_functions():
    model = bm.BasicModel_MultiLayer()
    x = torch.randn(3, 3, generator=torch.Generator().manual_seed(4))
    kw = dict(nt_type="smoothgrad_sq", nt_samples=4, stdevs=0.2, target=0)
    ours = seeded(lambda: NoiseTunnel(captum_attr.Saliency(model)).attribute(x, **kw))
    theirs = seeded(lambda: captum_attr.NoiseTunnel(captum_attr.Saliency(model)).attribute(
        x, **kw))
    assert_close(ours, theirs)
    as_function = seeded(lambda: NoiseTunnel(partial(integrated_gradients, model)).attribute(
        x, nt_type="smoothgrad", nt_samples=3, stdevs=0.1, target=0, steps=8))
    as_class = seeded(lambda: NoiseTunnel(IntegratedGradients(model)).attribute(
        x, nt_type="smoothgrad", nt_samples=3, stdevs=0.1, target=0, n_steps=8))
    assert torch.equal(as_function, as_class)


@pytest.mark.parametrize("kwargs, message", [
    (dict(nt_type="smoothgrad_cubed"), "nt_type must be one of"),
    (dict(nt_samples=0), "nt_samples must be a positive int"),
    (dict(nt_samples_batch_size=0), "nt_samples_batch_size must be"),
    (dict(stdevs=(0.1, 0.2)), "stdevs has 2 entries"),
    (dict(stdevs=-1.0), "non-negative"),
    (dict(), "pass target"),
])
def test_bad_arguments_raise_one_line_errors_that_are_assertion_errors(kwargs, message):
    nt = NoiseTunnel(IntegratedGradients(bm.BasicModel_MultiLayer()))
    with pytest.raises(IGVerifyError, match=message) as info:
        nt.attribute(torch.zeros(2, 3), **kwargs)
    assert isinstance(info.value, AssertionError) and "\n" not in str(info.value)
    with pytest.raises(IGVerifyError, match="attribute"):
        NoiseTunnel(42)
