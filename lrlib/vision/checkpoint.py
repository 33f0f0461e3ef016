"""Per-epoch checkpoints of one CNN run, written atomically so that a killed run resumes from its last epoch.

A checkpoint is one file, ``checkpoint.pt`` in the run's folder, replaced after every epoch: the run's
configuration (a resumed run must be the same run), the epoch, the model and optimizer state, the table so far and
any further state the trainer keeps. The file is written to a temporary name in the same folder, flushed to disk and
moved over the old one with :func:`os.replace`, so a kill at any moment leaves either the old or the new checkpoint,
never a torn one. It holds only tensors and plain Python values, so it loads with ``weights_only=True``.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch

__all__ = ["CHECKPOINT_NAME", "save", "load", "runs_folder", "unfinished"]

CHECKPOINT_NAME = "checkpoint.pt"


def save(folder: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` (tensors and plain values) as the folder's checkpoint, atomically; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CHECKPOINT_NAME
    fd, tmp = tempfile.mkstemp(prefix=".checkpoint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(folder: str | os.PathLike, config: dict | None = None) -> dict[str, Any] | None:
    """The folder's checkpoint, or ``None`` if there is none yet (tensors load onto the CPU).

    With ``config``, the checkpoint must belong to a run of that configuration: a folder holding another run's
    checkpoint raises a ``ValueError`` rather than being resumed or overwritten.
    """
    path = Path(folder) / CHECKPOINT_NAME
    if not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated or foreign bytes: torch raises whatever its unpickler hit
        raise ValueError(
            f"checkpoint {path} is damaged or not a checkpoint ({type(e).__name__}); delete it to start the run over"
        ) from None
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint {path} is not a checkpoint of lrlib.vision; delete it to start the run over")
    if config is not None and _canonical(state.get("config")) != _canonical(config):
        raise ValueError(f"checkpoint {path} belongs to another run configuration; use another checkpoint_dir")
    return state


def unfinished(root: str | os.PathLike) -> list[dict[str, Any]]:
    """The runs under ``root`` (a ``checkpoints`` folder: ``<part>/<run>/checkpoint.pt``) whose checkpoint is short
    of the run's epochs, most recently written first: part, run, epoch, epochs, seconds so far, time written."""
    runs = []
    for path in Path(root).glob(f"*/*/{CHECKPOINT_NAME}"):
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            epoch, epochs = int(state["epoch"]), int(state["config"]["epochs"])
        except Exception:  # damaged or foreign: load() says so when the run resumes
            continue
        if epoch < epochs:
            runs.append(
                {
                    "part": path.parent.parent.name,
                    "run": path.parent.name,
                    "epoch": epoch,
                    "epochs": epochs,
                    "seconds": float(state.get("wall_seconds", float("nan"))),
                    "written": path.stat().st_mtime,
                }
            )
    return sorted(runs, key=lambda run: -run["written"])


def _canonical(config: Any) -> str:
    return json.dumps(config, sort_keys=True)


def runs_folder(scale: str, name: str):
    """A context manager giving the folder where a part's runs keep their checkpoints: at paper scale a lasting
    folder, ``<LRLIB_CACHE or the user cache>/checkpoints/<name>``, so that a CPU builds the runs over sittings and
    a killed run resumes; at any other scale a temporary folder, removed on exit."""
    if scale != "paper":
        return tempfile.TemporaryDirectory(prefix=f"{name}-")
    from .. import profile

    root = profile.folder_setting("LRLIB_CACHE")
    if root is None:
        from platformdirs import user_cache_dir

        root = Path(user_cache_dir("lrlib"))
    return nullcontext(str(root / "checkpoints" / name))
