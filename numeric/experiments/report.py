"""The pruning report as a human table and as a section of a Markdown results file.

>>> print(verdict(True), verdict(False))
reproduced NOT reproduced
"""

from __future__ import annotations

import os
import platform
from datetime import date

from ..results_file import replace_section

__all__ = ["SECTION", "format_report", "verdict", "write_section"]

SECTION = "## prune (internal-neuron attributions)"


def verdict(holds: bool) -> str:
    return "reproduced" if holds else "NOT reproduced"


def _numbers(numbers: dict) -> str:
    return ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in numbers.items())


def format_report(report: dict, markdown: bool = False) -> str:
    """The models, each claim with its verdict and numbers, and the identity checks."""
    lines = [report["title"], ""]
    s = report["settings"]
    lines.append(f"data: {report['data']['train']} training / {report['data']['test']} test "
                 f"images; attributions: Gauss-Legendre, {s['steps']} nodes, black baseline; "
                 f"{s['seeds']} random orders; focus class {s['focus_class']}"
                 + ("; QUICK mode (tiny training)" if s["quick"] else ""))
    for act, m in report["models"].items():
        gaps = m["completeness_rel_gap_train"]
        lines.append(f"{act} network: test accuracy {m['test_accuracy']:.3f}"
                     f"{' (weights from the cache)' if m['from_cache'] else ''}; completeness "
                     f"gap of the training-set conductances, relative to the sum of their "
                     f"absolute values (the rule's error at kinks and steep transitions), "
                     f"median / max: "
                     + ", ".join(f"{k} {v['median']:.1e} / {v['max']:.1e}"
                                 for k, v in gaps.items()))
    lines.append("")
    if markdown:
        lines += ["| network | claim | source | measure | numbers | verdict |",
                  "|---|---|---|---|---|---|"]
        for c in report["claims"]:
            lines.append(f"| {c['model']} | {c['claim']} | {c['source']} | {c['measure']} | "
                         f"{_numbers(c['numbers'])} | **{verdict(c['reproduced'])}** |")
    else:
        for c in report["claims"]:
            lines.append(f"[{c['model']}] {verdict(c['reproduced']).upper()}: {c['claim']} "
                         f"({c['source']})")
            lines.append(f"    {c['measure']}: {_numbers(c['numbers'])}")
    ok = sum(c["reproduced"] for c in report["claims"])
    lines += ["", f"{ok} of {len(report['claims'])} claim checks reproduced.", ""]
    if markdown:
        lines += ["Identities on the trained networks (the first test images, patch = the "
                  "box):", "",
                  "| network | layer | output | method | identity | max relative gap | kind |",
                  "|---|---|---|---|---|---|---|"]
        for r in report["identities"]:
            kind = "to rounding" if r["holds_to_rounding"] else "to the rule's error"
            lines.append(f"| {r['model']} | {r['layer']} | {r['output']} | {r['method']} | "
                         f"{r['identity']} | {r['max_rel_gap']:.1e} | {kind} |")
    else:
        lines.append("identities on the trained networks (max relative gap):")
        for r in report["identities"]:
            kind = "rounding" if r["holds_to_rounding"] else "rule error"
            lines.append(f"  {r['model']:4} {r['layer']:12} {r['method']:16} "
                         f"{r['identity']:44} {r['max_rel_gap']:.1e} ({kind})")
    lines.append("")
    lines.append(f"{report['seconds']} s")
    return "\n".join(lines)


def write_section(report: dict, path: str) -> None:
    """Replace (or append) this command's section of a Markdown results file."""
    body = (f"{SECTION}\n\n`python -m numeric prune --write {path}` on {date.today()}, "
            f"{platform.machine()} ({os.cpu_count()} cores), torch single-threaded. "
            "The networks are the App. M model adapted to 8x8 digits (tanh) and its ReLU twin; "
            "a claim that does not hold on digits is a result, not a failure.\n\n"
            + format_report(report, markdown=True) + "\n")
    replace_section(path, SECTION, body)
