"""Test configuration: hypothesis is derandomized in CI, so a run is reproducible there.

Locally every run explores new examples (and keeps failures in .hypothesis/); with CI set
the same examples are drawn every time, so a submission cannot fail by chance. Nowhere does an
example fail for its time (no deadline, no too-slow health check): a test asserts numbers,
never durations, and the machines running the suite are shared and loaded.
"""

import contextlib
import importlib
import io
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("igverify", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", settings.get_profile("igverify"), derandomize=True,
                          database=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "igverify")


@pytest.fixture
def one_thread():
    """One torch thread for the test: on a shared 2-core machine two spinning threads per
    process stall. Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def counterexample_runs():
    """Every counterexample computed once per test run: name -> (its Result, the exact
    engines' Attributions made while computing it)."""
    import counterexamples
    import proofs.engines

    made: list = []
    run = proofs.engines._Engine.run

    def recording(self):
        result = run(self)
        made.append(result)
        return result

    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(proofs.engines._Engine, "run", recording)
        for ce in counterexamples.all_counterexamples():
            start = len(made)
            out[ce.name] = (ce.compute(), made[start:])
    return out


@pytest.fixture(scope="session")
def counterexample_figures(tmp_path_factory):
    """Every counterexample's figure drawn once per test run: name -> (the PNG, every text
    on the figure: titles, axis labels, legend entries, annotations)."""
    from matplotlib.text import Text

    import counterexamples
    import counterexamples.figures as figures

    texts: dict = {}
    save = figures.save

    def recording(fig, path):
        texts[path.stem] = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        return save(fig, path)

    directory = tmp_path_factory.mktemp("figures")
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "save", recording)
        for ce in counterexamples.all_counterexamples():
            png = ce.figure(directory)
            out[ce.name] = (png, texts.get(ce.name, []))
    return out


#: the ``main(argv)`` of each ``python -m PACKAGE`` (what its ``__main__`` runs)
MAINS = {"proofs": "proofs.cli", "axioms": "axioms.__main__", "numeric": "numeric.cli",
         "counterexamples": "counterexamples.__main__", "course": "course.__main__"}


def _run_main(package: str, *args: str) -> subprocess.CompletedProcess:
    """``python -m PACKAGE ARGS`` run in this process: its ``main(argv)`` with stdout and
    stderr captured and ``SystemExit`` (argparse) turned into the exit status, as a
    ``CompletedProcess``. A subprocess costs a Python start and the imports (1.5-2 s with
    torch); each entry point keeps at least one real subprocess test for what only that
    shows (the exit status of the process, the imports of a fresh interpreter)."""
    main = importlib.import_module(MAINS[package]).main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # as the interpreter would exit
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                err.write(f"{exc.code}\n")
    return subprocess.CompletedProcess([sys.executable, "-m", package, *args], code,
                                       out.getvalue(), err.getvalue())


@pytest.fixture
def run_main():
    """:func:`_run_main`: ``run_main("proofs", "attribute", "x1*x2", "--input", "1,1")``."""
    return _run_main
