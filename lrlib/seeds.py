"""Seed robustness: every chapter's notebook run at many ``LRLIB_SEED`` offsets, and how often each smoke claim held.

A smoke claim is a regression test, so it must hold for whatever seed offset a reader picks, not only at the one
the test suite uses. ``python -m lrlib.seeds`` (``make seeds``) executes each chapter's notebook at smoke scale at
N offsets (0, S, 2S, … for a stride S), in parallel processes, and stores one results-store entry per chapter and
offset: whether the
notebook ran to the end and, per smoke claim, whether it held and what was measured. :func:`pass_rates` reads them
back; a chapter's claims table shows the rate beside each claim (``Claims.table``).

    python -m lrlib.seeds                     # every chapter, 20 offsets 0, 1000, ..., 19000, two processes
    python -m lrlib.seeds ch3 ch5 --offsets 20 --stride 1000 --jobs 2

A chapter draws its seeds as base + offset for bases 0, 1, 2, ...: neighbouring offsets (0, 1, 2) share all but one
seed, so their runs are not independent draws (a claim on the largest of 8 runs fails at every offset whose window
holds one unlucky seed). The default stride, larger than any chapter's number of seeds, makes no two offsets share
a seed.
    python -m lrlib.seeds ch3 --fresh         # forget ch3's stored rows first (after its claims changed)

Entries are stored under ``book/_results/seed-robustness`` (``LRLIB_STORE`` overrides), keyed by chapter and
offset, with the commit and a digest of the notebook's code cells in their provenance; an interrupted run resumes.
After a chapter's claims change, run it again with ``--fresh``.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from . import profile
from .claims import RAN
from .store import Store

EXPERIMENT = "seed-robustness"
#: between two seed offsets: more than any chapter's number of seeds, so that no two offsets share a seed
STRIDE = 1000
VERSION = 1
#: written by the cell appended to each notebook: the claims table as JSON
_DUMP = """
import json as _json, os as _os
_claims = globals().get("claims")
with open(_os.environ["LRLIB_SEEDS_OUT"], "w") as _f:
    _json.dump([] if _claims is None else
               [dict(claim=c.name, scale=c.scale or "smoke", passed=bool(c.passed), measured=str(c.measured),
                     title=_claims.title)
                for c in _claims.items if c.passed is not None], _f)
"""


def notebooks() -> dict[str, Path]:
    """Each chapter's first page, by chapter key: ``book/03-bayesian-batch-size.ipynb`` is ``ch3``."""
    found = sorted((profile.REPO_ROOT / "book").glob("[0-9][0-9]-*.ipynb"))
    return {f"ch{int(nb.name[:2])}": nb for nb in found}


def pages(first: Path) -> list[Path]:
    """A chapter's pages in reading order: its first page, then ``03b-…``, ``03c-…`` beside it."""
    return [first, *sorted(first.parent.glob(f"{first.name[:2]}[a-z]-*.ipynb"))]


def _code_digest(notebooks: list[Path]) -> str:
    code = []
    for notebook in notebooks:
        cells = json.loads(notebook.read_text())["cells"]
        code += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return hashlib.sha256("\n".join(code).encode()).hexdigest()[:16]


def config(key: str, offset: int) -> dict:
    return {"experiment": EXPERIMENT, "version": VERSION, "chapter": key, "offset": offset}


def run_chapter(notebooks: list[Path], offset: int, cache: Path, timeout: int = 1800) -> pd.DataFrame:
    """Execute a chapter's pages in order at smoke scale with ``LRLIB_SEED=offset`` (one results cache, so a later
    page reads what the first computed); one row per smoke claim, whichever page checks it, plus :data:`RAN`,
    which holds only if every page ran to the end."""
    tables = [run_notebook(nb, offset, cache, timeout) for nb in notebooks]
    ran = [t[t.claim == RAN].iloc[0] for t in tables]
    errors = "; ".join(r.measured for r in ran if not r.passed)[:500]
    claims = pd.concat([t[t.claim != RAN] for t in tables], ignore_index=True)
    title = claims["title"].iloc[0] if len(claims) else ""
    row = dict(claim=RAN, scale="smoke", passed=all(r.passed for r in ran), measured=errors or "yes", title=title)
    return pd.DataFrame([row, *claims.to_dict("records")], columns=["claim", "scale", "passed", "measured", "title"])


def run_notebook(notebook: Path, offset: int, cache: Path, timeout: int = 1800) -> pd.DataFrame:
    """Execute ``notebook`` at smoke scale with ``LRLIB_SEED=offset``; one row per smoke claim plus :data:`RAN`."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_DUMP))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "claims.json"
        env = {
            "LRLIB_PROFILE": "smoke",
            "LRLIB_SEED": str(offset),
            "LRLIB_RESULTS": "compute",
            "LRLIB_PROGRESS": "0",
            "LRLIB_THREADS": "1",
            "LRLIB_CACHE": str(cache),
            "LRLIB_SEEDS_OUT": str(out),
            "MPLBACKEND": "Agg",
        }
        errors = []
        try:
            with profile.environment(**env):  # the kernel inherits this process's environment
                client = NotebookClient(
                    nb,
                    timeout=timeout,
                    kernel_name="python3",
                    allow_errors=True,
                    resources={"metadata": {"path": str(notebook.parent)}},
                )
                client.execute()
        except CellExecutionError as e:
            errors.append(str(e).splitlines()[-1])
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and output.get("ename") != "ClaimFailed":
                    errors.append(f"{output['ename']}: {output['evalue']}"[:300])
        rows = json.loads(out.read_text()) if out.is_file() else []
    rows = [r for r in rows if r["scale"] != "paper"]
    title = rows[0]["title"] if rows else ""
    ran = dict(claim=RAN, scale="smoke", passed=not errors, measured="; ".join(errors)[:500] or "yes", title=title)
    return pd.DataFrame([ran, *rows], columns=["claim", "scale", "passed", "measured", "title"])


def _one(key: str, notebook: str, offset: int, cache: str, root: str) -> tuple[str, int, float]:
    start = time.perf_counter()
    chapter_pages = pages(Path(notebook))
    table = run_chapter(chapter_pages, offset, Path(cache))
    prov = {
        **profile.provenance(time.perf_counter() - start, scale="smoke"),
        "seed_offset": offset,
        "notebook": ", ".join(p.name for p in chapter_pages),
        "notebook_code_sha256": _code_digest(chapter_pages),
    }
    Store(root).put(config(key, offset), table=table, provenance=prov)
    return key, offset, time.perf_counter() - start


def pass_rates(root: Path | None = None, chapter: str | None = None) -> pd.DataFrame:
    """Per chapter and claim: at how many stored offsets it held, of how many (and the claims table's title)."""
    store = Store(root or _default_root())
    rows = []
    for entry in store.entries(EXPERIMENT):
        key = entry.config["chapter"]
        if chapter and key != chapter:
            continue
        for r in entry.table.itertuples(index=False):
            rows.append(
                dict(chapter=key, title=r.title, offset=entry.config["offset"], claim=r.claim, passed=bool(r.passed))
            )
    if not rows:
        return pd.DataFrame(columns=["chapter", "title", "claim", "held", "offsets", "rate"])
    table = pd.DataFrame(rows)
    table["title"] = table.groupby("chapter")["title"].transform(lambda t: next((x for x in t if x), ""))
    out = table.groupby(["chapter", "title", "claim"], sort=False).agg(
        held=("passed", "sum"), offsets=("passed", "size")
    )
    out = out.reset_index()
    out["rate"] = out["held"] / out["offsets"]
    return out


def _default_root() -> Path:
    return profile.folder_setting("LRLIB_STORE") or profile.REPO_ROOT / "book" / "_results"


def main(argv: list[str] | None = None) -> None:
    books = notebooks()
    parser = argparse.ArgumentParser(prog="python -m lrlib.seeds", description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER", help=f"{', '.join(books)} (default: all)")
    parser.add_argument("--offsets", type=int, default=20, help="how many seed offsets (default 20)")
    parser.add_argument("--stride", type=int, default=STRIDE, help=f"between offsets (default {STRIDE})")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--fresh", action="store_true", help="forget the named chapters' stored rows first")
    parser.add_argument("--cache", default=None, help="smoke-results cache shared by the runs (default: a new one)")
    args = parser.parse_args(argv)
    profile.validate_environment()
    unknown = [c for c in args.chapters if c not in books]
    if unknown or args.offsets < 1 or args.jobs < 1 or args.stride < 1:
        raise SystemExit(
            f"chapters must be among {', '.join(books)} (got {unknown}); --offsets, --stride and --jobs >= 1"
        )
    keys = args.chapters or list(books)
    root = _default_root()
    store = Store(root)
    if args.fresh:
        for entry in list(store.entries(EXPERIMENT)):
            if entry.config["chapter"] in keys:
                shutil.rmtree(entry.path)
    offsets = [i * args.stride for i in range(args.offsets)]
    todo = [(k, o) for o in offsets for k in keys if not store.has(config(k, o))]
    print(f"commit {profile.git_commit()}: {len(todo)} notebook runs to do ({args.jobs} at a time)", flush=True)
    cache = args.cache or tempfile.mkdtemp(prefix="lrlib-seeds-")
    context = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        futures = [pool.submit(_one, k, str(books[k]), o, cache, str(root)) for k, o in todo]
        for fut in cf.as_completed(futures):
            key, offset, seconds = fut.result()
            print(f"{key} at seed offset {offset}: {seconds:.0f} s", flush=True)
    rates = pass_rates(root)
    rates = rates[rates.chapter.isin(keys)]
    with pd.option_context("display.max_rows", None, "display.max_colwidth", 70, "display.width", 160):
        print(rates.to_string(index=False))


if __name__ == "__main__":
    main()
