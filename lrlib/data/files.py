"""Where dataset files live, how they are checked, and how they are fetched.

The data folder is ``LRLIB_DATA`` if set, else a per-user data folder. Every file is checked against a known
checksum before it is read (CIFAR-10 files are pickles: their bytes are verified before anything is unpickled).
A missing file is downloaded when the machine is online, unless ``LRLIB_OFFLINE=1``; otherwise the error says
exactly which file is missing, where it was looked for, and how to get it. A compressed file in a read-only data
folder is decompressed into a writable cache (``LRLIB_CACHE``, else a per-user cache folder) and both its packed and
unpacked bytes are checked.
"""

from __future__ import annotations

import hashlib
import http.client
import lzma
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path


class DataError(RuntimeError):
    """A dataset file is missing and could not be fetched."""


class ChecksumError(DataError):
    """A dataset file's bytes do not match the known checksum (corrupt, truncated or a different file)."""


@dataclass(frozen=True)
class FileSpec:
    """A dataset file: its path under the data folder, a checksum, and where to download it from."""

    path: str
    sha256: str = ""
    md5: str = ""
    urls: tuple[str, ...] = ()

    def __post_init__(self):
        if not (self.sha256 or self.md5):
            raise ValueError(f"FileSpec {self.path!r} needs a sha256 or md5 checksum")


def data_root() -> Path:
    """``LRLIB_DATA`` if set, else the per-user data folder (e.g. ``~/.local/share/lrlib``)."""
    from ..profile import folder_setting

    override = folder_setting("LRLIB_DATA")
    if override:
        return override
    from platformdirs import user_data_dir

    return Path(user_data_dir("lrlib"))


def cache_root() -> Path:
    """Where derived dataset files go: ``LRLIB_CACHE/data`` if set, else the per-user cache folder's ``data``."""
    from ..profile import folder_setting

    override = folder_setting("LRLIB_CACHE")
    if override:
        return override / "data"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("lrlib")) / "data"


def offline() -> bool:
    from ..profile import offline as _offline

    return _offline()


def _digest(path: Path, algorithm: str) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, algorithm).hexdigest()


def _checksum(spec: FileSpec) -> tuple[str, str]:
    return ("sha256", spec.sha256) if spec.sha256 else ("md5", spec.md5)


def verify(
    path: Path, spec: FileSpec, fix: str = "delete it and run again (it is downloaded anew when online)"
) -> Path:
    """Raise ChecksumError unless ``path`` has the checksum in ``spec``; return the path."""
    algorithm, expected = _checksum(spec)
    actual = _digest(path, algorithm)
    if actual != expected:
        raise ChecksumError(
            f"{path}: {algorithm} is {actual}, expected {expected} — the file is corrupt, truncated or not "
            f"{spec.path}; {fix}"
        )
    return path


#: a download's temporary file untouched this long was left by a killed process and is removed
STALE_DOWNLOAD_S = 600.0


def _sweep_stale_downloads(target: Path) -> None:
    now = time.time()
    for tmp in target.parent.glob(f".{target.name}-*"):
        try:
            if now - tmp.stat().st_mtime > STALE_DOWNLOAD_S:
                tmp.unlink()
        except OSError:
            pass  # removed by another process this instant


def _download(url: str, target: Path, spec: FileSpec, timeout: float = 60.0) -> None:
    """Download ``url`` into a temporary file beside ``target``, verify it, and only then rename it into place:
    a corrupt or interrupted download never sits under the final name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_downloads(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            shutil.copyfileobj(response, out)
        verify(Path(tmp), spec, fix="this source serves a bad copy")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def fetch(spec: FileSpec, root: Path | None = None) -> Path:
    """The verified local path of a dataset file, downloading it first if it is missing and we are online."""
    root = root or data_root()
    path = root / spec.path
    if path.is_file():
        if os.access(path.parent, os.W_OK):
            _sweep_stale_downloads(path)  # left by a download killed before an earlier one succeeded
        return verify(path, spec)
    if not spec.urls:
        raise DataError(
            f"{spec.path} is not in {root} and has no download source; set LRLIB_DATA to a folder that holds it"
        )
    if offline():
        raise DataError(
            f"{spec.path} is not in {root} and LRLIB_OFFLINE=1 forbids downloading it; download "
            f"{spec.urls[0]} into {path.parent}, or set LRLIB_DATA to a folder that holds it"
        )
    errors = []
    for url in spec.urls:
        try:
            _download(url, path, spec)
            return path
        except (ChecksumError, urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as e:
            errors.append(f"{url}: {type(e).__name__}: {e}")  # then the next source
    raise DataError(
        f"{spec.path} is not in {root} and could not be downloaded ({'; '.join(errors)}); go online, "
        f"or download {spec.urls[0]} into {path.parent}, or set LRLIB_DATA to a folder that holds it"
    )


def fetch_archive_member(archive: FileSpec, member: FileSpec, root: Path | None = None) -> Path:
    """Like ``fetch(member)``, but a missing member is obtained by downloading and unpacking ``archive``."""
    root = root or data_root()
    if (root / member.path).is_file():
        return verify(root / member.path, member)
    archive_path = fetch(archive, root)
    with tarfile.open(archive_path, "r:gz") as tar:
        names = [
            m for m in tar.getmembers() if m.isfile() and not m.name.startswith(("/", "..")) and ".." not in m.name
        ]
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(root, members=names, **extra)
    if not (root / member.path).is_file():
        raise DataError(f"{archive.path} does not contain {member.path}")
    return verify(root / member.path, member)


def fetch_xz(packed: FileSpec, unpacked: FileSpec, root: Path | None = None, cache: Path | None = None) -> Path:
    """The verified decompressed copy of the xz file ``packed`` (under ``root``), kept at ``unpacked.path`` under
    the writable ``cache`` and reused while its checksum holds. The ``.xz`` is checked before it is decompressed
    and the result before it is returned, so nothing unverified is ever read (or unpickled) by the caller."""
    root = root or data_root()
    cache = cache or cache_root()
    target = cache / unpacked.path
    if target.is_file():
        try:
            return verify(target, unpacked)
        except ChecksumError:
            target.unlink(missing_ok=True)  # a damaged cached copy is derived data: rebuild it from the source
    source = root / packed.path
    if not source.is_file():
        raise DataError(f"{packed.path} is not in {root}; set LRLIB_DATA to a folder that holds it")
    verify(source, packed, fix="replace it with an intact copy of that build")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, lzma.open(source, "rb") as xz:
            shutil.copyfileobj(xz, out, length=1 << 20)
        algorithm, expected = _checksum(unpacked)
        actual = _digest(Path(tmp), algorithm)
        if actual != expected:
            raise ChecksumError(
                f"{source}: decompresses to {algorithm} {actual}, expected {expected} ({unpacked.path}) — the "
                "xz file matches its checksum but not the decompressed one: the checksum table is wrong"
            )
        os.replace(tmp, target)  # atomic: a concurrent reader sees either no file or a verified one
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return target
