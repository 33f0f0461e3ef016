"""Any small ``nn.Module`` (e.g. a CNN) as an ensemble, through ``torch.func``: ``functional_call`` over members.

Slower than the hand-written families on tiny models, but general; its backward is autograd
(``torch.func.vjp``). Buffers (e.g. BatchNorm statistics) are kept fixed at their initial values.

Two ways to run the K members: ``vmap`` (one batched program: convolutions become grouped convolutions) or a
Python ``loop`` over members. On 2 CPU cores, for K = 16 CNNs on 3×32×32 inputs, the loop ran the forward and
backward 1.9× faster than vmap (158 against 82 model-steps/s), since CPU libraries run grouped convolutions
poorly; ``strategy="auto"`` therefore loops on the CPU and uses vmap elsewhere (on a GPU one grouped kernel
should beat K small ones, but that is not measured yet: ``python -m lrlib.bench`` times both).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from .base import EnsembleModel, Noise, Params

STRATEGIES = ("auto", "vmap", "loop")


class FunctionalModel(EnsembleModel):
    """K copies of the module ``make()`` returns, member k built under ``torch.manual_seed(seed_k)``.

    Parameters
    ----------
    make : builds one module; it maps ``[B, *input_shape]`` to ``[B, n_out]`` (or ``[B]`` when n_out is 1).
    input_shape : one example's shape, e.g. ``(3, 32, 32)``.
    n_out : outputs per example (1: binary output f [K, B]).
    centered : train on α·(F(w) − F(w0)).
    strategy : ``"auto"`` (a loop over members on the CPU, vmap elsewhere), ``"vmap"`` or ``"loop"``.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> cnn = FunctionalModel(lambda: nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(),
    ...                                             nn.Linear(4 * 6 * 6, 10)), input_shape=(1, 8, 8), n_out=10)
    >>> p = cnn.init([0, 1])
    >>> cnn.forward(p, torch.randn(5, 1, 8, 8)).shape
    torch.Size([2, 5, 10])
    """

    def __init__(
        self,
        make: Callable[[], nn.Module],
        input_shape: Sequence[int],
        n_out: int = 1,
        *,
        centered: bool = False,
        strategy: str = "auto",
    ):
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        self.strategy = strategy
        self.make = make
        self.input_shape = tuple(int(s) for s in input_shape)
        self.n_out = int(n_out)
        self.centered = centered
        module = make()
        self.module = module.to("meta")  # the structure only; parameters come from ``params``
        self.buffers = {n: b.detach().clone() for n, b in module.named_buffers()}
        self._buffers_on: dict = {}  # (device, dtype) -> buffers there, copied once, not every step
        self.activation_size = 8 * math.prod(self.input_shape)

    def __repr__(self) -> str:
        return f"FunctionalModel({self.module.__class__.__name__}, input_shape={self.input_shape}, n_out={self.n_out})"

    def init_one(self, generator: torch.Generator) -> Params:
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = self.make()
        return {n: p.detach().to(torch.float64) for n, p in module.named_parameters()}

    def forward(self, params: Params, x: torch.Tensor, noise: Noise | None = None) -> torch.Tensor:
        if noise is not None:
            raise ValueError("FunctionalModel does not support pre-activation noise")
        shared = self.shared(x)
        dtype = next(iter(params.values())).dtype
        key = (x.device, dtype)
        if key not in self._buffers_on:
            self._buffers_on[key] = {
                n: b.to(device=x.device, dtype=dtype if b.is_floating_point() else b.dtype)
                for n, b in self.buffers.items()
            }
        buffers = self._buffers_on[key]

        def one(p, xb):
            return torch.func.functional_call(self.module, (p, buffers), (xb,))

        if self.strategy == "loop" or (self.strategy == "auto" and x.device.type == "cpu"):
            K = next(iter(params.values())).shape[0]
            out = torch.stack([one({n: v[k] for n, v in params.items()}, x if shared else x[k]) for k in range(K)])
        else:
            out = torch.func.vmap(one, in_dims=(0, None if shared else 0))(params, x)  # [K, B, ...]
        return out.reshape(out.shape[0], out.shape[1]) if self.n_out == 1 else out
