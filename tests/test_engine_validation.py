"""Bad hyperparameters and inputs: one-line ValueErrors naming the parameter, the value and what is allowed."""

import math
import re

import pytest
import torch

from lrlib.models import MLP, Linear, PatchReLU2, alpha_mlp
from lrlib.train import Data, grid, train


@pytest.fixture
def data():
    x = torch.randn(10, 4)
    return Data(x, torch.where(x[:, 0] > 0, 1.0, -1.0))


def _train(data, model=None, **members):
    row = dict(lr=0.1, seed=0, batch_size=2)
    row.update(members)
    return train(model or Linear(4), data, [row], loss=row.pop("loss", "hinge"), steps=3, progress=False, device="cpu")


@pytest.mark.parametrize(
    "column,value,allowed",
    [
        ("lr", -0.1, "finite and >= 0"),
        ("lr", math.nan, "finite and >= 0"),
        ("lr", math.inf, "finite and >= 0"),
        ("lr", "fast", "finite and >= 0"),
        ("batch_size", 11, "at most the training set size N = 10"),
        ("batch_size", 0, "an integer >= 1"),
        ("batch_size", 2.5, "an integer >= 1"),
        ("momentum", 1.0, "in [0, 1)"),
        ("weight_decay", -1e-3, "finite and >= 0"),
        ("grad_noise", -1, "finite and >= 0"),
        ("alpha", 0.0, "finite and > 0"),
        ("seed", -1, "an integer in [0, 2**32)"),
        ("lr_anneal_step", 2.5, "an integer >= 0"),
        ("sampling", "shuffle", "one of 'step', 'epoch', 'replacement'"),
    ],
)
def test_bad_member_values(data, column, value, allowed):
    with pytest.raises(ValueError) as err:
        _train(data, **{column: value})
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{column} must be") and allowed in msg and repr(value) in msg and "(member 0)" in msg


def test_unknown_loss(data):
    with pytest.raises(
        ValueError,
        match=r"^loss must be one of 'hinge', 'squared_margin', 'logistic', "
        r"'cross_entropy', got 'mse' \(member 0\)$",
    ):
        _train(data, loss="mse")


def test_missing_columns_and_options(data):
    with pytest.raises(ValueError, match="members must have a 'lr' column"):
        train(Linear(4), data, [dict(seed=0, batch_size=2)], loss="hinge", steps=3, progress=False)
    with pytest.raises(ValueError, match="give steps= to train"):
        train(Linear(4), data, [dict(lr=0.1, seed=0, batch_size=2)], loss="hinge", progress=False)
    with pytest.raises(ValueError, match="checkpoints must be a step interval >= 1"):
        train(Linear(4), data, grid(lr=0.1, seed=0, batch_size=2), loss="hinge", steps=3, checkpoints=0)
    with pytest.raises(ValueError, match="check_every must be an integer >= 1"):
        train(Linear(4), data, grid(lr=0.1, seed=0, batch_size=2), loss="hinge", steps=3, check_every=0)


def test_labels_and_shapes(data):
    with pytest.raises(ValueError, match=r"y must hold labels ±1 for loss 'logistic'"):
        train(
            Linear(4),
            Data(data.x, (data.y > 0).float()),
            grid(lr=0.1, seed=0, batch_size=2),
            loss="logistic",
            steps=3,
            progress=False,
        )
    with pytest.raises(ValueError, match=r"y must hold class indices in \[0, 3\)"):
        train(
            Linear(4, 3),
            Data(data.x, torch.arange(10)),
            grid(lr=0.1, seed=0, batch_size=2),
            loss="cross_entropy",
            steps=3,
            progress=False,
        )
    with pytest.raises(ValueError, match="loss 'hinge' needs a model with one output"):
        train(Linear(4, 3), data, grid(lr=0.1, seed=0, batch_size=2), loss="hinge", steps=3, progress=False)
    with pytest.raises(ValueError, match=r"has inputs of shape \(4,\), the model takes \(5,\)"):
        train(Linear(5), data, grid(lr=0.1, seed=0, batch_size=2), loss="hinge", steps=3, progress=False)
    with pytest.raises(ValueError, match="preact_noise must be 0 for Linear"):
        _train(data, preact_noise=0.1)


def test_model_arguments():
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'gelu', 'gelu_tanh', 'relu2', got 'elu'"):
        MLP([3, 4, 1], "elu")
    with pytest.raises(ValueError, match="readout must be one of"):
        alpha_mlp(3, 2, 4, readout="1/h2")
    with pytest.raises(ValueError, match="sigma0 >= 0"):
        PatchReLU2(4, 2, 3, sigma0=-1)
    with pytest.raises(ValueError, match="scale must be"):
        Linear(4, scale=-1.0)


@pytest.mark.parametrize("column", ["step", "final", "stop_reason", "train_loss", "norm.w"])
def test_a_member_column_named_like_a_result_column_is_refused(column):
    """Reliability probe, defect 4: these crashed in pandas, or replaced the trainer's own column."""
    x, y = torch.randn(8, 3), torch.tensor([1.0, -1.0] * 4)
    members = grid(lr=[0.1], seed=0, batch_size=4).assign(**{column: 1})
    with pytest.raises(ValueError, match="named like the trainer's own result columns"):
        train(Linear(3), Data(x, y), members, loss="logistic", steps=2, progress=False)


@pytest.mark.parametrize("name", ["train_loss", "lr", "step"])
def test_a_measurement_named_like_a_result_column_is_refused(name):
    x, y = torch.randn(8, 3), torch.tensor([1.0, -1.0] * 4)
    with pytest.raises(ValueError, match="already result columns"):
        train(
            Linear(3),
            Data(x, y),
            grid(lr=[0.1], seed=0, batch_size=4),
            loss="logistic",
            steps=2,
            checkpoints=1,
            measure={name: lambda p, c: torch.full((len(c.members),), 42.0)},
            progress=False,
        )


@pytest.mark.parametrize(
    "column,value,allowed",
    [
        ("steps", math.nan, "an integer >= 1"),
        ("seed", math.inf, "an integer in \\[0, 2\\*\\*32\\)"),
        ("batch_size", math.nan, "an integer >= 1"),
    ],
)
def test_non_finite_counts_name_their_column(data, column, value, allowed):
    """Reliability probe, defect 12: ``steps`` NaN gave 'cannot convert float NaN to integer'."""
    with pytest.raises(ValueError, match=rf"^{column} must be {allowed}, got (nan|inf)"):
        _train(data, **{column: value})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(checkpoints=5.0), "checkpoints must be a step interval >= 1 or a list of steps, got 5.0"),
        (dict(checkpoints=True), "checkpoints must be a step interval"),
        (dict(fit_margin="1"), "fit_margin must be a finite number or None, got '1'"),
    ],
)
def test_bad_options_name_the_option(data, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train(Linear(4), data, grid(lr=[0.1], seed=0, batch_size=2), loss="hinge", steps=3, progress=False, **kwargs)


def test_nan_in_the_inputs_is_bad_data_not_divergence():
    """Reliability probe, defect 12: one NaN input row made every member 'diverge'."""
    x = torch.randn(10, 4)
    x[7, 2] = math.nan
    with pytest.raises(ValueError, match=r"x holds NaN or inf in 1 row\(s\), first rows \[7\]"):
        Data(x, torch.where(x[:, 0] > 0, 1.0, -1.0))
    with pytest.raises(ValueError, match="y_test holds NaN"):
        Data(torch.zeros(2, 1), torch.ones(2), torch.zeros(1, 1), torch.tensor([math.inf]))


def test_a_dict_of_scalars_is_one_member(data):
    result = train(Linear(4), data, dict(lr=0.1, seed=0, batch_size=2), loss="hinge", steps=3, progress=False)
    assert result.table.member.unique().tolist() == [0]


@pytest.mark.parametrize("alpha, becomes", [(1e39, "inf"), (1e-50, "0.0")])
def test_hyperparameters_the_training_dtype_cannot_hold_are_refused(data, alpha, becomes):
    """Reliability probe, rerun (T30): alpha = 1e39 passed the float64 check, became inf in float32, and the member
    was reported as diverged at step 0."""
    with pytest.raises(
        ValueError, match=rf"alpha = {re.escape(repr(alpha))} cannot be represented in torch\.float32.*become {becomes}"
    ):
        _train(data, alpha_mlp(4, 1, 8), alpha=alpha)
