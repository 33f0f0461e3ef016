"""Chapter 2's numbers on its stored paper-scale synthetic results (the CIFAR settings are stored over sittings):
a change to the analysis that moves a number the prose quotes fails here."""

from lrlib import experiment
from lrlib.claims import Claims
from lrlib.findings import Findings
from lrlib.papers.ch02_initial_large_lr import synthetic, synthetic_report


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
