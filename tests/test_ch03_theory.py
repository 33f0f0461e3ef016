"""Chapter 3's theory: Newton minimum, Laplace evidence against quadrature, Occam invariance, noise-scale identities."""

import numpy as np
import pytest
from scipy.special import expit, logsumexp

from lrlib.papers.ch03_bayesian_batch_size import theory


def _logistic_data(n, *, w_true=(1.5,), bias=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(w_true)))
    z = X @ np.asarray(w_true) + (0.0 if bias is None else bias)
    y = (rng.random(n) < expit(z)).astype(float)
    return (X if bias is None else theory.with_bias(X)), y


def _quadrature_log_evidence(X, y, lam, centre, half_width, n_points):
    """ln[ sqrt(lam/2pi)^p * integral of e^{-C(w)} dw ] for logistic regression, on a regular grid (p <= 2)."""
    axes = [np.linspace(c - half_width, c + half_width, n_points) for c in centre]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(centre))  # [G, p]
    z = grid @ X.T  # [G, N]
    cost = np.sum(np.logaddexp(0.0, z) - y * z, axis=1) + 0.5 * lam * np.sum(grid**2, axis=1)
    cell = np.prod([a[1] - a[0] for a in axes])
    return 0.5 * len(centre) * np.log(lam / (2 * np.pi)) + logsumexp(-cost) + np.log(cell)


def _mean_laplace_error(n, *, with_bias, lam=1.0, seeds=4):
    errors = []
    for s in range(seeds):
        X, y = _logistic_data(n, bias=0.5 if with_bias else None, seed=1000 * s + n)
        fit = theory.laplace_evidence(X, y, lam)
        width = 10 / np.sqrt(fit.hessian_extra.min() + lam)  # 10 posterior sd along the softest direction
        exact = _quadrature_log_evidence(X, y, lam, fit.weights, width, 2001 if X.shape[1] == 1 else 121)
        errors.append(abs(fit.log_evidence - exact))
    return float(np.mean(errors))


def test_newton_minimum_has_zero_gradient_and_beats_neighbours():
    X, y = _logistic_data(200, w_true=(1.0, -2.0, 0.5), bias=0.3)
    lam = 0.7
    w0 = theory.fit_logistic(X, y, lam)
    grad = X.T @ (expit(X @ w0) - y) + lam * w0
    assert np.abs(grad).max() < 1e-6
    c0 = theory.logistic_cost(X, y, lam, w0)
    rng = np.random.default_rng(1)
    for _ in range(20):
        assert theory.logistic_cost(X, y, lam, w0 + 1e-3 * rng.normal(size=w0.shape)) > c0


def test_woodbury_path_matches_primal_when_features_outnumber_examples():
    rng = np.random.default_rng(3)
    X = theory.with_bias(rng.normal(size=(30, 60)))  # N < p: Woodbury solve and N x N Gram form
    y = (rng.random(30) < 0.5).astype(float)  # random labels: separable, weak prior
    lam = 0.05
    fit = theory.laplace_evidence(X, y, lam)
    hess = (X.T * (expit(X @ fit.weights) * (1 - expit(X @ fit.weights)))) @ X + lam * np.eye(X.shape[1])
    grad = X.T @ (expit(X @ fit.weights) - y) + lam * fit.weights
    assert np.abs(grad).max() < 1e-6
    sign, logdet = np.linalg.slogdet(hess / lam)
    assert sign > 0
    assert fit.occam == pytest.approx(0.5 * logdet, rel=1e-8)  # 1/2 log det(H/lam) = 1/2 sum ln(lam_i/lam)
    eig = np.linalg.eigvalsh(hess)
    assert fit.occam == pytest.approx(0.5 * np.sum(np.log(eig / lam)), rel=1e-8)
    assert fit.occam >= 0 and np.all(eig >= lam * (1 - 1e-10))


def test_laplace_matches_quadrature_in_one_dimension_with_error_of_order_one_over_n():
    errors = [_mean_laplace_error(n, with_bias=False) for n in (40, 160, 640, 2560)]
    assert errors[0] < 0.02  # already close at N = 40
    assert all(b < a for a, b in zip(errors, errors[1:]))  # the error shrinks as N grows...
    assert 0.1 < errors[3] / errors[2] < 0.4  # ...as 1/N once the data dominate the prior (1/4)


def test_laplace_matches_quadrature_in_two_dimensions():
    errors = [_mean_laplace_error(n, with_bias=True) for n in (20, 80, 320)]  # weight and bias
    assert errors[0] < 0.05
    assert errors[2] < errors[1] < errors[0]
    assert errors[2] < 0.01


def test_softmax_laplace_matches_quadrature_in_two_dimensions():
    rng = np.random.default_rng(5)
    n, lam = 120, 1.0
    x = rng.normal(size=(n, 1))
    y = (rng.random(n) < expit(2.0 * x[:, 0])).astype(int)
    fit = theory.laplace_evidence(x, y, lam, model="softmax", n_classes=2)  # 2 parameters: one per class
    axis = np.linspace(-8, 8, 201) / np.sqrt(lam)  # the prior's scale bounds the softest direction
    w1, w2 = np.meshgrid(fit.weights[0, 0] + axis, fit.weights[0, 1] + axis, indexing="ij")
    logits = x[:, 0][None, None, :] * np.stack([w1, w2])[..., None]  # [2, G, G, N]
    nll = -np.sum(np.where(y == 1, logits[1], logits[0]) - np.logaddexp(logits[0], logits[1]), axis=-1)
    cost = nll + 0.5 * lam * (w1**2 + w2**2)
    exact = np.log(lam / (2 * np.pi)) + logsumexp(-cost) + 2 * np.log(axis[1] - axis[0])
    assert abs(fit.log_evidence - exact) < 0.05
    assert fit.n_classes == 2 and fit.weights.shape == (1, 2)


def test_softmax_gradient_vanishes_at_minimum_for_three_classes():
    rng = np.random.default_rng(2)
    X = theory.with_bias(rng.normal(size=(90, 3)))
    y = rng.integers(0, 3, size=90)
    fit = theory.laplace_evidence(X, y, 0.3, model="softmax", n_classes=3)
    logits = X @ fit.weights
    prob = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    grad = X.T @ (prob - np.eye(3)[y]) + 0.3 * fit.weights
    assert np.abs(grad).max() < 1e-6
    assert fit.occam > 0 and fit.neg_log_evidence_ratio == pytest.approx(fit.cost + fit.occam - 90 * np.log(3))


def test_occam_invariant_under_rescaling_while_raw_sharpness_changes():
    X, y = _logistic_data(150, w_true=(1.0, -1.0), bias=0.2, seed=7)
    lam, a = 0.5, 3.0
    base = theory.laplace_evidence(X, y, lam)
    scaled = theory.laplace_evidence(a * X, y, lam * a**2)  # same predictive function, rescaled prior
    assert np.allclose(scaled.weights * a, base.weights, atol=1e-6)
    assert scaled.occam == pytest.approx(base.occam, rel=1e-7)
    assert scaled.log_evidence == pytest.approx(base.log_evidence, rel=1e-7)
    assert scaled.hessian_trace == pytest.approx(a**2 * base.hessian_trace, rel=1e-7)
    assert scaled.hessian_top == pytest.approx(a**2 * base.hessian_top, rel=1e-7)


def test_null_model_and_sign_convention():
    X, y = _logistic_data(100, bias=0.0, seed=11)
    fit = theory.laplace_evidence(X, y, 1.0)
    assert fit.null_log_evidence == pytest.approx(-100 * np.log(2))
    assert fit.neg_log_evidence_ratio == pytest.approx(fit.cost + fit.occam - 100 * np.log(2))
    assert fit.neg_log_evidence_ratio < 0  # informative labels beat guessing


def test_noise_scale_identities():
    assert theory.noise_scale(0.3, 1000, 1000) == 0.0
    assert theory.noise_scale(0.1, 1000, 10, 0.9, exact=False) == pytest.approx(100.0)
    assert theory.noise_scale(0.1, 10**6, 10) == pytest.approx(
        theory.noise_scale(0.1, 10**6, 10, exact=False), rel=1e-4
    )
    assert theory.noise_scale(0.2, 10**6, 20) == pytest.approx(theory.noise_scale(0.1, 10**6, 10), rel=1e-4)
    assert theory.noise_scale(0.1, 100, 10, 0.5) == pytest.approx(2 * theory.noise_scale(0.1, 100, 10))
    g = theory.noise_scale(np.array([0.1, 0.2]), 100, np.array([10, 20]))
    assert np.allclose(g, [0.9, 0.8])


@pytest.mark.parametrize(
    "kwargs, word",
    [
        (dict(lr=-0.1, n_train=10, batch_size=2), "lr"),
        (dict(lr=0.1, n_train=10, batch_size=20), "batch_size"),
        (dict(lr=0.1, n_train=10, batch_size=2, momentum=1.0), "momentum"),
    ],
)
def test_noise_scale_rejects_bad_values(kwargs, word):
    with pytest.raises(ValueError, match=word):
        theory.noise_scale(**kwargs)


def test_laplace_rejects_bad_arguments():
    X, y = _logistic_data(10, bias=0.0)
    with pytest.raises(ValueError, match="lam"):
        theory.laplace_evidence(X, y, 0.0)
    with pytest.raises(ValueError, match="model"):
        theory.laplace_evidence(X, y, 1.0, model="probit")
    with pytest.raises(ValueError, match="0/1"):
        theory.laplace_evidence(X, y + 1, 1.0)


def test_minibatch_gradient_variance_without_replacement():
    X, y = _logistic_data(60, w_true=(1.0, 0.5), bias=0.1, seed=4)
    w = np.array([0.3, -0.2, 0.1])
    per_example = (expit(X @ w) - y)[:, None] * X  # [N, p] per-example gradients
    n, b, draws = len(y), 8, 40000
    rng = np.random.default_rng(0)
    idx = np.argsort(rng.random((draws, n)), axis=1)[:, :b]  # each row: a batch without replacement
    means = per_example[idx].mean(axis=1)  # [draws, p]
    predicted = theory.minibatch_mean_variance(per_example.var(axis=0), n, b)
    assert np.allclose(means.var(axis=0), predicted, rtol=0.04)
    with_replacement = per_example.var(axis=0) / b
    assert np.all(predicted < with_replacement)  # the finite-population factor is visible
    assert np.allclose(theory.minibatch_mean_variance(1.0, n, n), 0.0)


def test_scaled_optimal_batch_size_rule():
    assert theory.scaled_optimal_batch_size(10, 0.1, 1000, 0.9, 0.2, 2000, 0.9) == pytest.approx(40)
    assert theory.scaled_optimal_batch_size(10, 0.1, 1000, 0.0, 0.1, 1000, 0.5) == pytest.approx(20)
