"""Pruning experiments of Lundstrom, Huang & Razaviyayn (2022), sec. 7.1 and App. L.2, on digits.

Each experiment ranks the units of a layer by an internal-neuron attribution
(:func:`numeric.conductance`), zeroes them progressively in that order and watches the model:

- ``global`` (sec. 7.1, Fig. 1): conductance averaged over the training set (output: the
  confidence in the true label; black baseline), for the second-to-last dense layer (64
  units) and the second conv layer (10 channels, conductance summed over positions); zeroed
  in descending, ascending and random order (several seeds, with their spread); test accuracy
  against the fraction pruned.
- ``per_class`` (Fig. 2): the same score averaged over one class; accuracy on that class
  against the median class, for ranked and random orders.
- ``patch`` (App. L.2, Fig. 9; sec. 7.2, Fig. 4): a fixed box on one class's images; the
  image-patch attributions IG_{S,j} of the dense layer averaged over that class rank its
  units; after each pruning step the IG of the pruned model is recomputed on 64 test images
  of the class and summed inside the box, outside it and over the whole image. The
  conductance (global) ranking of the same class is run alongside, as in their Fig. 4.

Every qualitative claim of the paper is checked with numbers and a verdict (reproduced or
not); a claim that does not hold on digits is reported as such. Curves are summarised by their
area (trapezoid rule over the fraction pruned in [0, 1]).

>>> counts_for(10, quick=False)
[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field

from .._torch import torch
from ..conductance import check_identities, conductance
from ..path_integral import model_outputs, resolve_layer
from .digits import DigitsSplit, TrainSettings, digits_split, single_thread, trained_net

nn = torch.nn

__all__ = ["LAYERS", "PruneSettings", "area", "class_accuracies", "counts_for", "run_prune",
           "zeroed"]

CITE = "Lundstrom, Huang & Razaviyayn (2022)"

#: (label, layer name in the App. M network, attribution per channel)
LAYERS = (("dense", "act4", False), ("conv", "act2", True))


@dataclass(frozen=True)
class PruneSettings:
    """Everything that decides the numbers (the JSON records it)."""

    steps: int = 32            # Gauss-Legendre nodes per path integral
    seeds: int = 5             # random pruning orders
    focus_class: int = 7       # the class of Fig. 2 and Fig. 9
    box: tuple[int, int, int, int] = (0, 2, 2, 8)   # rows [r0, r1), cols [c0, c1): the 7's bar
    ig_images: int = 64        # test images of the class whose IG is recomputed (Fig. 9)
    batch_size: int = 4096     # points per forward pass
    quick: bool = False        # tiny training and coarse curves, for tests
    activations: tuple[str, ...] = ("tanh", "relu")
    train: dict = field(default_factory=dict)       # TrainSettings overrides

    def train_settings(self, activation: str) -> TrainSettings:
        extra = dict(self.train)
        if self.quick:
            extra = {"epochs": 3, **extra}
        return TrainSettings(activation=activation, **extra)


def counts_for(units: int, quick: bool) -> list[int]:
    """How many units are zeroed at each point of a curve: every unit for a small layer,
    sixteen steps for a larger one (four in quick mode)."""
    parts = 4 if quick else 16
    if units <= parts:
        return list(range(units + 1))
    return sorted({round(k * units / parts) for k in range(parts + 1)})


def area(fractions: list[float], values: list[float]) -> float:
    """Trapezoid area under a curve over the fraction pruned (the mean value over [0, 1]).

    >>> area([0.0, 0.5, 1.0], [1.0, 1.0, 0.0])
    0.75
    """
    return float(sum((f1 - f0) * (v0 + v1) / 2 for f0, f1, v0, v1 in
                     zip(fractions, fractions[1:], values, values[1:])))


@contextlib.contextmanager
def zeroed(model: nn.Module, layer: str, units: torch.Tensor, per_channel: bool):
    """Zero the given units (flat indices of one example's output) or channels of ``layer``
    while the block runs (a forward hook, removed after).

    >>> net = torch.nn.Sequential(torch.nn.Identity())
    >>> with zeroed(net, "0", torch.tensor([1]), False):
    ...     net(torch.ones(1, 3)).tolist()
    [[1.0, 0.0, 1.0]]
    """
    _, module = resolve_layer(model, layer)
    units = torch.as_tensor(units, dtype=torch.long)

    def hook(mod, inputs, out):
        if len(units) == 0:
            return out
        keep = torch.ones(out.shape[1] if per_channel else out[0].numel(), dtype=out.dtype,
                          device=out.device)
        keep[units] = 0
        shape = (1, -1) + (1,) * (out.dim() - 2) if per_channel else (1, *out.shape[1:])
        return out * keep.view(shape)

    handle = module.register_forward_hook(hook)
    try:
        yield model
    finally:
        handle.remove()


def class_accuracies(model: nn.Module, x: torch.Tensor, y: torch.Tensor
                     ) -> tuple[float, list[float]]:
    """Overall test accuracy and the accuracy on each of the 10 classes."""
    with torch.no_grad():
        right = (model(x).argmax(1) == y).double()
    per = [float(right[y == c].mean()) for c in range(10)]
    return float(right.mean()), per


def _sweep(model, layer, per_channel, order, counts, x, y) -> list[tuple[float, list[float]]]:
    out = []
    for k in counts:
        with zeroed(model, layer, order[:k], per_channel):
            out.append(class_accuracies(model, x, y))
    return out


def _median(values: list[float]) -> float:
    return float(torch.tensor(values, dtype=torch.float64).median())


def _claim(cid: str, experiment: str, statement: str, source: str, measure: str,
           numbers: dict, holds: bool) -> dict:
    return {"id": cid, "experiment": experiment, "claim": statement,
            "source": f"{CITE}, {source}", "measure": measure,
            "numbers": {k: round(v, 4) if isinstance(v, float) else v
                        for k, v in numbers.items()},
            "reproduced": bool(holds)}


# ---------------------------------------------------------------------------- experiments


def _orders(score: torch.Tensor, seeds: int) -> dict[str, torch.Tensor | list[torch.Tensor]]:
    units = score.shape[0]
    return {
        "descending": torch.argsort(score, descending=True, stable=True),
        "ascending": torch.argsort(score, stable=True),
        "random": [torch.randperm(units, generator=torch.Generator().manual_seed(1000 + s))
                   for s in range(seeds)],
    }


def _global(model, data: DigitsSplit, st: PruneSettings, scores: dict) -> dict:
    result: dict = {"layers": {}, "claims": []}
    for label, layer, per_channel in LAYERS:
        per_example = scores[label]
        units = per_example.shape[1]
        counts = counts_for(units, st.quick)
        fr = [k / units for k in counts]
        orders = _orders(per_example.mean(0), st.seeds)
        curves = {name: _sweep(model, layer, per_channel, orders[name], counts, data.x_test,
                               data.y_test) for name in ("descending", "ascending")}
        randoms = [_sweep(model, layer, per_channel, o, counts, data.x_test, data.y_test)
                   for o in orders["random"]]
        acc = {name: [a for a, _ in c] for name, c in curves.items()}
        rand = [[a for a, _ in r] for r in randoms]
        rmean = [sum(col) / len(col) for col in zip(*rand)]
        result["layers"][label] = {
            "layer": layer, "units": units, "per_channel": per_channel, "counts": counts,
            "fractions": fr, "descending": acc["descending"], "ascending": acc["ascending"],
            "random": rand, "random_mean": rmean, "random_min": [min(c) for c in zip(*rand)],
            "random_max": [max(c) for c in zip(*rand)],
            "ranking_descending": orders["descending"].tolist(),
            "mean_conductance": per_example.mean(0).tolist(),
            "_per_class": {"descending": curves["descending"], "ascending": curves["ascending"],
                           "random": randoms},
        }
        ad, aa, ar = area(fr, acc["descending"]), area(fr, acc["ascending"]), area(fr, rmean)
        rmin = min(area(fr, r) for r in rand)
        rmax = max(area(fr, r) for r in rand)
        nums = {"area_descending": ad, "area_ascending": aa, "area_random_mean": ar,
                "area_random_min": rmin, "area_random_max": rmax}
        if label == "conv":
            result["claims"].append(_claim(
                "fig1-conv-descending", "global",
                "conv layer: pruning by descending conductance kills accuracy faster than random",
                "sec. 7.1, Fig. 1", "area under accuracy vs fraction pruned: descending < "
                "random mean", nums, ad < ar))
            result["claims"].append(_claim(
                "fig1-conv-ascending", "global",
                "conv layer: pruning by ascending conductance keeps accuracy better than random",
                "sec. 7.1, Fig. 1", "area: ascending > random mean", nums, aa > ar))
        else:
            result["claims"].append(_claim(
                "fig1-dense-order", "global",
                "dense layer: the order of pruning makes little difference",
                "sec. 7.1, Fig. 1", "abs(area(descending) - area(random)) and abs("
                "area(ascending) - area(random)) both <= 0.05 (accuracy x fraction)", nums,
                abs(ad - ar) <= 0.05 and abs(aa - ar) <= 0.05))
    return result


def _per_class(model, data: DigitsSplit, st: PruneSettings, scores: dict, glob: dict) -> dict:
    c0 = st.focus_class
    result: dict = {"focus_class": c0, "layers": {}, "claims": []}
    y = data.y_train
    holds: dict[str, list[bool]] = {}
    for label, layer, per_channel in LAYERS:
        g = glob["layers"][label]
        counts, fr = g["counts"], g["fractions"]
        randoms = g["_per_class"]["random"]
        rand_class = [[sum(r[i][1][c] for r in randoms) / len(randoms) for i in range(len(counts))]
                      for c in range(10)]
        rand_median = [sum(_median(r[i][1]) for r in randoms) / len(randoms)
                       for i in range(len(counts))]
        layer_out: dict = {"fractions": fr, "random_median": rand_median, "classes": {}}
        for c in range(10):
            orders = _orders(scores[label][y == c].mean(0), 0)
            entry = {"random_class": rand_class[c]}
            for name in ("descending", "ascending"):
                sweep = _sweep(model, layer, per_channel, orders[name], counts, data.x_test,
                               data.y_test)
                entry[f"{name}_class"] = [per[c] for _, per in sweep]
                entry[f"{name}_median"] = [_median(per) for _, per in sweep]
            layer_out["classes"][str(c)] = entry
            a = {k: area(fr, v) for k, v in entry.items()}
            a["random_median"] = area(fr, rand_median)
            checks = {
                f"{label}-descending": a["descending_class"] < a["descending_median"] and
                a["descending_class"] < a["random_class"],
                f"{label}-ascending": a["ascending_class"] > a["ascending_median"] and
                a["ascending_class"] > a["random_class"],
            }
            if label == "conv":
                checks["conv-ascending-median"] = a["ascending_median"] < a["random_median"]
            for k, v in checks.items():
                holds.setdefault(k, []).append(v)
            if c == c0:
                layer_out["focus_areas"] = a
        result["layers"][label] = layer_out
    texts = {
        "dense-descending": ("dense layer: pruning by the class's descending conductance "
                             "quickly reduces that class's accuracy (below the median class "
                             "and below random pruning)", "area: class(desc) < median(desc) "
                             "and < class(random)"),
        "conv-descending": ("conv layer: the same for the conv layer", "area: class(desc) < "
                            "median(desc) and < class(random)"),
        "dense-ascending": ("dense layer: pruning by ascending conductance keeps the class "
                            "above the median class (and above random pruning)",
                            "area: class(asc) > median(asc) and > class(random)"),
        "conv-ascending": ("conv layer: pruning by ascending conductance makes the class very "
                           "accurate (above the median class and above random pruning)",
                           "area: class(asc) > median(asc) and > class(random)"),
        "conv-ascending-median": ("conv layer: ... while the median class dips below the "
                                  "random baseline", "area: median(asc) < median(random)"),
    }
    for key, (statement, measure) in texts.items():
        label = key.split("-")[0]
        flags = holds[key]
        nums = {**result["layers"][label]["focus_areas"],
                "classes_where_it_holds": f"{sum(flags)}/10"}
        result["claims"].append(_claim(
            f"fig2-{key}", "per_class", f"{statement} [class {c0}]", "sec. 7.1, Fig. 2",
            measure, nums, flags[c0]))
    return result


def _box_mask(st: PruneSettings) -> torch.Tensor:
    r0, r1, c0, c1 = st.box
    mask = torch.zeros(1, 8, 8, dtype=torch.bool)
    mask[0, r0:r1, c0:c1] = True
    return mask


def _patch(model, data: DigitsSplit, st: PruneSettings, scores: dict) -> dict:
    c0 = st.focus_class
    label, layer, per_channel = LAYERS[0]
    box = _box_mask(st)
    xs = data.x_train[data.y_train == c0]
    patch_scores = conductance(model, layer, xs, target=c0, steps=st.steps, patch=box,
                               batch_size=st.batch_size)
    units = patch_scores.shape[1]
    counts = counts_for(units, st.quick)
    fr = [k / units for k in counts]
    orders = _orders(patch_scores.mean(0), st.seeds)
    orders["global_descending"] = torch.argsort(scores[label][data.y_train == c0].mean(0),
                                                descending=True, stable=True)
    test = data.x_test[data.y_test == c0][:st.ig_images]
    inside_w = box.to(torch.float64)

    def sums(order) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {"inside": [], "outside": [], "all": []}
        for k in counts:
            with zeroed(model, layer, order[:k], per_channel):
                ig = conductance(model, None, test, target=c0, steps=st.steps,
                                 batch_size=st.batch_size)
            inside = (ig * inside_w).sum((1, 2, 3))
            total = ig.sum((1, 2, 3))
            out["inside"].append(float(inside.mean()))
            out["outside"].append(float((total - inside).mean()))
            out["all"].append(float(total.mean()))
        return out

    curves = {name: sums(orders[name]) for name in ("descending", "ascending",
                                                     "global_descending")}
    randoms = [sums(o) for o in orders["random"]]
    curves["random"] = {k: [sum(r[k][i] for r in randoms) / len(randoms)
                            for i in range(len(counts))] for k in ("inside", "outside", "all")}
    early = [i for i, f in enumerate(fr) if 0 < f <= 0.5]
    sustained = [i for i, f in enumerate(fr) if 0 < f <= 0.75]

    def mean_at(curve, idx):
        return sum(curve[i] for i in idx) / len(idx)

    d = curves["descending"]
    gap = [o - i for o, i in zip(d["outside"], d["inside"])]
    nums = {"inside_at_0": d["inside"][0], "inside_mean_early": mean_at(d["inside"], early),
            "outside_at_0": d["outside"][0], "outside_mean_early": mean_at(d["outside"], early)}
    claims = [_claim(
        "fig9-descending-in-out", "patch",
        f"patch ranking, descending: the IG sum inside the box drops while the sum outside "
        f"rises [class {c0}]", "App. L.2, Fig. 9",
        "mean over fractions in (0, 0.5]: inside < inside at 0 and outside > outside at 0",
        nums, nums["inside_mean_early"] < nums["inside_at_0"] and
        nums["outside_mean_early"] > nums["outside_at_0"])]
    gnums = {"gap_at_0": gap[0], "gap_min_up_to_0.75": min(gap[i] for i in sustained),
             "gap_max_up_to_0.75": max(gap[i] for i in sustained)}
    claims.append(_claim(
        "fig9-gap-sustained", "patch",
        f"patch ranking, descending: the gap (outside - inside) widens and is sustained "
        f"[class {c0}]", "App. L.2, Fig. 9",
        "gap > gap at 0 at every fraction in (0, 0.75]", gnums,
        gnums["gap_min_up_to_0.75"] > gnums["gap_at_0"]))
    g = curves["global_descending"]
    cnums = {"inside_patch": mean_at(d["inside"], early),
             "inside_global": mean_at(g["inside"], early),
             "outside_patch": mean_at(d["outside"], early),
             "outside_global": mean_at(g["outside"], early)}
    claims.append(_claim(
        "fig4-patch-vs-global", "patch",
        f"patch ranking pushes IG inside the box down and outside up more than the global "
        f"conductance ranking [class {c0}, dense layer]", "sec. 7.2, Fig. 4; App. L.1, Fig. 7",
        "mean over fractions in (0, 0.5]: inside(patch) < inside(global) and outside(patch) > "
        "outside(global)", cnums, cnums["inside_patch"] < cnums["inside_global"] and
        cnums["outside_patch"] > cnums["outside_global"]))
    anums = {"all_patch": mean_at(d["all"], early), "all_global": mean_at(g["all"], early)}
    claims.append(_claim(
        "fig4-confidence", "patch",
        f"the IG sum over the whole image (the confidence, by completeness) drops quickly "
        f"under the global ranking but stays elevated under the patch ranking [class {c0}]",
        "sec. 7.2, Fig. 4", "mean over fractions in (0, 0.5]: all(patch) > all(global)", anums,
        anums["all_patch"] > anums["all_global"]))
    return {"focus_class": c0, "box_rows": list(st.box[:2]), "box_cols": list(st.box[2:]),
            "layer": layer, "images": len(test), "fractions": fr, "counts": counts,
            "curves": curves, "random_seeds": len(randoms), "claims": claims}


def _identities(model, data: DigitsSplit, st: PruneSettings, activation: str) -> list[dict]:
    """The identities of sec. 5-6 on the trained network: gaps, relative to the terms."""
    x = data.x_test[:2 if st.quick else 8]
    y = data.y_test[:len(x)]
    box = _box_mask(st)
    rows = []
    if activation == "relu":  # exact on the logits (the softmax is not piecewise linear)
        run, method, steps, what = model[:-1], "exact", None, "logit of the true label"
    else:  # Gauss-Legendre on each piece between the max-pool switches
        run, method, what = model, "gausslegendre", "confidence in the true label"
        steps = 12 if st.quick else 32
    for label, layer, _ in LAYERS:
        rep = check_identities(run, layer, x, target=y, steps=steps or 50, method=method,
                               patch=box, split_kinks=method != "exact")
        for r in rep.rows:
            rows.append({"model": activation, "layer": f"{label} ({layer})", "output": what,
                         "method": method + (f" {steps}, split at kinks" if steps else ""),
                         "identity": r["identity"], "max_rel_gap": r["max_rel_gap"],
                         "holds_to_rounding": r["holds_to_rounding"]})
    return rows


def run_prune(settings: PruneSettings | None = None, cache_dir=None) -> dict:
    """Train (or load) the networks and run every experiment; a JSON-ready report."""
    st = settings or PruneSettings()
    t0 = time.perf_counter()
    data = digits_split()
    if st.quick:  # a few hundred images: the code paths of the full run in seconds
        data = DigitsSplit(data.x_train[:200], data.y_train[:200], data.x_test[:100],
                           data.y_test[:100])
    report: dict = {"title": f"Pruning by internal-neuron attributions ({CITE}, sec. 7, "
                             "App. L.2, M) on scikit-learn's 8x8 digits",
                    "settings": {k: (list(v) if isinstance(v, tuple) else v)
                                 for k, v in asdict(st).items()},
                    "data": {"train": len(data.y_train), "test": len(data.y_test)},
                    "models": {}, "experiments": {}, "claims": [], "identities": []}
    with single_thread():
        for activation in st.activations:
            ts = st.train_settings(activation)
            model, cached = trained_net(ts, data, cache_dir)
            acc, per = class_accuracies(model, data.x_test, data.y_test)
            report["models"][activation] = {"test_accuracy": acc, "class_accuracy": per,
                                            "from_cache": cached, "train": asdict(ts)}
            scores = {}
            gaps = {}
            for label, layer, per_channel in LAYERS:
                s = conductance(model, layer, data.x_train, target=data.y_train,
                                steps=st.steps, per_channel=per_channel,
                                batch_size=st.batch_size)
                scores[label] = s
                diff = model_outputs(model, data.x_train, data.y_train.view(-1)) - \
                    model_outputs(model, torch.zeros_like(data.x_train), data.y_train.view(-1))
                gap = (s.sum(1) - diff).abs() / torch.clamp(s.abs().sum(1), min=1e-300)
                gaps[label] = {"median": float(gap.median()), "max": float(gap.max())}
            glob = _global(model, data, st, scores)
            per_class = _per_class(model, data, st, scores, glob)
            for g in glob["layers"].values():
                g.pop("_per_class")
            patch = _patch(model, data, st, scores)
            exps = {"global": glob, "per_class": per_class, "patch": patch}
            report["experiments"][activation] = exps
            report["models"][activation]["completeness_rel_gap_train"] = gaps
            for e in exps.values():
                for c in e["claims"]:
                    report["claims"].append({"model": activation, **c})
            report["identities"] += _identities(model, data, st, activation)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    return report
