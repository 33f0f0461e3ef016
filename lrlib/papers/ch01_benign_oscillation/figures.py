"""Chapter 1's figures, one function per figure of ``book/01-benign-oscillation.ipynb``.

Each draws from the data, the 1-D map or the chapter's loaded results (``load(run)`` of the package)
and returns the matplotlib figure. Nothing here computes a result or checks a claim.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import plots
from ...experiment import Results
from .analysis import (
    LR_NAMES,
    clean_separation,
    curves,
    member_arrays,
    min_over_classes,
    part_entry,
    per_member,
    sweep_summary,
)
from .data import PatchData
from .scales import DATA_MODEL, NETWORK, SCALES, DataModel
from .theory import K_TOUCHES_ZERO, OSCILLATION_DELTA, map_orbit, map_summary, orbit_bounds, weak_growth_per_step


def _lr_colors():
    from ...plots import COLORS

    return {"small": COLORS["small_lr"], "large": COLORS["large_lr"]}


def data_model(points: dict[str, PatchData], dm: DataModel = DATA_MODEL, n_test_shown: int = 6, coords: int = 12):
    """Fig. 1: the training points and a few weak-only test points, patch by patch (the first ``coords``
    coordinates of each patch), and the patches' energies."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import SymLogNorm

    train, test = points["train"], points["weak_test"]
    x = torch.cat([train.x, test.x[:n_test_shown]])[:, :, :coords]  # [rows, 3, coords]
    gap = torch.full((x.shape[0], 3, 1), float("nan"), dtype=x.dtype)
    shown = torch.cat([x, gap], dim=2).flatten(1)[:, :-1].numpy()  # patches side by side
    labels = torch.cat([train.y, test.y[:n_test_shown]]).numpy()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 4.2), width_ratios=[2.3, 1])
    im = ax.imshow(
        shown,
        aspect="auto",
        cmap="RdBu_r",
        interpolation="nearest",
        norm=SymLogNorm(linthresh=dm.sigma_p / 2, vmin=-dm.u_norm, vmax=dm.u_norm),
    )
    ax.grid(False)
    ax.axhline(len(train) - 0.5, color="black", linewidth=1.5)
    ax.set_xticks([p * (coords + 1) + 0.5 for p in range(3)], ["e₁ e₂"] * 3, fontsize=7)  # first two columns
    for p, text in enumerate(["patch 1: y·u or 0", "patch 2: y·v", "patch 3: noise ξ"]):
        ax.text(p * (coords + 1) + (coords - 1) / 2, -1.0, text, ha="center", va="bottom", fontsize=9)
    rows = [f"{'strong' if s else 'weak'} train, y = {int(y):+d}" for s, y in zip(train.strong.tolist(), labels)]
    rows += [f"weak-only test, y = {int(y):+d}" for y in labels[len(train) :]]
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_xlabel(
        f"the first {coords} of the d = {dm.d} coordinates of each patch\n"
        "(u along e₁, v along e₂, ξ orthogonal to both)"
    )
    ax.set_title(
        f"{len(train)} training points ({dm.n_strong} strong + {dm.n_weak} weak), {n_test_shown} weak-only test points",
        pad=22,
    )
    fig.colorbar(im, ax=ax, label="coordinate value (symmetric log scale)", shrink=0.9)

    energies = {
        "‖u‖²": dm.u_norm**2,
        "‖v‖²": dm.v_norm**2,
        "‖ξ‖²\n(mean)": float(train.noise.square().sum(1).mean()),
    }
    bars = bx.bar(range(3), list(energies.values()), color=["#444444", "#0173b2", "#b0b0b0"])
    bx.bar_label(bars, [f"{e:.3g}" for e in energies.values()])
    bx.set_xticks(range(3), list(energies), fontsize=9)
    bx.set(
        yscale="log",
        ylabel="squared norm",
        title="The patches' energies",
        ylim=(min(energies.values()) / 3, max(energies.values()) * 3),
    )
    return fig


def map_orbits(ks=None, dm: DataModel = DATA_MODEL, budget: int | None = None):
    """Fig. 2: the 1-D map's orbit and its time average against k = η/η*, and the steps the weak feature needs to
    grow a thousandfold at the predicted rate (``budget``: the training length, drawn as a line)."""
    import matplotlib.pyplot as plt

    from ...plots import COLORS

    ks = np.linspace(0.5, 1.75, 501) if ks is None else np.asarray(ks)
    orbit = map_orbit(ks, steps=20_000, burn_in=2000)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 3.8))
    shown = orbit[:, -150:]
    ax.plot(np.repeat(ks, shown.shape[1]), shown.ravel(), ",", color="#555555", alpha=0.5)
    ax.plot([], [], ".", color="#555555", label="orbit of f ← f(1 − k(f − 1))²")
    ax.plot(ks, orbit.mean(1), color=COLORS["large_lr"], linewidth=2, label="its time average")
    low, high = orbit_bounds(ks)
    inside = ks > 1
    ax.plot(ks[inside], low[inside], "--", color=COLORS["theory"], label="bounds (closed form)")
    ax.plot(ks[inside], high[inside], "--", color=COLORS["theory"])
    ax.axhline(1.0, color="black", linewidth=0.8)
    for a in (ax, bx):
        a.axvline(1.0, color=COLORS["paper"], linestyle=":", linewidth=1.2)
        a.axvline(K_TOUCHES_ZERO, color=COLORS["paper"], linestyle=":", linewidth=1.2)
    ax.text(1.0, 1.72, " η*", color=COLORS["paper"], va="top", fontsize=8)
    ax.annotate(
        "reaches 0 from\nk = 3√3/2 − 1",
        xy=(K_TOUCHES_ZERO, 1.69),
        xytext=(1.43, 1.72),
        va="top",
        ha="right",
        color=COLORS["paper"],
        fontsize=8,  # in the empty corner above the orbit's bound
        arrowprops={"arrowstyle": "->", "color": COLORS["paper"], "linewidth": 0.8},
    )
    ax.set(
        xlabel="k = η/η*",
        ylabel="y·f on a strong point",
        ylim=(-0.03, 1.75),
        title="A strong point settles for k < 1, oscillates above",
    )
    ax.legend(loc="lower left", fontsize=8)

    ks_growth = np.linspace(1.005, 1.59, 118)
    steps_needed = np.log(1000.0) / weak_growth_per_step(ks_growth, dm)
    bx.plot(ks_growth, steps_needed, color=COLORS["large_lr"], linewidth=2)
    if budget:
        bx.axhline(budget, color="black", linewidth=0.8)
        bx.text(0.52, budget, f" {budget:,} steps", va="bottom", fontsize=8)
    bx.set(
        yscale="log",
        xlim=(0.5, 1.75),
        ylim=(1e3, 1e7),
        xlabel="k = η/η*",
        ylabel="SGD steps for ⟨w, y·v⟩ to grow 1000×",
        title="…so the weak feature grows (1-D prediction)",
    )
    bx.text(0.75, 2e3, "k < 1: never", ha="center", fontsize=9)
    return fig


def dynamics(res: Results, seed_id: int = 0):
    """Fig. 3: every step's loss (on the sampled point) over training, and y·f on the strong training points at
    every step of the window, for one seed of each learning rate."""
    entry = part_entry(res, "main")
    import matplotlib.pyplot as plt

    s = SCALES[entry.config["scale"]]
    members = member_arrays(entry)
    colors = _lr_colors()
    loss = entry.arrays["batch_loss"]
    fig, axes = plt.subplots(2, 2, figsize=(plots.COLUMN_IN, 6.4), sharey="row")
    t = entry.table
    strong_ids = range(DATA_MODEL.n_strong)  # sample_points puts the strong points first
    for col, (name, r) in enumerate((("small", s.small_lr), ("large", s.large_lr))):
        k = int(members.index[np.isclose(members["lr_ratio"], r) & (members["seed_id"] == seed_id)][0])
        member = int(members.at[k, "member"])
        ax = axes[0, col]
        ax.plot(np.arange(loss.shape[1]), loss[k], ",", color=colors[name], alpha=0.6)
        ax.axvline(s.steps // 2, color="black", linewidth=0.8, linestyle=":")
        frac = members.at[k, "oscillation_fraction"]
        ax.set(
            yscale="log",
            ylim=(1e-9, 3),
            xlabel="SGD step",
            ylabel="loss (y·f − 1)² of the sampled point",
            title=f"{LR_NAMES[name]}, η = {r:g} η*: {frac:.0%} of the strong steps\n"
            f"of the first half oscillate (|y·f − 1| ≥ {OSCILLATION_DELTA})",
        )
        ax.axhline(OSCILLATION_DELTA**2, color="black", linewidth=0.8)
        ax.axvspan(*s.window, color="#dddddd", zorder=0)
        bx = axes[1, col]
        rows = t[(t["member"] == member) & ~t["final"] & t["step"].between(s.window[0], s.window[1] - 1)]
        for i in strong_ids:
            bx.plot(rows["step"], rows[f"yf.{i}"], color=colors[name], alpha=0.35, linewidth=0.8)
        bx.axhspan(1 - OSCILLATION_DELTA, 1 + OSCILLATION_DELTA, color="#eeeeee", zorder=0)
        bx.axhline(1.0, color="black", linewidth=0.8)
        bx.set(
            xlabel="SGD step (the grey window above)",
            ylabel="y·f on each strong training point",
            title=f"{LR_NAMES[name]}: y·f at every step of the window",
        )
    axes[1, 0].set_ylim(-0.05, 2.0)
    return fig


def features_learned(res: Results):
    """Fig. 4: what is learned: max_r ⟨w, ±u⟩, max_r ⟨w, ±v⟩ (log) and the largest noise overlap, seeds shown."""
    entry = part_entry(res, "main")
    import matplotlib.pyplot as plt

    s = SCALES[entry.config["scale"]]
    for name in ("u", "v"):
        min_over_classes(entry, name)
    colors = _lr_colors()
    fig, axes = plt.subplots(3, 1, figsize=(plots.COLUMN_IN, 9.0))
    panels = (
        ("overlap.u", r"strong feature: $\min_j \max_r \langle w_{j,r}, j\cdot u\rangle$", "linear"),
        ("overlap.v", r"weak feature: $\min_j \max_r \langle w_{j,r}, j\cdot v\rangle$", "log"),
        ("overlap.noise_max", r"noise: $\max_{j,r,i} |\langle w_{j,r}, \xi_i\rangle|$", "log"),
    )
    for ax, (column, title, yscale) in zip(axes, panels):
        for name, r in (("small", s.small_lr), ("large", s.large_lr)):
            steps, values = curves(entry, r, column, steps_every=s.checkpoint_every)
            for row in values:
                ax.plot(steps, row, color=colors[name], alpha=0.35, linewidth=0.8)
            ax.plot(
                steps,
                np.nanmedian(values, 0),
                color=colors[name],
                linewidth=2,
                label=f"{LR_NAMES[name]} η = {r:g} η* (median; thin: each of {len(values)} seeds)",
            )
        ax.set(yscale=yscale, xlabel="SGD step", ylabel="inner product (input units, ‖u‖ = 1)", title=title)
    dm = DATA_MODEL
    steps, values = curves(entry, s.large_lr, "overlap.v", steps_every=s.checkpoint_every)
    median = np.nanmedian(values, 0)
    start = int(np.argmax(median >= 0.01)) if (median >= 0.01).any() else None
    if start:  # the 1-D prediction's slope, anchored where the median is 0.01
        rate = float(weak_growth_per_step(s.large_lr, dm))
        span = np.linspace(steps[start], min(steps[-1], steps[start] + np.log(100) / rate), 50)
        (line,) = axes[1].plot(
            span,
            median[start] * np.exp(rate * (span - steps[start])),
            "--",
            color="black",
            linewidth=1.2,
            label=f"slope predicted by the 1-D map\nat {s.large_lr:g} η*",
        )
        axes[1].legend(handles=[line], fontsize=8, loc="upper left")
    axes[1].axhline(NETWORK.sigma0 * dm.v_norm, color="black", linestyle=":", linewidth=1)
    axes[1].text(0, NETWORK.sigma0 * dm.v_norm, " init scale σ0‖v‖", va="bottom", fontsize=8)
    axes[0].legend(fontsize=8, loc="lower right")
    return fig


def weak_accuracy(res: Results):
    """Fig. 5: weak-only test accuracy over training for both learning rates (mean, min–max band, seeds)."""
    entry = part_entry(res, "main")
    import matplotlib.pyplot as plt

    from ...plots import seed_band

    s = SCALES[entry.config["scale"]]
    colors = _lr_colors()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, r in (("small", s.small_lr), ("large", s.large_lr)):
        steps, values = curves(entry, r, "accuracy.weak_test", steps_every=s.checkpoint_every)
        seed_band(ax, steps, values, label=f"{LR_NAMES[name]}, η = {r:g} η*", color=colors[name])
    ax.axhline(0.5, color="black", linewidth=0.8, linestyle=":")
    ax.set(
        xlabel="SGD step",
        ylabel=f"accuracy on {DATA_MODEL.n_weak_test} weak-only test points",
        ylim=(0.4, 1.02),
        title="Weak-only test accuracy during training",
    )
    ax.legend(loc="center right", fontsize=9)
    return fig


def lr_sweep(res: Results):
    """Fig. 6: final weak-only accuracy and the oscillation fraction against η/η*, seeds as points."""
    entry = part_entry(res, "lr-sweep")
    import matplotlib.pyplot as plt

    from ...plots import COLORS

    pm = per_member(entry)
    summary = sweep_summary(entry)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plots.COLUMN_IN, 4.0))
    ok = pm["stop_reason"] != "diverged"
    jitter = 0.012 * (pm["seed_id"] - pm["seed_id"].mean())
    ax.scatter(
        pm.loc[ok, "lr_ratio"] + jitter[ok],
        pm.loc[ok, "weak_test"],
        color=COLORS["ours"],
        alpha=0.6,
        s=18,
        label="one seed",
    )
    ax.scatter(
        pm.loc[~ok, "lr_ratio"] + jitter[~ok],
        np.full((~ok).sum(), 0.42),
        marker="x",
        color=COLORS["diverged"],
        label="diverged (drawn at the bottom)",
    )
    ax.plot(
        summary["lr_ratio"],
        summary["weak_test_mean"],
        color=COLORS["ours"],
        label="mean over seeds that did not diverge",
    )
    bx.scatter(
        pm.loc[ok, "lr_ratio"] + jitter[ok],
        pm.loc[ok, "oscillation_fraction"],
        color=COLORS["ours"],
        alpha=0.6,
        s=18,
        label="training (first half), one seed",
    )
    ks = np.linspace(0.1, 1.75, 331)
    bx.plot(
        ks,
        map_summary(ks, steps=4000)["oscillating steps"],
        color=COLORS["theory"],
        label="1-D map: share of orbit with |f − 1| ≥ 0.2",
    )
    for a in (ax, bx):
        for k, text in ((1.0, "η*"), (1.6, "1.6 η*")):
            a.axvline(k, color=COLORS["paper"], linestyle=":", linewidth=1.2)
            a.text(k, 1.04, text, color=COLORS["paper"], ha="center", fontsize=8)
        a.set(xlabel="η/η*", ylim=(0.4 if a is ax else -0.02, 1.07))
    ax.set(ylabel="final weak-only test accuracy", title="The weak feature is learned only above η*")
    bx.set(
        ylabel=f"fraction of strong steps with |y·f − 1| ≥ {OSCILLATION_DELTA}",
        title="Oscillation: measured in training and in the 1-D map",
    )
    ax.legend(fontsize=8, loc="upper left")
    bx.legend(fontsize=8, loc="center left")  # the upper left holds the η* label
    return fig


def noise_window(res: Results):
    """Fig. 7: final weak-only accuracy of both learning rates against the noise energy E‖ξ‖²/‖v‖²."""
    entry = part_entry(res, "noise-window")
    import matplotlib.pyplot as plt

    s = SCALES[entry.config["scale"]]
    pm = per_member(entry)
    summary = sweep_summary(entry, by=("noise_to_weak", "lr_ratio"))
    colors = _lr_colors()
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    for name, r in (("small", s.small_lr), ("large", s.large_lr)):
        mine = pm[np.isclose(pm["lr_ratio"], r)]
        ok = mine["stop_reason"] != "diverged"
        shift = 1.04 if name == "large" else 1 / 1.04
        ax.scatter(
            mine.loc[ok, "noise_to_weak"] * shift, mine.loc[ok, "weak_test"], color=colors[name], alpha=0.5, s=16
        )
        line = summary[np.isclose(summary["lr_ratio"], r)]
        ax.plot(
            line["noise_to_weak"],
            line["weak_test_mean"],
            "o-",
            color=colors[name],
            label=f"{LR_NAMES[name]}, η = {r:g} η* (mean; dots: seeds)",
        )
    ax.axvline(DATA_MODEL.noise_to_weak, color="black", linestyle=":", linewidth=1)
    ax.text(DATA_MODEL.noise_to_weak, 1.03, " the chapter's setting", fontsize=8)
    clean = clean_separation(entry, s.small_lr, s.large_lr)
    ratios = sorted(pm["noise_to_weak"].unique())
    runs = []  # the clean ratios, grouped into runs of neighbours in the sweep
    for i, r in enumerate(ratios):
        if r in clean:
            if runs and ratios.index(runs[-1][-1]) == i - 1:
                runs[-1].append(r)
            else:
                runs.append([r])
    for i, run in enumerate(runs):  # shaded a third of an octave beyond the outer clean ratios
        ax.axvspan(
            run[0] / 2 ** (1 / 3),
            run[-1] * 2 ** (1 / 3),
            color="#eeeeee",
            zorder=0,
            label=None if i else "clean separation: every large-LR seed ≥ 0.9, small-LR mean ≤ 0.75",
        )
    ax.set_xscale("log")
    ax.set_xticks(list(s.noise_ratios), [f"{r:g}" for r in s.noise_ratios])
    ax.minorticks_off()
    ax.set(
        xlabel="noise energy E‖ξ‖² / ‖v‖²",
        ylabel="final weak-only test accuracy",
        ylim=(0.4, 1.07),
        title="Where the two learning rates separate cleanly (shaded)"
        if clean
        else "No noise energy separates the two learning rates cleanly",
    )
    ax.legend(fontsize=8, loc="lower left")
    return fig
