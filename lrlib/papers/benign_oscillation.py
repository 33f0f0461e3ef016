"""Chapter 1: benign oscillation of SGD with large learning rates (Lu, Wu, Yang, Zou, ICLR 2024).

A large learning rate makes SGD oscillate on the points that carry a *strong* feature u; the oscillation keeps
pushing a *weak* feature v, present in every point, until the network has learned it. A small learning rate fits
the strong points smoothly, fits the few points without u by memorising their noise, and never learns v; so it
fails on test points that carry v alone.

What is the paper's and what is ours (the paper body was not available; see the chapter-1 spec):

- paper: a feature-noise data model with a strong feature in a fraction of the points, a weak feature in all of
  them and noise; a two-layer ReLU² "CNN" with a fixed second layer; single-sample SGD; the large-LR window
  η ∈ [m/(4‖u‖²), 2m/(5‖u‖²)]; the sizes d = 64, n = 16, m = 8, 5 seeds; a 32-point test set with 4 weak points.
- reconstructed: three orthogonal patches [y·u or 0, y·v, ξ] with ‖u‖ = 1, ‖v‖ = 0.1, ξ ~ N(0, σ_p² I) on the
  coordinates orthogonal to u and v, E‖ξ‖² = 4‖v‖²; 14 strong + 2 weak training points with balanced labels;
  the fixed readout ±1/m; the squared margin loss (y·f − 1)² (no ½, so η* = m/(4‖u‖²)); σ0 = 0.01; the
  learning rates 0.5η* and 1.25η*; 20 000 steps; a weak-only test set of 1000 points.

Contents: the data model (:func:`make_data`), the one-dimensional map behind the mechanism
(:func:`oscillation_map`, :func:`map_summary`), the experiments (:func:`run_main`, :func:`run_lr_sweep`,
:func:`run_noise_window`, trained by the ensemble engine :func:`lrlib.train.train`), their analysis and the
claims. Both scales are defined side by side in :data:`SCALES`. The figures are in
:mod:`lrlib.papers.benign_oscillation_figures`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import torch

from .. import profile
from ..store import Entry, Store, default_store

VERSION = 1
EXPERIMENTS = ("ch1-main", "ch1-lr-sweep", "ch1-noise-window")
#: an SGD step "oscillates" when |y·f − 1| ≥ this on the sampled point (the spec's δ = 0.2)
OSCILLATION_DELTA = 0.2
#: the 1-D map's orbit reaches f = 0 (and ReLU neurons die) from k = 3√3/2 − 1 ≈ 1.598 on: see :func:`orbit_bounds`
K_TOUCHES_ZERO = 1.5 * math.sqrt(3.0) - 1.0
#: the paper's reported test accuracy on its 32-point test set (4 weak points), mean of 5 seeds [recalled]
PAPER_ACCURACY = {"large": 0.9938, "small": 0.9375}


# ============================================================================================ the two scales
@dataclass(frozen=True)
class DataModel:
    """The reconstructed data model (paper symbols in brackets); the sizes are the paper's."""

    d: int = 64  # [d] dimension of one patch
    n_strong: int = 14  # training points that carry y·u (balanced labels, 7 per class)
    n_weak: int = 2  # training points without u (one per class)
    u_norm: float = 1.0  # [‖u‖] the strong feature's norm
    v_norm: float = 0.1  # [‖v‖] the weak feature's norm (the paper assumes ‖v‖ ≤ 0.1‖u‖)
    noise_to_weak: float = 4.0  # E‖ξ‖²/‖v‖² = (d − 2)σ_p²/‖v‖², the noise energy against the weak feature's
    n_weak_test: int = 1000  # weak-only test points (x⁽¹⁾ = 0), balanced labels
    n_mixed_strong: int = 28  # the paper-style test set: 28 strong ...
    n_mixed_weak: int = 4  # ... and 4 weak points

    def __post_init__(self):
        for name in ("d", "n_strong", "n_weak", "n_weak_test", "n_mixed_strong", "n_mixed_weak"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (3 if name == "d" else 0):
                raise ValueError(f"{name} must be an integer >= {3 if name == 'd' else 0}, got {value!r}")
        for name in ("u_norm", "v_norm", "noise_to_weak"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    @property
    def n(self) -> int:
        """[n] training points."""
        return self.n_strong + self.n_weak

    @property
    def sigma_p(self) -> float:
        """[σ_p] the noise's standard deviation per coordinate, from ``noise_to_weak``."""
        return self.v_norm * math.sqrt(self.noise_to_weak / (self.d - 2))


@dataclass(frozen=True)
class Network:
    """The ReLU² patch network with a fixed ±1/m readout (the engine's :class:`lrlib.models.PatchReLU2`)."""

    m: int = 8  # [m] neurons per class
    sigma0: float = 0.01  # [σ0] initial weights N(0, σ0² I) [reconstructed]


@dataclass(frozen=True)
class Scale:
    """What one scale runs. Learning rates are in units of η* = m/(4‖u‖²)."""

    seeds: int  # seeds of the main comparison (each: own data, init, SGD order)
    steps: int  # SGD steps (batch 1) of the main comparison
    checkpoint_every: int  # steps between measurements
    small_lr: float  # η/η* of the small learning rate
    large_lr: float  # η/η* of the large learning rate
    window: tuple[int, int]  # steps whose every iterate is measured (the dynamics figure)
    sweep_lrs: tuple[float, ...]  # η/η* of the learning-rate sweep
    sweep_seeds: int
    sweep_steps: int
    noise_ratios: tuple[float, ...]  # E‖ξ‖²/‖v‖² of the noise-window sweep (both learning rates)
    noise_seeds: int
    noise_steps: int


SCALES = {
    # smoke: the spec's smoke run for the claims, plus coarse sweeps so that every figure has data
    "smoke": Scale(
        seeds=5,
        steps=20_000,
        checkpoint_every=250,
        small_lr=0.5,
        large_lr=1.25,
        window=(2000, 2120),
        sweep_lrs=(0.1, 0.5, 0.9, 1.1, 1.25, 1.5, 1.7),
        sweep_seeds=2,
        sweep_steps=20_000,
        noise_ratios=(1.0, 4.0, 16.0),
        noise_seeds=2,
        noise_steps=20_000,
    ),
    # paper: the paper's sizes and 5 seeds; the full sweeps (longer, so that 1.05–1.15 η* has time to learn v)
    "paper": Scale(
        seeds=5,
        steps=20_000,
        checkpoint_every=100,
        small_lr=0.5,
        large_lr=1.25,
        window=(2000, 2200),
        sweep_lrs=(0.1, 0.3, 0.5, 0.7, 0.9, 1.0, 1.05, 1.1, 1.15, 1.25, 1.35, 1.5, 1.6, 1.7),
        sweep_seeds=5,
        sweep_steps=50_000,
        noise_ratios=(0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
        noise_seeds=5,
        noise_steps=20_000,
    ),
}
DATA_MODEL = DataModel()
NETWORK = Network()


def scales_table() -> pd.DataFrame:
    """Both scales side by side (one column each), for the chapter's first table."""

    def shown(v):
        return "(" + ", ".join(f"{x:g}" for x in v) + ")" if isinstance(v, tuple) else v

    return pd.DataFrame({name: {k: shown(v) for k, v in asdict(s).items()} for name, s in SCALES.items()})


# ============================================================================================= data model
@dataclass
class PatchData:
    """Points x = [x⁽¹⁾, x⁽²⁾, x⁽³⁾] (``x`` [N, 3, d]) with labels ``y`` [N] (±1) and ``strong`` [N] (bool)."""

    x: torch.Tensor
    y: torch.Tensor
    strong: torch.Tensor

    @property
    def noise(self) -> torch.Tensor:
        """ξ_i, the third patch of every point: [N, d]."""
        return self.x[:, 2]

    def to(self, device) -> PatchData:
        return PatchData(self.x.to(device), self.y.to(device), self.strong.to(device))

    def __len__(self) -> int:
        return int(self.y.shape[0])


def features(dm: DataModel = DATA_MODEL, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """The strong feature u = ‖u‖e₁ and the weak feature v = ‖v‖e₂, each [d]."""
    u = torch.zeros(dm.d, dtype=dtype)
    v = torch.zeros(dm.d, dtype=dtype)
    u[0], v[1] = dm.u_norm, dm.v_norm
    return u, v


def _balanced_labels(n: int, dtype: torch.dtype) -> torch.Tensor:
    """+1, −1, +1, ... (n//2 of each class, one more +1 if n is odd)."""
    return torch.where(torch.arange(n) % 2 == 0, 1.0, -1.0).to(dtype)


def sample_points(
    dm: DataModel, n_strong: int, n_weak: int, generator: torch.Generator, dtype: torch.dtype = torch.float64
) -> PatchData:
    """``n_strong`` strong and ``n_weak`` weak points, each group with balanced labels.

    x⁽¹⁾ = y·u (strong) or 0 (weak); x⁽²⁾ = y·v (all); x⁽³⁾ = ξ with ξ ~ N(0, σ_p² I) on the d − 2 coordinates
    orthogonal to u and v. [reconstructed: the layout, the norms and the orthogonal noise]
    """
    if n_strong < 0 or n_weak < 0 or n_strong + n_weak == 0:
        raise ValueError(f"need at least one point, got n_strong={n_strong}, n_weak={n_weak}")
    u, v = features(dm, dtype)
    y = torch.cat([_balanced_labels(n_strong, dtype), _balanced_labels(n_weak, dtype)])
    strong = torch.arange(n_strong + n_weak) < n_strong
    x = torch.zeros(n_strong + n_weak, 3, dm.d, dtype=dtype)
    x[:, 0] = (y * strong.to(dtype)).unsqueeze(1) * u
    x[:, 1] = y.unsqueeze(1) * v
    x[:, 2, 2:] = dm.sigma_p * torch.randn(n_strong + n_weak, dm.d - 2, generator=generator, dtype=torch.float64).to(
        dtype
    )
    return PatchData(x, y, strong)


def make_data(seed: int, dm: DataModel = DATA_MODEL, dtype: torch.dtype = torch.float64) -> dict[str, PatchData]:
    """One seed's data: ``train`` (n points), ``weak_test`` (weak-only) and ``mixed_test`` (the paper-style set).

    Everything is drawn from one CPU generator seeded with ``seed``, so a seed gives the same data everywhere.
    """
    g = torch.Generator().manual_seed(int(seed))
    return {
        "train": sample_points(dm, dm.n_strong, dm.n_weak, g, dtype),
        "weak_test": sample_points(dm, 0, dm.n_weak_test, g, dtype),
        "mixed_test": sample_points(dm, dm.n_mixed_strong, dm.n_mixed_weak, g, dtype),
    }


def data_seed(seed_id: int) -> int:
    """The data seed of seed number ``seed_id`` (shifted by ``LRLIB_SEED``), apart from the member's own seed."""
    return profile.seed(10_000 + int(seed_id))


def member_seed(seed_id: int) -> int:
    """The engine seed (initialisation and SGD order) of seed number ``seed_id`` (shifted by ``LRLIB_SEED``)."""
    return profile.seed(int(seed_id))


# ================================================================================== the network, in numpy-light
def network_output(w: torch.Tensor, x: torch.Tensor, m: int | None = None) -> torch.Tensor:
    """f(W, x) = (1/m) Σ_r Σ_p [relu(⟨w₊₁,r, x⁽ᵖ⁾⟩)² − relu(⟨w₋₁,r, x⁽ᵖ⁾⟩)²] for w [K, 2, m, d], x [N, P, d]: [K, N].

    The same function as the engine's :class:`lrlib.models.PatchReLU2`, written out for reading and testing.
    """
    m = m or w.shape[2]
    z = torch.einsum("kjrd,npd->kjrnp", w, x)  # ⟨w_{j,r}, x_n⁽ᵖ⁾⟩
    F = torch.relu(z).square().sum(dim=(2, 4)) / m  # [K, 2, N]
    return F[:, 0] - F[:, 1]


def reference_sgd(w0: torch.Tensor, data: PatchData, lr: float, indices: torch.Tensor) -> torch.Tensor:
    """Plain SGD on one network, written out: the algorithm the chapter trains (with the engine), for checking.

    w0 [2, m, d]; ``indices`` [S] the point sampled at each step. Loss (y·f − 1)²; batch size 1; returns w [2, m, d].
    """
    w = w0.clone()
    m = w.shape[1]
    s = torch.tensor([1.0, -1.0], dtype=w.dtype).view(2, 1, 1)  # the fixed readout's signs s_j (times 1/m)
    for i in indices.tolist():
        x, y = data.x[i], data.y[i]  # [3, d], ±1
        z = torch.einsum("jrd,pd->jrp", w, x)
        f = (s.view(2, 1) * torch.relu(z).square().sum(-1)).sum() / m
        dloss_df = 2 * (y * f - 1) * y
        grad = dloss_df * s * (2 / m) * torch.einsum("jrp,pd->jrd", torch.relu(z), x)
        w = w - lr * grad
    return w


# ============================================================================ theory: the one-dimensional map
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


# ============================================================================================ the experiments
def _config(experiment: str, scale: str, **extra) -> dict:
    return {
        "experiment": experiment,
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        "data_model": asdict(DATA_MODEL),
        "network": asdict(NETWORK),
        **extra,
    }


def main_config(scale: str) -> dict:
    s = SCALES[scale]
    return _config(
        "ch1-main",
        scale,
        seeds=s.seeds,
        steps=s.steps,
        checkpoint_every=s.checkpoint_every,
        lr_ratios=[s.small_lr, s.large_lr],
        window=list(s.window),
    )


def lr_sweep_config(scale: str) -> dict:
    s = SCALES[scale]
    return _config("ch1-lr-sweep", scale, seeds=s.sweep_seeds, steps=s.sweep_steps, lr_ratios=list(s.sweep_lrs))


def noise_window_config(scale: str) -> dict:
    s = SCALES[scale]
    return _config(
        "ch1-noise-window",
        scale,
        seeds=s.noise_seeds,
        steps=s.noise_steps,
        lr_ratios=[s.small_lr, s.large_lr],
        noise_ratios=list(s.noise_ratios),
    )


def paper_results_stored() -> bool:
    """True iff all three paper-scale results ship with the book."""
    store = default_store("paper")
    return all(store.has(c("paper")) for c in (main_config, lr_sweep_config, noise_window_config))


# ------------------------------------------------------------------------------------------- measurements
def _measurements(sets: dict, dm: DataModel) -> dict:
    """The chapter's per-checkpoint measurements, as engine ``measure`` functions (one number per member).

    ``sets`` maps a member's ``data`` key to its :func:`make_data` dict (on the training device).
    Columns: ``overlap.u_pos`` = max_r ⟨w₊₁,r, u⟩, ``overlap.u_neg`` = max_r ⟨w₋₁,r, −u⟩, ``overlap.v_pos``,
    ``overlap.v_neg`` likewise, ``overlap.noise_max`` = max_{j,r,i} |⟨w_j,r, ξ_i⟩| (training noise),
    ``accuracy.weak_test``/``mixed_test``/``mixed_strong``/``mixed_weak`` (a non-finite output counts as wrong),
    ``yf.strong_min``/``strong_mean``/``strong_max``/``weak_min`` (y·f on training points) and ``yf.<i>`` (y·f
    on training point i).
    """

    def per_key(params, ctx, compute):
        keys = ctx.members["data"].to_numpy()
        out: dict[str, np.ndarray] = {}
        for key in pd.unique(keys):
            sel = np.flatnonzero(keys == key)
            idx = torch.as_tensor(sel, device=params["w"].device)
            part = compute({n: p[idx] for n, p in params.items()}, sets[key], ctx, idx)
            for name, value in part.items():
                out.setdefault(name, np.full(len(keys), np.nan))[sel] = value.detach().cpu().double().numpy()
        return out

    def features_learned(params, data, ctx, idx):
        w = params["w"]  # [k, 2, m, d]
        u, v = (t.to(w) for t in features(dm))
        return {
            "u_pos": (w[:, 0] @ u).amax(-1),
            "u_neg": (w[:, 1] @ -u).amax(-1),
            "v_pos": (w[:, 0] @ v).amax(-1),
            "v_neg": (w[:, 1] @ -v).amax(-1),
            "noise_max": torch.einsum("kjrd,nd->kjrn", w, data["train"].noise).abs().flatten(1).amax(1),
        }

    def accuracy(params, data, ctx, idx):
        out = {}
        for name, points in (("weak_test", data["weak_test"]), ("mixed_test", data["mixed_test"])):
            correct = (points.y * ctx.model.forward(params, points.x)) > 0  # NaN > 0 is False
            out[name] = correct.double().mean(1)
            if name == "mixed_test":
                out["mixed_strong"] = correct[:, points.strong].double().mean(1)
                out["mixed_weak"] = correct[:, ~points.strong].double().mean(1)
        return out

    def margins(params, data, ctx, idx):
        train = data["train"]
        yf = ctx.train_output[idx] * train.y  # [k, n]
        out = {
            "strong_min": yf[:, train.strong].amin(1),
            "strong_mean": yf[:, train.strong].mean(1),
            "strong_max": yf[:, train.strong].amax(1),
            "weak_min": yf[:, ~train.strong].amin(1),
        }
        out.update({str(i): yf[:, i] for i in range(len(train))})
        return out

    def column(compute):
        def fn(params, ctx):
            return per_key(params, ctx, compute)

        return fn

    return {"overlap": column(features_learned), "accuracy": column(accuracy), "yf": column(margins)}


def sampled_points(seeds, steps: int, n: int) -> np.ndarray:
    """Which training point each member's SGD step used: [K, steps] (batch size 1, the engine's default sampling).

    The engine draws a member's minibatches from a counter-based stream of its own seed
    (:func:`lrlib.train.rng.batch_indices`), so the indices can be recomputed exactly after training.
    """
    from ..train import rng

    out = np.empty((len(seeds), steps), dtype=np.int64)
    for k, s in enumerate(seeds):
        idx = rng.batch_indices(torch.tensor([int(s)]), torch.arange(steps), n, 1, "step")
        out[k] = idx[0, :, 0].numpy()
    return out


def oscillation_fraction(batch_loss: np.ndarray, strong_step: np.ndarray, upto: int | None = None) -> np.ndarray:
    """The fraction of SGD steps on strong points with |y·f − 1| ≥ δ = 0.2, among steps < ``upto`` (per member).

    With batch size 1 the batch loss is (y·f − 1)² of the sampled point, so |y·f − 1| = √loss. Steps after a
    member diverged (NaN loss) are left out.
    """
    upto = batch_loss.shape[1] if upto is None else upto
    loss, strong = batch_loss[:, :upto], strong_step[:, :upto]
    counted = strong & np.isfinite(loss)
    hits = counted & (np.sqrt(np.where(counted, loss, 0.0)) >= OSCILLATION_DELTA)
    with np.errstate(invalid="ignore"):
        return hits.sum(1) / counted.sum(1)


# ---------------------------------------------------------------------------------------------- training
def train_members(
    lr_ratios,
    seed_ids,
    steps: int,
    checkpoints,
    *,
    noise_ratios=(None,),
    dm: DataModel = DATA_MODEL,
    net: Network = NETWORK,
    device=None,
    desc: str = "ch1",
):
    """Every η/η* × noise ratio × seed as members of the ensemble engine (ReLU² patch net, loss (y·f − 1)²,
    SGD with batch 1, float64). Returns ``(result, extra, sampled)``: the engine's :class:`~lrlib.train.Result`
    (with every step's batch loss), a per-member table with the oscillation fraction of the first half, and the
    training point each member sampled at each step ([members, steps])."""
    from ..models import PatchReLU2
    from ..train import Data, train

    dev = torch.device(device) if device is not None else profile.device()
    rows, datasets, sets = [], {}, {}
    for nr in noise_ratios:
        model_data = dm if nr is None else replace(dm, noise_to_weak=float(nr))
        for s in seed_ids:
            key = f"noise{model_data.noise_to_weak:g}-seed{s}"
            points = make_data(data_seed(s), model_data)
            datasets[key] = Data(points["train"].x, points["train"].y)
            sets[key] = {name: p.to(dev) for name, p in points.items()}
            for r in lr_ratios:
                rows.append(
                    {
                        "lr": float(r) * eta_star(net.m, dm.u_norm),
                        "seed": member_seed(s),
                        "batch_size": 1,
                        "data": key,
                        "lr_ratio": float(r),
                        "seed_id": int(s),
                        "noise_to_weak": model_data.noise_to_weak,
                    }
                )
    model = PatchReLU2(dim=dm.d, width=net.m, patches=3, sigma0=net.sigma0)
    result = train(
        model,
        datasets,
        pd.DataFrame(rows),
        loss="squared_margin",
        steps=steps,
        checkpoints=checkpoints,
        measure=_measurements(sets, dm),
        dtype=torch.float64,
        device=dev,
        record_batch_loss=True,
        progress=profile.progress_enabled(),
        desc=desc,
    )
    members = result.members
    sampled = sampled_points(members["seed"].to_numpy(), steps, dm.n)
    strong = np.stack([sets[key]["train"].strong.cpu().numpy()[sampled[k]] for k, key in enumerate(members["data"])])
    extra = members[["lr_ratio", "seed_id", "noise_to_weak", "lr", "seed", "data"]].reset_index()
    extra["oscillation_fraction"] = oscillation_fraction(result.batch_loss, strong, upto=steps // 2)
    return result, extra, sampled


def _store_run(store: Store | None, scale: str, config: dict, compute, device) -> Entry:
    """The stored entry of ``config``, or ``compute(device)`` timed and stored with its provenance."""
    store = store or default_store(scale)
    dev = torch.device(device) if device is not None else profile.device()

    def timed():
        t0 = time.perf_counter()
        out = compute(dev)
        out["provenance"] = profile.provenance(time.perf_counter() - t0, dev, scale=scale)
        return out

    return store.cached(config, timed)


def run_main(scale: str, store: Store | None = None, device=None) -> Entry:
    """Small vs large learning rate, ``seeds`` seeds: measurements every ``checkpoint_every`` steps and at every
    step of the window; arrays: every step's loss and sampled point, the oscillation fraction per member."""
    s = SCALES[scale]

    def compute(dev):
        ckpts = set(range(0, s.steps + 1, s.checkpoint_every)) | set(range(*s.window))
        result, extra, sampled = train_members(
            [s.small_lr, s.large_lr], range(s.seeds), s.steps, sorted(ckpts), device=dev, desc="ch1 main"
        )
        return {
            "table": result.table,
            "arrays": {
                "batch_loss": result.batch_loss.astype(np.float32),
                "sampled_point": sampled.astype(np.int8),
                **{
                    f"member.{c}": extra[c].to_numpy()
                    for c in ("member", "lr_ratio", "seed_id", "oscillation_fraction")
                },
            },
        }

    return _store_run(store, scale, main_config(scale), compute, device)


def run_lr_sweep(scale: str, store: Store | None = None, device=None) -> Entry:
    """Final (and every tenth of training) measurements over the learning-rate sweep."""
    s = SCALES[scale]

    def compute(dev):
        result, extra, _ = train_members(
            s.sweep_lrs,
            range(s.sweep_seeds),
            s.sweep_steps,
            max(1, s.sweep_steps // 10),
            device=dev,
            desc="ch1 lr sweep",
        )
        return {
            "table": result.table,
            "arrays": {
                f"member.{c}": extra[c].to_numpy() for c in ("member", "lr_ratio", "seed_id", "oscillation_fraction")
            },
        }

    return _store_run(store, scale, lr_sweep_config(scale), compute, device)


def run_noise_window(scale: str, store: Store | None = None, device=None) -> Entry:
    """Both learning rates over the noise energy E‖ξ‖²/‖v‖²."""
    s = SCALES[scale]

    def compute(dev):
        result, extra, _ = train_members(
            [s.small_lr, s.large_lr],
            range(s.noise_seeds),
            s.noise_steps,
            max(1, s.noise_steps // 10),
            noise_ratios=s.noise_ratios,
            device=dev,
            desc="ch1 noise window",
        )
        return {
            "table": result.table,
            "arrays": {
                f"member.{c}": extra[c].to_numpy()
                for c in ("member", "lr_ratio", "seed_id", "noise_to_weak", "oscillation_fraction")
            },
        }

    return _store_run(store, scale, noise_window_config(scale), compute, device)


# ================================================================================================ analysis
LR_NAMES = {"small": "small LR", "large": "large LR"}


def _members(entry: Entry) -> pd.DataFrame:
    """The per-member arrays of a stored run as a table (member, lr_ratio, seed_id, ..., oscillation_fraction)."""
    return pd.DataFrame({c.split(".", 1)[1]: v for c, v in entry.arrays.items() if c.startswith("member.")})


def per_member(entry: Entry) -> pd.DataFrame:
    """One row per member: its final measurements, the oscillation fraction, how it stopped.

    ``u`` and ``v`` are min over the two classes of max_r ⟨w_j,r, j·u⟩ (resp. v): the feature as the worse
    class has learned it.
    """
    t = entry.table
    final = t[t["final"]].set_index("member")
    out = _members(entry).set_index("member")
    out["stop_reason"] = final["stop_reason"]
    out["train_loss"] = final["train_loss"]
    out["train_accuracy"] = final["train_accuracy"]
    for col in ("weak_test", "mixed_test", "mixed_strong", "mixed_weak"):
        out[col] = final[f"accuracy.{col}"]
    out["u"] = np.minimum(final["overlap.u_pos"], final["overlap.u_neg"])
    out["v"] = np.minimum(final["overlap.v_pos"], final["overlap.v_neg"])
    out["noise_max"] = final["overlap.noise_max"]
    diverged = out["stop_reason"] == "diverged"
    for col in ("weak_test", "mixed_test", "mixed_strong", "mixed_weak", "train_accuracy"):
        out.loc[diverged, col] = 0.0  # a diverged run predicts nothing (its outputs are not finite)
    return out.reset_index()


def curves(entry: Entry, lr_ratio: float, column: str, *, steps_every: int | None = None):
    """Steps and a [seeds, checkpoints] array of ``column`` for one learning rate (rows before the stop only).

    ``steps_every``: keep only steps that are multiples of it (leaves out the dense window)."""
    t = entry.table
    rows = t[np.isclose(t["lr_ratio"], lr_ratio) & ~t["final"]]
    if steps_every:
        rows = rows[rows["step"] % steps_every == 0]
    wide = rows.pivot_table(index="seed_id", columns="step", values=column, dropna=False)
    return wide.columns.to_numpy(), wide.to_numpy()


def min_over_classes(entry: Entry, name: str) -> Entry:
    """Add ``overlap.<name>`` = min(overlap.<name>_pos, overlap.<name>_neg) to the entry's table (in place)."""
    t = entry.table
    t[f"overlap.{name}"] = np.minimum(t[f"overlap.{name}_pos"], t[f"overlap.{name}_neg"])
    return entry


def sweep_summary(entry: Entry, by: tuple[str, ...] = ("lr_ratio",)) -> pd.DataFrame:
    """Per learning rate (and noise ratio): mean/min/max of the final weak-only accuracy over the seeds that did
    not diverge, how many diverged, and the mean oscillation fraction."""
    pm = per_member(entry)
    ok = pm[pm["stop_reason"] != "diverged"]
    g = ok.groupby(list(by))
    out = pd.DataFrame(
        {
            "weak_test_mean": g["weak_test"].mean(),
            "weak_test_min": g["weak_test"].min(),
            "weak_test_max": g["weak_test"].max(),
            "oscillation_mean": g["oscillation_fraction"].mean(),
            "v_mean": g["v"].mean(),
        }
    )
    counts = pm.groupby(list(by)).agg(
        seeds=("seed_id", "count"), diverged=("stop_reason", lambda r: int((r == "diverged").sum()))
    )
    return counts.join(out).reset_index()


def clean_separation(entry: Entry, small_lr: float, large_lr: float) -> list[float]:
    """The noise ratios of the noise-window sweep where the two learning rates separate cleanly: every seed of the
    large learning rate that did not diverge reaches weak-only accuracy 0.9 and the small learning rate's mean stays
    at most 0.75 (the thresholds of claims 1 and 2). For the noise-window figure and prose; not a claim."""
    summary = sweep_summary(entry, by=("noise_to_weak", "lr_ratio"))
    small = summary[np.isclose(summary["lr_ratio"], small_lr)].set_index("noise_to_weak")
    large = summary[np.isclose(summary["lr_ratio"], large_lr)].set_index("noise_to_weak")
    return [
        float(r)
        for r in small.index
        if r in large.index and large.at[r, "weak_test_min"] >= 0.9 and small.at[r, "weak_test_mean"] <= 0.75
    ]


def mixed_test_table(entry: Entry) -> pd.DataFrame:
    """The paper's table: accuracy on the 32-point test set (28 strong + 4 weak) per seed, the mean, and the
    paper's value."""
    pm = per_member(entry)
    s = SCALES[entry.config["scale"]]
    rows = {}
    for name, r in (("small", s.small_lr), ("large", s.large_lr)):
        sel = pm[np.isclose(pm["lr_ratio"], r)].sort_values("seed_id")
        row = {f"seed {i}": a for i, a in zip(sel["seed_id"], sel["mixed_test"])}
        row["mean"] = sel["mixed_test"].mean()
        row["on the 4 weak points (mean)"] = sel["mixed_weak"].mean()
        row["paper (mean of 5 seeds) [recalled]"] = PAPER_ACCURACY[name]
        rows[f"{LR_NAMES[name]} (η = {r:g} η*)"] = row
    return pd.DataFrame(rows).T


# ================================================================================================== claims
def _by_lr(pm: pd.DataFrame, ratio: float) -> pd.DataFrame:
    return pm[np.isclose(pm["lr_ratio"], ratio)]


def main_claims(claims, pm: pd.DataFrame, small_lr: float, large_lr: float):
    """The spec's claims 1–8 (section 7) on the per-member table of the main comparison (:func:`per_member`)."""
    small, large = _by_lr(pm, small_lr), _by_lr(pm, large_lr)
    n = f"{len(large)} seeds"
    claims.at_least(
        f"1. weak-only accuracy, large LR: mean of {n}", large["weak_test"].mean(), 0.95, paper="learns v (Thm 5)"
    )
    claims.at_least("1. weak-only accuracy, large LR: every seed", large["weak_test"].min(), 0.9)
    claims.at_most(
        f"2. weak-only accuracy, small LR: mean of {len(small)} seeds",
        small["weak_test"].mean(),
        0.75,
        paper="chance (Prop 6)",
    )
    claims.at_least(
        "3. gap in weak-only accuracy, large − small (means)",
        large["weak_test"].mean() - small["weak_test"].mean(),
        0.25,
    )
    claims.at_least(
        "4. 32-point test set (28 strong + 4 weak), large LR: mean",
        large["mixed_test"].mean(),
        0.97,
        paper="99.38% [recalled]",
    )
    claims.between(
        "4. 32-point test set (28 strong + 4 weak), small LR: mean",
        small["mixed_test"].mean(),
        0.90,
        0.98,
        paper="93.75% [recalled]",
    )
    for name, rows in (("small", small), ("large", large)):
        claims.at_least(
            f"5. {LR_NAMES[name]} fits the training set: training accuracy, worst seed",
            rows["train_accuracy"].min(),
            1.0,
        )
        claims.at_most(
            f"5. {LR_NAMES[name]} fits the training set: final training loss, mean", rows["train_loss"].mean(), 1e-2
        )
        claims.at_least(
            f"5. {LR_NAMES[name]} classifies strong test points: accuracy, mean", rows["mixed_strong"].mean(), 0.99
        )
    claims.at_least(
        "6. oscillation (|y·f − 1| ≥ 0.2 on strong steps, first half), large LR: worst seed",
        large["oscillation_fraction"].min(),
        0.3,
        paper="assumed (Assumption 4)",
    )
    claims.at_most("6. oscillation, small LR: largest over seeds", small["oscillation_fraction"].max(), 0.05)
    claims.at_least(
        "7. weak feature min_j max_r ⟨w, j·v⟩: large / small (means)",
        large["v"].mean() / small["v"].mean(),
        100.0,
        paper="Θ(1) vs Õ(σ0‖v‖)",
    )
    claims.at_least(
        "8. strong feature min_j max_r ⟨w, j·u⟩ learned by both: worst seed and LR",
        min(small["u"].min(), large["u"].min()),
        1.0,
    )
    return claims


def sweep_claims(claims, pm: pd.DataFrame):
    """The spec's learning-rate sweep claims (paper scale), on the sweep's per-member table."""
    ok = pm[pm["stop_reason"] != "diverged"]
    low = ok[ok["lr_ratio"] <= 0.9 + 1e-9].groupby("lr_ratio")["weak_test"].mean()
    claims.at_most("sweep: weak-only accuracy for every η ≤ 0.9η* (largest mean over seeds)", low.max(), 0.75)
    high = ok[ok["lr_ratio"].between(1.15 - 1e-9, 1.5 + 1e-9)].groupby("lr_ratio")["weak_test"].mean()
    diverged = pm[pm["lr_ratio"].between(1.15 - 1e-9, 1.5 + 1e-9) & (pm["stop_reason"] == "diverged")]
    claims.at_least(
        f"sweep: weak-only accuracy for every η in [1.15, 1.5]η* (smallest mean over seeds that did not "
        f"diverge; {len(diverged)} diverged)",
        high.min(),
        0.95,
        paper="window η ∈ [1, 1.6]η* [recalled]",
    )
    beyond = pm[pm["lr_ratio"] >= 1.7 - 1e-9]
    if len(beyond):
        share = float((beyond["stop_reason"] == "diverged").mean())
        claims.holds(
            "sweep: every run at η ≥ 1.7η* diverges (the 1-D orbit passes y·f = 1 + 1/k from k ≈ 1.598)",
            share == 1.0,
            measured=f"{share:.0%} of {len(beyond)} diverged",
            test="all diverge",
            paper="η ≤ 2m/(5‖u‖²) = 1.6η*",
        )
    return claims


def noise_claims(claims, pm: pd.DataFrame, small_lr: float, large_lr: float, setting: float):
    """Beyond the paper: the noise window (the spec's prototype observations)."""
    mean = pm.groupby(["noise_to_weak", "lr_ratio"])["weak_test"].mean()
    ratios = sorted(pm["noise_to_weak"].unique())
    gap = {r: mean[(r, large_lr)] - mean[(r, small_lr)] for r in ratios}
    lowest, highest = ratios[0], ratios[-1]
    claims.at_least(
        f"noise window: at E‖ξ‖²/‖v‖² = {lowest:g} the small LR learns v too (mean weak-only accuracy)",
        mean[(lowest, small_lr)],
        0.9,
        paper="(not in the paper)",
    )
    claims.holds(
        f"noise window: the gap large − small at {highest:g} is below the gap at {setting:g}",
        gap[highest] < gap[setting],
        measured=f"{gap[highest]:.3f} vs {gap[setting]:.3f}",
        test="gap shrinks",
        paper="(not in the paper)",
    )
    return claims


def check_claims(main: Entry, sweep: Entry | None = None, noise: Entry | None = None):
    """All claims of the chapter on this run's numbers: 1–8 at every scale, the sweeps' at paper scale."""
    from ..claims import Claims

    scale = main.config["scale"]
    s = SCALES[scale]
    claims = main_claims(Claims(f"Chapter 1 ({scale} scale)", scale=scale), per_member(main), s.small_lr, s.large_lr)
    if scale == "paper":
        if sweep is not None:
            sweep_claims(claims, per_member(sweep))
        if noise is not None:
            noise_claims(claims, per_member(noise), s.small_lr, s.large_lr, DATA_MODEL.noise_to_weak)
    return claims


def compute_all(scale: str, store: Store | None = None, device=None) -> dict[str, Entry]:
    """Compute (or read) the chapter's three results at one scale; returns them by name."""
    return {
        "main": run_main(scale, store, device),
        "lr_sweep": run_lr_sweep(scale, store, device),
        "noise_window": run_noise_window(scale, store, device),
    }


if __name__ == "__main__":  # python -m lrlib.papers.benign_oscillation [smoke|paper]: compute and store
    import sys

    chosen = sys.argv[1] if len(sys.argv) > 1 else profile.profile()
    if chosen not in SCALES:
        raise SystemExit(f"scale must be one of {', '.join(SCALES)}, got {chosen!r}")
    profile.configure_threads()
    entries = compute_all(chosen)
    for name, entry in entries.items():
        print(f"{name}: {entry.path} ({entry.provenance['wall_time_s']} s on {entry.provenance['device']})")
    print(check_claims(entries["main"], entries["lr_sweep"], entries["noise_window"]))
