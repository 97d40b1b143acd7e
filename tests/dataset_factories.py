"""Factories for the tests of ``python -m numeric attribute`` (tests/test_numeric_dataset.py):
a tiny float64 ReLU network with 3 outputs and 40 labelled examples of 4 features, and broken
variants. With ``IGVERIFY_TEST_KILL=RANK:ITEM`` in the environment, :func:`data` SIGKILLs the
process of that rank when it reads that item (a crash half-way through a run)."""

from __future__ import annotations

import os
import signal

import torch

from numeric.models import random_mlp

EXAMPLES = 40


def model() -> torch.nn.Module:
    return random_mlp(4, 8, 3, activation="relu", seed=3)


def rank_model() -> torch.nn.Module:
    """A different network in every process: a factory that is not deterministic."""
    return random_mlp(4, 8, 3, activation="relu", seed=3 + int(os.environ.get("RANK", "0")))


def dropout_model() -> torch.nn.Module:
    return torch.nn.Sequential(model(), torch.nn.Dropout(0.5))


def inputs() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(7)
    x = torch.rand(EXAMPLES, 4, generator=gen, dtype=torch.float64) * 2 - 0.5
    y = torch.randint(0, 3, (EXAMPLES,), generator=gen)
    return x, y


class _Data(torch.utils.data.Dataset):
    def __init__(self, bad_item: int | None = None) -> None:
        self.x, self.y = inputs()
        self.bad_item = bad_item
        kill = os.environ.get("IGVERIFY_TEST_KILL")
        rank, item = (int(v) for v in kill.split(":")) if kill else (None, None)
        self.kill_item = item if rank == int(os.environ.get("RANK", "0")) else None

    def __len__(self) -> int:
        return EXAMPLES

    def __getitem__(self, i: int):
        if i == self.kill_item:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == self.bad_item:
            return self.x[i, :3], self.y[i]
        return self.x[i], self.y[i]


def data() -> torch.utils.data.Dataset:
    return _Data()


def bad_shape_data() -> torch.utils.data.Dataset:
    """Item 12 has 3 features instead of 4 (an item the data's fingerprint does not read, so
    the run stops there, after writing the chunks before it)."""
    return _Data(bad_item=12)


def bad_late_data() -> torch.utils.data.Dataset:
    """Item 27 (rank 1's share in a 2-rank run; not read for the fingerprint) has 3
    features."""
    return _Data(bad_item=27)


def unlabelled() -> torch.utils.data.Dataset:
    return torch.utils.data.TensorDataset(inputs()[0])


def broken() -> torch.nn.Module:
    raise RuntimeError("no weights here")


not_a_function = 3


def nan_model() -> torch.nn.Module:
    """Gives NaN on example 5 (its first feature is set to 0.123 by :func:`nan_data`)."""
    class NanAt(torch.nn.Module):
        def forward(self, x):
            out = model()(x)
            return torch.where((x[:, :1] == 0.123), torch.nan, out)
    return NanAt()


def nan_data() -> torch.utils.data.Dataset:
    x, y = inputs()
    x[5, 0] = 0.123
    return torch.utils.data.TensorDataset(x, y)


def tanh_model() -> torch.nn.Module:
    """A smooth network (the adaptive integrator's case when a tolerance is given)."""
    return random_mlp(4, 8, 3, activation="tanh", seed=3)


def small_data() -> torch.utils.data.Dataset:
    """The first 4 examples of :func:`data`."""
    x, y = inputs()
    return torch.utils.data.TensorDataset(x[:4], y[:4])


def baseline() -> torch.Tensor:
    return torch.linspace(-1, 1, 4, dtype=torch.float64)
