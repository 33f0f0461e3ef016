"""The α-scaled MLP of chapter 5, trained by the book's ensemble engine: one batched program per training set.

L hidden layers of width h, 1/√fan_in layers, 1/h readout, output α(F(w) − F(w0)), loss hinge(α·o)/α, SGD with a
fresh batch of B distinct points per step, stopped when every training point has margin ≥ 1 (checked every
``check_every`` steps) or when the loss becomes non-finite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ...models import alpha_mlp
from ...train import Data, grid, train
from .data import TaskData
from .scales import LazySweep, PhaseGrid


def mlp(net: PhaseGrid | LazySweep, dim: int):
    return alpha_mlp(dim, net.depth, net.width, net.activation, readout="1/h")


def train_mlp(
    net: PhaseGrid | LazySweep,
    task: TaskData,
    P: int,
    seed: int,
    alphas,
    temps,
    *,
    show_progress: bool = True,
    desc: str = "MLP",
) -> tuple[pd.DataFrame, dict]:
    """Train every (α, T) member on one training set with the engine; return one row per member and the engine's
    statistics (member steps, members, engine wall time).

    ``dt = T·B·h`` (the engine's ``lr``). Rows carry ``status``: ``'fitted'`` (every training point has margin
    ≥ 1), ``'unfitted'`` (hit ``max_steps``) or ``'diverged'`` (non-finite loss, weights or output); a diverged
    run's ``test_error`` is 1.
    """
    x, y = task.training_set(P, seed)
    data = Data(x, y, task.x_test, task.y_test)
    B, h = net.batch_size, net.width
    members = grid(alpha=list(alphas), T=list(temps), seed=seed, batch_size=B)
    members["lr"] = members["T"] * B * h
    members["P"] = P
    res = train(
        mlp(net, x.shape[1]),
        data,
        members,
        loss="hinge",
        steps=net.max_steps,
        fit_margin=1.0,
        check_every=net.check_every,
        dtype=getattr(torch, net.dtype),
        progress=show_progress,
        desc=desc,
    )
    final = res.table[res.table["final"]].copy()
    stats = {
        "member_steps": int(final["stop_step"].sum()),
        "members": len(final),
        "engine_wall_time_s": res.wall_time_s,
    }
    return classify(final), stats


def classify(final: pd.DataFrame) -> pd.DataFrame:
    """Tidy final rows: dt, t* = dt·steps, and a status; a diverged run counts as test error 1.

    A run is ``'diverged'`` if the engine stopped it on a non-finite loss or if its weights or test error are
    not finite (weights that overflowed while the output stayed finite, e.g. every ReLU dead); ``'unfitted'`` if
    it hit the step cap; otherwise ``'fitted'``. ``engine_test_error`` keeps the engine's own number.
    """
    out = pd.DataFrame(
        {
            "alpha": final["alpha"].to_numpy(float),
            "T": final["T"].to_numpy(float),
            "dt": final["lr"].to_numpy(float),
            "seed": final["seed"].to_numpy(int),
            "P": final["P"].to_numpy(int),
            "steps": final["stop_step"].to_numpy(int),
            "stop_reason": final["stop_reason"].astype(str).to_numpy(),
            "engine_test_error": final["test_error"].to_numpy(float),
            "rel_weight_change": final["rel_weight_change"].to_numpy(float),
            "train_unfitted": final["train_unfitted"].to_numpy(float),
        }
    )
    out["t_star"] = out["dt"] * out["steps"]
    bad = (
        (out["stop_reason"] == "diverged")
        | ~np.isfinite(out["rel_weight_change"])
        | ~np.isfinite(out["engine_test_error"])
    )
    out["status"] = np.where(bad, "diverged", np.where(out["stop_reason"] == "fitted", "fitted", "unfitted"))
    out["test_error"] = np.where(bad, 1.0, out["engine_test_error"])
    return out
