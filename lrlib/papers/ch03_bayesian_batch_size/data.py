"""The chapter's data: the offline MNIST pool, its balanced 0-vs-1 splits with label noise (Figs. 1-3), and the
fixed test set and nested training sets of the batch-size sweeps (Figs. 4-7).

The MNIST pool (both scales, every machine) is the canonical 10,000-image test split plus the first 999 images of
the training split. The paper drew its training sets from the 60,000 training images [recalled]; the full training
images are not available offline, and a fixed pool keeps the stored paper-scale results reproducible on any machine.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from ... import profile
from .scales import POOLS, sweep_setting


def mnist_pool(pool: str = "offline") -> tuple[np.ndarray, np.ndarray, str]:
    """An MNIST pool the chapter draws from.

    ``"offline"`` (every machine): the 10,000 test images and the first 999 training images.
    ``"full"``: all 70,000 images, the training and test splits together, as the paper's 5,000 + 5,000 test set of
    zeros and ones needs (the test split alone has 980 zeros); the full files are required (../shared/data-full
    offline, or a download).

    Returns inputs [M, 784] float64 in [0, 1], labels [M] int, and a description of the files used.
    """
    from ...data import load_mnist

    if pool not in POOLS:
        raise ValueError(f"pool must be one of {list(POOLS)}, got {pool!r}")
    test = load_mnist("test")
    if pool == "full":
        train = load_mnist("train")
        train_x, train_y = train.x, train.y
        source = "MNIST: all 70,000 images (the canonical training and test splits together; pixels / 255)"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # offline: the loader warns that it has 999 images only
            train = load_mnist("train", allow_subset=True)
        train_x, train_y = train.x[:999], train.y[:999]
        source = (
            "MNIST: the canonical 10,000-image test split plus the first 999 images of the training split "
            "(10,999 real images; pixels / 255)"
        )
    x = np.concatenate([test.x.numpy(), train_x.numpy()]).astype(np.float64)
    y = np.concatenate([test.y.numpy(), train_y.numpy()])
    return x, y, source


def zeros_vs_ones(x: np.ndarray, y: np.ndarray, n_train: int, rng: np.random.Generator, n_test: int | None = None):
    """A balanced 0-vs-1 split: n_train/2 of each class for training, and n_test/2 of each of the rest for testing
    (``None``: as many as the rarer class leaves).

    Returns (x_train, y_train, x_test, y_test) with 0/1 labels (1 = digit one).
    """
    if n_train <= 0 or n_train % 2:
        raise ValueError(f"n_train must be a positive even number, got {n_train}")
    if n_test is not None and (n_test <= 0 or n_test % 2):
        raise ValueError(f"n_test must be a positive even number or None, got {n_test}")
    zeros, ones = rng.permutation(np.flatnonzero(y == 0)), rng.permutation(np.flatnonzero(y == 1))
    half = n_train // 2
    left = min(len(zeros), len(ones)) - half
    if left <= 0 or (n_test is not None and n_test // 2 > left):
        wanted = "any test images" if n_test is None else f"{n_test} test images ({n_test // 2} per class)"
        raise ValueError(
            f"n_train={n_train} leaves {max(left, 0)} images per class for testing, not {wanted} "
            f"(pool: {len(zeros)} zeros, {len(ones)} ones)"
        )
    per_class = left if n_test is None else n_test // 2
    train = np.concatenate([zeros[:half], ones[:half]])
    test = np.concatenate([zeros[half : half + per_class], ones[half : half + per_class]])
    return x[train], (y[train] == 1).astype(float), x[test], (y[test] == 1).astype(float)


def noisy_labels(y: np.ndarray, noise: float, u: np.ndarray, coin: np.ndarray) -> np.ndarray:
    """Replace label i by the fair coin ``coin[i]`` where ``u[i] < noise`` (nested in ``noise`` for fixed u)."""
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must lie in [0, 1], got {noise}")
    return np.where(u < noise, coin, y)


def sweep_data(scale: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """The sweeps' fixed test set and the pool of training images (nested training sets are its prefixes).

    Returns x_train_pool [M, D], y_train_pool [M], x_test [n_test, D], y_test [n_test] (float32, int64) and a
    description of the data.
    """
    cfg = sweep_setting(scale)
    rng = np.random.default_rng(profile.seed(100))  # the split is fixed: seed base 100 (+ LRLIB_SEED)
    if cfg.dataset == "mnist-train":
        return _canonical_splits(cfg, rng)
    if cfg.dataset == "digits":
        from ...data import load_digits

        ds = load_digits()
        x, y, source = ds.x.numpy(), ds.y.numpy(), ds.source
    elif cfg.dataset == "mnist":
        x, y, source = mnist_pool()
    else:
        raise ValueError(f"dataset must be 'digits', 'mnist' or 'mnist-train', got {cfg.dataset!r}")
    order = rng.permutation(len(y))
    test, pool = order[: cfg.n_test], order[cfg.n_test :]
    n_max = max(cfg.n_train, *cfg.n_values)
    if len(pool) < n_max:
        raise ValueError(
            f"{cfg.dataset} leaves {len(pool)} training images after a {cfg.n_test}-image test set; "
            f"the scale needs {n_max}"
        )
    as_x = lambda idx: torch.as_tensor(x[idx], dtype=torch.float32)  # noqa: E731
    as_y = lambda idx: torch.as_tensor(y[idx], dtype=torch.int64)  # noqa: E731
    source = f"{source}; random split: {cfg.n_test} test images, training sets = the first N of the rest"
    return as_x(pool[:n_max]), as_y(pool[:n_max]), as_x(test), as_y(test), source


def _canonical_splits(cfg, rng: np.random.Generator):
    """Training sets from MNIST's 60,000-image training split (the first N of one shuffle), the test set from its
    10,000-image test split: the full files are required (../shared/data-full offline, or a download)."""
    from ...data import load_mnist

    train, test = load_mnist("train"), load_mnist("test")
    n_max = max(cfg.n_train, *cfg.n_values)
    if len(train) < n_max or len(test) < cfg.n_test:
        raise ValueError(
            f"MNIST has {len(train)} training and {len(test)} test images; the setting needs {n_max} and {cfg.n_test}"
        )
    pool = rng.permutation(len(train))[:n_max]
    test_idx = np.arange(cfg.n_test)
    source = (
        f"MNIST: training sets are the first N of {n_max:,} images drawn at random from the canonical 60,000-image "
        f"training split; test set: the canonical test split ({cfg.n_test:,} images); pixels / 255"
    )
    as_x = lambda ds, idx: torch.as_tensor(ds.x.numpy()[idx], dtype=torch.float32)  # noqa: E731
    as_y = lambda ds, idx: torch.as_tensor(ds.y.numpy()[idx], dtype=torch.int64)  # noqa: E731
    return as_x(train, pool), as_y(train, pool), as_x(test, test_idx), as_y(test, test_idx), source
