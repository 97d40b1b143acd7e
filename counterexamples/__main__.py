"""Command line: run the published counterexamples to IG's claims.

    python -m counterexamples                 run all: table, one PNG per picture, exit 1 if any
                                              row disagrees
    python -m counterexamples NAME            run one and print its derivation step by step
    python -m counterexamples --list          the names and what each shows
    python -m counterexamples --json          one JSON object instead of the table
    python -m counterexamples --figures DIR   where the figures go (default ./figures when
                                              running all; NAME writes one only when asked)

Exit status: 0 all agree, 1 some row disagrees (or a figure failed), 2 user error (unknown
NAME, bad option), with one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
import traceback
from pathlib import Path

from counterexamples import all_counterexamples, get, names
from counterexamples.base import Counterexample, Result, fmt
from proofs.errors import IGVerifyError
from proofs.shell import ArgumentParser as _Parser
from proofs.shell import progress, run

DEFAULT_FIGURES = Path("figures")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m counterexamples",
                description="Run the published counterexamples to IG's claims, exactly.",
                epilog="Claims and counterexamples are cited by author and year (for example "
                       "Lundstrom, Huang & Razaviyayn (2022), App. E.1); REFERENCES.md in the "
                       "repository lists every work in full (title, venue, arXiv id or DOI).")
    p.add_argument("name", nargs="?", help="one counterexample (see --list)")
    p.add_argument("--list", action="store_true", help="list the counterexamples and exit")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--figures", metavar="DIR", type=Path, default=None,
                   help="directory for the figures (default ./figures when running all)")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    return p


def _run(ce: Counterexample) -> Result:
    """ce.compute(), with an internal error turned into a disagreeing row (and a traceback)."""
    try:
        return ce.compute()
    except Exception as exc:  # an internal bug: show it, keep going, fail the run
        traceback.print_exc(file=sys.stderr)
        return Result(None, f"error: {type(exc).__name__}: {exc}", False, ())


def _draw(ce: Counterexample, directory: Path | None) -> tuple[str | None, bool]:
    """The figure's path (or None) and whether drawing succeeded."""
    if directory is None or ce.draw is None:
        return None, True
    try:
        return str(ce.figure(directory)), True
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return None, False


def _row(ce: Counterexample, result: Result, figure: str | None) -> dict:
    return {"name": ce.name, "claim": ce.claim, "source": ce.source,
            "published": ce.published_text, "computed": result.computed_text,
            "agrees": bool(result.agrees), "figure": figure}


def _table(rows: list[dict]) -> str:
    """A text table whose long cells wrap inside their columns."""
    name_width = max([len("name")] + [len(r["name"]) for r in rows])
    cols = [("name", name_width), ("claim refuted [where]", 44), ("published", 36),
            ("computed", 36), ("agrees", 6)]
    def cells(r: dict) -> list[list[str]]:
        texts = [r["name"], f"{r['claim']} [{r['source']}]", r["published"], r["computed"],
                 "yes" if r["agrees"] else "NO"]
        return [textwrap.wrap(t, w) or [""] for t, (_, w) in zip(texts, cols, strict=True)]
    def line(parts: list[str]) -> str:
        return "  ".join(p.ljust(w) for p, (_, w) in zip(parts, cols, strict=True)).rstrip()
    out = [line([h for h, _ in cols]), line(["-" * w for _, w in cols])]
    for r in rows:
        wrapped = cells(r)
        for k in range(max(len(c) for c in wrapped)):
            out.append(line([c[k] if k < len(c) else "" for c in wrapped]))
        out.append("")
    return "\n".join(out)


def _listing(counterexamples: list[Counterexample]) -> str:
    """``--list``: name and title, the names in a column as wide as the longest name."""
    width = max(len(ce.name) for ce in counterexamples)
    return "\n".join(f"{ce.name:{width}}  {ce.title}" for ce in counterexamples)


def _figures_directory(directory: Path | None) -> None:
    """Create the figures directory up front: a bad one is a user error (one line, exit 2)."""
    if directory is None:
        return
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise IGVerifyError(f"cannot write figures to {directory}/: {exc.strerror or exc}",
                            "choose a writable --figures DIR or give --no-figures") from None


def main(argv: list[str] | None = None) -> int:
    """``python -m counterexamples ...`` through the one shell (:mod:`proofs.shell`)."""
    args = _parser().parse_args(argv)
    return run(lambda _: _main(args))


def _main(args: argparse.Namespace) -> int:
    if not args.no_figures:
        _figures_directory(args.figures if args.name is not None or args.list
                           else (args.figures or DEFAULT_FIGURES))
    if args.list:
        print(_listing(all_counterexamples()))
        return 0
    if args.name is not None:
        try:
            ce = get(args.name)
        except KeyError:
            raise IGVerifyError(f"unknown counterexample {args.name!r}",
                                f"run --list (one of {', '.join(names())})") from None
        result = _run(ce)
        figure, drawn = _draw(ce, None if args.no_figures else args.figures)
        if args.json:
            print(json.dumps({"counterexamples": [_row(ce, result, figure)]}, indent=2))
        else:
            print(ce.report(result))
            if figure:
                print(f"\nFigure:    {figure}")
        return 0 if result.agrees and drawn else 1

    directory = None if args.no_figures else (args.figures or DEFAULT_FIGURES)
    start = time.perf_counter()
    rows, ok = [], True
    for ce in progress(all_counterexamples(), desc="counterexamples", unit="example"):
        result = _run(ce)
        figure, drawn = _draw(ce, directory)
        rows.append(_row(ce, result, figure))
        ok &= bool(result.agrees) and drawn
    elapsed = time.perf_counter() - start
    if args.json:
        print(json.dumps({"counterexamples": rows}, indent=2))
    else:
        print(_table(rows))
        agree = sum(r["agrees"] for r in rows)
        figs = sum(1 for r in rows if r["figure"])
        where = f" in {directory}/" if directory is not None else ""
        print(f"{agree}/{len(rows)} agree; {figs} figures{where}; {fmt(round(elapsed, 1))} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
