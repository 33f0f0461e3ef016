"""Chapter 1's stored parts: the main comparison of a small and a large learning rate, the learning-rate sweep
across η*, and the noise-window sweep. Each part is one results-store entry (its configuration is the key)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from ... import profile
from ...experiment import Part, Unit
from .scales import DATA_MODEL, NETWORK, SCALES
from .training import train_members

VERSION = 1
EXPERIMENTS = ("ch1-main", "ch1-lr-sweep", "ch1-noise-window")
#: the per-member arrays every part stores as ``member.<column>``
MEMBER_COLUMNS = ("member", "lr_ratio", "seed_id", "oscillation_fraction")


def _config(experiment: str, scale: str, **extra) -> dict:
    return {
        "experiment": experiment,
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        "data_model": asdict(DATA_MODEL),
        "network": asdict(NETWORK),
        **extra,
    }


def main_config(scale: str) -> dict:
    s = SCALES[scale]
    return _config(
        "ch1-main",
        scale,
        seeds=s.seeds,
        steps=s.steps,
        checkpoint_every=s.checkpoint_every,
        lr_ratios=[s.small_lr, s.large_lr],
        window=list(s.window),
    )


def lr_sweep_config(scale: str) -> dict:
    s = SCALES[scale]
    return _config("ch1-lr-sweep", scale, seeds=s.sweep_seeds, steps=s.sweep_steps, lr_ratios=list(s.sweep_lrs))


def noise_window_config(scale: str) -> dict:
    s = SCALES[scale]
    return _config(
        "ch1-noise-window",
        scale,
        seeds=s.noise_seeds,
        steps=s.noise_steps,
        lr_ratios=[s.small_lr, s.large_lr],
        noise_ratios=list(s.noise_ratios),
    )


def _member_arrays(extra, columns=MEMBER_COLUMNS) -> dict:
    return {f"member.{c}": extra[c].to_numpy() for c in columns}


def compute_main(scale: str) -> dict:
    """Small vs large learning rate, ``seeds`` seeds: measurements every ``checkpoint_every`` steps and at every
    step of the window; arrays: every step's loss and sampled point, the oscillation fraction per member."""
    s = SCALES[scale]
    ckpts = set(range(0, s.steps + 1, s.checkpoint_every)) | set(range(*s.window))
    result, extra, sampled = train_members(
        [s.small_lr, s.large_lr], range(s.seeds), s.steps, sorted(ckpts), desc="ch1 main"
    )
    return {
        "table": result.table,
        "arrays": {
            "batch_loss": result.batch_loss.astype(np.float32),
            "sampled_point": sampled.astype(np.int8),
            **_member_arrays(extra),
        },
    }


def compute_lr_sweep(scale: str) -> dict:
    """Final (and every tenth of training) measurements over the learning-rate sweep."""
    s = SCALES[scale]
    checkpoints = max(1, s.sweep_steps // 10)
    result, extra, _ = train_members(s.sweep_lrs, range(s.sweep_seeds), s.sweep_steps, checkpoints, desc="ch1 lr sweep")
    return {"table": result.table, "arrays": _member_arrays(extra)}


def compute_noise_window(scale: str) -> dict:
    """Both learning rates over the noise energy E‖ξ‖²/‖v‖²."""
    s = SCALES[scale]
    result, extra, _ = train_members(
        [s.small_lr, s.large_lr],
        range(s.noise_seeds),
        s.noise_steps,
        max(1, s.noise_steps // 10),
        noise_ratios=s.noise_ratios,
        desc="ch1 noise window",
    )
    columns = ("member", "lr_ratio", "seed_id", "noise_to_weak", "oscillation_fraction")
    return {"table": result.table, "arrays": _member_arrays(extra, columns)}


def _one_unit(label: str, config, compute):
    """A part of one store entry."""

    def blocks(scale: str):
        yield [Unit(label, config(scale), lambda: compute(scale))]

    return blocks


MAIN = Part("main", "small vs large LR", _one_unit("small vs large LR", main_config, compute_main))
LR_SWEEP = Part("lr-sweep", "learning-rate sweep", _one_unit("learning-rate sweep", lr_sweep_config, compute_lr_sweep))
NOISE_WINDOW = Part(
    "noise-window", "noise window", _one_unit("noise window", noise_window_config, compute_noise_window)
)
PARTS = (MAIN, LR_SWEEP, NOISE_WINDOW)
