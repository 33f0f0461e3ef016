"""Chapter 2: the regularization effect of an initial large learning rate (Li, Wei, Ma, NeurIPS 2019).

The claim: a small learning rate first memorizes the low-noise, hard-to-fit pattern and so generalizes worse on
the hard-to-generalize, easy-to-fit one than a large initial learning rate annealed later; a small patch added to
CIFAR-10 images is memorized at once by a small-LR network but ignored by a large-LR one until the anneal; a small
learning rate with annealed activation noise behaves like the large one.

What is the paper's and what is ours: the CIFAR-10 patch experiment and Figure 1 follow the official code
(``cwein3/large-lr-code``, spec §3: exact); the synthetic two-pattern setting is a reconstruction (the paper's
Section 3 was not available, and it released no synthetic code or numbers). The CIFAR network the paper used,
WRN-16-10, needs a GPU: its setting is defined here (parts ``patch``, ``figure1``) and a CPU-feasible one, WRN-16-1
on the full CIFAR-10 with the paper's schedules, is stored in its place and named as such (``patch-cpu``,
``figure1-cpu``).

Areas, each a science module and a report module: ``synthetic`` (the two-pattern data on the ensemble engine: the
(r, σ) map and the pinned point) and ``patch`` (CIFAR-10 with ``lrlib.vision``). Then the contract files
``scales``, ``experiments``, ``figures``, ``claims``, ``findings``.
"""

from ...experiment import Results, load_all
from . import figures
from .claims import check_claims
from .experiments import PARTS
from .findings import findings
from .scales import SCALES, TITLE

__all__ = ["PARTS", "SCALES", "TITLE", "check_claims", "figures", "findings", "load"]


def load(run) -> Results:
    """Every part at the scale :func:`lrlib.chapter.start` decided for it."""
    return load_all(run, PARTS)
