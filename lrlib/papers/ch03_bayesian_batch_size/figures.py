"""The chapter's figures: each ``fig_*`` function draws one figure of the chapter from a run's results; the
``plot_*`` functions draw one panel from a table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import plots
from . import sweeps, theory
from .analysis import (
    TRAINED_ACCURACY,
    bopt_per_seed,
    bopt_table,
    final_accuracy,
    optimal_batch_size,
    per_lam,
    sweep,
    sweep_summary,
)
from .experiments import n_setting
from .scales import SCALES

LN2 = float(np.log(2.0))


# ------------------------------------------------------------------------------------ Figs. 1-3: the evidence
def plot_memorisation(axes, table: pd.DataFrame) -> None:
    """Figure 1: train and test accuracy against lam, random labels (left) and informative labels (right)."""
    for ax, noise, title in zip(axes, (1.0, 0.0), ("random labels", "informative labels (0 vs 1)")):
        for column, label, color in (
            ("train_accuracy", "train", plots.COLORS["small_lr"]),
            ("test_accuracy", "test", plots.COLORS["large_lr"]),
        ):
            values = per_lam(table, column, noise)
            plots.seed_band(
                ax, values.columns.to_numpy(), values.to_numpy(), label=label, color=color, marker="o", markersize=3
            )
        ax.axhline(0.5, color=plots.COLORS["theory"], linestyle=":", linewidth=1, label="chance")
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("regularisation coefficient λ (prior precision; weaker →)")
        ax.set_title(title)
    axes[0].set_ylabel("accuracy (fraction correct)")
    # the right panel's middle is empty (both curves near 1, chance at 0.5); the left one has the train curve there
    axes[1].legend(loc="center right")


def plot_evidence(axes, table: pd.DataFrame) -> None:
    """Figure 2: test cross-entropy, E/N and its depth and breadth terms against lam, random vs informative."""
    curves = (
        ("test_ce", "test cross-entropy", plots.COLORS["large_lr"], "-"),
        ("evidence", "E/N = −log evidence ratio / N", plots.COLORS["ours"], "-"),
        ("depth", "depth C(w₀)/N", plots.COLORS["small_lr"], "--"),
        ("occam", "breadth ½Σ ln(λᵢ/λ)/N", plots.PALETTE[4], "--"),
    )
    for ax, noise, title in zip(axes, (1.0, 0.0), ("random labels", "informative labels (0 vs 1)")):
        for column, label, color, style in curves:
            values = per_lam(table, column, noise)
            plots.seed_band(
                ax,
                values.columns.to_numpy(),
                values.to_numpy(),
                label=label,
                color=color,
                linestyle=style,
                points=False,
            )
        ax.axhline(0.0, color=plots.COLORS["theory"], linewidth=1, label="null model (E = 0)")
        ax.axhline(LN2, color=plots.COLORS["theory"], linewidth=1, linestyle=":", label="ln 2 (guessing)")
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("regularisation coefficient λ (weaker →)")
        ax.set_title(title)
    axes[0].set_ylabel("nats per training example")
    axes[1].legend(loc="upper left", fontsize="small")


def plot_evidence_vs_test_loss(ax, table: pd.DataFrame) -> None:
    """Figure 3: E/N against test cross-entropy, one point per (lam, noise) (seed means), colour = noise."""
    import seaborn as sns

    means = table.groupby(["noise", "lam"], as_index=False)[["evidence", "test_ce"]].mean()
    colors = sns.color_palette("viridis", n_colors=means["noise"].nunique())
    for color, (noise, sub) in zip(colors, means.groupby("noise")):
        ax.plot(
            sub["evidence"],
            sub["test_ce"],
            "o-",
            color=color,
            markersize=4,
            linewidth=0.8,
            label=f"label noise q = {noise:g}",
        )
    ax.set_xlabel("E/N: −log evidence ratio vs null model, per example (nats; training set only)")
    ax.set_ylabel("test cross-entropy (nats per example)")
    ax.set_yscale("log")
    ax.legend(title="each point: one λ", fontsize="small")


# ------------------------------------------------------------------------------------ Figs. 4-7: the sweeps
def _ticks_at(ax, values, axis: str = "x", max_labels: int = 6) -> None:
    """Log-axis ticks at the grid's own values, labelled plainly (no minor-tick clutter); with more than
    ``max_labels`` values, only every k-th is labelled, so that labels do not run into each other."""
    import matplotlib.ticker as mticker

    values = sorted(set(float(v) for v in values))
    every = math.ceil(len(values) / max_labels)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(mticker.FixedLocator(values))
    target.set_major_formatter(
        mticker.FixedFormatter([f"{v:g}" if i % every == 0 else "" for i, v in enumerate(values)])
    )
    target.set_minor_locator(mticker.NullLocator())


def _legend_below(ax, legend_kw: dict | None) -> None:
    """The legend under the axes (two columns if it has more than three entries), clear of the data at any
    scale; ``legend_kw`` overrides."""
    labels = ax.get_legend_handles_labels()[1]
    ncol = 1 if len(labels) <= 3 or max(map(len, labels)) > 40 else 2
    ax.legend(
        **(
            {"fontsize": "small", "loc": "upper center", "bbox_to_anchor": (0.5, -0.17), "ncol": ncol}
            | (legend_kw or {})
        )
    )


def plot_accuracy_vs_batch(ax, table: pd.DataFrame, by: str, label) -> None:
    """Final test accuracy against B, one seed band per value of ``by`` in the book's colour-blind-safe palette;
    B_opt marked with a triangle, except on a curve that did not train (no B reaches :data:`TRAINED_ACCURACY`)."""
    curves = final_accuracy(table, by)
    if len(curves) > len(plots.PALETTE):
        raise ValueError(f"at most {len(plots.PALETTE)} curves can be told apart, got {len(curves)} values of {by}")
    for color, (value, acc) in zip(plots.PALETTE, sorted(curves.items())):
        b = acc.columns.to_numpy()
        trained = acc.mean(axis=0).max() >= TRAINED_ACCURACY
        shown = label(value) if trained else f"{label(value)} (did not train: no optimum)"
        plots.seed_band(ax, b, acc.to_numpy(), label=shown, color=color, marker="o", markersize=3, points=False)
        if not trained:
            continue
        b_opt, interior = optimal_batch_size(b, acc.mean(axis=0).to_numpy())
        ax.plot(
            [b_opt],
            [acc.mean(axis=0).max()],
            "v",
            color=color,
            markersize=8,
            markerfacecolor=color if interior else "white",
        )
    ax.set_xscale("log", base=2)
    _ticks_at(ax, table["batch_size"].unique())
    ax.set_xlabel("batch size B (examples per step, log scale)")
    ax.set_ylabel("final test accuracy (fraction)")


def _edge_bounds(ax, x, y, edge, color, what: str) -> None:
    """Grid-edge values as unconnected open triangles pointing where the true value may lie: ▽ at most, △ at least.

    ``what``: "b" (B_opt itself: a low edge bounds it from above) or "g" (g_opt ~ 1/B_opt: from below).
    """
    for side in ("low", "high"):
        sel = edge == side
        if not sel.any():
            continue
        at_most = (side == "low") == (what == "b")
        symbol = "≤" if at_most else "≥"
        name = r"$B_\mathrm{opt}$" if what == "b" else r"$g_\mathrm{opt}$"
        ax.plot(
            x[sel],
            y[sel],
            "v" if at_most else "^",
            markerfacecolor="white",
            color=color,
            markersize=8,
            linestyle="none",
            label=f"{name} {symbol} this (grid edge; not fitted)",
        )


def _through_centroid(x, y, slope):
    """Points of the log-log line of ``slope`` through the centroid of (x, y), over the range of x."""
    xs = np.geomspace(x.min(), x.max(), 20)
    lx, ly = np.log(x).mean(), np.log(y).mean()
    return xs, np.exp(ly + slope * (np.log(xs) - lx))


def _fit_line(ax, x, y, slope, band, color, label, linestyle="-") -> None:
    """The fitted log-log line through the centroid of (x, y), with its band as dotted lines."""
    ax.plot(
        *_through_centroid(x, y, slope),
        linestyle,
        color=color,
        label=f"{label}: slope {slope:.2f} (95% band {band[0]:.2f} to {band[1]:.2f})",
    )
    for edge in band:
        ax.plot(*_through_centroid(x, y, edge), ":", color=color, linewidth=0.8)


def _untrained(ax, x, y, trained, label: str) -> None:
    if (~trained).any():
        ax.plot(
            x[~trained],
            y[~trained],
            "x",
            color="0.45",
            markersize=8,
            linestyle="none",
            label=f"{label}: no B trains (not an optimum)",
        )


def plot_bopt(
    ax,
    table: pd.DataFrame,
    by: str,
    slope_band,
    *,
    xlabel: str,
    x_of=lambda v: v,
    trained_slope_band=None,
    legend_kw: dict | None = None,
    beside: tuple[pd.DataFrame, str] | None = None,
) -> None:
    """B_opt against x(by) on log-log axes: the seed-mean estimate (filled: interior; an open triangle: a bound,
    at the grid's edge; a grey cross: the value did not train), each seed's own estimate (small points), the
    fitted slope with its bootstrap band, and the slope-1 theory line. ``trained_slope_band``, if given and some
    interior value did not train, adds the fit over the trained values (dash-dotted). ``beside``: another sweep's
    B_opt table and its label, whose interior seed-mean estimates are drawn in grey for comparison. The legend goes
    under the axes; ``legend_kw`` overrides its ``ax.legend`` arguments."""
    slope, band, _ = slope_band
    bopt = bopt_table(table, by)
    seeds = bopt_per_seed(table, by)
    color = plots.COLORS["ours"]
    ax.plot([x_of(v) for v in seeds[by]], seeds["b_opt"], ".", color=color, alpha=0.35, label="each seed")
    x = np.array([x_of(v) for v in bopt[by]], dtype=float)
    y = bopt["b_opt"].to_numpy(float)
    inner = bopt["interior"].to_numpy(bool)
    trained = bopt["trained"].to_numpy(bool)
    ax.plot(x[inner & trained], y[inner & trained], "o", color=color, label="$B_\\mathrm{opt}$ of the seed-mean curve")
    _untrained(ax, x, y, trained, "argmax")
    _edge_bounds(ax, x, y, np.where(trained, bopt["edge"].to_numpy(), ""), color, "b")
    if inner.sum() >= 2 and np.isfinite(slope):
        planned = "planned fit, every interior argmax" if (inner & ~trained).any() else "fit"
        _fit_line(ax, x[inner], y[inner], slope, band, color, planned)
        fitted = inner
        if trained_slope_band is not None and (inner & ~trained).any() and (inner & trained).sum() >= 2:
            _fit_line(
                ax,
                x[inner & trained],
                y[inner & trained],
                trained_slope_band[0],
                trained_slope_band[1],
                plots.PALETTE[4],
                "fit, trained values only",
                "-.",
            )
            fitted = inner & trained
        ax.plot(
            *_through_centroid(x[fitted], y[fitted], 1.0), "--", color=plots.COLORS["paper"], label="theory: slope 1"
        )
    if beside is not None:
        other, other_label = beside
        shown = other[other["interior"].astype(bool)]
        ax.plot([x_of(v) for v in shown[by]], shown["b_opt"], "D", mfc="none", color="0.45", label=other_label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _ticks_at(ax, x)
    plots.plain_log_labels(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("optimum batch size $B_\\mathrm{opt}$ (examples)")
    _legend_below(ax, legend_kw)


def plot_noise_scale(
    ax, table: pd.DataFrame, by: str, *, xlabel: str, x_of=lambda v: v, legend_kw: dict | None = None
) -> None:
    """g_opt = eps N / (B_opt (1 - m)) against x(by): the seed-mean estimate (joined over interior optima only)
    and each seed's own; an optimum at the grid's edge is drawn as an unconnected bound (open triangle)."""
    bopt = bopt_table(table, by)
    keys = [by] + [c for c in ("lr", "momentum", "n_train") if c != by]
    seeds = bopt_per_seed(table, by).merge(bopt[keys], on=by)
    g_seed = theory.noise_scale(
        seeds["lr"], seeds["n_train"], np.minimum(seeds["b_opt"], seeds["n_train"]), seeds["momentum"], exact=False
    )
    color = plots.COLORS["ours"]
    ax.plot([x_of(v) for v in seeds[by]], g_seed, ".", color=color, alpha=0.35, label="each seed")
    x = np.array([x_of(v) for v in bopt[by]], dtype=float)
    inner = bopt["interior"].to_numpy(bool)
    trained = bopt["trained"].to_numpy(bool)
    g = bopt["g_opt"].to_numpy(float)
    ax.plot(x[inner & trained], g[inner & trained], "o-", color=color, label="seed-mean curve")
    _untrained(ax, x, g, trained, "g at the argmax")
    _edge_bounds(ax, x, g, np.where(trained, bopt["edge"].to_numpy(), ""), color, "g")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _ticks_at(ax, [x_of(v) for v in bopt[by]])
    plots.plain_log_labels(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(r"$g_\mathrm{opt} = \epsilon N / (B_\mathrm{opt}(1 - m))$")
    _legend_below(ax, legend_kw)


# ------------------------------------------------------------------------------------ the chapter's figures
def fig_memorisation(res):
    """Fig. 1: train and test accuracy against λ, random and informative labels."""
    table, scale = res.table("evidence"), res.scale("evidence")
    fig, axes = plots.plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 3.6), sharey=True)
    plot_memorisation(axes, table)
    fig.suptitle(f"Fig. 1: accuracy against λ, N = {SCALES[scale].evidence.n_train} ({scale} scale)")
    return fig


def fig_evidence(res):
    """Fig. 2: test cross-entropy and E/N with its depth and breadth against λ."""
    fig, axes = plots.plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 4.0), sharey=True)
    plot_evidence(axes, res.table("evidence"))
    axes[0].set_ylim(-0.8, 2.5)
    fig.suptitle(f"Fig. 2: cross-entropy and evidence against λ ({res.scale('evidence')} scale)")
    return fig


def fig_evidence_vs_test_loss(res):
    """Fig. 3: E/N against the test cross-entropy, one curve per label-noise level."""
    table = res.table("evidence")
    fig, ax = plots.plt.subplots(figsize=(6.4, 4.2))
    plot_evidence_vs_test_loss(ax, table)
    ax.set_title(
        f"Fig. 3: evidence against test loss ({res.scale('evidence')} scale, means of {table['seed'].nunique()} seeds)"
    )
    return fig


def fig_accuracy_vs_batch(res):
    """Fig. 4: final test accuracy against B, one curve per learning rate."""
    scale = res.scale("sweeps")
    fig, ax = plots.plt.subplots(figsize=(plots.COLUMN_IN, 4.4))
    plot_accuracy_vs_batch(ax, sweep(res, "lr"), "lr", lambda e: f"ε = {e:g}")
    ax.set_ylim(max(0.0, ax.get_ylim()[0]), 1.0)
    title = f"m = {SCALES[scale].sweeps.momentum}; ▼ = $B_\\mathrm{{opt}}$\n(▽: at the grid's edge)"
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5), title=title)
    ax.set_title(f"Fig. 4: test accuracy against batch size ({scale} scale)")
    return fig


def fig_bopt_vs_lr(res):
    """Fig. 5: B_opt and g_opt against the learning rate."""
    summary, lr = sweep_summary(res), sweep(res, "lr")
    fig, axes = plots.plt.subplots(2, 1, figsize=(plots.COLUMN_IN, 10))  # room for the legends below the axes
    xlabel = "learning rate ε (log scale)"
    plot_bopt(axes[0], lr, "lr", summary["lr_slope"], xlabel=xlabel, trained_slope_band=summary["lr_slope_trained"])
    plot_noise_scale(axes[1], lr, "lr", xlabel=xlabel)
    fig.suptitle(f"Fig. 5: the optimum batch size and its noise scale against ε ({res.scale('sweeps')} scale)")
    return fig


def _accuracy_and_bopt(res, name: str, by: str, *, label, legend_title: str, xlabel: str, x_of, beside=None):
    """An accuracy-against-B panel and a B_opt panel for one sweep (Figs. 6 and 7); ``beside`` as in
    :func:`plot_bopt`."""
    table = sweep(res, name)
    fig, axes = plots.plt.subplots(2, 1, figsize=(plots.COLUMN_IN, 10))  # room for the legends below the axes
    plot_accuracy_vs_batch(axes[0], table, by, label)
    axes[0].set_ylim(max(0.0, axes[0].get_ylim()[0]), 1.0)
    axes[0].legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, title=legend_title)
    plot_bopt(axes[1], table, by, sweep_summary(res)[f"{name}_slope"], xlabel=xlabel, x_of=x_of, beside=beside)
    return fig


def fig_training_set_size(res):
    """Fig. 6: accuracy against B for several N, and B_opt against N (on the full MNIST where stored)."""
    setting = n_setting(res)
    scale = "paper scale, full MNIST" if setting == "full" else f"{setting} scale"
    pool = sweep_summary(res).get("n_pool")  # the pool's sweep, shown before the full MNIST's
    fig = _accuracy_and_bopt(
        res,
        "n",
        "n_train",
        label=lambda n: f"N = {n}",
        legend_title=f"ε = {sweeps.setting(setting).n_lr:g}; ▼ = $B_\\mathrm{{opt}}$",
        xlabel="training-set size N (log scale)",
        x_of=lambda v: v,
        beside=None if pool is None else (pool, "$B_\\mathrm{opt}$ on the 10,999-image pool (seed mean)"),
    )
    fig.suptitle(f"Fig. 6: accuracy against B for several N, and $B_\\mathrm{{opt}}$ against N ({scale})")
    return fig


def fig_momentum(res):
    """Fig. 7: accuracy against B for several momenta, and B_opt against 1/(1 - m)."""
    scale = res.scale("sweeps")
    fig = _accuracy_and_bopt(
        res,
        "momentum",
        "momentum",
        label=lambda m: f"m = {m:g}",
        legend_title=f"ε = {SCALES[scale].sweeps.momentum_lr:g}; ▼ = $B_\\mathrm{{opt}}$",
        xlabel="1/(1 − m) (log scale)",
        x_of=lambda m: 1 / (1 - m),
    )
    fig.suptitle(f"Fig. 7: momentum and the optimum batch size ({scale} scale)")
    return fig
