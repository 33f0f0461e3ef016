"""The book's scoreboard: per chapter, how many of its claims hold on the results the book shows, and at which scale.

The front page draws it by evaluating every chapter exactly as the chapter's own page does in the book build
(paper scale from the stored results; a part not stored yet at smoke scale), so the two can never disagree:
:func:`chapter_scores` is the same walk as a chapter's first cells, ``start``, ``load`` and ``check_claims``.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from . import chapter as _chapter
from . import profile
from .claims import paper_source

#: the settings of the book build, under which the front page evaluates the chapters whatever the reader's scale
BOOK_BUILD = {"LRLIB_PROFILE": "paper", "LRLIB_RESULTS": "stored"}


def chapter_scores(chapters: dict) -> pd.DataFrame:
    """One row per chapter package (``{key: package}``, e.g. :func:`lrlib.papers.chapters`): its title, how many
    claims hold of how many, how many paper-scale claims did not hold, and which parts show which scale."""
    rows = []
    with profile.environment(**BOOK_BUILD):
        for key, pkg in chapters.items():
            run = _chapter.start(pkg)
            claims = pkg.check_claims(pkg.load(run))
            by_scale = {s: run.titles_at(s) for s in ("paper", "smoke")}
            rows.append(
                dict(
                    key=key,
                    title=pkg.TITLE,
                    held=len(claims.checked) - len(claims.failed),
                    checked=len(claims.checked),
                    pending=len(claims.waiting),
                    not_reproduced=len(claims.not_reproduced),
                    paper_parts=by_scale["paper"],
                    smoke_parts=by_scale["smoke"],
                    sources=Counter(paper_source(c.paper)[1] for c in claims.items if c.paper.strip()),
                )
            )
    return pd.DataFrame(rows)


#: the columns of :func:`sources_markdown`: where a claim's paper value comes from, in words
SOURCE_WORDS = {
    "paper": "read in the paper",
    "code": "read in the official code",
    "recalled": "recalled, not checked against the paper",
    "reconstructed": "our reconstruction",
    "prototype": "our prototype run",
    "textbook": "a textbook fact",
    "not stated": "source not stated",
}


def sources_markdown(scores: pd.DataFrame, links: dict[str, str]) -> str:
    """Per chapter, how many of its claims' paper values come from each source (their tags), as Markdown."""
    used = [k for k in SOURCE_WORDS if any(k in c for c in scores["sources"])]
    lines = ["| chapter | " + " | ".join(SOURCE_WORDS[k] for k in used) + " |", "|---|" + "---|" * len(used)]
    for r in scores.itertuples():
        lines.append(f"| [{r.title}]({links[r.key]}) | " + " | ".join(str(r.sources.get(k, 0)) for k in used) + " |")
    return "\n".join(lines)


def seed_robustness(rates: pd.DataFrame, key: str) -> str:
    """How the chapter's smoke claims fared across seed offsets (:func:`lrlib.seeds.pass_rates`), in words."""
    from .claims import RAN

    mine = rates[rates.chapter == key]
    if mine.empty:
        return "not measured yet"
    ran, claims = mine[mine.claim == RAN], mine[mine.claim != RAN]
    offsets = int(mine.offsets.max())
    weak = claims[claims.rate < 0.95]
    text = f"ran to the end at {int(ran.held.sum())} of {offsets} offsets; "
    if weak.empty:
        return text + f"all {len(claims)} smoke claims held at ≥ 95 % of them"
    return text + f"{len(weak)} of {len(claims)} smoke claims held at < 95 % of them"


def markdown(scores: pd.DataFrame, links: dict[str, str], rates: pd.DataFrame | None = None) -> str:
    """The scoreboard as a Markdown table, each chapter linked to its page (``links``: key → page name), with how
    its smoke claims fared across seed offsets where ``rates`` (:func:`lrlib.seeds.pass_rates`) has them."""
    robust = rates is not None and not rates.empty
    lines = [
        "| chapter | claims that hold | shown at |" + (" smoke run across seed offsets |" if robust else ""),
        "|---|---|---|" + ("---|" if robust else ""),
    ]
    for r in scores.itertuples():
        held = f"**{r.held} of {r.checked}**"
        if r.not_reproduced:
            held += f" ({r.not_reproduced} paper-scale claim{'s' if r.not_reproduced > 1 else ''} not reproduced)"
        if r.pending:
            held += f"; {r.pending} pending (their setting's runs are not stored yet)"
        if not r.smoke_parts:
            shown = "paper scale (stored results)"
        elif not r.paper_parts:
            shown = "smoke scale: no paper-scale result stored yet"
        else:
            shown = f"paper scale, except at smoke scale (not stored yet): {'; '.join(r.smoke_parts)}"
        row = f"| [{r.title}]({links[r.key]}) | {held} | {shown} |"
        lines.append(row + (f" {seed_robustness(rates, r.key)} |" if robust else ""))
    return "\n".join(lines)
