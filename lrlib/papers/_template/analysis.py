"""What the chapter measures on its results."""

import pandas as pd

from ...experiment import Results


def loss_ratio(res: Results) -> pd.DataFrame:
    """Per step size: the final loss over the initial one, its largest value over seeds, and the edge 2/λ."""
    table = res.table("main").assign(ratio=lambda t: t["final_loss"] / t["initial_loss"])
    out = table.groupby("lr")["ratio"].max().rename("largest ratio over seeds").reset_index()
    out["stable (η < 2/λ)"] = out["lr"] < 2 / res["main"].entries["every step size"].config["curvature"]
    out["seeds"] = table.groupby("lr")["seed"].nunique().to_numpy()
    return out
