"""Seed robustness: a notebook run at several LRLIB_SEED offsets, its smoke claims' pass rates stored and shown."""

import nbformat
import pandas as pd

from lrlib import seeds
from lrlib.claims import RAN, ROBUSTNESS, Claims
from lrlib.store import Store

NOTEBOOK = """
from lrlib import profile
from lrlib.claims import Claims
offset = profile.seed_offset()
claims = Claims("Toy chapter", scale="smoke")
claims.at_least("holds at even offsets", 1 - offset % 2, 1)
claims.at_least("always holds", 1, 1)
with claims.on_scale("paper"):
    claims.at_least("a paper claim is not a regression test", 0, 1)
if offset == 2:
    raise RuntimeError("crashes at offset 2")
"""


def test_a_notebook_at_several_offsets_gives_per_claim_pass_rates(tmp_path):
    nb = tmp_path / "09-toy.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK)]), nb)
    store = Store(tmp_path / "store")
    for offset in range(3):
        table = seeds.run_notebook(nb, offset, tmp_path / "cache")
        store.put(seeds.config("ch9", offset), table=table)
    rates = seeds.pass_rates(tmp_path / "store").set_index("claim")
    assert rates.loc[RAN, "held"] == 2 and rates.loc[RAN, "offsets"] == 3  # offset 2 crashed after its claims
    assert rates.loc["holds at even offsets", "held"] == 2 and rates.loc["always holds", "held"] == 3
    assert "a paper claim is not a regression test" not in rates.index
    assert set(rates.title) == {"Toy chapter"}


def test_a_chapter_over_several_pages_runs_them_in_order_and_takes_the_claims_where_they_are(tmp_path):
    first, later = tmp_path / "09-toy.ipynb", tmp_path / "09b-claims.ipynb"
    cell = nbformat.v4.new_code_cell
    nbformat.write(nbformat.v4.new_notebook(cells=[cell("x = 1")]), first)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell(NOTEBOOK)]), later)
    (tmp_path / "10-next.ipynb").write_text(first.read_text())  # another chapter's page is not one of ours
    assert seeds.pages(first) == [first, later]
    table = seeds.run_chapter(seeds.pages(first), 0, tmp_path / "cache").set_index("claim")
    assert table.loc[RAN, "passed"] and table.loc["always holds", "passed"]
    crashed = seeds.run_chapter(seeds.pages(first), 2, tmp_path / "cache").set_index("claim")
    assert not crashed.loc[RAN, "passed"] and "crashes at offset 2" in crashed.loc[RAN, "measured"]


def test_the_claims_table_shows_the_rate_beside_each_smoke_claim(monkeypatch):
    rates = pd.DataFrame(
        dict(chapter="ch9", title="Toy chapter", claim=[RAN, "a"], held=[20, 19], offsets=[20, 20], rate=[1, 0.95])
    )
    monkeypatch.setattr(seeds, "pass_rates", lambda *a, **k: rates)
    claims = Claims("Toy chapter", scale="smoke")
    claims.at_least("a", 1, 0)
    claims.at_least("b", 1, 0)
    with claims.on_scale("paper"):
        claims.at_least("c", 1, 0)
        with claims.pending_as("waiting"):
            claims.at_least("d", 1, 0)
    assert claims.table()[ROBUSTNESS].tolist() == ["19 of 20", "no seed runs yet", "paper scale only", ""]
    assert "ran to the end at 20 of 20 seed offsets" in claims._repr_html_()
    other = Claims("Another chapter")
    other.at_least("c", 1, 0)
    assert ROBUSTNESS not in other.table().columns
    renamed = Claims("Toy chapter (paper scale)")  # a title that names the scale still finds its chapter's rates
    renamed.at_least("a", 1, 0)
    assert renamed.table()[ROBUSTNESS].tolist() == ["19 of 20"]
