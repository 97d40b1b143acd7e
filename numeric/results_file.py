"""Markdown results files (benchmarks/RESULTS.md): replace one ``## `` section, keep the others.

Every driver of numeric/ that writes its results (``python -m numeric bench --write``,
``python -m numeric prune --write``) goes through :func:`replace_section`, so that each owns
exactly its own section and a re-run never duplicates or drops another's.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "RESULTS.md")
>>> replace_section(path, "## a", "## a\\n\\none\\n")
>>> replace_section(path, "## b", "## b\\n\\ntwo\\n")
>>> replace_section(path, "## a", "## a\\n\\nthree\\n")
>>> print(open(path).read())
# Benchmark results
<BLANKLINE>
## a
<BLANKLINE>
three
<BLANKLINE>
## b
<BLANKLINE>
two
<BLANKLINE>
"""

from __future__ import annotations

import os

__all__ = ["replace_section"]


def replace_section(path: str, heading: str, body: str) -> None:
    """Write ``body`` (which starts with the line ``heading``) in place of the section that
    starts with ``heading`` in the Markdown file ``path`` (up to the next ``## `` line), or
    append it; the file gets a ``# Benchmark results`` title when it has none."""
    text = ""
    if os.path.exists(path):
        with open(path) as fh:
            text = fh.read()
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip() == heading), None)
    if start is None:
        sep = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
        new = text + sep + body
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        tail = "".join(lines[end:])
        new = "".join(lines[:start]) + body + ("\n" + tail if tail else "")
    if not new.startswith("# "):
        new = "# Benchmark results\n\n" + new
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(new)
