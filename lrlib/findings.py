"""Findings: the numbers a chapter reports, in one tidy table that the prose, the front page and a synthesis read.

Each row is one measured quantity: a short ``key`` (the name the prose cites it by), what it is, its value and
uncertainty, how many seeds it rests on, the scale and part it was computed at, and the paper's value with the
source of that value. A chapter's ``findings(results)`` builds it; the notebook glues every value into the
prose (:func:`glue`), so a number is computed once and never typed by hand.

>>> f = Findings()
>>> f.add("slope_eps", "B_opt against ε: log-log slope", 0.93, uncertainty=0.1, seeds=5, part="sweeps",
...       scale="paper", paper="1", source="paper")
>>> f.table()
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

COLUMNS = ("key", "quantity", "value", "uncertainty", "unit", "seeds", "scale", "part", "paper", "source")
#: where the paper's value comes from: read in the paper, in the official code, recalled, or our reconstruction
SOURCES = ("paper", "code", "recalled", "reconstructed", "")
SCALES = ("smoke", "paper")


class Findings:
    """Rows of a findings table, added one quantity at a time; :meth:`table` returns the tidy frame."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        key: str,
        quantity: str,
        value: Any,
        *,
        part: str,
        scale: str,
        uncertainty: float = math.nan,
        unit: str = "",
        seeds: int | None = None,
        paper: str = "",
        source: str = "",
    ) -> None:
        if not key.isidentifier():
            raise ValueError(f"finding key must be a Python identifier (it is cited in the prose), got {key!r}")
        if any(r["key"] == key for r in self.rows):
            raise ValueError(f"finding key {key!r} is used twice")
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        self.rows.append(
            dict(
                key=key,
                quantity=quantity,
                value=value,
                uncertainty=uncertainty,
                unit=unit,
                seeds=seeds,
                scale=scale,
                part=part,
                paper=paper,
                source=source,
            )
        )

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def glue(findings: pd.DataFrame) -> pd.DataFrame:
    """Glue every finding's value under its key, for ``{glue:text}`key:.3f``` in the notebook's prose
    (MyST-NB; outside a Jupyter Book environment nothing is glued). Returns the table, rows labelled by key, for
    display."""
    try:
        from myst_nb import glue as _glue
    except ImportError:  # JupyterLab without the book's extras: the prose shows the keys
        return findings.set_index("key")
    for key, value in zip(findings["key"], findings["value"]):
        value = value.item() if hasattr(value, "item") else value
        _glue(key, value, display=False)
        if key.endswith("_log2"):  # also as the power it is, typeset: "2⁻¹¹" under key_pow
            _glue(f"{key}_pow", power_of_two(value), display=False)
    return findings.set_index("key")


_SUPERSCRIPT = str.maketrans("-0123456789.", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹·")


def power_of_two(log2: float) -> str:
    """``-11`` → ``"2⁻¹¹"`` (a non-integer exponent keeps one decimal; a missing one reads "—")."""
    try:
        log2 = float(log2)
    except (TypeError, ValueError):
        return "—"
    if log2 != log2:
        return "—"
    exponent = f"{log2:.0f}" if float(log2).is_integer() else f"{log2:.1f}"
    return "2" + exponent.translate(_SUPERSCRIPT)
