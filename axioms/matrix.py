"""The matrix of methods against axioms, computed (exact cases, then search), not copied."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from axioms.checks import AXIOMS, check
from axioms.methods import METHODS
from axioms.verdict import Verdict

__all__ = ["MATRIX_EXAMPLES", "compute_matrix", "format_matrix"]

#: search examples per cell (each cell also runs its exact cases first)
MATRIX_EXAMPLES = 10


def _cell(args: tuple[str, str, int]) -> Verdict:
    method, axiom, n = args
    return check(method, axiom, max_examples=n)


def compute_matrix(methods: Sequence[str] | None = None, axioms: Sequence[str] | None = None,
                   max_examples: int = MATRIX_EXAMPLES, workers: int | None = None
                   ) -> list[Verdict]:
    """Every (method, axiom) cell, in order; ``workers`` processes (default: the CPU count,
    at most 4; 1 runs in this process)."""
    methods = list(methods or METHODS)
    axioms = list(axioms or AXIOMS)
    jobs = [(m, a, max_examples) for m in methods for a in axioms]
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 4:
        return [_cell(j) for j in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_cell, jobs, chunksize=2))


_SHORT = {"holds": "yes", "violated": "NO", "undecided": "?"}
_ABBREV = {"sensitivity-a": "sens-a", "implementation-invariance": "impl-inv",
           "completeness": "compl", "linearity": "linear", "dummy": "dummy",
           "symmetry": "symm", "asi": "asi", "ndp": "ndp", "dist-sensitivity-a": "d-sens-a",
           "dist-completeness": "d-compl", "dist-symmetry": "d-symm", "dist-ndp": "d-ndp"}


def format_matrix(cells: Sequence[Verdict], seconds: float | None = None) -> str:
    """A human table: yes (holds), NO (violated, witness below), ? (undecided)."""
    methods = list(dict.fromkeys(c.method for c in cells))
    axioms = list(dict.fromkeys(c.axiom for c in cells))
    table = {(c.method, c.axiom): c for c in cells}
    width = max(len(m) for m in methods) + 2
    cols = [_ABBREV.get(a, a) for a in axioms]
    lines = ["".ljust(width) + " ".join(c.rjust(max(len(c), 3)) for c in cols)]
    for m in methods:
        row = [_SHORT[table[(m, a)].verdict].rjust(max(len(col), 3))
               for a, col in zip(axioms, cols, strict=True)]
        lines.append(m.ljust(width) + " ".join(row))
    lines.append("")
    lines.append("yes = holds (exact identities + search; evidence in --json), "
                 "NO = violated, ? = undecided")
    lines.append("witnesses of the violations:")
    for c in cells:
        if c.verdict == "violated" and c.witness:
            w = c.witness
            desc = f"F = {w.get('function')}"
            if "G" in w:
                desc += f", G = {w['G']}"
            desc += f", x = {w.get('input')}"
            if "baseline" in w:
                desc += f", x' = {w['baseline']}"
            if "distribution" in w:
                desc += f", D = {w['distribution']}"
            lines.append(f"  {c.method} / {c.axiom}: {desc}: got {w.get('got')}")
    if seconds is not None:
        lines.append(f"computed in {seconds:.1f} s")
    return "\n".join(lines)


def timed_matrix(**kwargs) -> tuple[list[Verdict], float]:
    t = time.perf_counter()
    cells = compute_matrix(**kwargs)
    return cells, time.perf_counter() - t
