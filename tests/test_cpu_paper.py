"""tools/cpu-paper.sh: `collect` and `status` agree on which entries of a background worktree are new."""

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "cpu-paper.sh"


def _git(cwd, *args):
    subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True)


def _entry(root: Path, name: str, finished: bool = True):
    path = root / "book" / "_results" / name
    path.mkdir(parents=True)
    (path / "table.npz").write_bytes(b"x")
    if finished:
        (path / "manifest.json").write_text("{}")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_collect_copies_only_finished_entries_computed_in_the_worktree(tmp_path):
    repo, work = tmp_path / "repo", tmp_path / "work"
    repo.mkdir()
    _git(repo, "init", "-q")
    _entry(repo, "part/kept")
    _entry(repo, "part/superseded")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "entries")
    _git(repo, "worktree", "add", "-q", "--detach", str(work), "HEAD")
    _git(repo, "rm", "-rq", "book/_results/part/superseded")  # removed here since: must not come back
    _entry(work, "part/new")
    _entry(work, "other/new")
    _entry(work, "part/running", finished=False)
    (work / "book" / "_results" / "part" / ".claim-abc").write_text("host 1")

    def run(cmd):
        out = subprocess.run(["bash", str(SCRIPT), cmd, str(work)], cwd=repo, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout

    status = run("status")
    assert "2 finished entries not collected yet" in status
    assert "claimed: part/abc (unit not named here)" in status, "a claim that no part's unit has is still listed"
    assert "copied 2 new entries" in run("collect")
    results = repo / "book" / "_results"
    assert sorted(str(p.relative_to(results)) for p in results.glob("*/*")) == ["other/new", "part/kept", "part/new"]
    assert (results / "part" / "new" / "manifest.json").exists()
    assert "0 finished entries not collected yet" in run("status")
    assert "copied 0 new entries" in run("collect")
