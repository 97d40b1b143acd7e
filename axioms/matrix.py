"""The matrix of methods against axioms, computed by :func:`axioms.check`, not copied.

Rows are methods (the built-ins, and any you add in any form of :mod:`axioms.contract`),
columns the axioms; each cell is a :class:`~axioms.verdict.Result`.

>>> m = compute_matrix(["cost-share"], ["linearity", "completeness"], max_examples=2)
>>> [c.verdict for c in m.cells]
['proved', 'violated']
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from axioms.methods import METHODS
from axioms.registry import AXIOMS, as_method, glossary
from axioms.search import check
from axioms.verdict import LEGEND, MARKS, VIOLATED, Result
from proofs.shell import progress

__all__ = ["MATRIX_EXAMPLES", "Matrix", "compute_matrix", "format_matrix"]

#: random examples per cell (every cell also runs its known cases first)
MATRIX_EXAMPLES = 5


def _cell(args) -> Result:
    method, axiom, kwargs = args
    return check(method, axiom, **kwargs)


@dataclass
class Matrix:
    """The cells, in row order, and the seconds they took."""

    cells: list[Result]
    seconds: float | None = None

    def to_dict(self) -> dict:
        out: dict = {"cells": [c.to_dict(with_method=True) for c in self.cells]}
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 2)
        return out

    def __str__(self) -> str:
        return format_matrix(self.cells, self.seconds)

    def __iter__(self):
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def _grid(self):
        methods = list(dict.fromkeys(c.method for c in self.cells))
        axioms = list(dict.fromkeys(c.axiom for c in self.cells))
        table = {(c.method, c.axiom): c for c in self.cells}
        return methods, axioms, table

    def _repr_html_(self) -> str:
        e = html.escape
        methods, axioms, table = self._grid()
        head = "".join(f"<th title='{e(AXIOMS[a].full_statement())}'>"
                       f"{e(AXIOMS[a].short)}</th>" for a in axioms)
        rows = []
        for m in methods:
            cells = []
            for a in axioms:
                c = table.get((m, a))
                mark = MARKS[c.verdict] if c else ""
                cells.append(f"<td title='{e(c.evidence if c else '')}'>{e(mark)}</td>")
            rows.append(f"<tr><th>{e(m)}</th>{''.join(cells)}</tr>")
        legend = "<br>".join(e(line) for line in glossary().splitlines())
        return (f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}"
                f"</tbody></table><p>{e(LEGEND)}</p><p><small>{legend}</small></p>")

    def _repr_markdown_(self) -> str:
        methods, axioms, table = self._grid()
        lines = ["| method | " + " | ".join(AXIOMS[a].short for a in axioms) + " |",
                 "|---|" + "---|" * len(axioms)]
        for m in methods:
            marks = [MARKS[table[(m, a)].verdict] if (m, a) in table else "" for a in axioms]
            lines.append(f"| {m} | " + " | ".join(marks) + " |")
        return "\n".join(lines + ["", LEGEND])


def compute_matrix(methods: Sequence | None = None, axioms: Sequence[str] | None = None,
                   max_examples: int = MATRIX_EXAMPLES, workers: int | None = None,
                   **kwargs) -> Matrix:
    """Every (method, axiom) cell, in order. ``methods``: built-in names, ``module:function``
    names or callables (default: the built-ins); ``workers`` processes (default: the CPU
    count, at most 4; 1, or a callable method, runs in this process); other keyword
    arguments go to :func:`axioms.check` (seed, rtol, atol, kinds)."""
    import time

    t = time.perf_counter()
    methods = list(methods or METHODS)
    resolved = [as_method(m) for m in methods]  # bad names fail here, before any work
    axioms = list(axioms or AXIOMS)
    kwargs = dict(kwargs, max_examples=max_examples)
    picklable = all(isinstance(m, str) for m in methods)
    specs = methods if picklable else resolved
    jobs = [(m, a, kwargs) for m in specs for a in axioms]
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 4 or not picklable:
        cells = [_cell(j) for j in progress(jobs, desc="axioms matrix", unit="cell")]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            cells = list(progress(pool.map(_cell, jobs, chunksize=1), total=len(jobs),
                                  desc="axioms matrix", unit="cell"))
    return Matrix(cells, time.perf_counter() - t)


def format_matrix(cells: Sequence[Result], seconds: float | None = None) -> str:
    """A human table with its legend, the axioms' glossary and the violations' witnesses.

    >>> from axioms.verdict import Result
    >>> print(format_matrix([Result("ndp", "violated", method="xu-path")]).splitlines()[1])
    xu-path      NO
    """
    methods = list(dict.fromkeys(c.method for c in cells))
    axioms = list(dict.fromkeys(c.axiom for c in cells))
    table = {(c.method, c.axiom): c for c in cells}
    width = max(len(m) for m in methods) + 2
    cols = [AXIOMS[a].short if a in AXIOMS else a for a in axioms]
    widths = [max(len(c), 6) for c in cols]
    lines = ["".ljust(width) + " ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    for m in methods:
        row = [MARKS[table[(m, a)].verdict].rjust(w) if (m, a) in table else "".rjust(w)
               for a, w in zip(axioms, widths, strict=True)]
        lines.append(m.ljust(width) + " ".join(row))
    lines += ["", LEGEND, "", "axioms:", glossary(), ""]
    bad = [c for c in cells if c.verdict in (VIOLATED, "error") and c.witness]
    if bad:
        lines.append("witnesses:")
    for c in bad:
        w = c.witness
        desc = f"F = {w.get('function')}"
        if "G" in w:
            desc += f", G = {w['G']}"
        desc += f", x = {w.get('input')}"
        if "baseline" in w:
            desc += f", x' = {w['baseline']}"
        if "distribution" in w:
            desc += f", D = {w['distribution']}"
        got = w.get("got", w.get("error"))
        lines.append(f"  {c.method} / {c.axiom}: {desc}: got {got}")
    if seconds is not None:
        lines.append(f"computed in {seconds:.1f} s")
    return "\n".join(lines)
