"""Compute every paper-scale result that is not stored yet: ``python -m lrlib.papers [PART ...]``.

Parts run in the order given (default: all, cheapest first). Each stored entry is written atomically as it
finishes, so a run that is stopped (Ctrl-C, a ``timeout``, a machine taken back) loses only the entry in
progress, and the next run resumes there. On a GPU machine reached through a copy of the working tree (no
``.git``), pass the commit the copy was made from as ``LRLIB_COMMIT`` so the provenance names it.
"""
from __future__ import annotations

import argparse
import os
import time

from .. import profile
from ..store import default_store


def _quickstart():
    from . import quickstart
    quickstart.run("paper")


def _ch1():
    from . import benign_oscillation as M
    M.compute_all("paper")


def _ch3_evidence():
    from . import bayesian_batch_size as M
    M.evidence_results(default_store("paper"), "paper")


def _ch3_sweeps():
    from . import bayesian_batch_size_sweeps as S
    S.sweep_results(default_store("paper"), "paper")


def _ch5_lazy_check():
    from . import sgd_noise_phase as M
    M.lazy_results("paper", default_store("paper"), seed_offset=M.LAZY_CHECK_OFFSET)


def _ch5(part: str):
    def run():
        from . import sgd_noise_phase as M
        M.main([part])
    return run


PARTS = {
    "quickstart": _quickstart,
    "ch1": _ch1,
    "ch3-evidence": _ch3_evidence,
    "ch5-perceptron": _ch5("perceptron"),
    "ch5-lazy": _ch5("lazy"),
    "ch5-lazy-check": _ch5_lazy_check,  # the lazy sweep again with seeds 100..104
    # the two costly parts: CPU-hours (a CUDA GPU should be much faster; not measured yet). Stored entry by entry,
    # so a CPU can build them over several sittings; see CONTRIBUTING.md "Paper-scale results".
    "ch5-phase": _ch5("phase"),       # up to 3,224 networks of up to 10^5 steps, one T row (26) per entry;
                                      # 2,704 at paper scale: no row below the first where every run hit the cap
    "ch3-sweeps": _ch3_sweeps,        # 855 networks, ~4.5e14 FLOP, one (N, B) program per entry
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lrlib.papers", description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", choices=list(PARTS), metavar="PART",
                        help=f"any of: {', '.join(PARTS)} (default: all, in this order)")
    args = parser.parse_args(argv)
    os.environ["LRLIB_PROFILE"] = "paper"
    profile.configure_threads()
    print(f"commit {profile.git_commit()}, device {profile.device_name()}", flush=True)
    for name in args.parts or list(PARTS):
        start = time.perf_counter()
        PARTS[name]()
        print(f"{name}: done in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
