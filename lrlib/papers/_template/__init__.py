"""Chapter template: a working chapter in the shape every chapter keeps (``make new-chapter`` copies it).

Replace the toy science (gradient descent on a quadratic, which diverges above the step size 2/λ) with the
paper's, keep the files and the contract. This docstring then says what the paper is, what is the paper's and
what is reconstructed, and where the spec is.
"""

from ...experiment import Results, load_all
from .claims import check_claims
from .experiments import PARTS
from .findings import findings
from .scales import SCALES, TITLE

__all__ = ["TITLE", "SCALES", "PARTS", "load", "check_claims", "findings"]


def load(run) -> Results:
    """Every part at the scale ``lrlib.chapter.start`` decided for it."""
    return load_all(run, PARTS)
