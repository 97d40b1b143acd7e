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
