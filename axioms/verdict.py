"""What a check answers, and how it is shown (text, JSON, notebook tables).

Verdicts:

* ``proved``: established for the functions checked, by an identity that simplifies to 0 for
  symbolic inputs (the evidence names F), or, for a built-in method, by a cited theorem
  (authors, year, result number) whose hypotheses those functions meet;
* ``no counterexample``: none among the examples tried (the evidence says how many and from
  which families); never worded "holds";
* ``violated``: the smallest witness found, exact, with expected, got and the size of the
  violation;
* ``error``: the method raised or returned something that is not an attribution (the input
  and the message): a bug in the method, not an axiom verdict;
* ``undecided``: no case could be checked (the evidence says why).

>>> r = Result("completeness", "no counterexample", evidence="12 examples")
>>> r.to_dict()["verdict"]
'no counterexample'
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["ERROR", "NO_COUNTEREXAMPLE", "PROVED", "Report", "Result", "UNDECIDED", "VERDICTS",
           "VIOLATED", "Verdict", "exit_status"]

PROVED = "proved"
NO_COUNTEREXAMPLE = "no counterexample"
VIOLATED = "violated"
ERROR = "error"
UNDECIDED = "undecided"
VERDICTS = (PROVED, NO_COUNTEREXAMPLE, VIOLATED, ERROR, UNDECIDED)

#: one-word marks for tables, and what they mean
MARKS = {PROVED: "proved", NO_COUNTEREXAMPLE: "ok?", VIOLATED: "NO", ERROR: "ERR",
         UNDECIDED: "?"}
LEGEND = ("proved = proved (identity or cited theorem); ok? = no counterexample found "
          "(tested, not proved); NO = violated (witness below); ERR = the method failed "
          "(error); ? = undecided")


@dataclass
class Result:
    """One axiom checked on one method.

    ``witness``: for violated and error, a dict of short strings (function, input, baseline,
    expected, got, size and what else the axiom quantifies over). ``examples``: counts of the
    cases tried: ``known`` (witness families and the papers' examples), ``random``
    (hypothesis draws), ``skipped`` (outside the method's domain), ``identities`` (symbolic),
    and ``families`` (the names of the families tried).
    """

    axiom: str
    verdict: str
    witness: dict[str, str] | None = None
    evidence: str = ""
    method: str | None = None
    statement: str = field(default="", repr=False)
    examples: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def to_dict(self, with_method: bool = False) -> dict:
        out: dict = {"method": self.method} if with_method else {}
        out.update(axiom=self.axiom, verdict=self.verdict, evidence=self.evidence,
                   witness=self.witness)
        if not with_method:
            out["examples"] = self.examples
        return out

    def message(self) -> str:
        """A report in the style of hypothesis: what failed, the smallest example, next step."""
        who = f"{self.method}: " if self.method else ""
        lines = [f"{who}{self.axiom}: {self.verdict}"]
        if self.statement:
            lines.append(f"  axiom: {self.statement}")
        if self.witness:
            lines.append("  smallest example:" if self.verdict == VIOLATED else "  input:")
            lines += [f"    {k} = {v}" for k, v in self.witness.items()]
        if self.evidence:
            lines.append(f"  evidence: {self.evidence}")
        if self.verdict == VIOLATED:
            lines.append("  next: run the method on this example by hand; if the axiom should "
                         "hold, the difference between expected and got is the bug")
        elif self.verdict == ERROR:
            lines.append("  next: call the method on this input; it must return one finite "
                         "number per variable (see axioms.contract)")
        return "\n".join(lines)

    __str__ = message

    def _repr_markdown_(self) -> str:
        return Report(self.method or "", [self])._repr_markdown_()

    def _repr_html_(self) -> str:
        return Report(self.method or "", [self])._repr_html_()


#: the name the first version used
Verdict = Result


def exit_status(results: Sequence[Result]) -> int:
    """3 if the method failed (error), else 1 if an axiom is violated, else 0.

    >>> exit_status([Result("dummy", "violated"), Result("linearity", "proved")])
    1
    """
    verdicts = {r.verdict for r in results}
    return 3 if ERROR in verdicts else 1 if VIOLATED in verdicts else 0


def _witness_text(w: dict | None) -> str:
    if not w:
        return ""
    return "; ".join(f"{k} = {v}" for k, v in w.items())


@dataclass
class Report:
    """The results of :func:`axioms.check_all` for one method (a table in a notebook)."""

    method: str
    results: list[Result]

    def to_dict(self) -> dict:
        return {"method": self.method, "results": [r.to_dict() for r in self.results]}

    @property
    def exit_status(self) -> int:
        return exit_status(self.results)

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, k):
        if isinstance(k, str):
            for r in self.results:
                if r.axiom == k:
                    return r
            raise KeyError(k)
        return self.results[k]

    def __str__(self) -> str:
        return "\n\n".join(r.message() for r in self.results)

    def _rows(self):
        for r in self.results:
            yield r.axiom, r.verdict, r.evidence, _witness_text(r.witness)

    def _repr_markdown_(self) -> str:
        def cell(s: str) -> str:
            return s.replace("|", "\\|").replace("\n", " ")

        lines = [f"**{cell(self.method)}**", "", "| axiom | verdict | evidence | witness |",
                 "|---|---|---|---|"]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self._rows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in self._rows())
        return (f"<p><b>{e(self.method)}</b></p><table><thead><tr><th>axiom</th>"
                f"<th>verdict</th><th>evidence</th><th>witness</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")
