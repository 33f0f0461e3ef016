"""The numbers the chapter reports: the prose glues them, a test snapshots them."""

import pandas as pd

from ...experiment import Results
from ...findings import Findings
from .analysis import loss_ratio


def findings(res: Results) -> pd.DataFrame:
    ratios, f = loss_ratio(res), Findings()
    stable = ratios[ratios["stable (η < 2/λ)"]]
    f.add(
        "largest_stable_lr",
        "largest step size below 2/λ",
        float(stable["lr"].max()),
        unit="per step",
        part="main",
        scale=res.scale("main"),
        seeds=int(ratios["seeds"].min()),
    )
    return f.table()
