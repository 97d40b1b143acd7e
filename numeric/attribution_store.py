"""The on-disk layout of a dataset attribution run: a manifest and safetensors chunks.

A run directory holds ``manifest.json`` (the run's configuration, its SHA-256 hash and the
planned chunks: file name and example range) and one ``chunk-NNNNNN.safetensors`` per chunk
(``attributions``, ``index`` int64, ``delta`` float64, ``target`` int64 where a target is
chosen, ``error`` float64 and ``met`` uint8 (whether the estimate meets the tolerance) where a
tolerance is given; the config hash, the range and the SHA-256 of the inputs the chunk
attributed in the file's metadata, so a resumed run can tell changed data). Every file is
written under a temporary name, flushed and renamed when complete, so a chunk either exists
whole or not at all; nothing is pickled, so loading never runs code.
:func:`load_attributions` reads a run back, memory-mapped.

>>> import tempfile, torch
>>> out = tempfile.mkdtemp()
>>> plan = plan_chunks(5, 2)
>>> plan
[(0, 2), (2, 4), (4, 5)]
>>> config = {"method": "gausslegendre", "steps": 8}
>>> write_manifest(out, config, plan)
>>> for start, stop in plan:
...     n = stop - start
...     write_chunk(out, config_hash(config), start, stop,
...                 {"attributions": torch.ones(n, 3), "delta": torch.zeros(n)})
>>> result = load_attributions(out)
>>> result["index"].tolist(), result["attributions"].shape, result["delta"].dtype.name
([0, 1, 2, 3, 4], (5, 3), 'float64')
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from .errors import ArgumentError, IGVerifyError

__all__ = ["ChunkedArray", "DEFAULT_TIMEOUT", "FORMAT", "MANIFEST", "Attributions",
           "IncompleteRunError", "chunk_inputs", "chunk_name", "config_difference",
           "config_hash", "done_chunks", "load_attributions", "plan_chunks", "rank_share",
           "read_manifest", "write_chunk", "write_manifest"]

FORMAT = "igverify-attributions/1"
MANIFEST = "manifest.json"
#: seconds a rank of a run waits for the others to join, and for a rank fallen silent
DEFAULT_TIMEOUT = 300.0
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": None,
           "I64": np.int64, "I32": np.int32, "U8": np.uint8}


class IncompleteRunError(IGVerifyError):
    """A run directory with chunks still missing (load it with ``partial=True``)."""


def plan_chunks(examples: int, chunk_size: int) -> list[tuple[int, int]]:
    """The example ranges [start, stop) of the chunks: fixed boundaries at multiples of
    ``chunk_size``, whatever the number of processes, so every run computes the same chunks."""
    return [(s, min(s + chunk_size, examples)) for s in range(0, examples, chunk_size)]


def rank_share(todo: Sequence, rank: int, world: int) -> list:
    """The contiguous run of ``todo`` (the chunks still to do) that rank ``rank`` of
    ``world`` takes: the runs are disjoint, cover ``todo``, and differ in length by at most 1.

    >>> [rank_share(plan_chunks(10, 3), r, 2) for r in range(2)]
    [[(0, 3), (3, 6)], [(6, 9), (9, 10)]]
    """
    return list(todo[rank * len(todo) // world:(rank + 1) * len(todo) // world])


def chunk_name(start: int) -> str:
    """The file name of the chunk that starts at example ``start``."""
    return f"chunk-{start:09d}.safetensors"


def config_hash(config: Mapping) -> str:
    """SHA-256 of the configuration as canonical JSON (sorted keys)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def config_difference(old: Mapping, new: Mapping) -> str | None:
    """The first differing entries of two configurations, in words, or None if equal.

    >>> config_difference({"steps": 50, "method": "a"}, {"steps": 32, "method": "a"})
    'steps is 50 there, 32 here'
    """
    parts = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "(absent)"), new.get(key, "(absent)")
        if a != b:
            if isinstance(a, Mapping) and isinstance(b, Mapping):
                inner = config_difference(a, b)
                parts.append(f"{key}: {inner}")
            else:
                parts.append(f"{key} is {_short(a)} there, {_short(b)} here")
    return "; ".join(parts[:3]) if parts else None


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _atomic_write(path: Path, write) -> None:
    """``write(tmp)``, flushed to disk, then renamed to ``path``: a reader (or a run resumed
    after a crash) sees the whole file or none."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_manifest(out_dir: str | os.PathLike, config: Mapping,
                   plan: Sequence[tuple[int, int]]) -> None:
    """Write ``manifest.json`` (format, configuration, hash, planned chunks) atomically."""
    manifest = {"format": FORMAT, "hash": config_hash(config), "config": dict(config),
                "examples": plan[-1][1] if plan else 0,
                "chunks": [{"file": chunk_name(a), "start": a, "stop": b} for a, b in plan]}
    text = json.dumps(manifest, indent=1) + "\n"
    _atomic_write(Path(out_dir) / MANIFEST, lambda p: p.write_text(text))


def read_manifest(out_dir: str | os.PathLike) -> dict | None:
    """The manifest of a run directory, None when there is none; a broken one is an error."""
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text())
        if manifest.get("format") != FORMAT or "hash" not in manifest:
            raise ValueError("not an igverify attribution manifest")
    except (ValueError, OSError) as exc:
        raise ArgumentError(f"{path} is not a readable attribution manifest ({exc}); "
                            "choose another directory or pass --overwrite") from None
    return manifest


def write_chunk(out_dir: str | os.PathLike, digest: str, start: int, stop: int,
                tensors: Mapping, inputs: str | None = None) -> None:
    """Write one chunk (``attributions``, ``delta`` and optional ``target``/``error`` for the
    examples start..stop-1; ``index`` is added, ``delta`` and ``error`` are stored in
    float64) as safetensors, atomically; ``inputs``, the SHA-256 of the inputs attributed,
    goes into the metadata (see :func:`chunk_inputs`)."""
    from safetensors.torch import save_file

    from ._torch import torch

    data = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    for name in ("delta", "error"):  # float64 whatever the attributions' dtype
        if name in data:
            data[name] = data[name].double()
    data["index"] = torch.arange(start, stop, dtype=torch.int64)
    meta = {"format": FORMAT, "hash": digest, "start": str(start), "stop": str(stop)}
    if inputs is not None:
        meta["inputs_sha256"] = inputs
    _atomic_write(Path(out_dir) / chunk_name(start),
                  lambda p: save_file(data, str(p), metadata=meta))


def _header(path: Path) -> dict | None:
    """The safetensors header of a file (None when it is not a readable, whole one)."""
    try:
        with open(path, "rb") as fh:
            size = int.from_bytes(fh.read(8), "little")
            if not 0 < size < 1 << 26:
                return None
            header = json.loads(fh.read(size))
        header["__offset__"] = 8 + size
        ends = [v["data_offsets"][1] for k, v in header.items() if not k.startswith("__")]
        if path.stat().st_size != 8 + size + max(ends, default=0):
            return None  # truncated
        return header
    except (OSError, ValueError):
        return None


def _chunk_ok(header: dict | None, digest: str, start: int, stop: int) -> bool:
    if header is None:
        return False
    meta = header.get("__metadata__", {})
    return (meta.get("hash") == digest and meta.get("start") == str(start)
            and meta.get("stop") == str(stop))


def chunk_inputs(out_dir: str | os.PathLike, start: int) -> str | None:
    """The SHA-256 of the inputs that the chunk starting at ``start`` attributed (None when
    the file is missing, broken, or does not say)."""
    header = _header(Path(out_dir) / chunk_name(start))
    return None if header is None else header.get("__metadata__", {}).get("inputs_sha256")


def done_chunks(out_dir: str | os.PathLike, manifest: Mapping) -> list[bool]:
    """For each planned chunk, whether its file is there, complete and of this run."""
    folder = Path(out_dir)
    return [_chunk_ok(_header(folder / c["file"]), manifest["hash"], c["start"], c["stop"])
            for c in manifest["chunks"]]


def _memmap(path: Path, header: dict, name: str) -> np.ndarray:
    info = header[name]
    dtype = _DTYPES.get(info["dtype"])
    if dtype is None:
        raise ArgumentError(f"{path.name}: {name} has dtype {info['dtype']}, which NumPy cannot "
                            "map; load the file with safetensors.torch")
    begin, end = info["data_offsets"]
    shape = tuple(info["shape"])
    if end == begin:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=header["__offset__"] + begin,
                     shape=shape)


class ChunkedArray:
    """Rows of several arrays (the chunks' memory maps) seen as one array, read on demand.

    Indexing with an int gives a row; a slice, a boolean mask or integer array gives a new
    in-memory array; ``np.asarray`` reads everything.

    >>> c = ChunkedArray([np.arange(6).reshape(2, 3), np.arange(3).reshape(1, 3)])
    >>> c.shape, c[2].tolist(), c[1:3].tolist()
    ((3, 3), [0, 1, 2], [[3, 4, 5], [0, 1, 2]])
    """

    def __init__(self, parts: Sequence[np.ndarray]) -> None:
        self.parts = list(parts)
        self._ends = np.cumsum([len(p) for p in self.parts])
        first = self.parts[0] if self.parts else np.zeros((0,))
        self.dtype = first.dtype
        self.shape = (int(self._ends[-1]) if self.parts else 0, *first.shape[1:])

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = np.concatenate(self.parts) if self.parts else np.zeros(self.shape, self.dtype)
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            i = int(key) + (len(self) if key < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError(f"row {key} out of range for {len(self)} rows")
            part = int(np.searchsorted(self._ends, i, side="right"))
            return self.parts[part][i - (int(self._ends[part - 1]) if part else 0)]
        rows = np.arange(len(self))[key]
        return np.stack([self[int(i)] for i in rows]) if len(rows) else \
            np.zeros((0, *self.shape[1:]), self.dtype)

    def __iter__(self) -> Iterator[np.ndarray]:
        for part in self.parts:
            yield from part


class Attributions(Mapping):
    """What :func:`load_attributions` returns: ``index`` (int64, sorted), ``attributions``
    (one memory map, or a :class:`ChunkedArray` over the chunks), ``delta`` (float64) and,
    where the run has them, ``target`` and ``error``; ``manifest`` and ``missing`` too."""

    def __init__(self, arrays: dict, manifest: dict, missing: int) -> None:
        self._arrays = arrays
        self.manifest = manifest
        self.missing = missing

    def __getitem__(self, key: str):
        return self._arrays[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        n = len(self._arrays["index"])
        return f"Attributions({n} examples, {self.missing} missing, keys={list(self)})"


def load_attributions(out_dir: str | os.PathLike, partial: bool = False) -> Attributions:
    """Read a run directory back: a mapping with ``index`` (int64, sorted), ``attributions``,
    ``delta`` (float64) and, where present, ``target`` and ``error``, memory-mapped from the
    chunk files. A run with chunks still missing is refused, saying how many examples are
    missing, unless ``partial=True`` (then only the complete chunks are returned).

    Example: see the module docstring.
    """
    folder = Path(out_dir)
    manifest = read_manifest(folder)
    if manifest is None:
        raise ArgumentError(f"{folder} holds no attribution run ({MANIFEST} not found)")
    columns: dict[str, list] = {}
    missing = 0
    for chunk in manifest["chunks"]:
        path = folder / chunk["file"]
        header = _header(path)
        if not _chunk_ok(header, manifest["hash"], chunk["start"], chunk["stop"]):
            missing += chunk["stop"] - chunk["start"]
            continue
        for name in header:
            if name not in ("__metadata__", "__offset__"):
                columns.setdefault(name, []).append(_memmap(path, header, name))
    if missing and not partial:
        total = manifest["examples"]
        raise IncompleteRunError(
            f"{folder}: {missing} of {total} examples are missing (the run is incomplete); "
            "run the same command again to finish it, or load with partial=True")
    arrays: dict = {}
    for name, parts in columns.items():
        if name == "attributions":
            arrays[name] = parts[0] if len(parts) == 1 else ChunkedArray(parts)
        else:
            arrays[name] = np.concatenate(parts)
    if "index" not in arrays:  # nothing complete yet
        arrays["index"] = np.zeros(0, dtype=np.int64)
        arrays["delta"] = np.zeros(0, dtype=np.float64)
    return Attributions(arrays, manifest, missing)
