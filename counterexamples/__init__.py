"""counterexamples: the published counterexamples to IG's claims, one runnable module each.

Each module states a claim about Integrated Gradients (who made it, where), builds the
counterexample or worked example that refutes or qualifies it, computes it with the exact
engines of :mod:`proofs`, compares with the published numbers exactly, and draws its figure.

    python -m counterexamples              # all of them: a table, figures, exit 1 on disagreement
    python -m counterexamples NAME         # one, with its derivation step by step
    python -m counterexamples --list       # names and claims
    python -m counterexamples --json       # one JSON object

>>> from counterexamples import get
>>> get("xu-asi").compute().agrees
True
"""

from __future__ import annotations

import importlib

from counterexamples.base import Counterexample, Result

__all__ = ["MODULES", "Counterexample", "Result", "all_counterexamples", "get", "names"]

#: The counterexample modules, in the order the table lists them.
MODULES = (
    "claim1_nonmonotone",
    "xu_asi",
    "najmi_cost_share",
    "ig_not_lipschitz",
    "winding_paths",
    "lerma_area",
    "lerma_symmetric_path",
    "lerma_theorem1_witness",
    "cantor_staircase",
    "max_on_diagonal",
    "saturation",
    "relu_half",
    "implementation_invariance",
)


def all_counterexamples() -> list[Counterexample]:
    """Every counterexample, in order."""
    return [importlib.import_module(f"counterexamples.{m}").COUNTEREXAMPLE for m in MODULES]


def names() -> list[str]:
    """The command-line names, in order (module name with '_' written '-')."""
    return [m.replace("_", "-") for m in MODULES]


def get(name: str) -> Counterexample:
    """The counterexample called ``name``; KeyError if there is none."""
    module = name.replace("-", "_")
    if module not in MODULES:
        raise KeyError(name)
    return importlib.import_module(f"counterexamples.{module}").COUNTEREXAMPLE
