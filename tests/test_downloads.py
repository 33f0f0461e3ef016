"""The download path, against a local HTTP server on 127.0.0.1 (reliability probe, defect 9: no test ran it)."""

import hashlib
import http.server
import io
import os
import tarfile
import threading
import time

import pytest

from lrlib.data import files
from lrlib.data.files import DataError, FileSpec, fetch, fetch_archive_member

GOOD = bytes(range(256)) * 64
SHA = hashlib.sha256(GOOD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 (the name http.server calls)
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        truncated = self.path.startswith("/truncated")
        self.send_response(200)
        self.send_header("Content-Length", str(2 * len(body) if truncated else len(body)))
        self.end_headers()
        self.wfile.write(body)  # a truncated body: the connection closes before the promised length
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("LRLIB_OFFLINE", "0")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.routes = {"/good": GOOD, "/corrupt": GOOD[:-1] + b"x", "/truncated": GOOD[: len(GOOD) // 2]}
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _spec(*urls):
    return FileSpec("set/file.bin", sha256=SHA, urls=tuple(urls))


def _leftovers(root):
    return sorted(p.name for p in (root / "set").iterdir() if p.name != "file.bin") if (root / "set").exists() else []


def test_a_good_file_is_downloaded_checked_and_placed(server, tmp_path):
    path = fetch(_spec(f"{server}/good"), tmp_path)
    assert path == tmp_path / "set" / "file.bin" and path.read_bytes() == GOOD
    assert _leftovers(tmp_path) == []


def test_a_corrupt_copy_never_sits_under_the_final_name(server, tmp_path, monkeypatch):
    """The bytes are verified before the rename: a process killed while verifying leaves no corrupt file behind
    that the next run would refuse."""
    final, seen = tmp_path / "set" / "file.bin", []
    real_verify = files.verify

    def spy(path, spec, *args, **kwargs):
        seen.append(final.exists())
        return real_verify(path, spec, *args, **kwargs)

    monkeypatch.setattr(files, "verify", spy)
    with pytest.raises(DataError, match="could not be downloaded.*ChecksumError"):
        fetch(_spec(f"{server}/corrupt"), tmp_path)
    assert seen == [False] and not final.exists() and _leftovers(tmp_path) == []


def test_a_corrupt_mirror_is_skipped_for_the_next(server, tmp_path):
    path = fetch(_spec(f"{server}/corrupt", f"{server}/missing", f"{server}/good"), tmp_path)
    assert path.read_bytes() == GOOD and _leftovers(tmp_path) == []


def test_an_interrupted_download_leaves_nothing_and_the_next_run_succeeds(server, tmp_path):
    with pytest.raises(DataError, match="truncated: (IncompleteRead|ChecksumError)"):  # whichever notices first
        fetch(_spec(f"{server}/truncated"), tmp_path)
    assert not (tmp_path / "set" / "file.bin").exists() and _leftovers(tmp_path) == []
    assert fetch(_spec(f"{server}/good"), tmp_path).read_bytes() == GOOD


def test_temporary_files_of_killed_downloads_are_removed(server, tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    stale, fresh = folder / ".file.bin-killed", folder / ".file.bin-running"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    old = time.time() - 2 * files.STALE_DOWNLOAD_S
    os.utime(stale, (old, old))
    fetch(_spec(f"{server}/good"), tmp_path)
    assert _leftovers(tmp_path) == [".file.bin-running"], "a fresh one may belong to a download at work"


def test_an_archive_member_is_downloaded_and_unpacked(server, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("set/file.bin")
        info.size = len(GOOD)
        tar.addfile(info, io.BytesIO(GOOD))
    archive = buf.getvalue()
    _Handler.routes["/set.tar.gz"] = archive
    spec = FileSpec("set.tar.gz", sha256=hashlib.sha256(archive).hexdigest(), urls=(f"{server}/set.tar.gz",))
    path = fetch_archive_member(spec, FileSpec("set/file.bin", sha256=SHA), tmp_path)
    assert path.read_bytes() == GOOD


def test_offline_refuses_to_download_and_says_how_to_get_the_file(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LRLIB_OFFLINE", "1")
    with pytest.raises(DataError, match="LRLIB_OFFLINE=1 forbids downloading it"):
        fetch(_spec(f"{server}/good"), tmp_path)
