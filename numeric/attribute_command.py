"""``python -m numeric attribute``: integrated gradients of a whole dataset, in one process or
under ``torchrun`` (see :func:`numeric.attribute_dataset`).

The model and the data come from importable factories, ``MODULE:FUNCTION`` (imported with
importlib and called without arguments; nothing is evaluated). Rank 0 shows a progress bar on
a terminal and ends with a summary (text, or one JSON object with ``--json``), and writes
``summary.json`` and a histogram, ``summary.png``, into the output directory.

    python -m numeric attribute --model numeric.experiments.digits_attribution:model \\
        --data numeric.experiments.digits_attribution:data --out runs/digits
    torchrun --nproc-per-node 2 -m numeric attribute --model ... --data ... --out runs/digits

>>> load_factory("numeric.models:random_mlp", "--model").__name__
'random_mlp'
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import re
from pathlib import Path

from .attribution_store import DEFAULT_TIMEOUT
from .errors import ArgumentError

__all__ = ["add_arguments", "format_summary", "load_factory", "run"]

_SPEC = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def load_factory(spec: str, option: str):
    """The function named by ``MODULE:NAME`` (NAME may be dotted), imported with importlib."""
    if not _SPEC.match(spec):
        raise ArgumentError(f"{option} {spec!r} is not MODULE:FUNCTION (e.g. "
                            "numeric.experiments.digits_attribution:model)")
    module_name, name = spec.split(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise ArgumentError(f"{option}: cannot import module {module_name!r} ({exc}); check "
                            "the name and PYTHONPATH") from None
    for part in name.split("."):
        if not hasattr(obj, part):
            raise ArgumentError(f"{option}: {module_name!r} has no {name!r}") from None
        obj = getattr(obj, part)
    if not callable(obj):
        raise ArgumentError(f"{option}: {spec} is not a function (a {type(obj).__name__})")
    return obj


def _call(spec: str, option: str):
    factory = load_factory(spec, option)
    try:
        return factory()
    except Exception as exc:  # the user's factory failed: say so in one line
        raise ArgumentError(f"{option}: {spec}() failed: {type(exc).__name__}: "
                            f"{' '.join(str(exc).split())}") from None


def _target(text: str) -> int | str:
    from .dataset import TARGETS

    if text in TARGETS:
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither an output index nor one of {', '.join(TARGETS)}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"target must be >= 0, got {value}")
    return value


def _positive(kind: type):
    """An argparse type: a positive (finite) int or float."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not (value > 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m numeric attribute``."""
    from proofs.errors import MissingDependencyError

    try:
        from .quadrature import METHODS
    except MissingDependencyError:  # no torch: --help still works; running says how to install
        METHODS = None

    parser.add_argument("--model", required=True, metavar="MODULE:FACTORY",
                        help="a function returning the model (an nn.Module or callable)")
    parser.add_argument("--data", required=True, metavar="MODULE:FACTORY",
                        help="a function returning a torch Dataset of inputs or (input, label)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="the run directory (manifest.json, chunk-*.safetensors)")
    parser.add_argument("--method", default="gausslegendre", choices=METHODS,
                        help="quadrature rule (default gausslegendre)")
    parser.add_argument("--steps", type=_positive(int), default=50, help="default 50")
    parser.add_argument("--tolerance", type=_positive(float), default=None,
                        help="relative: integrate each example until its error estimate is "
                             "at most TOLERANCE x max |A|; stores 'error' and 'met'")
    parser.add_argument("--target", type=_target, default="auto",
                        help="an output index, label, predicted, none, or auto (default: the "
                             "labels when the data has them)")
    parser.add_argument("--baseline", default="0", metavar="NUMBER|MODULE:FACTORY",
                        help="a number (default 0) or a function returning a tensor")
    parser.add_argument("--batch-size", type=_positive(int), default=32,
                        help="examples per chunk file (default 32)")
    parser.add_argument("--points-per-pass", type=_positive(int), default=None,
                        help="cap on the points (steps x examples) per forward/backward pass")
    parser.add_argument("--workers", type=int, default=0, metavar="N",
                        help="DataLoader worker processes reading the data (default 0)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None,
                        help="the inputs' and the model's dtype (default: the model's)")
    parser.add_argument("--device", default=None,
                        help="default cuda:LOCAL_RANK when CUDA is available, else cpu")
    parser.add_argument("--timeout", type=_positive(float), default=DEFAULT_TIMEOUT,
                        metavar="SECONDS",
                        help="how long a rank waits for the others to join, and for a rank "
                             "that has fallen silent (died or hung), before it stops naming "
                             f"that rank (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--overwrite", action="store_true",
                        help="discard a run with another configuration in --out")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    """Run the command; user errors raise :class:`numeric.errors.ArgumentError` (exit 2)."""
    from ._torch import torch
    from .dataset import RankAborted, attribute_dataset, summarize

    model = _call(args.model, "--model")
    data = _call(args.data, "--data")
    try:
        baseline: object = float(args.baseline)
    except ValueError:
        baseline = _call(args.baseline, "--baseline")
    dtype = getattr(torch, args.dtype) if args.dtype else None
    try:
        report = attribute_dataset(
            model, data, args.out, method=args.method, steps=args.steps, target=args.target,
            baseline=baseline, batch_size=args.batch_size, points_per_pass=args.points_per_pass,
            tolerance=args.tolerance, dtype=dtype, overwrite=args.overwrite, device=args.device,
            progress=False if args.no_progress else None, model_name=args.model,
            data_name=args.data, workers=args.workers, timeout=args.timeout)
    except RankAborted:
        return 2  # rank 0 prints why
    if report.rank != 0:
        return 0
    summary = summarize(args.out, report)
    out = Path(args.out)
    summary["figure"] = str(out / "summary.png")
    draw_histogram(args.out, summary["figure"])
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary) if args.json else format_summary(summary))
    return 0


def _g(value: float | str) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _dist_line(name: str, q: dict | None) -> str:
    if q is None:
        return f"{name}: none"
    return (f"{name}: min {_g(q['min'])}, median {_g(q['median'])}, 90% {_g(q['p90'])}, "
            f"99% {_g(q['p99'])}, max {_g(q['max'])}")


def format_summary(summary: dict) -> str:
    """The end summary as text.

    >>> print(format_summary({"examples": 2, "written": 2, "missing": 0, "computed": 2,
    ...     "resumed": 0, "seconds": 1.0, "world_size": 1, "out_dir": "d", "method": "m",
    ...     "steps": 4, "abs_delta": None, "error": None, "worst": [],
    ...     "ranks": [{"rank": 0, "examples": 2, "seconds": 0.5, "examples_per_s": 4.0}]}))
    2 examples in d (2 computed now, 0 resumed), m with 4 steps, 1.0 s on 1 rank(s)
      rank 0: 2 examples in 0.5 s, 4 examples/s
    |delta|: none
    """
    lines = [f"{summary['examples']} examples in {summary['out_dir']} "
             f"({summary.get('computed', 0)} computed now, {summary.get('resumed', 0)} resumed"
             f"{', ' + str(summary['missing']) + ' MISSING' if summary['missing'] else ''}), "
             f"{summary['method']} with {summary['steps']} steps"
             + (f", {summary['seconds']:.1f} s on {summary['world_size']} rank(s)"
                if "seconds" in summary else "")]
    for r in summary.get("ranks", []):
        rate = f"{r['examples_per_s']:.3g} examples/s" if r["examples_per_s"] else "-"
        lines.append(f"  rank {r['rank']}: {r['examples']} examples in {r['seconds']:.1f} s, "
                     f"{rate}")
    lines.append(_dist_line("|delta|", summary["abs_delta"]))
    if summary.get("error") is not None:
        lines.append(_dist_line("error", summary["error"]))
    if summary.get("tolerance_not_met"):
        lines.append(f"TOLERANCE NOT MET on {summary['tolerance_not_met']} examples (their "
                     f"error estimate exceeds {summary['tolerance']:g} x max |A|; see 'met')")
    if summary["worst"]:
        lines.append("worst by |delta|: " + ", ".join(
            f"#{w['index']}" + (f" (target {w['target']})" if "target" in w else "")
            + f" {_g(w['abs_delta'])}" + (f" err {_g(w['error'])}" if "error" in w else "")
            for w in summary["worst"]))
    if summary.get("figure"):
        lines.append(f"histogram: {summary['figure']}")
    return "\n".join(lines)


def draw_histogram(out_dir: str, path: str) -> None:
    """A histogram of log10 |delta| (and of log10 error, where the run has it) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .attribution_store import load_attributions

    result = load_attributions(out_dir, partial=True)
    panels = [("|delta| (completeness gap)", np.abs(np.asarray(result["delta"])))]
    if "error" in result:
        panels.append(("error estimate", np.asarray(result["error"])))
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.2), squeeze=False)
    for ax, (name, values) in zip(axes[0], panels, strict=True):
        zero = int((values == 0).sum())
        logs = np.log10(values[values > 0])
        if logs.size:
            ax.hist(logs, bins=min(40, max(5, logs.size // 5)), color="tab:blue")
        ax.set_xlabel(f"log10 {name}")
        ax.set_ylabel("examples")
        ax.set_title(f"{len(values)} examples" + (f", {zero} exactly 0" if zero else ""),
                     fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

