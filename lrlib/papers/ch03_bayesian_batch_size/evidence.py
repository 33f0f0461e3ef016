"""Figs. 1-3: L2-regularised logistic regression on MNIST 0 vs 1, with informative, partly random and random
labels. For each prior precision ``lam``, the exact Newton minimum and its Laplace evidence (:mod:`.theory`).
CPU-cheap at both scales: one stored entry per scale."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from ... import profile
from ...progress import progress
from . import theory
from .data import mnist_pool, noisy_labels, zeros_vs_ones
from .scales import SCALES

EXPERIMENT = "ch3-evidence"
VERSION = 1
#: how each pool of :func:`.data.mnist_pool` is named in the store key
POOL_KEYS = {"offline": "mnist-test10k+train-first999", "full": "mnist-train60k+test10k"}


def _cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def evidence_sweep(x_train, y_train, x_test, y_test, lams) -> pd.DataFrame:
    """Fit the L2 logistic regression at every ``lam`` (strongest first, warm-started) and measure it.

    Columns: lam, train/test accuracy and cross-entropy (per example), and per example: the depth C(w0)/N,
    the breadth occam/N = (1/2N) sum ln(lam_i/lam), and E/N = (C + occam)/N - ln 2 (minus the log evidence ratio
    against the null model: below 0 the model beats guessing).
    """
    X, Xt = theory.with_bias(x_train), theory.with_bias(x_test)
    n = X.shape[0]
    rows, w = [], None
    for lam in lams:
        fit = theory.laplace_evidence(X, y_train, lam, w_init=w)
        w = fit.weights
        z, zt = X @ w, Xt @ w
        rows.append(
            {
                "lam": lam,
                "train_accuracy": float(np.mean((z > 0) == (y_train == 1))),
                "test_accuracy": float(np.mean((zt > 0) == (y_test == 1))),
                "train_ce": _cross_entropy(z, y_train),
                "test_ce": _cross_entropy(zt, y_test),
                "depth": fit.cost / n,
                "occam": fit.occam / n,
                "evidence": fit.neg_log_evidence_ratio / n,
                "weight_norm": float(np.linalg.norm(w)),
            }
        )
    return pd.DataFrame(rows)


def evidence_config(scale: str) -> dict:
    """The full configuration of the evidence experiment at a scale (the store key)."""
    return {
        "experiment": EXPERIMENT,
        "version": VERSION,
        "scale": scale,
        **asdict(SCALES[scale].evidence),
        "seed_offset": profile.seed_offset(),
        "data": f"{POOL_KEYS[SCALES[scale].evidence.pool]}, digits 0 vs 1, pixels/255",
        "model": "logistic regression, 784 weights + bias, L2 on all (prior precision lam on the summed cost)",
    }


def compute_evidence(scale: str) -> dict:
    """Run the evidence experiment at ``scale``; returns ``Store.put`` keyword arguments."""
    from threadpoolctl import threadpool_limits

    cfg = SCALES[scale].evidence
    x, y, source = mnist_pool(cfg.pool)
    tables = []
    jobs = [(s, q) for s in cfg.seeds for q in cfg.noise]
    # one BLAS thread: these are small matrices, and several notebooks may share the cores
    with threadpool_limits(limits=1, user_api="blas"):
        for seed, noise in progress(jobs, desc="evidence (seed, label noise)", unit="sweep"):
            rng = np.random.default_rng(profile.seed(seed))
            xtr, ytr, xte, yte = zeros_vs_ones(x, y, cfg.n_train, rng, cfg.n_test)
            u_tr, c_tr = rng.random(len(ytr)), rng.integers(0, 2, len(ytr)).astype(float)
            u_te, c_te = rng.random(len(yte)), rng.integers(0, 2, len(yte)).astype(float)
            table = evidence_sweep(
                xtr, noisy_labels(ytr, noise, u_tr, c_tr), xte, noisy_labels(yte, noise, u_te, c_te), cfg.lams
            )
            table.insert(0, "noise", noise)
            table.insert(0, "seed", seed)
            table["n_test"] = len(yte)
            tables.append(table)
    provenance = {"data_source": source, "device": "CPU (numpy/scipy, 1 BLAS thread)"}
    return {"table": pd.concat(tables, ignore_index=True), "provenance": provenance}
