"""Compute every paper-scale result that is not stored yet: ``python -m lrlib.papers [PART ...]``.

A PART is ``<chapter>.<part>`` (``ch5.phase``) or a whole chapter (``ch5``); ``--list`` shows them all. By
default every part runs: the cheap ones in the book's order, then the costly ones (hours on a CPU); parts meant for
a GPU (``ch4.cifar``) only where CUDA is present, or when named. Each stored
entry is written atomically as it finishes, so a run that is stopped (Ctrl-C, a ``timeout``, a machine taken back)
loses only the entry in progress, and the next run resumes there. Start it once per CPU core to share a costly
part between processes. On a GPU machine reached through a copy of the working tree (no ``.git``), pass the
commit the copy was made from as ``LRLIB_COMMIT`` so the provenance names it.
"""

from __future__ import annotations

import argparse
import os
import time

from .. import experiment, profile
from ..data import DataError
from . import chapters


def registry() -> dict[str, experiment.Part]:
    """Every part of every chapter, by its command-line name, in the default order (cheap first)."""
    named = [(f"{key}.{part.name}", part) for key, ch in chapters().items() for part in ch.PARTS]
    return dict(sorted(named, key=lambda item: item[1].costly))  # a stable sort keeps the book's order


def select(names: list[str], parts: dict[str, experiment.Part], *, gpu: bool = False) -> list[str]:
    """The command-line names of the parts ``names`` asks for (a chapter key stands for all its parts); without
    names, every part, but those meant for a GPU only where ``gpu``."""
    if not names:
        return [n for n, part in parts.items() if gpu or not part.gpu]
    chosen = []
    for name in names:
        matches = [n for n in parts if n == name or n.split(".")[0] == name]
        if not matches:
            raise SystemExit(
                f"unknown part {name!r}; use a chapter ({', '.join(sorted({n.split('.')[0] for n in parts}))}) "
                f"or one of: {', '.join(parts)}"
            )
        chosen += [m for m in matches if m not in chosen]
    return chosen


def main(argv: list[str] | None = None) -> None:
    parts = registry()
    parser = argparse.ArgumentParser(prog="python -m lrlib.papers", description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", metavar="PART", help="ch5.phase, ch5, ... (default: every part)")
    parser.add_argument("--list", action="store_true", help="list the parts and how many entries are stored")
    args = parser.parse_args(argv)
    profile.validate_environment()
    if profile.results_mode() == "stored":
        raise SystemExit(
            "LRLIB_RESULTS=stored asks to read stored results only, but this command computes and stores them: "
            "unset LRLIB_RESULTS (or set it to compute)"
        )
    os.environ["LRLIB_PROFILE"] = "paper"
    os.environ["LRLIB_RESULTS"] = "compute"  # this command computes; the book build is what reads stored results
    if args.list:
        for name, part in parts.items():
            try:
                found = experiment.stored(part)
            except DataError as missing:
                print(f"{name:22} {part.title}: its data is not available here ({missing})")
                continue
            print(
                f"{name:22} {part.title}: {len(found.entries)} stored, {len(found.missing)} missing"
                + (" (GPU)" if part.gpu else " (costly)" if part.costly else "")
            )
        return
    chosen = select(args.parts, parts, gpu=profile.device().type == "cuda")
    profile.configure_threads()
    print(f"commit {profile.git_commit()}, device {profile.device_name()}", flush=True)
    for name in chosen:
        start = time.perf_counter()
        result = experiment.load(parts[name], "paper", wait=False)
        print(
            f"{name}: {len(result.entries)} entries, {len(result.missing)} missing (another process holds them), "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
