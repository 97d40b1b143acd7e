"""Run the numeric benchmark (ours vs Captum) and the cross-check, and write both into the
"## numeric" section of benchmarks/RESULTS.md.

    python benchmarks/bench_numeric.py [--quick]
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from numeric.bench import format_report, run_bench, write_results  # noqa: E402
from numeric.crosscheck import crosscheck, format_table  # noqa: E402


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    report = run_bench(quick=quick)
    print(format_report(report))
    check = crosscheck(quick=quick)
    table = format_table(check)
    print(table)
    extra = ("### crosscheck\n\n`python -m numeric crosscheck` (float64; errors against the "
             "symbolic engine for piecewise-linear networks, mpmath at 30 digits otherwise; "
             "'to 1e-3' is the smallest tested step count from which on the error stays "
             "below 1e-3).\n\n```\n" + table + "\n```\n")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "RESULTS.md")
    write_results(report, path, extra)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
