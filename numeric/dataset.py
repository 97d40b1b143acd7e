"""Integrated gradients of a whole dataset, sharded over torch.distributed ranks, resumable.

:func:`attribute_dataset` runs in one process or under ``torchrun`` (one rank per process;
gloo on CPU, NCCL on CUDA, the device chosen per rank). The examples are cut into chunks at
fixed boundaries (multiples of ``batch_size``, whatever the number of processes); each rank
takes a contiguous run of the chunks still to do, so every example is computed exactly once
(no sampler padding) and each chunk is computed the same way by any rank, in any run. Each
chunk is written as a safetensors file under a temporary name and renamed when complete
(:mod:`numeric.attribution_store`), so a run killed at any point (SIGKILL of any rank) is
continued by the same call from the last complete chunk, with the same bits as a run that was
never interrupted; a directory holding a run with another configuration is refused, naming
the difference, unless ``overwrite=True``, and so is a resume over data that changed (each
chunk records the hash of its inputs). A rank that does not join, dies, hangs or fails is
named by the ranks waiting for it, after at most ``timeout`` seconds of its silence.
:func:`summarize` gives the end summary.

>>> import tempfile, torch
>>> from numeric.attribution_store import load_attributions
>>> data = torch.utils.data.TensorDataset(torch.rand(5, 3, dtype=torch.float64))
>>> model = torch.nn.Linear(3, 1).double()
>>> report = attribute_dataset(model, data, tempfile.mkdtemp(), steps=4, batch_size=2)
>>> report.computed, len(load_attributions(report.out_dir)["index"])
(5, 5)
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import math
import os
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np

from proofs.shell import Progress

from ._torch import torch
from .attribution_store import (
    DEFAULT_TIMEOUT,
    MANIFEST,
    chunk_inputs,
    chunk_name,
    config_difference,
    config_hash,
    done_chunks,
    load_attributions,
    plan_chunks,
    rank_share,
    read_manifest,
    write_chunk,
    write_manifest,
)
from .errors import ArgumentError, DimensionError, IGVerifyError, ToleranceNotReached
from .integrated import integrated_gradients
from .quadrature import METHODS

__all__ = ["DEFAULT_TIMEOUT", "RankAborted", "RankLost", "RunReport", "TARGETS",
           "attribute_dataset", "summarize"]

#: the target choices besides an output index
TARGETS = ("auto", "label", "predicted", "none")


class RankAborted(IGVerifyError):
    """Raised on ranks other than 0 when rank 0 refused the run (rank 0 says why)."""


class RankLost(IGVerifyError):
    """A rank did not join the run, failed, or fell silent (no heartbeat for ``timeout``
    seconds): named by every rank that waited for it, instead of waiting forever."""


@dataclass(frozen=True)
class RunReport:
    """What one call of :func:`attribute_dataset` did: examples in the dataset, computed now
    (all ranks), already there (resumed), and per rank the examples it computed, its seconds
    and its device."""

    out_dir: str
    examples: int
    computed: int
    resumed: int
    seconds: float
    ranks: list[dict] = field(default_factory=list)
    rank: int = 0
    world_size: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Options:
    """The settings of one run (see :func:`attribute_dataset`)."""

    method: str
    steps: int
    target: object
    baseline: object
    batch_size: int
    points_per_pass: int | None
    tolerance: float | None
    dtype: torch.dtype | None
    overwrite: bool
    progress: bool | None
    model_name: str | None
    data_name: str | None
    workers: int


@dataclass(frozen=True)
class _Spec:
    """What the probe of item 0 fixed: input shape and dtype, device, target rule, outputs
    per example, baseline."""

    shape: tuple
    dtype: torch.dtype
    device: torch.device
    rule: object
    outputs: tuple
    baseline: object


# ------------------------------------------------------------------------------ arguments


def _split_item(item: object, index: int, shape: tuple | None = None
                ) -> tuple[torch.Tensor, int | None]:
    """(input tensor, label or None) of one dataset item: a tensor / array, or a pair; with
    ``shape`` (item 0's), an input of another shape is refused."""
    label = None
    if isinstance(item, (tuple, list)):
        if len(item) == 1:
            item = item[0]
        elif len(item) == 2:
            item, label = item
        else:
            raise DimensionError(f"dataset item {index} is a sequence of {len(item)}; give an "
                                 "input or an (input, label) pair")
    if isinstance(item, np.ndarray):
        item = torch.from_numpy(item)
    if not isinstance(item, torch.Tensor):
        raise ArgumentError(f"dataset item {index} is a {type(item).__name__}; give a tensor "
                            "or an (input tensor, label) pair")
    if label is not None:
        if isinstance(label, (torch.Tensor, np.ndarray)) and label.reshape(-1).shape[0] == 1:
            label = label.item()
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
            raise ArgumentError(f"dataset item {index} has label {label!r}; a label must be "
                                "an integer class index")
        label = int(label)
    if shape is not None and tuple(item.shape) != shape:
        raise DimensionError(f"dataset item {index} has shape {tuple(item.shape)}, item 0 has "
                             f"{shape}; every input needs the same shape")
    return item, label


def _digest(*tensors: torch.Tensor) -> str:
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _model_digest(model: Callable) -> str | None:
    if not isinstance(model, torch.nn.Module):
        return None
    state = model.state_dict()
    return _digest(*[state[k] for k in sorted(state)]) if state else None


def _versions() -> dict:
    from importlib import metadata

    out = {"torch": torch.__version__}
    for name in ("igverify", "safetensors"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".write-test.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ArgumentError(f"cannot write to {folder}: {exc.strerror or exc}; choose a "
                            "writable output directory") from None


def _clear(folder: Path, manifest: dict | None) -> None:
    """Remove a previous run's files (manifest, chunks, summary) and nothing else."""
    names = {c["file"] for c in manifest["chunks"]} if manifest else set()
    for path in folder.iterdir():
        if (path.name in names or path.name == MANIFEST or path.name.startswith("chunk-")
                or path.name.startswith("summary.")):
            path.unlink()


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files of killed writers (never renamed, so never part of the run)."""
    for path in folder.glob(".*.tmp"):
        if path.name.startswith((".chunk-", f".{MANIFEST}")):
            path.unlink(missing_ok=True)


# -------------------------------------------------------------------------- distribution


class _Dist:
    """The torch.distributed group the run uses (None when one plain process).

    Outside torchrun this creates the group itself, on a TCP store that rank 0 holds, and
    names the ranks that do not join within ``timeout`` seconds. Every rank then beats a
    heartbeat into the store (a thread, every ``timeout / 5`` s at most 2 s), and every
    collective is preceded by a barrier over the store that waits as long as the missing
    ranks beat, so a rank that dies (or hangs) is named after ``timeout`` seconds of silence
    instead of leaving the others waiting forever; a rank that fails says so at once."""

    def __init__(self, device: torch.device | None, timeout: float) -> None:
        import torch.distributed as dist

        self.dist = dist if dist.is_available() else None
        self.timeout = timeout
        self.created = False
        self.store = None
        self.prefix = ""
        self._syncs = 0
        self._beat: tuple[threading.Event, threading.Thread] | None = None
        if self.dist is not None and not dist.is_initialized() \
                and int(os.environ.get("WORLD_SIZE", "1")) > 1:
            cuda = torch.cuda.is_available() and (device is None or device.type == "cuda")
            if cuda:  # NCCL needs each rank's device set before its first collective
                local = int(os.environ.get("LOCAL_RANK", "0"))
                torch.cuda.set_device(device if device is not None and device.index is not None
                                      else local % torch.cuda.device_count())
            self.store = self._create_group("nccl" if cuda else "gloo")
            self.created = True
        self.on = self.dist is not None and dist.is_initialized()
        self.rank = dist.get_rank() if self.on else 0
        self.world = dist.get_world_size() if self.on else 1
        self.local_rank = int(os.environ.get("LOCAL_RANK", self.rank if self.world > 1 else 0))
        nccl = self.on and dist.get_backend() == "nccl"
        self.comm = torch.device("cuda", torch.cuda.current_device()) if nccl else \
            torch.device("cpu")
        if self.on and self.store is None:
            try:  # torchrun's store (or the caller's group's)
                self.store = dist.distributed_c10d._get_default_store()
            except (AttributeError, RuntimeError):
                self.store = None
        if self.store is not None:
            # this call's keys: the ranks call attribute_dataset the same number of times
            self.prefix = f"igverify/call{self.store.add(f'igverify/calls/{self.rank}', 1)}"
            self._start_heartbeat()

    def _create_group(self, backend: str):
        """init_process_group with ``timeout``; outside torchrun on a store of ours, so that
        the ranks that do not join are named. The store (None under torchrun)."""
        dist = self.dist
        wait = timedelta(seconds=self.timeout)
        if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True":
            try:  # torchrun's agent holds the store and watches its workers
                dist.init_process_group(backend, timeout=wait)
            except RuntimeError as exc:
                raise RankLost(f"the process group did not form within {self.timeout:g} s: "
                               f"{_first_line(exc)}") from None
            return None
        rank, world = int(os.environ.get("RANK", "0")), int(os.environ["WORLD_SIZE"])
        addr = os.environ.get("MASTER_ADDR", "127.0.0.1")
        port = int(os.environ.get("MASTER_PORT", "29500"))
        try:
            store = dist.TCPStore(addr, port, world, rank == 0, wait, wait_for_workers=False)
        except RuntimeError as exc:
            raise RankLost(f"rank {rank} cannot reach rank 0 at {addr}:{port} within "
                           f"{self.timeout:g} s ({_first_line(exc)}); start rank 0 with the "
                           "same MASTER_ADDR and MASTER_PORT") from None
        store.set(f"igverify/joined/{rank}", "1")
        deadline = time.monotonic() + self.timeout
        while missing := [r for r in range(world)
                          if not store.check([f"igverify/joined/{r}"])]:
            if time.monotonic() > deadline:
                raise RankLost(f"{_ranks(missing)} of {world} did not join within "
                               f"{self.timeout:g} s; start every rank (RANK 0 to {world - 1}) "
                               f"with MASTER_ADDR {addr}, MASTER_PORT {port} and WORLD_SIZE "
                               f"{world}, or wait longer with --timeout")
            time.sleep(0.05)
        dist.init_process_group(backend, store=dist.PrefixStore("igverify/group", store),
                                rank=rank, world_size=world, timeout=wait)
        return store

    def _start_heartbeat(self) -> None:
        store, key = self.store, f"{self.prefix}/beat/{self.rank}"
        every = min(2.0, self.timeout / 5)
        stop = threading.Event()

        def beat() -> None:
            n = 0
            while True:
                n += 1
                try:
                    store.set(key, str(n))
                except RuntimeError:  # the store is gone: the run is over
                    return
                if stop.wait(every):
                    return

        thread = threading.Thread(target=beat, name="igverify-heartbeat", daemon=True)
        thread.start()
        self._beat = (stop, thread)

    def barrier(self, stage: str, while_waiting: Callable[[], None] | None = None) -> None:
        """Wait until every rank is here, naming a rank that fails or falls silent."""
        if not self.on or self.world == 1:
            return
        if self.store is None:  # no store to watch: the group's own timeout
            self.dist.barrier()
            return
        self._syncs += 1
        here = f"{self.prefix}/sync{self._syncs}"
        seen: dict[int, tuple[bytes, float]] = {}
        try:
            self.store.set(f"{here}/{self.rank}", stage)
            while missing := [r for r in range(self.world)
                              if not self.store.check([f"{here}/{r}"])]:
                now = time.monotonic()
                for r in missing:
                    failed = f"{self.prefix}/failed/{r}"
                    if self.store.check([failed]):
                        raise RankLost(f"rank {r} failed while the ranks {stage}: "
                                       f"{self.store.get(failed).decode()}")
                    key = f"{self.prefix}/beat/{r}"
                    beat = self.store.get(key) if self.store.check([key]) else b""
                    if r not in seen or seen[r][0] != beat:
                        seen[r] = (beat, now)
                    elif now - seen[r][1] > self.timeout:
                        raise RankLost(
                            f"rank {r} of {self.world} fell silent while the ranks {stage} "
                            f"(no heartbeat for {self.timeout:g} s): it died or hangs; the "
                            "complete chunks are kept, run the same command again to resume")
                if while_waiting is not None:
                    while_waiting()
                time.sleep(min(0.05, self.timeout / 20))
        except getattr(self.dist, "DistError", RuntimeError) as exc:
            raise RankLost(f"rank {self.rank} lost the run's store while the ranks {stage} "
                           f"({_first_line(exc)}): rank 0 died or hangs") from None

    def failed(self, exc: BaseException) -> None:
        """Tell the other ranks, waiting at a barrier, that this one stops (and why)."""
        if self.store is not None and self.world > 1 and not isinstance(exc, RankLost):
            try:
                self.store.set(f"{self.prefix}/failed/{self.rank}",
                               _first_line(exc) or type(exc).__name__)
            except RuntimeError:
                pass

    def broadcast(self, values: list[int], stage: str) -> list[int]:
        if not self.on:
            return values
        self.barrier(stage)
        t = torch.tensor(values, dtype=torch.int64, device=self.comm)
        self.dist.broadcast(t, 0)
        return t.tolist()

    def gather(self, values: list, stage: str, dtype: torch.dtype = torch.float64
               ) -> list[list]:
        if not self.on:
            return [values]
        self.barrier(stage)
        t = torch.tensor(values, dtype=dtype, device=self.comm)
        out = [torch.empty_like(t) for _ in range(self.world)]
        self.dist.all_gather(out, t)
        return [o.tolist() for o in out]

    def close(self) -> None:
        if self._beat is not None:
            stop, thread = self._beat
            stop.set()
            thread.join()
        if self.created:
            self.dist.destroy_process_group()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _ranks(ranks: list[int]) -> str:
    return ("rank " if len(ranks) == 1 else "ranks ") + ", ".join(map(str, ranks))


# ---------------------------------------------------------------------------------- run


def _target_rule(target: object, labelled: bool, outputs: tuple[int, ...]) -> object:
    """The per-example target rule: None, an output index, 'label' or 'predicted'."""
    per_example = int(np.prod(outputs)) if outputs else 1
    if isinstance(target, str):
        if target not in TARGETS:
            raise ArgumentError(f"target must be an output index or one of {', '.join(TARGETS)}"
                                f", got {target!r}")
        if target == "auto":
            target = "label" if labelled else "none"
        if target == "none":
            if per_example != 1:
                raise ArgumentError(
                    f"the model gives {per_example} outputs per example and the data has no "
                    "labels; choose one with --target N or --target predicted")
            return None
        if target == "label" and not labelled:
            raise ArgumentError("target 'label' needs a dataset of (input, label) pairs; this "
                                "one yields inputs only: use --target N or --target predicted")
        if len(outputs) != 1:
            raise DimensionError(f"target {target!r} needs a model output of shape (N, classes),"
                                 f" got (N, {', '.join(map(str, outputs))})")
        return target
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise ArgumentError(f"target must be an int or one of {', '.join(TARGETS)}, "
                            f"got {target!r}")
    if len(outputs) != 1 or not 0 <= int(target) < outputs[0]:
        raise ArgumentError(f"target {int(target)} is out of range for a model output of "
                            f"shape (N, {', '.join(map(str, outputs))})")
    return int(target)


def _error_support() -> bool:
    params = inspect.signature(integrated_gradients).parameters
    return "tolerance" in params and "return_error" in params


def attribute_dataset(model: Callable, dataset, out_dir: str | os.PathLike, *,
                      method: str = "gausslegendre", steps: int = 50, target: object = "auto",
                      baseline: float | torch.Tensor = 0.0, batch_size: int = 32,
                      points_per_pass: int | None = None, tolerance: float | None = None,
                      dtype: torch.dtype | None = None, overwrite: bool = False,
                      device: str | torch.device | None = None, progress: bool | None = None,
                      model_name: str | None = None, data_name: str | None = None,
                      workers: int = 0, timeout: float = DEFAULT_TIMEOUT) -> RunReport:
    """Integrated gradients of every example of ``dataset`` (a ``torch.utils.data.Dataset``
    of input tensors or (input, label) pairs), written to ``out_dir`` in chunks of
    ``batch_size`` examples; under ``torchrun`` the ranks share the chunks.

    ``target``: an output index, ``"label"`` (the dataset's labels), ``"predicted"`` (the
    model's argmax), ``"none"`` (one output per example) or ``"auto"`` (labels when the
    dataset has them, else none). ``baseline``: a number or a tensor shaped like one input.
    ``points_per_pass`` caps the points (steps x examples) per forward/backward pass.
    ``dtype``: the inputs' and the model's dtype (default: the model's floating-point
    parameters', else the data's); the model is copied when it must change device or dtype.
    ``device``: default ``cuda:LOCAL_RANK`` when CUDA is available, else the CPU.
    ``progress``: a tqdm bar on rank 0 (None: only on a terminal). ``model_name`` and
    ``data_name`` are recorded in the manifest (the CLI records the factories). ``workers``:
    DataLoader worker processes reading the items (0: read in this process). ``timeout``:
    seconds a rank waits for the others to join, and for a rank that has fallen silent (no
    heartbeat; a rank that is computing beats), before it stops with :class:`RankLost` naming
    that rank.

    The manifest records a fingerprint of the data (its length and evenly spaced items, read
    by every rank), and each chunk file the SHA-256 of the inputs (and labels) it attributed;
    a resumed run reads the items of the chunks already done (each rank a share) and refuses
    data that changed, naming the chunk and its examples.

    Returns a :class:`RunReport`; read the results with
    :func:`numeric.load_attributions`. Example: see the module docstring.
    """
    started = time.perf_counter()
    if method not in METHODS:
        raise ArgumentError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    for name, value, least in (("steps", steps, 1), ("batch_size", batch_size, 1),
                               ("workers", workers, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ArgumentError(f"{name} must be an int >= {least}, got {value!r}")
    if tolerance is not None:
        if not _error_support():
            raise ArgumentError("tolerance is not available: this version's "
                                "integrated_gradients has no error estimate; run without it")
        if not (isinstance(tolerance, (int, float)) and tolerance > 0):
            raise ArgumentError(f"tolerance must be a positive number, got {tolerance!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 < timeout < math.inf:
        raise ArgumentError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not callable(model):
        raise ArgumentError(f"model must be an nn.Module or a callable, got "
                            f"{type(model).__name__}")
    try:
        examples = len(dataset)
    except TypeError:
        raise ArgumentError(f"the dataset ({type(dataset).__name__}) has no length; give a "
                            "map-style torch.utils.data.Dataset") from None
    if examples == 0:
        raise ArgumentError("the dataset is empty")
    folder = Path(out_dir)
    dev = torch.device(device) if device is not None else None
    ctx = _Dist(dev, float(timeout))
    try:
        opts = _Options(method, steps, target, baseline, batch_size, points_per_pass, tolerance,
                        dtype, overwrite, progress, model_name, data_name, workers)
        return _run(ctx, model, dataset, folder, examples, dev, opts, started)
    except BaseException as exc:
        ctx.failed(exc)
        raise
    finally:
        ctx.close()


def _run(ctx: _Dist, model, dataset, folder: Path, examples: int, dev, o: _Options,
         started: float) -> RunReport:
    if dev is None:
        dev = torch.device("cuda", ctx.local_rank % torch.cuda.device_count()) \
            if torch.cuda.is_available() else torch.device("cpu")
    training = _training_modules(model)
    if training:
        raise ArgumentError(f"the model is in training mode ({', '.join(training[:3])} would "
                            "randomise or update); call .eval() on it first")
    params = [p for p in (model.parameters() if isinstance(model, torch.nn.Module) else ())
              if p.dtype.is_floating_point]
    x0, label0 = _split_item(dataset[0], 0)
    dtype = o.dtype
    if dtype is not None and not dtype.is_floating_point:
        raise ArgumentError(f"dtype must be a floating-point type, got {dtype}")
    if params and any(p.device != dev or (dtype and p.dtype != dtype) for p in params):
        model = copy.deepcopy(model).to(device=dev, dtype=dtype)  # the caller's stays as it is
    dtype = dtype or (params[0].dtype if params else x0.dtype)
    if not dtype.is_floating_point:
        raise ArgumentError(f"the inputs must be floating point, got {dtype}")
    shape = tuple(x0.shape)
    try:
        with torch.no_grad():
            out = model(x0.unsqueeze(0).to(device=dev, dtype=dtype))
    except (RuntimeError, ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DimensionError(f"the model fails on dataset item 0 of shape {shape} "
                             f"({dtype}): {first}") from None
    if not isinstance(out, torch.Tensor) or out.dim() < 1:
        raise ArgumentError("the model must return a tensor with a batch dimension")
    outputs = tuple(out.shape[1:])
    rule = _target_rule(o.target, label0 is not None, outputs)
    base, base_desc = _baseline(o.baseline, shape, dtype, dev)
    config = {
        "model": o.model_name or type(model).__qualname__,
        "model_sha256": _model_digest(model),
        "data": o.data_name or type(dataset).__qualname__,
        "data_sample_sha256": _data_fingerprint(dataset, examples, shape),
        "examples": examples, "item_shape": list(shape), "outputs": list(outputs),
        "method": o.method, "steps": o.steps, "tolerance": o.tolerance,
        "target": rule if rule is not None else "none", "baseline": base_desc,
        "dtype": str(dtype).replace("torch.", ""), "device": dev.type,
        "batch_size": o.batch_size, "points_per_pass": o.points_per_pass,
        "versions": _versions(),
    }
    _same_on_every_rank(ctx, config)
    digest = config_hash(config)
    plan = plan_chunks(examples, o.batch_size)
    counter = f"{ctx.prefix}/done"
    status, error = 0, None
    done = [False] * len(plan)
    if ctx.rank == 0:
        try:
            done = _prepare(folder, config, plan, o.overwrite)
        except IGVerifyError as exc:
            status, error = 1, exc
    shared = ctx.broadcast([status, *map(int, done)], "wait for rank 0 to check the directory")
    if shared[0]:
        if error is not None:
            raise error
        raise RankAborted("rank 0 refused the run")
    done = [bool(v) for v in shared[1:]]
    _same_inputs_as_before(ctx, dataset, folder, digest,
                           [c for c, d in zip(plan, done, strict=True) if d], shape, o.workers)
    todo = [c for c, d in zip(plan, done, strict=True) if not d]
    mine = rank_share(todo, ctx.rank, ctx.world)
    remaining = sum(b - a for a, b in todo)
    resumed = examples - remaining
    bar = None
    if ctx.rank == 0 and remaining:  # over all ranks: examples/s and time left
        bar = Progress(total=remaining, unit="ex", enabled=o.progress,
                       desc=f"attribute ({resumed} resumed)" if resumed else "attribute")
    computed = 0
    seconds = 0.0
    try:
        spec = _Spec(shape, dtype, dev, rule, outputs, base)
        loader = torch.utils.data.DataLoader(
            dataset, batch_sampler=[range(a, b) for a, b in mine], num_workers=o.workers,
            collate_fn=_items)
        t0 = time.perf_counter()
        for (start, stop), items in zip(mine, loader, strict=True):
            x, labels = _inputs(items, start, spec)
            tensors = _chunk(model, x, labels, spec, o)
            write_chunk(folder, digest, start, stop, tensors, inputs=_inputs_digest(x, labels))
            seconds += time.perf_counter() - t0
            t0 = time.perf_counter()
            computed += stop - start
            if ctx.store is not None:
                total_now = int(ctx.store.add(counter, stop - start))
            else:
                total_now = computed * ctx.world
            if bar is not None:
                bar.update(min(total_now, remaining) - bar.count)

        def others() -> None:  # rank 0's bar counts the others' chunks while it waits
            if bar is not None and ctx.store is not None:
                bar.update(min(int(ctx.store.add(counter, 0)), remaining) - bar.count)

        ctx.barrier("finish their chunks", others)
        if bar is not None:
            bar.update(remaining - bar.count)
    finally:
        if bar is not None:
            bar.close()
    rows = ctx.gather([float(computed), seconds, float(ctx.rank)], "report")
    ranks = [{"rank": int(r), "examples": int(n), "seconds": s,
              "examples_per_s": (n / s) if s > 0 else None} for n, s, r in rows]
    return RunReport(out_dir=str(folder), examples=examples,
                     computed=int(sum(r["examples"] for r in ranks)), resumed=resumed,
                     seconds=time.perf_counter() - started, ranks=ranks, rank=ctx.rank,
                     world_size=ctx.world)


#: how many evenly spaced items (the first and the last among them) fingerprint the data
SAMPLED_ITEMS = 32


def _sampled(examples: int) -> list[int]:
    """The items that fingerprint a dataset of ``examples`` items.

    >>> _sampled(5), len(_sampled(1000)), _sampled(1000)[-1]
    ([0, 1, 2, 3, 4], 32, 999)
    """
    count = min(examples, SAMPLED_ITEMS)
    return sorted({round(k * (examples - 1) / max(count - 1, 1)) for k in range(count)})


def _data_fingerprint(dataset, examples: int, shape: tuple) -> str:
    """SHA-256 of the data's length and of ``SAMPLED_ITEMS`` evenly spaced items (inputs and
    labels): cheap enough for every rank, and each chunk carries the hash of all its items.

    >>> data = torch.utils.data.TensorDataset(torch.arange(100.0).reshape(50, 2))
    >>> a = _data_fingerprint(data, 50, (2,))
    >>> data.tensors[0][49, 1] = -1.0  # the last item is always read
    >>> a == _data_fingerprint(data, 50, (2,))
    False
    """
    h = hashlib.sha256(f"{examples} items".encode())
    for i in _sampled(examples):
        x, label = _split_item(dataset[i], i, shape)
        h.update(f"{i}:{label}:".encode())
        h.update(_digest(x).encode())
    return h.hexdigest()


def _same_inputs_as_before(ctx: _Dist, dataset, folder: Path, digest: str, done: list,
                           shape: tuple, workers: int) -> None:
    """A resumed run: the items of the chunks already written must be those they were
    computed from (each chunk file carries the SHA-256 of its inputs); each rank reads a share.
    Changed data is refused, naming the first chunk that differs, before anything is written."""
    mine = rank_share(done, ctx.rank, ctx.world)
    first_bad = -1
    if mine:
        spec = _Spec(shape, torch.float64, torch.device("cpu"), None, (), 0.0)
        loader = torch.utils.data.DataLoader(
            dataset, batch_sampler=[range(a, b) for a, b in mine], num_workers=workers,
            collate_fn=_items)
        for (start, _), items in zip(mine, loader, strict=True):
            x, labels = _inputs(items, start, spec)
            if chunk_inputs(folder, start) != _inputs_digest(x, labels):
                first_bad = start
                break
    bad = [b for (b,) in ctx.gather([first_bad], "compare the data of the chunks already done",
                                    torch.int64) if b >= 0]
    if bad:
        start = int(min(bad))
        stop = next(b for a, b in done if a == start)
        message = (f"{folder}: dataset items {start} to {stop - 1} are not the inputs "
                   f"{chunk_name(start)} was computed from (the data changed since); resume "
                   "with the same data, choose another directory, or pass --overwrite")
        raise ArgumentError(message) if ctx.rank == 0 else RankAborted(message)


def _same_on_every_rank(ctx: _Dist, config: dict) -> None:
    """Refuse a run whose ranks disagree on the configuration (a factory that is not
    deterministic: weights trained differently, data shuffled differently), naming the entry."""
    if ctx.world == 1:
        return
    keys = sorted(config)
    mine = [int.from_bytes(hashlib.sha256(config_hash({k: config[k]}).encode()).digest()[:8],
                           "little", signed=True) for k in keys]
    for rank, theirs in enumerate(ctx.gather(mine, "compare their configurations",
                                             torch.int64)):
        bad = [k for k, a, b in zip(keys, theirs, mine, strict=True) if a != b]
        if bad:
            low, high = sorted((rank, ctx.rank))
            message = (f"ranks {low} and {high} differ in {', '.join(bad)}: the factories must "
                       "give the same model and data in every process (seed them, train with "
                       "deterministic algorithms)")
            raise ArgumentError(message) if ctx.rank == 0 else RankAborted(message)


def _training_modules(model) -> list[str]:
    """Submodules whose output depends on training mode (dropout, batch-norm statistics)."""
    if not isinstance(model, torch.nn.Module):
        return []
    kinds = (torch.nn.modules.dropout._DropoutNd, torch.nn.modules.batchnorm._NormBase)
    return [name or type(m).__name__ for name, m in model.named_modules()
            if isinstance(m, kinds) and m.training]


def _baseline(baseline, shape: tuple, dtype, dev) -> tuple[torch.Tensor | float, object]:
    if isinstance(baseline, bool):
        raise ArgumentError("baseline must be a number or a tensor shaped like one input")
    if isinstance(baseline, (int, float)):
        return float(baseline), float(baseline)
    if isinstance(baseline, np.ndarray):
        baseline = torch.from_numpy(baseline)
    if not isinstance(baseline, torch.Tensor):
        raise ArgumentError(f"baseline must be a number or a tensor, got "
                            f"{type(baseline).__name__}")
    b = baseline.detach().to(device=dev, dtype=dtype)
    if b.dim() == len(shape) + 1 and b.shape[0] == 1:
        b = b[0]
    try:
        b = b.expand(shape)
    except RuntimeError:
        raise DimensionError(f"baseline has shape {tuple(baseline.shape)}; one input has shape "
                             f"{shape}") from None
    return b.unsqueeze(0), "sha256:" + _digest(b.contiguous())


def _prepare(folder: Path, config: dict, plan: list, overwrite: bool) -> list[bool]:
    """Rank 0: check the directory, write or check the manifest; the chunks already done."""
    _check_writable(folder)
    manifest = read_manifest(folder) if not overwrite else None
    if manifest is not None:
        diff = config_difference(manifest["config"], config)
        if diff is not None:
            raise ArgumentError(f"{folder} holds a run with another configuration ({diff}); "
                                "resume with the same options, choose another directory, or "
                                "pass --overwrite to discard it")
        _remove_stale_temporaries(folder)
        return done_chunks(folder, manifest)
    if overwrite:
        try:
            old = read_manifest(folder)
        except ArgumentError:
            old = None
        _clear(folder, old)
    elif any(p.name.startswith("chunk-") for p in folder.iterdir()):
        raise ArgumentError(f"{folder} holds chunk files but no {MANIFEST}; choose another "
                            "directory or pass --overwrite to discard them")
    _remove_stale_temporaries(folder)
    write_manifest(folder, config, plan)
    return [False] * len(plan)


def _items(items: list) -> list:
    """The DataLoader's collate function: the items as they are (checked in :func:`_chunk`)."""
    return items


def _inputs(items: list, start: int, spec: _Spec) -> tuple[torch.Tensor, list]:
    """The inputs of a chunk's items stacked as they are (dtype and device unchanged), and
    their labels; items of another shape, and missing or out-of-range labels, refused."""
    xs, labels = [], []
    for i, item in enumerate(items, start):
        x, label = _split_item(item, i, spec.shape)
        if spec.rule == "label":
            if label is None:
                raise ArgumentError(f"dataset item {i} has no label, item 0 has one")
            if not 0 <= label < spec.outputs[0]:
                raise ArgumentError(f"the label {label} of dataset item {i} is out of range "
                                    f"for a model with {spec.outputs[0]} outputs")
        xs.append(x)
        labels.append(label)
    return torch.stack(xs), labels


def _inputs_digest(x: torch.Tensor, labels: list) -> str:
    """SHA-256 of a chunk's inputs as read, and of their labels where they have some."""
    if any(label is not None for label in labels):
        return _digest(x, torch.tensor([-1 if v is None else v for v in labels]))
    return _digest(x)


def _chunk(model, x: torch.Tensor, labels: list, spec: _Spec, o: _Options) -> dict:
    dev = spec.device
    x = x.to(device=dev, dtype=spec.dtype)
    n = len(labels)
    if spec.rule is None:
        tgt = None
    elif spec.rule == "label":
        tgt = torch.tensor(labels, dtype=torch.int64, device=dev)
    elif spec.rule == "predicted":
        with torch.no_grad():
            tgt = model(x).argmax(1)
    else:
        tgt = torch.full((n,), spec.rule, dtype=torch.int64, device=dev)
    tolerance = o.tolerance
    kwargs = {"tolerance": tolerance, "return_error": True} if tolerance is not None else {}
    with warnings.catch_warnings():
        # an unmet tolerance is not lost: each example's estimate is stored, and 'met' says
        # whether it meets the tolerance (counted in the summary), instead of one warning
        # per chunk
        warnings.simplefilter("ignore", ToleranceNotReached)
        result = integrated_gradients(model, x, baselines=spec.baseline, target=tgt,
                                      steps=o.steps, method=o.method,
                                      batch_size=o.points_per_pass, return_delta=True, **kwargs)
    out = {"attributions": result[0], "delta": result[1]}
    if tolerance is not None:
        error = result[2].double()
        scale = result[0].detach().double().abs().reshape(n, -1).amax(1)
        out["error"] = error
        out["met"] = (error <= tolerance * scale).to(torch.uint8)
    if tgt is not None:
        out["target"] = tgt.to(torch.int64)
    return out


# ------------------------------------------------------------------------------ summary


def _number(value: float) -> float | str:
    """A float, or its name ('nan', 'inf') when it is not finite (JSON has no such floats)."""
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _quantiles(values: np.ndarray) -> dict | None:
    if values.size == 0:
        return None
    q = np.quantile(values, [0.0, 0.5, 0.9, 0.99, 1.0])
    return {"min": _number(q[0]), "median": _number(q[1]), "p90": _number(q[2]),
            "p99": _number(q[3]), "max": _number(q[4]), "mean": _number(values.mean())}


def summarize(out_dir: str | os.PathLike, report: RunReport | None = None,
              worst: int = 5) -> dict:
    """The end summary of a run directory: examples (and missing), the distribution of
    |delta| and of the error estimate (min, median, 90th and 99th percentile, max, mean), the
    ``worst`` examples by |delta|, and with ``report`` the time and throughput per rank.

    >>> import tempfile, torch
    >>> data = torch.utils.data.TensorDataset(torch.rand(4, 2, dtype=torch.float64))
    >>> out = tempfile.mkdtemp()
    >>> s = summarize(out, attribute_dataset(torch.nn.Linear(2, 1).double(), data, out,
    ...                                      steps=3))
    >>> s["examples"], s["missing"], s["abs_delta"]["max"] < 1e-12
    (4, 0, True)
    """
    result = load_attributions(out_dir, partial=True)
    delta = np.abs(np.asarray(result["delta"], dtype=np.float64))
    error = np.asarray(result["error"], dtype=np.float64) if "error" in result else None
    order = np.argsort(-np.nan_to_num(delta, nan=np.inf), kind="stable")[:worst]  # nan first
    worst_rows = []
    for i in order:
        row = {"index": int(result["index"][i]), "abs_delta": _number(delta[i])}
        if "target" in result:
            row["target"] = int(result["target"][i])
        if error is not None:
            row["error"] = _number(error[i])
        worst_rows.append(row)
    config = result.manifest["config"]
    summary = {
        "out_dir": str(out_dir), "examples": int(result.manifest["examples"]),
        "written": len(result["index"]), "missing": result.missing,
        "method": config["method"], "steps": config["steps"],
        "abs_delta": _quantiles(delta), "error": _quantiles(error) if error is not None
        else None, "worst": worst_rows,
    }
    if "met" in result:
        summary["tolerance"] = config["tolerance"]
        summary["tolerance_not_met"] = int((np.asarray(result["met"]) == 0).sum())
    if report is not None:
        summary.update({"computed": report.computed, "resumed": report.resumed,
                        "seconds": report.seconds, "world_size": report.world_size,
                        "ranks": report.ranks,
                        "examples_per_s": report.computed / report.seconds
                        if report.seconds > 0 else None})
    return summary
