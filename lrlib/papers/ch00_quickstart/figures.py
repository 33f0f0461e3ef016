"""The quick start's figures: the first training images, test error during training, final test error against
the learning rate. Each returns the matplotlib figure."""

from __future__ import annotations

from ... import plots
from ...experiment import Results
from .analysis import curves, failures, summary
from .scales import SCALES


def first_images(x, y, n: int = 16):
    """The first ``n`` training images (28 × 28 pixels) and their labels."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, n // 2, figsize=(plots.COLUMN_IN, 2.4))
    for ax, image, label in zip(axes.flat, x[:n], y[:n]):
        ax.imshow(image.view(28, 28), cmap="gray_r")
        ax.set_title(f"label {label.item()}", fontsize="small")
        ax.axis("off")
    fig.suptitle(f"The first {n} training images (28 × 28 pixels) and their labels")
    return fig


def error_curves(res: Results):
    """Test error during training, one curve (mean over seeds, band: their range, dots: seeds) per learning rate."""
    import matplotlib.pyplot as plt

    table, s = res.table("sweep"), SCALES[res.scale("sweep")]
    lrs, seeds = s.lrs, s.seeds

    fig, ax = plt.subplots(figsize=(7.5, 4))
    palette = plots.sns.color_palette("viridis", len(lrs))
    for color, lr in zip(palette, lrs):
        steps, errors = curves(table, lr, "test_error")
        if len(steps):
            plots.seed_band(ax, steps, errors, label=f"η = {lr:g}", color=color, count_in_label=False)
    ax.set(
        xlabel="SGD step",
        ylabel="test error (fraction of test images)",
        ylim=(0, 1),
        title="Test error during training, one curve per learning rate",
    )
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), title="learning rate")
    plots.caption(fig, f"Lines: mean over {seeds} seeds; bands: their range; dots: single seeds.")
    return fig


def final_error(res: Results):
    """Final test error of every member against its learning rate; diverged members as crosses at error 1."""
    import matplotlib.pyplot as plt

    table = res.table("sweep")
    final = failures(table)
    ok, diverged = final[~final["diverged"]], final[final["diverged"]]
    fig, ax = plt.subplots()
    ax.scatter(ok["lr"], ok["test_error"], color=plots.COLORS["ours"], alpha=0.7, label="one seed")
    if len(diverged):
        ax.scatter(
            diverged["lr"],
            diverged["test_error"],
            marker="x",
            color=plots.COLORS["diverged"],
            label=f"diverged ({len(diverged)}; error counted as 1)",
        )
    means = summary(table)
    ax.plot(means["lr"], means["test_error_mean"], color=plots.COLORS["ours"], label="mean over seeds")
    ax.set(
        xscale="log",
        xlabel="learning rate η (per step, batch-mean loss)",
        ylabel="final test error (fraction)",
        title="Final test error against the learning rate",
    )
    ax.legend(fontsize="small")
    return fig
