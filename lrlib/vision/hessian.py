"""The top Hessian eigenvalue of a network's loss, by power iteration on Hessian-vector products.

The Hessian is never formed: each product ``H v`` is a second backward pass through the gradient (Pearlmutter's
trick, via double backpropagation). The loss is the mean over a fixed set of inputs, taken in chunks so that a large
set fits in memory; the products of the chunks are summed with the chunks' weights, so the result does not depend
on the chunk size. The model is used as it is (the caller picks train or eval mode).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["top_eigenvalue", "hessian_vector_product"]


def hessian_vector_product(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    vector: list[torch.Tensor],
    *,
    chunk_size: int | None = None,
) -> list[torch.Tensor]:
    """``H v`` for the Hessian H of ``loss_fn(model(x), y)`` (a mean over the inputs) in the model's parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    n = len(x)
    chunk_size = chunk_size or n
    out = [torch.zeros_like(p) for p in params]
    for start in range(0, n, chunk_size):
        xb, yb = x[start : start + chunk_size], y[start : start + chunk_size]
        loss = loss_fn(model(xb), yb) * (len(xb) / n)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((g * v).sum() for g, v in zip(grads, vector))
        for acc, hv in zip(out, torch.autograd.grad(dot, params)):
            acc += hv
    return out


def top_eigenvalue(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    iters: int = 20,
    generator: torch.Generator | None = None,
    *,
    chunk_size: int | None = None,
    tol: float = 1e-4,
) -> float:
    """The Hessian eigenvalue of largest magnitude (for a network near a minimum, the top one, λ_max).

    Power iteration from a random unit vector drawn from ``generator`` (on its device): at most ``iters``
    Hessian-vector products, stopping early once the Rayleigh quotient changes by less than ``tol`` relative.
    Returns the last Rayleigh quotient ``vᵀHv``. Each product costs about 3.5 training passes over ``x`` (measured:
    WRN-16-1, CPU). Power iteration converges at the rate |λ₂/λ₁| per product, so a few dozen products give λ_max
    to a few percent when the top of the spectrum is separated, as it is for trained networks.
    """
    if not isinstance(iters, int) or iters < 1:
        raise ValueError(f"iters must be a positive integer, got {iters!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    # drawn on the generator's device, then moved: a CPU generator starts CPU and CUDA runs from the same vector
    source = generator.device if generator is not None else None
    vector = [torch.randn(p.shape, generator=generator, device=source or p.device).to(p) for p in params]
    estimate = float("nan")
    for _ in range(iters):
        norm = torch.sqrt(sum((v * v).sum() for v in vector))
        vector = [v / norm for v in vector]
        product = hessian_vector_product(model, loss_fn, x, y, vector, chunk_size=chunk_size)
        new = float(sum((v * hv).sum() for v, hv in zip(vector, product)))
        converged = abs(new - estimate) <= tol * abs(new)
        estimate, vector = new, product
        if converged or not torch.isfinite(torch.tensor(new)):
            break
    return estimate
