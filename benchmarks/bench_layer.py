"""Layer attributions beside Captum: peak memory against n_steps, and the small BERT's numbers.

Two tables, each measured in the same run for numeric's classes and Captum's:

- memory: the peak resident memory a LayerConductance or LayerIntegratedGradients call adds
  (each call in a fresh process, above the process's peak after building the model and a
  two-step warm-up call), at n_steps 50 and 1000 with internal_batch_size fixed, on a CNN;
- BERT: LayerIntegratedGradients through the embedding layer of numeric.tiny_bert's model
  (float32, a batch of sentences, [PAD] baseline): time and peak memory at 50 steps, and the
  Gauss-Legendre steps each needs to come within 1e-4 (relative to the largest attribution) of
  a float64 reference (ours at 256 steps), with numeric's tolerance=1e-4 beside it.

    python benchmarks/bench_layer.py [--write] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cnn():
    import torch

    torch.manual_seed(0)
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.Tanh(), nn.Conv2d(16, 16, 3, padding=1),
                        nn.Tanh(), nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(256, 10))
    return net.eval(), torch.rand(4, 3, 32, 32), 3


def _bert_batch():
    import torch

    from numeric.tiny_bert import TinyBert

    model = TinyBert(seed=0, dtype=torch.float32)
    sentences = ["the film was wonderful but the acting was dull",
                 "i hated this boring movie and the plot was awful",
                 "a great story with brilliant actors and fun",
                 "it was not very good but we liked the acting"]
    rows = [model.encode(s)[0][0] for s in sentences]
    width = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), width, dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
    mask = (ids != 0).long()
    return model, ids, mask


def measure(which: str, method: str, steps: int, batch: int) -> dict:
    """One call in this process: seconds and the peak memory it adds (MiB)."""
    import torch

    torch.set_num_threads(1)
    if which == "captum":
        from captum.attr import LayerConductance, LayerIntegratedGradients
    else:
        from numeric import LayerConductance, LayerIntegratedGradients
    if method == "bert_lig":
        model, ids, mask = _bert_batch()
        lig = LayerIntegratedGradients(model, model.embeddings)

        def call(n):
            return lig.attribute(ids, model.pad_baseline(ids), target=1,
                                 additional_forward_args=mask, n_steps=n,
                                 internal_batch_size=batch)
    else:
        net, x, target = _cnn()
        cls = LayerConductance if method == "lc" else LayerIntegratedGradients
        attr = cls(net, net[1])

        def call(n):
            return attr.attribute(x, target=target, n_steps=n, internal_batch_size=batch)

    call(2)
    before = _peak_kib()
    start = time.perf_counter()
    call(steps)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mib": (_peak_kib() - before) / 1024}


#: glibc's malloc maps every block above 64 KiB and unmaps it when freed, so the peak resident
#: memory is the memory live at once, not what a fragmented heap keeps (without it the peak
#: of either implementation creeps up with the number of passes)
ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": "65536"}


def in_subprocess(which: str, method: str, steps: int, batch: int) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", which, method, str(steps),
                           str(batch)], capture_output=True, text=True, cwd=ROOT, check=True,
                          env={**os.environ, **ALLOCATOR})
    return json.loads(done.stdout.strip().splitlines()[-1])


def steps_to_accuracy(target_rel: float = 1e-4) -> dict:
    """The Gauss-Legendre steps ours and Captum's LayerIntegratedGradients need (float32
    model) to come within target_rel of the float64 reference; ours with tolerance=."""
    import copy

    import torch
    from captum.attr import LayerIntegratedGradients as CaptumLIG

    from numeric import LayerIntegratedGradients

    torch.set_num_threads(1)
    model, ids, mask = _bert_batch()
    base = model.pad_baseline(ids)
    m64 = copy.deepcopy(model).double()
    kw = dict(target=1, additional_forward_args=mask)
    ref = LayerIntegratedGradients(m64, m64.embeddings).attribute(ids, base, n_steps=256, **kw)
    scale = ref.abs().amax(dim=(1, 2))

    def rel(a):
        return float(((a.double() - ref).abs().amax(dim=(1, 2)) / scale).max())

    out = {}
    for label, cls in (("numeric", LayerIntegratedGradients), ("captum", CaptumLIG)):
        lig = cls(model, model.embeddings)
        n, err = 2, None
        while n <= 1024:
            err = rel(lig.attribute(ids, base, n_steps=n, **kw).detach())
            if err <= target_rel:
                break
            n *= 2
        out[label] = (n if n <= 1024 else None, err)
    lig = LayerIntegratedGradients(model, model.embeddings)
    attr, error = lig.attribute(ids, base, tolerance=target_rel, return_error=True, **kw)
    out["tolerance"] = (rel(attr), float((error / scale).max()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write to benchmarks/RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="n_steps 50 and 200 only")
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        which, method, steps, batch = args.measure
        print(json.dumps(measure(which, method, int(steps), int(batch))))
        return
    big = 200 if args.quick else 1000
    lines = ["| call | n_steps | internal_batch_size | numeric s | Captum s | time numeric / "
             "Captum | numeric peak MiB | Captum peak MiB |", "|---|---|---|---|---|---|---|---|"]
    for method, label, batch in (("lc", "LayerConductance, CNN conv1 (4x3x32x32)", 64),
                                 ("lig", "LayerIntegratedGradients, CNN conv1", 64),
                                 ("bert_lig", "LayerIntegratedGradients, BERT embeddings "
                                  "(4 sentences)", 64)):
        for steps in (50, big):
            ours = in_subprocess("numeric", method, steps, batch)
            theirs = in_subprocess("captum", method, steps, batch)
            lines.append(f"| {label} | {steps} | {batch} | {ours['seconds']:.2f} | "
                         f"{theirs['seconds']:.2f} | "
                         f"{ours['seconds'] / theirs['seconds']:.2f} | "
                         f"{ours['peak_mib']:.0f} | {theirs['peak_mib']:.0f} |")
            print(lines[-1], flush=True)
    acc = steps_to_accuracy()
    fmt = lambda v: "> 1024" if v[0] is None else str(v[0])  # noqa: E731
    acc_lines = [
        "| implementation | Gauss-Legendre steps to 1e-4 relative | error there |",
        "|---|---|---|",
        f"| numeric | {fmt(acc['numeric'])} | {acc['numeric'][1]:.1e} |",
        f"| Captum | {fmt(acc['captum'])} | {acc['captum'][1]:.1e} |",
        f"| numeric, tolerance=1e-4 | adaptive | true {acc['tolerance'][0]:.1e}, estimated "
        f"{acc['tolerance'][1]:.1e} |"]
    print("\n".join(acc_lines))
    if args.write:
        import torch

        from numeric.results_file import replace_section

        heading = "## layer attributions: memory against n_steps, small BERT"
        body = (f"{heading}\n\n`python benchmarks/bench_layer.py --write` "
                f"({datetime.date.today()}, {platform.machine()}, 2-core CPU shared with other "
                f"work, one torch thread, torch {torch.__version__}; GPU: not run, no GPU "
                "lent). Peak memory: what one call adds to the process's peak resident "
                "memory (fresh process per call, glibc told to return freed blocks: "
                "MALLOC_MMAP_THRESHOLD_=65536, so the peak is live memory, not heap "
                "fragmentation). Memory bounded by internal_batch_size means the same peak "
                "at 50 and at 1000 steps.\n\n" + "\n".join(lines)
                + "\n\nThe small BERT (numeric.tiny_bert, float32, random weights), "
                "LayerIntegratedGradients through the embeddings against the [PAD] baseline; "
                "reference: numeric in float64 at 256 steps.\n\n" + "\n".join(acc_lines) + "\n")
        replace_section(os.path.join(ROOT, "benchmarks", "RESULTS.md"), heading, body)


if __name__ == "__main__":
    main()
