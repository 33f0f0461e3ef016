"""The quick start's one stored part: every learning rate × seed trained as one ensemble by the engine."""

from __future__ import annotations

from dataclasses import asdict

from ... import profile
from ...experiment import Part, Unit
from .data import load_data
from .scales import SCALES

EXPERIMENT = "quickstart-mnist-lr"
VERSION = 1


def config(scale: str) -> dict:
    return {
        "experiment": EXPERIMENT,
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        **asdict(SCALES[scale]),
    }


def train_sweep(scale: str) -> dict:
    """A one-hidden-layer ReLU network on MNIST with SGD and cross-entropy, every learning rate × seed as one
    ensemble; returns the engine's tidy table."""
    from ...models import two_layer
    from ...train import Data, grid, train

    s = SCALES[scale]
    x, y, x_test, y_test, _ = load_data(s)
    members = grid(lr=list(s.lrs), seed=[profile.seed(i) for i in range(s.seeds)], batch_size=s.batch_size)
    result = train(
        two_layer(784, s.width, 10),
        Data(x, y, x_test, y_test),
        members,
        loss="cross_entropy",
        steps=s.steps,
        checkpoints=s.checkpoints,
        device=profile.device(),
    )
    return {"table": result.table}


def _sweep_blocks(scale: str):
    yield [Unit("learning-rate sweep", config(scale), lambda: train_sweep(scale))]


SWEEP = Part("sweep", "learning-rate sweep", _sweep_blocks)
PARTS = (SWEEP,)
