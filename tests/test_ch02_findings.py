"""Chapter 2's numbers on its stored paper-scale synthetic results (the CIFAR settings are stored over sittings):
a change to the analysis that moves a number the prose quotes fails here."""

import pytest

from lrlib import experiment
from lrlib.claims import Claims
from lrlib.findings import Findings
from lrlib.papers.ch02_initial_large_lr import patch, patch_report, synthetic, synthetic_report


def test_findings_and_claims_of_the_stored_synthetic_experiment(shared_data, monkeypatch, snapshot):
    monkeypatch.delenv("LRLIB_SEED", raising=False)
    monkeypatch.delenv("LRLIB_STORE", raising=False)
    res = experiment.Results({part.name: experiment.stored(part, "paper") for part in synthetic.PARTS})
    assert all(r.complete for r in res.parts.values()), "the paper-scale map and pinned point are stored"
    f = Findings()
    synthetic_report.add_findings(f, res)
    snapshot("ch02_findings", f.table())

    claims = Claims("chapter 2, synthetic")
    synthetic_report.add_claims(claims, res)
    assert [c.name for c in claims.failed] == [
        "synthetic, large LR: Q-only accuracy before the anneal",
        "synthetic, small LR + activation noise: Q-only before the anneal",
        "synthetic, small LR + activation noise: Q-only at the end",
    ]


def test_findings_and_claims_of_the_stored_cpu_patch_runs(shared_data, monkeypatch, snapshot):
    """The CPU setting's patch runs are stored over sittings: this checks them once all are stored."""
    monkeypatch.delenv("LRLIB_SEED", raising=False)
    monkeypatch.delenv("LRLIB_STORE", raising=False)
    stored = experiment.stored(patch.PATCH_CPU, "paper")
    if not stored.complete:
        pytest.skip(f"{len(stored.entries)} of {len(stored.entries) + len(stored.missing)} CPU patch runs stored")
    res = experiment.Results({"patch-cpu": stored})
    f = Findings()
    patch_report.add_findings(f, res)
    snapshot("ch02_patch_cpu_findings", f.table())

    claims = Claims("chapter 2, CIFAR-10 patch, CPU setting")
    patch_report.add_claims(claims, res)
    assert not claims.waiting, "every claim of a stored setting is checked"
    snapshot("ch02_patch_cpu_claims", claims.table())
    assert [c.name for c in claims.failed] == [  # the findings the chapter discusses
        "1. small LR: patch-only accuracy within 2 epochs [cpu]",
        "2. large LR: patch-only accuracy at epoch 32 [cpu]",
        "3. clean accuracy at epoch 5, small − large LR [cpu]",
        "5. final clean accuracy, |noise − large LR| [cpu]",
    ]
