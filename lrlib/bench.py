"""Benchmark: the ensemble engine against a per-model PyTorch loop on the same work (not a unit test).

    python -m lrlib.bench                 # the three workloads on the default device, fp32
    python -m lrlib.bench --json out.json # also write every figure
    python -m lrlib.bench --store         # measure what the engine page shows, store it in book/_results
    python -m lrlib.bench --tf32 --bf16   # opt-in precisions (reported as extra rows)
    python -m lrlib.bench --cnn [--bf16] [--nets small_cnn wrn-16-1 ...]   # the CNN trainer (lrlib.vision.bench)

Workloads (the same members, data, batch order and learning rates for both methods):
  (a) ``two_layer``: K=64 two-layer 784-256-10 ReLU MLPs, cross-entropy, B=16 (target: >= 3x the loop on 2 CPU cores)
  (b) ``ch5``: the chapter-5 network, 5 hidden layers of width 128, 1/h readout, α-scaled hinge loss, B=16, P=1024,
      K=256 (target on one CUDA GPU: >= 1,000,000 model-steps/s)
  (c) ``cnn``: K=16 small CNNs on CIFAR-shaped inputs through the autograd path (``FunctionalModel``, torch.func),
      B=32: what chapters 2 and 4 will rely on
The loop is one ``nn.Module`` and one ``torch.optim.SGD`` per model, each doing its step in turn; on the device
it is timed on up to 64 models (its rate does not depend on how many). On CUDA the engine is timed eagerly and
with CUDA graphs. Achieved fractions use nominal work: 6·B FLOPs per matmul weight (minus the unneeded input
gradient) and 12 bytes per fp32 parameter per step (read for the forward, read and write in the update), against
the device's datasheet peak (CPU: a peak estimated by timing a large matmul and a large copy here).
CPU threads: ``--threads`` or, by default, lrlib's policy (``LRLIB_THREADS``, else one per two cores). Both methods
are timed in alternating slices; the machine's load average is printed, since other processes distort the loop
(many tiny multi-threaded operations) far more than the engine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from . import profile as _profile
from .models import MLP, FunctionalModel, activations, alpha_mlp, two_layer
from .train import Data, grid
from .train.group import Group
from .train.members import normalize

#: datasheet peaks, dense: (memory bandwidth B/s, fp32 FLOP/s, tf32 tensor FLOP/s, bf16 tensor FLOP/s)
PEAKS = {
    "H100 80GB HBM3": (3.35e12, 67e12, 495e12, 989e12),  # H100 SXM5
    "H100 PCIe": (2.0e12, 51e12, 378e12, 756e12),
    "H100 NVL": (3.9e12, 60e12, 418e12, 835e12),
    "H200": (4.8e12, 67e12, 495e12, 989e12),
    "A100-SXM4-80GB": (2.039e12, 19.5e12, 156e12, 312e12),
    "A100-SXM4-40GB": (1.555e12, 19.5e12, 156e12, 312e12),
    "A100 80GB PCIe": (1.935e12, 19.5e12, 156e12, 312e12),
    "A100-PCIE-40GB": (1.555e12, 19.5e12, 156e12, 312e12),
}

WORKLOADS = {
    "two_layer": dict(
        label="(a) K=64 two-layer 784-256-10 ReLU, cross-entropy, B=16",
        make=lambda: two_layer(784, 256, 10),
        loss="cross_entropy",
        K=64,
        B=16,
        N=1024,
        lr=0.01,
    ),
    "ch5": dict(
        label="(b) ch.5 net 784-5x128-1, 1/h readout, alpha hinge, B=16, P=1024, K=256",
        make=lambda: alpha_mlp(784, 5, 128),
        loss="hinge",
        K=256,
        B=16,
        N=1024,
        lr=16.0,
    ),
    "cnn": dict(
        label="(c) K=16 CNNs on 3x32x32: conv16-pool-conv32-pool-fc10 (torch.func), B=32",
        make=lambda: FunctionalModel(_small_cnn, input_shape=(3, 32, 32), n_out=10),
        loss="cross_entropy",
        K=16,
        B=32,
        N=1024,
        lr=0.01,
        strategies=("loop", "vmap"),
    ),
}


def _small_cnn() -> nn.Module:
    """A CIFAR-sized CNN of the kind chapters 2 and 4 train (21k parameters)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 8 * 8, 10),
    )


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def _interleaved(
    fns: dict[str, Callable[[], int]], seconds: float, dev: torch.device, rounds: int = 4
) -> dict[str, float]:
    """Units per second of each ``fn`` (returns work units done), each run ``seconds`` in all, in ``rounds``
    alternating slices, so that a change in the machine's load hits every method alike. One warm-up call each."""
    for fn in fns.values():
        fn()
    _sync(dev)
    units = dict.fromkeys(fns, 0)
    spent = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            while True:
                units[name] += fn()
                _sync(dev)
                elapsed = time.perf_counter() - start
                if elapsed >= seconds / rounds:
                    break
            spent[name] += elapsed
    return {name: units[name] / spent[name] for name in fns}


def _data(spec: dict, dev, dtype) -> Data:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(spec["N"], *spec["make"]().input_shape, generator=g)
    if spec["loss"] == "cross_entropy":
        y = torch.randint(0, 10, (spec["N"],), generator=g)
    else:
        y = torch.where(torch.randn(spec["N"], generator=g) > 0, 1.0, -1.0)
    return Data(x, y)


def _members(spec: dict):
    K = spec["K"]
    m = grid(lr=spec["lr"], seed=range(K), batch_size=spec["B"])
    if spec["loss"] == "hinge":
        m["alpha"] = np.geomspace(0.5, 2.0, K)
    return m


def _group(model, data: Data, spec: dict, dtype, dev, graphs: bool) -> Group:
    table = normalize(_members(spec), loss=spec["loss"], steps=10**9, data_sizes={"default": data.n})
    return Group(
        model,
        data.on(dev, dtype, spec["loss"]),
        table,
        loss=spec["loss"],
        batch_size=spec["B"],
        sampling="step",
        dtype=dtype,
        device=dev,
        fit_margin=None,
        measure={},
        record_batch_loss=False,
        keep_params=False,
        cuda_graphs=graphs,
    )


class _ScaledMLP(nn.Module):
    """The per-model reference of an ``MLP`` (standard or scaled layers), as a plain nn.Module."""

    def __init__(self, model: MLP, params: dict, k: int):
        super().__init__()
        self.spec = model
        self.weights = nn.ParameterList([nn.Parameter(params[f"w{l + 1}"][k].clone()) for l in range(model.depth)])
        self.biases = nn.ParameterList(
            [nn.Parameter(params[f"b{l + 1}"][k].clone()) for l in range(model.depth)] if model.bias else []
        )

    def forward(self, x):
        m, h = self.spec, x
        for l, w in enumerate(self.weights):
            z = (h @ w) * m.scales[l] if m.scales[l] != 1.0 else h @ w
            if m.bias:
                z = z + self.biases[l]
            if l == m.depth - 1:
                return z.squeeze(-1) if m.n_out == 1 else z
            h = activations.value(m.activation, z) * m.c if m.c != 1.0 else activations.value(m.activation, z)


def _loop(spec: dict, group: Group, count: int):
    """``count`` nn.Modules with their own SGD optimisers, from the engine's initial weights and batches."""
    model, data = group.model, group.data
    modules = [_reference_module(model, group.params0, k).to(group.device) for k in range(count)]
    opts = [torch.optim.SGD(mod.parameters(), lr=float(group.h["lr"][k])) for k, mod in enumerate(modules)]
    alpha = group.h["alpha"][:count].tolist()
    f0 = group.f0_train
    from .train import rng

    state = {"t": 0}

    def run_round() -> int:
        idx = rng.batch_indices(
            group.h["seed"][:count], torch.tensor([state["t"]], device=group.device), data.n, group.B, "step"
        )[:, 0]
        for k, (mod, opt) in enumerate(zip(modules, opts)):
            x, y = data.x[idx[k]], data.y[idx[k]]
            out = mod(x)
            if spec["loss"] == "cross_entropy":
                loss = nn.functional.cross_entropy(out, y)
            else:
                f = alpha[k] * (out - f0[k, idx[k]])
                loss = torch.relu(1 - y * f).mean() / alpha[k]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        state["t"] += 1
        return count

    return run_round


def _engine_round(group: Group, steps: int) -> Callable[[], int]:
    state = {"t": 0}

    def run_round() -> int:
        group.run_steps(state["t"], state["t"] + steps)
        state["t"] += steps
        return steps * len(group.ids)

    return run_round


def _reference_module(model, params0: dict, k: int) -> nn.Module:
    """Member k as a plain nn.Module with the engine's initial weights."""
    if isinstance(model, FunctionalModel):
        module = model.make()
        module.load_state_dict({**{n: p[k].clone() for n, p in params0.items()}, **model.buffers})
        return module
    return _ScaledMLP(model, params0, k)


def _work(model, B: int, itemsize: int) -> tuple[float, float]:
    """Nominal FLOPs and bytes per model-step: counted by torch for a forward and backward of one
    ``FunctionalModel`` member, worked out for the MLPs (no input gradient at the first layer)."""
    if isinstance(model, FunctionalModel):
        from torch.utils.flop_counter import FlopCounterMode

        module = model.make()
        counter = FlopCounterMode(display=False)
        with counter:
            module(torch.randn(B, *model.input_shape)).sum().backward()
        params = sum(p.numel() for p in module.parameters())
        return float(counter.get_total_flops()), float(3 * itemsize * params)
    weights = [model.widths[l] * model.widths[l + 1] for l in range(model.trained)]
    flops = 6 * B * sum(weights) - 2 * B * weights[0]
    params = sum(weights) + (sum(model.widths[1 : model.trained + 1]) if model.bias else 0)
    return float(flops), float(3 * itemsize * params)


def cpu_peaks(seconds: float = 0.5) -> tuple[float, float]:
    """Estimated CPU peaks on this machine: (bytes/s of a large copy, FLOP/s of a large fp32 matmul)."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    src, dst = torch.randn(1 << 25), torch.empty(1 << 25)
    rates = _interleaved(
        {"mm": lambda: (torch.mm(a, b), 1)[1], "copy": lambda: (dst.copy_(src), 1)[1]},
        2 * seconds,
        torch.device("cpu"),
        rounds=2,
    )
    return rates["copy"] * 2 * 4 * (1 << 25), rates["mm"] * 2 * 1024**3


def device_peaks(dev: torch.device, precision: str) -> tuple[float | None, float | None, str]:
    """(bandwidth B/s, FLOP/s, where the numbers come from) for ``precision`` in fp32/tf32/bf16."""
    if dev.type == "cuda":
        name = torch.cuda.get_device_name(dev)
        for key, (bw, fp32, tf32, bf16) in PEAKS.items():
            if name.removeprefix("NVIDIA ").strip() == key:  # exact: "H200" must not match "GH200"
                return bw, {"fp32": fp32, "tf32": tf32, "bf16": bf16}[precision], f"datasheet ({key})"
        return None, None, f"unknown for {name}"
    if dev.type == "cpu":
        bw, flops = cpu_peaks()
        return bw, flops, "estimated here: a 1024^3 fp32 matmul and a 128 MiB copy"
    return None, None, "unknown"


def _set_tf32(on: bool) -> None:
    """TF32 for float32 matrix products on CUDA, through torch's new precision API where it exists."""
    matmul = torch.backends.cuda.matmul
    if hasattr(matmul, "fp32_precision"):
        matmul.fp32_precision = "tf32" if on else "ieee"
    else:
        matmul.allow_tf32 = on


def run(workloads: list[str], *, dev: torch.device, seconds: float, precisions: list[str]) -> dict:
    results = {
        "device": _profile.device_name(dev),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "seconds_per_measurement": seconds,
        "load_average_before": os.getloadavg(),
        "rows": [],
    }
    for precision in precisions:
        bw, peak_flops, source = device_peaks(dev, precision)
        results.setdefault("peaks", {})[precision] = {"bandwidth_Bps": bw, "flops": peak_flops, "source": source}
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        if dev.type == "cuda":
            _set_tf32(precision == "tf32")
        for name in workloads:
            spec = WORKLOADS[name]
            data = _data(spec, dev, dtype)
            flops, nbytes = _work(spec["make"](), spec["B"], torch.tensor([], dtype=dtype).element_size())
            variants = [
                (f"engine ({'member loop' if s == 'loop' else s})", False, s) for s in spec.get("strategies", ())
            ] or [("engine", False, None)]
            if dev.type == "cuda":
                variants.append(("engine+cuda_graphs", True, None))
            fns, groups = {}, {}
            for method, graphs, strategy in variants:
                model = spec["make"]()
                if strategy is not None:
                    model.strategy = strategy
                groups[method] = _group(model, data, spec, dtype, dev, graphs)
                fns[method] = _engine_round(groups[method], 16 if graphs else (4 if dev.type == "cpu" else 32))
            count = min(spec["K"], 64 if dev.type == "cuda" else 16)
            fns["per-model loop"] = _loop(spec, groups[variants[0][0]], count)
            rates = _interleaved(fns, seconds, dev)
            graphs = groups.get("engine+cuda_graphs")
            if graphs is not None and not isinstance(graphs.graphs.graph, torch.cuda.CUDAGraph):
                print(f"  {name} ({precision}): CUDA graph capture failed; its row would be eager steps, left out")
                rates.pop("engine+cuda_graphs")
            base = rates["per-model loop"]
            for method, rate in rates.items():
                results["rows"].append(
                    {
                        "workload": name,
                        "label": spec["label"],
                        "precision": precision,
                        "method": method,
                        "model_steps_per_s": rate,
                        "ratio_to_loop": rate / base,
                        "flops_fraction": rate * flops / peak_flops if peak_flops else None,
                        "bandwidth_fraction": rate * nbytes / bw if bw else None,
                        "flops_per_model_step": flops,
                        "bytes_per_model_step": nbytes,
                    }
                )
    if dev.type == "cuda":
        _set_tf32(False)  # back to torch's default
    results["load_average_after"] = os.getloadavg()
    return results


#: what the engine page shows, measured once on a quiet machine and stored with its provenance (``--store``), so
#: that the published ratio does not change with whatever ran beside a book build
PAGE = {"experiment": "engine-bench", "version": 1, "workloads": ["two_layer", "ch5"], "precisions": ["fp32"]}
PAGE_SECONDS = 4.0


def _page_config(dev: torch.device) -> dict:
    return PAGE | {"device_type": dev.type, "threads": torch.get_num_threads()}


def store_page_measurement(dev: torch.device, store=None):
    """Measure the engine page's workloads on ``dev`` and store them (``book/_results/engine-bench``): one entry
    per device type and thread count, its provenance holding the machine's load before and after."""
    from .store import Store, default_root

    store = store or Store(default_root("paper"))
    config = _page_config(dev)
    store.check_writable(config)
    start = time.perf_counter()
    measured = run(PAGE["workloads"], dev=dev, seconds=PAGE_SECONDS, precisions=PAGE["precisions"])
    prov = _profile.provenance(time.perf_counter() - start, dev, scale="paper")
    prov |= {k: measured[k] for k in ("threads", "cpu_count", "load_average_before", "load_average_after")}
    return store.put(config, table=pd.DataFrame(measured["rows"]), provenance=prov)


def page_measurements(store=None) -> list:
    """The stored measurements of the engine page, newest first (:func:`store_page_measurement`)."""
    from .store import Store, default_root

    store = store or Store(default_root("paper"), read_only=True)
    found = [e for e in store.entries(PAGE["experiment"]) if e.config.get("version") == PAGE["version"]]
    return sorted(found, key=lambda e: str(e.provenance.get("date")), reverse=True)


def engine_ratio(entry, workload: str) -> float:
    """The best engine method's speed over the per-model loop on ``workload`` in a stored page measurement
    (NaN without one)."""
    if entry is None:
        return float("nan")
    rows = entry.table[(entry.table["workload"] == workload) & (entry.table["method"] != "per-model loop")]
    return float(rows["ratio_to_loop"].max()) if len(rows) else float("nan")


def _print(results: dict) -> None:
    threads = f"{results['threads']} thread{'s' if results['threads'] != 1 else ''}"
    print(
        f"lrlib.bench on {results['device']}; torch {results['torch']}, {threads}; "
        f"load average {results['load_average_before'][0]:.1f} before, {results['load_average_after'][0]:.1f} "
        f"after, on {results['cpu_count']} cores (other processes slow both methods, the loop more)"
    )
    for precision, peak in results["peaks"].items():
        bw = f"{peak['bandwidth_Bps'] / 1e9:,.0f} GB/s" if peak["bandwidth_Bps"] else "unknown"
        fl = f"{peak['flops'] / 1e9:,.0f} GFLOP/s" if peak["flops"] else "unknown"
        print(f"  peak assumed ({precision}): {bw}, {fl} [{peak['source']}]")
    print(f"{'workload':<74} {'prec':<5} {'method':<20} {'model-steps/s':>14} {'vs loop':>8} {'FLOP':>7} {'BW':>7}")
    pct = lambda v: "n/a" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    for r in results["rows"]:
        print(
            f"{r['label']:<74} {r['precision']:<5} {r['method']:<20} {r['model_steps_per_s']:>14,.0f} "
            f"{r['ratio_to_loop']:>7.2f}x {pct(r['flops_fraction']):>7} {pct(r['bandwidth_fraction']):>7}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lrlib.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write every figure to this JSON file")
    parser.add_argument("--workloads", default="two_layer,ch5,cnn", help="comma-separated: two_layer, ch5, cnn")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="time per method and workload, in 4 alternating slices (default 4, CUDA 2)",
    )
    parser.add_argument("--tf32", action="store_true", help="also measure with TF32 matmuls (CUDA)")
    parser.add_argument("--bf16", action="store_true", help="also measure in bfloat16")
    parser.add_argument("--device", default=None, help="default: LRLIB_DEVICE or CUDA > MPS > CPU")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for torch (default: LRLIB_THREADS, else one per two cores, as chapters run)",
    )
    parser.add_argument("--cnn", action="store_true", help="the CNN trainer (lrlib.vision) instead of the engine")
    parser.add_argument("--nets", nargs="+", default=None, help="with --cnn: networks (default: a cheap set)")
    parser.add_argument(
        "--store",
        action="store_true",
        help="measure what the engine page shows and store it in book/_results (run it on a quiet machine)",
    )
    args = parser.parse_args(argv)
    if args.cnn:
        return _main_cnn(args)
    if args.store:
        dev = torch.device(args.device) if args.device else _profile.device()
        if args.threads:
            torch.set_num_threads(args.threads)
        else:
            _profile.configure_threads()
        entry = store_page_measurement(dev)
        print(entry.table[["workload", "method", "model_steps_per_s", "ratio_to_loop"]].to_string(index=False))
        print(f"stored {entry.path}")
        return 0
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"--workloads: unknown workload {w!r}; use {', '.join(WORKLOADS)}")
    dev = torch.device(args.device) if args.device else _profile.device()
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        _profile.configure_threads()
    seconds = args.seconds if args.seconds is not None else (2.0 if dev.type == "cuda" else 4.0)
    precisions = ["fp32"] + (["tf32"] if args.tf32 and dev.type == "cuda" else []) + (["bf16"] if args.bf16 else [])
    results = run(workloads, dev=dev, seconds=seconds, precisions=precisions)
    _print(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
        print(f"wrote {args.json}")
    return 0


def _main_cnn(args) -> int:
    from .vision import bench as cnn

    dev = torch.device(args.device) if args.device else _profile.device()
    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        _profile.configure_threads()
    print(f"{_profile.device_name(dev)}, torch {torch.__version__}, load average {os.getloadavg()[0]:.2f}")
    rows = []
    for precision in ["fp32"] + (["bf16"] if args.bf16 else []):
        rows += cnn.run(args.nets or cnn.DEFAULT_NETS, dev=dev, precision=precision)
    cnn.print_rows(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
