"""What the stored parts show: per-member outcomes, curves over training, the sweeps' summaries, the paper's
32-point table, and the 1-D map's predictions for the training budget."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import tables
from ...experiment import Results
from ...store import Entry
from .scales import SCALES
from .theory import map_summary, weak_growth_per_step

#: the paper's reported test accuracy on its 32-point test set (4 weak points), mean of 5 seeds [recalled]
PAPER_ACCURACY = {"large": 0.9938, "small": 0.9375}


def part_entry(res: Results, part: str) -> Entry:
    """The one stored entry of a part of this chapter (each part is one entry)."""
    (entry,) = res[part].entries.values()
    return entry


LR_NAMES = {"small": "small LR", "large": "large LR"}


def member_arrays(entry: Entry) -> pd.DataFrame:
    """The per-member arrays of a stored run as a table (member, lr_ratio, seed_id, ..., oscillation_fraction)."""
    return pd.DataFrame({c.split(".", 1)[1]: v for c, v in entry.arrays.items() if c.startswith("member.")})


def per_member(entry: Entry) -> pd.DataFrame:
    """One row per member: its final measurements, the oscillation fraction, how it stopped.

    ``u`` and ``v`` are min over the two classes of max_r ⟨w_j,r, j·u⟩ (resp. v): the feature as the worse
    class has learned it.
    """
    t = entry.table
    final = t[t["final"]].set_index("member")
    out = member_arrays(entry).set_index("member")
    out["stop_reason"] = final["stop_reason"]
    out["train_loss"] = final["train_loss"]
    out["train_accuracy"] = final["train_accuracy"]
    for col in ("weak_test", "mixed_test", "mixed_strong", "mixed_weak"):
        out[col] = final[f"accuracy.{col}"]
    out["u"] = np.minimum(final["overlap.u_pos"], final["overlap.u_neg"])
    out["v"] = np.minimum(final["overlap.v_pos"], final["overlap.v_neg"])
    out["noise_max"] = final["overlap.noise_max"]
    diverged = out["stop_reason"] == "diverged"
    for col in ("weak_test", "mixed_test", "mixed_strong", "mixed_weak", "train_accuracy"):
        out.loc[diverged, col] = 0.0  # a diverged run predicts nothing (its outputs are not finite)
    return out.reset_index()


def curves(entry: Entry, lr_ratio: float, column: str, *, steps_every: int | None = None):
    """Steps and a [seeds, checkpoints] array of ``column`` for one learning rate (rows before the stop only).

    ``steps_every``: keep only steps that are multiples of it (leaves out the dense window)."""
    t = entry.table
    rows = t[np.isclose(t["lr_ratio"], lr_ratio) & ~t["final"]]
    if steps_every:
        rows = rows[rows["step"] % steps_every == 0]
    wide = rows.pivot_table(index="seed_id", columns="step", values=column, dropna=False)
    return wide.columns.to_numpy(), wide.to_numpy()


def min_over_classes(entry: Entry, name: str) -> Entry:
    """Add ``overlap.<name>`` = min(overlap.<name>_pos, overlap.<name>_neg) to the entry's table (in place)."""
    t = entry.table
    t[f"overlap.{name}"] = np.minimum(t[f"overlap.{name}_pos"], t[f"overlap.{name}_neg"])
    return entry


def sweep_summary(entry: Entry, by: tuple[str, ...] = ("lr_ratio",)) -> pd.DataFrame:
    """Per learning rate (and noise ratio): mean/min/max of the final weak-only accuracy over the seeds that did
    not diverge, how many diverged, and the mean oscillation fraction."""
    pm = per_member(entry)
    ok = pm[pm["stop_reason"] != "diverged"]
    g = ok.groupby(list(by))
    out = pd.DataFrame(
        {
            "weak_test_mean": g["weak_test"].mean(),
            "weak_test_min": g["weak_test"].min(),
            "weak_test_max": g["weak_test"].max(),
            "oscillation_mean": g["oscillation_fraction"].mean(),
            "v_mean": g["v"].mean(),
        }
    )
    counts = pm.groupby(list(by)).agg(
        seeds=("seed_id", "count"), diverged=("stop_reason", lambda r: int((r == "diverged").sum()))
    )
    return counts.join(out).reset_index()


def clean_separation(entry: Entry, small_lr: float, large_lr: float) -> list[float]:
    """The noise ratios of the noise-window sweep where the two learning rates separate cleanly: every seed of the
    large learning rate that did not diverge reaches weak-only accuracy 0.9 and the small learning rate's mean stays
    at most 0.75 (the thresholds of claims 1 and 2). For the noise-window figure and prose; not a claim."""
    summary = sweep_summary(entry, by=("noise_to_weak", "lr_ratio"))
    small = summary[np.isclose(summary["lr_ratio"], small_lr)].set_index("noise_to_weak")
    large = summary[np.isclose(summary["lr_ratio"], large_lr)].set_index("noise_to_weak")
    return [
        float(r)
        for r in small.index
        if r in large.index and large.at[r, "weak_test_min"] >= 0.9 and small.at[r, "weak_test_mean"] <= 0.75
    ]


def mixed_test_table(entry: Entry) -> pd.DataFrame:
    """The paper's table: accuracy on the 32-point test set (28 strong + 4 weak) per seed, the mean, and the
    paper's value."""
    pm = per_member(entry)
    s = SCALES[entry.config["scale"]]
    rows = {}
    for name, r in (("small", s.small_lr), ("large", s.large_lr)):
        sel = pm[np.isclose(pm["lr_ratio"], r)].sort_values("seed_id")
        row = {f"seed {i}": a for i, a in zip(sel["seed_id"], sel["mixed_test"])}
        row["mean"] = sel["mixed_test"].mean()
        row["on the 4 weak points (mean)"] = sel["mixed_weak"].mean()
        row["paper (mean of 5 seeds) [recalled]"] = PAPER_ACCURACY[name]
        rows[f"{LR_NAMES[name]} (η = {r:g} η*)"] = row
    return pd.DataFrame(rows).T


def weak_feature_at_end(entry: Entry) -> pd.Series:
    """Final min_j max_r ⟨w_j,r, j·v⟩ per learning rate ratio, mean over seeds."""
    return per_member(entry).groupby("lr_ratio")["v"].mean()


def diverged_within(entry: Entry, below: float) -> str:
    """The sweep's diverged runs at η/η* < ``below``, in words ("1 of 5 runs at 1.5η*, ..." or "none")."""
    summary = sweep_summary(entry)
    rows = summary[(summary["lr_ratio"] < below - 1e-9) & (summary["diverged"] > 0)]
    return ", ".join(f"{r.diverged} of {r.seeds} runs at {r.lr_ratio:g}η*" for r in rows.itertuples()) or "none"


# ----------------------------------------------------------------------- the 1-D map against the training budget
def steps_to_grow(ks, factor: float = 1000.0) -> np.ndarray:
    """SGD steps for ⟨w, y·v⟩ to grow ``factor``-fold at the map's predicted rate (inf where it does not grow)."""
    rate = np.atleast_1d(weak_growth_per_step(np.asarray(ks, dtype=float)))
    with np.errstate(divide="ignore"):
        return np.where(rate > 0, np.log(factor) / rate, np.inf)


def fast_enough(budget: int, ks=None) -> tuple[float, float]:
    """The range of k = η/η* (on a grid of 0.001 between 1.005 and 1.59) where the map predicts the weak feature
    grows 1000× within ``budget`` steps: every k from the first returned to the second."""
    ks = np.linspace(1.005, 1.59, 586) if ks is None else np.asarray(ks)
    too_slow = np.flatnonzero(steps_to_grow(ks) > budget)
    return float(ks[too_slow.max() + 1 if too_slow.size else 0]), float(ks[-1])


def map_table(ks=(0.5, 0.9, 1.05, 1.1, 1.15, 1.2, 1.25, 1.35, 1.5, 1.6)) -> pd.DataFrame:
    """The map's summary at a few k, with the steps the weak feature needs to grow 1000×, for the reader."""
    table = map_summary(list(ks))
    growth = table["weak growth / step"]
    shown = table.round(4)
    shown["weak growth / step"] = growth.map("{:.3g}".format)
    shown["steps to grow 1000×"] = [f"{np.log(1000) / g:,.0f}" if g > 0 else "never" for g in growth]
    return shown.set_index(shown.columns[0])


# --------------------------------------------------------------------------------- the notebook's tables
#: the column names of this chapter's tables, as the text writes them
COLUMNS = {
    "lr_ratio": "k = η/η*",
    "seed_id": "seed",
    "oscillation_fraction": "fraction of steps oscillating",
    "oscillation": "fraction of steps oscillating",
    "weak_test": "test accuracy, weak-feature points",
    "mixed_test": "test accuracy, mixed points",
    "u": "overlap with u (weaker class)",
    "v": "overlap with v (weaker class)",
    "noise_max": "largest noise overlap",
    "noise_to_weak": "noise / weak feature",
}


def members_table(res: Results) -> pd.DataFrame:
    """The main comparison, one row per network: what it oscillated, fitted, generalized and learned."""
    columns = ["lr_ratio", "seed_id", "oscillation_fraction", "train_loss", "weak_test", "mixed_test", "u", "v"]
    table = per_member(part_entry(res, "main"))[columns + ["noise_max"]].round(4)
    return tables.readable(table.set_index(["lr_ratio", "seed_id"]), names=COLUMNS)


def lr_sweep_table(res: Results) -> pd.DataFrame:
    return tables.readable(sweep_summary(part_entry(res, "lr-sweep")).round(4), names=COLUMNS)


def noise_window_table(res: Results) -> pd.DataFrame:
    table = sweep_summary(part_entry(res, "noise-window"), by=("noise_to_weak", "lr_ratio")).round(4)
    return tables.readable(table.set_index(["noise_to_weak", "lr_ratio"]), names=COLUMNS)


def paper_table(res: Results) -> pd.DataFrame:
    return mixed_test_table(part_entry(res, "main")).round(4)
