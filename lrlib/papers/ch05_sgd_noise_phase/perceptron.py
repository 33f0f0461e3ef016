"""The perceptron of Sclocchi, Geiger & Wyart (2023): depleted-sign data and event-driven SGD on a hinge.

Model (paper symbols). Data ``x ∈ R^d``: ``x_2..x_d ~ N(0, 1)`` and ``x_1 = s·sqrt(2G)`` with
``G ~ Gamma((χ+1)/2, 1)`` and a random sign ``s``, so the density of ``x_1`` is ``∝ |x_1|^χ exp(-x_1²/2)``,
depleted near the boundary ``x_1 = 0`` (``χ = 0`` is Gaussian). Label ``y = sign(x_1)`` (teacher ``e_1``).
The student output is ``α (w − w0)·x / sqrt(d)``; with the loss ``hinge(α·o, y)/α`` only ``u = w − w0`` matters,
started at 0, through a hinge with margin ``κ = 1/α``: a point is *fitted* when ``y u·x/sqrt(d) ≥ κ``.

SGD: each step draws ``B`` distinct indices, and ``u ← u + (dt/B) Σ_{unfitted μ in batch} y_μ x_μ / sqrt(d)``.
The temperature is ``T = dt/B`` (``h = 1``). Training stops at the first step after which every training point is
fitted; ``t* = dt × steps``.

Event-driven simulation. A step whose batch holds no unfitted point changes nothing. With ``m`` unfitted points
out of ``P``, a step is *effective* with probability ``q = 1 − C(P−m, B)/C(P, B)``; so the number of idle steps
before the next effective one is geometric, and the effective batch is uniform among the batches holding at least
one unfitted point. Drawing those two directly gives the same law for the whole trajectory ``(u, steps)`` as
plain stepping, at a cost proportional to the number of effective updates. :func:`simulate_plain` is the plain
reference; a test compares the two laws.

Random numbers come from a counter-based hash of (run key, update index, slot), so a run's result does not depend
on which other runs share its vectorised batch.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammainc, gammaln, ndtr

__all__ = ["depleted_sign_data", "simulate_events", "simulate_plain", "population_error", "sample_error", "run_key"]

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective 64-bit mixer (wrapping uint64 arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _M2
    z = (z ^ (z >> np.uint64(27))) * _M3
    return z ^ (z >> np.uint64(31))


def run_key(*parts: int) -> int:
    """A 64-bit stream key from non-negative integers (e.g. seed, P, d, a code for χ)."""
    z = np.zeros(1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for p in parts:
            z = _mix(z + np.uint64(int(p) & 0xFFFFFFFFFFFFFFFF) * _M1 + _M1)
    return int(z[0])


def _uniform(keys: np.ndarray, counter: np.ndarray, slot: int) -> np.ndarray:
    """Uniforms in (0, 1], one per run, from (key, counter, slot); counter-based, so packing-independent."""
    with np.errstate(over="ignore"):
        z = keys + (counter.astype(np.uint64) * np.uint64(64) + np.uint64(slot) + np.uint64(1)) * _M1
        z = _mix(z)
    return ((z >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0**-53


def depleted_sign_data(n: int, d: int, chi: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` points of the depleted-sign perceptron task.

    Parameters
    ----------
    n, d : int
        Number of points and dimension (``d ≥ 2``).
    chi : float
        Depletion exponent χ ≥ 0: the density of ``x_1`` is ``∝ |x_1|^χ exp(-x_1²/2)``.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray [n, d], float64
    y : ndarray [n], float64 in {−1, +1}, equal to ``sign(x_1)``.

    Examples
    --------
    >>> x, y = depleted_sign_data(1000, 16, 1.0, np.random.default_rng(0))
    >>> bool(np.all(y == np.sign(x[:, 0])))
    True
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    if not np.isfinite(chi) or chi < 0:
        raise ValueError(f"chi must be a finite number >= 0, got {chi!r}")
    x = rng.standard_normal((n, d))
    radius = np.sqrt(2.0 * rng.gamma((chi + 1.0) / 2.0, 1.0, size=n))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    x[:, 0] = sign * radius
    return x, sign.copy()


def x1_cdf(radius: np.ndarray | float, chi: float) -> np.ndarray:
    """``P(|x_1| ≤ radius)`` for the depleted-sign data: ``P((χ+1)/2, radius²/2)`` (regularised gamma)."""
    return gammainc((chi + 1.0) / 2.0, np.square(radius) / 2.0)


def _log_comb(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    k = np.asarray(k, dtype=float)
    out = gammaln(n + 1) - gammaln(k + 1) - gammaln(np.maximum(n - k, 0) + 1)
    return np.where((k < 0) | (k > n), -np.inf, out)


def _check_common(x, dt, alpha, batch_size):
    if x.ndim != 3:
        raise ValueError(f"x must have shape [n_datasets, P, d], got {x.shape}")
    if not np.all(np.isfinite(dt)) or np.any(dt <= 0):
        raise ValueError(f"dt must be positive and finite, got {dt}")
    if not alpha > 0:
        raise ValueError(f"alpha must be positive, got {alpha!r}")
    if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= x.shape[1]:
        raise ValueError(f"batch_size must be an integer in [1, P={x.shape[1]}], got {batch_size!r}")


def simulate_events(
    x: np.ndarray,
    y: np.ndarray,
    dt,
    *,
    dataset: np.ndarray | None = None,
    keys=None,
    alpha: float = 2.0**15,
    batch_size: int = 2,
    max_updates: int = 10**6,
    max_steps: float = 1e15,
) -> dict[str, np.ndarray]:
    """Event-driven SGD for R perceptron runs at once, each until every training point is fitted.

    Parameters
    ----------
    x : ndarray [S, P, d]
        S training sets (e.g. one per seed); y : ndarray [S, P] their labels (±1).
    dt : array [R]
        Step size of each run (``T = dt / batch_size``).
    dataset : int array [R], optional
        Which training set each run uses (default: run r uses set r; then R = S).
    keys : int array [R], optional
        Random-stream key of each run (see :func:`run_key`); default ``run_key(r)``.
    alpha : float
        Initialization scale α; the margin is ``κ = 1/α``.
    batch_size : int
        B, distinct indices per step.
    max_updates, max_steps : caps on effective updates and on SGD steps; a run stopped by a cap is unfitted.

    Returns
    -------
    dict with ``u`` [R, d] (w − w0 at the end), ``steps`` [R] (float, SGD steps including idle ones),
    ``updates`` [R] (effective updates), ``fitted`` [R] (bool), ``unfitted`` [R] (points left unfitted).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    _check_common(x, dt, alpha, batch_size)
    S, P, d = x.shape
    R = len(dt)
    dataset = np.arange(R) if dataset is None else np.asarray(dataset, dtype=np.int64)
    if dataset.shape != (R,) or dataset.min() < 0 or dataset.max() >= S:
        raise ValueError(f"dataset must hold {R} indices in [0, {S}), got {dataset}")
    keys = (
        np.array([run_key(r) for r in range(R)], dtype=np.uint64) if keys is None else np.asarray(keys, dtype=np.uint64)
    )
    B, kappa = int(batch_size), 1.0 / alpha
    z = y[:, :, None] * x / math.sqrt(d)  # [S, P, d]: y x / sqrt(d), so margin = z·u

    u = np.zeros((R, d))
    steps = np.zeros(R)
    updates = np.zeros(R, dtype=np.int64)
    fitted = np.zeros(R, dtype=bool)
    left = np.full(R, P, dtype=np.int64)
    log_total = _log_comb(P, B)
    ks = np.arange(B + 1)
    active = np.arange(R)
    while active.size:
        margins = np.empty((active.size, P))
        for s in np.unique(dataset[active]):  # one matmul per training set
            rows = np.flatnonzero(dataset[active] == s)
            margins[rows] = u[active[rows]] @ z[s].T
        unfit = margins < kappa  # [Ra, P]
        m = unfit.sum(1)
        left[active] = m
        done = m == 0
        fitted[active[done]] = True
        capped = (updates[active] >= max_updates) | (steps[active] >= max_steps)
        keep = ~done & ~capped
        active, unfit, m = active[keep], unfit[keep], m[keep]
        if not active.size:
            break
        key, count = keys[active], updates[active]
        # number k of unfitted points in the batch: hypergeometric, conditioned on k >= 1
        logp = _log_comb(m[:, None], ks[None, :]) + _log_comb(P - m[:, None], B - ks[None, :]) - log_total
        p = np.exp(logp)
        q = np.minimum(p[:, 1:].sum(1), 1.0)  # P(step is effective)
        q = np.where(m >= P - B + 1, 1.0, q)  # every batch holds an unfitted point
        cdf = np.cumsum(p[:, 1:], axis=1) / np.maximum(q, 1e-300)[:, None]
        k = 1 + (cdf < _uniform(key, count, 0)[:, None] * cdf[:, -1:]).sum(1)
        k = np.minimum(k, B)
        # idle steps before this effective one: geometric with success probability q
        u_skip = _uniform(key, count, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            idle = np.where(q >= 1.0, 0.0, np.floor(np.log(u_skip) / np.log1p(-np.minimum(q, 1.0))))
        steps[active] += idle + 1.0
        # k distinct unfitted points, uniform: draw ranks without replacement, then locate them
        chosen = np.full((active.size, B), -1, dtype=np.int64)
        ranks = np.full((active.size, B), -1, dtype=np.int64)
        # rank_pos[r, i] = #unfitted among 0..i, offset per row so the flattened array is sorted
        row = np.arange(active.size)
        rank_pos = (np.cumsum(unfit, axis=1) + row[:, None] * (P + 1)).ravel()
        for slot in range(B):
            use = slot < k
            r = np.floor(_uniform(key, count, 2 + slot) * np.maximum(m - slot, 1)).astype(np.int64)
            r = np.minimum(r, np.maximum(m - slot - 1, 0))
            for prev in np.sort(ranks[:, :slot], axis=1).T:  # skip ranks already taken (ascending)
                r = r + ((prev >= 0) & (r >= prev))
            ranks[:, slot] = np.where(use, r, -1)
            idx = np.searchsorted(rank_pos, r + row * (P + 1), side="right") - row * P
            chosen[:, slot] = np.where(use, idx, -1)
        grad = np.zeros((active.size, d))
        ds = dataset[active]
        for slot in range(B):
            use = chosen[:, slot] >= 0
            grad[use] += z[ds[use], chosen[use, slot]]
        u[active] += (dt[active] / B)[:, None] * grad
        updates[active] += 1
    return {"u": u, "steps": steps, "updates": updates, "fitted": fitted, "unfitted": left}


def simulate_plain(
    x: np.ndarray,
    y: np.ndarray,
    dt,
    *,
    alpha: float = 2.0**15,
    batch_size: int = 2,
    rng: np.random.Generator,
    max_steps: int = 10**6,
) -> dict[str, np.ndarray]:
    """Plain SGD, every step executed, for R runs on R training sets at once (the reference).

    Same model and stopping rule as :func:`simulate_events` (see the module docstring); ``x`` is [R, P, d].
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    _check_common(x, dt, alpha, batch_size)
    R, P, d = x.shape
    if len(dt) != R:
        raise ValueError(f"dt must hold one value per training set ({R}), got {len(dt)}")
    B, kappa = int(batch_size), 1.0 / alpha
    z = y[:, :, None] * x / math.sqrt(d)
    u = np.zeros((R, d))
    steps = np.zeros(R)
    fitted = np.zeros(R, dtype=bool)
    rows = np.arange(R)[:, None]
    for _ in range(max_steps):
        margins = np.einsum("rpd,rd->rp", z, u)
        fitted = (margins >= kappa).all(1)
        if fitted.all():
            break
        batch = np.argsort(rng.random((R, P)), axis=1)[:, :B]  # B distinct indices per run
        zb = z[rows, batch]  # [R, B, d]
        unfit_b = (margins[rows, batch] < kappa)[:, :, None]
        step = (dt / B)[:, None] * (zb * unfit_b).sum(1)
        u += np.where(fitted[:, None], 0.0, step)
        steps += ~fitted
    margins = np.einsum("rpd,rd->rp", z, u)
    fitted = (margins >= kappa).all(1)
    return {"u": u, "steps": steps, "fitted": fitted, "unfitted": (margins < kappa).sum(1)}


def population_error(u: np.ndarray, chi: float, n_grid: int = 8001) -> np.ndarray:
    """Exact test error of the student ``u`` on the depleted-sign population (no test-set noise).

    With ``u = (u_∥, u_⊥)`` the output's sign on ``x`` is that of ``u_∥ x_1 + ‖u_⊥‖ ζ`` with ``ζ ~ N(0, 1)``, so
    with ``a = u_∥/‖u_⊥‖`` and ``r = |x_1|`` the error is ``P(ζ > a r)`` (for ``a ≥ 0``; ``1 −`` that for ``a < 0``).
    It is computed as ``∫_0^∞ φ(ζ) F(ζ/a) dζ`` with ``F`` the c.d.f. of ``r`` when ``a ≥ 0.05``, and as
    ``E_r[Φ(−a r)]`` on an ``r`` grid for smaller ``a``, so each integrand is smooth on its grid.
    Non-finite ``u`` counts as error 1.
    """
    u = np.atleast_2d(np.asarray(u, dtype=np.float64))
    par, perp = u[:, 0], np.linalg.norm(u[:, 1:], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.abs(np.where(perp > 0, par / perp, np.inf))
    grid = np.linspace(0.0, 12.0, n_grid)
    trap = np.full(n_grid, grid[1] - grid[0])
    trap[[0, -1]] *= 0.5
    big = a >= 0.05
    err = np.zeros_like(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a >= 0.05: integrate over ζ; F(ζ/a) is smooth on the ζ grid
        t = grid[None, :] / np.where(big, a, 1.0)[:, None]
        err_big = (np.exp(-(grid**2) / 2) / math.sqrt(2 * math.pi) * x1_cdf(t, chi)) @ trap
    # a < 0.05: integrate over r with density ∝ r^χ exp(−r²/2)
    log_rho = chi * np.log(np.maximum(grid, 1e-300)) - grid**2 / 2
    rho = np.exp(log_rho - log_rho.max()) * ((grid > 0) if chi > 0 else 1.0) * trap
    rho /= rho.sum()
    err_small = ndtr(-np.where(big, 0.0, a)[:, None] * grid[None, :]) @ rho
    err = np.where(big, err_big, err_small)
    err = np.where(np.isinf(a), 0.0, err)
    err = np.where(par < 0, 1.0 - err, err)
    err = np.where((perp == 0) & (par == 0), 1.0, err)
    return np.where(np.isfinite(u).all(1), err, 1.0)


def sample_error(u: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Test error of ``u`` [R, d] on a sample ``x`` [n, d], ``y`` [n]: ``y·u·x ≤ 0`` or non-finite is an error."""
    out = np.atleast_2d(u) @ x.T * y[None, :]
    return np.mean(~(out > 0), axis=1)
