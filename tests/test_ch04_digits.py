"""Chapter 4 on the digits (:mod:`lrlib.papers.ch04_large_step_gd.digits`): the noise rules, the amplified-noise
step, the sharpness measurement, the arms, and the parts end to end on a tiny scale."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from lrlib import experiment
from lrlib.claims import Claims
from lrlib.findings import Findings
from lrlib.models import MLP
from lrlib.papers.ch04_large_step_gd import digits as D
from lrlib.papers.ch04_large_step_gd import digits_report as R
from lrlib.store import Store
from lrlib.train import Data, losses, rng


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _tiny_data(n=40, n_test=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n + n_test, 64, generator=g)
    y = torch.randint(0, 10, (n + n_test,), generator=g)
    return Data(x[:n], y[:n], x[n:], y[n:])


def test_matched_alpha_matches_temperature_and_step():
    k, small = 4.0, 0.05
    a_t, a_s = D.matched_alpha("temperature", k), D.matched_alpha("step", k)
    assert a_t == pytest.approx(math.sqrt(3)) and a_s == pytest.approx(math.sqrt(15))
    assert small * (1 + a_t**2) == pytest.approx(k * small)  # γ_s(1 + α²) = γ_L
    assert small * math.sqrt(1 + a_s**2) == pytest.approx(k * small)  # γ_s√(1 + α²) = γ_L
    with pytest.raises(ValueError):
        D.matched_alpha("energy", k)


def test_amplified_noise_step_is_the_three_batch_estimator():
    """One step equals w − lr·(g_B + α(g_B′ − g_B″)/√2) with the gradients computed by autograd."""
    model, data = MLP([64, 8, 10]), _tiny_data()
    params = model.init([0, 1], dtype=torch.float64)
    d = data.on("cpu", torch.float64, "cross_entropy")
    seeds = torch.tensor([0, 1])
    batches = [rng.batch_indices(s, torch.arange(1), d.n, 5, "step")[:, 0] for s in (seeds, seeds + 7, seeds + 9)]
    alpha, lr = torch.tensor([math.sqrt(3), 0.0], dtype=torch.float64), torch.tensor([0.1, 0.2], dtype=torch.float64)

    def grad(idx):
        f = model.forward(params, d.x[idx])
        _, df = losses.mean_and_grad("cross_entropy", f, d.y[idx], torch.ones(2, dtype=torch.float64))
        return model.autograd_backward(params, d.x[idx], df)

    g = [grad(b) for b in batches]

    def per_member(v, p):
        return v.view(-1, *[1] * (p.dim() - 1))

    expected = {
        n: p - per_member(lr, p) * (g[0][n] + per_member(alpha, p) * (g[1][n] - g[2][n]) / math.sqrt(2))
        for n, p in params.items()
    }
    D.amplified_noise_step(model, params, d, batches, alpha, lr)
    for n in params:
        torch.testing.assert_close(params[n], expected[n], rtol=1e-10, atol=1e-12)


def test_noise_loop_without_noise_reproduces_the_engine():
    """α = 0: the same initialisation, minibatches and LR switch as the engine's run, so the same numbers."""
    model, data = MLP([64, 16, 10]), _tiny_data(n=60)
    members = pd.DataFrame(
        dict(family="SGD", arm="small", budget="equal steps", seed_index=[0, 1], seed=[3, 4], lr=[0.2, 0.1],
             phase2_lr=0.05, noise_alpha=0.0, batch_size=8, phase1_steps=[20, 30], steps=[35, 45])
    )  # fmt: skip
    engine = D.train_plain(model, data, members, iterations=5, points=2)
    loop = D.train_amplified_noise(model, data, members, iterations=5, points=2)
    assert len(engine) == len(loop) == 4
    for c in ("step", "train_loss", "test_accuracy", "sharpness", "sharpness_end"):
        np.testing.assert_allclose(loop[c].to_numpy(float), engine[c].to_numpy(float), rtol=2e-4, err_msg=c)


def test_top_hessian_eigenvalue_matches_the_full_hessian():
    model, data = MLP([64, 3, 10]), _tiny_data(n=30)
    params = model.init([0, 1], dtype=torch.float64)
    est = D.top_hessian_eigenvalue(model, params, data.x.double(), data.y, iterations=300)
    for k in range(2):
        names = list(params)
        flat = torch.cat([params[n][k].flatten() for n in names])
        shapes = [params[n][k].shape for n in names]

        def loss(w, names=names, shapes=shapes):
            parts, i = {}, 0
            for n, sh in zip(names, shapes):
                parts[n] = w[i : i + sh.numel()].view(1, *sh)
                i += sh.numel()
            f = model.forward(parts, data.x.double())
            return losses.per_example("cross_entropy", f, data.y.unsqueeze(0), torch.ones(1)).mean()

        hessian = torch.autograd.functional.hessian(loss, flat)
        top = torch.linalg.eigvalsh(hessian)
        assert est[k].item() == pytest.approx(top[-1].item(), rel=1e-3)


def test_arms_budgets_and_seeds(monkeypatch):
    s = D.SCALES["smoke"]
    sgd = D.arms(s, "SGD")
    assert len(sgd) == 7 * s.seeds
    ts = sgd[sgd["arm"] == "noise-temperature"]
    assert set(ts["phase1_steps"]) == {s.sgd_steps, s.sgd_lr_ratio * s.sgd_steps}
    same_time = sgd[sgd["budget"] == "equal Σγ"]
    np.testing.assert_allclose(same_time["lr"] * same_time["phase1_steps"], s.sgd_large_lr * s.sgd_steps)
    assert (sgd.groupby("seed_index")["seed"].nunique() == 1).all()
    gd = D.arms(s, "GD")
    assert set(gd["arm"]) == {"large", "small"} and (gd["batch_size"] == s.n_train).all()
    monkeypatch.setenv("LRLIB_SEED", "5")
    assert set(D.arms(s, "GD")["seed"]) == {5 + i for i in range(s.gd_seeds)}


def test_sharpness_steps_cover_the_last_quarter():
    assert D.sharpness_steps(400, 1) == [400]
    assert D.sharpness_steps(400, 3) == [300, 350, 400]


def test_digits_split():
    data = D.digits_data()
    assert data.n == 1200 and len(data.y_test) == 597 and float(data.x.max()) == 1.0


def test_parts_end_to_end_on_a_tiny_scale(tmp_path, monkeypatch):
    tiny = dataclasses.replace(
        D.SCALES["smoke"], seeds=2, gd_seeds=2, sgd_steps=12, sgd_phase2_steps=8, gd_steps=4, gd_phase2_steps=4,
        power_iterations=3, sharpness_points=2, hidden=(16,),
    )  # fmt: skip
    monkeypatch.setitem(D.SCALES, "smoke", tiny)
    store = Store(tmp_path)
    res = experiment.Results({p.name: experiment.collect(p, "smoke", store) for p in D.PARTS})
    sgd = res["digits-sgd"].table
    assert set(sgd["phase"]) == {1, 2} and len(sgd) == 2 * 7 * 2
    assert np.isfinite(sgd["sharpness"]).all()
    claims = Claims("ch4 digits", scale="smoke")
    R.add_claims(claims, res)
    assert len(claims.table()) == 5
    f = Findings()
    R.add_findings(f, res)
    assert "digits_gd_large_sharpness" in set(f.table()["key"])
    assert len(R.summary(res, "SGD")) == 7
    for fig in (R.figure_sharpness(res), R.figure_accuracy(res)):
        assert fig.axes
