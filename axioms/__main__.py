"""Command line: ``python -m axioms check [EXPR ...] --method NAME`` and ``... matrix``.

Exit status: 0 when every checked axiom holds or is undecided, 1 when one is violated
(so ``check`` can gate a CI job like a failing test), 2 for a user error (a bad
expression, an unknown method or axiom, a method that cannot be loaded) with one
line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from axioms.checks import AXIOMS, check
from axioms.matrix import MATRIX_EXAMPLES, compute_matrix, format_matrix
from axioms.methods import METHODS, get_method
from proofs.cli import ArgumentParser as _Parser  # one-line usage errors, exit 2
from proofs.errors import IGVerifyError


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m axioms",
                description="Check attribution methods against the axioms of paper 000.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    c = sub.add_parser("check", help="check one method against the axioms",
                       description="Exit status 1 when an axiom is violated, 2 on bad input.")
    c.add_argument("functions", nargs="*", metavar="EXPR",
                   help="functions such as 'x1*x2**2' (default: the search draws them)")
    c.add_argument("--method", required=True,
                   help=f"one of {', '.join(METHODS)} or module:function")
    c.add_argument("--axiom", action="append", choices=list(AXIOMS), metavar="NAME",
                   help=f"repeatable; one of {', '.join(AXIOMS)} (default: all)")
    c.add_argument("--examples", type=int, default=25, help="search examples per axiom")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    m = sub.add_parser("matrix", help="every method against every axiom")
    m.add_argument("--json", action="store_true", help="print one JSON object")
    m.add_argument("--examples", type=int, default=MATRIX_EXAMPLES,
                   help="search examples per cell")
    m.add_argument("--workers", type=int, default=None, help="processes (default: CPUs, <= 4)")
    return p


def _check(args) -> int:
    from proofs import Function

    method = get_method(args.method)
    functions = [Function(e) for e in args.functions] or None
    if args.examples < 1:
        raise IGVerifyError("--examples must be at least 1")
    results = [check(method, a, functions=functions, max_examples=args.examples)
               for a in (args.axiom or list(AXIOMS))]
    if args.json:
        print(json.dumps({"method": method.name, "results": [r.to_dict() for r in results]},
                         indent=2))
    else:
        for r in results:
            print(r.message())
            print()
    return 1 if any(r.verdict == "violated" for r in results) else 0


def _matrix(args) -> int:
    t = time.perf_counter()
    cells = compute_matrix(max_examples=args.examples, workers=args.workers)
    seconds = time.perf_counter() - t
    if args.json:
        print(json.dumps({"cells": [c.to_dict(with_method=True) for c in cells],
                          "seconds": round(seconds, 2)}, indent=2))
    else:
        print(format_matrix(cells, seconds))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _check(args) if args.command == "check" else _matrix(args)
    except IGVerifyError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
