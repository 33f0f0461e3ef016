"""Chapter 5's figures: the plotting functions for ``sgd_noise_phase`` (Sclocchi, Geiger & Wyart, ICML 2023).

Each figure answers one question; the notebook calls them with this run's tables. The science (scales, results,
fits, the T_c rule, claims) lives in :mod:`lrlib.papers.sgd_noise_phase`; this module only draws it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from .. import plots
from .sgd_noise_phase import LAZY_SMALL_CHANGE, NOISE_DOMINATED, cell_means, status_masks


def _log2_ticks(ax, alphas, temps):
    la, lt = np.log2(alphas), np.log2(temps)
    step_a = max(1, int(math.ceil(len(la) / 8)))
    step_t = max(1, int(math.ceil(len(lt) / 8)))
    ax.set_xticks(la[::step_a], [f"$2^{{{int(round(v))}}}$" for v in la[::step_a]])
    ax.set_yticks(
        lt[::step_t], [f"$2^{{{v:.0f}}}$" if float(v).is_integer() else f"$2^{{{v:.1f}}}$" for v in lt[::step_t]]
    )


def _hatch_cells(ax, lx_edges, ly_edges, mask, hatch: str):
    for i, j in zip(*np.nonzero(mask)):
        ax.add_patch(
            Rectangle(
                (lx_edges[j], ly_edges[i]),
                lx_edges[j + 1] - lx_edges[j],
                ly_edges[i + 1] - ly_edges[i],
                fill=False,
                hatch=hatch,
                edgecolor="#444444",
                linewidth=0,
            )
        )


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
    the step cap, see :func:`capped_floor`) are not run at all and are hatched with backslashes.
    """
    alphas, temps, m = cell_means(table, value, grid)
    div, unf = status_masks(table, grid)
    counts = cell_means(table.assign(n=1.0), "n", grid)[2].to_numpy(float)
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
        xlabel="initialisation scale α (log₂ axis)",
        ylabel="temperature T = dt/(B·h) (log₂ axis)",
        cbar_label=label,
        mask=div,
        mask_label="diverged (≥ 1 seed; error counted as 1)",
        log=log,
        clim=clim,
        over_label="grey: above the range of the fitted cells",
    )
    lx, ly = plots._edges(np.log2(alphas)), plots._edges(np.log2(temps))
    _hatch_cells(ax, lx, ly, div, "xx")
    if unf.any():
        _hatch_cells(ax, lx, ly, unf, "..")
        ax.add_patch(
            Rectangle(
                (0, 0), 0, 0, fill=False, hatch="...", edgecolor="#444444", label="dotted: unfitted at the step cap"
            )
        )
    below = absent & (temps < floor)[:, None] if floor is not None else np.zeros_like(absent)
    for mask, hatch, text in (
        (absent & ~below, "//", "slashes: not computed yet"),
        (below, "\\\\", "backslashes: not run, below a row where every run hit the cap"),
    ):
        if mask.any():
            _hatch_cells(ax, lx, ly, mask, hatch)
            ax.add_patch(Rectangle((0, 0), 0, 0, fill=False, hatch=hatch, edgecolor="#444444", label=text))
    _log2_ticks(ax, alphas, temps)
    if annotate:  # the regions of α are named in the axis label, where they cover no cell
        ax.set_xlabel("← feature learning      initialisation scale α (log₂ axis)      lazy →")
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
    """T_c against P on log-log axes, with the fitted power law."""
    tc = fit["tc"].dropna()
    ax.plot(tc["P"], tc["T_c"], "o", color=plots.COLORS["ours"], label="T_c(P), by the rule in the text")
    if np.isfinite(fit["a"]):
        P = np.geomspace(tc["P"].min(), tc["P"].max(), 20)
        c = np.exp(np.mean(np.log(tc["T_c"]) + fit["a"] * np.log(tc["P"])))
        ax.plot(
            P,
            c * P ** -fit["a"],
            "-",
            color=plots.COLORS["theory"],
            label=f"fit T_c ∝ P^(−a), a = {fit['a']:.2f} ± {fit['a_se']:.2f}",
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("training-set size P")
    ax.set_ylabel("T_c (temperature)")
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
    ax.set_xlabel(f"T · P^(γ/δ), γ/δ = {ratio:.2f}")
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
    dd.set_xlabel("T·√d·P^γ, γ = 1/(1+χ)  (lines: slope 1)")
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
