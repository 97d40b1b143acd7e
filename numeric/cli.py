"""Command line: ``python -m numeric crosscheck`` and ``python -m numeric bench``.

A human table by default, one JSON object with ``--json``. A user error prints one line on
stderr and exits with status 2.

>>> build_parser().parse_args(["crosscheck", "--quick"]).quick
True
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from proofs.cli import ArgumentParser as _Parser  # one-line usage errors, exit 2
from proofs.errors import IGVerifyError

__all__ = ["build_parser", "main"]




def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m numeric",
                     description="Numeric IG: cross-check against the exact engines, benchmark "
                                 "against Captum.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    cc = sub.add_parser("crosscheck", help="every rule, method='exact' and the exact engines "
                                           "on real networks")
    cc.add_argument("--json", action="store_true", help="one JSON object")
    cc.add_argument("--quick", action="store_true", help="fewer networks and step counts")
    bench = sub.add_parser("bench", help="our IG against Captum's: time, memory, completeness")
    bench.add_argument("--json", action="store_true", help="one JSON object")
    bench.add_argument("--quick", action="store_true", help="fewer cases and repeats")
    bench.add_argument("--device", choices=("cpu", "cuda"), default=None,
                       help="default: CPU, and CUDA too when available")
    bench.add_argument("--threads", type=int, default=None, help="torch threads (default <= 4)")
    bench.add_argument("--write", metavar="PATH", default=None,
                       help="replace the '## numeric' section of a results file, e.g. "
                            "benchmarks/RESULTS.md")
    return parser


def _clean(obj):
    """JSON-safe: inf/nan floats become strings."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        print("error: give a command: crosscheck or bench (see --help)", file=sys.stderr)
        return 2
    try:
        if args.command == "crosscheck":
            from .crosscheck import crosscheck, format_table

            report = crosscheck(quick=args.quick)
            print(json.dumps(_clean(report)) if args.json else format_table(report))
        else:
            from .bench import format_report, run_bench, write_results

            report = run_bench(device=args.device, quick=args.quick, threads=args.threads)
            if args.write:
                write_results(report, args.write)
            print(json.dumps(_clean(report)) if args.json else format_report(report))
    except IGVerifyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
