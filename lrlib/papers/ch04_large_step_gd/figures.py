"""Every figure of chapter 4, by section; each is drawn in its area's report module from the loaded results."""

from .cifar_report import figure_arms, figure_curves, figure_gd_switch
from .digits_report import figure_accuracy, figure_sharpness
from .theory_report import (
    figure_c1_fine,
    figure_c1_threshold,
    figure_c1_trajectories,
    figure_c2_basins,
    figure_c2_trapped,
    figure_c3,
    figure_c4,
    figure_c5,
)

__all__ = [
    "figure_c1_trajectories",
    "figure_c1_threshold",
    "figure_c1_fine",
    "figure_c2_basins",
    "figure_c2_trapped",
    "figure_c3",
    "figure_c4",
    "figure_c5",
    "figure_sharpness",
    "figure_accuracy",
    "figure_arms",
    "figure_curves",
    "figure_gd_switch",
]
