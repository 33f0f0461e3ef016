"""Parts: the walk over a part's units, timing and provenance, stopping rules, several processes, and the scale a
chapter shows for each part."""

import dataclasses
import types

import numpy as np
import pandas as pd
import pytest

from lrlib import chapter, experiment
from lrlib.store import Store


def _unit(label, value, calls, experiment_name="test-part", scale="smoke"):
    def compute():
        calls.append(label)
        return {"table": pd.DataFrame({"label": [label], "value": [value]}), "provenance": {"engine": "fake"}}

    return experiment.Unit(
        label, {"experiment": experiment_name, "version": 1, "scale": scale, "label": label}, compute
    )


def _rows_part(rows, calls, **kw):
    """A part whose blocks are rows of values; a row of zeros is a 'floor' below which nothing runs."""

    def blocks(scale):
        return [[_unit(f"r{i}c{j}", v, calls, scale=scale) for j, v in enumerate(row)] for i, row in enumerate(rows)]

    def stop(entries, pending):
        return all(e.table["value"].iloc[0] == 0 for e in entries) and pending == 0

    return experiment.Part("rows", "the rows", blocks, stop=stop, **kw)


def test_collect_computes_missing_units_with_provenance_and_then_reads_them(tmp_path):
    calls = []
    part = _rows_part([[1, 2], [3, 4]], calls)
    store = Store(tmp_path)
    first = experiment.collect(part, "smoke", store)
    assert calls == ["r0c0", "r0c1", "r1c0", "r1c1"] and first.complete
    entry = first.entries["r1c0"]
    assert entry.provenance["engine"] == "fake" and entry.provenance["profile"] == "smoke"
    assert entry.provenance["wall_time_s"] >= 0 and "commit" in entry.provenance
    again = experiment.collect(part, "smoke", store)
    assert calls == ["r0c0", "r0c1", "r1c0", "r1c1"], "stored units must not be computed again"
    assert again.table["value"].tolist() == [1, 2, 3, 4]


def test_collect_stops_after_the_block_the_rule_names(tmp_path):
    calls = []
    result = experiment.collect(_rows_part([[5, 5], [0, 0], [7, 7]], calls), "smoke", Store(tmp_path))
    assert calls == ["r0c0", "r0c1", "r1c0", "r1c1"] and result.complete
    assert result.table["value"].tolist() == [5, 5, 0, 0]


def test_without_compute_missing_units_are_listed_and_nothing_runs(tmp_path):
    calls = []
    part = _rows_part([[1, 2], [3, 4]], calls)
    store = Store(tmp_path)
    store.put(part.units("smoke")[1].config, table=pd.DataFrame({"label": ["r0c1"], "value": [2]}))
    result = experiment.collect(part, "smoke", store, compute=False)
    assert calls == [] and list(result.entries) == ["r0c1"]
    assert [u.label for u in result.missing] == ["r0c0", "r1c0", "r1c1"] and not result.complete


def test_a_unit_another_process_holds_is_pending_and_read_again_after_its_block(tmp_path, monkeypatch):
    calls = []
    part = _rows_part([[0, 0], [9, 9]], calls, shared=True)
    store = Store(tmp_path)
    held = part.units("smoke")[1]
    claim = store.path_for(held.config).with_name(f".claim-{store.path_for(held.config).name}")
    claim.parent.mkdir(parents=True)
    claim.write_text("elsewhere 1")  # a live process on another host holds it
    result = experiment.collect(part, "smoke", store)
    # the block is not known to be a floor while a unit is pending: the walk goes on to the next block
    assert calls == ["r0c0", "r1c0", "r1c1"] and [u.label for u in result.missing] == ["r0c1"]

    # the other process stores it while this one computes the rest of the block: it is read, and the rule sees it
    calls.clear()
    store2 = Store(tmp_path / "second")
    original = store2.cached

    def cached(config, compute, shared=False):
        if config == held.config:
            store2.put(config, table=pd.DataFrame({"label": ["r0c1"], "value": [0]}))
            return None
        return original(config, compute, shared=shared)

    monkeypatch.setattr(store2, "cached", cached)
    result = experiment.collect(part, "smoke", store2)
    assert calls == ["r0c0"] and result.complete and result.table["value"].tolist() == [0, 0]


def test_results_name_entries_by_part_and_sum_provenance(tmp_path):
    calls = []
    part = _rows_part([[1, 2]], calls)
    result = experiment.collect(part, "smoke", Store(tmp_path))
    res = experiment.Results({"rows": result})
    assert set(res.entries) == {"the rows: r0c0", "the rows: r0c1"}
    prov = res.provenance()
    assert list(prov.index) == ["the rows"]
    assert prov.loc["the rows", "entries"] == 2 and prov.loc["the rows", "missing"] == 0
    assert prov.loc["the rows", "scale"] == "smoke"
    with pytest.raises(KeyError, match="no part 'grid'; this chapter's parts are \\['rows'\\]"):
        res["grid"]
    with pytest.raises(ValueError, match="scale must be one of"):
        experiment.collect(part, "huge", Store(tmp_path))


def test_two_settings_sharing_their_smoke_runs_list_them_once(tmp_path):
    """The GPU and CPU settings of one experiment share their smoke configuration: provenance listed every run twice."""
    store, calls = Store(tmp_path), []
    rows = _rows_part([[1, 2]], calls)
    cpu_rows = dataclasses.replace(rows, name="rows-cpu", title="the rows, CPU setting")
    other = experiment.Part("other", "other rows", lambda scale: [[_unit("x", 5, calls, "another-part", scale)]])
    res = experiment.Results({p.name: experiment.collect(p, "smoke", store) for p in (rows, cpu_rows, other)})
    assert calls == ["r0c0", "r0c1", "x"], "the CPU setting's smoke runs were read, not computed"
    prov = res.provenance()
    assert list(prov.index) == ["the rows; the same runs: the rows, CPU setting", "other rows"]
    assert prov["entries"].tolist() == [2, 1]
    assert set(res.entries) == {"the rows: r0c0", "the rows: r0c1", "other rows"}


def _chapter(tmp_path, monkeypatch, stored: dict[str, list[int]], partial=()):
    """A fake chapter with parts 'a', 'b' of two units each; ``stored`` says which paper units are stored."""
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    parts = []
    for name in ("a", "b"):
        units = lambda scale, name=name: [[_unit(f"{name}{i}", i, [], f"test-{name}", scale) for i in range(2)]]
        parts.append(experiment.Part(name, f"the part {name}", units, partial=name in partial))
    store = Store(tmp_path)
    for name, which in stored.items():
        part = next(p for p in parts if p.name == name)
        for i in which:
            store.put(part.units("paper")[i].config, table=pd.DataFrame({"v": [i]}), provenance={"device": "GPU X"})
    return types.SimpleNamespace(TITLE="Chapter X", PARTS=tuple(parts))


def _book_build(monkeypatch):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")


def test_book_build_shows_stored_parts_at_paper_scale_and_says_so(tmp_path, monkeypatch):
    _book_build(monkeypatch)
    ch = _chapter(tmp_path, monkeypatch, {"a": [0, 1], "b": [0]})
    run = chapter.start(ch)
    assert run.part_scales == {"a": "paper", "b": "smoke"} and run.scale == "smoke" and run.mixed
    assert "**paper scale**: the part a" in run.notice and "built: the part b" in run.notice
    assert "| `paper` for the part a. `smoke` for the part b. |" in run._repr_markdown_()
    res = experiment.load_all(run, ch.PARTS)
    assert res.scale("a") == "paper" and res["a"].complete and res.table("a")["v"].tolist() == [0, 1]
    assert res.scale("b") == "smoke"


def test_two_settings_sharing_their_smoke_runs_are_named_once_in_the_header(tmp_path, monkeypatch):
    _book_build(monkeypatch)
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))

    def blocks(setting):  # the same smoke runs, different paper runs
        return lambda scale: [
            [_unit(f"u{i}", i, [], f"x-{setting if scale == 'paper' else 'smoke'}", scale) for i in (0, 1)]
        ]

    parts = (
        experiment.Part("gpu", "arms, GPU setting (wide)", blocks("gpu")),
        experiment.Part("cpu", "arms, CPU setting (narrow)", blocks("cpu")),
        experiment.Part("other", "other, CPU setting (narrow)", lambda scale: [[_unit("o", 0, [], "o", scale)]]),
    )
    Store(tmp_path).put(parts[2].units("paper")[0].config, table=pd.DataFrame({"v": [0]}))
    run = chapter.start(types.SimpleNamespace(TITLE="Chapter X", PARTS=parts))
    assert run.same_runs == {"cpu": "gpu"}
    assert run.titles_at("smoke") == ["arms, GPU setting (wide) and CPU setting (narrow), the same smoke runs"]
    assert "built: arms, GPU setting (wide) and CPU setting (narrow), the same smoke runs." in run.notice


def test_a_stand_in_shown_in_place_of_an_unstored_setting_is_named_and_the_other_is_not_listed(tmp_path, monkeypatch):
    _book_build(monkeypatch)
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))

    def blocks(setting):
        return lambda scale: [[_unit("u", 0, [], f"x-{setting if scale == 'paper' else 'smoke'}", scale)]]

    parts = (
        experiment.Part("gpu", "arms, GPU setting (wide)", blocks("gpu"), stand_in="cpu"),
        experiment.Part("cpu", "arms, CPU setting (narrow)", blocks("cpu")),
    )
    Store(tmp_path).put(parts[1].units("paper")[0].config, table=pd.DataFrame({"v": [0]}), provenance={"device": "X"})
    run = chapter.start(types.SimpleNamespace(TITLE="Chapter X", PARTS=parts))
    assert run.stood_in == {"gpu": "cpu"} and run.titles_at("smoke") == []
    assert run.notice == (
        "Every part this page shows is at **paper scale**. arms, GPU setting (wide) is not stored in full yet; "
        "the page shows arms, CPU setting (narrow) in its place."
    )
    assert "computed in this run" not in run._computed_on() and "`smoke` for" not in run._scale_cell()


def test_a_partial_part_shows_what_is_stored_at_paper_scale(tmp_path, monkeypatch):
    _book_build(monkeypatch)
    ch = _chapter(tmp_path, monkeypatch, {"a": [0, 1], "b": [1]}, partial=("b",))
    run = chapter.start(ch)
    assert run.scale == "paper" and not run.mixed and run.store.read_only
    assert "Every part" in run.notice and "Part of the paper grid only" in run.notice and "the part b" in run.notice
    res = experiment.load_all(run, ch.PARTS)
    assert [u.label for u in res["b"].missing] == ["b0"], "the book build never computes a paper result"


def test_book_build_without_stored_results_falls_back_to_smoke(tmp_path, monkeypatch):
    _book_build(monkeypatch)
    run = chapter.start(_chapter(tmp_path, monkeypatch, {}))
    assert run.scale == "smoke" and "not stored" in run.notice and "smoke-scale" in run._repr_markdown_()
    full = chapter.start(_chapter(tmp_path / "full", monkeypatch, {"a": [0, 1], "b": [0, 1]}))
    assert full.scale == "paper" and full.notice == "" and full.store.read_only


def test_a_reader_asking_for_paper_scale_computes_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.delenv("LRLIB_RESULTS", raising=False)
    run = chapter.start(_chapter(tmp_path, monkeypatch, {}))
    assert run.scale == "paper" and not run.store.read_only and run.notice == ""
    page = chapter.start("A page without results")
    assert page.title == "A page without results" and page.part_scales == {}


def test_units_are_the_blocks_in_order():
    part = _rows_part([[1, 2], [3]], [])
    assert [u.label for u in part.units("paper")] == ["r0c0", "r0c1", "r1c0"]
    assert np.all([u.config["scale"] == "paper" for u in part.units("paper")])


def test_a_part_whose_data_is_missing_falls_back_to_smoke_in_the_book_build(tmp_path, monkeypatch):
    from lrlib.data import DataError

    _book_build(monkeypatch)
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))

    def blocks(scale):
        if scale == "paper":
            raise DataError("MNIST is not in LRLIB_DATA")
        return [[_unit("u", 1, [], scale=scale)]]

    assert experiment.part_scale(experiment.Part("grid", "the grid", blocks)) == "smoke"


def test_a_block_held_entirely_by_other_processes_is_shown_to_the_stopping_rule(tmp_path):
    calls, seen = [], []

    def blocks(scale):
        return [[_unit("a", 1, calls, scale=scale)], [_unit("b", 2, calls, scale=scale)]]

    def stop(entries, pending):
        seen.append((len(entries), pending))
        return pending > 0

    part = experiment.Part("rows", "the rows", blocks, stop=stop, shared=True)
    store = Store(tmp_path)
    held = store.path_for(part.units("smoke")[0].config)
    held.parent.mkdir(parents=True)
    held.with_name(f".claim-{held.name}").write_text("elsewhere 1")
    result = experiment.collect(part, "smoke", store)
    assert seen == [(0, 1)] and calls == [] and [u.label for u in result.missing] == ["a"]


def test_the_chapter_header_names_where_results_were_computed_and_no_path_of_the_build_machine(tmp_path, monkeypatch):
    """Issue 17: every page showed absolute local paths, and a "device (this session)" row that readers took for
    where the stored results came from."""
    _book_build(monkeypatch)
    header = chapter.start(_chapter(tmp_path, monkeypatch, {"a": [0, 1], "b": [0]}))._repr_markdown_()
    assert "GPU X (the part a; stored)" in header, "the device in the stored results' provenance"
    assert "(computed in this run)" in header, "part b falls back to smoke, computed by this build"
    assert str(tmp_path) not in header and "the folder `LRLIB_STORE` names" in header


def test_a_chapter_waits_for_a_unit_another_process_holds_instead_of_drawing_an_incomplete_part(tmp_path, monkeypatch):
    """Two notebooks on one cache (the seed-robustness runs): the one that found a unit claimed by the other drew
    the part without it and crashed (chapter 4, KeyError 'arm'). A notebook now waits; the paper command skips."""
    import threading
    import time

    monkeypatch.setattr(experiment, "WAIT_POLL_S", 0.05)
    calls = []
    part = _rows_part([[5, 6]], calls, shared=True)
    store = Store(tmp_path)
    held = part.units("smoke")[1]
    with store.claim(held.config) as mine:  # this process's own live pid: a claim the walk must respect
        assert mine
        assert [u.label for u in experiment.collect(part, "smoke", store).missing] == ["r0c1"], "skipped"

        def finish():  # the holder stores it a little later, while still holding its claim
            time.sleep(0.3)
            store.put(held.config, table=pd.DataFrame({"label": ["r0c1"], "value": [6]}))

        threading.Thread(target=finish).start()
        result = experiment.collect(part, "smoke", store, wait=True)
    assert result.complete and result.table["value"].tolist() == [5, 6] and calls.count("r0c1") == 0


def test_a_chapter_shows_a_warning_as_one_line_without_the_library_path(tmp_path, monkeypatch):
    import warnings

    _book_build(monkeypatch)
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    chapter.start(_chapter(tmp_path, monkeypatch, {"a": [0, 1], "b": [0, 1]}))
    text = warnings.formatwarning("using the subset", UserWarning, "/somewhere/lrlib/vision/data.py", 98)
    assert text == "UserWarning: using the subset\n"


def test_a_damaged_stored_entry_is_named_as_damaged_not_as_missing(tmp_path, monkeypatch):
    """Reliability probe, rerun (D25): a damaged entry was reported as "not stored with the book yet"."""
    _book_build(monkeypatch)
    ch = _chapter(tmp_path, monkeypatch, {"a": [0, 1], "b": [0, 1]})
    entry = Store(tmp_path).path_for(ch.PARTS[1].units("paper")[1].config)
    (entry / "table.npz").write_bytes(b"junk")
    run = chapter.start(ch)
    assert "**1 stored result(s) are damaged**" in run.notice and "the part b: b1" in run.notice
