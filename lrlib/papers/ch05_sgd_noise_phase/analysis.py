"""Chapter 5's measurements: what the figures, the claims and the findings read off the three parts' tables.

The (α, T) grid: cell means, status masks, the edge of stability, the capped floor, the lazy column, the weight
change across α, the accounting of diverged runs, the optimal temperature, opposite effects of T and α and how well
single steps are resolved. The lazy sweep: the T_c rule and its fit over P, the exponents of the weight change and
the training time. The perceptron: its exponents in the noise-dominated regime, per χ and per d.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...stats import Fit, bootstrap_se, frame_slope, loglog_slope, resample_within, seed_bootstrap
from .scales import LAZY_SMALL_CHANGE, NOISE_DOMINATED, TC_RELATIVE

#: the column names of this chapter's tables, as the text writes them (for :func:`lrlib.tables.readable`)
COLUMNS = {
    "chi": "χ",
    "delta": "δ",
    "gamma": "γ",
    "gamma_theory": "γ, theory",
    "n_runs": "runs",
    "n_P": "values of P",
    "perp_slope_P": "slope of ‖u⊥‖/(T√d) against P",
    "b": "b: slope of t*/T against P",
    "t_slope_T": "slope of t* against T",
    "perp_scaled": "‖u⊥‖/(T√d), Tα ≥ 64",
    "plateau_error": "test error, small-T plateau",
    "T_c": "Tc",
    "lowest_error": "lowest test error",
    "T_lowest": "T of the lowest error",
    "change_vs_plateau": "lowest / plateau − 1",
    "steps_smallest_T": "steps at the smallest T (median)",
    "first_T_diverged": "smallest T that diverged",
}


# ==============================================================================================================
# The perceptron
# ==============================================================================================================
def perceptron_exponents(table: pd.DataFrame, *, d: int | None = None) -> pd.DataFrame:
    """Exponents of the perceptron in the noise-dominated regime (Tα ≥ 64), one row per χ.

    ``delta``: slope of u∥ against T (intercept per P); ``gamma``: slope of u∥ against P (intercept per T);
    ``perp_slope_P``: slope of ‖u⊥‖/(T√d) against P; ``b``: slope of t*/T against P; ``t_slope_T``: slope of t*
    against T (intercept per P). Fitted on all seeds' runs that fitted every point.
    """
    rows = []
    t = table[table["fitted"] & (table["T_alpha"] >= NOISE_DOMINATED)].copy()
    if d is not None:
        t = t[t["d"] == d]
    t["perp_scaled"] = t["u_perp"] / (t["T"] * np.sqrt(t["d"]))
    t["tstar_over_T"] = t["t_star"] / t["T"]
    for chi, g in t.groupby("chi"):
        f = dict(chi=chi, gamma_theory=1 / (1 + chi), n_runs=len(g), n_P=g["P"].nunique())
        for name, (x, y, by) in {
            "delta": ("T", "u_par", ["P", "d"]),
            "gamma": ("P", "u_par", ["T", "d"]),
            "perp_slope_P": ("P", "perp_scaled", ["T", "d"]),
            "b": ("P", "tstar_over_T", ["T", "d"]),
            "t_slope_T": ("T", "t_star", ["P", "d"]),
        }.items():
            fit = frame_slope(g, x, y, by)
            f[name], f[name + "_se"] = fit.slope, fit.stderr
        rows.append(f)
    return pd.DataFrame(rows)


def perceptron_noise_cost(table: pd.DataFrame) -> pd.Series:
    """Per χ: the mean test error of the noise-dominated runs (Tα ≥ 64) over that of the runs at the smallest
    Tα (the most gradient-descent-like), both averaged over P and seeds: how much noise costs the perceptron."""
    smallest = table[table["T_alpha"] == table["T_alpha"].min()].groupby("chi")["test_error"].mean()
    noisy = table[table["T_alpha"] >= NOISE_DOMINATED].groupby("chi")["test_error"].mean()
    return (noisy / smallest).rename("error ratio")


def perceptron_exponents_by_d(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`perceptron_exponents` for every dimension d, plus the plateau of ‖u⊥‖/(T√d) (mean, min, max over
    the runs with Tα ≥ 64): one row per (χ, d). The theory's laws carry no d beyond the √d in the scaling."""
    rows = []
    noisy = table[table["fitted"] & (table["T_alpha"] >= NOISE_DOMINATED)]
    plateau = (noisy["u_perp"] / (noisy["T"] * np.sqrt(noisy["d"]))).groupby([noisy["chi"], noisy["d"]])
    stats = plateau.agg(["mean", "min", "max"]).add_prefix("perp_scaled_")
    for d in sorted(table["d"].unique()):
        ex = perceptron_exponents(table, d=int(d)).assign(d=int(d))
        rows.append(ex.join(stats, on=["chi", "d"]))
    return pd.concat(rows, ignore_index=True)


# ==============================================================================================================
# The (α, T) phase grid
# ==============================================================================================================
def capped_floor(table: pd.DataFrame, runs_per_row: int) -> float | None:
    """The largest T at which every run of a complete row of the phase grid (``runs_per_row`` runs: every α and
    seed) hit the step cap unfitted, or None. The grid runs no row below it (:mod:`.experiments`): at a smaller dt
    the same number of steps covers less training time t = dt·steps along nearly the same gradient-descent-like
    path, so those runs cannot fit within the cap either, and each such row costs the full cap for every run."""
    n_runs = runs_per_row
    if table.empty:
        return None
    rows = table.groupby("T")["status"].agg(n="size", capped=lambda s: bool((s == "unfitted").all()))
    full = rows[(rows["n"] == n_runs) & rows["capped"]]
    return float(full.index.max()) if len(full) else None


def _on_grid(frame: pd.DataFrame, grid) -> pd.DataFrame:
    """A (T × α) pivot on the full grid ``(alphas, temps)``: cells with no runs are NaN."""
    return frame if grid is None else frame.reindex(index=sorted(grid[1]), columns=sorted(grid[0]))


def cell_means(table: pd.DataFrame, value: str, grid=None) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Seed means of ``value`` on the (T, α) grid: (alphas, temps, frame indexed by T with α columns). With
    ``grid = (alphas, temps)`` the frame covers that whole grid, NaN where nothing was computed."""
    m = _on_grid(table.pivot_table(index="T", columns="alpha", values=value, aggfunc="mean"), grid)
    return m.columns.to_numpy(float), m.index.to_numpy(float), m


def cell_table(table: pd.DataFrame, value: str, every: int = 3, scale: float = 1.0) -> pd.DataFrame:
    """Seed means of ``value`` × ``scale`` as a readable table: one row per T (largest first), every ``every``-th α
    and the largest, labelled as powers of two."""
    if every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    m = cell_means(table, value)[2]
    cols = m.columns[np.unique(np.r_[0 : len(m.columns) : every, len(m.columns) - 1])]
    out = (scale * m[cols]).iloc[::-1]
    out.index = [f"2^{math.log2(T):g}" for T in out.index]
    out.columns = [f"2^{math.log2(a):g}" for a in cols]
    return out.rename_axis(index="T", columns="α")


def status_masks(table: pd.DataFrame, grid=None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean [T, α] masks: some seed diverged; some seed hit the step cap without fitting."""

    def mask(status):
        v = table.assign(v=table["status"] == status).pivot_table(index="T", columns="alpha", values="v", aggfunc="max")
        return _on_grid(v, grid).fillna(False).to_numpy(bool)

    return mask("diverged"), mask("unfitted")


def stability_edge(table: pd.DataFrame) -> dict:
    """The edge of stability of the phase diagram: per α, the largest T of a cell where no seed diverged
    (``T_max``, NaN if every cell of the column diverged), and how many cells have a diverged seed."""
    ok = table.groupby(["alpha", "T"])["status"].apply(lambda s: (s != "diverged").all())
    stable = ok[ok].reset_index()
    t_max = stable.groupby("alpha")["T"].max().reindex(sorted(table["alpha"].unique()))
    return {"n_cells": len(ok), "n_diverged_cells": int((~ok).sum()), "T_max": t_max}


def lazy_column(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the largest α (the lazy column of the phase diagram)."""
    return table[table["alpha"] == table["alpha"].max()]


def lazy_column_response(table: pd.DataFrame) -> dict:
    """In the lazy column (claim S5), relative weight change at the largest T where every seed fitted over that at the
    smallest such T; and the log-log slope of t* against T over those T values (every seed), with whether the
    seed mean of t* is strictly increasing (it need not be at the smallest T, where αT < 1 and t* is flat).
    A run that diverged or hit the step cap has no t* (a capped run's dt × steps only bounds it from below)."""
    col = lazy_column(table)
    ok = col.groupby("T")["status"].apply(lambda s: (s == "fitted").all())
    temps = ok.index[ok.to_numpy()].to_numpy(float)
    means = col[col["T"].isin(temps)].groupby("T")[["rel_weight_change", "t_star"]].mean()
    ratio = means["rel_weight_change"].iloc[-1] / means["rel_weight_change"].iloc[0]
    t = means["t_star"].to_numpy()
    slope = frame_slope(col[col["T"].isin(temps)], "T", "t_star")
    return {
        "alpha": float(col["alpha"].iloc[0]),
        "T_small": float(temps[0]),
        "T_large": float(temps[-1]),
        "ratio": float(ratio),
        "t_star": t,
        "t_increasing": bool(np.all(np.diff(t) > 0)),
        "t_star_slope": slope.slope,
        "t_star_slope_se": slope.stderr,
    }


def lazy_column_t_star_slopes(table: pd.DataFrame) -> dict[str, Fit]:
    """Log-log slopes of t* against T in the lazy column (every seed), over the T where every seed fitted:
    ``"gd"`` below αT = 1, where SGD is gradient-descent-like, and ``"noise"`` from αT = 1 up."""
    col = lazy_column(table)
    ok = col.groupby("T")["status"].transform(lambda s: (s == "fitted").all())
    col = col[ok]
    below = col["alpha"] * col["T"] < 1
    return {"gd": frame_slope(col[below], "T", "t_star"), "noise": frame_slope(col[~below], "T", "t_star")}


def weight_change_across_alpha(table: pd.DataFrame) -> dict:
    """Relative weight change (claim S6) at the smallest α over that at the largest α, at every T where neither
    cell has a diverged seed; returns the smallest of these ratios. The smallest α is the smallest one that
    shares such a T with the largest α (at paper scale the smallest α diverge at every T computed so far)."""
    large = table["alpha"].max()
    g = table.groupby(["alpha", "T"])
    ok = g["status"].apply(lambda s: (s != "diverged").all())
    means = g["rel_weight_change"].mean()
    temps = sorted(table["T"].unique())
    small, ratios = large, {}
    for a in sorted(table["alpha"].unique()):
        common = [T for T in temps if ok.get((a, T), False) and ok.get((large, T), False)]
        if common and a < large:
            small = a
            ratios = {float(T): float(means[(a, T)] / means[(large, T)]) for T in common}
            break
    return {
        "alpha_small": float(small),
        "alpha_large": float(large),
        "ratios": ratios,
        "min_ratio": min(ratios.values()) if ratios else float("nan"),
    }


def diverged_runs(table: pd.DataFrame) -> dict:
    """How many runs diverged and how many of those count as error 1 (claim S7: all of them); also how many runs
    had a non-finite quantity without being flagged, and how many diverged runs the engine itself scored below 1
    (e.g. weights that overflowed while the output stayed finite)."""
    div = table[table["status"] == "diverged"]
    return {
        "n_runs": len(table),
        "n_diverged": len(div),
        "n_error_one": int((div["test_error"] == 1.0).sum()),
        "n_engine_below_one": int((div["engine_test_error"] < 1.0).sum()),
        "n_nonfinite_unflagged": int(
            (
                (~np.isfinite(table["rel_weight_change"]) | ~np.isfinite(table["engine_test_error"]))
                & (table["status"] != "diverged")
            ).sum()
        ),
        "n_zero_error_diverged": int((div["test_error"] == 0).sum()),
    }


def optimal_temperature(table: pd.DataFrame, alpha_max: float = 1.0) -> pd.DataFrame:
    """For each α ≤ ``alpha_max``: the T of the lowest seed-mean test error among cells with no diverged or
    unfitted seed (T_opt), to test T_opt ∝ α^k."""
    rows = []
    for a, g in table[table["alpha"] <= alpha_max].groupby("alpha"):
        ok = g.groupby("T")["status"].apply(lambda s: (s == "fitted").all())
        e = g[g["T"].isin(ok.index[ok.to_numpy()])].groupby("T")["test_error"].mean()
        if len(e):
            rows.append({"alpha": a, "T_opt": float(e.idxmin()), "error": float(e.min())})
    return pd.DataFrame(rows)


def opposite_effects(table: pd.DataFrame, z: float = 2.0) -> pd.DataFrame:
    """Cells where doubling T and halving α both change the seed-mean test error by more than ``z`` standard
    errors, in opposite directions (raising T helps while lowering α hurts, or the reverse)."""
    ok = table.groupby(["alpha", "T"])["status"].apply(lambda s: (s == "fitted").all())
    stats = table.groupby(["alpha", "T"])["test_error"].agg(["mean", "sem"])
    alphas, temps = sorted(table["alpha"].unique()), sorted(table["T"].unique())
    rows = []
    for i, a in enumerate(alphas[1:], start=1):
        for j, T in enumerate(temps[:-1]):
            cells = [(a, T), (a, temps[j + 1]), (alphas[i - 1], T)]
            if not all(ok.get(c, False) for c in cells):
                continue
            m0, s0 = stats.loc[(a, T)]
            dT = stats.loc[(a, temps[j + 1]), "mean"] - m0
            sT = math.hypot(s0, stats.loc[(a, temps[j + 1]), "sem"])
            dA = stats.loc[(alphas[i - 1], T), "mean"] - m0
            sA = math.hypot(s0, stats.loc[(alphas[i - 1], T), "sem"])
            if abs(dT) > z * sT and abs(dA) > z * sA and np.sign(dT) != np.sign(dA):
                rows.append({"alpha": a, "T": T, "d_err_raise_T": dT, "d_err_lower_alpha": dA})
    return pd.DataFrame(rows, columns=["alpha", "T", "d_err_raise_T", "d_err_lower_alpha"])


def step_resolution(table: pd.DataFrame, alpha_min: float, temps: tuple[float, float]) -> dict:
    """How well single factor-2 steps are resolved on the cells with α ≥ ``alpha_min`` and T in ``temps`` where
    every seed fitted: the median |change| of the seed-mean test error per step in T and per step in α, the
    median standard error of a cell's mean, and the change a step needs to pass P7's test (2 SE of a
    difference of two cell means with that SE)."""
    ok = table.groupby(["alpha", "T"])["status"].transform(lambda s: (s == "fitted").all())
    cells = table[ok & (table["alpha"] >= alpha_min) & table["T"].between(*temps)]
    if cells.empty:
        raise ValueError(f"no cell with every seed fitted at alpha >= {alpha_min:g} and T in {temps}")
    stats = cells.groupby(["T", "alpha"])["test_error"].agg(["mean", "sem"])
    m = stats["mean"].unstack().to_numpy()
    sem = float(stats["sem"].median())
    return {
        "step_T": float(np.nanmedian(np.abs(np.diff(m, axis=0)))),
        "step_alpha": float(np.nanmedian(np.abs(np.diff(m, axis=1)))),
        "sem": sem,
        "needed": 2 * math.sqrt(2) * sem,
        "n_cells": len(stats),
    }


# ==============================================================================================================
# The lazy sweep
# ==============================================================================================================
def lazy_summary(table: pd.DataFrame, tc: pd.DataFrame) -> pd.DataFrame:
    """One row per P of the lazy sweep: the small-T plateau error and T_c (from :func:`tc_rule`), the lowest
    seed-mean error of a T where no seed diverged and its T, the median steps to fit at the smallest T, and the
    smallest T at which a seed diverged."""
    rows = []
    tc = tc.set_index("P")
    for P, g in table.groupby("P"):
        by_T = g.groupby("T")
        stable = by_T["status"].apply(lambda s: bool((s != "diverged").all()))
        error = by_T["test_error"].mean()[stable]
        diverged = stable.index[~stable.to_numpy()]
        smallest = g[g["T"] == g["T"].min()]
        plateau = float(tc.at[P, "plateau_error"])
        rows.append(
            {
                "P": P,
                "plateau_error": plateau,
                "T_c": float(tc.at[P, "T_c"]),
                "lowest_error": float(error.min()),
                "T_lowest": float(error.idxmin()),
                "change_vs_plateau": float(error.min() / plateau - 1),
                "steps_smallest_T": float(smallest["steps"].median()),
                "first_T_diverged": float(diverged.min()) if len(diverged) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def lazy_fits(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The lazy sweep's fitted numbers for each named seed set: T_c per P, a, δ, γ, γ/δ, b, |a − γ/δ|."""
    rows = []
    for name, table in tables.items():
        tc, ex = tc_fit(table), lazy_exponents(table)
        row = {"seed set": name, "seeds": ", ".join(str(s) for s in sorted(table["seed"].unique()))}
        row.update({f"T_c(P={int(r.P)})": r.T_c for r in tc["tc"].itertuples()})
        row.update(
            {
                "a": tc["a"],
                "a_se": tc["a_se"],
                "delta": ex["delta"],
                "gamma": ex["gamma"],
                "gamma/delta": ex["gamma_over_delta"],
                "b": ex["b"],
                "|a - gamma/delta|": abs(tc["a"] - ex["gamma_over_delta"]),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index("seed set")


def tc_rule(table: pd.DataFrame, n_plateau: int = 3, relative: float = TC_RELATIVE) -> pd.DataFrame:
    """T_c(P), the temperature at which test error leaves its small-T plateau (operational rule).

    For each P: ``e(T)`` is the seed-mean test error over runs that did not diverge, at the T values where no
    more than half of the seeds diverged; the plateau is the mean of ``e`` over the ``n_plateau`` smallest T;
    ``T_c`` is the smallest T beyond those such that ``|e(T') − plateau| > relative × plateau`` for every
    ``T' ≥ T``. NaN if the error never leaves the plateau before divergence.
    """
    rows = []
    for P, g in table.groupby("P"):
        ok = g[g["status"] != "diverged"]
        keep = g.groupby("T")["status"].apply(lambda s: (s == "diverged").mean() <= 0.5)
        e = ok[ok["T"].isin(keep.index[keep.to_numpy()])].groupby("T")["test_error"].mean().sort_index()
        Tc = float("nan")
        if len(e) > n_plateau:
            plateau = e.iloc[:n_plateau].mean()
            away = (e - plateau).abs() > relative * plateau
            away.iloc[:n_plateau] = False
            persistent = away[::-1].cummin()[::-1]  # away here and at every larger T
            if persistent.any():
                Tc = float(persistent.index[persistent.to_numpy()][0])
            rows.append({"P": P, "plateau_error": plateau, "T_c": Tc})
        else:
            rows.append({"P": P, "plateau_error": float("nan"), "T_c": Tc})
    return pd.DataFrame(rows)


def _tc_exponent(tc: pd.DataFrame) -> float:
    """a of T_c ∝ P^(−a) by least squares over the P values where T_c exists (NaN with fewer than two)."""
    return -loglog_slope(tc["P"], tc["T_c"], min_points=2).slope


def tc_fit(table: pd.DataFrame, n_boot: int = 200, seed: int = 0) -> dict:
    """Fit T_c ∝ P^(−a) on the P values where T_c exists; the error bar is the bootstrap standard deviation of
    a over seeds resampled with replacement within each P (``n_boot`` resamples)."""
    tc = tc_rule(table)
    good = tc.dropna()
    out = {"tc": tc, "a": float("nan"), "a_se": float("nan"), "n_P": len(good)}
    if len(good) < 2:
        return out
    out["a"] = _tc_exponent(tc)
    by_P = {P: g["seed"].unique() for P, g in table.groupby("P")}  # seeds resampled within each P
    boots = seed_bootstrap(
        lambda picks: _tc_exponent(tc_rule(resample_within(table, picks, group="P"))), by_P, n_boot=n_boot, seed=seed
    )
    out["a_se"] = bootstrap_se(boots, min_finite=11)
    return out


def lazy_exponents(table: pd.DataFrame, small: float = LAZY_SMALL_CHANGE) -> dict:
    """Exponents of the lazy sweep, fitted on every seed's fitted runs.

    ``delta``, ``gamma``: relative weight change ≈ c·T^δ·P^γ, a joint least-squares fit of log Δw on log T and
    log P over runs whose change is below ``small`` (the lazy part); ``b``: slope of t*/T against P (intercept
    per T); ``t_slope_T``: slope of t* against T (intercept per P).
    """
    fitted = table[table["status"] == "fitted"]
    lazy = fitted[fitted["rel_weight_change"] < small]
    out = {"n_fit": len(lazy)}
    if len(lazy) >= 4 and lazy["P"].nunique() >= 2 and lazy["T"].nunique() >= 2:
        X = np.column_stack([np.log(lazy["T"]), np.log(lazy["P"]), np.ones(len(lazy))])
        yv = np.log(lazy["rel_weight_change"].to_numpy(float))
        coef, *_ = np.linalg.lstsq(X, yv, rcond=None)
        resid = yv - X @ coef
        cov = np.linalg.pinv(X.T @ X) * (resid @ resid) / max(len(yv) - 3, 1)
        out.update(
            delta=float(coef[0]),
            delta_se=float(math.sqrt(cov[0, 0])),
            gamma=float(coef[1]),
            gamma_se=float(math.sqrt(cov[1, 1])),
            log_c=float(coef[2]),
        )
        out["gamma_over_delta"] = out["gamma"] / out["delta"]
    else:
        out.update(
            delta=float("nan"),
            delta_se=float("nan"),
            gamma=float("nan"),
            gamma_se=float("nan"),
            gamma_over_delta=float("nan"),
        )
    f = fitted.assign(tstar_over_T=fitted["t_star"] / fitted["T"])
    b = frame_slope(f, "P", "tstar_over_T", "T")
    ts = frame_slope(f, "T", "t_star", "P")
    out.update(b=b.slope, b_se=b.stderr, t_slope_T=ts.slope, t_slope_T_se=ts.stderr)
    return out
