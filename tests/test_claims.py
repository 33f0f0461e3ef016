import math

import pytest

from lrlib.claims import ClaimFailed, Claims


def test_failing_claim_fails_with_the_table():
    claims = Claims("Chapter X")
    claims.at_least("accuracy", 0.97, 0.95, paper="99%")
    claims.at_most("loss", 0.5, 0.1)
    with pytest.raises(ClaimFailed) as err:
        claims.check()
    text = str(err.value)
    assert "1 claim(s) failed: loss" in text and "accuracy" in text and "FAIL" in text and "99%" in text


def test_passing_claims_pass_and_render():
    claims = Claims()
    claims.between("slope", 1.02, 0.9, 1.1, paper="1")
    claims.holds("ordered", True, measured=[3, 2, 1], test="decreasing")
    claims.check()
    assert "2 of 2 hold" in claims._repr_html_()


@pytest.mark.parametrize("value", [math.nan, math.inf, None, "n/a"])
def test_non_finite_measurement_never_passes(value):
    claims = Claims()
    claims.at_least("x", value, 0.0)
    claims.at_most("y", value, 1.0)
    assert len(claims.failed) == 2


def test_no_claims_is_a_failure():
    with pytest.raises(ClaimFailed, match="no claims"):
        Claims().check()


def test_a_failed_paper_claim_is_reported_not_raised():
    claims = Claims("Chapter X", scale="smoke")
    claims.at_least("smoke accuracy", 0.99, 0.95)
    with claims.on_scale("paper"):
        claims.between("slope", 1.6, 0.75, 1.25, paper="1")
    assert claims.scale == "smoke"  # the block restores the scale
    outcome = claims.check()
    assert [c.name for c in outcome.not_reproduced] == ["slope"]
    text = outcome._repr_markdown_()
    assert "Not reproduced" in text and "1 of 2" in text and "1.6" in text and "in [0.75, 1.25]" in text
    assert "1 checked on paper-scale numbers did not" in claims._repr_html_()
    assert list(claims.table()["scale"]) == ["smoke", "paper"]


def test_a_failed_smoke_claim_still_raises_beside_failed_paper_claims():
    claims = Claims(scale="paper")
    claims.at_most("paper loss", 0.5, 0.1)
    with claims.on_scale("smoke"):
        claims.at_most("smoke loss", 0.5, 0.1)
    with pytest.raises(ClaimFailed, match="1 claim\\(s\\) failed: smoke loss"):
        claims.check()


def test_claims_without_a_scale_are_regression_tests():
    claims = Claims()
    claims.at_least("x", 0.0, 1.0)
    with pytest.raises(ClaimFailed):
        claims.check()
    passing = Claims(scale="paper")
    passing.at_least("x", 2.0, 1.0)
    assert "all 1 claims hold" in str(passing.check())


def test_an_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="'huge'"):
        Claims(scale="huge")
    with pytest.raises(ValueError, match="'gpu'"):
        with Claims().on_scale("gpu"):
            pass


def test_setting_an_unknown_scale_is_refused():
    claims = Claims()
    claims.scale = "paper"
    with pytest.raises(ValueError, match="'large'"):
        claims.scale = "large"
    assert claims.scale == "paper"


def test_meets_asks_whether_the_estimates_interval_reaches_the_band():
    claims = Claims("t", scale="smoke")
    claims.meets("just below, within two s.e.", 0.149, 0.01, 0.15, 0.4)
    claims.meets("far below", 0.05, 0.01, 0.15, 0.4)
    claims.meets("no error bar", 0.2, float("nan"), 0.15, 0.4)
    assert [c.passed for c in claims.items] == [True, False, False]
    assert claims.items[0].measured == "0.149 ± 0.01"


def test_the_paper_value_and_its_source_are_separate_columns():
    """Issue 17, item 4: the source of a paper value was a tag inside its text, and untagged values looked read."""
    claims = Claims("T", scale="paper")
    claims.at_least("a", 1.0, 0.5, paper="1 [paper]; we test 1 ± 0.25")
    claims.at_least("b", 1.0, 0.5, paper="Θ(1)")
    claims.at_least("c", 1.0, 0.5)
    table = claims.table()
    assert table["paper"].tolist() == ["1; we test 1 ± 0.25", "Θ(1)", ""]
    assert table["source of the paper value"].tolist() == ["paper", "not stated", ""]


def test_the_summary_typesets_subscripts_in_claim_names():
    claims = Claims("Toy", scale="paper")
    claims.at_least("B_opt ∝ ε: slope, λ_loc and x_l", 0.0, 1.0)
    claims.at_least("test_error stays a name", 0.0, 1.0)
    text = claims.summary()._repr_markdown_()
    assert r"$B_\text{opt}$ ∝ ε: slope, $λ_\text{loc}$ and $x_{l}$" in text
    assert "test_error stays a name" in text
    assert "B_opt" in claims.table().to_string(), "the table keeps the plain name"


def test_a_band_claim_fails_only_when_the_whole_band_lies_below_the_bound():
    claims = Claims("t", scale="smoke")
    held = claims.band_reaches("ratio", 1.4, (1.1, 1.7), 1.5)
    failed = claims.band_reaches("ratio again", 1.2, (1.0, 1.45), 1.5)
    missing = claims.band_reaches("no band", 1.2, (float("nan"), float("nan")), 1.5)
    assert held.passed and not failed.passed and not missing.passed
    assert held.name == "ratio [seed-bootstrap 95% band]" and held.test == "band reaches >= 1.5"


def test_a_pending_claim_is_shown_but_neither_held_nor_failed():
    """A claim whose setting is still being computed: its row says so, and no count or check treats it as a result."""
    claims = Claims("T", scale="paper")
    claims.at_least("checked", 1.0, 0.5)
    claims.at_least("not reproduced", 0.0, 0.5)
    claims.pending("later", ">= 0.5", "not computed yet: 3 of 9 runs stored", paper="1 [paper]")
    assert [c.name for c in claims.checked] == ["checked", "not reproduced"]
    assert [c.name for c in claims.waiting] == ["later"]
    assert [c.name for c in claims.failed] == ["not reproduced"]
    row = claims.table().iloc[2]
    assert (row["result"], row["measured"], row["test"]) == (
        "pending",
        "not computed yet: 3 of 9 runs stored",
        ">= 0.5",
    )
    assert "1 of 2 hold" in claims._repr_html_() and "1 more is pending: its setting" in claims._repr_html_()
    outcome = claims.check()
    assert outcome.n_claims == 2 and [c.name for c in outcome.not_reproduced] == ["not reproduced"]
    summary = claims.summary()._repr_markdown_()
    assert "**1 of 2 claims hold**" in summary and "1 more waits for a setting whose runs are not stored yet" in summary


def test_a_table_of_pending_claims_alone_has_nothing_checked():
    claims = Claims("T", scale="paper")
    claims.pending("later", ">= 0.5", "not computed yet")
    with pytest.raises(ClaimFailed, match="no claims were checked"):
        claims.check()


def test_claims_added_in_a_pending_block_keep_their_tests_and_wait():
    claims = Claims("T", scale="smoke")
    claims.at_least("trains", 0.5, 0.2)
    with claims.on_scale("paper"), claims.pending_as("0 of 6 runs stored"):
        claims.at_least("large ahead", float("nan"), 0.03, paper="several points [recalled]")
        claims.at_most("patch ignored", float("nan"), 0.3)
    claims.at_least("after the block", 1.0, 0.5)
    assert [(c.result, c.scale, c.test, c.measured) for c in claims.items[1:3]] == [
        ("pending", "paper", ">= 0.03", "0 of 6 runs stored"),
        ("pending", "paper", "<= 0.3", "0 of 6 runs stored"),
    ]
    assert claims.items[3].result == "pass" and claims.items[1].paper == "several points [recalled]"
