"""Activations with their derivatives, and the constant c that makes E_{z~N(0,1)} (c·φ(z))² = 1."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import torch

ACTIVATIONS = ("relu", "gelu", "gelu_tanh", "relu2")
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def check(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}, got {name!r}")
    return name


def value(name: str, z: torch.Tensor) -> torch.Tensor:
    """φ(z)."""
    if name == "relu":
        return torch.relu(z)
    if name == "relu2":
        return torch.relu(z).square()
    if name == "gelu":  # exact: z·Φ(z), as torch's default
        return torch.nn.functional.gelu(z)
    return torch.nn.functional.gelu(z, approximate="tanh")  # gelu_tanh: jax.nn.gelu's default


def derivative(name: str, z: torch.Tensor) -> torch.Tensor:
    """φ'(z) (0 at z = 0 for relu, as autograd)."""
    if name == "relu":
        return (z > 0).to(z.dtype)
    if name == "relu2":
        return 2 * torch.relu(z)
    if name == "gelu":
        cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2.0)))
        pdf = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return cdf + z * pdf
    inner = _SQRT_2_OVER_PI * (z + 0.044715 * z**3)
    t = torch.tanh(inner)
    return 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * z * z)


def backward(name: str, grad: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """grad·φ'(z), in one kernel where torch has one (relu, gelu)."""
    if name == "relu":
        return torch.ops.aten.threshold_backward(grad, z, 0.0)
    if name == "relu2":
        return grad * (2 * torch.relu(z))
    return torch.ops.aten.gelu_backward(grad, z, approximate="none" if name == "gelu" else "tanh")


@cache
def normalizer(name: str) -> float:
    """c with E (c·φ(z))² = 1 for z ~ N(0, 1), by Gauss–Hermite quadrature (exact for relu, relu2)."""
    if name == "relu":  # E relu(z)² = 1/2
        return math.sqrt(2.0)
    if name == "relu2":  # E relu(z)⁴ = 3/2
        return math.sqrt(2.0 / 3.0)
    nodes, weights = np.polynomial.hermite_e.hermegauss(200)  # weight exp(−z²/2)
    phi = value(name, torch.from_numpy(nodes)).numpy()
    second_moment = float((weights * phi**2).sum() / math.sqrt(2 * math.pi))
    return 1.0 / math.sqrt(second_moment)
