"""Benchmark: ``python -m numeric attribute`` on 1 and 2 processes (torchrun, gloo, one thread
per process) against integrated gradients of the same examples, measured in one run.

The workload is the trained digits CNN on the 297 held-out digits
(numeric.experiments.digits_attribution), Gauss-Legendre, chunks of 16 examples. Per process
count: the wall time of the whole command (interpreter and torch start-up, the factories
training the network, rendezvous), the attribution time of rank 0 (from the start of
attribute_dataset until every rank is done, chunk files included), the throughput of each
rank, and the throughput over the references: numeric.integrated_gradients over the same
examples in batches of 16 in this process (one thread, no files, no processes: what the
command adds is the difference), and Captum's IntegratedGradients the same way. The runs of
1 and 2 processes are checked to be identical bit for bit, and a 2-process run whose rank 1 is
killed (SIGKILL) part-way is resumed by the same command to the same bits.

Usage: python benchmarks/bench_dataset.py [--steps 200] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from numeric import integrated_gradients, load_attributions  # noqa: E402
from numeric.experiments import digits_attribution  # noqa: E402
from numeric.results_file import replace_section  # noqa: E402

HEADING = "## dataset attribution (python -m numeric attribute)"
FACTORIES = ["--model", "numeric.experiments.digits_attribution:model",
             "--data", "numeric.experiments.digits_attribution:data"]


def _argv(nproc: int, out: str, steps: int) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
            str(nproc), "-m", "numeric", "attribute", *FACTORIES, "--out", out, "--steps",
            str(steps), "--json", "--no-progress", "--batch-size", "16"]


ENV = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1"}


def _command(nproc: int, out: str, steps: int) -> dict:
    env, cmd = ENV, _argv(nproc, out, steps)
    t0 = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if run.returncode:
        raise SystemExit(f"{nproc} process(es) failed:\n{run.stderr[-3000:]}")
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    summary["wall"] = wall
    return summary


def _kill_rank_1(out: str, steps: int) -> int:
    """Start 2 processes, SIGKILL rank 1 once 6 of the 19 chunks are written (Linux: the rank
    is found by the RANK in its environment); the number of chunks written by then."""
    run = subprocess.Popen(_argv(2, out, steps), env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        while len([n for n in os.listdir(out) if n.startswith("chunk-")]
                   if os.path.isdir(out) else []) < 6:
            if run.poll() is not None:
                raise SystemExit("the run ended before it could be killed; use more --steps")
            time.sleep(0.02)
        written = len([n for n in os.listdir(out) if n.startswith("chunk-")])
        children = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True,
                                  text=True).stdout.split()
        for pid in children:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                if b"RANK=1" in fh.read().split(b"\0"):
                    os.kill(int(pid), signal.SIGKILL)
        run.wait()
    finally:
        if run.poll() is None:
            run.kill()
    return written


def _reference(steps: int) -> tuple[float, float | None]:
    """(examples/s of numeric.integrated_gradients, of Captum; both in batches of 16)."""
    torch.set_num_threads(1)
    model = digits_attribution.model()
    data = digits_attribution.data()
    x, y = data.tensors
    t0 = time.perf_counter()
    for s in range(0, len(x), 16):
        integrated_gradients(model, x[s:s + 16], target=y[s:s + 16], steps=steps,
                             return_delta=True)
    ours = len(x) / (time.perf_counter() - t0)
    try:
        from captum.attr import IntegratedGradients
    except ImportError:
        return ours, None
    ig = IntegratedGradients(model)
    t0 = time.perf_counter()
    for s in range(0, len(x), 16):
        ig.attribute(x[s:s + 16], target=y[s:s + 16], n_steps=steps, method="gausslegendre",
                     return_convergence_delta=True)
    return ours, len(x) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    before = _reference(args.steps)
    runs, results = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for nproc in (1, 2):
            out = os.path.join(tmp, f"p{nproc}")
            runs[nproc] = _command(nproc, out, args.steps)
            results[nproc] = load_attributions(out)
        killed = os.path.join(tmp, "killed")
        at_kill = _kill_rank_1(killed, args.steps)
        incomplete = load_attributions(killed, partial=True).missing
        resumed = _command(2, killed, args.steps)
        same_resumed = all(
            np.asarray(results[1][k]).tobytes() == np.asarray(v).tobytes()
            for k, v in load_attributions(killed).items())
        after = _reference(args.steps)  # the load changes: the faster of before and after
        ours = max(before[0], after[0])
        captum = max(before[1], after[1]) if before[1] else None
        rows = []
        for nproc, s in runs.items():
            rate = s["computed"] / s["seconds"]
            per_rank = ", ".join(f"{r['examples']} ex at {r['examples_per_s']:.0f}/s"
                                 for r in s["ranks"])
            rows.append(f"| CPU | {nproc} | {s['computed']} | {s['wall']:.1f} | "
                        f"{s['seconds']:.2f} | {rate:.0f} | {per_rank} | {rate / ours:.2f} | "
                        + (f"{rate / captum:.2f} |" if captum else "not run |"))
        same = all(np.asarray(results[1][k]).tobytes() == np.asarray(results[2][k]).tobytes()
                   for k in results[1])
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    body = "\n".join([
        HEADING, "",
        f"{date}; {os.cpu_count()}-core CPU shared with other work (loaded: times are "
        f"indicative), torch {torch.__version__}, one thread per process. The trained digits "
        f"CNN on the 297 held-out digits, Gauss-Legendre {args.steps} steps, chunks of 16, "
        "target = label; `python benchmarks/bench_dataset.py --write`. Wall: the whole "
        "torchrun command (start-up and the factories' training included); attribution: "
        "rank 0's attribute_dataset until all ranks are done (chunk files included). "
        "References in the same run (the faster of one measurement before and one after the "
        "commands), one process, one thread, batches of 16, no files: "
        f"numeric.integrated_gradients {ours:.0f} examples/s"
        + (f", Captum IntegratedGradients {captum:.0f} examples/s." if captum else "."),
        "",
        "| device | processes | examples | wall s | attribution s | examples/s | per rank "
        "| / integrated_gradients | / Captum |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "| GPU | 1, 2 | - | - | - | - | not run (no GPU lent) | - | - |",
        "",
        f"1 and 2 processes identical bit for bit: {'yes' if same else 'NO'}. Rank 1 of a "
        f"2-process run killed (SIGKILL) with {at_kill} of 19 chunks written "
        f"({incomplete} examples missing), then the same command: {resumed['resumed']} "
        f"examples kept, {resumed['computed']} computed, identical bit for bit to the "
        f"1-process run: {'yes' if same_resumed else 'NO'}.", "",
    ])
    print(body)
    if args.write:
        replace_section(os.path.join(ROOT, "benchmarks", "RESULTS.md"), HEADING, body)


if __name__ == "__main__":
    main()
