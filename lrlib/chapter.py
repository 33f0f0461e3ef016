"""The first cell of every chapter: pick the scale, set up the device and the style, say what will run.

>>> from lrlib.papers import ch01_benign_oscillation as ch1
>>> run = start(ch1)
>>> run.scale              # 'smoke' or 'paper' (the scale every part shows; 'smoke' if they differ)
>>> res = ch1.load(run)    # every part at the scale decided for it

In the book build (``LRLIB_RESULTS=stored``, ``LRLIB_PROFILE=paper``) a chapter reads the paper-scale results
that ship with the book. A part whose results are not stored yet falls back to the smoke scale and the chapter
says so at its top: it never passes smoke numbers off as paper-scale ones.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

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
    part_scales: dict[str, str] = field(default_factory=dict)  # part name -> the scale it shows
    part_titles: dict[str, str] = field(default_factory=dict)  # part name -> how the reader knows it
    stored_on: dict[str, list[str]] = field(default_factory=dict)  # shipped part -> devices in its provenance
    same_runs: dict[str, str] = field(default_factory=dict)  # part -> the earlier part whose very runs it shows
    stood_in: dict[str, str] = field(default_factory=dict)  # part not shown -> the part shown in its place
    started: float = field(default_factory=time.perf_counter)

    @property
    def mixed(self) -> bool:
        """True when the page shows some parts at paper scale and others at smoke scale."""
        return len(set(self.part_scales.values())) > 1

    def titles_at(self, scale: str) -> list[str]:
        """The titles of the parts shown at ``scale``; two settings of one experiment that show the same smoke runs
        are named once ("CIFAR-10 patch, GPU setting (…) and CPU setting (…), the same smoke runs"); a part whose
        stand-in is shown in its place is left out."""
        return _titles_at(scale, self.part_scales, self.part_titles, self.same_runs, self.stood_in)

    def _scale_cell(self) -> str:
        if self.mixed:
            by_scale = {s: self.titles_at(s) for s in ("paper", "smoke")}
            return " ".join(f"`{s}` for {'; '.join(parts)}." for s, parts in by_scale.items() if parts)
        return f"`{self.scale}`" + (
            "" if self.scale == self.requested_scale else f" (asked for `{self.requested_scale}`)"
        )

    def _stores(self) -> str:
        if self.mixed:
            return f"paper parts: {_where(default_store('paper').root)}; smoke parts: {_where(self.store.root)}"
        return f"store: {_where(self.store.root)}"

    def _computed_on(self) -> str:
        """Where the results shown were computed: the devices in the shipped results' provenance, and this run's
        device for the parts it computes (never the build machine passed off as where stored results came from)."""
        here = [self.part_titles.get(p, p) for p in self.part_scales if p not in self.stored_on | self.stood_in]
        devices: dict[str, list[str]] = {}
        for part, names in self.stored_on.items():
            for name in names:
                devices.setdefault(name, []).append(self.part_titles.get(part, part))
        pieces = [f"{name} ({', '.join(parts)}; stored)" for name, parts in devices.items()]
        if here or not pieces:
            pieces.append(f"{profile.device_name(self.device)} (computed in this run)")
        return "; ".join(pieces)

    def _repr_markdown_(self) -> str:
        rows = [
            f"**{self.title}**",
            "",
            "| setting | value |",
            "|---|---|",
            f"| scale (`LRLIB_PROFILE={self.requested_scale}`) | {self._scale_cell()} |",
            f"| results | `{profile.results_mode()}` ({self._stores()}) |",
            f"| seed offset (`LRLIB_SEED`) | {profile.seed_offset()} |",
            f"| computed on | {self._computed_on()} |",
            f"| torch | {torch.__version__} |",
        ]
        if self.notice:
            rows += ["", f"> **Note.** {self.notice}"]
        return "\n".join(rows)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


def start(chapter) -> ChapterRun:
    """Resolve the scale of each of the chapter's parts and prepare device, threads and plot style.

    ``chapter`` is a chapter package (``TITLE`` and ``PARTS``, see :mod:`lrlib.papers`), or the title of a page
    that stores no results. In the book build a part
    shows the paper scale where its results are stored (:func:`lrlib.experiment.part_scale`); a page that shows
    some parts at paper scale and others at smoke scale says so at its top.
    """
    from . import experiment

    profile.validate_environment()
    requested = profile.profile()
    title, parts = (chapter, ()) if isinstance(chapter, str) else (chapter.TITLE, tuple(chapter.PARTS))
    titles = {p.name: p.title for p in parts}
    part_scales = {p.name: experiment.part_scale(p, requested) for p in parts}
    scales = set(part_scales.values())
    scale = requested if not scales else scales.pop() if len(scales) == 1 else "smoke"
    same_runs = _same_smoke_runs([p for p in parts if part_scales[p.name] == "smoke"])
    stood_in = {
        p.name: p.stand_in
        for p in parts
        if p.stand_in and part_scales[p.name] == "smoke" and part_scales.get(p.stand_in) == "paper"
    }
    notice = ""
    if requested == "paper" and profile.results_mode() == "stored":
        on_paper, on_smoke = (_titles_at(s, part_scales, titles, same_runs, stood_in) for s in ("paper", "smoke"))
        partial = [
            p.title for p in parts if part_scales[p.name] == "paper" and p.partial and not experiment.stored(p).complete
        ]
        partial_text = (
            f" Part of the paper grid only (the section lists what is missing): {'; '.join(partial)}."
            if partial
            else ""
        )
        if not on_smoke and partial:
            notice = (
                "Every part of this chapter is shown at **paper scale**, but not every paper-scale result is "
                f"stored with the book yet.{partial_text} Run the notebook with `LRLIB_PROFILE=paper` to "
                "compute the rest."
            )
        elif on_paper and on_smoke:
            notice = (
                f"Only some of this chapter's paper-scale results are stored with the book yet. Shown at "
                f"**paper scale**: {'; '.join(on_paper)}. Shown at **smoke scale**, computed while the book was "
                f"built: {'; '.join(on_smoke)}.{partial_text} Each section says which scale it shows; run the "
                "notebook with `LRLIB_PROFILE=paper` to compute the rest."
            )
        elif on_smoke:
            notice = (
                "The paper-scale results of this chapter are not stored with the book yet, so this page shows "
                "the **smoke-scale** run, computed while the book was built. Run the notebook with "
                "`LRLIB_PROFILE=paper` to compute the paper scale."
            )
        elif stood_in:
            notice = "Every part this page shows is at **paper scale**."
        notice += "".join(
            f" {titles[part]} is not stored in full yet; the page shows {titles[instead]} in its place."
            for part, instead in stood_in.items()
        )
    stored_on = {}
    if requested == "paper" and profile.results_mode() == "stored":
        for p in parts:
            if part_scales[p.name] == "paper":
                found = experiment.stored(p).entries.values()
                stored_on[p.name] = sorted({str(e.provenance.get("device", "unknown")) for e in found})
        damaged = _damaged(parts)
        if damaged:
            notice += (
                f"{' ' if notice else ''}**{len(damaged)} stored result(s) are damaged** (their files do not match "
                f"their manifests) and are treated as missing: {', '.join(damaged[:5])}. Restore them from the "
                "repository (`git checkout -- book/_results`)."
            )
    profile.configure_threads()
    plots.use_book_style()
    warnings.formatwarning = _one_line_warning
    return ChapterRun(
        title=title,
        scale=scale,
        requested_scale=requested,
        device=profile.device(),
        store=default_store(scale),
        notice=notice,
        part_scales=part_scales,
        part_titles=titles,
        stored_on=stored_on,
        same_runs=same_runs,
        stood_in=stood_in,
    )


def _titles_at(scale: str, part_scales: dict, part_titles: dict, same_runs: dict, stood_in: dict) -> list[str]:
    titles = {p: part_titles.get(p, p) for p, s in part_scales.items() if s == scale and p not in stood_in}
    for later, earlier in same_runs.items():
        if later in titles and earlier in titles:
            titles[earlier] = _merged_title(titles[earlier], titles.pop(later))
    return list(titles.values())


def _same_smoke_runs(parts) -> dict[str, str]:
    """Of parts shown at smoke scale, each whose smoke units are exactly an earlier part's (the GPU and CPU
    settings of one experiment share their smoke runs), mapped to that earlier part."""
    configs = {p.name: [u.config for u in p.units("smoke")] for p in parts}
    same: dict[str, str] = {}
    for i, p in enumerate(parts):
        twin = next((q.name for q in parts[:i] if q.name not in same and configs[q.name] == configs[p.name]), None)
        if twin is not None and configs[p.name]:
            same[p.name] = twin
    return same


def _merged_title(first: str, second: str) -> str:
    """``"X, GPU setting (a)"`` and ``"X, CPU setting (b)"`` -> ``"X, GPU setting (a) and CPU setting (b), the same
    smoke runs"``: the two titles' common lead (up to a comma) said once."""
    lead = 0
    for i, (a, b) in enumerate(zip(first, second)):
        if a != b:
            break
        if first[i : i + 2] == ", ":
            lead = i + 2
    return f"{first} and {second[lead:]}, the same smoke runs"


def section(chapter):
    """A later page of a chapter split over several pages: the chapter's run and results, loaded exactly as its
    first page loads them (the same scales, the same stored or cached entries), with its findings glued for the
    page's prose. Returns ``(run, results)``."""
    from .findings import glue

    run = start(chapter)
    res = chapter.load(run)
    glue(chapter.findings(res))
    return run, res


def _damaged(parts) -> list[str]:
    """Labels of the parts' paper-scale units whose entry folder exists but is not intact (half-copied, edited)."""
    from . import experiment
    from .data import DataError

    store = default_store("paper")
    out = []
    for p in parts:
        try:
            missing = experiment.stored(p).missing
        except DataError:  # no data here to build the configurations: nothing to report
            continue
        out += [f"{p.title}: {u.label}" for u in missing if store.path_for(u.config).exists()]
    return out


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """A warning in a chapter as the reader needs it: what happened, not the library file that noticed it."""
    return f"{category.__name__}: {message}\n"


def _where(root) -> str:
    """A store folder as a reader should see it: relative to the repository, or named by its setting, never as an
    absolute path of the machine that built the page."""
    from pathlib import Path

    root = Path(root)
    if root.is_relative_to(profile.REPO_ROOT):
        return f"`{root.relative_to(profile.REPO_ROOT)}`"
    if profile.folder_setting("LRLIB_STORE"):
        return "the folder `LRLIB_STORE` names"
    return "a cache folder outside the repository (`LRLIB_CACHE`)"


def provenance_table(entries: dict[str, Entry]) -> pd.DataFrame:
    """One row per stored result (labelled by its name): where, when and how long it was computed."""
    rows = []
    for name, entry in entries.items():
        p = entry.provenance
        rows.append(
            {
                "result": name,
                "profile": p.get("profile"),
                "device": p.get("device"),
                "torch": p.get("torch"),
                "commit": p.get("commit"),
                "date": p.get("date"),
                "wall time (s)": p.get("wall_time_s"),
                "key": p.get("config_key"),
            }
        )
    columns = ["result", "profile", "device", "torch", "commit", "date", "wall time (s)", "key"]
    return pd.DataFrame(rows, columns=columns).set_index("result")
