"""Import PyTorch for numeric/, or fail with one line that says how to install it."""

from __future__ import annotations

import warnings

from proofs.errors import MissingDependencyError

try:
    import torch
except ImportError as exc:  # exercised by tests/test_shell.py with torch hidden
    raise MissingDependencyError(
        "numeric/ needs PyTorch: pip install torch==2.13.0 (CPU build; see pyproject.toml)"
    ) from exc

__all__ = ["quiet_forward_ad", "torch"]


def quiet_forward_ad() -> None:
    """Load torch's forward-mode decompositions now, with the DeprecationWarning their loading
    raises (they call torch.jit.script; torch 2.13) silenced: torch loads them at the first
    ``make_dual`` of a process, and a caller who runs with warnings as errors would otherwise
    get torch's warning as an error from inside our walk. Loading twice is a no-op.

    >>> quiet_forward_ad()
    """
    load = getattr(torch.autograd.forward_ad, "_maybe_load_decompositions", None)
    if load is None:  # a torch without the lazy load: nothing to silence
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        load()
