"""Chapter 4's CIFAR arms: the arms' schedules, the two-phase run, the store keys and the analysis on planted
tables (the runs themselves are exercised by the chapter's smoke notebook)."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from lrlib.claims import Claims
from lrlib.experiment import PartResult, Results
from lrlib.findings import Findings
from lrlib.papers.ch04_large_step_gd import cifar, cifar_report
from lrlib.vision import ImageData, RunSpec, train_run

TINY = dataclasses.replace(
    cifar.SMOKE,
    width=4,
    train_images=64,
    batch_size=16,
    phase1_epochs=2,
    warmup_epochs=1,
    phase2_epochs=2,
    hessian_images=16,
    hessian_iters=2,
)


def test_noise_scales_match_the_large_lr():
    assert cifar.noise_scale("noise_temperature", 10) == pytest.approx(3.0)
    assert cifar.noise_scale("noise_step", 10) == pytest.approx(math.sqrt(99))
    for k in (4, 10):  # γ_S(1 + a²) = γ_L and γ_S·√(1 + a²) = γ_L
        assert (1 + cifar.noise_scale("noise_temperature", k) ** 2) / k == pytest.approx(1)
        assert math.sqrt(1 + cifar.noise_scale("noise_step", k) ** 2) / k == pytest.approx(1)
    assert cifar.noise_scale("large", 10) == cifar.noise_scale("warmup", 10) == 0


def _lrs(first: RunSpec, second: RunSpec) -> list[float]:
    return [first.lr_at(e) for e in range(1, first.epochs + 1)] + [
        second.lr_at(e) for e in range(first.epochs + 1, second.epochs + 1)
    ]


def test_arm_schedules():
    s = cifar.SMOKE  # γ_L 0.1, k 10, E1 4, W 1, E2 2
    expected = {
        ("large", "steps"): [0.1] * 4 + [0.01, 0.001],
        ("small", "steps"): [0.01] * 4 + [0.01, 0.001],
        ("warmup", "steps"): [0.1] + [0.01] * 3 + [0.01, 0.001],
        ("small", "sigma"): [0.01] * 40 + [0.01, 0.001],
        ("warmup", "sigma"): [0.1] + [0.01] * 30 + [0.01, 0.001],
    }
    for (arm, budget), lrs in expected.items():
        first, second = cifar.phase_specs(s, arm, budget, seed=3)
        assert _lrs(first, second) == pytest.approx(lrs), (arm, budget)
        assert first.seed == second.seed == 3 and not second.net.batchnorm
    for arm in ("noise_temperature", "noise_step"):
        first, second = cifar.phase_specs(s, arm, "steps", seed=0)
        assert first.grad_noise == "amplified" and first.grad_noise_scale == cifar.noise_scale(arm, 10)
        assert second.grad_noise == "none" and second.augment == first.augment == "crop_flip"
    with pytest.raises(ValueError):
        cifar.phase_specs(s, "large", "sigma", 0)  # the large arm is the same run in both budgets


def test_gd_specs():
    s = cifar.SMOKE
    switch = cifar.gd_spec(s, "switch", 0)
    assert switch.full_batch and switch.lr_at(s.gd_settle_steps) == s.gd_lr_small
    assert switch.lr_at(s.gd_settle_steps + 1) == pytest.approx(s.gd_lr_large)
    assert cifar.gd_spec(s, "small", 0).lr_at(10_000) == s.gd_lr_small
    assert cifar.gd_spec(s, "large", 0).lr_at(1) == pytest.approx(s.gd_lr_large)


def _noise_images(n=64):
    g = torch.Generator().manual_seed(0)
    return ImageData(torch.randn(n, 3, 16, 16, generator=g), torch.randint(0, 10, (n,), generator=g), "noise")


def test_two_phase_run_continues_exactly(tmp_path):
    """Phase 2 from phase 1's checkpoint is the run one spec with both milestones would have been."""
    data = _noise_images()
    first, second = cifar.phase_specs(TINY, "large", "steps", seed=1)
    chained = cifar.train_arm(first, second, data, {"train": data}, tmp_path)
    single = RunSpec(
        net=first.net,
        epochs=4,
        batch_size=16,
        lr=0.1,
        lr_milestones=(3, 4),
        lr_factor=0.1,
        momentum=first.momentum,
        weight_decay=first.weight_decay,
        train_subset=64,
        augment="crop_flip",
        seed=1,
    )
    plain = train_run(single, data, {"train": data})
    assert list(chained["phase"]) == [1, 1, 1, 2, 2]
    np.testing.assert_allclose(chained["train_loss"], plain["train_loss"], rtol=1e-6)
    np.testing.assert_allclose(chained["loss.train"], plain["loss.train"], rtol=1e-6)
    assert np.isfinite(chained["hessian_top"].iloc[[0, 2, 4]]).all()  # epoch 0, end of phase 1, end
    again = cifar.train_arm(first, second, data, {"train": data}, tmp_path)  # finished: read back, not retrained
    pd.testing.assert_frame_equal(again, chained)


def test_store_keys():
    for part in cifar.PARTS:
        for scale in ("smoke", "paper"):
            units = part.units(scale)
            labels = [u.label for u in units]
            assert len(set(labels)) == len(labels)
            for u in units:
                c = u.config
                assert c["experiment"].startswith("ch4-cifar-") and c["version"] == 1 and c["scale"] == scale
    smoke = [u.config for u in cifar.CIFAR.units("smoke")]
    assert smoke == [u.config for u in cifar.CIFAR_CPU.units("smoke")]  # the same runs, stored once
    gpu, cpu = cifar.CIFAR.units("paper"), cifar.CIFAR_CPU.units("paper")
    assert {u.config["setting"] for u in gpu} == {"gpu"} and {u.config["setting"] for u in cpu} == {"cpu"}
    sgd = [u.config for u in cpu if u.config["experiment"] == "ch4-cifar-sgd"]
    assert len(sgd) == cifar.CPU.seeds * (len(cifar.ARMS) + len(cifar.CPU.sigma_arms))
    assert all(not c["phase1"]["net"]["batchnorm"] and c["phase1"]["net"]["width"] == 8 for c in sgd)


def _planted_sgd() -> pd.DataFrame:
    rows = []
    accuracy = {"large": 0.9, "small": 0.85, "noise_temperature": 0.86, "noise_step": 0.87, "warmup": 0.895}
    for arm, acc in accuracy.items():
        for seed_id in (0, 1):
            for epoch in range(4):
                rows.append(
                    dict(
                        arm=arm,
                        budget="steps",
                        seed_id=seed_id,
                        phase=1 if epoch <= 2 else 2,
                        epoch=epoch,
                        phase1_epochs=2,
                        **{"accuracy.test": acc + 0.01 * seed_id if epoch == 3 else 0.1},
                        **{"accuracy.train_clean": 1.0, "loss.test": 0.5, "loss.train_clean": 0.01},
                        hessian_top=5.0 if epoch == 2 else np.nan,
                        stop_reason="max_epochs",
                    )
                )
    sigma = [dict(r, budget="sigma", **{"accuracy.test": 0.92}) for r in rows if r["arm"] == "small"]
    return pd.DataFrame(rows + sigma)


def _planted_gd() -> pd.DataFrame:
    steps = np.arange(0, 41)
    loss = np.where(steps <= 20, 2.0 - 0.01 * steps, 1.5)  # settles at 1.8, then a spike and lower loss
    loss[21] = 1.8  # row t + 1 holds the loss at the weights of step t: where GD settled
    loss[22] = 5.0
    hessian = np.full(len(steps), np.nan)
    hessian[[0, 20, 40]] = [30.0, 12.0, 3.0]
    return pd.DataFrame(
        dict(
            arm="switch",
            seed_id=0,
            step=steps,
            lr=np.where(steps <= 20, 0.05, 0.5),
            train_loss=loss,
            **{"accuracy.test": 0.3},
            hessian_top=hessian,
            settle_steps=20,
            lr_small=0.05,
            lr_large=0.5,
            stop_reason="max_epochs",
        )
    )


def test_analysis_on_planted_tables():
    table = pd.concat([_planted_sgd(), _planted_gd()], ignore_index=True)
    finals = cifar.final_runs(table)
    assert cifar.accuracy_gap(finals, "small") == pytest.approx(0.05)
    assert cifar.accuracy_gap(finals, "small", "sigma") == pytest.approx(0.905 - 0.92)  # large reused under sigma
    assert math.isnan(cifar.accuracy_gap(finals, "noise_step", "sigma"))
    assert (finals["sharpness_phase1"] == 5.0).all()
    summary = cifar.arm_summary(finals)
    assert list(summary.loc[summary["budget"] == "steps", "arm"]) == list(cifar.ARMS)
    switch = cifar.gd_switch(table).iloc[0]
    assert switch["loss_at_switch"] == pytest.approx(1.8) and switch["peak_loss_after"] == 5.0
    assert switch["final_loss"] == 1.5 and switch["sharpness_at_switch"] == 12.0 and switch["sharpness_end"] == 3.0
    assert switch["two_over_lr_large"] == pytest.approx(4.0)


def _results(**parts) -> Results:
    """Loaded parts holding the given (table, scale), one entry each (or none for an empty table)."""
    loaded = {}
    for name, (table, scale) in parts.items():
        entries = {} if table.empty else {"all runs": SimpleNamespace(table=table, provenance={})}
        loaded[name] = PartResult(next(p for p in cifar.PARTS if p.name == name), scale, entries, [])
    return Results(loaded)


def test_claims_and_findings_on_planted_results():
    table = pd.concat([_planted_sgd(), _planted_gd()], ignore_index=True)
    res = _results(cifar=(table.iloc[:0], "smoke"), **{"cifar-cpu": (table, "paper")})
    assert cifar.shown_part(res) == "cifar-cpu"
    claims = Claims("ch4")
    cifar_report.add_claims(claims, res)
    results = claims.table().set_index("claim")
    assert (results["scale"] == "paper").all() and len(results) >= 8
    p1 = results.loc[[c for c in results.index if c.startswith("P1.")][0]]
    assert p1["result"] == "pass" and float(p1["measured"]) == pytest.approx(0.05)
    p3 = results.loc[[c for c in results.index if c.startswith("P3.")][0]]
    assert p3["result"] == "pass"
    f = Findings()
    cifar_report.add_findings(f, res)
    values = f.table().set_index("key")["value"]
    assert values["cifar_setting"] == "CPU"
    assert values["cifar_gap_steps_small"] == pytest.approx(0.05)
    assert values["cifar_gd_peak_loss_after"] == 5.0


def test_the_readings_say_what_the_numbers_show():
    sgd, gd = _planted_sgd(), _planted_gd()
    res = _results(cifar=(sgd.iloc[:0], "smoke"), **{"cifar-cpu": (pd.concat([sgd, gd], ignore_index=True), "paper")})
    arms = cifar_report.arms_reading(res).data
    assert "large-LR arm (a) ends at 90.5% test accuracy" in arms and "ahead of every small-rate arm" in arms
    assert "(b) small LR ends at 92.0%" in arms and "The longer runs win here" in arms  # sigma beats large
    assert "no trace" not in arms  # the planted warm-up ends next to the large arm
    assert "$\\gamma\\lambda_\\text{max}$ is 1.50 to 1.50" in cifar_report.gd_reading(res).data  # 3.0 at γ = 0.5
    assert "edge of stability" not in cifar_report.gd_reading(res).data
    gd.loc[gd["step"] == 40, "hessian_top"] = 6.0  # above 2/γ = 4
    sharp = _results(cifar=(sgd.iloc[:0], "smoke"), **{"cifar-cpu": (pd.concat([sgd, gd], ignore_index=True), "paper")})
    assert "Every run ends above that limit" in cifar_report.gd_reading(sharp).data
    smoke = _results(cifar=(pd.concat([sgd, gd], ignore_index=True), "smoke"), **{"cifar-cpu": (sgd.iloc[:0], "smoke")})
    assert "say nothing about the paper's claims" in cifar_report.arms_reading(smoke).data


def test_a_missing_arm_fails_its_claim_rather_than_vanishing():
    # the planted setting lacks the noise arm at equal Σγ and the small and large GD arms that the CPU setting runs
    table = pd.concat([_planted_sgd(), _planted_gd()], ignore_index=True)
    claims = Claims("ch4")
    cifar_report.add_claims(claims, _results(cifar=(table.iloc[:0], "smoke"), **{"cifar-cpu": (table, "paper")}))
    assert [c.name.split(" [")[0] for c in claims.failed] == [
        "P2. test accuracy, (a) large − (c) small LR + noise, temperature-matched, equal Σγ (k× the small-LR epochs)",
        "P4. full-batch GD test accuracy, large − small LR",
    ]


def test_while_only_the_smoke_runs_are_shown_the_cpu_claims_are_pending(tmp_path, monkeypatch):
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))  # nothing stored
    table = pd.concat([_planted_sgd(), _planted_gd()], ignore_index=True)
    claims = Claims("ch4")
    cifar_report.add_claims(claims, _results(cifar=(table, "smoke"), **{"cifar-cpu": (table, "smoke")}))
    smoke = [c for c in claims.items if c.scale == "smoke"]
    assert [c.result for c in smoke] == ["pass", "pass"], "the switch claims are checked on the smoke runs"
    pending = claims.waiting
    total = len(cifar.CIFAR_CPU.units("paper"))
    assert {c.measured for c in pending} == {
        f"waiting: 0 of the {total} runs of the CPU setting stored so far (part 'cifar-cpu'); checked once all are"
    }
    assert [c.name.split(".")[0] for c in pending] == ["P4", "P4", "P1", "P2", "P2", "P2", "P3", "P4", "P4", "P4/S8"]
    assert all(c.name.endswith("[cpu]") for c in pending)
