"""The answer of an axiom check: holds, violated (with a witness) or undecided (with why)."""

from __future__ import annotations

from dataclasses import dataclass, field

HOLDS = "holds"
VIOLATED = "violated"
UNDECIDED = "undecided"
VERDICTS = (HOLDS, VIOLATED, UNDECIDED)


@dataclass
class Verdict:
    """One axiom checked on one method.

    ``witness`` (for violated, and for undecided when a specific input broke the method) is a
    dict of short strings: function, input, baseline, expected, got, and what else the axiom
    needs (the coordinate, the second function, the affine map, the distribution).
    ``evidence`` says how the verdict was established: an identity simplified to 0 for
    symbolic inputs, exact checks on given cases, a search of N examples, a theorem.
    """

    axiom: str
    verdict: str
    witness: dict[str, str] | None = None
    evidence: str = ""
    method: str | None = None
    statement: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    def to_dict(self, with_method: bool = False) -> dict:
        out: dict = {}
        if with_method:
            out["method"] = self.method
        out.update(axiom=self.axiom, verdict=self.verdict, witness=self.witness,
                   evidence=self.evidence)
        return out

    def message(self) -> str:
        """A report in the style of hypothesis: what failed, the smallest example, next step."""
        who = f"{self.method}: " if self.method else ""
        lines = [f"{who}{self.axiom} {self.verdict}"]
        if self.statement:
            lines.append(f"  axiom: {self.statement}")
        if self.witness:
            lines.append("  smallest example:" if self.verdict == VIOLATED else "  example:")
            for k, v in self.witness.items():
                lines.append(f"    {k} = {v}")
        if self.evidence:
            lines.append(f"  evidence: {self.evidence}")
        if self.verdict == VIOLATED:
            lines.append("  next: run the method on this example by hand; if the axiom should "
                         "hold, the difference between expected and got is the bug")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message()
