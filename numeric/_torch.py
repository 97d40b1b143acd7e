"""Import PyTorch for numeric/, or fail with one line that says how to install it."""

from __future__ import annotations

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised only without torch
    raise ImportError(
        "numeric/ needs PyTorch: pip install torch==2.13.0 (CPU build; see pyproject.toml)"
    ) from exc

__all__ = ["torch"]
