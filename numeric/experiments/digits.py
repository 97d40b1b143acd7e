"""The App. M network of Lundstrom, Huang & Razaviyayn (2022) on scikit-learn's 8x8 digits.

Their Fashion-MNIST model (28x28) is conv 5x5x5 + tanh, 2x2 max-pool, conv 5x5x10 + tanh, 2x2
max-pool, dense 160 + tanh, dense 64 + tanh, softmax over 10 classes. On 8x8 images the two
convolutions are padded by 2 (8x8 -> 8x8 -> pool 4x4 -> 4x4 -> pool 2x2, 40 features), and
the rest is theirs. :func:`appm_net` builds it with tanh or with ReLU (the twin on which the
exact method applies to the logits). :func:`trained_net` trains it with Adam on a fixed
stratified split, deterministically (seeded, deterministic algorithms, one thread), and keeps
the weights in a cache directory (default ``~/.cache/igverify/prune``; never in the checkout)
as safetensors files (never pickle: loading a cache runs no code). A cache file that is
unreadable, of other settings or of another architecture is not used: a warning names it and
the network is trained again.

>>> net = appm_net("relu")
>>> [name for name, _ in net.named_children()][-4:]
['fc2', 'act4', 'fc3', 'softmax']
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .._torch import torch
from ..errors import ArgumentError

nn = torch.nn

__all__ = ["CacheIgnored", "DigitsSplit", "TrainSettings", "appm_net", "default_cache_dir",
           "digits_split", "load_weights", "save_weights", "single_thread", "trained_net"]

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
#: the format tag in a cache file's safetensors metadata
CACHE_FORMAT = "igverify-prune-weights/1"


class CacheIgnored(UserWarning):
    """A warning: a cached weights file could not be used (unreadable, of other settings or of
    another architecture); the network is trained again and the file replaced."""


def appm_net(activation: str = "tanh") -> nn.Sequential:
    """The App. M architecture for 1x8x8 inputs; ends in a softmax (outputs are confidences)."""
    if activation not in ACTIVATIONS:
        raise ArgumentError(f"unknown activation {activation!r}; choose tanh or relu")
    act = ACTIVATIONS[activation]
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 5, 5, padding=2)), ("act1", act()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(5, 10, 5, padding=2)), ("act2", act()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(40, 160)), ("act3", act()),
        ("fc2", nn.Linear(160, 64)), ("act4", act()),
        ("fc3", nn.Linear(64, 10)), ("softmax", nn.Softmax(dim=1)),
    ]))


@dataclass(frozen=True)
class DigitsSplit:
    """Images (N, 1, 8, 8) in [0, 1], float64, and labels; a stratified train/test split."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def digits_split(test_fraction: float = 0.4, seed: int = 0) -> DigitsSplit:
    """A stratified split of the 1797 digits: per class, ``test_fraction`` of the images (in
    a seeded random order) go to the test set.

    >>> s = digits_split()
    >>> tuple(s.x_train.shape), tuple(s.x_test.shape)
    ((1078, 1, 8, 8), (719, 1, 8, 8))
    """
    from ..models import digits_data

    x, y = digits_data()
    gen = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in range(10):
        idx = (y == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=gen)]
        k = int(round(test_fraction * len(idx)))
        test.append(idx[:k])
        train.append(idx[k:])
    tr, te = torch.cat(train).sort().values, torch.cat(test).sort().values
    images = x.reshape(-1, 1, 8, 8)
    return DigitsSplit(images[tr], y[tr], images[te], y[te])


@dataclass(frozen=True)
class TrainSettings:
    """How a network is trained: Adam, mini-batches in a seeded order, ``epochs`` passes."""

    activation: str = "tanh"
    seed: int = 0
    epochs: int = 60
    batch: int = 32
    lr: float = 3e-3
    train_limit: int | None = None  # use only the first images of the training set (quick runs)

    def key(self) -> str:
        text = json.dumps({**self.__dict__, "torch": torch.__version__.split("+")[0],
                           "arch": "appm-8x8-v2"}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    """``$IGVERIFY_CACHE`` or ``~/.cache/igverify``, with ``prune`` below it."""
    root = os.environ.get("IGVERIFY_CACHE") or os.path.join(os.path.expanduser("~"), ".cache",
                                                            "igverify")
    return Path(root) / "prune"


@contextlib.contextmanager
def single_thread():
    """One torch thread and deterministic algorithms inside the block; both restored after."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(threads)


def _train(settings: TrainSettings, data: DigitsSplit) -> nn.Sequential:
    from ..models import seeded

    gen = torch.Generator().manual_seed(settings.seed)
    net = seeded(appm_net(settings.activation), settings.seed)
    x, y = data.x_train.float(), data.y_train
    if settings.train_limit is not None:
        x, y = x[:settings.train_limit], y[:settings.train_limit]
    logits = net[:-1]
    opt = torch.optim.Adam(net.parameters(), lr=settings.lr)
    for _ in range(settings.epochs):
        order = torch.randperm(len(x), generator=gen)
        for b0 in range(0, len(x), settings.batch):
            idx = order[b0:b0 + settings.batch]
            opt.zero_grad()
            nn.functional.cross_entropy(logits(x[idx]), y[idx]).backward()
            opt.step()
    return net


def save_weights(net: nn.Module, path: str | Path, key: str) -> None:
    """Write ``net``'s weights to ``path`` as safetensors (``key`` in the metadata), atomically:
    a reader sees the whole file or none."""
    from safetensors.torch import save_file

    path = Path(path)
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        save_file(state, str(tmp), metadata={"format": CACHE_FORMAT, "key": key})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_weights(net: nn.Module, path: str | Path, key: str) -> None:
    """Load weights written by :func:`save_weights` into ``net`` (safetensors only, nothing
    unpickled); raise ``ValueError`` saying why when the file is unreadable, carries another
    key, or does not fit ``net`` (names, shapes, dtypes).

    >>> import tempfile
    >>> a, b = appm_net("relu"), appm_net("relu")
    >>> path = Path(tempfile.mkdtemp()) / "w.safetensors"
    >>> save_weights(a, path, "k1")
    >>> load_weights(b, path, "k1")
    >>> all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    True
    >>> load_weights(b, path, "k2")
    Traceback (most recent call last):
    ...
    ValueError: it holds weights of other settings (key k1, expected k2)
    """
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"it is not a readable safetensors file ({exc})") from None
    if meta.get("format") != CACHE_FORMAT:
        raise ValueError(f"it is not an igverify weights file (format {meta.get('format')!r})")
    if meta.get("key") != key:
        raise ValueError(f"it holds weights of other settings (key {meta.get('key')}, "
                         f"expected {key})")
    state = net.state_dict()
    if sorted(tensors) != sorted(state):
        raise ValueError(f"its tensors {sorted(tensors)} are not the network's {sorted(state)}")
    for name, want in state.items():
        got = tensors[name]
        if got.shape != want.shape or got.dtype != want.dtype:
            raise ValueError(f"{name} is {got.dtype} {tuple(got.shape)}, the network needs "
                             f"{want.dtype} {tuple(want.shape)}")
    net.load_state_dict(tensors)


def trained_net(settings: TrainSettings, data: DigitsSplit,
                cache_dir: str | Path | None = None) -> tuple[nn.Sequential, bool]:
    """The trained network in float64 and eval mode, and whether it came from the cache.

    ``cache_dir`` None uses :func:`default_cache_dir`; weights are stored as safetensors under
    a key made of the settings and the torch version, written atomically. A cache file that
    cannot be used is named in a :class:`CacheIgnored` warning, and replaced.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = settings.key()
    path = folder / f"appm_{settings.activation}_{key}.safetensors"
    net = appm_net(settings.activation)
    cached = False
    if path.is_file():
        try:
            load_weights(net, path, key)
            cached = True
        except ValueError as exc:  # a stale or broken file: train again
            warnings.warn(f"cached weights {path} not used: {exc}; training again",
                          CacheIgnored, stacklevel=2)
    if not cached:
        with single_thread():
            net = _train(settings, data)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            save_weights(net, path, key)
        except OSError:  # an unwritable cache only costs the training time next run
            pass
    net = net.double().eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net, cached
