"""Closed forms: the Laplace evidence of L2-regularised logistic and softmax regression, and SGD's noise scale.

Notation follows Smith & Le (2018). The cost is the *summed* cross-entropy plus an L2 penalty,

    C(w) = H(w) + lam * |w|^2 / 2,        H(w) = -sum_i ln P(y_i | w, x_i),

so ``lam`` is the precision of the Gaussian prior N(0, 1/lam) on every parameter (biases included: add a
column of ones to the design matrix with :func:`with_bias`). The Laplace approximation of the evidence is

    ln P(y | x) ~= -C(w0) - occam,         occam = 1/2 sum_i ln(lam_i / lam) >= 0,

where w0 minimises C and lam_i are the eigenvalues of the Hessian of C at w0 (which include the +lam of the
prior, so every term of ``occam`` is >= 0). ``occam`` is minus the log of the Occam factor prod (lam/lam_i)^{1/2}.
The null model guesses each of n classes with probability 1/n, so ln P(y | NULL) = -N ln n and

    E = C(w0) + occam - N ln n = -[ln P(y | x; M) - ln P(y | NULL)]

is minus the log evidence ratio against the null model: E < 0 means the model is more plausible than guessing.

The noise scale of SGD with learning rate eps on the batch-mean loss, batch size B, training-set size N and
momentum m is g = eps (N/B - 1) / (1 - m) ~= eps N / (B (1 - m)).

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = with_bias(rng.normal(size=(50, 2)))
>>> y = (X[:, 1] > 0).astype(float)
>>> fit = laplace_evidence(X, y, lam=1.0)
>>> bool(fit.occam >= 0)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_softmax

__all__ = [
    "with_bias",
    "logistic_cost",
    "fit_logistic",
    "softmax_cost",
    "fit_softmax",
    "Evidence",
    "laplace_evidence",
    "noise_scale",
    "minibatch_mean_variance",
    "scaled_optimal_batch_size",
]


# --------------------------------------------------------------------------------------------------- checks
def _positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def _design(X, y, *, binary: bool, n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array [N, p], got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if binary:
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"y must hold 0/1 labels for logistic regression, got values {np.unique(y)[:5]}")
        return X, y.astype(float)
    if n_classes is None or int(n_classes) < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if y.size and (y.min() < 0 or y.max() >= n_classes or not np.all(y == np.round(y))):
        raise ValueError(f"y must hold integer labels in [0, {n_classes - 1}], got range [{y.min()}, {y.max()}]")
    return X, y.astype(int)


def with_bias(X) -> np.ndarray:
    """Append a column of ones, so that the bias is one more weight under the same Gaussian prior."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array [N, p], got shape {X.shape}")
    return np.hstack([X, np.ones((X.shape[0], 1))])


# --------------------------------------------------------------------------------------- logistic regression
def logistic_cost(X, y, lam: float, w) -> float:
    """C(w) = sum_i [softplus(z_i) - y_i z_i] + lam |w|^2 / 2 with z = X w (the summed, regularised cost)."""
    X, y = _design(X, y, binary=True)
    w = np.asarray(w, dtype=float)
    z = X @ w
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * (w @ w))


def _hessian_logdet_terms(X: np.ndarray, s: np.ndarray, lam: float) -> np.ndarray:
    """The eigenvalues mu_j of X^T diag(s) X that can be non-zero, from the smaller of the two Gram forms.

    The Hessian of C is X^T diag(s) X + lam I, so its eigenvalues are lam + mu_j (and lam for the rest).
    """
    r = np.sqrt(s)[:, None] * X  # [N, p]
    small = r @ r.T if X.shape[0] < X.shape[1] else r.T @ r
    return np.clip(np.linalg.eigvalsh(small), 0.0, None)


def _newton_direction(X: np.ndarray, s: np.ndarray, grad: np.ndarray, lam: float) -> np.ndarray:
    """Solve (X^T diag(s) X + lam I) d = grad, in the primal (p <= N) or by Woodbury (N < p)."""
    n, p = X.shape
    if p <= n:
        hess = (X.T * s) @ X
        hess[np.diag_indices(p)] += lam
        return _spd_solve(hess, grad)
    r = np.sqrt(s)[:, None] * X  # [N, p]
    inner = r @ r.T
    inner[np.diag_indices(n)] += lam
    return (grad - r.T @ _spd_solve(inner, r @ grad)) / lam


def _spd_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from scipy.linalg import cho_factor, cho_solve

    return cho_solve(cho_factor(a, lower=True, check_finite=False), b, check_finite=False)


def fit_logistic(X, y, lam: float, *, w_init=None, tol: float = 1e-10, max_iter: int = 500) -> np.ndarray:
    """The minimum w0 of the L2-regularised logistic cost, by Newton's method with backtracking.

    Parameters
    ----------
    X : array [N, p]
        Design matrix (add a bias column with :func:`with_bias`).
    y : array [N]
        0/1 labels.
    lam : float
        Regularisation coefficient (prior precision) on the *summed* cost; weight decay on the mean loss is lam/N.
    w_init : array [p], optional
        Starting point (warm start from a neighbouring lam saves most of the iterations).
    tol : float
        Stop when half the squared Newton decrement, an estimate of C(w) - C(w0), is below ``tol * max(1, C)``.
    max_iter : int
        Raise RuntimeError if not converged after this many Newton steps.

    Returns
    -------
    w0 : array [p]
    """
    X, y = _design(X, y, binary=True)
    lam = _positive("lam", lam)
    w = np.zeros(X.shape[1]) if w_init is None else np.array(w_init, dtype=float)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w_init must have shape ({X.shape[1]},), got {w.shape}")
    cost = logistic_cost(X, y, lam, w)
    for _ in range(max_iter):
        z = X @ w
        prob = expit(z)
        grad = X.T @ (prob - y) + lam * w
        step = _newton_direction(X, prob * (1 - prob), grad, lam)
        decrement = float(grad @ step)
        if decrement / 2 <= tol * max(1.0, abs(cost)):
            return w
        t = 1.0
        while True:  # backtracking (Armijo) line search
            trial = w - t * step
            trial_cost = logistic_cost(X, y, lam, trial)
            if trial_cost <= cost - 0.25 * t * decrement or t < 1e-12:
                break
            t *= 0.5
        w, cost = trial, trial_cost
    raise RuntimeError(f"fit_logistic did not converge in max_iter={max_iter} Newton steps (lam={lam:g})")


# ---------------------------------------------------------------------------------------- softmax regression
def softmax_cost(X, y, lam: float, W, n_classes: int) -> float:
    """C(W) = -sum_i ln softmax(x_i W)_{y_i} + lam |W|^2 / 2, with W of shape [p, n_classes]."""
    X, y = _design(X, y, binary=False, n_classes=n_classes)
    W = np.asarray(W, dtype=float)
    logp = log_softmax(X @ W, axis=1)
    return float(-logp[np.arange(len(y)), y].sum() + 0.5 * lam * np.sum(W * W))


def _softmax_hessian(X: np.ndarray, prob: np.ndarray, lam: float) -> np.ndarray:
    """Hessian of the softmax cost in the flattened (row-major [p, n]) parameter: sum_i x_i x_i^T (x) A_i."""
    n, p = X.shape
    k = prob.shape[1]
    # A_i = diag(prob_i) - prob_i prob_i^T; H[(a, c), (b, d)] = sum_i X[i, a] X[i, b] A_i[c, d]
    a = np.einsum("ic,cd->icd", prob, np.eye(k)) - prob[:, :, None] * prob[:, None, :]
    hess = np.einsum("ia,ib,icd->acbd", X, X, a).reshape(p * k, p * k)
    hess[np.diag_indices(p * k)] += lam
    return hess


def fit_softmax(
    X, y, lam: float, n_classes: int, *, W_init=None, tol: float = 1e-10, max_iter: int = 500
) -> np.ndarray:
    """The minimum W0 [p, n_classes] of the L2-regularised softmax cost, by Newton's method with backtracking.

    Every one of the p * n_classes weights has the same Gaussian prior, so the redundant direction (adding a
    constant to every class's logit) is fixed by the prior. The dense Hessian has (p * n_classes)^2 entries:
    meant for small problems. Parameters as in :func:`fit_logistic`.
    """
    X, y = _design(X, y, binary=False, n_classes=n_classes)
    lam = _positive("lam", lam)
    p, k = X.shape[1], int(n_classes)
    W = np.zeros((p, k)) if W_init is None else np.array(W_init, dtype=float)
    if W.shape != (p, k):
        raise ValueError(f"W_init must have shape ({p}, {k}), got {W.shape}")
    onehot = np.eye(k)[y]
    cost = softmax_cost(X, y, lam, W, k)
    for _ in range(max_iter):
        prob = np.exp(log_softmax(X @ W, axis=1))
        grad = (X.T @ (prob - onehot) + lam * W).ravel()
        step = _spd_solve(_softmax_hessian(X, prob, lam), grad)
        decrement = float(grad @ step)
        if decrement / 2 <= tol * max(1.0, abs(cost)):
            return W
        t = 1.0
        while True:
            trial = W - t * step.reshape(p, k)
            trial_cost = softmax_cost(X, y, lam, trial, k)
            if trial_cost <= cost - 0.25 * t * decrement or t < 1e-12:
                break
            t *= 0.5
        W, cost = trial, trial_cost
    raise RuntimeError(f"fit_softmax did not converge in max_iter={max_iter} Newton steps (lam={lam:g})")


# ----------------------------------------------------------------------------------------------- evidence
@dataclass
class Evidence:
    """The Laplace evidence at the minimum of C, split into its depth and breadth terms.

    Attributes
    ----------
    weights : array, w0 ([p] for logistic, [p, n_classes] for softmax)
    lam : float, the prior precision
    n_train : int, N
    n_classes : int, n (2 for logistic)
    data_nll : float, H(w0), the summed training cross-entropy
    cost : float, C(w0) = H(w0) + lam |w0|^2 / 2, the depth term
    occam : float, 1/2 sum_i ln(lam_i / lam) >= 0, the breadth term (minus the log Occam factor)
    hessian_extra : array, the eigenvalues lam_i - lam of the data part of the Hessian that can be non-zero
    """

    weights: np.ndarray
    lam: float
    n_train: int
    n_classes: int
    data_nll: float
    cost: float
    occam: float
    hessian_extra: np.ndarray

    @property
    def log_evidence(self) -> float:
        """ln P(y | x; M) ~= -C(w0) - occam."""
        return -self.cost - self.occam

    @property
    def null_log_evidence(self) -> float:
        """ln P(y | NULL) = -N ln n."""
        return -self.n_train * np.log(self.n_classes)

    @property
    def neg_log_evidence_ratio(self) -> float:
        """E = C(w0) + occam - N ln n: minus the log evidence ratio against the null model (E < 0 beats guessing)."""
        return -(self.log_evidence - self.null_log_evidence)

    @property
    def hessian_trace(self) -> float:
        """Trace of the Hessian of C at w0 (not invariant to rescaling the parameters, unlike ``occam``)."""
        return float(self.hessian_extra.sum() + self.lam * np.size(self.weights))

    @property
    def hessian_top(self) -> float:
        """Largest eigenvalue of the Hessian of C at w0 (not invariant to rescaling the parameters)."""
        return float(self.hessian_extra.max(initial=0.0) + self.lam)


def laplace_evidence(
    X, y, lam: float, *, model: str = "logistic", n_classes: int | None = None, w_init=None, tol: float = 1e-10
) -> Evidence:
    """Minimise C and return the Laplace evidence there (see the module docstring).

    Parameters
    ----------
    X : array [N, p]
        Design matrix (include a bias column via :func:`with_bias` to regularise the bias too).
    y : array [N]
        Labels: 0/1 for ``model='logistic'``, integers in [0, n_classes) for ``model='softmax'``.
    lam : float
        Prior precision on every parameter, on the summed cost.
    model : {'logistic', 'softmax'}
    n_classes : int, optional
        Required for ``'softmax'``; 2 for ``'logistic'``.
    w_init : array, optional
        Warm start for the Newton solve.
    tol : float
        Newton tolerance, see :func:`fit_logistic`.
    """
    lam = _positive("lam", lam)
    if model == "logistic":
        X, yy = _design(X, y, binary=True)
        w = fit_logistic(X, yy, lam, w_init=w_init, tol=tol)
        z = X @ w
        prob = expit(z)
        nll = float(np.sum(np.logaddexp(0.0, z) - yy * z))
        extra = _hessian_logdet_terms(X, prob * (1 - prob), lam)
        k = 2
    elif model == "softmax":
        X, yy = _design(X, y, binary=False, n_classes=n_classes)
        k = int(n_classes)
        w = fit_softmax(X, yy, lam, k, W_init=w_init, tol=tol)
        logp = log_softmax(X @ w, axis=1)
        nll = float(-logp[np.arange(len(yy)), yy].sum())
        extra = np.clip(np.linalg.eigvalsh(_softmax_hessian(X, np.exp(logp), lam)) - lam, 0.0, None)
    else:
        raise ValueError(f"model must be 'logistic' or 'softmax', got {model!r}")
    cost = nll + 0.5 * lam * float(np.sum(w * w))
    occam = 0.5 * float(np.sum(np.log1p(extra / lam)))
    return Evidence(
        weights=w, lam=lam, n_train=X.shape[0], n_classes=k, data_nll=nll, cost=cost, occam=occam, hessian_extra=extra
    )


# -------------------------------------------------------------------------------------------- noise scale
def noise_scale(lr, n_train, batch_size, momentum=0.0, *, exact: bool = True):
    """SGD's noise scale g = eps (N/B - 1) / (1 - m), or eps N / (B (1 - m)) with ``exact=False``.

    ``lr`` (eps) multiplies the gradient of the batch-*mean* loss; momentum follows A <- m A - eps grad
    (PyTorch SGD with dampening 0). Arguments broadcast like numpy arrays.

    >>> noise_scale(0.1, 1000, 10, 0.9, exact=False)
    100.0
    """
    lr, n, b, m = (np.asarray(v, dtype=float) for v in (lr, n_train, batch_size, momentum))
    if np.any(~np.isfinite(lr)) or np.any(lr <= 0):
        raise ValueError(f"lr must be positive, got {lr}")
    if np.any(b < 1) or np.any(b > n):
        raise ValueError(f"batch_size must lie in [1, n_train], got batch_size={b}, n_train={n}")
    if np.any(m < 0) or np.any(m >= 1):
        raise ValueError(f"momentum must lie in [0, 1), got {m}")
    g = lr * (n / b - 1.0) if exact else lr * n / b
    g = g / (1.0 - m)
    return float(g) if np.ndim(g) == 0 else g


def minibatch_mean_variance(per_example_variance, n_train: int, batch_size):
    """Variance of the mean of B of N values drawn without replacement: (1/B - 1/N) N/(N-1) Var.

    ``per_example_variance`` is the population variance (ddof=0) of the N per-example values (e.g. one gradient
    component). This is the finite-population form behind g = eps (N/B - 1).
    """
    n, b = float(n_train), np.asarray(batch_size, dtype=float)
    if n < 2:
        raise ValueError(f"n_train must be at least 2, got {n_train}")
    if np.any(b < 1) or np.any(b > n):
        raise ValueError(f"batch_size must lie in [1, n_train={n_train}], got {batch_size}")
    return (1.0 / b - 1.0 / n) * n / (n - 1.0) * np.asarray(per_example_variance, dtype=float)


def scaled_optimal_batch_size(b_opt0, lr0, n0, momentum0, lr, n_train, momentum):
    """The scaling rule B_opt(eps, N, m) = B_opt(eps0, N0, m0) (eps/eps0) (N/N0) (1 - m0)/(1 - m)."""
    for name, value in (("momentum0", momentum0), ("momentum", momentum)):
        if np.any(np.asarray(value) < 0) or np.any(np.asarray(value) >= 1):
            raise ValueError(f"{name} must lie in [0, 1), got {value}")
    return (
        np.asarray(b_opt0, float)
        * (np.asarray(lr, float) / lr0)
        * (np.asarray(n_train, float) / n0)
        * (1.0 - momentum0)
        / (1.0 - np.asarray(momentum, float))
    )
