"""Import PyTorch for numeric/, or fail with one line that says how to install it."""

from __future__ import annotations

from proofs.errors import MissingDependencyError

try:
    import torch
except ImportError as exc:  # exercised by tests/test_shell.py with torch hidden
    raise MissingDependencyError(
        "numeric/ needs PyTorch: pip install torch==2.13.0 (CPU build; see pyproject.toml)"
    ) from exc

__all__ = ["torch"]
