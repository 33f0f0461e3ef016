"""Chapter 5: the depleted-sign perceptron, its event-driven SGD, and the measurements of the MLP grids."""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import ks_2samp

from lrlib import experiment
from lrlib.papers import ch05_sgd_noise_phase as ch5
from lrlib.papers.ch05_sgd_noise_phase import analysis as A
from lrlib.papers.ch05_sgd_noise_phase import data as D
from lrlib.papers.ch05_sgd_noise_phase import experiments as E
from lrlib.papers.ch05_sgd_noise_phase import model
from lrlib.papers.ch05_sgd_noise_phase import perceptron as perc
from lrlib.papers.ch05_sgd_noise_phase.scales import LAZY_CHECK_OFFSET, SCALES, check_scale
from lrlib.stats import frame_slope
from lrlib.store import Store


def tiny_phase_grid(monkeypatch, **fields):
    """A smoke-scale phase grid small enough to train in a test (replacing the smoke scale's)."""
    grid = replace(
        SCALES["smoke"].phase,
        P=64,
        pool=64,
        depth=1,
        width=8,
        alphas=(1.0, 2.0),
        max_steps=2,
        check_every=1,
        temps_per_entry=1,
        **fields,
    )
    monkeypatch.setitem(SCALES, "smoke", replace(SCALES["smoke"], phase=grid))
    return grid


# ---------------------------------------------------------------- data
@pytest.mark.parametrize("chi", [0.0, 1.0, 3.0])
def test_depleted_sign_density_near_the_boundary(chi):
    x, y = perc.depleted_sign_data(200_000, 4, chi, np.random.default_rng(0))
    r = np.abs(x[:, 0])
    # the c.d.f. of |x_1| is the regularised gamma P((χ+1)/2, r²/2) ...
    for eps in (0.1, 0.5, 1.0, 2.0):
        assert np.mean(r < eps) == pytest.approx(perc.x1_cdf(eps, chi), abs=4e-3)
    # ... so near the boundary P(|x_1| < ε) ∝ ε^(χ+1): the density exponent is χ
    tiny = np.array([1e-4, 2e-4])
    exact_slope = np.diff(np.log(perc.x1_cdf(tiny, chi)))[0] / np.log(2)
    assert exact_slope == pytest.approx(chi + 1, abs=1e-3)
    eps = np.array([0.2, 0.4]) if chi < 3 else np.array([0.4, 0.8])
    frac = np.array([np.mean(r < e) for e in eps])
    slope = np.diff(np.log(frac))[0] / np.diff(np.log(eps))[0]
    theory = np.diff(np.log(perc.x1_cdf(eps, chi)))[0] / np.diff(np.log(eps))[0]
    assert slope == pytest.approx(theory, abs=0.15) and abs(theory - (chi + 1)) < 0.35
    assert np.all(y == np.sign(x[:, 0]))
    assert np.std(x[:, 1:]) == pytest.approx(1.0, abs=0.01)


def test_data_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="chi must be"):
        perc.depleted_sign_data(10, 4, -1.0, rng)
    with pytest.raises(ValueError, match="d must be"):
        perc.depleted_sign_data(10, 1, 1.0, rng)
    with pytest.raises(ValueError, match="batch_size must be"):
        perc.simulate_events(np.zeros((1, 4, 2)), np.ones((1, 4)), [0.1], batch_size=5)
    with pytest.raises(ValueError, match="dt must be"):
        perc.simulate_events(np.zeros((1, 4, 2)), np.ones((1, 4)), [-0.1])


# ---------------------------------------------------------------- SGD
def _tiny(P=8, d=3, chi=1.0, seed=5):
    return perc.depleted_sign_data(P, d, chi, np.random.default_rng(seed))


def test_stopping_rule_every_point_fitted_at_the_end():
    x, y = _tiny(P=64, d=8)
    alpha = 50.0
    out = perc.simulate_events(x[None], y[None], np.full(6, 0.05), dataset=np.zeros(6, int), alpha=alpha, keys=range(6))
    margins = out["u"] @ (y[:, None] * x / math.sqrt(8)).T
    assert out["fitted"].all() and (out["unfitted"] == 0).all()
    assert (margins >= 1 / alpha).all()  # every point has y u·x/√d ≥ κ = 1/α
    assert (out["steps"] >= out["updates"]).all() and (out["updates"] > 0).all()
    # a cap on the number of updates leaves the run unfitted, and says how many points are left
    capped = perc.simulate_events(x[None], y[None], [0.05], dataset=[0], alpha=alpha, keys=[0], max_updates=2)
    assert not capped["fitted"][0] and capped["unfitted"][0] > 0 and capped["updates"][0] == 2


@pytest.mark.parametrize("batch_size", [2, 3])
def test_event_driven_sgd_has_the_law_of_plain_sgd(batch_size):
    """Skipping the steps whose batch holds no unfitted point changes nothing: the joint law of (steps, u)
    is that of plain stepping (same data, 3000 independent runs each, two-sample KS tests)."""
    x, y = _tiny(P=8 if batch_size == 2 else 10, chi=1.0 if batch_size == 2 else 0.0)
    R, alpha, dt = 3000, 10.0, 0.2 if batch_size == 2 else 0.3
    plain = perc.simulate_plain(
        np.repeat(x[None], R, 0),
        np.repeat(y[None], R, 0),
        np.full(R, dt),
        alpha=alpha,
        batch_size=batch_size,
        rng=np.random.default_rng(1),
    )
    event = perc.simulate_events(
        x[None], y[None], np.full(R, dt), dataset=np.zeros(R, int), alpha=alpha, batch_size=batch_size
    )
    assert plain["fitted"].all() and event["fitted"].all()
    assert event["steps"].mean() > 2 * event["updates"].mean()  # most steps were skipped
    assert ks_2samp(plain["steps"], event["steps"]).pvalue > 1e-3
    for j in range(x.shape[1]):
        assert ks_2samp(plain["u"][:, j], event["u"][:, j]).pvalue > 1e-3
    assert event["steps"].mean() == pytest.approx(plain["steps"].mean(), rel=0.08)


def test_a_run_does_not_depend_on_what_it_is_packed_with():
    x, y = _tiny(P=32, d=4)
    xs = np.stack([x, _tiny(P=32, d=4, seed=9)[0]])
    ys = np.stack([y, _tiny(P=32, d=4, seed=9)[1]])
    alone = perc.simulate_events(xs[:1], ys[:1], [0.01], dataset=[0], keys=[77], alpha=100.0)
    packed = perc.simulate_events(xs, ys, [0.3, 0.01, 0.05], dataset=[1, 0, 0], keys=[5, 77, 6], alpha=100.0)
    np.testing.assert_array_equal(alone["u"][0], packed["u"][1])
    assert alone["steps"][0] == packed["steps"][1]


def test_population_error_matches_a_large_sample():
    x, y = perc.depleted_sign_data(300_000, 6, 1.0, np.random.default_rng(2))
    u = np.array([[1.0, 0.2, 0.1, 0, 0, 0], [0.02, 1.0, 0, 0, 0, 0], [-1.0, 0.3, 0, 0, 0, 0], [np.nan, 0, 0, 0, 0, 0]])
    exact = perc.population_error(u, 1.0)
    sample = perc.sample_error(u, x, y)
    np.testing.assert_allclose(exact[:3], sample[:3], atol=3e-3)
    assert exact[3] == 1.0 and sample[3] == 1.0  # a non-finite student is always wrong


def test_perceptron_group_table_and_noise_dominated_plateau():
    cfg = dict(E.perceptron_config("smoke", 3.0, 16, 256), dts=[2.0**-8, 2.0**-4], seeds=[0, 1])
    t = E.perceptron_group(cfg)
    assert len(t) == 4 and t["fitted"].all()
    np.testing.assert_allclose(t["T"], t["dt"] / 2)
    np.testing.assert_allclose(t["t_star"], t["dt"] * t["steps"])
    ratio = t["u_perp"] / (t["T"] * 4)
    assert ratio.between(0.05, 1.0).all()  # ‖u⊥‖ ≈ c·T·√d


# ---------------------------------------------------------------- fits and MLP bookkeeping
def test_loglog_slope_with_group_intercepts():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"T": np.tile([1e-3, 1e-2, 1e-1], 4), "P": np.repeat([100, 200, 400, 800], 3)})
    df["w"] = 5 * df["T"] ** 1.0 * df["P"] ** 0.5 * np.exp(0.01 * rng.standard_normal(len(df)))
    assert frame_slope(df, "P", "w", "T").slope == pytest.approx(0.5, abs=0.02)
    assert frame_slope(df, "T", "w", "P").slope == pytest.approx(1.0, abs=0.02)
    lazy = df.assign(rel_weight_change=df["w"] * 1e-3, status="fitted", t_star=df["T"] * df["P"] ** 2)
    ex = A.lazy_exponents(lazy)
    assert ex["delta"] == pytest.approx(1.0, abs=0.02) and ex["gamma"] == pytest.approx(0.5, abs=0.02)
    assert ex["b"] == pytest.approx(2.0, abs=1e-6)


def _final_rows(**cols):
    n = len(cols["alpha"])
    base = dict(
        T=[0.01] * n,
        lr=[1.0] * n,
        seed=[0] * n,
        P=[64] * n,
        stop_step=[10] * n,
        stop_reason=["fitted"] * n,
        test_error=[0.1] * n,
        rel_weight_change=[0.1] * n,
        train_unfitted=[0] * n,
    )
    base.update(cols)
    return pd.DataFrame(base)


def test_diverged_runs_are_flagged_and_count_as_error_one():
    final = _final_rows(
        alpha=[1.0, 1.0, 1.0, 1.0],
        stop_reason=["fitted", "diverged", "max_steps", "max_steps"],
        test_error=[0.1, 0.0, 0.4, 0.5],
        rel_weight_change=[0.1, np.nan, 3.0, np.inf],
    )
    t = model.classify(final)
    assert list(t["status"]) == ["fitted", "diverged", "unfitted", "diverged"]
    assert list(t["test_error"]) == [0.1, 1.0, 0.4, 1.0]
    s7 = A.diverged_runs(t)
    assert s7["n_diverged"] == s7["n_error_one"] == 2 and s7["n_nonfinite_unflagged"] == 0


def test_tc_rule_finds_where_the_error_leaves_its_plateau():
    temps = 2.0 ** np.arange(-10, -2)
    rows = []
    for P, Tc in [(256, 2**-4), (1024, 2**-6)]:
        for seed in range(2):
            for T in temps:
                err = 0.05 if T < Tc else 0.10
                rows.append(dict(P=P, seed=seed, T=T, test_error=err, status="fitted"))
    tc = A.tc_rule(pd.DataFrame(rows))
    assert list(tc["T_c"]) == [2**-4, 2**-6]
    fit = A.tc_fit(pd.DataFrame(rows), n_boot=20)
    assert fit["a"] == pytest.approx(1.0)  # T_c ∝ P^-1 here


def test_scales_and_parts():
    with pytest.raises(ValueError, match="scale must be"):
        check_scale("huge")
    assert len(SCALES["paper"].perceptron.groups()) == 42
    assert SCALES["paper"].phase.alphas[0] == 2.0**-14 and len(SCALES["paper"].phase.alphas) == 26
    assert len(SCALES["paper"].phase.temps) == 31
    assert [p.name for p in ch5.PARTS] == ["perceptron", "phase", "lazy", "lazy-check", "lazy-full"]
    assert E.LAZY_CHECK.units("smoke") == [] == E.LAZY_FULL.units("smoke")  # both exist at paper scale only


def test_phase_grid_is_stored_in_row_blocks_largest_T_first():
    blocks = E.phase_blocks("paper")
    assert len(blocks) == 31 and all(len(b) == 1 for b in blocks)  # one T row (26 runs) per entry
    assert [b[0] for b in blocks] == sorted(SCALES["paper"].phase.temps, reverse=True)
    assert E.phase_blocks("smoke") == [tuple(sorted(SCALES["smoke"].phase.temps))]
    key = E.phase_config("paper", 0, 10_999, blocks[0])
    assert key["temps"] == [2.0**15 / 2048] and "temps_per_entry" not in key
    missing = [((2.0**-26,), s) for s in range(4)] + [((2.0**-25,), s) for s in range(4)] + [((2.0**-24,), 3)]
    units = [experiment.Unit("", {"temps": list(temps), "seed": s}, lambda: {}) for temps, s in missing]
    assert (
        E.describe_missing(experiment.PartResult(E.PHASE, "paper", {}, units))
        == "seeds 0, 1, 2, 3 at T = 2^-26…2^-25 (2); seed 3 at T = 2^-24"
    )


def test_plane_marks_cells_not_computed():
    from lrlib.papers.ch05_sgd_noise_phase import figures as F
    from lrlib.plots import plt

    alphas, temps = [0.5, 1.0, 2.0], [0.25, 0.5, 1.0]
    table = pd.DataFrame(
        [dict(alpha=a, T=T, seed=0, test_error=0.1, status="fitted") for a in alphas for T in temps[1:]]
    )  # the row T = 0.25 is not computed
    _, t, m = A.cell_means(table, "test_error", (alphas, temps))
    assert list(t) == temps and m.loc[0.25].isna().all() and m.loc[0.5].notna().all()
    div, unf = A.status_masks(table, (alphas, temps))
    assert div.shape == (3, 3) and not div.any() and not unf.any()
    fig, ax = plt.subplots()
    F.plot_plane(ax, table, "test_error", "error", grid=(alphas, temps))
    assert "slashes: not computed yet" in ax.get_legend_handles_labels()[1]
    plt.close(fig)
    fig, ax = plt.subplots()
    F.plot_plane(ax, table, "test_error", "error", grid=(alphas, temps), floor=0.5)  # 0.25 is below the floor
    labels = ax.get_legend_handles_labels()[1]
    assert "backslashes: not run, below a row where every run hit the cap" in labels
    assert "slashes: not computed yet" not in labels
    plt.close(fig)


def test_capped_floor_needs_a_complete_row_where_every_run_hit_the_cap():
    n_runs = SCALES["smoke"].phase.runs_per_row
    row = lambda T, status, n=n_runs: pd.DataFrame({"T": [T] * n, "status": [status] * n})  # noqa: E731
    assert A.capped_floor(row(0.5, "fitted"), n_runs) is None
    assert A.capped_floor(row(0.25, "unfitted", n_runs - 1), n_runs) is None  # a seed is missing
    mixed = pd.concat([row(0.25, "unfitted"), row(0.125, "unfitted")]).reset_index(drop=True)
    assert A.capped_floor(mixed, n_runs) == 0.25
    mixed.loc[0, "status"] = "diverged"  # not every run capped
    assert A.capped_floor(mixed, n_runs) == 0.125


def _block_of(unit) -> tuple[tuple[float, ...], int]:
    return tuple(unit.config["temps"]), unit.config["seed"]


def test_the_phase_grid_runs_no_row_below_a_fully_capped_one(monkeypatch, tmp_path):
    grid = tiny_phase_grid(monkeypatch, seeds=1, temps=(2.0**-12, 2.0**-11, 2.0**-10))
    found = experiment.collect(E.PHASE, "smoke", Store(tmp_path))
    table = found.table
    assert (table["status"] == "unfitted").all() and list(table["T"].unique()) == [2.0**-10]
    assert len(found.entries) == 1 and found.missing == []  # rows 2^-11 and 2^-12 are skipped, not missing
    assert A.capped_floor(table, grid.runs_per_row) == 2.0**-10


def test_step_resolution_and_cell_table():
    # two α × three T cells, 2 seeds; error = 0.1 + 0.01·(T index) + 0.02·(α index) ± 0.005 between the seeds
    rows = [
        dict(alpha=a, T=T, seed=s, test_error=0.1 + 0.01 * i + 0.02 * j + (0.005 if s else -0.005), status="fitted")
        for j, a in enumerate((1.0, 2.0))
        for i, T in enumerate((0.25, 0.5, 1.0))
        for s in (0, 1)
    ]
    rows.append(dict(alpha=4.0, T=0.25, seed=0, test_error=0.5, status="unfitted"))  # not every seed fitted
    table = pd.DataFrame(rows)
    res = A.step_resolution(table, alpha_min=1.0, temps=(0.25, 1.0))
    assert res["n_cells"] == 6
    assert res["step_T"] == pytest.approx(0.01) and res["step_alpha"] == pytest.approx(0.02)
    assert res["sem"] == pytest.approx(0.005) and res["needed"] == pytest.approx(2 * math.sqrt(2) * 0.005)
    with pytest.raises(ValueError, match="no cell with every seed fitted at alpha >= 8"):
        A.step_resolution(table, alpha_min=8.0, temps=(0.25, 1.0))
    shown = A.cell_table(table, "test_error", every=2, scale=100)
    assert list(shown.index) == ["2^0", "2^-1", "2^-2"] and list(shown.columns) == ["2^0", "2^2"]
    assert shown.loc["2^-2", "2^0"] == pytest.approx(10.0) and shown.loc["2^-2", "2^2"] == pytest.approx(50.0)
    with pytest.raises(ValueError, match="every must be a positive integer, got 0"):
        A.cell_table(table, "test_error", every=0)


def test_stability_edge_and_s6_use_the_columns_that_train():
    rows = [
        dict(
            alpha=a,
            T=T,
            seed=s,
            rel_weight_change=r,
            test_error=0.1,
            status="diverged" if (a == 0.25 or T > 1 / a) else "fitted",
        )
        for a, r in ((0.25, 9.0), (0.5, 4.0), (2.0, 0.5))
        for T in (0.25, 0.5, 1.0)
        for s in (0, 1)
    ]
    table = pd.DataFrame(rows)
    edge = A.stability_edge(table)
    assert edge["n_cells"] == 9 and edge["n_diverged_cells"] == 4  # α = 0.25 everywhere, (2, 1)
    assert np.isnan(edge["T_max"][0.25]) and edge["T_max"][0.5] == 1.0 and edge["T_max"][2.0] == 0.5
    s6 = A.weight_change_across_alpha(table)  # α = 0.25 never trains: the smallest that does is 0.5
    assert s6["alpha_small"] == 0.5 and s6["ratios"] == {0.25: 8.0, 0.5: 8.0} and s6["min_ratio"] == 8.0


def test_train_mlp_on_digits_converts_temperature_and_flags_divergence():
    cfg = replace(SCALES["smoke"].phase, depth=2, width=16, max_steps=600, check_every=25)
    task = D.load_task("digits", max_P=128)
    assert len(task.y_test) == 1797 - 128 and len(task.y_pool) == 128
    table, stats = model.train_mlp(
        cfg, task, 128, seed=0, alphas=[2.0**-7, 2.0**5], temps=[2.0**-6, 4.0], show_progress=False
    )
    assert len(table) == 4 and stats["members"] == 4
    np.testing.assert_allclose(table["dt"], table["T"] * 16 * 16)  # dt = T·B·h
    np.testing.assert_allclose(table["t_star"], table["dt"] * table["steps"])
    calm = table[table["T"] == 2.0**-6]
    assert (calm["status"] == "fitted").all() and calm["test_error"].between(0, 0.5).all()
    hot = table[table["T"] == 4.0]  # dt = 1024: unstable
    assert (hot["status"] != "fitted").all() and (hot["rel_weight_change"] > 100).all()
    assert (table.loc[table["status"] == "diverged", "test_error"] == 1.0).all()
    # the lazy net moves its weights much less than the feature-learning one
    rel = calm.set_index("alpha")["rel_weight_change"]
    assert rel[2.0**-7] > 5 * rel[2.0**5]


def test_mnist_task_split_offline(shared_data):
    task = D.load_task("mnist", max_P=8192)
    assert task.n_total == 10_999 and len(task.y_test) == 10_999 - 8192 and len(task.y_pool) == 8192
    assert set(task.y_test.unique().tolist()) == {-1, 1}
    assert float(task.x_pool.pow(2).sum(1).mean()) == pytest.approx(784, rel=0.1)  # E‖x‖² ≈ d
    x1, _ = task.training_set(1024, seed=3)
    x2, _ = task.training_set(2048, seed=3)
    assert torch.equal(x1, x2[:1024])  # nested in P for one seed
    assert E.lazy_Ps("paper") == (1024, 2048, 4096, 8192)


def test_lazy_summary_skips_temperatures_where_a_seed_diverged():
    rows = []
    for seed in (0, 1):
        for T, err, status, steps in (
            (0.01, 0.10, "fitted", 900 + seed),
            (0.02, 0.10, "fitted", 1000),
            (0.04, 0.10, "fitted", 1100),
            (0.08, 0.06, "fitted", 1200),
            (0.16, 0.02 if seed else 1.0, "fitted" if seed else "diverged", 50),
        ):
            rows.append(dict(P=1024, seed=seed, T=T, test_error=err, status=status, steps=steps))
    table = pd.DataFrame(rows)
    s = A.lazy_summary(table, A.tc_rule(table)).iloc[0]
    assert s["lowest_error"] == pytest.approx(0.06) and s["T_lowest"] == 0.08  # not 0.02 at T = 0.16
    assert s["first_T_diverged"] == 0.16 and s["steps_smallest_T"] == 900.5
    assert s["change_vs_plateau"] == pytest.approx(-0.4) and s["T_c"] == 0.08


def test_perceptron_exponents_by_d_recover_planted_laws():
    """u∥ = T√d·P^γ, ‖u⊥‖ = c·T√d, t* = T·P^b, exactly: every d gives back δ = 1, γ, b and the plateau c."""
    rows = []
    for chi, gamma, b, c in ((1.0, 0.5, 2.0, 0.3), (3.0, 0.25, 1.5, 0.2)):
        for d in (16, 64):
            for P in (256, 512, 1024):
                for T in (0.01, 0.1, 1.0):
                    rows.append(
                        dict(
                            chi=chi,
                            d=d,
                            P=P,
                            T=T,
                            T_alpha=T * 2**15,
                            fitted=True,
                            seed=0,
                            u_par=T * math.sqrt(d) * P**gamma,
                            u_perp=c * T * math.sqrt(d),
                            t_star=T * P**b,
                        )
                    )
    rows.append({**rows[0], "T_alpha": 1.0, "u_par": 1e9})  # gradient-descent-like: left out
    by_d = A.perceptron_exponents_by_d(pd.DataFrame(rows)).set_index(["chi", "d"])
    assert sorted(by_d.index) == [(1.0, 16), (1.0, 64), (3.0, 16), (3.0, 64)]
    for (chi, _d), row in by_d.iterrows():
        assert row["delta"] == pytest.approx(1.0) and row["gamma"] == pytest.approx(1 / (1 + chi))
        assert row["b"] == pytest.approx(2.0 if chi == 1 else 1.5)
        assert row["perp_scaled_mean"] == pytest.approx(0.3 if chi == 1 else 0.2)
        assert row["perp_scaled_min"] == pytest.approx(row["perp_scaled_max"])


def test_perceptron_noise_cost_compares_noisy_runs_with_the_smallest_temperature():
    table = pd.DataFrame(
        {
            "chi": [1.0] * 4 + [3.0] * 4,
            "T_alpha": [0.5, 8.0, 64.0, 128.0] * 2,
            "test_error": [0.01, 0.5, 0.02, 0.04, 0.001, 0.5, 0.01, 0.02],
        }
    )
    cost = A.perceptron_noise_cost(table)
    assert cost[1.0] == pytest.approx(3.0) and cost[3.0] == pytest.approx(15.0)


def test_seed_sets_follow_lrlib_seed_unless_an_offset_is_given(monkeypatch):
    monkeypatch.setenv("LRLIB_SEED", "7")
    assert E.seeds(3) == [7, 8, 9]
    assert E.seeds(3, LAZY_CHECK_OFFSET) == [100, 101, 102]


def test_the_findings_of_the_stored_paper_results(stored_paper, snapshot):
    """Every number the chapter's prose quotes, on the stored paper-scale results: a change to the analysis that
    moves one must fail here, not ship under unchanged text."""
    res = stored_paper(ch5)
    snapshot("ch05_findings", ch5.findings(res))
    claims = ch5.check_claims(res)
    assert [c.name for c in claims.failed] == [
        "P7 cells where raising T and lowering α move test error in opposite directions (> 2 SE)"
    ]
    assert len(claims.items) == 16


def test_the_phase_grid_leaves_a_block_another_process_is_finishing_to_that_process(monkeypatch, tmp_path):
    import os
    import socket

    grid = tiny_phase_grid(monkeypatch, seeds=2, temps=(2.0**-12, 2.0**-11, 2.0**-10))
    store = Store(tmp_path)
    busy = store.path_for(E.phase_config("smoke", 1, D.dataset_size("digits"), (2.0**-10,)))
    claim = busy.with_name(f".claim-{busy.name}")
    claim.parent.mkdir(parents=True, exist_ok=True)
    claim.write_text(f"{socket.gethostname()} {os.getppid()}")  # a live process computes seed 1
    found = experiment.collect(E.PHASE, "smoke", store)
    # seed 0 of the top row hit the cap everywhere: the rows below are left to the process finishing seed 1
    assert len(found.entries) == 1 and set(found.table["T"]) == {2.0**-10}
    assert [_block_of(u) for u in found.missing] == [((2.0**-10,), 1)]
    claim.unlink()  # that process is gone, without a result
    found = experiment.collect(E.PHASE, "smoke", store)
    assert len(found.entries) == 2 and found.missing == []
    assert A.capped_floor(found.table, grid.runs_per_row) == 2.0**-10


def test_the_phase_grid_picks_up_a_block_entry_another_process_stored_meanwhile(monkeypatch, tmp_path):
    grid = tiny_phase_grid(monkeypatch, seeds=2, temps=(2.0**-11, 2.0**-10))
    store = Store(tmp_path)
    own_cached = store.cached

    def other_process_has_it(config, compute, *, shared=False):  # seed 1: claimed, then stored by "another"
        if config["seed"] == 1:
            own_cached(config, compute)
            return None
        return own_cached(config, compute, shared=shared)

    monkeypatch.setattr(store, "cached", other_process_has_it)
    found = experiment.collect(E.PHASE, "smoke", store)
    assert len(found.entries) == 2 and found.missing == []
    assert A.capped_floor(found.table, grid.runs_per_row) == 2.0**-10


@pytest.mark.parametrize("values", [[0.0, 0.0], [math.nan, math.nan], [0.0, 2.0**-8]])
def test_tc_panel_draws_whatever_t_c_a_seed_gives(values):
    """Reliability: at LRLIB_SEED=4 no positive T_c was found and the log axes raised."""
    from lrlib import plots
    from lrlib.papers.ch05_sgd_noise_phase import figures

    fig, ax = plots.plt.subplots()
    fit = {"tc": pd.DataFrame({"P": [256, 512], "T_c": values}), "a": math.nan, "a_se": math.nan}
    figures.plot_tc(ax, fit)
    fig.canvas.draw()
    plots.plt.close(fig)


def test_the_full_mnist_lazy_sweep_is_keyed_by_the_data_it_needs_not_the_data_here(shared_data, monkeypatch):
    """Part lazy-full: every P of the paper's grid, keyed by the full MNIST, so that a machine with the offline
    subset reads its stored entries; computing it there is a clear error, not a sweep on the wrong pool."""
    units = [u for block in E.lazy_full_units("paper") for u in block]
    Ps = SCALES["paper"].lazy.Ps
    assert sorted({u.config["P"] for u in units}) == sorted(Ps) and max(Ps) == 16_384
    assert {(u.config["n_total"], u.config["max_P"]) for u in units} == {(E.FULL_MNIST, 16_384)}
    offline = {u.config["P"]: u.config for block in E.lazy_units("paper") for u in block}
    assert all(u.config != offline.get(u.config["P"]) for u in units)  # never the offline pool's entries
    assert list(E.lazy_full_units("smoke")) == []
    with pytest.raises(D.DataError, match="needs the full mnist \\(70,000 images.*holds 10,999"):
        units[0].compute()


def test_the_page_shows_the_full_mnist_lazy_sweep_only_once_it_is_complete():
    class Part:
        def __init__(self, scale, entries, complete):
            self.scale, self.entries, self.complete = scale, entries, complete

    class Res(experiment.Results):  # the real part-selection logic on fake parts
        def __init__(self, **parts):
            self.parts = parts

        def scale(self, name):
            return self.parts[name].scale

    lazy = Part("paper", {"a": 1}, True)
    assert E.lazy_part(Res(lazy=lazy)) == "lazy"
    assert E.lazy_part(Res(lazy=lazy, **{"lazy-full": Part("paper", {"a": 1}, False)})) == "lazy"
    assert E.lazy_part(Res(lazy=lazy, **{"lazy-full": Part("smoke", {}, True)})) == "lazy"
    full = Res(lazy=lazy, **{"lazy-full": Part("paper", {"a": 1}, True)})
    assert E.lazy_part(full) == "lazy-full" and E.lazy_label(full) == "paper scale, full MNIST"
