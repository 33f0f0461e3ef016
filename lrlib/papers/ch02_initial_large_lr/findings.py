"""The numbers chapter 2 reports (keys prefixed by area: ``syn_``, ``patch_``, ``fig1_``)."""

import pandas as pd

from ...experiment import Results
from ...findings import Findings
from . import patch_report, synthetic_report


def findings(res: Results) -> pd.DataFrame:
    f = Findings()
    synthetic_report.add_findings(f, res)
    patch_report.add_findings(f, res)
    return f.table()
