"""Chapter 2's claims: the synthetic learning-order signature, then the CIFAR-10 claims (the smoke signature of
the patch, or the paper's claims 1–6 where a CPU or GPU setting is stored), each on the scale of the part it reads."""

from ...claims import Claims
from ...experiment import Results
from . import patch_report, synthetic_report
from .scales import TITLE


def check_claims(res: Results) -> Claims:
    claims = Claims(TITLE)
    synthetic_report.add_claims(claims, res)
    patch_report.add_precision_claims(claims, res)
    patch_report.add_claims(claims, res)
    return claims
