"""``train``: validate, split the members into batched programs, run them, gather one tidy table."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from .. import profile as _profile
from ..models.base import EnsembleModel
from ..progress import progress as _progress
from .data import Data
from .group import Group
from .measure import Checkpoint
from .members import GROUP_BY, check_representable, normalize, reserved

__all__ = ["train", "Result", "Checkpoint"]


@dataclass
class Result:
    """What :func:`train` returns.

    ``table``: one row per member per checkpoint (and one ``final`` row at each member's stop);
    ``members``: the member table as validated, defaults filled in (index = ``member``);
    ``params``: final parameters ``{name: [members, ...]}`` in member order (``keep_params=True``);
    ``batch_loss``: every step's batch loss, ``[members, max steps]``, NaN after a member stopped
    (``record_batch_loss=True``); ``wall_time_s``: seconds spent.
    """

    table: pd.DataFrame
    members: pd.DataFrame
    params: dict[str, torch.Tensor] | None
    batch_loss: np.ndarray | None
    wall_time_s: float


def _validate_options(steps, checkpoints, fit_margin, check_every):
    if checkpoints is None:
        return set()
    if isinstance(checkpoints, (bool, np.bool_)) or not isinstance(checkpoints, (int, np.integer, Iterable)):
        raise ValueError(f"checkpoints must be a step interval >= 1 or a list of steps, got {checkpoints!r}")
    if isinstance(checkpoints, (int, np.integer)):
        if checkpoints < 1:
            raise ValueError(f"checkpoints must be a step interval >= 1 or a list of steps, got {checkpoints}")
        return int(checkpoints)
    out = set()
    for c in checkpoints:
        if not isinstance(c, (int, np.integer)) or c < 0:
            raise ValueError(f"checkpoints must hold integer steps >= 0, got {c!r}")
        out.add(int(c))
    return out


def train(
    model: EnsembleModel,
    data: Data | Mapping[Any, Data],
    members: Any,
    *,
    loss: str | None = None,
    steps: int | None = None,
    checkpoints: int | Iterable[int] | None = None,
    measure: Mapping[str, Callable] | None = None,
    fit_margin: float | None = None,
    check_every: int = 100,
    dtype: torch.dtype = torch.float32,
    device: Any = None,
    record_batch_loss: bool = False,
    keep_params: bool = False,
    cuda_graphs: bool = False,
    progress: bool = True,
    desc: str = "train",
) -> Result:
    """Train every member of ``members`` with (minibatch, momentum, noisy, annealed) SGD as batched programs.

    Parameters
    ----------
    model : an :mod:`lrlib.models` family; every member has its architecture.
    data : a :class:`Data`, or a dict of them (members name theirs in a ``data`` column).
    members : a DataFrame (or list of dicts) with one row per member; see :mod:`lrlib.train` for the columns.
    loss : ``"hinge"``, ``"squared_margin"``, ``"logistic"`` or ``"cross_entropy"`` (or a ``loss`` column).
    steps : maximum number of SGD steps (or a ``steps`` column, per member).
    checkpoints : measure every this many steps (step 0 included), or at these steps; None: only final rows.
    measure : ``{column: fn(params, ctx)}``, each returning one number per member (see :class:`Checkpoint`).
    fit_margin : stop a member once every training point has margin >= this (e.g. 1.0 for the hinge loss:
        zero training loss), checked every ``check_every`` steps; None: never.
    dtype : float32 (default) or float64 (chapter 1); data and parameters use it.
    device : default :func:`lrlib.profile.device` (CUDA > MPS > CPU).
    record_batch_loss : keep every step's batch loss (``Result.batch_loss``).
    keep_params : keep every member's final parameters (``Result.params``).
    cuda_graphs : on CUDA, capture 16 steps at a time in a CUDA graph and replay it (no effect elsewhere, or
        with ``record_batch_loss``); removes per-step launch overhead. See ``python -m lrlib.bench``.
    progress : show a progress bar (member-steps done).

    Returns
    -------
    Result
        ``Result.table`` is tidy: one row per member and measurement, hyperparameters as columns.

    Examples
    --------
    >>> import torch
    >>> from lrlib.models import Linear
    >>> from lrlib.train import Data, grid, train
    >>> _ = torch.manual_seed(0)
    >>> x = torch.randn(32, 5); y = torch.sign(x[:, 0])
    >>> res = train(Linear(dim=5), Data(x, y), grid(lr=[0.1, 1.0], seed=0, batch_size=4), loss="logistic",
    ...             steps=50, checkpoints=25, progress=False)
    >>> res.table[["lr", "step", "final"]].values.tolist()
    [[0.1, 0, False], [0.1, 25, False], [0.1, 50, True], [1.0, 0, False], [1.0, 25, False], [1.0, 50, True]]
    """
    start = time.perf_counter()
    _profile.validate_environment()
    _profile.apply_thread_setting()
    datasets = dict(data) if isinstance(data, Mapping) else {"default": data}
    for key, d in datasets.items():
        if not isinstance(d, Data):
            raise TypeError(f"data must be a Data (or a dict of them), got {type(d).__name__} for {key!r}")
        if tuple(d.x.shape[1:]) != tuple(model.input_shape):
            raise ValueError(
                f"data {key!r} has inputs of shape {tuple(d.x.shape[1:])}, the model takes {tuple(model.input_shape)}"
            )
    checkpoints = _validate_options(steps, checkpoints, fit_margin, check_every)
    if fit_margin is not None and (
        isinstance(fit_margin, (bool, np.bool_))
        or not isinstance(fit_margin, (int, float, np.number))
        or not np.isfinite(fit_margin)
    ):
        raise ValueError(f"fit_margin must be a finite number or None, got {fit_margin!r}")
    if not isinstance(check_every, (int, np.integer)) or check_every < 1:
        raise ValueError(f"check_every must be an integer >= 1, got {check_every!r}")
    if dtype not in (torch.float32, torch.float64, torch.bfloat16, torch.float16):
        raise ValueError(f"dtype must be a floating dtype such as torch.float32 or torch.float64, got {dtype}")
    measure = dict(measure or {})
    for name, fn in measure.items():
        if not callable(fn):
            raise TypeError(f"measure[{name!r}] must be callable as fn(params, ctx), got {type(fn).__name__}")
    table = normalize(members, loss=loss, steps=steps, data_sizes={k: d.n for k, d in datasets.items()})
    check_representable(table, dtype)
    clashes = [n for n in measure if reserved(n) or n in table.columns]
    if clashes:
        raise ValueError(
            f"measure names {clashes} are already result columns (the trainer's own, or the members'); rename them"
        )
    if (table["preact_noise"] > 0).any() and model.hidden_layers == 0:
        k = int(np.flatnonzero(table["preact_noise"].to_numpy() > 0)[0])
        raise ValueError(
            f"preact_noise must be 0 for {model!r}, which has no hidden pre-activations, got "
            f"{table.at[k, 'preact_noise']} (member {k})"
        )
    for key, d in datasets.items():
        for name in table.loc[table["data"] == key, "loss"].unique():
            d.check_labels(name, model.n_out)
    dev = torch.device(device) if device is not None else _profile.device()
    if dev.type == "cuda" and dtype == torch.float32 and _profile.tf32_matmuls():
        warnings.warn(
            "float32 matrix products on CUDA use TF32 (about 3 significant digits): centred models at "
            "large alpha lose their zero initial output and results differ from float32 ones; "
            "set torch.backends.cuda.matmul.fp32_precision = 'ieee' for the book's numbers",
            RuntimeWarning,
            stacklevel=2,
        )

    groups = list(table.groupby(list(GROUP_BY), sort=False, dropna=False))
    bar = _progress(total=int(table["steps"].sum()), desc=desc, unit="step", leave=False) if progress else None
    results = []
    try:
        for (data_key, batch_size, loss_name, sampling), rows in groups:
            group = Group(
                model,
                datasets[data_key].on(dev, dtype, loss_name),
                rows,
                loss=loss_name,
                batch_size=int(batch_size),
                sampling=sampling,
                dtype=dtype,
                device=dev,
                fit_margin=fit_margin,
                measure=measure,
                record_batch_loss=record_batch_loss,
                keep_params=keep_params,
                cuda_graphs=cuda_graphs,
            )
            group.run(checkpoints, int(check_every), (bar.update if bar is not None else (lambda n: None)))
            results.append(group)
    finally:
        if bar is not None:
            bar.close()
    return _assemble(table, results, keep_params, record_batch_loss, time.perf_counter() - start)


def _assemble(
    table: pd.DataFrame, groups: list[Group], keep_params: bool, record_batch_loss: bool, wall: float
) -> Result:
    rows = pd.concat([r for g in groups for r in g.rows], ignore_index=True)
    stops = {m: s for g in groups for m, s in g.stops.items()}
    rows["stop_step"] = rows["member"].map(lambda m: stops[m][0]).astype(np.int64)
    rows["stop_reason"] = rows["member"].map(lambda m: stops[m][1])
    members = table.rename_axis("member")
    front = members.reset_index()
    out = front.merge(rows, on="member", how="right")
    first = list(front.columns) + ["step", "final", "stop_step", "stop_reason"]
    out = out[first + [c for c in out.columns if c not in first]]
    out = out.sort_values(["member", "step", "final"], kind="stable").reset_index(drop=True)
    params = None
    if keep_params:
        finals = {m: p for g in groups for m, p in g.final_params.items()}
        names = list(next(iter(finals.values())))
        params = {n: torch.stack([finals[m][n] for m in members.index]) for n in names}
    batch_loss = None
    if record_batch_loss:
        batch_loss = np.full((len(members), int(members["steps"].max())), np.nan)
        for g in groups:
            for m, blocks in g.batch_loss.items():
                for c0, block in blocks:
                    batch_loss[m, c0 : c0 + len(block)] = block
    return Result(table=out, members=members, params=params, batch_loss=batch_loss, wall_time_s=wall)
