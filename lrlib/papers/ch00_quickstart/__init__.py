"""The quick start: SGD on real MNIST at a sweep of learning rates, as one ensemble.

A one-hidden-layer ReLU network learns the first N MNIST training images (the same images online and offline)
with minibatch SGD and cross-entropy, at learning rates spanning four decades, several seeds each. Its purpose is
to show the machinery end to end: both scales in one place, the device, real data, the engine, the results
store with provenance, and checked claims.

Files: ``scales`` (both scales), ``data`` (MNIST), ``experiments`` (the one part, the sweep), ``analysis``,
``figures``, ``claims``, ``findings``.
"""

from __future__ import annotations

from ...experiment import Results, load_all
from . import analysis, data, figures
from .claims import check_claims
from .experiments import PARTS
from .findings import findings
from .scales import SCALES, TITLE

__all__ = ["PARTS", "SCALES", "TITLE", "analysis", "check_claims", "data", "figures", "findings", "load"]


def load(run) -> Results:
    """The sweep at the scale :func:`lrlib.chapter.start` decided for it."""
    return load_all(run, PARTS)
