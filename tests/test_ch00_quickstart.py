"""The quick start: its claims on known numbers (they hold on a healthy sweep and fail otherwise), and its findings
and claims on the stored paper-scale sweep."""

import pandas as pd
import pytest

from lrlib.claims import Claims
from lrlib.papers.ch00_quickstart import analysis, claims, experiments

LRS = (0.001, 0.1, 30.0)


def _sweep(errors: dict, losses: dict, diverged_at: float | None = None, seeds: int = 3) -> pd.DataFrame:
    """A final-rows-only engine table: per learning rate, every seed's test error and train loss."""
    rows = []
    for lr in LRS:
        for seed in range(seeds):
            gone = lr == diverged_at and seed == 0
            rows.append(
                {
                    "lr": lr,
                    "seed": seed,
                    "final": True,
                    "step": 100,
                    "test_error": 1.0 if gone else errors[lr] + 0.001 * seed,
                    "train_loss": float("nan") if gone else losses[lr],
                    "rel_weight_change": 1.0,
                    "stop_reason": "diverged" if gone else "max_steps",
                }
            )
    return pd.DataFrame(rows)


HEALTHY = dict(errors={0.001: 0.3, 0.1: 0.12, 30.0: 0.9}, losses={0.001: 1.8, 0.1: 0.01, 30.0: 8.0})


def test_claims_hold_on_a_healthy_sweep():
    checked = claims.sweep_claims(Claims("ok", scale="smoke"), _sweep(**HEALTHY))
    assert not checked.failed
    checked.check()
    assert checked.items[0].measured == 0.1


def test_claims_fail_when_the_largest_learning_rate_is_best():
    table = _sweep(errors={0.001: 0.3, 0.1: 0.2, 30.0: 0.1}, losses={0.001: 1.8, 0.1: 0.01, 30.0: 0.001})
    checked = claims.sweep_claims(Claims("bad", scale="smoke"), table)
    failed = {c.name for c in checked.failed}
    assert any("interior" in n for n in failed) and any("largest learning rate fails" in n for n in failed)
    with pytest.raises(AssertionError):
        checked.check()


def test_a_diverged_member_counts_as_a_failure_never_as_a_success():
    table = _sweep(**HEALTHY, diverged_at=30.0)
    fail = analysis.failures(table)
    assert int(fail["diverged"].sum()) == 1 and analysis.learning_rates(fail[fail["diverged"]]) == "30"
    assert analysis.learning_rates(fail[fail["near_chance"]]) == "30"  # the other seeds, finite but at chance
    assert not claims.sweep_claims(Claims("diverged", scale="smoke"), table).failed
    table.loc[table["stop_reason"] == "diverged", "test_error"] = 0.05  # a diverged run passed off as a success
    failed = claims.sweep_claims(Claims("hidden", scale="smoke"), table).failed
    assert any("diverged" in c.name for c in failed)


def test_the_paper_configuration_is_the_stored_one():
    config = experiments.config("paper")
    assert config["experiment"] == "quickstart-mnist-lr" and config["lrs"][0] == 0.001 and config["seeds"] == 5


@pytest.fixture
def paper_results(stored_paper):
    from lrlib.papers import ch00_quickstart as ch0

    return ch0, stored_paper(ch0)


def test_claims_on_the_stored_sweep_are_labelled_paper_scale(paper_results):
    ch0, res = paper_results
    table = ch0.check_claims(res).table()
    assert len(table) == 6 and set(table["scale"]) == {"paper"} and set(table["result"]) == {"pass"}


def test_findings_on_the_stored_paper_results(paper_results, snapshot):
    ch0, res = paper_results
    snapshot("ch00_findings", ch0.findings(res))
