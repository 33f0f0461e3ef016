"""One visual style for the whole book, and the few plot helpers every chapter uses.

Colours are from seaborn's colour-blind-safe palette, and a condition keeps its colour in every chapter
(``COLORS['large_lr']`` is always the same orange, ``COLORS['paper']`` always marks the paper's value).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

PALETTE = sns.color_palette("colorblind")
COLORS = {
    "small_lr": PALETTE[0],  # blue
    "large_lr": PALETTE[1],  # orange
    "ours": PALETTE[2],  # green
    "theory": PALETTE[7],  # grey
    "paper": PALETTE[3],  # red: the paper's reported value
    "diverged": "#444444",
}
#: cells of a phase diagram above its colour range
OVER_COLOR = "#bdbdbd"


#: the book's text column, in inches of a figure shown at its natural size (96 CSS px an inch: about 750 px of the
#: column's 784). A wider figure is shrunk to fit, and its text with it.
COLUMN_IN = 7.8
#: the smallest text a figure may show at its displayed size, in CSS px (body text is 16 px); tests/test_book.py
#: measures every figure of the rendered book against it
MIN_TEXT_PX = 8.0


def use_book_style() -> None:
    """Set the book's matplotlib/seaborn style (call once per notebook; idempotent). In a notebook, figures are
    shown as SVG with their text kept as text: sharp at any zoom, searchable, and measurable by the book's tests."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 110,
            "savefig.dpi": 200,
            "svg.fonttype": "none",
            "axes.titlesize": "medium",
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "image.cmap": "viridis",
            "figure.constrained_layout.use": True,
        }
    )
    _show_as_svg()


def _show_as_svg() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing is displayed inline
        return
    if get_ipython() is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg")


def seed_band(
    ax,
    x: Sequence[float],
    values: np.ndarray,
    *,
    label: str,
    color=None,
    points: bool = True,
    band: str = "minmax",
    count_in_label: bool = True,
    **line_kw,
):
    """Mean over seeds as a line, the spread over seeds as a band, each seed as faint points.

    ``values`` has shape [n_seeds, len(x)]; ``band`` is ``'minmax'`` or ``'std'``.
    """
    x = np.asarray(x, dtype=float)
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[-1] != len(x):
        raise ValueError(f"values must have shape [n_seeds, {len(x)}], got {values.shape}")
    if band not in ("minmax", "std"):
        raise ValueError(f"band must be 'minmax' or 'std', got {band!r}")
    with warnings.catch_warnings():  # a column where no seed has a value is a gap in the line, not a problem
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        if band == "minmax":
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        else:
            sd = np.nanstd(values, axis=0)
            low, high = mean - sd, mean + sd
    n = values.shape[0]
    shown = f"{label} (mean of {n} seeds)" if n > 1 and count_in_label else label
    (line,) = ax.plot(x, mean, label=shown, color=color, **line_kw)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    if points and n > 1:
        for row in values:
            ax.plot(x, row, ".", color=line.get_color(), alpha=0.35, markersize=3)
    return line


def paper_value(ax, value: float, *, label: str = "paper", axis: str = "y", **kw):
    """Draw the paper's reported value as a dashed red line, labelled."""
    style = dict(color=COLORS["paper"], linestyle="--", linewidth=1.2, label=label) | kw
    return ax.axhline(value, **style) if axis == "y" else ax.axvline(value, **style)


def phase_diagram(
    ax,
    x: Sequence[float],
    y: Sequence[float],
    z: np.ndarray,
    *,
    xlabel: str,
    ylabel: str,
    cbar_label: str,
    mask: np.ndarray | None = None,
    mask_label: str = "diverged",
    log: bool = False,
    cmap: str = "viridis",
    clim: tuple[float, float] | None = None,
    over_label: str = "above the colour range",
):
    """A heat map over a log2 grid (z has shape [len(y), len(x)]); masked cells hatched and labelled.

    ``clim``: the colour range; cells above it are drawn in grey (``over_label`` in the legend, an arrow on the
    colour bar), never in the top colour of the range."""
    z = np.asarray(z, dtype=float)
    if z.shape != (len(y), len(x)):
        raise ValueError(f"z must have shape ({len(y)}, {len(x)}), got {z.shape}")
    lx, ly = np.log2(np.asarray(x, float)), np.log2(np.asarray(y, float))
    shown = np.ma.masked_where(~np.isfinite(z) if mask is None else (mask | ~np.isfinite(z)), z)
    over = clim is not None and bool((shown > clim[1]).any())
    colors = mpl.colormaps[cmap].with_extremes(over=OVER_COLOR) if over else mpl.colormaps[cmap]
    vmin, vmax = clim if clim is not None else (None, None)
    norm = mpl.colors.LogNorm(vmin, vmax) if log else mpl.colors.Normalize(vmin, vmax)
    mesh = ax.pcolormesh(cell_edges(lx), cell_edges(ly), shown, cmap=colors, norm=norm, shading="flat")
    if over:
        ax.add_patch(mpl.patches.Rectangle((0, 0), 0, 0, facecolor=OVER_COLOR, label=over_label))
    if mask is not None and mask.any():
        hatch_cells(ax, x, y, mask, "xx", facecolor="white", label=mask_label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.figure.colorbar(mesh, ax=ax, label=cbar_label, extend="max" if over else "neither")
    return mesh


def cell_edges(centres: np.ndarray) -> np.ndarray:
    """The edges of grid cells around their centres (halfway between neighbours; a lone cell is 1 wide)."""
    centres = np.asarray(centres, dtype=float)
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def hatch_cells(
    ax,
    x: Sequence[float],
    y: Sequence[float],
    mask: np.ndarray,
    hatch: str,
    *,
    facecolor: str | None = None,
    label: str | None = None,
) -> None:
    """Hatch the cells of a :func:`phase_diagram` (same ``x``, ``y`` grid) where ``mask`` [len(y), len(x)] is
    true; ``facecolor`` blanks them first (``None``: the colour stays visible); ``label`` adds a legend entry."""
    mask = np.asarray(mask, dtype=bool)
    ex, ey = cell_edges(np.log2(np.asarray(x, float))), cell_edges(np.log2(np.asarray(y, float)))
    style = dict(hatch=hatch, edgecolor="#444444", linewidth=0)
    style |= dict(facecolor=facecolor) if facecolor else dict(fill=False)
    for i, j in zip(*np.nonzero(mask)):
        ax.add_patch(mpl.patches.Rectangle((ex[j], ey[i]), ex[j + 1] - ex[j], ey[i + 1] - ey[i], **style))
    if label is not None and mask.any():
        ax.add_patch(mpl.patches.Rectangle((0, 0), 0, 0, label=label, **(style | dict(linewidth=None))))


def log2_ticks(ax, x: Sequence[float], y: Sequence[float], max_ticks: int = 8) -> None:
    """Tick a :func:`phase_diagram`'s axes at powers of two (at most about ``max_ticks`` per axis)."""
    lx, ly = np.log2(np.asarray(x, float)), np.log2(np.asarray(y, float))
    step_x, step_y = max(1, math.ceil(len(lx) / max_ticks)), max(1, math.ceil(len(ly) / max_ticks))
    ax.set_xticks(lx[::step_x], [f"$2^{{{int(round(v))}}}$" for v in lx[::step_x]])
    ax.set_yticks(
        ly[::step_y], [f"$2^{{{v:.0f}}}$" if float(v).is_integer() else f"$2^{{{v:.1f}}}$" for v in ly[::step_y]]
    )


class _Caption(mpl.text.Text):
    """Text that places itself under everything else in its figure each time it is drawn: legends placed outside
    the axes can reach below the figure's edge, where a caption at a fixed height would run into them."""

    def draw(self, renderer):
        fig = self.figure
        bottoms = [a.get_tightbbox(renderer).y0 for a in fig.axes if a.get_visible()]
        bottoms += [g.get_window_extent(renderer).y0 for g in fig.legends]
        # A tight-bbox save draws twice: the second pass moves the figure's origin, and an outside legend still
        # reports its first-pass place there. The place found in the first pass is the one the crop was made for.
        if tuple(fig.transFigure.transform((0, 0))) == (0.0, 0.0):
            self.set_y(min([0.0, *bottoms]) / fig.bbox.height - 0.02)
        super().draw(renderer)


def plain_log_labels(ax, axis: str = "y") -> None:
    """Label a log axis with plain numbers (0.2, 0.5, 1, 2, 5, 10, ...) instead of powers of ten: short labels
    that do not collide, even on an axis spanning less than a decade."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(mpl.ticker.FormatStrFormatter("%g"))
    target.set_minor_formatter(
        mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}".lstrip("0.")[:1] in "25" else "")
    )


def legend_below(fig, handles, labels, **kwargs):
    """A figure legend hanging under the figure's bottom edge (a caption, if any, goes under it). Not
    ``loc="outside lower center"``: such a legend does not move when a tight-bbox save (the book's) shifts the
    figure, and the caption runs into it."""
    return fig.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=fig.transFigure, **kwargs
    )


def caption(fig, text: str) -> None:
    """A caption under a figure, e.g. how many seeds and where it ran; wrapped at the figure's width."""
    fig.add_artist(
        _Caption(
            0.01,
            -0.02,
            text,
            ha="left",
            va="top",
            fontsize="small",
            color="#444444",
            wrap=True,
            transform=fig.transFigure,
        )  # fmt: skip
    )


__all__ = [
    "legend_below",
    "COLORS",
    "PALETTE",
    "COLUMN_IN",
    "MIN_TEXT_PX",
    "use_book_style",
    "seed_band",
    "paper_value",
    "phase_diagram",
    "cell_edges",
    "hatch_cells",
    "log2_ticks",
    "plain_log_labels",
    "caption",
    "plt",
]
