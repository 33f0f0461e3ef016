"""Sweeps: a grid of members → deterministic chunks → packed ensembles → the results store → one table.

Each chunk of members is one store entry, keyed by the sweep's configuration plus the chunk's member rows, so an
interrupted sweep resumes where it stopped and recomputes only the chunks that are missing; a finished sweep is
read back without training. Each chunk is claimed while it is computed (:meth:`lrlib.store.Store.claim`), so
several processes running the same sweep share its chunks instead of each computing them all: a chunk another live
process holds is waited for and read back. Chunks run one after the other, or on any ``concurrent.futures``-style
executor (``submit(fn, *args)`` returning futures with ``.result()``): a local ``ProcessPoolExecutor``, Dask's
``client.get_executor()``, Ray's or submitit's executors, e.g. to fan out over several GPUs or a cluster.

Example
-------
>>> import torch, tempfile
>>> from lrlib.models import Linear
>>> from lrlib.store import Store
>>> from lrlib.train import Data, grid
>>> x = torch.randn(64, 5); data = Data(x, torch.sign(x[:, 0]))
>>> members = grid(lr=[0.1, 0.3, 1.0], seed=range(4), batch_size=8)
>>> run = trainer(Linear(5), data, loss="logistic", steps=100, checkpoints=50)
>>> store = Store(tempfile.mkdtemp())
>>> table = sweep(run, members, config={"experiment": "demo", "version": 1}, store=store, chunk_size=5,
...               progress=False)
>>> len(table), table.member.nunique()
(36, 12)
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import sys
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import table_codec
from .progress import progress as _progress
from .store import Store, canonical_config, default_store

__all__ = ["sweep", "trainer", "Trainer", "chunks"]

#: seconds between looks at the store while another process computes the chunks that are left
CLAIM_POLL_S = 2.0

#: columns that split members into separate batched programs; chunks keep such members together
_PACK_BY = ("data", "batch_size", "loss", "sampling", "steps")


@dataclass
class Trainer:
    """A picklable ``run(members) -> table``: :func:`lrlib.train.train` on a fixed model and data."""

    model: Any
    data: Any
    kwargs: dict = field(default_factory=dict)

    def __call__(self, members: pd.DataFrame) -> pd.DataFrame:
        from .train import train

        return train(self.model, self.data, members, progress=False, **self.kwargs).table


def trainer(model, data, **train_kwargs) -> Trainer:
    """``run`` for :func:`sweep`: trains each chunk with ``train(model, data, chunk, **train_kwargs)``.

    Everything must be picklable to run in other processes (measurements as module-level functions).
    """
    return Trainer(model, data, dict(train_kwargs))


def _plain(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    return value


def chunks(members: pd.DataFrame, chunk_size: int) -> list[pd.DataFrame]:
    """Deterministic chunks of at most ``chunk_size`` members, members that pack together kept together.

    Each chunk keeps the members' original row numbers as its index."""
    if isinstance(chunk_size, (bool, np.bool_)) or not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    keys = [c for c in _PACK_BY if c in members.columns]
    order = members.sort_values(keys, kind="stable").index if keys else members.index
    ordered = members.loc[order]
    out = []
    if keys:
        pieces = [rows for _, rows in ordered.groupby(keys, sort=False, dropna=False)]
    else:
        pieces = [ordered]
    for rows in pieces:
        out += [rows.iloc[i : i + chunk_size] for i in range(0, len(rows), chunk_size)]
    return out


def _chunk_config(config: Mapping, chunk: pd.DataFrame) -> dict:
    records = [{k: _plain(v) for k, v in row.items()} for row in chunk.to_dict("records")]
    return {**config, "members": records}


#: provenance mark of chunk tables stored with the chunk's own member numbers 0..n−1 (all entries written since)
LOCAL_NUMBERS = ("member_numbering", "chunk")


def _check_numbers(table: pd.DataFrame, chunk: pd.DataFrame, where: str) -> None:
    """A chunk's table must number its members 0..n−1 (as ``train`` does), or they cannot be renumbered."""
    if "member" not in table.columns:
        return
    numbers = table["member"].to_numpy()
    ok = numbers.dtype.kind in "iu" and (len(numbers) == 0 or (numbers.min() >= 0 and numbers.max() < len(chunk)))
    if not ok:
        shown = sorted(set(numbers.tolist()))[:5]
        raise ValueError(
            f"{where} numbers its members {shown} for a chunk of {len(chunk)}: number the chunk's rows "
            f"0..{len(chunk) - 1}, as lrlib.train.train does"
        )


def _renumber(table: pd.DataFrame, chunk: pd.DataFrame) -> pd.DataFrame:
    """Map the chunk's member numbers (0..n−1) to the rows of this sweep's ``members`` (the chunk's index)."""
    table = table.copy()
    if "member" in table.columns:
        table["member"] = chunk.index.to_numpy()[table["member"].to_numpy(np.int64)]
    return table


def _reused(entry, chunk: pd.DataFrame) -> pd.DataFrame:
    """A stored chunk's table numbered for this sweep. Entries written before chunks were stored with their own
    numbers hold the numbers of the sweep that computed them: they are used only where those rows still carry the
    same members (same hyperparameters) in this sweep, as when the grid is unchanged; otherwise the numbers would
    join the wrong rows, so this raises."""
    if entry.provenance.get(LOCAL_NUMBERS[0]) == LOCAL_NUMBERS[1] or "member" not in entry.table.columns:
        _check_numbers(entry.table, chunk, f"the stored chunk {entry.path} (delete it to recompute)")
        return _renumber(entry.table, chunk)
    table = entry.table
    numbers = table["member"].to_numpy(np.int64)
    shared = [c for c in chunk.columns if c in table.columns and c != "member"]
    ok = set(numbers) == set(chunk.index)
    if ok and shared:
        expected = chunk.loc[numbers, shared].reset_index(drop=True)
        got = table[shared].reset_index(drop=True)
        ok = all(expected[c].astype(object).equals(got[c].astype(object)) for c in shared)
    if not ok:
        raise ValueError(
            f"a stored chunk of experiment {entry.config.get('experiment')!r} was written (before chunks kept their "
            "own member numbers) by a sweep over another grid, so its member numbers do not name this sweep's rows; "
            f"delete it to recompute: {entry.path}"
        )
    return table


def sweep(
    run: Callable[[pd.DataFrame], Any],
    members: pd.DataFrame,
    *,
    config: Mapping,
    store: Store | None = None,
    chunk_size: int = 256,
    executor: Any = None,
    progress: bool = True,
    desc: str | None = None,
) -> pd.DataFrame:
    """Run every member of ``members`` in chunks, keep each chunk's table in the store, return one table.

    Parameters
    ----------
    run : ``run(chunk) -> table`` (a DataFrame, or a :class:`lrlib.train.Result`), e.g. :func:`trainer`. The
        table numbers the chunk's rows 0..n−1 in a ``member`` column, as ``train`` does; the sweep renumbers
        them to the rows of ``members``.
    members : the member table (e.g. :func:`lrlib.train.grid`); one row per model.
    config : what else determines the results: ``experiment`` (a name), ``version`` (bump it when the code's
        meaning changes) and every setting of the model, data and training (the scale, sizes, steps...).
    store : where chunk results live (default :func:`lrlib.store.default_store`).
    chunk_size : members per chunk (per batched program, at most); the unit of resumption and of parallelism.
    executor : ``None`` (run here, one chunk after another) or a ``concurrent.futures``-style executor. A local
        process pool that trains on CUDA needs the spawn start method (CUDA cannot be used in forked children):
        ``ProcessPoolExecutor(mp_context=multiprocessing.get_context("spawn"))``.
    progress : one progress bar for the sweep (members done, with an ETA).

    Returns
    -------
    DataFrame
        The chunks' tables, one after another, ``member`` numbering the rows of ``members``.
    """
    from . import profile

    profile.validate_environment()
    profile.apply_thread_setting()
    config = canonical_config(config)
    if "members" in config:
        raise ValueError("config must not have a 'members' key: the sweep adds each chunk's members there")
    if len(members) == 0:
        raise ValueError("members is empty: give at least one member row (e.g. lrlib.train.grid(lr=[0.1]))")
    members = members.reset_index(drop=True)
    table_codec.write(members)  # member columns go into the stored tables: refuse what could not (e.g. lists) now
    store = store if store is not None else default_store()
    parts = chunks(members, chunk_size)
    tables: dict[int, pd.DataFrame] = {}
    bar = _progress(total=len(members), desc=desc or str(config["experiment"]), unit="member") if progress else None
    todo = []
    for i, chunk in enumerate(parts):
        entry = store.get(_chunk_config(config, chunk))
        if entry is not None and entry.table is not None:
            tables[i] = _reused(entry, chunk)
            if bar is not None:
                bar.update(len(chunk))
        else:
            todo.append(i)
    if todo:
        store.check_writable(_chunk_config(config, parts[todo[0]]))  # before computing anything

    def finish(i: int, result: Any, seconds: float) -> None:
        table = result.table if hasattr(result, "table") else result
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"run must return a DataFrame (or a Result), got {type(table).__name__}")
        _check_numbers(table, parts[i], "run's table")  # before it is stored: a bad chunk must not stay behind
        from .profile import provenance

        # stored with the chunk's own numbers: the same chunk in another grid (extended, reordered) reuses it
        prov = {**provenance(seconds), LOCAL_NUMBERS[0]: LOCAL_NUMBERS[1]}
        entry = store.put(_chunk_config(config, parts[i]), table=table, provenance=prov, keep_existing=True)
        tables[i] = _reused(entry, parts[i])  # another process may have stored it first
        if bar is not None:
            bar.update(len(parts[i]))

    def stored(i: int) -> bool:
        """Take chunk ``i`` from the store if another process has stored it meanwhile."""
        entry = store.get(_chunk_config(config, parts[i]))
        if entry is None or entry.table is None:
            return False
        tables[i] = _reused(entry, parts[i])
        if bar is not None:
            bar.update(len(parts[i]))
        return True

    def compute_here(i: int) -> None:
        start = time.perf_counter()
        finish(i, run(parts[i]), time.perf_counter() - start)

    waited = False
    try:
        while todo:
            todo = [i for i in todo if not stored(i)]
            progressed = False
            if executor is None:  # one claim at a time: a second process takes the next chunk meanwhile
                for i in todo:
                    with store.claim(_chunk_config(config, parts[i])) as mine:
                        if mine and not stored(i):
                            compute_here(i)
                        progressed |= mine
            else:
                with ExitStack() as held:
                    mine = [i for i in todo if held.enter_context(store.claim(_chunk_config(config, parts[i])))]
                    futures = {executor.submit(run, parts[i]): i for i in mine}
                    if all(isinstance(f, cf.Future) for f in futures):
                        done = cf.as_completed(futures)
                    else:  # other futures: wait in submission order
                        done = iter(futures)
                    start = time.perf_counter()
                    for fut in done:
                        finish(futures[fut], fut.result(), time.perf_counter() - start)
                    progressed = bool(mine)
            todo = [i for i in todo if i not in tables]
            if todo and not progressed:  # every chunk left is being computed by another process: wait for it
                if not waited:
                    print(
                        f"{config['experiment']}: waiting for {len(todo)} chunk(s) that another process claimed "
                        f"(claims in {store.root / config['experiment']}; a claim unrefreshed for 10 minutes is "
                        "taken over)",
                        file=sys.stderr,
                        flush=True,
                    )
                    waited = True
                time.sleep(CLAIM_POLL_S)
    finally:
        if bar is not None:
            bar.close()
    table = pd.concat([tables[i] for i in range(len(parts))], ignore_index=True)
    order = [c for c in ("member", "step") if c in table.columns]
    return table.sort_values(order, kind="stable").reset_index(drop=True) if order else table
