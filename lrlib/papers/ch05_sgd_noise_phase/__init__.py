"""Chapter 5: SGD noise in the (α, T) plane (Sclocchi, Geiger & Wyart, ICML 2023).

Symbols (the paper's): dt the step size, B the batch size, h the width, P the number of training points, α the
initialization scale, T = dt/(B·h) the temperature (h = 1 for the perceptron), t* = dt × steps the training time,
χ the depletion exponent of the perceptron data.

- ``scales.py``: both scales of the three experiments, side by side
- ``perceptron.py``: depleted-sign data and the event-driven SGD simulator of the perceptron (numpy)
- ``data.py``, ``model.py``: the MNIST / digits parity tasks and the α-scaled MLP trained by the engine
- ``experiments.py``: the stored parts (perceptron, phase, lazy, lazy-check)
- ``analysis.py``: the measurements; ``figures.py``: the plots; ``claims.py``: the claims table;
  ``findings.py``: every number the chapter's prose quotes
"""

from __future__ import annotations

from ...experiment import Results, load_all
from .claims import check_claims
from .experiments import PARTS
from .findings import findings
from .scales import SCALES

TITLE = "Chapter 5: SGD noise in the (α, T) plane"

__all__ = ["PARTS", "SCALES", "TITLE", "check_claims", "findings", "load"]


def load(run) -> Results:
    """Every part at the scale :func:`lrlib.chapter.start` decided for it."""
    return load_all(run, PARTS)
