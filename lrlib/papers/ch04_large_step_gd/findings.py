"""The numbers chapter 4 reports (keys prefixed by area: ``c1_``…``c5_``, ``digits_``, ``cifar_``)."""

import pandas as pd

from ...experiment import Results
from ...findings import Findings
from . import cifar_report, digits_report, theory_report


def findings(res: Results) -> pd.DataFrame:
    f = Findings()
    theory_report.add_findings(f, res)
    digits_report.add_findings(f, res)
    cifar_report.add_findings(f, res)
    return f.table()
