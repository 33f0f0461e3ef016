import subprocess
import sys

import pytest
import torch

from lrlib import profile


@pytest.mark.parametrize(
    "var, bad, allowed",
    [
        ("LRLIB_PROFILE", "huge", "smoke, paper"),
        ("LRLIB_RESULTS", "maybe", "compute, stored"),
        ("LRLIB_PROGRESS", "yes", "1, 0"),
    ],
)
def test_unknown_choice_names_value_and_allowed(monkeypatch, var, bad, allowed):
    monkeypatch.setenv(var, bad)
    reader = {
        "LRLIB_PROFILE": profile.profile,
        "LRLIB_RESULTS": profile.results_mode,
        "LRLIB_PROGRESS": profile.progress_enabled,
    }[var]
    with pytest.raises(profile.SettingError) as err:
        reader()
    message = str(err.value)
    assert "\n" not in message and repr(bad) in message and allowed in message


@pytest.mark.parametrize("bad", ["-1", "abc", "1.5", "0x10", "²", "١٢", "99999999999999999999999", "4294967295"])
def test_bad_seed_is_one_line_error(monkeypatch, bad):
    monkeypatch.setenv("LRLIB_SEED", bad)
    with pytest.raises(profile.SettingError, match=r"LRLIB_SEED=.*integer from 0 to 999999999"):
        profile.seed_offset()


@pytest.mark.parametrize("bad", ["0", "50000", "²", "1.5"])
def test_bad_thread_count_is_one_line_error_not_a_crash(monkeypatch, bad):
    monkeypatch.setenv("LRLIB_THREADS", bad)
    with pytest.raises(profile.SettingError, match=rf"LRLIB_THREADS=.*from 1 to {profile.MAX_THREADS}"):
        profile.configure_threads()


def test_seed_offset_shifts_every_seed(monkeypatch):
    monkeypatch.setenv("LRLIB_SEED", "17")
    assert profile.seed(3) == 20
    a = torch.rand(4, generator=profile.generator(3))
    monkeypatch.setenv("LRLIB_SEED", "0")
    b = torch.rand(4, generator=profile.generator(20))
    assert torch.equal(a, b)


def test_pick_follows_profile(monkeypatch):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    assert profile.pick(smoke=1, paper=2) == 2
    monkeypatch.delenv("LRLIB_PROFILE")
    assert profile.pick(smoke=1, paper=2) == 1


@pytest.mark.parametrize(
    "bad", ["tpu9", "meta", "xla", "cuda:7"] + ([] if torch.backends.mps.is_available() else ["mps"])
)
def test_device_override_rejects_unknown(monkeypatch, bad):
    monkeypatch.setenv("LRLIB_DEVICE", bad)
    with pytest.raises(profile.SettingError, match=f"LRLIB_DEVICE='{bad}'"):
        profile.device()
    monkeypatch.setenv("LRLIB_DEVICE", "cpu")
    assert profile.device().type == "cpu"


def test_provenance_records_where_and_how(monkeypatch):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    p = profile.provenance(wall_time_s=1.23456)
    assert p["profile"] == "paper" and p["wall_time_s"] == 1.235
    assert p["torch"] == torch.__version__ and p["device"] and p["date"][:2] == "20"


def test_commit_outside_a_checkout_comes_from_lrlib_commit(monkeypatch, tmp_path):
    """A copy of the tree sent to a GPU machine has no .git: provenance takes the commit the sender names."""
    monkeypatch.setattr(profile, "REPO_ROOT", tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.delenv("LRLIB_COMMIT", raising=False)
    assert profile.git_commit() == "unknown"
    monkeypatch.setenv("LRLIB_COMMIT", "85204EE92E14aa")
    assert profile.git_commit() == "85204ee92e14+copy"
    monkeypatch.setenv("LRLIB_COMMIT", "main")
    with pytest.raises(profile.SettingError, match="LRLIB_COMMIT='main' is not allowed"):
        profile.git_commit()


def test_bad_profile_fails_a_notebook_style_import_with_one_line():
    code = "import lrlib.papers as papers; from lrlib import chapter; chapter.start(papers.chapter('ch0'))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"LRLIB_PROFILE": "fast", "PATH": ""}
    )
    assert out.returncode != 0
    assert out.stderr.strip().splitlines()[-1] == (
        "lrlib.profile.SettingError: LRLIB_PROFILE='fast' is not allowed; use one of: smoke, paper"
    )


def _tiny_train():
    from lrlib.models import Linear
    from lrlib.train import Data, grid, train

    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    return train(
        Linear(3),
        Data(x, torch.sign(x[:, 0])),
        grid(lr=[0.1], seed=0, batch_size=4),
        loss="logistic",
        steps=2,
        progress=False,
    )


@pytest.mark.parametrize(
    "var, bad",
    [("LRLIB_PROGRESS", "true"), ("LRLIB_OFFLINE", "yes"), ("LRLIB_THREADS", "0"), ("LRLIB_PROFILE", "bogus")],
)
def test_train_checks_every_setting_before_it_works(monkeypatch, var, bad):
    """Reliability probe, defect 8: these were checked only when first used, or never (LRLIB_THREADS in train)."""
    monkeypatch.setenv(var, bad)
    with pytest.raises(profile.SettingError, match=rf"^{var}={bad!r} is not allowed"):
        _tiny_train()


def test_train_uses_lrlib_threads_when_set(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("LRLIB_THREADS", "3")
        _tiny_train()
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_the_paper_command_refuses_settings_it_would_ignore(monkeypatch):
    from lrlib.papers.__main__ import main

    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    with pytest.raises(SystemExit, match="LRLIB_RESULTS=stored asks to read stored results only"):
        main(["ch0"])
    monkeypatch.delenv("LRLIB_RESULTS")
    monkeypatch.setenv("LRLIB_PROFILE", "bogus")  # overwritten with paper by the command: it was never checked
    with pytest.raises(profile.SettingError, match="LRLIB_PROFILE='bogus'"):
        main(["ch0"])


def test_relative_folders_name_the_same_folder_from_a_notebook_and_the_command_line(monkeypatch, tmp_path):
    """Reliability probe, defect 8: LRLIB_STORE and LRLIB_CACHE were taken relative to the working folder (book/
    in a notebook), LRLIB_DATA resolved at once: one setting named different folders."""
    from lrlib.data.files import cache_root, data_root
    from lrlib.store import default_root

    monkeypatch.setenv("LRLIB_DATA", "../shared/data")
    monkeypatch.setenv("LRLIB_CACHE", "some-cache")
    monkeypatch.setenv("LRLIB_STORE", "some-store")
    seen = []
    for cwd in (profile.REPO_ROOT, profile.REPO_ROOT / "book", tmp_path):
        monkeypatch.chdir(cwd)
        seen.append((data_root(), cache_root(), default_root("smoke")))
    assert len(set(seen)) == 1
    assert seen[0] == (
        (profile.REPO_ROOT.parent / "shared" / "data").resolve(),
        profile.REPO_ROOT / "some-cache" / "data",
        profile.REPO_ROOT / "some-store",
    )
