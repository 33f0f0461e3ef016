"""Both scales side by side: what shrinks at smoke scale, with units."""

from dataclasses import dataclass

TITLE = "Chapter template: gradient descent on a quadratic"
KEY = "chXX"  # the chapter's key in lrlib.papers.CHAPTERS; store names start with it


@dataclass(frozen=True)
class Scale:
    curvature: float  # λ, the quadratic's curvature (loss λw²/2)
    lrs: tuple[float, ...]  # step sizes η, per step
    steps: int  # gradient steps per run
    seeds: int  # initial points w0 ~ N(0, 1), one per seed


SCALES = {
    "smoke": Scale(curvature=1.0, lrs=(0.5, 1.5, 2.5), steps=50, seeds=3),
    "paper": Scale(curvature=1.0, lrs=(0.25, 0.5, 1.0, 1.5, 1.9, 2.1, 2.5, 3.0), steps=200, seeds=10),
}
