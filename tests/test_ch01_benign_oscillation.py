"""Chapter 1 (benign oscillation): the data model, the 1-D map behind the mechanism, the engine on this model,
and the claims' ability to fail."""

import numpy as np
import pandas as pd
import pytest
import torch

from lrlib.claims import Claims
from lrlib.papers.ch01_benign_oscillation import claims, data, experiments, model, scales, theory, training


# ------------------------------------------------------------------------------------------------ data model
def test_training_set_has_the_specified_composition():
    train = data.make_data(0)["train"]
    assert train.x.shape == (16, 3, 64) and train.x.dtype == torch.float64
    assert int(train.strong.sum()) == 14 and int((~train.strong).sum()) == 2
    for group in (train.strong, ~train.strong):  # labels balanced within each group
        assert float(train.y[group].sum()) == 0.0


def test_patches_carry_u_v_and_orthogonal_noise():
    sets = data.make_data(3)
    train = sets["train"]
    u, v = data.features()
    # patch 1: y·u on strong points, 0 on weak points; patch 2: y·v everywhere
    assert torch.equal(train.x[:, 0], (train.y * train.strong.double()).unsqueeze(1) * u)
    assert torch.equal(train.x[:, 1], train.y.unsqueeze(1) * v)
    # noise lives on the coordinates orthogonal to u and v
    assert torch.all(train.x[:, 2, :2] == 0) and torch.all(train.x[:, 2, 2:] != 0)
    weak = sets["weak_test"]
    assert len(weak) == 1000 and not weak.strong.any() and torch.all(weak.x[:, 0] == 0)
    assert float(weak.y.sum()) == 0.0
    mixed = sets["mixed_test"]
    assert int(mixed.strong.sum()) == 28 and int((~mixed.strong).sum()) == 4


def test_noise_energy_matches_the_requested_ratio():
    assert scales.DATA_MODEL.sigma_p == pytest.approx(0.0254, abs=1e-4)  # the spec's σ_p
    g = torch.Generator().manual_seed(0)
    for ratio in (1.0, 4.0, 16.0):
        dm = scales.DataModel(noise_to_weak=ratio)
        noise = data.sample_points(dm, 0, 20_000, g).noise
        energy = float(noise.square().sum(1).mean())
        assert energy == pytest.approx(ratio * dm.v_norm**2, rel=0.01)


def test_data_is_reproducible_and_seed_dependent():
    a, b, c = data.make_data(5)["train"], data.make_data(5)["train"], data.make_data(6)["train"]
    assert torch.equal(a.x, b.x) and not torch.equal(a.x, c.x)


@pytest.mark.parametrize(
    "kwargs, word", [({"v_norm": -0.1}, "v_norm"), ({"d": 2}, "d"), ({"noise_to_weak": float("nan")}, "noise_to_weak")]
)
def test_bad_data_model_parameters_are_one_line_errors(kwargs, word):
    with pytest.raises(ValueError, match=word):
        scales.DataModel(**kwargs)


# ------------------------------------------------------------------------------------------- the 1-D map
def test_stability_threshold():
    assert theory.eta_star() == 2.0  # m/(4‖u‖²) with m = 8, ‖u‖ = 1
    assert theory.eta_star(m=16, u_norm=2.0) == 1.0
    with pytest.raises(ValueError, match="u_norm"):
        theory.eta_star(u_norm=0.0)


def test_map_is_one_sgd_step_of_the_network_on_a_strong_point():
    """The derivation: on a point that is y·u alone, SGD multiplies every active ⟨w, y·u⟩ by 1 − k(yf − 1)."""
    dm = scales.DataModel(noise_to_weak=1.0)
    point = data.PatchData(
        x=torch.zeros(1, 3, dm.d, dtype=torch.float64),
        y=torch.tensor([1.0], dtype=torch.float64),
        strong=torch.tensor([True]),
    )
    point.x[0, 0, 0] = dm.u_norm
    w0 = torch.zeros(2, 8, dm.d, dtype=torch.float64)
    w0[0, :3, 0] = torch.tensor([0.9, 1.3, 2.0])  # three active +1 neurons
    for k in (0.5, 1.25, 1.55):
        f0 = float(model.network_output(w0[None], point.x)[0, 0])
        w1 = model.reference_sgd(w0, point, lr=k * theory.eta_star(), indices=torch.tensor([0]))
        f1 = float(model.network_output(w1[None], point.x)[0, 0])
        assert f1 == pytest.approx(theory.oscillation_map(f0, k), rel=1e-12)


@pytest.mark.parametrize("k, average", [(1.05, 0.976), (1.2, 0.916), (1.3, 0.895), (1.5, 0.789)])
def test_time_average_of_the_orbit_is_below_one(k, average):
    """The spec's table (section 5), computed independently when the spec was written."""
    orbit = theory.map_orbit(k, steps=100_000)
    assert orbit.mean() == pytest.approx(average, abs=0.005)


def test_below_threshold_the_orbit_settles_at_one():
    for k in (0.1, 0.5, 0.9):
        assert np.allclose(theory.map_orbit(k, steps=100), 1.0, atol=1e-9)
        assert theory.weak_growth_per_step(k, steps=1000) == pytest.approx(0.0, abs=1e-12)


def test_orbit_reaches_zero_from_k_1598():
    assert theory.K_TOUCHES_ZERO == pytest.approx(1.598, abs=1e-3)
    low, high = theory.orbit_bounds(np.array([1.3, 1.5, 1.59, 1.61]))
    assert np.all(low[:3] > 0) and low[3] == 0
    for k in (1.2, 1.45, 1.59):  # the orbit stays inside its bounds
        orbit = theory.map_orbit(k, steps=20_000)
        lo, hi = theory.orbit_bounds(k)
        assert orbit.min() >= lo - 1e-9 and orbit.max() <= hi + 1e-9
    assert theory.map_orbit(1.59, steps=50_000).min() > 0
    assert theory.map_orbit(1.65, steps=50_000).min() < 1e-3


def test_weak_feature_grows_above_threshold():
    rates = theory.weak_growth_per_step(np.array([1.1, 1.25, 1.5]))
    assert np.all(rates > 0) and np.all(np.diff(rates) > 0)
    # (n_strong/2n)·k(‖v‖/‖u‖)²·(1 − time-average f), to first order
    first_order = (7 / 16) * 1.25 * 0.01 * (1 - theory.map_orbit(1.25).mean())
    assert rates[1] == pytest.approx(first_order, rel=0.02)


# ------------------------------------------------------------------------------------ the engine, this model
def test_network_output_matches_the_engine_model():
    from lrlib.models import PatchReLU2

    engine_model = PatchReLU2(dim=64, width=8, patches=3, sigma0=0.3)
    params = engine_model.init([0, 1], dtype=torch.float64)
    x = data.make_data(0)["mixed_test"].x
    assert torch.allclose(engine_model.forward(params, x), model.network_output(params["w"], x), rtol=1e-12, atol=1e-15)


def test_engine_training_equals_plain_sgd_on_this_model():
    """Same init, same sampled points: the engine's weights equal the written-out SGD's, for both LRs."""
    from lrlib.models import PatchReLU2
    from lrlib.train import Data, grid, train

    steps = 300
    train_set = data.make_data(data.data_seed(0))["train"]
    engine_model = PatchReLU2(dim=64, width=8, patches=3, sigma0=0.01)
    members = grid(lr=[0.5 * theory.eta_star(), 1.25 * theory.eta_star()], seed=[7], batch_size=1)
    result = train(
        engine_model,
        Data(train_set.x, train_set.y),
        members,
        loss="squared_margin",
        steps=steps,
        dtype=torch.float64,
        device="cpu",
        keep_params=True,
        record_batch_loss=True,
        progress=False,
    )
    w0 = engine_model.init([7], dtype=torch.float64)["w"][0]
    indices = torch.as_tensor(training.sampled_points([7], steps, len(train_set))[0])
    for k, lr in enumerate(members["lr"]):
        w = model.reference_sgd(w0, train_set, lr, indices)
        engine = result.params["w"][k]
        assert float((engine - w).norm() / w.norm()) < 1e-9
        assert float((w - w0).norm() / w0.norm()) > 1.0  # the weights really moved
    # the recorded loss is that of the sampled point, before its step
    f0 = model.network_output(w0[None], train_set.x[indices[:1]])[0, 0]
    assert result.batch_loss[0, 0] == pytest.approx(float((train_set.y[indices[0]] * f0 - 1) ** 2), rel=1e-12)


def test_oscillation_fraction_counts_strong_steps_only():
    loss = np.array([[0.04, 0.01, 1.0, 0.09, np.nan, 0.25]])
    strong = np.array([[True, True, False, True, True, True]])
    # counted steps: 0 (|yf−1| = 0.2, counts), 1 (0.1), 3 (0.3, counts); 2 is weak, 4 NaN, 5 beyond upto
    assert training.oscillation_fraction(loss, strong, upto=5)[0] == pytest.approx(2 / 3)


# ------------------------------------------------------------------------------------------------- claims
def _members(weak_small, weak_large, osc_small=0.0, osc_large=0.8, v_small=0.005, v_large=0.9):
    rows = []
    for ratio, weak, osc, v in ((0.5, weak_small, osc_small, v_small), (1.25, weak_large, osc_large, v_large)):
        for seed in range(5):
            rows.append(
                {
                    "lr_ratio": ratio,
                    "seed_id": seed,
                    "weak_test": weak,
                    "mixed_test": 0.96 if ratio < 1 else 1,
                    "mixed_strong": 1.0,
                    "train_accuracy": 1.0,
                    "train_loss": 1e-3,
                    "oscillation_fraction": osc,
                    "v": v,
                    "u": 2.0,
                    "stop_reason": "max_steps",
                }
            )
    return pd.DataFrame(rows)


def test_claims_hold_on_the_expected_numbers_and_fail_otherwise():
    ok = claims.main_claims(Claims("ok"), _members(0.62, 1.0), 0.5, 1.25)
    ok.check()
    swapped = claims.main_claims(
        Claims("swapped"), _members(1.0, 0.62, osc_small=0.8, osc_large=0.0, v_small=0.9, v_large=0.005), 0.5, 1.25
    )
    failed = {c.name.split(".")[0] for c in swapped.failed}
    assert {"1", "2", "3", "6", "7"} <= failed
    with pytest.raises(AssertionError):
        swapped.check()


def test_sweep_claims_count_divergence_as_an_outcome():
    rows = [
        {
            "lr_ratio": r,
            "seed_id": s,
            "weak_test": 0.62 if r < 1 else 1.0,
            "oscillation_fraction": 0.5,
            "stop_reason": "diverged" if r >= 1.7 else "max_steps",
        }
        for r in (0.5, 0.9, 1.25, 1.5, 1.7)
        for s in range(3)
    ]
    claims.sweep_claims(Claims("sweep"), pd.DataFrame(rows)).check()
    rows[-1]["stop_reason"] = "max_steps"  # one run at 1.7 η* survives
    assert claims.sweep_claims(Claims("sweep"), pd.DataFrame(rows)).failed


def test_scales_are_defined_side_by_side():
    table = scales.scales_table()
    assert list(table.columns) == ["smoke", "paper"]
    assert set(scales.SCALES["paper"].sweep_lrs) >= {0.1, 0.9, 1.0, 1.15, 1.5, 1.6}
    for name in ("smoke", "paper"):
        s = scales.SCALES[name]
        assert s.small_lr < 1 < s.large_lr < theory.K_TOUCHES_ZERO  # one LR on each side of η*
        for config in (
            experiments.main_config(name),
            experiments.lr_sweep_config(name),
            experiments.noise_window_config(name),
        ):
            assert config["experiment"].startswith("ch1-") and config["experiment"] in experiments.EXPERIMENTS


# ------------------------------------------------------------------------------- the stored paper-scale results
@pytest.fixture
def paper_results(stored_paper):
    from lrlib.papers import ch01_benign_oscillation as ch1

    return ch1, stored_paper(ch1)


def test_every_claim_holds_on_the_stored_paper_results(paper_results):
    ch1, res = paper_results
    table = ch1.check_claims(res).table()
    assert len(table) == 21 and set(table["scale"]) == {"paper"} and set(table["result"]) == {"pass"}


def test_findings_on_the_stored_paper_results(paper_results, snapshot):
    ch1, res = paper_results
    snapshot("ch01_findings", ch1.findings(res))
