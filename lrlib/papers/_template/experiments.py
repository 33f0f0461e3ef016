"""The chapter's stored parts: each unit's configuration is its store key, its compute returns the table."""

from dataclasses import asdict

import numpy as np
import pandas as pd

from ... import profile
from ...experiment import Part, Unit
from .scales import KEY, SCALES

VERSION = 1


def config(scale: str) -> dict:
    return {
        "experiment": f"{KEY}-main",
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        **asdict(SCALES[scale]),
    }


def gradient_descent(config: dict) -> dict:
    """Every (η, seed): w ← w − η λ w from w0 ~ N(0, 1); the final loss λw²/2 against the initial one."""
    rows = []
    for seed in range(config["seeds"]):
        w0 = np.random.default_rng(profile.seed(seed)).standard_normal()
        for lr in config["lrs"]:
            w = w0 * (1 - lr * config["curvature"]) ** config["steps"]
            rows.append(
                {
                    "lr": lr,
                    "seed": seed,
                    "initial_loss": config["curvature"] * w0**2 / 2,
                    "final_loss": config["curvature"] * w**2 / 2,
                }
            )
    return {"table": pd.DataFrame(rows)}


def _main_blocks(scale: str) -> list[list[Unit]]:
    cfg = config(scale)
    return [[Unit("every step size", cfg, lambda: gradient_descent(cfg))]]


PARTS = (Part("main", "gradient descent on a quadratic", _main_blocks),)
