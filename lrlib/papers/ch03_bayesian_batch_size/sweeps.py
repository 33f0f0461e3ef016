"""Figs. 4-7: test accuracy against batch size, trained by the ensemble engine in batched programs.

A one-hidden-layer ReLU net (PyTorch ``nn.Linear`` initialization, no L2) is trained with SGD and momentum on
the batch-mean cross-entropy for a **fixed number of epochs** at every (eps, B, m, N), by the ensemble engine
(:func:`lrlib.train.train`). The noise scale is g = eps (N/B - 1)/(1 - m) ~= eps N / (B (1 - m)), so if test
accuracy depends on g alone, its optimum sits at a fixed g_opt and B_opt ~ eps N / (1 - m).

Why fixed epochs [reconstructed]: the paper's protocol is recalled as ~10^4 updates at eps = 1, scaled as 1/eps.
At a fixed number of epochs E both g and the SDE time eps E / (B (1 - m)) depend on eps / (B (1 - m)) only, so
this protocol isolates the linear rule, and every B costs the same compute. Its weakness: large B also means few
updates, so the fall of accuracy at large B is partly under-training.

Three sweeps (:data:`SWEEPS`), with both scales side by side in :mod:`.scales`:

``lr``        Figs. 4-5: accuracy against B for several eps at momentum m (paper: m = 0.9, N = 1000)
``momentum``  Fig. 7: accuracy against B for several m at one eps
``n``         Fig. 6: accuracy against B for several training-set sizes N at one eps (nested training sets,
              one fixed test set)

Sweeps share members (e.g. eps = 1, m = 0.9, N = 1000 is in ``lr``, ``momentum`` and ``n``). All members with the
same (N, B) train as one batched program, and each program is one results-store entry, so an interrupted paper
run resumes at the next program.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import profile
from .data import sweep_data
from .scales import sweep_setting as setting

EXPERIMENT = "ch3-batch-group"
VERSION = 1
SWEEPS = ("lr", "momentum", "n")


def sweep_members(scale: str, sweep: str) -> pd.DataFrame:
    """The members one sweep needs: one row per (eps, m, N, B, seed). ``scale``: a sweeps setting."""
    cfg = setting(scale)
    seeds = [profile.seed(s) for s in cfg.seeds]
    if sweep == "lr":
        rows = [(lr, cfg.momentum, cfg.n_train, b, s) for lr in cfg.lrs for b in cfg.batch_sizes for s in seeds]
    elif sweep == "momentum":
        rows = [
            (cfg.momentum_lr, m, cfg.n_train, b, s)
            for m in cfg.momenta
            for b in cfg.momentum_batch_sizes
            for s in seeds
        ]
    elif sweep == "n":
        rows = [
            (cfg.n_lr, cfg.momentum, n, b, s) for n in cfg.n_values for b in cfg.n_batch_sizes if b <= n for s in seeds
        ]
    else:
        raise ValueError(f"sweep must be one of {SWEEPS}, got {sweep!r}")
    return pd.DataFrame(rows, columns=["lr", "momentum", "n_train", "batch_size", "seed"])


def all_members(scale: str) -> pd.DataFrame:
    """Every member of every sweep, each (eps, m, N, B, seed) once: the sweeps share their common members."""
    table = pd.concat([sweep_members(scale, s) for s in SWEEPS]).drop_duplicates(ignore_index=True)
    return table.sort_values(["n_train", "batch_size", "lr", "momentum", "seed"], ignore_index=True)


def group_config(scale: str, n_train: int, batch_size: int, members: pd.DataFrame | None = None) -> dict:
    """The full configuration of one batched program (all members with this N and B): the store key.

    ``members``: :func:`all_members` of the scale, if already at hand. Setting ``full`` is stored at paper
    scale, its configurations named by their data (``dataset``, ``n_test``, ``n_pool``)."""
    cfg = setting(scale)
    table = all_members(scale) if members is None else members
    rows = table[(table["n_train"] == n_train) & (table["batch_size"] == batch_size)]
    if rows.empty:
        raise ValueError(f"scale {scale!r} has no members with n_train={n_train}, batch_size={batch_size}")
    return {
        "experiment": EXPERIMENT,
        "version": VERSION,
        "scale": "paper" if scale == "full" else scale,
        "n_train": int(n_train),
        "batch_size": int(batch_size),
        "members": rows[["lr", "momentum", "seed"]].to_numpy().tolist(),
        "dataset": cfg.dataset,
        "n_test": cfg.n_test,
        "hidden": cfg.hidden,
        "epochs": cfg.epochs,
        "eval_every": cfg.eval_every,
        "data_split_seed": profile.seed(100),
        "n_pool": max(cfg.n_train, *cfg.n_values),
        "model": f"MLP [D, {cfg.hidden}, 10], ReLU, nn.Linear init, float32",
        "optimizer": "SGD, momentum v <- m v + g, w <- w - eps v; batch-mean cross-entropy; no L2; "
        "epoch sampling (reshuffle each epoch, N // B steps per epoch)",
    }


def groups(scale: str, members: pd.DataFrame | None = None) -> list[tuple[int, int]]:
    """The (N, B) batched programs of a scale, cheapest first."""
    table = all_members(scale) if members is None else members
    pairs = table[["n_train", "batch_size"]].drop_duplicates().to_numpy().tolist()
    return sorted(((int(n), int(b)) for n, b in pairs), key=lambda nb: (nb[0] / nb[1], nb))


def compute_group(
    scale: str, n_train: int, batch_size: int, *, data=None, device=None, progress: bool | None = None
) -> dict:
    """Train one batched program with the ensemble engine; returns ``Store.put`` keyword arguments.

    Every member runs ``epochs * (N // B)`` steps; the test set is evaluated every ``eval_every`` epochs.
    ``data``: :func:`.data.sweep_data` of the scale, if already loaded.
    """
    from ...models import two_layer
    from ...train import Data, train

    cfg = setting(scale)
    x_pool, y_pool, x_test, y_test, source = data if data is not None else sweep_data(scale)
    members = pd.DataFrame(group_config(scale, n_train, batch_size)["members"], columns=["lr", "momentum", "seed"])
    members["seed"] = members["seed"].astype(int)
    members["batch_size"] = batch_size
    members["n_train"] = n_train
    members["sampling"] = "epoch"
    steps_per_epoch = n_train // batch_size
    res = train(
        two_layer(x_pool.shape[1], cfg.hidden, 10),
        Data(x_pool[:n_train], y_pool[:n_train], x_test, y_test),
        members,
        loss="cross_entropy",
        steps=cfg.epochs * steps_per_epoch,
        checkpoints=cfg.eval_every * steps_per_epoch,
        device=torch.device(device) if device is not None else profile.device(),
        progress=profile.progress_enabled() if progress is None else progress,
        desc=f"N={n_train}, B={batch_size}",
    )
    out = res.table
    out["sampling"] = out["sampling"].astype(str)
    out["epoch"] = out["step"] / steps_per_epoch
    keep = [
        "lr",
        "momentum",
        "n_train",
        "batch_size",
        "seed",
        "step",
        "epoch",
        "final",
        "stop_reason",
        "train_loss",
        "train_accuracy",
        "test_loss",
        "test_accuracy",
    ]
    return {"table": out[keep], "provenance": {"data_source": source}}


def sweep_view(table: pd.DataFrame, scale: str, sweep: str) -> pd.DataFrame:
    """The rows of one sweep: ``lr`` (all eps at m, N), ``momentum`` (all m at its eps, N), ``n`` (all N).
    ``scale``: the sweeps setting the table was computed in."""
    cfg = setting(scale)
    close = lambda col, v: np.isclose(table[col].to_numpy(float), v)  # noqa: E731
    if sweep == "lr":
        mask = close("momentum", cfg.momentum) & (table["n_train"] == cfg.n_train)
        mask &= table["lr"].isin(cfg.lrs) & table["batch_size"].isin(cfg.batch_sizes)
    elif sweep == "momentum":
        mask = close("lr", cfg.momentum_lr) & (table["n_train"] == cfg.n_train)
        mask &= table["momentum"].isin(cfg.momenta) & table["batch_size"].isin(cfg.momentum_batch_sizes)
    elif sweep == "n":
        mask = close("lr", cfg.n_lr) & close("momentum", cfg.momentum)
        mask &= table["n_train"].isin(cfg.n_values) & table["batch_size"].isin(cfg.n_batch_sizes)
    else:
        raise ValueError(f"sweep must be one of {SWEEPS}, got {sweep!r}")
    return table[mask & table["seed"].isin([profile.seed(s) for s in cfg.seeds])].reset_index(drop=True)
