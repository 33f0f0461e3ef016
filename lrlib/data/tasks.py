"""Turning a multi-class dataset into the tasks the papers use, and splitting it reproducibly."""

from __future__ import annotations

import torch

from .real import Dataset

ANIMALS = ("bird", "cat", "deer", "dog", "frog", "horse")


def parity_labels(ds: Dataset) -> torch.Tensor:
    """±1 labels: +1 for even digits, −1 for odd ones (Sclocchi et al.'s MNIST parity task)."""
    return 1 - 2 * (ds.y % 2)


def animals_vs_vehicles_labels(ds: Dataset) -> torch.Tensor:
    """±1 labels for CIFAR-10: +1 for animals, −1 for vehicles."""
    animal = torch.tensor([c in ANIMALS for c in ds.classes])
    return torch.where(animal[ds.y], 1, -1)


def class_pair(ds: Dataset, positive: int, negative: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs of two classes and ±1 labels (+1 for ``positive``), e.g. MNIST 0 vs 1."""
    for name, c in (("positive", positive), ("negative", negative)):
        if not 0 <= c < len(ds.classes):
            raise ValueError(f"{name} class must be in 0..{len(ds.classes) - 1}, got {c}")
    keep = (ds.y == positive) | (ds.y == negative)
    return ds.x[keep], torch.where(ds.y[keep] == positive, 1, -1)


def random_subset(n_total: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` distinct indices out of ``n_total``, drawn with ``generator``."""
    if not 0 < n <= n_total:
        raise ValueError(f"subset size must be in 1..{n_total}, got {n}")
    return torch.randperm(n_total, generator=generator)[:n]
