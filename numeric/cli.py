"""Command line: ``python -m numeric crosscheck``, ``python -m numeric bench``,
``python -m numeric prune`` and ``python -m numeric attribute``.

A human table by default, one JSON object with ``--json``. It runs through the one shell of
igverify (:mod:`proofs.shell`): a user error prints one line on stderr and exits with status 2.

>>> build_parser().parse_args(["crosscheck", "--quick"]).quick
True
"""

from __future__ import annotations

import argparse
import json
import math
import os

from proofs.errors import IGVerifyError, MissingDependencyError
from proofs.shell import ArgumentParser as _Parser
from proofs.shell import run

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m numeric",
                     description="Numeric IG: cross-check against the exact engines, benchmark "
                                 "against Captum.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
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
    prune = sub.add_parser("prune", help="pruning by internal-neuron attributions on digits "
                                         "(Lundstrom, Huang & Razaviyayn (2022), sec. 7, App. L)")
    prune.add_argument("--json", action="store_true", help="one JSON object")
    prune.add_argument("--figures", metavar="DIR", default=None,
                       help="write one PNG per figure into DIR")
    prune.add_argument("--quick", action="store_true",
                       help="tiny training and coarse curves (seconds; for tests)")
    prune.add_argument("--cache", metavar="DIR", default=None,
                       help="where trained weights are kept (default ~/.cache/igverify/prune, "
                            "or $IGVERIFY_CACHE/prune)")
    prune.add_argument("--steps", type=int, default=None,
                       help="Gauss-Legendre nodes (default 32; 8 with --quick)")
    prune.add_argument("--seeds", type=int, default=None,
                       help="random pruning orders (default 5; 2 with --quick)")
    prune.add_argument("--class", dest="focus_class", type=int, default=7, choices=range(10),
                       metavar="C", help="the class of the per-class and patch experiments "
                                         "(default 7; the box stays rows 0-1, columns 2-7, "
                                         "the bar of a 7)")
    prune.add_argument("--write", metavar="PATH", default=None,
                       help="replace the prune section of a results file, e.g. "
                            "benchmarks/RESULTS.md")
    from .attribute_command import add_arguments as attribute_arguments

    attribute_arguments(sub.add_parser("attribute", help="IG of a whole dataset, resumable, "
                                                         "in one process or under torchrun"))
    return parser


def _prune(args) -> int:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "the prune command needs scikit-learn for the digits data: pip install "
            "'scikit-learn>=1.3' (or pip install 'igverify[experiments]')") from None
    from .experiments.figures import draw_all
    from .experiments.prune import PruneSettings, run_prune
    from .experiments.report import format_report, write_section

    steps = args.steps if args.steps is not None else 8 if args.quick else 32
    seeds = args.seeds if args.seeds is not None else 2 if args.quick else 5
    if steps < 1 or seeds < 1:
        raise IGVerifyError("--steps and --seeds must be at least 1")
    settings = PruneSettings(steps=steps, seeds=seeds, focus_class=args.focus_class,
                             quick=args.quick)
    try:  # fail before minutes of work, not after
        if args.figures:
            os.makedirs(args.figures, exist_ok=True)
        if args.write and not os.path.isdir(os.path.dirname(os.path.abspath(args.write))):
            raise FileNotFoundError(2, "no such directory", args.write)
    except OSError as exc:
        raise _unwritable(exc) from None
    report = run_prune(settings, cache_dir=args.cache)
    try:
        if args.figures:
            report["figures"] = draw_all(report, args.figures)
        if args.write:
            write_section(report, args.write)
    except OSError as exc:
        raise _unwritable(exc) from None
    print(json.dumps(_clean(report)) if args.json else format_report(report))
    return 0


def _clean(obj):
    """JSON-safe: inf/nan floats become strings."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _unwritable(exc: OSError) -> IGVerifyError:
    return IGVerifyError(f"cannot write {exc.filename or ''}: {exc.strerror or exc}",
                         "choose a writable path")


def _crosscheck(args) -> int:
    from .crosscheck import crosscheck, format_table

    report = crosscheck(quick=args.quick)
    print(json.dumps(_clean(report)) if args.json else format_table(report))
    return 0


def _bench(args) -> int:
    from .bench import format_report, run_bench, write_results

    report = run_bench(device=args.device, quick=args.quick, threads=args.threads)
    if args.write:
        write_results(report, args.write)
    print(json.dumps(_clean(report)) if args.json else format_report(report))
    return 0


def _attribute(args) -> int:
    from .attribute_command import run as attribute

    return attribute(args)


_COMMANDS = {"crosscheck": _crosscheck, "bench": _bench, "prune": _prune,
             "attribute": _attribute}


def main(argv: list[str] | None = None) -> int:
    """``python -m numeric COMMAND ...``: the exit status (2 for a user error, one line)."""
    def command(argv: list[str] | None) -> int:
        args = build_parser().parse_args(argv)  # inside the shell: a missing torch is one line
        return _COMMANDS[args.command](args)

    return run(command, argv)
