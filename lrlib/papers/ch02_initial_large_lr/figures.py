"""Every figure of chapter 2, by section; each is drawn in its area's report module from the loaded results."""

from .patch_report import figure_figure1, figure_patch
from .synthetic_report import figure_map, figure_mechanism, figure_pinned

__all__ = ["figure_map", "figure_pinned", "figure_mechanism", "figure_patch", "figure_figure1"]
