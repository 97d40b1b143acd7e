"""The pruning experiments (Lundstrom, Huang & Razaviyayn (2022), sec. 7, App. L.2, M): the
building blocks on tiny models with hand-checked numbers, the trained digits networks'
identities, reproducible training, and ``python -m numeric prune --quick`` end to end."""

from __future__ import annotations

import json
import sys

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from numeric.cli import main  # noqa: E402
from numeric.conductance import check_identities, conductance  # noqa: E402
from numeric.experiments.digits import TrainSettings, digits_split, trained_net  # noqa: E402
from numeric.experiments.prune import class_accuracies, counts_for, zeroed  # noqa: E402

nn = torch.nn


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run of the command, shared by the tests that read its output."""
    root = tmp_path_factory.mktemp("prune")
    results = root / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## numeric\n\nkept\n")
    argv = ["prune", "--quick", "--json", "--figures", str(root / "figs"), "--cache",
            str(root / "cache"), "--write", str(results)]
    return root, argv


def test_zeroing_units_and_channels_by_hand():
    conv = nn.Conv2d(1, 3, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1, 1))
    net = nn.Sequential(conv, nn.Flatten(), nn.Linear(12, 1, bias=False))
    with torch.no_grad():
        net[2].weight.fill_(1.0)
    x = torch.ones(1, 1, 2, 2)
    net.requires_grad_(False)
    assert float(net(x)) == 24.0  # 4 positions x (1 + 2 + 3)
    with zeroed(net, "0", torch.tensor([1]), per_channel=True):
        assert float(net(x)) == 16.0  # channel 1 (weight 2) gone
    with zeroed(net, "0", torch.tensor([0, 11]), per_channel=False):
        assert float(net(x)) == 20.0  # unit (0,0,0) = 1 and unit (2,1,1) = 3 gone
    assert float(net(x)) == 24.0  # the hook is removed
    assert counts_for(64, quick=False) == list(range(0, 65, 4))


def test_class_accuracies_by_hand():
    class Fixed(nn.Module):
        def forward(self, x):
            return nn.functional.one_hot(x[:, 0].long(), 10).double()

    x = torch.tensor([[0.0], [1.0], [1.0], [2.0]])
    y = torch.tensor([0, 1, 2, 2])
    overall, per = class_accuracies(Fixed(), x, y)
    assert overall == 0.75 and per[:3] == [1.0, 1.0, 0.5]


def test_training_is_reproducible_and_cached(tmp_path):
    data = digits_split()
    settings = TrainSettings(activation="relu", epochs=1, train_limit=120)
    a, cached_a = trained_net(settings, data, tmp_path / "one")
    b, cached_b = trained_net(settings, data, tmp_path / "two")
    c, cached_c = trained_net(settings, data, tmp_path / "one")
    assert (cached_a, cached_b, cached_c) == (False, False, True)
    for p, q, r in zip(a.state_dict().values(), b.state_dict().values(),
                       c.state_dict().values()):
        assert torch.equal(p, q) and torch.equal(p, r)


def test_the_weights_cache_is_safetensors_and_refuses_what_does_not_fit(tmp_path):
    from safetensors.torch import load_file, save_file

    from numeric.experiments.digits import CacheIgnored

    data = digits_split()
    settings = TrainSettings(activation="relu", epochs=1, train_limit=40)
    net, cached = trained_net(settings, data, tmp_path)
    (path,) = tmp_path.iterdir()
    assert not cached and path.suffix == ".safetensors"
    stored = {k: v.clone() for k, v in load_file(path).items()}  # plain tensors, no pickle
    assert all(torch.equal(stored[k].double(), v) for k, v in net.state_dict().items())
    again, cached = trained_net(settings, data, tmp_path)
    assert cached and all(torch.equal(p, q) for p, q in zip(net.parameters(),
                                                             again.parameters()))
    good = path.read_bytes()
    wrong_shape = {**stored, "fc3.bias": torch.zeros(3)}
    other_key = {k: v + 1 for k, v in stored.items()}
    broken = [("truncated", lambda: path.write_bytes(good[:-100]), "not a readable"),
              ("not safetensors", lambda: path.write_bytes(b"\x80\x04K\x01."), "not a readable"),
              ("a tensor of another shape",
               lambda: save_file(wrong_shape, path, metadata=_meta(good)), "fc3.bias is"),
              ("other settings", lambda: save_file(other_key, path, metadata={
                  **_meta(good), "key": "0" * 16}), "other settings"),
              ("no format tag", lambda: save_file(stored, path), "not an igverify weights")]
    for what, spoil, words in broken:
        spoil()
        with pytest.warns(CacheIgnored, match=words) as caught:
            rebuilt, cached = trained_net(settings, data, tmp_path)
        assert not cached, what
        assert str(path) in str(caught[0].message), what
        # trained again (the same bits, deterministic) and the file replaced by a good one
        assert all(torch.equal(p, q) for p, q in zip(net.parameters(), rebuilt.parameters()))
        now = load_file(path)
        assert _meta(path.read_bytes()) == _meta(good), what
        assert sorted(now) == sorted(stored) and all(torch.equal(now[k], stored[k])
                                                     for k in stored), what


def _meta(file_bytes: bytes) -> dict:
    size = int.from_bytes(file_bytes[:8], "little")
    return json.loads(file_bytes[8:8 + size])["__metadata__"]


def test_identities_on_a_trained_digits_network(tmp_path):
    data = digits_split()
    net, _ = trained_net(TrainSettings(activation="relu", epochs=2, train_limit=300), data,
                         tmp_path)
    x, y = data.x_test[:3], data.y_test[:3]
    box = torch.zeros(1, 8, 8, dtype=torch.bool)
    box[0, :2, 2:] = True
    logits = net[:-1]
    for layer in ("act4", "act2"):  # dense, conv: exact on the ReLU twin's logits
        report = check_identities(logits, layer, x, target=y, method="exact", patch=box)
        assert report.max_rel_gap() < 1e-12, str(report)
    tanh, _ = trained_net(TrainSettings(activation="tanh", epochs=2, train_limit=300), data,
                          tmp_path)
    for layer in ("act4", "act2"):  # Gauss-Legendre on the pieces between max-pool switches
        report = check_identities(tanh, layer, x[:2], target=y[:2], steps=24, patch=box,
                                  split_kinks=True)
        assert report.max_rel_gap() < 1e-9, str(report)
    channels = conductance(tanh, "act2", x, target=y, steps=16, per_channel=True)
    assert channels.shape == (3, 10)


def test_prune_command_quick(quick_run, capsys):
    root, argv = quick_run
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["experiments"]) == {"tanh", "relu"}
    for exps in report["experiments"].values():
        assert set(exps) == {"global", "per_class", "patch"}
        g = exps["global"]["layers"]["conv"]
        assert g["fractions"][0] == 0.0 and g["fractions"][-1] == 1.0
        assert len(g["descending"]) == len(g["fractions"]) == len(g["random"][0])
        assert g["units"] == 10 and sorted(g["ranking_descending"]) == list(range(10))
        assert len(exps["global"]["layers"]["dense"]["ascending"]) == 5
        assert set(exps["patch"]["curves"]) >= {"descending", "ascending", "random"}
        for e in exps.values():
            assert e["claims"] and all(isinstance(c["reproduced"], bool) and c["numbers"]
                                       for c in e["claims"])
        # no pruning: the accuracy the model had
    acc = report["models"]["tanh"]["test_accuracy"]
    assert report["experiments"]["tanh"]["global"]["layers"]["dense"]["descending"][0] == acc
    # all units of the dense layer zeroed: the output no longer depends on the image, so the
    # recomputed IG is zero (completeness: F(x) - F(x') = 0)
    last = report["experiments"]["tanh"]["patch"]["curves"]["descending"]["all"][-1]
    assert abs(last) < 1e-12
    assert all(r["max_rel_gap"] < 1e-9 for r in report["identities"] if r["holds_to_rounding"])
    assert len(report["figures"]) == 6
    for path in report["figures"]:
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    text = (root / "RESULTS.md").read_text()
    assert "## numeric\n\nkept" in text and text.count("## prune") == 1
    assert "reproduced" in text
    # weights from the cache; the section is replaced, not repeated (no figures this time:
    # drawing them is half the run, and they were checked above)
    i = argv.index("--figures")
    assert main(argv[:i] + argv[i + 2:]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["models"]["relu"]["from_cache"] is True
    assert again["claims"] == report["claims"]  # deterministic
    assert (root / "RESULTS.md").read_text().count("## prune") == 1


def test_prune_command_errors(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["prune", "--quick", "--steps", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
    assert main(["prune", "--quick", "--figures", str(blocker / "figs")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and err.count("\n") == 1
    assert main(["prune", "--quick", "--write", str(tmp_path / "no" / "RESULTS.md")]) == 2
    assert "cannot write" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "sklearn", None)  # as if scikit-learn were missing
    assert main(["prune", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "pip install" in err and "scikit-learn" in err and err.count("\n") == 1
