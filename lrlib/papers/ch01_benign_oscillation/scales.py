"""Chapter 1's two scales side by side, and the data model and network both share.

Learning rates are in units of η* = m/(4‖u‖²) (:func:`.theory.eta_star`); paper symbols are in brackets.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd

TITLE = "Chapter 1: benign oscillation"


@dataclass(frozen=True)
class DataModel:
    """The reconstructed data model (paper symbols in brackets); the sizes are the paper's."""

    d: int = 64  # [d] dimension of one patch
    n_strong: int = 14  # training points that carry y·u (balanced labels, 7 per class)
    n_weak: int = 2  # training points without u (one per class)
    u_norm: float = 1.0  # [‖u‖] the strong feature's norm
    v_norm: float = 0.1  # [‖v‖] the weak feature's norm (the paper assumes ‖v‖ ≤ 0.1‖u‖)
    noise_to_weak: float = 4.0  # E‖ξ‖²/‖v‖² = (d − 2)σ_p²/‖v‖², the noise energy against the weak feature's
    n_weak_test: int = 1000  # weak-only test points (x⁽¹⁾ = 0), balanced labels
    n_mixed_strong: int = 28  # the paper-style test set: 28 strong ...
    n_mixed_weak: int = 4  # ... and 4 weak points

    def __post_init__(self):
        for name in ("d", "n_strong", "n_weak", "n_weak_test", "n_mixed_strong", "n_mixed_weak"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (3 if name == "d" else 0):
                raise ValueError(f"{name} must be an integer >= {3 if name == 'd' else 0}, got {value!r}")
        for name in ("u_norm", "v_norm", "noise_to_weak"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    @property
    def n(self) -> int:
        """[n] training points."""
        return self.n_strong + self.n_weak

    @property
    def sigma_p(self) -> float:
        """[σ_p] the noise's standard deviation per coordinate, from ``noise_to_weak``."""
        return self.v_norm * math.sqrt(self.noise_to_weak / (self.d - 2))


@dataclass(frozen=True)
class Network:
    """The ReLU² patch network with a fixed ±1/m readout (the engine's :class:`lrlib.models.PatchReLU2`)."""

    m: int = 8  # [m] neurons per class
    sigma0: float = 0.01  # [σ0] initial weights N(0, σ0² I) [reconstructed]


@dataclass(frozen=True)
class Scale:
    """What one scale runs. Learning rates are in units of η* = m/(4‖u‖²)."""

    seeds: int  # seeds of the main comparison (each: own data, init, SGD order)
    steps: int  # SGD steps (batch 1) of the main comparison
    checkpoint_every: int  # steps between measurements
    small_lr: float  # η/η* of the small learning rate
    large_lr: float  # η/η* of the large learning rate
    window: tuple[int, int]  # steps whose every iterate is measured (the dynamics figure)
    sweep_lrs: tuple[float, ...]  # η/η* of the learning-rate sweep
    sweep_seeds: int
    sweep_steps: int
    noise_ratios: tuple[float, ...]  # E‖ξ‖²/‖v‖² of the noise-window sweep (both learning rates)
    noise_seeds: int
    noise_steps: int


SCALES = {
    # smoke: the spec's smoke run for the claims, plus coarse sweeps so that every figure has data
    "smoke": Scale(
        seeds=5,
        steps=20_000,
        checkpoint_every=250,
        small_lr=0.5,
        large_lr=1.25,
        window=(2000, 2120),
        sweep_lrs=(0.1, 0.5, 0.9, 1.1, 1.25, 1.5, 1.7),
        sweep_seeds=2,
        sweep_steps=20_000,
        noise_ratios=(1.0, 4.0, 16.0),
        noise_seeds=2,
        noise_steps=20_000,
    ),
    # paper: the paper's sizes and 5 seeds; the full sweeps (longer, so that 1.05–1.15 η* has time to learn v)
    "paper": Scale(
        seeds=5,
        steps=20_000,
        checkpoint_every=100,
        small_lr=0.5,
        large_lr=1.25,
        window=(2000, 2200),
        sweep_lrs=(0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.05, 1.1, 1.15, 1.25, 1.35, 1.5, 1.6, 1.7),
        sweep_seeds=5,
        sweep_steps=50_000,
        noise_ratios=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
        noise_seeds=5,
        noise_steps=20_000,
    ),
}
DATA_MODEL = DataModel()
NETWORK = Network()


def scales_table() -> pd.DataFrame:
    """Both scales side by side (one column each), for the chapter's first table."""

    def shown(v):
        return "(" + ", ".join(f"{x:g}" for x in v) + ")" if isinstance(v, tuple) else v

    return pd.DataFrame({name: {k: shown(v) for k, v in asdict(s).items()} for name, s in SCALES.items()})
