"""The losses, their per-example values and their gradients with respect to the output f.

Binary losses take f [K, B] and labels y ∈ {−1, +1}; ``cross_entropy`` takes f [K, B, C] and class indices.
``alpha`` is the member's α ([K]); only ``hinge`` uses it (the 1/α of chapter 5's hinge(α·o)/α).
"""

from __future__ import annotations

import torch

LOSSES = ("hinge", "squared_margin", "logistic", "cross_entropy")
BINARY = ("hinge", "squared_margin", "logistic")


def check(name: str, where: str = "") -> str:
    if name not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(map(repr, LOSSES))}, got {name!r}{where}")
    return name


def per_example(name: str, f: torch.Tensor, y: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The loss of every example: [K, B]."""
    if name == "cross_entropy":
        return torch.logsumexp(f, dim=-1) - torch.gather(f, -1, y.unsqueeze(-1)).squeeze(-1)
    yf = y * f
    if name == "hinge":
        return torch.relu(1 - yf) / alpha.view(-1, 1)
    if name == "squared_margin":
        return (yf - 1).square()
    return torch.nn.functional.softplus(-yf)


def mean_and_grad(name: str, f: torch.Tensor, y: torch.Tensor, alpha: torch.Tensor):
    """The batch-mean loss [K] and its gradient with respect to f (shaped like f)."""
    B = f.shape[1]
    if name == "cross_entropy":
        logp = torch.log_softmax(f, dim=-1)
        loss = -torch.gather(logp, -1, y.unsqueeze(-1)).squeeze(-1).mean(1)
        grad = torch.exp(logp)
        grad.scatter_add_(-1, y.unsqueeze(-1), torch.full_like(f[..., :1], -1.0))
        return loss, grad / B
    yf = y * f
    if name == "hinge":
        loss = torch.relu(1 - yf).mean(1) / alpha
        return loss, torch.where(yf < 1, y, 0.0) * (-1 / B / alpha).view(-1, 1)
    elif name == "squared_margin":
        loss = (yf - 1).square().mean(1)
        grad = 2 * (yf - 1) * y
    else:
        loss = torch.nn.functional.softplus(-yf).mean(1)
        grad = -y * torch.sigmoid(-yf)
    return loss, grad / B


def margins(name: str, f: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """y·f (binary) or f_y − max_{c≠y} f_c (several classes); NaN where the output is not finite: [K, N]."""
    if name == "cross_entropy":
        fy = torch.gather(f, -1, y.unsqueeze(-1)).squeeze(-1)
        others = f.scatter(-1, y.unsqueeze(-1), float("-inf")).amax(-1)
        m = fy - others
        finite = torch.isfinite(f).all(-1)
    else:
        m = y * f
        finite = torch.isfinite(f)
    return torch.where(finite, m, torch.full_like(m, float("nan")))
