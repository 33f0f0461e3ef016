"""The feature-noise data model [reconstructed]: a strong feature u in most points, a weak feature v in all of
them, and a noise patch ξ orthogonal to both."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ... import profile
from .scales import DATA_MODEL, DataModel


@dataclass
class PatchData:
    """Points x = [x⁽¹⁾, x⁽²⁾, x⁽³⁾] (``x`` [N, 3, d]) with labels ``y`` [N] (±1) and ``strong`` [N] (bool)."""

    x: torch.Tensor
    y: torch.Tensor
    strong: torch.Tensor

    @property
    def noise(self) -> torch.Tensor:
        """ξ_i, the third patch of every point: [N, d]."""
        return self.x[:, 2]

    def to(self, device) -> PatchData:
        return PatchData(self.x.to(device), self.y.to(device), self.strong.to(device))

    def __len__(self) -> int:
        return int(self.y.shape[0])


def features(dm: DataModel = DATA_MODEL, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """The strong feature u = ‖u‖e₁ and the weak feature v = ‖v‖e₂, each [d]."""
    u = torch.zeros(dm.d, dtype=dtype)
    v = torch.zeros(dm.d, dtype=dtype)
    u[0], v[1] = dm.u_norm, dm.v_norm
    return u, v


def _balanced_labels(n: int, dtype: torch.dtype) -> torch.Tensor:
    """+1, −1, +1, ... (n//2 of each class, one more +1 if n is odd)."""
    return torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0).to(dtype)


def sample_points(
    dm: DataModel, n_strong: int, n_weak: int, generator: torch.Generator, dtype: torch.dtype = torch.float64
) -> PatchData:
    """``n_strong`` strong and ``n_weak`` weak points, each group with balanced labels.

    x⁽¹⁾ = y·u (strong) or 0 (weak); x⁽²⁾ = y·v (all); x⁽³⁾ = ξ with ξ ~ N(0, σ_p² I) on the d − 2 coordinates
    orthogonal to u and v. [reconstructed: the layout, the norms and the orthogonal noise]
    """
    if n_strong < 0 or n_weak < 0 or n_strong + n_weak == 0:
        raise ValueError(f"need at least one point, got n_strong={n_strong}, n_weak={n_weak}")
    u, v = features(dm, dtype)
    y = torch.cat([_balanced_labels(n_strong, dtype), _balanced_labels(n_weak, dtype)])
    strong = torch.arange(n_strong + n_weak) < n_strong
    x = torch.zeros(n_strong + n_weak, 3, dm.d, dtype=dtype)
    x[:, 0] = (y * strong.to(dtype)).unsqueeze(1) * u
    x[:, 1] = y.unsqueeze(1) * v
    x[:, 2, 2:] = dm.sigma_p * torch.randn(n_strong + n_weak, dm.d - 2, generator=generator, dtype=torch.float64).to(
        dtype
    )
    return PatchData(x, y, strong)


def make_data(seed: int, dm: DataModel = DATA_MODEL, dtype: torch.dtype = torch.float64) -> dict[str, PatchData]:
    """One seed's data: ``train`` (n points), ``weak_test`` (weak-only) and ``mixed_test`` (the paper-style set).

    Everything is drawn from one CPU generator seeded with ``seed``, so a seed gives the same data everywhere.
    """
    g = torch.Generator().manual_seed(int(seed))
    return {
        "train": sample_points(dm, dm.n_strong, dm.n_weak, g, dtype),
        "weak_test": sample_points(dm, 0, dm.n_weak_test, g, dtype),
        "mixed_test": sample_points(dm, dm.n_mixed_strong, dm.n_mixed_weak, g, dtype),
    }


def data_seed(seed_id: int) -> int:
    """The data seed of seed number ``seed_id`` (shifted by ``LRLIB_SEED``), apart from the member's own seed."""
    return profile.seed(10_000 + int(seed_id))


def member_seed(seed_id: int) -> int:
    """The engine seed (initialization and SGD order) of seed number ``seed_id`` (shifted by ``LRLIB_SEED``)."""
    return profile.seed(int(seed_id))
