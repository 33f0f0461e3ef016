"""Chapter 3. Smith & Le (2018), *A Bayesian perspective on generalization and SGD*.

Two parts, each with both scales side by side in :mod:`.scales`:

1. **Evidence** (Figs. 1-3, :mod:`.evidence`): L2-regularised logistic regression on MNIST 0 vs 1 with
   informative, partly random and random labels; for each prior precision the exact minimum and its Laplace
   evidence (:mod:`.theory`). CPU-cheap at both scales.
2. **Batch-size sweeps** (Figs. 4-7, :mod:`.sweeps`): a one-hidden-layer ReLU net trained with SGD + momentum for a
   fixed number of epochs over grids of batch size, learning rate, momentum and training-set size, by the
   ensemble engine; B_opt and its slopes in :mod:`.analysis`.

Data in :mod:`.data`, the stored parts in :mod:`.experiments`, figures in :mod:`.figures`, the claims table in
:mod:`.claims` and the numbers the prose quotes in :mod:`.findings`.
"""

from __future__ import annotations

from ...experiment import Results, load_all
from . import analysis, evidence, figures, scales, sweeps
from .claims import TITLE, check_claims, observations
from .experiments import PARTS
from .findings import findings, n_reading
from .scales import SCALES

__all__ = ["TITLE", "SCALES", "PARTS", "load", "check_claims", "observations", "findings"]
# read by the notebook besides the contract
__all__ += ["analysis", "evidence", "figures", "scales", "sweeps", "n_reading"]


def load(run) -> Results:
    """Both parts at the scales ``lrlib.chapter.start`` decided for them."""
    return load_all(run, PARTS)
