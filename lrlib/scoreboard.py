"""The book's scoreboard: per chapter, how many of its claims hold on the results the book shows, and at which scale.

The front page draws it by evaluating every chapter exactly as the chapter's own page does in the book build
(paper scale from the stored results; a part not stored yet at smoke scale), so the two can never disagree:
:func:`chapter_scores` is the same walk as a chapter's first cells, ``start``, ``load`` and ``check_claims``.
"""

from __future__ import annotations

import pandas as pd

from . import chapter as _chapter
from . import profile

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
            by_scale = {
                s: [run.part_titles[p] for p, v in run.part_scales.items() if v == s] for s in ("paper", "smoke")
            }
            rows.append(
                dict(
                    key=key,
                    title=pkg.TITLE,
                    held=len(claims.items) - len(claims.failed),
                    checked=len(claims.items),
                    not_reproduced=len(claims.not_reproduced),
                    paper_parts=by_scale["paper"],
                    smoke_parts=by_scale["smoke"],
                )
            )
    return pd.DataFrame(rows)


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
        if not r.smoke_parts:
            shown = "paper scale (stored results)"
        elif not r.paper_parts:
            shown = "smoke scale: no paper-scale result stored yet"
        else:
            shown = f"paper scale, except at smoke scale (not stored yet): {'; '.join(r.smoke_parts)}"
        row = f"| [{r.title}]({links[r.key]}) | {held} | {shown} |"
        lines.append(row + (f" {seed_robustness(rates, r.key)} |" if robust else ""))
    return "\n".join(lines)
