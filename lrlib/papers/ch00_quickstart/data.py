"""Real MNIST: the first ``n_train`` training images (the same online and offline) and the start of the test split.
Every file is checked against its published checksum by :func:`lrlib.data.load_mnist`."""

from __future__ import annotations

import warnings

from ...data import load_mnist
from .scales import Scale


def load_data(s: Scale):
    """The first ``n_train`` MNIST training images and the first ``n_test`` test images, and where they came from."""
    with warnings.catch_warnings():  # the returned description says when the offline subset is used
        warnings.simplefilter("ignore")
        train = load_mnist("train", allow_subset=True)
    test = load_mnist("test")
    if len(train) < s.n_train:
        raise ValueError(f"n_train={s.n_train} but only {len(train)} training images are available")
    return (
        train.x[: s.n_train],
        train.y[: s.n_train],
        test.x[: s.n_test],
        test.y[: s.n_test],
        f"{train.source}; first {s.n_train} used. Test: {test.source}; first {s.n_test} used.",
    )
