"""Networks the cross-check and the benchmark run on: random MLPs, a small CNN, a ResNet-50,
a 64-32-10 ReLU network trained on scikit-learn's digits data set, and a small transformer
encoder (GELU, softmax attention, LayerNorm).

>>> net = random_mlp(8, 16, 1, activation="relu", seed=0)
>>> [type(m).__name__ for m in net]
['Linear', 'ReLU', 'Linear']
"""

from __future__ import annotations

import copy
from functools import lru_cache

from ._torch import torch
from .errors import ArgumentError
from .layers import Residual

nn = torch.nn

__all__ = ["TinyEncoder", "digits_cnn", "digits_data", "digits_mlp", "random_mlp", "resnet50",
           "seeded", "small_cnn", "tiny_encoder"]

_ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.125), "tanh": nn.Tanh,
                "sigmoid": nn.Sigmoid, "softplus": nn.Softplus}


def random_mlp(n_in: int, hidden: int, n_out: int, activation: str = "relu", seed: int = 0,
               layers: int = 1, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """A random MLP n_in -> hidden (x layers) -> n_out with the named activation."""
    if activation not in _ACTIVATIONS:
        raise ArgumentError(f"unknown activation {activation!r}; choose one of "
                            f"{', '.join(_ACTIVATIONS)}")
    gen = torch.Generator().manual_seed(seed)
    mods: list[nn.Module] = []
    width = n_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), _ACTIVATIONS[activation]()]
        width = hidden
    mods.append(nn.Linear(width, n_out))
    net = nn.Sequential(*mods).to(dtype)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=dtype) / max(1, p.shape[-1]) ** 0.5)
    return net.eval()


def seeded(net: nn.Module, seed: int) -> nn.Module:
    """``net`` with every Linear and Conv layer drawn afresh from its own ``torch.Generator``
    seeded with ``seed``: PyTorch's default distribution (weights and biases uniform on
    +-1/sqrt(fan_in)), reproducible, and torch's global random state is left alone.

    >>> a = seeded(nn.Linear(3, 2), 0); b = seeded(nn.Linear(3, 2), 0)
    >>> bool(torch.equal(a.weight, b.weight)), float(a.weight.detach().abs().max()) <= 3 ** -0.5
    (True, True)
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for mod in net.modules():
            if isinstance(mod, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                bound = mod.weight[0].numel() ** -0.5
                mod.weight.uniform_(-bound, bound, generator=gen)
                if mod.bias is not None:
                    mod.bias.uniform_(-bound, bound, generator=gen)
    return net


def small_cnn(channels: int = 3, size: int = 32, classes: int = 10, seed: int = 0) -> nn.Sequential:
    """Two 3x3 convs with ReLU and 2x2 max-pool, then a linear layer (the CPU bench's CNN)."""
    return seeded(nn.Sequential(
        nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, classes),
    ), seed).eval()


def _bottleneck(cin: int, width: int, stride: int) -> nn.Sequential:
    cout = 4 * width
    shortcut = None
    if stride != 1 or cin != cout:
        shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                 nn.BatchNorm2d(cout))
    body = nn.Sequential(
        nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
        nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(width),
        nn.ReLU(), nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout),
    )
    return nn.Sequential(Residual(body, shortcut=shortcut), nn.ReLU())


def resnet50(classes: int = 1000, width: int = 64, blocks: tuple[int, ...] = (3, 4, 6, 3),
             seed: int = 0) -> nn.Sequential:
    """ResNet-50 (torchvision's layout: bottlenecks 3-4-6-3, 25.6 M parameters at width 64)
    built from nn.Sequential and numeric.Residual, so method='exact' can walk it too."""
    mods: list[nn.Module] = [nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False),
                             nn.BatchNorm2d(width), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    cin = width
    for stage, count in enumerate(blocks):
        w = width * 2 ** stage
        for i in range(count):
            mods.append(_bottleneck(cin, w, 2 if (i == 0 and stage > 0) else 1))
            cin = 4 * w
    mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return seeded(nn.Sequential(*mods), seed).eval()


def digits_data() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's digits (1797 8x8 images, pixels scaled to [0, 1]) as float64 tensors
    (fresh copies: changing them changes nobody else's)."""
    x, y = _digits()
    return x.clone(), y.clone()


@lru_cache(maxsize=1)
def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover
        raise ImportError("the digits network needs scikit-learn: pip install scikit-learn") \
            from exc
    data = load_digits()
    return (torch.tensor(data.data / 16.0, dtype=torch.float64),
            torch.tensor(data.target, dtype=torch.long))


def digits_mlp(seed: int = 0, epochs: int = 150) -> nn.Sequential:
    """A 64-32-10 ReLU MLP trained full-batch with Adam (float32, under a second on a CPU) on
    the first 1500 digits, returned in float64 and eval mode; ~90 % accurate on the other 297.
    Trained once per process; each call returns its own copy.
    """
    return copy.deepcopy(_digits_mlp(seed, epochs))


@lru_cache(maxsize=2)
def _digits_mlp(seed: int, epochs: int) -> nn.Module:
    net = seeded(nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)), seed)
    return _train_on_digits(net, (64,), epochs)


def _train_on_digits(net: nn.Module, shape: tuple[int, ...], epochs: int) -> nn.Module:
    """Full-batch Adam (lr 0.02, float32) on the first 1500 digits reshaped to ``shape``;
    the trained network comes back in float64, frozen, in eval mode."""
    x, y = digits_data()
    x = x.float().reshape(-1, *shape)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(epochs):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x[:1500]), y[:1500])
        loss.backward()
        opt.step()
    net = net.double()
    for p in net.parameters():
        p.requires_grad_(False)
    return net.eval()


def digits_cnn(seed: int = 0, epochs: int = 60) -> nn.Sequential:
    """A small CNN on scikit-learn's digits (1x8x8): conv 8 -> ReLU -> 2x2 max-pool -> conv 16
    -> ReLU -> 2x2 max-pool -> linear 10, trained full-batch with Adam (float32, a few seconds
    on a CPU) on the first 1500 digits, returned in float64 and eval mode.

    Trained once per process; each call returns its own copy.

    >>> digits_cnn()(digits_data()[0][:2].reshape(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """
    return copy.deepcopy(_digits_cnn(seed, epochs))


@lru_cache(maxsize=2)
def _digits_cnn(seed: int, epochs: int) -> nn.Module:
    net = seeded(nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Linear(16 * 2 * 2, 10)), seed)
    return _train_on_digits(net, (1, 8, 8), epochs)


class _EncoderBlock(nn.Module):
    """Pre-LayerNorm transformer encoder block: softmax self-attention and a GELU MLP."""

    def __init__(self, d: int, heads: int, ff: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.ff1, self.ff2 = nn.Linear(d, ff), nn.Linear(ff, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        n, length, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = (u.reshape(n, length, self.heads, -1).transpose(1, 2) for u in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
        x = x + self.out((att @ v).transpose(1, 2).reshape(n, length, d))
        return x + self.ff2(nn.functional.gelu(self.ff1(self.ln2(x))))


class TinyEncoder(nn.Module):
    """A small transformer encoder on token embeddings (N, length, d): ``layers`` pre-LN blocks
    (softmax attention with ``heads`` heads, GELU MLP of width ``ff``), a final LayerNorm, mean
    pooling and a linear head. Smooth everywhere (no kinks). Random weights from ``seed``."""

    def __init__(self, d: int = 16, heads: int = 2, ff: int = 32, layers: int = 2,
                 classes: int = 3, seed: int = 0) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(_EncoderBlock(d, heads, ff) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)
        seeded(self, seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x).mean(1))


def tiny_encoder(seed: int = 0, **sizes: int) -> TinyEncoder:
    """A :class:`TinyEncoder` (defaults: d 16, 2 heads, MLP 32, 2 blocks, 3 classes) in float64,
    frozen, in eval mode.

    >>> tiny_encoder()(torch.zeros(2, 8, 16, dtype=torch.float64)).shape
    torch.Size([2, 3])
    """
    net = TinyEncoder(seed=seed, **sizes).double().eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net
