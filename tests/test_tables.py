"""Tables as shown: readable column names, rows labelled by a column instead of 0…n, clear errors."""

import pandas as pd
import pytest

from lrlib.tables import readable, readable_name


def test_names_are_spelled_out_with_their_statistic_in_parentheses():
    assert readable_name("test_error_mean") == "test error (mean)"
    assert readable_name("delta_se", {"delta": "δ"}) == "δ (s.e.)"
    assert readable_name("lr") == "learning rate"
    assert readable_name("lr", {"lr": "ε"}) == "ε"  # a chapter's own symbol wins
    assert readable_name("fp32 mean") == "fp32 mean" and readable_name(3) == 3


def test_a_numbered_table_is_labelled_by_its_first_column_and_keeps_its_values():
    table = pd.DataFrame({"lr": [0.1, 0.2], "test_error_mean": [0.3, 0.4], "seeds": [5, 5]})
    shown = readable(table)
    assert shown.index.name == "learning rate" and list(shown.index) == [0.1, 0.2]
    assert list(shown.columns) == ["test error (mean)", "seeds"]
    assert shown.to_numpy().tolist() == [[0.3, 5], [0.4, 5]]
    assert list(readable(table, index="seeds").index) == [5, 5]


def test_a_labelled_table_keeps_its_labels_and_a_series_labels_rows_by_name():
    table = pd.DataFrame({"b_opt": [64.0]}, index=pd.Index([0.1], name="lr"))
    assert readable(table).index.name == "learning rate" and list(readable(table).columns) == ["Bₒₚₜ"]
    series = readable(pd.Series({"delta": 0.9, "delta_se": 0.1}), names={"delta": "δ"})
    assert list(series.index) == ["δ", "δ (s.e.)"] and list(series.columns) == ["value"]


def test_bad_input_is_named():
    table = pd.DataFrame({"lr": [0.1]})
    with pytest.raises(ValueError, match="index='seed' is not a column.*columns: \\['lr'\\]"):
        readable(table, index="seed")
    with pytest.raises(TypeError, match="not list"):
        readable([1, 2])
    assert readable(pd.DataFrame()).empty  # nothing stored yet: an empty table passes through
