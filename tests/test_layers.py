"""The import layers, enforced: the infrastructure and the engine never import the chapters, a chapter never
imports another chapter, and every chapter package keeps the contract of :mod:`lrlib.papers`."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LRLIB = ROOT / "lrlib"
PAPERS = LRLIB / "papers"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, source: str | None = None) -> set[str]:
    """Every lrlib module the file at ``path`` imports, as absolute dotted names (``from . import x`` gives
    ``pkg.x``); ``source`` replaces the file's text."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.add(module)
            out |= {f"{module}.{alias.name}" for alias in node.names}
    return {m for m in out if m == "lrlib" or m.startswith("lrlib.")}


def _chapter_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["lrlib", "papers"] and parts[2].startswith("ch") else None


def test_infrastructure_and_engine_never_import_the_chapters():
    offenders = []
    for path in LRLIB.rglob("*.py"):
        if PAPERS in path.parents:
            continue
        bad = sorted(m for m in imported_modules(path) if m == "lrlib.papers" or m.startswith("lrlib.papers."))
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {bad}")
    assert not offenders, "the infrastructure and the engine must not import lrlib.papers:\n" + "\n".join(offenders)


def test_a_chapter_never_imports_another_chapter():
    offenders = []
    for path in PAPERS.rglob("*.py"):
        own = _chapter_of(_module_name(path))
        if own is None:
            continue  # the registry and the command line read every chapter
        others = sorted({c for m in imported_modules(path) if (c := _chapter_of(m)) and c != own})
        if others:
            offenders.append(f"{path.relative_to(ROOT)} imports {others}")
    assert not offenders, "a chapter must not import another chapter:\n" + "\n".join(offenders)


def test_the_import_scanner_resolves_relative_imports():
    source = "from ..ch01_x import y\nfrom . import analysis\nfrom ... import plots\nimport lrlib.store\nimport numpy\n"
    found = imported_modules(PAPERS / "ch09_fake" / "figures.py", source)
    assert {"lrlib.papers.ch01_x", "lrlib.papers.ch09_fake.analysis", "lrlib.plots", "lrlib.store"} <= found
    assert "numpy" not in found
    assert _chapter_of("lrlib.papers.ch01_x.y") == "ch01_x"


@pytest.mark.parametrize("key", ["ch0", "ch1", "ch2", "ch3", "ch4", "ch5"])
def test_every_chapter_keeps_the_contract(key):
    from lrlib import experiment
    from lrlib.papers import CHAPTERS, CONTRACT, chapter

    ch = chapter(key)
    missing = [name for name in CONTRACT if not hasattr(ch, name)]
    assert not missing, f"{CHAPTERS[key]} lacks {missing}"
    assert isinstance(ch.TITLE, str) and ch.TITLE
    assert set(ch.SCALES) == {"smoke", "paper"}
    assert ch.PARTS and all(isinstance(p, experiment.Part) for p in ch.PARTS)
    assert len({p.name for p in ch.PARTS}) == len(ch.PARTS), "part names must be unique within a chapter"


def test_the_chapter_template_keeps_the_contract_and_runs(tmp_path, monkeypatch):
    from lrlib import chapter as chapter_start
    from lrlib.papers import CONTRACT
    from lrlib.papers import _template as template

    monkeypatch.setenv("LRLIB_CACHE", str(tmp_path))
    assert all(hasattr(template, name) for name in CONTRACT)
    res = template.load(chapter_start.start(template))
    assert template.check_claims(res).check().not_reproduced == []
    assert template.findings(res).loc[0, "value"] == 1.5
