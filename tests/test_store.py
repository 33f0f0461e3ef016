import json
import os

import numpy as np
import pandas as pd
import pytest

from lrlib.store import CLAIM_STALE_S, MissingResult, Store, config_key, default_store

CFG = {"experiment": "demo", "version": 1, "lr": 0.1, "seeds": [0, 1]}


def test_key_depends_on_every_field_not_on_order():
    assert config_key(CFG) == config_key(dict(reversed(list(CFG.items()))))
    assert config_key(CFG) != config_key(CFG | {"lr": 0.2})
    assert config_key(CFG) != config_key(CFG | {"version": 2})


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"version": 1}, "experiment"),
        ({"experiment": "x"}, "version"),
        ({"experiment": "x/y", "version": 1}, "may hold only"),
        ({"experiment": "..", "version": 1}, "may not start with '.'"),  # would write above the store root
        ({"experiment": ".", "version": 1}, "may not start with '.'"),
        ({"experiment": "x", "version": True}, "integer 'version'"),  # True == 1 but keyed apart from it
        ({"experiment": "x", "version": 1, "lr": float("nan")}, "finite"),
        ({"experiment": "x", "version": 1, "f": object()}, "cannot hold"),
    ],
)
def test_bad_configs_are_rejected(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        config_key(bad)


def test_round_trip_with_table_arrays_and_provenance(tmp_path):
    store = Store(tmp_path)
    table = pd.DataFrame(
        {
            "lr": [0.1, 0.2],
            "loss": [1.5, np.nan],
            "reason": ["fitted", "diverged"],
            "ok": [True, False],
            "step": [10, 20],
        }
    )
    entry = store.put(CFG, arrays={"w": np.arange(6.0).reshape(2, 3)}, table=table, provenance={"wall_time_s": 2})
    got = store.get(CFG)
    assert np.array_equal(got.arrays["w"], np.arange(6.0).reshape(2, 3))
    pd.testing.assert_frame_equal(got.table, table)
    assert got.provenance["wall_time_s"] == 2 and got.provenance["config_key"] == config_key(CFG)
    assert got.config == json.loads(json.dumps(CFG)) and entry.path == got.path
    assert not list(got.path.parent.glob(".tmp-*")), "temporary folders must not be left behind"


def test_half_written_or_corrupted_entry_is_never_valid(tmp_path):
    store = Store(tmp_path)
    entry = store.put(CFG, arrays={"w": np.ones(100)})
    # truncate one file: as if a copy had been interrupted
    data = entry.path / "arrays.npz"
    data.write_bytes(data.read_bytes()[:50])
    assert store.get(CFG) is None and not store.has(CFG)
    # an entry folder without its manifest (written by a crashed process) is not valid either
    (entry.path / "manifest.json").unlink()
    assert store.get(CFG) is None
    # writing again replaces the broken entry
    store.put(CFG, arrays={"w": np.ones(100)})
    assert np.array_equal(store.get(CFG).arrays["w"], np.ones(100))


def test_interrupted_write_leaves_no_entry(tmp_path, monkeypatch):
    store = Store(tmp_path)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.put(CFG, arrays={"w": np.ones(3)})
    monkeypatch.undo()
    assert store.get(CFG) is None
    assert not any(tmp_path.rglob(".tmp-*")), "the temporary folder is cleaned up"


def test_cached_computes_once(tmp_path):
    store, calls = Store(tmp_path), []

    def compute():
        calls.append(1)
        return {"arrays": {"x": np.array([len(calls)])}}

    assert store.cached(CFG, compute).arrays["x"][0] == 1
    assert store.cached(CFG, compute).arrays["x"][0] == 1
    assert len(calls) == 1


def test_book_build_store_is_read_only(monkeypatch, tmp_path):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    store = default_store()
    with pytest.raises(MissingResult, match="LRLIB_RESULTS=compute"):
        store.cached(CFG, lambda: {"arrays": {"x": np.ones(1)}})


def test_smoke_results_stay_out_of_the_repository(monkeypatch):
    from lrlib.profile import REPO_ROOT

    monkeypatch.delenv("LRLIB_STORE", raising=False)
    monkeypatch.setenv("LRLIB_PROFILE", "smoke")
    assert REPO_ROOT not in default_store().root.parents
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    assert default_store().root == REPO_ROOT / "book" / "_results"


def test_concurrent_writers_of_one_entry_both_succeed(tmp_path):
    """Two processes computing the same result (two notebooks, say) must not fail each other."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        paths = pool.starmap(_put_many, [(str(tmp_path), i) for i in range(2)])
    assert paths[0] == paths[1]
    assert np.array_equal(Store(tmp_path).get(CFG).arrays["w"], np.arange(1000.0))


def _put_many(root, worker):
    store = Store(root)
    for _ in range(20):
        entry = store.put(CFG, arrays={"w": np.arange(1000.0)})
    return str(entry.path)


def test_shared_cached_skips_an_entry_another_live_process_computes(tmp_path):
    import socket

    store, config = Store(tmp_path), {"experiment": "demo", "version": 1, "x": 1}
    path = store.path_for(config)
    claim = path.with_name(f".claim-{path.name}")
    claim.parent.mkdir(parents=True)
    claim.write_text(f"{socket.gethostname()} {os.getppid()}")  # a live process holds it
    calls = []
    compute = lambda: calls.append(1) or {"arrays": {"a": np.ones(2)}}  # noqa: E731
    assert store.cached(config, compute, shared=True) is None and calls == [] and claim.exists()
    claim.unlink()
    entry = store.cached(config, compute, shared=True)
    assert calls == [1] and entry.arrays["a"].sum() == 2 and not claim.exists()  # claimed, computed, released


def test_shared_cached_takes_over_a_dead_claim_and_releases_on_error(tmp_path):
    import socket
    import subprocess
    import sys

    store, config = Store(tmp_path), {"experiment": "demo", "version": 1, "x": 2}
    path = store.path_for(config)
    claim = path.with_name(f".claim-{path.name}")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    claim.parent.mkdir(parents=True)
    claim.write_text(f"{socket.gethostname()} {dead.pid}")
    with pytest.raises(RuntimeError, match="boom"):
        store.cached(config, lambda: (_ for _ in ()).throw(RuntimeError("boom")), shared=True)
    assert not claim.exists() and not store.has(config)  # taken over, then released
    assert store.cached(config, lambda: {"arrays": {"a": np.zeros(1)}}, shared=True) is not None


@pytest.mark.parametrize("content", ["", "garbage", "other-host 1", "{host} {live}"])
def test_a_stale_claim_is_taken_over_whoever_wrote_it(tmp_path, content):
    """Reliability probe, defect 3: an empty, garbled, foreign or reused-PID claim blocked its entry forever."""
    import socket
    import time

    store, config = Store(tmp_path), {"experiment": "demo", "version": 1, "x": 3}
    path = store.path_for(config)
    claim = path.with_name(f".claim-{path.name}")
    claim.parent.mkdir(parents=True)
    claim.write_text(content.format(host=socket.gethostname(), live=os.getppid()))
    compute = lambda: {"arrays": {"a": np.ones(1)}}  # noqa: E731
    assert store.cached(config, compute, shared=True) is None, "a fresh claim is respected"
    old = time.time() - 2 * CLAIM_STALE_S
    os.utime(claim, (old, old))
    assert store.cached(config, compute, shared=True) is not None and not claim.exists()


def test_a_claim_is_kept_fresh_while_its_entry_is_computed(tmp_path, monkeypatch):
    import time

    import lrlib.store as store_module

    monkeypatch.setattr(store_module, "CLAIM_HEARTBEAT_S", 0.05)
    store, config = Store(tmp_path), {"experiment": "demo", "version": 1, "x": 4}
    path = store.path_for(config)
    claim = path.with_name(f".claim-{path.name}")
    seen = []

    def compute():
        first = claim.stat().st_mtime
        time.sleep(0.3)
        seen.append(claim.stat().st_mtime > first)
        return {"arrays": {"a": np.ones(1)}}

    store.cached(config, compute, shared=True)
    assert seen == [True]


def test_a_second_put_with_other_data_is_an_error_not_a_silent_keep(tmp_path):
    """Reliability probe, defect 2: the new data were discarded without a word."""
    store, cfg = Store(tmp_path), {"experiment": "x", "version": 1}
    store.put(cfg, arrays={"a": np.array([1, 2, 3])}, table=pd.DataFrame({"v": [0.5, np.nan]}))
    again = store.put(cfg, arrays={"a": np.array([1, 2, 3])}, table=pd.DataFrame({"v": [0.5, np.nan]}))
    assert again.arrays["a"].tolist() == [1, 2, 3], "the same result stored twice is fine"
    with pytest.raises(ValueError, match="different result is already stored"):
        store.put(cfg, arrays={"a": np.array([9, 9, 9])})
    assert store.get(cfg).arrays["a"].tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    "arrays, table, match",
    [
        ({"allow_pickle": np.arange(3)}, None, "not allowed"),
        ({"file": np.arange(3)}, None, "not allowed"),
        (None, pd.DataFrame({"allow_pickle": [1, 2]}), "not allowed"),
        ({"o": np.array([{"a": 1}], dtype=object)}, None, "object array"),
    ],
)
def test_names_and_dtypes_the_store_cannot_read_back_are_refused_before_writing(tmp_path, arrays, table, match):
    store, cfg = Store(tmp_path), {"experiment": "x", "version": 1}
    with pytest.raises((ValueError, TypeError), match=match):
        store.put(cfg, arrays=arrays, table=table)
    assert store.get(cfg) is None


def test_tables_come_back_exactly_missing_values_and_dtypes_included(tmp_path):
    """Reliability probe, defect 5: None in a string column came back as the string 'nan', a bool column with a
    missing value as strings, nullable integers as floats."""
    table = pd.DataFrame(
        {
            "note": ["a", None, "c"],
            "flag": [True, None, False],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "kind": pd.Categorical(["y", "x", "y"], categories=["y", "x"]),
            "text": pd.array(["u", None, "w"], dtype="string"),
            "lr": [0.1, np.nan, 0.3],
        }
    )
    got = Store(tmp_path).put(CFG, table=table).table
    pd.testing.assert_frame_equal(got, table)
    assert got["note"].isna().tolist() == [False, True, False] and got["flag"].tolist()[1] is None


@pytest.mark.parametrize(
    "table, match",
    [
        (pd.DataFrame({"mixed": [1, "a"]}), "holds values of types int, str"),
        (pd.DataFrame({0: [1.0]}), "must be non-empty strings"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "repeated: \\['a'\\]"),
    ],
)
def test_tables_that_could_not_come_back_as_they_were_are_refused(tmp_path, table, match):
    store = Store(tmp_path)
    with pytest.raises((TypeError, ValueError), match=match):
        store.put(CFG, table=table)
    assert store.get(CFG) is None


def test_a_file_the_manifest_does_not_list_makes_the_entry_not_intact(tmp_path):
    """Reliability probe, defect 11: unlisted files were read unverified (an edited columns.json dropped columns)."""
    store = Store(tmp_path)
    entry = store.put(CFG, arrays={"w": np.ones(3)})
    assert store.intact(entry.path)
    np.savez(entry.path / "table.npz", x=np.zeros(2))
    assert not store.intact(entry.path) and store.get(CFG) is None
    (entry.path / "table.npz").unlink()
    (entry.path / "manifest.json").write_text(json.dumps({"files": {}}))  # a manifest that vouches for nothing
    assert store.get(CFG) is None


def test_a_read_only_store_refuses_before_computing(tmp_path):
    """Reliability probe, defect 6: compute() ran to the end, then the result could not be stored."""
    calls = []
    store = Store(tmp_path, read_only=True)
    with pytest.raises(MissingResult, match="is not stored"):
        store.cached(CFG, lambda: calls.append(1) or {"arrays": {"x": np.ones(1)}})
    assert calls == []
    Store(tmp_path).put(CFG, arrays={"x": np.ones(1)})
    (store.path_for(CFG) / "arrays.npz").write_bytes(b"junk")
    with pytest.raises(MissingResult, match="is damaged"):
        store.cached(CFG, lambda: calls.append(1) or {"arrays": {"x": np.ones(1)}})
    assert calls == []


def test_an_unwritable_store_folder_is_an_error_before_computing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    calls = []
    with pytest.raises(OSError, match="cannot store results in"):
        Store(blocker).cached(CFG, lambda: calls.append(1) or {"arrays": {"x": np.ones(1)}})
    assert calls == []


def test_temporary_folders_of_killed_writers_are_swept_away(tmp_path):
    import time

    from lrlib.store import STALE_TMP_S

    store = Store(tmp_path)
    folder = store.path_for(CFG).parent
    stale, fresh = folder / ".tmp-abc-1", folder / ".tmp-abc-2"
    for tmp in (stale, fresh):
        tmp.mkdir(parents=True)
        (tmp / "config.json").write_text("{}")
    old = time.time() - 2 * STALE_TMP_S
    os.utime(stale, (old, old))
    store.put(CFG, arrays={"x": np.ones(1)})
    assert not stale.exists(), "left by a writer killed long ago"
    assert fresh.exists(), "may belong to a writer at work right now"


def test_a_result_computed_twice_at_once_keeps_the_first_without_an_error(tmp_path):
    """Two processes computing the same entry at the same time (a notebook and the book build): their tables
    differ in their timings, and the second must not fail because of it."""
    store = Store(tmp_path)
    first = store.put(CFG, table=pd.DataFrame({"acc": [0.5], "wall_seconds": [1.0]}))
    again = store.cached(CFG, lambda: {"table": pd.DataFrame({"acc": [0.5], "wall_seconds": [2.0]})})
    assert again.table.equals(first.table)
    kept = store.put(CFG, table=pd.DataFrame({"acc": [0.5], "wall_seconds": [3.0]}), keep_existing=True)
    assert kept.table["wall_seconds"].tolist() == [1.0]
    with pytest.raises(ValueError, match="different result is already stored"):
        store.put(CFG, table=pd.DataFrame({"acc": [0.5], "wall_seconds": [3.0]}))


def test_ragged_arrays_and_negative_versions_are_refused_with_their_names(tmp_path):
    """Reliability probe, rerun after the fixes (S11, S3b): numpy's 'inhomogeneous shape' error without the array's
    name; version -3 stored silently."""
    store = Store(tmp_path)
    with pytest.raises(ValueError, match="array 'r' is ragged"):
        store.put(CFG, arrays={"r": [[1], [1, 2]]})
    with pytest.raises(ValueError, match="integer 'version' >= 0, got -3"):
        store.put({"experiment": "x", "version": -3}, arrays={"a": [1]})
