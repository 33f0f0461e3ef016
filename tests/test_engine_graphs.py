"""The program a CUDA graph captures must not synchronise with the host: on CUDA such an operation makes capture
fail (and training silently falls back to eager steps). Checked here, without a GPU, by recording every
operation the captured step program dispatches."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from lrlib.models import Linear, PatchReLU2, alpha_mlp, two_layer
from lrlib.train import Data, grid
from lrlib.train.graphs import StepGraphs
from lrlib.train.group import Group
from lrlib.train.members import normalize

#: operations that copy a value to the host on CUDA (the tensor-valued fills call .item() there)
HOST_SYNC = {
    "aten._local_scalar_dense.default",
    "aten.item.default",
    "aten.nonzero.default",
    "aten._unique2.default",
    "aten.unique_dim.default",
    "aten.masked_select.default",
    "aten.masked_fill_.Tensor",
    "aten.masked_fill.Tensor",
    "aten.fill_.Tensor",
    "aten.randperm.default",
}


class _Ops(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.names = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(func)
        bool_index = name.startswith("aten.index.Tensor") and any(
            isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in (args[1] if len(args) > 1 else [])
        )
        self.names.append(name + (" (boolean mask)" if bool_index else ""))
        return func(*args, **(kwargs or {}))


def _group(model, members, loss, batch_size, sampling, classes=None, n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, *model.input_shape, generator=g)
    y = (
        torch.randint(0, classes, (n,), generator=g)
        if classes
        else torch.where(torch.randn(n, generator=g) > 0, 1.0, -1.0)
    )
    table = normalize(members, loss=loss, steps=1000, data_sizes={"default": n})
    data = Data(x, y, x[:16], y[:16]).on(torch.device("cpu"), torch.float32, loss)
    return Group(
        model,
        data,
        table,
        loss=loss,
        batch_size=batch_size,
        sampling=sampling,
        dtype=torch.float32,
        device=torch.device("cpu"),
        fit_margin=1.0,
        measure={},
        record_batch_loss=False,
        keep_params=False,
    )


CASES = {
    "alpha-scaled MLP, hinge, noise, anneal": (
        lambda: alpha_mlp(12, 3, 16),
        grid(
            lr=[0.1, 1e30],
            seed=[0, 1],
            batch_size=16,
            alpha=[1.0, 4.0],
            preact_noise=[0.0, 0.1],
            preact_noise_anneal_step=5,
            lr_anneal_step=10,
        ),
        "hinge",
        16,
        "step",
        None,
    ),
    "two-layer, cross-entropy, epochs, momentum, gradient noise, L2": (
        lambda: two_layer(12, 16, 10),
        grid(lr=[0.1], seed=[0, 1], batch_size=8, momentum=0.9, grad_noise=[0.0, 0.1], weight_decay=1e-3),
        "cross_entropy",
        8,
        "epoch",
        10,
    ),
    "two-layer, large batch (key-sorting path)": (
        lambda: two_layer(12, 16, 10),
        grid(lr=[0.1], seed=[0, 1], batch_size=40),
        "cross_entropy",
        40,
        "step",
        10,
    ),
    "patch ReLU², squared margin, batch 1": (
        lambda: PatchReLU2(dim=8, width=4, patches=3),
        grid(lr=[0.1, 1.0], seed=[0, 1], batch_size=1),
        "squared_margin",
        1,
        "step",
        None,
    ),
    "centred linear, with replacement": (
        lambda: Linear(12, centered=True),
        grid(lr=[0.1], seed=[0, 1], batch_size=4, alpha=2.0, weight_decay=0.01),
        "hinge",
        4,
        "replacement",
        None,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_captured_step_program_never_synchronises_with_the_host(case):
    make, members, loss, batch_size, sampling, classes = CASES[case]
    group = _group(make(), members, loss, batch_size, sampling, classes)
    group.graphs = StepGraphs(group, length=4, capture=False)
    group.graphs.run(0, 4)  # sets up the device step counter
    ops = _Ops()
    with ops:
        group.graphs._body()
    offending = sorted({n for n in ops.names if n in HOST_SYNC or n.endswith("(boolean mask)")})
    assert not offending, f"{case}: the captured steps call {offending}"
    assert len(ops.names) > 20  # the recorder saw the steps
