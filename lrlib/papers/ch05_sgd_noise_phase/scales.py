"""Chapter 5's two scales, side by side: the perceptron sweep, the (α, T) phase grid and the lazy-regime sweep.

Units: dt (the step size) and T = dt/(B·h) (the temperature) are per SGD step; α (the initialization scale) and χ
(the depletion exponent) are dimensionless; P, pool, d and widths count points, inputs and units. The field names
of :class:`PhaseGrid` and :class:`LazySweep` are the store keys of their entries (:mod:`.experiments`): renaming
one orphans the stored results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

VERSION = 1  # of every configuration this chapter stores
LAZY_CHECK_OFFSET = 100  # seeds 100..104: an independent repeat of the paper-scale lazy sweep
MIN_TEST = 2048  # points: paper scale keeps at least this many test points when choosing the largest P offline
PAPER_TEST = 32768  # points: the authors' test-set size (pte)
NOISE_DOMINATED = 64  # Tα: perceptron runs at or above it are in the noise-dominated regime (spec §6, S1–S3)
LAZY_SMALL_CHANGE = 0.1  # fit T^δ P^γ on lazy-sweep points whose relative weight change is below this
TC_RELATIVE = 0.2  # T_c(P): test error departs from its small-T plateau by more than 20 % (see analysis.tc_rule)


@dataclass(frozen=True)
class Perceptron:
    """The perceptron sweep: every (χ, d, P) group is one stored entry, running every dt × seed."""

    chis: tuple[float, ...]  # depletion exponents χ
    ds: tuple[int, ...]  # input dimensions d
    Ps: tuple[int, ...]  # training-set sizes (points)
    dts: tuple[float, ...]  # step sizes; T = dt/B
    seeds: int  # seeds per point
    alpha: float  # initialization scale (margin κ = 1/α)
    batch_size: int  # B, points per step
    max_updates: int  # cap on effective (non-idle) updates per run
    chi0_max_P: int | None = None  # χ = 0 only up to this P (None: at every P) ...
    chi0_ds: tuple[int, ...] = ()  # ... and only at these d

    def groups(self) -> list[tuple[float, int, int]]:
        """The (χ, d, P) groups, each one stored entry."""
        return [
            (float(chi), int(d), int(P))
            for chi in self.chis
            for d in self.ds
            for P in self.Ps
            if not (chi == 0 and self.chi0_max_P is not None and (P > self.chi0_max_P or d not in self.chi0_ds))
        ]


@dataclass(frozen=True)
class PhaseGrid:
    """Test error over (α, T) at fixed P: one stored entry per block of T rows and seed."""

    dataset: str  # 'digits' or 'mnist' (parity task)
    P: int  # training points per seed
    pool: int  # points the seeds' training sets are drawn from (the rest is the test set)
    depth: int  # hidden layers L
    width: int  # units per hidden layer h
    activation: str
    batch_size: int  # B, points per step
    alphas: tuple[float, ...]  # initialization scales α
    temps: tuple[float, ...]  # temperatures T = dt/(B·h), per step
    seeds: int  # seeds per cell
    max_steps: int  # step cap: a run that has not fitted by then is 'unfitted'
    check_every: int  # steps between checks that every training point is fitted
    dtype: str
    temps_per_entry: int  # T rows per stored entry (not in the store key)

    @property
    def runs_per_row(self) -> int:
        return len(self.alphas) * self.seeds


@dataclass(frozen=True)
class LazySweep:
    """The lazy regime (one large α) against T, one curve per P: one stored entry per (P, seed)."""

    dataset: str  # 'digits' or 'mnist' (parity task)
    Ps: tuple[int, ...]  # training-set sizes (points); at paper scale only those the data allows (not in the key)
    depth: int  # hidden layers L
    width: int  # units per hidden layer h
    activation: str
    batch_size: int  # B, points per step
    alpha: float  # initialization scale α
    temps: tuple[float, ...]  # temperatures T = dt/(B·h), per step
    seeds: int  # seeds per P
    max_steps: int  # step cap
    check_every: int  # steps between fit checks
    dtype: str


@dataclass(frozen=True)
class Scale:
    perceptron: Perceptron
    phase: PhaseGrid
    lazy: LazySweep


SCALES = {
    "smoke": Scale(
        perceptron=Perceptron(
            chis=(1.0, 3.0),
            ds=(16,),
            Ps=(256, 512, 1024, 2048),
            dts=tuple(2.0**k for k in (-12, -8, -4, 0)),  # T = dt/2: Tα = 4 … 16384
            seeds=5,  # the authors' 5 seeds
            alpha=2.0**15,
            batch_size=2,
            max_updates=10**5,
        ),
        phase=PhaseGrid(
            dataset="digits",
            P=512,
            pool=512,
            depth=3,
            width=64,
            activation="relu",
            batch_size=16,
            alphas=tuple(2.0**k for k in range(-7, 6, 2)),  # 7 values
            temps=tuple(2.0**k for k in range(-10, -2)),  # 8 values
            seeds=2,
            max_steps=4000,
            check_every=25,
            dtype="float32",
            temps_per_entry=8,
        ),
        lazy=LazySweep(
            dataset="digits",
            Ps=(256, 512, 1024),
            depth=3,
            width=64,
            activation="relu",
            batch_size=16,
            alpha=2.0**15,
            temps=tuple(2.0**k for k in range(-12, -2)),  # 10 values
            seeds=2,
            max_steps=20_000,
            check_every=25,
            dtype="float32",
        ),
    ),
    "paper": Scale(
        # the authors' grid (README); χ = 0 only at d = 16 and P ≤ 2048: its small-T runs need ~10^5–10^6
        # effective updates (P = 2048: ~7 CPU-minutes), growing about ×5 per doubling of P
        perceptron=Perceptron(
            chis=(0.0, 1.0, 3.0),
            ds=(16, 32, 64, 128),
            Ps=(1024, 2048, 4096, 8192, 16384),
            dts=tuple(2.0**k for k in range(-15, 3)),  # 18 values, Tα = 0.5 … 65536
            seeds=5,
            alpha=2.0**15,
            batch_size=2,
            max_updates=10**6,
            chi0_max_P=2048,
            chi0_ds=(16,),
        ),
        # the authors' MNIST diagram: GELU, L = 5, h = 128, α 2^-14…2^11, dt 2^-15…2^15 (T = dt/2048); 4 seeds, not 9
        phase=PhaseGrid(
            dataset="mnist",
            P=1024,
            pool=2048,
            depth=5,
            width=128,
            activation="gelu",
            batch_size=16,
            alphas=tuple(2.0**k for k in range(-14, 12)),  # 26 values
            temps=tuple(2.0**k / (16 * 128) for k in range(-15, 16)),  # 31 values of dt
            seeds=4,
            max_steps=100_000,
            check_every=100,
            dtype="float32",
            # one T row (26 runs) per entry, so a CPU can build the grid over several sittings: a capped row
            # costs ~15 CPU-minutes, and an interruption loses one row
            temps_per_entry=1,
        ),
        # the authors' MNIST FC sweep: ReLU, L = 5, h = 128, T 2^-13…2^2; P up to what the data allows
        lazy=LazySweep(
            dataset="mnist",
            Ps=(1024, 2048, 4096, 8192, 16384),
            depth=5,
            width=128,
            activation="relu",
            batch_size=16,
            alpha=2.0**15,
            temps=tuple(2.0**k for k in range(-13, 3)),  # 16 values
            seeds=5,
            max_steps=200_000,
            check_every=100,
            dtype="float32",
        ),
    ),
}


def check_scale(scale: str) -> Scale:
    if scale not in SCALES:
        raise ValueError(f"scale must be 'smoke' or 'paper', got {scale!r}")
    return SCALES[scale]


def pow2(values, count: bool = True) -> str:
    """``2^a…2^b (n)`` for a sorted list of powers of two (``2^a`` for one value)."""
    ks = [math.log2(v) for v in values]
    fmt = lambda k: f"{k:g}" if abs(k - round(k)) < 1e-9 else f"{k:.2f}"  # noqa: E731
    if len(ks) == 1:
        return f"2^{fmt(ks[0])}"
    return f"2^{fmt(ks[0])}…2^{fmt(ks[-1])}" + (f" ({len(ks)})" if count else "")


def overview() -> pd.DataFrame:
    """Both scales of every experiment, side by side (what shrinks at smoke)."""
    rows = []
    for name, s in SCALES.items():
        p, ph, lz = s.perceptron, s.phase, s.lazy
        rows.append(
            {
                "scale": name,
                "experiment": "perceptron",
                "grid": f"χ {list(p.chis)}, d {list(p.ds)}, P {list(p.Ps)}, dt {pow2(p.dts)}"
                + (f"; χ = 0 only d = 16, P ≤ {p.chi0_max_P}" if p.chi0_max_P is not None else ""),
                "seeds": p.seeds,
                "runs": len(p.groups()) * len(p.dts) * p.seeds,
                "model / data": "α = 2^15, B = 2, event-driven SGD; population test error",
            }
        )
        rows.append(
            {
                "scale": name,
                "experiment": "(α, T) phase diagram",
                "grid": f"α {pow2(ph.alphas)}, T {pow2(ph.temps)}, P = {ph.P}",
                "seeds": ph.seeds,
                "runs": len(ph.alphas) * len(ph.temps) * ph.seeds,
                "model / data": f"{ph.dataset} parity; MLP L = {ph.depth}, h = {ph.width}, "
                f"{ph.activation}; B = {ph.batch_size}; ≤ {ph.max_steps:,} steps",
            }
        )
        rows.append(
            {
                "scale": name,
                "experiment": "lazy T sweep",
                "grid": f"α = 2^{math.log2(lz.alpha):g}, T {pow2(lz.temps)}, P {list(lz.Ps)}"
                + (" (those the data allows)" if name == "paper" else ""),
                "seeds": lz.seeds,
                "runs": len(lz.Ps) * len(lz.temps) * lz.seeds,
                "model / data": f"{lz.dataset} parity; MLP L = {lz.depth}, h = {lz.width}, "
                f"{lz.activation}; B = {lz.batch_size}; ≤ {lz.max_steps:,} steps",
            }
        )
    return pd.DataFrame(rows).set_index(["scale", "experiment"])
