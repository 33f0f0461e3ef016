"""lrlib.plots: what every figure relies on."""

import matplotlib

matplotlib.use("Agg")

from IPython.core.pylabtools import print_figure  # noqa: E402

from lrlib import plots  # noqa: E402


def test_a_caption_sits_under_a_legend_below_the_figure_and_both_stay_in_the_saved_image():
    plots.use_book_style()
    fig, axes = plots.plt.subplots(1, 3, figsize=(plots.COLUMN_IN, 2.4))
    for i in range(4):
        axes[0].plot([0, 1], [i, i + 1], label=f"arm {i} with a long name")
    handles, labels = axes[0].get_legend_handles_labels()
    legend = plots.legend_below(fig, handles, labels, ncol=2, fontsize="small")
    plots.caption(fig, "Mean of 10 seeds, band min-max; dotted: the anneal.")
    fig.canvas.draw()  # the first pass of the book's tight-bbox save places everything
    renderer = fig.canvas.get_renderer()
    text = next(a for a in fig.artists if isinstance(a, plots._Caption))
    legend_box, text_box = legend.get_window_extent(renderer), text.get_window_extent(renderer)
    assert text_box.y1 <= legend_box.y0 and legend_box.y1 <= min(a.get_tightbbox(renderer).y0 for a in axes) + 1
    # the notebook's save (tight bbox, two passes) keeps the caption where the first pass put it
    y = text.get_position()[1]
    svg = print_figure(fig, "svg", bbox_inches="tight")
    assert abs(text.get_position()[1] - y) < 1e-3 and "Mean of 10 seeds" in svg  # (fonts hint per dpi)
    plots.plt.close(fig)
