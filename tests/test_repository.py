"""Rules the repository keeps: notebooks without outputs, every chapter in the table of contents,
stored results compact and intact."""

import json
from pathlib import Path

import yaml

from lrlib.store import Store

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


def test_notebooks_are_committed_without_outputs():
    dirty = [
        nb.name
        for nb in NOTEBOOKS
        if any(
            c.get("outputs") or c.get("execution_count")
            for c in json.loads(nb.read_text())["cells"]
            if c["cell_type"] == "code"
        )
    ]
    assert not dirty, f"clear outputs before committing (jupyter nbconvert --clear-output --inplace): {dirty}"


def test_every_notebook_is_in_the_book():
    toc = (ROOT / "_toc.yml").read_text()
    toc = yaml.safe_load(toc)
    chapters = [c for part in toc["parts"] for c in part["chapters"]]
    listed = (
        {toc["root"]} | {c["file"] for c in chapters} | {s["file"] for c in chapters for s in c.get("sections", [])}
    )
    missing = [nb.name for nb in NOTEBOOKS if f"book/{nb.stem}" not in listed]
    assert not missing, f"notebooks not in _toc.yml: {missing}"
    assert NOTEBOOKS, "the book has no notebooks"


def test_stored_results_are_intact_and_compact():
    root = ROOT / "book" / "_results"
    if not root.exists():
        return
    entries = [p for exp in root.iterdir() if exp.is_dir() for p in exp.iterdir() if p.is_dir()]
    store = Store(root)
    broken = [str(p.relative_to(root)) for p in entries if not store.intact(p)]
    assert not broken, f"stored results that fail their manifest: {broken}"
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert size < 30e6, f"book/_results holds {size / 1e6:.1f} MB; keep stored results compact"


def test_stored_results_name_committed_code():
    """Every stored result was computed from a commit of this history, with no uncommitted changes."""
    import subprocess

    root = ROOT / "book" / "_results"
    provenances = sorted(root.glob("*/*/provenance.json")) if root.exists() else []
    commits = {json.loads(p.read_text())["commit"] for p in provenances}
    bad = sorted(c for c in commits if "dirty" in c or c == "unknown")
    assert not bad, f"stored results computed from uncommitted or unknown code: {bad}; recompute them from a commit"
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if shallow != "false":  # not a git checkout, or a shallow clone without the history
        return
    foreign = sorted(
        c
        for c in commits
        if subprocess.run(
            ["git", "merge-base", "--is-ancestor", c.split("+")[0], "HEAD"], cwd=ROOT, capture_output=True
        ).returncode
    )
    assert not foreign, f"stored results name commits that are not in this branch's history: {foreign}"
