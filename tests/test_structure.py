"""The shape of the code: no import circle between files, light imports, one shell.

The import graph is read from the source (every ``import`` statement, also those inside
functions: a lazy import still ties two files together), so a circle fails here by naming
its files.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("proofs", "axioms", "numeric", "counterexamples", "course")


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts = parts[:-1]
            out[".".join(parts)] = (path, is_package)
    return out


def _imports(name: str, path: Path, is_package: bool, modules: dict) -> set[str]:
    """The modules of ours that ``name`` imports anywhere in its file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_circles() -> list[list[str]]:
    """The strongly connected components of more than one file (Tarjan)."""
    modules = _modules()
    graph = {m: _imports(m, p, pkg, modules) for m, (p, pkg) in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


def test_the_graph_reader_sees_a_planted_circle(tmp_path, monkeypatch):
    # the reader itself: two files importing each other (one lazily) are one circle
    pkg = tmp_path / "proofs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import g\n")
    (pkg / "b.py").write_text("def g():\n    from proofs.a import g\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGES", ("proofs",))
    assert import_circles() == [["proofs.a", "proofs.b"]]


def test_no_import_circle_between_files():
    assert import_circles() == []


LIGHT = ["import proofs.errors", "import proofs.shell", "import numeric", "import numeric.cli",
         "from numeric import integrated_gradients, IntegratedGradients, NoiseTunnel, "
         "exact_integrated_gradients, conductance"]


def test_light_imports_load_neither_sympy_nor_matplotlib():
    # one fresh interpreter, each statement checked as it runs: an import only adds modules,
    # so a statement that loads sympy or matplotlib is caught (and named) just as it would be
    # alone
    code = "\n".join(f"{statement}\n"
                     f"heavy = [m for m in ('sympy', 'matplotlib') if m in sys.modules]\n"
                     f"assert not heavy, ({statement!r}, heavy)"
                     for statement in ["import sys", *LIGHT])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]


def test_import_numeric_without_torch_works_and_names_say_how_to_install():
    code = ("import sys; sys.modules['torch'] = None; import numeric\n"
            "try:\n    numeric.integrated_gradients\n"
            "except ImportError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "pip install torch" in done.stdout


def test_a_function_named_like_its_module_stays_the_function():
    import proofs.conductance  # noqa: F401  (binds the module on the package, normally)
    import proofs.plot  # noqa: F401
    from proofs import conductance, plot

    assert callable(conductance) and callable(plot)
    assert conductance.__module__ == "proofs.conductance" and plot.__module__ == "proofs.plot"


MAINS = ["proofs", "axioms", "numeric", "counterexamples", "course"]


@pytest.mark.parametrize("package", MAINS)
def test_help_exits_0_everywhere(package, run_main):
    # in this process; the real `python -m PACKAGE` of each is the usage-error test below
    done = run_main(package, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m " + package)


@pytest.mark.parametrize("package, argv", [
    ("proofs", ["frobnicate"]),
    ("axioms", ["check"]),
    ("numeric", ["frobnicate"]),
    ("counterexamples", ["--frobnicate"]),
    ("course", ["build", "--frobnicate"]),
])
def test_usage_errors_are_one_line_exit_2_everywhere(package, argv):
    # a real process: `python -m PACKAGE` imports, runs main and exits with its status
    done = subprocess.run([sys.executable, "-m", package, *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_every_main_runs_through_the_one_shell():
    # each command line takes its parser and its error handling from proofs/shell.py
    for path in ["proofs/cli.py", "axioms/__main__.py", "numeric/cli.py",
                 "counterexamples/__main__.py", "course/__main__.py", "course/build.py"]:
        text = (ROOT / path).read_text(encoding="utf-8")
        assert "proofs.shell import" in text or "from .shell import" in text, path
        assert "argparse.ArgumentParser(" not in text, path
        assert "except IGVerifyError" not in text, path


def test_a_closed_pipe_ends_quietly():
    # the reader went away (`| head`): the shell stops with status 0 and no traceback
    code = ("import os, sys\n"
            "from proofs.shell import run\n"
            "r, w = os.pipe(); os.close(r); os.dup2(w, 1)\n"
            "def main(argv):\n"
            "    print('x' * 200000); sys.stdout.flush(); return 0\n"
            "sys.stderr.write(f'status {run(main)}\\n')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.stderr == "status 0\n", done.stderr


def test_progress_shows_on_a_terminal_only(capsys, monkeypatch):
    from proofs.shell import Progress

    with Progress(total=3, desc="quiet") as bar:  # pytest's stderr is not a terminal
        bar.update(3)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with Progress(total=3, desc="shown") as bar:
        bar.update(3, regions=7)
    err = capsys.readouterr().err
    assert "shown" in err and "0/3" in err


def test_the_exact_walk_shows_progress_on_a_terminal(capsys, monkeypatch):
    import torch

    from numeric import exact_integrated_gradients

    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    x = torch.tensor([[1.0, -2.0]])
    exact_integrated_gradients(net, x)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    exact_integrated_gradients(net, x)
    assert "exact walk" in capsys.readouterr().err


@pytest.mark.parametrize("package", ["proofs", "numeric", "axioms"])
def test_every_public_name_resolves(package):
    # the lazy packages list each public name with its module: a name added to __all__ but
    # not to the table (or the other way round) fails here
    import importlib

    module = importlib.import_module(package)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []
    table = getattr(module, "_lazy_names", {})
    assert set(table) <= set(module.__all__), set(table) - set(module.__all__)


def test_numeric_help_works_without_torch():
    """`python -m numeric attribute --help` needs no torch; running a command says how to
    install it, in one line, exit 2."""
    hide = "import sys; sys.modules['torch'] = None; sys.argv = ['numeric'] + sys.argv[1:]; "
    run_cli = hide + "import runpy; runpy.run_module('numeric', run_name='__main__')"
    for args, code in ((["--help"], 0), (["attribute", "--help"], 0),
                       (["crosscheck", "--quick"], 2)):
        done = subprocess.run([sys.executable, "-c", run_cli, *args], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        assert done.returncode == code, (args, done.stderr[-1500:])
        if code == 2:
            assert "pip install torch" in done.stderr and "Traceback" not in done.stderr
