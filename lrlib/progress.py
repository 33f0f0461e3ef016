"""One progress-bar helper for the whole book (``LRLIB_PROGRESS=0`` silences it, widget bars included)."""

from __future__ import annotations

from tqdm.auto import tqdm

from .profile import progress_enabled


def progress(iterable=None, *, total: int | None = None, desc: str = "", unit: str = "it", **kwargs):
    """``tqdm.auto`` with the book's defaults; disabled explicitly because TQDM_DISABLE does not stop widgets."""
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        disable=not progress_enabled(),
        dynamic_ncols=True,
        leave=kwargs.pop("leave", True),
        **kwargs,
    )
