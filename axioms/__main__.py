"""Command line: ``python -m axioms check [EXPR ...] --method M`` and ``... matrix``.

Exit status of ``check``: 0 nothing violated and no method error, 1 an axiom is violated, 3
the method failed (raised, or returned something that is not an attribution), 2 bad input
(a bad expression, an unknown method or axiom, a method that cannot be loaded), with one line
on stderr. ``matrix`` exits 0 (its violations are the table's content) or 2.
"""

from __future__ import annotations

import argparse
import json
import textwrap

from axioms.matrix import MATRIX_EXAMPLES, compute_matrix, format_matrix
from axioms.registry import AXIOMS, METHODS, as_method, glossary
from axioms.search import DEFAULT_EXAMPLES, check
from axioms.tolerance import FLOAT_RTOL
from axioms.verdict import LEGEND, Report, exit_status
from proofs.errors import IGVerifyError
from proofs.shell import ArgumentParser as _Parser
from proofs.shell import run

_METHOD_HELP = (f"a built-in ({', '.join(METHODS)}) or module:function, a callable "
                "method(F, x, baseline) (see axioms.contract)")
_EPILOG = ("verdicts: proved (an identity or a cited theorem), no counterexample (tested, "
           "not proved), violated (smallest witness, expected, got, size), error (the method "
           "failed; not an axiom verdict), undecided.\n"
           "exit status: 0 nothing violated, 1 violated, 3 method error, 2 bad input.\n\n"
           "axioms (slug (column): statement (source)):\n" + glossary(96) + "\n\n"
           "built-in methods:\n" + "\n".join(
               textwrap.fill(f"{m.name}: {m.description}", 96, subsequent_indent="    ")
               for m in METHODS.values()))


def _common(p: argparse.ArgumentParser, examples: int) -> None:
    p.add_argument("--axiom", action="append", choices=list(AXIOMS), metavar="SLUG",
                   help="repeatable; a slug from the list below (default: all)")
    p.add_argument("--examples", type=int, default=examples,
                   help=f"random examples per axiom after the known cases (default {examples})")
    p.add_argument("--seed", type=int, default=0, help="seed of the random draws (default 0)")
    p.add_argument("--rtol", type=float, default=None,
                   help=f"relative tolerance (default: exact answers exactly, floats "
                        f"{FLOAT_RTOL:g}); applies to every comparison when given")
    p.add_argument("--atol", type=float, default=None, help="absolute tolerance (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = _Parser(prog="python -m axioms", formatter_class=fmt, epilog=_EPILOG,
                description="Check attribution methods against the axioms of Sundararajan, "
                            "Taly & Yan (2017) and Lundstrom, Huang & Razaviyayn (2022).")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("check", help="check one method against the axioms", epilog=_EPILOG,
                       formatter_class=fmt,
                       description="Known witness families first, then a seeded hypothesis "
                                   "search.")
    c.add_argument("functions", nargs="*", metavar="EXPR",
                   help="functions such as 'x1*x2**2' (default: the known families, then "
                        "random polynomials and ReLU networks)")
    c.add_argument("--method", required=True, help=_METHOD_HELP)
    _common(c, DEFAULT_EXAMPLES)
    m = sub.add_parser("matrix", help="methods against every axiom", epilog=_EPILOG,
                       formatter_class=fmt, description=LEGEND)
    m.add_argument("--method", action="append", metavar="METHOD",
                   help=f"repeatable; one row each (default: the built-ins). {_METHOD_HELP}")
    m.add_argument("--with-builtins", action="store_true",
                   help="add the built-in methods' rows to those given with --method")
    _common(m, MATRIX_EXAMPLES)
    m.add_argument("--workers", type=int, default=None, help="processes (default: CPUs, <= 4)")
    return p


def _kwargs(args) -> dict:
    if args.examples < 0:
        raise IGVerifyError("--examples must be at least 0")
    return dict(max_examples=args.examples, seed=args.seed, rtol=args.rtol, atol=args.atol)


def _check(args) -> int:
    from proofs import Function

    method = as_method(args.method)
    functions = [Function(e) for e in args.functions] or None
    kw = _kwargs(args)
    results = [check(method, a, functions=functions, **kw) for a in (args.axiom or AXIOMS)]
    report = Report(method.name, results)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(str(report))
    return exit_status(results)


def _matrix(args) -> int:
    methods = None  # the built-ins
    if args.method:
        methods = list(dict.fromkeys(
            (list(METHODS) if args.with_builtins else []) + args.method))
    matrix = compute_matrix(methods, args.axiom, workers=args.workers, **_kwargs(args))
    if args.json:
        print(json.dumps(matrix.to_dict(), indent=2))
    else:
        print(format_matrix(matrix.cells, matrix.seconds))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m axioms COMMAND ...``, through the one shell (:mod:`proofs.shell`)."""
    args = _parser().parse_args(argv)
    return run(lambda _: _check(args) if args.command == "check" else _matrix(args))


if __name__ == "__main__":
    raise SystemExit(main())
