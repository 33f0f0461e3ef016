"""Fully connected networks with an ensemble axis, with a hand-written backward pass.

Layer l computes z_l = s_l·(h_{l−1} @ W_l) + b_l and h_l = c·φ(z_l); the last layer has no activation.
Weights are stored ``[K, fan_in, fan_out]`` (the transpose of ``nn.Linear.weight``), biases ``[K, fan_out]``;
names are ``w1, b1, w2, b2, ...``.

``layers="standard"``: ``nn.Linear``'s initialization, U(−1/√fan_in, 1/√fan_in) for weights and biases, s_l = 1.
``layers="scaled"``: N(0, 1) weights, zero biases, s_l = 1/√fan_in for hidden layers and 1/h or 1/√h
(``readout``) for the last one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from . import activations as act
from .base import EnsembleModel, Noise, Params, per_member, shared_matmul

READOUTS = ("1/sqrt(h)", "1/h")


class MLP(EnsembleModel):
    """A fully connected net ``widths = [d_in, h_1, ..., h_{L}, n_out]`` for K members at once.

    Parameters
    ----------
    widths : input size, hidden widths, number of outputs (1: binary output f [K, B]).
    activation : ``"relu"``, ``"gelu"`` (exact), ``"gelu_tanh"`` (jax's default) or ``"relu2"``.
    bias : learn biases.
    layers : ``"standard"`` (nn.Linear init) or ``"scaled"`` (N(0,1) weights, 1/√fan_in in the forward).
    readout : scale of the last layer when ``layers="scaled"`` or ``fixed_readout``: ``"1/sqrt(h)"`` or ``"1/h"``.
    normalize_activation : multiply φ by c so that E φ(z)² = 1 for z ~ N(0, 1).
    fixed_readout : the last layer is fixed to ±1 (first half of the units +1, second half −1), not trained.
    centered : train on α·(F(w) − F(w0)) (the trainer does the centring).
    input_shape : shape of one example if not ``(d_in,)`` (flattened in the forward), e.g. ``(1, 28, 28)``.

    Examples
    --------
    >>> import torch
    >>> net = MLP([784, 256, 10])
    >>> p = net.init([0, 1])
    >>> p["w1"].shape, p["b2"].shape
    (torch.Size([2, 784, 256]), torch.Size([2, 10]))
    >>> net.forward(p, torch.randn(5, 784)).shape
    torch.Size([2, 5, 10])
    """

    def __init__(
        self,
        widths: Sequence[int],
        activation: str = "relu",
        *,
        bias: bool = True,
        layers: str = "standard",
        readout: str = "1/sqrt(h)",
        normalize_activation: bool = False,
        fixed_readout: bool = False,
        centered: bool = False,
        input_shape: Sequence[int] | None = None,
    ):
        widths = [int(w) for w in widths]
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths must list at least an input and an output size, all >= 1, got {widths}")
        if layers not in ("standard", "scaled"):
            raise ValueError(f"layers must be 'standard' or 'scaled', got {layers!r}")
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        if fixed_readout and (widths[-1] != 1 or len(widths) < 3):
            raise ValueError("fixed_readout needs one output and at least one hidden layer")
        self.widths, self.activation, self.bias = widths, act.check(activation), bias
        self.layers, self.readout, self.fixed_readout = layers, readout, fixed_readout
        self.centered = centered
        self.c = act.normalizer(activation) if normalize_activation else 1.0
        self.input_shape = tuple(input_shape) if input_shape is not None else (widths[0],)
        if math.prod(self.input_shape) != widths[0]:
            raise ValueError(f"input_shape {self.input_shape} does not hold {widths[0]} numbers")
        self.n_out = widths[-1]
        self.depth = len(widths) - 1  # number of weight layers
        self.hidden_layers = self.depth - 1
        self.activation_size = sum(widths)
        self.scales = []
        for l in range(self.depth):
            fan_in = widths[l]
            last = l == self.depth - 1
            if last and (layers == "scaled" or fixed_readout):
                self.scales.append(1 / fan_in if readout == "1/h" else 1 / math.sqrt(fan_in))
            elif layers == "scaled":
                self.scales.append(1 / math.sqrt(fan_in))
            else:
                self.scales.append(1.0)
        self.trained = self.depth - 1 if fixed_readout else self.depth  # layers with parameters
        self._readouts: dict = {}

    def __repr__(self) -> str:
        return (
            f"MLP({self.widths}, {self.activation!r}, bias={self.bias}, layers={self.layers!r}, "
            f"readout={self.readout!r}, fixed_readout={self.fixed_readout}, centered={self.centered})"
        )

    def init_one(self, generator: torch.Generator) -> Params:
        p = {}
        for l in range(self.trained):
            fan_in, fan_out = self.widths[l], self.widths[l + 1]
            if self.layers == "standard":
                bound = 1 / math.sqrt(fan_in)
                p[f"w{l + 1}"] = (torch.rand(fan_in, fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
                if self.bias:
                    p[f"b{l + 1}"] = (torch.rand(fan_out, generator=generator, dtype=torch.float64) * 2 - 1) * bound
            else:
                p[f"w{l + 1}"] = torch.randn(fan_in, fan_out, generator=generator, dtype=torch.float64)
                if self.bias:
                    p[f"b{l + 1}"] = torch.zeros(fan_out, dtype=torch.float64)
        return p

    def _readout(self, like: torch.Tensor) -> torch.Tensor:
        """The fixed readout [h, 1]: +1 for the first half of the units, −1 for the rest (made without a host copy)."""
        key = (like.dtype, like.device)
        if key not in self._readouts:
            h = self.widths[-2]
            signs = torch.ones(h, 1, dtype=like.dtype, device=like.device)
            signs[h // 2 :] = -1
            self._readouts[key] = signs
        return self._readouts[key]

    def _input(self, x: torch.Tensor, shared: bool) -> torch.Tensor:
        return x.reshape(x.shape[0], -1) if shared else x.reshape(x.shape[0], x.shape[1], -1)

    def forward(self, params: Params, x: torch.Tensor, noise: Noise | None = None) -> torch.Tensor:
        out, _ = self._forward(params, x, noise, keep=False)
        return out

    def forward_train(self, params: Params, x: torch.Tensor, noise: Noise | None = None):
        return self._forward(params, x, noise, keep=True)

    def _forward(self, params, x, noise, keep):
        """Hidden activations are stored without the normaliser c, which travels as a Python factor ``hs``
        (true activation = hs·stored) and is folded into the next matrix product: fewer kernels per step."""
        shared = self.shared(x)
        h, hs = self._input(x, shared), 1.0
        cache = []  # (stored input h, its factor hs, pre-activation z)
        for l in range(self.depth):
            eff = self.scales[l] * hs
            if l >= self.trained:  # fixed ±1 readout
                z = (h @ self._readout(h)) * eff
            elif shared and l == 0:
                z = shared_matmul(h, params[f"w{l + 1}"]) * eff
                if self.bias:
                    z = z + params[f"b{l + 1}"].unsqueeze(1)
            elif self.bias:  # z = b + eff·(h @ W), one kernel
                z = torch.baddbmm(params[f"b{l + 1}"].unsqueeze(1), h, params[f"w{l + 1}"], alpha=eff)
            else:
                w = params[f"w{l + 1}"]
                z = (
                    torch.bmm(h, w)
                    if eff == 1.0
                    else torch.baddbmm(h.new_empty(h.shape[0], h.shape[1], w.shape[2]), h, w, beta=0, alpha=eff)
                )
            if l == self.depth - 1:
                cache.append((h, hs, None))
                h = z
                break
            if noise is not None:
                z = z + noise(l, z)
            cache.append((h, hs, z))
            h, hs = act.value(self.activation, z), self.c
        out = h.squeeze(-1) if self.n_out == 1 else h
        return out, (cache if keep else None)

    def backward(self, params: Params, cache, dout: torch.Tensor) -> Params:
        grads: Params = {}
        self._backward(params, cache, dout, grads=grads)
        return grads

    def backward_apply(self, params, cache, dout, lr, weight_decay=None) -> None:
        self._backward(params, cache, dout, lr=lr, weight_decay=weight_decay)

    def accumulate(self, params, cache, dout, into, decay) -> None:
        self._backward(params, cache, dout, into=into, decay=decay)

    def _backward(self, params, cache, dout, grads=None, lr=None, weight_decay=None, into=None, decay=None):
        """Backpropagate, and per layer either store the gradients in ``grads``, or accumulate them into
        ``into`` (into ← decay·into + grad), or apply w ← w − lr·(grad + wd·w); each layer's update comes after
        its old weights were used for the gradient below it. The gradient w.r.t. z is kept as ``kappa·dz``
        (``kappa`` a Python number), so scales cost no kernels."""
        dz = dout.unsqueeze(-1) if self.n_out == 1 else dout  # [K, B, n_out]
        kappa = 1.0
        neg_lr = None if lr is None else -lr
        for l in reversed(range(self.depth)):
            h_in, hs, _ = cache[l]
            s = self.scales[l]
            trained = l < self.trained
            if l > 0:  # ∂/∂(stored h_{l−1}), before w changes
                dh = torch.bmm(dz, params[f"w{l + 1}"].transpose(1, 2)) if trained else dz @ self._readout(dz).T
            if trained:
                w, gscale = params[f"w{l + 1}"], s * hs * kappa  # true dW = gscale · h^T dz
                b = params.get(f"b{l + 1}")
                if grads is not None:
                    grads[f"w{l + 1}"] = torch.bmm(h_in.transpose(1, 2), dz) * gscale
                    if self.bias:
                        grads[f"b{l + 1}"] = dz.sum(1) * kappa
                elif into is not None:
                    buf = into[f"w{l + 1}"]
                    buf.mul_(per_member(decay, buf)).baddbmm_(h_in.transpose(1, 2), dz, alpha=gscale)
                    if self.bias:
                        bb = into[f"b{l + 1}"]
                        bb.mul_(per_member(decay, bb)).add_(dz.sum(1), alpha=kappa)
                else:
                    if weight_decay is not None:
                        w.mul_(1 - per_member(lr * weight_decay, w))
                        if self.bias:
                            b.mul_(1 - per_member(lr * weight_decay, b))
                    w.baddbmm_(h_in.transpose(1, 2), dz * per_member(neg_lr, dz), alpha=gscale)
                    if self.bias:
                        b.addcmul_(dz.sum(1), per_member(neg_lr, b), value=kappa)
            if l > 0:
                _, _, z = cache[l - 1]  # true ∂/∂z_{l−1} = s·kappa·c · dz
                dz = act.backward(self.activation, dh, z)
                kappa = s * kappa * self.c


def two_layer(dim: int, width: int, n_out: int = 1, activation: str = "relu", *, bias: bool = True, **kwargs) -> MLP:
    """One hidden layer, ``nn.Linear`` initialization: e.g. the 784-800-10 ReLU net of chapter 3.

    >>> two_layer(784, 800, 10).widths
    [784, 800, 10]
    """
    return MLP([dim, width, n_out], activation, bias=bias, **kwargs)


def alpha_mlp(
    dim: int,
    depth: int,
    width: int,
    activation: str = "relu",
    *,
    readout: str = "1/h",
    n_out: int = 1,
    input_shape: Sequence[int] | None = None,
) -> MLP:
    """The α-scaled MLP of chapter 5 (Sclocchi et al.): ``depth`` hidden layers of ``width``, no biases,
    N(0, 1) weights with 1/√fan_in in the forward, activation normalised to E φ(z)² = 1, a 1/h (mean-field) or
    1/√h readout, trained as f = α·(F(w) − F(w0)) with the member's ``alpha``.

    >>> alpha_mlp(784, 5, 128).widths
    [784, 128, 128, 128, 128, 128, 1]
    """
    return MLP(
        [dim] + [width] * depth + [n_out],
        activation,
        bias=False,
        layers="scaled",
        readout=readout,
        normalize_activation=True,
        centered=True,
        input_shape=input_shape,
    )
