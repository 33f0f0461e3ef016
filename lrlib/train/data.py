"""The data a training run uses: a training set and an optional test set, moved to the device once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .losses import BINARY


def _tensor(v: Any) -> torch.Tensor:
    return v if isinstance(v, torch.Tensor) else torch.as_tensor(np.asarray(v))


def _check_finite(name: str, t: torch.Tensor) -> None:
    """A NaN or inf in the data would show up as every member diverging: name it as bad data instead."""
    if t.is_floating_point() and not bool(torch.isfinite(t).all()):
        bad = ~torch.isfinite(t.reshape(t.shape[0], -1)).all(dim=1) if t.dim() > 1 else ~torch.isfinite(t)
        rows = torch.nonzero(bad).flatten()[:5].tolist()
        raise ValueError(f"{name} holds NaN or inf in {int(bad.sum())} row(s), first rows {rows}: clean the data")


@dataclass
class Data:
    """Training inputs ``x`` [N, ...] and labels ``y`` [N]; optional test set ``x_test``, ``y_test``.

    Labels are ±1 for the binary losses (``hinge``, ``squared_margin``, ``logistic``) and class indices
    0..C−1 for ``cross_entropy``. Tensors or numpy arrays.

    >>> import torch
    >>> Data(torch.zeros(4, 2), torch.tensor([1, -1, 1, -1])).n
    4
    """

    x: Any
    y: Any
    x_test: Any = None
    y_test: Any = None

    def __post_init__(self):
        self.x, self.y = _tensor(self.x), _tensor(self.y)
        if self.x.shape[0] != self.y.shape[0] or self.y.dim() != 1:
            raise ValueError(
                f"x [N, ...] and y [N] must have the same N, got {tuple(self.x.shape)} and {tuple(self.y.shape)}"
            )
        _check_finite("x", self.x)
        _check_finite("y", self.y)
        if (self.x_test is None) != (self.y_test is None):
            raise ValueError("give both x_test and y_test, or neither")
        if self.x_test is not None:
            self.x_test, self.y_test = _tensor(self.x_test), _tensor(self.y_test)
            if self.x_test.shape[0] != self.y_test.shape[0] or self.x_test.shape[1:] != self.x.shape[1:]:
                raise ValueError(
                    f"x_test {tuple(self.x_test.shape)} and y_test {tuple(self.y_test.shape)} do "
                    f"not match each other or x {tuple(self.x.shape)}"
                )
            _check_finite("x_test", self.x_test)
            _check_finite("y_test", self.y_test)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def has_test(self) -> bool:
        return self.x_test is not None

    def check_labels(self, loss: str, n_out: int) -> None:
        """A one-line error if the labels do not suit the loss or the model's outputs."""
        for name, y in (("y", self.y), ("y_test", self.y_test)):
            if y is None:
                continue
            values = torch.unique(y.cpu())
            if loss in BINARY:
                if not bool(((values == 1) | (values == -1)).all()):
                    raise ValueError(f"{name} must hold labels ±1 for loss {loss!r}, got values {values[:6].tolist()}")
                if n_out != 1:
                    raise ValueError(f"loss {loss!r} needs a model with one output, this one has {n_out}")
            else:
                if y.is_floating_point() and not bool((values == values.round()).all()):
                    raise ValueError(
                        f"{name} must hold class indices for loss 'cross_entropy', got {values[:6].tolist()}"
                    )
                if bool((values < 0).any()) or bool((values >= n_out).any()):
                    raise ValueError(
                        f"{name} must hold class indices in [0, {n_out}) for loss 'cross_entropy', "
                        f"got values {values[:6].tolist()}"
                    )

    def on(self, device, dtype: torch.dtype, loss: str) -> Data:
        """A copy on ``device``: inputs in ``dtype``; labels in ``dtype`` (binary) or int64 (classes)."""
        ydtype = torch.int64 if loss == "cross_entropy" else dtype
        conv = lambda v, dt: None if v is None else v.to(device=device, dtype=dt).contiguous()  # noqa: E731
        return Data(conv(self.x, dtype), conv(self.y, ydtype), conv(self.x_test, dtype), conv(self.y_test, ydtype))
