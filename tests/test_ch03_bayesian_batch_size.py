"""Chapter 3's experiment code: data splits, the evidence sweep, the B_opt rule, slopes, the sweep plumbing, and
the numbers the chapter reports from the stored paper-scale results."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from lrlib import experiment
from lrlib.papers import ch03_bayesian_batch_size as ch3
from lrlib.papers.ch03_bayesian_batch_size import analysis, data, evidence, sweeps
from lrlib.papers.ch03_bayesian_batch_size.experiments import SWEEPS
from lrlib.papers.ch03_bayesian_batch_size.scales import SCALES


def test_zeros_vs_ones_is_balanced_and_disjoint():
    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 40 + [7] * 10)
    x = np.arange(len(y), dtype=float)[:, None]  # the input is the image's index
    xtr, ytr, xte, yte = data.zeros_vs_ones(x, y, 20, rng)
    assert ytr.sum() == 10 and len(ytr) == 20  # 10 zeros + 10 ones
    assert len(yte) == 2 * 20 and yte.sum() == 20  # the rest, balanced to the rarer class
    assert not set(xtr[:, 0]) & set(xte[:, 0])
    assert set(y[xtr[:, 0].astype(int)]) | set(y[xte[:, 0].astype(int)]) == {0, 1}
    with pytest.raises(ValueError, match="n_train"):
        data.zeros_vs_ones(x, y, 7, rng)


def test_zeros_vs_ones_takes_a_balanced_test_set_of_the_asked_size_or_says_what_the_pool_has():
    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 40)
    x = np.arange(len(y), dtype=float)[:, None]
    _, _, xte, yte = data.zeros_vs_ones(x, y, 20, rng, n_test=12)
    assert len(yte) == 12 and yte.sum() == 6
    with pytest.raises(ValueError, match=r"leaves 20 images per class for testing, not 42 test images"):
        data.zeros_vs_ones(x, y, 20, rng, n_test=42)
    with pytest.raises(ValueError, match="n_test"):
        data.zeros_vs_ones(x, y, 20, rng, n_test=5)


def test_noisy_labels_are_nested_in_the_noise_level():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1000).astype(float)
    u, coin = rng.random(1000), rng.integers(0, 2, 1000).astype(float)
    assert np.array_equal(data.noisy_labels(y, 0.0, u, coin), y)
    assert np.array_equal(data.noisy_labels(y, 1.0, u, coin), coin)
    changed_02 = data.noisy_labels(y, 0.2, u, coin) != y
    changed_05 = data.noisy_labels(y, 0.5, u, coin) != y
    assert np.all(changed_05[changed_02])  # a label flipped at q = 0.2 stays flipped at 0.5
    assert 0.05 < changed_02.mean() < 0.15  # about q/2 of the labels change
    with pytest.raises(ValueError, match="noise"):
        data.noisy_labels(y, 1.5, u, coin)


def test_evidence_sweep_splits_into_depth_and_breadth():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 5))
    y = (x[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(float)
    table = evidence.evidence_sweep(x[:40], y[:40], x[40:], y[40:], [10.0, 1.0, 0.1])
    assert np.allclose(table["evidence"], table["depth"] + table["occam"] - np.log(2))
    assert (table["occam"] > 0).all()
    assert table["occam"].is_monotonic_increasing  # a weaker prior: a sharper minimum relative to it
    assert table["depth"].is_monotonic_decreasing  # ... and a deeper one
    assert (table["train_accuracy"] > 0.8).all()


def test_optimal_batch_size_rule():
    b = [2, 4, 8, 16, 32]
    acc = 1 - (np.log2(b) - np.log2(6.0)) ** 2 / 100  # a parabola in log2 B with its vertex at B = 6
    b_opt, interior = analysis.optimal_batch_size(b, acc)
    assert interior and b_opt == pytest.approx(6.0)
    assert analysis.optimal_batch_size(b, [0.9, 0.8, 0.7, 0.6, 0.5]) == (2.0, False)  # the edge is flagged
    assert analysis.optimal_batch_size(b, [0.5, 0.6, 0.7, 0.8, 0.9]) == (32.0, False)
    b_opt, _ = analysis.optimal_batch_size(b, [0.1, 0.9, 0.9, 0.2, 0.1])  # vertex clipped to neighbours
    assert 2 <= b_opt <= 8
    with pytest.raises(ValueError, match="increase"):
        analysis.optimal_batch_size([4, 2, 8], [0.1, 0.2, 0.3])


def _synthetic_sweep(b_opt_of, values, by, seeds=(0, 1, 2), noise=0.0):
    rng = np.random.default_rng(3)
    rows = []
    for v in values:
        for b in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000):
            for s in seeds:
                acc = 0.95 - 0.02 * (np.log2(b) - np.log2(b_opt_of(v))) ** 2 + noise * rng.normal()
                row = {
                    "lr": 0.1,
                    "momentum": 0.9,
                    "n_train": 1000,
                    "batch_size": b,
                    "seed": s,
                    "final": True,
                    "test_accuracy": acc,
                }
                row[by] = v
                rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("power", [1.0, 0.5])
def test_slope_of_b_opt_is_recovered(power):
    lrs = [0.05, 0.1, 0.2, 0.4]
    table = _synthetic_sweep(lambda e: 100 * e**power, lrs, "lr", noise=0.002)
    slope, (low, high), used = analysis.slope_with_band(table, "lr", lambda e: e, n_boot=100)
    assert used == 4
    assert slope == pytest.approx(power, abs=0.1)
    assert low <= slope <= high
    bopt = analysis.bopt_table(table, "lr")
    assert np.allclose(bopt["g_opt"], bopt["lr"] * 1000 / (bopt["b_opt"] * 0.1))


def test_a_learning_rate_that_never_trains_is_flagged_and_left_out_of_the_trained_fit():
    lrs = [0.05, 0.1, 0.2, 0.4, 0.8]
    table = _synthetic_sweep(lambda e: 100 * e, lrs, "lr", noise=0.002)
    broken = np.isclose(table["lr"], 0.8)  # a chance-level curve whose argmax happens to be interior
    table.loc[broken, "test_accuracy"] = 0.1 + 0.01 * np.exp(-(np.log2(table.loc[broken, "batch_size"] / 4.0) ** 2))
    bopt = analysis.bopt_table(table, "lr")
    assert list(bopt["trained"]) == [True, True, True, True, False] and bopt["interior"].all()
    planned, _, used_all = analysis.slope_with_band(table, "lr", lambda e: e, n_boot=50)
    trained, (low, high), used = analysis.slope_with_band(table, "lr", lambda e: e, n_boot=50, trained_only=True)
    assert (used_all, used) == (5, 4)
    assert trained == pytest.approx(1.0, abs=0.1) and low <= trained <= high
    assert planned < 0.8  # the noise argmax at B = 4 drags the planned fit down


def test_members_and_groups_cover_every_part():
    for scale in ("smoke", "paper"):
        everything = sweeps.all_members(scale)
        assert not everything.duplicated().any()
        for name in sweeps.SWEEPS:
            merged = sweeps.sweep_members(scale, name).merge(everything, how="left", indicator=True)
            assert (merged["_merge"] == "both").all()
        pairs = sweeps.groups(scale)
        assert len(pairs) == len(set(pairs)) == len(everything[["n_train", "batch_size"]].drop_duplicates())
        assert all(b <= n for n, b in pairs)
    config = sweeps.group_config("smoke", 1000, 20)
    assert config["experiment"] == "ch3-batch-group" and config == sweeps.group_config("smoke", 1000, 20)
    with pytest.raises(ValueError, match="batch_size"):
        sweeps.group_config("smoke", 1000, 3)


def test_engine_trains_one_group_with_epoch_sampling(monkeypatch):
    tiny = dataclasses.replace(
        SCALES["smoke"].sweeps,
        hidden=8,
        epochs=2,
        eval_every=1,
        seeds=(0, 1),
        lrs=(0.05,),
        batch_sizes=(100,),
        momenta=(0.0,),
        momentum_batch_sizes=(100,),
        n_values=(1000,),
        n_batch_sizes=(100,),
    )
    monkeypatch.setitem(SCALES, "smoke", dataclasses.replace(SCALES["smoke"], sweeps=tiny))
    out = sweeps.compute_group("smoke", 1000, 100, device="cpu", progress=False)
    table = out["table"]
    final = table[table["final"]]
    assert len(final) == len(sweeps.group_config("smoke", 1000, 100)["members"]) == 4  # (0.05, 0.9), (0.4, 0.0)
    assert (final["step"] == 2 * 10).all() and (final["epoch"] == 2).all()
    assert set(table["epoch"]) == {0, 1, 2}
    assert final["test_accuracy"].between(0, 1).all()
    assert "digits" in out["provenance"]["data_source"]


def test_sweep_view_selects_each_part():
    table = sweeps.all_members("smoke").assign(final=True, test_accuracy=0.5)
    assert set(sweeps.sweep_view(table, "smoke", "lr")["lr"]) == set(SCALES["smoke"].sweeps.lrs)
    assert set(sweeps.sweep_view(table, "smoke", "momentum")["momentum"]) == set(SCALES["smoke"].sweeps.momenta)
    assert set(sweeps.sweep_view(table, "smoke", "n")["n_train"]) == set(SCALES["smoke"].sweeps.n_values)
    with pytest.raises(ValueError, match="sweep"):
        sweeps.sweep_view(table, "smoke", "width")


def _mnist_or_skip():
    from lrlib.data import DataError

    try:
        return data.mnist_pool()
    except DataError as missing:
        pytest.skip(f"MNIST files not available: {missing}")


def test_mnist_pool_and_the_paper_scale_sweep_data():
    x, y, source = _mnist_or_skip()
    assert x.shape == (10999, 784) and 0.0 <= x.min() and x.max() <= 1.0
    assert "first 999" in source
    assert (np.bincount(y[y <= 1]) == [980 + 97, 1135 + 116]).all()
    x_pool, y_pool, x_test, y_test, _ = data.sweep_data("paper")
    cfg = SCALES["paper"].sweeps
    assert len(y_test) == cfg.n_test and len(y_pool) == max(cfg.n_values)
    assert x_pool.shape[1] == 784 and x_pool.dtype.is_floating_point


def test_the_full_pool_holds_the_papers_evidence_test_set():
    from lrlib.data import DataError

    try:
        x, y, source = data.mnist_pool("full")
    except DataError as missing:
        pytest.skip(f"the full MNIST files are not available: {missing}")
    assert x.shape == (70_000, 784) and "70,000" in source
    assert (np.bincount(y)[:2] == [5923 + 980, 6742 + 1135]).all()
    cfg = SCALES["paper"].evidence
    _, ytr, _, yte = data.zeros_vs_ones(x, y, cfg.n_train, np.random.default_rng(0), cfg.n_test)
    assert (len(ytr), len(yte), yte.sum()) == (800, 10_000, 5_000)
    with pytest.raises(ValueError, match="pool"):
        data.mnist_pool("train")


def test_an_evidence_scale_names_a_known_pool_and_an_even_test_set():
    good = SCALES["paper"].evidence
    with pytest.raises(ValueError, match=r"pool must be one of \['offline', 'full'\], got 'train'"):
        dataclasses.replace(good, pool="train")
    with pytest.raises(ValueError, match="n_test"):
        dataclasses.replace(good, n_test=999)


def test_best_during_training_takes_the_maximum_over_evaluations():
    final = _synthetic_sweep(lambda e: 8.0, [0.1], "lr")
    early = final.assign(final=False, test_accuracy=final["test_accuracy"] + 0.01)
    table = pd.concat([early, final])
    best = analysis.final_accuracy(table, "lr", "best")[0.1]
    last = analysis.final_accuracy(table, "lr", "final")[0.1]
    assert np.allclose(best.to_numpy(), last.to_numpy() + 0.01)
    with pytest.raises(ValueError, match="metric"):
        analysis.final_accuracy(table, "lr", "median")


def test_optima_at_the_grid_edge_are_reported_as_bounds():
    table = _synthetic_sweep(lambda e: {0.1: 0.25, 0.2: 8.0, 0.4: 5000.0}[e], [0.1, 0.2, 0.4], "lr")
    bopt = analysis.bopt_table(table, "lr")
    assert list(bopt["edge"]) == ["low", "", "high"]
    assert analysis.format_bopt(bopt) == "≤ 1, 8, ≥ 1e+03"


def test_the_sweeps_part_has_one_unit_per_batched_program_cheapest_first(tmp_path):
    from lrlib.store import Store

    units = SWEEPS.units("paper")
    assert len(units) == len(sweeps.groups("paper")) == 51
    assert [u.config["n_train"] / u.config["batch_size"] for u in units] == sorted(
        u.config["n_train"] / u.config["batch_size"] for u in units
    )
    store = Store(tmp_path)
    assert len(experiment.collect(SWEEPS, "paper", store, compute=False).missing) == 51
    store.put(units[0].config, table=pd.DataFrame({"x": [1.0]}))
    found = experiment.collect(SWEEPS, "paper", store, compute=False)
    assert (len(found.entries), len(found.missing)) == (1, 50)


def test_the_stored_paper_results_give_the_chapter_its_findings_and_claims(stored_paper, snapshot):
    """The chapter's prose quotes these findings and names the claims that fail: a change to the analysis that moves
    them must fail here, not ship silently as a different FAIL row under unchanged text."""
    res = stored_paper(ch3)
    snapshot("ch03_findings", ch3.findings(res))
    claims = ch3.check_claims(res)
    failed = [c.name for c in claims.check().not_reproduced]
    assert len(claims.checked) == 16 and len(failed) == 4
    # the full-MNIST N sweep is stored whole: B_opt ∝ N is checked on it, beside the same claim on the pool
    assert not claims.waiting
    expected = (
        "best minus full-batch",
        "B_opt ∝ ε: log-log slope",
        "B_opt ∝ N for N ≤ 8000",
        "B_opt ∝ N for N ≤ 32000",
    )
    assert all(words in name for words, name in zip(expected, failed)), failed


def test_the_full_mnist_n_sweep_is_keyed_by_its_data_and_needs_the_canonical_training_split(shared_data):
    """Part sweeps-full (Fig. 6 to N = 32,000): its programs are new entries named by their data (the stored
    sweeps keep theirs), it exists at paper scale only, and without the full training files it says so."""
    from lrlib.data import DataError
    from lrlib.papers.ch03_bayesian_batch_size.experiments import SWEEPS_FULL

    units = SWEEPS_FULL.units("paper")
    configs = [u.config for u in units]
    assert SWEEPS_FULL.units("smoke") == []
    assert len(units) == 57 and {c["scale"] for c in configs} == {"paper"}
    assert {(c["dataset"], c["n_test"], c["n_pool"]) for c in configs} == {("mnist-train", 10_000, 32_000)}
    assert max(c["n_train"] for c in configs) == 32_000 and min(c["batch_size"] for c in configs) == 16
    assert all(c["batch_size"] <= c["n_train"] for c in configs)
    stored = {str(u.config) for u in SWEEPS.units("paper")}
    assert not stored & {str(c) for c in configs}
    # every member of a program trains the N sweep's learning rate and momentum, 5 seeds
    assert all(len(c["members"]) == 5 and {m[0] for m in c["members"]} == {1.0} for c in configs)
    with pytest.raises(DataError, match="train"):
        data.sweep_data("full")
    with pytest.raises(ValueError, match="sweeps setting must be one of"):
        sweeps.setting("huge")


def _n_summary(full_power: float | None, pool_power: float = 0.0) -> dict:
    """A sweep summary of the N sweep: B_opt ∝ N**power on the pool (N ≤ 8,000) and, given ``full_power``, on the
    full MNIST (N ≤ 32,000), shown with the pool's result beside it."""

    def summary(power, ns):
        table = _synthetic_sweep(lambda n: 25 * (n / 1000) ** power, ns, "n_train", noise=0.002)
        return analysis.bopt_table(table, "n_train"), analysis.slope_with_band(table, "n_train", lambda n: n, n_boot=50)

    sw = {"momentum_slope": (1.0, (0.9, 1.1), 3)}
    sw["n"], sw["n_slope"] = summary(pool_power, [1000, 2000, 4000, 8000])
    if full_power is not None:
        sw["n_pool"], sw["n_pool_slope"] = sw["n"], sw["n_slope"]
        sw["n"], sw["n_slope"] = summary(full_power, [1000, 2000, 4000, 8000, 16000, 32000])
    return sw


@pytest.mark.parametrize("full_power", [1.0, 0.0])
def test_the_full_mnist_n_sweep_is_claimed_and_read_beside_the_pools(full_power):
    """Once the full-MNIST sweep is shown, B_opt ∝ N is checked on it and, still, on the pool, and section 10 reads
    the outcome it finds, whichever it is."""
    from lrlib.claims import Claims
    from lrlib.papers.ch03_bayesian_batch_size.claims import momentum_and_size_claims
    from lrlib.papers.ch03_bayesian_batch_size.findings import n_sweep_words

    sw = _n_summary(full_power)
    claims = Claims("t", scale="paper")
    momentum_and_size_claims(claims, sw)
    size = {c.name.split(":")[0]: c.passed for c in claims.items if "∝ N" in c.name}
    assert size == {"B_opt ∝ N for N ≤ 8000": False, "B_opt ∝ N for N ≤ 32000": full_power == 1.0}
    words = n_sweep_words(sw, paper=True, waiting="")
    assert "on the full MNIST" in words and "N ≤ 8,000, the slope was" in words and "fails there" in words
    if full_power == 1.0:
        assert "grows with N as the linear rule says" in words and "brings the rule out" in words
    else:
        assert "does not grow with N" in words and "left failing" in words and "1,000 … 32,000" in words


def test_the_pool_n_sweep_reads_how_far_the_full_sweep_is_stored():
    from lrlib.papers.ch03_bayesian_batch_size.findings import n_rule, n_sweep_words

    sw = _n_summary(None)
    waiting = "27 of its 57 programs are stored so far"
    words = n_sweep_words(sw, paper=True, waiting=waiting)
    assert "does not grow with N" in words and "up to N = 8,000 on the 10,999-image pool" in words
    assert waiting in words and "pending row" in words
    assert "reported, not asserted" in n_sweep_words(sw, paper=False, waiting="")
    assert n_rule(-0.8, (-1.0, -0.6)) == "falls as N grows"
    assert n_rule(0.3, (0.1, 0.5)) == "grows with N, more slowly than the linear rule"
    assert n_rule(0.49, (0.28, 1.05)) == "grows with N, more slowly than the linear rule, though its band reaches 1"
    assert n_rule(0.7, (0.6, 0.8)) == "grows with N, but its band excludes a slope of 1"
    assert n_rule(2.0, (1.8, 2.2)) == "grows faster than linearly with N"
    assert n_rule(0.4, (-0.2, 1.1)) == "is not pinned down against N: the slope's band spans both 0 and 1"


def test_the_full_mnist_b_opt_panel_draws_the_pools_optima_beside():
    """Fig. 6 on the full MNIST: the pool's interior B_opt estimates are drawn beside, one point per such N."""
    from lrlib import plots
    from lrlib.papers.ch03_bayesian_batch_size.figures import plot_bopt

    sw = _n_summary(1.0)
    table = _synthetic_sweep(lambda n: 25 * n / 1000, [1000, 2000, 4000, 8000, 16000, 32000], "n_train")
    fig, ax = plots.plt.subplots()
    plot_bopt(ax, table, "n_train", sw["n_slope"], xlabel="N", beside=(sw["n_pool"], "the pool"))
    (pool,) = [line for line in ax.get_lines() if line.get_label() == "the pool"]
    expected = sw["n_pool"][sw["n_pool"]["interior"]]
    assert list(pool.get_xdata()) == list(expected["n_train"])
    assert list(pool.get_ydata()) == list(expected["b_opt"])
    plots.plt.close(fig)
