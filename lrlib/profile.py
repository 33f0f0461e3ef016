"""Scale, seeds, device and provenance: the settings every chapter reads from the environment.

Environment variables (each validated up front, with a one-line error naming the bad value):

``LRLIB_PROFILE``   ``smoke`` (default) or ``paper``: the scale every notebook runs at.
``LRLIB_SEED``      a non-negative integer (default 0) added to every seed a chapter uses.
``LRLIB_PROGRESS``  ``1`` (default) or ``0``: show or silence progress bars.
``LRLIB_RESULTS``   ``compute`` (default) or ``stored``: the book build sets ``stored``, so paper-scale
                    notebooks read the results that ship with the book instead of retraining.
``LRLIB_DEVICE``    optional: ``cpu``, ``cuda``, ``cuda:1``, ``mps``; default is CUDA > MPS > CPU.
``LRLIB_THREADS``   optional: CPU threads for torch, 1 to 1024 (default in a chapter: one per two cores, at least
                    one); when set, ``train`` and ``sweep`` use it too.
``LRLIB_OFFLINE``   ``0`` (default) or ``1``: never download a dataset file.
``LRLIB_COMMIT``    optional: the commit to record in provenance where the code is not a git checkout (a copy
                    of the working tree sent to a GPU machine); ignored inside a git checkout.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import torch

PROFILES = ("smoke", "paper")
RESULT_MODES = ("compute", "stored")
REPO_ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")


#: the most threads LRLIB_THREADS may ask for (50,000 crashed the interpreter: reliability probe, defect 8)
MAX_THREADS = 1024


class SettingError(ValueError):
    """A bad value in one of the LRLIB_* environment variables."""


def _choice(var: str, allowed: tuple[str, ...], default: str) -> str:
    value = os.environ.get(var, "").strip() or default
    if value not in allowed:
        raise SettingError(f"{var}={value!r} is not allowed; use one of: {', '.join(allowed)}")
    return value


def profile() -> str:
    """The scale to run at: ``'smoke'`` (default, minutes on a laptop CPU) or ``'paper'``."""
    return _choice("LRLIB_PROFILE", PROFILES, "smoke")


def results_mode() -> str:
    """``'compute'`` (default) or ``'stored'`` (the book build: read shipped paper-scale results)."""
    return _choice("LRLIB_RESULTS", RESULT_MODES, "compute")


def seed_offset() -> int:
    """``LRLIB_SEED``: a non-negative integer added to every seed a chapter uses (default 0)."""
    raw = os.environ.get("LRLIB_SEED", "").strip() or "0"
    # ASCII digits only (str.isdigit accepts '²'), and small enough that seed + offset stays a 32-bit seed
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise SettingError(f"LRLIB_SEED={raw!r} is not allowed; use an integer from 0 to 999999999, such as 0 or 17")
    return int(raw)


def progress_enabled() -> bool:
    return _choice("LRLIB_PROGRESS", ("1", "0"), "1") == "1"


def pick(*, smoke: T, paper: T, scale: str | None = None) -> T:
    """Return the value for the active scale; a chapter defines both side by side."""
    return {"smoke": smoke, "paper": paper}[scale or profile()]


def device() -> torch.device:
    """CUDA if present, else Apple MPS, else CPU; ``LRLIB_DEVICE`` overrides."""
    wanted = os.environ.get("LRLIB_DEVICE", "").strip()
    if wanted:
        try:
            dev = torch.device(wanted)
        except RuntimeError:
            raise SettingError(f"LRLIB_DEVICE={wanted!r} is not a device; use cpu, cuda, cuda:N or mps") from None
        if dev.type not in ("cpu", "cuda", "mps"):
            raise SettingError(f"LRLIB_DEVICE={wanted!r} is not supported; use cpu, cuda, cuda:N or mps")
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise SettingError(f"LRLIB_DEVICE={wanted!r} but no CUDA device is available; use cpu")
        if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
            raise SettingError(
                f"LRLIB_DEVICE={wanted!r} but this machine has {torch.cuda.device_count()} CUDA device(s)"
            )
        if dev.type == "mps" and not torch.backends.mps.is_available():
            raise SettingError(f"LRLIB_DEVICE={wanted!r} but MPS is not available here; use cpu")
        return dev
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def threads_setting() -> int | None:
    """``LRLIB_THREADS`` as an integer, or None when it is not set."""
    raw = os.environ.get("LRLIB_THREADS", "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= MAX_THREADS:
        raise SettingError(f"LRLIB_THREADS={raw!r} is not allowed; use an integer from 1 to {MAX_THREADS}")
    return int(raw)


def configure_threads() -> int:
    """Small models on few cores run fastest with few threads, and two notebooks often run at once
    (the test suite runs two in parallel), so use one thread per two cores unless told otherwise."""
    n = threads_setting() or max(1, (os.cpu_count() or 2) // 2)
    torch.set_num_threads(n)
    return n


def apply_thread_setting() -> None:
    """Use ``LRLIB_THREADS`` threads if it is set; otherwise leave torch's own choice (a library call does not
    change the caller's threads unasked)."""
    n = threads_setting()
    if n is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)


@contextmanager
def environment(**values: str):
    """Set environment variables (``LRLIB_PROFILE="paper"``, ...) for the block and restore them after it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def folder_setting(var: str) -> Path | None:
    """The folder named by ``var`` (``LRLIB_DATA``, ``LRLIB_CACHE``, ``LRLIB_STORE``) as an absolute path, or None
    when it is not set. A relative path is taken relative to the repository root, where ``make`` runs, so that it
    names the same folder from a notebook (whose working folder is ``book/``) as from the command line."""
    raw = os.environ.get(var, "").strip()
    if not raw:
        return None
    path = Path(raw).expanduser()
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


def offline() -> bool:
    """``LRLIB_OFFLINE=1``: dataset files are never downloaded."""
    return _choice("LRLIB_OFFLINE", ("0", "1"), "0") == "1"


def validate_environment() -> None:
    """Check every ``LRLIB_*`` variable against its documented values now, before any work: a
    :class:`SettingError` names the first bad one and what is allowed."""
    profile()
    results_mode()
    seed_offset()
    progress_enabled()
    offline()
    threads_setting()
    device()
    commit_setting()  # (not git_commit(): train() calls this, and must not start git every time)


def seed(base: int) -> int:
    """The seed a chapter's run ``base`` actually uses: ``base + LRLIB_SEED``."""
    if not isinstance(base, int) or base < 0:
        raise SettingError(f"seed base must be a non-negative integer, got {base!r}")
    return base + seed_offset()


def generator(base: int, dev: torch.device | str = "cpu") -> torch.Generator:
    """A torch generator seeded with ``seed(base)``, on the given device."""
    g = torch.Generator(device=dev)
    g.manual_seed(seed(base))
    return g


def git_commit() -> str:
    """The checkout's commit (``+dirty`` if tracked files other than stored results changed); outside a git
    checkout ``LRLIB_COMMIT`` (validated as a hexadecimal hash, ``+copy`` appended), else ``"unknown"``."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5
        )
        commit = out.stdout.strip() if out.returncode == 0 else ""
        if commit:
            # stored results are data, not code: deleting one to recompute it leaves the code clean
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)book/_results"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    raw = commit_setting()
    return raw[:12] + "+copy" if raw else "unknown"


def commit_setting() -> str:
    """``LRLIB_COMMIT`` (lower case), or "" when it is not set."""
    raw = os.environ.get("LRLIB_COMMIT", "").strip()
    if raw and not (7 <= len(raw) <= 40 and all(c in "0123456789abcdef" for c in raw.lower())):
        raise SettingError(f"LRLIB_COMMIT={raw!r} is not allowed; use a git commit hash (7 to 40 hex digits)")
    return raw.lower()


def tf32_matmuls() -> bool:
    """True if float32 matrix products on CUDA may round their inputs to TF32 (10-bit mantissa): set through
    torch's new or legacy precision API, or forced by ``NVIDIA_TF32_OVERRIDE=1`` /
    ``TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1``. Off by default; the chapters' fp32 results assume it stays off."""
    if os.environ.get("NVIDIA_TF32_OVERRIDE") == "1" or os.environ.get("TORCH_ALLOW_TF32_CUBLAS_OVERRIDE") == "1":
        return True
    matmul = torch.backends.cuda.matmul
    precision = getattr(matmul, "fp32_precision", None)
    if precision is None:  # torch without the new API
        return bool(matmul.allow_tf32)
    if precision == "none":  # inherits the global setting
        precision = getattr(torch.backends, "fp32_precision", "none")
    return precision == "tf32"


def device_name(dev: torch.device | None = None) -> str:
    dev = dev or device()
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    if dev.type == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU ({platform.processor() or platform.machine()}, {threads} thread{'s' if threads != 1 else ''})"


def provenance(wall_time_s: float | None = None, dev: torch.device | None = None, scale: str | None = None) -> dict:
    """Where and how a result was computed: scale, device, versions, commit, date, wall time."""
    if scale is not None and scale not in PROFILES:
        raise SettingError(f"scale={scale!r} is not allowed; use one of: {', '.join(PROFILES)}")
    dev = dev or device()
    return {
        "profile": scale or profile(),
        "seed_offset": seed_offset(),
        "device": device_name(dev),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "commit": git_commit(),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "wall_time_s": None if wall_time_s is None else round(float(wall_time_s), 3),
        **({"cuda_fp32_matmul": "tf32" if tf32_matmuls() else "ieee"} if dev.type == "cuda" else {}),
    }
