"""Smith & Le (2018), sections 4-5: test accuracy against batch size, and where its optimum B_opt moves.

A one-hidden-layer ReLU net (PyTorch ``nn.Linear`` initialisation, no L2) is trained with SGD and momentum on
the batch-mean cross-entropy for a **fixed number of epochs** at every (eps, B, m, N), by the ensemble engine
(:func:`lrlib.train.train`). The noise scale is
g = eps (N/B - 1)/(1 - m) ~= eps N / (B (1 - m)), so if test accuracy depends on g alone, its optimum sits at a
fixed g_opt and B_opt ~ eps N / (1 - m).

Why fixed epochs [reconstructed]: the paper's protocol is recalled as ~10^4 updates at eps = 1, scaled as 1/eps.
At a fixed number of epochs E both g and the SDE time eps E / (B (1 - m)) depend on eps / (B (1 - m)) only, so
this protocol isolates the linear rule, and every B costs the same compute. Its weakness: large B also means few
updates, so the fall of accuracy at large B is partly under-training.

Three parts, with both scales side by side in :data:`SWEEPS`:

``lr``        figures 4-5: accuracy against B for several eps at momentum m (paper: m = 0.9, N = 1000)
``momentum``  figure 7: accuracy against B for several m at one eps
``n``         figure 6: accuracy against B for several training-set sizes N at one eps (nested training sets,
              one fixed test set)

B_opt rule (stated before any run, from the spec): take the seed-mean final test accuracy against log2 B; at
its argmax, fit a parabola through the argmax and its two neighbours and take the vertex (clipped to the
neighbours); an argmax at either end of the grid is reported as that end and flagged ``interior = False``.

Parts share members (e.g. eps = 0.05, m = 0.9, N = 1000 is in parts ``lr`` and ``n``). All members with the
same (N, B) train as one batched program, and each program is one results-store entry, so an interrupted paper
run resumes at the next program.

To compute the paper scale on a CUDA machine (each program is stored as it finishes)::

    python -m lrlib.papers ch3-sweeps

Slopes are least-squares fits of log B_opt on log eps (or log 1/(1 - m), log N) over the interior estimates;
their band is the 2.5-97.5 % range over a bootstrap of the seeds.

Added after the first paper-scale run, which the plan did not foresee: at eps >= 2 with m = 0.9 no batch size
trains the network (seed-mean test accuracy of 10 classes stays near chance at every B), and the argmax of such a
curve is noise, not an optimum. An eps whose best seed-mean accuracy is below :data:`TRAINED_ACCURACY` is flagged
``trained = False``; the planned claims still fit every interior estimate, and the fit over trained values only
is reported beside them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import profile, theory
from ..store import Entry, Store
from . import bayesian_batch_size as _evidence

VERSION = 1
PARTS = ("lr", "momentum", "n")
TRAINED_ACCURACY = 0.5  # halfway from chance (0.1) to perfect: a curve that never reaches it did not train


# ------------------------------------------------------------------------------------------ the two scales
@dataclass(frozen=True)
class SweepScale:
    """One scale of the batch-size sweeps.

    dataset : ``"digits"`` (scikit-learn 8x8, 64 inputs) or ``"mnist"`` (the chapter's 10,999-image pool)
    n_test : size of the fixed test set
    n_train : N of parts ``lr`` and ``momentum``
    hidden : width of the hidden layer (paper: 800 ReLU units [recalled])
    epochs : training length, the same for every member (epochs of the member's own N)
    eval_every : epochs between test evaluations (for the best-during-training accuracy; the final one is
        used for B_opt)
    seeds : seed bases; each member's initialisation and minibatch order come from its seed
    lrs, momentum, batch_sizes : part ``lr`` (eps on the batch-mean gradient; B; m)
    momentum_lr, momenta, momentum_batch_sizes : part ``momentum``
    n_lr, n_values, n_batch_sizes : part ``n`` (batch sizes above N are skipped)
    """

    dataset: str
    n_test: int
    n_train: int
    hidden: int
    epochs: int
    eval_every: int
    seeds: tuple[int, ...]
    lrs: tuple[float, ...]
    momentum: float
    batch_sizes: tuple[int, ...]
    momentum_lr: float
    momenta: tuple[float, ...]
    momentum_batch_sizes: tuple[int, ...]
    n_lr: float
    n_values: tuple[int, ...]
    n_batch_sizes: tuple[int, ...]


SWEEPS = {
    # smoke [reconstructed; parts lr and n are the spec's prototype]: scikit-learn digits, N = 1000 / 797 test,
    # a 64-128-10 net, 40 epochs, 4 seeds. Part momentum uses eps = 0.4 so that plain SGD (m = 0) has its
    # expected optimum (g_opt ~ 65 in the prototype: B ~ 6) inside the grid without B = 1. Part n uses nested
    # subsets N = 250, 500, 1000; the prototype found no N-dependence at this scale: shown, not asserted.
    "smoke": SweepScale(
        dataset="digits",
        n_test=797,
        n_train=1000,
        hidden=128,
        epochs=40,
        eval_every=10,
        seeds=(0, 1, 2, 3),
        lrs=(0.025, 0.05, 0.1, 0.2),
        momentum=0.9,
        batch_sizes=(2, 4, 8, 20, 40, 100, 200, 500, 1000),
        momentum_lr=0.4,
        momenta=(0.0, 0.5, 0.8, 0.9),
        momentum_batch_sizes=(2, 4, 8, 20, 40, 100, 200),
        n_lr=0.05,
        n_values=(250, 500, 1000),
        n_batch_sizes=(2, 4, 8, 20, 40, 100, 200, 500, 1000),
    ),
    # paper: MNIST 784-800-10 ReLU, m = 0.9, N = 1000 [recalled]; eps from 0.1 to 10 [recalled range]; 5 seeds.
    # Training sets and a fixed 2,999-image test set come from the 10,999-image offline pool, so N <= 8000 in
    # part n (the paper used the 60,000 training images and saw B_opt ~ N for N >~ 20,000 [recalled]).
    # 100 epochs [reconstructed]. 5.7e14 FLOP in 51 programs: on one CPU thread the N = B = 1000 program (2.1e13 FLOP)
    # took 292 s (72 GFLOP/s); the small-B programs are slower per FLOP (the B = 1 one took 38 min on 2 threads).
    "paper": SweepScale(
        dataset="mnist",
        n_test=2999,
        n_train=1000,
        hidden=800,
        epochs=100,
        eval_every=10,
        seeds=(0, 1, 2, 3, 4),
        lrs=(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0),
        momentum=0.9,
        batch_sizes=(1, 2, 4, 8, 10, 20, 40, 50, 100, 200, 500, 1000),
        momentum_lr=1.0,
        momenta=(0.0, 0.5, 0.8, 0.9, 0.95),
        momentum_batch_sizes=(1, 2, 4, 8, 10, 20, 40, 50, 100, 200, 500, 1000),
        n_lr=1.0,
        n_values=(1000, 2000, 4000, 8000),
        n_batch_sizes=(4, 8, 16, 32, 64, 128, 256, 512, 1000, 2000, 4000, 8000),
    ),
}


# ----------------------------------------------------------------------------------------------------- data
def sweep_data(scale: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """The fixed test set and the pool of training images (nested training sets are its prefixes).

    Returns x_train_pool [M, D], y_train_pool [M], x_test [n_test, D], y_test [n_test] (float32, int64) and a
    description of the data.
    """
    cfg = SWEEPS[scale]
    rng = np.random.default_rng(profile.seed(100))  # the split is fixed: seed base 100 (+ LRLIB_SEED)
    if cfg.dataset == "digits":
        from ..data import load_digits

        ds = load_digits()
        x, y, source = ds.x.numpy(), ds.y.numpy(), ds.source
    elif cfg.dataset == "mnist":
        x, y, source = _evidence.mnist_pool()
    else:
        raise ValueError(f"dataset must be 'digits' or 'mnist', got {cfg.dataset!r}")
    order = rng.permutation(len(y))
    test, pool = order[: cfg.n_test], order[cfg.n_test :]
    n_max = max(cfg.n_train, *cfg.n_values)
    if len(pool) < n_max:
        raise ValueError(
            f"{cfg.dataset} leaves {len(pool)} training images after a {cfg.n_test}-image test set; "
            f"the scale needs {n_max}"
        )
    as_x = lambda idx: torch.as_tensor(x[idx], dtype=torch.float32)  # noqa: E731
    as_y = lambda idx: torch.as_tensor(y[idx], dtype=torch.int64)  # noqa: E731
    source = f"{source}; random split: {cfg.n_test} test images, training sets = the first N of the rest"
    return as_x(pool[:n_max]), as_y(pool[:n_max]), as_x(test), as_y(test), source


# ------------------------------------------------------------------------------------------------ members
def part_members(scale: str, part: str) -> pd.DataFrame:
    """The members one part needs: one row per (eps, m, N, B, seed)."""
    cfg = SWEEPS[scale]
    seeds = [profile.seed(s) for s in cfg.seeds]
    if part == "lr":
        rows = [(lr, cfg.momentum, cfg.n_train, b, s) for lr in cfg.lrs for b in cfg.batch_sizes for s in seeds]
    elif part == "momentum":
        rows = [
            (cfg.momentum_lr, m, cfg.n_train, b, s)
            for m in cfg.momenta
            for b in cfg.momentum_batch_sizes
            for s in seeds
        ]
    elif part == "n":
        rows = [
            (cfg.n_lr, cfg.momentum, n, b, s) for n in cfg.n_values for b in cfg.n_batch_sizes if b <= n for s in seeds
        ]
    else:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return pd.DataFrame(rows, columns=["lr", "momentum", "n_train", "batch_size", "seed"])


def all_members(scale: str) -> pd.DataFrame:
    """Every member of every part, each (eps, m, N, B, seed) once: parts share their common members."""
    table = pd.concat([part_members(scale, p) for p in PARTS]).drop_duplicates(ignore_index=True)
    return table.sort_values(["n_train", "batch_size", "lr", "momentum", "seed"], ignore_index=True)


def group_config(scale: str, n_train: int, batch_size: int) -> dict:
    """The full configuration of one batched program (all members with this N and B): the store key."""
    cfg = SWEEPS[scale]
    table = all_members(scale)
    rows = table[(table["n_train"] == n_train) & (table["batch_size"] == batch_size)]
    if rows.empty:
        raise ValueError(f"scale {scale!r} has no members with n_train={n_train}, batch_size={batch_size}")
    return {
        "experiment": "ch3-batch-group",
        "version": VERSION,
        "scale": scale,
        "n_train": int(n_train),
        "batch_size": int(batch_size),
        "members": rows[["lr", "momentum", "seed"]].to_numpy().tolist(),
        "dataset": cfg.dataset,
        "n_test": cfg.n_test,
        "hidden": cfg.hidden,
        "epochs": cfg.epochs,
        "eval_every": cfg.eval_every,
        "data_split_seed": profile.seed(100),
        "n_pool": max(cfg.n_train, *cfg.n_values),
        "model": f"MLP [D, {cfg.hidden}, 10], ReLU, nn.Linear init, float32",
        "optimizer": "SGD, momentum v <- m v + g, w <- w - eps v; batch-mean cross-entropy; no L2; "
        "epoch sampling (reshuffle each epoch, N // B steps per epoch)",
    }


def groups(scale: str) -> list[tuple[int, int]]:
    """The (N, B) batched programs of a scale, cheapest first."""
    pairs = all_members(scale)[["n_train", "batch_size"]].drop_duplicates().to_numpy().tolist()
    return sorted(((int(n), int(b)) for n, b in pairs), key=lambda nb: (nb[0] / nb[1], nb))


def compute_group(
    scale: str, n_train: int, batch_size: int, *, data=None, device=None, progress: bool | None = None
) -> dict:
    """Train one batched program with the ensemble engine; returns ``Store.put`` keyword arguments.

    Every member runs ``epochs * (N // B)`` steps; the test set is evaluated every ``eval_every`` epochs.
    """
    from ..models import two_layer
    from ..train import Data, train

    cfg = SWEEPS[scale]
    start = time.perf_counter()
    x_pool, y_pool, x_test, y_test, source = data if data is not None else sweep_data(scale)
    members = pd.DataFrame(group_config(scale, n_train, batch_size)["members"], columns=["lr", "momentum", "seed"])
    members["seed"] = members["seed"].astype(int)
    members["batch_size"] = batch_size
    members["n_train"] = n_train
    members["sampling"] = "epoch"
    steps_per_epoch = n_train // batch_size
    dev = torch.device(device) if device is not None else profile.device()
    show = profile.progress_enabled() if progress is None else progress
    res = train(
        two_layer(x_pool.shape[1], cfg.hidden, 10),
        Data(x_pool[:n_train], y_pool[:n_train], x_test, y_test),
        members,
        loss="cross_entropy",
        steps=cfg.epochs * steps_per_epoch,
        checkpoints=cfg.eval_every * steps_per_epoch,
        device=dev,
        progress=show,
        desc=f"N={n_train}, B={batch_size}",
    )
    out = res.table
    out["sampling"] = out["sampling"].astype(str)
    out["epoch"] = out["step"] / steps_per_epoch
    keep = [
        "lr",
        "momentum",
        "n_train",
        "batch_size",
        "seed",
        "step",
        "epoch",
        "final",
        "stop_reason",
        "train_loss",
        "train_accuracy",
        "test_loss",
        "test_accuracy",
    ]
    wall = time.perf_counter() - start
    prov = profile.provenance(wall, dev, scale=scale) | {"data_source": source}
    return {"table": out[keep], "provenance": prov}


def sweep_results(store: Store, scale: str) -> tuple[pd.DataFrame, dict[str, Entry]]:
    """Every batched program of a scale from the store, computing (and storing) the missing ones.

    Returns the tidy table of all members and the entries (for the provenance table). A program that another
    process is computing (``python -m lrlib.papers`` started once per core) is left out.
    """
    from ..progress import progress

    data, entries = None, {}

    def compute(n, b):
        nonlocal data
        data = data if data is not None else sweep_data(scale)
        return compute_group(scale, n, b, data=data)

    for n, b in progress(groups(scale), desc="batch-size sweep (N, B groups)", unit="group"):
        entry = store.cached(group_config(scale, n, b), lambda: compute(n, b), shared=True)
        if entry is not None:
            entries[f"N={n}, B={b}"] = entry
    table = pd.concat([e.table for e in entries.values()], ignore_index=True)
    return table, entries


def programs_stored(store: Store, scale: str = "paper") -> tuple[int, int]:
    """(stored, total): how many of the sweeps' batched programs are stored at ``scale``."""
    keys = groups(scale)
    return sum(store.has(group_config(scale, n, b)) for n, b in keys), len(keys)


def results_stored(store: Store, scale: str = "paper") -> bool:
    """True iff every batched program of the sweeps is stored at ``scale``."""
    stored, total = programs_stored(store, scale)
    return stored == total


@dataclass
class SweepRun:
    """The scale and store of the sweeps, which may differ from the chapter's (see :func:`start`)."""

    scale: str
    store: Store
    notice: str = ""

    def _repr_markdown_(self) -> str:
        text = f"**Batch-size sweeps (Figs. 4–7):** scale `{self.scale}`, store `{self.store.root}`."
        return text + (f"\n\n> **Note.** {self.notice}" if self.notice else "")


def start(run) -> SweepRun:
    """The sweeps' scale for a chapter run: the chapter's, except when the book build (paper scale, stored
    results) finds the evidence part stored but not the sweeps; then the sweeps run at smoke scale, said so."""
    from ..store import default_store

    stored, total = programs_stored(run.store, "paper") if run.scale == "paper" else (0, 0)
    if run.scale == "paper" and profile.results_mode() == "stored" and stored < total:
        return SweepRun(
            "smoke",
            default_store("smoke"),
            f"The paper-scale batch-size sweeps are not all stored with the book yet: {stored} of the "
            f"{total} batched programs are (about 5.7·10^14 FLOP in all; measured on one CPU thread, "
            "72 GFLOP/s, so hours; a GPU is faster). Figs. 4–7 and their claims therefore "
            "show the **smoke-scale** sweeps (scikit-learn digits, a 64-128-10 net), computed while "
            "the book was built, while Figs. 1–3 show the stored paper-scale evidence results. "
            "`python -m lrlib.papers ch3-sweeps` computes the rest.",
        )
    return SweepRun(run.scale, run.store)


def part_view(table: pd.DataFrame, scale: str, part: str) -> pd.DataFrame:
    """The rows of one part: ``lr`` (all eps at m, N), ``momentum`` (all m at its eps, N), ``n`` (all N)."""
    cfg = SWEEPS[scale]
    close = lambda col, v: np.isclose(table[col].to_numpy(float), v)  # noqa: E731
    if part == "lr":
        mask = close("momentum", cfg.momentum) & (table["n_train"] == cfg.n_train)
        mask &= table["lr"].isin(cfg.lrs) & table["batch_size"].isin(cfg.batch_sizes)
    elif part == "momentum":
        mask = close("lr", cfg.momentum_lr) & (table["n_train"] == cfg.n_train)
        mask &= table["momentum"].isin(cfg.momenta) & table["batch_size"].isin(cfg.momentum_batch_sizes)
    elif part == "n":
        mask = close("lr", cfg.n_lr) & close("momentum", cfg.momentum)
        mask &= table["n_train"].isin(cfg.n_values) & table["batch_size"].isin(cfg.n_batch_sizes)
    else:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return table[mask & table["seed"].isin([profile.seed(s) for s in cfg.seeds])].reset_index(drop=True)


# ------------------------------------------------------------------------------------------ measurements
def optimal_batch_size(batch_sizes, accuracy) -> tuple[float, bool]:
    """B_opt by the rule in the module docstring: (estimate, interior?).

    >>> optimal_batch_size([2, 4, 8, 16], [0.90, 0.95, 0.95, 0.90])
    (5.656854249492381, True)
    """
    b = np.asarray(batch_sizes, dtype=float)
    acc = np.asarray(accuracy, dtype=float)
    if b.ndim != 1 or b.shape != acc.shape or len(b) < 3:
        raise ValueError(f"batch_sizes and accuracy must be 1-D of the same length >= 3, got {b.shape}, {acc.shape}")
    if np.any(np.diff(b) <= 0):
        raise ValueError(f"batch_sizes must increase strictly, got {b.tolist()}")
    k = int(np.nanargmax(acc))
    if k == 0 or k == len(b) - 1:
        return float(b[k]), False
    x = np.log2(b[k - 1 : k + 2])
    a2, a1, _ = np.polyfit(x, acc[k - 1 : k + 2], 2)
    if a2 >= 0:  # no concave vertex: keep the argmax
        return float(b[k]), True
    vertex = float(np.clip(-a1 / (2 * a2), x[0], x[2]))
    return float(2.0**vertex), True


def final_accuracy(table: pd.DataFrame, by: str, metric: str = "final") -> dict[float, pd.DataFrame]:
    """{value of ``by``: [seeds, batch sizes] test accuracy}: at the end of training (``metric="final"``, used
    for B_opt) or the best over the evaluations during training (``"best"``, every ``eval_every`` epochs)."""
    if metric == "final":
        rows = table[table["final"]]
    elif metric == "best":
        keys = [by, "seed", "batch_size"] + [c for c in ("lr", "momentum", "n_train") if c != by]
        rows = table.groupby(keys, as_index=False)["test_accuracy"].max()
    else:
        raise ValueError(f"metric must be 'final' or 'best', got {metric!r}")
    return {
        v: sub.pivot_table(index="seed", columns="batch_size", values="test_accuracy") for v, sub in rows.groupby(by)
    }


def bopt_table(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """B_opt (seed-mean curve), interior flag, best and full-batch accuracy and g_opt, one row per ``by`` value."""
    rows = []
    for value, acc in final_accuracy(table, by).items():
        sub = table[table[by] == value]
        lr, m, n = float(sub["lr"].iloc[0]), float(sub["momentum"].iloc[0]), int(sub["n_train"].iloc[0])
        mean = acc.mean(axis=0)
        b_opt, interior = optimal_batch_size(mean.index.to_numpy(), mean.to_numpy())
        rows.append(
            {
                by: value,
                "lr": lr,
                "momentum": m,
                "n_train": n,
                "b_opt": b_opt,
                "interior": interior,
                "b_argmax": int(mean.idxmax()),
                "edge": "" if interior else ("low" if b_opt == mean.index.min() else "high"),
                "best_accuracy": float(mean.max()),
                "trained": bool(mean.max() >= TRAINED_ACCURACY),
                "full_batch_accuracy": float(mean[n]) if n in mean.index else float("nan"),
                "g_opt": theory.noise_scale(lr, n, min(b_opt, n), m, exact=False),
            }
        )
    return pd.DataFrame(rows)


def format_bopt(bopt: pd.DataFrame) -> str:
    """B_opt values for prose: an optimum at the grid's edge is a bound (e.g. "≤ 2"), not an estimate."""
    sign = {"": "", "low": "≤ ", "high": "≥ "}
    return ", ".join(f"{sign[e]}{b:.3g}" for b, e in zip(bopt["b_opt"], bopt["edge"]))


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y on log x."""
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if len(x) < 2:
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


def slope_with_band(
    table: pd.DataFrame,
    by: str,
    x_of,
    *,
    n_boot: int = 400,
    seed: int = 0,
    metric: str = "final",
    trained_only: bool = False,
):
    """Slope of log B_opt on log x(by) over interior estimates, and its 2.5-97.5 % seed-bootstrap band.

    ``x_of`` maps the ``by`` values to the x of the fit (e.g. eps, 1/(1 - m) or N). ``trained_only`` leaves out
    the values whose curve never reaches :data:`TRAINED_ACCURACY` (judged on the same seeds as the estimate).
    Returns (slope, (low, high), number of interior points used).
    """
    curves = final_accuracy(table, by, metric)
    keys = sorted(curves)
    seeds = curves[keys[0]].index.to_numpy()

    def slope_for(seed_choice):
        xs, ys = [], []
        for key in keys:
            mean = curves[key].loc[seed_choice].mean(axis=0)
            b_opt, interior = optimal_batch_size(mean.index.to_numpy(), mean.to_numpy())
            if interior and (mean.max() >= TRAINED_ACCURACY or not trained_only):
                xs.append(x_of(key))
                ys.append(b_opt)
        return loglog_slope(xs, ys), len(xs)

    slope, used = slope_for(seeds)
    rng = np.random.default_rng(seed)
    boot = np.array([slope_for(rng.choice(seeds, size=len(seeds), replace=True))[0] for _ in range(n_boot)])
    boot = boot[np.isfinite(boot)]
    band = (float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))) if len(boot) else (np.nan, np.nan)
    return slope, band, used


# --------------------------------------------------------------------------------------------------- plots
def _ticks_at(ax, values, axis: str = "x") -> None:
    """Log-axis ticks at the grid's own values, labelled plainly (no minor-tick clutter)."""
    import matplotlib.ticker as mticker

    values = sorted(set(float(v) for v in values))
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(mticker.FixedLocator(values))
    target.set_major_formatter(mticker.FixedFormatter([f"{v:g}" for v in values]))
    target.set_minor_locator(mticker.NullLocator())


def _plain_log_labels(ax, axis: str = "y") -> None:
    """Label a log axis with plain numbers (2, 5, 10, 20, ...) instead of powers of ten."""
    import matplotlib.ticker as mticker

    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(mticker.FormatStrFormatter("%g"))
    target.set_minor_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))


def _legend_below(ax, legend_kw: dict | None) -> None:
    """The legend under the axes (two columns if it has more than three entries), clear of the data at any
    scale; ``legend_kw`` overrides."""
    labels = ax.get_legend_handles_labels()[1]
    ncol = 1 if len(labels) <= 3 or max(map(len, labels)) > 40 else 2
    ax.legend(
        **(
            {"fontsize": "small", "loc": "upper center", "bbox_to_anchor": (0.5, -0.17), "ncol": ncol}
            | (legend_kw or {})
        )
    )


def plot_accuracy_vs_batch(ax, table: pd.DataFrame, by: str, label, *, palette: str = "rocket_r") -> None:
    """Final test accuracy against B, one seed band per value of ``by``; B_opt marked with a triangle."""
    import seaborn as sns

    from .. import plots

    curves = final_accuracy(table, by)
    colors = sns.color_palette(palette, n_colors=len(curves) + 1)[1:]
    for color, (value, acc) in zip(colors, sorted(curves.items())):
        b = acc.columns.to_numpy()
        plots.seed_band(ax, b, acc.to_numpy(), label=label(value), color=color, marker="o", markersize=3, points=False)
        b_opt, interior = optimal_batch_size(b, acc.mean(axis=0).to_numpy())
        ax.plot(
            [b_opt],
            [acc.mean(axis=0).max()],
            "v",
            color=color,
            markersize=8,
            markerfacecolor=color if interior else "white",
        )
    ax.set_xscale("log", base=2)
    _ticks_at(ax, table["batch_size"].unique())
    ax.set_xlabel("batch size B (examples per step, log scale)")
    ax.set_ylabel("final test accuracy (fraction)")


def bopt_per_seed(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """B_opt of each seed's own accuracy curve (the rule above), one row per (``by`` value, seed)."""
    rows = []
    for value, acc in final_accuracy(table, by).items():
        for seed, curve in acc.iterrows():
            b_opt, interior = optimal_batch_size(curve.index.to_numpy(), curve.to_numpy())
            rows.append({by: value, "seed": seed, "b_opt": b_opt, "interior": interior})
    return pd.DataFrame(rows)


def _edge_bounds(ax, x, y, edge, color, what: str) -> None:
    """Grid-edge values as unconnected open triangles pointing where the true value may lie: ▽ at most, △ at least.

    ``what``: "b" (B_opt itself: a low edge bounds it from above) or "g" (g_opt ~ 1/B_opt: from below).
    """
    for side in ("low", "high"):
        sel = edge == side
        if not sel.any():
            continue
        at_most = (side == "low") == (what == "b")
        symbol = "≤" if at_most else "≥"
        name = "B_opt" if what == "b" else "g_opt"
        ax.plot(
            x[sel],
            y[sel],
            "v" if at_most else "^",
            markerfacecolor="white",
            color=color,
            markersize=8,
            linestyle="none",
            label=f"{name} {symbol} this (grid edge; not fitted)",
        )


def _through_centroid(x, y, slope):
    """Points of the log-log line of ``slope`` through the centroid of (x, y), over the range of x."""
    xs = np.geomspace(x.min(), x.max(), 20)
    lx, ly = np.log(x).mean(), np.log(y).mean()
    return xs, np.exp(ly + slope * (np.log(xs) - lx))


def _fit_line(ax, x, y, slope, band, color, label, linestyle="-") -> None:
    """The fitted log-log line through the centroid of (x, y), with its band as dotted lines."""
    ax.plot(
        *_through_centroid(x, y, slope),
        linestyle,
        color=color,
        label=f"{label}: slope {slope:.2f} (95% band {band[0]:.2f} to {band[1]:.2f})",
    )
    for edge in band:
        ax.plot(*_through_centroid(x, y, edge), ":", color=color, linewidth=0.8)


def _untrained(ax, x, y, trained, label: str) -> None:
    if (~trained).any():
        ax.plot(
            x[~trained],
            y[~trained],
            "x",
            color="0.45",
            markersize=8,
            linestyle="none",
            label=f"{label}: no B trains (not an optimum)",
        )


def plot_bopt(
    ax,
    table: pd.DataFrame,
    by: str,
    slope_band,
    *,
    xlabel: str,
    x_of=lambda v: v,
    trained_slope_band=None,
    legend_kw: dict | None = None,
) -> None:
    """B_opt against x(by) on log-log axes: the seed-mean estimate (filled: interior; an open triangle: a bound,
    at the grid's edge; a grey cross: the value did not train), each seed's own estimate (small points), the
    fitted slope with its bootstrap band, and the slope-1 theory line. ``trained_slope_band``, if given and some
    interior value did not train, adds the fit over the trained values (dash-dotted). The legend goes under the axes;
    ``legend_kw`` overrides its ``ax.legend`` arguments."""
    from .. import plots

    slope, band, _ = slope_band
    bopt = bopt_table(table, by)
    seeds = bopt_per_seed(table, by)
    color = plots.COLORS["ours"]
    ax.plot([x_of(v) for v in seeds[by]], seeds["b_opt"], ".", color=color, alpha=0.35, label="each seed")
    x = np.array([x_of(v) for v in bopt[by]], dtype=float)
    y = bopt["b_opt"].to_numpy(float)
    inner = bopt["interior"].to_numpy(bool)
    trained = bopt["trained"].to_numpy(bool)
    ax.plot(x[inner & trained], y[inner & trained], "o", color=color, label="B_opt of the seed-mean curve")
    _untrained(ax, x, y, trained, "argmax")
    _edge_bounds(ax, x, y, np.where(trained, bopt["edge"].to_numpy(), ""), color, "b")
    if inner.sum() >= 2 and np.isfinite(slope):
        planned = "planned fit, every interior argmax" if (inner & ~trained).any() else "fit"
        _fit_line(ax, x[inner], y[inner], slope, band, color, planned)
        fitted = inner
        if trained_slope_band is not None and (inner & ~trained).any() and (inner & trained).sum() >= 2:
            _fit_line(
                ax,
                x[inner & trained],
                y[inner & trained],
                trained_slope_band[0],
                trained_slope_band[1],
                plots.PALETTE[4],
                "fit, trained values only",
                "-.",
            )
            fitted = inner & trained
        ax.plot(
            *_through_centroid(x[fitted], y[fitted], 1.0), "--", color=plots.COLORS["paper"], label="theory: slope 1"
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _ticks_at(ax, x)
    _plain_log_labels(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("optimum batch size B_opt (examples)")
    _legend_below(ax, legend_kw)


def plot_noise_scale(
    ax, table: pd.DataFrame, by: str, *, xlabel: str, x_of=lambda v: v, legend_kw: dict | None = None
) -> None:
    """g_opt = eps N / (B_opt (1 - m)) against x(by): the seed-mean estimate (joined over interior optima only)
    and each seed's own; an optimum at the grid's edge is drawn as an unconnected bound (open triangle)."""
    from .. import plots

    bopt = bopt_table(table, by)
    keys = [by] + [c for c in ("lr", "momentum", "n_train") if c != by]
    seeds = bopt_per_seed(table, by).merge(bopt[keys], on=by)
    g_seed = theory.noise_scale(
        seeds["lr"], seeds["n_train"], np.minimum(seeds["b_opt"], seeds["n_train"]), seeds["momentum"], exact=False
    )
    color = plots.COLORS["ours"]
    ax.plot([x_of(v) for v in seeds[by]], g_seed, ".", color=color, alpha=0.35, label="each seed")
    x = np.array([x_of(v) for v in bopt[by]], dtype=float)
    inner = bopt["interior"].to_numpy(bool)
    trained = bopt["trained"].to_numpy(bool)
    g = bopt["g_opt"].to_numpy(float)
    ax.plot(x[inner & trained], g[inner & trained], "o-", color=color, label="seed-mean curve")
    _untrained(ax, x, g, trained, "g at the argmax")
    _edge_bounds(ax, x, g, np.where(trained, bopt["edge"].to_numpy(), ""), color, "g")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _ticks_at(ax, [x_of(v) for v in bopt[by]])
    _plain_log_labels(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("g_opt = εN/(B_opt(1 − m))")
    _legend_below(ax, legend_kw)
