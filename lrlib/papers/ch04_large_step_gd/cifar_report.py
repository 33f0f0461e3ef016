"""Chapter 4's CIFAR-10 figures, claims and findings, read from the part :func:`.cifar.shown_part` picks (the GPU
setting where stored at paper scale, else the CPU setting where stored, else the smoke runs).

Thresholds were fixed from the spec (§6, P1–P4) before any CPU or GPU run. At smoke scale only what holds for
any seed is claimed (the switch from a small to a large full-batch LR spikes the loss; the small-LR point is
unstable for the large LR); accuracy orderings are claimed only on the CPU or GPU setting.
"""

from __future__ import annotations

import collections
import math

import numpy as np
import pandas as pd
from IPython.display import Markdown

from ... import plots, tables
from ...claims import Claims
from ...findings import Findings
from .cifar import (
    ARM_LABELS,
    ARMS,
    BUDGET_LABELS,
    CPU_SCALES,
    GD_LABELS,
    CifarScale,
    accuracy_gap,
    arm_summary,
    final_runs,
    gd_finals,
    gd_switch,
    gd_table,
    setting_of,
    sgd_table,
    shown_part,
)

ARM_COLORS = {
    "large": plots.COLORS["large_lr"],
    "small": plots.COLORS["small_lr"],
    "noise_temperature": plots.PALETTE[4],
    "noise_step": plots.PALETTE[8],
    "warmup": plots.PALETTE[2],
}
GD_COLORS = {"small": plots.COLORS["small_lr"], "switch": plots.PALETTE[4], "large": plots.COLORS["large_lr"]}
SHORT = {
    "large": "(a)\nlarge",
    "small": "(b)\nsmall",
    "noise_temperature": "(c) noise\ntemp.",
    "noise_step": "(c) noise\nstep",
    "warmup": "(d)\nwarm-up",
}


def _caption(res, name: str) -> str:
    s = setting_of(res, name)
    return f"{s.label} setting ({res.scale(name)} scale of part {name!r}): {s.description}. [reconstructed] protocol."


def figure_arms(res):
    """Does small-LR SGD with amplified noise reach the large-LR arm's accuracy? Final test and clean training
    accuracy per arm, each seed a point, the mean a bar; one row per budget."""
    name = shown_part(res)
    finals = final_runs(res.table(name))
    budgets = [b for b in ("steps", "sigma") if not finals.empty and b in set(finals["budget"])]
    fig, axes = plots.plt.subplots(
        len(budgets), 2, figsize=(plots.COLUMN_IN, 3.1 * len(budgets)), squeeze=False, sharey=True
    )
    for row, budget in zip(axes, budgets):
        rows = finals[finals["budget"] == budget]
        arms = [a for a in ARMS if a in set(rows["arm"])]
        for ax, column, what in zip(row, ("test_accuracy", "train_accuracy"), ("test", "training (clean)")):
            for i, arm in enumerate(arms):
                values = rows.loc[rows["arm"] == arm, column].to_numpy()
                ax.bar(i, values.mean(), color=ARM_COLORS[arm], alpha=0.45, width=0.7)
                ax.plot(np.full(len(values), i), values, "o", color=ARM_COLORS[arm], markersize=4)
            ax.set_xticks(range(len(arms)), [SHORT[a] for a in arms], fontsize="small")
            ax.set_title(f"final {what} accuracy", fontsize="medium")
        row[0].set_ylabel(f"accuracy (fraction)\n{BUDGET_LABELS[budget]}", fontsize="small")
        row[0].axhline(0.1, color=plots.COLORS["theory"], linestyle=":", linewidth=1, label="chance")
        row[0].legend(loc="lower right", fontsize="small")
    plots.caption(fig, _caption(res, name) + " Bars: mean over seeds; points: seeds.")
    return fig


def figure_curves(res):
    """When do the arms separate? Test accuracy against epoch at equal steps (mean over seeds, band: min–max);
    the dotted line ends phase 1 of the equal-steps arms."""
    name = shown_part(res)
    s = setting_of(res, name)
    sgd = sgd_table(res.table(name))
    sgd = sgd[sgd["budget"] == "steps"]
    fig, ax = plots.plt.subplots(figsize=(plots.COLUMN_IN, 3.6))
    for arm in [a for a in ARMS if a in set(sgd["arm"])]:
        runs = sgd[sgd["arm"] == arm].pivot(index="seed_id", columns="epoch", values="accuracy.test")
        plots.seed_band(ax, runs.columns, runs.to_numpy(), label=ARM_LABELS[arm], color=ARM_COLORS[arm])
    ax.axvline(s.phase1_epochs, color=plots.COLORS["theory"], linestyle=":", label="end of phase 1")
    ax.axhline(0.1, color=plots.COLORS["theory"], linewidth=0.8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (fraction)")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    plots.caption(fig, _caption(res, name))
    return fig


def figure_gd_switch(res):
    """Does a large full-batch step leave the point where small-LR GD settled? Full-batch training loss (left)
    and the top Hessian eigenvalue (right) against the GD step; dashed lines: 2/γ of the small and large LR."""
    name = shown_part(res)
    gd = gd_table(res.table(name))
    s = setting_of(res, name)
    fig, (loss_ax, sharp_ax) = plots.plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 3.4))
    for arm in [a for a in GD_LABELS if a in set(gd["arm"])]:
        rows = gd[gd["arm"] == arm]
        loss = rows.pivot(index="seed_id", columns="step", values="train_loss")
        plots.seed_band(loss_ax, loss.columns, loss.to_numpy(), label=GD_LABELS[arm], color=GD_COLORS[arm])
        sharp = rows.dropna(subset=["hessian_top"]).pivot(index="seed_id", columns="step", values="hessian_top")
        plots.seed_band(
            sharp_ax, sharp.columns, sharp.to_numpy(), label=GD_LABELS[arm], color=GD_COLORS[arm], marker="o"
        )
    for ax in (loss_ax, sharp_ax):
        ax.axvline(s.gd_settle_steps, color=plots.COLORS["theory"], linestyle=":", linewidth=1)
        ax.set_xlabel("full-batch GD step")
    for lr, style in ((s.gd_lr_small, "--"), (s.gd_lr_large, "-.")):
        sharp_ax.axhline(2 / lr, color=plots.COLORS["theory"], linestyle=style, linewidth=1, label=f"2/γ, γ = {lr:g}")
    loss_ax.set_yscale("log")
    loss_ax.set_ylabel("full-batch training loss")
    sharp_ax.set_yscale("log")
    sharp_ax.set_ylabel("top Hessian eigenvalue")
    loss_ax.legend(fontsize="x-small", loc="upper right")
    sharp_ax.legend(fontsize="x-small", loc="lower left")
    plots.caption(
        fig,
        f"{s.label} setting ({res.scale(name)} scale of part {name!r}): full-batch GD, "
        f"{s.gd_family.replace('_', ' ').replace('cnn', 'CNN')} width {s.gd_width} without BN, on the first "
        f"{s.gd_images:,} training images, no augmentation; {s.gd_seeds} seed(s). Dotted: the switch. "
        "[reconstructed] protocol.",
    )
    return fig


# ------------------------------------------------------------------------------------------------------------ claims


def add_claims(claims: Claims, res) -> None:
    """The CIFAR claims on the part shown: the robust full-batch ones at every scale, P1–P4 where the part is at
    paper scale (the CPU or GPU setting); while only the smoke runs are shown, the CPU setting's claims as pending
    rows, with the tests they will be checked with."""
    name = shown_part(res)
    s = setting_of(res, name)
    numbers = claim_numbers(res.table(name))
    with claims.on_scale(res.scale(name)):
        if numbers["switch_seeds"]:
            _switch_claims(claims, numbers, s.setting)
        if res.scale(name) == "paper":
            _paper_claims(claims, numbers, s)
    if res.scale(name) == "smoke" and "cifar-cpu" in res:
        cpu = CPU_SCALES["paper"]
        with claims.on_scale("paper"), claims.pending_as(res.not_stored("cifar-cpu", "runs of the CPU setting")):
            pending = collections.defaultdict(lambda: math.nan, switch_seeds=cpu.gd_seeds)
            _switch_claims(claims, pending, cpu.setting)
            _paper_claims(claims, pending, cpu)


def claim_numbers(table: pd.DataFrame) -> dict:
    """What the CIFAR claims read from a part's table (NaN where an arm or run is missing)."""
    finals, switch, gd = final_runs(table), gd_switch(table), gd_finals(table)
    by_arm = gd.groupby("arm")["test_accuracy"].mean() if not gd.empty else pd.Series(dtype=float)
    numbers = {
        "switch_seeds": len(switch),
        "gd_large_minus_small": float(by_arm.get("large", math.nan) - by_arm.get("small", math.nan)),
    }
    for budget in BUDGET_LABELS:
        for arm in ARMS:
            numbers[f"gap_{arm}_{budget}"] = accuracy_gap(finals, arm, budget)
    if not switch.empty:
        numbers |= {
            "spike": float((switch["peak_loss_after"] / switch["loss_at_switch"]).min()),
            "sharp_at_switch": float((switch["sharpness_at_switch"] / switch["two_over_lr_large"]).min()),
            "loss_after": float((switch["final_loss"] / switch["loss_at_switch"]).max()),
            "sharp_end": float((switch["sharpness_end"] / switch["two_over_lr_large"]).max()),
        }
    return numbers


def _switch_claims(claims: Claims, n, setting: str) -> None:
    claims.at_least(
        f"P4. full-batch GD, switch to a k× larger LR: peak loss in 10 steps ÷ loss at the switch, "
        f"lowest over {n['switch_seeds']} seed(s) [{setting}]",
        n["spike"],
        1.2,
        paper="a loss spike at the switch [recalled]",
    )
    claims.at_least(
        f"P4. sharpness where small-LR GD settled ÷ 2/γ_L, lowest seed [{setting}]",
        n["sharp_at_switch"],
        1.0,
        paper="large LR escapes a minimum too sharp for it [reconstructed]",
    )


def _paper_claims(claims: Claims, n, s: CifarScale) -> None:
    claims.at_least(
        f"P1. test accuracy, (a) large − (b) small, equal steps [{s.setting}]",
        n["gap_small_steps"],
        0.01,
        paper="≳ 1–3 pp [recalled]",
    )
    for budget, arms in (("steps", s.arms), ("sigma", s.sigma_arms)):
        for arm in [a for a in ("noise_temperature", "noise_step") if a in arms]:
            claims.at_least(
                f"P2. test accuracy, (a) large − {ARM_LABELS[arm]}, {BUDGET_LABELS[budget]} [{s.setting}]",
                n[f"gap_{arm}_{budget}"],
                0.0,
                paper="noise does not replace a large LR [paper]",
            )
    claims.at_most(
        f"P3. |test accuracy, (d) warm-up − (a) large|, equal steps [{s.setting}]",
        abs(n["gap_warmup_steps"]),
        0.01,
        paper="≈ [recalled]",
    )
    if {"small", "large"} <= set(s.gd_arms):
        claims.at_least(
            f"P4. full-batch GD test accuracy, large − small LR [{s.setting}]",
            n["gd_large_minus_small"],
            0.0,
            paper="same ordering as SGD [recalled]",
        )
    if "switch" in s.gd_arms:
        claims.at_most(
            f"P4. full-batch GD after the switch: final loss ÷ loss at the switch, highest seed [{s.setting}]",
            n["loss_after"],
            1.0,
            paper="lower loss after the spike [recalled]",
        )
        claims.at_most(
            f"P4/S8. sharpness after the switch ÷ 2/γ_L, highest seed [{s.setting}]",
            n["sharp_end"],
            1.1,
            paper="≤ 2/γ (linear stability) [reconstructed]",
        )


# ---------------------------------------------------------------------------------------------------------- findings


def add_findings(f: Findings, res) -> None:
    """Every CIFAR number the prose quotes, keys prefixed ``cifar_``."""
    name = shown_part(res)
    scale, table = res.scale(name), res.table(name)
    s = setting_of(res, name)
    common = dict(part=name, scale=scale)
    f.add("cifar_setting", "CIFAR setting shown", s.label, source="reconstructed", **common)
    f.add("cifar_setting_description", "what the CIFAR setting is", s.description, source="reconstructed", **common)
    f.add("cifar_lr_large", "γ_L, large SGD learning rate", s.lr_large, source="recalled", paper="~0.1", **common)
    f.add("cifar_lr_ratio", "k = γ_L/γ_S", s.lr_ratio, source="recalled", paper="~10", **common)
    f.add("cifar_a_temperature", "noise scale a, temperature-matched", float(np.sqrt(s.lr_ratio - 1)), **common)
    f.add("cifar_a_step", "noise scale a, step-matched", float(np.sqrt(s.lr_ratio**2 - 1)), **common)
    finals = final_runs(table)
    summary = arm_summary(finals)
    for row in summary.itertuples():
        key = f"cifar_{row.budget}_{row.arm}"
        label = f"{ARM_LABELS[row.arm]}, {BUDGET_LABELS[row.budget]}"
        f.add(
            f"{key}_test",
            f"final test accuracy, {label}",
            row.test_accuracy,
            uncertainty=row.test_accuracy_sd,
            seeds=row.seeds,
            **common,
        )
        f.add(f"{key}_train", f"final clean training accuracy, {label}", row.train_accuracy, seeds=row.seeds, **common)
        f.add(
            f"{key}_sharpness",
            f"top Hessian eigenvalue after phase 1, {label}",
            row.sharpness_phase1,
            seeds=row.seeds,
            **common,
        )
    for budget in ("steps", "sigma"):
        for arm in ("small", "noise_temperature", "noise_step", "warmup"):
            gap = accuracy_gap(finals, arm, budget)
            if np.isfinite(gap):
                f.add(
                    f"cifar_gap_{budget}_{arm}",
                    f"test accuracy, (a) large − {ARM_LABELS[arm]}, {BUDGET_LABELS[budget]}",
                    gap,
                    **common,
                )
    switch = gd_switch(table)
    if not switch.empty:
        n = len(switch)
        f.add("cifar_gd_lr_small", "full-batch GD small LR", s.gd_lr_small, **common)
        f.add("cifar_gd_lr_large", "full-batch GD large LR", s.gd_lr_large, **common)
        f.add("cifar_gd_switch_step", "GD steps before the switch", s.gd_settle_steps, **common)
        for column, what in (
            ("loss_at_switch", "full-batch loss at the switch"),
            ("peak_loss_after", "peak full-batch loss in the 10 steps after the switch"),
            ("final_loss", "full-batch loss, mean of the last 10 steps after the switch"),
            ("sharpness_at_switch", "top Hessian eigenvalue at the switch"),
            ("sharpness_end", "top Hessian eigenvalue at the end, after the switch"),
        ):
            values = switch[column]
            f.add(
                f"cifar_gd_{column}",
                what,
                float(values.mean()),
                uncertainty=float(values.std()) if n > 1 else np.nan,
                seeds=n,
                **common,
            )
        f.add(
            "cifar_gd_two_over_lr_large", "2/γ_L of full-batch GD", float(switch["two_over_lr_large"].iloc[0]), **common
        )
        lower = bool((switch["final_loss"] < switch["loss_at_switch"]).all())
        f.add(
            "cifar_gd_end_vs_switch",
            "where the loss ends after the switch, against the loss at the switch (every seed)",
            "below" if lower else "not below",
            seeds=n,
            **common,
        )
    gd = gd_finals(table)
    for row in (
        gd.groupby("arm").agg(test=("test_accuracy", "mean"), seeds=("seed_id", "size")).reset_index().itertuples()
    ):
        f.add(
            f"cifar_gd_{row.arm}_test",
            f"final test accuracy, {GD_LABELS[row.arm]}",
            row.test,
            seeds=row.seeds,
            **common,
        )


def summary_table(res) -> pd.DataFrame:
    """Per budget and arm: seeds, final test and clean training accuracy, sharpness after phase 1."""
    summary = arm_summary(final_runs(res.table(shown_part(res))))
    if summary.empty:
        return summary
    summary = summary.assign(arm=summary["arm"].map(ARM_LABELS), budget=summary["budget"].map(BUDGET_LABELS))
    summary["sharpness_phase1"] = summary["sharpness_phase1"].round(2)
    if (summary["seeds"] < 2).all():  # one seed: no spread to show
        summary = summary.drop(columns="test_accuracy_sd")
    return tables.readable(
        summary.set_index(["budget", "arm"]),
        names={"sharpness_phase1": "top Hessian eigenvalue after phase 1", "diverged": "runs diverged"},
    )


# ----------------------------------------------------------------------------------------------------------- reading


def arms_reading(res) -> Markdown:
    """The arms' final accuracies in words, for the setting shown: at smoke scale, that they say nothing about the
    paper; on the CPU or GPU setting, what P1–P3 read off them, with the numbers that bear on a failed one."""
    name = shown_part(res)
    s = setting_of(res, name)
    if res.scale(name) != "paper":
        return Markdown(
            "At smoke scale these are a few epochs of a tiny network on 1,500 images and say nothing about the "
            "paper's claims; P1–P3 are checked only on a stored CPU or GPU setting."
        )
    finals = final_runs(res.table(name))
    summary = arm_summary(finals).set_index(["budget", "arm"])
    acc, train = summary["test_accuracy"], summary["train_accuracy"]
    large = acc[("steps", "large")]
    small_arms = [a for a in ("small", "noise_temperature", "noise_step") if ("steps", a) in acc.index]
    text = [
        f"**In the {s.label} setting**, at equal steps the large-LR arm (a) ends at {large:.1%} test accuracy; "
        + ", ".join(f"{ARM_LABELS[a]} at {acc[('steps', a)]:.1%}" for a in small_arms)
        + "."
        + (
            " The large rate is ahead of every small-rate arm, with or without amplified noise (P1, P2)."
            if all(large > acc[("steps", a)] for a in small_arms)
            else " The large rate is not ahead of every small-rate arm (P1, P2)."
        )
    ]
    sigma = [a for a in ("small", "noise_temperature", "noise_step") if ("sigma", a) in acc.index]
    if sigma:
        text.append(
            f"At equal Σγ the small-rate arms run k = {s.lr_ratio}× the phase-1 epochs "
            f"({s.lr_ratio * s.phase1_epochs} instead of {s.phase1_epochs}): "
            + ", ".join(f"{ARM_LABELS[a]} ends at {acc[('sigma', a)]:.1%}" for a in sigma)
            + f", against the large-LR arm's {large:.1%}."
        )
        if any(acc[("sigma", a)] > large for a in sigma) and ("sigma", "small") in acc.index:
            text.append(
                f"The longer runs win here. The large-LR arm stops far from fitting its training set (clean training "
                f"accuracy {train[('steps', 'large')]:.1%}), and the small rate with no added noise gains the most "
                f"from k× the steps ({train[('sigma', 'small')]:.1%} training accuracy). In a schedule this short, "
                "accuracy follows how far a run gets: at equal steps the larger steps win, at equal Σγ the k× more "
                "steps. Neither budget separates noise from step size as runs trained until they fit would (the GPU "
                "setting's schedule)."
            )
    if ("steps", "warmup") in acc.index and ("steps", "small") in acc.index:
        warmup, small = acc[("steps", "warmup")], acc[("steps", "small")]
        text.append(
            f"The warm-up arm (d), $\\gamma_L$ for {s.warmup_epochs} of the {s.phase1_epochs} phase-1 epochs, ends at "
            f"{warmup:.1%}: {abs(warmup - large) * 100:.1f} pp from the large-LR arm, "
            f"{abs(warmup - small) * 100:.1f} pp from the small-LR arm"
            + (
                ". A warm-up this short leaves no trace of the large rate here, where P3 expects the large-LR arm's "
                "accuracy."
                if abs(warmup - small) < abs(warmup - large)
                else "."
            )
        )
    return Markdown(" ".join(text))


def gd_reading(res) -> Markdown:
    """Where full-batch GD ran relative to linear stability: γ·λ_max at the last measurement, over every run."""
    gd = gd_finals(res.table(shown_part(res)))
    if gd.empty:
        return Markdown("")
    product = 2 * gd["sharpness_end"] / gd["two_over_lr"]  # γ·λ_max
    text = (
        f"At the last measurement $\\gamma\\lambda_\\text{{max}}$ is {product.min():.2f} to {product.max():.2f} "
        f"over every GD run ({len(gd)} runs: each arm, each seed); linear stability at a minimum needs it below 2."
    )
    if product.min() > 2:
        text += (
            " Every run ends above that limit without diverging: GD here trains at the edge of stability, not in a "
            "linearly stable minimum, so a test that reads the end of a run as $\\lambda_\\text{max}$ ≤ 2/γ (P4/S8) "
            "fails."
        )
    return Markdown(text)
