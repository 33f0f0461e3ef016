"""The chapter's figures: each answers one question, with units on its axes."""

from ... import plots
from ...experiment import Results
from .analysis import loss_ratio


def plot_loss_ratio(ax, res: Results) -> None:
    """Final over initial loss against the step size, the stability edge 2/λ marked."""
    ratios = loss_ratio(res)
    ax.plot(
        ratios["lr"], ratios["largest ratio over seeds"], "o-", color=plots.COLORS["ours"], label="largest over seeds"
    )
    edge = 2 / res["main"].entries["every step size"].config["curvature"]
    plots.paper_value(ax, edge, axis="x", label="2/λ (theory)")
    ax.set(yscale="log", xlabel="step size η (per step)", ylabel="final loss / initial loss")
    ax.legend()
