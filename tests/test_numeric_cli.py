"""python -m numeric: crosscheck and bench (JSON, tables, exit codes, RESULTS.md section).

The commands run in this process (conftest's run_main); the real processes of
``python -m numeric`` are test_cli_without_torch_is_one_line_exit_2 and test_structure.py's."""

import json
import subprocess
import sys

import pytest
import torch
from conftest import _run_main

from numeric import bench
from numeric.cli import main


def test_crosscheck_quick_json():
    proc = _run_main("numeric", "crosscheck", "--quick", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    rows = {r["network"]: r for r in report["networks"]}
    relu = rows["relu MLP 8-16-1"]
    assert relu["reference"] == "symbolic"
    assert relu["exact_pl"] < 1e-12 and relu["mpmath"] < 1e-12
    assert relu["exact_pl_regions"] == relu["symbolic_regions"]
    digits = rows["digits MLP 64-32-10 (trained)"]
    assert digits["exact_pl"] < 1e-12 and digits["exact_pl_completeness"] < 1e-9
    tanh = rows["tanh MLP 8-16-1"]
    assert tanh["reference"] == "mpmath" and tanh["exact_pl"] is None
    # Gauss-Legendre on a smooth network: 1e-6 within a few dozen steps (a property of the
    # rule, measured against mpmath at 30 digits)
    assert tanh["steps_to"]["gausslegendre"]["1e-06"] <= 32


@pytest.mark.parametrize("args, message", [
    ([], "required: COMMAND"),
    (["frobnicate"], "invalid choice"),
    (["bench", "--device", "tpu"], "invalid choice"),
])
def test_cli_user_errors_exit_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        code = main(args)
        raise SystemExit(code)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_bench_cuda_without_gpu_is_a_user_error():
    proc = _run_main("numeric", "bench", "--device", "cuda")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "error: --device cuda: no CUDA device is available here"


def test_bench_row_on_a_tiny_resnet_and_results_section(tmp_path):
    pytest.importorskip("captum")
    cfg = bench.gpu_bench("cpu", tiny=True)[0]  # the GPU code path, small, on the CPU
    report = bench.run_bench(configs=[cfg], threads=1, memory=False)
    row = report["rows"][0]
    assert row["time_ratio"] > 0 and row["peak_ratio"] is None
    # same rule, same nodes: Captum and we agree up to its float32 weights
    assert row["max_abs_difference"] < 1e-4
    path = tmp_path / "RESULTS.md"
    path.write_text("# Results\n\n## axioms\n\nkeep me\n\n## numeric\n\nold\n\n"
                    "## proofs\n\nme too\n")
    bench.write_results(report, str(path))
    text = path.read_text()
    assert "keep me" in text and "me too" in text and "old" not in text
    assert text.count("## numeric") == 1 and "tiny ResNet" in text
    assert "GPU numbers were not measured" in text
    bench.write_results(report, str(path))
    assert path.read_text() == text


def test_flop_count_of_a_linear_model_is_the_closed_form():
    model = torch.nn.Linear(4, 3, bias=False)
    x = torch.ones(2, 4)
    cfg = bench.Config("lin", "cnn", 2, 5, "gausslegendre", "float32")
    flops = bench._flops_per_call(cfg, model, x, 0)
    # per step: forward 2*N*in*out (mm) and backward to the input 2*N*in*out, 5 steps
    assert flops == 5 * (2 * 2 * 4 * 3) * 2


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_bench_quick_runs():
    report = bench.run_bench(device="cuda", quick=True)
    assert report["gpu_measured"]
    for row in report["rows"]:
        if row["config"]["device"] == "cuda":
            assert row["fraction_of_peak"]["ours"] > 0


def test_cli_without_torch_is_one_line_exit_2():
    # torch hidden (sys.modules['torch'] = None makes its import fail), then `python -m numeric`
    code = ("import runpy, sys; sys.modules['torch'] = None; "
            "sys.argv = ['-m', 'crosscheck', '--quick']; "
            "runpy.run_module('numeric', run_name='__main__', alter_sys=True)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: numeric/ needs PyTorch: pip install torch==2.13.0 (CPU build; see pyproject.toml)"]
