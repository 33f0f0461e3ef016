"""Chapter 4's claims: S1–S7 on the constructions, S8–S10 on the digits networks, the CIFAR claims (P1–P4 where a
paper or CPU setting is shown), each checked on the scale of the part it reads."""

from ...claims import Claims
from ...experiment import Results
from . import cifar_report, digits_report, theory_report
from .scales import TITLE


def check_claims(res: Results) -> Claims:
    claims = Claims(TITLE)
    theory_report.add_claims(claims, res)
    digits_report.add_claims(claims, res)
    cifar_report.add_claims(claims, res)
    return claims
