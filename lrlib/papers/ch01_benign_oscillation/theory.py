"""The one-dimensional map behind the mechanism: y·f on a strong point under SGD, f ← f(1 − k(f − 1))².

Above k = η/η* = 1 the fixed point f = 1 is unstable, the orbit oscillates with a time average below 1, and that
average drives the weak feature's growth (:func:`weak_growth_per_step`). [reconstructed]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .scales import DATA_MODEL, NETWORK, DataModel

#: an SGD step "oscillates" when |y·f − 1| ≥ this on the sampled point (the spec's δ = 0.2)
OSCILLATION_DELTA = 0.2
#: the 1-D map's orbit reaches f = 0 (and ReLU neurons die) from k = 3√3/2 − 1 ≈ 1.598 on: see :func:`orbit_bounds`
K_TOUCHES_ZERO = 1.5 * math.sqrt(3.0) - 1.0


def eta_star(m: int = NETWORK.m, u_norm: float = DATA_MODEL.u_norm) -> float:
    """η* = m/(4‖u‖²): above it, SGD on a strong point cannot settle at y·f = 1 (loss (y·f − 1)², ReLU², ±1/m)."""
    if m < 1 or not u_norm > 0:
        raise ValueError(f"m must be >= 1 and u_norm > 0, got m={m}, u_norm={u_norm}")
    return m / (4.0 * u_norm**2)


def oscillation_map(f, k):
    """One SGD step on a strong point, in f = y·f alone: f ← f·(1 − k(f − 1))², with k = η/η* = 4η‖u‖²/m.

    Derivation [reconstructed]: with ReLU² and u orthogonal to the rest, every active neuron's ⟨w, y·u⟩ is
    multiplied by (1 − k(f − 1)) and f is a sum of their squares / m. The fixed point f = 1 has slope 1 − 2k,
    stable only for k < 1.
    """
    return f * (1.0 - k * (f - 1.0)) ** 2


def map_orbit(k, steps: int = 20_000, burn_in: int = 2_000, f0: float = 0.01) -> np.ndarray:
    """The orbit of :func:`oscillation_map` after ``burn_in`` steps, from f0 (small, as after a tiny init).

    ``k`` a number or an array [K]; returns [steps] or [K, steps].
    """
    ks = np.atleast_1d(np.asarray(k, dtype=float))
    if steps < 1 or burn_in < 0:
        raise ValueError(f"steps must be >= 1 and burn_in >= 0, got {steps}, {burn_in}")
    f = np.full_like(ks, f0)
    out = np.empty((ks.size, steps))
    for t in range(burn_in + steps):
        f = oscillation_map(f, ks)
        if t >= burn_in:
            out[:, t - burn_in] = f
    return out[0] if np.ndim(k) == 0 else out


def orbit_bounds(k) -> tuple[np.ndarray, np.ndarray]:
    """The interval [g(f_max), f_max] that the orbit never leaves once inside, for 1 < k < 2.

    The map's largest value on [0, 1 + 1/k] is f_max = g((1 + k)/(3k)) = 4(1 + k)³/(27k); the orbit's lowest is
    g(f_max). It reaches 0 (g(1 + 1/k) = 0) exactly when f_max ≥ 1 + 1/k, i.e. k ≥ 3√3/2 − 1 ≈ 1.598
    (:data:`K_TOUCHES_ZERO`): the paper's cap η ≤ 2m/(5‖u‖²) = 1.6η*.
    """
    k = np.asarray(k, dtype=float)
    f_max = 4.0 * (1.0 + k) ** 3 / (27.0 * k)
    f_min = np.maximum(oscillation_map(f_max, k), 0.0)
    f_min = np.where(f_max >= 1.0 + 1.0 / k, 0.0, f_min)
    return f_min, f_max


def weak_growth_per_step(k, dm: DataModel = DATA_MODEL, steps: int = 20_000) -> np.ndarray:
    """The 1-D prediction of d ln⟨w, y·v⟩ / d(SGD step) once the weak training points are fitted.

    On a strong point of its class, a neuron's ⟨w, y·v⟩ is multiplied by 1 − k(‖v‖/‖u‖)²(f − 1); those are
    (n_strong/2)/n of the steps. Averaged over the orbit, the rate is (n_strong/2n)·E ln(1 − k(‖v‖/‖u‖)²(f − 1)),
    which is positive exactly when the time average of f is below 1.
    """
    ks = np.atleast_1d(np.asarray(k, dtype=float))
    kv = ks * (dm.v_norm / dm.u_norm) ** 2
    orbit = map_orbit(ks, steps=steps)
    rate = np.log(np.abs(1.0 - kv[:, None] * (orbit - 1.0))).mean(axis=1) * (dm.n_strong / 2) / dm.n
    return rate[0] if np.ndim(k) == 0 else rate


def map_summary(ks, steps: int = 20_000) -> pd.DataFrame:
    """Per k: time average of f, mean |f − 1|, orbit min/max, the fraction of steps with |f − 1| ≥ 0.2, and
    the predicted growth rate of the weak feature."""
    ks = np.asarray(ks, dtype=float)
    orbit = map_orbit(ks, steps=steps)
    low, high = orbit_bounds(ks)
    return pd.DataFrame(
        {
            "k = η/η*": ks,
            "time-average f": orbit.mean(1),
            "mean |f − 1|": np.abs(orbit - 1).mean(1),
            "orbit min": orbit.min(1),
            "orbit max": orbit.max(1),
            "bound min": np.where(ks > 1, low, 1.0),
            "oscillating steps": (np.abs(orbit - 1) >= OSCILLATION_DELTA).mean(1),
            "weak growth / step": weak_growth_per_step(ks, steps=steps),
        }
    )
