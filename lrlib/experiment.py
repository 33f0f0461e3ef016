"""Parts: the separately stored pieces of a chapter, and what is done once for all of them.

A chapter's expensive results come in **parts** (chapter 5: the perceptron, the phase grid, the lazy sweeps).
A part is a list of **units**, each one results-store entry: a configuration (the store key) and how to compute
it. This module walks a part's units at one scale, and is the one place that

- times a computation and attaches its provenance (:func:`collect`),
- says what is stored (:func:`stored`: the same walk on the read-only paper store, without computing),
- decides which scale a part shows in a chapter (:func:`part_scale`),
- lets several processes share a part (``Part.shared``: a unit another process is computing is skipped),
- applies a part's stopping rule (``Part.stop``: chapter 5's grid runs no row below one where every run was capped).

Units come in **blocks** (a block is, e.g., one T row of the phase grid over all seeds); the stopping rule is
asked after each block. A part without a rule can put every unit in one block.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from . import profile
from .data import DataError
from .progress import progress
from .store import Entry, Store, default_store


@dataclass(frozen=True)
class Unit:
    """One stored entry of a part: a label for the reader, its full configuration and how to compute it.

    ``compute()`` returns ``Store.put``'s keyword arguments (``table``, ``arrays``); a ``provenance`` mapping it
    returns is merged over the standard provenance (e.g. engine statistics, or the device numpy ran on)."""

    label: str
    config: dict
    compute: Callable[[], Mapping] = field(repr=False, compare=False)


@dataclass(frozen=True)
class Part:
    """A separately stored piece of a chapter.

    ``blocks(scale)`` gives the units, in blocks, in the order they are computed (cheap first). ``stop(entries,
    pending)`` is asked after each block that has stored entries or units another process is still computing, with
    those entries and that count; True runs no further block. ``shared``: several processes may work through the
    part (one per CPU core). ``partial``: the book shows a partly stored paper grid at paper scale (and lists what is
    missing) instead of falling back to the smoke scale. ``costly``: hours on a CPU; computed last by default.
    ``gpu``: meant for a GPU (days on a CPU); computed by default only where CUDA is present. ``stand_in``: the part
    a page shows in this one's place while this one is not stored at paper scale (a GPU experiment's CPU setting)."""

    name: str
    title: str
    blocks: Callable[[str], Iterable[Sequence[Unit]]] = field(repr=False)
    stop: Callable[[list[Entry], int], bool] | None = field(default=None, repr=False)
    shared: bool = False
    partial: bool = False
    costly: bool = False
    gpu: bool = False
    stand_in: str | None = None

    def units(self, scale: str) -> list[Unit]:
        """Every unit of every block (the stopping rule not applied)."""
        return [u for block in self.blocks(scale) for u in block]


@dataclass
class PartResult:
    """A part at one scale: the entries found or computed (by unit label) and the units missing."""

    part: Part
    scale: str
    entries: dict[str, Entry]
    missing: list[Unit]

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def table(self) -> pd.DataFrame:
        """Every entry's table, concatenated in the order the units were walked."""
        tables = [e.table for e in self.entries.values() if e.table is not None]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()

    @property
    def wall_time_s(self) -> float:
        return float(sum(e.provenance.get("wall_time_s") or 0.0 for e in self.entries.values()))

    def __repr__(self) -> str:
        return f"PartResult({self.part.name!r}, {self.scale}: {len(self.entries)} entries, {len(self.missing)} missing)"


def _timed(unit: Unit, scale: str) -> Callable[[], dict]:
    """``unit.compute`` with its wall time and provenance attached: the one place results get provenance."""

    def compute() -> dict:
        dev = profile.device()
        start = time.perf_counter()
        out = dict(unit.compute())
        wall = time.perf_counter() - start
        out["provenance"] = profile.provenance(wall, dev, scale=scale) | dict(out.get("provenance") or {})
        return out

    return compute


#: seconds between looks at the store while waiting for a unit another process is computing
WAIT_POLL_S = 5.0


def collect(
    part: Part,
    scale: str,
    store: Store,
    *,
    compute: bool = True,
    show_progress: bool = False,
    wait: bool = False,
) -> PartResult:
    """Walk the part's blocks at ``scale``: read each unit from ``store``, computing (and storing) the missing
    ones when ``compute``; stop where ``part.stop`` says. A unit another process is computing (``part.shared``)
    is read again once the block is done, so the process that finishes a block last sees all of it; with
    ``wait`` it is waited for (or taken over, if that process dies), so that the part comes back whole."""
    if scale not in profile.PROFILES:
        raise ValueError(f"scale must be one of {profile.PROFILES}, got {scale!r}")
    entries: dict[str, Entry] = {}
    missing: list[Unit] = []
    blocks = list(part.blocks(scale))
    for block in progress(blocks, desc=part.title, unit="block") if show_progress else blocks:
        found, elsewhere = [], []
        for unit in block:
            entry = store.get(unit.config)
            if entry is None and compute:
                entry = store.cached(unit.config, _timed(unit, scale), shared=part.shared)
                if entry is None:  # another process holds it
                    elsewhere.append(unit)
                    continue
            if entry is None:
                missing.append(unit)
            else:
                found.append((unit, entry))
        pending = 0
        for unit in elsewhere:
            entry = store.get(unit.config)
            if entry is None and wait:
                print(
                    f"{part.title}: waiting for {unit.label}, which another process claimed (a claim unrefreshed for "
                    "10 minutes is taken over)",
                    file=sys.stderr,
                    flush=True,
                )
            while entry is None and wait:
                time.sleep(WAIT_POLL_S)
                entry = store.cached(unit.config, _timed(unit, scale), shared=True)
            if entry is None:
                missing.append(unit)
                pending += 1
            else:
                found.append((unit, entry))
        entries.update((unit.label, entry) for unit, entry in found)
        if part.stop is not None and (found or pending) and part.stop([e for _, e in found], pending):
            break
    return PartResult(part, scale, entries, missing)


def stored(part: Part, scale: str = "paper") -> PartResult:
    """What of the part is stored at ``scale`` (the shipped results at paper scale), computing nothing."""
    return collect(part, scale, Store(default_store(scale).root, read_only=True), compute=False)


def part_scale(part: Part, requested: str | None = None) -> str:
    """The scale a part shows. Smoke when smoke is asked for; paper when the paper scale is computed; when the
    book build reads stored results, paper if the part's paper results are stored (for a ``partial`` part: any of
    them), else smoke: a page never passes smoke numbers off as paper-scale ones."""
    requested = requested or profile.profile()
    if requested == "smoke" or profile.results_mode() == "compute":
        return requested
    try:
        found = stored(part, "paper")
    except DataError:  # without the data even the configurations cannot be built: nothing can be stored
        return "smoke"
    if found.complete and found.entries or part.partial and found.entries:
        return "paper"
    return "smoke"


def store_for(scale: str) -> Store:
    """The store a part at ``scale`` reads and writes (read-only for shipped paper results in the book build)."""
    return default_store(scale)


def load(part: Part, scale: str, *, show_progress: bool | None = None, wait: bool = True) -> PartResult:
    """A part at ``scale``: computed where missing, unless the book build reads stored paper results. ``wait``:
    units another process is computing are waited for, so a chapter never draws an incomplete part (the paper
    command, ``python -m lrlib.papers``, passes False: its processes share a part and each skips the others' units)."""
    read_only = scale == "paper" and profile.results_mode() == "stored"
    show = profile.progress_enabled() if show_progress is None else show_progress
    return collect(
        part, scale, store_for(scale), compute=not read_only, show_progress=show and not read_only, wait=wait
    )


@dataclass
class Results:
    """A chapter's parts as one run loaded them; chapters' analysis, claims and findings read this."""

    parts: dict[str, PartResult]

    def __getitem__(self, name: str) -> PartResult:
        if name not in self.parts:
            raise KeyError(f"no part {name!r}; this chapter's parts are {list(self.parts)}")
        return self.parts[name]

    def __contains__(self, name: str) -> bool:
        return name in self.parts

    def scale(self, name: str) -> str:
        return self[name].scale

    def table(self, name: str) -> pd.DataFrame:
        return self[name].table

    def stored_complete(self, name: str) -> bool:
        """Whether part ``name`` is loaded at paper scale with every entry stored: a larger setting a page switches
        to only once it is whole (a full-data sweep)."""
        r = self.parts.get(name)
        return r is not None and r.scale == "paper" and bool(r.entries) and r.complete

    def stored_share(self, name: str) -> tuple[int, int]:
        """Of part ``name``'s paper-scale entries, how many are stored, and how many there are (the shipped results;
        (0, 0) where the configurations need data that is not here)."""
        try:
            found = stored(self[name].part, "paper")
        except DataError:
            return 0, 0
        return len(found.entries), len(found.entries) + len(found.missing)

    def not_stored(self, name: str, what: str) -> str:
        """Why claims on part ``name`` are pending, for a claims table: ``waiting: 3 of the 9 {what} stored so far
        (part 'x'); checked once all are``, ``what`` saying what the entries are ("runs of the CPU setting")."""
        done, total = self.stored_share(name)
        if not total:
            return f"waiting: not stored yet (part {name!r})"
        return f"waiting: {done} of the {total} {what} stored so far (part {name!r}); checked once all are"

    def shown(self, *names: str) -> str:
        """Of parts that are settings of one experiment, largest first (the GPU setting, then the CPU one), the
        one a chapter shows: the first loaded at paper scale with entries, else the first loaded at all."""
        loaded = [n for n in names if n in self.parts]
        if not loaded:
            raise KeyError(f"none of the parts {list(names)} is loaded; this chapter's parts are {list(self.parts)}")
        return next((n for n in loaded if self.scale(n) == "paper" and self[n].entries), loaded[0])

    def _distinct(self) -> list[tuple[PartResult, list[str]]]:
        """The parts, each with the titles of the later parts that loaded the very same entries (two settings of one
        experiment share their smoke runs), which are left out: a run is listed once."""
        rows: list[tuple[PartResult, list[str]]] = []
        for r in self.parts.values():
            paths = _paths(r)
            twin = next((row for row in rows if paths and None not in paths and _paths(row[0]) == paths), None)
            if twin is None:
                rows.append((r, []))
            else:
                twin[1].append(r.part.title)
        return rows

    @property
    def entries(self) -> dict[str, Entry]:
        """Every entry of every part, by a label that names the part (entries two parts share: once)."""
        return {
            f"{r.part.title}: {label}" if len(r.entries) > 1 else r.part.title: e
            for r, _ in self._distinct()
            for label, e in r.entries.items()
        }

    def provenance(self) -> pd.DataFrame:
        """One row per part (labelled by its title): its scale, entries, device(s), compute time, commit(s), dates.
        A part whose entries an earlier part loaded too is named in that part's row instead of a row of its own."""
        rows = []
        for r, twins in self._distinct():
            prov = [e.provenance for e in r.entries.values()]
            dates = sorted(p.get("date") or "" for p in prov)
            rows.append(
                {
                    "part": r.part.title + "".join(f"; the same runs: {t}" for t in twins),
                    "scale": r.scale,
                    "entries": len(prov),
                    "missing": len(r.missing),
                    "device": "; ".join(sorted({str(p.get("device")) for p in prov})),
                    "compute (s, summed)": round(r.wall_time_s, 1),
                    "commit": ", ".join(sorted({str(p.get("commit")) for p in prov})),
                    "date": (dates[0][:10] + (f" … {dates[-1][:10]}" if dates[-1][:10] != dates[0][:10] else ""))
                    if dates
                    else "",
                }
            )
        return pd.DataFrame(rows).set_index("part")


def _paths(r: PartResult) -> set:
    return {e.path for e in r.entries.values()}


def load_all(run, parts: Sequence[Part], *, show_progress: bool | None = None) -> Results:
    """Every part of a chapter at the scale ``run`` (:func:`lrlib.chapter.start`) decided for it."""
    return Results(
        {p.name: load(p, run.part_scales.get(p.name, run.scale), show_progress=show_progress) for p in parts}
    )
