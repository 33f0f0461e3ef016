"""Chapter 2's synthetic two-pattern experiment, the setting of the paper's theory, on lrlib's ensemble engine.

Everything here is a reconstruction (spec §2.2, §5a): the paper's exact distribution, network and constants were
not available, it released no synthetic code and reports no synthetic numbers.

**Data.** An input is two slots, x = (x₁, x₂) ∈ ℝ²ᵈ, labels y = ±1 in equal numbers.

- P (x₁, *easy to fit, hard to generalize*): x₁ = y·γ·e₁ + ξ with ξ ~ N(0, I/d) on coordinates 2..d. It is
  linearly separable (margin γ along w* = e₁), but the noise (norm ≈ 1 ≫ γ) lets a classifier trained on fewer
  than about d examples fit the noise instead of w*.
- Q (x₂, *hard to fit, easy to generalize*): x₂ = a·z for y = +1 and a·(z + s·ζ) for y = −1, with z = e₁,
  ζ = r·e₂ (the Q margin r), a ~ U[½, 1] and a random sign s = ±1. z is the midpoint of z ± ζ, so no linear
  classifier fits Q; a ReLU net fits it with a small-margin detector of |⟨ζ, x₂⟩|, which noise washes out.
- Types: 20 % of the training set carries P only (x₂ = 0), 20 % Q only (x₁ = 0), 60 % both. The test set has as
  many examples of each type (``n_test`` each), so P-only, Q-only and both accuracies are read separately. On a
  P-only (Q-only) example the network's output is its "P part" (its "Q part"): the other slot is zero.

**Network.** Two layers, f(x) = (1/√m)·Σᵢ ±relu(⟨uᵢ, x⟩ + bᵢ) with the readout fixed to ±1/√m (half the units each)
and uᵢ, bᵢ trained (PyTorch's default initialization), logistic loss, weight decay, minibatch SGD.

**Noise.** The theory models SGD as gradient descent with Gaussian noise in each update [recalled]: here
w ← w − η(∇L̂_B + σξ), ξ ~ N(0, I), so the noise a step injects grows with the learning rate η.

Arms (one store entry holds all of them; every arm runs ``steps`` steps, the anneal at ``anneal_step``):

=====================  =======================================================================================
``large``              η_L, annealed to η_L/k at the anneal (the paper's schedule)
``small``              η_L/k throughout (same σ)
``small_preact``       η_L/k with Gaussian noise of std τ added to every pre-activation, τ → 0 at the anneal
                       (the paper's mitigation, §5 [recalled]; the CIFAR code's activation noise)
``step_noise``         η_L throughout, σ switched off at the anneal: the same step size, different noise (spec
                       §8, fix 2); its σ = 0 member is the noise-free run at η_L
=====================  =======================================================================================

The *map* (part ``map``) runs ``large``, ``small`` and ``step_noise`` over a grid of Q margins r and noise levels σ,
to show where the learning-order effect appears and where it does not (spec §5a, §8: the prototype found no
window); the chapter's pinned point (part ``synthetic``) is read off it, then run with more seeds and all arms.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from ... import profile
from ...experiment import Part, Unit
from ...models import MLP
from ...train import Data, train

VERSION = 1
TYPES = ("P", "Q", "both")  # P only, Q only, both slots
ARMS = ("large", "small", "small_preact", "step_noise")
ARM_LABELS = {
    "large": "large LR, annealed",
    "small": "small LR",
    "small_preact": "small LR + annealed pre-activation noise",
    "step_noise": "large LR throughout, update noise switched off at the anneal",
}
MAP_ARMS = ("large", "small", "step_noise")


@dataclass(frozen=True)
class SyntheticScale:
    """One scale of the synthetic experiment. Learning rates are per SGD step; σ and τ are standard deviations
    (per gradient coordinate and per pre-activation)."""

    d: int  # dimension of each slot
    n_train: int  # training examples: 20 % P only, 20 % Q only, 60 % both
    n_test: int  # test examples per type
    p_margin: float  # γ
    width: int  # m hidden units
    batch_size: int
    weight_decay: float
    lr_large: float  # η_L
    lr_ratio: float  # k = η_L/η_S
    steps: int  # steps of every arm
    anneal_step: int  # the first annealed step
    checkpoint_every: int  # steps between measurements
    # the pinned point
    q_margin: float  # r
    grad_noise: float  # σ
    preact_noise: float  # τ of the small_preact arm
    seeds: int
    # the map
    map_q_margins: tuple[float, ...]
    map_grad_noises: tuple[float, ...]
    map_seeds: int

    def __post_init__(self):
        if not 0 < self.anneal_step < self.steps:
            raise ValueError(f"anneal_step must be in (0, steps), got {self.anneal_step} of {self.steps}")
        if self.n_train < 5 or self.n_train % 5:
            raise ValueError(f"n_train must be a positive multiple of 5 (20/20/60 % types), got {self.n_train}")

    @property
    def lr_small(self) -> float:
        return self.lr_large / self.lr_ratio


# ---- data ----------------------------------------------------------------------------------------------------------


def sample(types: list[str], d: int, p_margin: float, q_margin: float, generator: torch.Generator):
    """Inputs [n, 2d] (float64) and labels ±1 [n] of the given types ("P", "Q" or "both")."""
    bad = set(types) - set(TYPES)
    if bad:
        raise ValueError(f"types must be among {TYPES}, got {sorted(bad)}")
    n = len(types)
    y = torch.randint(0, 2, (n,), generator=generator).double() * 2 - 1
    x1 = torch.zeros(n, d, dtype=torch.float64)
    x1[:, 0] = y * p_margin
    x1[:, 1:] = torch.randn(n, d - 1, generator=generator, dtype=torch.float64) / math.sqrt(d)
    a = 0.5 + 0.5 * torch.rand(n, generator=generator, dtype=torch.float64)
    s = torch.randint(0, 2, (n,), generator=generator).double() * 2 - 1
    x2 = torch.zeros(n, d, dtype=torch.float64)
    x2[:, 0] = a
    x2[:, 1] = torch.where(y < 0, a * s * q_margin, 0.0)
    kinds = np.array(types)
    x1[torch.from_numpy(kinds == "Q")] = 0
    x2[torch.from_numpy(kinds == "P")] = 0
    return torch.cat([x1, x2], 1), y


def training_types(n: int) -> list[str]:
    """The fixed type of each training example: the first 20 % P only, the next 20 % Q only, the rest both."""
    return ["P"] * (n // 5) + ["Q"] * (n // 5) + ["both"] * (n - 2 * (n // 5))


def dataset(s: SyntheticScale, q_margin: float, data_seed: int) -> Data:
    """Training set and the type-stratified test set (``n_test`` P, then Q, then both) for one Q margin."""
    g = torch.Generator().manual_seed(data_seed)
    x, y = sample(training_types(s.n_train), s.d, s.p_margin, q_margin, g)
    test_types = [t for t in TYPES for _ in range(s.n_test)]
    x_test, y_test = sample(test_types, s.d, s.p_margin, q_margin, g)
    return Data(x, y, x_test, y_test)


def network(s: SyntheticScale) -> MLP:
    return MLP([2 * s.d, s.width, 1], "relu", fixed_readout=True)


# ---- measurements --------------------------------------------------------------------------------------------------


def _type_metrics(s: SyntheticScale):
    """An engine measurement: test accuracy per type, training loss per type, and the first layer's alignment with
    w* (cosine of Σᵢ aᵢ·wᵢ with e₁, wᵢ the weights on x₁) and its mean weight along ζ (‖U·e₂‖/√m on x₂)."""
    n_p = n_q = s.n_train // 5
    groups = {"P": slice(0, n_p), "Q": slice(n_p, n_p + n_q), "both": slice(n_p + n_q, s.n_train)}
    readout = torch.cat([torch.ones(s.width // 2), -torch.ones(s.width - s.width // 2)]).double()

    def measure(params, ctx):
        out = {}
        f, y = ctx.test_output, ctx.data.y_test.to(ctx.test_output.dtype)
        correct = (f * y > 0).double()
        for i, t in enumerate(TYPES):
            out[f"test_accuracy_{t}"] = correct[:, i * s.n_test : (i + 1) * s.n_test].mean(1)
        margin = ctx.train_output * ctx.data.y.to(ctx.train_output.dtype)
        loss = torch.nn.functional.softplus(-margin).double()
        for t, rows in groups.items():
            out[f"train_loss_{t}"] = loss[:, rows].mean(1)
        w1 = params["w1"].double()  # [K, 2d, m]
        p_weights = w1[:, : s.d, :] @ readout.to(w1.device)  # Σᵢ aᵢ wᵢ (up to 1/√m): [K, d]
        out["p_alignment"] = p_weights[:, 0] / p_weights.norm(dim=1).clamp_min(1e-300)
        out["zeta_weight"] = w1[:, s.d + 1, :].norm(dim=1) / math.sqrt(s.width)
        return out

    return measure


def run_members(s: SyntheticScale, members: pd.DataFrame, data: dict) -> pd.DataFrame:
    """Train the member table on the engine (float32; one program per Q margin) and return its rows."""
    profile.configure_threads()
    result = train(
        network(s),
        data,
        members,
        loss="logistic",
        steps=s.steps,
        checkpoints=list(range(s.checkpoint_every, s.steps + 1, s.checkpoint_every)),
        measure={"m": _type_metrics(s)},
        progress=False,
    )
    table = result.table.rename(columns=lambda c: c.removeprefix("m."))
    # a member's last step is its final row (also a checkpoint's when the two coincide): one row per step
    return table.drop_duplicates(["member", "step"], keep="last").reset_index(drop=True)


def arm_rows(s: SyntheticScale, arm: str, grad_noise: float) -> dict:
    """The member columns of one arm (every arm sets every column, so that arms share one member table)."""
    never = math.nan
    rows = {
        "large": (s.lr_large, s.anneal_step, 1 / s.lr_ratio, never, 0.0),
        "small": (s.lr_small, never, 1.0, never, 0.0),
        "small_preact": (s.lr_small, never, 1.0, never, s.preact_noise),
        "step_noise": (s.lr_large, never, 1.0, s.anneal_step, 0.0),
    }
    if arm not in rows:
        raise ValueError(f"no arm {arm!r}; the arms are {ARMS}")
    lr, lr_step, lr_factor, noise_step, preact = rows[arm]
    return dict(
        lr=lr,
        lr_anneal_step=lr_step,
        lr_anneal_factor=lr_factor,
        grad_noise=grad_noise,
        grad_noise_anneal_step=noise_step,
        grad_noise_anneal_factor=0.0,
        preact_noise=preact,
        preact_noise_anneal_step=s.anneal_step,
        preact_noise_anneal_factor=0.0,
    )


def _members(s: SyntheticScale, arms, q_margins, grad_noises, seeds: int) -> pd.DataFrame:
    rows = [
        dict(
            arm=arm,
            q_margin=r,
            sigma=sigma,
            seed_index=i,
            seed=profile.seed(i),
            data=r,
            batch_size=s.batch_size,
            weight_decay=s.weight_decay,
            **arm_rows(s, arm, sigma),
        )
        for r in q_margins
        for sigma in grad_noises
        for arm in arms
        for i in range(seeds)
    ]
    return pd.DataFrame(rows)


def compute_map(s: SyntheticScale) -> dict:
    members = _members(s, MAP_ARMS, s.map_q_margins, s.map_grad_noises, s.map_seeds)
    data = {r: dataset(s, r, profile.seed(1000)) for r in s.map_q_margins}
    return {"table": run_members(s, members, data)}


def compute_pinned(s: SyntheticScale) -> dict:
    members = _members(s, ARMS, (s.q_margin,), (s.grad_noise,), s.seeds)
    data = {s.q_margin: dataset(s, s.q_margin, profile.seed(1000))}
    return {"table": run_members(s, members, data)}


# ---- the stored parts ----------------------------------------------------------------------------------------------


def config(s: SyntheticScale, scale: str, what: str) -> dict:
    return {
        "experiment": f"ch2-synthetic-{what}",
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        "synthetic_scale": asdict(s),
        "data": "P: y*gamma*e1 + N(0, I/d) on 2..d; Q: a*z or a*(z +- r*e2), a ~ U[1/2, 1]; 20/20/60 %",
        "network": "2-layer ReLU, fixed readout +-1/sqrt(m), nn.Linear init, logistic loss, float32",
        "noise": "w <- w - lr*(grad + sigma*xi)",
    }


def _blocks(what: str, compute):
    def blocks(scale: str):
        from .scales import SCALES

        s = SCALES[scale].synthetic
        yield [Unit(f"synthetic {what}", config(s, scale, what), lambda: compute(s))]

    return blocks


MAP = Part("map", "synthetic: the (r, σ) map", _blocks("map", compute_map))
PINNED = Part("synthetic", "synthetic: the pinned point, every arm", _blocks("pinned", compute_pinned))
PARTS = (MAP, PINNED)
