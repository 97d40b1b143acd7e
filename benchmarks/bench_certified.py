"""Benchmark: certified exact IG of trained networks, and what the float results got wrong.

Per network (from a black baseline, target = the example's label or class 0): the regions
the exact proof found (how many the float64 walk missed, how many of its regions were one
exact region), the time to certify (float walk + exact proof) and to verify the written
certificate (``python -m proofs verify FILE`` in a fresh process), and the largest difference
between the certified attributions (exact rationals) and three float results: the float64
exact walk, Gauss-Legendre with 50 steps (numeric.integrated_gradients, float64) and Captum's
IntegratedGradients (its defaults: Gauss-Legendre, 50 steps, float64 model). Differences are
computed exactly (each float is a rational) and then rounded. Times are wall-clock and CPU
seconds (time.process_time; the verifier's process: its rusage), one torch thread, on a
shared 2-core machine
(other work ran at the same time, so wall-clock times are inflated by the load).

Usage: python benchmarks/bench_certified.py [--write] [--small-cnn SIZE ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from numeric import certified_integrated_gradients, integrated_gradients  # noqa: E402
from numeric.bench import machine  # noqa: E402
from numeric.models import digits_cnn, digits_data, digits_mlp, small_cnn  # noqa: E402
from numeric.results_file import replace_section  # noqa: E402

F64 = torch.float64
HEADING = "## certified exact IG (networks)"


NOTES = """\
small_cnn on 3x32x32 (the issue's case) is certified by the incremental exact sweep
(numeric/certified_sweep.py), the path of every chain of layers (prover "sweep"). On a region
every unit is an affine form (a + b t) / D with integers a, b and one denominator per layer
(weights, input and baseline are floats, so D is a power of two), and only the breakpoints
-a/b are not dyadic. Each kink argument's next root sits in a heap; at a breakpoint only the
units downstream of those that switch are updated (convolutions as sparse rows), and the
backward vector likewise; the attributions are Abel sums, each coordinate's terms summed by
binary splitting. On 3x32x32 the exact proof is the smaller part of the certify CPU time:
the rest is the float64 walk (numeric.exact), run to compare its regions with the exact ones
and for the float64 error column. The region prover (dense exact matrices, every unit of
every region: 48.5 s wall / 14.5 s CPU for small_cnn 3x8x8 in the previous run of this
benchmark, an estimated hour for 3x32x32; it gives the same exact numbers, as
tests/test_numeric_certified.py checks) stays for residual networks and for flat ties the
sweep does not decide: a kink argument 0 all along a region
whose tied branches depend on a coordinate the path moves in (traced through the nonzero
weights and the pattern, as the region prover does); there the region prover decides from
F's one-sided derivatives. Ties that depend on no moving coordinate (max-pool entries that
are the same constant where the digits image is blank and the path does not move, windows of
switched-off ReLUs) are decided by the sweep, with the first tied entry.

Certificates of the sweep (version 2) hold the exact breakpoints (text), the first piece's
pattern (packed bits), the units that switch at each breakpoint, and the attributions by the
SHA-256 of their exact canonical text (one reduced p/q line per coordinate, hexadecimal) with
their float64 roundings, not the exact values: on 3x32x32 a coordinate's denominator has
thousands of digits (the table), 3072 of them, and the verifier has to recompute them exactly
anyway to check them; the exact values are in CertifiedResult.values. `python -m proofs
verify` re-checks a version-2 certificate sparsely and incrementally (proofs/verify_sweep.py:
no torch, no numeric): each unit's stated branch must hold on an interval of t covering its
pieces, every breakpoint must end the interval of a unit that switches there, the gradient
dotted with x - x' must equal the target's slope on every piece, and the attributions must
hash to the digest, round to the floats shown, and add up to F(input) - F(baseline) (modulo
a 61-bit prime; exactly, that follows from the per-piece checks).

Goals (2 cores): the trained digits CNNs certified and verified well under 30 s each; small_cnn
3x32x32 certified in under 10 minutes: met (wall-clock under load, see the table). On these
networks the float walk proposed every region (none missed, none merged), and its
attributions are within 1e-14 of the certified ones; GL-50 and Captum (the same rule) are off
by up to 1e-1 on the ReLU twin. Where float64 cannot separate two kinks the walk misses a
region: relu(t - q) - relu((1 + 2^-52) t - q), q = float(1/3), along t in [0, 1] has kinks
7e-17 apart; the walk sees one, the exact pass finds the region between them and reports it
(tests/test_numeric_certified.py); the certified value is -2^-52.
"""


def cases(small_sizes: list[int]) -> list[tuple[str, torch.nn.Module, torch.Tensor, int]]:
    from numeric.experiments.digits import TrainSettings, digits_split, trained_net

    x, y = digits_data()
    out = [("digits MLP 64-32-10 (trained)", digits_mlp(), x[1500:1501], int(y[1500]))]
    img = x[1500:1501].reshape(1, 1, 8, 8)
    out.append(("digits CNN 1x8x8 (models.digits_cnn, trained)", digits_cnn(), img,
                int(y[1500])))
    split = digits_split()
    twin, _ = trained_net(TrainSettings(activation="relu"), split)
    out.append(("digits CNN, App. M ReLU twin (trained, logits)", twin[:-1],
                split.x_test[:1], int(split.y_test[0])))
    for small_size in small_sizes:
        gen = torch.Generator().manual_seed(0)
        xc = torch.rand(1, 3, small_size, small_size, generator=gen, dtype=F64)
        out.append((f"small_cnn 3x{small_size}x{small_size}", small_cnn(size=small_size)
                    .double(), xc, 0))
    for _, model, _, _ in out:
        for p in model.parameters():
            p.requires_grad_(False)
    return out


def _max_diff(values: tuple[Fraction, ...], approx: torch.Tensor) -> float:
    return max(abs(float(Fraction(a) - v)) for a, v in zip(
        approx.reshape(-1).tolist(), values, strict=True))


def _digits(n: int) -> int:
    """Decimal digits of n > 0 (without str(): Python limits it to 4300 digits)."""
    k = max(1, int((n.bit_length() - 1) * 0.30102999566398120) + 1)
    while 10 ** k <= n:
        k += 1
    while k > 1 and 10 ** (k - 1) > n:
        k -= 1
    return k


def run_case(name: str, model, x: torch.Tensor, target: int) -> dict:
    base = torch.zeros_like(x)
    t0, c0 = time.perf_counter(), time.process_time()
    r = certified_integrated_gradients(model, x, base, target=target)
    t_cert, c_cert = time.perf_counter() - t0, time.process_time() - c0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cert.json")
        weights = r.certificate().write(path)
        size = os.path.getsize(path) + os.path.getsize(weights)
        # the command a reader runs, in a fresh process (its start, imports included)
        t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        run = subprocess.run([sys.executable, "-m", "proofs", "verify", path],
                             capture_output=True, text=True)
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t_verify = time.perf_counter() - t0
        c_verify = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
    if run.returncode != 0:
        raise RuntimeError(f"{name}: the certificate does not verify: {run.stdout}{run.stderr}")
    vals = r.values[0]
    gl = integrated_gradients(model, x, base, target=target, steps=50)
    from captum.attr import IntegratedGradients

    captum = IntegratedGradients(model).attribute(x, base, target=target)
    digits = max(_digits(v.denominator) for v in vals)
    return {"model": name, "prover": r.prover, "regions": r.regions[0],
            "walk_cpu": r.seconds["float walk"], "proof_cpu": r.seconds["exact proof"],
            "missed": r.missed[0],
            "spurious": r.spurious[0], "tied": r.tied_regions[0], "cert_s": t_cert,
            "verify_s": t_verify, "cert_cpu": c_cert, "verify_cpu": c_verify, "kb": size / 1024,
            "scale": max(abs(float(v)) for v in vals),
            "walk": _max_diff(vals, r.float_attributions), "gl50": _max_diff(vals, gl),
            "captum": _max_diff(vals, captum), "digits": digits,
            "gap": r.completeness_gap[0]}


def table(rows: list[dict]) -> str:
    head = ("| network | prover | regions | missed by the float walk | float regions merged | "
            "regions with flat ties | certify: wall / CPU (s) | of which CPU: float walk / "
            "exact proof (s) | `python -m proofs verify`: "
            "wall / CPU (s) | certificate + weights (KiB) | "
            "max abs attribution | float64 walk error | GL-50 error | Captum IG error | "
            "largest denominator (digits) | completeness gap |\n" + "|---" * 16 + "|\n")
    lines = [f"| {r['model']} | {r['prover']} | {r['regions']} | {r['missed']} | "
             f"{r['spurious']} | "
             f"{r['tied']} | {r['cert_s']:.1f} / {r['cert_cpu']:.1f} | "
             f"{r['walk_cpu']:.1f} / {r['proof_cpu']:.1f} | "
             f"{r['verify_s']:.1f} / {r['verify_cpu']:.1f} | {r['kb']:.0f} | "
             f"{r['scale']:.3g} | {r['walk']:.2e} | {r['gl50']:.2e} | {r['captum']:.2e} | "
             f"{r['digits']} | {r['gap']} |" for r in rows]
    return head + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the table to RESULTS.md")
    parser.add_argument("--small-cnn", type=int, nargs="*", default=[8, 16, 32],
                        metavar="SIZE", help="also certify small_cnn on 3xSIZExSIZE "
                        "(default: 8, 16 and 32)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    rows = []
    for name, model, x, target in cases(args.small_cnn):
        rows.append(run_case(name, model, x, target))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = table(rows)
    print(text)
    load = f"load average (1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    if args.write:
        m = machine()
        body = (f"{HEADING}\n\n{m['date']}, {m['cpu']}, {m['cores']} cores shared with other "
                "work (wall-clock times are inflated by that load; CPU: time.process_time of "
                "this process, and the verifier process's rusage; "
                f"{load}), "
                f"torch {m['torch']}, python {m['python']}, one torch thread. "
                "`python benchmarks/bench_certified.py --write`. Black baseline; "
                "errors are max |A_float - A_certified| over the input's coordinates, computed "
                f"exactly.\n\n{text}\n\n{NOTES}")
        replace_section(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "RESULTS.md"), HEADING, body)


if __name__ == "__main__":
    main()
