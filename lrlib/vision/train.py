"""The CNN trainer: one network per run, the whole dataset on the device, one row of measurements per epoch.

A run is a :class:`RunSpec` (a frozen dataclass of JSON values: it is the run's store configuration) trained by
:func:`train_run` with ``torch.optim.SGD`` (momentum, Nesterov, weight decay: the papers' optimizer). Each epoch
visits the training images in the order :func:`lrlib.vision.data.epoch_order` gives, gathers each batch on the
device and applies the batched transform. Options, all in the spec:

- step schedules for the learning rate and the activation noise (the official "epoch >= 30" rule: a milestone m
  multiplies the value from 1-based epoch m on);
- gradient-noise amplification at a fixed learning rate (chapter 4, spec §2.2): ĝ = g_B + a·(g_B′ − g_B″)/√2 from
  two further independent batches, so the noise covariance is (1 + a²) times SGD's, with SGD's shape; and its
  isotropic control, g_B + a·‖δ‖·z/√d with δ = (g_B′ − g_B″)/√2 from the same two extra batches and z ~ N(0, I_d)
  (d parameters): ‖δ‖² estimates tr Σ_B without bias every step, so the isotropic noise has the same expected
  squared norm (total variance) as the amplified noise, spread evenly over all directions, at the same cost
  (3 gradients a step) [reconstructed];
- full-batch gradient descent on the first ``train_subset`` images: one step per epoch, the mean gradient
  accumulated over chunks of ``batch_size``. It needs a network without BatchNorm (in train mode BN would
  normalise each chunk by its own statistics, so the sum would not be the full-batch gradient) and no
  augmentation (GD is deterministic);
- bf16 autocast (CPU and CUDA), channels_last, and TF32 on CUDA only when asked (fp32 runs switch cuDNN's default
  TF32 convolutions off for their duration).

Every random draw is counter-based: the model's initialization, the epoch order, the transform's draws, the
activation noise, the extra batches of gradient noise, dropout and the Hessian's start vector come from generators
seeded by (seed, epoch, stream). So a run resumed from the checkpoint of epoch e draws exactly what an uninterrupted
run drew, and a checkpoint needs no generator state: model, optimizer (momentum buffers), BatchNorm statistics
(in the model's state), the table so far and the epoch (see :mod:`lrlib.vision.checkpoint`). The initialization,
epoch order, crops and Hessian start vector are drawn on the CPU, so they are the same on every device; activation
and gradient noise are drawn by generators on the device (cheap, no host round trip), so a CUDA run draws other
noise than a CPU run of the same spec.

The table (one row per epoch; epoch 0 is measured before training):

=====================  ==========================================================================================
``epoch``              0 … epochs
``lr``                 the learning rate of that epoch
``activation_noise``   the activation-noise std of that epoch
``train_loss``         running means over the epoch's batches, in train mode, with transforms and noise (as the
``train_accuracy``     official code logs them; NaN at epoch 0). Full batch: the loss at the step's weights.
                       For a clean evaluation pass the training set in ``evals`` (e.g. ``evals={"train": ...}``).
``loss.<name>``        mean cross-entropy and accuracy on every set in ``evals``, eval mode (no noise, BN running
``accuracy.<name>``    statistics), after the epoch
``weight_norm``        ‖θ‖₂ over all trainable parameters
``hessian_top``        top Hessian eigenvalue of the training loss (every ``hessian_every`` epochs, else NaN):
                       power iteration in eval mode on the first ``hessian_subset`` training images, untransformed,
                       in fp32; for networks without BatchNorm this is the training loss's own Hessian
``train_seconds``      seconds of training in that epoch; ``wall_seconds``: since the run started, evaluation
                       included, summed over resumed sessions
``stop_reason``        the run's outcome on every row: ``"max_epochs"``, or ``"diverged"`` when the epoch's training
                       loss exceeds ``diverge_loss`` or is not finite, or the weights are not finite (the run ends
                       there, as an outcome, not an error)
=====================  ==========================================================================================

Example
-------
>>> import torch
>>> from lrlib.vision.models import NetSpec
>>> from lrlib.vision.data import ImageData
>>> g = torch.Generator().manual_seed(0)
>>> data = ImageData(torch.randn(64, 3, 16, 16, generator=g), torch.randint(0, 10, (64,), generator=g), "noise")
>>> spec = RunSpec(NetSpec("small_cnn", width=4), epochs=2, batch_size=16, lr=0.05, momentum=0.9)
>>> table = train_run(spec, data, {"train": data})
>>> list(table.epoch), table.stop_reason.iloc[-1]
([0, 1, 2], 'max_epochs')
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import numbers
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from . import checkpoint as _checkpoint
from . import data as _data
from . import hessian as _hessian
from . import models as _models

__all__ = ["RunSpec", "train_run", "run_cost", "CnnRun", "GRAD_NOISE", "AUGMENTS", "PRECISIONS", "STOP_REASONS"]

GRAD_NOISE = ("none", "amplified", "isotropic")
AUGMENTS = ("none", "crop_flip", "patch")
PRECISIONS = ("fp32", "bf16")
STOP_REASONS = ("max_epochs", "diverged")

# streams of the counter-based generators (seeded by (seed, epoch, stream))
_INIT, _GLOBAL, _ACTIVATION, _GRAD_NOISE, _HESSIAN = range(5)


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one CNN run; :meth:`config` is its store configuration (JSON values only).

    ``lr_milestones``/``noise_milestones``: 1-based epochs from which the learning rate (activation-noise std) is
    multiplied by ``lr_factor`` (``noise_factor``) once more. ``grad_noise_scale`` is a in ĝ = g_B + a·(g_B′−g_B″)/√2.
    ``train_subset``: train on the first n images (None: all). ``hessian_every``: measure the top Hessian eigenvalue
    every that many epochs (0: never) with at most ``hessian_iters`` power iterations on ``hessian_subset`` images.
    ``diverge_loss``: an epoch whose training loss exceeds it (or is not finite) ends the run as ``"diverged"``;
    networks with BatchNorm blown up by a huge learning rate keep finite losses of 10⁶ and more, so non-finite
    alone would not catch them (chance level is ln 10 ≈ 2.3).
    """

    net: _models.NetSpec
    epochs: int
    batch_size: int
    lr: float
    lr_milestones: tuple[int, ...] = ()
    lr_factor: float = 0.1
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    activation_noise: float = 0.0
    noise_milestones: tuple[int, ...] = ()
    noise_factor: float = 1.0
    grad_noise: str = "none"
    grad_noise_scale: float = 0.0
    full_batch: bool = False
    train_subset: int | None = None
    augment: str = "none"
    seed: int = 0
    precision: str = "fp32"
    channels_last: bool = False
    tf32: bool = False
    hessian_every: int = 0
    hessian_iters: int = 20
    hessian_subset: int = 1000
    diverge_loss: float = 1e3

    def __post_init__(self):
        if not isinstance(self.net, _models.NetSpec):
            raise ValueError(f"net must be a NetSpec, got {type(self.net).__name__}")
        _check_int("epochs", self.epochs, 0)
        _check_int("batch_size", self.batch_size, 1)
        for name in ("lr", "lr_factor", "diverge_loss"):
            _check_real(name, getattr(self, name), positive=True)
        for name in ("weight_decay", "activation_noise", "noise_factor", "grad_noise_scale"):
            _check_real(name, getattr(self, name), positive=False)
        _check_real("momentum", self.momentum, positive=False)
        if not self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        for name in ("lr_milestones", "noise_milestones"):
            value = getattr(self, name)
            value = tuple(value) if isinstance(value, (list, tuple)) else value
            ok = isinstance(value, tuple) and all(_is_int(m) and m >= 1 for m in value)
            if not ok or list(value) != sorted(set(value)):
                raise ValueError(f"{name} must be increasing 1-based epochs, got {getattr(self, name)!r}")
            object.__setattr__(self, name, tuple(int(m) for m in value))
        for name in ("nesterov", "full_batch", "channels_last", "tf32"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0, got momentum=0")
        _check_choice("grad_noise", self.grad_noise, GRAD_NOISE)
        _check_choice("augment", self.augment, AUGMENTS)
        _check_choice("precision", self.precision, PRECISIONS)
        if self.train_subset is not None:
            _check_int("train_subset", self.train_subset, 1)
        _check_int("seed", self.seed, 0)
        _check_int("hessian_every", self.hessian_every, 0)
        _check_int("hessian_iters", self.hessian_iters, 1)
        _check_int("hessian_subset", self.hessian_subset, 1)
        if self.full_batch:
            if self.net.batchnorm:
                raise ValueError("full_batch=True needs a network without BatchNorm (net.batchnorm=False)")
            if self.augment != "none":
                raise ValueError(f"full_batch=True needs augment='none', got {self.augment!r}")
            if self.grad_noise != "none":
                raise ValueError(f"full_batch=True takes no gradient noise, got grad_noise={self.grad_noise!r}")
        # plain Python types, so that equal specs give equal configurations (1 and 1.0 would give two store keys)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.type == "float":
                object.__setattr__(self, f.name, float(value))
            elif f.type == "bool":
                object.__setattr__(self, f.name, bool(value))
            elif f.type in ("int", "int | None") and value is not None:
                object.__setattr__(self, f.name, int(value))

    def config(self) -> dict:
        """The spec as JSON values (the net as a dict, tuples as lists); the caller adds experiment and version."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_config(cls, config: Mapping) -> RunSpec:
        """The spec back from :meth:`config` (keys that are not fields, such as experiment/version, are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in config.items() if k in names}
        return cls(**{**values, "net": _models.NetSpec(**values["net"])})

    def key(self) -> str:
        """A short hash of :meth:`config`: a folder name for the run's checkpoints."""
        text = json.dumps(self.config(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with fields changed; ``net.<field>`` keys change the net's fields. Values may be numpy scalars
        (a row of a member table): they are converted, and a NaN ``train_subset`` reads as None."""
        changes = {k: _plain(v) for k, v in changes.items()}
        net_changes = {k.removeprefix("net."): v for k, v in changes.items() if k.startswith("net.")}
        own = {k: v for k, v in changes.items() if not k.startswith("net.")}
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(own) - names) + sorted(set(net_changes) - {f.name for f in dataclasses.fields(self.net)})
        if unknown:
            raise ValueError(f"unknown RunSpec field(s) {unknown}; fields are {sorted(names)} and net.<NetSpec field>")
        if own.get("train_subset", 0) is None or _is_nan(own.get("train_subset")):
            own["train_subset"] = None
        for values in (own, net_changes):  # a member table with a NaN turns a column of integers into floats
            for name, value in values.items():
                if name in _INT_FIELDS and isinstance(value, float) and value.is_integer():
                    values[name] = int(value)
        net = dataclasses.replace(own.pop("net", self.net), **net_changes)
        return dataclasses.replace(self, net=net, **own)

    def lr_at(self, epoch: int) -> float:
        """The learning rate of 1-based ``epoch`` (epoch 0, before training, reports the first epoch's)."""
        return self.lr * self.lr_factor ** sum(epoch >= m for m in self.lr_milestones)

    def noise_at(self, epoch: int) -> float:
        """The activation-noise std of 1-based ``epoch``."""
        return self.activation_noise * self.noise_factor ** sum(epoch >= m for m in self.noise_milestones)


_INT_FIELDS = {"epochs", "batch_size", "seed", "train_subset", "hessian_every", "hessian_iters", "hessian_subset"}
_INT_FIELDS |= {"width", "depth", "num_classes"}


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _check_int(name: str, value, minimum: int) -> None:
    if not (_is_int(value) and value >= minimum):
        kind = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def _check_real(name: str, value, positive: bool) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (positive and value == 0):
        raise ValueError(f"{name} must be a {'positive' if positive else 'non-negative'} finite number, got {value!r}")


def _check_choice(name: str, value, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, np.ndarray)):
        value = tuple(np.asarray(value).tolist())
    return value


def _stream_seed(seed: int, epoch: int, stream: int) -> int:
    return int(np.random.SeedSequence([seed, epoch, stream, 0x5EED]).generate_state(1, np.uint64)[0] >> 1)


def _cpu_generator(seed: int, epoch: int, stream: int) -> torch.Generator:
    return torch.Generator().manual_seed(_stream_seed(seed, epoch, stream))


@contextlib.contextmanager
def _cuda_numerics(dev: torch.device, tf32: bool):
    """fp32 convolutions and matmuls on CUDA in IEEE fp32 (or TF32 when asked) and deterministic cuDNN kernels;
    restored afterwards."""
    if dev.type != "cuda":
        yield
        return
    matmul, conv, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn.conv, torch.backends.cudnn
    saved = (matmul.fp32_precision, conv.fp32_precision, cudnn.deterministic, cudnn.benchmark)
    matmul.fp32_precision = conv.fp32_precision = "tf32" if tf32 else "ieee"
    cudnn.deterministic, cudnn.benchmark = True, False  # else backward convolutions differ run to run: no exact resume
    try:
        yield
    finally:
        matmul.fp32_precision, conv.fp32_precision, cudnn.deterministic, cudnn.benchmark = saved


def _transform_for(spec: RunSpec, transform: _data.Transform | None) -> _data.Transform | None:
    if transform is None:
        if spec.augment == "patch":
            raise ValueError("augment='patch' needs its PatchTransform passed as transform=")
        return _data.CropFlip() if spec.augment == "crop_flip" else None
    expected = {"none": _data.Transform, "crop_flip": _data.CropFlip, "patch": _data.PatchTransform}[spec.augment]
    if not isinstance(transform, expected) or (spec.augment == "none" and type(transform) is not _data.Transform):
        raise ValueError(f"transform {type(transform).__name__} does not match augment={spec.augment!r}")
    return None if spec.augment == "none" else transform


class _Run:
    """One run's state and steps (the public entry point is :func:`train_run`)."""

    def __init__(self, spec: RunSpec, x, y, transform, dev: torch.device, eval_batch_size: int):
        self.spec, self.x, self.y, self.transform, self.dev = spec, x, y, transform, dev
        self.n, self.eval_batch_size = len(y), eval_batch_size
        torch.manual_seed(_stream_seed(spec.seed, 0, _INIT))
        self.model = _models.build(spec.net)  # on the CPU, then moved: the same initial weights on every device
        self.model.to(dev, memory_format=torch.channels_last if spec.channels_last else torch.preserve_format)
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.SGD(
            self.params, lr=spec.lr, momentum=spec.momentum, nesterov=spec.nesterov, weight_decay=spec.weight_decay
        )
        self.activation_gen = torch.Generator(device=dev)
        self.noise_gen = torch.Generator(device=dev)

    def autocast(self):
        return torch.autocast(self.dev.type, dtype=torch.bfloat16, enabled=self.spec.precision == "bf16")

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.spec.channels_last else x

    def backward(self, index: torch.Tensor, weight: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward and backward of ``weight`` × the mean loss on the batch ``index`` (gradients accumulate)."""
        xb, yb = self.x[index], self.y[index]
        if self.transform is not None:
            xb = self.transform(xb, index)
        with self.autocast():
            logits = self.model(self.inputs(xb))
        loss = F.cross_entropy(logits.float(), yb)
        (loss * weight).backward()
        return loss.detach(), (logits.argmax(1) == yb).sum()

    def extra_batch(self, size: int) -> torch.Tensor:
        return torch.randperm(self.n, generator=self.noise_gen, device=self.dev)[:size]

    def add_gradient_noise(self, size: int) -> None:
        """Turn the batch gradient in ``.grad`` into the amplified or isotropic noisy gradient."""
        a, kind = self.spec.grad_noise_scale, self.spec.grad_noise
        first, second = self.extra_batch(size), self.extra_batch(size)
        if kind == "amplified":  # accumulate a·(g_B′ − g_B″)/√2 onto g_B
            self.backward(first, a / math.sqrt(2))
            self.backward(second, -a / math.sqrt(2))
            return
        batch_grad = [p.grad.clone() for p in self.params]
        self.optimizer.zero_grad(set_to_none=True)
        self.backward(first, 1 / math.sqrt(2))
        self.backward(second, -1 / math.sqrt(2))
        delta_sq = sum(p.grad.double().pow(2).sum() for p in self.params)
        dims = sum(p.numel() for p in self.params)
        scale = a * torch.sqrt(delta_sq / dims).float()
        for p, g in zip(self.params, batch_grad):
            p.grad = g + scale * torch.randn(p.shape, generator=self.noise_gen, device=self.dev)

    def sgd_epoch(self, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
        spec = self.spec
        order = _data.epoch_order(self.n, epoch - 1, spec.seed, device=self.dev)
        if self.transform is not None:
            self.transform.start_epoch(epoch - 1, spec.seed)
        loss_sum = torch.zeros((), device=self.dev)
        correct = torch.zeros((), device=self.dev, dtype=torch.int64)
        for start in range(0, self.n, spec.batch_size):
            index = order[start : start + spec.batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            loss, hits = self.backward(index, 1.0)
            if spec.grad_noise != "none":
                self.add_gradient_noise(len(index))
            self.optimizer.step()
            loss_sum += loss * len(index)
            correct += hits
        return loss_sum / self.n, correct / self.n

    def full_batch_epoch(self) -> tuple[torch.Tensor, torch.Tensor]:
        loss_sum = torch.zeros((), device=self.dev)
        correct = torch.zeros((), device=self.dev, dtype=torch.int64)
        self.optimizer.zero_grad(set_to_none=True)
        for start in range(0, self.n, self.spec.batch_size):
            index = torch.arange(start, min(start + self.spec.batch_size, self.n), device=self.dev)
            loss, hits = self.backward(index, len(index) / self.n)
            loss_sum += loss * len(index)
            correct += hits
        self.optimizer.step()
        return loss_sum / self.n, correct / self.n

    @torch.no_grad()
    def evaluate(self, data: _data.ImageData) -> tuple[float, float]:
        loss_sum = torch.zeros((), device=self.dev, dtype=torch.float64)
        correct = torch.zeros((), device=self.dev, dtype=torch.int64)
        for start in range(0, len(data), self.eval_batch_size):
            xb, yb = data.x[start : start + self.eval_batch_size], data.y[start : start + self.eval_batch_size]
            with self.autocast():
                logits = self.model(self.inputs(xb)).float()
            loss_sum += F.cross_entropy(logits, yb, reduction="sum").double()
            correct += (logits.argmax(1) == yb).sum()
        return float(loss_sum) / len(data), float(correct) / len(data)

    def hessian_top(self, epoch: int) -> float:
        count = min(self.spec.hessian_subset, self.n)
        return _hessian.top_eigenvalue(
            self.model,
            F.cross_entropy,
            self.inputs(self.x[:count]),
            self.y[:count],
            self.spec.hessian_iters,
            _cpu_generator(self.spec.seed, epoch, _HESSIAN),
            chunk_size=self.eval_batch_size,
        )

    def weight_norm(self) -> float:
        return float(torch.sqrt(sum(p.detach().double().pow(2).sum() for p in self.params)))

    def measure(self, epoch: int, train_loss: float, train_accuracy: float, evals: dict) -> dict:
        self.model.eval()
        row = {
            "epoch": epoch,
            "lr": self.spec.lr_at(epoch),
            "activation_noise": self.spec.noise_at(epoch),
            "train_loss": train_loss,
            "train_accuracy": train_accuracy,
        }
        for name, data in evals.items():
            row[f"loss.{name}"], row[f"accuracy.{name}"] = self.evaluate(data)
        row["weight_norm"] = self.weight_norm()
        due = self.spec.hessian_every and epoch % self.spec.hessian_every == 0 and math.isfinite(row["weight_norm"])
        row["hessian_top"] = self.hessian_top(epoch) if due else float("nan")
        return row


#: default chunks of evaluation passes (see ``train_run``)
CPU_EVAL_BATCH, DEVICE_EVAL_BATCH = 256, 1000


def run_cost(table: pd.DataFrame) -> dict:
    """A run's cost for its provenance: ``wall_time_s`` summed over every sitting, evaluation included (a run
    resumed from its checkpoint would otherwise report only its last sitting's time)."""
    return {"wall_time_s": float(table["wall_seconds"].max()), "wall_time_counts": "every sitting (resumed runs)"}


def train_run(
    spec: RunSpec,
    train: _data.ImageData,
    evals: Mapping[str, _data.ImageData],
    *,
    transform: _data.Transform | None = None,
    checkpoint_dir: str | Path | None = None,
    device: str | torch.device | None = None,
    progress: bool = False,
    eval_batch_size: int | None = None,
) -> pd.DataFrame:
    """Train one network as ``spec`` says and return its table, one row per epoch (see the module docstring).

    Parameters
    ----------
    spec : the run.
    train : the training images (the first ``spec.train_subset`` are used); moved to ``device`` if elsewhere.
    evals : named evaluation sets, measured after every epoch (columns ``loss.<name>``, ``accuracy.<name>``).
    transform : the batched training transform; must match ``spec.augment`` (``None`` builds a ``CropFlip`` for
        ``"crop_flip"``; ``"patch"`` needs its ``PatchTransform`` here). Its ``start_epoch(epoch, seed)`` is called
        with the 0-based epoch at the start of every epoch.
    checkpoint_dir : a folder for this run's per-epoch checkpoint. If it holds one of the same spec, the run resumes
        after its last finished epoch (a finished run returns its table without training); one of another spec
        raises. ``None``: no checkpoints.
    device : default :func:`lrlib.profile.device`.
    progress : a progress bar over epochs.
    eval_batch_size : chunk size of evaluation passes and Hessian-vector products (does not change the results
        beyond float rounding). Default: 256 on a CPU, 1000 elsewhere. On one CPU thread, evaluation passes of
        WRN-16-1 and ResNet-18 width 8 ran 1.3-1.9x faster in chunks of 256 than of 1000 (``python -m lrlib.bench
        --cnn`` measures it side by side): a chunk of 1000 no longer fits the caches.
    """
    from .. import profile
    from ..progress import progress as _progress

    if not isinstance(spec, RunSpec):
        raise ValueError(f"spec must be a RunSpec, got {type(spec).__name__}")
    dev = torch.device(device) if device is not None else profile.device()
    if eval_batch_size is None:
        eval_batch_size = CPU_EVAL_BATCH if dev.type == "cpu" else DEVICE_EVAL_BATCH
    _check_int("eval_batch_size", eval_batch_size, 1)
    n = spec.train_subset if spec.train_subset is not None else len(train)
    if n > len(train):
        raise ValueError(f"train_subset {n} is larger than the {len(train)} training images")
    if spec.batch_size > n:
        raise ValueError(f"batch_size {spec.batch_size} is larger than the {n} training images")
    for name in evals:
        if not isinstance(name, str) or not name:
            raise ValueError(f"evals must be named by non-empty strings, got {name!r}")
    transform = _transform_for(spec, transform)
    train = train.to(dev)
    evals = {name: data.to(dev) for name, data in evals.items()}
    config = spec.config()
    state = _checkpoint.load(checkpoint_dir, config) if checkpoint_dir is not None else None

    cuda_devices = [dev.index if dev.index is not None else torch.cuda.current_device()] if dev.type == "cuda" else []
    with _cuda_numerics(dev, spec.tf32), torch.random.fork_rng(devices=cuda_devices):
        run = _Run(spec, train.x[:n], train.y[:n], transform, dev, eval_batch_size)
        session_start = time.perf_counter()
        if state is None:
            rows, done, stop, wall_before = [], 0, "max_epochs", 0.0
            rows.append({**run.measure(0, math.nan, math.nan, evals), "train_seconds": 0.0})
        else:
            run.model.load_state_dict(state["model"])
            run.optimizer.load_state_dict(state["optimizer"])
            rows, done, stop, wall_before = state["rows"], state["epoch"], state["stop_reason"], state["wall_seconds"]

        def wall() -> float:
            return wall_before + time.perf_counter() - session_start

        def save(epoch: int) -> None:
            if checkpoint_dir is not None:
                _checkpoint.save(
                    checkpoint_dir,
                    {
                        "config": config,
                        "epoch": epoch,
                        "model": run.model.state_dict(),
                        "optimizer": run.optimizer.state_dict(),
                        "rows": rows,
                        "stop_reason": stop,
                        "wall_seconds": wall(),
                    },
                )

        if state is None:
            rows[0]["wall_seconds"] = wall()
            save(0)
        epochs = range(done + 1, spec.epochs + 1) if stop == "max_epochs" else range(0)
        desc = f"{spec.net.family} seed {spec.seed}"
        bar = _progress(total=len(epochs), desc=desc, unit="epoch") if progress else None
        try:
            for epoch in epochs:
                for group in run.optimizer.param_groups:
                    group["lr"] = spec.lr_at(epoch)
                torch.manual_seed(_stream_seed(spec.seed, epoch, _GLOBAL))  # dropout and other global draws
                run.activation_gen.manual_seed(_stream_seed(spec.seed, epoch, _ACTIVATION))
                run.noise_gen.manual_seed(_stream_seed(spec.seed, epoch, _GRAD_NOISE))
                _models.set_activation_noise(run.model, spec.noise_at(epoch), run.activation_gen)
                run.model.train()
                start = time.perf_counter()
                loss, accuracy = run.full_batch_epoch() if spec.full_batch else run.sgd_epoch(epoch)
                loss, accuracy = float(loss), float(accuracy)  # waits for the device
                seconds = time.perf_counter() - start
                row = run.measure(epoch, loss, accuracy, evals)
                if not (loss <= spec.diverge_loss and math.isfinite(row["weight_norm"])):
                    stop = "diverged"
                rows.append({**row, "train_seconds": seconds, "wall_seconds": wall()})
                save(epoch)
                if bar is not None:
                    bar.update(1)
                if stop == "diverged":
                    break
        finally:
            if bar is not None:
                bar.close()
    table = pd.DataFrame(rows)
    table["stop_reason"] = stop
    return table


@dataclass
class CnnRun:
    """``run(members) -> table`` for :func:`lrlib.sweep.sweep`: one :func:`train_run` per member row.

    Each row's columns override fields of ``base`` (:meth:`RunSpec.replace`: ``lr``, ``seed``, ``net.width``, ...).
    ``data_fn(spec) -> (train, evals, transform)`` gives each run its data (a module-level function, so that the
    run pickles to other processes; memoize it there if several members share data). With ``checkpoint_root``,
    each run keeps its checkpoint in ``checkpoint_root/<spec.key()>``, so an interrupted chunk resumes per run.
    The table is the runs' tables stacked, ``member`` numbering the rows 0..n−1 (the sweep renumbers them).
    """

    data_fn: Callable[[RunSpec], tuple[_data.ImageData, dict, _data.Transform | None]]
    base: RunSpec
    checkpoint_root: str | None = None
    device: str | None = None
    eval_batch_size: int = 1000

    def __call__(self, members: pd.DataFrame) -> pd.DataFrame:
        tables = []
        for member, overrides in enumerate(members.to_dict("records")):
            spec = self.base.replace(**overrides)
            train, evals, transform = self.data_fn(spec)
            folder = None if self.checkpoint_root is None else Path(self.checkpoint_root) / spec.key()
            table = train_run(
                spec,
                train,
                evals,
                transform=transform,
                checkpoint_dir=folder,
                device=self.device,
                eval_batch_size=self.eval_batch_size,
            )
            tables.append(table.assign(member=member))
        table = pd.concat(tables, ignore_index=True)
        return table[["member"] + [c for c in table.columns if c != "member"]]
