"""The shared fits: planted power laws recovered, the seed bootstrap drawn as documented, findings validated."""

import numpy as np
import pandas as pd
import pytest

from lrlib import stats
from lrlib.findings import Findings


def test_loglog_slope_recovers_a_planted_law_with_group_intercepts():
    rng = np.random.default_rng(0)
    x = np.tile(2.0 ** np.arange(8), 3)
    groups = np.repeat(["a", "b", "c"], 8)
    offset = {"a": 1.0, "b": 10.0, "c": 0.1}
    y = np.array([offset[g] for g in groups]) * x**-0.7 * np.exp(0.01 * rng.standard_normal(len(x)))
    fit = stats.loglog_slope(x, y, groups=groups)
    assert abs(fit.slope + 0.7) < 0.01 and 0 < fit.stderr < 0.01 and fit.n == 24
    low, high = fit.interval()
    assert low < -0.7 < high
    pooled = stats.loglog_slope(x, y)  # one intercept for three offsets: a worse fit
    assert pooled.stderr > 10 * fit.stderr
    table = pd.DataFrame({"x": x, "y": y, "g": groups})
    assert stats.frame_slope(table, "x", "y", by="g").slope == pytest.approx(fit.slope, rel=1e-12)


def test_loglog_slope_drops_bad_points_and_needs_enough():
    assert stats.loglog_slope([1, 2, 4, -1, np.nan], [1, 2, 4, 5, 6]).n == 3
    assert np.isnan(stats.loglog_slope([1, 2], [1, 2]).slope)
    assert stats.loglog_slope([1, 2], [1, 4], min_points=2).slope == pytest.approx(2.0)
    assert np.isnan(stats.loglog_slope([2, 2, 2], [1, 2, 3]).slope), "one distinct x has no slope"
    with pytest.raises(ValueError, match="same length"):
        stats.loglog_slope([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="min_points must be at least 2, got 1"):
        stats.loglog_slope([1, 2, 3], [1, 2, 3], min_points=1)


def test_seed_bootstrap_draws_like_rng_choice_in_order():
    seeds = np.array([3, 5, 7, 9])
    values = stats.seed_bootstrap(lambda s: float(np.sum(s)), seeds, n_boot=50, seed=4)
    rng = np.random.default_rng(4)
    expected = [float(np.sum(rng.choice(seeds, size=4, replace=True))) for _ in range(50)]
    assert values.tolist() == expected
    within = stats.seed_bootstrap(
        lambda picks: float(picks["a"][0] + 100 * picks["b"][0]), {"a": [0, 1], "b": [2, 3, 4]}, n_boot=5, seed=1
    )
    rng = np.random.default_rng(1)
    manual = []
    for _ in range(5):
        a, b = rng.choice([0, 1], size=2), rng.choice([2, 3, 4], size=3)
        manual.append(float(a[0] + 100 * b[0]))
    assert within.tolist() == manual


def test_resample_within_relabels_repeated_seeds():
    table = pd.DataFrame({"P": [1, 1, 2, 2], "seed": [0, 1, 0, 1], "v": [10, 11, 20, 21]})
    out = stats.resample_within(table, {1: [1, 1], 2: [0, 1]}, group="P")
    assert out[out.P == 1].sort_values("seed")["v"].tolist() == [11, 11]
    assert out[out.P == 1]["seed"].tolist() == [0, 1]


def test_bands_and_standard_errors_of_bootstrap_values():
    values = np.r_[np.arange(101.0), np.nan]
    assert stats.percentile_band(values) == (2.5, 97.5)
    assert np.isnan(stats.percentile_band([np.nan])[0])
    assert np.isnan(stats.bootstrap_se(np.arange(10.0))) and stats.bootstrap_se(np.arange(11.0)) > 0
    assert stats.seed_means(pd.DataFrame({"a": [1, 1, 2], "v": [1.0, 3.0, 5.0]}), "v", "a").tolist() == [2.0, 5.0]


def test_findings_are_tidy_and_validated():
    f = Findings()
    f.add(
        "slope_eps",
        "B_opt against ε: log-log slope",
        0.93,
        uncertainty=0.1,
        seeds=5,
        part="sweeps",
        scale="paper",
        paper="1",
        source="paper",
    )
    table = f.table()
    assert list(table.columns) == [
        "key",
        "quantity",
        "value",
        "uncertainty",
        "unit",
        "seeds",
        "scale",
        "part",
        "paper",
        "source",
    ]
    assert table.loc[0, "value"] == 0.93
    for bad, match in (
        (dict(key="slope eps"), "identifier"),
        (dict(key="slope_eps"), "used twice"),
        (dict(key="k", scale="big"), "scale must be one of"),
        (dict(key="k", source="rumour"), "source must be one of"),
    ):
        args = dict(key="k", quantity="q", value=1.0, part="p", scale="smoke") | bad
        with pytest.raises(ValueError, match=match):
            f.add(args.pop("key"), args.pop("quantity"), args.pop("value"), **args)


def test_ratio_of_means_band_covers_the_ratio_and_shrinks_with_agreeing_seeds():
    from lrlib.stats import ratio_of_means_band

    low, high = ratio_of_means_band([10.0, 12.0, 8.0], [1.0, 1.2, 0.8])
    assert low < 10.0 < high
    assert ratio_of_means_band([10.0, 10.0], [1.0, 1.0]) == (10.0, 10.0)
    wide = ratio_of_means_band([5.0, 30.0, 10.0], [1.0, 1.0, 1.0])
    assert wide[1] - wide[0] > high - low
