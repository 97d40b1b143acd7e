"""Captum's layer and neuron IG test cases, run on Captum's classes and on numeric's.

The cases are tests/captum_layer_cases.py (a port of Captum's test files for
LayerIntegratedGradients, LayerConductance, NeuronConductance, NeuronIntegratedGradients and
its IG test_futures_not_implemented; Kokhlikyan et al. (2020)). Prints, per implementation,
how many cases pass (and which fail, with why) and the time ratio; the cases numeric fails
are the ones tests/test_numeric_captum_layer.py pins (Captum's finite-difference conductance).

    python benchmarks/captum_layer_suite.py [--only numeric|captum] [--write]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import captum_layer_cases as cases  # noqa: E402
import torch  # noqa: E402


def run(name: str) -> tuple[int, int, list[tuple[str, str]], float]:
    impl = cases.implementation(name)
    passed, failures = 0, []
    start = time.perf_counter()
    for case, fn in cases.CASES.items():
        cases.seed()
        try:
            fn(impl)
        except Exception as exc:  # noqa: BLE001  (a failing case is reported, not raised)
            line = traceback.format_exception_only(type(exc), exc)[-1].strip()
            failures.append((case, line[:160]))
        else:
            passed += 1
    return passed, len(cases.CASES), failures, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["numeric", "captum"])
    parser.add_argument("--write", action="store_true", help="write to benchmarks/RESULTS.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines, seconds = [], {}
    for label in ("captum", "numeric"):
        if args.only and args.only != label:
            continue
        passed, total, failures, seconds[label] = run(label)
        lines.append(f"{label}: {passed} of {total} cases pass ({seconds[label]:.1f} s)")
        lines.extend(f"  FAIL {case}: {why}" for case, why in failures)
    if len(seconds) == 2:
        lines.append(f"time numeric / captum: {seconds['numeric'] / seconds['captum']:.2f} "
                     "(same process, same cases; the cases include Captum-independent "
                     "reference computations)")
    print("\n".join(lines))
    if args.write:
        from numeric.results_file import replace_section

        heading = "## Captum's layer and neuron test cases"
        body = (f"{heading}\n\n`python benchmarks/captum_layer_suite.py --write` "
                f"({datetime.date.today()}, {platform.machine()}, 2-core CPU shared with other "
                f"work, one torch thread, torch {torch.__version__}): a port of the cases of "
                "Captum's test files for the four classes, run on Captum's classes and on "
                "numeric's. numeric's failures are the delta checks that pin Captum's "
                "finite-difference conductance at a ReLU kink (its sum telescopes to "
                "F(x) - F(x')); with tolerance=1e-6 numeric passes them "
                "(tests/test_numeric_captum_layer.py).\n\n```\n" + "\n".join(lines) + "\n```\n")
        replace_section(os.path.join(HERE, "RESULTS.md"), heading, body)


if __name__ == "__main__":
    main()
