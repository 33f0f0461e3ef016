"""A tidy table as plain numpy arrays and a schema, read back exactly as it was written.

The store keeps a table as one array per column (``np.savez``, no pickles). Numbers and booleans are stored as they
are. Every other column is stored as an array of one plain type (str, bool, int or float) plus, where values are
missing, a mask, and the schema names the column's pandas dtype (and a categorical's categories), so that missing
values come back missing and ``read(*write(t)).equals(t)``. What could not come back as it was is refused with an
error that names the column: mixed types in one column, names that are not strings, repeated names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["write", "read"]

_PLAIN = {str: "", bool: False, int: 0, float: 0.0}  # the value put where a value is missing


def _plain_type(value) -> type:
    if isinstance(value, (bool, np.bool_)):
        return bool
    if isinstance(value, (int, np.integer)):
        return int
    if isinstance(value, (float, np.floating)):
        return float
    return str if isinstance(value, str) else type(value)


def _one_type(name: str, values: np.ndarray) -> type:
    """The one plain type of a column's present values (str for an empty column), or a TypeError naming them."""
    types = {_plain_type(v) for v in values} or {str}
    if len(types) == 1 and (kind := types.pop()) in _PLAIN:
        return kind
    shown = ", ".join(sorted(t.__name__ for t in {type(v) for v in values}))
    raise TypeError(
        f"table column {name!r} holds values of types {shown}: give one type per column (numbers, booleans or strings)"
    )


def write(table: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """``(columns, masks, schema)``: one array per column, a missing-value mask per column that has any, and the
    schema (``{column: {"dtype": ..., "categories": [...]}}`` for each column that is not a plain numpy array)."""
    names = list(table.columns)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise TypeError(f"table column names must be non-empty strings, got {bad!r}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"table column names must be unique; repeated: {repeated}")
    columns, masks, schema = {}, {}, {}
    for name in names:
        col = table[name]
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biufc":
            columns[name] = col.to_numpy()
            continue
        entry: dict = {"dtype": str(col.dtype)}
        if isinstance(col.dtype, pd.CategoricalDtype):
            entry["categories"] = [str(c) for c in col.cat.categories]
            entry["ordered"] = bool(col.cat.ordered)
            if any(not isinstance(c, str) for c in col.cat.categories):
                raise TypeError(f"table column {name!r} is categorical with non-string categories: store its codes")
        missing = col.isna().to_numpy()
        present = col[~missing].astype(object).to_numpy()
        kind = _one_type(name, present)
        filled = iter(present)
        columns[name] = np.array([_PLAIN[kind] if m else kind(next(filled)) for m in missing], dtype=kind)
        if missing.any():
            masks[name] = missing
        schema[name] = entry
    return columns, masks, schema


def read(order: list[str], columns, masks, schema: dict) -> pd.DataFrame:
    """The table that :func:`write` encoded (``columns`` and ``masks``: mappings of arrays, e.g. open npz files)."""
    out = {}
    for name in order:
        values = columns[name]
        if name not in schema:
            out[name] = values
            continue
        entry = schema[name]
        objects = values.astype(object)
        if name in masks:
            objects[np.asarray(masks[name], dtype=bool)] = None
        if "categories" in entry:
            out[name] = pd.Categorical(objects, categories=entry["categories"], ordered=entry["ordered"])
        else:
            out[name] = pd.Series(objects, dtype=object).astype(entry["dtype"])
    return pd.DataFrame(out)
