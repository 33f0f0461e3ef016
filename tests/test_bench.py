"""The engine page's benchmark is stored once with the machine's state, and read back newest first."""

import torch

from lrlib import bench
from lrlib.store import Store


def _fake_run(workloads, *, dev, seconds, precisions):
    rows = [
        {"workload": w, "method": m, "model_steps_per_s": rate, "ratio_to_loop": rate / 10.0, "flops_fraction": None}
        for w in workloads
        for m, rate in (("engine", 30.0), ("per-model loop", 10.0))
    ]
    return {"threads": 1, "cpu_count": 2, "load_average_before": (0.1, 0, 0), "load_average_after": (0.2, 0, 0),
            "rows": rows}  # fmt: skip


def test_the_page_measurement_is_stored_with_the_load_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "run", _fake_run)
    store = Store(tmp_path)
    entry = bench.store_page_measurement(torch.device("cpu"), store)
    assert entry.config["experiment"] == "engine-bench" and entry.config["device_type"] == "cpu"
    assert entry.provenance["load_average_before"][0] == 0.1 and entry.provenance["cpu_count"] == 2
    assert entry.provenance["commit"] and entry.provenance["date"]
    (found,) = bench.page_measurements(store)
    engine = found.table[(found.table["workload"] == "two_layer") & (found.table["method"] == "engine")]
    assert float(engine["ratio_to_loop"].iloc[0]) == 3.0
    assert found.table["flops_fraction"].isna().all(), "a missing peak stays missing, not the string 'None'"


def test_no_stored_measurement_reads_as_none_found(tmp_path):
    assert bench.page_measurements(Store(tmp_path)) == []


def test_the_engine_ratio_is_the_best_engine_method_over_the_loop(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "run", _fake_run)
    entry = bench.store_page_measurement(torch.device("cpu"), Store(tmp_path))
    assert bench.engine_ratio(entry, "ch5") == 3.0
    assert bench.engine_ratio(None, "ch5") != bench.engine_ratio(None, "ch5"), "no measurement: NaN"
