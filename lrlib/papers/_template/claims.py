"""The chapter's claims, checked on this run's numbers."""

from ...claims import Claims
from ...experiment import Results
from .analysis import loss_ratio
from .scales import TITLE


def check_claims(res: Results) -> Claims:
    ratios = loss_ratio(res)
    claims = Claims(TITLE, scale=res.scale("main"))
    stable, unstable = ratios[ratios["stable (η < 2/λ)"]], ratios[~ratios["stable (η < 2/λ)"]]
    claims.at_most(
        "below 2/λ the loss shrinks: largest final/initial ratio",
        stable["largest ratio over seeds"].max(),
        1.0,
        paper="η < 2/λ converges [textbook]",
    )
    claims.at_least(
        "above 2/λ the loss grows: smallest final/initial ratio",
        unstable["largest ratio over seeds"].min(),
        1.0,
        paper="η > 2/λ diverges [textbook]",
    )
    return claims
