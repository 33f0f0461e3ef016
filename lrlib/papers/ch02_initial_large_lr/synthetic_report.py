"""Chapter 2's synthetic figures, claims and findings: the (r, σ) map and the pinned point.

Read-outs [reconstructed]: "before the anneal" is the last measurement before ``anneal_step``, "the end" the last
one. The learning-order signature is Q-only accuracy: near 0.5 (or the ≈ 0.75 a linear rule reaches on Q) means
Q is not memorized, near 1 that it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import plots
from ...claims import Claims
from ...findings import Findings
from .scales import SCALES
from .synthetic import ARM_LABELS, ARMS, MAP_ARMS, TYPES

ARM_COLORS = {
    "large": plots.COLORS["large_lr"],
    "small": plots.COLORS["small_lr"],
    "small_preact": plots.PALETTE[2],
    "step_noise": plots.PALETTE[4],
}
TYPE_LABELS = {"P": "P only", "Q": "Q only", "both": "both"}
SHORT = {"large": "large LR, annealed", "small": "small LR", "step_noise": "large LR,\nnoise off at the anneal"}
LEGEND = {
    "large": "large LR, annealed",
    "small": "small LR",
    "small_preact": "small LR + pre-activation noise",
    "step_noise": "large LR, not annealed",
}


def _scale(res, name: str):
    return SCALES[res.scale(name)].synthetic


def read_out(table: pd.DataFrame, step: int) -> pd.DataFrame:
    """The rows at ``step`` (one per member)."""
    return table[table["step"] == step]


def before_and_end(res, name: str) -> tuple[int, int]:
    s = _scale(res, name)
    steps = sorted(res.table(name)["step"].unique())
    before = max(t for t in steps if t < s.anneal_step)
    return int(before), int(steps[-1])


def map_summary(res) -> pd.DataFrame:
    """One row per (arm, r, σ): Q-only accuracy before the anneal and at the end, P-only accuracy at the end,
    means over the map's seeds."""
    table = res.table("map")
    before, end = before_and_end(res, "map")
    keys = ["arm", "q_margin", "sigma"]
    a = read_out(table, before).groupby(keys)["test_accuracy_Q"].mean().rename("q_before")
    b = read_out(table, end).groupby(keys)[["test_accuracy_Q", "test_accuracy_P"]].mean()
    return pd.concat(
        [a, b.rename(columns={"test_accuracy_Q": "q_end", "test_accuracy_P": "p_end"})], axis=1
    ).reset_index()


def figure_map(res):
    """Where does the learning-order effect appear? For each arm (columns): Q-only test accuracy before the anneal
    (top) and P-only test accuracy at the end (bottom), over the Q margin r and the update noise σ."""
    summary = map_summary(res)
    s = _scale(res, "map")
    fig, axes = plots.plt.subplots(2, len(MAP_ARMS), figsize=(plots.COLUMN_IN, 5.2), sharex=True, sharey=True)
    rows = (("q_before", f"Q only, step {before_and_end(res, 'map')[0]}"), ("p_end", "P only, end"))
    for i, (column, what) in enumerate(rows):
        for j, arm in enumerate(MAP_ARMS):
            ax = axes[i, j]
            grid = summary[summary["arm"] == arm].pivot(index="sigma", columns="q_margin", values=column)
            image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", vmin=0.5, vmax=1.0, cmap="viridis")
            ax.grid(False)
            for (y, x), v in np.ndenumerate(grid.to_numpy()):
                ax.text(
                    x,
                    y,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="white" if v < 0.8 else "black",
                )
            ax.set_xticks(range(grid.shape[1]), [f"{r:g}" for r in grid.columns], fontsize="small")
            ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index], fontsize="small")
            if i == 0:
                ax.set_title(SHORT[arm], fontsize="small")
            if i == 1:
                ax.set_xlabel("Q margin r")
            if j == 0:
                ax.set_ylabel(f"{what}\nupdate noise σ", fontsize="small")
    fig.colorbar(image, ax=axes, shrink=0.8, label="test accuracy (fraction)")
    plots.caption(
        fig,
        f"{res.scale('map')} scale: $\\eta_L$ = {s.lr_large:g}, $\\eta_S$ = {s.lr_small:g}, anneal at step "
        f"{s.anneal_step} of {s.steps}; mean of {s.map_seeds} seed(s) per cell. [reconstructed]",
    )
    return fig


def figure_pinned(res):
    """The pinned point, every arm: P-only (left) and Q-only (right) test accuracy against step, seeds as bands,
    the anneal marked."""
    table, s = res.table("synthetic"), _scale(res, "synthetic")
    fig, axes = plots.plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 3.4), sharey=True)
    for ax, kind in zip(axes, ("P", "Q")):
        _arm_bands(ax, table, f"test_accuracy_{kind}")
        ax.axvline(s.anneal_step, color=plots.COLORS["theory"], linestyle=":", label="anneal")
        ax.set_title(f"{TYPE_LABELS[kind]} test examples")
        ax.set_xlabel("SGD step")
    axes[0].set_ylabel("test accuracy (fraction)")
    handles, labels = axes[0].get_legend_handles_labels()
    plots.legend_below(fig, handles, labels, ncol=2, fontsize="small")
    plots.caption(
        fig,
        f"Mean of {table['seed_index'].nunique()} seeds, band min–max. {res.scale('synthetic')} scale: "
        f"r = {s.q_margin:g}, σ = {s.grad_noise:g}, τ = "
        f"{s.preact_noise:g}, γ = {s.p_margin:g}, d = {s.d}, N = {s.n_train}. [reconstructed]",
    )
    return fig


def _arm_bands(ax, table, column: str) -> None:
    """One seed band per arm of ``column`` against step."""
    for arm in [a for a in ARMS if a in set(table["arm"])]:
        wide = table[table["arm"] == arm].pivot(index="seed_index", columns="step", values=column)
        plots.seed_band(
            ax,
            wide.columns,
            wide.to_numpy(),
            label=LEGEND[arm],
            color=ARM_COLORS[arm],
            points=False,
            count_in_label=False,
        )


def figure_mechanism(res):
    """Why: training loss per example type (left) and the first layer's alignment with w* (right) against step."""
    table, s = res.table("synthetic"), _scale(res, "synthetic")
    fig, axes = plots.plt.subplots(1, 3, figsize=(plots.COLUMN_IN, 3.0), sharex=True)
    for ax, kind in zip(axes[:2], ("P", "both")):
        _arm_bands(ax, table, f"train_loss_{kind}")
        ax.set_yscale("log")
        plots.plain_log_labels(ax)
        ax.set_title(f"training loss, {TYPE_LABELS[kind]}", fontsize="small")
    _arm_bands(axes[2], table, "p_alignment")
    axes[2].set_title("cos(Σᵢ aᵢwᵢ, w*)", fontsize="small")
    for ax in axes:
        ax.axvline(s.anneal_step, color=plots.COLORS["theory"], linestyle=":")
        ax.set_xlabel("SGD step")
    axes[0].set_ylabel("logistic loss")
    axes[2].set_ylabel("cosine")
    handles, labels = axes[2].get_legend_handles_labels()
    plots.legend_below(fig, handles, labels, ncol=2, fontsize="small")
    plots.caption(fig, f"Mean of {table['seed_index'].nunique()} seeds, band min–max; dotted: the anneal.")
    return fig


# ---- numbers --------------------------------------------------------------------------------------------------------


def pinned_numbers(res) -> dict:
    """Read-outs of the pinned point: per arm, Q-only accuracy before the anneal and at the end, P-only accuracy at
    the end (means over seeds) and the per-seed P-only difference large − small."""
    table = res.table("synthetic")
    before, end = before_and_end(res, "synthetic")
    out = {"before": before, "end": end, "seeds": int(table["seed_index"].nunique())}
    for arm in ARMS:
        rows_b = read_out(table, before)
        rows_e = read_out(table, end)
        for kind in TYPES:
            out[f"{arm}_{kind}_before"] = float(rows_b.loc[rows_b["arm"] == arm, f"test_accuracy_{kind}"].mean())
            out[f"{arm}_{kind}_end"] = float(rows_e.loc[rows_e["arm"] == arm, f"test_accuracy_{kind}"].mean())
    end_rows = read_out(table, end).pivot(index="seed_index", columns="arm", values="test_accuracy_P")
    diff = end_rows["large"] - end_rows["small"]
    out["p_gap"], out["p_gap_sd"] = float(diff.mean()), float(diff.std(ddof=1)) if len(diff) > 1 else np.nan
    return out


def add_claims(claims: Claims, res) -> None:
    """The spec's synthetic claims (§6). The final P-only gap is checked at every scale; the learning-order
    signature only on stored (paper-scale) results: the spec's thresholds hold "only after r has been tuned", and
    the map shows no (r, σ) where the large LR keeps Q unlearned while the small LR memorizes it, so at smoke scale
    they would be a test of a window that does not exist."""
    p = pinned_numbers(res)
    with claims.on_scale(res.scale("synthetic")):
        claims.at_least("synthetic: final P-only accuracy, large − small LR (mean over seeds)", p["p_gap"], 0.02)
        if res.scale("synthetic") != "paper":
            return
        claims.at_most("synthetic, large LR: Q-only accuracy before the anneal", p["large_Q_before"], 0.65)
        claims.at_least("synthetic, large LR: P-only accuracy before the anneal", p["large_P_before"], 0.85)
        claims.at_least("synthetic, large LR: Q-only accuracy at the end", p["large_Q_end"], 0.95)
        claims.at_least("synthetic, small LR: Q-only accuracy before the anneal", p["small_Q_before"], 0.95)
        claims.at_most("synthetic, small LR + activation noise: Q-only before the anneal", p["small_preact_Q_before"],
                       0.65)  # fmt: skip
        claims.at_least("synthetic, small LR + activation noise: Q-only at the end", p["small_preact_Q_end"], 0.95)


def map_numbers(res) -> dict:
    """The map's read-outs: how many (r, σ) cells show the learning-order signature (large LR: Q-only ≤ 0.65 before
    the anneal; small LR: ≥ 0.95), in how many the large LR is at least as far on Q as the small one, and the
    large LR's final P-only accuracy without update noise at the smallest and the largest r."""
    m = map_summary(res)
    wide = m.pivot_table(index=["q_margin", "sigma"], columns="arm", values="q_before")
    quiet = m[(m["arm"] == "large") & (m["sigma"] == m["sigma"].min())].sort_values("q_margin")
    return {
        "cells": len(wide),
        "signature_cells": int(((wide["large"] <= 0.65) & (wide["small"] >= 0.95)).sum()),
        "large_ahead_cells": int((wide["large"] >= wide["small"]).sum()),
        "r_low": float(quiet["q_margin"].iloc[0]),
        "r_high": float(quiet["q_margin"].iloc[-1]),
        "p_end_r_low": float(quiet["p_end"].iloc[0]),
        "p_end_r_high": float(quiet["p_end"].iloc[-1]),
    }


def add_findings(f: Findings, res) -> None:
    m = map_numbers(res)
    common = dict(part="map", scale=res.scale("map"), seeds=_scale(res, "map").map_seeds, source="reconstructed")
    f.add("map_cells", "(r, σ) cells in the map", m["cells"], **common)
    f.add("map_signature_cells", "cells with the learning-order signature", m["signature_cells"], **common)
    f.add("map_large_ahead_cells", "cells where the large LR is as far on Q as the small", m["large_ahead_cells"],
          **common)  # fmt: skip
    for key in ("r_low", "r_high", "p_end_r_low", "p_end_r_high"):
        f.add(f"map_{key}", key.replace("_", " "), m[key], **common)
    p = pinned_numbers(res)
    s = _scale(res, "synthetic")
    common = dict(part="synthetic", scale=res.scale("synthetic"), seeds=p["seeds"], source="reconstructed")
    f.add("syn_seeds", "seeds per arm at the pinned point", p["seeds"], **common)
    for key, value in (
        ("q_margin", s.q_margin),
        ("grad_noise", s.grad_noise),
        ("preact_noise", s.preact_noise),
        ("lr_large", s.lr_large),
        ("lr_small", s.lr_small),
        ("anneal_step", s.anneal_step),
    ):
        f.add(f"syn_{key}", key.replace("_", " "), value, **common)
    for arm in ARMS:
        for kind in TYPES:
            for when in ("before", "end"):
                f.add(
                    f"syn_{arm}_{kind}_{when}",
                    f"{TYPE_LABELS[kind]} accuracy {when}, {ARM_LABELS[arm]}",
                    p[f"{arm}_{kind}_{when}"],
                    unit="fraction",
                    **common,
                )
    f.add(
        "syn_p_gap",
        "final P-only accuracy, large − small LR",
        p["p_gap"],
        uncertainty=p["p_gap_sd"],
        unit="fraction",
        **common,
    )
