"""Chapter 4: special properties of gradient descent with large step sizes (Mohtashami, Jaggi, Stich, ICML 2023).

The claim: the benefit of a large learning rate is not only the gradient noise it brings. On a class of
non-convex functions GD with a large step escapes local minima that a small step converges to, and small-step
methods with noise of any magnitude cannot guarantee the global minimum; in networks, increased stochasticity at a
fixed learning rate does not match a large learning rate, in SGD and in full-batch GD.

What is the paper's and what is ours: the paper's body was not available (abstract and introduction only, and a
public summary that gives the CIFAR network: ResNet-18 without batch normalization). So the landscapes, the noise
amplification and every protocol here are reconstructions (spec ``ch4_large_step_gd.md``), and the comparison
values are the spec's prototype numbers, never the paper's.

Areas, each a science module and a report module (figures, claims, findings): ``theory`` (the constructions
C1–C5), ``digits`` (MLP on scikit-learn digits: sharpness against 2/γ, noise arms under two matching rules and two
budgets), ``cifar`` (ResNet-18 without BN on CIFAR-10 with ``lrlib.vision``: the paper's GPU setting and a
CPU-feasible setting named as such). Then the contract files ``scales``, ``experiments``, ``figures``,
``claims``, ``findings``.
"""

from ...experiment import Results, load_all
from . import figures
from .cifar import shown_part
from .claims import check_claims
from .experiments import PARTS
from .findings import findings
from .scales import SCALES, TITLE

__all__ = ["PARTS", "SCALES", "TITLE", "check_claims", "figures", "findings", "load", "shown_part"]


def load(run) -> Results:
    """Every part at the scale :func:`lrlib.chapter.start` decided for it."""
    return load_all(run, PARTS)
