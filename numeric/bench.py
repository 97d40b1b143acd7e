"""Benchmark: our integrated_gradients against Captum's IntegratedGradients, measured in one run.

Same model, inputs, baseline, target, steps and rule for both; the printed numbers are
ratios ours / Captum (time: the fastest of interleaved repeats after a warm-up, since slower
samples measure other processes on a shared machine; peak memory: the
rise of peak RSS over one call in a fresh process on CPU, torch.cuda.max_memory_allocated on
GPU; completeness error: max |sum A - (F(x) - F(x'))| over the batch, both measured by the
same function). On a GPU it also runs a ResNet-50 at 224x224 in float32 and under bf16
autocast and reports the achieved FLOP/s (FLOPs counted by torch's FlopCounterMode) against
the card's peak measured by a large matmul. Captum is needed here only, not at runtime.

>>> ratio(2.0, 4.0)
0.5
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ._torch import torch
from .errors import ArgumentError
from .integrated import completeness_delta, integrated_gradients
from .models import digits_data, digits_mlp, resnet50, small_cnn
from .results_file import replace_section

__all__ = ["Config", "cpu_configs", "format_report", "gpu_bench", "ratio", "run_bench",
           "write_results"]


def ratio(ours: float, theirs: float) -> float:
    """ours / theirs (inf when theirs is 0 and ours is not; 1 when both are 0)."""
    if theirs == 0:
        return 1.0 if ours == 0 else float("inf")
    return ours / theirs


@dataclass(frozen=True)
class Config:
    """One benchmark case: a named model, a batch, a rule and a step count, on a device."""

    name: str
    model: str          # "cnn" | "digits" | "resnet50" | "resnet-tiny"
    batch: int
    steps: int
    method: str
    dtype: str          # "float32" | "float64" | "bf16-autocast"
    device: str = "cpu"
    internal_batch: int | None = None


def cpu_configs(quick: bool = False) -> list[Config]:
    out = [Config("CNN 3x32x32, float32", "cnn", 8, 50, "gausslegendre", "float32"),
           Config("CNN 3x32x32, float32", "cnn", 8, 50, "riemann_trapezoid", "float32")]
    if not quick:
        out.append(Config("digits MLP 64-32-10, float64", "digits", 64, 50, "gausslegendre",
                          "float64"))
    return out


def _build(cfg: Config) -> tuple[torch.nn.Module, torch.Tensor, int]:
    """Model, inputs and target for a config (deterministic)."""
    device = torch.device(cfg.device)
    gen = torch.Generator().manual_seed(1)
    if cfg.model == "cnn":
        model, x = small_cnn(), torch.randn(cfg.batch, 3, 32, 32, generator=gen)
    elif cfg.model == "digits":
        model, x = digits_mlp(), digits_data()[0][1500:1500 + cfg.batch]
    elif cfg.model == "resnet50":
        model, x = resnet50(), torch.randn(cfg.batch, 3, 224, 224, generator=gen)
    elif cfg.model == "resnet-tiny":
        model = resnet50(classes=10, width=8, blocks=(1, 1, 1, 1))
        x = torch.randn(cfg.batch, 3, 32, 32, generator=gen)
    else:
        raise ArgumentError(f"unknown bench model {cfg.model!r}")
    dtype = torch.float64 if cfg.dtype == "float64" else torch.float32
    model = model.to(device=device, dtype=dtype).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, x.to(device=device, dtype=dtype), 0


def _runners(cfg: Config, model, x, target) -> dict[str, Callable[[], torch.Tensor]]:
    from captum.attr import IntegratedGradients

    captum_ig = IntegratedGradients(model)
    autocast = cfg.dtype == "bf16-autocast"

    def ctx():
        return torch.autocast(device_type=x.device.type, dtype=torch.bfloat16, enabled=autocast)

    def ours():
        with ctx():
            return integrated_gradients(model, x, 0.0, target=target, steps=cfg.steps,
                                        method=cfg.method, batch_size=cfg.internal_batch)

    def captum():
        with ctx():
            return captum_ig.attribute(x, baselines=0.0, target=target, n_steps=cfg.steps,
                                       method=cfg.method, internal_batch_size=cfg.internal_batch)

    return {"ours": ours, "captum": captum}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(runners: dict[str, Callable], device: torch.device, repeats: int) -> dict[str, float]:
    for fn in runners.values():  # warm-up
        fn()
        fn()
    samples: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(repeats):
        for name, fn in runners.items():  # interleaved, so drift hits both
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            samples[name].append(time.perf_counter() - t0)
    # the minimum: on a shared machine the slow samples measure other processes, not us
    return {k: min(v) for k, v in samples.items()}


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")  # pragma: no cover


def _memory_child() -> None:
    """Entry of the child process that measures one implementation's peak RSS rise (KiB)."""
    cfg, which, threads = Config(**json.loads(sys.argv[1])), sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    model, x, target = _build(cfg)
    fn = _runners(cfg, model, x, target)[which]
    fn()  # warm-up: one-time allocations (kernels, caches) are not the method's
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM to the current RSS
    before = _rss_kib("VmRSS")
    fn()
    print(json.dumps({"peak_kib": _rss_kib("VmHWM") - before}))


def _cpu_peak(cfg: Config, which: str, threads: int) -> float | None:
    """Peak RSS rise (bytes) of one call in a fresh process; None where /proc is missing.

    glibc's malloc keeps freed memory resident unless its mmap threshold is fixed, so the
    child runs with MALLOC_MMAP_THRESHOLD_ set: large buffers are returned on free, and the
    peak after the warm-up measures the call itself."""
    if not os.path.exists("/proc/self/clear_refs"):
        return None
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072")
    code = "from numeric.bench import _memory_child; _memory_child()"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(asdict(cfg)), which,
                           str(threads)], capture_output=True, text=True, env=env, cwd=root,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed: {proc.stderr.strip().splitlines()[-1:]}")
    return 1024.0 * json.loads(proc.stdout.strip().splitlines()[-1])["peak_kib"]


def _gpu_peak(fn: Callable, device: torch.device) -> float:
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return float(torch.cuda.max_memory_allocated(device) - base)


def _completeness(cfg: Config, model, x, target, attr) -> float:
    base = torch.zeros_like(x)
    delta = completeness_delta(model, attr.float() if cfg.dtype == "bf16-autocast" else attr,
                               base, x, target)
    return float(delta.abs().max())


def _flops_per_call(cfg: Config, model, x, target) -> float:
    """FLOPs of one IG call (forward and backward over all steps), counted by torch."""
    from torch.utils.flop_counter import FlopCounterMode

    one = Config(**{**asdict(cfg), "steps": 1, "internal_batch": None})
    counter = FlopCounterMode(display=False)
    with counter:
        _runners(one, model, x, target)["ours"]()
    return float(counter.get_total_flops()) * cfg.steps


def _measured_peak_flops(device: torch.device, dtype: torch.dtype, size: int = 8192) -> float:
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    reps = 20
    for _ in range(reps):
        a @ b
    torch.cuda.synchronize(device)
    return 2.0 * size ** 3 * reps / (time.perf_counter() - t0)


def run_config(cfg: Config, repeats: int, threads: int, memory: bool = True) -> dict:
    """Time, peak memory and completeness of ours and Captum's on one config."""
    device = torch.device(cfg.device)
    model, x, target = _build(cfg)
    runners = _runners(cfg, model, x, target)
    times = _time(runners, device, repeats)
    attrs = {k: fn() for k, fn in runners.items()}
    comp = {k: _completeness(cfg, model, x, target, a) for k, a in attrs.items()}
    diff = float((attrs["ours"].double() - attrs["captum"].double()).abs().max())
    if device.type == "cuda":
        peaks = {k: _gpu_peak(fn, device) for k, fn in runners.items()}
    elif memory:
        peaks = {k: _cpu_peak(cfg, k, threads) for k in runners}
    else:
        peaks = {"ours": None, "captum": None}
    row = {"config": asdict(cfg),
           "time_s": times, "time_ratio": ratio(times["ours"], times["captum"]),
           "peak_bytes": peaks,
           "peak_ratio": None if peaks["ours"] is None or peaks["captum"] is None
           else ratio(peaks["ours"], peaks["captum"]),
           "completeness": comp, "completeness_ratio": ratio(comp["ours"], comp["captum"]),
           "max_abs_difference": diff}
    if device.type == "cuda":
        flops = _flops_per_call(cfg, model, x, target)
        dt = torch.bfloat16 if cfg.dtype == "bf16-autocast" else torch.float32
        peak = _measured_peak_flops(device, dt)
        row["flops_per_call"] = flops
        row["achieved_flops"] = {k: flops / t for k, t in times.items()}
        row["card_peak_flops"] = peak
        row["fraction_of_peak"] = {k: flops / t / peak for k, t in times.items()}
    return row


def gpu_bench(device: str = "cuda", quick: bool = False, tiny: bool = False) -> list[Config]:
    """The GPU configs: ResNet-50 at 224x224, batch 16, 50 steps, float32 and bf16 autocast
    (``tiny``: a width-8 ResNet at 32x32, batch 2, 4 steps, to exercise the code path)."""
    if tiny:
        return [Config("tiny ResNet 3x32x32", "resnet-tiny", 2, 4, "gausslegendre", "float32",
                       device, internal_batch=4)]
    batches = (16,) if quick else (16, 32)
    out = []
    for batch in batches:
        for dtype in ("float32", "bf16-autocast"):
            out.append(Config(f"ResNet-50 3x224x224, {dtype}", "resnet50", batch, 50,
                              "gausslegendre", dtype, device, internal_batch=8 * batch))
    return out


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:  # pragma: no cover
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    try:
        import captum

        info["captum"] = captum.__version__
    except ImportError:  # pragma: no cover
        info["captum"] = None
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def run_bench(device: str | None = None, quick: bool = False, threads: int | None = None,
              configs: list[Config] | None = None, memory: bool = True) -> dict:
    """Run the benchmark; ``device`` None: CPU, and CUDA too when available."""
    try:
        import captum  # noqa: F401
    except ImportError:
        raise ArgumentError("the benchmark compares against Captum: pip install captum") \
            from None
    threads = threads or min(4, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    if device not in (None, "cpu", "cuda"):
        raise ArgumentError(f"--device must be cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ArgumentError("--device cuda: no CUDA device is available here")
    if configs is None:
        configs = []
        if device in (None, "cpu"):
            configs += cpu_configs(quick)
        if device == "cuda" or (device is None and torch.cuda.is_available()):
            torch.backends.cudnn.benchmark = True
            configs += gpu_bench("cuda", quick)
    repeats = 3 if quick else 7
    rows = [run_config(c, repeats, threads, memory) for c in configs]
    return {"machine": {**machine(), "threads": threads}, "rows": rows,
            "gpu_measured": any(r["config"]["device"] != "cpu" for r in rows)}


def _mib(b: float | None) -> str:
    return "n/a" if b is None else f"{b / 2 ** 20:.1f}"


def format_report(report: dict) -> str:
    """A Markdown table of a bench report (ratios are ours / Captum)."""
    m = report["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores ({m['threads']} torch threads)"
             + (f", GPU {m['gpu']}" if m.get("gpu") else "")
             + f"; Python {m['python']}, torch {m['torch']}, Captum {m['captum']}; {m['date']}.",
             "Time: the fastest of interleaved repeats after a warm-up (slower samples measure "
             "the other processes of a shared machine). Peak memory: rise of peak RSS over one "
             "call in a fresh process (CPU) or torch.cuda.max_memory_allocated (GPU). "
             "Completeness error: max over the batch of |sum A - (F(x) - F(x'))|.",
             "",
             "| case | device | batch | steps | rule | time ours / Captum (ms) | time ratio "
             "| peak MiB ours / Captum | peak ratio | completeness err ours / Captum "
             "| max abs diff |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["rows"]:
        c = r["config"]
        t = r["time_s"]
        pr = "n/a" if r["peak_ratio"] is None else f"{r['peak_ratio']:.2f}"
        lines.append(
            f"| {c['name']} | {c['device']} | {c['batch']} | {c['steps']} | {c['method']} "
            f"| {1e3 * t['ours']:.1f} / {1e3 * t['captum']:.1f} | {r['time_ratio']:.2f} "
            f"| {_mib(r['peak_bytes']['ours'])} / {_mib(r['peak_bytes']['captum'])} | {pr} "
            f"| {r['completeness']['ours']:.1e} / {r['completeness']['captum']:.1e} "
            f"| {r['max_abs_difference']:.1e} |")
        if "achieved_flops" in r:
            a = r["achieved_flops"]
            lines.append(
                f"|  ↳ FLOP/s | | | | | ours {a['ours'] / 1e12:.1f} T, Captum "
                f"{a['captum'] / 1e12:.1f} T; card peak {r['card_peak_flops'] / 1e12:.1f} T "
                f"(ours {100 * r['fraction_of_peak']['ours']:.0f} %) | | | | | |")
    if not report["gpu_measured"]:
        lines += ["", "GPU numbers were not measured: no GPU was lent to this session "
                  "(`python -m numeric bench --device cuda` runs them: ResNet-50 at 224x224, "
                  "batch 16 and 32, 50 steps, float32 and bf16 autocast, FLOP/s against the "
                  "card's measured matmul peak)."]
    return "\n".join(lines)


def write_results(report: dict, path: str, extra: str | None = None) -> None:
    """Replace (or append) the "## numeric" section of a Markdown results file; ``extra``
    (Markdown) goes at the end of the section."""
    section = "## numeric\n\n`python -m numeric bench` (ratios are ours / Captum; <= 1 is " \
              "better for us).\n\n" + format_report(report) + "\n"
    if extra:
        section += "\n" + extra.rstrip("\n") + "\n"
    replace_section(path, "## numeric", section)
