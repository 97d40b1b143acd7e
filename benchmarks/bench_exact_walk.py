"""Benchmark: the exact region walk (method="exact") against quadrature, measured in one run.

Per model: the regions the straight path crosses, the time of the exact walk, the time of
Gauss-Legendre with 50 steps (warm, the fastest of repeats), the time per region
over the time per GL step (the walk's goal: at most 2), GL-50's relative error against the
exact attributions, and for each quadrature rule the smallest power-of-two step count that
reaches 1e-6 relative error (max |A_rule - A_exact| / max |A_exact|), or "> 16384".

Times are CPU times of this process (time.process_time) with one torch thread, which other
processes on a shared machine disturb less than wall-clock times (with several threads, a
thread pool's spin-waits count too).

The step counts are found without running each rule: the gradient is constant on each region
the walk found, so a rule with nodes t_s and weights w_s gives exactly sum_r W_r G_r with W_r
the weight of the nodes in region r and G_r the gradient there (nodes at t = 0 and t = 1 use
the gradient torch computes at the end points). The GL-50 error is measured by running GL-50,
and printed beside this prediction as a check.

Usage: python benchmarks/bench_exact_walk.py [--quick] [--write]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from numeric import METHODS, exact_integrated_gradients, integrated_gradients  # noqa: E402
from numeric.bench import machine  # noqa: E402
from numeric.models import digits_cnn, digits_data, digits_mlp, resnet50, small_cnn  # noqa: E402
from numeric.quadrature import quadrature_rule  # noqa: E402

F64 = torch.float64
RULES = [m for m in METHODS if m != "exact"]
STEPS = [2 ** k for k in range(1, 15)]        # 2 .. 16384
GOAL = 1e-6


def cases(quick: bool) -> list[tuple[str, str, torch.nn.Module, torch.Tensor, torch.Tensor]]:
    """(name, baseline label, model, input, baseline), float64, deterministic."""
    gen = torch.Generator().manual_seed(0)
    out = []
    x, _ = digits_data()
    out.append(("digits MLP 64-32-10 (trained)", "black", digits_mlp(), x[1500:1501],
                torch.zeros(1, 64, dtype=F64)))
    img = x[1500:1501].reshape(1, 1, 8, 8)
    out.append(("digits CNN 1x8x8 (trained)", "black", digits_cnn(), img, torch.zeros_like(img)))
    size = 16 if quick else 32
    xc = torch.rand(1, 3, size, size, generator=gen, dtype=F64)
    out.append((f"small_cnn 3x{size}x{size}", "black", small_cnn(size=size).double(), xc,
                torch.zeros_like(xc)))
    # from a black baseline this ResNet is linear along the ray (no biases, BN running mean 0):
    # one region; so a random baseline, as in the measurement
    blocks = (1, 1, 1, 1) if quick else (3, 4, 6, 3)
    width = 8 if quick else 16
    xr = torch.rand(1, 3, 32, 32, generator=gen, dtype=F64)
    br = torch.rand(1, 3, 32, 32, generator=gen, dtype=F64)
    name = f"ResNet-50 width {width}, 32x32" if not quick else f"ResNet {blocks} width 8, 32x32"
    out.append((name, "random", resnet50(classes=10, width=width, blocks=blocks).double(), xr,
                br))
    for _, _, model, _, _ in out:
        for p in model.parameters():
            p.requires_grad_(False)
    return out


def _gradients(model, points: torch.Tensor, target: int, chunk: int = 256) -> torch.Tensor:
    """Gradient of the target output at each point (rows), in chunks."""
    parts = []
    for i in range(0, points.shape[0], chunk):
        p = points[i:i + chunk].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(model(p)[:, target].sum(), p)
        parts.append(g)
    return torch.cat(parts)


def rule_errors(model, x, base, target, cuts: list[float], exact: torch.Tensor,
                steps: list[int]) -> dict[str, list[float]]:
    """Relative error of every rule at every step count, from the region gradients."""
    bounds = torch.tensor([0.0, *cuts, 1.0], dtype=F64)
    mids = 0.5 * (bounds[1:] + bounds[:-1])
    d = (x - base)[0]
    combos = []   # (rule, n, weight per region, weight at t=0, weight at t=1)
    for rule_name in RULES:
        rule = quadrature_rule(rule_name)
        for n in steps:
            nodes, weights = rule.nodes_weights(n)
            nodes = torch.tensor(nodes, dtype=F64)
            weights = torch.tensor(weights, dtype=F64)
            at0, at1 = nodes == 0.0, nodes == 1.0
            inner = ~(at0 | at1)
            region = torch.searchsorted(bounds[1:-1], nodes[inner], right=True)
            w = torch.zeros(len(mids), dtype=F64).index_add_(0, region, weights[inner])
            combos.append((rule_name, n, w, float(weights[at0].sum()), float(weights[at1].sum())))
    c = torch.stack([w for *_, w, _, _ in combos])                  # combos x regions
    acc = torch.zeros(len(combos), *x.shape[1:], dtype=F64)
    chunk = 512
    for i in range(0, len(mids), chunk):
        pts = base + mids[i:i + chunk].view(-1, *([1] * (x.dim() - 1))) * (x - base)
        g = _gradients(model, pts, target)
        acc += torch.tensordot(c[:, i:i + chunk], g, dims=1)
    ends = _gradients(model, torch.cat([base, x]), target)
    scale = float(exact.abs().max())
    out: dict[str, list[float]] = {r: [] for r in RULES}
    for k, (rule_name, _n, _w, w0, w1) in enumerate(combos):
        a = d * (acc[k] + w0 * ends[0] + w1 * ends[1])
        out[rule_name].append(float((a - exact[0]).abs().max()) / scale)
    return out


def run_case(name, label, model, x, base, repeats: int) -> dict:
    target = 0
    gl = lambda: integrated_gradients(model, x, base, target=target, steps=50)  # noqa: E731
    gl()
    exact_integrated_gradients(model, x, x, target=target)    # warm: a path of one region
    t0 = time.process_time()
    walk = exact_integrated_gradients(model, x, base, target=target)
    t_exact = time.process_time() - t0
    gl_times = []
    for _ in range(repeats):
        t0 = time.process_time()
        a_gl = gl()
        gl_times.append(time.process_time() - t0)
    t_gl = min(gl_times)
    regions = sum(walk.regions)
    exact = walk.attributions
    scale = float(exact.abs().max())
    gl_err = float((a_gl - exact).abs().max()) / scale
    errs = rule_errors(model, x, base, target, walk.breakpoints[0][0], exact, STEPS + [50])
    reach = {}
    for rule_name, es in errs.items():
        hit = next((n for n, e in zip(STEPS, es, strict=False) if e <= GOAL), None)
        reach[rule_name] = f"{hit}" if hit is not None else f"> {STEPS[-1]}"
    gl_pred = errs["gausslegendre"][-1]
    with torch.no_grad():
        rise = float(model(x)[0, target] - model(base)[0, target])
    return {"model": name, "baseline": label, "regions": regions, "passes": walk.passes,
            "exact_s": t_exact, "gl50_s": t_gl,
            "ratio": (t_exact / regions) / (t_gl / 50), "gl50_err": gl_err,
            "gl50_check": gl_pred, "reach": reach,
            "completeness": abs(float(walk.delta[0])) / max(abs(rise), 1e-300)}


NOTES = """\
Why the ratios are what they are (profiled with cProfile, one thread). Per probe point the walk
runs each layer after the first twice, for the value and for its tangent d/dt (forward-mode
derivative), then one backward pass; a GL step runs the forward once and the same backward
(both push the path through an nn.Sequential's first affine layer once, outside the steps). On
top come the crossings: for every ReLU and max-pool input about five elementwise passes (the
slopes over the values, their smallest and largest ratio per probe, the tangent). On the ResNet
the convolutions dominate and this costs about 2 GL steps a region; on `small_cnn` the first
ReLU and max-pool act on a 16x32x32 tensor that the one remaining convolution (16 -> 32
channels) does not outweigh, so the elementwise passes are as costly as the convolutions (2.8
to 3.3 GL steps a region over runs on this machine). On the two small digits networks the
walk's fixed cost per pass (Python per intercepted operation, 8 probes in the first pass; the
MLP crosses 2 regions) dominates. Probes that landed in a region already found by another probe
of the same pass are under 1 % of the regions. ExactLine (Sotoudeh & Thakur (2019)) would need
the value at each region's ends layer by layer and still one forward and backward per region
for the gradient, so it was not used.

### history: the walk's correctness checks and their cost

Issue 22 added checks to the walk (row-mixing forwards refused, including a re-run of a probe
batch in reversed halves; F compared at each region boundary; a completeness guard; ties of
branches equal in value and slope settled by proofs' rule from F's one-sided derivatives). Re-run
right after (2026-12-07, near idle), time per region in GL steps went from 3.33 to 6.00 on
`small_cnn` and from 6.99 to 11.70 on the digits CNN, and the ResNet from a random baseline did
not finish in 13 min (62 s before). Profiled (cProfile, one thread), the causes were:

- max-pool ties: each window's winner was registered as tied with itself. Its tie difference
  (pooled value minus the entry) is 0 but its gradient is a rounding error (the two gradients
  are accumulated over overlapping windows in different orders), so on the ResNet every probe
  held a "live" tie of ~1,000 input coordinates, each settled by two forward rows. Winners are
  no longer ties, and windows of dead ReLU outputs (0 near the probe in every direction, known
  from the ReLU that made them) are not registered; on `small_cnn` and the ResNet the walk then
  meets no tie at all and skips the extra backward that looks for tied branches with different
  gradients;
- a tie whose branches differ only in coordinates the path does not move in (the digits CNN
  from a black baseline: windows of bias-valued units over blank pixels) is settled without
  per-coordinate forwards (proofs' rule decides only the coordinates the path moves in);
- the row-mixing re-run runs on the first pass of two rows or more (was the first two passes);
- elementwise work: max/min of |u| by abs into a buffer already allocated, then amax/amin
  (torch.linalg.vector_norm of order inf was ~6x slower on this CPU), the ReLU tangent by
  threshold_backward (torch.where with a mask was ~4x slower), tie counts by count_nonzero.

All issue-22 checks are kept (their tests pass unchanged). The table above is the run after
these changes (2026-12-07, this machine, one torch thread, load average 1.5 to 2.5 during the
run): time per region in GL steps 3.08 on `small_cnn` (3.33 before issue 22, 6.00 after), 9.01 on
the digits CNN (6.99, 11.70), 1.91 on the ResNet from a random baseline (1.92; after issue 22 it
did not finish). The ResNet row of November (11,978 regions, GL-50 error 1.8e-2) measured an
older benchmark input; the code of 2026-12-07 before issue 22 gives the 10,424 regions above.
Walk CPU times of the three versions in one process (one thread, alternating, under load):

| case | before issue 22 | after issue 22 | now |
|---|---|---|---|
| digits CNN, black baseline (min of 10) | 0.033 s | 0.081 s | 0.061 s |
| `small_cnn` 3x32x32, black baseline, batch 128 (the test's case) | 15.9 s | 30.7 s | 18.0 s |
| ResNet-50 width 16, random baseline | 56.3 s | did not finish | 61.1 s |

`small_cnn`'s remaining difference is system time (page faults, which vary with the heap's
history: its user time equals the old code's); the digits CNN's ties are real (bias-valued
windows over blank pixels) and cost one extra backward per pass to find that their branches
differ only where the path does not move.
"""


def table(rows: list[dict]) -> str:
    head = ("| model | baseline | regions | exact (s) | GL-50 (ms) | time per region / per GL "
            "step | GL-50 rel. error | exact completeness (rel.) | "
            + " | ".join(f"{r} steps to 1e-6" for r in RULES) + " |")
    lines = [head, "|" + "---|" * (8 + len(RULES))]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['baseline']} | {r['regions']} | {r['exact_s']:.3f} "
            f"| {1e3 * r['gl50_s']:.1f} | {r['ratio']:.2f} | {r['gl50_err']:.1e} "
            f"| {r['completeness']:.1e} | "
            + " | ".join(r["reach"][k] for k in RULES) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller CNN and ResNet (a smoke run; not the goal's cases)")
    parser.add_argument("--write", action="store_true",
                        help="write the table to benchmarks/RESULTS.md (its own section)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: CPU time then measures work, not "
                             "the spin-waits of a thread pool on a shared machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for case in cases(args.quick):
        row = run_case(*case, repeats=3 if args.quick else 5)
        print(f"{row['model']}: {row['regions']} regions, exact {row['exact_s']:.2f} s, "
              f"GL-50 {1e3 * row['gl50_s']:.1f} ms, ratio {row['ratio']:.2f}, "
              f"GL-50 error {row['gl50_err']:.1e} (from the regions: "
              f"{row['gl50_check']:.1e})", flush=True)
        rows.append(row)
    text = table(rows)
    print(text)
    if args.write:
        from bench_exact import write_section

        m = machine()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        section = (
            "## exact region walk vs quadrature\n\n"
            "`method=\"exact\"` (the region walk of numeric/exact.py: batched probes, kinks "
            "decided from the operations run) against quadrature on the same model, input "
            "and baseline, target 0, float64. Times are CPU seconds of the process (all its "
            "threads). Exact time: one walk; GL-50: the fastest of "
            "warm repeats; the ratio is (exact time / regions) / (GL-50 time / 50), goal <= 2. "
            "Steps to 1e-6: the smallest power of two at which the rule's attributions are "
            "within 1e-6 (max abs, relative to max |A|) of the exact ones, computed from the "
            "region gradients (see the driver's docstring). "
            f"Machine: {m['cpu']}, {m['cores']} cores, {args.threads} torch threads; "
            f"Python {m['python']}, torch {m['torch']}; {m['date']}; load average "
            f"{load:.1f} at the end (the CPU is shared: times are under load, the ratios are "
            "measured in one run). "
            f"Command: `python benchmarks/bench_exact_walk.py{' --quick' if args.quick else ''}"
            " --write`.\n\n" + text + "\n\n" + NOTES)
        write_section(os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"),
                      section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
