"""Benchmark of the certificate verifier (``python -m proofs verify``): time against pieces.

Certificates of F = |x1 - 1/2| x2 + x1**2 x2 along a zigzag polyline (0, 0) -> (1, 1/n) ->
(0, 2/n) -> ... with n segments, each cut by the kink x1 = 1/2: 2n pieces, all different
(no cache can share work between them). The engine writes each certificate; the verifier
re-checks it in a fresh process. The reference, measured in the same run, is the engine's
own time for the same attribution; and the verifier's time per piece across sizes shows
whether it is linear (a quadratic verifier's time per piece grows with the size).

    python benchmarks/bench_verify.py [--sizes 400,1600,6400] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import sympy as sp

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from proofs import Function, attribute, polyline  # noqa: E402

FUNCTION = "abs(x1 - 1/2)*x2 + x1**2*x2"


def certificate(pieces: int) -> tuple[dict, float]:
    """The certificate of the zigzag with ``pieces`` pieces, and the engine's time (s)."""
    n = pieces // 2
    points = [(k % 2, sp.Rational(k, n)) for k in range(n + 1)]
    start = time.perf_counter()
    data = attribute(Function(FUNCTION), polyline(points)).certificate().data
    return data, time.perf_counter() - start


def verify_time(data: dict) -> float:
    """Seconds of ``python -m proofs verify`` on the certificate, in a fresh process."""
    with tempfile.TemporaryDirectory() as folder:
        name = os.path.join(folder, "certificate.json")
        with open(name, "w", encoding="utf-8") as out:
            json.dump(data, out)
        env = dict(os.environ, PYTHONPATH=ROOT)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "proofs", "verify", name], env=env,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the verifier rejected the engine's certificate: {done.stdout}"
                         f"{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="400,1600,6400", help="numbers of pieces")
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = []
    for pieces in (int(s) for s in args.sizes.split(",")):
        data, engine = certificate(pieces)
        assert len(data["pieces"]) == pieces
        seconds = verify_time(data)
        rows.append((pieces, engine, seconds))
        print(f"{pieces:6d} pieces: engine {engine:8.2f} s, verify {seconds:7.2f} s "
              f"({1000 * seconds / pieces:.2f} ms per piece)", flush=True)
    if args.write:
        from numeric.results_file import replace_section

        lines = ["| pieces | engine (s) | verify, fresh process (s) | verify per piece (ms) | "
                 "ratio verify / engine |", "|---|---|---|---|---|"]
        lines += [f"| {p} | {e:.1f} | {v:.1f} | {1000 * v / p:.2f} | {v / e:.2f} |"
                  for p, e, v in rows]
        body = ("## certificate verifier\n\n"
                f"Certificates of F = {FUNCTION} along a zigzag polyline (2 pieces per "
                f"segment, all different), written by the exact engine and re-checked by "
                f"`python -m proofs verify` in a fresh process (the time includes Python's "
                f"start and imports). Machine: {platform.machine()}, {os.cpu_count()} cores "
                f"shared with other work (loaded), Python {platform.python_version()}; sympy "
                f"{sp.__version__}; date {datetime.date.today()}. Command: `python "
                f"benchmarks/bench_verify.py --write`.\n\n" + "\n".join(lines) + "\n")
        replace_section(os.path.join(ROOT, "benchmarks", "RESULTS.md"),
                        "## certificate verifier", body)


if __name__ == "__main__":
    main()
