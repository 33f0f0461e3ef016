"""The interface every model family implements: parameters as a dict of ``[K, ...]`` tensors.

A family describes one architecture; ``init`` makes K members of it, and ``forward``/``backward`` act on all K
at once. ``forward`` is plain differentiable torch code, so autograd on it is the reference that hand-written
backward passes are tested against (:meth:`EnsembleModel.autograd_backward`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

Params = dict[str, torch.Tensor]
#: ``noise(layer, z)`` returns a tensor shaped like the pre-activation ``z`` [K, B, ...] to add to it.
Noise = Callable[[int, torch.Tensor], torch.Tensor]


def per_member(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """View a ``[K]`` tensor so that it broadcasts against ``like`` [K, ...]."""
    return values.view(values.shape[0], *([1] * (like.dim() - 1)))


class EnsembleModel(ABC):
    """Base class of the model families (see :mod:`lrlib.models`).

    Subclasses set ``input_shape`` (one example's shape), ``n_out`` (1: output ``[K, B]``; C: ``[K, B, C]``),
    ``hidden_layers`` (how many pre-activations accept noise), ``activation_size`` (numbers kept per example in
    a forward pass; sizes evaluation chunks) and ``centered``; and implement ``init_one`` and ``forward``.
    Hand-written families also override ``forward_train`` and ``backward`` (and ``backward_apply`` to fuse
    the SGD update into the backward pass).
    """

    input_shape: tuple[int, ...] = ()
    n_out: int = 1
    hidden_layers: int = 0
    activation_size: int = 1
    centered: bool = False

    # ---- initialization -------------------------------------------------------------------------------------
    @abstractmethod
    def init_one(self, generator: torch.Generator) -> Params:
        """One member's parameters (no K axis), drawn in float64 from ``generator``."""

    def init(
        self,
        seeds: Sequence[int],
        *,
        dtype: torch.dtype = torch.float32,
        device: Any = None,
        init_scale: Sequence[float] | torch.Tensor | None = None,
    ) -> Params:
        """K members' initial parameters, member k drawn from its own CPU generator seeded with ``seeds[k]``.

        The draw does not depend on the other members, the dtype or the device, so a member starts from the
        same weights (up to rounding to ``dtype``) however it is packed. ``init_scale`` ([K]) multiplies them.

        Examples
        --------
        >>> from lrlib.models import Linear
        >>> Linear(dim=5).init([3, 4])["w"].shape
        torch.Size([2, 5])
        """
        members = []
        for s in seeds:
            g = torch.Generator().manual_seed(int(s))
            members.append(self.init_one(g))
        params = {name: torch.stack([m[name] for m in members]) for name in members[0]}
        if init_scale is not None:
            scale = torch.tensor(np.asarray(init_scale, dtype=np.float64))
            params = {n: p * per_member(scale, p) for n, p in params.items()}
        return {n: p.to(dtype=dtype, device=device).contiguous() for n, p in params.items()}

    # ---- forward and backward -------------------------------------------------------------------------------
    def shared(self, x: torch.Tensor) -> bool:
        """True if ``x`` is one set shared by all members ([N, *input_shape]), False if [K, B, *input_shape]."""
        extra = x.dim() - len(self.input_shape)
        if extra not in (1, 2) or tuple(x.shape[extra:]) != tuple(self.input_shape):
            raise ValueError(
                f"input must be [N, {self.input_shape}] or [K, B, {self.input_shape}], got {tuple(x.shape)}"
            )
        return extra == 1

    @abstractmethod
    def forward(self, params: Params, x: torch.Tensor, noise: Noise | None = None) -> torch.Tensor:
        """F(w, x): [K, B] (one output) or [K, B, C]; differentiable with autograd."""

    def forward_train(self, params: Params, x: torch.Tensor, noise: Noise | None = None):
        """``(F, cache)`` for a later :meth:`backward`; the default keeps an autograd (``torch.func.vjp``) closure."""
        out, vjp = torch.func.vjp(lambda p: self.forward(p, x, noise), params)
        return out, vjp

    def backward(self, params: Params, cache: Any, dout: torch.Tensor) -> Params:
        """Gradients ``Σ_b dout[k, b] ∂F[k, b]/∂w_k`` for every member, shaped like ``params``."""
        return cache(dout)[0]

    def backward_apply(
        self, params: Params, cache: Any, dout: torch.Tensor, lr: torch.Tensor, weight_decay: torch.Tensor | None = None
    ) -> None:
        """In place: ``w ← w − lr·(grad + weight_decay·w)`` per member (``lr``, ``weight_decay``: [K]).

        Families with a hand-written backward fuse this into the backward pass, so gradients are never stored.
        """
        grads = self.backward(params, cache, dout)
        for name, p in params.items():
            g = grads[name]
            if weight_decay is not None:
                g = g + per_member(weight_decay, p) * p
            p.sub_(per_member(lr, p) * g)

    def accumulate(self, params: Params, cache: Any, dout: torch.Tensor, into: Params, decay: torch.Tensor) -> None:
        """In place: ``into ← decay·into + grad`` per member (``decay`` [K]), e.g. momentum buffers.

        Families with a hand-written backward accumulate straight into ``into``, allocating no gradients."""
        grads = self.backward(params, cache, dout)
        for name, buf in into.items():
            buf.mul_(per_member(decay, buf)).add_(grads[name])

    def autograd_backward(
        self, params: Params, x: torch.Tensor, dout: torch.Tensor, noise: Noise | None = None
    ) -> Params:
        """The reference: gradients of ``Σ dout·F(w, x)`` by ``torch.autograd`` on :meth:`forward`."""
        leaves = {n: p.detach().clone().requires_grad_(True) for n, p in params.items()}
        out = self.forward(leaves, x, noise)
        grads = torch.autograd.grad((out * dout).sum(), list(leaves.values()), allow_unused=True)
        return {n: torch.zeros_like(p) if g is None else g for (n, p), g in zip(leaves.items(), grads)}


def shared_matmul(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``x [N, n] @ w [K, n, m] -> [K, N, m]`` without K copies of x.

    On CUDA a batched product with a zero batch stride for x (nothing is copied); elsewhere one large matrix
    product against w laid out as [n, K·m] (a copy of w, which CPUs repay with a faster product)."""
    K, n, m = w.shape
    if x.is_cuda:
        return torch.bmm(x.unsqueeze(0).expand(K, -1, -1), w)
    out = x @ w.permute(1, 0, 2).reshape(n, K * m)  # [N, K*m]
    return out.view(x.shape[0], K, m).transpose(0, 1)  # [K, N, m] (a view)
