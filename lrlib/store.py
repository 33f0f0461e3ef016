"""The results store: raw results kept by the full configuration that produced them.

An entry is a folder ``<root>/<experiment>/<key>/`` holding ``config.json``, ``provenance.json``,
``arrays.npz`` and/or a tidy table (``table.npz``, one array per column, no pickles, with ``columns.json`` and, for
columns that are not plain numbers, ``table_schema.json`` and ``table_nulls.npz``: see :mod:`lrlib.table_codec`) and
``manifest.json`` with the SHA-256 of every other file; an entry holding a file its manifest does not list is not
intact. The key is the SHA-256 of the canonical JSON of the configuration, which must name
its ``experiment`` and an explicit ``version``: bump the version when the code's meaning changes.

Entries are written into a temporary folder and renamed into place, so a reader sees a whole entry or none; an
entry whose files do not match its manifest (a half-copied folder, say) is never returned as valid.

Paper-scale results live under ``book/_results/`` and ship with the book; smoke results go to a cache folder
outside the repository (``LRLIB_CACHE``, default a per-user cache); ``LRLIB_STORE`` overrides both.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import profile as _profile
from . import table_codec

MANIFEST = "manifest.json"
KEY_LENGTH = 20


def _canonical(value: Any, where: str = "config") -> Any:
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} keys must be strings, got {k!r}")
            out[k] = _canonical(v, f"{where}[{k!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_canonical(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return [_canonical(v, where) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{where} must be finite to be stored, got {value!r}")
        return value
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{where} has a value of type {type(value).__name__} that a configuration cannot hold: {value!r}")


def canonical_config(config: Mapping) -> dict:
    """Validate a configuration and return it as plain JSON types."""
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, got {type(config).__name__}")
    if not isinstance(config.get("experiment"), str) or not config["experiment"]:
        raise ValueError("config must name its 'experiment' (a non-empty string)")
    version = config.get("version")
    if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)) or version < 0:
        raise ValueError(f"config must carry an integer 'version' >= 0, got {config.get('version')!r}")
    name = config["experiment"]
    if not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise ValueError(
            f"experiment name {name!r} may hold only letters, digits, '-', '_', '.', and may not start with '.'"
        )
    return _canonical(config)


def config_key(config: Mapping) -> str:
    """SHA-256 (first 20 hex digits) of the configuration's canonical JSON."""
    text = json.dumps(canonical_config(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


class MissingResult(LookupError):
    """A result that must come from a read-only store is not there."""


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


#: names np.savez_compressed takes as its own arguments: an array or column so named would be lost or unreadable
_SAVEZ_NAMES = ("file", "allow_pickle", "args", "kwds")


def _checked_arrays(what: str, arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The named arrays as numpy arrays, refusing what the store could not read back: names numpy takes for its
    own arguments, non-string or empty names, and object arrays (they would be pickled)."""
    out = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or name in _SAVEZ_NAMES:
            raise ValueError(f"{what} name {name!r} is not allowed: use a non-empty string other than {_SAVEZ_NAMES}")
        try:
            arr = np.asarray(value)
        except ValueError:
            raise ValueError(
                f"{what} {name!r} is ragged (rows of different lengths): give a rectangular array"
            ) from None
        if arr.dtype == object:
            raise TypeError(f"{what} {name!r} is an object array, which would be pickled: give numbers or strings")
        out[name] = arr
    return out


def _same_data(a: Entry, b: Entry) -> bool:
    """Whether two entries hold the same arrays and table (NaN equal to NaN)."""
    if set(a.arrays) != set(b.arrays):
        return False
    for name in a.arrays:
        x, y = a.arrays[name], b.arrays[name]
        nan_ok = x.dtype.kind in "fc" and y.dtype.kind in "fc"
        if x.shape != y.shape or not np.array_equal(x, y, equal_nan=nan_ok):
            return False
    if (a.table is None) != (b.table is None):
        return False
    return a.table is None or a.table.equals(b.table)


#: files of a stored table beside table.npz
TABLE_FILES = ("columns.json", "table_schema.json", "table_nulls.npz")

#: how long a writer's temporary folder (``.tmp-*``, ``.old-*``) may sit untouched before it counts as left by a
#: killed writer and is removed
STALE_TMP_S = 600.0


def _sweep_stale(folder: Path) -> None:
    """Remove temporary folders that killed writers left in an experiment folder."""
    now = time.time()
    for tmp in folder.glob(".tmp-*"):
        _remove_if_stale(tmp, now)
    for old in folder.glob(".old-*"):
        _remove_if_stale(old, now)


def _remove_if_stale(path: Path, now: float) -> None:
    try:
        if now - path.stat().st_mtime > STALE_TMP_S:
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass  # removed by another process this instant


@dataclass
class Entry:
    """One stored result: its configuration, provenance, named arrays and tidy table."""

    config: dict
    provenance: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    table: pd.DataFrame | None = None
    path: Path | None = None


class Store:
    """A content-addressed folder of results; see the module docstring."""

    def __init__(self, root: str | os.PathLike, *, read_only: bool = False):
        self.root = Path(root)
        self.read_only = read_only

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r}{', read_only=True' if self.read_only else ''})"

    def path_for(self, config: Mapping) -> Path:
        return self.root / canonical_config(config)["experiment"] / config_key(config)

    def intact(self, path: Path) -> bool:
        """True if the entry folder exists and every file matches its manifest."""
        manifest = path / MANIFEST
        if not manifest.is_file():
            return False
        try:
            files = json.loads(manifest.read_text())["files"]
            present = {p.name for p in path.iterdir()} - {MANIFEST}
            if set(files) != present or not {"config.json", "provenance.json"} <= present:
                return False  # a file nobody vouches for would be read unverified
            return all((path / name).is_file() and _sha256(path / name) == digest for name, digest in files.items())
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False

    def check_writable(self, config: Mapping) -> None:
        """Raise unless a result of this configuration could be stored here: a :class:`MissingResult` for a
        read-only store (saying whether the entry is absent or damaged), an ``OSError`` naming the folder for
        one that cannot be created or written."""
        cfg = canonical_config(config)
        path = self.path_for(cfg)
        if self.read_only:
            state = "is damaged (its files do not match its manifest)" if path.exists() else "is not stored"
            raise MissingResult(
                f"the {cfg['experiment']!r} result {path.name} {state} in {self.root}, and this store is "
                "read-only (the book build reads stored paper-scale results); compute it with "
                "LRLIB_PROFILE=paper LRLIB_RESULTS=compute"
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OSError(f"cannot store results in {path.parent}: {e.strerror or e}") from None
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise OSError(f"cannot store results in {path.parent}: the folder is not writable")

    def has(self, config: Mapping) -> bool:
        return self.intact(self.path_for(config))

    def get(self, config: Mapping) -> Entry | None:
        """The stored entry for this configuration, or None if absent or not intact."""
        path = self.path_for(config)
        if not self.intact(path):
            return None
        return self._read(path)

    @staticmethod
    def _read(path: Path) -> Entry:
        arrays, table = {}, None
        if (path / "arrays.npz").is_file():
            with np.load(path / "arrays.npz", allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        if (path / "table.npz").is_file():
            order = json.loads((path / "columns.json").read_text())
            schema_file, nulls_file = path / "table_schema.json", path / "table_nulls.npz"
            schema = json.loads(schema_file.read_text()) if schema_file.is_file() else {}
            with np.load(path / "table.npz", allow_pickle=False) as z:
                columns = {k: z[k] for k in order}
            masks = {}
            if nulls_file.is_file():
                with np.load(nulls_file, allow_pickle=False) as z:
                    masks = {k: z[k] for k in z.files}
            table = table_codec.read(order, columns, masks, schema)
        return Entry(
            config=json.loads((path / "config.json").read_text()),
            provenance=json.loads((path / "provenance.json").read_text()),
            arrays=arrays,
            table=table,
            path=path,
        )

    def put(
        self,
        config: Mapping,
        *,
        arrays: Mapping[str, Any] | None = None,
        table: pd.DataFrame | None = None,
        provenance: Mapping | None = None,
        keep_existing: bool = False,
    ) -> Entry:
        """Write an entry atomically (temporary folder, then rename) and return it as read back.

        Storing a different result under a configuration that is stored already is an error. ``keep_existing``:
        return the stored entry instead, for a result computed again only because another process was computing
        it at the same time (its tables may differ in their timings)."""
        cfg = canonical_config(config)
        final = self.path_for(cfg)
        if keep_existing and self.intact(final):
            return self._read(final)
        self.check_writable(cfg)
        arrays = _checked_arrays("array", arrays or {})
        if table is not None:
            columns, masks, schema = table_codec.write(table)
            _checked_arrays("table column", columns)
        before = self._read(final) if self.intact(final) else None  # a second put of a stored configuration
        _sweep_stale(final.parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=final.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; a stored result is meant to be read by everyone
        try:
            (tmp / "config.json").write_text(json.dumps(cfg, indent=1, sort_keys=True))
            prov = dict(provenance or _profile.provenance())
            prov["config_key"] = final.name
            (tmp / "provenance.json").write_text(json.dumps(prov, indent=1, sort_keys=True, default=str))
            if arrays:
                np.savez_compressed(tmp / "arrays.npz", **arrays)
            if table is not None:
                np.savez_compressed(tmp / "table.npz", **columns)
                (tmp / "columns.json").write_text(json.dumps(list(columns)))
                if schema:
                    (tmp / "table_schema.json").write_text(json.dumps(schema, indent=1))
                if masks:
                    np.savez_compressed(tmp / "table_nulls.npz", **masks)
            files = {p.name: _sha256(p) for p in sorted(tmp.iterdir())}
            (tmp / MANIFEST).write_text(json.dumps({"files": files}, indent=1))
            if final.exists() and not self.intact(final):  # a broken entry: move it aside, then take its place
                trash = Path(tempfile.mkdtemp(prefix=f".old-{final.name}-", dir=final.parent))
                os.replace(final, trash / "entry")
                shutil.rmtree(trash, ignore_errors=True)
            try:
                os.replace(tmp, final)
            except OSError:
                if not self.intact(final):  # not a concurrent writer of the same entry: a real failure
                    raise
                shutil.rmtree(tmp, ignore_errors=True)  # another process stored the same result first
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        stored = self._read(final)
        if before is not None and not keep_existing:
            new_table = None if table is None else table_codec.read(list(columns), columns, masks, schema)
            if not _same_data(stored, Entry(cfg, {}, arrays, new_table)):
                raise ValueError(
                    f"a different result is already stored for this {cfg['experiment']!r} configuration "
                    f"({final}); the stored one is kept. If the code's meaning changed, bump 'version'"
                )
        return stored

    def cached(
        self, config: Mapping, compute: Callable[[], Mapping[str, Any]], *, shared: bool = False
    ) -> Entry | None:
        """Return the stored entry, or run ``compute()`` (returning ``put``'s keyword arguments) and store it.

        ``shared=True`` lets several processes work through the same list of entries (``python -m lrlib.papers``
        started once per CPU core): each entry is claimed while it is computed, and an entry that another live
        process has claimed is skipped, returning None. A claim left by a process that died is taken over: at once
        on this host, after :data:`CLAIM_STALE_S` without a heartbeat from anywhere else.
        """
        entry = self.get(config)
        if entry is not None:
            return entry
        self.check_writable(config)  # before computing: a result that cannot be stored would be lost
        if not shared:  # another process may be computing it too: the first stored result stands
            return self.put(config, **compute(), keep_existing=True)
        with self.claim(config) as mine:
            if not mine:
                return None
            return self.get(config) or self.put(config, **compute(), keep_existing=True)

    @contextmanager
    def claim(self, config: Mapping) -> Iterator[bool]:
        """Hold this entry's claim while the block runs and yield True, or yield False if another live process
        holds it (see :meth:`cached`); the claim is refreshed while held and released at the end."""
        path = self.path_for(config)
        claim = path.with_name(f".claim-{path.name}")
        if not _take_claim(claim):
            yield False
            return
        try:
            with _heartbeat(claim):
                yield True
        finally:
            claim.unlink(missing_ok=True)

    def entries(self, experiment: str | None = None) -> Iterator[Entry]:
        """Every intact entry (of one experiment, if given)."""
        dirs = [self.root / experiment] if experiment else sorted(p for p in self.root.glob("*") if p.is_dir())
        for d in dirs:
            for path in sorted(d.glob("*")):
                if not path.name.startswith(".") and self.intact(path):
                    yield self._read(path)


#: a claim whose file has not been touched for this long is stale, whoever wrote it: its holder refreshes it every
#: CLAIM_HEARTBEAT_S while it computes, so only a dead holder (on this or another host) lets it age
CLAIM_STALE_S = 600.0
CLAIM_HEARTBEAT_S = 60.0


def _take_claim(path: Path) -> bool:
    """Create the claim file ``path`` (``host pid``) atomically; False if a live process holds it.

    A claim is taken over when it is stale (untouched for :data:`CLAIM_STALE_S`: an empty or garbled file, one from
    another host or a reused PID, all age), or at once when it names a dead process of this host."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = f"{socket.gethostname()} {os.getpid()}"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                age = time.time() - path.stat().st_mtime
                host, pid = path.read_text().split()
                dead_here = host == socket.gethostname() and not _alive(int(pid))
            except FileNotFoundError:
                continue  # released this instant: try again
            except (OSError, ValueError):
                dead_here = False  # being written this instant, or garbled: judged by its age alone
            if not (dead_here or age > CLAIM_STALE_S):
                return False
            path.unlink(missing_ok=True)  # its holder is gone: take the claim over
            continue
        try:
            with os.fdopen(fd, "w") as f:
                f.write(mine)
        except BaseException:
            path.unlink(missing_ok=True)  # never leave a claim we failed to write (a full disk leaves it empty)
            raise
        return True
    return False


@contextmanager
def _heartbeat(path: Path):
    """Touch the claim ``path`` every :data:`CLAIM_HEARTBEAT_S` seconds while the block runs: it never looks stale."""
    stop, every = threading.Event(), CLAIM_HEARTBEAT_S

    def beat():
        while not stop.wait(every):
            try:
                os.utime(path)
            except OSError:
                return

    thread = threading.Thread(target=beat, name=f"claim {path.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_root(scale: str | None = None) -> Path:
    """``LRLIB_STORE`` if set; else paper scale: ``book/_results``; smoke: ``LRLIB_CACHE`` or a user cache folder."""
    override = _profile.folder_setting("LRLIB_STORE")
    if override:
        return override
    scale = scale or _profile.profile()
    if scale == "paper":
        return _profile.REPO_ROOT / "book" / "_results"
    cache = _profile.folder_setting("LRLIB_CACHE")
    if cache:
        return cache / scale
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("lrlib")) / "results" / scale


def default_store(scale: str | None = None) -> Store:
    """The store for a scale; read-only when the book build reads shipped paper-scale results."""
    scale = scale or _profile.profile()
    read_only = scale == "paper" and _profile.results_mode() == "stored"
    return Store(default_root(scale), read_only=read_only)
