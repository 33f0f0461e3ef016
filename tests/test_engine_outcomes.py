"""Stopping as outcomes (diverged, fitted, max steps), packing independence, measurements in the table."""

import numpy as np
import pandas as pd
import pytest
import torch

from lrlib.models import Linear, PatchReLU2, alpha_mlp, two_layer
from lrlib.train import Data, grid, train


def _data(n=32, d=6, seed=0, test=True):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + 40, d, generator=g, dtype=torch.float64)
    y = torch.where(x[:, 0] > 0, 1.0, -1.0).double()
    if not test:
        return Data(x[:n], y[:n])
    return Data(x[:n], y[:n], x[n:], y[n:])


def _run(members, **kw):
    model = alpha_mlp(6, 2, 16)
    opts = dict(
        loss="hinge", steps=60, checkpoints=20, dtype=torch.float64, keep_params=True, progress=False, device="cpu"
    )
    opts.update(kw)
    return train(model, _data(), members, **opts)


def test_in_float64_a_diverging_member_leaves_the_others_of_the_same_call_bit_identical():
    base = grid(lr=[0.5, 2.0], alpha=[1.0, 8.0], seed=[0, 1], batch_size=4)
    huge = pd.DataFrame([dict(lr=1e30, alpha=1.0, seed=9, batch_size=4)])
    with_huge = pd.concat([base.iloc[:3], huge, base.iloc[3:]], ignore_index=True)
    a, b = _run(base), _run(with_huge)
    final = b.table[b.table.final]
    row = final[final.lr == 1e30].iloc[0]
    assert row.stop_reason == "diverged" and row.stop_step < 60
    assert np.isnan(row.train_loss) or np.isinf(row.train_loss)
    assert row.train_error > 0.5 and row.test_error > 0.5  # non-finite outputs count as errors
    others = [0, 1, 2, 4, 5, 6, 7, 8]
    for name in a.params:
        assert torch.equal(a.params[name], b.params[name][others])
    ta = a.table.drop(columns="member")
    tb = b.table[b.table.lr != 1e30].drop(columns="member").reset_index(drop=True)
    pd.testing.assert_frame_equal(ta, tb)


def test_packing_changes_results_only_by_summation_order():
    packed = grid(lr=[0.3, 1.0, 3.0], alpha=[0.5, 4.0], seed=[0, 1], batch_size=4, momentum=[0.0, 0.5])
    everyone = _run(packed)
    for k in (0, 7, 13):
        alone = _run(packed.iloc[[k]])
        for name in alone.params:
            torch.testing.assert_close(alone.params[name][0], everyone.params[name][k], rtol=1e-12, atol=0)


def test_packing_in_float32_agrees_to_rounding_not_bit_for_bit():
    packed = grid(lr=[0.3, 1.0, 3.0], alpha=[0.5, 4.0], seed=[0, 1], batch_size=4)
    everyone = _run(packed, dtype=torch.float32)
    for k in (0, 5, 11):
        alone = _run(packed.iloc[[k]], dtype=torch.float32)
        for name in alone.params:
            torch.testing.assert_close(alone.params[name][0], everyone.params[name][k], rtol=1e-4, atol=1e-5)


def test_the_same_call_twice_gives_the_same_numbers_bit_for_bit():
    members = grid(lr=[0.3, 3.0], alpha=[0.5, 4.0], seed=[0, 1], batch_size=4, momentum=[0.0, 0.5])
    for dtype in (torch.float32, torch.float64):
        a, b = _run(members, dtype=dtype), _run(members, dtype=dtype)
        pd.testing.assert_frame_equal(
            a.table.drop(columns="wall_time_s", errors="ignore"),
            b.table.drop(columns="wall_time_s", errors="ignore"),
            check_exact=True,
        )
        for name in a.params:
            assert torch.equal(a.params[name], b.params[name])


def test_fitted_members_stop_and_are_dropped():
    members = grid(lr=[0.05, 5.0], alpha=[1.0], seed=[0, 1, 2, 3], batch_size=8)
    res = _run(members, steps=400, checkpoints=100, fit_margin=1.0, check_every=10)
    final = res.table[res.table.final].set_index("member")
    fast = final[final.lr == 5.0]
    assert (fast.stop_reason == "fitted").all()
    assert (fast.train_unfitted == 0).all() and (fast.train_loss == 0).all() and (fast.stop_step % 10 == 0).all()
    slow = final[final.lr == 0.05]
    assert (slow.stop_reason == "max_steps").all() and (slow.stop_step == 400).all()
    # one row per checkpoint while running, then exactly one final row at the stop step
    for _, rows in res.table.groupby("member"):
        stop = rows.stop_step.iloc[0]
        assert rows.final.sum() == 1 and rows[rows.final].step.iloc[0] == stop
        assert (rows[~rows.final].step < stop).all()
    # the fitted members' weights were frozen at their stop: the alone-run with steps=stop matches
    k = int(fast.index[0])
    again = _run(members.iloc[[k]], steps=int(fast.loc[k, "stop_step"]), checkpoints=None)
    for name in again.params:
        torch.testing.assert_close(again.params[name][0], res.params[name][k], rtol=1e-12, atol=0)


def test_per_member_steps_checkpoints_and_batch_loss():
    members = grid(lr=[0.5], seed=[0, 1, 2], batch_size=4)
    members["steps"] = [10, 25, 40]
    res = _run(members, steps=None, checkpoints=[0, 5, 25], record_batch_loss=True)
    t = res.table
    assert t.groupby("member").step.apply(list).tolist() == [[0, 5, 10], [0, 5, 25], [0, 5, 25, 40]]
    assert t[t.final].stop_step.tolist() == [10, 25, 40] and (t.stop_reason == "max_steps").all()
    loss = res.batch_loss
    assert loss.shape == (3, 40)
    assert np.isfinite(loss[0, :10]).all() and np.isnan(loss[0, 10:]).all() and np.isfinite(loss[2]).all()


def test_table_columns_and_user_measurements():
    model = PatchReLU2(dim=6, width=3, patches=2, sigma0=0.1)
    g = torch.Generator().manual_seed(0)
    y = torch.tensor([1.0, -1.0] * 6, dtype=torch.float64)
    x = 0.1 * torch.randn(12, 2, 6, generator=g, dtype=torch.float64)
    x[:, 0, 0] = y
    seen = []

    def alignment(params, ctx):
        seen.append((ctx.step, len(ctx.members), tuple(ctx.train_output.shape)))
        assert torch.equal(ctx.output(x), ctx.train_output)
        w = params["w"]
        return {"plus": w[:, 0, :, 0].amax(-1), "minus": (-w[:, 1, :, 0]).amax(-1)}

    members = grid(lr=[0.5, 1.0], seed=[0, 1], batch_size=1, tag="x")
    res = train(
        model,
        Data(x, y),
        members,
        loss="squared_margin",
        steps=30,
        checkpoints=10,
        measure={"align": alignment},
        dtype=torch.float64,
        progress=False,
        device="cpu",
    )
    t = res.table
    for col in [
        "member",
        "lr",
        "seed",
        "batch_size",
        "tag",
        "step",
        "final",
        "stop_step",
        "stop_reason",
        "train_loss",
        "train_error",
        "train_accuracy",
        "train_min_margin",
        "weight_norm",
        "weight_change",
        "rel_weight_change",
        "norm.w",
        "rel_change.w",
        "align.plus",
        "align.minus",
    ]:
        assert col in t.columns, col
    assert len(t) == 4 * 4 and (t.tag == "x").all()
    assert (t[t.step == 0].rel_weight_change == 0).all()
    assert t[t.step == 30]["align.plus"].gt(t[t.step == 0]["align.plus"].to_numpy()).all()
    assert seen[0] == (0, 4, (4, 12))


def test_cross_entropy_nonfinite_counts_as_error():
    from lrlib.train.measure import data_metrics

    f = torch.tensor([[[0.0, 1.0], [float("nan"), 5.0], [2.0, 2.0]]])  # [1, 3, 2]
    y = torch.tensor([1, 1, 0])
    m = data_metrics("test", "cross_entropy", f, y, torch.ones(1), None)
    assert m["test_error"].item() == pytest.approx(2 / 3)  # a NaN row and a tie are errors
    f = torch.tensor([[1.0, float("inf"), -1.0]])
    m = data_metrics("test", "hinge", f, torch.tensor([1.0, 1.0, -1.0]), torch.ones(1), None)
    assert m["test_error"].item() == pytest.approx(1 / 3)


def test_data_dict_and_grouping_by_batch_size():
    d1, d2 = _data(seed=1), _data(seed=2)
    members = grid(lr=[0.5], seed=[0], batch_size=[2, 8], data=["a", "b"])
    res = train(
        two_layer(6, 8, 1),
        {"a": d1, "b": d2},
        members,
        loss="logistic",
        steps=20,
        keep_params=True,
        progress=False,
        device="cpu",
        dtype=torch.float64,
    )
    for k in range(4):
        row = members.iloc[k]
        alone = train(
            two_layer(6, 8, 1),
            {"a": d1, "b": d2}[row.data],
            members.iloc[[k]].drop(columns="data"),
            loss="logistic",
            steps=20,
            keep_params=True,
            progress=False,
            device="cpu",
            dtype=torch.float64,
        )
        for name in alone.params:
            torch.testing.assert_close(alone.params[name][0], res.params[name][k], rtol=1e-12, atol=0)


def test_linear_zero_init_relative_change_is_nan():
    res = train(
        Linear(6, init="zeros", scale=1.0),
        _data(),
        grid(lr=0.1, seed=0, batch_size=4),
        loss="logistic",
        steps=5,
        progress=False,
        device="cpu",
    )
    assert np.isnan(res.table.rel_weight_change.iloc[-1]) and res.table.weight_change.iloc[-1] > 0


def test_device_counter_program_equals_eager(monkeypatch):
    """The program a CUDA graph captures (step counter on the device, indices for 7 steps at once), run
    eagerly here, gives exactly the eager results: noise, momentum, divergence, fitting and dropping included."""
    import lrlib.train.group as group_module
    from lrlib.train.graphs import StepGraphs

    members = grid(
        lr=[0.05, 2.0, 1e30],
        alpha=[1.0, 3.0],
        seed=[0, 1],
        batch_size=4,
        momentum=[0.0, 0.5],
        preact_noise=[0.0, 0.2],
        grad_noise=[0.0, 0.1],
    )
    members = pd.concat([members.assign(sampling="step"), members.iloc[:8].assign(sampling="epoch")], ignore_index=True)
    kw = dict(steps=100, checkpoints=37, fit_margin=1.0, check_every=20)
    eager = _run(members, **kw)
    original = group_module.Group.__init__

    def with_graphs(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.graphs = StepGraphs(self, length=7, capture=False)

    monkeypatch.setattr(group_module.Group, "__init__", with_graphs)
    counter = _run(members, **kw)
    pd.testing.assert_frame_equal(eager.table, counter.table)
    for name in eager.params:
        assert torch.equal(eager.params[name].nan_to_num(), counter.params[name].nan_to_num())
    assert set(eager.table.stop_reason) == {"max_steps", "diverged", "fitted"}
