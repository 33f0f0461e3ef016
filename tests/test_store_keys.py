"""The safety net of every refactor: the paper-scale configurations the code generates are exactly the stored ones.

Store keys are hashes of full configurations, so a change to one field silently orphans ``book/_results``. For
every experiment in the store, the set of configurations that the code walks at paper scale (with every stopping
rule applied to the stored data) must equal the set of stored ``config.json`` files, and nothing may be missing.
"""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from lrlib.store import Store, config_key

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "book" / "_results"


def _stored_keys() -> dict[str, set[str]]:
    keys = defaultdict(set)
    for path in RESULTS.glob("*/*/config.json"):
        config = json.loads(path.read_text())
        assert config_key(config) == path.parent.name, f"{path} does not hash to its folder name"
        keys[config["experiment"]].add(path.parent.name)
    return keys


def _generated_keys() -> tuple[dict[str, set[str]], list[str]]:
    """Every paper-scale configuration the code walks, by experiment, and the entries it finds missing."""
    from lrlib.papers import bayesian_batch_size as ch3
    from lrlib.papers import bayesian_batch_size_sweeps as ch3s
    from lrlib.papers import benign_oscillation as ch1
    from lrlib.papers import quickstart
    from lrlib.papers import sgd_noise_phase as ch5

    store = Store(RESULTS, read_only=True)
    configs, missing = (
        [
            quickstart.config("paper"),
            ch1.main_config("paper"),
            ch1.lr_sweep_config("paper"),
            ch1.noise_window_config("paper"),
            ch3.evidence_config("paper"),
        ],
        [],
    )
    configs += [ch3s.group_config("paper", n, b) for n, b in ch3s.groups("paper")]
    for results in (ch5.perceptron_results, ch5.phase_results, ch5.lazy_results):
        _, entries, absent = results("paper", store, only_stored=True, show_progress=False)
        configs += [e.config for e in entries.values()]
        missing += [f"{results.__name__}: {m}" for m in absent]
    _, entries, absent = ch5.lazy_results(
        "paper", store, only_stored=True, show_progress=False, seed_offset=ch5.LAZY_CHECK_OFFSET
    )
    configs += [e.config for e in entries.values()]
    missing += [f"lazy check: {m}" for m in absent]
    keys = defaultdict(set)
    for config in configs:
        keys[config["experiment"]].add(config_key(config))
    return keys, missing


@pytest.mark.skipif(not RESULTS.is_dir(), reason="no stored results in this checkout")
def test_the_code_generates_exactly_the_stored_paper_configurations(shared_data, monkeypatch):
    monkeypatch.delenv("LRLIB_SEED", raising=False)
    stored = _stored_keys()
    generated, missing = _generated_keys()
    assert not missing, f"paper-scale entries the code expects but the store lacks: {missing[:10]}"
    for experiment in sorted(set(stored) | set(generated)):
        orphaned = stored[experiment] - generated[experiment]
        unknown = generated[experiment] - stored[experiment]
        assert not orphaned and not unknown, (
            f"{experiment}: {len(orphaned)} stored entries the code no longer generates (e.g. "
            f"{sorted(orphaned)[:3]}), {len(unknown)} generated configurations not stored (e.g. {sorted(unknown)[:3]})"
        )
