"""Chapter 4 on scikit-learn's 8×8 digits: large against small learning rates, and amplified gradient noise.

The spec's §5a experiment [reconstructed]: an MLP 64-128-128-10 (ReLU, cross-entropy, plain SGD: no momentum, no
weight decay) on 1,200 training digits, in two phases.

Phase 1 compares the arms of one family:

- SGD (batch 32), learning-rate ratio k = γ_L/γ_s = 4: the large LR γ_L; the small LR γ_s; the small LR with its
  gradient noise amplified, ĝ = g_B + α·(g_B′ − g_B″)/√2 (three independent batches; spec §2.2), matched to the
  large LR by temperature, γ_s(1 + α²) = γ_L (α = √(k−1)), or per step, γ_s√(1 + α²) = γ_L (α = √(k²−1));
- full-batch GD, k = 10: the large and the small LR.

Every small-LR arm runs twice (spec §2.3): for as many steps as the large-LR arm (equal steps) and for k times as
many (equal Σγ, the same "time"). Phase 2 is common to every arm of a family: noise-free at the small LR.
After phase 1 and after phase 2 we measure the top Hessian eigenvalue of the full-batch training loss (power
iteration on Hessian-vector products), to compare with 2/γ (the edge of stability), and the train and
test loss and accuracy.

The plain arms run on lrlib's ensemble engine (phase 2 as an LR anneal at the end of phase 1, the sharpness as a
checkpoint measurement). The engine cannot express the amplified noise (its noise options are isotropic Gaussian
noise on the gradient and on pre-activations; ĝ needs two more minibatch gradients per step), so the noise arms
run in :func:`train_amplified_noise`, a small batched loop on the same model family, the same initialization and
the same minibatch stream: with α = 0 it reproduces the engine's run (``tests/test_ch04_digits.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch

from ... import profile
from ...data import load_digits
from ...experiment import Part, Unit
from ...models import MLP
from ...train import Data, losses, rng, train
from ...train.measure import data_metrics, outputs

VERSION = 1
FAMILIES = ("SGD", "GD")
ARMS = ("large", "small", "noise-temperature", "noise-step")
BUDGETS = ("reference", "equal steps", "equal Σγ")  # the large-LR arm is the reference of both budgets
#: columns of the result tables: one row per member and phase (1: end of phase 1; 2: end of phase 2)
COLUMNS = (
    "family", "arm", "budget", "seed_index", "seed", "lr", "phase2_lr", "noise_alpha", "batch_size", "phase1_steps",
    "steps", "phase", "step", "sigma_gamma", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    "sharpness", "sharpness_end", "edge_of_stability", "diverged",
)  # fmt: skip


@dataclass(frozen=True)
class DigitsScale:
    """What one scale runs on the digits. Learning rates are per step (dimensionless); steps are SGD/GD updates."""

    seeds: int  # independent runs per SGD arm (initialization and minibatch order)
    gd_seeds: int  # independent runs per GD arm (initialization)
    sgd_steps: int  # phase-1 steps of large-LR SGD; small-LR arms run this many (equal steps) or k× (equal Σγ)
    sgd_phase2_steps: int  # phase-2 steps of every SGD arm (noise-free, at the small LR)
    gd_steps: int  # phase-1 steps of large-LR full-batch GD (small-LR arms: this many, or k×)
    gd_phase2_steps: int  # phase-2 steps of every GD arm (at the small LR)
    power_iterations: int  # Hessian-vector products per sharpness measurement
    sharpness_points: int  # measurements over the last quarter of phase 1 whose mean is the phase-1 sharpness
    hidden: tuple[int, ...] = (128, 128)  # hidden widths of the ReLU MLP 64-h-h-10
    n_train: int = 1200  # training digits (the other 597 are the test set)
    batch_size: int = 32  # SGD batch size B (examples)
    sgd_large_lr: float = 0.2  # γ_L of SGD
    sgd_lr_ratio: int = 4  # k = γ_L/γ_s of SGD
    gd_large_lr: float = 1.0  # γ_L of full-batch GD
    gd_lr_ratio: int = 10  # k = γ_L/γ_s of GD

    @property
    def sgd_small_lr(self) -> float:
        return self.sgd_large_lr / self.sgd_lr_ratio

    @property
    def gd_small_lr(self) -> float:
        return self.gd_large_lr / self.gd_lr_ratio


SCALES = {
    # smoke: the spec's phase 1 for both families (shorter SGD phase 1: 500 steps), short phase 2; GD's seeds agree
    # closely, so only 2 (≈ 20 s SGD + 40 s GD on one loaded CPU thread)
    "smoke": DigitsScale(seeds=3, gd_seeds=2, sgd_steps=500, sgd_phase2_steps=300, gd_steps=300, gd_phase2_steps=50,
                         power_iterations=10, sharpness_points=3),
    # paper: the spec's §5a step counts (GD phase 2 is ours), 10 seeds
    "paper": DigitsScale(seeds=10, gd_seeds=10, sgd_steps=600, sgd_phase2_steps=1200, gd_steps=300, gd_phase2_steps=600,
                         power_iterations=30, sharpness_points=8),
}  # fmt: skip


def matched_alpha(rule: str, k: float) -> float:
    """α of ĝ = g_B + α(g_B′ − g_B″)/√2 that matches the small LR γ_s = γ_L/k to the large one [reconstructed]:
    by temperature, γ_s(1 + α²) = γ_L, α = √(k − 1); per step, γ_s√(1 + α²) = γ_L, α = √(k² − 1)."""
    if rule == "temperature":
        return math.sqrt(k - 1)
    if rule == "step":
        return math.sqrt(k * k - 1)
    raise ValueError(f"rule must be 'temperature' or 'step', got {rule!r}")


# ---- data and model ----------------------------------------------------------------------------------------------


def digits_data(n_train: int = 1200) -> Data:
    """The 1,797 digits (pixels /16), split by ``RandomState(0)``'s permutation: n_train to train, the rest to test."""
    ds = load_digits()
    order = np.random.RandomState(0).permutation(len(ds))
    train_idx, test_idx = torch.from_numpy(order[:n_train]), torch.from_numpy(order[n_train:])
    return Data(ds.x[train_idx], ds.y[train_idx], ds.x[test_idx], ds.y[test_idx])


def network(s: DigitsScale) -> MLP:
    return MLP([64, *s.hidden, 10], "relu")


# ---- sharpness -----------------------------------------------------------------------------------------------------


def _per_member_dot(a: list[torch.Tensor], b: list[torch.Tensor]) -> torch.Tensor:
    return sum((x * y).flatten(1).sum(1) for x, y in zip(a, b))


def top_hessian_eigenvalue(model, params: dict, x: torch.Tensor, y: torch.Tensor, iterations: int, seed: int = 0):
    """Each member's top Hessian eigenvalue of its mean cross-entropy on (x, y): [K], in the parameters' dtype.

    Power iteration on Hessian-vector products (double backward through the model's forward): the members'
    losses are summed, so the Hessian is block-diagonal and one product serves all K; each member's vector is
    normalised on its own. Returns the last Rayleigh quotient vᵀHv (a lower bound on the largest eigenvalue
    when that is the one of largest magnitude, as at a minimum)."""
    p = [t.detach().clone().requires_grad_(True) for t in params.values()]
    f = model.forward(dict(zip(params, p)), x.to(p[0].dtype))  # [K, N, C]
    yk = y.unsqueeze(0).expand(f.shape[0], -1)
    loss = losses.per_example("cross_entropy", f, yk, torch.ones(f.shape[0], dtype=f.dtype)).mean(1).sum()
    grads = torch.autograd.grad(loss, p, create_graph=True)
    g = torch.Generator().manual_seed(seed)
    v = [torch.randn(t.shape, generator=g, dtype=t.dtype).to(t.device) for t in p]
    eig = torch.full((f.shape[0],), math.nan, dtype=f.dtype, device=f.device)
    for _ in range(iterations):
        norm = _per_member_dot(v, v).sqrt()
        v = [t / norm.view(-1, *([1] * (t.dim() - 1))) for t in v]
        hv = torch.autograd.grad(grads, p, grad_outputs=v, retain_graph=True)
        eig = _per_member_dot(v, hv).detach()
        v = [t.detach() for t in hv]
    return eig


def sharpness_steps(phase1_steps: int, points: int) -> list[int]:
    """The steps whose sharpness is averaged into a member's phase-1 sharpness: ``points`` steps evenly over the
    last quarter of phase 1, its end included (under a large LR the sharpness swings from step to step)."""
    if points < 2:
        return [phase1_steps]
    return sorted({phase1_steps - (phase1_steps * j) // (4 * (points - 1)) for j in range(points)})


def _sharpness_measure(iterations: int, points: int):
    """An engine measurement: the top Hessian eigenvalue of members at one of their :func:`sharpness_steps` or
    at their last step, NaN for the others."""

    def measure(params, ctx):
        out = torch.full((len(ctx.members),), math.nan, dtype=torch.float64)
        windows = [sharpness_steps(int(t1), points) for t1 in ctx.members["phase1_steps"]]
        at_end = np.array([ctx.step in w for w in windows], dtype=bool)
        if ctx.final:
            at_end = np.ones(len(ctx.members), dtype=bool)
        if at_end.any():
            sel = np.flatnonzero(at_end)
            chosen = {n: t[torch.as_tensor(sel, device=t.device)] for n, t in params.items()}
            out[sel] = top_hessian_eigenvalue(ctx.model, chosen, ctx.data.x, ctx.data.y, iterations).cpu().double()
        return out

    return measure


# ---- arms ------------------------------------------------------------------------------------------------------


def arms(s: DigitsScale, family: str) -> pd.DataFrame:
    """The member table of one family: one row per arm, budget and seed (seeds via :func:`lrlib.profile.seed`)."""
    if family == "SGD":
        large, k, steps, phase2, batch = s.sgd_large_lr, s.sgd_lr_ratio, s.sgd_steps, s.sgd_phase2_steps, s.batch_size
        seeds = s.seeds
        kinds = [
            ("small", 0.0),
            ("noise-temperature", matched_alpha("temperature", k)),
            ("noise-step", matched_alpha("step", k)),
        ]
    elif family == "GD":
        large, k, steps, phase2, batch = s.gd_large_lr, s.gd_lr_ratio, s.gd_steps, s.gd_phase2_steps, s.n_train
        kinds = [("small", 0.0)]
        seeds = s.gd_seeds
    else:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    small = large / k
    specs = [("large", "reference", large, 0.0, steps)]
    for arm, alpha in kinds:
        specs += [(arm, "equal steps", small, alpha, steps), (arm, "equal Σγ", small, alpha, k * steps)]
    rows = [
        dict(family=family, arm=arm, budget=budget, seed_index=i, seed=profile.seed(i), lr=lr, phase2_lr=small,
             noise_alpha=alpha, batch_size=batch, phase1_steps=t1, steps=t1 + phase2)
        for arm, budget, lr, alpha, t1 in specs
        for i in range(seeds)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _phase_rows(table: pd.DataFrame, points: int) -> pd.DataFrame:
    """One row per member and phase from a trainer's rows (``member``, ``step``, ``final``, measurements): phase 1
    at its last step, with ``sharpness`` the mean over :func:`sharpness_steps` and ``sharpness_end`` the last
    one; phase 2 from the final row."""
    t = table.copy()
    window = np.array([s in sharpness_steps(int(t1), points) for s, t1 in zip(t["step"], t["phase1_steps"])])
    window &= ~t["final"].to_numpy(bool)
    mean_sharpness = t[window].groupby("member")["sharpness"].mean()
    end1 = t[(t["step"] == t["phase1_steps"]) & ~t["final"]].copy()
    end1["phase"], end1["sharpness_end"] = 1, end1["sharpness"]
    end1["sharpness"] = end1["member"].map(mean_sharpness)
    end2 = t[t["final"]].copy()
    end2["phase"], end2["sharpness_end"] = 2, end2["sharpness"]
    t = pd.concat([end1, end2], ignore_index=True)
    reason = t["stop_reason"] if "stop_reason" in t else pd.Series("", index=t.index)
    t["diverged"] = (reason == "diverged") | ~np.isfinite(t["train_loss"].to_numpy(np.float64))
    lr_steps = t["lr"] * t["phase1_steps"]
    t["sigma_gamma"] = np.where(t["phase"] == 1, lr_steps, lr_steps + t["phase2_lr"] * (t["step"] - t["phase1_steps"]))
    t["edge_of_stability"] = 2.0 / np.where(t["phase"] == 1, t["lr"], t["phase2_lr"])
    return t[list(COLUMNS)].sort_values(["arm", "budget", "seed_index", "phase"]).reset_index(drop=True)


def train_plain(model, data: Data, members: pd.DataFrame, iterations: int, points: int) -> pd.DataFrame:
    """Arms without amplified noise on the ensemble engine: phase 2 is an LR anneal at the end of phase 1."""
    m = members.copy()
    m["lr_anneal_step"] = m["phase1_steps"]
    m["lr_anneal_factor"] = m["phase2_lr"] / m["lr"]
    checkpoints = sorted({c for t1 in m["phase1_steps"] for c in sharpness_steps(int(t1), points)})
    result = train(model, data, m, loss="cross_entropy", checkpoints=checkpoints,
                   measure={"sharpness": _sharpness_measure(iterations, points)}, progress=False)  # fmt: skip
    return _phase_rows(result.table, points)


def _extra_seeds(seeds: torch.Tensor, stream: int) -> torch.Tensor:
    """Seeds of a member's further minibatch streams (B′: 1, B″: 2), independent of its own (stream 0)."""
    return rng.fmix32((seeds + stream * rng.GOLDEN) & rng.MASK32)


def amplified_noise_step(model, params: dict, d: Data, batches: list, alpha: torch.Tensor, lr: torch.Tensor) -> None:
    """In place, one step w ← w − lr·ĝ with ĝ = g_B + α(g_B′ − g_B″)/√2 for every member (``batches``: the index
    tensors [K, B] of B, B′, B″, or of B alone when every α is 0; ``alpha``, ``lr``: [K]). One forward and backward
    pass over the stacked batches, each example's loss gradient weighted by 1, α/√2 or −α/√2 (over B)."""
    bi = torch.cat(batches, 1)  # [K, parts·B]
    F, cache = model.forward_train(params, d.x[bi])
    _, dF = losses.mean_and_grad("cross_entropy", F, d.y[bi], torch.ones_like(lr))  # gradients / (parts·B)
    if len(batches) == 3:
        w = torch.stack([torch.ones_like(alpha), alpha / math.sqrt(2), -alpha / math.sqrt(2)], 1)
        dF = dF * (3 * w).repeat_interleave(batches[0].shape[1], 1).unsqueeze(-1)
    elif len(batches) != 1:
        raise ValueError(f"give the batches B, B', B'' or B alone, got {len(batches)}")
    model.backward_apply(params, cache, dF, lr)


def train_amplified_noise(
    model, data: Data, members: pd.DataFrame, iterations: int, points: int, dtype=torch.float32
) -> pd.DataFrame:
    """SGD with amplified noise ĝ = g_B + α(g_B′ − g_B″)/√2 in phase 1 and plain SGD at ``phase2_lr`` in phase 2.

    B, B′, B″ are independent minibatches of ``batch_size`` distinct points; B is the member's own engine stream
    (same initialization and batches as :func:`lrlib.train.train` for the same seed). One forward and backward
    pass over the 3B points serves the three gradients (each example's loss gradient weighted by 1, α/√2 or
    −α/√2, over B: :func:`amplified_noise_step`). Returns the same rows as :func:`train_plain`."""
    batch = int(members["batch_size"].iloc[0])
    if (members["batch_size"] != batch).any():
        raise ValueError("train_amplified_noise needs one batch size for all members")
    dev = profile.device()
    d = data.on(dev, dtype, "cross_entropy")
    N = d.n
    seeds = torch.tensor(members["seed"].to_numpy(np.int64), device=dev)
    streams = [seeds, _extra_seeds(seeds, 1), _extra_seeds(seeds, 2)]
    params = model.init(members["seed"].tolist(), dtype=dtype, device=dev)
    col = lambda c, dt=dtype: torch.tensor(members[c].to_numpy(np.float64), dtype=dt, device=dev)  # noqa: E731
    lr1, lr2, alpha = col("lr"), col("phase2_lr"), col("noise_alpha")
    t1, total = col("phase1_steps", torch.int64), col("steps", torch.int64)
    windows = [sharpness_steps(int(t1), points) for t1 in members["phase1_steps"]]
    stops = sorted({c for w in windows for c in w} | set(members["steps"].tolist()))
    rows, t = [], 0
    for stop in stops:
        steps = torch.arange(t, stop, device=dev)
        idx = [rng.batch_indices(s, steps, N, batch, "step") for s in streams] if stop > t else []
        for j in range(stop - t):
            step = t + j
            lr = torch.where(step < t1, lr1, lr2) * (step < total)
            a = alpha * (step < t1)
            amplified_noise_step(
                model, params, d, [b[:, j] for b in idx] if bool((a > 0).any()) else [idx[0][:, j]], a, lr
            )
        t = stop
        for final, chosen in ((False, [t in w for w in windows]), (True, (total == t).tolist())):
            sel = np.flatnonzero(chosen)
            if len(sel):
                at = {n: p[torch.as_tensor(sel, device=dev)] for n, p in params.items()}
                rows.append(_measure(model, at, d, members.iloc[sel], sel, t, final, iterations))
    return _phase_rows(pd.concat(rows, ignore_index=True), points)


def _measure(model, params: dict, d: Data, members: pd.DataFrame, ids, step: int, final: bool, iterations: int):
    """Train/test loss and accuracy and sharpness of the given members (rows ``ids`` of the member table)."""
    alpha = torch.ones(len(members), dtype=d.x.dtype, device=d.x.device)
    cols = data_metrics("train", "cross_entropy", outputs(model, params, d.x), d.y, alpha, None)
    cols |= data_metrics("test", "cross_entropy", outputs(model, params, d.x_test), d.y_test, alpha, None)
    out = members.reset_index(drop=True).copy()
    for c in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        out[c] = cols[c].detach().cpu().double().numpy()
    out["sharpness"] = top_hessian_eigenvalue(model, params, d.x, d.y, iterations).cpu().double().numpy()
    out["member"], out["step"], out["final"] = ids, step, final
    return out


# ---- the stored parts ------------------------------------------------------------------------------------------------


def config(family: str, scale: str) -> dict:
    s = SCALES[scale]
    return {
        "experiment": f"ch4-digits-{family.lower()}",
        "version": VERSION,
        "scale": scale,
        "seed_offset": profile.seed_offset(),
        "data": {"dataset": "sklearn-digits", "n_train": s.n_train, "split": "RandomState(0).permutation"},
        "network": {"widths": [64, *s.hidden, 10], "activation": "relu", "init": "nn.Linear"},
        "digits_scale": asdict(s),
        "family": family,
        "noise": "g_B + alpha*(g_B2 - g_B3)/sqrt(2)",
    }


def compute(family: str, scale: str) -> dict:
    """Every arm of one family at ``scale``: the table of :data:`COLUMNS` (rows for phases 1 and 2)."""
    s = SCALES[scale]
    profile.configure_threads()
    data, model, members = digits_data(s.n_train), network(s), arms(s, family)
    noisy = members["noise_alpha"] > 0
    tables = [train_plain(model, data, members[~noisy].reset_index(drop=True), s.power_iterations, s.sharpness_points)]
    for _, group in members[noisy].groupby("phase1_steps"):  # one group per budget: no member waits on another
        group = group.reset_index(drop=True)
        tables.append(train_amplified_noise(model, data, group, s.power_iterations, s.sharpness_points))
    return {"table": pd.concat(tables, ignore_index=True), "arrays": {}}


def _blocks(family: str):
    def blocks(scale: str):
        yield [Unit(f"digits, {family}", config(family, scale), lambda: compute(family, scale))]

    return blocks


DIGITS_SGD = Part("digits-sgd", "digits: SGD arms and amplified noise", _blocks("SGD"))
DIGITS_GD = Part("digits-gd", "digits: full-batch GD", _blocks("GD"))
PARTS = (DIGITS_GD, DIGITS_SGD)
