"""What the sweep shows: each member's final measurement, a summary per learning rate, the curves over training,
and how the too-large learning rates failed."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: a member that did not diverge but ends above this test error is "near chance" (chance is 0.9 on 10 classes)
NEAR_CHANCE = 0.8


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


def failures(table: pd.DataFrame) -> pd.DataFrame:
    """Per member: whether it diverged, and whether it ended near chance with a finite loss."""
    final = final_rows(table)
    diverged = final["stop_reason"] == "diverged"
    return final.assign(diverged=diverged, near_chance=~diverged & (final["test_error"] > NEAR_CHANCE))


def learning_rates(rows: pd.DataFrame) -> str:
    """The learning rates of some members, in words ("3, 10, 30", or "none")."""
    return ", ".join(f"{lr:g}" for lr in sorted(set(rows["lr"]))) or "none"
