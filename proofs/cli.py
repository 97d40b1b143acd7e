"""Command line of the exact engines: ``python -m proofs attribute EXPR ...``.

It runs through the one shell of igverify (:mod:`proofs.shell`: one-line errors, exit 2,
closed pipes, the time limit); the path specs are read by :func:`proofs.paths.parse_path`.

    python -m proofs attribute "x1*x2**2" --path "polyline:0,0;1,0;1,1;0,1;0,0;1,1"
    python -m proofs attribute "1 - relu(1 - x)" --vars x --input 2 --json
    python -m proofs attribute "x1*x2" --path "curve:t,t**2" --engine mpmath --dps 30
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from .engines import ENGINES, MAX_DPS, attribute
from .errors import DimensionError, IGVerifyError, ParseError, PathError
from .function import Function, as_point
from .parse import MAX_LENGTH, parse_expression, parse_point
from .paths import parse_path
from .precision import DEFAULT_DPS
from .shell import ArgumentParser, TimeLimitExceeded, run, time_limit

T = TypeVar("T")


VALUE_OPTIONS = ("--input", "--baseline", "--path", "--vars")
"""Options whose value may start with a minus sign (``--input -1,2``)."""


def join_option_values(argv: Sequence[str], options: Sequence[str] = VALUE_OPTIONS
                       ) -> list[str]:
    """``["--input", "-1,2"]`` -> ``["--input=-1,2"]``: argparse would read "-1,2" as an option.

    A point typed with spaces (``--input 1, 2``: the shell splits it) is a user error that
    says what to type.

    >>> join_option_values(["f", "--input", "-1,2", "--json"])
    ['f', '--input=-1,2', '--json']
    """
    out: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if not eq and arg in options and i + 1 < len(args):
            name, value = arg, args[i + 1]
        if name in ("--input", "--baseline") and value.rstrip().endswith(",") \
                and i + 1 + (not eq) < len(args) \
                and not args[i + 1 + (not eq)].startswith("--"):
            rest = args[i + 1 + (not eq)]
            typed = f"{value} {rest}"
            raise ParseError(f"{name} {typed}: the shell split the point at its space",
                             hint=f"type {name} {typed.replace(' ', '')} (no spaces) or quote "
                                  f"it: {name} \"{typed}\"")
        if arg in options and i + 1 < len(args) and args[i + 1].startswith("-") \
                and not args[i + 1].startswith("--"):
            out.append(f"{arg}={args[i + 1]}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def read_argument(name: str, read: Callable[[], T]) -> T:
    """``read()``, with a ParseError or DimensionError saying which argument it is about."""
    try:
        return read()
    except (ParseError, DimensionError) as exc:
        text = str(exc)
        if text.startswith(f"{name}:") or text.startswith(f"{name} "):
            raise
        raise type(exc)(f"{name}: {text}") from None


def read_point(name: str, text: str, dimension: int) -> tuple:
    """A point typed after ``name`` (``--input``, ``--baseline``): exact coordinates."""
    def read() -> tuple:
        try:
            return as_point(parse_point(text), dimension, name)
        except ParseError as exc:
            spaced = len(text.split()) > 1 and "," not in text
            raise ParseError(f"cannot read '{text}' ({exc})",
                             hint="separate coordinates by commas, e.g. 1,-1/2"
                             if spaced else None) from None
    return read_argument(name, read)


def _add_attribute(sub: argparse._SubParsersAction) -> None:
    a = sub.add_parser("attribute", help="attributions of EXPR along a path",
                       description="A_i = int_0^1 dF/dx_i(gamma(t)) gamma_i'(t) dt, exactly "
                                   "(symbolic) or to --dps digits (mpmath). Negative numbers "
                                   "after --input, --baseline and --path work as written.")
    a.add_argument("expr", metavar="EXPR",
                   help="the function, e.g. 'x1*x2**2' or 'max(0, x - 1/2)' (with --vars x)")
    a.add_argument("--vars", help="comma-separated variable names in order (default x1, x2, ...)")
    a.add_argument("--input", help="the input x, e.g. -1,1/2")
    a.add_argument("--baseline", help="the baseline x' (default the origin)")
    a.add_argument("--path", default="straight",
                   help="straight (default) | polyline:0,0;1,0;1,1 | curve:t,t**2 (in t)")
    a.add_argument("--engine", choices=ENGINES, default="symbolic")
    a.add_argument("--dps", type=int, default=DEFAULT_DPS,
                   help="digits: of the mpmath engine's values, and of the symbolic engine's "
                        f"numerically certified breakpoints ({DEFAULT_DPS})")
    a.add_argument("--max-size", type=int, default=MAX_LENGTH, metavar="CHARS",
                   help=f"longest EXPR accepted, in characters ({MAX_LENGTH:,})")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    a.add_argument("--latex", action="store_true",
                   help="also print the derivation as LaTeX (F, the path, the pieces with "
                        "their active forms and integrals, the result)")
    a.add_argument("--derivation", action="store_true",
                   help="also print the derivation step by step (breakpoints, pieces with "
                        "their active forms, antiderivatives and values)")
    a.add_argument("--certificate", metavar="FILE",
                   help="write the derivation as JSON to FILE (check it with "
                        "'python -m proofs verify FILE')")
    a.add_argument("--timeout", type=float, default=120.0,
                   help="give up after this many seconds (120)")
    a.set_defaults(handler=_attribute)


def _add_verify(sub: argparse._SubParsersAction) -> None:
    from .verify import TIMEOUT

    v = sub.add_parser("verify", help="re-check certificates written by attribute "
                                      "--certificate",
                       description="Re-checks certificates independently of the engines: "
                                   "exit 0 when all hold, 1 naming the first step that does "
                                   "not, 2 when a FILE is not a certificate or a check is "
                                   "beyond the verifier's limits.")
    v.add_argument("files", nargs="+", metavar="FILE", help="the JSON certificates")
    v.add_argument("--text", action="store_true", help="also print the derivation")
    v.add_argument("--timeout", type=float, default=TIMEOUT,
                   help=f"give up after this many seconds ({TIMEOUT:g})")
    v.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from .verify import verify_file

    for name in args.files:
        failure = verify_file(name, timeout=None)  # the shell's --timeout bounds all files
        if failure is not None:
            print(f"certificate does NOT hold: {name}: {failure}")
            return 1
        print(f"certificate holds: {name}")
        if args.text:
            from .certificate import Derivation

            with open(name, encoding="utf-8") as source:
                data = json.load(source)
            if isinstance(data, dict) and data.get("kind") == "network":
                from .verify_network import summary

                print(summary(data))
            else:
                print(Derivation(data).text())
    return 0


def _build_parser() -> ArgumentParser:
    parser = ArgumentParser(prog="python -m proofs",
                            description="Exact path-method attributions (Integrated Gradients "
                                        "and any path) of a function you type.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    sub.required = True
    # one line per subcommand: each sets its handler(args) -> exit status
    _add_attribute(sub)
    _add_verify(sub)
    from .plot import add_parser as add_plot_parser  # python -m proofs plot (proofs/plot.py)

    add_plot_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m proofs COMMAND ...``: the exit status (0, 1 a certificate that does not
    hold, 2 a user error).

    >>> main(["attribute", "x1*x2", "--input", "1,2"])
    symbolic attribution of x1*x2 along Path((0, 0) -> (1, 2))
      A[x1] = 1
      A[x2] = 1
      sum            = 2
      F(end)-F(start) = 2
      completeness gap = 0
    0
    """
    def command(argv: Sequence[str] | None) -> int:
        args = _build_parser().parse_args(join_option_values(
            sys.argv[1:] if argv is None else argv))
        hint = "give a larger --timeout" if args.command == "verify" else \
            "try --engine mpmath, a simpler function or a larger --timeout"
        with time_limit(getattr(args, "timeout", None), lambda: TimeLimitExceeded(
                f"gave up after {args.timeout:g} s", hint)):
            return args.handler(args)

    return run(command, argv)


def _attribute(args: argparse.Namespace) -> int:
    if not 5 <= args.dps <= MAX_DPS:
        raise IGVerifyError(f"--dps must be from 5 to {MAX_DPS}, got {args.dps}")
    if args.max_size < 1:
        raise IGVerifyError(f"--max-size must be a positive number of characters, got "
                            f"{args.max_size}")
    variables = None
    if args.vars is not None:
        variables = [v.strip() for v in args.vars.split(",")]
        read_argument("--vars", lambda: parse_expression("0", variables))
    F = read_argument("EXPR", lambda: Function(args.expr, variables, max_size=args.max_size))
    x = read_point("--input", args.input, F.dimension) if args.input else None
    base = read_point("--baseline", args.baseline, F.dimension) if args.baseline else None
    if base is not None and x is None and args.path.strip().lower() == "straight":
        raise PathError("--baseline needs --input for the straight path")
    path = read_argument("--path", lambda: parse_path(args.path, x, base, F.dimension))
    result = attribute(F, path, engine=args.engine, dps=args.dps)
    derivation = None
    if args.certificate or args.derivation or (args.latex and args.engine == "symbolic"):
        derivation = result.certificate()
    if args.certificate:
        derivation.write(args.certificate)
    latex = (derivation.latex() if derivation is not None else result.latex()) \
        if args.latex else None
    if args.json:
        out = result.to_dict()
        if latex is not None:
            out["latex"] = latex
        if args.derivation:
            out["derivation"] = derivation.data
        print(json.dumps(out))
    else:
        print(result)
        if args.derivation:
            print(derivation.text())
        if latex is not None:
            print(latex)
    sys.stdout.flush()
    return 0
