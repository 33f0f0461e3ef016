"""Chapter 4's theory (C1–C5): critical points, vectorised GD, the threshold and noise helpers on planted answers,
and the five parts end to end at smoke scale (claims, findings, figures)."""

import math

import numpy as np
import pytest

from lrlib import experiment
from lrlib.claims import Claims
from lrlib.findings import Findings
from lrlib.papers.ch04_large_step_gd import theory
from lrlib.papers.ch04_large_step_gd import theory_report as report
from lrlib.store import Store


def test_bisect_finds_a_known_root():
    assert theory.bisect(lambda x: x * x - 2.0, 0.0, 2.0) == pytest.approx(math.sqrt(2.0), abs=1e-15)
    with pytest.raises(ValueError):
        theory.bisect(lambda x: x * x + 1.0, 0.0, 2.0)


def test_critical_points_of_c1_are_the_specs():
    cp = theory.critical_points(theory.C1)
    assert cp.x_local == pytest.approx(1.979793, abs=1e-6)
    assert cp.curvature_local == pytest.approx(94.979, abs=1e-3)
    assert cp.x_barrier == pytest.approx(1.7745, abs=1e-4)
    assert cp.barrier_height == pytest.approx(0.5158, abs=1e-4)
    assert abs(theory.C1.grad(cp.x_local)) < 1e-12 and abs(theory.C1.grad(cp.x_barrier)) < 1e-12
    assert theory.C1.hess(cp.x_barrier) < 0 < theory.C1.hess(cp.x_local)
    assert theory.basin_fraction(theory.C1) == pytest.approx((4 - cp.x_barrier) / 8)


def test_the_gradient_and_hessian_match_finite_differences():
    x, eps = np.linspace(1.5, 2.5, 11), 1e-6
    dip = theory.C1
    assert np.allclose(dip.grad(x), (dip.f(x + eps) - dip.f(x - eps)) / (2 * eps), atol=1e-5)
    assert np.allclose(dip.hess(x), (dip.grad(x + eps) - dip.grad(x - eps)) / (2 * eps), atol=1e-3)
    gx, gy = theory.C2.grad(np.array([2.05]), np.array([0.03]))
    f2 = lambda x, y: 0.5 * (x**2 + 10 * y**2) - np.exp(-((x - 2) ** 2 + y**2) / (2 * 0.1**2))  # noqa: E731
    assert gx[0] == pytest.approx((f2(2.05 + eps, 0.03) - f2(2.05 - eps, 0.03)) / (2 * eps), rel=1e-6)
    assert gy[0] == pytest.approx((f2(2.05, 0.03 + eps) - f2(2.05, 0.03 - eps)) / (2 * eps), rel=1e-6)


def test_gd_is_vectorised_over_step_sizes_and_inits():
    x0 = np.array([-3.0, 0.5, 2.5, 3.9])
    final, low, high = theory.gd(theory.C1, x0, [0.005, 0.5], 4000, tail=10)
    assert final.shape == low.shape == (2, 4)
    assert np.allclose(final[1], 0.0, atol=1e-12)  # the large step: every init at the global minimum
    x_l = theory.critical_points(theory.C1).x_local
    assert np.allclose(final[0, 2:], x_l, atol=1e-9) and np.allclose(final[0, :2], 0.0, atol=1e-6)
    assert np.all(low <= final) and np.all(final <= high)
    path = theory.trajectories(theory.C1, 2.5, [0.5], 3)
    assert path[0, 1] == pytest.approx(2.5 - 0.5 * float(theory.C1.grad(2.5)))


def test_escape_threshold_needs_every_larger_value_free():
    r = np.array([3.6, 3.7, 3.8, 3.9])
    assert theory.escape_threshold(r, np.array([1.0, 0.0, 0.0, 0.0])) == 3.7
    assert theory.escape_threshold(r, np.array([1.0, 0.0, 0.1, 0.0])) == 3.9
    assert theory.escape_threshold(r[::-1], np.array([0.0, 0.0, 0.0, 1.0])) == 3.7
    assert math.isnan(theory.escape_threshold(r, np.ones(4)))


def test_ou_spread_and_gibbs_mass_on_a_pure_quadratic():
    rng = np.random.default_rng(0)
    lr, sigma, mu = 0.05, 2.0, 1.0
    x = np.zeros(20000)
    for _ in range(400):
        x -= lr * (mu * x + sigma * rng.standard_normal(x.shape))
    assert x.std() == pytest.approx(theory.ou_spread(lr, sigma, mu), rel=0.03)
    flat = theory.Dip(h=0.0)  # f = x²/2: the Gibbs density at T is N(0, T)
    assert theory.gibbs_mass_beyond(flat, 1.0, 0.25) == pytest.approx(0.5 * math.erfc(2.0 / math.sqrt(2)), rel=1e-4)
    assert theory.gibbs_mass_beyond(flat, 1.0, 0.0) == 0.0


def test_vanishing_noise_is_zero_with_zero_slope_at_both_minima():
    x_l = theory.critical_points(theory.C1).x_local
    m, eps = theory.C3_NOISE, 1e-4
    for x in (0.0, x_l):
        assert m(np.array([x]), x_l)[0] == 0.0
        assert m(np.array([x + eps]), x_l)[0] < 1e-5  # quadratic: m(x + ε) = O(ε²)


def test_configs_name_the_experiment_and_only_the_random_parts_follow_lrlib_seed(monkeypatch):
    for part in theory.PARTS:
        (unit,) = part.units("paper")
        assert unit.config["experiment"].startswith("ch4-theory-") and unit.config["version"] == 1
        assert unit.config["scale"] == "paper"
    before = {p.name: p.units("smoke")[0].config for p in theory.PARTS}
    monkeypatch.setenv("LRLIB_SEED", "3")
    after = {p.name: p.units("smoke")[0].config for p in theory.PARTS}
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"theory-c3", "theory-c4", "theory-c5"}


@pytest.fixture(scope="module")
def smoke_results(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("ch4_theory"))
    return experiment.Results({p.name: experiment.collect(p, "smoke", store) for p in theory.PARTS})


def test_smoke_parts_hold_every_claim(smoke_results):
    claims = report.add_claims(Claims("theory", scale="smoke"), smoke_results)
    assert len(claims.items) >= 20
    assert not claims.failed, str(claims)
    assert {c.scale for c in claims.items} == {"smoke"}


def test_c4_x_trajectories_are_bit_identical_and_y_follows_the_ou_spread(smoke_results):
    t = smoke_results.table("theory-c4")
    assert (t["x_deviation_max"] == 0.0).all()
    noisy = t[t["sigma"] > 0]
    assert np.allclose(noisy["y_spread"], noisy["y_spread_theory"], rtol=0.15)


def test_findings_are_prefixed_by_construction_and_finite(smoke_results):
    table = report.add_findings(Findings(), smoke_results).table()
    assert table["key"].str.match(r"c[1-5]_").all()
    assert table["key"].is_unique
    assert np.isfinite(table["value"].astype(float)).all()
    assert set(table["part"]) == {p.name for p in theory.PARTS}


def test_figures_draw(smoke_results):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name, figure in report.FIGURES.items():
        fig = figure(smoke_results)
        assert fig.axes, name
        plt.close(fig)
