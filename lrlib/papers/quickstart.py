"""The quick-start page's experiment: SGD on real MNIST at a sweep of learning rates, as one ensemble.

A one-hidden-layer ReLU network learns the first N MNIST training images (the same images online and offline)
with minibatch SGD and cross-entropy, at learning rates spanning four decades, several seeds each. Its purpose is
to show the machinery end to end: both scales in one place, the device, real data, the engine, the results
store with provenance, and checked claims.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .. import profile
from ..data import load_mnist
from ..store import Entry, Store, default_store

EXPERIMENT = "quickstart-mnist-lr"
VERSION = 1


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


def config(scale: str) -> dict:
    return {
        "experiment": EXPERIMENT,
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        **asdict(SCALES[scale]),
    }


def paper_results_stored() -> bool:
    return default_store("paper").has(config("paper"))


def load_data(s: Scale):
    """The first ``n_train`` MNIST training images and the first ``n_test`` test images."""
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


def train_sweep(s: Scale, device=None) -> pd.DataFrame:
    """Every learning rate × seed as one ensemble; returns the engine's tidy table."""
    from ..models import two_layer
    from ..train import Data, grid, train

    x, y, x_test, y_test, _ = load_data(s)
    members = grid(lr=list(s.lrs), seed=[profile.seed(i) for i in range(s.seeds)], batch_size=s.batch_size)
    result = train(
        two_layer(784, s.width, 10),
        Data(x, y, x_test, y_test),
        members,
        loss="cross_entropy",
        steps=s.steps,
        checkpoints=s.checkpoints,
        device=device,
    )
    return result.table


def run(scale: str, store: Store | None = None) -> Entry:
    """The sweep's stored result (computed and stored first if missing)."""
    store = store or default_store(scale)
    s = SCALES[scale]

    def compute():
        t0 = time.perf_counter()
        dev = profile.device()
        table = train_sweep(s, device=dev)
        return {"table": table, "provenance": profile.provenance(time.perf_counter() - t0, dev, scale=scale)}

    return store.cached(config(scale), compute)


def final_rows(table: pd.DataFrame) -> pd.DataFrame:
    """One row per member: its last measurement (at its stop step)."""
    return table[table["final"]].sort_values(["lr", "seed"]).reset_index(drop=True)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per learning rate: mean and spread of the final test error, how many seeds diverged."""
    final = final_rows(table)
    return (
        final.groupby("lr")
        .agg(
            test_error_mean=("test_error", "mean"),
            test_error_min=("test_error", "min"),
            test_error_max=("test_error", "max"),
            train_loss_mean=("train_loss", "mean"),
            rel_weight_change_mean=("rel_weight_change", "mean"),
            diverged=("stop_reason", lambda r: int((r == "diverged").sum())),
            seeds=("seed", "count"),
        )
        .reset_index()
    )


def best_lr(table: pd.DataFrame) -> float:
    s = summary(table)
    return float(s.loc[s["test_error_mean"].idxmin(), "lr"])


def curves(table: pd.DataFrame, lr: float, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Evaluation steps and a [seeds, evaluations] array of ``column`` for one learning rate (NaN after a member
    stops)."""
    rows = table[(table["lr"] == lr) & ~table["final"]]
    wide = rows.pivot_table(index="seed", columns="step", values=column, dropna=False)
    return wide.columns.to_numpy(), wide.to_numpy()
