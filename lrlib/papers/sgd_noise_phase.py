"""Chapter 5: SGD noise in the (α, T) plane (Sclocchi, Geiger & Wyart, ICML 2023).

Everything the chapter computes, with both scales defined side by side in the dicts ``PERCEPTRON``, ``PHASE``
and ``LAZY`` below.

Symbols (the paper's, kept in this module): dt the step size, B the batch size, h the width, P the number of
training points, α the initialisation scale, T = dt/(B·h) the temperature (h = 1 for the perceptron), t* = dt ×
steps the training time, χ the depletion exponent of the perceptron data.

* The **perceptron** (``sgd_noise_phase_perceptron``): depleted-sign data, hinge with margin 1/α, event-driven SGD
  until every point is fitted; engine-independent numpy.
* The **α-scaled MLP** (``lrlib.models.alpha_mlp``): L hidden layers of width h, 1/√fan_in layers, 1/h readout,
  output α(F(w) − F(w0)), loss hinge(α·o)/α, SGD with a fresh batch of B distinct points per step, stopped when
  every training point has margin ≥ 1 (checked every ``check_every`` steps) or when the loss becomes
  non-finite; trained by the ensemble engine (``lrlib.train``), one batched program per training set.

The figures are drawn by ``sgd_noise_phase_figures``, which imports this module (never the reverse).
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import profile as _profile
from ..data import DataError
from ..progress import progress
from ..store import Entry, Store, default_store
from . import sgd_noise_phase_perceptron as perceptron

VERSION = 1

# --------------------------------------------------------------------------------------------------------------
# The two scales, side by side. Units: dt and T are per SGD step; α dimensionless; P points.
# --------------------------------------------------------------------------------------------------------------
PERCEPTRON = {
    "smoke": dict(
        chis=(1.0, 3.0),
        ds=(16,),
        Ps=(256, 512, 1024, 2048),
        dts=tuple(2.0**k for k in (-12, -8, -4, 0)),  # T = dt/2: Tα = 4 … 16384
        seeds=5,
        alpha=2.0**15,
        batch_size=2,
        max_updates=10**5,
    ),  # the authors' 5 seeds
    # the authors' grid (README); χ = 0 only at d = 16 and P ≤ 2048: its small-T runs need ~10^5–10^6 effective
    # updates (P = 2048: ~7 CPU-minutes), growing about ×5 per doubling of P
    "paper": dict(
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
}
PHASE = {  # test error over (α, T) at fixed P
    # pool: the training sets of the seeds are drawn from this many points (the rest is the test set)
    "smoke": dict(
        dataset="digits",
        P=512,
        pool=512,
        depth=3,
        width=64,
        activation="relu",
        batch_size=16,
        alphas=tuple(2.0**k for k in range(-7, 6, 2)),  # 7 values
        temps=tuple(2.0**k for k in range(-10, -2)),  # 8 values, T = dt/(B·h)
        seeds=2,
        max_steps=4000,
        check_every=25,
        dtype="float32",
        temps_per_entry=8,
    ),
    # the authors' MNIST diagram: GELU, L = 5, h = 128, α 2^-14…2^11, dt 2^-15…2^15 (T = dt/2048); 4 seeds, not 9
    "paper": dict(
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
        temps_per_entry=1,
    ),
}
# temps_per_entry: the T rows one stored entry holds. At paper scale one row (26 runs) per entry, so a CPU can
# build the grid over several sittings: a capped row costs ~15 CPU-minutes, and an interruption loses one row.
LAZY = {  # the lazy regime (α = 2^15) against T, one curve per P
    "smoke": dict(
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
    # the authors' MNIST FC sweep: ReLU, L = 5, h = 128, T 2^-13…2^2; P up to what the data allows
    "paper": dict(
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
}
LAZY_CHECK_OFFSET = 100  # seeds 100..104: an independent repeat of the paper-scale lazy sweep
MIN_TEST = 2048  # paper scale: keep at least this many test points when choosing the largest P offline
PAPER_TEST = 32768  # the authors' test-set size (pte)
NOISE_DOMINATED = 64  # perceptron runs with Tα ≥ this are in the noise-dominated regime (spec §6, S1–S3)
LAZY_SMALL_CHANGE = 0.1  # fit T^δ P^γ on lazy-sweep points whose relative weight change is below this
TC_RELATIVE = 0.2  # T_c(P): test error departs from its small-T plateau by more than 20 % (see tc_rule)


def _check_scale(scale: str) -> str:
    if scale not in ("smoke", "paper"):
        raise ValueError(f"scale must be 'smoke' or 'paper', got {scale!r}")
    return scale


def seeds(n: int, offset: int | None = None) -> list[int]:
    """The seeds of ``n`` runs, shifted by ``offset`` (default: ``LRLIB_SEED``)."""
    return [_profile.seed(i) if offset is None else i + offset for i in range(n)]


# ==============================================================================================================
# Perceptron
# ==============================================================================================================
def perceptron_groups(scale: str) -> list[tuple[float, int, int]]:
    """The (χ, d, P) groups of the perceptron sweep at a scale; each group is one stored entry."""
    cfg = PERCEPTRON[_check_scale(scale)]
    out = []
    for chi in cfg["chis"]:
        for d in cfg["ds"]:
            for P in cfg["Ps"]:
                if chi == 0 and ("chi0_max_P" in cfg) and (P > cfg["chi0_max_P"] or d not in cfg["chi0_ds"]):
                    continue
                out.append((float(chi), int(d), int(P)))
    return out


def perceptron_config(scale: str, chi: float, d: int, P: int) -> dict:
    """The full configuration (store key) of one perceptron group."""
    cfg = PERCEPTRON[_check_scale(scale)]
    return {
        "experiment": "ch5-perceptron",
        "version": VERSION,
        "scale": scale,
        "chi": float(chi),
        "d": int(d),
        "P": int(P),
        "dts": list(cfg["dts"]),
        "seeds": seeds(cfg["seeds"]),
        "alpha": cfg["alpha"],
        "batch_size": cfg["batch_size"],
        "max_updates": cfg["max_updates"],
        "test_error": "population",
    }


def _chi_code(chi: float) -> int:
    return int(round(chi * 1000))


def perceptron_group(config: dict) -> pd.DataFrame:
    """Run one (χ, d, P) group: every dt × seed, vectorised, event-driven. One row per run."""
    chi, d, P = config["chi"], config["d"], config["P"]
    run_seeds, dts = config["seeds"], np.asarray(config["dts"], dtype=float)
    xs, ys = zip(
        *(perceptron.depleted_sign_data(P, d, chi, np.random.default_rng([s, P, d, _chi_code(chi)])) for s in run_seeds)
    )
    dt = np.repeat(dts, len(run_seeds))
    which = np.tile(np.arange(len(run_seeds)), len(dts))
    keys = [perceptron.run_key(run_seeds[i], P, d, _chi_code(chi), 1) for i in which]
    out = perceptron.simulate_events(
        np.stack(xs),
        np.stack(ys),
        dt,
        dataset=which,
        keys=keys,
        alpha=config["alpha"],
        batch_size=config["batch_size"],
        max_updates=config["max_updates"],
    )
    u = out["u"]
    T = dt / config["batch_size"]
    return pd.DataFrame(
        {
            "chi": chi,
            "d": d,
            "P": P,
            "seed": np.asarray(run_seeds)[which],
            "dt": dt,
            "T": T,
            "T_alpha": T * config["alpha"],
            "steps": out["steps"],
            "t_star": dt * out["steps"],
            "updates": out["updates"],
            "fitted": out["fitted"],
            "unfitted": out["unfitted"],
            "u_par": u[:, 0],
            "u_perp": np.linalg.norm(u[:, 1:], axis=1),
            "test_error": perceptron.population_error(u, chi),
        }
    )


def perceptron_results(
    scale: str, store: Store, *, only_stored: bool = False, show_progress: bool = True
) -> tuple[pd.DataFrame, dict[str, Entry], list]:
    """Every perceptron group of ``scale`` from ``store`` (computing the missing ones unless ``only_stored``).

    Returns the concatenated table, the entries by name (for provenance) and the groups that are missing.
    """
    tables, entries, missing = [], {}, []
    groups = perceptron_groups(scale)
    for chi, d, P in _bar(groups, "perceptron groups", show_progress):
        config = perceptron_config(scale, chi, d, P)
        entry = store.get(config)
        if entry is None and not only_stored:
            entry = store.cached(config, lambda: _timed_table(perceptron_group, config))
        if entry is None:
            missing.append((chi, d, P))
            continue
        tables.append(entry.table)
        entries[f"perceptron χ={chi:g} d={d} P={P}"] = entry
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return table, entries, missing


def _bar(items, desc, show):
    return progress(items, desc=desc, unit="group") if show else items


def _timed_table(fn, config) -> dict:
    start = time.perf_counter()
    table = fn(config)
    wall = time.perf_counter() - start
    prov = _profile.provenance(wall, scale=config["scale"])
    return {"table": table, "provenance": prov}


# ==============================================================================================================
# Power-law fits
# ==============================================================================================================
@dataclass
class Fit:
    """A log-log slope with its standard error and the number of points."""

    slope: float
    stderr: float
    n: int

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        return self.slope - z * self.stderr, self.slope + z * self.stderr

    def __str__(self) -> str:
        return f"{self.slope:.3f} ± {self.stderr:.3f}"


def loglog_slope(df: pd.DataFrame, x: str, y: str, by: list[str] | str | None = None) -> Fit:
    """Least-squares slope of log y against log x, with a separate intercept for each ``by`` group.

    Uses every row (every seed); rows with non-positive or non-finite x or y are dropped. NaN when fewer than
    three rows or two distinct x values remain.
    """
    by = [by] if isinstance(by, str) else list(by or [])
    d = df[(df[x] > 0) & (df[y] > 0) & np.isfinite(df[x]) & np.isfinite(df[y])]
    if len(d) < 3 or d[x].nunique() < 2:
        return Fit(float("nan"), float("nan"), len(d))
    lx, ly = np.log(d[x].to_numpy(float)), np.log(d[y].to_numpy(float))
    if by:
        codes = d[by].astype(str).agg("|".join, axis=1) if len(by) > 1 else d[by[0]].astype(str)
        groups = pd.get_dummies(codes).to_numpy(float)
    else:
        groups = np.ones((len(d), 1))
    design = np.column_stack([lx, groups])
    coef, *_ = np.linalg.lstsq(design, ly, rcond=None)
    resid = ly - design @ coef
    dof = max(len(d) - design.shape[1], 1)
    cov = np.linalg.pinv(design.T @ design) * (resid @ resid) / dof
    return Fit(float(coef[0]), float(math.sqrt(max(cov[0, 0], 0.0))), len(d))


def perceptron_exponents(table: pd.DataFrame, *, d: int | None = None) -> pd.DataFrame:
    """Exponents of the perceptron in the noise-dominated regime (Tα ≥ 64), one row per χ.

    ``delta``: slope of u∥ against T (intercept per P); ``gamma``: slope of u∥ against P (intercept per T);
    ``perp_slope_P``: slope of ‖u⊥‖/(T√d) against P; ``b``: slope of t*/T against P; ``t_slope_T``: slope of t*
    against T (intercept per P). Fitted on all seeds' runs that fitted every point.
    """
    rows = []
    t = table[table["fitted"] & (table["T_alpha"] >= NOISE_DOMINATED)].copy()
    if d is not None:
        t = t[t["d"] == d]
    t["perp_scaled"] = t["u_perp"] / (t["T"] * np.sqrt(t["d"]))
    t["tstar_over_T"] = t["t_star"] / t["T"]
    for chi, g in t.groupby("chi"):
        f = dict(chi=chi, gamma_theory=1 / (1 + chi), n_runs=len(g), n_P=g["P"].nunique())
        for name, (x, y, by) in {
            "delta": ("T", "u_par", ["P", "d"]),
            "gamma": ("P", "u_par", ["T", "d"]),
            "perp_slope_P": ("P", "perp_scaled", ["T", "d"]),
            "b": ("P", "tstar_over_T", ["T", "d"]),
            "t_slope_T": ("T", "t_star", ["P", "d"]),
        }.items():
            fit = loglog_slope(g, x, y, by)
            f[name], f[name + "_se"] = fit.slope, fit.stderr
        rows.append(f)
    return pd.DataFrame(rows)


def perceptron_noise_cost(table: pd.DataFrame) -> pd.Series:
    """Per χ: the mean test error of the noise-dominated runs (Tα ≥ 64) over that of the runs at the smallest
    Tα (the most gradient-descent-like), both averaged over P and seeds: how much noise costs the perceptron."""
    smallest = table[table["T_alpha"] == table["T_alpha"].min()].groupby("chi")["test_error"].mean()
    noisy = table[table["T_alpha"] >= NOISE_DOMINATED].groupby("chi")["test_error"].mean()
    return (noisy / smallest).rename("error ratio")


def perceptron_exponents_by_d(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`perceptron_exponents` for every dimension d, plus the plateau of ‖u⊥‖/(T√d) (mean, min, max over
    the runs with Tα ≥ 64): one row per (χ, d). The theory's laws carry no d beyond the √d in the scaling."""
    rows = []
    noisy = table[table["fitted"] & (table["T_alpha"] >= NOISE_DOMINATED)]
    plateau = (noisy["u_perp"] / (noisy["T"] * np.sqrt(noisy["d"]))).groupby([noisy["chi"], noisy["d"]])
    stats = plateau.agg(["mean", "min", "max"]).add_prefix("perp_scaled_")
    for d in sorted(table["d"].unique()):
        ex = perceptron_exponents(table, d=int(d)).assign(d=int(d))
        rows.append(ex.join(stats, on=["chi", "d"]))
    return pd.concat(rows, ignore_index=True)


# ==============================================================================================================
# The α-scaled MLP
# ==============================================================================================================
@dataclass
class TaskData:
    """A binary task split once: a fixed test set and a pool the training sets are drawn from."""

    name: str
    source: str
    x_pool: torch.Tensor
    y_pool: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_total: int

    def training_set(self, P: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``P`` points of the pool in the order of ``seed``: the training set changes with the seed
        (as in the authors' code), and sets of different P for one seed are nested."""
        if not 0 < P <= len(self.y_pool):
            raise ValueError(f"P must be in 1..{len(self.y_pool)} for {self.name}, got {P}")
        g = torch.Generator().manual_seed(10_000 + seed)
        idx = torch.randperm(len(self.y_pool), generator=g)[:P]
        return self.x_pool[idx], self.y_pool[idx]


def load_task(dataset: str, max_P: int) -> TaskData:
    """Parity task on ``'digits'`` (scikit-learn 8×8) or ``'mnist'`` (train ∪ test), globally normalised.

    The union is shuffled with a fixed seed; its first ``n_test`` points are the test set, where ``n_test`` is
    ``PAPER_TEST`` (32,768, the authors' ``pte``) when the data allows it and otherwise all points not needed for
    the largest training set ``max_P``. MNIST uses the authors' constants (x·255 − 33.310)/78.567; digits are
    standardised with their own global mean and standard deviation.
    """
    from ..data import load_digits, load_mnist, parity_labels

    if dataset == "digits":
        ds = load_digits()
        x = ds.x.double()
        x = (x - x.mean()) / x.std()
        y, source = parity_labels(ds), ds.source
    elif dataset == "mnist":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            train = load_mnist("train", allow_subset=True)
        test = load_mnist("test")
        x = torch.cat([train.x, test.x]).double()
        x = (x * 255 - 33.310) / 78.567
        y = torch.cat([parity_labels(train), parity_labels(test)])
        source = f"{train.source} + {test.source}"
    else:
        raise ValueError(f"dataset must be 'digits' or 'mnist', got {dataset!r}")
    n = len(y)
    if max_P >= n:
        raise ValueError(f"max_P must be smaller than the {n} points of {dataset}, got {max_P}")
    n_test = min(PAPER_TEST, n - max_P)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(12345))
    test, pool = order[:n_test], order[n_test:]
    return TaskData(dataset, source, x[pool].float(), y[pool].long(), x[test].float(), y[test].long(), n)


def available_Ps(dataset: str, Ps: tuple[int, ...]) -> tuple[int, ...]:
    """The P values of a sweep that the data allows while keeping ``MIN_TEST`` test points."""
    n = dataset_size(dataset)
    return tuple(P for P in Ps if P + MIN_TEST <= n)


@functools.cache
def dataset_size(dataset: str) -> int:
    """How many points the union of the dataset's splits holds here (MNIST offline: 10,999)."""
    if dataset == "digits":
        return 1797
    import warnings

    from ..data import load_mnist

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return len(load_mnist("train", allow_subset=True)) + len(load_mnist("test"))


def _mlp(cfg: dict, dim: int):
    from ..models import alpha_mlp

    return alpha_mlp(dim, cfg["depth"], cfg["width"], cfg["activation"], readout="1/h")


def train_mlp(
    cfg: dict, task: TaskData, P: int, seed: int, alphas, temps, *, show_progress: bool = True, desc: str = "MLP"
) -> tuple[pd.DataFrame, dict]:
    """Train every (α, T) member on one training set with the engine; return one row per member.

    ``dt = T·B·h`` (the engine's ``lr``). Rows carry ``status``: ``'fitted'`` (every training point has margin
    ≥ 1), ``'unfitted'`` (hit ``max_steps``) or ``'diverged'`` (non-finite loss, weights or output); a diverged
    run's ``test_error`` is 1.
    """
    from ..train import Data, grid, train

    x, y = task.training_set(P, seed)
    data = Data(x, y, task.x_test, task.y_test)
    B, h = cfg["batch_size"], cfg["width"]
    members = grid(alpha=list(alphas), T=list(temps), seed=seed, batch_size=B)
    members["lr"] = members["T"] * B * h
    members["P"] = P
    model = _mlp(cfg, x.shape[1])
    res = train(
        model,
        data,
        members,
        loss="hinge",
        steps=cfg["max_steps"],
        fit_margin=1.0,
        check_every=cfg["check_every"],
        dtype=getattr(torch, cfg["dtype"]),
        progress=show_progress,
        desc=desc,
    )
    final = res.table[res.table["final"]].copy()
    out = classify(final)
    stats = {
        "member_steps": int(final["stop_step"].sum()),
        "members": len(final),
        "engine_wall_time_s": res.wall_time_s,
    }
    return out, stats


def classify(final: pd.DataFrame) -> pd.DataFrame:
    """Tidy final rows: dt, t* = dt·steps, and a status; a diverged run counts as test error 1.

    A run is ``'diverged'`` if the engine stopped it on a non-finite loss or if its weights or test error are
    not finite (weights that overflowed while the output stayed finite, e.g. every ReLU dead); ``'unfitted'`` if
    it hit the step cap; otherwise ``'fitted'``. ``engine_test_error`` keeps the engine's own number.
    """
    out = pd.DataFrame(
        {
            "alpha": final["alpha"].to_numpy(float),
            "T": final["T"].to_numpy(float),
            "dt": final["lr"].to_numpy(float),
            "seed": final["seed"].to_numpy(int),
            "P": final["P"].to_numpy(int),
            "steps": final["stop_step"].to_numpy(int),
            "stop_reason": final["stop_reason"].astype(str).to_numpy(),
            "engine_test_error": final["test_error"].to_numpy(float),
            "rel_weight_change": final["rel_weight_change"].to_numpy(float),
            "train_unfitted": final["train_unfitted"].to_numpy(float),
        }
    )
    out["t_star"] = out["dt"] * out["steps"]
    bad = (
        (out["stop_reason"] == "diverged")
        | ~np.isfinite(out["rel_weight_change"])
        | ~np.isfinite(out["engine_test_error"])
    )
    out["status"] = np.where(bad, "diverged", np.where(out["stop_reason"] == "fitted", "fitted", "unfitted"))
    out["test_error"] = np.where(bad, 1.0, out["engine_test_error"])
    return out


def phase_blocks(scale: str) -> list[tuple[float, ...]]:
    """The T rows of the phase grid, cut into the blocks that are stored as one entry each (per seed), largest T
    first: the unstable and fast-fitting rows are cheap, the small-T rows run into the step cap and cost most."""
    cfg = PHASE[_check_scale(scale)]
    temps, n = sorted(cfg["temps"]), cfg["temps_per_entry"]
    return [tuple(temps[i : i + n]) for i in range(0, len(temps), n)][::-1]


def phase_config(scale: str, seed: int, n_total: int, temps) -> dict:
    """The store key of one block of T rows (all α) for one seed."""
    cfg = _jsonable(PHASE[_check_scale(scale)])
    cfg.pop("temps_per_entry")
    return {
        "experiment": "ch5-phase",
        "version": VERSION,
        "scale": scale,
        **cfg,
        "temps": [float(T) for T in temps],
        "seed": seed,
        "n_total": n_total,
        "loss": "hinge/alpha",
        "readout": "1/h",
        "split_seed": 12345,
    }


def lazy_Ps(scale: str) -> tuple[int, ...]:
    """The P values of the lazy sweep: at paper scale, those the data here allows (MNIST offline: up to 8192)."""
    cfg = LAZY[_check_scale(scale)]
    return available_Ps(cfg["dataset"], cfg["Ps"]) if scale == "paper" else tuple(cfg["Ps"])


def lazy_config(scale: str, P: int, seed: int, n_total: int, max_P: int) -> dict:
    cfg = LAZY[_check_scale(scale)]
    c = _jsonable(cfg)
    c.pop("Ps")
    return {
        "experiment": "ch5-lazy",
        "version": VERSION,
        "scale": scale,
        **c,
        "P": P,
        "seed": seed,
        "n_total": n_total,
        "max_P": max_P,
        "loss": "hinge/alpha",
        "readout": "1/h",
        "split_seed": 12345,
    }


def _jsonable(cfg: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in cfg.items()}


def _mlp_entry(config: dict, task_fn, P: int, seed: int, alphas, temps, desc: str, show: bool) -> dict:
    start = time.perf_counter()
    table, stats = train_mlp(
        PHASE[config["scale"]] if config["experiment"] == "ch5-phase" else LAZY[config["scale"]],
        task_fn(),
        P,
        seed,
        alphas,
        temps,
        show_progress=show,
        desc=desc,
    )
    wall = time.perf_counter() - start
    prov = _profile.provenance(wall, scale=config["scale"])
    prov.update(stats)
    prov["member_steps_per_s"] = round(stats["member_steps"] / max(stats["engine_wall_time_s"], 1e-9), 1)
    return {"table": table, "provenance": prov}


def capped_floor(table: pd.DataFrame, scale: str) -> float | None:
    """The largest T at which every run of a complete row of the phase grid (every α and seed of ``scale``) hit
    the step cap unfitted, or None. :func:`phase_results` runs no row below it: at a smaller dt the same number
    of steps covers less training time t = dt·steps along nearly the same gradient-descent-like path, so those
    runs cannot fit within the cap either, and each such row costs the full cap for every run."""
    cfg = PHASE[_check_scale(scale)]
    n_runs = len(cfg["alphas"]) * cfg["seeds"]
    if table.empty:
        return None
    rows = table.groupby("T")["status"].agg(n="size", capped=lambda s: bool((s == "unfitted").all()))
    full = rows[(rows["n"] == n_runs) & rows["capped"]]
    return float(full.index.max()) if len(full) else None


def phase_results(scale: str, store: Store, *, only_stored: bool = False, show_progress: bool = True):
    """The (α, T) grid at fixed P: one stored entry per block of T rows and seed (:func:`phase_blocks`), computed
    largest T first, and no row below a row where every run hit the step cap (:func:`capped_floor`). Returns
    (table, entries, missing (temps, seed) pairs); rows skipped below the floor are not missing.

    With several processes (one per core) an entry another process is computing is skipped; a process does not go
    below a block whose other runs all hit the cap while such an entry is unfinished: the process that finishes
    the block sees all of it and decides (a block may be the floor, and each row below costs the full cap)."""
    cfg = PHASE[_check_scale(scale)]
    n_total = dataset_size(cfg["dataset"])
    task = _lazy_task(cfg["dataset"], cfg["pool"])
    tables, entries, missing = [], {}, []
    for temps in phase_blocks(scale):
        rows, block, elsewhere = _pow2(temps, count=False), [], []

        def keep(seed, entry):
            block.append(entry.table)
            entries[f"phase diagram, T = {rows}, seed {seed}"] = entry

        for seed in seeds(cfg["seeds"]):
            config = phase_config(scale, seed, n_total, temps)
            entry = store.get(config)
            if entry is None and not only_stored:
                entry = store.cached(
                    config,
                    lambda: _mlp_entry(
                        config,
                        task,
                        cfg["P"],
                        seed,
                        cfg["alphas"],
                        temps,
                        f"phase T = {rows}, seed {seed}",
                        show_progress,
                    ),
                    shared=True,
                )  # another process may be computing this row (one per core)
                if entry is None:
                    elsewhere.append((seed, config))
                    continue
            if entry is None:
                missing.append((temps, seed))
                continue
            keep(seed, entry)
        for seed, config in elsewhere:  # stored by another process meanwhile: the last to finish sees the whole block
            entry = store.get(config)
            if entry is None:
                missing.append((temps, seed))
            else:
                keep(seed, entry)
        tables += block
        if not block:
            continue
        done = pd.concat(block, ignore_index=True)
        if capped_floor(done, scale) is not None:
            break
        if len(block) < cfg["seeds"] and elsewhere and (done["status"] == "unfitted").all():
            break  # another process is finishing a block whose runs all hit the cap so far: it decides what is below
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()), entries, missing


def lazy_results(
    scale: str, store: Store, *, only_stored: bool = False, show_progress: bool = True, seed_offset: int | None = None
):
    """The lazy-regime T sweep for every P the data allows: one entry per (P, seed).

    ``seed_offset`` replaces ``LRLIB_SEED`` for the seeds, e.g. :data:`LAZY_CHECK_OFFSET` for the independent
    seed set that checks the chapter's lazy-regime numbers."""
    cfg = LAZY[_check_scale(scale)]
    Ps = lazy_Ps(scale)
    n_total = dataset_size(cfg["dataset"])
    task = _lazy_task(cfg["dataset"], max(Ps))
    tables, entries, missing = [], {}, []
    for P in Ps:
        for seed in seeds(cfg["seeds"], seed_offset):
            config = lazy_config(scale, P, seed, n_total, max(Ps))
            entry = store.get(config)
            if entry is None and not only_stored:
                entry = store.cached(
                    config,
                    lambda: _mlp_entry(
                        config, task, P, seed, [cfg["alpha"]], cfg["temps"], f"lazy P={P} seed {seed}", show_progress
                    ),
                )
            if entry is None:
                missing.append((P, seed))
                continue
            tables.append(entry.table)
            entries[f"lazy sweep, P={P}, seed {seed}"] = entry
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()), entries, missing


def _lazy_task(dataset: str, max_P: int):
    """A loader that reads the data only when something must be trained."""
    cache = {}

    def get() -> TaskData:
        if "task" not in cache:
            cache["task"] = load_task(dataset, max_P)
        return cache["task"]

    return get


# ==============================================================================================================
# Which scale each part shows, and whether the paper scale is stored
# ==============================================================================================================
PARTS = ("perceptron", "phase", "lazy")


def _results_fn(part: str):
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return {"perceptron": perceptron_results, "phase": phase_results, "lazy": lazy_results}[part]


def part_stored(part: str) -> tuple[bool, int, int]:
    """(any stored, number stored, number expected) for the paper-scale entries of one part."""
    fn = _results_fn(part)
    store = Store(default_store("paper").root, read_only=True)
    try:
        _, entries, missing = fn("paper", store, only_stored=True, show_progress=False)
    except DataError:  # no data to even build the configurations: nothing can be stored
        return False, 0, -1
    return bool(entries), len(entries), len(entries) + len(missing)


def paper_results_stored() -> bool:
    """True iff every paper-scale entry of every part is stored in ``book/_results``."""
    return all(n == total and total > 0 for _, n, total in (part_stored(p) for p in PARTS))


def part_scale(run, part: str) -> str:
    """The scale one part of the chapter shows. Smoke when smoke was asked for; when the book build reads stored
    results (``LRLIB_RESULTS=stored``) a part shows the paper scale if any of its paper entries is stored (the
    notebook lists what is missing) and the smoke scale otherwise; ``compute`` at paper scale computes it."""
    if run.requested_scale == "smoke":
        return "smoke"
    if _profile.results_mode() == "compute":
        return "paper"
    return "paper" if part_stored(part)[0] else "smoke"


def part_store(run, scale: str) -> Store:
    """The store a part at ``scale`` reads: the run's own one, or the shipped paper results (read-only)."""
    if scale == run.scale:
        return run.store
    return default_store(scale)


def load_part(run, part: str, *, show_progress: bool = True):
    """(scale, table, entries, missing) for one part, computed or read as :func:`part_scale` decides."""
    scale = part_scale(run, part)
    store = part_store(run, scale)
    only_stored = scale == "paper" and _profile.results_mode() == "stored"
    table, entries, missing = _results_fn(part)(scale, store, only_stored=only_stored, show_progress=show_progress)
    return scale, table, entries, missing


def describe_missing(part: str, missing: list) -> str:
    """The entries of a part's paper grid that are not stored, in a few words."""
    if not missing:
        return "none"
    if part == "perceptron":
        pairs = sorted({(chi, d) for chi, d, _ in missing})
        return "; ".join(
            f"χ = {chi:g}, d = {d}: P " + ", ".join(str(P) for c, dd, P in missing if (c, dd) == (chi, d))
            for chi, d in pairs
        )
    if part == "phase":
        seeds_missing: dict[float, list[int]] = {}
        for temps, seed in missing:
            for T in temps:
                seeds_missing.setdefault(T, []).append(seed)
        groups: dict[tuple[int, ...], list[float]] = {}
        for T, s in sorted(seeds_missing.items()):
            groups.setdefault(tuple(sorted(s)), []).append(T)
        return "; ".join(
            f"seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))} at T = {_pow2(temps)}"
            for s, temps in groups.items()
        )
    return ", ".join(f"P = {P} seed {s}" for P, s in missing)


def scales_table(parts: dict) -> pd.DataFrame:
    """One row per part: its scale, how many stored entries it uses and what is missing."""
    rows = []
    for name, (scale, table, entries, missing) in parts.items():
        rows.append(
            {
                "part": name,
                "scale shown": scale,
                "entries": len(entries),
                "runs": len(table),
                "missing entries": len(missing) if missing else 0,
            }
        )
    return pd.DataFrame(rows)


# ==============================================================================================================
# MLP analysis
# ==============================================================================================================
def _on_grid(frame: pd.DataFrame, grid) -> pd.DataFrame:
    """A (T × α) pivot on the full grid ``(alphas, temps)``: cells with no runs are NaN."""
    return frame if grid is None else frame.reindex(index=sorted(grid[1]), columns=sorted(grid[0]))


def cell_means(table: pd.DataFrame, value: str, grid=None) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Seed means of ``value`` on the (T, α) grid: (alphas, temps, frame indexed by T with α columns). With
    ``grid = (alphas, temps)`` the frame covers that whole grid, NaN where nothing was computed."""
    m = _on_grid(table.pivot_table(index="T", columns="alpha", values=value, aggfunc="mean"), grid)
    return m.columns.to_numpy(float), m.index.to_numpy(float), m


def cell_table(table: pd.DataFrame, value: str, every: int = 3, scale: float = 1.0) -> pd.DataFrame:
    """Seed means of ``value`` × ``scale`` as a readable table: one row per T (largest first), every ``every``-th α
    and the largest, labelled as powers of two."""
    if every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    m = cell_means(table, value)[2]
    cols = m.columns[np.unique(np.r_[0 : len(m.columns) : every, len(m.columns) - 1])]
    out = (scale * m[cols]).iloc[::-1]
    out.index = [f"2^{math.log2(T):g}" for T in out.index]
    out.columns = [f"2^{math.log2(a):g}" for a in cols]
    return out.rename_axis(index="T", columns="α")


def status_masks(table: pd.DataFrame, grid=None) -> tuple[np.ndarray, np.ndarray]:
    """Boolean [T, α] masks: some seed diverged; some seed hit the step cap without fitting."""

    def mask(status):
        v = table.assign(v=table["status"] == status).pivot_table(index="T", columns="alpha", values="v", aggfunc="max")
        return _on_grid(v, grid).fillna(False).to_numpy(bool)

    return mask("diverged"), mask("unfitted")


def stability_edge(table: pd.DataFrame) -> dict:
    """The edge of stability of the phase diagram: per α, the largest T of a cell where no seed diverged
    (``T_max``, NaN if every cell of the column diverged), and how many cells have a diverged seed."""
    ok = table.groupby(["alpha", "T"])["status"].apply(lambda s: (s != "diverged").all())
    stable = ok[ok].reset_index()
    t_max = stable.groupby("alpha")["T"].max().reindex(sorted(table["alpha"].unique()))
    return {"n_cells": len(ok), "n_diverged_cells": int((~ok).sum()), "T_max": t_max}


def lazy_column(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of the largest α (the lazy column of the phase diagram)."""
    return table[table["alpha"] == table["alpha"].max()]


def claim_s5(table: pd.DataFrame) -> dict:
    """S5: in the lazy column, relative weight change at the largest T where every seed fitted over that at the
    smallest such T; and the log-log slope of t* against T over those T values (every seed), with whether the
    seed mean of t* is strictly increasing (it need not be at the smallest T, where αT < 1 and t* is flat).
    A run that diverged or hit the step cap has no t* (a capped run's dt × steps only bounds it from below)."""
    col = lazy_column(table)
    ok = col.groupby("T")["status"].apply(lambda s: (s == "fitted").all())
    temps = ok.index[ok.to_numpy()].to_numpy(float)
    means = col[col["T"].isin(temps)].groupby("T")[["rel_weight_change", "t_star"]].mean()
    ratio = means["rel_weight_change"].iloc[-1] / means["rel_weight_change"].iloc[0]
    t = means["t_star"].to_numpy()
    slope = loglog_slope(col[col["T"].isin(temps)], "T", "t_star")
    return {
        "alpha": float(col["alpha"].iloc[0]),
        "T_small": float(temps[0]),
        "T_large": float(temps[-1]),
        "ratio": float(ratio),
        "t_star": t,
        "t_increasing": bool(np.all(np.diff(t) > 0)),
        "t_star_slope": slope.slope,
        "t_star_slope_se": slope.stderr,
    }


def claim_s6(table: pd.DataFrame) -> dict:
    """S6: relative weight change at the smallest α over that at the largest α, at every T where neither
    cell has a diverged seed; returns the smallest of these ratios. The smallest α is the smallest one that
    shares such a T with the largest α (at paper scale the smallest α diverge at every T computed so far)."""
    large = table["alpha"].max()
    g = table.groupby(["alpha", "T"])
    ok = g["status"].apply(lambda s: (s != "diverged").all())
    means = g["rel_weight_change"].mean()
    temps = sorted(table["T"].unique())
    small, ratios = large, {}
    for a in sorted(table["alpha"].unique()):
        common = [T for T in temps if ok.get((a, T), False) and ok.get((large, T), False)]
        if common and a < large:
            small = a
            ratios = {float(T): float(means[(a, T)] / means[(large, T)]) for T in common}
            break
    return {
        "alpha_small": float(small),
        "alpha_large": float(large),
        "ratios": ratios,
        "min_ratio": min(ratios.values()) if ratios else float("nan"),
    }


def claim_s7(table: pd.DataFrame) -> dict:
    """S7: every diverged run is flagged and counted as error 1; also how many had a non-finite quantity and
    how many the engine itself scored below 1 (e.g. weights that overflowed while the output stayed finite)."""
    div = table[table["status"] == "diverged"]
    return {
        "n_runs": len(table),
        "n_diverged": len(div),
        "n_error_one": int((div["test_error"] == 1.0).sum()),
        "n_engine_below_one": int((div["engine_test_error"] < 1.0).sum()),
        "n_nonfinite_unflagged": int(
            (
                (~np.isfinite(table["rel_weight_change"]) | ~np.isfinite(table["engine_test_error"]))
                & (table["status"] != "diverged")
            ).sum()
        ),
        "n_zero_error_diverged": int((div["test_error"] == 0).sum()),
    }


def lazy_summary(table: pd.DataFrame, tc: pd.DataFrame) -> pd.DataFrame:
    """One row per P of the lazy sweep: the small-T plateau error and T_c (from :func:`tc_rule`), the lowest
    seed-mean error of a T where no seed diverged and its T, the median steps to fit at the smallest T, and the
    smallest T at which a seed diverged."""
    rows = []
    tc = tc.set_index("P")
    for P, g in table.groupby("P"):
        by_T = g.groupby("T")
        stable = by_T["status"].apply(lambda s: bool((s != "diverged").all()))
        error = by_T["test_error"].mean()[stable]
        diverged = stable.index[~stable.to_numpy()]
        smallest = g[g["T"] == g["T"].min()]
        plateau = float(tc.at[P, "plateau_error"])
        rows.append(
            {
                "P": P,
                "plateau_error": plateau,
                "T_c": float(tc.at[P, "T_c"]),
                "lowest_error": float(error.min()),
                "T_lowest": float(error.idxmin()),
                "change_vs_plateau": float(error.min() / plateau - 1),
                "steps_smallest_T": float(smallest["steps"].median()),
                "first_T_diverged": float(diverged.min()) if len(diverged) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def lazy_fits(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The lazy sweep's fitted numbers for each named seed set: T_c per P, a, δ, γ, γ/δ, b, |a − γ/δ|."""
    rows = []
    for name, table in tables.items():
        tc, ex = tc_fit(table), lazy_exponents(table)
        row = {"seed set": name, "seeds": ", ".join(str(s) for s in sorted(table["seed"].unique()))}
        row.update({f"T_c(P={int(r.P)})": r.T_c for r in tc["tc"].itertuples()})
        row.update(
            {
                "a": tc["a"],
                "a_se": tc["a_se"],
                "delta": ex["delta"],
                "gamma": ex["gamma"],
                "gamma/delta": ex["gamma_over_delta"],
                "b": ex["b"],
                "|a - gamma/delta|": abs(tc["a"] - ex["gamma_over_delta"]),
            }
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index("seed set")


def tc_rule(table: pd.DataFrame, n_plateau: int = 3, relative: float = TC_RELATIVE) -> pd.DataFrame:
    """T_c(P), the temperature at which test error leaves its small-T plateau (operational rule).

    For each P: ``e(T)`` is the seed-mean test error over runs that did not diverge, at the T values where no
    more than half of the seeds diverged; the plateau is the mean of ``e`` over the ``n_plateau`` smallest T;
    ``T_c`` is the smallest T beyond those such that ``|e(T') − plateau| > relative × plateau`` for every
    ``T' ≥ T``. NaN if the error never leaves the plateau before divergence.
    """
    rows = []
    for P, g in table.groupby("P"):
        ok = g[g["status"] != "diverged"]
        keep = g.groupby("T")["status"].apply(lambda s: (s == "diverged").mean() <= 0.5)
        e = ok[ok["T"].isin(keep.index[keep.to_numpy()])].groupby("T")["test_error"].mean().sort_index()
        Tc = float("nan")
        if len(e) > n_plateau:
            plateau = e.iloc[:n_plateau].mean()
            away = (e - plateau).abs() > relative * plateau
            away.iloc[:n_plateau] = False
            persistent = away[::-1].cummin()[::-1]  # away here and at every larger T
            if persistent.any():
                Tc = float(persistent.index[persistent.to_numpy()][0])
            rows.append({"P": P, "plateau_error": plateau, "T_c": Tc})
        else:
            rows.append({"P": P, "plateau_error": float("nan"), "T_c": Tc})
    return pd.DataFrame(rows)


def tc_fit(table: pd.DataFrame, n_boot: int = 200, seed: int = 0) -> dict:
    """Fit T_c ∝ P^(−a) on the P values where T_c exists; the error bar is the bootstrap standard deviation of
    a over seeds resampled with replacement within each P (``n_boot`` resamples)."""
    tc = tc_rule(table)
    good = tc.dropna()
    out = {"tc": tc, "a": float("nan"), "a_se": float("nan"), "n_P": len(good)}
    if len(good) < 2:
        return out
    out["a"] = -float(np.polyfit(np.log(good["P"]), np.log(good["T_c"]), 1)[0])
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        parts = []
        for P, g in table.groupby("P"):
            s = g["seed"].unique()
            pick = rng.choice(s, size=len(s), replace=True)
            parts.append(pd.concat([g[g["seed"] == v].assign(seed=i) for i, v in enumerate(pick)]))
        b = tc_rule(pd.concat(parts)).dropna()
        if len(b) >= 2:
            boots.append(-np.polyfit(np.log(b["P"]), np.log(b["T_c"]), 1)[0])
    if len(boots) > 10:
        out["a_se"] = float(np.std(boots))
    return out


def lazy_exponents(table: pd.DataFrame, small: float = LAZY_SMALL_CHANGE) -> dict:
    """Exponents of the lazy sweep, fitted on every seed's fitted runs.

    ``delta``, ``gamma``: relative weight change ≈ c·T^δ·P^γ, a joint least-squares fit of log Δw on log T and
    log P over runs whose change is below ``small`` (the lazy part); ``b``: slope of t*/T against P (intercept
    per T); ``t_slope_T``: slope of t* against T (intercept per P).
    """
    fitted = table[table["status"] == "fitted"]
    lazy = fitted[fitted["rel_weight_change"] < small]
    out = {"n_fit": len(lazy)}
    if len(lazy) >= 4 and lazy["P"].nunique() >= 2 and lazy["T"].nunique() >= 2:
        X = np.column_stack([np.log(lazy["T"]), np.log(lazy["P"]), np.ones(len(lazy))])
        yv = np.log(lazy["rel_weight_change"].to_numpy(float))
        coef, *_ = np.linalg.lstsq(X, yv, rcond=None)
        resid = yv - X @ coef
        cov = np.linalg.pinv(X.T @ X) * (resid @ resid) / max(len(yv) - 3, 1)
        out.update(
            delta=float(coef[0]),
            delta_se=float(math.sqrt(cov[0, 0])),
            gamma=float(coef[1]),
            gamma_se=float(math.sqrt(cov[1, 1])),
            log_c=float(coef[2]),
        )
        out["gamma_over_delta"] = out["gamma"] / out["delta"]
    else:
        out.update(
            delta=float("nan"),
            delta_se=float("nan"),
            gamma=float("nan"),
            gamma_se=float("nan"),
            gamma_over_delta=float("nan"),
        )
    f = fitted.assign(tstar_over_T=fitted["t_star"] / fitted["T"])
    b = loglog_slope(f, "P", "tstar_over_T", "T")
    ts = loglog_slope(f, "T", "t_star", "P")
    out.update(b=b.slope, b_se=b.stderr, t_slope_T=ts.slope, t_slope_T_se=ts.stderr)
    return out


def optimal_temperature(table: pd.DataFrame, alpha_max: float = 1.0) -> pd.DataFrame:
    """For each α ≤ ``alpha_max``: the T of the lowest seed-mean test error among cells with no diverged or
    unfitted seed (T_opt), to test T_opt ∝ α^k."""
    rows = []
    for a, g in table[table["alpha"] <= alpha_max].groupby("alpha"):
        ok = g.groupby("T")["status"].apply(lambda s: (s == "fitted").all())
        e = g[g["T"].isin(ok.index[ok.to_numpy()])].groupby("T")["test_error"].mean()
        if len(e):
            rows.append({"alpha": a, "T_opt": float(e.idxmin()), "error": float(e.min())})
    return pd.DataFrame(rows)


def opposite_effects(table: pd.DataFrame, z: float = 2.0) -> pd.DataFrame:
    """Cells where doubling T and halving α both change the seed-mean test error by more than ``z`` standard
    errors, in opposite directions (raising T helps while lowering α hurts, or the reverse)."""
    ok = table.groupby(["alpha", "T"])["status"].apply(lambda s: (s == "fitted").all())
    stats = table.groupby(["alpha", "T"])["test_error"].agg(["mean", "sem"])
    alphas, temps = sorted(table["alpha"].unique()), sorted(table["T"].unique())
    rows = []
    for i, a in enumerate(alphas[1:], start=1):
        for j, T in enumerate(temps[:-1]):
            cells = [(a, T), (a, temps[j + 1]), (alphas[i - 1], T)]
            if not all(ok.get(c, False) for c in cells):
                continue
            m0, s0 = stats.loc[(a, T)]
            dT = stats.loc[(a, temps[j + 1]), "mean"] - m0
            sT = math.hypot(s0, stats.loc[(a, temps[j + 1]), "sem"])
            dA = stats.loc[(alphas[i - 1], T), "mean"] - m0
            sA = math.hypot(s0, stats.loc[(alphas[i - 1], T), "sem"])
            if abs(dT) > z * sT and abs(dA) > z * sA and np.sign(dT) != np.sign(dA):
                rows.append({"alpha": a, "T": T, "d_err_raise_T": dT, "d_err_lower_alpha": dA})
    return pd.DataFrame(rows, columns=["alpha", "T", "d_err_raise_T", "d_err_lower_alpha"])


def step_resolution(table: pd.DataFrame, alpha_min: float, temps: tuple[float, float]) -> dict:
    """How well single factor-2 steps are resolved on the cells with α ≥ ``alpha_min`` and T in ``temps`` where
    every seed fitted: the median |change| of the seed-mean test error per step in T and per step in α, the
    median standard error of a cell's mean, and the change a step needs to pass P7's test (2 SE of a
    difference of two cell means with that SE)."""
    ok = table.groupby(["alpha", "T"])["status"].transform(lambda s: (s == "fitted").all())
    cells = table[ok & (table["alpha"] >= alpha_min) & table["T"].between(*temps)]
    if cells.empty:
        raise ValueError(f"no cell with every seed fitted at alpha >= {alpha_min:g} and T in {temps}")
    stats = cells.groupby(["T", "alpha"])["test_error"].agg(["mean", "sem"])
    m = stats["mean"].unstack().to_numpy()
    sem = float(stats["sem"].median())
    return {
        "step_T": float(np.nanmedian(np.abs(np.diff(m, axis=0)))),
        "step_alpha": float(np.nanmedian(np.abs(np.diff(m, axis=1)))),
        "sem": sem,
        "needed": 2 * math.sqrt(2) * sem,
        "n_cells": len(stats),
    }


# ==============================================================================================================
# Overview of the scales, and the command line
# ==============================================================================================================
def _pow2(values, count: bool = True) -> str:
    """``2^a…2^b (n)`` for a sorted list of powers of two (``2^a`` for one value)."""
    ks = [math.log2(v) for v in values]
    fmt = lambda k: f"{k:g}" if abs(k - round(k)) < 1e-9 else f"{k:.2f}"  # noqa: E731
    if len(ks) == 1:
        return f"2^{fmt(ks[0])}"
    return f"2^{fmt(ks[0])}…2^{fmt(ks[-1])}" + (f" ({len(ks)})" if count else "")


def scales_overview() -> pd.DataFrame:
    """Both scales of every experiment, side by side (what shrinks at smoke)."""
    rows = []
    for scale in ("smoke", "paper"):
        p, ph, lz = PERCEPTRON[scale], PHASE[scale], LAZY[scale]
        groups = perceptron_groups(scale)
        rows.append(
            {
                "scale": scale,
                "experiment": "perceptron",
                "grid": f"χ {list(p['chis'])}, d {list(p['ds'])}, P {list(p['Ps'])}, dt {_pow2(p['dts'])}"
                + (f"; χ = 0 only d = 16, P ≤ {p['chi0_max_P']}" if "chi0_max_P" in p else ""),
                "seeds": p["seeds"],
                "runs": len(groups) * len(p["dts"]) * p["seeds"],
                "model / data": "α = 2^15, B = 2, event-driven SGD; population test error",
            }
        )
        rows.append(
            {
                "scale": scale,
                "experiment": "(α, T) phase diagram",
                "grid": f"α {_pow2(ph['alphas'])}, T {_pow2(ph['temps'])}, P = {ph['P']}",
                "seeds": ph["seeds"],
                "runs": len(ph["alphas"]) * len(ph["temps"]) * ph["seeds"],
                "model / data": f"{ph['dataset']} parity; MLP L = {ph['depth']}, h = {ph['width']}, "
                f"{ph['activation']}; B = {ph['batch_size']}; ≤ {ph['max_steps']:,} steps",
            }
        )
        rows.append(
            {
                "scale": scale,
                "experiment": "lazy T sweep",
                "grid": f"α = 2^{math.log2(lz['alpha']):g}, T {_pow2(lz['temps'])}, P {list(lz['Ps'])}"
                + (" (those the data allows)" if scale == "paper" else ""),
                "seeds": lz["seeds"],
                "runs": len(lz["Ps"]) * len(lz["temps"]) * lz["seeds"],
                "model / data": f"{lz['dataset']} parity; MLP L = {lz['depth']}, h = {lz['width']}, "
                f"{lz['activation']}; B = {lz['batch_size']}; ≤ {lz['max_steps']:,} steps",
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """Compute and store one part at the active scale, e.g. on a GPU machine:

    ``LRLIB_PROFILE=paper python -m lrlib.papers.sgd_noise_phase phase lazy``
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("parts", nargs="+", choices=PARTS)
    args = parser.parse_args(argv)
    _profile.configure_threads()
    scale = _profile.profile()
    store = default_store(scale)
    for part in args.parts:
        start = time.perf_counter()
        table, entries, missing = _results_fn(part)(scale, store)
        print(
            f"{part} ({scale}): {len(entries)} entries, {len(table)} runs, {len(missing)} missing, "
            f"{time.perf_counter() - start:.0f} s"
        )


if __name__ == "__main__":
    main()
