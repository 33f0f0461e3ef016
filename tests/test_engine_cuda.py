"""On a CUDA machine: the engine gives the CPU's numbers, and CUDA graphs really capture and give the eager ones.

Skipped without CUDA (CI has none). ``tools/device-paper.sh`` runs this file before computing anything, so a GPU
session never stores results from an engine that disagrees with its CPU reference.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from lrlib.models import FunctionalModel, PatchReLU2, alpha_mlp, two_layer
from lrlib.train import Data, grid, train
from lrlib.train.graphs import StepGraphs

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

COLUMNS = ["train_loss", "test_error", "rel_weight_change", "stop_step"]


def _binary(n=64, d=12, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + 32, d, generator=g, dtype=torch.float64)
    y = torch.where(x[:, 0] > 0, 1.0, -1.0).double()
    return Data(x[:n], y[:n], x[n:], y[n:])


def _classes(n=64, shape=(12,), seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n + 32, *shape, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (n + 32,), generator=g)
    return Data(x[:n], y[:n], x[n:], y[n:])


def _cnn():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 3)
    )


CASES = {
    "alpha-scaled MLP, hinge, fitting, divergence, noise": (
        lambda: alpha_mlp(12, 3, 16),
        _binary,
        grid(lr=[4.0, 16.0, 1e30], seed=[0, 1], batch_size=8, alpha=[1.0, 8.0], preact_noise=[0.0, 0.1]),
        dict(loss="hinge", fit_margin=1.0, check_every=10),
    ),
    "two-layer, cross-entropy, momentum, L2, gradient noise, epochs": (
        lambda: two_layer(12, 16, 3),
        _classes,
        grid(
            lr=[0.1, 0.5],
            seed=[0, 1],
            batch_size=8,
            momentum=0.9,
            weight_decay=1e-3,
            grad_noise=[0.0, 0.01],
            sampling="epoch",
        ),
        dict(loss="cross_entropy"),
    ),
    "patch ReLU², squared margin, batch 1": (
        lambda: PatchReLU2(dim=4, width=4, patches=3),
        lambda: _binary_patches(),
        grid(lr=[0.1, 1.0], seed=[0, 1], batch_size=1),
        dict(loss="squared_margin"),
    ),
    "CNN through torch.func (vmap on CUDA)": (
        lambda: FunctionalModel(_cnn, input_shape=(1, 6, 6), n_out=3),
        lambda: _classes(shape=(1, 6, 6)),
        grid(lr=[0.1, 0.3], seed=[0, 1], batch_size=4, momentum=0.9),
        dict(loss="cross_entropy"),
    ),
}


def _binary_patches():
    g = torch.Generator().manual_seed(0)
    y = torch.where(torch.rand(48, generator=g) > 0.5, 1.0, -1.0).double()
    x = 0.1 * torch.randn(48, 3, 4, generator=g, dtype=torch.float64)
    x[:, 0, 0] = y
    return Data(x[:32], y[:32], x[32:], y[32:])


def _run(case, device, graphs=False):
    make, data, members, kw = CASES[case]
    return train(
        make(),
        data(),
        members,
        steps=100,
        checkpoints=25,
        dtype=torch.float64,
        device=device,
        keep_params=True,
        progress=False,
        cuda_graphs=graphs,
        **kw,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_cuda_matches_cpu_in_float64(case):
    cpu, gpu = _run(case, "cpu"), _run(case, "cuda")
    pd.testing.assert_frame_equal(
        cpu.table[["member", "step", "stop_reason"]], gpu.table[["member", "step", "stop_reason"]]
    )
    np.testing.assert_allclose(
        gpu.table[COLUMNS].to_numpy(float), cpu.table[COLUMNS].to_numpy(float), rtol=1e-7, atol=1e-10, equal_nan=True
    )
    for name in cpu.params:
        ok = torch.isfinite(cpu.params[name])
        torch.testing.assert_close(gpu.params[name][ok], cpu.params[name][ok], rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("case", list(CASES)[:3])
def test_cuda_graphs_capture_and_equal_eager_steps(case, monkeypatch):
    captured = []
    original = StepGraphs._capture

    def record(self):
        original(self)
        captured.append(self.graph)

    monkeypatch.setattr(StepGraphs, "_capture", record)
    with warnings.catch_warnings():
        # a failed capture only warns and trains eagerly: make it fail here instead
        warnings.filterwarnings("error", message="CUDA graph capture failed", category=RuntimeWarning)
        graphs = _run(case, "cuda", graphs=True)
    eager = _run(case, "cuda")
    assert captured and all(isinstance(g, torch.cuda.CUDAGraph) for g in captured)
    np.testing.assert_allclose(
        graphs.table[COLUMNS].to_numpy(float),
        eager.table[COLUMNS].to_numpy(float),
        rtol=1e-12,
        atol=1e-12,
        equal_nan=True,
    )
