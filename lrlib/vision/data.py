"""Image datasets held whole on the device, the epoch order, and batched on-device transforms.

:func:`cifar10` gives a split as one normalized tensor on the device (:class:`ImageData`). A training loop draws
each epoch's order with :func:`epoch_order`, calls ``transform.start_epoch(epoch, seed)`` once and then
``transform(x[index], index)`` on each batch. Every random draw comes from a generator seeded by its purpose and
``(seed, epoch)`` (counter-based): a run resumed at an epoch boundary draws exactly what an uninterrupted run drew.
The draws are made on the CPU and moved to the device, so CPU and CUDA runs see the same orders, crops and patches.

Transforms:

- :class:`Transform`: the identity (no augmentation).
- :class:`CropFlip`: random crop of the image padded by 4 pixels and a horizontal flip with probability 1/2, per
  image, for a whole batch at once (chapter 4's "standard augmentation").
- :class:`PatchTransform`: chapter 2's patch data (Li, Wei & Ma 2019, ``pm_sym_fixed`` in the authors'
  ``data_util.py``), with its mixed test set and its patch-only evaluation set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lrlib.data import load_cifar10

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
# The statistics chapter 2's official code normalizes with (data_util.py).
PATCH_MEAN = (125.3 / 255, 123.0 / 255, 113.9 / 255)
PATCH_STD = (63.0 / 255, 62.1 / 255, 66.7 / 255)

# One generator stream per purpose, so that e.g. the crops never reuse the numbers of the epoch order.
_ORDER, _CROP_FLIP, _PATCH_EPOCH, _PATCH_MIXED, _PATCH_ONLY = range(5)
# The official patch code draws the test set's mask after the 50,000 of CIFAR-10's training set.
_OFFICIAL_TRAIN_SIZE = 50_000


def _check_count(name: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer of at least {minimum}")
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


def _generator(*key: int) -> torch.Generator:
    """A CPU generator seeded from ``key`` (a purpose and non-negative integers) through numpy's SeedSequence."""
    words = np.random.SeedSequence([int(k) for k in key]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(words[0]) << 31 | int(words[1]) >> 1)


@dataclass
class ImageData:
    """Images ``x`` [N, C, H, W] (float32, normalized) and labels ``y`` [N] (int64), both on one device."""

    x: torch.Tensor
    y: torch.Tensor
    source: str

    def __post_init__(self):
        if self.x.dim() != 4:
            raise ValueError(f"x must be a 4-D tensor [N, C, H, W], got shape {tuple(self.x.shape)}")
        if self.y.dim() != 1 or len(self.y) != len(self.x):
            raise ValueError(f"y must be a 1-D tensor of {len(self.x)} labels, got shape {tuple(self.y.shape)}")

    def __len__(self) -> int:
        return len(self.y)

    def to(self, device) -> ImageData:
        return ImageData(self.x.to(device), self.y.to(device), self.source)


def _channel_stats(name: str, values) -> torch.Tensor:
    stats = torch.as_tensor(values, dtype=torch.float32)
    if stats.shape != (3,) or (name == "std" and not (stats > 0).all()):
        kind = "3 positive numbers" if name == "std" else "3 numbers"
        raise ValueError(f"{name} must be {kind} (one per channel), got {values!r}")
    return stats.view(1, 3, 1, 1)


def cifar10(
    split: str,
    *,
    device="cpu",
    n: int | None = None,
    mean=CIFAR10_MEAN,
    std=CIFAR10_STD,
    allow_subset: bool = False,
) -> ImageData:
    """The CIFAR-10 ``split`` (the first ``n`` images; ``None``: all), normalized per channel, on ``device``.

    Read through :func:`lrlib.data.load_cifar10` (whose ``source`` says which files; see there for
    ``allow_subset``). Chapter 2 passes ``mean=PATCH_MEAN, std=PATCH_STD``, the statistics of its official code.
    """
    mean, std = _channel_stats("mean", mean), _channel_stats("std", std)
    if n is not None:
        _check_count("n", n, minimum=1)
    ds = load_cifar10(split, allow_subset=allow_subset)
    if n is not None and n > len(ds):
        raise ValueError(f"n must be at most {len(ds)} (the images of this {split} split), got {n}")
    count = len(ds) if n is None else n
    x = ds.images()[:count].to(device)
    x = x.sub(mean.to(x.device)).div_(std.to(x.device))
    source = ds.source if n is None else f"{ds.source}; the first {count:,} of them"
    return ImageData(x.contiguous(), ds.y[:count].to(device), source)


def epoch_order(n: int, epoch: int, seed: int, device="cpu") -> torch.Tensor:
    """The order in which epoch ``epoch`` (0-based) visits ``n`` examples: a permutation drawn from ``(seed,
    epoch)`` alone, so a resumed run draws exactly what an uninterrupted run drew."""
    n, epoch, seed = _check_count("n", n, 1), _check_count("epoch", epoch), _check_count("seed", seed)
    return torch.randperm(n, generator=_generator(_ORDER, seed, epoch)).to(device)


class Transform:
    """A batched training transform; this base class is the identity.

    ``start_epoch(epoch, seed)`` draws the epoch's randomness; ``transform(x, index)`` maps a batch ``x`` of the
    images with dataset indices ``index`` to a new tensor (never modifying ``x``).
    """

    def start_epoch(self, epoch: int, seed: int) -> None:
        _check_count("epoch", epoch)
        _check_count("seed", seed)

    def __call__(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclass
class CropFlip(Transform):
    """Random crop with zero padding and a random horizontal flip, for a whole batch at once.

    Each image is padded by ``padding`` pixels of value ``fill`` on every side, cut back to its size at a random
    offset (uniform over the ``(2·padding + 1)²`` positions) and flipped left-right with probability 1/2. ``fill``
    is in the units of ``x``: 0 is the mean colour of normalized images; torchvision's ``RandomCrop(padding=4)``
    before normalization pads black, which is ``fill = [-m / s for m, s in zip(mean, std)]`` after it.

    The draws of an epoch come from one generator seeded by ``(seed, epoch)`` in ``start_epoch``, taken batch by
    batch in the order the batches are transformed (as a data loader's per-sample transforms draw them): equal
    ``(seed, epoch)`` and equal batch sizes give equal images.
    """

    padding: int = 4
    fill: float | tuple[float, ...] = 0.0

    def __post_init__(self):
        _check_count("padding", self.padding)
        self._generator: torch.Generator | None = None

    def start_epoch(self, epoch: int, seed: int) -> None:
        epoch, seed = _check_count("epoch", epoch), _check_count("seed", seed)
        self._generator = _generator(_CROP_FLIP, seed, epoch)

    def __call__(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        if self._generator is None:
            raise RuntimeError("call start_epoch(epoch, seed) before transforming a batch")
        if x.dim() != 4:
            raise ValueError(f"x must be a batch of images [B, C, H, W], got shape {tuple(x.shape)}")
        batch, channels, height, width = x.shape
        p = self.padding
        offsets = torch.randint(0, 2 * p + 1, (batch, 2), generator=self._generator).to(x.device, non_blocking=True)
        flips = torch.rand(batch, generator=self._generator).lt(0.5).to(x.device, non_blocking=True)
        fill = torch.as_tensor(self.fill, dtype=x.dtype, device=x.device).reshape(1, -1, 1, 1)
        padded = fill.expand(batch, channels, height + 2 * p, width + 2 * p).clone()
        padded[:, :, p : p + height, p : p + width] = x
        rows = offsets[:, :1] + torch.arange(height, device=x.device)  # [B, H]
        forward = torch.arange(width, device=x.device)
        cols = offsets[:, 1:] + torch.where(flips[:, None], forward.flip(0), forward)  # a flip reverses the columns
        # one gather over each padded image's flattened pixels: ten times faster than 4-D advanced indexing
        flat = (rows[:, :, None] * (width + 2 * p) + cols[:, None, :]).reshape(batch, 1, height * width)
        out = padded.reshape(batch, channels, -1).gather(2, flat.expand(batch, channels, height * width))
        return out.reshape(batch, channels, height, width)


class PatchTransform(Transform):
    """Chapter 2's patch data: a small class signal in a 7×7×3 centre patch that only a nonlinear detector reads.

    Made as the official code makes it (Li, Wei & Ma 2019, repository ``cwein3/large-lr-code``, ``data_util.py``,
    ``pm_sym_fixed`` with the defaults of ``train_patches.py``):

    - the patch covers rows and columns ``int(H/2 - 7/2)`` onwards (12–18 of 32) and *replaces* those pixels of
      the normalized image, in normalized units;
    - one shared pattern ``z = z_scale · N(0, 1)`` (1.25) and one pattern per class ``ζ_c ~ U(−class_sep,
      class_sep)`` (0.1), drawn once: as the official code draws them, the first draws of a torch CPU generator
      seeded with ``seed`` (2), ``z`` before the ``ζ``;
    - a fixed ``patched_fraction`` (80 %) of the training indices are patch images: index ``i`` is one when the
      ``i``-th draw of ``numpy.random.RandomState(seed).random_sample`` is below it, as in the official dataset
      object, so the first ``n`` images of a subset get the mask of the first ``n`` of the full set;
    - each epoch every patch image is drawn anew: with probability ``1 − patch_only_prob`` (0.8) the image is kept
      and its patch is ``z + s·ζ_y``; otherwise the whole image is zeroed (the mean colour) and the patch is
      ``z + s·patch_only_scale·u·ζ_y`` with ``u ~ U(0, 1)`` (1.75); the sign ``s = ±1`` is drawn per image;
    - :meth:`mixed_test_set` patches a fixed 80 % of the test images (the official mask: the 10,000 draws of the
      same ``RandomState`` after the 50,000 of the training mask); :meth:`patch_only_set` passes all-zero images
      with uniformly random labels through the transform.

    Our choices where the official code gives no usable rule: each epoch's draws (sign, patch-only choice,
    scale) come from a generator seeded by the run's ``(seed, epoch)``, so they differ between epochs and a resumed
    run repeats them exactly. The authors' loader (torch before 1.9, one worker restarted every epoch from the same
    numpy state) repeated one sequence of draws each epoch over differently shuffled images; current torch redraws
    them, as we do. The mixed test set and the patch-only set are drawn once (from ``seed``) and stay fixed across
    epochs and runs, as they did for the authors (the patch-only set by the same accident); the official code
    redrew the mixed set's patches on every evaluation pass.
    """

    def __init__(
        self,
        labels: torch.Tensor,
        *,
        seed: int = 2,
        num_classes: int = 10,
        patch_size: int = 7,
        z_scale: float = 1.25,
        class_sep: float = 0.1,
        patched_fraction: float = 0.8,
        patch_only_prob: float = 0.2,
        patch_only_scale: float = 1.75,
    ):
        self.seed = _check_count("seed", seed)
        self.num_classes = _check_count("num_classes", num_classes, 1)
        self.patch_size = _check_count("patch_size", patch_size, 1)
        for name, value in (("patched_fraction", patched_fraction), ("patch_only_prob", patch_only_prob)):
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
        for name, value in (("z_scale", z_scale), ("class_sep", class_sep), ("patch_only_scale", patch_only_scale)):
            if not value >= 0:
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        if labels.dim() != 1 or labels.dtype != torch.int64 or len(labels) == 0:
            raise ValueError(f"labels must be a non-empty 1-D int64 tensor, got {labels.dtype} {tuple(labels.shape)}")
        if labels.min() < 0 or labels.max() >= num_classes:
            raise ValueError(f"labels must lie in [0, {num_classes}), got {labels.min()}..{labels.max()}")
        self.patched_fraction, self.patch_only_prob = patched_fraction, patch_only_prob
        self.patch_only_scale = patch_only_scale
        self.labels = labels
        device = labels.device
        patterns = torch.Generator().manual_seed(self.seed)
        self.z = (z_scale * torch.randn(3, patch_size, patch_size, generator=patterns)).to(device)
        zeta = torch.empty(num_classes, 3, patch_size, patch_size).uniform_(-class_sep, class_sep, generator=patterns)
        self.zeta = zeta.to(device)
        self.patched = self._official_mask(0, len(labels)).to(device)
        self._epoch: tuple[torch.Tensor, torch.Tensor] | None = None

    def _official_mask(self, start: int, count: int) -> torch.Tensor:
        """Draws ``start`` to ``start + count`` of ``RandomState(seed)`` below ``patched_fraction``."""
        draws = np.random.RandomState(self.seed).random_sample(start + count)[start:]
        return torch.from_numpy(draws < self.patched_fraction)

    def _draw(self, n: int, generator: torch.Generator, device) -> tuple[torch.Tensor, torch.Tensor]:
        """Per image: whether it is patch-only, and the signed factor of ``ζ_y`` in its patch."""
        u = torch.rand(n, 3, generator=generator)
        sign = torch.where(u[:, 0] > 0.5, -1.0, 1.0)
        patch_only = u[:, 1] < self.patch_only_prob
        factor = sign * torch.where(patch_only, self.patch_only_scale * u[:, 2], 1.0)
        return patch_only.to(device), factor.to(device)

    def _apply(self, x, labels, patched, patch_only, factor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3 or min(x.shape[2:]) < self.patch_size:
            raise ValueError(
                f"x must be a batch of 3-channel images at least {self.patch_size} pixels high and wide, "
                f"got shape {tuple(x.shape)}"
            )
        top, left = (int(side / 2 - self.patch_size / 2) for side in x.shape[2:])
        rows, cols = slice(top, top + self.patch_size), slice(left, left + self.patch_size)
        out = torch.where((patched & patch_only)[:, None, None, None], 0.0, x)
        patch = self.z.to(x.device) + factor[:, None, None, None] * self.zeta.to(x.device)[labels]
        out[:, :, rows, cols] = torch.where(patched[:, None, None, None], patch.to(x.dtype), out[:, :, rows, cols])
        return out

    def start_epoch(self, epoch: int, seed: int) -> None:
        epoch, seed = _check_count("epoch", epoch), _check_count("seed", seed)
        draws = _generator(_PATCH_EPOCH, seed, epoch)
        self._epoch = self._draw(len(self.labels), draws, self.labels.device)

    def __call__(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        if self._epoch is None:
            raise RuntimeError("call start_epoch(epoch, seed) before transforming a batch")
        patch_only, factor = self._epoch
        return self._apply(x, self.labels[index], self.patched[index], patch_only[index], factor[index])

    def mixed_test_set(self, test: ImageData) -> ImageData:
        """``test`` with a fixed 80 % of its images patched (drawn once, as the training patches are)."""
        device = test.x.device
        patched = self._official_mask(_OFFICIAL_TRAIN_SIZE, len(test)).to(device)
        patch_only, factor = self._draw(len(test), _generator(_PATCH_MIXED, self.seed), device)
        x = self._apply(test.x, test.y, patched, patch_only, factor)
        return ImageData(x, test.y, f"{test.source}; a fixed {self.patched_fraction:.0%} patched (chapter 2)")

    def patch_only_set(self, n: int = 1000, *, image_size: int = 32) -> ImageData:
        """``n`` all-zero images with uniformly random labels through the patch transform (fixed once drawn)."""
        n = _check_count("n", n, 1)
        side = _check_count("image_size", image_size, self.patch_size)
        device = self.labels.device
        draws = _generator(_PATCH_ONLY, self.seed)
        labels = torch.randint(0, self.num_classes, (n,), generator=draws)
        patch_only, factor = self._draw(n, draws, device)
        x = torch.zeros(n, 3, side, side, device=device)
        patched = torch.ones(n, dtype=torch.bool, device=device)
        x = self._apply(x, labels.to(device), patched, patch_only, factor)
        return ImageData(x, labels.to(device), f"{n:,} patch-only images with random labels (chapter 2)")

    def __repr__(self) -> str:
        return f"PatchTransform({len(self.labels):,} images, seed={self.seed})"
