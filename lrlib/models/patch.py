"""Chapter 1's network: a two-layer ReLU² net over input patches with a fixed ±1/m second layer.

f(W, x) = F₊₁(W₊₁, x) − F₋₁(W₋₁, x),   F_j = (1/m) Σ_{r≤m} Σ_{p≤P} relu(⟨w_{j,r}, x⁽ᵖ⁾⟩)²

The same m weight vectors per class act on every patch (with orthogonal signal and noise patches this is
equivalent to per-patch weights, see the chapter-1 spec).
"""

from __future__ import annotations

import torch

from .base import EnsembleModel, Noise, Params, per_member


class PatchReLU2(EnsembleModel):
    """The ReLU² patch network for K members; parameter ``w`` [K, 2, m, d] (``w[:, 0]``: j = +1, ``w[:, 1]``: j = −1).

    Parameters
    ----------
    dim : d, the size of one patch.
    width : m, neurons per class.
    patches : P, patches per input; an input is ``[P, d]``.
    sigma0 : initial weights are N(0, σ0²) (σ0 in the paper).

    Examples
    --------
    >>> import torch
    >>> net = PatchReLU2(dim=4, width=2, patches=3, sigma0=1.0)
    >>> p = net.init([0], dtype=torch.float64)
    >>> x = torch.zeros(1, 3, 4, dtype=torch.float64); x[0, 0, 0] = 1.0
    >>> w = p["w"][0]
    >>> bool(torch.isclose(net.forward(p, x)[0, 0],
    ...      (torch.relu(w[0, :, 0]) ** 2).sum() / 2 - (torch.relu(w[1, :, 0]) ** 2).sum() / 2))
    True
    """

    hidden_layers = 1

    def __init__(self, dim: int, width: int, patches: int, sigma0: float = 0.01):
        if min(dim, width, patches) < 1 or not sigma0 >= 0:
            raise ValueError(
                f"dim, width, patches must be >= 1 and sigma0 >= 0, got {dim}, {width}, {patches}, {sigma0}"
            )
        self.dim, self.width, self.patches, self.sigma0 = int(dim), int(width), int(patches), float(sigma0)
        self.input_shape = (self.patches, self.dim)
        self.n_out = 1
        self.activation_size = self.patches * (self.dim + 2 * self.width)

    def __repr__(self) -> str:
        return f"PatchReLU2(dim={self.dim}, width={self.width}, patches={self.patches}, sigma0={self.sigma0})"

    def init_one(self, generator: torch.Generator) -> Params:
        return {"w": self.sigma0 * torch.randn(2, self.width, self.dim, generator=generator, dtype=torch.float64)}

    def _signs(self, like: torch.Tensor) -> torch.Tensor:
        # [2, 1]: +1, −1, made on the device (a literal tensor would be a host-to-device copy every step)
        return 1 - 2 * torch.arange(2, dtype=like.dtype, device=like.device).view(2, 1)

    def _preact(self, w: torch.Tensor, x: torch.Tensor, shared: bool) -> torch.Tensor:
        """z [K, B, P, 2, m] = ⟨w_{j,r}, x⁽ᵖ⁾⟩."""
        K, m, d, P = w.shape[0], self.width, self.dim, self.patches
        if shared:
            z = x.reshape(-1, d) @ w.reshape(K * 2 * m, d).T  # [N·P, K·2m]
            return z.view(x.shape[0], P, K, 2, m).permute(2, 0, 1, 3, 4)  # [K, N, P, 2, m]
        B = x.shape[1]
        z = torch.bmm(x.reshape(K, B * P, d), w.reshape(K, 2 * m, d).transpose(1, 2))  # [K, B·P, 2m]
        return z.view(K, B, P, 2, m)

    def forward(self, params: Params, x: torch.Tensor, noise: Noise | None = None) -> torch.Tensor:
        return self.forward_train(params, x, noise)[0]

    def forward_train(self, params: Params, x: torch.Tensor, noise: Noise | None = None):
        shared = self.shared(x)
        z = self._preact(params["w"], x, shared)
        if noise is not None:
            z = z + noise(0, z)
        F = torch.relu(z).square().sum(dim=(2, 4)) / self.width  # [K, B, 2]
        f = F[..., 0] - F[..., 1]  # [K, B]
        return f, (x, z)

    def _dz(self, z: torch.Tensor, dout: torch.Tensor) -> torch.Tensor:
        """∂(Σ dout·f)/∂z = dout · s_j · (2/m) relu(z), flattened to [K, B·P, 2m]."""
        K, B = dout.shape
        dz = torch.relu(z) * (self._signs(z) * (2.0 / self.width)) * dout.view(K, B, 1, 1, 1)
        return dz.reshape(K, B * self.patches, 2 * self.width)

    def backward(self, params: Params, cache, dout: torch.Tensor) -> Params:
        x, z = cache
        K = x.shape[0]
        dz = self._dz(z, dout)
        gw = torch.bmm(dz.transpose(1, 2), x.reshape(K, -1, self.dim))  # [K, 2m, d]
        return {"w": gw.view_as(params["w"])}

    def accumulate(self, params, cache, dout, into, decay) -> None:
        x, z = cache
        buf = into["w"]
        K = buf.shape[0]
        buf.mul_(per_member(decay, buf))
        buf.view(K, 2 * self.width, self.dim).baddbmm_(self._dz(z, dout).transpose(1, 2), x.reshape(K, -1, self.dim))

    def backward_apply(self, params, cache, dout, lr, weight_decay=None) -> None:
        x, z = cache
        w = params["w"]
        K = w.shape[0]
        dz = self._dz(z, dout)
        if weight_decay is not None:
            w.mul_(1 - per_member(lr * weight_decay, w))
        w.view(K, 2 * self.width, self.dim).baddbmm_(
            dz.transpose(1, 2) * per_member(-lr, dz), x.reshape(K, -1, self.dim)
        )
