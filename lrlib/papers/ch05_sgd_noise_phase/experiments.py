"""Chapter 5's stored parts: the perceptron sweep, the (α, T) phase grid, the lazy-regime sweep and its seed check.

Each part is a list of units (one results-store entry each) that :mod:`lrlib.experiment` walks, times and stores;
this module says what the units are (their configurations, the store keys) and how to compute one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import pandas as pd

from ... import profile
from ...experiment import Part, PartResult, Unit
from ...store import Entry
from . import perceptron
from .analysis import capped_floor
from .data import TaskData, available_Ps, dataset_size, task_when_needed
from .model import train_mlp
from .scales import LAZY_CHECK_OFFSET, SCALES, VERSION, LazySweep, PhaseGrid, check_scale, pow2

#: MNIST's training and test splits together: the pool of the lazy sweep on the full data (part ``lazy-full``)
FULL_MNIST = 70_000
#: fields of every network entry's configuration that the scale dataclasses do not hold
NETWORK_KEY = {"loss": "hinge/alpha", "readout": "1/h", "split_seed": 12345}


def seeds(n: int, offset: int | None = None) -> list[int]:
    """The seeds of ``n`` runs, shifted by ``offset`` (default: ``LRLIB_SEED``)."""
    return [profile.seed(i) if offset is None else i + offset for i in range(n)]


def _jsonable(fields: dict) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in fields.items()}


# ==============================================================================================================
# The perceptron: one entry per (χ, d, P) group
# ==============================================================================================================
def perceptron_config(scale: str, chi: float, d: int, P: int) -> dict:
    """The full configuration (store key) of one perceptron group."""
    cfg = check_scale(scale).perceptron
    return {
        "experiment": "ch5-perceptron",
        "version": VERSION,
        "scale": scale,
        "chi": float(chi),
        "d": int(d),
        "P": int(P),
        "dts": list(cfg.dts),
        "seeds": seeds(cfg.seeds),
        "alpha": cfg.alpha,
        "batch_size": cfg.batch_size,
        "max_updates": cfg.max_updates,
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


def perceptron_blocks(scale: str):
    units = []
    for chi, d, P in check_scale(scale).perceptron.groups():
        config = perceptron_config(scale, chi, d, P)
        units.append(Unit(f"χ={chi:g}, d={d}, P={P}", config, lambda c=config: {"table": perceptron_group(c)}))
    yield units


# ==============================================================================================================
# The networks: the (α, T) grid (one entry per block of T rows and seed) and the lazy sweep (one per (P, seed))
# ==============================================================================================================
def _network_fields(net: PhaseGrid | LazySweep, leave_out: str) -> dict:
    fields = _jsonable(asdict(net))
    fields.pop(leave_out)
    return fields


def phase_blocks(scale: str) -> list[tuple[float, ...]]:
    """The T rows of the phase grid, cut into the blocks that are stored as one entry each (per seed), largest T
    first: the unstable and fast-fitting rows are cheap, the small-T rows run into the step cap and cost most."""
    grid = check_scale(scale).phase
    temps, n = sorted(grid.temps), grid.temps_per_entry
    return [tuple(temps[i : i + n]) for i in range(0, len(temps), n)][::-1]


def phase_config(scale: str, seed: int, n_total: int, temps) -> dict:
    """The store key of one block of T rows (all α) for one seed."""
    return {
        "experiment": "ch5-phase",
        "version": VERSION,
        "scale": scale,
        **_network_fields(check_scale(scale).phase, "temps_per_entry"),
        "temps": [float(T) for T in temps],
        "seed": seed,
        "n_total": n_total,
        **NETWORK_KEY,
    }


def lazy_Ps(scale: str) -> tuple[int, ...]:
    """The P values of the lazy sweep: at paper scale, those the data here allows (MNIST offline: up to 8192)."""
    sweep = check_scale(scale).lazy
    return available_Ps(sweep.dataset, sweep.Ps) if scale == "paper" else tuple(sweep.Ps)


def lazy_config(scale: str, P: int, seed: int, n_total: int, max_P: int) -> dict:
    """The store key of one (P, seed) of the lazy sweep (every T)."""
    return {
        "experiment": "ch5-lazy",
        "version": VERSION,
        "scale": scale,
        **_network_fields(check_scale(scale).lazy, "Ps"),
        "P": P,
        "seed": seed,
        "n_total": n_total,
        "max_P": max_P,
        **NETWORK_KEY,
    }


def _train(net, task: Callable[[], TaskData], P: int, seed: int, alphas, temps, desc: str) -> Callable[[], dict]:
    """A unit's computation: train one training set's members; the engine's statistics go to the provenance."""

    def compute() -> dict:
        table, stats = train_mlp(
            net, task(), P, seed, alphas, temps, show_progress=profile.progress_enabled(), desc=desc
        )
        speed = round(stats["member_steps"] / max(stats["engine_wall_time_s"], 1e-9), 1)
        return {"table": table, "provenance": stats | {"member_steps_per_s": speed}}

    return compute


def phase_units(scale: str):
    """One block of units per :func:`phase_blocks` entry; a block's units are its seeds."""
    grid = check_scale(scale).phase
    n_total = dataset_size(grid.dataset)
    task = task_when_needed(grid.dataset, grid.pool)
    for temps in phase_blocks(scale):
        rows = pow2(temps, count=False)
        yield [
            Unit(
                f"T = {rows}, seed {seed}",
                phase_config(scale, seed, n_total, temps),
                _train(grid, task, grid.P, seed, grid.alphas, temps, f"phase T = {rows}, seed {seed}"),
            )
            for seed in seeds(grid.seeds)
        ]


def phase_stop(entries: list[Entry], pending: int) -> bool:
    """No block below a row where every run hit the step cap (:func:`.analysis.capped_floor`). With several
    processes, a process does not go below a block whose runs all hit the cap so far while another process is
    still computing part of it: the process that finishes the block sees all of it and decides."""
    if not entries:  # the whole block is being computed elsewhere: the process that finishes it decides
        return bool(pending)
    grid = SCALES[entries[0].config["scale"]].phase
    done = pd.concat([e.table for e in entries], ignore_index=True)
    if capped_floor(done, grid.runs_per_row) is not None:
        return True
    return bool(pending and (done["status"] == "unfitted").all())


def _lazy_units(scale: str, seed_offset: int | None, *, full: bool = False):
    sweep = check_scale(scale).lazy
    if full:  # keyed by the data it needs, not the data here: read on any machine, computed where the data is
        Ps, n_total = tuple(sweep.Ps), FULL_MNIST
        task = task_when_needed(sweep.dataset, max(Ps), size=FULL_MNIST)
    else:
        Ps, n_total = lazy_Ps(scale), dataset_size(sweep.dataset)
        task = task_when_needed(sweep.dataset, max(Ps))
    yield [
        Unit(
            f"P={P}, seed {seed}",
            lazy_config(scale, P, seed, n_total, max(Ps)),
            _train(sweep, task, P, seed, [sweep.alpha], sweep.temps, f"lazy P={P} seed {seed}"),
        )
        for P in Ps
        for seed in seeds(sweep.seeds, seed_offset)
    ]


def lazy_units(scale: str):
    """The lazy-regime T sweep for every P the data allows: one unit per (P, seed), seeds from ``LRLIB_SEED``."""
    return _lazy_units(scale, None)


def lazy_full_units(scale: str):
    """The lazy sweep on the full MNIST (training and test splits, 70,000 images), every P of the paper's grid
    (to 16,384): paper scale only."""
    sweep = check_scale(scale).lazy
    return _lazy_units(scale, None, full=True) if scale == "paper" and sweep.dataset == "mnist" else iter(())


def lazy_part(res) -> str:
    """The lazy sweep a page shows: on the full MNIST where that part is stored complete, else the sweep on the
    data every machine has (MNIST offline: P to 8,192)."""
    return "lazy-full" if res.stored_complete("lazy-full") else "lazy"


def lazy_label(res) -> str:
    """The shown lazy sweep's setting, for titles: its scale, and the data where it is the full MNIST."""
    name = lazy_part(res)
    return f"{res.scale(name)} scale" + (", full MNIST" if name == "lazy-full" else "")


def lazy_check_units(scale: str):
    """The same sweep with the independent seeds ``LAZY_CHECK_OFFSET`` + 0, 1, ...: at paper scale only."""
    return _lazy_units(scale, LAZY_CHECK_OFFSET) if scale == "paper" else iter(())


PERCEPTRON = Part("perceptron", "the perceptron", perceptron_blocks)
PHASE = Part("phase", "the (α, T) phase diagram", phase_units, stop=phase_stop, shared=True, partial=True, costly=True)
LAZY = Part("lazy", "the lazy-regime sweep", lazy_units)
LAZY_CHECK = Part("lazy-check", "the lazy-regime sweep, check seeds", lazy_check_units)
LAZY_FULL = Part("lazy-full", "the lazy-regime sweep on the full MNIST", lazy_full_units, costly=True, shared=True)
PARTS = (PERCEPTRON, PHASE, LAZY, LAZY_CHECK, LAZY_FULL)


def describe_missing(result: PartResult) -> str:
    """The entries of a part that are not stored, in a few words."""
    configs = [u.config for u in result.missing]
    if not configs:
        return "none"
    if result.part is PERCEPTRON:
        pairs = sorted({(c["chi"], c["d"]) for c in configs})
        return "; ".join(
            f"χ = {chi:g}, d = {d}: P " + ", ".join(str(c["P"]) for c in configs if (c["chi"], c["d"]) == (chi, d))
            for chi, d in pairs
        )
    if result.part is PHASE:
        seeds_missing: dict[float, list[int]] = {}
        for c in configs:
            for T in c["temps"]:
                seeds_missing.setdefault(T, []).append(c["seed"])
        groups: dict[tuple[int, ...], list[float]] = {}
        for T, s in sorted(seeds_missing.items()):
            groups.setdefault(tuple(sorted(s)), []).append(T)
        return "; ".join(
            f"seed{'s' if len(s) > 1 else ''} {', '.join(map(str, s))} at T = {pow2(temps)}"
            for s, temps in groups.items()
        )
    return ", ".join(f"P = {c['P']} seed {c['seed']}" for c in configs)
