"""Chapter 5's figures: each answers one question, drawn from a run's results (``res``) or from one part's table.

The figure functions that take ``res`` make a whole figure with its title and caption; the ``plot_*`` functions
draw one panel (or a row of panels) from a table. The science lives in :mod:`.analysis`; this module only draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import plots
from ...experiment import Results
from ...plots import plt
from ...stats import frame_slope
from . import analysis as A
from .experiments import lazy_label, lazy_part
from .scales import LAZY_SMALL_CHANGE, NOISE_DOMINATED, SCALES


def plot_plane(
    ax,
    table: pd.DataFrame,
    value: str,
    label: str,
    *,
    log: bool = False,
    annotate: bool = True,
    legend: bool = True,
    grid=None,
    floor: float | None = None,
):
    """One (α, T) map of the seed mean of ``value``.

    Cells where a seed diverged are blank and hatched ×; cells where a seed hit the step cap without fitting are
    dotted (they keep their colour). The colour range is that of the cells where every seed fitted; larger
    values (e.g. blown-up, unfitted runs) are grey. With ``grid = (alphas, temps)`` the map spans that whole
    grid and cells not computed yet are hatched with slashes; rows below ``floor`` (the row where every run hit
    the step cap, see :func:`.analysis.capped_floor`) are not run at all and are hatched with backslashes.
    """
    alphas, temps, m = A.cell_means(table, value, grid)
    div, unf = A.status_masks(table, grid)
    counts = A.cell_means(table.assign(n=1.0), "n", grid)[2].to_numpy(float)
    absent = ~np.isfinite(counts)
    z = m.to_numpy(float)
    good = z[~div & ~unf & np.isfinite(z) & ((z > 0) if log else True)]
    # the colour range of the fitted cells: unfitted ones above it (e.g. at chance) are grey, not its top colour
    clim = (float(good.min()), float(good.max())) if good.size else None
    plots.phase_diagram(
        ax,
        alphas,
        temps,
        z,
        xlabel="initialization scale α (log₂ axis)",
        ylabel="temperature T = dt/(B·h) (log₂ axis)",
        cbar_label=label,
        mask=div,
        mask_label="diverged (≥ 1 seed; error counted as 1)",
        log=log,
        clim=clim,
        over_label="grey: above the range of the fitted cells",
    )
    # diverged cells: blanked and hatched by plots.phase_diagram
    plots.hatch_cells(ax, alphas, temps, unf, "..", label="dotted: unfitted at the step cap")
    below = absent & (temps < floor)[:, None] if floor is not None else np.zeros_like(absent)
    plots.hatch_cells(ax, alphas, temps, absent & ~below, "//", label="slashes: not computed yet")
    plots.hatch_cells(
        ax, alphas, temps, below, "\\\\", label="backslashes: not run, below a row where every run hit the cap"
    )
    plots.log2_ticks(ax, alphas, temps)
    if annotate:  # the regions of α are named in the axis label, where they cover no cell
        ax.set_xlabel("← feature learning      initialization scale α (log₂ axis)      lazy →")
        box = dict(boxstyle="round,pad=0.2", facecolor="white", alpha=0.8, linewidth=0)
        la, lt = np.log2(alphas), np.log2(temps)
        if div.any():
            rows, cols = np.nonzero(div)
            ax.text(la[cols].mean(), lt[rows].mean(), "unstable", ha="center", va="center", fontsize="small", bbox=box)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), fontsize="x-small")


def _per_seed(table: pd.DataFrame, x: str, value: str) -> tuple[np.ndarray, np.ndarray]:
    m = table.pivot_table(index="seed", columns=x, values=value, aggfunc="mean")
    return m.columns.to_numpy(float), m.to_numpy(float)


def plot_lazy(axes, table: pd.DataFrame, tc: pd.DataFrame | None = None):
    """Lazy regime against T, one curve per P: test error, relative weight change, t* (seeds as bands).

    Runs that diverged are left out, and so are the T values where more than half of a P's seeds diverged (as in
    the T_c rule): a mean over the one or two surviving seeds there is not the same quantity."""
    colors = plots.PALETTE
    mostly = table.groupby(["P", "T"])["status"].transform(lambda s: (s == "diverged").mean() > 0.5)
    ok = table[(table["status"] != "diverged") & ~mostly]
    for i, (P, g) in enumerate(ok.groupby("P")):
        for ax, value in zip(axes, ("test_error", "rel_weight_change", "t_star")):
            T, vals = _per_seed(g, "T", value)
            plots.seed_band(ax, T, vals, label=f"P = {P}", color=colors[i % len(colors)])
            if tc is not None and value == "test_error":
                row = tc[tc["P"] == P]
                if len(row) and np.isfinite(row["T_c"].iloc[0]):
                    ax.axvline(row["T_c"].iloc[0], color=colors[i % len(colors)], linestyle=":", linewidth=1)
    for ax, ylabel in zip(
        axes, ("test error (fraction)", "relative weight change ‖w − w0‖/‖w0‖", "training time t* = dt × steps")
    ):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("temperature T = dt/(B·h)")
        ax.set_ylabel(ylabel)
    axes[1].set_yscale("log")
    axes[2].set_yscale("log")
    axes[1].legend(fontsize="x-small", loc="upper left")  # the empty corner: the curves rise to the right


def plot_tc(ax, fit: dict):
    """T_c against P on log-log axes, with the fitted power law. Sizes without a positive T_c (none found by the
    rule at this seed) are left out and said so, rather than breaking the log axes."""
    tc = fit["tc"].dropna()
    tc = tc[(tc["T_c"] > 0) & (tc["P"] > 0)]
    if tc.empty:
        ax.text(0.5, 0.5, "no positive $T_c$ found\nat any P for this run", ha="center", va="center",
                transform=ax.transAxes, fontsize="small")  # fmt: skip
        ax.set_xlabel("training-set size P")
        ax.set_ylabel("$T_c$ (temperature)")
        return
    ax.plot(tc["P"], tc["T_c"], "o", color=plots.COLORS["ours"], label="$T_c(P)$, by the rule in the text")
    if np.isfinite(fit["a"]):
        P = np.geomspace(tc["P"].min(), tc["P"].max(), 20)
        c = np.exp(np.mean(np.log(tc["T_c"]) + fit["a"] * np.log(tc["P"])))
        ax.plot(
            P,
            c * P ** -fit["a"],
            "-",
            color=plots.COLORS["theory"],
            label=f"fit $T_c \\propto P^{{-a}}$, a = {fit['a']:.2f} ± {fit['a_se']:.2f}",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("training-set size P")
    ax.set_ylabel("$T_c$ (temperature)")
    ax.legend(fontsize="x-small")


def plot_collapse(ax, table: pd.DataFrame, ex: dict):
    """Relative weight change against T·P^(γ/δ): one curve per P should fall on one line."""
    ok = table[table["status"] == "fitted"]
    ratio = ex["gamma_over_delta"]
    for i, (P, g) in enumerate(ok.groupby("P")):
        T, vals = _per_seed(g, "T", "rel_weight_change")
        plots.seed_band(ax, T * P**ratio, vals, label=f"P = {P}", color=plots.PALETTE[i % 10], marker="o", markersize=3)
    ax.axhline(
        LAZY_SMALL_CHANGE,
        color=plots.COLORS["theory"],
        linestyle=":",
        linewidth=1,
        label=f"fit range: change < {LAZY_SMALL_CHANGE}",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"$T \\cdot P^{{\\gamma/\\delta}}$, γ/δ = {ratio:.2f}")
    ax.set_ylabel("relative weight change ‖w − w0‖/‖w0‖")
    ax.legend(fontsize="x-small")


def plot_perceptron(axes, table: pd.DataFrame, exps: pd.DataFrame, d: int):
    """The perceptron at dimension d, one colour per χ: (a) ‖u⊥‖/(T√d) against Tα; (b) u∥/(T√d) against P with
    slopes 1/(1+χ); (c) t*/T against P; (d) u∥ against T·√d·P^γ (collapse over T and P); (e) test error against P;
    (f) test error against Tα."""
    t = table[(table["d"] == d) & table["fitted"]].copy()
    t["perp_scaled"] = t["u_perp"] / (t["T"] * np.sqrt(d))
    t["par_scaled"] = t["u_par"] / (t["T"] * np.sqrt(d))
    t["tstar_over_T"] = t["t_star"] / t["T"]
    noisy = t[t["T_alpha"] >= NOISE_DOMINATED]
    a, b, c, dd, e, f = axes.ravel()
    for i, (chi, g) in enumerate(t.groupby("chi")):
        col = plots.PALETTE[i]
        gn = noisy[noisy["chi"] == chi]
        Ta, vals = _per_seed(
            g.groupby(["seed", "T_alpha"], as_index=False)["perp_scaled"].mean(), "T_alpha", "perp_scaled"
        )
        plots.seed_band(a, Ta, vals, label=f"χ = {chi:g}", color=col)
        for ax, value in ((b, "par_scaled"), (c, "tstar_over_T"), (e, "test_error")):
            per = gn.groupby(["seed", "P"], as_index=False)[value].mean()  # mean over the noise-dominated T
            P, vals = _per_seed(per, "P", value)
            plots.seed_band(ax, P, vals, label=f"χ = {chi:g}", color=col)
        P, vals = _per_seed(gn.groupby(["seed", "P"], as_index=False)["par_scaled"].mean(), "P", "par_scaled")
        gamma = 1 / (1 + chi)
        ref = np.exp(np.mean(np.log(np.nanmean(vals, 0)) - gamma * np.log(P)))
        b.plot(P, ref * P**gamma, "--", color=col, linewidth=1, alpha=0.8, label=f"slope γ = 1/(1+χ) = {gamma:.2f}")
        xc = gn["T"] * np.sqrt(d) * gn["P"] ** gamma
        dd.plot(xc, gn["u_par"], ".", color=col, alpha=0.5, markersize=4, label=f"χ = {chi:g}, every run")
        xs = np.geomspace(xc.min(), xc.max(), 10)
        dd.plot(xs, xs * np.exp(np.mean(np.log(gn["u_par"] / xc))), "-", color=col, linewidth=0.8, alpha=0.7)
        per = g.groupby(["seed", "T_alpha"], as_index=False)["test_error"].mean()
        Ta, vals = _per_seed(per, "T_alpha", "test_error")
        plots.seed_band(
            f, Ta, vals, label=f"χ = {chi:g} (mean over P and {len(vals)} seeds)", color=col, count_in_label=False
        )
    a.axhspan(0.12, 0.5, color=plots.COLORS["theory"], alpha=0.15, label="band of claim S1 (smoke scale)")
    a.axvline(NOISE_DOMINATED, color=plots.COLORS["theory"], linestyle=":", linewidth=1)
    for ax in (a, f):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("Tα (temperature × init. scale)")
    for ax in (b, c, e):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("training-set size P")
    for ax in (b, c, dd, e, f):
        ax.set_yscale("log")
    dd.set_xscale("log")
    dd.set_xlabel(r"$T\sqrt{d}\,P^\gamma$, γ = 1/(1+χ)  (lines: slope 1)")
    a.set_ylabel("‖u⊥‖ / (T√d)")
    b.set_ylabel("u∥ / (T√d)  (mean over Tα ≥ 64)")
    c.set_ylabel("t* / T  (mean over Tα ≥ 64)")
    dd.set_ylabel("u∥ (runs with Tα ≥ 64)")
    e.set_ylabel("test error  (mean over Tα ≥ 64)")
    f.set_ylabel("test error")
    for letter, ax in zip("abcdef", axes.ravel()):
        ax.legend(fontsize="xx-small")
        ax.set_title(f"({letter})", loc="left", fontweight="bold")


def plot_exponents(ax, perceptron_exps: pd.DataFrame, lazy_ex: dict):
    """The exponents side by side: δ (weight against T), γ (against P), b (t*/T against P)."""
    names = ["delta", "gamma", "b"]
    x = np.arange(len(names))
    for i, row in perceptron_exps.reset_index(drop=True).iterrows():
        ax.errorbar(
            x - 0.25 + 0.12 * i,
            [row[n] for n in names],
            yerr=[1.96 * row[n + "_se"] for n in names],
            fmt="o",
            color=plots.PALETTE[i],
            capsize=3,
            label=f"perceptron χ = {row['chi']:g} (u∥)",
        )
        ax.plot(
            [1 - 0.25 + 0.12 * i],
            [row["gamma_theory"]],
            "_",
            color=plots.PALETTE[i],
            markersize=16,
            markeredgewidth=2,
            label="γ = 1/(1+χ) (perceptron theory)" if i == 0 else None,
        )
    ax.errorbar(
        x + 0.25,
        [lazy_ex[n] for n in names],
        yerr=[1.96 * lazy_ex[n + "_se"] for n in names],
        fmt="s",
        color="black",
        capsize=3,
        label="MLP, lazy regime (‖w − w0‖/‖w0‖)",
    )
    ax.axhline(1.0, color=plots.COLORS["theory"], linestyle=":", linewidth=1, label="δ = 1 (perceptron theory)")
    ax.set_xticks(x, ["δ (against T)", "γ (against P)", "b (t*/T against P)"])
    ax.set_ylabel("fitted exponent (95 % interval)")
    ax.legend(fontsize="x-small")


def plot_perceptron_by_d(axes, by_d: pd.DataFrame):
    """(a) γ and δ against d, one colour per χ, with the theory; (b) the plateau of ‖u⊥‖/(T√d) against d."""
    for i, (chi, g) in enumerate(by_d.groupby("chi")):
        color = plots.PALETTE[i]
        n_P = sorted({int(n) for n in g["n_P"]})
        axes[0].errorbar(
            g["d"],
            g["gamma"],
            yerr=1.96 * g["gamma_se"],
            fmt="o-",
            color=color,
            capsize=3,
            label=f"γ, χ = {chi:g} ({'–'.join(map(str, n_P[:: max(1, len(n_P) - 1)]))} P values)",
        )
        axes[0].errorbar(
            g["d"],
            g["delta"],
            yerr=1.96 * g["delta_se"],
            fmt="s--",
            color=color,
            capsize=3,
            markerfacecolor="white",
            label=f"δ, χ = {chi:g}",
        )
        axes[0].axhline(1 / (1 + chi), color=color, linestyle=":", linewidth=1.2)
        label = f"χ = {chi:g}: mean, min–max"
        if len(g) > 1:
            axes[1].fill_between(g["d"], g["perp_scaled_min"], g["perp_scaled_max"], color=color, alpha=0.2)
            axes[1].plot(g["d"], g["perp_scaled_mean"], "o-", color=color, label=label)
        else:  # one dimension: the range as an error bar
            mean = g["perp_scaled_mean"].to_numpy()
            axes[1].errorbar(
                g["d"],
                mean,
                yerr=[mean - g["perp_scaled_min"].to_numpy(), g["perp_scaled_max"].to_numpy() - mean],
                fmt="o",
                color=color,
                capsize=3,
                label=label,
            )
    axes[0].axhline(1.0, color=plots.COLORS["theory"], linestyle=":", linewidth=1.2)
    axes[0].set_ylabel("fitted exponent (95 % interval)")
    axes[0].set_title("Exponents against d (dotted: δ = 1 and γ = 1/(1+χ))")
    axes[1].set_ylabel("‖u⊥‖/(T√d), runs with Tα ≥ 64")
    axes[1].set_title("The uninformative weights scale as T√d")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("input dimension d")
        ax.legend(fontsize="x-small")


# ==============================================================================================================
# Whole figures from a run's results
# ==============================================================================================================
def phase_grid(res: Results) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The (alphas, temps) of the phase grid at the scale the page shows."""
    grid = SCALES[res.scale("phase")].phase
    return grid.alphas, grid.temps


def phase_floor(res: Results) -> float | None:
    """The row of the phase grid where every run hit the step cap (no row below it is run), or None."""
    return A.capped_floor(res.table("phase"), SCALES[res.scale("phase")].phase.runs_per_row)


def _seeds_per_cell(table: pd.DataFrame) -> str:
    n = table.groupby(["alpha", "T"])["seed"].nunique()
    return f"{n.min()} seeds per cell" if n.min() == n.max() else f"{n.min()}–{n.max()} seeds per cell"


def error_plane(res: Results):
    """Section 1: the seed-mean test error over (α, T)."""
    table = res.table("phase")
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    plot_plane(ax, table, "test_error", "test error (mean over seeds)", grid=phase_grid(res), floor=phase_floor(res))
    ax.set_title(f"Test error over (α, T), P = {int(table['P'].iloc[0])} ({res.scale('phase')} scale)")
    status = table["status"].value_counts()
    plots.caption(
        fig,
        f"{_seeds_per_cell(table)}; {len(table)} runs; "
        f"{status.get('diverged', 0)} diverged, {status.get('unfitted', 0)} unfitted.",
    )
    return fig


def weight_change_and_time_planes(res: Results):
    """Section 2: the relative weight change and the training time t* over (α, T)."""
    table, floor = res.table("phase"), phase_floor(res)
    fig, axes = plt.subplots(2, 1, figsize=(plots.COLUMN_IN, 9.6))
    for ax, value, label in (
        (axes[0], "rel_weight_change", "‖w − w0‖/‖w0‖ (mean over seeds)"),
        (axes[1], "t_star", "t* = dt × steps (mean over seeds)"),
    ):
        plot_plane(ax, table, value, label, log=True, annotate=False, legend=False, grid=phase_grid(res), floor=floor)
    axes[0].set_title("Relative weight change at the end of training")
    axes[1].set_title("Training time t*")
    plots.caption(
        fig,
        f"{res.scale('phase')} scale; {_seeds_per_cell(table)}. Hatched ×: a seed diverged; dotted: a seed hit the "
        "step cap unfitted (values at the cap; grey when above the range of the fitted cells)"
        + ("; backslashes: rows not run, below the row where every run hit the cap." if floor else "."),
    )
    return fig


def lazy_sweep(res: Results):
    """Section 3: the lazy regime against T, one curve per P, and T_c against P."""
    table = res.table(lazy_part(res))
    tc = A.tc_fit(table)
    fig, axes = plt.subplots(2, 2, figsize=(plots.COLUMN_IN, 7.4))
    plot_lazy(axes.ravel()[:3], table, tc["tc"])
    plot_tc(axes.ravel()[3], tc)
    fig.suptitle(f"Lazy regime, α = $2^{{{np.log2(table['alpha'].iloc[0]):g}}}$ ({lazy_label(res)}); dotted: $T_c(P)$")
    plots.caption(
        fig,
        f"Bands: min–max over {table['seed'].nunique()} seeds; diverged runs "
        f"({(table['status'] == 'diverged').sum()} of {len(table)}), and temperatures where more than half of "
        "a P's seeds diverged, are left out of the curves.",
    )
    return fig


def collapse(res: Results):
    """Section 4: the weight change against T·P^(γ/δ)."""
    table = res.table(lazy_part(res))
    exps = A.lazy_exponents(table)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    plot_collapse(ax, table, exps)
    ax.set_title(f"Collapse with fitted δ = {exps['delta']:.2f}, γ = {exps['gamma']:.2f} ({lazy_label(res)})")
    plots.caption(fig, f"Fit on {exps['n_fit']} runs (all seeds); bands: min–max over seeds.")
    return fig


def perceptron_panels(res: Results):
    """Section 5: the perceptron at its smallest dimension d, six panels."""
    table = res.table("perceptron")
    d = int(table["d"].min())
    fig, axes = plt.subplots(3, 2, figsize=(plots.COLUMN_IN, 10.5))
    plot_perceptron(axes, table, A.perceptron_exponents(table, d=d), d=d)
    fig.suptitle(
        f"Perceptron, d = {d}, α = $2^{{15}}$, B = 2 ({res.scale('perceptron')} scale)\n"
        "panels b–e use the runs with Tα ≥ 64"
    )
    shown = table[table["d"] == d]
    plots.caption(
        fig,
        f"{shown['seed'].nunique()} seeds per point (bands: min–max); {len(shown)} runs at d = {d}, "
        f"{int((~shown['fitted']).sum())} not fitted within the update cap.",
    )
    return fig


def perceptron_by_dimension(res: Results):
    """Section 5: the exponents and the plateau of ‖u⊥‖/(T√d) against d."""
    fig, axes = plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 4.0))
    plot_perceptron_by_d(axes, A.perceptron_exponents_by_d(res.table("perceptron")))
    fig.suptitle(f"Perceptron against the input dimension ({res.scale('perceptron')} scale)")
    plots.caption(
        fig,
        f"Fits on the runs with Tα ≥ {NOISE_DOMINATED}, every seed; error bars: 95 % intervals of the "
        "least-squares fits.",
    )
    return fig


def exponents(res: Results):
    """Section 6: the perceptron's exponents (smallest d) next to the lazy sweep's."""
    perceptron = res.table("perceptron")
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    plot_exponents(
        ax,
        A.perceptron_exponents(perceptron, d=int(perceptron["d"].min())),
        A.lazy_exponents(res.table(lazy_part(res))),
    )
    ax.set_title(f"Fitted exponents: perceptron ({res.scale('perceptron')}) and MLP lazy sweep ({lazy_label(res)})")
    plots.caption(
        fig,
        "Perceptron: u∥ ∝ $T^\\delta P^\\gamma$ and t*/T ∝ $P^b$ for Tα ≥ 64. "
        "MLP: ‖w − w₀‖/‖w₀‖ ∝ $T^\\delta P^\\gamma$ on runs with change < 0.1, t*/T ∝ $P^b$. "
        "Bars: 95 % intervals of the least-squares fits.",
    )
    return fig


def exponents_table(res: Results) -> pd.DataFrame:
    """The fitted exponents of this run, reported, not asserted (theory values of the perceptron in brackets):
    the perceptron at its smallest d, the lazy sweep, and the phase diagram's T_opt and edge of stability."""
    perceptron, phase = res.table("perceptron"), res.table("phase")
    d = int(perceptron["d"].min())
    noisy = perceptron[perceptron["fitted"] & (perceptron["T_alpha"] >= NOISE_DOMINATED) & (perceptron["d"] == d)]
    plateau = (noisy["u_perp"] / (noisy["T"] * np.sqrt(noisy["d"]))).groupby(noisy["chi"]).agg(["mean", "min", "max"])
    rows = [
        {
            "system": f"perceptron χ = {r.chi:g} (d = {d}, {r.n_P} P values)",
            "δ": f"{r.delta:.2f} ± {r.delta_se:.2f} [1]",
            "γ": f"{r.gamma:.2f} ± {r.gamma_se:.2f} [{r.gamma_theory:.2f}]",
            "b": f"{r.b:.2f} ± {r.b_se:.2f} [heuristic 1+2γ = {1 + 2 * r.gamma_theory:.1f}]",
            "a": "",
            "‖u⊥‖/(T√d), Tα ≥ 64": "{:.2f} (range {:.2f}–{:.2f})".format(*plateau.loc[r.chi]),
        }
        for r in A.perceptron_exponents(perceptron, d=d).itertuples()
    ]
    tc, ex = A.tc_fit(res.table(lazy_part(res))), A.lazy_exponents(res.table(lazy_part(res)))
    rows.append(
        {
            "system": f"MLP lazy sweep ({lazy_label(res)})",
            "δ": f"{ex['delta']:.2f} ± {ex['delta_se']:.2f}",
            "γ": f"{ex['gamma']:.2f} ± {ex['gamma_se']:.2f} (χ_eff = 1/γ − 1 = {1 / ex['gamma'] - 1:.1f})",
            "b": f"{ex['b']:.2f} ± {ex['b_se']:.2f}",
            "a": f"{tc['a']:.2f} ± {tc['a_se']:.2f} (γ/δ = {ex['gamma_over_delta']:.2f})",
        }
    )
    scale, depth = res.scale("phase"), SCALES[res.scale("phase")].phase.depth
    topt = A.optimal_temperature(phase)
    if not res["phase"].complete:  # the best T of a column may lie in a row not computed yet: no estimate
        text = f"not estimated: {len(res['phase'].missing)} entries of the grid are not computed yet"
        rows.append({"system": "MLP phase diagram: T_opt ∝ α^k, α ≤ 1", "a": text})
    elif len(topt) >= 3:
        k = frame_slope(topt, "alpha", "T_opt")
        text = (
            f"k = {k.slope:.2f} ± {k.stderr:.2f} [paper: (D−1)/(D+1) = {(depth - 1) / (depth + 1):.2f} for D = {depth}]"
        )
        rows.append({"system": f"MLP phase diagram ({scale}): T_opt ∝ α^k, α ≤ 1", "a": text})
    edge = A.stability_edge(phase)["T_max"]
    k = frame_slope(edge[edge.index <= 1].rename("T_max").rename_axis("alpha").reset_index(), "alpha", "T_max")
    rows.append(
        {
            "system": f"MLP phase diagram ({scale}): edge of stability T_max ∝ α^k, α ≤ 1",
            "a": f"k = {k.slope:.2f} ± {k.stderr:.2f} ({k.n} values of α; section 1)",
        }
    )
    return pd.DataFrame(rows).fillna("").set_index("system")


def edge_table(res: Results) -> pd.DataFrame:
    """Per α (log₂): the largest T (log₂) at which every seed of the column trained without diverging."""
    t_max = A.stability_edge(res.table("phase"))["T_max"]
    return (
        pd.DataFrame({"log₂ α": np.log2(t_max.index).astype(int), "log₂ T_max": np.log2(t_max.to_numpy())})
        .set_index("log₂ α")
        .T
    )
