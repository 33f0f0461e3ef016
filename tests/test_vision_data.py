import math

import numpy as np
import pytest
import torch

from lrlib.data import load_cifar10
from lrlib.vision.data import (
    CIFAR10_MEAN,
    CIFAR10_STD,
    PATCH_MEAN,
    PATCH_STD,
    CropFlip,
    ImageData,
    PatchTransform,
    Transform,
    cifar10,
    epoch_order,
)

# Binomial frequencies are checked to within 4.5 standard errors: a false failure about once in 150,000 runs.
Z_TOLERANCE = 4.5


def _within_binomial(count: int, n: int, p: float) -> bool:
    return abs(count / n - p) <= Z_TOLERANCE * math.sqrt(p * (1 - p) / n)


# --- datasets -----------------------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:The full CIFAR-10 was not available")
def test_cifar10_is_normalized_on_the_device(shared_data):
    train = cifar10("train", allow_subset=True)
    assert train.x.shape == (5000, 3, 32, 32) and train.x.dtype == torch.float32 and train.y.dtype == torch.int64
    assert torch.allclose(train.x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=0.02)
    assert torch.allclose(train.x.std(dim=(0, 2, 3)), torch.ones(3), atol=0.02)
    assert "subset" in train.source and len(train) == 5000

    test = cifar10("test", n=100, mean=PATCH_MEAN, std=PATCH_STD, allow_subset=True)
    raw = load_cifar10("test", allow_subset=True)
    expected = (raw.images()[:100] - torch.tensor(PATCH_MEAN).view(1, 3, 1, 1)) / torch.tensor(PATCH_STD).view(
        1, 3, 1, 1
    )
    assert torch.allclose(test.x, expected, atol=1e-6) and torch.equal(test.y, raw.y[:100])
    assert test.source.endswith("the first 100 of them")
    assert PATCH_MEAN[0] == pytest.approx(125.3 / 255) and CIFAR10_STD[2] == pytest.approx(0.2616)


@pytest.mark.filterwarnings("ignore:The full CIFAR-10 was not available")
def test_cifar10_bad_inputs(shared_data):
    with pytest.raises(ValueError, match="n must be at most 1000 .*got 1001"):
        cifar10("test", n=1001, allow_subset=True)
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        cifar10("test", n=0, allow_subset=True)
    with pytest.raises(ValueError, match=r"std must be 3 positive numbers .*got \(1, 0, 1\)"):
        cifar10("test", std=(1, 0, 1))
    with pytest.raises(ValueError, match="mean must be 3 numbers"):
        cifar10("test", mean=CIFAR10_MEAN[:2])
    with pytest.raises(ValueError, match="split must be one of"):
        cifar10("valid")


def test_image_data_checks_shapes_and_moves():
    data = ImageData(torch.zeros(4, 3, 8, 8), torch.arange(4), "four")
    moved = data.to("cpu")
    assert len(moved) == 4 and moved.source == "four" and moved.x.shape == (4, 3, 8, 8)
    with pytest.raises(ValueError, match=r"x must be a 4-D tensor .*got shape \(4, 192\)"):
        ImageData(torch.zeros(4, 192), torch.arange(4), "flat")
    with pytest.raises(ValueError, match="y must be a 1-D tensor of 4 labels"):
        ImageData(torch.zeros(4, 3, 8, 8), torch.arange(3), "short")


# --- epoch order --------------------------------------------------------------------------------------------------


def test_epoch_order_is_a_permutation_from_seed_and_epoch():
    first = epoch_order(1000, 0, seed=5)
    assert first.dtype == torch.int64 and torch.equal(first.sort().values, torch.arange(1000))
    assert torch.equal(first, epoch_order(1000, 0, seed=5))  # counter-based: the same (seed, epoch), same order
    assert not torch.equal(first, epoch_order(1000, 1, seed=5))
    assert not torch.equal(first, epoch_order(1000, 0, seed=6))
    assert epoch_order(1, 0, 0).tolist() == [0]
    for bad, message in (((0, 0, 0), "n must be a positive integer, got 0"), ((5, -1, 0), "epoch must be a non-neg")):
        with pytest.raises(ValueError, match=message):
            epoch_order(*bad)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got 1.5"):
        epoch_order(5, 0, 1.5)


# --- crop and flip ------------------------------------------------------------------------------------------------


def _crop_flip_candidates(x: torch.Tensor, padding: int, fill: float = 0.0) -> torch.Tensor:
    """Every crop of every padded image, flipped or not: [B, positions, 2, C, H, W] (a per-image reference)."""
    _, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (padding,) * 4, value=fill)
    crops = [padded[:, :, i : i + h, j : j + w] for i in range(2 * padding + 1) for j in range(2 * padding + 1)]
    crops = torch.stack(crops, dim=1)
    return torch.stack([crops, crops.flip(-1)], dim=2)


def test_crop_flip_is_a_crop_of_the_padded_image_flipped_about_half_the_time():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2000, 3, 6, 6, generator=g)
    transform = CropFlip(padding=2)
    transform.start_epoch(0, seed=1)
    out = transform(x, torch.arange(2000))
    assert out.shape == x.shape and out.dtype == x.dtype and not torch.equal(out, x)
    match = (_crop_flip_candidates(x, 2) == out[:, None, None]).flatten(3).all(dim=3)  # [B, positions, flipped]
    assert (match.flatten(1).sum(dim=1) == 1).all()  # exactly one crop and flip makes each output image
    flipped = int(match[:, :, 1].any(dim=1).sum())
    assert _within_binomial(flipped, 2000, 0.5)
    positions = match.any(dim=2).float().argmax(dim=1)
    assert _within_binomial(int((positions == 12).sum()), 2000, 1 / 25)  # the centre: the image unshifted
    assert positions.unique().numel() == 25


def test_crop_flip_pads_with_fill_and_draws_per_seed_and_epoch():
    x = torch.randn(64, 3, 8, 8)
    index = torch.arange(64)

    def run(epoch, seed, **kw):
        transform = CropFlip(**kw)
        transform.start_epoch(epoch, seed)
        return transform(x, index)

    assert torch.equal(run(3, 7), run(3, 7))
    assert not torch.equal(run(3, 7), run(4, 7)) and not torch.equal(run(3, 7), run(3, 8))
    filled = run(0, 0, fill=-5.0)
    match = (_crop_flip_candidates(x, 4, fill=-5.0) == filled[:, None, None]).flatten(3).all(dim=3)
    assert match.flatten(1).any(dim=1).all()
    assert (filled == -5.0).any() and not (run(0, 0) == -5.0).any()
    only_flips = run(0, 0, padding=0)
    assert ((only_flips == x) | (only_flips == x.flip(-1))).flatten(1).all(dim=1).all()
    with pytest.raises(RuntimeError, match="call start_epoch"):
        CropFlip()(x, index)
    with pytest.raises(ValueError, match="padding must be a non-negative integer, got -1"):
        CropFlip(padding=-1)


def test_identity_transform():
    x = torch.randn(4, 3, 8, 8)
    t = Transform()
    t.start_epoch(0, 0)
    assert t(x, torch.arange(4)) is x


# --- chapter 2's patch --------------------------------------------------------------------------------------------

N_PATCH = 4096


@pytest.fixture(scope="module")
def patch_data():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(N_PATCH, 3, 12, 12, generator=g) + 3.0  # never zero, never equal to a patch value
    y = torch.randint(0, 10, (N_PATCH,), generator=g)
    return x, y


def _kinds(x, out, transform, labels):
    """Classify each output image as clean, patched (image kept) or patch-only, checking its pixels on the way;
    returns the kinds and the factor of ζ_y in each patch."""
    rows = cols = slice(2, 9)  # int(12/2 - 7/2) = 2: the centre of a 12-pixel image
    outside = torch.ones(12, 12, dtype=torch.bool)
    outside[rows, cols] = False
    clean = (out == x).flatten(1).all(dim=1)
    kept_outside = (out == x)[:, :, outside].flatten(1).all(dim=1)
    zero_outside = (out[:, :, outside] == 0).flatten(1).all(dim=1)
    assert (clean | kept_outside | zero_outside).all()
    offset = out[:, :, rows, cols] - transform.z  # = factor · ζ_y where patched
    zeta = transform.zeta[labels]
    factor = (offset * zeta).flatten(1).sum(1) / zeta.pow(2).flatten(1).sum(1)
    patched = ~clean
    assert torch.allclose(offset[patched], factor[patched, None, None, None] * zeta[patched], atol=1e-5)
    return clean, patched & kept_outside, patched & zero_outside, factor


def test_patch_patterns_are_the_official_draws():
    t = PatchTransform(torch.zeros(10, dtype=torch.int64))
    official = torch.Generator().manual_seed(2)  # train_patches.py: torch.manual_seed(2), then pm_sym_pattern
    assert torch.equal(t.z, 1.25 * torch.randn(3, 7, 7, generator=official))
    assert torch.equal(t.zeta, torch.zeros(10, 1, 3, 7, 7).uniform_(-0.1, 0.1, generator=official).squeeze(1))
    assert 13.5 < float(t.z.norm()) < 16.5  # 1.25·√147 ≈ 15.2
    ratios = t.zeta.flatten(1).norm(dim=1) / t.z.norm()
    assert ((ratios > 0.04) & (ratios < 0.055)).all()  # ‖ζ‖/‖z‖ ≈ 0.7/15 ≈ 0.05
    assert (
        t.zeta.abs().max() <= 0.1 and t.patched.tolist() == (np.random.RandomState(2).random_sample(10) < 0.8).tolist()
    )


def test_patch_frequencies_location_and_values(patch_data):
    x, y = patch_data
    t = PatchTransform(y, seed=2)
    t.start_epoch(0, seed=0)
    index = torch.randperm(N_PATCH)
    out = t(x[index], index)
    clean, kept, patch_only, factor = _kinds(x[index], out, t, y[index])
    assert torch.equal(~clean, t.patched[index])  # the fixed 80 % are exactly the patched ones
    # expected per epoch: 20 % clean, 0.8·0.8 = 64 % image + patch, 0.8·0.2 = 16 % patch only
    for kind, p in ((clean, 0.2), (kept, 0.64), (patch_only, 0.16)):
        assert _within_binomial(int(kind.sum()), N_PATCH, p)
    assert torch.allclose(factor[kept].abs(), torch.ones(int(kept.sum())), atol=1e-4)  # z ± ζ_y
    assert _within_binomial(int((factor[kept] > 0).sum()), int(kept.sum()), 0.5)
    scaled = factor[patch_only]  # z + s·1.75·U(0,1)·ζ_y: |factor| uniform on [0, 1.75]
    assert scaled.abs().max() <= 1.75 and _within_binomial(int((scaled.abs() < 0.875).sum()), len(scaled), 0.5)


def test_patch_redraws_each_epoch_deterministically(patch_data):
    x, y = patch_data
    index = torch.arange(N_PATCH)

    def kinds(epoch, seed):
        t = PatchTransform(y)
        t.start_epoch(epoch, seed)
        out = t(x, index)
        return out, _kinds(x, out, t, y)

    out0, (clean0, kept0, only0, factor0) = kinds(0, seed=3)
    again, _ = kinds(0, seed=3)
    out1, (clean1, kept1, only1, factor1) = kinds(1, seed=3)
    assert torch.equal(out0, again)  # counter-based: a resumed run sees the same images
    assert torch.equal(clean0, clean1)  # which images are patch images is fixed ...
    assert not torch.equal(only0, only1)  # ... which of them are patch-only, and the signs, are redrawn
    assert not torch.equal(factor0.sign()[kept0 & kept1], factor1.sign()[kept0 & kept1])
    assert not torch.equal(kinds(0, seed=4)[0], out0)
    # a batch sees the draws of its dataset indices, whatever the batch
    t = PatchTransform(y)
    t.start_epoch(0, 3)
    assert torch.equal(t(x[100:200], index[100:200]), out0[100:200])


def test_mixed_test_set_and_patch_only_set(patch_data):
    x, y = patch_data
    t = PatchTransform(y)
    test = ImageData(x[:2000], y[:2000], "test")
    mixed = t.mixed_test_set(test)
    assert mixed.source.startswith("test;") and torch.equal(mixed.y, test.y)
    assert torch.equal(mixed.x, t.mixed_test_set(test).x)  # fixed once drawn
    clean, kept, only, _ = _kinds(test.x, mixed.x, t, test.y)
    official = np.random.RandomState(2).random_sample(52_000)[50_000:] < 0.8
    assert (~clean).tolist() == official.tolist()
    assert _within_binomial(int(only.sum()), int((~clean).sum()), 0.2)

    only_set = t.patch_only_set(3000, image_size=12)
    assert only_set.x.shape == (3000, 3, 12, 12) and torch.equal(only_set.x, t.patch_only_set(3000, image_size=12).x)
    counts = torch.bincount(only_set.y, minlength=10)
    assert all(_within_binomial(int(c), 3000, 0.1) for c in counts)
    zeros = torch.zeros_like(only_set.x)
    clean, kept, only, factor = _kinds(zeros, only_set.x, t, only_set.y)
    assert not clean.any()  # every image carries the patch; all are zero outside it
    full_scale = (factor.abs() - 1).abs() < 1e-4
    assert _within_binomial(int(full_scale.sum()), 3000, 0.8)
    assert t.patch_only_set().x.shape == (1000, 3, 32, 32)


def test_patch_bad_inputs(patch_data):
    x, y = patch_data
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 10\), got 0..10"):
        PatchTransform(torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="labels must be a non-empty 1-D int64 tensor"):
        PatchTransform(torch.zeros(3, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="patched_fraction must be a probability in \\[0, 1\\], got 1.5"):
        PatchTransform(y, patched_fraction=1.5)
    with pytest.raises(ValueError, match="z_scale must be a non-negative number, got -1"):
        PatchTransform(y, z_scale=-1)
    t = PatchTransform(y)
    with pytest.raises(RuntimeError, match="call start_epoch"):
        t(x[:4], torch.arange(4))
    t.start_epoch(0, 0)
    with pytest.raises(ValueError, match=r"at least 7 pixels high and wide, got shape \(4, 3, 6, 6\)"):
        t(x[:4, :, :6, :6], torch.arange(4))
    with pytest.raises(ValueError, match="image_size must be an integer of at least 7, got 5"):
        t.patch_only_set(10, image_size=5)
