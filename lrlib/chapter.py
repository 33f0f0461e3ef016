"""The first cell of every chapter: pick the scale, set up the device and the style, say what will run.

>>> run = start("Chapter 1: benign oscillation", paper_results_stored=bo.paper_results_stored())
>>> run.scale      # 'smoke' or 'paper'

In the book build (``LRLIB_RESULTS=stored``, ``LRLIB_PROFILE=paper``) a chapter reads the paper-scale results
that ship with the book. If they are not stored yet, the chapter falls back to the smoke scale and says so at
its top: it never passes smoke numbers off as paper-scale ones.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import pandas as pd
import torch

from . import plots, profile
from .store import Entry, Store, default_store


@dataclass
class ChapterRun:
    title: str
    scale: str
    requested_scale: str
    device: torch.device
    store: Store
    notice: str = ""
    part_scales: dict[str, str] = field(default_factory=dict)    # part -> scale shown, where parts differ
    started: float = field(default_factory=time.perf_counter)

    @property
    def mixed(self) -> bool:
        """True when the page shows some parts at paper scale and others at smoke scale."""
        return len(set(self.part_scales.values())) > 1

    def _scale_cell(self) -> str:
        if self.mixed:
            by_scale = {s: [p for p, v in self.part_scales.items() if v == s] for s in ("paper", "smoke")}
            return "; ".join(f"`{s}` for {', '.join(parts)}" for s, parts in by_scale.items() if parts)
        return f"`{self.scale}`" + ("" if self.scale == self.requested_scale
                                    else f" (asked for `{self.requested_scale}`)")

    def _stores(self) -> str:
        if self.mixed:
            return f"paper parts: `{default_store('paper').root}`; smoke parts: `{self.store.root}`"
        return f"store: `{self.store.root}`"

    def _repr_markdown_(self) -> str:
        rows = [
            f"**{self.title}**",
            "",
            "| setting | value |",
            "|---|---|",
            f"| scale (`LRLIB_PROFILE={self.requested_scale}`) | {self._scale_cell()} |",
            f"| results | `{profile.results_mode()}` ({self._stores()}) |",
            f"| seed offset (`LRLIB_SEED`) | {profile.seed_offset()} |",
            f"| device (this session) | {profile.device_name(self.device)} |",
            f"| torch | {torch.__version__} |",
        ]
        if self.notice:
            rows += ["", f"> **Note.** {self.notice}"]
        return "\n".join(rows)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def start(title: str, *, paper_results_stored: bool, parts: Mapping[str, bool] | None = None,
          incomplete: Sequence[str] = ()) -> ChapterRun:
    """Resolve the scale for this chapter and prepare device, threads and plot style.

    ``parts`` (optional) names the chapter's separately stored parts and whether each one's paper-scale results
    are stored (at least in part), so that a book page that shows some parts at paper scale and others at smoke
    scale says so. ``incomplete`` names the parts shown at paper scale whose grid is only partly stored.
    """
    requested = profile.profile()
    scale, notice, part_scales = requested, "", {}
    parts = dict(parts or {})
    unknown = sorted(set(incomplete) - set(parts))
    if unknown:
        raise ValueError(f"incomplete names parts that are not in parts: {unknown}; parts are {sorted(parts)}")
    if requested == "paper" and profile.results_mode() == "stored" and not paper_results_stored:
        stored = [name for name, ok in parts.items() if ok]
        missing = [name for name, ok in parts.items() if not ok]
        part_scales = {name: "paper" if ok else "smoke" for name, ok in parts.items()}
        partial = (f" Part of the paper grid only (the section lists what is missing): {', '.join(incomplete)}."
                   if incomplete else "")
        if stored and not missing:
            scale = "paper"
            notice = ("Every part of this chapter is shown at **paper scale**, but not every paper-scale result is "
                      f"stored with the book yet.{partial} Run the notebook with `LRLIB_PROFILE=paper` to compute "
                      "the rest.")
        elif stored:
            scale = "smoke"
            notice = (f"Only some of this chapter's paper-scale results are stored with the book yet. Shown at "
                      f"**paper scale**: {', '.join(stored)}. Shown at **smoke scale**, computed while the book was "
                      f"built: {', '.join(missing)}.{partial} Each section says which scale it shows; run the notebook "
                      "with `LRLIB_PROFILE=paper` to compute the rest.")
        else:
            scale = "smoke"
            notice = ("The paper-scale results of this chapter are not stored with the book yet, so this page shows "
                      "the **smoke-scale** run, computed while the book was built. Run the notebook with "
                      "`LRLIB_PROFILE=paper` to compute the paper scale.")
    profile.configure_threads()
    plots.use_book_style()
    return ChapterRun(title=title, scale=scale, requested_scale=requested, device=profile.device(),
                      store=default_store(scale), notice=notice, part_scales=part_scales)


def provenance_table(entries: dict[str, Entry]) -> pd.DataFrame:
    """One row per stored result: where, when and how long it was computed."""
    rows = []
    for name, entry in entries.items():
        p = entry.provenance
        rows.append({"result": name, "profile": p.get("profile"), "device": p.get("device"),
                     "torch": p.get("torch"), "commit": p.get("commit"), "date": p.get("date"),
                     "wall time (s)": p.get("wall_time_s"), "key": p.get("config_key")})
    return pd.DataFrame(rows)
