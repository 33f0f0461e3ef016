import os
from pathlib import Path

import pytest
import torch

# The suite runs two workers on two cores (pytest -n 2): one thread each keeps small tensor ops from thrashing.
torch.set_num_threads(1)

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data(monkeypatch):
    """The real offline dataset files (../shared/data), read through LRLIB_DATA, never downloading."""
    root = Path(os.environ.get("LRLIB_DATA", SHARED_DATA))
    if not (root / "mnist").is_dir():
        pytest.skip(f"offline data folder {root} not found (set LRLIB_DATA)")
    monkeypatch.setenv("LRLIB_DATA", str(root))
    monkeypatch.setenv("LRLIB_OFFLINE", "1")
    return root


SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


@pytest.fixture
def snapshot():
    """Compare a table with its stored snapshot ``tests/snapshots/<name>.json`` (numbers to 1e-9 relative).

    ``LRLIB_UPDATE_SNAPSHOTS=1`` rewrites the snapshot instead: do it only when a change of the numbers is
    intended, and say why in the commit."""
    import json
    import math

    def check(name: str, table) -> None:
        rows = json.loads(table.to_json(orient="records", double_precision=15))
        path = SNAPSHOTS / f"{name}.json"
        if os.environ.get("LRLIB_UPDATE_SNAPSHOTS") == "1" or not path.exists():
            SNAPSHOTS.mkdir(exist_ok=True)
            path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
            if os.environ.get("LRLIB_UPDATE_SNAPSHOTS") != "1":
                pytest.fail(f"no snapshot {path.name} yet: written now; check it and commit it")
            return
        expected = json.loads(path.read_text())
        assert len(rows) == len(expected), f"{name}: {len(rows)} rows, snapshot has {len(expected)}"
        for got, want in zip(rows, expected):
            assert got.keys() == want.keys(), f"{name}: columns {list(got)} differ from {list(want)}"
            for column, value in want.items():
                new = got[column]
                same = (
                    math.isclose(new, value, rel_tol=1e-9, abs_tol=1e-12)
                    if isinstance(value, float) and isinstance(new, (int, float))
                    else new == value
                )
                assert same, f"{name}: {want.get('key', '?')}.{column} is {new!r}, the snapshot says {value!r}"

    return check


@pytest.fixture
def stored_paper(shared_data, monkeypatch):
    """``stored_paper(chapter_package)`` → its ``Results`` read from the shipped paper-scale results, as the book
    build reads them (skips if a part's paper results are not all stored)."""
    from lrlib import chapter

    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    monkeypatch.delenv("LRLIB_SEED", raising=False)
    monkeypatch.delenv("LRLIB_STORE", raising=False)

    def load(ch):
        res = ch.load(chapter.start(ch))
        # a part with nothing at smoke scale (a larger setting shown once stored, e.g. the full-MNIST sweeps)
        # leaves the page as it was until it is stored
        shown = [r for r in res.parts.values() if r.part.units("smoke") or r.scale == "paper"]
        if not all(r.complete and r.scale == "paper" for r in shown):
            pytest.skip(f"the paper-scale results of {ch.__name__} are not all stored")
        return res

    return load
