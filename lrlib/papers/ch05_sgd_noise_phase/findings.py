"""Every number chapter 5's prose quotes, computed from a run's results (:mod:`lrlib.findings`).

Quantities read off one cell of the paper grid (e.g. the error at α = 2^-14, T = 2^-15) are NaN where the grid
shown has no such cell (the smoke scale); the prose quotes them under "At paper scale".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...experiment import Results
from ...findings import Findings
from ...stats import frame_slope
from . import analysis as A
from .claims import P7_ALPHA_MIN, P7_TEMPS
from .data import dataset_size
from .experiments import lazy_part
from .scales import NOISE_DOMINATED, PAPER_TEST, SCALES

NAN = float("nan")


def _e(k: int) -> str:
    """A power of two's exponent in a finding key: ``m15`` for 2^-15, ``3`` for 2^3."""
    return f"m{-k}" if k < 0 else str(k)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _pow2(x: float) -> str:
    """A power of two for prose: ``2⁻¹²`` for 2^-12."""
    return "2" + str(round(math.log2(x))).translate(_SUPERSCRIPT)


def _log2(x: float) -> float:
    """log2 of a value that may be missing (NaN or None)."""
    return math.log2(x) if x is not None and np.isfinite(x) else NAN


def _at(frame: pd.DataFrame, T: float, alpha: float) -> float:
    """A cell of a (T × α) frame, NaN where the grid has no such cell."""
    try:
        return float(frame.loc[T, alpha])
    except KeyError:
        return NAN


class _Rows:
    """Adds the findings of one part at one scale (the part, its scale and its seeds given once)."""

    def __init__(self, out: Findings, part: str, scale: str, seeds: int | None) -> None:
        self.out, self.part, self.scale, self.seeds = out, part, scale, seeds

    def put(self, key: str, quantity: str, value, **kw) -> None:
        kw.setdefault("seeds", self.seeds)
        self.out.add(key, quantity, value, part=self.part, scale=self.scale, **kw)


def _phase(out: Findings, res: Results) -> None:
    table, scale = res.table("phase"), res.scale("phase")
    grid = SCALES[scale].phase
    f = _Rows(out, "phase", scale, grid.seeds)
    err = A.cell_means(table, "test_error")[2]
    fitted = table.groupby(["alpha", "T"])["status"].transform(lambda s: (s == "fitted").all())
    best_cells = table[fitted].groupby(["alpha", "T"])["test_error"].mean()
    best = best_cells.groupby(level=0).min()  # per α: the lowest seed-mean error of a fully fitted cell
    f.put("phase_runs", "runs in the phase grid", len(table))
    f.put("phase_P", "training points P", int(table["P"].iloc[0]))
    f.put("best_error", "lowest seed-mean test error of a fully fitted cell", float(best_cells.min()))
    f.put("best_alpha_log2", "log2 α of that cell", math.log2(best_cells.idxmin()[0]))
    f.put("best_T_log2", "log2 T of that cell", math.log2(best_cells.idxmin()[1]))
    f.put("best_error_low_alpha_min", "best error of a column, lowest over α ≤ 4", float(best[best.index <= 4].min()))
    f.put("best_error_low_alpha_max", "best error of a column, highest over α ≤ 4", float(best[best.index <= 4].max()))
    f.put("best_error_a3", "best error of the column α = 2^3", float(best.get(2.0**3, NAN)))
    f.put("best_error_a6", "best error of the column α = 2^6", float(best.get(2.0**6, NAN)))
    lazy_best = best[best.index >= 2**8]
    f.put(
        "best_error_lazy_min",
        "best error of a column α ≥ 2^8, lowest",
        float(lazy_best.min()) if len(lazy_best) else NAN,
    )
    f.put(
        "best_error_lazy_max",
        "best error of a column α ≥ 2^8, highest",
        float(lazy_best.max()) if len(lazy_best) else NAN,
    )
    for k in (-14, 2, 4):
        f.put(f"error_Tm15_a{_e(k)}", f"seed-mean test error at T = 2^-15, α = 2^{k}", _at(err, 2.0**-15, 2.0**k))
    for k in (-15, -7, -4):
        f.put(f"error_T{_e(k)}_a11", f"seed-mean test error at T = 2^{k}, α = 2^11", _at(err, 2.0**k, 2.0**11))
    f.put("error_Tm7_a6", "seed-mean test error at T = 2^-7, α = 2^6", _at(err, 2.0**-7, 2.0**6))
    for k in (-16, -6):
        f.put(f"error_T{_e(k)}_am2", f"seed-mean test error at T = 2^{k}, α = 2^-2", _at(err, 2.0**k, 0.25))
    bottom = err.loc[2.0**-20, err.columns <= 1] if 2.0**-20 in err.index else pd.Series(dtype=float)
    f.put(
        "bottom_error_min",
        "seed-mean test error at T = 2^-20, α ≤ 1: lowest",
        float(bottom.min()) if len(bottom) else NAN,
    )
    f.put(
        "bottom_error_max",
        "seed-mean test error at T = 2^-20, α ≤ 1: highest",
        float(bottom.max()) if len(bottom) else NAN,
    )
    _phase_cap_and_edge(f, table, grid)
    _phase_lazy_column_and_alpha(f, table)
    _phase_opposite_effects(f, table, res["phase"].complete)
    _phase_landmarks(f, table, grid, err)


def _phase_cap_and_edge(f: _Rows, table: pd.DataFrame, grid) -> None:
    floor = A.capped_floor(table, grid.runs_per_row)
    f.put("floor_T_log2", "log2 T of the row where every run hit the step cap", math.log2(floor) if floor else NAN)
    capped = table[table["status"] == "unfitted"].groupby("T").size()
    f.put("capped_Tm14", "runs that hit the step cap at T = 2^-14", int(capped.get(2.0**-14, 0)))
    below = [int(capped.get(2.0**k, 0)) for k in range(-15, -22, -1)]
    f.put(
        "capped_Tm15_to_Tm21",
        "runs that hit the step cap at T = 2^-15 … 2^-21",
        ", ".join(map(str, below[:-1])) + f" and {below[-1]}",
    )
    f.put(
        "capped_above_Tm14",
        "runs that hit the step cap above T = 2^-14 (at the edge)",
        int(capped[capped.index > 2.0**-14].sum()),
    )
    edge = A.stability_edge(table)
    f.put("diverged_cells", "cells with a diverged seed", edge["n_diverged_cells"])
    f.put("cells", "cells of the grid computed", edge["n_cells"])
    t_max = edge["T_max"][edge["T_max"].index <= 1].dropna().rename("T_max").rename_axis("alpha").reset_index()
    k = frame_slope(t_max, "alpha", "T_max")
    f.put("edge_k", "edge of stability T_max ∝ α^k, α ≤ 1: k", k.slope, uncertainty=k.stderr)
    f.put("edge_k_se", "standard error of k", k.stderr)
    f.put("edge_n_alpha", "values of α in that fit", k.n)
    diverged = A.diverged_runs(table)
    f.put("diverged_runs", "diverged runs (each counted as error 1)", diverged["n_diverged"])
    f.put("diverged_engine_below_one", "diverged runs the engine scored below 1", diverged["n_engine_below_one"])


def _phase_lazy_column_and_alpha(f: _Rows, table: pd.DataFrame) -> None:
    column = A.lazy_column_response(table)
    f.put(
        "lazy_column_weight_ratio", "lazy column: weight change, largest over smallest fully fitted T", column["ratio"]
    )
    fitted = table.groupby(["alpha", "T"])["status"].transform(lambda s: (s == "fitted").all())
    means = A.lazy_column(table[fitted]).groupby("T")["t_star"].mean()  # t* only where every seed fitted
    for k in (-16, -12):
        f.put(f"lazy_column_t_star_T{_e(k)}", f"lazy column: seed-mean t* at T = 2^{k}", float(means.get(2.0**k, NAN)))
    across = A.weight_change_across_alpha(table)
    ratios = across["ratios"]
    f.put("alpha_weight_ratio_min", "weight change, smallest over largest α: lowest over T", across["min_ratio"])
    f.put(
        "alpha_weight_ratio_max",
        "weight change, smallest over largest α: highest over T",
        max(ratios.values(), default=NAN),
    )
    for k in (-14, -17, -18, -19, -20, -21):
        f.put(
            f"alpha_weight_ratio_T{_e(k)}",
            f"weight change, smallest over largest α, at T = 2^{k}",
            ratios.get(2.0**k, NAN),
        )
    _lazy_column_time_and_cap(f, table)
    _weight_ratio_where_both_fit(f, table, across)


def _lazy_column_time_and_cap(f: _Rows, table: pd.DataFrame) -> None:
    column = A.lazy_column(table)
    capped = column.loc[column["status"] == "unfitted", "T"]
    f.put(
        "lazy_column_capped_T_max_log2",
        "lazy column: log2 of the largest T where a run hit the step cap",
        _log2(capped.max() if len(capped) else NAN),
    )
    slopes = A.lazy_column_t_star_slopes(table)
    for key, where in (("gd", "αT < 1"), ("noise", "αT ≥ 1")):
        fit = slopes[key]
        f.put(
            f"lazy_column_t_star_slope_{key}",
            f"lazy column: t* ∝ T^s over the fully fitted T with {where}: s",
            fit.slope,
            uncertainty=fit.stderr,
        )


def _weight_ratio_where_both_fit(f: _Rows, table: pd.DataFrame, across: dict) -> None:
    """The smallest-over-largest-α weight ratio split by whether every run of both columns fitted."""
    small, large, ratios = across["alpha_small"], across["alpha_large"], across["ratios"]
    f.put("alpha_ratio_small_log2", "log2 of the smallest α of that ratio", _log2(small))
    f.put("alpha_ratio_large_log2", "log2 of the largest α of that ratio", _log2(large))
    f.put("alpha_ratio_T_max_log2", "log2 of the largest T of that ratio", _log2(max(ratios, default=NAN)))
    pair = table[table["alpha"].isin([small, large]) & table["T"].isin(list(ratios))]
    fitted = pair.groupby("T")["status"].apply(lambda s: (s == "fitted").all())
    both = [ratios[T] for T in fitted.index[fitted.to_numpy()]]
    capped = pair.loc[pair["status"] == "unfitted", "T"]
    f.put(
        "alpha_weight_ratio_fitted_min",
        "that ratio over the T where every run of both columns fitted: lowest",
        min(both, default=NAN),
    )
    f.put(
        "alpha_weight_ratio_fitted_max",
        "that ratio over the T where every run of both columns fitted: highest",
        max(both, default=NAN),
    )
    f.put(
        "alpha_ratio_capped_T_min_log2",
        "log2 of the smallest T of that ratio where a run of either column hit the step cap",
        _log2(capped.min() if len(capped) else NAN),
    )
    f.put(
        "alpha_ratio_capped_T_max_log2",
        "log2 of the largest T of that ratio where a run of either column hit the step cap",
        _log2(capped.max() if len(capped) else NAN),
    )


def _phase_opposite_effects(f: _Rows, table: pd.DataFrame, complete: bool) -> None:
    f.put(
        "opposite_cells",
        "cells where raising T and lowering α move the error apart (> 2 SE)",
        len(A.opposite_effects(table)),
    )
    try:
        res = A.step_resolution(table, alpha_min=P7_ALPHA_MIN, temps=P7_TEMPS)
    except ValueError:  # the grid shown has no such cells
        res = {"step_T": NAN, "step_alpha": NAN, "needed": NAN, "sem": NAN, "n_cells": 0}
    for key, what in (("step_T", "step in T"), ("step_alpha", "step in α")):
        f.put(f"p7_{key}", f"lazy columns: median |change| of the error per factor-2 {what} (points)", 100 * res[key])
    f.put("p7_needed", "change a step needs to pass P7 (points)", 100 * res["needed"])
    f.put("p7_sem", "median standard error of a cell's mean (points)", 100 * res["sem"])
    f.put("p7_cells", "cells of the lazy columns P7's resolution uses", res["n_cells"])
    for key, what in (("T", "T"), ("alpha", "α")):
        f.put(
            f"p7_shortfall_{key}",
            f"how many times its median step in {what} a change must be to pass P7",
            res["needed"] / res[f"step_{key}"] if res[f"step_{key}"] else NAN,
        )
    topt = A.optimal_temperature(table)
    k = frame_slope(topt, "alpha", "T_opt") if complete and len(topt) >= 3 else None
    f.put(
        "topt_k",
        "T_opt ∝ α^k, α ≤ 1: k (not estimated on an incomplete grid)",
        k.slope if k else NAN,
        uncertainty=k.stderr if k else NAN,
        paper="2/3 = (D−1)/(D+1), D = 5",
        source="paper",
    )
    f.put("topt_k_se", "standard error of k", k.stderr if k else NAN)
    f.put("topt_n_alpha", "values of α in that fit", k.n if k else 0)


def _phase_landmarks(f: _Rows, table: pd.DataFrame, grid, err: pd.DataFrame) -> None:
    """Where the plane changes: the unstable rows, the edge, the runs capped at the edge, the ridge at small T,
    the lazy column at its ends, and how fine the test error is."""
    f.put("phase_runs_per_row", "runs in a row of the grid (every α and seed)", grid.runs_per_row)
    n_test = min(PAPER_TEST, dataset_size(grid.dataset) - grid.pool)
    f.put("phase_test_points", "test points of the phase grid", n_test)
    f.put("phase_test_point_error", "test error of one test point", 1 / n_test)
    diverged = table.groupby("T")["status"].apply(lambda s: (s == "diverged").all()).sort_index(ascending=False)
    top = diverged.index[: int(diverged.cumprod().sum())]  # the rows from the largest T down where all diverged
    f.put(
        "all_diverged_T_log2", "log2 of the smallest T from which up every run diverged", _log2(min(top, default=NAN))
    )
    t_max = A.stability_edge(table)["T_max"]
    large = t_max[t_max.index >= 2].unique()
    f.put(
        "edge_T_alpha_ge2_log2",
        "log2 of the edge of stability shared by every α ≥ 2 (NaN if they differ)",
        _log2(large[0] if len(large) == 1 else NAN),
    )
    f.put("edge_T_alpha_min_log2", "log2 of the edge of stability of the smallest α", _log2(t_max.iloc[0]))
    capped = table[(table["status"] == "unfitted") & (table["T"] > 2.0**-14)]
    cells = capped.groupby("T")["alpha"].apply(lambda a: " and ".join(_pow2(x) for x in sorted(a.unique())))
    f.put(
        "capped_above_Tm14_cells",
        "cells of the runs that hit the step cap above T = 2^-14",
        "; ".join(f"α = {alphas} at T = {_pow2(T)}" for T, alphas in cells.items()) or "none",
    )
    for key, agg in (("min", "min"), ("max", "max")):
        f.put(
            f"capped_above_Tm14_error_{key}",
            f"test error of those runs: {'lowest' if key == 'min' else 'highest'}",
            float(capped["test_error"].agg(agg)) if len(capped) else NAN,
        )
    _phase_small_T_ridge_and_noise(f, table, err, t_max)
    _phase_lazy_column_ends(f, table, err, t_max)


def _phase_small_T_ridge_and_noise(f: _Rows, table: pd.DataFrame, err: pd.DataFrame, t_max: pd.Series) -> None:
    """The ridge of the error in α at T = 2^-15, and the α up to which raising T to the edge lowers the error."""
    row = err.loc[2.0**-15] if 2.0**-15 in err.index else None
    f.put(
        "ridge_alpha_log2",
        "log2 of the α of the highest seed-mean error at T = 2^-15",
        _log2(row.idxmax()) if row is not None else NAN,
    )
    fitted = table.groupby(["alpha", "T"])["status"].apply(lambda s: (s == "fitted").all())
    smallest_fitted_T = fitted[fitted].reset_index().groupby("alpha")["T"].min()
    helps = NAN
    for alpha, T in t_max.dropna().items():  # α ascending
        T_low = smallest_fitted_T.get(alpha, NAN)
        if not err.at[T, alpha] < _at(err, T_low, alpha):
            break
        helps = alpha
    f.put(
        "noise_helps_alpha_max_log2",
        "log2 of the largest α up to which every column's error is lower at its edge than at its smallest fully "
        "fitted T",
        _log2(helps),
    )


def _phase_lazy_column_ends(f: _Rows, table: pd.DataFrame, err: pd.DataFrame, t_max: pd.Series) -> None:
    """The lazy column at its smallest fully fitted T and at its edge, and the edge of the best cell's column."""
    column = A.lazy_column(table)
    alpha = float(column["alpha"].iloc[0])
    fitted = column.groupby("T")["status"].apply(lambda s: (s == "fitted").all())
    T_fit = float(fitted.index[fitted.to_numpy()].min()) if fitted.any() else NAN
    f.put("lazy_column_alpha_log2", "log2 α of the lazy column (the largest α)", _log2(alpha))
    f.put("lazy_column_fitted_T_min_log2", "lazy column: log2 of the smallest T where every seed fitted", _log2(T_fit))
    f.put("lazy_column_error_fitted_T_min", "lazy column: seed-mean test error there", _at(err, T_fit, alpha))
    f.put("lazy_column_edge_T_log2", "lazy column: log2 of its edge of stability", _log2(t_max.get(alpha, NAN)))
    f.put("lazy_column_error_edge", "lazy column: seed-mean test error at its edge", _at(err, t_max.get(alpha), alpha))
    best = table[table.groupby(["alpha", "T"])["status"].transform(lambda s: (s == "fitted").all())]
    best_alpha = best.groupby(["alpha", "T"])["test_error"].mean().idxmin()[0]
    f.put(
        "best_alpha_edge_T_log2",
        "log2 of the edge of stability of the best cell's column",
        _log2(t_max.get(best_alpha, NAN)),
    )


def _lazy(out: Findings, res: Results) -> None:
    part = lazy_part(res)
    table, scale = res.table(part), res.scale(part)
    f = _Rows(out, part, scale, int(table["seed"].nunique()))
    tc, exps = A.tc_fit(table), A.lazy_exponents(table)
    summary = A.lazy_summary(table, tc["tc"]).set_index("P")
    small, large = summary.index.min(), summary.index.max()
    f.put("lazy_P_min", "smallest P of the sweep", int(small))
    f.put("lazy_P_max", "largest P of the sweep", int(large))
    f.put("lazy_a", "T_c ∝ P^(−a): a", tc["a"], uncertainty=tc["a_se"])
    f.put("lazy_a_se", "bootstrap standard error of a", tc["a_se"])
    f.put(
        "lazy_Tc_P_min_log2",
        "log2 T_c at the smallest P",
        math.log2(summary.at[small, "T_c"]) if np.isfinite(summary.at[small, "T_c"]) else NAN,
    )
    f.put(
        "lazy_Tc_P_max_log2",
        "log2 T_c at the largest P",
        math.log2(summary.at[large, "T_c"]) if np.isfinite(summary.at[large, "T_c"]) else NAN,
    )
    for key, what in (("delta", "δ: weight change ∝ T^δ"), ("gamma", "γ: weight change ∝ P^γ"), ("b", "b: t*/T ∝ P^b")):
        f.put(f"lazy_{key}", what, exps[key], uncertainty=exps[key + "_se"])
        f.put(f"lazy_{key}_se", f"standard error of {key}", exps[key + "_se"])
    f.put("lazy_gamma_over_delta", "γ/δ", exps["gamma_over_delta"])
    f.put("lazy_a_minus_ratio", "|a − γ/δ|", abs(tc["a"] - exps["gamma_over_delta"]))
    f.put("chi_eff", "effective depletion exponent 1/γ − 1", 1 / exps["gamma"] - 1)
    for P, name in ((small, "P_min"), (large, "P_max")):
        f.put(
            f"lazy_steps_{name}", f"median steps to fit at the smallest T, P = {P}", summary.at[P, "steps_smallest_T"]
        )
        f.put(
            f"lazy_error_drop_{name}",
            f"lowest error below the small-T plateau, P = {P} (fraction)",
            -summary.at[P, "change_vs_plateau"],
        )
    f.put(
        "lazy_first_T_diverged_log2",
        "log2 of the smallest T where a seed diverged, at the smallest P",
        math.log2(summary.at[small, "first_T_diverged"]) if np.isfinite(summary.at[small, "first_T_diverged"]) else NAN,
    )
    _lazy_resolution(f, table, tc)


def _lazy_resolution(f: _Rows, table: pd.DataFrame, tc: dict) -> None:
    """How finely the sweep resolves T_c: the span of P, how many values T_c takes, and the band of a."""
    Ps, Tc = sorted(table["P"].unique()), tc["tc"]["T_c"].dropna()
    f.put("lazy_n_P", "values of P in the sweep", len(Ps))
    f.put("lazy_P_span", "largest over smallest P", Ps[-1] / Ps[0])
    f.put("lazy_Tc_n_values", "distinct values T_c takes over P", int(Tc.nunique()))
    f.put(
        "lazy_flat_octaves",
        "octaves of T from the smallest T to the one below the smallest T_c",
        math.log2(Tc.min()) - 1 - math.log2(table["T"].min()) if len(Tc) else NAN,
    )
    f.put("lazy_a_2se_low", "a minus two bootstrap standard errors", tc["a"] - 2 * tc["a_se"])


def _lazy_offline(out: Findings, res: Results) -> None:
    """T_c on the data every machine has (MNIST offline: P to 8,192), for the page to compare with the full MNIST
    (the same numbers as the shown sweep's where that is the one shown)."""
    table = res.table("lazy")
    f = _Rows(out, "lazy", res.scale("lazy"), int(table["seed"].nunique()))
    tc = A.tc_fit(table)
    f.put("offline_P_max", "offline pool: largest P", int(table["P"].max()))
    f.put("offline_a", "offline pool: T_c ∝ P^(−a): a", tc["a"], uncertainty=tc["a_se"])
    f.put("offline_a_se", "offline pool: bootstrap standard error of a", tc["a_se"])
    f.put("offline_a_2se_low", "offline pool: a minus two bootstrap standard errors", tc["a"] - 2 * tc["a_se"])
    f.put("offline_Tc_n_values", "offline pool: distinct values T_c takes over P", int(tc["tc"]["T_c"].nunique()))


def _lazy_check(out: Findings, res: Results) -> None:
    check = res["lazy-check"]
    if not check.entries:  # the check seeds exist at paper scale only
        out.add(
            "check_Tc_agreement",
            "check seeds: T_c at every P compared with the first seeds",
            "no check seeds at this scale",
            part="lazy-check",
            scale=check.scale,
        )
        return
    f = _Rows(out, "lazy-check", check.scale, int(check.table["seed"].nunique()))
    tc, exps = A.tc_fit(check.table), A.lazy_exponents(check.table)
    f.put("check_a", "check seeds: a", tc["a"], uncertainty=tc["a_se"])
    f.put("check_gamma_over_delta", "check seeds: γ/δ", exps["gamma_over_delta"])
    same = A.tc_rule(check.table)["T_c"].to_numpy(), A.tc_rule(res.table("lazy"))["T_c"].to_numpy()
    f.put("check_same_Tc", "check seeds give the same T_c at every P", bool(np.array_equal(*same, equal_nan=True)))
    f.put(
        "check_Tc_agreement",
        "check seeds: T_c at every P compared with the first seeds",
        "the same" if np.array_equal(*same, equal_nan=True) else "not the same",
    )


def _perceptron(out: Findings, res: Results) -> None:
    table, scale = res.table("perceptron"), res.scale("perceptron")
    f = _Rows(out, "perceptron", scale, int(table["seed"].nunique()))
    d = int(table["d"].min())
    exps = A.perceptron_exponents(table, d=d).set_index("chi")
    cost = A.perceptron_noise_cost(table[table["d"] == d])
    noisy = table[table["fitted"] & (table["T_alpha"] >= NOISE_DOMINATED) & (table["d"] == d)]
    plateau = (noisy["u_perp"] / (noisy["T"] * np.sqrt(noisy["d"]))).groupby(noisy["chi"]).mean()
    for chi in (0.0, 1.0, 3.0):
        row = exps.loc[chi] if chi in exps.index else None
        for key, what in (("gamma", "γ: u∥ ∝ P^γ"), ("delta", "δ: u∥ ∝ T^δ"), ("b", "b: t*/T ∝ P^b")):
            value, se = (row[key], row[key + "_se"]) if row is not None else (NAN, NAN)
            f.put(f"perceptron_{key}_chi{chi:g}", f"χ = {chi:g}, d = {d}: {what}", value, uncertainty=se)
        f.put(
            f"perceptron_gamma_se_chi{chi:g}",
            f"χ = {chi:g}: standard error of γ",
            row["gamma_se"] if row is not None else NAN,
        )
        f.put(f"perceptron_plateau_chi{chi:g}", f"χ = {chi:g}: mean ‖u⊥‖/(T√d), Tα ≥ 64", float(plateau.get(chi, NAN)))
        f.put(
            f"perceptron_noise_cost_chi{chi:g}",
            f"χ = {chi:g}: error at Tα ≥ 64 over that at the smallest Tα",
            float(cost.get(chi, NAN)),
        )
    by_d = A.perceptron_exponents_by_d(table)
    for chi in (1.0, 3.0):
        g = by_d[by_d["chi"] == chi]
        for key, column in (("gamma", "gamma"), ("plateau", "perp_scaled_mean")):
            f.put(
                f"perceptron_{key}_chi{chi:g}_min_over_d",
                f"χ = {chi:g}: {key}, lowest over d",
                float(g[column].min()) if len(g) else NAN,
            )
            f.put(
                f"perceptron_{key}_chi{chi:g}_max_over_d",
                f"χ = {chi:g}: {key}, highest over d",
                float(g[column].max()) if len(g) else NAN,
            )
    f.put("perceptron_delta_min_over_d", "δ, lowest over χ and d", float(by_d["delta"].min()))
    f.put("perceptron_delta_max_over_d", "δ, highest over χ and d", float(by_d["delta"].max()))
    spread = by_d.groupby("chi")["perp_scaled_mean"].agg(lambda p: p.max() / p.min() - 1)
    f.put(
        "perceptron_plateau_spread_over_d",
        "plateau of ‖u⊥‖/(T√d): highest over lowest over d, minus 1, largest over χ",
        float(spread.max()),
    )
    collapse = noisy.assign(x=noisy["T"] * np.sqrt(d) * noisy["P"] ** (1 / (1 + noisy["chi"])))
    decades = collapse.groupby("chi")["x"].agg(lambda x: math.log10(x.max() / x.min()))
    f.put(
        "perceptron_collapse_decades",
        f"decades of T√d·P^γ that the runs with Tα ≥ {NOISE_DOMINATED} span at d = {d}, fewest over χ",
        float(decades.min()),
    )


def findings(res: Results) -> pd.DataFrame:
    """The chapter's findings table: one row per number the prose quotes."""
    out = Findings()
    for add in (_phase, _lazy, _lazy_offline, _lazy_check, _perceptron):
        add(out, res)
    return out.table()
