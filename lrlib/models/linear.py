"""Linear models: the perceptron f = w·x/√d (ch. 5), logistic regression (one output) and softmax regression."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .base import EnsembleModel, Noise, Params, per_member, shared_matmul


class Linear(EnsembleModel):
    """f = s·(x·w) + b for K members; ``w`` is [K, d] with one output, [K, d, C] with C.

    Parameters
    ----------
    dim : d (input size; inputs of ``input_shape`` are flattened).
    n_out : 1 (binary: perceptron, logistic regression) or C classes (softmax regression).
    bias : learn a bias ``b`` ([K] or [K, C]), initialized to 0.
    scale : s: ``"1/sqrt(d)"`` (the ch. 5 perceptron) or a number (1.0 for plain regression).
    init : ``"normal"`` (w ~ N(0, I)) or ``"zeros"``.
    centered : train on α·(F(w) − F(w0)) (ch. 5: a hinge with margin 1/α on u = w − w0).

    Examples
    --------
    >>> import torch
    >>> m = Linear(dim=3, init="zeros", scale=1.0, bias=True)
    >>> m.forward(m.init([0, 1]), torch.ones(4, 3)).shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        dim: int,
        n_out: int = 1,
        *,
        bias: bool = False,
        scale: str | float = "1/sqrt(d)",
        init: str = "normal",
        centered: bool = False,
        input_shape: Sequence[int] | None = None,
    ):
        if dim < 1 or n_out < 1:
            raise ValueError(f"dim and n_out must be >= 1, got {dim}, {n_out}")
        if init not in ("normal", "zeros"):
            raise ValueError(f"init must be 'normal' or 'zeros', got {init!r}")
        if scale == "1/sqrt(d)":
            self.scale = 1 / math.sqrt(dim)
        elif isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0:
            self.scale = float(scale)
        else:
            raise ValueError(f"scale must be '1/sqrt(d)' or a positive number, got {scale!r}")
        self.dim, self.n_out, self.bias, self.init_kind, self.centered = int(dim), int(n_out), bias, init, centered
        self.input_shape = tuple(input_shape) if input_shape is not None else (self.dim,)
        if math.prod(self.input_shape) != self.dim:
            raise ValueError(f"input_shape {self.input_shape} does not hold {dim} numbers")
        self.activation_size = self.dim + self.n_out

    def __repr__(self) -> str:
        return (
            f"Linear(dim={self.dim}, n_out={self.n_out}, bias={self.bias}, scale={self.scale:.6g}, "
            f"init={self.init_kind!r}, centered={self.centered})"
        )

    def init_one(self, generator: torch.Generator) -> Params:
        shape = (self.dim,) if self.n_out == 1 else (self.dim, self.n_out)
        w = (
            torch.randn(shape, generator=generator, dtype=torch.float64)
            if self.init_kind == "normal"
            else torch.zeros(shape, dtype=torch.float64)
        )
        p = {"w": w}
        if self.bias:
            p["b"] = torch.zeros(shape[1:], dtype=torch.float64)
        return p

    def _w3(self, w: torch.Tensor) -> torch.Tensor:
        return w.unsqueeze(-1) if self.n_out == 1 else w  # [K, d, C]

    def forward(self, params: Params, x: torch.Tensor, noise: Noise | None = None) -> torch.Tensor:
        return self.forward_train(params, x, noise)[0]

    def forward_train(self, params: Params, x: torch.Tensor, noise: Noise | None = None):
        shared = self.shared(x)
        w = self._w3(params["w"])
        if shared:
            x = x.reshape(x.shape[0], -1)
            z = shared_matmul(x, w)
        else:
            x = x.reshape(x.shape[0], x.shape[1], -1)
            z = torch.bmm(x, w)
        z = z * self.scale
        if self.bias:
            z = z + (params["b"].view(-1, 1, 1) if self.n_out == 1 else params["b"].unsqueeze(1))
        return (z.squeeze(-1) if self.n_out == 1 else z), x

    def backward(self, params: Params, cache, dout: torch.Tensor) -> Params:
        x = cache
        dz = dout.unsqueeze(-1) if self.n_out == 1 else dout  # [K, B, C]
        gw = torch.bmm(x.transpose(1, 2), dz) * self.scale  # [K, d, C]
        grads = {"w": gw.squeeze(-1) if self.n_out == 1 else gw}
        if self.bias:
            grads["b"] = dz.sum(1).squeeze(-1) if self.n_out == 1 else dz.sum(1)
        return grads

    def accumulate(self, params, cache, dout, into, decay) -> None:
        x = cache
        dz = dout.unsqueeze(-1) if self.n_out == 1 else dout
        for buf in into.values():
            buf.mul_(per_member(decay, buf))
        self._w3(into["w"]).baddbmm_(x.transpose(1, 2), dz, alpha=self.scale)
        if self.bias:
            into["b"].add_(dz.sum(1).squeeze(-1) if self.n_out == 1 else dz.sum(1))

    def backward_apply(self, params, cache, dout, lr, weight_decay=None) -> None:
        x = cache
        dz = dout.unsqueeze(-1) if self.n_out == 1 else dout
        w = params["w"]
        if weight_decay is not None:
            for p in params.values():
                p.mul_(1 - per_member(lr * weight_decay, p))
        self._w3(w).baddbmm_(x.transpose(1, 2), dz * per_member(-lr * self.scale, dz))
        if self.bias:
            b = params["b"]
            b.sub_(per_member(lr, b) * (dz.sum(1).squeeze(-1) if self.n_out == 1 else dz.sum(1)))
