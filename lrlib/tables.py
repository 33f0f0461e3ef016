"""Tables as a reader sees them: column names in words (``test error (mean)``, not ``test_error_mean``) and rows
labelled by what they are (a learning rate, a part), never by pandas' 0…n counter.

The analysis functions keep their short column names, which code indexes; a notebook passes a table through
:func:`readable` only to show it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

#: names that no rule below would spell out; a chapter adds its own symbols with ``names=``
GLOSSARY = {
    "lr": "learning rate",
    "seed_id": "seed",
    "n_train": "training images",
    "n_test": "test images",
    "n_runs": "runs",
    "n_P": "values of P",
    "b_opt": "Bₒₚₜ",
    "g_opt": "gₒₚₜ",
    "T_c": "Tc",
    "train_loss": "training loss",
    "train_accuracy": "training accuracy",
    "rel_weight_change": "relative weight change",
    "stop_step": "stopped at step",
}

#: statistics a column name ends with, written after the quantity in parentheses
_STATISTICS = {"mean": "mean", "sd": "sd", "se": "s.e.", "min": "min", "max": "max", "median": "median"}


def readable_name(name, names: Mapping[str, str] | None = None) -> str:
    """``test_error_mean`` → ``test error (mean)``; ``lr`` → ``learning rate``; a name with no underscore stays."""
    if not isinstance(name, str):
        return name
    if names and name in names:
        return names[name]
    if name in GLOSSARY:
        return GLOSSARY[name]
    head, _, last = name.rpartition("_")
    if head and last in _STATISTICS:
        return f"{readable_name(head, names)} ({_STATISTICS[last]})"
    return re.sub(r"(?<=\w)_(?=\w)", " ", name)


def readable(table: pd.DataFrame | pd.Series, *, index: str | None = None, names: Mapping[str, str] | None = None):
    """The table to show: columns (and the index's name) in words, and rows labelled by the column ``index`` (by
    default the first column) where pandas would number them 0…n. A Series becomes a one-column table whose rows
    are labelled by its (readable) index."""
    if isinstance(table, pd.Series):  # named quantities: their names are the row labels
        table = table.rename(index=lambda n: readable_name(n, names))
        table = table.to_frame(readable_name(table.name, names) if table.name is not None else "value")
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"readable() takes a pandas DataFrame or Series, not {type(table).__name__}")
    if table.columns.empty:  # nothing stored yet
        return table
    if isinstance(table.index, pd.RangeIndex) and table.index.name is None:
        label = table.columns[0] if index is None else index
        if label not in table.columns:
            raise ValueError(f"index={label!r} is not a column of the table; columns: {list(table.columns)}")
        table = table.set_index(label)
    elif index is not None:
        raise ValueError(f"index={index!r}: the table already has rows labelled by {table.index.name!r}")
    table = table.rename(columns=lambda c: readable_name(c, names))
    if isinstance(table.index, pd.MultiIndex):
        return table.rename_axis([readable_name(n, names) for n in table.index.names])
    return table.rename_axis(readable_name(table.index.name, names))
