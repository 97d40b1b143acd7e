"""Cross-check of every numeric rule, the exact piecewise-linear walk and the exact engines.

On real networks (random MLPs with ReLU, leaky ReLU and tanh, a small conv net, and a
64-32-10 ReLU network trained on scikit-learn's digits) the network is bridged to a
``proofs.Function`` with exact rational weights and attributed by the symbolic engine
(piecewise-linear networks) or the mpmath engine at 30 digits (smooth ones). Against that
reference it measures, in float64, each quadrature rule at a doubling ladder of step counts,
method="exact", and the other engine, and reports how many steps each rule needs to reach
1e-3 and 1e-6 relative error (max |A - A_ref| / max |A_ref|).

>>> from numeric.models import random_mlp
>>> import torch
>>> case = Case("relu", random_mlp(2, 3, 1, seed=1), torch.tensor([[0.5, -1.0]],
...             dtype=torch.float64), None, piecewise_linear=True)
>>> row = run_case(case, steps=(2, 4), engines=("symbolic",))
>>> row["exact_pl"] < 1e-12
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from proofs.shell import progress

from ._torch import torch
from .bridge import exact_rational, to_function
from .exact import exact_path_attribution
from .integrated import integrated_gradients
from .models import digits_data, digits_mlp, random_mlp, seeded
from .quadrature import METHODS

nn = torch.nn

__all__ = ["Case", "cases", "crosscheck", "format_table", "run_case"]

RULES = tuple(m for m in METHODS if m != "exact")
FULL_STEPS = tuple(2 ** k for k in range(1, 15))
QUICK_STEPS = (2, 8, 32, 128, 512, 2048)
THRESHOLDS = (1e-3, 1e-6)


@dataclass
class Case:
    """One network, one input (1, ...), its target output (or None) and whether it is PL."""

    name: str
    net: nn.Module
    x: torch.Tensor
    target: int | None
    piecewise_linear: bool
    input_shape: tuple[int, ...] | None = None


def _small_conv() -> nn.Sequential:
    return seeded(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                nn.Linear(2 * 3 * 3, 1)), 3).double().eval()


def cases(quick: bool = False) -> list[Case]:
    """The networks the cross-check runs on (quick: the three fastest)."""
    gen = torch.Generator().manual_seed(7)

    def point(*shape):
        return torch.randn(1, *shape, generator=gen, dtype=torch.float64)

    out = [
        Case("relu MLP 8-16-1", random_mlp(8, 16, 1, "relu", seed=0), point(8), None, True),
        Case("tanh MLP 8-16-1", random_mlp(8, 16, 1, "tanh", seed=1), point(8), None, False),
    ]
    if not quick:
        out += [
            Case("leaky MLP 8-16-1", random_mlp(8, 16, 1, "leaky_relu", seed=2), point(8),
                 None, True),
            Case("relu MLP 8-8-8-1", random_mlp(8, 8, 1, "relu", seed=4, layers=2), point(8),
                 None, True),
            Case("conv+maxpool 1x8x8", _small_conv(), point(1, 8, 8), None, True, (1, 8, 8)),
        ]
    x, _ = digits_data()
    net = digits_mlp()
    xi = x[1500:1501]
    out.append(Case("digits MLP 64-32-10 (trained)", net, xi, int(net(xi).argmax()), True))
    return out


def _rel(a: np.ndarray, ref: np.ndarray) -> float:
    scale = float(np.max(np.abs(ref)))
    return float(np.max(np.abs(a - ref))) / (scale if scale > 0 else 1.0)


def run_case(case: Case, steps: tuple[int, ...] = FULL_STEPS,
             engines: tuple[str, ...] = ("symbolic", "mpmath")) -> dict:
    """Errors of every rule, the exact walk and the engines on one case, as a JSON-ready dict."""
    import proofs

    t0 = time.perf_counter()
    fn = to_function(case.net, target=case.target, input_shape=case.input_shape)
    point = [exact_rational(v) for v in case.x.reshape(-1).tolist()]
    seconds: dict[str, float] = {"bridge": time.perf_counter() - t0}
    results: dict[str, np.ndarray] = {}
    regions = None
    for engine in engines:
        if engine == "symbolic" and not case.piecewise_linear:
            continue  # closed forms of tanh integrals are out of reach; mpmath is the reference
        t0 = time.perf_counter()
        attr = proofs.integrated_gradients(fn, point, engine=engine, dps=30)
        seconds[engine] = time.perf_counter() - t0
        results[engine] = np.array(attr.numeric(), dtype=np.float64)
        if engine == "symbolic":
            regions = len(attr.breakpoints) + 1
    reference = "symbolic" if "symbolic" in results else next(iter(results))
    ref = results[reference]
    row: dict = {"network": case.name, "reference": reference, "inputs": int(case.x.numel())}
    for engine in results:
        if engine != reference:
            row[engine] = _rel(results[engine], ref)
    x = case.x
    if case.piecewise_linear:
        t0 = time.perf_counter()
        walk = exact_path_attribution(case.net, [torch.zeros_like(x), x], target=case.target)
        seconds["exact_pl"] = time.perf_counter() - t0
        row["exact_pl"] = _rel(walk.attributions.reshape(-1).numpy(), ref)
        row["exact_pl_regions"] = walk.regions[0]
        row["symbolic_regions"] = regions
        with torch.no_grad():
            fx = float(case.net(x).reshape(-1)[case.target or 0])
        row["exact_pl_completeness"] = abs(float(walk.delta[0])) / max(abs(fx), 1e-300)
    else:
        row["exact_pl"] = None
    t0 = time.perf_counter()
    rules = {}
    for rule in RULES:
        errs = []
        for n in steps:
            a = integrated_gradients(case.net, x, target=case.target, steps=n, method=rule)
            errs.append(_rel(a.reshape(-1).numpy(), ref))
        rules[rule] = errs
    seconds["rules"] = time.perf_counter() - t0
    row["steps"] = list(steps)
    row["rules"] = rules
    row["steps_to"] = {
        rule: {f"{thr:g}": _steps_to(steps, errs, thr) for thr in THRESHOLDS}
        for rule, errs in rules.items()
    }
    row["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
    return row


def _steps_to(steps: tuple[int, ...], errs: list[float], thr: float) -> int | None:
    """The smallest tested n from which on every tested step count has error <= thr."""
    best = None
    for n, e in zip(reversed(steps), reversed(errs), strict=True):
        if e > thr:
            break
        best = n
    return best


def crosscheck(quick: bool = False) -> dict:
    """Run every case; one JSON-ready dict."""
    steps = QUICK_STEPS if quick else FULL_STEPS
    return {"steps": list(steps), "error": "max|A - A_ref| / max|A_ref|",
            "networks": [run_case(c, steps)
                         for c in progress(cases(quick), desc="crosscheck", unit="network")]}


def _fmt(e: float | None) -> str:
    return "n/a" if e is None else f"{e:.1e}"


def format_table(report: dict) -> str:
    """The human table of a crosscheck report."""
    lines = [f"relative error {report['error']} against the reference engine"]
    for row in report["networks"]:
        lines.append("")
        head = f"{row['network']}  (reference: {row['reference']}"
        if "mpmath" in row:
            head += f"; mpmath {_fmt(row['mpmath'])}"
        if row["exact_pl"] is not None:
            head += (f"; method='exact' {_fmt(row['exact_pl'])}, {row['exact_pl_regions']} "
                     f"regions (symbolic engine: {row['symbolic_regions']}), completeness "
                     f"{_fmt(row['exact_pl_completeness'])}")
        else:
            head += "; method='exact' n/a: not piecewise linear"
        lines.append(head + ")")
        steps = row["steps"]
        widths = [max(7, len(str(n))) for n in steps]
        lines.append(f"{'steps':<18}" + " ".join(f"{n:>{w}}" for n, w in zip(steps, widths,
                                                                            strict=True))
                     + f"  {'to 1e-3':>8} {'to 1e-6':>8}")
        for rule, errs in row["rules"].items():
            reach = row["steps_to"][rule]
            to3 = reach["0.001"] or f">{steps[-1]}"
            to6 = reach["1e-06"] or f">{steps[-1]}"
            lines.append(f"{rule:<18}" + " ".join(f"{_fmt(e):>{w}}" for e, w in
                                                  zip(errs, widths, strict=True))
                         + f"  {to3!s:>8} {to6!s:>8}")
    return "\n".join(lines)
