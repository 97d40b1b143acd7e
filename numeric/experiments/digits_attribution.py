"""Factories for ``python -m numeric attribute`` on scikit-learn's digits: the trained digits
CNN of :func:`numeric.models.digits_cnn` and the 297 held-out digits.

    torchrun --nproc-per-node 2 -m numeric attribute \\
        --model numeric.experiments.digits_attribution:model \\
        --data numeric.experiments.digits_attribution:data --out runs/digits

The network is trained in every process with one thread and deterministic algorithms, so all
ranks (and a later resume) hold the same weights, bit for bit.

>>> len(data()), tuple(data()[0][0].shape)
(297, (1, 8, 8))
"""

from __future__ import annotations

from .._torch import torch
from ..models import digits_cnn, digits_data
from .digits import single_thread

__all__ = ["data", "model"]


def model() -> torch.nn.Module:
    """The digits CNN (1x8x8 -> 10 logits, float64), trained on the first 1500 digits."""
    with single_thread():
        return digits_cnn()


def data() -> torch.utils.data.TensorDataset:
    """The 297 digits the CNN was not trained on: (image 1x8x8 float64 in [0, 1], label)."""
    x, y = digits_data()
    return torch.utils.data.TensorDataset(x[1500:].reshape(-1, 1, 8, 8), y[1500:])
