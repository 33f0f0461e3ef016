"""Fits with their uncertainty, written once for every chapter: log-log slopes, seed bootstraps, seed means."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class Fit:
    """A log-log slope with its standard error and the number of points it used."""

    slope: float
    stderr: float
    n: int

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        return self.slope - z * self.stderr, self.slope + z * self.stderr

    def __str__(self) -> str:
        return f"{self.slope:.3f} ± {self.stderr:.3f}"


def loglog_slope(
    x: Sequence[float] | pd.Series,
    y: Sequence[float] | pd.Series,
    *,
    groups: Sequence | None = None,
    min_points: int = 3,
) -> Fit:
    """Least-squares slope of log y against log x (one intercept per value of ``groups``, if given).

    Points with non-positive or non-finite x or y are dropped. The slope is NaN when fewer than ``min_points``
    points or fewer than two distinct x remain; the standard error takes at least one degree of freedom.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    if min_points < 2:
        raise ValueError(f"min_points must be at least 2, got {min_points}")
    keep = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    if groups is not None:
        groups = np.asarray(groups, dtype=str)
        if groups.shape != x.shape:
            raise ValueError(f"groups must have one value per point ({len(x)}), got {len(groups)}")
        groups = groups[keep]
    x, y = x[keep], y[keep]
    if len(x) < min_points or len(np.unique(x)) < 2:
        return Fit(float("nan"), float("nan"), len(x))
    lx, ly = np.log(x), np.log(y)
    indicators = pd.get_dummies(groups).to_numpy(float) if groups is not None else np.ones((len(x), 1))
    design = np.column_stack([lx, indicators])
    if np.linalg.matrix_rank(design) < design.shape[1]:  # e.g. x constant within every group: no slope to fit
        return Fit(float("nan"), float("nan"), len(x))
    coef, *_ = np.linalg.lstsq(design, ly, rcond=None)
    resid = ly - design @ coef
    dof = max(len(x) - design.shape[1], 1)
    cov = np.linalg.pinv(design.T @ design) * (resid @ resid) / dof
    return Fit(float(coef[0]), float(math.sqrt(max(cov[0, 0], 0.0))), len(x))


def frame_slope(df: pd.DataFrame, x: str, y: str, by: Sequence[str] | str | None = None, *, min_points: int = 3) -> Fit:
    """:func:`loglog_slope` of two columns of a table, with a separate intercept for each ``by`` group."""
    by = [by] if isinstance(by, str) else list(by or [])
    groups = None
    if by:
        groups = df[by].astype(str).agg("|".join, axis=1) if len(by) > 1 else df[by[0]].astype(str)
    return loglog_slope(df[x], df[y], groups=groups, min_points=min_points)


def seed_bootstrap(
    statistic: Callable[[Any], float], seeds: Sequence | Mapping[Any, Sequence], *, n_boot: int, seed: int = 0
) -> np.ndarray:
    """``statistic`` on ``n_boot`` resamples of the seeds, drawn with replacement (the same size as ``seeds``).

    ``seeds`` is a sequence (resampled as a whole: ``statistic`` gets an array of seeds) or a mapping from a group
    to its seeds (resampled within each group: ``statistic`` gets a mapping of the same keys). Returns every
    value, NaN included; :func:`percentile_band` and :func:`bootstrap_se` summarise them.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    rng = np.random.default_rng(seed)
    if isinstance(seeds, Mapping):
        groups = {k: np.asarray(v) for k, v in seeds.items()}
        draw = lambda: {k: rng.choice(v, size=len(v), replace=True) for k, v in groups.items()}  # noqa: E731
    else:
        pool = np.asarray(seeds)
        draw = lambda: rng.choice(pool, size=len(pool), replace=True)  # noqa: E731
    return np.array([statistic(draw()) for _ in range(n_boot)], dtype=float)


def ratio_of_means_band(
    numerator: Sequence[float], denominator: Sequence[float], *, level: float = 0.95, n_boot: int = 400, seed: int = 0
) -> tuple[float, float]:
    """The seed-bootstrap band of mean(numerator) / mean(denominator), each group's per-seed values resampled on
    their own: how far a ratio of two seed means moves with the draw of seeds."""
    groups = {"numerator": np.asarray(numerator, dtype=float), "denominator": np.asarray(denominator, dtype=float)}
    boot = seed_bootstrap(
        lambda g: float(np.mean(g["numerator"]) / np.mean(g["denominator"])), groups, n_boot=n_boot, seed=seed
    )
    return percentile_band(boot, level)


def resample_within(
    table: pd.DataFrame, picks: Mapping[Any, Sequence], *, group: str, seed_column: str = "seed"
) -> pd.DataFrame:
    """The rows of the seeds picked in each group, a seed picked twice appearing twice under new seed labels
    (0, 1, ... in the order picked), so that per-seed statistics treat the copies as separate seeds."""
    parts = []
    for key, rows in table.groupby(group):
        pick = picks[key]
        parts.append(pd.concat([rows[rows[seed_column] == v].assign(**{seed_column: i}) for i, v in enumerate(pick)]))
    return pd.concat(parts)


def percentile_band(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` range of the finite values (NaN, NaN if there are none)."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not len(finite):
        return float("nan"), float("nan")
    tail = (100 - 100 * level) / 2
    return float(np.percentile(finite, tail)), float(np.percentile(finite, 100 - tail))


def bootstrap_se(values: np.ndarray, min_finite: int = 11) -> float:
    """The standard deviation of the finite bootstrap values; NaN if fewer than ``min_finite`` are finite."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(np.std(finite)) if len(finite) >= min_finite else float("nan")


def seed_means(table: pd.DataFrame, value: str, by: Sequence[str] | str) -> pd.Series:
    """The mean of ``value`` over seeds in each ``by`` cell."""
    return table.groupby([by] if isinstance(by, str) else list(by))[value].mean()
