"""Captum's IG test cases, run on Captum's classes and on numeric's drop-in classes.

A port (written for igverify, not copied) of the cases of Captum's
tests/attr/test_integrated_gradients_basic.py, test_integrated_gradients_classification.py
and the IG cases of test_targets.py (Kokhlikyan et al. (2020)): the same models (from
``captum.testing.helpers``), inputs, arguments and tolerances, each case a function of the
two classes ``IntegratedGradients`` and ``NoiseTunnel``. It fetches nothing. Prints, per
implementation, how many cases pass (and which fail, with why) and the time ratio.

    python benchmarks/captum_suite.py [--only numeric|captum] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402
from captum.testing.helpers import basic_models as bm  # noqa: E402
from captum.testing.helpers import classification_models as cm  # noqa: E402


def seed(value: int = 1234) -> None:
    """What Captum's BaseTest.setUp does before every test."""
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def close(actual, expected, delta: float = 1e-4, mode: str = "sum") -> None:
    """Captum's assertTensorAlmostEqual: shapes equal; sum or max of |actual - expected|."""
    assert isinstance(actual, torch.Tensor), "not a tensor"
    expected = expected if isinstance(expected, torch.Tensor) else torch.tensor(
        expected, dtype=actual.dtype)
    assert actual.shape == expected.shape, f"shape {tuple(actual.shape)} vs " \
                                           f"{tuple(expected.shape)}"
    diff = (actual.detach().double() - expected.detach().double()).abs()
    worst = float(diff.sum() if mode == "sum" else diff.max()) if diff.numel() else 0.0
    assert worst <= delta, f"differ by {worst:.3g} > {delta:g} ({mode})"


def close_tuples(actual, expected, delta: float = 1e-4, mode: str = "sum") -> None:
    if isinstance(expected, tuple):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            close(a, e, delta, mode)
    else:
        close(actual, expected, delta, mode)


# ------------------------------------------------------------------------- basic cases


def evaluate(IG, NT, model, inputs, baselines=None, target=None, extra=None, kind="vanilla",
             method="gausslegendre", multiply=True, nt_batch=None):
    """The checks of the basic file's _compute_attribution_and_evaluate."""
    ig = IG(model, multiply_by_inputs=multiply)
    assert ig.multiplies_by_inputs == multiply
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    if baselines is not None and not isinstance(baselines, tuple):
        baselines = (baselines,)
    if baselines is None:
        baselines = tuple(torch.zeros_like(x) for x in inputs)
    if kind == "vanilla":
        attributions, delta = ig.attribute(inputs, baselines, additional_forward_args=extra,
                                           method=method, n_steps=500, target=target,
                                           return_convergence_delta=True)
        model.zero_grad()
        without, delta = ig.attribute(inputs, baselines, additional_forward_args=extra,
                                      method=method, n_steps=500, target=target,
                                      return_convergence_delta=True)
        model.zero_grad()
        assert list(delta.shape) == [inputs[0].shape[0]], "delta shape"
        external = ig.compute_convergence_delta(attributions, baselines, inputs, target=target,
                                                additional_forward_args=extra)
        close(delta, external, delta=0.0, mode="max")
    else:
        nt = NT(ig)
        attributions, delta = nt.attribute(
            inputs, nt_type=kind, nt_samples=5, stdevs=0.00000002, baselines=baselines,
            target=target, additional_forward_args=extra, method=method, n_steps=500,
            return_convergence_delta=True, nt_samples_batch_size=nt_batch)
        without = nt.attribute(
            inputs, nt_type=kind, nt_samples=5, stdevs=0.00000002, baselines=baselines,
            target=target, additional_forward_args=extra, method=method, n_steps=500,
            nt_samples_batch_size=3)
        assert nt.multiplies_by_inputs == multiply
        assert list(delta.shape) == [inputs[0].shape[0] * 5], "delta shape"
    for x, a in zip(inputs, attributions, strict=True):
        assert a.shape == x.shape, "attribution shape"
    if multiply:
        close(delta, torch.zeros(delta.shape), 0.07, "max")
    for a, b in zip(attributions, without, strict=True):
        close(a, b, delta=0.05)
    return attributions


def batch_helper(IG, model, inputs, target=None, method="gausslegendre"):
    """The basic file's _compute_attribution_batch_helper_evaluate."""
    ig = IG(model)
    baselines = tuple(torch.zeros_like(x) for x in inputs)
    for internal in (None, 10, 20):
        attributions, delta = ig.attribute(inputs, baselines, method=method, n_steps=100,
                                           target=target, internal_batch_size=internal,
                                           return_convergence_delta=True)
        total = 0.0
        for i in range(inputs[0].shape[0]):
            one, d1 = ig.attribute(tuple(x[i:i + 1] for x in inputs),
                                   tuple(b[i:i + 1] for b in baselines), method=method,
                                   n_steps=100, target=target, internal_batch_size=internal,
                                   return_convergence_delta=True)
            total += abs(d1).sum().item()
            for j in range(len(attributions)):
                close(attributions[j][i:i + 1].squeeze(0), one[j].squeeze(0), 0.05, "max")
        assert abs(abs(delta).sum().item() - total) <= 0.005, "summed deltas"


def multi_variable(kind, method, multiply=True):
    def case(IG, NT):
        x1, x2 = torch.tensor([3.0]), torch.tensor([1.0], requires_grad=True)
        bases = (torch.tensor([0.0]), torch.tensor([0.0]))
        first = evaluate(IG, NT, bm.BasicModel2(), (x1, x2), bases, kind=kind, method=method,
                         multiply=multiply)
        if kind == "vanilla":
            close(first[0], [1.5] if multiply else [0.5], 0.05, "max")
            close(first[1], [-0.5], 0.05, "max")
        second = evaluate(IG, NT, bm.BasicModel3(), (x1, x2), bases, kind=kind,
                          method=method, multiply=multiply)
        if kind == "vanilla":
            close(second[0], [1.5] if multiply else [0.5], 0.05, "max")
            close(second[1], [-0.5], 0.05, "max")
            assert bool(sum(first) == sum(second)), "implementation invariance (exact ==)"
    return case


def univariable(kind, method):
    def case(IG, NT):
        model = bm.BasicModel()
        evaluate(IG, NT, model, torch.tensor([1.0], requires_grad=True), torch.tensor([0.0]),
                 kind=kind, method=method)
        evaluate(IG, NT, model, torch.tensor([0.0]), torch.tensor([0.0]), kind=kind,
                 method=method)
        evaluate(IG, NT, model, torch.tensor([-1.0], requires_grad=True), 0.00001, kind=kind,
                 method=method)
    return case


def multi_argument(kind, method):
    def case(IG, NT):
        one = (torch.tensor([[1.5, 2.0, 34.3]]), torch.tensor([[3.0, 3.5, 23.2]]))
        two = (torch.tensor([[1.5, 2.0, 34.3], [3.4, 1.2, 2.0]]),
               torch.tensor([[3.0, 3.5, 23.2], [2.3, 1.2, 0.3]]))
        model = bm.BasicModel4_MultiArgs()
        evaluate(IG, NT, model, one, (0.0, torch.zeros((1, 3))),
                 extra=torch.arange(1.0, 4.0).reshape(1, 3), kind=kind, method=method)
        evaluate(IG, NT, model, two, (torch.zeros((2, 3)), 0.0),
                 extra=(torch.arange(1.0, 7.0).reshape(2, 3), 1), kind=kind, method=method)
        model = bm.BasicModel5_MultiArgs()
        evaluate(IG, NT, model, two, (0.0, 0.00001), extra=([2, 3], 1), kind=kind,
                 method=method)
        evaluate(IG, NT, model, two, (torch.zeros((1, 3)), 0.00001), extra=([2, 3], 1),
                 kind=kind, method=method)
    return case


def multi_tensor_input(kind, method):
    def case(IG, NT):
        inputs = (torch.tensor([[1.5, 2.0, 3.3]]), torch.tensor([[3.0, 3.5, 2.2]]))
        evaluate(IG, NT, bm.BasicModel6_MultiTensor(), inputs, kind=kind, method=method)
    return case


BATCH = torch.tensor([[1.5, 2.0, 1.3], [0.5, 0.1, 2.3], [1.5, 2.0, 1.3]])
MULTI = (torch.tensor([[1.5, 2.1, 1.9], [0.5, 0.0, 0.7], [1.5, 2.1, 1.1]]),
         torch.tensor([[0.3, 1.9, 2.4], [0.5, 0.6, 2.1], [1.2, 2.1, 0.2]]))


def batched_input(kind, method):
    def case(IG, NT):
        model = bm.BasicModel_MultiLayer()
        evaluate(IG, NT, model, (BATCH,), kind=kind, target=0, method=method)
        batch_helper(IG, model, (BATCH,), target=0, method=method)
    return case


def nt_batched(kind, method, nt_batch):
    def case(IG, NT):
        evaluate(IG, NT, bm.BasicModel_MultiLayer(), (BATCH,), kind=kind, target=0,
                 method=method, nt_batch=nt_batch)
    return case


def batched_multi_input(kind, method, nt_batch=None):
    def case(IG, NT):
        model = bm.BasicModel_MultiLayer()
        evaluate(IG, NT, model, MULTI, kind=kind, target=0, method=method, nt_batch=nt_batch)
    return case


def smoothgrad_without_multiplying(IG, NT):
    model = bm.BasicModel_MultiLayer()
    local = NT(IG(model, multiply_by_inputs=False))
    glob = NT(IG(model))
    kw = dict(nt_type="smoothgrad", nt_samples=5, stdevs=0.0, target=0, n_steps=500)
    close(local.attribute(BATCH, **kw) * BATCH, glob.attribute(BATCH, **kw))


BASIC = {
    "multivariable_vanilla": multi_variable("vanilla", "riemann_right"),
    "multivariable_vanilla_wo_mutliplying_by_inputs":
        multi_variable("vanilla", "riemann_right", multiply=False),
    "multivariable_smoothgrad": multi_variable("smoothgrad", "riemann_left"),
    "multivariable_smoothgrad_sq": multi_variable("smoothgrad_sq", "riemann_middle"),
    "multivariable_vargrad": multi_variable("vargrad", "riemann_trapezoid"),
    "multi_argument_vanilla": multi_argument("vanilla", "gausslegendre"),
    "multi_argument_smoothgrad": multi_argument("smoothgrad", "riemann_right"),
    "multi_argument_smoothgrad_sq": multi_argument("smoothgrad_sq", "riemann_left"),
    "multi_argument_vargrad": multi_argument("vargrad", "riemann_middle"),
    "univariable_vanilla": univariable("vanilla", "riemann_trapezoid"),
    "univariable_smoothgrad": univariable("smoothgrad", "gausslegendre"),
    "univariable_smoothgrad_sq": univariable("smoothgrad_sq", "riemann_right"),
    "univariable_vargrad": univariable("vargrad", "riemann_left"),
    "multi_tensor_input_vanilla": multi_tensor_input("vanilla", "riemann_middle"),
    "multi_tensor_input_smoothgrad": multi_tensor_input("smoothgrad", "riemann_trapezoid"),
    "multi_tensor_input_smoothgrad_sq": multi_tensor_input("smoothgrad_sq", "gausslegendre"),
    "multi_tensor_input_vargrad": multi_tensor_input("vargrad", "riemann_right"),
    "batched_input_vanilla": batched_input("vanilla", "riemann_left"),
    "batched_input_smoothgrad": batched_input("smoothgrad", "riemann_middle"),
    "batched_input_smoothgrad_with_batch_size_1": nt_batched("smoothgrad", "riemann_middle", 1),
    "batched_input_smoothgrad_with_batch_size_2": nt_batched("vargrad", "riemann_middle", 2),
    "batched_input_smoothgrad_with_batch_size_3": nt_batched("smoothgrad_sq", "riemann_middle",
                                                             3),
    "batched_input_smoothgrad_sq": batched_input("smoothgrad_sq", "riemann_trapezoid"),
    "batched_input_vargrad": batched_input("vargrad", "gausslegendre"),
    "batched_input_smoothgrad_wo_mutliplying_by_inputs": smoothgrad_without_multiplying,
    "batched_multi_input_vanilla": batched_multi_input("vanilla", "riemann_right"),
    "batched_multi_input_smoothgrad": batched_multi_input("smoothgrad", "riemann_left"),
    "batched_multi_input_smoothgrad_sq": batched_multi_input("smoothgrad_sq", "riemann_middle"),
    "batched_multi_input_vargrad": batched_multi_input("vargrad", "riemann_trapezoid"),
    "batched_multi_input_vargrad_batch_size_1":
        batched_multi_input("vargrad", "riemann_trapezoid", 1),
    "batched_multi_input_smooth_batch_size_2":
        batched_multi_input("vargrad", "riemann_trapezoid", 2),
    "batched_multi_input_smoothgrad_sq_batch_size_3":
        batched_multi_input("vargrad", "riemann_trapezoid", 3),
}


# ------------------------------------------------------------------ classification cases


def completeness(IG, NT, model, x, target, kind, method, baseline=None):
    ig = IG(model.forward)
    model.zero_grad()
    if kind == "vanilla":
        attributions, delta = ig.attribute(x, baselines=baseline, target=target,
                                           method=method, n_steps=200,
                                           return_convergence_delta=True)
        expected = ig.compute_convergence_delta(attributions, baseline, x, target)
        close(expected, delta)
        assert bool((delta.abs() < 0.005).all()), f"delta {delta.tolist()}"
        assert list(delta.shape) == [x.shape[0]], "delta shape"
    else:
        attributions, delta = NT(ig).attribute(
            x, baselines=baseline, nt_type=kind, nt_samples=10, stdevs=0.0002, n_steps=100,
            target=target, method=method, return_convergence_delta=True)
        assert list(delta.shape) == [x.shape[0] * 10], "delta shape"
    assert bool((delta.abs() < 0.05).all()), f"delta {delta.tolist()}"
    assert attributions.shape == x.shape, "attribution shape"


def sigmoid(kind, method):
    def case(IG, NT):
        x = torch.arange(0.0, 20.0, requires_grad=True).unsqueeze(0)
        completeness(IG, NT, cm.SigmoidModel(20, 5, 1), x, torch.tensor(0), kind, method)
    return case


def softmax(kind, method):
    def case(IG, NT):
        x = torch.arange(0.0, 40.0, requires_grad=True).unsqueeze(0)
        completeness(IG, NT, cm.SoftmaxModel(40, 20, 10), x, torch.tensor(5), kind, method)
    return case


def softmax_batch(kind, method):
    def case(IG, NT):
        x = torch.arange(0.0, 120.0, requires_grad=True).reshape(3, 40)
        completeness(IG, NT, cm.SoftmaxModel(40, 20, 10), x, torch.tensor([5, 5, 2]), kind,
                     method, torch.zeros(1, 40))
    return case


CLASSIFICATION = {
    "sigmoid_classification_vanilla": sigmoid("vanilla", "riemann_right"),
    "sigmoid_classification_smoothgrad": sigmoid("smoothgrad", "riemann_left"),
    "sigmoid_classification_smoothgrad_sq": sigmoid("smoothgrad_sq", "riemann_middle"),
    "sigmoid_classification_vargrad": sigmoid("vargrad", "riemann_trapezoid"),
    "softmax_classification_vanilla": softmax("vanilla", "gausslegendre"),
    "softmax_classification_smoothgrad": softmax("smoothgrad", "riemann_right"),
    "softmax_classification_smoothgrad_sq": softmax("smoothgrad_sq", "riemann_left"),
    "softmax_classification_vargrad": softmax("vargrad", "riemann_middle"),
    "softmax_classification_vanilla_batch": softmax_batch("vanilla", "riemann_trapezoid"),
    "softmax_classification_smoothgrad_batch": softmax_batch("smoothgrad", "gausslegendre"),
    "softmax_classification_smoothgrad_sq_batch": softmax_batch("smoothgrad_sq",
                                                                "riemann_right"),
    "softmax_classification_vargrad_batch": softmax_batch("vargrad", "riemann_left"),
}


# -------------------------------------------------------------------------- target cases


def target_configs() -> dict:
    """The IG configurations of Captum's test_config with list or tensor targets."""
    seed(1234)
    layer, multi = bm.BasicModel_MultiLayer(), bm.BasicModel_MultiLayer_MultiInput()
    tuples = [(1, 0, 0), (0, 1, 1), (1, 1, 1), (0, 0, 0)]
    return {
        "basic_multi_target": (layer, {"inputs": torch.randn(4, 3), "target": [0, 1, 1, 0]},
                               False),
        "basic_multi_input_multi_target": (multi, {
            "inputs": (10 * torch.randn(6, 3), 5 * torch.randn(6, 3)),
            "additional_forward_args": (2 * torch.randn(6, 3), 5),
            "target": [0, 1, 1, 0, 0, 1]}, False),
        "basic_multiple_tuple_target": (layer, {
            "inputs": torch.randn(4, 3), "target": tuples,
            "additional_forward_args": (None, True)}, False),
        "basic_tensor_single_target": (layer, {"inputs": torch.randn(4, 3),
                                               "target": torch.tensor([0])}, False),
        "basic_tensor_multi_target": (layer, {"inputs": torch.randn(4, 3),
                                              "target": torch.tensor([1, 1, 0, 0])}, False),
        "basic_multiple_tuple_target_with_baselines": (layer, {
            "inputs": torch.randn(4, 3), "baselines": 0.5 * torch.randn(4, 3),
            "target": tuples, "additional_forward_args": (None, True)}, False),
        "basic_tensor_single_target_with_baselines": (layer, {
            "inputs": torch.randn(4, 3), "baselines": 0.5 * torch.randn(4, 3),
            "target": torch.tensor([0])}, False),
        "basic_multiple_tuple_target_with_internal_batching": (layer, {
            "inputs": torch.randn(4, 3), "target": tuples,
            "additional_forward_args": (None, True), "internal_batch_size": 2}, False),
        "basic_multi_input_multi_target_nt": (multi, {
            "inputs": (10 * torch.randn(6, 3), 5 * torch.randn(6, 3)),
            "additional_forward_args": (2 * torch.randn(6, 3), 5),
            "target": [0, 1, 1, 0, 0, 1], "nt_samples": 20, "stdevs": 0.0}, True),
        "basic_multiple_target_with_baseline_nt": (layer, {
            "inputs": torch.randn(4, 3), "target": [0, 1, 1, 0], "nt_samples": 20,
            "stdevs": 0.0}, True),
        "basic_multiple_tuple_target_nt": (layer, {
            "inputs": torch.randn(4, 3), "target": tuples,
            "additional_forward_args": (None, True), "nt_samples": 20, "stdevs": 0.0}, True),
        "basic_single_tensor_target_nt": (layer, {
            "inputs": torch.randn(4, 3), "target": torch.tensor([0]), "nt_samples": 20,
            "stdevs": 0.0}, True),
        "basic_multi_tensor_target_nt": (layer, {
            "inputs": torch.randn(4, 3), "target": torch.tensor([0, 1, 1, 0]),
            "nt_samples": 20, "stdevs": 0.0}, True),
        "basic_multi_tensor_target_batched_nt": (layer, {
            "inputs": torch.randn(4, 3), "target": torch.tensor([0, 1, 1, 0]),
            "nt_samples": 20, "nt_samples_batch_size": 2, "stdevs": 0.0}, True),
    }


def target_case(name: str):
    def case(IG, NT):
        model, args, noise = target_configs()[name]
        args = dict(args)
        method = NT(IG(model)) if noise else IG(model)
        inputs, targets = args["inputs"], args["target"]
        extra = args.get("additional_forward_args")
        n = len(inputs) if isinstance(inputs, torch.Tensor) else len(inputs[0])
        baselines = args.get("baselines")
        orig = method.attribute(**args)
        for i in range(n):
            seed()
            args["target"] = targets[i] if len(targets) == n else targets
            args["inputs"] = inputs[i:i + 1] if isinstance(inputs, torch.Tensor) else tuple(
                x[i:i + 1] for x in inputs)
            if extra is not None:
                args["additional_forward_args"] = tuple(
                    e[i:i + 1] if isinstance(e, torch.Tensor) else e for e in extra)
            if baselines is not None:
                args["baselines"] = baselines[i:i + 1]
            single = method.attribute(**args)
            expected = orig[i:i + 1] if isinstance(orig, torch.Tensor) else tuple(
                a[i:i + 1] for a in orig)
            close_tuples(expected, single, 1e-4, "max")
            if len(targets) == n:
                args["target"] = targets[i:i + 1]
                seed()
                close_tuples(expected, method.attribute(**args), 1e-4, "max")
    return case


def missing_target(IG, NT):
    try:
        IG(bm.BasicModel_MultiLayer()).attribute(torch.zeros((1, 3)))
    except AssertionError:
        return
    raise AssertionError("no AssertionError for a missing target")


def multi_target_error(IG, NT):
    try:
        IG(bm.BasicModel_MultiLayer()).attribute(
            torch.zeros((1, 3)), additional_forward_args=(None, True), target=(1, 0))
    except AssertionError:
        return
    raise AssertionError("no AssertionError for a target that leaves 2 outputs")


TARGETS = {f"target_{name}": target_case(name) for name in target_configs()}
TARGETS["simple_target_missing_error"] = missing_target
TARGETS["multi_target_error"] = multi_target_error

SUITES = {"integrated_gradients_basic": BASIC,
          "integrated_gradients_classification": CLASSIFICATION, "targets": TARGETS}


def run(IG, NT) -> tuple[int, int, list[tuple[str, str]]]:
    passed, failures, total = 0, [], 0
    for suite, cases in SUITES.items():
        for name, case in cases.items():
            total += 1
            seed()
            try:
                case(IG, NT)
            except Exception as exc:  # noqa: BLE001  (a failing case is reported, not raised)
                line = traceback.format_exception_only(type(exc), exc)[-1].strip()
                failures.append((f"{suite}::test_{name}", line))
            else:
                passed += 1
    return passed, total, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["numeric", "captum"])
    parser.add_argument("--write", action="store_true", help="write to benchmarks/RESULTS.md")
    args = parser.parse_args()
    impls = []
    if args.only != "numeric":
        from captum.attr import IntegratedGradients, NoiseTunnel
        impls.append(("captum", IntegratedGradients, NoiseTunnel))
    if args.only != "captum":
        import numeric
        impls.append(("numeric", numeric.IntegratedGradients, numeric.NoiseTunnel))
    lines, seconds = [], {}
    for label, IG, NT in impls:
        start = time.perf_counter()
        passed, total, failures = run(IG, NT)
        seconds[label] = time.perf_counter() - start
        lines.append(f"{label}: {passed} of {total} cases pass ({seconds[label]:.1f} s)")
        lines.extend(f"  FAIL {name}: {why}" for name, why in failures)
    if len(seconds) == 2:
        lines.append(f"time numeric / captum: {seconds['numeric'] / seconds['captum']:.2f} "
                     "(same process, same cases)")
    print("\n".join(lines))
    if args.write:
        from bench_exact import write_section

        section = (f"## Captum's IG test cases\n\n`python benchmarks/captum_suite.py --write` "
                   f"({datetime.date.today()}, {platform.machine()}, torch "
                   f"{torch.__version__}): a port of the cases of Captum's IG test files, "
                   "run on Captum's classes and on numeric's.\n\n```\n" + "\n".join(lines)
                   + "\n```\n")
        write_section(os.path.join(os.path.dirname(__file__), "RESULTS.md"), section)


if __name__ == "__main__":
    main()
