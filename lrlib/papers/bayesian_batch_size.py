"""Smith & Le (2018), *A Bayesian perspective on generalization and SGD*: the chapter's experiments.

Two parts, each with its two scales defined side by side below.

1. **Evidence** (figures 1-3): L2-regularised logistic regression on MNIST 0 vs 1, with informative, partly
   random and random labels; for each prior precision ``lam`` the exact Newton minimum and its Laplace evidence
   (:mod:`lrlib.theory`). CPU-cheap at both scales.
2. **Batch-size sweeps** (figures 4-7): a one-hidden-layer ReLU net trained with SGD + momentum for a fixed
   number of epochs, over a grid of batch sizes B, learning rates eps and momenta m, trained by the ensemble
   engine (:mod:`lrlib.train`); see :mod:`lrlib.papers.bayesian_batch_size_sweeps`.

Data (both scales, every machine): the offline-reproducible MNIST pool = the canonical 10,000-image test split
plus the first 999 images of the training split. The paper drew its training sets from the 60,000 training
images [recalled]; the full training images are not available offline, and a fixed pool keeps the stored
paper-scale results reproducible on any machine.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .. import profile, theory
from ..progress import progress
from ..store import Entry, Store, default_store

EVIDENCE_EXPERIMENT = "ch3-evidence"
EVIDENCE_VERSION = 1
LN2 = float(np.log(2.0))


# ------------------------------------------------------------------------------------------ the two scales
@dataclass(frozen=True)
class EvidenceScale:
    """One scale of the evidence experiment (figures 1-3).

    n_train : training images, half zeros and half ones (paper: 800 [recalled])
    lams : prior precisions lam on the summed cost, strongest first (pixels in [0, 1]; for raw 0-255 pixels the
        same models have lam * 255**2)
    noise : label-noise levels q: each label (train and test) is replaced by a fair coin with probability q;
        q = 0 is the informative task, q = 1 the random-label task
    seeds : seed bases; each seed draws its own train/test split and its own coins
    """

    n_train: int
    lams: tuple[float, ...]
    noise: tuple[float, ...]
    seeds: tuple[int, ...]


def _grid(high: int, low: int, per_decade: int = 2) -> tuple[float, ...]:
    return tuple(float(v) for v in np.logspace(high, low, (high - low) * per_decade + 1))


EVIDENCE = {
    # smoke: the spec's N = 200 from the MNIST pool and its lam grid 1e3..1e-4 (15 values); 3 seeds
    "smoke": EvidenceScale(n_train=200, lams=_grid(3, -4), noise=(0.0, 0.2, 0.5, 1.0), seeds=(0, 1, 2)),
    # paper: N = 800 as recalled for the paper; lam down to 1e-7 (21 values), where N = 800 random labels are
    # memorised with [0, 1] pixels (they are not at 1e-3: see the chapter); 5 seeds
    "paper": EvidenceScale(n_train=800, lams=_grid(3, -7), noise=(0.0, 0.2, 0.5, 1.0), seeds=(0, 1, 2, 3, 4)),
}


# ----------------------------------------------------------------------------------------------------- data
def mnist_pool() -> tuple[np.ndarray, np.ndarray, str]:
    """The MNIST pool every scale draws from: the 10,000 test images and the first 999 training images.

    Returns inputs [10999, 784] float64 in [0, 1], labels [10999] int, and a description of the files used.
    """
    from ..data import load_mnist

    test = load_mnist("test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # offline: the loader warns that it has 999 images only
        train = load_mnist("train", allow_subset=True)
    x = np.concatenate([test.x.numpy(), train.x[:999].numpy()]).astype(np.float64)
    y = np.concatenate([test.y.numpy(), train.y[:999].numpy()])
    source = (
        "MNIST: the canonical 10,000-image test split plus the first 999 images of the training split "
        "(10,999 real images; pixels / 255)"
    )
    return x, y, source


def zeros_vs_ones(x: np.ndarray, y: np.ndarray, n_train: int, rng: np.random.Generator):
    """A balanced 0-vs-1 split: n_train/2 of each class for training, the rest (balanced) for testing.

    Returns (x_train, y_train, x_test, y_test) with 0/1 labels (1 = digit one).
    """
    if n_train <= 0 or n_train % 2:
        raise ValueError(f"n_train must be a positive even number, got {n_train}")
    zeros, ones = rng.permutation(np.flatnonzero(y == 0)), rng.permutation(np.flatnonzero(y == 1))
    half = n_train // 2
    n_test = min(len(zeros), len(ones)) - half
    if n_test <= 0:
        raise ValueError(f"n_train={n_train} leaves no test images (pool: {len(zeros)} zeros, {len(ones)} ones)")
    train = np.concatenate([zeros[:half], ones[:half]])
    test = np.concatenate([zeros[half : half + n_test], ones[half : half + n_test]])
    return x[train], (y[train] == 1).astype(float), x[test], (y[test] == 1).astype(float)


def noisy_labels(y: np.ndarray, noise: float, u: np.ndarray, coin: np.ndarray) -> np.ndarray:
    """Replace label i by the fair coin ``coin[i]`` where ``u[i] < noise`` (nested in ``noise`` for fixed u)."""
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must lie in [0, 1], got {noise}")
    return np.where(u < noise, coin, y)


# ------------------------------------------------------------------------------------------ the evidence run
def _cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def evidence_sweep(x_train, y_train, x_test, y_test, lams) -> pd.DataFrame:
    """Fit the L2 logistic regression at every ``lam`` (strongest first, warm-started) and measure it.

    Columns: lam, train/test accuracy and cross-entropy (per example), and per example: the depth C(w0)/N,
    the breadth occam/N = (1/2N) sum ln(lam_i/lam), and E/N = (C + occam)/N - ln 2 (minus the log evidence ratio
    against the null model: below 0 the model beats guessing).
    """
    X, Xt = theory.with_bias(x_train), theory.with_bias(x_test)
    n = X.shape[0]
    rows, w = [], None
    for lam in lams:
        fit = theory.laplace_evidence(X, y_train, lam, w_init=w)
        w = fit.weights
        z, zt = X @ w, Xt @ w
        rows.append(
            {
                "lam": lam,
                "train_accuracy": float(np.mean((z > 0) == (y_train == 1))),
                "test_accuracy": float(np.mean((zt > 0) == (y_test == 1))),
                "train_ce": _cross_entropy(z, y_train),
                "test_ce": _cross_entropy(zt, y_test),
                "depth": fit.cost / n,
                "occam": fit.occam / n,
                "evidence": fit.neg_log_evidence_ratio / n,
                "weight_norm": float(np.linalg.norm(w)),
            }
        )
    return pd.DataFrame(rows)


def evidence_config(scale: str) -> dict:
    """The full configuration of the evidence experiment at a scale (the store key)."""
    cfg = EVIDENCE[scale]
    return {
        "experiment": EVIDENCE_EXPERIMENT,
        "version": EVIDENCE_VERSION,
        "scale": scale,
        **asdict(cfg),
        "seed_offset": profile.seed_offset(),
        "data": "mnist-test10k+train-first999, digits 0 vs 1, pixels/255",
        "model": "logistic regression, 784 weights + bias, L2 on all (prior precision lam on the summed cost)",
    }


def compute_evidence(scale: str) -> dict:
    """Run the evidence experiment at ``scale``; returns ``Store.put`` keyword arguments."""
    from threadpoolctl import threadpool_limits

    cfg = EVIDENCE[scale]
    start = time.perf_counter()
    x, y, source = mnist_pool()
    tables = []
    jobs = [(s, q) for s in cfg.seeds for q in cfg.noise]
    # one BLAS thread: these are small matrices, and several notebooks may share the cores
    with threadpool_limits(limits=1, user_api="blas"):
        for seed, noise in progress(jobs, desc="evidence (seed, label noise)", unit="sweep"):
            rng = np.random.default_rng(profile.seed(seed))
            xtr, ytr, xte, yte = zeros_vs_ones(x, y, cfg.n_train, rng)
            u_tr, c_tr = rng.random(len(ytr)), rng.integers(0, 2, len(ytr)).astype(float)
            u_te, c_te = rng.random(len(yte)), rng.integers(0, 2, len(yte)).astype(float)
            table = evidence_sweep(
                xtr, noisy_labels(ytr, noise, u_tr, c_tr), xte, noisy_labels(yte, noise, u_te, c_te), cfg.lams
            )
            table.insert(0, "noise", noise)
            table.insert(0, "seed", seed)
            table["n_test"] = len(yte)
            tables.append(table)
    wall = time.perf_counter() - start
    prov = profile.provenance(wall, scale=scale) | {"data_source": source, "device": "CPU (numpy/scipy, 1 BLAS thread)"}
    return {"table": pd.concat(tables, ignore_index=True), "provenance": prov}


def evidence_results_stored() -> bool:
    """True iff the paper-scale evidence results (figures 1-3) ship with the book."""
    return default_store("paper").has(evidence_config("paper"))


def paper_results_stored() -> bool:
    """True iff every paper-scale result of the chapter (evidence and batch-size sweeps) is stored."""
    from . import bayesian_batch_size_sweeps as sweeps

    return evidence_results_stored() and sweeps.results_stored(default_store("paper"), "paper")


def evidence_results(store: Store, scale: str) -> Entry:
    """The stored evidence results for ``scale``, computing them first if needed (and allowed)."""
    return store.cached(evidence_config(scale), lambda: compute_evidence(scale))


def scales_table() -> pd.DataFrame:
    """Both scales of both parts, side by side (rows: parameters; columns: smoke, paper)."""
    from .bayesian_batch_size_sweeps import SWEEPS

    def short(v):
        if isinstance(v, tuple) and len(v) > 6:
            return f"{len(v)} values, {v[0]:g} … {v[-1]:g}"
        return ", ".join(f"{x:g}" for x in v) if isinstance(v, tuple) else v

    rows = {}
    for name in ("n_train", "lams", "noise", "seeds"):
        rows[f"evidence: {name}"] = {s: short(getattr(EVIDENCE[s], name)) for s in EVIDENCE}
    for name in SWEEPS["smoke"].__dataclass_fields__:
        rows[f"sweeps: {name}"] = {s: short(getattr(SWEEPS[s], name)) for s in SWEEPS}
    return pd.DataFrame(rows).T


# ------------------------------------------------------------------------------------------ measurements
def per_lam(table: pd.DataFrame, column: str, noise: float) -> pd.DataFrame:
    """[seeds, lams] array of ``column`` at one noise level, as a DataFrame indexed by seed, columns by lam."""
    sub = table[np.isclose(table["noise"], noise)]
    return sub.pivot(index="seed", columns="lam", values=column).sort_index(axis=1, ascending=False)


def evidence_summary(table: pd.DataFrame, memorise_below: float | None = None) -> dict:
    """The numbers the claims check, from one evidence table (seed means unless said otherwise).

    ``memorise_below``: also report the lowest random-label training accuracy over every seed and every
    lam <= this value (the spec's smoke check uses 0.03).
    """

    def mean_curve(column, noise):
        return per_lam(table, column, noise).mean(axis=0)

    lams = np.array(sorted(table["lam"].unique(), reverse=True))
    weakest = lams[-1]
    random_train = per_lam(table, "train_accuracy", 1.0)
    random_test = per_lam(table, "test_accuracy", 1.0)
    informative_test = per_lam(table, "test_accuracy", 0.0)
    ev_inf, ev_rand = per_lam(table, "evidence", 0.0), per_lam(table, "evidence", 1.0)
    ce_inf = mean_curve("test_ce", 0.0)
    e_inf = mean_curve("evidence", 0.0)
    memorised = (random_train >= 1.0).all(axis=0)  # every seed at 100% train accuracy
    seed_means = table.groupby(["noise", "lam"])[["evidence", "test_ce"]].mean()
    return {
        "lams": lams,
        "weakest_lam": float(weakest),
        "largest_memorising_lam": float(lams[memorised.to_numpy()].max()) if memorised.any() else float("nan"),
        "random_train_acc_weakest": float(random_train[weakest].min()),
        "random_train_acc_min_below": (
            float(random_train.loc[:, lams[lams <= memorise_below]].min().min())
            if memorise_below is not None
            else float("nan")
        ),
        "random_train_acc_1e-3": float(random_train[lams[np.argmin(np.abs(np.log10(lams) + 3))]].mean()),
        "random_test_acc_range": (float(random_test.min().min()), float(random_test.max().max())),
        "random_test_acc_weakest_mean": float(random_test[weakest].mean()),
        "informative_test_acc_min": float(informative_test.min().min()),
        "min_evidence_random": float(ev_rand.min().min()),
        "min_evidence_informative": float(ev_inf.mean(axis=0).min()),
        "evidence_gap_min": float((ev_rand - ev_inf).min().min()),  # random minus informative, worst seed and lam
        "spearman_informative": float(spearmanr(e_inf.to_numpy(), ce_inf.to_numpy()).statistic),
        "spearman_all": float(spearmanr(seed_means["evidence"], seed_means["test_ce"]).statistic),
        "argmax_evidence_lam": float(e_inf.idxmin()),
        "argmin_test_ce_lam": float(ce_inf.idxmin()),
    }


# --------------------------------------------------------------------------------------------------- plots
def plot_memorisation(axes, table: pd.DataFrame) -> None:
    """Figure 1: train and test accuracy against lam, random labels (left) and informative labels (right)."""
    from .. import plots

    for ax, noise, title in zip(axes, (1.0, 0.0), ("random labels", "informative labels (0 vs 1)")):
        for column, label, color in (
            ("train_accuracy", "train", plots.COLORS["small_lr"]),
            ("test_accuracy", "test", plots.COLORS["large_lr"]),
        ):
            values = per_lam(table, column, noise)
            plots.seed_band(
                ax, values.columns.to_numpy(), values.to_numpy(), label=label, color=color, marker="o", markersize=3
            )
        ax.axhline(0.5, color=plots.COLORS["theory"], linestyle=":", linewidth=1, label="chance")
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("regularisation coefficient λ (prior precision; weaker →)")
        ax.set_title(title)
    axes[0].set_ylabel("accuracy (fraction correct)")
    # the right panel's middle is empty (both curves near 1, chance at 0.5); the left one has the train curve there
    axes[1].legend(loc="center right")


def plot_evidence(axes, table: pd.DataFrame) -> None:
    """Figure 2: test cross-entropy, E/N and its depth and breadth terms against lam, random vs informative."""
    from .. import plots

    curves = (
        ("test_ce", "test cross-entropy", plots.COLORS["large_lr"], "-"),
        ("evidence", "E/N = −log evidence ratio / N", plots.COLORS["ours"], "-"),
        ("depth", "depth C(w₀)/N", plots.COLORS["small_lr"], "--"),
        ("occam", "breadth ½Σ ln(λᵢ/λ)/N", plots.PALETTE[4], "--"),
    )
    for ax, noise, title in zip(axes, (1.0, 0.0), ("random labels", "informative labels (0 vs 1)")):
        for column, label, color, style in curves:
            values = per_lam(table, column, noise)
            plots.seed_band(
                ax,
                values.columns.to_numpy(),
                values.to_numpy(),
                label=label,
                color=color,
                linestyle=style,
                points=False,
            )
        ax.axhline(0.0, color=plots.COLORS["theory"], linewidth=1, label="null model (E = 0)")
        ax.axhline(LN2, color=plots.COLORS["theory"], linewidth=1, linestyle=":", label="ln 2 (guessing)")
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("regularisation coefficient λ (weaker →)")
        ax.set_title(title)
    axes[0].set_ylabel("nats per training example")
    axes[1].legend(loc="upper left", fontsize="small")


def plot_evidence_vs_test_loss(ax, table: pd.DataFrame) -> None:
    """Figure 3: E/N against test cross-entropy, one point per (lam, noise) (seed means), colour = noise."""
    import seaborn as sns

    means = table.groupby(["noise", "lam"], as_index=False)[["evidence", "test_ce"]].mean()
    colors = sns.color_palette("viridis", n_colors=means["noise"].nunique())
    for color, (noise, sub) in zip(colors, means.groupby("noise")):
        ax.plot(
            sub["evidence"],
            sub["test_ce"],
            "o-",
            color=color,
            markersize=4,
            linewidth=0.8,
            label=f"label noise q = {noise:g}",
        )
    ax.set_xlabel("E/N: −log evidence ratio vs null model, per example (nats; training set only)")
    ax.set_ylabel("test cross-entropy (nats per example)")
    ax.set_yscale("log")
    ax.legend(title="each point: one λ", fontsize="small")


# ----------------------------------------------------------------------------------------------- claims
def sweep_summary(sweep_table: pd.DataFrame, scale: str) -> dict:
    """B_opt tables and slopes of the three sweep parts (see :mod:`.bayesian_batch_size_sweeps`)."""
    from . import bayesian_batch_size_sweeps as S

    lr = S.part_view(sweep_table, scale, "lr")
    mom = S.part_view(sweep_table, scale, "momentum")
    nn = S.part_view(sweep_table, scale, "n")
    out = {"lr": S.bopt_table(lr, "lr"), "momentum": S.bopt_table(mom, "momentum"), "n": S.bopt_table(nn, "n_train")}
    out["lr_slope"] = S.slope_with_band(lr, "lr", lambda e: e)
    out["momentum_slope"] = S.slope_with_band(mom, "momentum", lambda m: 1.0 / (1.0 - m))
    out["n_slope"] = S.slope_with_band(nn, "n_train", lambda n: n)
    out["lr_slope_best"] = S.slope_with_band(lr, "lr", lambda e: e, metric="best")
    out["lr_slope_trained"] = S.slope_with_band(lr, "lr", lambda e: e, trained_only=True)
    return out


def check_claims(evidence_table: pd.DataFrame, evidence_scale: str, sweep_table: pd.DataFrame, sweep_scale: str):
    """The chapter's checked claims and its reported-only observations, on this run's numbers.

    Thresholds come from the chapter spec (S1-S5 at smoke, P1-P7 at paper scale), set before any run.
    Returns (claims, observations): a :class:`lrlib.claims.Claims` and a table of measured values that are
    shown but not asserted (with the reason).
    """
    from ..claims import Claims
    from . import bayesian_batch_size_sweeps as S

    ev = evidence_summary(evidence_table, memorise_below=0.03)
    sw = sweep_summary(sweep_table, sweep_scale)
    paper_e, paper_s = evidence_scale == "paper", sweep_scale == "paper"
    tag_e, tag_s = f"[{evidence_scale}]", f"[{sweep_scale}]"
    c = Claims("Chapter 3: Bayesian evidence and the optimum batch size", scale=evidence_scale)

    # ---- figures 1-3: the evidence (spec S1-S3 at smoke; P1-P3 at paper scale)
    c.at_least(
        f"{tag_e} random labels memorised: train accuracy at the weakest λ = {ev['weakest_lam']:.0e} (worst seed)",
        ev["random_train_acc_weakest"],
        1.0,
        paper="100% [recalled]",
    )
    if not paper_e:
        c.at_least(
            f"{tag_e} random labels memorised for every λ ≤ 0.03 (worst seed and λ)",
            ev["random_train_acc_min_below"],
            1.0,
            paper="100% at weak λ [recalled]",
        )
    low, high = ev["random_test_acc_range"]
    c.holds(
        f"{tag_e} random labels: test accuracy at chance at every λ and seed",
        0.45 <= low and high <= 0.55,
        [low, high],
        "within [0.45, 0.55]",
        paper="≈ 50% [recalled]",
    )
    if paper_e:
        c.between(
            f"{tag_e} random labels: test accuracy at the weakest λ (mean of seeds)",
            ev["random_test_acc_weakest_mean"],
            0.48,
            0.52,
            paper="50% ± 2% [recalled]",
        )
    c.at_least(
        f"{tag_e} informative labels generalise: test accuracy at every λ and seed (worst)",
        ev["informative_test_acc_min"],
        0.98 if paper_e else 0.99,
        paper="≥ 98% [recalled]",
    )
    c.at_least(
        f"{tag_e} random labels never beat the null model: min over λ, seeds of E/N",
        ev["min_evidence_random"],
        -0.01,
        paper="never better than null [recalled]",
    )
    c.at_most(
        f"{tag_e} informative labels beat the null model: min over λ of E/N (mean of seeds)",
        ev["min_evidence_informative"],
        -0.3,
        paper="better than null over a broad λ range [recalled]",
    )
    c.at_least(
        f"{tag_e} the evidence ranks informative above random labels at every λ and seed: "
        "min E/N(random) − E/N(informative)",
        ev["evidence_gap_min"],
        0.0,
        paper="(implied)",
    )
    c.at_least(
        f"{tag_e} evidence tracks test loss: Spearman(E/N, test cross-entropy) across λ, informative labels",
        ev["spearman_informative"],
        0.5,
        paper="strongly correlated [paper]",
    )
    decades = abs(np.log10(ev["argmax_evidence_lam"]) - np.log10(ev["argmin_test_ce_lam"]))
    if paper_e:
        c.at_most(
            f"{tag_e} the evidence's best λ ({ev['argmax_evidence_lam']:.2g}) is within a decade of the "
            f"test cross-entropy's best λ ({ev['argmin_test_ce_lam']:.2g}): |Δ log10 λ|",
            decades,
            1.0,
            paper="close [recalled]",
        )

    # ---- figures 4-5: B_opt against eps (spec S4-S5 at smoke; P5-P6 at paper scale)
    c.scale = sweep_scale  # the sweeps' claims are checked on numbers of their own scale
    lr = sw["lr"]
    cfg = S.SWEEPS[sweep_scale]
    slope, band, used = sw["lr_slope"]
    if paper_s:
        at1 = lr[np.isclose(lr["lr"], 1.0)].iloc[0]
        c.holds(
            f"{tag_s} ε = 1: test accuracy against B has an interior maximum",
            bool(at1["interior"]),
            f"B_opt = {at1['b_opt']:.3g}",
            "B_opt strictly inside the B grid",
            paper="yes [recalled]",
        )
        c.at_least(
            f"{tag_s} ε = 1: best minus full-batch test accuracy",
            at1["best_accuracy"] - at1["full_batch_accuracy"],
            0.02,
            paper="a few % [recalled]",
        )
        c.holds(
            f"{tag_s} B_opt ∝ ε: enough interior optima to fit ({used} of {len(lr)} ε, counting any argmax "
            "inside the grid, as planned)",
            used >= 3,
            used,
            ">= 3",
            paper="2 decades of ε [recalled]",
        )
        c.between(
            f"{tag_s} B_opt ∝ ε: log-log slope (seed-bootstrap 95% band [{band[0]:.2f}, {band[1]:.2f}])",
            slope,
            0.75,
            1.25,
            paper="1 [paper]; we test 1 ± 0.25",
        )
    else:
        smallest = lr["lr"].min()
        ok = all(
            r["interior"] or (r["lr"] == smallest and r["b_argmax"] == min(cfg.batch_sizes)) for _, r in lr.iterrows()
        )
        c.holds(
            f"{tag_s} every ε has an interior optimum B_opt (or the smallest B for the smallest ε)",
            ok,
            S.format_bopt(lr).split(", "),
            "interior",
            paper="interior maximum [recalled]",
        )
        c.at_least(
            f"{tag_s} full batch is worse than the best B at every ε: min of best − full-batch accuracy",
            float((lr["best_accuracy"] - lr["full_batch_accuracy"]).min()),
            0.02,
            paper="a few % [recalled]",
        )
        c.between(
            f"{tag_s} B_opt ∝ ε: log-log slope over {used} ε (seed-bootstrap 95% band [{band[0]:.2f}, {band[1]:.2f}])",
            slope,
            0.7,
            1.3,
            paper="1 [paper]",
        )
        ordered = lr.sort_values("lr")
        b, inner = ordered["b_opt"].to_numpy(), ordered["interior"].to_numpy(bool)
        pairs = inner[1:] & inner[:-1]  # a grid-edge value bounds B_opt, it does not estimate it
        ratios = (b[1:] / b[:-1])[pairs]
        c.holds(
            f"{tag_s} doubling ε roughly doubles B_opt: B_opt(2ε)/B_opt(ε), pairs of interior optima",
            len(ratios) >= 2 and bool(np.all((ratios >= 1.4) & (ratios <= 3.0))),
            [float(r) for r in ratios],
            "each in [1.4, 3.0], >= 2 pairs",
            paper="2 [paper]",
        )
        g = lr.loc[lr["interior"], "g_opt"]
        c.at_most(
            f"{tag_s} the noise scale at the optimum, g_opt = εN/(B_opt(1 − m)), agrees across ε: max/min",
            float(g.max() / g.min()),
            2.0,
            paper="constant [paper]",
        )

    # ---- figures 6-7: N and momentum (asserted at paper scale only)
    m_slope, m_band, m_used = sw["momentum_slope"]
    n_slope, n_band, n_used = sw["n_slope"]
    if paper_s:
        c.between(
            f"{tag_s} B_opt ∝ 1/(1 − m): log-log slope over {m_used} momenta (band [{m_band[0]:.2f}, {m_band[1]:.2f}])",
            m_slope,
            0.75,
            1.25,
            paper="1 [paper]; we test 1 ± 0.25, as for ε",
        )
        c.between(
            f"{tag_s} B_opt ∝ N for N ≤ {max(cfg.n_values)}: log-log slope over {n_used} N (band "
            f"[{n_band[0]:.2f}, {n_band[1]:.2f}])",
            n_slope,
            0.5,
            1.5,
            paper="1 for N ≳ 20,000 [recalled]; looser band here: our N stays below that",
        )

    # ---- reported, not asserted
    obs = []

    def note(name, value, why):
        obs.append({"observation": name, "measured": value, "why not asserted": why})

    if not paper_s:
        note(
            f"{tag_s} B_opt ∝ 1/(1 − m): log-log slope over {m_used} momenta",
            f"{m_slope:.2f} [{m_band[0]:.2f}, {m_band[1]:.2f}]",
            "asserted at paper scale only, as planned before the runs",
        )
        note(
            f"{tag_s} B_opt ∝ N: log-log slope over N = {', '.join(str(n) for n in cfg.n_values)}",
            f"{n_slope:.2f} [{n_band[0]:.2f}, {n_band[1]:.2f}]",
            "not expected at this N: the paper saw it for N ≳ 20,000 [recalled]; asserted, loosely, at paper "
            "scale only",
        )
    else:
        g = lr.loc[lr["interior"] & lr["trained"], "g_opt"]
        note(
            f"{tag_s} g_opt across the ε that train, interior optima only (max/min)",
            f"{g.max() / g.min():.2f}",
            "no paper-scale threshold was set before the runs; the subset of ε is chosen by a rule added after the run",
        )
    untrained = lr.loc[~lr["trained"], "lr"]
    if len(untrained):
        t_slope, t_band, t_used = sw["lr_slope_trained"]
        note(
            f"{tag_s} B_opt ∝ ε over the ε that train (best seed-mean accuracy ≥ {S.TRAINED_ACCURACY:.0%}): slope "
            f"over {t_used} ε",
            f"{t_slope:.2f} [{t_band[0]:.2f}, {t_band[1]:.2f}]",
            f"a rule added after the run: at ε = {', '.join(f'{e:g}' for e in untrained)} no B trains, so their "
            "argmax is noise; the planned claim above keeps them",
        )
    best_slope, best_band, best_used = sw["lr_slope_best"]
    note(
        f"{tag_s} B_opt ∝ ε with the best test accuracy during training instead of the final one: slope over "
        f"{best_used} ε",
        f"{best_slope:.2f} [{best_band[0]:.2f}, {best_band[1]:.2f}]",
        "a second metric, planned before the runs as a cross-check; the claims use the final accuracy",
    )
    note(f"{tag_s} g_opt = εN/(B_opt(1 − m)) per ε", ", ".join(f"{v:.0f}" for v in lr["g_opt"]), "descriptive")
    note(
        f"{tag_e} largest λ at which every seed memorises the random labels",
        f"{ev['largest_memorising_lam']:.2g}",
        "descriptive",
    )
    note(
        f"{tag_e} Spearman(E/N, test CE) across λ and label noise (Fig. 3)",
        f"{ev['spearman_all']:.2f}",
        "no threshold was set before the runs",
    )
    if not paper_e:
        note(
            f"{tag_e} best λ by evidence vs by test cross-entropy",
            f"{ev['argmax_evidence_lam']:.2g} vs {ev['argmin_test_ce_lam']:.2g}",
            "asserted at paper scale only: at smoke scale the test "
            "cross-entropy of 0 vs 1 is too flat in λ to place its best λ",
        )
    return c, pd.DataFrame(obs)
