"""Training the chapter's networks with the ensemble engine, and what every checkpoint measures.

Every η/η* × noise ratio × seed is one member of :func:`lrlib.train.train` (ReLU² patch net, loss (y·f − 1)²,
SGD with batch 1, float64); each seed has its own training set.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import torch

from ... import profile
from .data import data_seed, features, make_data, member_seed
from .scales import DATA_MODEL, NETWORK, DataModel, Network
from .theory import OSCILLATION_DELTA, eta_star


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
    from ...train import rng

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
    from ...models import PatchReLU2
    from ...train import Data, train

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
