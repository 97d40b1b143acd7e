"""Build the course notebooks: a student and a solution ``.ipynb`` from each percent-format source.

The sources are ``course/NN_*.py`` in jupytext's percent format (``# %%`` starts a cell,
``# %% [markdown]`` a text cell). Two cell tags make the exercises:

* ``# %% tags=["exercise"]``: the stub a student fills in (it must run as it is, e.g.
  ``answer = None``; the check cell after it then prints "not done yet");
* ``# %% tags=["solution"]``: the lecturer's answer, which replaces the stub.

The student notebook keeps the exercise cells and drops the solution cells; the solution
notebook does the opposite. Run as a plain script from ``course/``, a source runs both, the stub
first, so it behaves as the solution.

    python -m course build [--out DIR] [--execute] [NAME ...]     (from the repository root)
    python course/build.py [--out DIR] [--execute] [NAME ...]

writes ``DIR/student/NN_*.ipynb`` and ``DIR/solution/NN_*.ipynb`` (default ``build/course``,
ignored by git). ``--execute`` runs every notebook (nbclient, a python3 kernel) so that the
built files carry their outputs and figures; it fails on the first cell that raises.
Needs ``pip install -e '.[course]'`` (jupytext, nbformat; nbclient and ipykernel to execute).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from proofs.errors import IGVerifyError
from proofs.shell import ArgumentParser, progress, run

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "build" / "course"
EXERCISE, SOLUTION = "exercise", "solution"
VARIANTS = ("student", "solution")
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}

__all__ = ["DEFAULT_OUT", "build", "execute", "notebook", "sources", "variant"]


class CourseError(IGVerifyError):
    """A source that breaks the exercise/solution convention, or a notebook that fails to run."""


def sources(names: list[str] | None = None) -> list[Path]:
    """The notebook sources ``course/NN_*.py`` in order, or those whose name starts with one
    of ``names`` (``01`` or ``01_ig_by_hand``)."""
    found = sorted(HERE.glob("[0-9][0-9]_*.py"))
    if not names:
        return found
    chosen = [p for p in found if any(p.stem == n or p.stem.startswith(n) for n in names)]
    missing = [n for n in names if not any(p.stem.startswith(n) for p in found)]
    if missing:
        raise CourseError(f"no notebook named {', '.join(missing)}; there are "
                          f"{', '.join(p.stem for p in found)}")
    return chosen


def notebook(source: Path) -> Any:
    """The full notebook (every cell) read from a percent-format source."""
    import jupytext

    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata["kernelspec"] = dict(KERNEL)
    nb.metadata.pop("jupytext", None)
    return nb


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def variant(nb: Any, kind: str) -> Any:
    """The ``student`` or ``solution`` version of a full notebook (a new notebook)."""
    import nbformat

    if kind not in VARIANTS:
        raise CourseError(f"variant must be one of {', '.join(VARIANTS)}, got {kind!r}")
    exercises = sum(EXERCISE in _tags(c) for c in nb.cells)
    solutions = sum(SOLUTION in _tags(c) for c in nb.cells)
    if exercises == 0 or exercises != solutions:
        raise CourseError(f"expected one solution cell per exercise cell, found {exercises} "
                          f"exercise and {solutions} solution cells")
    drop = SOLUTION if kind == "student" else EXERCISE
    out = nbformat.v4.new_notebook(metadata=dict(nb.metadata))
    for cell in nb.cells:
        if drop in _tags(cell):
            continue
        new = nbformat.from_dict(dict(cell))
        new.metadata = {k: v for k, v in cell.get("metadata", {}).items()
                        if k not in ("lines_to_next_cell",)}
        out.cells.append(new)
    nbformat.validate(out)
    return out


def execute(nb: Any, cwd: Path = HERE, timeout: int = 300, allow_errors: bool = False) -> Any:
    """Run every cell of ``nb`` in a python3 kernel started in ``cwd``; returns the notebook.
    A cell that raises stops the run (:class:`CourseError`), or with ``allow_errors`` leaves
    its error in its outputs and the run goes on."""
    import tempfile

    from jupyter_client import KernelManager
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as sockets:
        # local sockets (IPC), not TCP: nothing listens on the network, and the kernel has no
        # plain-text TCP warning to print
        km = KernelManager(kernel_name="python3", transport="ipc",
                           ip=str(Path(sockets) / "kernel"))
        client = NotebookClient(nb, km=km, timeout=timeout, startup_timeout=180,
                                kernel_name="python3", allow_errors=allow_errors,
                                resources={"metadata": {"path": str(cwd)}})
        try:
            _run_client(client)
        finally:
            if km.has_kernel:
                km.shutdown_kernel(now=True)
    return nb


def _run_client(client: Any) -> None:
    from nbclient.exceptions import CellExecutionError

    try:
        client.execute()
    except CellExecutionError as exc:
        what = f"{exc.ename}: {exc.evalue}" if getattr(exc, "ename", None) else \
            " ".join(str(exc).split())[-300:]
        raise CourseError(f"a cell failed: {what}") from exc


def build(out: Path = DEFAULT_OUT, names: list[str] | None = None,
          run: bool = False) -> list[Path]:
    """Write ``out/student/*.ipynb`` and ``out/solution/*.ipynb``; the paths written."""
    import nbformat

    written = []
    for source in progress(sources(names), desc="notebooks", unit="notebook"):
        full = notebook(source)
        for kind in VARIANTS:
            try:
                nb = variant(full, kind)
                if run:
                    nb = execute(nb)
            except CourseError as exc:
                raise CourseError(f"{source.name} ({kind}): {exc}") from exc
            target = Path(out) / kind / f"{source.stem}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            written.append(target)
    return written


def add_arguments(parser: ArgumentParser) -> ArgumentParser:
    """The arguments of ``python -m course build`` (also of ``python course/build.py``)."""
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="only these notebooks (e.g. 01 or 03_path_methods)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"output directory (default {DEFAULT_OUT.relative_to(HERE.parent)})")
    parser.add_argument("--execute", action="store_true",
                        help="run every notebook so the files carry outputs and figures")
    return parser


def missing_packages(source: Path) -> list[str]:
    """The packages a notebook imports that are not installed here (PyTorch and transformers
    are optional: notebook 6 runs a trained network, notebook 7 a small BERT-style model).

    >>> missing_packages(HERE / "01_ig_by_hand.py")
    []
    """
    import importlib.util

    text = source.read_text(encoding="utf-8")
    needs_torch = re.search(r"^\s*(import torch|import numeric|from numeric)", text, re.M)
    needs_transformers = re.search(r"^\s*from numeric\.tiny_bert|^\s*import transformers",
                                   text, re.M)
    missing = ["torch"] if needs_torch and importlib.util.find_spec("torch") is None else []
    if needs_transformers and importlib.util.find_spec("transformers") is None:
        missing.append("transformers")
    return missing


def build_command(args: Any) -> int:
    """Build what ``args`` (from :func:`add_arguments`) asks for; print where it went.

    With ``--execute``, a notebook whose packages are missing (PyTorch for notebook 6) is left
    out with a note on how to get it; the others are built.
    """
    chosen = sources(args.names)
    left_out = [s for s in chosen if args.execute and missing_packages(s)]
    names = [s.stem for s in chosen if s not in left_out]
    try:
        paths = build(args.out, names, run=args.execute) if names else []
    except ImportError as exc:
        raise CourseError(f"{exc}", "install the course tools: pip install -e '.[course]'") \
            from None
    except OSError as exc:
        raise CourseError(f"cannot write to {args.out}: {exc.strerror or exc}") from None
    for kind in VARIANTS:
        print(f"{kind:>8}: {sum(p.parent.name == kind for p in paths)} notebooks in "
              f"{Path(args.out) / kind}")
    for source in left_out:
        number = source.stem.split("_")[0]
        needs = missing_packages(source)
        install = " ".join("torch==2.13.0 (CPU build)" if p == "torch" else p for p in needs)
        names = " and ".join("PyTorch" if p == "torch" else p for p in needs)
        sys.stderr.write(f"note: {source.stem} not built: it needs {names}; "
                         f"pip install {install}, then python -m course build --execute "
                         f"{number}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python course/build.py [--out DIR] [--execute] [NAME ...]``: the exit status."""
    parser = add_arguments(ArgumentParser(
        prog="python course/build.py",
        description="Build the student and solution notebooks from course/NN_*.py."))
    args = parser.parse_args(argv)
    return run(lambda _: build_command(args))


if __name__ == "__main__":
    raise SystemExit(main())
