"""Every number chapter 1's prose quotes, computed once from the loaded results (cited with ``{glue:text}``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...experiment import Results
from ...findings import Findings
from .analysis import (
    PAPER_ACCURACY,
    clean_separation,
    diverged_within,
    fast_enough,
    part_entry,
    per_member,
    steps_to_grow,
    sweep_summary,
    weak_feature_at_end,
)
from .scales import DATA_MODEL, NETWORK, SCALES
from .theory import weak_growth_per_step


def _map(f: Findings, res: Results) -> None:
    """The 1-D map's predictions against the main comparison's training length."""
    scale = res.scale("main")
    budget = SCALES[scale].steps
    where = dict(part="main", scale=scale, source="reconstructed")
    f.add("budget_steps", "SGD steps of the main comparison", budget, unit="steps", part="main", scale=scale)
    f.add(
        "map_growth_k115",
        "1-D map: weak-feature growth per step at k = 1.15",
        float(weak_growth_per_step(1.15)),
        unit="1/step",
        **where,
    )
    f.add(
        "map_steps_k115",
        "1-D map: steps for ⟨w, y·v⟩ to grow 1000× at k = 1.15",
        float(steps_to_grow(1.15)[0]),
        unit="steps",
        **where,
    )
    low, high = fast_enough(budget)
    f.add("map_fast_from_k", "1-D map: smallest k whose 1000× growth fits the budget", low, **where)
    f.add("map_fast_to_k", "1-D map: largest k of that range (the grid's end)", high, **where)


def _main(f: Findings, res: Results) -> None:
    scale = res.scale("main")
    s = SCALES[scale]
    entry = part_entry(res, "main")
    pm = per_member(entry)
    small, large = (pm[np.isclose(pm["lr_ratio"], r)] for r in (s.small_lr, s.large_lr))
    where = dict(part="main", scale=scale, seeds=s.seeds)
    f.add("weak_small_mean", "weak-only test accuracy, small LR (mean)", small["weak_test"].mean(), **where)
    f.add("weak_large_mean", "weak-only test accuracy, large LR (mean)", large["weak_test"].mean(), **where)
    f.add("weak_large_min", "weak-only test accuracy, large LR (worst seed)", large["weak_test"].min(), **where)
    f.add(
        "osc_large_min",
        "oscillating strong steps (first half), large LR: worst seed",
        large["oscillation_fraction"].min(),
        **where,
    )
    f.add(
        "osc_small_max",
        "oscillating strong steps (first half), small LR: largest",
        small["oscillation_fraction"].max(),
        **where,
    )
    v = weak_feature_at_end(entry)
    init = NETWORK.sigma0 * DATA_MODEL.v_norm
    f.add(
        "v_small",
        "weak feature min_j max_r ⟨w, j·v⟩ at the end, small LR (mean)",
        v[s.small_lr],
        paper="Õ(σ0‖v‖)",
        source="recalled",
        **where,
    )
    f.add(
        "v_large", "weak feature at the end, large LR (mean)", v[s.large_lr], paper="Θ(1)", source="recalled", **where
    )
    f.add("v_small_over_init", "weak feature at the end / σ0‖v‖, small LR", v[s.small_lr] / init, **where)
    f.add("v_large_over_init", "weak feature at the end / σ0‖v‖, large LR", v[s.large_lr] / init, **where)
    f.add("v_ratio", "weak feature at the end: large / small (means)", v[s.large_lr] / v[s.small_lr], **where)
    for name, rows in (("small", small), ("large", large)):
        f.add(
            f"mixed_{name}_mean",
            f"32-point test accuracy, {name} LR (mean)",
            rows["mixed_test"].mean(),
            paper=f"{PAPER_ACCURACY[name]:.2%}",
            source="recalled",
            **where,
        )
        f.add(
            f"mixed_{name}_weak_mean",
            f"accuracy on the 4 weak of the 32 test points, {name} LR (mean)",
            rows["mixed_weak"].mean(),
            **where,
        )


def _lr_sweep(f: Findings, res: Results) -> None:
    scale = res.scale("lr-sweep")
    entry = part_entry(res, "lr-sweep")
    summary = sweep_summary(entry)
    pm = per_member(entry)
    where = dict(part="lr-sweep", scale=scale, seeds=SCALES[scale].sweep_seeds)
    below = summary[summary["lr_ratio"] <= 0.9 + 1e-9]
    f.add("sweep_below_max", "weak-only accuracy for η ≤ 0.9η*: largest mean", below["weak_test_mean"].max(), **where)
    beyond = pm[pm["lr_ratio"] >= 1.7 - 1e-9]
    share = float((beyond["stop_reason"] == "diverged").mean()) if len(beyond) else np.nan
    f.add("sweep_diverged_beyond", "share of runs at η ≥ 1.7η* that diverged", share, **where)
    f.add("sweep_diverged_within", "diverged runs below 1.7η*", diverged_within(entry, below=1.7), **where)


def _noise_window(f: Findings, res: Results) -> None:
    scale = res.scale("noise-window")
    s = SCALES[scale]
    entry = part_entry(res, "noise-window")
    where = dict(part="noise-window", scale=scale, seeds=s.noise_seeds)
    clean = clean_separation(entry, s.small_lr, s.large_lr)
    f.add(
        "noise_clean",
        "noise energies E‖ξ‖²/‖v‖² of clean separation",
        ", ".join(f"{r:g}" for r in clean) or "none",
        **where,
    )
    summary = sweep_summary(entry, by=("noise_to_weak", "lr_ratio"))
    large = summary[np.isclose(summary["lr_ratio"], s.large_lr) & (summary["noise_to_weak"] > DATA_MODEL.noise_to_weak)]
    beyond = ", ".join(
        f"{r.weak_test_mean:.3f} at {r.noise_to_weak:g} (lowest seed {r.weak_test_min:.3f})" for r in large.itertuples()
    )
    f.add(
        "noise_large_beyond",
        "large LR above the chapter's noise energy: mean weak-only accuracy (lowest seed)",
        beyond or "none",
        **where,
    )


def findings(res: Results) -> pd.DataFrame:
    """The chapter's findings table: the map's predictions, the main comparison, and the two sweeps."""
    f = Findings()
    _map(f, res)
    _main(f, res)
    _lr_sweep(f, res)
    _noise_window(f, res)
    return f.table()
