"""Benchmark of the CNN path (not a unit test): images/s of lrlib's trainer against the plain PyTorch pattern of
the papers' code and against the compute-only bound, side by side in one run.

    python -m lrlib.bench --cnn                       # a cheap set of networks, fp32
    python -m lrlib.bench --cnn --nets small_cnn wrn-16-1 --bf16    # any of NETS, also in bf16

Three ways to train the same network with the same optimizer (SGD, momentum 0.9, weight decay 5e-4) on CIFAR-shaped
data (random crop with 4-pixel padding and horizontal flip), batch 128:
  plain    the papers' pattern: a ``Dataset`` returning one augmented image at a time (torch ops, as torchvision's
           transforms do per sample) and a ``DataLoader`` that collates batches (``num_workers=0``);
  lrlib    :func:`lrlib.vision.train.train_run` for one epoch: data on the device, batched transforms;
  compute  the bound: the same model stepping on one batch already in memory (no data handling at all).
The three alternate pass by pass and each reports its median over the passes, so a change in the machine's load
hits all three alike. Each row also gives the minutes one epoch of the 50,000 CIFAR-10 training images would take
at that rate, and the compute-only step's fraction of a large matmul's rate (on a CPU a rough ceiling: convolutions
can beat a loaded 2048³ matmul).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from .. import profile
from . import data as vdata
from . import models

#: the networks the benchmark knows, by name: NetSpec keyword arguments
NETS = {
    "small_cnn": dict(family="small_cnn", width=16),
    "wrn-16-1": dict(family="wrn", width=1),
    "wrn-16-2": dict(family="wrn", width=2),
    "wrn-16-4": dict(family="wrn", width=4),
    "wrn-16-10": dict(family="wrn", width=10),
    "resnet18-w8-nobn": dict(family="resnet18", width=8, batchnorm=False),
    "resnet18-w16-nobn": dict(family="resnet18", width=16, batchnorm=False),
    "resnet18-w32-nobn": dict(family="resnet18", width=32, batchnorm=False),
    "resnet18-w64-nobn": dict(family="resnet18", width=64, batchnorm=False),
}
DEFAULT_NETS = ("small_cnn", "wrn-16-1", "wrn-16-2", "resnet18-w16-nobn")
CIFAR_TRAIN = 50_000


class _PerSampleCifar(torch.utils.data.Dataset):
    """The plain pattern: one image at a time, padded, randomly cropped and flipped (what torchvision's
    ``RandomCrop(32, padding=4)`` and ``RandomHorizontalFlip`` do per sample)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, seed: int = 0):
        self.x, self.y = x, y
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        img = nn.functional.pad(self.x[i], (4, 4, 4, 4))
        top, left = self.rng.integers(0, 9, size=2)
        img = img[:, top : top + 32, left : left + 32]
        if self.rng.random() < 0.5:
            img = img.flip(-1)
        return img, self.y[i]


def _step(model, opt, x, y, precision: str):
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _model(name: str, dev, channels_last: bool):
    model = models.build(models.NetSpec(**NETS[name])).to(dev)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    return model.train(), opt


def _methods(name, x, y, dev, precision, channels_last, batch) -> dict:
    """The three ways, each a function that trains one pass over the images and returns its images/s."""
    from .train import RunSpec, train_run

    plain_model, plain_opt = _model(name, dev, channels_last)
    loader = torch.utils.data.DataLoader(_PerSampleCifar(x, y), batch_size=batch, shuffle=True, drop_last=True)

    def plain() -> float:
        start, seen = time.perf_counter(), 0
        for xb, yb in loader:
            xb, yb = xb.to(dev), yb.to(dev)
            _step(
                plain_model,
                plain_opt,
                xb.contiguous(memory_format=torch.channels_last) if channels_last else xb,
                yb,
                precision,
            )
            seen += len(yb)
        profile_sync(dev)
        return seen / (time.perf_counter() - start)

    spec = RunSpec(
        net=models.NetSpec(**NETS[name]),
        epochs=1,
        batch_size=batch,
        lr=0.01,
        momentum=0.9,
        weight_decay=5e-4,
        augment="crop_flip",
        precision=precision,
        channels_last=channels_last,
    )
    train = vdata.ImageData(x.to(dev), y.to(dev), "random CIFAR-shaped tensors")

    def ours() -> float:
        table = train_run(spec, train, {}, transform=vdata.CropFlip(), device=dev)
        return len(y) / float(table.loc[table["epoch"] == 1, "train_seconds"].iloc[0])

    bound_model, bound_opt = _model(name, dev, channels_last)
    xb, yb = x[:batch].to(dev), y[:batch].to(dev)
    xb = xb.contiguous(memory_format=torch.channels_last) if channels_last else xb

    def compute() -> float:
        steps = len(y) // batch
        start = time.perf_counter()
        for _ in range(steps):
            _step(bound_model, bound_opt, xb, yb, precision)
        profile_sync(dev)
        return steps * batch / (time.perf_counter() - start)

    return {"plain": plain, "lrlib": ours, "compute-only": compute}


def rates(name, x, y, dev, precision, channels_last, batch, rounds: int = 3) -> dict[str, float]:
    from .train import _cuda_numerics

    with _cuda_numerics(dev, tf32=False):  # all three ways in IEEE fp32 on CUDA, as train_run runs
        return _alternating(name, x, y, dev, precision, channels_last, batch, rounds)


def _alternating(name, x, y, dev, precision, channels_last, batch, rounds: int) -> dict[str, float]:
    """Median images/s of each way over ``rounds`` passes, the ways alternating pass by pass (so that a change
    in the machine's load hits all three alike); one pass each first, to warm up, is not counted."""
    methods = _methods(name, x, y, dev, precision, channels_last, batch)
    measured = {key: [] for key in methods}
    for r in range(rounds + 1):
        for key, one_pass in methods.items():
            value = one_pass()
            if r:
                measured[key].append(value)
    return {key: float(np.median(values)) for key, values in measured.items()}


def eval_rates(name, x, dev, channels_last, rounds: int = 3) -> dict[int, float]:
    """Median images/s of eval-mode forward passes over ``x`` in chunks of ``train_run``'s two defaults (CPU and
    other devices), alternating chunk sizes pass by pass."""
    from .train import CPU_EVAL_BATCH, DEVICE_EVAL_BATCH, _cuda_numerics

    model, _ = _model(name, dev, channels_last)
    model.eval()
    x = x.to(dev)
    x = x.contiguous(memory_format=torch.channels_last) if channels_last else x

    @torch.no_grad()
    def one_pass(chunk: int) -> float:
        profile_sync(dev)
        start = time.perf_counter()
        for i in range(0, len(x), chunk):
            model(x[i : i + chunk])
        profile_sync(dev)
        return len(x) / (time.perf_counter() - start)

    chunks = (CPU_EVAL_BATCH, DEVICE_EVAL_BATCH)
    measured = {chunk: [] for chunk in chunks}
    with _cuda_numerics(dev, tf32=False):
        for r in range(rounds + 1):
            for chunk in chunks:
                value = one_pass(chunk)
                if r:
                    measured[chunk].append(value)
    return {chunk: float(np.median(values)) for chunk, values in measured.items()}


def profile_sync(dev) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def matmul_peak(dev, precision: str, size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of a large square matmul in ``precision`` on ``dev``: the ceiling a training step is held against
    (on CUDA the datasheet peak of :mod:`lrlib.bench` is used instead where it is known)."""
    from .train import _cuda_numerics

    with _cuda_numerics(dev, tf32=False):
        return _matmul_rate(dev, torch.bfloat16 if precision == "bf16" else torch.float32, size, repeats)


def _matmul_rate(dev, dtype, size: int, repeats: int) -> float:
    a = torch.randn(size, size, device=dev, dtype=dtype)
    b = torch.randn(size, size, device=dev, dtype=dtype)
    torch.mm(a, b)
    profile_sync(dev)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    profile_sync(dev)
    return repeats * 2 * size**3 / (time.perf_counter() - start)


def run(
    nets=DEFAULT_NETS,
    *,
    dev=None,
    images: int = 2048,
    batch: int = 128,
    precision: str = "fp32",
    channels_last: bool = True,
    peak: float | None = None,
    rounds: int = 3,
) -> list[dict]:
    """One row per network: images/s of the three ways side by side, their ratios, the minutes one 50k-image
    CIFAR-10 epoch takes with lrlib's trainer, the compute-only step's fraction of ``peak`` (FLOP/s), and the
    evaluation passes' images/s in the two default chunk sizes of ``train_run`` (side by side)."""
    dev = dev or profile.device()
    unknown = [n for n in nets if n not in NETS]
    if unknown:
        raise ValueError(f"unknown network {unknown[0]!r}; the benchmark knows {', '.join(NETS)}")
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision must be 'fp32' or 'bf16', got {precision!r}")
    peak = peak or matmul_peak(dev, precision)
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(images, 3, 32, 32, generator=g), torch.randint(0, 10, (images,), generator=g)
    rows = []
    for name in nets:
        measured = rates(name, x, y, dev, precision, channels_last, batch, rounds)
        plain, ours, compute = measured["plain"], measured["lrlib"], measured["compute-only"]
        flops = models.flops_per_image(models.NetSpec(**NETS[name]))  # training FLOPs per image
        (small, eval_small), (large, eval_large) = eval_rates(name, x, dev, channels_last, rounds).items()
        rows.append(
            {
                "net": name,
                "precision": precision,
                "plain img/s": plain,
                "lrlib img/s": ours,
                "compute-only img/s": compute,
                "lrlib / plain": ours / plain,
                "lrlib / compute": ours / compute,
                "min per 50k epoch (lrlib)": CIFAR_TRAIN / ours / 60,
                "train GFLOP/img": flops / 1e9,
                "compute fraction of peak": flops * compute / peak,
                "peak GFLOP/s": peak / 1e9,
                f"eval img/s, chunk {small}": eval_small,
                f"eval img/s, chunk {large}": eval_large,
                f"eval chunk {small} / {large}": eval_small / eval_large,
            }
        )
    return rows


def print_rows(rows: list[dict]) -> None:
    import pandas as pd

    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.precision", 3):
        print(table.to_string(index=False))
