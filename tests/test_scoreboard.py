"""The front page's scoreboard: each chapter's claims counted as its own page counts them."""

import types

import pandas as pd

from lrlib import experiment, scoreboard
from lrlib.claims import RAN, Claims
from lrlib.store import Store


def _fake_chapter(tmp_path):
    def units(name):
        return lambda scale: [
            [
                experiment.Unit(
                    f"{name}0",
                    {"experiment": f"t-{name}", "version": 1, "scale": scale},
                    lambda: {"table": pd.DataFrame({"v": [1.0]})},
                )
            ]
        ]

    parts = (experiment.Part("a", "part A", units("a")), experiment.Part("b", "part B", units("b")))
    Store(tmp_path).put(parts[0].units("paper")[0].config, table=pd.DataFrame({"v": [1.0]}))

    def check_claims(res):
        claims = Claims("Toy", scale=res.scale("a"))
        claims.at_least("a holds", 1, 0, paper="1 [paper]")
        claims.at_least("a fails", 0, 1, paper="1 [recalled]")
        claims.scale = res.scale("b")
        claims.at_least("b holds", 1, 0, paper="above 0")
        with claims.on_scale("paper"):
            claims.pending("c, on a setting still being computed", ">= 1", "not computed yet")
        return claims

    return types.SimpleNamespace(
        TITLE="Toy", PARTS=parts, load=lambda run: experiment.load_all(run, parts), check_claims=check_claims
    )


def test_chapters_are_scored_as_the_book_build_shows_them(tmp_path, monkeypatch):
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    monkeypatch.setenv("LRLIB_PROFILE", "smoke")  # a reader at smoke scale still sees the book's scoreboard
    scores = scoreboard.chapter_scores({"ch9": _fake_chapter(tmp_path)})
    row = scores.iloc[0]
    assert (row.held, row.checked, row.not_reproduced, row.pending) == (2, 3, 1, 1)
    assert row.paper_parts == ["part A"] and row.smoke_parts == ["part B"]
    text = scoreboard.markdown(scores, {"ch9": "09-toy"})
    assert "| [Toy](09-toy) | **2 of 3** (1 paper-scale claim not reproduced); 1 pending (their setting's runs" in text
    assert "except at smoke scale (not stored yet): part B" in text
    sources = scoreboard.sources_markdown(scores, {"ch9": "09-toy"}).splitlines()
    assert sources[0] == (
        "| chapter | read in the paper | recalled, not checked against the paper | source not stated |"
    )
    assert sources[2] == "| [Toy](09-toy) | 1 | 1 | 1 |"


def test_seed_robustness_in_words():
    rates = pd.DataFrame(
        dict(chapter="ch9", claim=[RAN, "x", "y"], held=[20, 20, 18], offsets=[20, 20, 20], rate=[1.0, 1.0, 0.9])
    )
    assert scoreboard.seed_robustness(rates, "ch9") == (
        "ran to the end at 20 of 20 offsets; 1 of 2 smoke claims held at < 95 % of them"
    )
    assert scoreboard.seed_robustness(rates, "ch1") == "not measured yet"
