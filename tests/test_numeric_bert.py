"""Token attributions on a small BERT-style classifier (Hugging Face transformers, random weights
from a config, no download), as Captum's BERT tutorial computes them: layer integrated gradients
through the embedding layer against a [PAD]-token baseline. Captum run on the same model and
ids is the reference; the model is float64, so agreement is limited only by the arithmetic."""

import subprocess
import sys

import pytest
import torch

from numeric import LayerConductance, LayerIntegratedGradients, NeuronConductance

pytest.importorskip("transformers")
captum_attr = pytest.importorskip("captum.attr")
tiny_bert = pytest.importorskip("numeric.tiny_bert")

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def bert():
    model = tiny_bert.TinyBert(seed=0)
    ids, mask = model.encode("the film was wonderful but the acting was dull")
    return model, ids, mask, model.pad_baseline(ids)


def _lig(cls, model, ids, base, mask, **kw):
    return cls(model, model.embeddings).attribute(ids, base, target=1,
                                                  additional_forward_args=mask,
                                                  return_convergence_delta=True, **kw)


@pytest.mark.parametrize("method, steps", [("riemann_middle", 32), ("riemann_right", 16),
                                           ("riemann_left", 8)])
def test_token_attributions_equal_captums_in_float64(bert, method, steps):
    # 1/steps and the nodes are exact binary fractions, so Captum's float32 cast of its step
    # sizes loses nothing and the two sums differ by float64 rounding only
    model, ids, mask, base = bert
    ours, d_ours = _lig(LayerIntegratedGradients, model, ids, base, mask, method=method,
                        n_steps=steps)
    theirs, d_theirs = _lig(captum_attr.LayerIntegratedGradients, model, ids, base, mask,
                            method=method, n_steps=steps)
    assert ours.shape == theirs.shape == (1, ids.shape[1], 32) and ours.dtype == torch.float64
    assert float((ours - theirs).abs().max()) <= 1e-9 * float(theirs.abs().max())
    assert float((d_ours - d_theirs).abs().max()) <= 1e-9


def test_gauss_legendre_differs_from_captum_by_its_float32_weights_only(bert):
    # Captum casts the Gauss-Legendre weights to float32 (relative rounding <= 2**-24 each),
    # so its attributions can be off by about that much of their size, and its completeness
    # delta by that much of |F(x) - F(x')|; ours keeps float64 weights
    model, ids, mask, base = bert
    ours, d_ours = _lig(LayerIntegratedGradients, model, ids, base, mask, n_steps=24)
    theirs, d_theirs = _lig(captum_attr.LayerIntegratedGradients, model, ids, base, mask,
                            n_steps=24)
    scale = float(theirs.abs().sum())
    assert float((ours - theirs).abs().max()) <= 2 ** -23 * scale
    assert abs(float(d_ours)) < 1e-12  # GL-24 on this smooth path: quadrature error < 1e-12


def test_completeness_delta_is_sum_minus_output_difference(bert):
    model, ids, mask, base = bert
    attr, delta = _lig(LayerIntegratedGradients, model, ids, base, mask, n_steps=8,
                       method="riemann_trapezoid")
    with torch.no_grad():
        diff = model(ids, mask)[0, 1] - model(base, mask)[0, 1]
    assert abs(float(delta[0]) - (float(attr.sum()) - float(diff))) < 1e-14
    assert abs(float(delta[0])) > 1e-9  # eight trapezoid steps do not integrate it exactly


def test_token_scores_and_batched_sentences(bert):
    # the tutorial's summary, one score per token, and two sentences in one call (padded)
    model, ids, mask, base = bert
    other, _ = model.encode("i hated this boring movie")
    pad = ids.shape[1] - other.shape[1]
    ids2 = torch.cat([ids, torch.cat([other, torch.zeros(1, pad, dtype=torch.long)], 1)])
    mask2 = torch.cat([mask, (ids2[1:] != 0).long()])
    both, delta = LayerIntegratedGradients(model, model.embeddings).attribute(
        ids2, model.pad_baseline(ids2), target=[1, 0], additional_forward_args=mask2,
        n_steps=16, internal_batch_size=7, return_convergence_delta=True)
    alone = LayerIntegratedGradients(model, model.embeddings).attribute(
        ids, base, target=1, additional_forward_args=mask, n_steps=16)
    assert torch.allclose(both[:1], alone, rtol=0, atol=1e-14)
    scores = both.sum(-1)
    assert scores.shape == (2, ids.shape[1]) and delta.shape == (2,)


def test_gelu_conductance_converges_where_captums_has_first_order_error(bert):
    # conductance of the GELU units of encoder layer 0's feed-forward block, on the path from
    # the [PAD] word embeddings to the sentence's (a float path, as conductance needs)
    model, ids, mask, base = bert
    x, x0 = model.word_embeddings(ids), model.word_embeddings(base)
    kw = dict(baselines=x0, target=1, additional_forward_args=mask)
    ours = [LayerConductance(model.forward_embeds, model.gelu(0)).attribute(x, n_steps=n, **kw)
            for n in (6, 12)]
    assert ours[0].shape == (1, ids.shape[1], 64)
    converged = float((ours[0] - ours[1]).abs().max())
    theirs = captum_attr.LayerConductance(model.forward_embeds, model.gelu(0)).attribute(
        x, n_steps=12, **kw)
    # Captum takes d/dt H as a difference between steps: its error at 12 steps is far
    # larger than the change of ours from 6 to 12 steps
    assert float((theirs - ours[1]).abs().max()) > 100 * converged
    # one unit's conductance, attributed to the input features, sums to that unit's share
    unit = NeuronConductance(model.forward_embeds, model.gelu(0)).attribute(
        x, (3, 7), method="gausslegendre", n_steps=12, **kw)
    assert abs(float(unit.sum()) - float(ours[1][0, 3, 7])) < 1e-10


def test_tolerance_gives_an_error_estimate_that_bounds_the_true_error(bert):
    model, ids, mask, base = bert
    lig = LayerIntegratedGradients(model, model.embeddings)
    kw = dict(target=1, additional_forward_args=mask)
    reference = lig.attribute(ids, base, n_steps=128, **kw)   # converged to ~1e-16 here
    attr, delta, error = lig.attribute(ids, base, tolerance=1e-8, return_error=True,
                                       return_convergence_delta=True, **kw)
    true = float((attr - reference).abs().max())
    assert error.shape == (1,) and error.dtype == torch.float64
    assert true <= float(error[0]) <= 1e-8 * float(attr.abs().max())
    assert abs(float(delta[0])) < 1e-9


def test_transformers_is_not_loaded_by_the_library():
    code = ("import sys, numeric; numeric.LayerIntegratedGradients; numeric.LayerConductance; "
            "assert 'transformers' not in sys.modules, 'loaded'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
