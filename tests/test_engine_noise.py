"""Random streams: minibatch indices and injected noise (fixed seeds, stated tolerances)."""

import math

import pytest
import torch

from lrlib.models import MLP, Linear
from lrlib.train import Data, grid, rng, train
from lrlib.train.group import Group
from lrlib.train.members import normalize


def test_step_sampling_distinct_uniform_and_chunk_independent():
    seeds = torch.tensor([0, 1, 2**32 - 1])
    idx = rng.batch_indices(seeds, torch.arange(2000), 20, 5, "step")  # [3, 2000, 5]
    assert idx.shape == (3, 2000, 5)
    assert (idx.sort(-1).values.diff(dim=-1) > 0).all()  # distinct within a batch
    counts = torch.bincount(idx[0].flatten(), minlength=20).double()
    expected = 2000 * 5 / 20
    chi2 = ((counts - expected) ** 2 / expected).sum().item()
    assert chi2 < 45, chi2  # 19 dof: P(chi2 > 45) < 1e-3
    one_by_one = torch.stack(
        [rng.batch_indices(seeds, torch.tensor([t]), 20, 5, "step")[:, 0] for t in (0, 7, 1999)], 1
    )
    assert torch.equal(one_by_one, idx[:, [0, 7, 1999]])
    alone = rng.batch_indices(seeds[1:2], torch.arange(2000), 20, 5, "step")
    assert torch.equal(alone[0], idx[1])  # packing never matters
    assert not torch.equal(idx[0], idx[1])


@pytest.mark.parametrize("n,b", [(6, 3), (20, 19)])  # Floyd's algorithm; the B smallest of N keys
def test_step_sampling_draws_every_subset_equally_often(n, b):
    idx = rng.batch_indices(torch.arange(4), torch.arange(10_000), n, b, "step")
    subsets = torch.unique(idx.reshape(-1, b), dim=0, return_counts=True)[1].double()
    assert len(subsets) == math.comb(n, b) == 20
    expected = subsets.sum() / 20
    chi2 = ((subsets - expected) ** 2 / expected).sum().item()
    assert chi2 < 43.8, chi2  # 19 dof: P(chi2 > 43.8) = 1e-3


def test_epoch_and_replacement_sampling():
    seeds = torch.tensor([3, 4])
    idx = rng.batch_indices(seeds, torch.arange(12), 10, 3, "epoch")  # 3 batches per epoch
    for k in range(2):
        for e in range(4):
            epoch = idx[k, 3 * e : 3 * e + 3].flatten()
            assert len(set(epoch.tolist())) == 9  # no repeats within an epoch
    assert not torch.equal(idx[0, :3], idx[0, 3:6])  # reshuffled each epoch
    assert torch.equal(rng.batch_indices(seeds, torch.tensor([4]), 10, 3, "epoch")[:, 0], idx[:, 4])
    rep = rng.batch_indices(seeds, torch.arange(5000), 7, 2, "replacement")
    assert rep.min() == 0 and rep.max() == 6
    counts = torch.bincount(rep.flatten(), minlength=7).double()
    assert ((counts - counts.mean()).abs() / counts.mean()).max() < 0.05


def test_normal_moments_and_independence():
    seeds = torch.arange(40)
    z = rng.normal(seeds, 5, rng.GRAD, 5001, torch.float64)  # [40, 5001]: 200k numbers
    n = z.numel()
    assert abs(z.mean().item()) < 5 / math.sqrt(n)
    assert abs(z.var().item() - 1) < 5 * math.sqrt(2 / n)  # ≈ 1.6 %
    assert abs((z**4).mean().item() - 3) < 0.1  # Gaussian kurtosis
    corr = torch.corrcoef(z[:, :5000])
    off = corr[~torch.eye(40, dtype=torch.bool)]
    assert off.abs().max() < 5 / math.sqrt(5000)  # members independent
    z2 = rng.normal(seeds, 6, rng.GRAD, 5001, torch.float64)
    assert abs(torch.corrcoef(torch.stack([z.flatten(), z2.flatten()]))[0, 1]) < 5 / math.sqrt(n)


def test_gradient_noise_has_the_requested_variance():
    """One SGD step with noise minus the same step without: −lr·σ·ξ, so Var = (lr·σ)²."""
    d = 2000
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, d, generator=g, dtype=torch.float64)
    y = torch.where(x[:, 0] > 0, 1.0, -1.0).double()
    members = grid(lr=[0.5, 2.0], grad_noise=[0.1, 0.7], seed=range(10), batch_size=4)
    quiet = members.assign(grad_noise=0.0)
    kw = dict(loss="logistic", steps=1, dtype=torch.float64, keep_params=True, progress=False, device="cpu")
    noisy, clean = train(Linear(d), Data(x, y), members, **kw), train(Linear(d), Data(x, y), quiet, **kw)
    diff = noisy.params["w"] - clean.params["w"]  # [40, d]
    for (lr, sigma), rows in members.groupby(["lr", "grad_noise"]):
        sample = diff[list(rows.index)].flatten()  # 20k numbers
        expected = (lr * sigma) ** 2
        assert abs(sample.var().item() / expected - 1) < 0.05  # 5 sd ≈ 5 %
        assert abs(sample.mean().item()) < 5 * lr * sigma / math.sqrt(sample.numel())


def test_preact_noise_variance_and_annealing():
    """Pre-activation noise: z + σ(t)·ξ, σ(t) = σ before the anneal step and factor·σ from it on."""
    model = MLP([3, 2000, 1], "relu", bias=False)
    params = model.init([0, 1], dtype=torch.float64)
    x = torch.randn(2, 4, 3, dtype=torch.float64)  # [K, B, d]
    seen = {}

    def run(t, sigma):
        def noise(layer, z):
            xi = rng.normal(torch.tensor([11, 12]), t, rng.PREACT + layer, z[0].numel(), z.dtype).view_as(z)
            seen[t] = sigma.view(-1, 1, 1) * xi
            return seen[t]

        model.forward(params, x, noise)
        return seen[t]

    sigma = torch.tensor([0.3, 1.5], dtype=torch.float64)
    added = run(0, sigma)
    for k in range(2):
        assert abs(added[k].var().item() / sigma[k].item() ** 2 - 1) < 0.05  # 8000 numbers: 5 sd ≈ 8 %
    # the trainer's schedule: factor·σ from the anneal step on
    members = grid(
        lr=0.0, seed=[0], batch_size=4, preact_noise=0.5, preact_noise_anneal_step=3, preact_noise_anneal_factor=0.1
    )
    data = Data(torch.randn(8, 3, dtype=torch.float64), torch.ones(8, dtype=torch.float64))
    table = normalize(members, loss="logistic", steps=5, data_sizes={"default": 8})
    group = Group(
        model,
        data,
        table,
        loss="logistic",
        batch_size=4,
        sampling="step",
        dtype=torch.float64,
        device=torch.device("cpu"),
        fit_margin=None,
        measure={},
        record_batch_loss=False,
        keep_params=False,
    )
    assert group._factor(2, "preact_noise_anneal_step", "preact_noise_anneal_factor").item() == 1.0
    assert group._factor(3, "preact_noise_anneal_step", "preact_noise_anneal_factor").item() == pytest.approx(0.1)
