"""The chapters: one package per chapter, numbered like the book, each on the same contract.

Every chapter package (``ch01_benign_oscillation``, ...) exports:

``TITLE``              the chapter's title
``SCALES``             both scales side by side: ``{"smoke": Scale, "paper": Scale}``, frozen dataclasses with units
``PARTS``              its separately stored pieces (:class:`lrlib.experiment.Part`), cheapest first
``load(run)``          every part at the scale :func:`lrlib.chapter.start` decided: a :class:`lrlib.experiment.Results`
``check_claims(res)``  the chapter's whole claims table (:class:`lrlib.claims.Claims`)
``findings(res)``      the numbers it reports, as a tidy table (:mod:`lrlib.findings`)

and keeps the same files where they apply: ``scales.py``, ``data.py``, ``model.py`` or ``theory.py``,
``experiments.py`` (the parts), ``analysis.py``, ``figures.py``, ``claims.py``, ``findings.py``. A chapter never
imports another chapter; the infrastructure and the engine never import this package. ``python -m lrlib.papers``
computes the paper-scale parts from this registry.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: chapter key (used on the command line: ``ch5.phase``) -> package name, in the book's order
CHAPTERS = {
    "ch0": "ch00_quickstart",
    "ch1": "ch01_benign_oscillation",
    "ch2": "ch02_initial_large_lr",
    "ch3": "ch03_bayesian_batch_size",
    "ch4": "ch04_large_step_gd",
    "ch5": "ch05_sgd_noise_phase",
}
CONTRACT = ("TITLE", "SCALES", "PARTS", "load", "check_claims", "findings")


def chapter(key: str) -> ModuleType:
    """The chapter package registered under ``key`` (``"ch5"``)."""
    if key not in CHAPTERS:
        raise ValueError(f"no chapter {key!r}; the chapters are {', '.join(CHAPTERS)}")
    return importlib.import_module(f"{__name__}.{CHAPTERS[key]}")


def chapters() -> dict[str, ModuleType]:
    """Every chapter package, by key, in the book's order."""
    return {key: chapter(key) for key in CHAPTERS}
