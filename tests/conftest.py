"""Test configuration: hypothesis is derandomized in CI, so a run is reproducible there.

Locally every run explores new examples (and keeps failures in .hypothesis/); with CI set
the same examples are drawn every time, so a submission cannot fail by chance.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
