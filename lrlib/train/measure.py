"""Measurements at checkpoints: outputs on whole data sets, losses, errors, margins, weight norms."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..models.base import EnsembleModel, Params
from . import losses
from .data import Data

#: numbers kept alive at once when evaluating on a whole data set (sets the chunk size): on a CPU, 128 MiB of
#: float32; on a GPU, 1 GiB, since small chunks leave it idle
EVAL_BUDGET = {"cpu": 1 << 25, "cuda": 1 << 28}


def outputs(model: EnsembleModel, params: Params, x: torch.Tensor) -> torch.Tensor:
    """F(w, x) for a shared set x [N, ...], in chunks of data so memory stays bounded: [K, N(, C)]."""
    K = next(iter(params.values())).shape[0]
    budget = EVAL_BUDGET.get(x.device.type, EVAL_BUDGET["cpu"])
    chunk = max(1, budget // max(1, K * model.activation_size))
    with torch.no_grad():
        parts = [model.forward(params, x[i : i + chunk]) for i in range(0, x.shape[0], chunk)]
    return torch.cat(parts, dim=1)


@dataclass
class Checkpoint:
    """What a measurement ``fn(params, ctx)`` can use besides the parameters.

    ``step``: the step of this measurement (for rows with ``final=True``, the rows' ``stop_step``);
    ``members``: the k measured members (rows of the member table, column ``member`` included), in the order
    of the parameters' first axis; ``params0``: their initial parameters; ``train_output``/``test_output``:
    f on the training/test set ([k, N] or [k, N, C]; None without a test set); ``output(x)``: f on any other
    inputs x [n, ...] (α·(F(w) − F(w0)) for centred models).
    """

    step: int
    final: bool
    members: pd.DataFrame
    params: Params
    params0: Params
    model: EnsembleModel
    data: Data
    alpha: torch.Tensor
    train_output: torch.Tensor
    test_output: torch.Tensor | None = None
    extra: dict = field(default_factory=dict)

    def output(self, x: torch.Tensor) -> torch.Tensor:
        """f = α·F(w, x) (centred models: α·(F(w, x) − F(w0, x))) for x [n, ...] shared by the members."""
        ref = next(iter(self.params.values()))
        x = torch.as_tensor(x).to(device=ref.device, dtype=ref.dtype)
        f = outputs(self.model, self.params, x)
        if self.model.centered:
            f = f - outputs(self.model, self.params0, x)
        return f * self.alpha.view(-1, *([1] * (f.dim() - 1)))


def data_metrics(
    prefix: str, loss: str, f: torch.Tensor, y: torch.Tensor, alpha: torch.Tensor, fit_margin: float | None
) -> dict[str, torch.Tensor]:
    """Mean loss, error (a non-finite output is an error), accuracy, minimum margin, unfitted count: [k] each."""
    yk = y.unsqueeze(0).expand(f.shape[0], *y.shape)
    m = losses.margins(loss, f, yk)
    error = (~(m > 0)).to(f.dtype).mean(1)
    out = {
        f"{prefix}_loss": losses.per_example(loss, f, yk, alpha).mean(1),
        f"{prefix}_error": error,
        f"{prefix}_accuracy": 1 - error,
        f"{prefix}_min_margin": m.amin(1),
    }
    if fit_margin is not None:
        out[f"{prefix}_unfitted"] = (~(m >= fit_margin)).sum(1).to(f.dtype)
    return out


def weight_metrics(params: Params, params0: Params) -> dict[str, torch.Tensor]:
    """‖w‖, ‖w − w0‖, ‖w − w0‖/‖w0‖ over all tensors, and per tensor: [k] each (NaN where ‖w0‖ = 0)."""
    out, sq, sq0, sqd = {}, 0, 0, 0
    for name, p in params.items():
        p0 = params0[name]
        n2 = p.reshape(p.shape[0], -1).square().sum(1)
        n02 = p0.reshape(p.shape[0], -1).square().sum(1)
        d2 = (p - p0).reshape(p.shape[0], -1).square().sum(1)
        out[f"norm.{name}"] = n2.sqrt()
        out[f"rel_change.{name}"] = d2.sqrt() / torch.where(n02 > 0, n02.sqrt(), torch.nan)
        sq, sq0, sqd = sq + n2, sq0 + n02, sqd + d2
    out["weight_norm"] = sq.sqrt()
    out["weight_change"] = sqd.sqrt()
    out["rel_weight_change"] = sqd.sqrt() / torch.where(sq0 > 0, sq0.sqrt(), torch.nan)
    return out


def user_metrics(measure: Mapping[str, Callable], params: Params, ctx: Checkpoint) -> dict[str, Any]:
    """Run each ``fn(params, ctx)``; a [k] result is column ``name``, a dict gives columns ``name.key``."""
    out = {}
    k = len(ctx.members)
    for name, fn in measure.items():
        value = fn(params, ctx)
        items = value.items() if isinstance(value, Mapping) else [(None, value)]
        for key, v in items:
            column = name if key is None else f"{name}.{key}"
            v = v.detach().to("cpu", torch.float64).numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
            if v.shape != (k,):
                raise ValueError(
                    f"measurement {column!r} must return one number per member, shape ({k},), got shape {v.shape}"
                )
            out[column] = v
    return out
