"""Chapter 1: benign oscillation of SGD with large learning rates (Lu, Wu, Yang, Zou, ICLR 2024).

A large learning rate makes SGD oscillate on the points that carry a *strong* feature u; the oscillation keeps
pushing a *weak* feature v, present in every point, until the network has learned it. A small learning rate fits
the strong points smoothly, fits the few points without u by memorising their noise, and never learns v; so it
fails on test points that carry v alone.

What is the paper's and what is ours (the paper body was not available; see the chapter-1 spec):

- paper: a feature-noise data model with a strong feature in a fraction of the points, a weak feature in all of
  them and noise; a two-layer ReLU² "CNN" with a fixed second layer; single-sample SGD; the large-LR window
  η ∈ [m/(4‖u‖²), 2m/(5‖u‖²)]; the sizes d = 64, n = 16, m = 8, 5 seeds; a 32-point test set with 4 weak points.
- reconstructed: three orthogonal patches [y·u or 0, y·v, ξ] with ‖u‖ = 1, ‖v‖ = 0.1, ξ ~ N(0, σ_p² I) on the
  coordinates orthogonal to u and v, E‖ξ‖² = 4‖v‖²; 14 strong + 2 weak training points with balanced labels;
  the fixed readout ±1/m; the squared margin loss (y·f − 1)² (no ½, so η* = m/(4‖u‖²)); σ0 = 0.01; the
  learning rates 0.5η* and 1.25η*; 20 000 steps; a weak-only test set of 1000 points.

Files: ``scales`` (both scales, the data model and network sizes), ``data`` (the data model), ``model`` (the
network and plain SGD, written out), ``theory`` (the 1-D map), ``training`` (the engine on this model),
``experiments`` (the parts), ``analysis``, ``figures``, ``claims``, ``findings``.
"""

from __future__ import annotations

from ...experiment import Results, load_all
from . import analysis, data, figures, model, theory
from .claims import check_claims
from .experiments import PARTS
from .findings import findings
from .scales import SCALES, TITLE

__all__ = [
    "PARTS",
    "SCALES",
    "TITLE",
    "analysis",
    "check_claims",
    "data",
    "figures",
    "findings",
    "load",
    "model",
    "theory",
]


def load(run) -> Results:
    """Every part at the scale :func:`lrlib.chapter.start` decided for it."""
    return load_all(run, PARTS)
