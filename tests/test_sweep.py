"""Sweeps: chunks in the store, resuming after an interruption, and a process pool."""

import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import pytest
import torch

from lrlib.models import Linear, alpha_mlp
from lrlib.store import Store
from lrlib.sweep import chunks, sweep, trainer
from lrlib.train import Data, grid

CONFIG = {"experiment": "sweep-test", "version": 1, "P": 32}


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(48, 5, generator=g, dtype=torch.float64)
    y = torch.where(x[:, 0] > 0, 1.0, -1.0).double()
    return Data(x[:32], y[:32], x[32:], y[32:])


def _members():
    return grid(lr=[0.1, 0.5, 2.0], alpha=[1.0, 4.0], seed=[0, 1], batch_size=[4, 8])  # 24 members


class Counting:
    """A run that records which chunks it computed and can fail on one."""

    def __init__(self, fail_on=None):
        self.run = trainer(
            alpha_mlp(5, 2, 8), _data(), loss="hinge", steps=20, checkpoints=10, dtype=torch.float64, device="cpu"
        )
        self.calls, self.fail_on = [], fail_on

    def __call__(self, members):
        key = tuple(members.index)
        if key == self.fail_on:
            raise RuntimeError("interrupted")
        self.calls.append(key)
        return self.run(members)


def test_chunks_are_deterministic_and_pack_by_batch_size():
    members = _members()
    parts = chunks(members, 5)
    assert [len(c) for c in parts] == [5, 5, 2, 5, 5, 2]
    assert all(c.batch_size.nunique() == 1 for c in parts)
    assert sorted(i for c in parts for i in c.index) == list(range(24))
    assert [list(c.index) for c in chunks(members, 5)] == [list(c.index) for c in parts]


def test_sweep_resumes_and_recomputes_only_missing_chunks(tmp_path):
    store = Store(tmp_path)
    members = _members()
    parts = [tuple(c.index) for c in chunks(members, 5)]
    first = Counting(fail_on=parts[3])
    with pytest.raises(RuntimeError, match="interrupted"):
        sweep(first, members, config=CONFIG, store=store, chunk_size=5, progress=False)
    assert first.calls == parts[:3]  # three chunks done before the failure
    second = Counting()
    table = sweep(second, members, config=CONFIG, store=store, chunk_size=5, progress=False)
    assert second.calls == parts[3:]  # only the missing ones
    assert sorted(table.member.unique()) == list(range(24)) and len(table) == 24 * 3
    # the table carries the sweep's member numbers: hyperparameters match the member rows
    for m, rows in table.groupby("member"):
        assert rows.lr.iloc[0] == members.lr[m] and rows.batch_size.iloc[0] == members.batch_size[m]
    # a finished sweep trains nothing; a deleted entry is recomputed alone
    third = Counting()
    again = sweep(third, members, config=CONFIG, store=store, chunk_size=5, progress=False)
    assert third.calls == [] and again.equals(table)
    victim = next(e for e in store.entries("sweep-test") if len(e.config["members"]) == 2)
    shutil.rmtree(victim.path)
    fourth = Counting()
    sweep(fourth, members, config=CONFIG, store=store, chunk_size=5, progress=False)
    assert len(fourth.calls) == 1 and len(fourth.calls[0]) == 2
    # a different configuration is a different sweep
    fifth = Counting()
    sweep(fifth, members.iloc[:5], config={**CONFIG, "P": 16}, store=store, chunk_size=5, progress=False)
    assert len(fifth.calls) == len(chunks(members.iloc[:5], 5)) == 2


def test_sweep_on_a_process_pool_equals_inline(tmp_path):
    members = grid(lr=[0.1, 1.0], seed=[0, 1, 2], batch_size=[2, 4])
    run = trainer(Linear(5), _data(), loss="logistic", steps=15, checkpoints=5, dtype=torch.float64, device="cpu")
    inline = sweep(run, members, config=CONFIG, store=Store(tmp_path / "a"), chunk_size=4, progress=False)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pooled = sweep(
            run, members, config=CONFIG, store=Store(tmp_path / "b"), chunk_size=4, executor=pool, progress=False
        )
    pd.testing.assert_frame_equal(inline, pooled)
    assert len(list(Store(tmp_path / "b").entries("sweep-test"))) == 4


def test_sweep_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1"):
        sweep(lambda m: m, _members(), config=CONFIG, store=Store(tmp_path), chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size must be an integer >= 1, got True"):
        sweep(lambda m: m, _members(), config=CONFIG, store=Store(tmp_path), chunk_size=True)
    with pytest.raises(ValueError, match="version"):
        sweep(lambda m: m, _members(), config={"experiment": "x"}, store=Store(tmp_path))


def _linear_run():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 5, generator=g)
    y = torch.sign(x[:, 0])
    y[y == 0] = 1
    return trainer(Linear(5), Data(x, y), loss="logistic", steps=20, device="cpu")


@pytest.mark.parametrize(
    "first, second, chunk_size",
    [
        (dict(lr=[0.1, 0.2], seed=[0, 1]), dict(lr=[0.05, 0.1, 0.2], seed=[0, 1]), 2),  # the grid extended
        (dict(lr=[0.1, 0.2], seed=[0]), dict(lr=[0.2, 0.1], seed=[0]), 1),  # reordered
        (dict(lr=[0.1], seed=[0]), dict(lr=[0.1, 0.2, 0.1], seed=[0]), 1),  # duplicate rows
    ],
)
def test_reused_chunks_are_numbered_for_the_sweep_that_reads_them(tmp_path, first, second, chunk_size):
    """Reliability probe, defect 1: chunks stored by one grid and reused by another joined the wrong rows."""
    run, store, cfg = _linear_run(), Store(tmp_path), {"experiment": "demo", "version": 1}
    sweep(run, grid(**first, batch_size=4), config=cfg, store=store, chunk_size=chunk_size, progress=False)
    members = grid(**second, batch_size=4)
    reused = sweep(run, members, config=cfg, store=store, chunk_size=chunk_size, progress=False)
    fresh = sweep(run, members, config=cfg, store=Store(tmp_path / "fresh"), chunk_size=chunk_size, progress=False)
    final = reused[reused["final"]]
    assert sorted(final["member"]) == list(range(len(members)))
    assert (final.set_index("member")["lr"].sort_index().to_numpy() == members["lr"].to_numpy()).all()
    pd.testing.assert_frame_equal(reused, fresh)


def test_a_chunk_stored_with_another_grids_numbers_is_refused_not_misread(tmp_path):
    from lrlib.sweep import _chunk_config

    run, store, cfg = _linear_run(), Store(tmp_path), {"experiment": "demo", "version": 1}
    members = grid(lr=[0.05, 0.1], seed=[0], batch_size=4)
    [chunk] = chunks(members.iloc[[1]], 1)
    legacy = run(chunk).assign(member=7)  # as written before chunks kept their own numbers, by a grid where it was 7
    store.put(_chunk_config(sweep.__globals__["canonical_config"](cfg), chunk), table=legacy, provenance={})
    with pytest.raises(ValueError, match="another grid"):
        sweep(run, members, config=cfg, store=store, chunk_size=1, progress=False)


def test_two_processes_running_one_sweep_share_its_chunks(tmp_path, monkeypatch):
    """Reliability probe, defect 12: two processes each computed every chunk. A claim names its process, so two
    threads of this one (whose pid is alive) respect each other's claims as two processes would."""
    import threading
    import time

    import lrlib.sweep as sweep_module

    monkeypatch.setattr(sweep_module, "CLAIM_POLL_S", 0.05)
    members = grid(lr=[0.1, 0.2, 0.3, 0.4], seed=[0])
    release, calls, out = threading.Event(), [], {}

    def run(chunk):
        calls.append(tuple(chunk.index))
        if chunk.index[0] == 0:
            release.wait(30)  # the first chunk is slow: the second sweep starts meanwhile
        return pd.DataFrame({"member": range(len(chunk)), "lr2": chunk.lr.to_numpy() ** 2})

    def one(name):
        out[name] = sweep(run, members, config=CONFIG, store=Store(tmp_path), chunk_size=1, progress=False)

    threads = [threading.Thread(target=one, args=(name,)) for name in ("first", "second")]
    threads[0].start()
    deadline = time.time() + 20
    while not calls and time.time() < deadline:
        time.sleep(0.01)
    threads[1].start()
    while len(calls) < 4 and time.time() < deadline:
        time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(30)
    assert sorted(calls) == [(0,), (1,), (2,), (3,)], "each chunk computed once, by one of the two"
    pd.testing.assert_frame_equal(out["first"], out["second"])


def test_a_sweep_refuses_before_computing_when_it_could_not_store(tmp_path):
    from lrlib.store import MissingResult

    calls = []
    run = lambda chunk: calls.append(1) or pd.DataFrame({"member": range(len(chunk))})
    with pytest.raises(MissingResult, match="read-only"):
        sweep(run, grid(lr=[0.1]), config=CONFIG, store=Store(tmp_path, read_only=True), progress=False)
    with pytest.raises(ValueError, match="members is empty"):
        sweep(run, grid(lr=[0.1]).iloc[:0], config=CONFIG, store=Store(tmp_path), progress=False)
    assert calls == []


def test_sweep_on_a_dask_cluster_equals_inline(tmp_path):
    """The executor hook on an existing distributed engine: a dask.distributed LocalCluster of two worker
    processes on the loopback interface, through ``client.get_executor()``."""
    distributed = pytest.importorskip("distributed")
    members = grid(lr=[0.1, 1.0], seed=[0, 1, 2], batch_size=[2, 4])
    run = trainer(Linear(5), _data(), loss="logistic", steps=15, checkpoints=5, dtype=torch.float64, device="cpu")
    inline = sweep(run, members, config=CONFIG, store=Store(tmp_path / "a"), chunk_size=4, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = sweep(
            run,
            members,
            config=CONFIG,
            store=Store(tmp_path / "b"),
            chunk_size=4,
            executor=client.get_executor(),
            progress=False,
        )
    pd.testing.assert_frame_equal(inline, on_dask)
    assert len(list(Store(tmp_path / "b").entries("sweep-test"))) == 4


def test_a_run_that_misnumbers_its_members_is_refused_before_anything_is_stored(tmp_path):
    """Reliability probe, rerun (W8c): member 7 in a chunk of 2 was stored, then every later sweep crashed with an
    IndexError until the entry was deleted by hand."""
    members, store = grid(lr=[0.1, 0.2], seed=[0, 1], batch_size=4), Store(tmp_path)
    bad = lambda chunk: pd.DataFrame({"member": [7] * len(chunk), "v": 1.0})
    with pytest.raises(ValueError, match=r"run's table numbers its members \[7\] for a chunk of 2"):
        sweep(bad, members, config=CONFIG, store=store, chunk_size=2, progress=False)
    assert not list(store.entries("sweep-test"))
    good = lambda chunk: pd.DataFrame({"member": range(len(chunk)), "v": 1.0})
    assert len(sweep(good, members, config=CONFIG, store=store, chunk_size=2, progress=False)) == 4


def test_member_columns_the_store_cannot_keep_are_refused_before_training(tmp_path):
    """Reliability probe, rerun (W4): a list-valued member column was refused only after the first chunk trained."""
    calls = []
    members = pd.DataFrame({"lr": [0.1, 0.2], "seed": [0, 1], "batch_size": 4, "tags": [[1], ["a"]]})
    run = lambda chunk: calls.append(1) or pd.DataFrame({"member": range(len(chunk))})
    with pytest.raises(TypeError, match="table column 'tags' holds values of types list"):
        sweep(run, members, config=CONFIG, store=Store(tmp_path), chunk_size=1, progress=False)
    assert calls == []
