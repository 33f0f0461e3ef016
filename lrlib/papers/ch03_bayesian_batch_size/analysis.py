"""What the chapter measures: the evidence summaries (Figs. 1-3) and B_opt with its slopes (Figs. 4-7).

B_opt rule (stated before any run, from the spec): take the seed-mean final test accuracy against log2 B; at
its argmax, fit a parabola through the argmax and its two neighbours and take the vertex (clipped to the
neighbours); an argmax at either end of the grid is reported as that end and flagged ``interior = False``.

Slopes are least-squares fits of log B_opt on log eps (or log 1/(1 - m), log N) over the interior estimates;
their band is the 2.5-97.5 % range over a bootstrap of the seeds.

Added after the first paper-scale run, which the plan did not foresee: at eps >= 2 with m = 0.9 no batch size
trains the network (seed-mean test accuracy of 10 classes stays near chance at every B), and the argmax of such a
curve is noise, not an optimum. An eps whose best seed-mean accuracy is below :data:`TRAINED_ACCURACY` is flagged
``trained = False``; the planned claims still fit every interior estimate, and the fit over trained values only
is reported beside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from ...stats import loglog_slope, percentile_band, seed_bootstrap
from . import theory
from .sweeps import sweep_view

TRAINED_ACCURACY = 0.5  # halfway from chance (0.1) to perfect: a curve that never reaches it did not train


# ------------------------------------------------------------------------------------------- the evidence
def per_lam(table: pd.DataFrame, column: str, noise: float) -> pd.DataFrame:
    """[seeds, lams] array of ``column`` at one noise level, as a DataFrame indexed by seed, columns by lam."""
    sub = table[np.isclose(table["noise"], noise)]
    return sub.pivot(index="seed", columns="lam", values=column).sort_index(axis=1, ascending=False)


def evidence_summary(table: pd.DataFrame, memorise_below: float | None = None) -> dict:
    """The numbers the claims check, from one evidence table (seed means unless said otherwise).

    ``memorise_below``: also report the lowest random-label training accuracy over every seed and every
    lam <= this value (the spec's smoke check uses 0.03).
    """

    def mean_curve(column, noise):
        return per_lam(table, column, noise).mean(axis=0)

    lams = np.array(sorted(table["lam"].unique(), reverse=True))
    weakest = lams[-1]
    random_train = per_lam(table, "train_accuracy", 1.0)
    random_test = per_lam(table, "test_accuracy", 1.0)
    informative_test = per_lam(table, "test_accuracy", 0.0)
    ev_inf, ev_rand = per_lam(table, "evidence", 0.0), per_lam(table, "evidence", 1.0)
    ce_inf = mean_curve("test_ce", 0.0)
    e_inf = mean_curve("evidence", 0.0)
    memorised = (random_train >= 1.0).all(axis=0)  # every seed at 100% train accuracy
    seed_means = table.groupby(["noise", "lam"])[["evidence", "test_ce"]].mean()
    return {
        "lams": lams,
        "weakest_lam": float(weakest),
        "largest_memorising_lam": float(lams[memorised.to_numpy()].max()) if memorised.any() else float("nan"),
        "random_train_acc_weakest": float(random_train[weakest].min()),
        "random_train_acc_min_below": (
            float(random_train.loc[:, lams[lams <= memorise_below]].min().min())
            if memorise_below is not None
            else float("nan")
        ),
        "random_train_acc_1e-3": float(random_train[lams[np.argmin(np.abs(np.log10(lams) + 3))]].mean()),
        "random_test_acc_range": (float(random_test.min().min()), float(random_test.max().max())),
        "random_test_acc_weakest_mean": float(random_test[weakest].mean()),
        "informative_test_acc_min": float(informative_test.min().min()),
        "min_evidence_random": float(ev_rand.min().min()),
        "min_evidence_informative": float(ev_inf.mean(axis=0).min()),
        "evidence_gap_min": float((ev_rand - ev_inf).min().min()),  # random minus informative, worst seed and lam
        "spearman_informative": float(spearmanr(e_inf.to_numpy(), ce_inf.to_numpy()).statistic),
        "spearman_all": float(spearmanr(seed_means["evidence"], seed_means["test_ce"]).statistic),
        "argmax_evidence_lam": float(e_inf.idxmin()),
        "argmin_test_ce_lam": float(ce_inf.idxmin()),
    }


# ------------------------------------------------------------------------------------------------- B_opt
def optimal_batch_size(batch_sizes, accuracy) -> tuple[float, bool]:
    """B_opt by the rule in the module docstring: (estimate, interior?).

    >>> optimal_batch_size([2, 4, 8, 16], [0.90, 0.95, 0.95, 0.90])
    (5.656854249492381, True)
    """
    b = np.asarray(batch_sizes, dtype=float)
    acc = np.asarray(accuracy, dtype=float)
    if b.ndim != 1 or b.shape != acc.shape or len(b) < 3:
        raise ValueError(f"batch_sizes and accuracy must be 1-D of the same length >= 3, got {b.shape}, {acc.shape}")
    if np.any(np.diff(b) <= 0):
        raise ValueError(f"batch_sizes must increase strictly, got {b.tolist()}")
    k = int(np.nanargmax(acc))
    if k == 0 or k == len(b) - 1:
        return float(b[k]), False
    x = np.log2(b[k - 1 : k + 2])
    a2, a1, _ = np.polyfit(x, acc[k - 1 : k + 2], 2)
    if a2 >= 0:  # no concave vertex: keep the argmax
        return float(b[k]), True
    vertex = float(np.clip(-a1 / (2 * a2), x[0], x[2]))
    return float(2.0**vertex), True


def final_accuracy(table: pd.DataFrame, by: str, metric: str = "final") -> dict[float, pd.DataFrame]:
    """{value of ``by``: [seeds, batch sizes] test accuracy}: at the end of training (``metric="final"``, used
    for B_opt) or the best over the evaluations during training (``"best"``, every ``eval_every`` epochs)."""
    if metric == "final":
        rows = table[table["final"]]
    elif metric == "best":
        keys = [by, "seed", "batch_size"] + [c for c in ("lr", "momentum", "n_train") if c != by]
        rows = table.groupby(keys, as_index=False)["test_accuracy"].max()
    else:
        raise ValueError(f"metric must be 'final' or 'best', got {metric!r}")
    return {
        v: sub.pivot_table(index="seed", columns="batch_size", values="test_accuracy") for v, sub in rows.groupby(by)
    }


def bopt_table(table: pd.DataFrame, by: str, seeds=None) -> pd.DataFrame:
    """B_opt (seed-mean curve), interior flag, best and full-batch accuracy and g_opt, one row per ``by`` value;
    ``seeds``: the seeds to average (repeats allowed, as in a bootstrap resample), default all."""
    rows = []
    for value, acc in final_accuracy(table, by).items():
        sub = table[table[by] == value]
        lr, m, n = float(sub["lr"].iloc[0]), float(sub["momentum"].iloc[0]), int(sub["n_train"].iloc[0])
        mean = (acc if seeds is None else acc.loc[seeds]).mean(axis=0)
        b_opt, interior = optimal_batch_size(mean.index.to_numpy(), mean.to_numpy())
        rows.append(
            {
                by: value,
                "lr": lr,
                "momentum": m,
                "n_train": n,
                "b_opt": b_opt,
                "interior": interior,
                "b_argmax": int(mean.idxmax()),
                "edge": "" if interior else ("low" if b_opt == mean.index.min() else "high"),
                "best_accuracy": float(mean.max()),
                "trained": bool(mean.max() >= TRAINED_ACCURACY),
                "full_batch_accuracy": float(mean[n]) if n in mean.index else float("nan"),
                "g_opt": theory.noise_scale(lr, n, min(b_opt, n), m, exact=False),
            }
        )
    return pd.DataFrame(rows)


def spearman_band(table: pd.DataFrame, *, n_boot: int = 400, seed: int = 0) -> tuple[float, float]:
    """2.5–97.5 % seed-bootstrap band of the Spearman correlation across λ between the seed-mean evidence and the
    seed-mean test cross-entropy, informative labels (``spearman_informative`` of :func:`evidence_summary`)."""
    ev, ce = per_lam(table, "evidence", 0.0), per_lam(table, "test_ce", 0.0)

    def statistic(seeds) -> float:
        return float(spearmanr(ev.loc[seeds].mean(axis=0), ce.loc[seeds].mean(axis=0)).statistic)

    return percentile_band(seed_bootstrap(statistic, ev.index.to_numpy(), n_boot=n_boot, seed=seed), 0.95)


def bopt_band(table: pd.DataFrame, by: str, statistic, *, n_boot: int = 400, seed: int = 0) -> tuple[float, float]:
    """2.5–97.5 % seed-bootstrap band of ``statistic(bopt_table)``: how far a statistic of the B_opt table moves
    when the seeds are resampled (the uncertainty a smoke-scale claim on it must allow for)."""
    seeds = next(iter(final_accuracy(table, by).values())).index.to_numpy()
    boot = seed_bootstrap(lambda s: statistic(bopt_table(table, by, seeds=s)), seeds, n_boot=n_boot, seed=seed)
    return percentile_band(boot, 0.95)


def bopt_per_seed(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """B_opt of each seed's own accuracy curve (the rule above), one row per (``by`` value, seed)."""
    rows = []
    for value, acc in final_accuracy(table, by).items():
        for seed, curve in acc.iterrows():
            b_opt, interior = optimal_batch_size(curve.index.to_numpy(), curve.to_numpy())
            rows.append({by: value, "seed": seed, "b_opt": b_opt, "interior": interior})
    return pd.DataFrame(rows)


def format_bopt(bopt: pd.DataFrame) -> str:
    """B_opt values for prose: an optimum at the grid's edge is a bound (e.g. "≤ 2"), not an estimate."""
    sign = {"": "", "low": "≤ ", "high": "≥ "}
    return ", ".join(f"{sign[e]}{b:.3g}" for b, e in zip(bopt["b_opt"], bopt["edge"]))


def slope_with_band(
    table: pd.DataFrame,
    by: str,
    x_of,
    *,
    n_boot: int = 400,
    seed: int = 0,
    metric: str = "final",
    trained_only: bool = False,
):
    """Slope of log B_opt on log x(by) over interior estimates, and its 2.5-97.5 % seed-bootstrap band.

    ``x_of`` maps the ``by`` values to the x of the fit (e.g. eps, 1/(1 - m) or N). ``trained_only`` leaves out
    the values whose curve never reaches :data:`TRAINED_ACCURACY` (judged on the same seeds as the estimate).
    Returns (slope, (low, high), number of interior points used).
    """
    curves = final_accuracy(table, by, metric)
    keys = sorted(curves)
    seeds = curves[keys[0]].index.to_numpy()

    def slope_for(seed_choice):
        xs, ys = [], []
        for key in keys:
            mean = curves[key].loc[seed_choice].mean(axis=0)
            b_opt, interior = optimal_batch_size(mean.index.to_numpy(), mean.to_numpy())
            if interior and (mean.max() >= TRAINED_ACCURACY or not trained_only):
                xs.append(x_of(key))
                ys.append(b_opt)
        return loglog_slope(xs, ys, min_points=2).slope, len(xs)

    slope, used = slope_for(seeds)
    boot = seed_bootstrap(lambda s: slope_for(s)[0], seeds, n_boot=n_boot, seed=seed)
    return slope, percentile_band(boot, 0.95), used


# -------------------------------------------------------------------------------------------- the sweeps
def sweep(res, name: str) -> pd.DataFrame:
    """The rows of one sweep (``lr``, ``momentum`` or ``n``) of a chapter run's results; the N sweep from the full
    MNIST where that part is stored complete."""
    from .experiments import n_part, n_setting

    if name == "n":
        return sweep_view(res.table(n_part(res)), n_setting(res), name)
    return sweep_view(res.table("sweeps"), res.scale("sweeps"), name)


_SUMMARIES: dict[int, tuple[tuple, dict]] = {}  # id of a loaded sweeps part -> (its parts, their summary)


#: the column names of this chapter's tables, as the text writes them (for :func:`lrlib.tables.readable`)
COLUMNS = {
    "lr": "ε",
    "n_train": "N",
    "interior": "optimum inside the B grid",
    "b_argmax": "best B of the grid",
    "edge": "best B at the grid's edge",
    "best_accuracy": "best test accuracy",
    "trained": "trains",
    "full_batch_accuracy": "full-batch test accuracy",
    "g_opt": "gₒₚₜ = εN/Bₒₚₜ",
}


def sweep_summary(res) -> dict:
    """B_opt tables and slopes of the three sweeps; computed once per loaded part (the bootstraps take seconds,
    and the claims, the findings and three figures read them)."""
    parts = (res["sweeps"], res.parts.get("sweeps-full"))
    hit = _SUMMARIES.get(id(parts[0]))
    if hit is None or any(a is not b for a, b in zip(hit[0], parts)):
        hit = _SUMMARIES[id(parts[0])] = (parts, _summarise(res))
    return hit[1]


def _summarise(res) -> dict:
    from .experiments import n_part

    lr, mom, nn = sweep(res, "lr"), sweep(res, "momentum"), sweep(res, "n")
    out = {"lr": bopt_table(lr, "lr"), "momentum": bopt_table(mom, "momentum"), "n": bopt_table(nn, "n_train")}
    out["lr_rows"] = lr  # the ε sweep's runs, for seed-bootstrap bands of statistics of its B_opt table
    out["lr_slope"] = slope_with_band(lr, "lr", lambda e: e)
    out["momentum_slope"] = slope_with_band(mom, "momentum", lambda m: 1.0 / (1.0 - m))
    out["n_slope"] = slope_with_band(nn, "n_train", lambda n: n)
    if n_part(res) == "sweeps-full":  # the pool's N sweep, shown before, stays a result beside the full one
        pool = sweep_view(res.table("sweeps"), res.scale("sweeps"), "n")
        out["n_pool"], out["n_pool_slope"] = bopt_table(pool, "n_train"), slope_with_band(pool, "n_train", lambda n: n)
    out["lr_slope_best"] = slope_with_band(lr, "lr", lambda e: e, metric="best")
    out["lr_slope_trained"] = slope_with_band(lr, "lr", lambda e: e, trained_only=True)
    return out
