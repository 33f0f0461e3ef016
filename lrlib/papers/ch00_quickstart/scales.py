"""The quick start's two scales side by side: what shrinks from the paper scale to the smoke scale."""

from __future__ import annotations

from dataclasses import dataclass

TITLE = "Quick start: a learning-rate sweep on MNIST"


@dataclass(frozen=True)
class Scale:
    n_train: int  # training images: the first n of the MNIST training set
    n_test: int  # test images: the first n of the canonical 10,000-image test split
    width: int  # hidden ReLU units
    batch_size: int  # B, images per SGD step
    steps: int  # SGD steps per member
    checkpoints: int  # steps between evaluations (the engine's checkpoint interval)
    lrs: tuple[float, ...]  # learning rates η (per step, on the batch-mean loss)
    seeds: int  # seeds per learning rate


SCALES = {
    "smoke": Scale(
        n_train=999,
        n_test=2000,
        width=128,
        batch_size=16,
        steps=600,
        checkpoints=12,
        lrs=(0.003, 0.03, 0.3, 3.0, 30.0),
        seeds=3,
    ),
    "paper": Scale(
        n_train=999,
        n_test=10000,
        width=256,
        batch_size=16,
        steps=2000,
        checkpoints=20,
        lrs=(0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0),
        seeds=5,
    ),
}


def scales_table():
    """Both scales side by side (one column each), every learning rate shown."""
    import pandas as pd

    return pd.DataFrame({name: {**vars(s), "lrs": ", ".join(f"{lr:g}" for lr in s.lrs)} for name, s in SCALES.items()})
