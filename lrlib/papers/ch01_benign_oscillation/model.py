"""The ReLU² patch network and plain single-sample SGD on it, written out for reading and for checking the engine
(which trains the same network as :class:`lrlib.models.PatchReLU2`)."""

from __future__ import annotations

import torch

from .data import PatchData


def network_output(w: torch.Tensor, x: torch.Tensor, m: int | None = None) -> torch.Tensor:
    """f(W, x) = (1/m) Σ_r Σ_p [relu(⟨w₊₁,r, x⁽ᵖ⁾⟩)² − relu(⟨w₋₁,r, x⁽ᵖ⁾⟩)²] for w [K, 2, m, d], x [N, P, d]: [K, N].

    The same function as the engine's :class:`lrlib.models.PatchReLU2`, written out for reading and testing.
    """
    m = m or w.shape[2]
    z = torch.einsum("kjrd,npd->kjrnp", w, x)  # ⟨w_{j,r}, x_n⁽ᵖ⁾⟩
    F = torch.relu(z).square().sum(dim=(2, 4)) / m  # [K, 2, N]
    return F[:, 0] - F[:, 1]


def reference_sgd(w0: torch.Tensor, data: PatchData, lr: float, indices: torch.Tensor) -> torch.Tensor:
    """Plain SGD on one network, written out: the algorithm the chapter trains (with the engine), for checking.

    w0 [2, m, d]; ``indices`` [S] the point sampled at each step. Loss (y·f − 1)²; batch size 1; returns w [2, m, d].
    """
    w = w0.clone()
    m = w.shape[1]
    s = torch.tensor([1.0, -1.0], dtype=w.dtype).view(2, 1, 1)  # the fixed readout's signs s_j (times 1/m)
    for i in indices.tolist():
        x, y = data.x[i], data.y[i]  # [3, d], ±1
        z = torch.einsum("jrd,pd->jrp", w, x)
        f = (s.view(2, 1) * torch.relu(z).square().sum(-1)).sum() / m
        dloss_df = 2 * (y * f - 1) * y
        grad = dloss_df * s * (2 / m) * torch.einsum("jrp,pd->jrd", torch.relu(z), x)
        w = w - lr * grad
    return w
