"""Citations: every user-facing text of the counterexamples, the course and the README cites by
author and year from REFERENCES.md, and nothing points outside the repository.

Also: every counterexample draws a figure (the three that had none now do).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import counterexamples
from counterexamples.__main__ import _parser

ROOT = Path(__file__).resolve().parent.parent
#: How the developers' private copies were named; a reader cannot look these up.
BANNED = re.compile(r"paper 0\d\d|papers? 00\d|tutorial 00\d|article 00\d|\.\./shared|"
                    r"shared/papers|et al\. 20\d\d")


def _keys() -> list[str]:
    rows = [line for line in (ROOT / "REFERENCES.md").read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| key") and "---" not in line]
    keys = []
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 6, row
        key, authors, title, venue, year, ident = cells
        assert key and authors and title and year, row
        keys.append(key)
    return keys


def test_references_table_is_complete():
    keys = _keys()
    for needed in ("Lundstrom, Huang & Razaviyayn (2022)", "Lerma & Lucas (2021)",
                   "Sundararajan, Taly & Yan (2017)", "Xu, Venugopalan & Sundararajan (2020)",
                   "Sundararajan & Najmi (2020)", "Friedman & Moulin (1999)",
                   "AI Wiki (2026)", "IG tutorial (2026)"):
        assert needed in keys


@pytest.mark.parametrize("ce", counterexamples.all_counterexamples(), ids=lambda c: c.name)
def test_counterexample_texts_cite_author_year(ce):
    keys = _keys()
    for text in (ce.title, ce.claim, ce.source, ce.published_text):
        assert not BANNED.search(text), text
    assert any(key in ce.source for key in keys), ce.source
    assert ce.draw is not None, f"{ce.name} has no figure"


def test_help_readme_and_course_cite_nothing_outside():
    texts = {"counterexamples --help": _parser().format_help(),
             "README.md": (ROOT / "README.md").read_text()}
    texts.update({p.name: p.read_text() for p in sorted((ROOT / "course").glob("*.py"))})
    texts.update({p.name: p.read_text() for p in sorted((ROOT / "counterexamples").glob("*.py"))})
    for name, text in texts.items():
        assert not BANNED.search(text), (name, BANNED.search(text).group())
    assert "REFERENCES.md" in texts["README.md"]


#: "Authors (year" as written in running text: "Lundstrom, Huang & Razaviyayn (2022, App. F)".
CITATION = re.compile(r"([A-Z][\w-]+(?:, [A-Z][\w-]+)*(?: & [A-Z][\w-]+)?) \((\d{4})")


def test_every_author_year_citation_is_in_references():
    keys = _keys()
    files = [*sorted((ROOT / "course").glob("*.py")),
             *sorted((ROOT / "counterexamples").glob("*.py")), ROOT / "README.md"]
    unknown = []
    for path in files:
        text = " ".join(path.read_text().replace("\n# ", "\n").split())
        for m in CITATION.finditer(text):
            cite = f"{m.group(1)} ({m.group(2)})"
            if not any(cite in key for key in keys):
                unknown.append(f"{path.name}: {cite}")
    assert not unknown, unknown


@pytest.mark.parametrize("name", ["max-on-diagonal", "najmi-cost-share",
                                  "implementation-invariance"])
def test_new_figures_are_drawn(name, counterexample_figures):
    out, _ = counterexample_figures[name]  # drawn once per run (tests/conftest.py)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 30_000
