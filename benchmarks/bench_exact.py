"""Benchmark of the exact engine on ReLU networks with rational weights (issue: exact engines).

Exact IG of one-hidden-layer ReLU networks (8 inputs x 16 units) and two-hidden-
layer networks (8 x 32 x 32), straight path from 0, against the reference a
user would otherwise write: sympy.integrate of the Piecewise-rewritten
integrand, run in the same process (with a time limit; it does not finish on
the large networks). Prints a table with the ratio and, with --write, appends
the results to benchmarks/RESULTS.md with machine and date.

    python benchmarks/bench_exact.py [--quick] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing as mp
import os
import platform
import random
import sys
import time

import numpy as np
import sympy as sp

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from proofs import Function, integrated_gradients  # noqa: E402


def relu_network(inputs: int, layers: list[int], seed: int, activation=None) -> Function:
    """A ReLU (or ``activation``) network with small random rational weights."""
    rng = random.Random(seed)
    xs = [sp.Symbol(f"x{i + 1}", real=True) for i in range(inputs)]

    def rational() -> sp.Rational:
        if activation is not None:  # float32 weights of a trained net, converted exactly
            return sp.Rational(float(np.float32(rng.uniform(-1, 1))))
        return sp.Rational(rng.randint(-9, 9), rng.randint(1, 4))

    units = list(xs)
    for width in layers:
        pre = [sum(rational() * u for u in units) + rational() for _ in range(width)]
        units = [activation(z) if activation else sp.Max(0, z, evaluate=False) for z in pre]
    out = sum(rational() * u for u in units)
    return Function(out, variables=xs)


def naive_ig(F: Function, x: list, queue: mp.Queue) -> None:
    """IG the naive way: rewrite to Piecewise and let sympy.integrate do it."""
    t = sp.Symbol("t", real=True)
    sub = {v: xi * t for v, xi in zip(F.variables, x)}
    values = []
    for v, xi in zip(F.variables, x):
        integrand = sp.diff(F.expr.rewrite(sp.Piecewise), v).subs(sub) * xi
        values.append(sp.integrate(sp.piecewise_fold(integrand), (t, 0, 1)))
    queue.put([str(v) for v in values])


def time_naive(F: Function, x: list, limit: float) -> tuple[float | None, list | None]:
    queue: mp.Queue = mp.Queue()
    proc = mp.Process(target=naive_ig, args=(F, x, queue))
    start = time.perf_counter()
    proc.start()
    proc.join(limit)
    elapsed = time.perf_counter() - start
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None, None
    return elapsed, queue.get() if not queue.empty() else None


def write_section(path: str, section: str) -> None:
    """Replace this benchmark's section of RESULTS.md (or append it), keeping the others."""
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else \
        "# Benchmark results\n\n"
    title = section.splitlines()[0]
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == title), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        rest = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + rest if rest else "")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases and a short limit")
    parser.add_argument("--write", action="store_true", help="append to benchmarks/RESULTS.md")
    parser.add_argument("--limit", type=float, default=300.0, help="seconds for the naive run")
    args = parser.parse_args()
    cases = [(4, [10], None), (8, [16], None)] + ([] if args.quick else [(8, [32, 32], None)])
    cases.append((8, [16], sp.tanh))  # weights: float32 values as exact rationals
    limit = 30.0 if args.quick else args.limit
    rows = []
    for inputs, layers, activation in cases:
        F = relu_network(inputs, layers, seed=inputs * 100 + len(layers), activation=activation)
        rng = random.Random(7)
        x = [sp.Rational(rng.randint(1, 9), rng.randint(1, 3)) for _ in range(inputs)]
        start = time.perf_counter()
        A = integrated_gradients(F, x)
        ours = time.perf_counter() - start
        assert A.completeness_gap == 0, "completeness must hold exactly"
        naive_limit = limit if len(layers) == 1 and activation is None else min(limit, 60.0)
        naive, naive_values = time_naive(F, x, naive_limit)
        agree = None
        if naive_values is not None:
            agree = all(sp.simplify(sp.S(a) - b) == 0 for a, b in zip(naive_values, A.values))
        kind = "tanh" if activation is not None else "relu"
        rows.append({"network": f"{kind} {inputs} x {' x '.join(map(str, layers))}",
                     "pieces": len(A.pieces), "breakpoints": len(A.breakpoints),
                     "ours_s": ours, "naive_s": naive, "naive_limit": naive_limit,
                     "agree": agree})
    header = ("| network | breakpoints | exact engine (s) | naive sympy Piecewise (s) "
              "| ratio naive / exact engine |")
    lines = [header, "|---|---|---|---|---|"]
    for r in rows:
        naive = f"{r['naive_s']:.2f}" if r["naive_s"] is not None else \
            f"> {r['naive_limit']:.0f} (killed)"
        ratio = (f"{r['naive_s'] / r['ours_s']:.1f}" if r["naive_s"] is not None
                 else f"> {r['naive_limit'] / r['ours_s']:.0f}")
        if r["agree"] is False:
            ratio += " (values DISAGREE)"
        lines.append(f"| {r['network']} | {r['breakpoints']} | {r['ours_s']:.2f} | {naive} | "
                     f"{ratio} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        machine = (f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}")
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        section = (f"## exact engine\n\nExact IG of networks with rational weights, straight "
                   f"path from 0 (proofs, symbolic engine) against sympy.integrate of the "
                   f"Piecewise-rewritten integrand (for tanh: of the whole integrand) in a "
                   f"subprocess with a time limit. "
                   f"Machine: {machine}; sympy {sp.__version__}; date {stamp}. "
                   f"Command: `python benchmarks/bench_exact.py --write`.\n\n{table}\n\n"
                   "The tanh network has no kinks, so there is nothing to split: the engine "
                   "does what sympy does, term by term (ratio about 1). Before this benchmark, "
                   "the engine's final `simplify` of such results took over 300 s; it is now "
                   "applied only to small expressions.\n")
        write_section(os.path.join(os.path.dirname(__file__), "RESULTS.md"), section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
