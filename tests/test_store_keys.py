"""The safety net of every refactor: the paper-scale configurations the code generates are exactly the stored ones.

Store keys are hashes of full configurations, so a change to one field silently orphans ``book/_results``. For
every chapter, the configurations its parts walk at paper scale (with every stopping rule applied to the stored
data) must equal the stored ``config.json`` files of the experiments those parts write, with nothing missing from
a cheap part (a costly part, stored over several sittings, or a partial grid may lack units; a change of its
configurations still shows as orphaned entries); and every stored experiment must belong to some chapter's part.
"""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from lrlib import bench, experiment, seeds
from lrlib.papers import CHAPTERS, chapter
from lrlib.store import config_key

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "book" / "_results"
pytestmark = pytest.mark.skipif(not RESULTS.is_dir(), reason="no stored results in this checkout")


def stored_keys() -> dict[str, set[str]]:
    keys = defaultdict(set)
    for path in RESULTS.glob("*/*/config.json"):
        config = json.loads(path.read_text())
        assert config_key(config) == path.parent.name, f"{path} does not hash to its folder name"
        keys[config["experiment"]].add(path.parent.name)
    return keys


def generated_keys(key: str) -> tuple[dict[str, set[str]], list[str]]:
    """A chapter's paper-scale configurations as its parts walk them, by experiment, and the missing units."""
    keys, missing = defaultdict(set), []
    for part in chapter(key).PARTS:
        for unit in part.units("paper"):  # every experiment a part writes, even one with nothing stored
            keys[unit.config["experiment"]]
        found = experiment.stored(part, "paper")
        for entry in found.entries.values():
            keys[entry.config["experiment"]].add(config_key(entry.config))
        if not (part.partial or part.costly):  # costly parts and partial grids are stored over several sittings
            missing += [f"{part.name}: {unit.label}" for unit in found.missing]
    return keys, missing


@pytest.mark.parametrize("key", list(CHAPTERS))
def test_the_code_generates_exactly_the_stored_paper_configurations(key, shared_data, monkeypatch):
    monkeypatch.delenv("LRLIB_SEED", raising=False)
    monkeypatch.delenv("LRLIB_STORE", raising=False)
    stored = stored_keys()
    generated, missing = generated_keys(key)
    assert not missing, f"paper-scale entries the code expects but the store lacks: {missing[:10]}"
    for name in sorted(generated):
        orphaned, unknown = stored[name] - generated[name], generated[name] - stored[name]
        assert not orphaned and not unknown, (
            f"{name}: {len(orphaned)} stored entries the code no longer generates (e.g. {sorted(orphaned)[:3]}), "
            f"{len(unknown)} generated configurations not stored (e.g. {sorted(unknown)[:3]})"
        )


def test_every_stored_experiment_belongs_to_a_chapter(shared_data, monkeypatch):
    monkeypatch.delenv("LRLIB_SEED", raising=False)
    written = {u.config["experiment"] for key in CHAPTERS for p in chapter(key).PARTS for u in p.units("paper")}
    written.add(seeds.EXPERIMENT)  # the seed-robustness runs of every chapter's notebook (lrlib.seeds)
    written.add(bench.PAGE["experiment"])  # the engine page's stored benchmark (python -m lrlib.bench --store)
    assert set(stored_keys()) <= written, f"stored experiments no part writes: {set(stored_keys()) - written}"
