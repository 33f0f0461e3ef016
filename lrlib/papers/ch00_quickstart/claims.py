"""The quick start's claims, checked on this run's sweep at the scale it was run at."""

from __future__ import annotations

from ...claims import Claims
from ...experiment import Results
from .analysis import best_lr, final_rows, summary


def sweep_claims(claims: Claims, table) -> Claims:
    """An interior optimum, a failing largest learning rate, diverged runs counted as failures, a too-slow smallest
    learning rate, seeds that agree and a reasonable error at the best learning rate."""
    at, best = summary(table).set_index("lr"), best_lr(table)
    smallest, largest = float(at.index.min()), float(at.index.max())
    claims.holds(
        "the best learning rate is interior (neither the smallest nor the largest tried)",
        smallest < best < largest,
        measured=best,
        test=f"{smallest:g} < best < {largest:g}",
    )
    claims.at_least(
        "the largest learning rate fails: lowest final test error over its seeds (chance: 0.9)",
        at.loc[largest, "test_error_min"],
        0.8,
    )
    final = final_rows(table)
    diverged = final[final["stop_reason"] == "diverged"]
    claims.holds(
        "every diverged member is counted as test error 1, never as a success",
        bool((diverged["test_error"] == 1.0).all()),
        measured=f"{len(diverged)} diverged",
        test="test error = 1 for each",
    )
    claims.at_least(
        "the smallest learning rate is too slow: final train loss / best's",
        at.loc[smallest, "train_loss_mean"] / at.loc[best, "train_loss_mean"],
        5.0,
    )
    claims.at_most(
        "seeds agree at the best learning rate: spread of final test error",
        at.loc[best, "test_error_max"] - at.loc[best, "test_error_min"],
        0.03,
    )
    claims.at_most("best mean test error (999 training images)", at.loc[best, "test_error_mean"], 0.2)
    return claims


def check_claims(res: Results) -> Claims:
    """The whole claims table, labelled with the scale the sweep was run at."""
    return sweep_claims(Claims("Quick start", scale=res.scale("sweep")), res.table("sweep"))
