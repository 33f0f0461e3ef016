"""The parity tasks of chapter 5's networks: a fixed test set and a pool the seeds' training sets are drawn from."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ...data import DataError, data_root, load_digits, load_mnist, parity_labels
from .scales import MIN_TEST, PAPER_TEST

SPLIT_SEED = 12345  # the shuffle that splits the union of a dataset's splits into test set and pool


@dataclass
class TaskData:
    """A binary task split once: a fixed test set and a pool the training sets are drawn from."""

    name: str
    source: str
    x_pool: torch.Tensor
    y_pool: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_total: int

    def training_set(self, P: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``P`` points of the pool in the order of ``seed``: the training set changes with the seed
        (as in the authors' code), and sets of different P for one seed are nested."""
        if not 0 < P <= len(self.y_pool):
            raise ValueError(f"P must be in 1..{len(self.y_pool)} for {self.name}, got {P}")
        g = torch.Generator().manual_seed(10_000 + seed)
        idx = torch.randperm(len(self.y_pool), generator=g)[:P]
        return self.x_pool[idx], self.y_pool[idx]


def _mnist_train():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_mnist("train", allow_subset=True)


def load_task(dataset: str, max_P: int) -> TaskData:
    """Parity task on ``'digits'`` (scikit-learn 8×8) or ``'mnist'`` (train ∪ test), globally normalised.

    The union is shuffled with a fixed seed; its first ``n_test`` points are the test set, where ``n_test`` is
    ``PAPER_TEST`` (32,768, the authors' ``pte``) when the data allows it and otherwise all points not needed for
    the largest training set ``max_P``. MNIST uses the authors' constants (x·255 − 33.310)/78.567; digits are
    standardised with their own global mean and standard deviation.
    """
    if dataset == "digits":
        ds = load_digits()
        x = ds.x.double()
        x = (x - x.mean()) / x.std()
        y, source = parity_labels(ds), ds.source
    elif dataset == "mnist":
        train, test = _mnist_train(), load_mnist("test")
        x = torch.cat([train.x, test.x]).double()
        x = (x * 255 - 33.310) / 78.567
        y = torch.cat([parity_labels(train), parity_labels(test)])
        source = f"{train.source} + {test.source}"
    else:
        raise ValueError(f"dataset must be 'digits' or 'mnist', got {dataset!r}")
    n = len(y)
    if max_P >= n:
        raise ValueError(f"max_P must be smaller than the {n} points of {dataset}, got {max_P}")
    n_test = min(PAPER_TEST, n - max_P)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
    test, pool = order[:n_test], order[n_test:]
    return TaskData(dataset, source, x[pool].float(), y[pool].long(), x[test].float(), y[test].long(), n)


def task_when_needed(dataset: str, max_P: int, *, size: int | None = None) -> Callable[[], TaskData]:
    """A loader that reads the data the first time something must be trained (reading stored results needs none).
    ``size``: the number of points the union of the splits must hold (a part keyed by the full dataset)."""

    def load() -> TaskData:
        if size is not None and dataset_size(dataset) != size:
            raise DataError(
                f"this part needs the full {dataset} ({size:,} images in its training and test splits); "
                f"the data folder here ({data_root()}) holds {dataset_size(dataset):,}. Use a folder "
                "with the canonical MNIST files (LRLIB_DATA, e.g. ../shared/data-full) or let lrlib download them"
            )
        return load_task(dataset, max_P)

    return functools.cache(load)


@functools.cache
def dataset_size(dataset: str) -> int:
    """How many points the union of the dataset's splits holds here (MNIST offline: 10,999)."""
    if dataset == "digits":
        return 1797
    return len(_mnist_train()) + len(load_mnist("test"))


def available_Ps(dataset: str, Ps: tuple[int, ...]) -> tuple[int, ...]:
    """The P values of a sweep that the data allows while keeping ``MIN_TEST`` test points."""
    n = dataset_size(dataset)
    return tuple(P for P in Ps if P + MIN_TEST <= n)
