"""numeric.attribute_dataset and ``python -m numeric attribute``: a 2-process gloo run under
torchrun writes every example once and equals a single-process run bit for bit; a rank killed
half-way is resumed to the same bits; the results equal integrated_gradients on the whole
dataset and the completeness identity computed here from the model's outputs; bad input is
one line and exit status 2, and loses nothing already written."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import dataset_factories as factories
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from numeric import integrated_gradients
from numeric.attribution_store import (
    IncompleteRunError,
    load_attributions,
    plan_chunks,
    rank_share,
)
from numeric.cli import main
from numeric.dataset import _error_support, _sampled, attribute_dataset, summarize
from numeric.errors import ArgumentError

pytestmark = pytest.mark.usefixtures("one_thread")

ROOT = Path(__file__).resolve().parents[1]
FACTORIES = ["--model", "dataset_factories:model", "--data", "dataset_factories:data"]
OPTIONS = ["--steps", "8", "--batch-size", "4", "--no-progress"]


def _single(out: Path, **kw) -> None:
    attribute_dataset(factories.model(), factories.data(), out, steps=8, batch_size=4,
                      progress=False, model_name="dataset_factories:model",
                      data_name="dataset_factories:data", **kw)


def _torchrun(out: Path, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")]),
           "OMP_NUM_THREADS": "1", **(env_extra or {})}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
           "2", "-m", "numeric", "attribute", *FACTORIES, "--out", str(out), *OPTIONS, "--json"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def _same_bits(a, b) -> None:
    assert sorted(a) == sorted(b)
    for key in a:
        x, y = np.asarray(a[key]), np.asarray(b[key])
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), key


def _only_safe_files(out: Path) -> None:
    names = {p.name for p in out.iterdir()}
    assert all(n.endswith((".safetensors", ".json", ".png")) for n in names), names


@given(st.integers(1, 500), st.integers(1, 64), st.integers(1, 16),
       st.lists(st.booleans(), max_size=600))
def test_every_example_is_given_to_exactly_one_rank(examples, chunk, world, done):
    plan = plan_chunks(examples, chunk)
    assert plan[0][0] == 0 and plan[-1][1] == examples
    assert all(a < b == c for (a, b), (c, _) in zip(plan, plan[1:] + [(plan[-1][1], 0)]))
    assert all(b - a == chunk for a, b in plan[:-1])  # boundaries at multiples of the chunk
    todo = [c for c, d in zip(plan, done + [False] * len(plan)) if not d]
    shares = [rank_share(todo, r, world) for r in range(world)]
    assert [c for share in shares for c in share] == todo  # disjoint, in order, all of them
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


@pytest.mark.slow
def test_two_gloo_processes_write_every_example_once_as_one_process_would(tmp_path):
    _single(tmp_path / "one")
    run = _torchrun(tmp_path / "two")
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    # 10 chunks of 4: the ranks take 5 contiguous chunks each
    assert [(r["rank"], r["examples"]) for r in summary["ranks"]] == [(0, 20), (1, 20)]
    two = load_attributions(tmp_path / "two")
    assert two["index"].tolist() == list(range(factories.EXAMPLES))
    _same_bits(load_attributions(tmp_path / "one"), two)
    _only_safe_files(tmp_path / "two")


def _worker(rank: int, port: int, args: list[str], kill: str | None) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank),
                      LOCAL_RANK=str(rank), WORLD_SIZE="2")
    if kill:
        os.environ["IGVERIFY_TEST_KILL"] = kill
    with open(f"{args[-1]}.rank{rank}.err", "w") as sink:  # beside the --out directory
        sys.stdout = sys.stderr = sink
        code = main(["attribute", *args, *OPTIONS])
    os._exit(code)


def _forked_ranks(out: Path, kill: str | None = None, factories: list[str] = FACTORIES,
                  extra: tuple[str, ...] = (), ranks: tuple[int, ...] = (0, 1),
                  kill_survivors: bool = True) -> list[int]:
    """Two ranks as forked processes (torch.multiprocessing, no re-import of torch); with
    ``kill`` one SIGKILLs itself, and the other, left waiting for it, is killed too (what
    torchrun does), as a crash of the machine would, unless ``kill_survivors`` is False.
    ``ranks``: which of the two are started."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = torch.multiprocessing.get_context("fork")
    args = [*factories, *extra, "--out", str(out)]
    procs = [ctx.Process(target=_worker, args=(r, port, args, kill)) for r in ranks]
    for p in procs:
        p.start()
    if kill and kill_survivors:
        victim = procs[int(kill.split(":")[0])]
        victim.join(120)
        for p in procs:
            if p.is_alive():
                os.kill(p.pid, signal.SIGKILL)
    for p in procs:
        p.join(120)
    return [p.exitcode for p in procs]


def test_a_rank_killed_half_way_is_resumed_to_the_same_bits(tmp_path):
    out = tmp_path / "run"
    # rank 1 owns examples 20..39; it dies (SIGKILL) reading item 32, in its fourth chunk
    # (item 32 is not among those every rank reads first for the data's fingerprint)
    assert 32 not in _sampled(factories.EXAMPLES)
    codes = _forked_ranks(out, kill="1:32")
    assert codes[1] == -signal.SIGKILL
    with pytest.raises(IncompleteRunError, match=r"\d+ of 40 examples are missing"):
        load_attributions(out)
    before = load_attributions(out, partial=True)
    assert set(range(20, 32)) <= set(before["index"].tolist())
    assert not {32, 33, 34, 35} & set(before["index"].tolist())
    kept = {p.name: p.read_bytes() for p in out.glob("chunk-*.safetensors")}
    # what a writer killed before its rename leaves: a temporary file, never part of the run
    (out / ".chunk-000000032.safetensors.99999.tmp").write_bytes(b"half a chunk")
    assert _forked_ranks(out) == [0, 0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed"] == len(before["index"]) >= 8
    assert summary["computed"] == 40 - summary["resumed"]
    assert all((out / name).read_bytes() == data for name, data in kept.items())
    _single(tmp_path / "one")
    _same_bits(load_attributions(tmp_path / "one"), load_attributions(out))
    assert not list(out.glob(".*.tmp"))


def test_a_rank_that_dies_is_named_by_the_rank_left_waiting(tmp_path):
    # outside torchrun nobody kills the survivor: rank 0, done with its share, waits for
    # rank 1 only while rank 1's heartbeat goes on, then names it (before: forever)
    out = tmp_path / "run"
    codes = _forked_ranks(out, kill="1:32", extra=("--timeout", "3"), kill_survivors=False)
    assert codes == [2, -signal.SIGKILL]
    err = (tmp_path / "run.rank0.err").read_text()
    _one_line_error(2, err, "rank 1 of 2 fell silent while the ranks finish their chunks "
                    "(no heartbeat for 3 s)", "run the same command again to resume")
    # what rank 0 wrote is kept and resumed
    assert set(range(20)) <= set(load_attributions(out, partial=True)["index"].tolist())


def test_a_rank_that_never_starts_is_named(tmp_path):
    codes = _forked_ranks(tmp_path / "run", extra=("--timeout", "1"), ranks=(0,))
    assert codes == [2]
    _one_line_error(2, (tmp_path / "run.rank0.err").read_text(),
                    "rank 1 of 2 did not join within 1 s", "MASTER_PORT")
    assert not (tmp_path / "run").exists()


def test_a_rank_that_fails_is_named_at_once_by_the_others(tmp_path):
    # the timeout is long: rank 0 learns of rank 1's failure from the store, not by waiting
    codes = _forked_ranks(tmp_path / "run", extra=("--timeout", "600"), factories=[
        "--model", "dataset_factories:model", "--data", "dataset_factories:bad_late_data"])
    assert codes == [2, 2]
    assert 27 not in _sampled(factories.EXAMPLES)
    err0, err1 = ((tmp_path / f"run.rank{r}.err").read_text() for r in range(2))
    _one_line_error(2, err1, "dataset item 27 has shape (3,), item 0 has (4,)")
    _one_line_error(2, err0, "rank 1 failed while the ranks finish their chunks: dataset item "
                    "27 has shape (3,)")


def test_the_fingerprint_reads_items_between_the_first_and_the_last(tmp_path):
    _single(tmp_path)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    data = factories.data()
    assert 20 in _sampled(factories.EXAMPLES)
    data.x[20, 1] += 0.5  # neither the first nor the last item
    with pytest.raises(ArgumentError, match="data_sample_sha256 is .* there, .* here"):
        attribute_dataset(factories.model(), data, tmp_path, steps=8, batch_size=4,
                          progress=False, model_name="dataset_factories:model",
                          data_name="dataset_factories:data")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


@pytest.mark.parametrize("item", [7, 37])
def test_a_resume_over_changed_data_is_refused_naming_the_chunk(tmp_path, item):
    # an item outside the fingerprint's sample, in a chunk already written: the chunk's own
    # hash of its inputs tells
    first = item - item % 4
    _single(tmp_path)
    (tmp_path / f"chunk-{(first + 4) % 40:09d}.safetensors").unlink()  # a resume: work to do
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    data = factories.data()
    assert item not in _sampled(factories.EXAMPLES)
    data.x[item, 0] += 1e-9
    with pytest.raises(ArgumentError, match=rf"dataset items {first} to {first + 3} are not the "
                       rf"inputs chunk-{first:09d}.safetensors was computed from"):
        attribute_dataset(factories.model(), data, tmp_path, steps=8, batch_size=4,
                          progress=False, model_name="dataset_factories:model",
                          data_name="dataset_factories:data")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files
    data.y[item] = (data.y[item] + 1) % 3  # a label changed too, the input restored
    data.x[item, 0] -= 1e-9
    with pytest.raises(ArgumentError, match=f"dataset items {first} to {first + 3}"):
        attribute_dataset(factories.model(), data, tmp_path, steps=8, batch_size=4,
                          progress=False, model_name="dataset_factories:model",
                          data_name="dataset_factories:data")
    _single(tmp_path)  # the same data: resumed
    assert len(load_attributions(tmp_path)["index"]) == 40


def test_ranks_with_different_models_are_refused_before_writing(tmp_path):
    codes = _forked_ranks(tmp_path / "o", factories=["--model", "dataset_factories:rank_model",
                                                     "--data", "dataset_factories:data"])
    assert codes == [2, 2]
    assert not (tmp_path / "o").exists()
    err0, err1 = ((tmp_path / f"o.rank{r}.err").read_text() for r in range(2))
    _one_line_error(2, err0, "ranks 0 and 1 differ in model_sha256:")
    assert err1 == ""  # rank 0 says why, once


@pytest.mark.parametrize("baseline", [0.0, 0.25, "tensor"])
def test_equals_integrated_gradients_on_the_whole_dataset(tmp_path, baseline):
    model = factories.model()
    x, y = factories.inputs()
    if baseline == "tensor":
        baseline = torch.linspace(-1, 1, 4, dtype=torch.float64)
    _single(tmp_path, baseline=baseline)
    got = load_attributions(tmp_path)
    attr, delta = integrated_gradients(model, x, baselines=baseline if isinstance(
        baseline, float) else baseline.unsqueeze(0), target=y, steps=8, return_delta=True)
    assert got["index"].tolist() == list(range(len(x)))
    assert got["target"].tolist() == y.tolist()
    np.testing.assert_array_equal(np.asarray(got["attributions"]), attr.numpy())
    np.testing.assert_array_equal(got["delta"], delta.numpy())
    # the completeness identity, from the model's outputs here: delta = sum A - (F(x) - F(x'))
    with torch.no_grad():
        base = torch.zeros_like(x) + baseline
        gap = (model(x) - model(base)).gather(1, y[:, None])[:, 0]
    np.testing.assert_allclose(got["delta"], attr.sum(1).numpy() - gap.numpy(), atol=1e-12)


@pytest.mark.skipif(not _error_support(), reason="integrated_gradients has no tolerance=")
def test_a_tolerance_stores_an_honest_error_estimate(tmp_path, capsys):
    model = factories.tanh_model()
    x, y = factories.inputs()
    code, out, _ = _cli(capsys, "--model", "dataset_factories:tanh_model", "--data",
                        "dataset_factories:data", "--out", str(tmp_path), *OPTIONS,
                        "--tolerance", "1e-9", "--json")
    assert code == 0
    got = load_attributions(tmp_path)
    assert got["error"].dtype == np.float64 and got["met"].tolist() == [1] * len(x)
    assert json.loads(out)["tolerance_not_met"] == 0
    # against Gauss-Legendre with 200 nodes on a smooth network (exact to rounding here)
    ref = integrated_gradients(model, x, target=y, steps=200).numpy()
    true = np.abs(np.asarray(got["attributions"]) - ref).max(1)
    assert (true <= got["error"] + 1e-13).all()
    assert (got["error"] <= 1e-9 * np.abs(ref).max(1)).all()


@pytest.mark.skipif(not _error_support(), reason="integrated_gradients has no tolerance=")
def test_a_tolerance_on_a_relu_network_with_label_targets_is_exact(tmp_path, capsys):
    # per-example targets (the labels) still take the exact region walk, not the adaptive
    # integrator (which bisects at every kink)
    code, _, _ = _cli(capsys, "--model", "dataset_factories:model", "--data",
                      "dataset_factories:small_data", "--out", str(tmp_path), *OPTIONS,
                      "--tolerance", "1e-9")
    assert code == 0
    got = load_attributions(tmp_path)
    x, y = factories.inputs()
    exact = integrated_gradients(factories.model(), x[:4], target=y[:4], method="exact")
    np.testing.assert_array_equal(np.asarray(got["attributions"]), exact.numpy())
    assert got["met"].tolist() == [1] * 4 and (got["error"] < 1e-12).all()


def test_an_unmet_tolerance_is_said_in_the_summary(tmp_path):
    from numeric.attribute_command import format_summary

    _single(tmp_path)
    summary = summarize(tmp_path)
    assert "TOLERANCE" not in format_summary(summary)
    summary.update(tolerance=1e-9, tolerance_not_met=3)
    assert "TOLERANCE NOT MET on 3 examples" in format_summary(summary)


def test_dataloader_workers_give_the_same_bits(tmp_path):
    _single(tmp_path / "w0")
    _single(tmp_path / "w2", workers=2)
    _same_bits(load_attributions(tmp_path / "w0"), load_attributions(tmp_path / "w2"))


def test_predicted_target_and_a_fixed_target(tmp_path):
    model = factories.model()
    x, _ = factories.inputs()
    _single(tmp_path / "p", target="predicted")
    with torch.no_grad():
        assert load_attributions(tmp_path / "p")["target"].tolist() == \
            model(x).argmax(1).tolist()
    _single(tmp_path / "f", target=2)
    got = load_attributions(tmp_path / "f")
    np.testing.assert_array_equal(np.asarray(got["attributions"]),
                                  integrated_gradients(model, x, target=2, steps=8).numpy())


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["attribute", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


def test_cli_summary_and_files(tmp_path, capsys):
    code, out, _ = _cli(capsys, *FACTORIES, "--out", str(tmp_path), *OPTIONS)
    assert code == 0
    assert out.startswith("40 examples in") and "rank 0: 40 examples" in out
    assert "|delta|: min" in out and "worst by |delta|: #" in out
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["written"] == 40 and summary["missing"] == 0
    assert (tmp_path / "summary.png").stat().st_size > 1000
    _only_safe_files(tmp_path)
    code, out, _ = _cli(capsys, *FACTORIES, "--out", str(tmp_path), *OPTIONS, "--json")
    again = json.loads(out)
    assert code == 0 and again["resumed"] == 40 and again["computed"] == 0


def test_a_nan_example_is_the_worst_and_json_stays_valid(tmp_path, capsys):
    code, out, _ = _cli(capsys, "--model", "dataset_factories:nan_model", "--data",
                        "dataset_factories:nan_data", "--out", str(tmp_path), *OPTIONS, "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["worst"][0]["index"], summary["worst"][0]["abs_delta"]) == (5, "nan")
    assert summary["abs_delta"]["max"] == "nan"
    code, out, _ = _cli(capsys, "--model", "dataset_factories:nan_model", "--data",
                        "dataset_factories:nan_data", "--out", str(tmp_path), *OPTIONS)
    assert "worst by |delta|: #5 (target " in out and "nan" in out


def test_a_baseline_factory_is_the_tensor_it_returns(tmp_path, capsys):
    code, _, _ = _cli(capsys, *FACTORIES, "--out", str(tmp_path / "cli"), *OPTIONS,
                      "--baseline", "dataset_factories:baseline")
    assert code == 0
    _single(tmp_path / "api", baseline=factories.baseline())
    _same_bits(load_attributions(tmp_path / "cli"), load_attributions(tmp_path / "api"))
    code, _, err = _cli(capsys, *FACTORIES, "--out", str(tmp_path / "bad"), *OPTIONS,
                        "--baseline", "dataset_factories:inputs")
    _one_line_error(code, err, "baseline must be a number or a tensor, got tuple")


def test_a_different_configuration_is_refused_naming_the_difference(tmp_path, capsys):
    assert _cli(capsys, *FACTORIES, "--out", str(tmp_path), *OPTIONS)[0] == 0
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, _, err = _cli(capsys, *FACTORIES, "--out", str(tmp_path), "--steps", "4",
                        "--batch-size", "4", "--no-progress")
    _one_line_error(code, err, "steps is 8 there, 4 here", "--overwrite")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files
    code, _, err = _cli(capsys, "--model", "dataset_factories:model", "--data",
                        "dataset_factories:unlabelled", "--out", str(tmp_path), *OPTIONS,
                        "--target", "0")
    _one_line_error(code, err, "data is")
    code, _, _ = _cli(capsys, *FACTORIES, "--out", str(tmp_path), "--steps", "4",
                      "--batch-size", "4", "--no-progress", "--overwrite")
    assert code == 0
    assert load_attributions(tmp_path).manifest["config"]["steps"] == 4


@pytest.mark.parametrize(("args", "words"), [
    (["--model", "no_such_module_here:model", "--data", "dataset_factories:data"],
     ["cannot import module 'no_such_module_here'"]),
    (["--model", "dataset_factories:nothing", "--data", "dataset_factories:data"],
     ["has no 'nothing'"]),
    (["--model", "dataset_factories:not_a_function", "--data", "dataset_factories:data"],
     ["not a function"]),
    (["--model", "dataset_factories:broken", "--data", "dataset_factories:data"],
     ["dataset_factories:broken() failed: RuntimeError: no weights here"]),
    (["--model", "os.system('x')", "--data", "dataset_factories:data"],
     ["is not MODULE:FUNCTION"]),
    ([*FACTORIES, "--target", "3"], ["target 3 is out of range", "(N, 3)"]),
    (["--model", "dataset_factories:model", "--data", "dataset_factories:unlabelled"],
     ["3 outputs per example", "--target"]),
    (["--model", "dataset_factories:model", "--data", "dataset_factories:unlabelled",
      "--target", "label"], ["needs a dataset of (input, label) pairs"]),
    (["--model", "dataset_factories:dropout_model", "--data", "dataset_factories:data"],
     ["training mode", ".eval()"]),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, words):
    code, _, err = _cli(capsys, *args, "--out", str(tmp_path / "o"), *OPTIONS)
    _one_line_error(code, err, *words)


def test_an_unwritable_directory_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, _, err = _cli(capsys, *FACTORIES, "--out", str(tmp_path / "file" / "o"), *OPTIONS)
    _one_line_error(code, err, "cannot write to")
    assert (tmp_path / "file").read_text() == "x"


def test_a_bad_item_stops_the_run_and_keeps_what_was_written(tmp_path, capsys):
    code, _, err = _cli(capsys, "--model", "dataset_factories:model", "--data",
                        "dataset_factories:bad_shape_data", "--out", str(tmp_path), *OPTIONS)
    assert 12 not in _sampled(factories.EXAMPLES)
    _one_line_error(code, err, "dataset item 12 has shape (3,), item 0 has (4,)")
    with pytest.raises(IncompleteRunError, match="28 of 40 examples are missing"):
        load_attributions(tmp_path)
    kept = load_attributions(tmp_path, partial=True)
    assert kept["index"].tolist() == list(range(12)) and kept.missing == 28
    x, y = factories.inputs()
    np.testing.assert_array_equal(
        np.asarray(kept["attributions"]),
        integrated_gradients(factories.model(), x[:12], target=y[:12], steps=8).numpy())


def test_a_truncated_chunk_counts_as_missing_and_is_recomputed(tmp_path):
    _single(tmp_path)
    full = {k: np.array(v) for k, v in load_attributions(tmp_path).items()}  # not mapped
    chunk = tmp_path / "chunk-000000012.safetensors"
    chunk.write_bytes(chunk.read_bytes()[:-10])
    with pytest.raises(IncompleteRunError, match="4 of 40 examples are missing"):
        load_attributions(tmp_path)
    _single(tmp_path)
    _same_bits(full, load_attributions(tmp_path))


def test_a_foreign_directory_is_refused(tmp_path, capsys):
    (tmp_path / "chunk-000000000.safetensors").write_bytes(b"not ours")
    code, _, err = _cli(capsys, *FACTORIES, "--out", str(tmp_path), *OPTIONS)
    _one_line_error(code, err, "no manifest.json")
    assert (tmp_path / "chunk-000000000.safetensors").read_bytes() == b"not ours"
    with pytest.raises(Exception, match="holds no attribution run"):
        load_attributions(tmp_path)
