"""The chapter's two stored parts: the evidence experiment (Figs. 1-3, one entry, CPU-cheap) and the batch-size
sweeps (Figs. 4-7, one entry per (N, B) batched program, hours on a CPU at paper scale).

To compute the paper-scale sweeps (each program is stored as it finishes; start it once per core to share them)::

    python -m lrlib.papers ch3.sweeps
"""

from __future__ import annotations

from functools import cache

from ...experiment import Part, Unit
from . import evidence, sweeps
from .data import sweep_data


def evidence_blocks(scale: str):
    yield [Unit("evidence", evidence.evidence_config(scale), lambda: evidence.compute_evidence(scale))]


def sweep_blocks(scale: str):
    """One block per batched program, cheapest first; the programs load the sweeps' data once between them.
    ``scale``: a sweeps setting (:func:`.sweeps.setting`)."""
    members = sweeps.all_members(scale)
    data = cache(lambda: sweep_data(scale))
    for n, b in sweeps.groups(scale, members):
        config = sweeps.group_config(scale, n, b, members)
        yield [Unit(f"N={n}, B={b}", config, lambda n=n, b=b: sweeps.compute_group(scale, n, b, data=data()))]


def full_n_blocks(scale: str):
    """The N sweep on the full MNIST (setting ``full``): at paper scale only."""
    return sweep_blocks("full") if scale == "paper" else iter(())


def n_part(res) -> str:
    """The part whose N sweep a page shows: ``sweeps-full`` (N to 32,000 on the canonical splits) once stored
    complete, else ``sweeps``."""
    return "sweeps-full" if res.stored_complete("sweeps-full") else "sweeps"


def n_setting(res) -> str:
    """The sweeps setting of the N sweep a page shows (``full``, or the scale of part ``sweeps``)."""
    return "full" if n_part(res) == "sweeps-full" else res.scale("sweeps")


EVIDENCE = Part("evidence", "evidence (Figs. 1-3)", evidence_blocks)
# the book shows the paper-scale sweeps only once every program is stored (partial=False)
SWEEPS = Part("sweeps", "batch-size sweeps (Figs. 4-7)", sweep_blocks, shared=True, costly=True)
SWEEPS_FULL = Part(
    "sweeps-full",
    "N sweep on the full MNIST (Fig. 6, N to 32,000)",
    full_n_blocks,
    shared=True,
    costly=True,
    stand_in="sweeps",
)
PARTS = (EVIDENCE, SWEEPS, SWEEPS_FULL)
