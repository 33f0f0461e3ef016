"""The member table: one row per model to train, its hyperparameters validated up front.

Each hyperparameter becomes a ``[K]`` tensor of its group (see :func:`hyper_tensors`); validation errors are
one line naming the column, the value, what is allowed and the member, e.g.
``ValueError: lr must be finite and >= 0, got -0.1 (member 3)``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import losses
from .rng import SAMPLING

#: column: (default, kind). "never" means the event does not happen (stored as NaN).
COLUMNS = {
    "lr": (None, "rate"),
    "batch_size": (None, "count"),
    "seed": (None, "seed"),
    "init_seed": ("seed", "seed"),
    "momentum": (0.0, "momentum"),
    "weight_decay": (0.0, "rate"),
    "lr_anneal_step": ("never", "step"),
    "lr_anneal_factor": (0.1, "rate"),
    "grad_noise": (0.0, "rate"),
    "grad_noise_anneal_step": ("never", "step"),
    "grad_noise_anneal_factor": (0.0, "rate"),
    "preact_noise": (0.0, "rate"),
    "preact_noise_anneal_step": ("never", "step"),
    "preact_noise_anneal_factor": (0.0, "rate"),
    "alpha": (1.0, "positive"),
    "init_scale": (1.0, "positive"),
}
#: columns the trainer writes into every result table: neither a member column nor a measurement may take their name
OUTPUT_COLUMNS = (
    "member", "step", "final", "stop_step", "stop_reason", "train_loss", "train_error", "train_accuracy",
    "train_min_margin", "train_unfitted", "test_loss", "test_error", "test_accuracy", "test_min_margin",
    "weight_norm", "weight_change", "rel_weight_change",
)  # fmt: skip
#: prefixes of the trainer's per-tensor columns (``norm.w1``, ``rel_change.w1``)
OUTPUT_PREFIXES = ("norm.", "rel_change.")


def reserved(name: str) -> bool:
    """Whether ``name`` is, or may become, one of the trainer's own result columns."""
    return name in OUTPUT_COLUMNS or name.startswith(OUTPUT_PREFIXES)


#: columns whose distinct values need separate batched programs
GROUP_BY = ("data", "batch_size", "loss", "sampling")


def grid(**axes: Any) -> pd.DataFrame:
    """Every combination of the given values; a scalar (or a string) is one value for all rows.

    >>> grid(lr=[0.1, 1.0], seed=range(3), batch_size=16).shape
    (6, 3)
    """
    names = list(axes)
    values = [[v] if isinstance(v, (str, bytes)) or not isinstance(v, Iterable) else list(v) for v in axes.values()]
    return pd.DataFrame(list(itertools.product(*values)), columns=names)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes))


def _fail(column: str, value: Any, allowed: str, member: Any) -> None:
    raise ValueError(f"{column} must be {allowed}, got {value!r} (member {member})")


def _number(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_)) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _check(column: str, kind: str, value: Any, member: Any, n_train: int | None) -> Any:
    x = _number(value)
    if kind == "rate":
        if x is None or not math.isfinite(x) or x < 0:
            _fail(column, value, "finite and >= 0", member)
        return x
    if kind == "positive":
        if x is None or not math.isfinite(x) or x <= 0:
            _fail(column, value, "finite and > 0", member)
        return x
    if kind == "momentum":
        if x is None or not (0 <= x < 1):
            _fail(column, value, "in [0, 1)", member)
        return x
    if kind == "step":
        if value is None or (x is not None and math.isnan(x)) or value == "never" or x == math.inf:
            return math.nan
        if x is None or not math.isfinite(x) or x != int(x) or x < 0:
            _fail(column, value, "an integer >= 0 (or None for never)", member)
        return int(x)
    if kind == "seed":
        if x is None or not math.isfinite(x) or x != int(x) or not (0 <= x < 2**32):
            _fail(column, value, "an integer in [0, 2**32)", member)
        return int(x)
    if kind == "count":
        if x is None or not math.isfinite(x) or x != int(x) or x < 1:
            _fail(column, value, "an integer >= 1", member)
        if n_train is not None and x > n_train:
            _fail(column, value, f"at most the training set size N = {n_train}", member)
        return int(x)
    raise AssertionError(kind)


def normalize(members: Any, *, loss: str | None, steps: int | None, data_sizes: Mapping[Any, int]) -> pd.DataFrame:
    """Fill defaults and validate every member; return a table with every column of :data:`COLUMNS` plus
    ``loss``, ``steps``, ``sampling``, ``data`` and any extra columns, indexed 0..K−1 (``member``)."""
    if isinstance(members, Mapping) and not any(_is_sequence(v) for v in members.values()):
        members = [members]  # a dict of scalars: one member
    table = (
        members.copy()
        if isinstance(members, pd.DataFrame)
        else pd.DataFrame(list(members) if not isinstance(members, Mapping) else members)
    )
    if len(table) == 0:
        raise ValueError("members is empty: give at least one member (a row with lr, batch_size, seed)")
    table = table.reset_index(drop=True)
    for required in ("lr", "batch_size", "seed"):
        if required not in table.columns:
            raise ValueError(f"members must have a {required!r} column; columns are {list(table.columns)}")
    clashes = [c for c in table.columns if isinstance(c, str) and reserved(c)]
    if clashes:
        raise ValueError(
            f"members has columns {clashes} named like the trainer's own result columns ('member' is the row "
            "number of each member, the others are measured); rename them"
        )
    for name, default in (("loss", loss), ("steps", steps), ("sampling", "step")):
        if name not in table.columns:
            if default is None:
                raise ValueError(f"give {name}= to train() or a {name!r} column in members")
            table[name] = default
    if "data" not in table.columns:
        if len(data_sizes) != 1:
            raise ValueError(
                f"data is a dict of {len(data_sizes)} sets: give members a 'data' column naming one "
                f"of {sorted(map(str, data_sizes))}"
            )
        table["data"] = next(iter(data_sizes))
    if "init_seed" not in table.columns:
        table["init_seed"] = table["seed"]
    for name, (default, _) in COLUMNS.items():
        if name not in table.columns:
            table[name] = default
    out = {name: [] for name in COLUMNS}
    out.update(loss=[], steps=[], sampling=[])
    for k, row in enumerate(table.itertuples(index=False)):
        row = row._asdict() if hasattr(row, "_asdict") else dict(zip(table.columns, row))
        if row["data"] not in data_sizes:
            _fail("data", row["data"], f"one of {sorted(map(str, data_sizes))}", k)
        n_train = data_sizes[row["data"]]
        for name, (_, kind) in COLUMNS.items():
            out[name].append(_check(name, kind, row[name], k, n_train))
        out["loss"].append(losses.check(row["loss"], f" (member {k})"))
        out["steps"].append(_check("steps", "count", row["steps"], k, None) if _number(row["steps"]) != 0 else 0)
        if row["sampling"] not in SAMPLING:
            _fail("sampling", row["sampling"], f"one of {', '.join(map(repr, SAMPLING))}", k)
        out["sampling"].append(row["sampling"])
    for name, values in out.items():
        table[name] = values
    return table


def check_representable(table: pd.DataFrame, dtype: torch.dtype) -> None:
    """Every real-valued hyperparameter must survive the cast to the training dtype (1e39 becomes inf in float32
    and the member "diverges" at step 0; 1e-50 becomes 0): a one-line error naming it instead."""
    for name, (_, kind) in COLUMNS.items():
        if kind in ("seed", "step"):
            continue
        values = table[name].to_numpy(np.float64)
        cast = torch.tensor(values, dtype=dtype).double().numpy()
        bad = np.flatnonzero(~np.isfinite(cast) | ((cast == 0) & (values != 0)))
        if len(bad):
            k = int(bad[0])
            raise ValueError(
                f"{name} = {float(values[k])!r} cannot be represented in {dtype} (member {k}): it would become "
                f"{float(cast[k])!r}"
            )


def hyper_tensors(table: pd.DataFrame, dtype: torch.dtype, device) -> dict[str, torch.Tensor]:
    """The group's hyperparameters as ``[K]`` tensors on the device (never-events as +inf)."""
    out = {}
    for name, (_, kind) in COLUMNS.items():
        if kind == "seed":
            out[name] = torch.tensor(table[name].to_numpy(np.int64), device=device)
        elif kind == "step":
            steps = table[name].astype(np.float64).fillna(np.inf).to_numpy(np.float64)
            out[name] = torch.tensor(steps, dtype=torch.float64, device=device)
        else:
            out[name] = torch.tensor(table[name].to_numpy(np.float64), dtype=dtype, device=device)
    out["steps"] = torch.tensor(table["steps"].to_numpy(np.int64), device=device)
    return out
