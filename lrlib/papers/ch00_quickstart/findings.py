"""Every number the quick start's prose quotes, computed once from the sweep (cited with ``{glue:text}``)."""

from __future__ import annotations

import pandas as pd

from ...experiment import Results
from ...findings import Findings
from .analysis import best_lr, failures, learning_rates, summary
from .scales import SCALES


def findings(res: Results) -> pd.DataFrame:
    """The best learning rate and its error, how the too-small and too-large ones fail, and how often."""
    scale = res.scale("sweep")
    table = res.table("sweep")
    at, best = summary(table).set_index("lr"), best_lr(table)
    smallest, largest = float(at.index.min()), float(at.index.max())
    fail = failures(table)
    f = Findings()
    where = dict(part="sweep", scale=scale)
    seeds = SCALES[scale].seeds
    f.add("members", "networks trained (learning rates × seeds)", len(fail), **where)
    f.add("best_lr", "learning rate of the lowest mean final test error", best, seeds=seeds, **where)
    f.add(
        "best_error",
        "mean final test error at the best learning rate",
        at.loc[best, "test_error_mean"],
        seeds=seeds,
        **where,
    )
    spread = at.loc[best, "test_error_max"] - at.loc[best, "test_error_min"]
    f.add(
        "best_spread",
        "spread (max − min over seeds) of the final test error at the best learning rate",
        spread,
        seeds=seeds,
        **where,
    )
    f.add("smallest_lr", "smallest learning rate tried", smallest, **where)
    slow = at.loc[smallest, "train_loss_mean"] / at.loc[best, "train_loss_mean"]
    f.add("slow_loss_ratio", "final train loss of the smallest learning rate / the best's", slow, seeds=seeds, **where)
    f.add("largest_lr", "largest learning rate tried", largest, **where)
    f.add(
        "largest_min_error",
        "lowest final test error over the largest learning rate's seeds",
        at.loc[largest, "test_error_min"],
        seeds=seeds,
        **where,
    )
    f.add("diverged", "members that diverged", int(fail["diverged"].sum()), **where)
    f.add("diverged_lrs", "learning rates with a diverged member", learning_rates(fail[fail["diverged"]]), **where)
    f.add(
        "near_chance",
        "members with a finite loss but a final test error above 0.8",
        int(fail["near_chance"].sum()),
        **where,
    )
    f.add("near_chance_lrs", "learning rates with such a member", learning_rates(fail[fail["near_chance"]]), **where)
    return f.table()
