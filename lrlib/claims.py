"""Checked claims: each claim is a number measured on this run, the paper's value, and a test that can fail.

A claim checked on smoke-scale numbers is a regression test: if it fails, ``check()`` raises and the notebook
fails. A claim checked on paper-scale numbers is the reproduction's finding: if it fails, ``check()`` does not
raise but returns a notice that names it, so the book ships the failure beside the figures instead of hiding it
(or of refusing to build). The thresholds of both were fixed before the runs; none is ever tuned afterwards.

Example
-------
>>> claims = Claims("Chapter 1", scale="smoke")
>>> claims.at_least("weak-only accuracy, large LR (mean of 5 seeds)", 0.99, 0.95, paper="99.38% (32-pt test)")
>>> with claims.on_scale("paper"):
...     claims.between("B_opt against eps: log-log slope", 1.4, 0.75, 1.25, paper="1")
>>> claims.check()          # raises ClaimFailed if a smoke claim failed; else lists the paper claims that failed
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

SCALES = ("smoke", "paper")


#: the claims table's column with how often the smoke claim held across seed offsets (``python -m lrlib.seeds``)
ROBUSTNESS = "smoke claim holds at seed offsets"
#: pass and FAIL styled alike, told apart by colour and word (a colour-blind-safe blue and red); pending in grey
RESULT_COLOURS = {"pass": "#2166ac", "FAIL": "#b2182b", "pending": "#737373"}
#: the row of the seed-robustness runs that says whether the notebook ran to the end
RAN = "(the notebook ran to the end)"


class ClaimFailed(AssertionError):
    """One or more checked claims did not hold on this run's numbers."""


@dataclass
class Claim:
    name: str
    measured: Any
    test: str
    passed: bool | None  # None: pending, its numbers are not computed yet
    paper: str = ""
    scale: str | None = None  # the scale of the numbers it was checked on; None: a regression test

    @property
    def result(self) -> str:
        return "pending" if self.passed is None else "pass" if self.passed else "FAIL"


#: where a paper value comes from, written as a tag in its text ("0.97 [recalled]"): read in the paper, in the
#: official code, recalled (not checked against the paper), our reconstruction, a textbook fact, or our prototype
SOURCES = ("paper", "code", "recalled", "reconstructed", "textbook", "prototype")
_SOURCE_TAG = re.compile(r"\s*\[(" + "|".join(SOURCES) + r")\]")


def paper_source(paper: str) -> tuple[str, str]:
    """The paper value without its source tag, and the source: ``"1 [paper]; we test 1 ± 0.25"`` gives
    ``("1; we test 1 ± 0.25", "paper")``; a value without a tag gives "not stated", no value gives ""."""
    hit = _SOURCE_TAG.search(paper)
    if hit is None:
        return paper, "not stated" if paper.strip() else ""
    return (paper[: hit.start()] + paper[hit.end() :]).strip(), hit.group(1)


_SUBSCRIPT = re.compile(r"(?<![\w\\$])([A-Za-zα-ωΑ-Ω])_([A-Za-z0-9]+)\b")


def _typeset(name: str) -> str:
    """A claim's name for Markdown: ``B_opt`` becomes $B_\\text{opt}$, ``x_l`` becomes $x_l$ (tables keep the name)."""
    return _SUBSCRIPT.sub(lambda m: f"${m[1]}_{{{m[2]}}}$" if len(m[2]) == 1 else f"${m[1]}_\\text{{{m[2]}}}$", name)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _unseeded(claim: Claim) -> str:
    """The seed-robustness cell of a claim with no stored rate: a paper-scale check has no smoke runs to repeat; a
    smoke claim added or renamed since the last seed runs has none yet."""
    if claim.passed is None:
        return ""
    return "paper scale only" if claim.scale == "paper" else "no seed runs yet"


def _finite(value: float) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _check_scale(scale: str | None) -> str | None:
    if scale is not None and scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES} or None, got {scale!r}")
    return scale


class Claims:
    """A chapter's list of checked claims, shown as a table; ``check()`` fails loudly on a smoke claim.

    ``scale`` is the scale of the numbers the claims added next are checked on (change it for a block of claims
    with :meth:`on_scale`); None treats them as smoke claims.
    """

    def __init__(self, title: str = "Claims", scale: str | None = None):
        self.title = title
        self.scale = scale
        self.items: list[Claim] = []
        self._pending_why: str | None = None

    @property
    def scale(self) -> str | None:
        return self._scale

    @scale.setter
    def scale(self, value: str | None) -> None:
        self._scale = _check_scale(value)

    @contextmanager
    def on_scale(self, scale: str):
        """Claims added inside the block are checked on ``scale``-scale numbers."""
        previous, self.scale = self.scale, scale
        try:
            yield self
        finally:
            self.scale = previous

    @contextmanager
    def pending_as(self, why: str):
        """Claims added inside the block are pending (see :meth:`pending`), ``why`` in their measured column: the
        code that checks a setting's claims lists them, with their tests, before that setting's numbers exist."""
        previous, self._pending_why = self._pending_why, why
        try:
            yield self
        finally:
            self._pending_why = previous

    def add(self, name: str, measured: Any, passed: bool, test: str, paper: str = "") -> Claim:
        if self._pending_why is not None:
            return self.pending(name, test, self._pending_why, paper)
        claim = Claim(name, measured, test, bool(passed), paper, self.scale)
        self.items.append(claim)
        return claim

    def at_least(self, name: str, measured: float, threshold: float, paper: str = "") -> Claim:
        return self.add(name, measured, _finite(measured) and measured >= threshold, f">= {_fmt(threshold)}", paper)

    def at_most(self, name: str, measured: float, threshold: float, paper: str = "") -> Claim:
        return self.add(name, measured, _finite(measured) and measured <= threshold, f"<= {_fmt(threshold)}", paper)

    def above(self, name: str, measured: float, threshold: float, paper: str = "") -> Claim:
        """A strict lower bound ("a gap is positive")."""
        return self.add(name, measured, _finite(measured) and measured > threshold, f"> {_fmt(threshold)}", paper)

    def below(self, name: str, measured: float, threshold: float, paper: str = "") -> Claim:
        """A strict upper bound ("a slope is negative")."""
        return self.add(name, measured, _finite(measured) and measured < threshold, f"< {_fmt(threshold)}", paper)

    def between(self, name: str, measured: float, low: float, high: float, paper: str = "") -> Claim:
        ok = _finite(measured) and low <= measured <= high
        return self.add(name, measured, ok, f"in [{_fmt(low)}, {_fmt(high)}]", paper)

    def meets(
        self, name: str, measured: float, stderr: float, low: float, high: float, paper: str = "", z: float = 2.0
    ) -> Claim:
        """The estimate is consistent with the band [low, high]: its interval measured ± z·stderr (about 95 % for
        z = 2) meets the band. For a smoke claim on a noisy estimate, so that it holds at any seed where the band
        is not excluded, rather than only at lucky ones."""
        ok = _finite(measured) and _finite(stderr) and measured - z * stderr <= high and measured + z * stderr >= low
        shown = f"{_fmt(measured)} ± {_fmt(stderr)}" if _finite(stderr) else measured
        return self.add(name, shown, ok, f"± {z:g} s.e. meets [{_fmt(low)}, {_fmt(high)}]", paper)

    def band_reaches(
        self, name: str, measured: float, band: tuple[float, float], threshold: float, paper: str = ""
    ) -> Claim:
        """A lower bound tested with the estimate's seed-bootstrap 95 % band: it holds unless the whole band lies
        below ``threshold`` (for a smoke claim on a few seeds, where the plain estimate falls below its bound at
        some seeds by chance). The claim's name says so."""
        ok = _finite(band[1]) and band[1] >= threshold
        shown = f"{_fmt(measured)} [{band[0]:.3g}, {band[1]:.3g}]"
        return self.add(f"{name} [seed-bootstrap 95% band]", shown, ok, f"band reaches >= {_fmt(threshold)}", paper)

    def holds(self, name: str, condition: bool, measured: Any, test: str, paper: str = "") -> Claim:
        """A claim whose test is a condition computed by the caller, described in words by ``test``."""
        return self.add(name, measured, bool(condition), test, paper)

    def pending(self, name: str, test: str, why: str, paper: str = "") -> Claim:
        """A claim whose test is fixed but whose numbers are not computed yet (a setting still being run): a row
        that says so (``why``, in the measured column), counted neither as held nor as failed."""
        claim = Claim(name, why, test, None, paper, self.scale)
        self.items.append(claim)
        return claim

    @property
    def checked(self) -> list[Claim]:
        """The claims tested on this run's numbers (all but the pending ones)."""
        return [c for c in self.items if c.passed is not None]

    @property
    def failed(self) -> list[Claim]:
        return [c for c in self.items if c.passed is False]

    @property
    def waiting(self) -> list[Claim]:
        """The pending claims: their setting's numbers are not computed yet."""
        return [c for c in self.items if c.passed is None]

    @property
    def not_reproduced(self) -> list[Claim]:
        """Failed claims checked on paper-scale numbers: findings, reported by ``check()`` without raising."""
        return [c for c in self.failed if c.scale == "paper"]

    def table(self) -> pd.DataFrame:
        papers = [paper_source(c.paper) for c in self.items]
        table = pd.DataFrame(
            {
                "claim": [c.name for c in self.items],
                "scale": [c.scale or "smoke" for c in self.items],
                "measured": [_fmt(c.measured) for c in self.items],
                "test": [c.test for c in self.items],
                "paper": [value for value, _ in papers],
                "source of the paper value": [source for _, source in papers],
                "result": [c.result for c in self.items],
            }
        )
        rates = self._seed_rates()
        if rates:
            table[ROBUSTNESS] = [rates.get(c.name, _unseeded(c)) for c in self.items]
        return table

    def _seed_rates(self) -> dict[str, str]:
        """``{claim: "19 of 20"}`` for this table's smoke claims, from the stored seed-robustness runs."""
        from .seeds import pass_rates

        try:
            rates = pass_rates()
        except (OSError, ValueError, KeyError):
            return {}
        # the chapter whose stored claims share the most names with this table (a title may name the scale)
        names = {c.name for c in self.items}
        shared = rates[rates.claim.isin(names)].groupby("chapter").size()
        if shared.empty:
            return {}
        rates = rates[rates.chapter == shared.idxmax()]
        return {r.claim: f"{r.held} of {r.offsets}" for r in rates.itertuples()}

    def _repr_html_(self) -> str:
        styled = (
            self.table()
            .style.hide(axis="index")
            .map(lambda v: f"color: {RESULT_COLOURS[v]}; font-weight: bold", subset=["result"])
        )
        return f"<p><b>{self.title}</b>: {self._count()}</p>" + styled.to_html()

    def _count(self) -> str:
        text = f"{len(self.checked) - len(self.failed)} of {len(self.checked)} hold"
        ran = self._seed_rates().get(RAN)
        if ran:
            text += f" (at smoke scale the notebook ran to the end at {ran} seed offsets: see the last column)"
        if self.not_reproduced:
            text += f"; {len(self.not_reproduced)} checked on paper-scale numbers did not (reported below)"
        if self.waiting:
            n = len(self.waiting)
            verb, whose = ("is", "its") if n == 1 else ("are", "their")
            text += f"; {n} more {verb} pending: {whose} setting's runs are not stored yet"
        return text

    def __str__(self) -> str:
        return f"{self.title}\n" + self.table().to_string(index=False)

    def summary(self) -> Summary:
        """The box a chapter opens with: how many claims hold on the numbers the page shows, and which paper-scale
        claims did not, generated from this table so that the two cannot disagree."""
        return Summary(self)

    def check(self) -> Outcome:
        """Raise ClaimFailed, with the full table in the message, if a smoke claim failed.

        Otherwise return the outcome, which names every paper-scale claim that failed (shown in a notebook).
        """
        if not self.checked:
            raise ClaimFailed(f"{self.title}: no claims were checked")
        regressions = [c for c in self.failed if c.scale != "paper"]
        if regressions:
            names = "; ".join(c.name for c in regressions)
            raise ClaimFailed(f"{len(regressions)} claim(s) failed: {names}\n{self}")
        return Outcome(self.title, len(self.checked), self.not_reproduced)


@dataclass
class Summary:
    """:meth:`Claims.summary`, shown as a MyST admonition."""

    claims: Claims

    def _repr_markdown_(self) -> str:
        c = self.claims
        scales = sorted({item.scale or "smoke" for item in c.checked})
        held = len(c.checked) - len(c.failed)
        lines = [
            f"**{held} of {len(c.checked)} claims hold** on the numbers this page shows "
            f"({' and '.join(scales)} scale; the chapter's claims table has each one).",
        ]
        if c.waiting:
            n = len(c.waiting)
            lines[0] += (
                f" {n} more {'waits' if n == 1 else 'wait'} for a setting whose runs are not stored yet (pending)."
            )

        if c.not_reproduced:
            lines += ["", f"Not reproduced at paper scale ({len(c.not_reproduced)}), discussed where they are drawn:"]
            lines += [
                f"- {_typeset(item.name)}: measured {_fmt(item.measured)}, test {_typeset(item.test)}"
                for item in c.not_reproduced
            ]
        body = "\n".join(lines)
        return f"```{{admonition}} What this chapter finds\n:class: tip\n{body}\n```"


@dataclass
class Outcome:
    """What ``Claims.check()`` found when no smoke claim failed: the paper-scale claims that did not hold."""

    title: str
    n_claims: int
    not_reproduced: list[Claim]

    def __str__(self) -> str:
        if not self.not_reproduced:
            return f"{self.title}: all {self.n_claims} claims hold."
        lines = [
            f"{self.title}: {len(self.not_reproduced)} of {self.n_claims} claims, checked on paper-scale "
            "numbers, did not hold. They are this reproduction's findings, not hidden and not re-tuned:"
        ]
        lines += [f"- {c.name}: measured {_fmt(c.measured)}, test {c.test}" for c in self.not_reproduced]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        if not self.not_reproduced:
            return f"**{self.title}: all {self.n_claims} claims hold.**"
        rows = "\n".join(
            f"- **{_typeset(c.name)}**: measured {_fmt(c.measured)}; test {_typeset(c.test)}; paper {c.paper or '—'}"
            for c in self.not_reproduced
        )
        return (
            f"**Not reproduced.** {len(self.not_reproduced)} of {self.n_claims} claims, checked on "
            f"paper-scale numbers, did not hold. They are this reproduction's findings (the thresholds were "
            f"fixed before the runs and are not re-tuned); the text discusses them.\n\n{rows}"
        )
