"""Datasets: real ones (MNIST, CIFAR-10, scikit-learn digits), checked by checksum, and the tasks built from them.

The synthetic data models of each paper live beside that paper's code in ``lrlib.papers``.
"""

from .files import ChecksumError, DataError, cache_root, data_root, offline
from .real import Dataset, load_cifar10, load_digits, load_mnist
from .tasks import animals_vs_vehicles_labels, class_pair, parity_labels, random_subset

__all__ = [
    "Dataset",
    "load_mnist",
    "load_cifar10",
    "load_digits",
    "data_root",
    "cache_root",
    "offline",
    "DataError",
    "ChecksumError",
    "parity_labels",
    "animals_vs_vehicles_labels",
    "class_pair",
    "random_subset",
]
