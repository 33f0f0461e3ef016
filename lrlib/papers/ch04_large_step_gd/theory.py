"""Chapter 4's theory [reconstructed]: landscapes on which a large step escapes a sharp local minimum that a small
step, with or without noise, does not (the spec's constructions C1–C5, §4.2).

The paper's body was not available: its function class, assumptions and theorems are not reproduced here. These
are our own constructions, built from the paper's stated claims (abstract and introduction); the numbers the spec
quotes for them are prototype measurements [prototype] that these parts recompute.

- C1: a wide quadratic well with a narrow Gaussian dip (1-D). GD escapes the dip iff γ·λ_loc ≳ 3.7, not 2.
- C2: the same in 2-D, anisotropic: basin maps per step size.
- C3: a finite sum whose noise vanishes at both minima: small-step SGD noise is no substitute for a large step.
- C4: noise orthogonal to the escape direction: the x-trajectory is GD's for any noise magnitude.
- C5: isotropic Gaussian noise at a small step escapes only by blurring the global minimum.

Every run is vectorised over all initializations (and over step sizes or noise levels): one numpy array, one
loop over steps.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from ... import profile
from ...experiment import Part, Unit

VERSION = 1
#: the initialization interval of every construction (uniform grid on [-BOX, BOX], or [-BOX, BOX]² in 2-D)
BOX = 4.0
#: a final point within this distance of the dip's centre (5 dip widths) is trapped in the dip
TRAP_WIDTHS = 5.0


# --- landscapes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dip:
    """C1: f(x) = (μ/2)x² − h·exp(−(x−c)²/(2w²)), a wide global well at 0 with a narrow Gaussian dip at c."""

    mu: float = 1.0  # curvature of the global well
    h: float = 1.0  # depth of the dip
    c: float = 2.0  # centre of the dip
    w: float = 0.1  # width (standard deviation) of the dip

    def bump(self, x):
        return self.h * np.exp(-((x - self.c) ** 2) / (2 * self.w**2))

    def f(self, x):
        return 0.5 * self.mu * x**2 - self.bump(x)

    def grad(self, x):
        return self.mu * x + (x - self.c) / self.w**2 * self.bump(x)

    def hess(self, x):
        u2 = (x - self.c) ** 2 / self.w**2
        return self.mu + self.bump(x) / self.w**2 * (1.0 - u2)

    def trapped(self, x):
        """Whether a point lies in the dip's neighbourhood (|x − c| < 5w)."""
        return np.abs(x - self.c) < TRAP_WIDTHS * self.w


@dataclass(frozen=True)
class Dip2D:
    """C2: f(x, y) = ½(μx² + κy²) − h·exp(−((x−c)² + y²)/(2w²)); stiff in y, so the dip's basin is large."""

    mu: float = 1.0  # curvature of the global well along x
    kappa: float = 10.0  # curvature of the global well along y
    h: float = 1.0  # depth of the dip
    c: float = 2.0  # centre of the dip, on the x axis
    w: float = 0.1  # width of the dip

    def along_x(self) -> Dip:
        """The landscape on the x axis (y = 0), where the local minimum lies."""
        return Dip(self.mu, self.h, self.c, self.w)

    def grad(self, x, y):
        bump = self.h * np.exp(-((x - self.c) ** 2 + y**2) / (2 * self.w**2))
        return self.mu * x + (x - self.c) / self.w**2 * bump, self.kappa * y + y / self.w**2 * bump

    def local_curvatures(self) -> tuple[float, float]:
        """The Hessian's eigenvalues at the local minimum (x_l, 0): along x and along y."""
        dip = self.along_x()
        x_l = critical_points(dip).x_local
        return float(dip.hess(x_l)), float(self.kappa + dip.bump(x_l) / self.w**2)

    def trapped(self, x, y):
        return np.hypot(x - self.c, y) < TRAP_WIDTHS * self.w


@dataclass(frozen=True)
class VanishingNoise:
    """C3's noise profile m(x) = (1 − e^{−(x−x_l)²/(2a²)})·(1 − e^{−x²/(2b²)}): zero, quadratically, at both
    minima, so x_l and 0 are fixed points of every component ∇f_i = f' ± σ·m."""

    width_local: float = 0.03  # a
    width_global: float = 0.3  # b

    def __call__(self, x, x_local: float):
        return (1.0 - np.exp(-((x - x_local) ** 2) / (2 * self.width_local**2))) * (
            1.0 - np.exp(-(x**2) / (2 * self.width_global**2))
        )


C1 = Dip()
#: a second, narrower and shallower dip: is the escape threshold γ·λ_loc a property of the dip's shape?
C1_NARROW = Dip(h=0.5, w=0.05)
C2 = Dip2D()
C3_NOISE = VanishingNoise()
C4_NU = 1.0  # curvature along y of C4's f(x, y) = C1(x) + (ν/2)y²


# --- critical points --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriticalPoints:
    x_local: float  # the dip's local minimum
    x_barrier: float  # the local maximum between it and the global minimum at 0
    curvature_local: float  # λ_loc = f''(x_local)
    barrier_height: float  # f(x_barrier) − f(x_local)

    @property
    def stable_below(self) -> float:
        """GD's linear-stability limit 2/λ_loc at the local minimum."""
        return 2.0 / self.curvature_local

    def as_array(self) -> np.ndarray:
        return np.array([self.x_local, self.x_barrier, self.curvature_local, self.barrier_height])


def bisect(g: Callable[[float], float], a: float, b: float, iterations: int = 200) -> float:
    """A root of g in [a, b], where g changes sign, to machine precision."""
    ga = g(a)
    if ga * g(b) > 0:
        raise ValueError(f"g does not change sign on [{a}, {b}]")
    for _ in range(iterations):
        m = 0.5 * (a + b)
        if m in (a, b):
            break
        gm = g(m)
        if gm == 0:
            return m
        if (gm > 0) == (ga > 0):
            a, ga = m, gm
        else:
            b = m
    return 0.5 * (a + b)


def critical_points(dip: Dip) -> CriticalPoints:
    """The barrier and the local minimum: the sign changes of f' on (0, c), refined by bisection."""
    x = np.linspace(dip.w, dip.c, 20001)
    sign = np.sign(dip.grad(x))
    changes = np.flatnonzero(sign[:-1] != sign[1:])
    if len(changes) != 2:
        raise ValueError(f"expected a barrier and a local minimum, found {len(changes)} sign changes of f'")
    g = lambda v: float(dip.grad(v))  # noqa: E731
    x_b, x_l = (bisect(g, x[i], x[i + 1]) for i in changes)
    return CriticalPoints(float(x_l), float(x_b), float(dip.hess(x_l)), float(dip.f(x_b) - dip.f(x_l)))


def basin_fraction(dip: Dip) -> float:
    """The share of [−4, 4] from which small-step GD ends in the dip: (4 − x_b)/8."""
    return (BOX - critical_points(dip).x_barrier) / (2 * BOX)


def ou_spread(lr: float, sigma: float, mu: float) -> float:
    """Stationary standard deviation of x ← x − γ(μx + σξ), ξ ~ N(0, 1): √(γσ²/(μ(2 − γμ))) ≈ √(γσ²/(2μ))."""
    return math.sqrt(lr * sigma**2 / (mu * (2.0 - lr * mu)))


def gibbs_mass_beyond(dip: Dip, x_from: float, temperature: float) -> float:
    """Probability of x > x_from under the Gibbs density ∝ exp(−f(x)/T), by quadrature (T = γσ²/2 for C5)."""
    if temperature <= 0:
        return 0.0
    x = np.linspace(-12 * max(1.0, math.sqrt(temperature)), 12 * max(1.0, math.sqrt(temperature)), 400001)
    logp = -dip.f(x) / temperature
    p = np.exp(logp - logp.max())
    return float(p[x > x_from].sum() / p.sum())


# --- vectorised GD ----------------------------------------------------------------------------------------------


def gd(dip: Dip, x0: np.ndarray, lrs: np.ndarray, steps: int, tail: int = 0):
    """GD x ← x − γf'(x) from every x0 at every step size at once: an array [len(lrs), len(x0)] of final points,
    and (with ``tail``) the smallest and largest x of each run over its last ``tail`` steps."""
    lr = np.asarray(lrs, float)[:, None]
    x = np.broadcast_to(np.asarray(x0, float), (lr.shape[0], len(x0))).copy()
    low, high = np.full_like(x, np.inf), np.full_like(x, -np.inf)
    for t in range(steps):
        x -= lr * dip.grad(x)
        if t >= steps - tail:
            np.minimum(low, x, out=low)
            np.maximum(high, x, out=high)
    return x, low, high


def trajectories(dip: Dip, x0: float, lrs, steps: int) -> np.ndarray:
    """GD iterates from one x0 at each step size: [len(lrs), steps + 1]."""
    lr = np.asarray(lrs, float)
    out = np.empty((len(lr), steps + 1))
    out[:, 0] = x = np.full(len(lr), float(x0))
    for t in range(steps):
        x = x - lr * dip.grad(x)
        out[:, t + 1] = x
    return out


def _grid(n: int) -> np.ndarray:
    return np.linspace(-BOX, BOX, n)


def _steps_for(lr: float, mu: float, at_least: int) -> int:
    """Enough steps to converge in the global well: 30 contraction times 1/(γμ), and at least ``at_least``."""
    return max(at_least, math.ceil(30.0 / (lr * mu)))


# --- scales -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TheoryScale:
    """Grids and run lengths of C1–C5 (field prefixes name the construction; a store key holds only its own)."""

    c1_inits: int  # initial points, a uniform grid on [-4, 4]
    c1_lrs: int  # step sizes of the log-spaced scan γ ∈ [0.004, 1.9] (plus the claims' step sizes)
    c1_min_steps: int  # GD steps at least (the scan runs max(this, 30/(γ_min μ)) steps for every γ)
    c1_tail: int  # last steps over which a trapped run's swing (peak-to-peak) is measured
    c1_fine_lrs: int  # γ·λ_loc values of the fine threshold scan, evenly on [3.55, 3.85]
    c1_fine_inits: int  # initial points of the fine scan, a uniform grid on the local basin (x_b, 4]
    c1_fine_steps: int  # GD steps of the fine scan
    c1_window_step: float  # γ·λ_loc spacing of the window scan on [3.7, 12] (periodic trapping beyond the escape)
    c1_window_inits: int  # initial points of the window scan, a uniform grid on the local basin (x_b, 4]
    c1_window_steps: int  # GD steps of the window scan
    c1_trajectory_steps: int  # GD steps of the example trajectories from x0 = 2.5
    c2_grid: int  # initial points per axis, a uniform grid on [-4, 4]²
    c2_min_steps: int  # GD steps at least; max(this, 30/(γμ)) per step size
    c3_inits: int  # initial points, a uniform grid on [-4, 4]
    c3_steps_small: int  # SGD steps at the small step γ = 0.01
    c3_steps_large: int  # SGD steps at the large step γ = 0.1
    c3_sigmas: tuple[float, ...]  # noise magnitudes σ at the small step
    c4_inits: int  # initial x, a uniform grid on [-4, 4] (y0 = 0)
    c4_steps: int  # SGD steps
    c4_sigmas: tuple[float, ...]  # noise magnitudes σ (σ = 0 is plain GD)
    c5_inits: int  # initial points, a uniform grid on [-4, 4]
    c5_noise_steps: int  # noisy GD steps at γ = 0.005
    c5_quench_steps: int  # noiseless GD steps after the noise is switched off
    c5_sigmas: tuple[float, ...]  # noise magnitudes σ (standard deviation of the gradient perturbation)

    def of(self, construction: str) -> dict:
        """This construction's fields (``c1_...``), for its store key."""
        return {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items() if k.startswith(construction)
        }


SCALES = {
    "smoke": TheoryScale(
        c1_inits=801,
        c1_lrs=24,
        c1_min_steps=2000,
        c1_tail=200,
        c1_fine_lrs=13,
        c1_fine_inits=400,
        c1_fine_steps=6000,
        c1_window_step=0.05,
        c1_window_inits=100,
        c1_window_steps=3000,
        c1_trajectory_steps=400,
        c2_grid=81,
        c2_min_steps=1500,
        c3_inits=1000,
        c3_steps_small=5000,
        c3_steps_large=3000,
        c3_sigmas=(0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
        c4_inits=801,
        c4_steps=3000,
        c4_sigmas=(0.0, 1.0, 1e3),
        c5_inits=801,
        c5_noise_steps=4000,
        c5_quench_steps=6000,
        c5_sigmas=(0.0, 2.0, 5.0, 7.0, 10.0, 14.0, 20.0, 40.0),
    ),
    "paper": TheoryScale(
        c1_inits=4001,
        c1_lrs=40,
        c1_min_steps=6000,
        c1_tail=500,
        c1_fine_lrs=31,
        c1_fine_inits=2000,
        c1_fine_steps=6000,
        c1_window_step=0.01,
        c1_window_inits=400,
        c1_window_steps=4000,
        c1_trajectory_steps=400,
        c2_grid=161,
        c2_min_steps=1500,
        c3_inits=4000,
        c3_steps_small=20000,
        c3_steps_large=3000,
        c3_sigmas=(0.0, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
        c4_inits=4001,
        c4_steps=3000,
        c4_sigmas=(0.0, 1.0, 10.0, 100.0, 1e3),
        c5_inits=4001,
        c5_noise_steps=8000,
        c5_quench_steps=6000,
        c5_sigmas=(0.0, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 14.0, 20.0, 28.0, 40.0),
    ),
}

#: step sizes the claims read (S2–S4); always part of C1's scan
C1_CLAIM_LRS = (0.005, 0.01, 0.03, 0.05, 0.1, 0.5, 1.0)
C1_TRAJECTORY_LRS = (0.01, 0.03, 0.5)  # small (converges to x_l), between 2/λ and 3.7/λ (oscillates), large
C1_TRAJECTORY_X0 = 2.5
C2_LRS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.1, 0.15, 0.19)
C3_SMALL_LR, C3_LARGE_LR = 0.01, 0.1
C3_LARGE_SIGMAS = (0.0, 1.0, 10.0)
C4_LRS = (0.01, 0.05)  # γ·λ_loc ≈ 0.95 and ≈ 4.7: below and above the escape threshold
C4_TRAJECTORY_X0 = 2.5
C5_LR = 0.005


def c1_lrs(scale: str) -> np.ndarray:
    """C1's scan: a log grid on [0.004, 1.9] and the claims' step sizes."""
    grid = np.geomspace(0.004, 1.9, SCALES[scale].c1_lrs)
    return np.unique(np.round(np.concatenate([grid, C1_CLAIM_LRS]), 6))


def c1_fine_ratios(scale: str) -> np.ndarray:
    return np.round(np.linspace(3.55, 3.85, SCALES[scale].c1_fine_lrs), 4)


def c1_window_ratios(scale: str) -> np.ndarray:
    step = SCALES[scale].c1_window_step
    return np.round(np.arange(3.7, 12.0 + step / 2, step), 4)


# --- C1 ---------------------------------------------------------------------------------------------------------


def _c1_scan(dip: Dip, cp: CriticalPoints, lrs: np.ndarray, x0: np.ndarray, steps: int, tail: int) -> dict:
    x, low, high = gd(dip, x0, lrs, steps, tail)
    trapped = dip.trapped(x)
    converged = np.abs(x) < 1e-6
    swing = np.where(trapped, high - low, np.nan)
    reach = np.where(trapped, np.maximum(np.abs(low - dip.c), np.abs(high - dip.c)), np.nan)
    escaped_final = np.where(trapped, np.nan, np.abs(x))
    with warnings.catch_warnings():  # an all-NaN row (nothing trapped) gives NaN, as meant
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            "lr": lrs,
            "lr_curvature": lrs * cp.curvature_local,
            "trapped": trapped.mean(axis=1),
            "converged_global": converged.mean(axis=1),
            "dip_swing_median": np.nanmedian(swing, axis=1),
            "dip_reach_max": np.nanmax(reach, axis=1),
            "final_abs_max_escaped": np.nanmax(escaped_final, axis=1),
        }


def compute_c1(scale: str) -> dict:
    """C1: the trapped fraction over a log scan of γ (inits on [−4, 4]); for two dips (inits in the local basin) a
    fine scan of γ·λ_loc near the escape threshold and a window scan beyond it; example trajectories."""
    s = SCALES[scale]
    rows = []
    arrays = {}
    cp = critical_points(C1)
    lrs = c1_lrs(scale)
    steps = _steps_for(lrs.min(), C1.mu, s.c1_min_steps)
    scan = _c1_scan(C1, cp, lrs, _grid(s.c1_inits), steps, s.c1_tail)
    rows.append(pd.DataFrame(scan).assign(scan="uniform", landscape="C1", steps=steps))
    for name, dip in (("C1", C1), ("C1-narrow", C1_NARROW)):
        cpd = critical_points(dip)
        arrays[f"critical.{name}"] = cpd.as_array()
        ratios = c1_fine_ratios(scale)
        x0 = np.linspace(cpd.x_barrier, BOX, s.c1_fine_inits + 1)[1:]
        fine = _c1_scan(dip, cpd, ratios / cpd.curvature_local, x0, s.c1_fine_steps, s.c1_tail)
        rows.append(pd.DataFrame(fine).assign(scan="basin", landscape=name, steps=s.c1_fine_steps))
        x0 = np.linspace(cpd.x_barrier, BOX, s.c1_window_inits + 1)[1:]
        lrs_w = c1_window_ratios(scale) / cpd.curvature_local
        window = _c1_scan(dip, cpd, lrs_w, x0, s.c1_window_steps, s.c1_tail)
        rows.append(pd.DataFrame(window).assign(scan="window", landscape=name, steps=s.c1_window_steps))
    arrays["trajectory.lr"] = np.array(C1_TRAJECTORY_LRS)
    arrays["trajectory.x"] = trajectories(C1, C1_TRAJECTORY_X0, C1_TRAJECTORY_LRS, s.c1_trajectory_steps)
    return {"table": pd.concat(rows, ignore_index=True), "arrays": arrays}


def escape_threshold(ratios: np.ndarray, trapped: np.ndarray) -> float:
    """The smallest γ·λ_loc of a scan from which no run is trapped (at it and every larger value); NaN if none."""
    order = np.argsort(ratios)
    r, t = np.asarray(ratios)[order], np.asarray(trapped)[order]
    free = np.flatnonzero(np.cumsum((t > 0)[::-1])[::-1] == 0)
    return float(r[free[0]]) if len(free) else math.nan


# --- C2 ---------------------------------------------------------------------------------------------------------


def compute_c2(scale: str) -> dict:
    """C2: the final basin of every (x0, y0) on a grid, per step size; GD runs max(min_steps, 30/(γμ)) steps."""
    s = SCALES[scale]
    grid = _grid(s.c2_grid)
    x0, y0 = np.meshgrid(grid, grid, indexing="xy")  # basin[i, j]: y0 = grid[i], x0 = grid[j]
    lam = max(C2.local_curvatures())
    rows, basins = [], []
    for lr in C2_LRS:
        x, y = x0.copy(), y0.copy()
        steps = _steps_for(lr, C2.mu, s.c2_min_steps)
        for _ in range(steps):
            gx, gy = C2.grad(x, y)
            x -= lr * gx
            y -= lr * gy
        trapped = C2.trapped(x, y)
        converged = np.hypot(x, y) < 1e-6
        basins.append(np.where(trapped, 1, np.where(converged, 0, 2)).astype(np.int8))
        rows.append(
            dict(
                lr=lr,
                lr_curvature=lr * lam,
                trapped=trapped.mean(),
                converged_global=converged.mean(),
                steps=steps,
            )
        )
    arrays = {"basin": np.stack(basins), "grid": grid, "lr": np.array(C2_LRS), "curvatures": C2.local_curvatures()}
    return {"table": pd.DataFrame(rows), "arrays": {k: np.asarray(v) for k, v in arrays.items()}}


# --- C3 ---------------------------------------------------------------------------------------------------------


def sgd_vanishing_noise(dip, noise, x0, lr, sigmas, steps, rng) -> np.ndarray:
    """Batch-size-1 SGD on the two components ∇f_± = f' ± σ·m, all σ at once: final points [len(sigmas), len(x0)]."""
    x_l = critical_points(dip).x_local
    sigma = np.asarray(sigmas, float)[:, None]
    x = np.broadcast_to(np.asarray(x0, float), (len(sigmas), len(x0))).copy()
    for _ in range(steps):
        sign = rng.integers(0, 2, size=x.shape) * 2.0 - 1.0
        x -= lr * (dip.grad(x) + sign * sigma * noise(x, x_l))
    return x


def compute_c3(scale: str) -> dict:
    """C3: the fraction of SGD runs that end at the local minimum, per noise magnitude σ, at a small and a large
    step. Ends: within 1e-2 of x_l (trapped), of 0 (global), or neither (still wandering)."""
    s = SCALES[scale]
    rng = np.random.default_rng(profile.seed(0))
    x_l = critical_points(C1).x_local
    x0 = _grid(s.c3_inits)
    rows = []
    for lr, sigmas, steps in (
        (C3_SMALL_LR, s.c3_sigmas, s.c3_steps_small),
        (C3_LARGE_LR, C3_LARGE_SIGMAS, s.c3_steps_large),
    ):
        x = sgd_vanishing_noise(C1, C3_NOISE, x0, lr, sigmas, steps, rng)
        local, converged = np.abs(x - x_l) < 1e-2, np.abs(x) < 1e-2
        for i, sigma in enumerate(sigmas):
            rows.append(
                dict(
                    lr=lr,
                    sigma=sigma,
                    kick=lr * sigma,
                    trapped=local[i].mean(),
                    converged_global=converged[i].mean(),
                    neither=(~local[i] & ~converged[i]).mean(),
                    steps=steps,
                    inits=len(x0),
                )
            )
    return {"table": pd.DataFrame(rows), "arrays": {"x0": x0}}


# --- C4 ---------------------------------------------------------------------------------------------------------


def compute_c4(scale: str) -> dict:
    """C4: SGD on f(x, y) = C1(x) + (ν/2)y² with components f ± σy, all σ at once. The noise enters the y-update
    only and the x-update reads x only, so the x-trajectories are GD's by construction (S7 checks that the code is
    this construction, not a property it discovers). The table records the largest |x_σ − x_0| over every step and
    init (exactly 0 when the x-trajectories are bit-identical), the trapped fraction and y's spread."""
    s = SCALES[scale]
    rng = np.random.default_rng(profile.seed(0))
    sigma = np.asarray(s.c4_sigmas, float)[:, None]
    x0 = _grid(s.c4_inits)
    i_example = int(np.argmin(np.abs(x0 - C4_TRAJECTORY_X0)))
    rows, arrays = [], {}
    for lr in C4_LRS:
        z = np.zeros((len(sigma), len(x0), 2))
        z[..., 0] = x0
        deviation = 0.0
        path = np.empty((len(sigma), s.c4_steps + 1, 2))
        path[:, 0] = z[:, i_example]
        for t in range(s.c4_steps):
            sign = rng.integers(0, 2, size=z.shape[:2]) * 2.0 - 1.0
            grad = np.stack([C1.grad(z[..., 0]), C4_NU * z[..., 1] + sign * sigma], axis=-1)
            z -= lr * grad
            deviation = max(deviation, float(np.max(np.abs(z[..., 0] - z[:1, :, 0]))))
            path[:, t + 1] = z[:, i_example]
        arrays[f"trajectory.{lr:g}"] = path
        for i, sg in enumerate(s.c4_sigmas):
            rows.append(
                dict(
                    lr=lr,
                    sigma=sg,
                    trapped=C1.trapped(z[i, :, 0]).mean(),
                    x_deviation_max=deviation,
                    y_spread=float(np.std(z[i, :, 1])),
                    y_spread_theory=ou_spread(lr, sg, C4_NU),
                    steps=s.c4_steps,
                )
            )
    arrays["sigma"] = np.asarray(s.c4_sigmas, float)
    return {"table": pd.DataFrame(rows), "arrays": arrays}


# --- C5 ---------------------------------------------------------------------------------------------------------


def compute_c5(scale: str) -> dict:
    """C5: GD with isotropic Gaussian gradient noise x ← x − γ(f'(x) + σξ) at a small step, all σ at once, then
    noiseless GD from where the noise left each run. Per σ: the share in the dip when the noise stops, the spread
    about 0 of the runs on the global side of the barrier (against the OU value), the share that ends at x_l once
    the noise is off, and the equilibrium (Gibbs, T = γσ²/2) mass beyond the barrier that predicts it."""
    s = SCALES[scale]
    rng = np.random.default_rng(profile.seed(0))
    cp = critical_points(C1)
    sigma = np.asarray(s.c5_sigmas, float)[:, None]
    x = np.broadcast_to(_grid(s.c5_inits), (len(sigma), s.c5_inits)).copy()
    for _ in range(s.c5_noise_steps):
        x -= C5_LR * (C1.grad(x) + sigma * rng.standard_normal(x.shape))
    in_dip = C1.trapped(x).mean(axis=1)
    global_side = x < cp.x_barrier
    spread = np.sqrt(np.sum(np.where(global_side, x**2, 0.0), axis=1) / np.maximum(global_side.sum(axis=1), 1))
    noisy_final = x.copy()
    for _ in range(s.c5_quench_steps):
        x -= C5_LR * C1.grad(x)
    table = pd.DataFrame(
        dict(
            lr=C5_LR,
            sigma=s.c5_sigmas,
            kick=C5_LR * np.asarray(s.c5_sigmas),
            in_dip_noisy=in_dip,
            spread=spread,
            spread_theory=[ou_spread(C5_LR, sg, C1.mu) for sg in s.c5_sigmas],
            trapped_after_quench=C1.trapped(x).mean(axis=1),
            converged_global_after_quench=(np.abs(x) < 1e-6).mean(axis=1),
            gibbs_beyond_barrier=[gibbs_mass_beyond(C1, cp.x_barrier, C5_LR * sg**2 / 2) for sg in s.c5_sigmas],
            steps=s.c5_noise_steps,
        )
    )
    return {"table": table, "arrays": {"x_noisy": noisy_final.astype(np.float32)}}


# --- parts ------------------------------------------------------------------------------------------------------


def _config(construction: str, scale: str, **extra) -> dict:
    return {"experiment": f"ch4-theory-{construction}", "version": VERSION, "scale": scale, **extra}


def c1_config(scale: str) -> dict:
    return _config(
        "c1",
        scale,
        landscapes={"C1": asdict(C1), "C1-narrow": asdict(C1_NARROW)},
        box=BOX,
        trap_widths=TRAP_WIDTHS,
        claim_lrs=list(C1_CLAIM_LRS),
        trajectory_lrs=list(C1_TRAJECTORY_LRS),
        trajectory_x0=C1_TRAJECTORY_X0,
        **SCALES[scale].of("c1"),
    )


def c2_config(scale: str) -> dict:
    return _config(
        "c2", scale, landscape=asdict(C2), box=BOX, trap_widths=TRAP_WIDTHS, lrs=list(C2_LRS), **SCALES[scale].of("c2")
    )


def c3_config(scale: str) -> dict:
    return _config(
        "c3",
        scale,
        landscape=asdict(C1),
        noise=asdict(C3_NOISE),
        box=BOX,
        small_lr=C3_SMALL_LR,
        large_lr=C3_LARGE_LR,
        large_sigmas=list(C3_LARGE_SIGMAS),
        seed=profile.seed(0),
        **SCALES[scale].of("c3"),
    )


def c4_config(scale: str) -> dict:
    return _config(
        "c4",
        scale,
        landscape=asdict(C1),
        nu=C4_NU,
        box=BOX,
        trap_widths=TRAP_WIDTHS,
        lrs=list(C4_LRS),
        trajectory_x0=C4_TRAJECTORY_X0,
        seed=profile.seed(0),
        **SCALES[scale].of("c4"),
    )


def c5_config(scale: str) -> dict:
    return _config(
        "c5",
        scale,
        landscape=asdict(C1),
        box=BOX,
        trap_widths=TRAP_WIDTHS,
        lr=C5_LR,
        seed=profile.seed(0),
        **SCALES[scale].of("c5"),
    )


def _one_unit(label: str, config, compute):
    def blocks(scale: str):
        yield [Unit(label, config(scale), lambda: compute(scale))]

    return blocks


def _part(construction: str, title: str, config, compute) -> Part:
    return Part(f"theory-{construction}", title, _one_unit(title, config, compute))


THEORY_C1 = _part("c1", "C1: the 1-D dip", c1_config, compute_c1)
THEORY_C2 = _part("c2", "C2: 2-D basin maps", c2_config, compute_c2)
THEORY_C3 = _part("c3", "C3: noise that vanishes at both minima", c3_config, compute_c3)
THEORY_C4 = _part("c4", "C4: noise orthogonal to the escape", c4_config, compute_c4)
THEORY_C5 = _part("c5", "C5: isotropic noise at a small step", c5_config, compute_c5)
PARTS = (THEORY_C4, THEORY_C2, THEORY_C1, THEORY_C5, THEORY_C3)
