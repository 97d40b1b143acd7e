"""Test configuration: hypothesis is derandomized in CI, so a run is reproducible there.

Locally every run explores new examples (and keeps failures in .hypothesis/); with CI set
the same examples are drawn every time, so a submission cannot fail by chance.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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
