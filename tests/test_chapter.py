from lrlib import chapter


def test_book_build_falls_back_to_smoke_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    run = chapter.start("Chapter X", paper_results_stored=False)
    assert run.scale == "smoke" and run.requested_scale == "paper"
    assert "not stored" in run.notice and "smoke-scale" in run._repr_markdown_()
    assert not run.store.read_only


def test_book_build_with_stored_results_reads_them_read_only(monkeypatch, tmp_path):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    run = chapter.start("Chapter X", paper_results_stored=True)
    assert run.scale == "paper" and run.notice == "" and run.store.read_only


def test_a_reader_asking_for_paper_scale_computes_it(monkeypatch, tmp_path):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.delenv("LRLIB_RESULTS", raising=False)
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    run = chapter.start("Chapter X", paper_results_stored=False)
    assert run.scale == "paper" and not run.store.read_only


def test_partly_stored_chapter_names_each_part_and_its_scale(monkeypatch, tmp_path):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    run = chapter.start("Chapter X", paper_results_stored=False, parts={"the perceptron": True, "the network": False})
    assert run.scale == "smoke"
    assert "**paper scale**: the perceptron" in run.notice and "built: the network" in run.notice
    assert "| `paper` for the perceptron; `smoke` for the network |" in run._repr_markdown_()


def test_every_part_at_paper_scale_but_one_grid_partial(monkeypatch, tmp_path):
    monkeypatch.setenv("LRLIB_PROFILE", "paper")
    monkeypatch.setenv("LRLIB_RESULTS", "stored")
    monkeypatch.setenv("LRLIB_STORE", str(tmp_path))
    run = chapter.start(
        "Chapter X", paper_results_stored=False, parts={"the sweep": True, "the grid": True}, incomplete=["the grid"]
    )
    assert run.scale == "paper" and run.store.read_only and not run.mixed
    assert "Every part" in run.notice and "Part of the paper grid only" in run.notice and "the grid" in run.notice
    assert "smoke scale" not in run.notice and "| `paper` |" in run._repr_markdown_()


def test_incomplete_must_name_a_part():
    import pytest

    with pytest.raises(ValueError, match="incomplete names parts that are not in parts: \\['grid'\\]"):
        chapter.start("Chapter X", paper_results_stored=False, parts={"sweep": True}, incomplete=["grid"])
