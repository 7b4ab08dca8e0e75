"""The batched Karcher mean: the same minimiser as pyRiemann and nilearn, closed forms, and
the estimators built on it."""

from __future__ import annotations

import numpy as np
import pytest
from pyriemann.geometry.mean import mean_riemann
from pyriemann.tangentspace import TangentSpace

from neurocompare._errors import InputError
from neurocompare.pipelines.common.riemann import (
    arithmetic_harmonic_mean,
    karcher_logs,
    karcher_mean,
    log_weighted_sum,
    spd_function,
)
from neurocompare.pipelines.eeg.karcher import RiemannTangentSpace, class_means


def _spd(rng: np.random.Generator, n_matrices: int, n: int, spread: float = 1.0) -> np.ndarray:
    """Sample covariances of ``2 n`` samples, scaled by log-normal factors."""
    A = rng.standard_normal((n_matrices, n, 2 * n))
    X = A @ A.transpose(0, 2, 1) / (2 * n) + 0.05 * np.eye(n)
    return X * rng.lognormal(0.0, spread, n_matrices)[:, None, None]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _sqrtm(M: np.ndarray, power: float = 0.5) -> np.ndarray:
    return spd_function(*np.linalg.eigh(M), lambda v: v ** power)


@pytest.mark.parametrize("seed, n_matrices, n", [(0, 40, 6), (1, 110, 24), (2, 12, 3)])
def test_follows_pyriemanns_iterates(seed, n_matrices, n):
    X = _spd(np.random.default_rng(seed), n_matrices, n)
    exact = karcher_mean(X, tol=1e-13, maxiter=200)
    ours, n_iter, norm = karcher_mean(X, return_info=True)
    theirs = mean_riemann(X)
    assert norm <= 1e-8 and n_iter < 50
    assert _rel(ours, theirs) < 1e-12  # pyRiemann's iterates, in batches
    assert _rel(ours, exact) < 1e-8


def test_weighted_mean_equals_pyriemann_and_ignores_the_weight_scale():
    rng = np.random.default_rng(3)
    X, w = _spd(rng, 30, 5), rng.uniform(0.1, 2.0, 30)
    ours = karcher_mean(X, w)
    assert _rel(ours, mean_riemann(X, sample_weight=w / w.sum())) < 1e-8
    assert _rel(karcher_mean(X, 7.0 * w), ours) < 1e-12
    one_hot = np.zeros(30)
    one_hot[4] = 1.0
    assert _rel(karcher_mean(X, one_hot), X[4]) < 1e-10


def test_commuting_matrices_give_the_elementwise_geometric_mean():
    d = np.random.default_rng(4).lognormal(0.0, 1.0, (20, 5))
    X = np.stack([np.diag(row) for row in d])
    mean = karcher_mean(X, tol=1e-12)
    np.testing.assert_allclose(np.diag(mean), np.exp(np.log(d).mean(axis=0)), rtol=1e-11)
    np.testing.assert_allclose(mean, np.diag(np.diag(mean)), atol=1e-14)


def test_two_matrices_give_the_geodesic_midpoint():
    A, B = _spd(np.random.default_rng(5), 2, 4)
    a_half, a_inv_half = _sqrtm(A), _sqrtm(A, -0.5)
    midpoint = a_half @ _sqrtm(a_inv_half @ B @ a_inv_half) @ a_half
    assert _rel(karcher_mean(np.stack([A, B]), tol=1e-12), midpoint) < 1e-10


def test_affine_invariance():
    rng = np.random.default_rng(6)
    X, G = _spd(rng, 25, 5), rng.standard_normal((5, 5)) + 3 * np.eye(5)
    moved = G @ X @ G.T
    assert _rel(karcher_mean(moved, tol=1e-12), G @ karcher_mean(X, tol=1e-12) @ G.T) < 1e-9


def test_each_tools_schedule_gives_its_own_iterates():
    from nilearn.connectome.connectivity_matrices import _geometric_mean

    X = _spd(np.random.default_rng(7), 60, 10, spread=0.5)
    theirs = _geometric_mean(list(X), max_iter=30, tol=1e-7)  # ConnectivityMeasure's call
    nilearn_rule = {"tol": 1e-7, "maxiter": 30, "per_entry": True}
    assert _rel(karcher_mean(X, schedule="nilearn", **nilearn_rule), theirs) < 1e-12
    assert _rel(karcher_mean(X), mean_riemann(X)) < 1e-12  # pyRiemann's schedule and test
    # pyRiemann's schedule passes nilearn's test in fewer steps; both stop near the minimiser
    ours, steps, norm = karcher_mean(X, return_info=True, **nilearn_rule)
    _, nilearn_steps, _ = karcher_mean(X, schedule="nilearn", return_info=True, **nilearn_rule)
    exact = karcher_mean(X, tol=1e-13, maxiter=200)
    assert norm / 100 < 1e-7 and steps < nilearn_steps
    assert _rel(ours, exact) < 1e-5 and _rel(theirs, exact) < 1e-5


def test_log_weighted_sum_is_the_weighted_sum_of_matrix_logarithms():
    rng = np.random.default_rng(8)
    X, w = _spd(rng, 9, 4), rng.uniform(size=9)
    direct = sum(wi * spd_function(*np.linalg.eigh(x), np.log) for wi, x in zip(w, X, strict=True))
    np.testing.assert_allclose(log_weighted_sum(X, w), direct, atol=1e-12)


@pytest.mark.parametrize("bad, name", [
    (lambda X: X - 10 * np.eye(X.shape[-1]), "X"),
    (lambda X: X[:, :, :-1], "X"),
    (lambda X: np.where(np.eye(X.shape[-1], dtype=bool), np.nan, X), "X"),
])
def test_bad_input_is_a_clear_error(bad, name):
    X = _spd(np.random.default_rng(9), 5, 4)
    with pytest.raises(InputError, match=f"^{name}: expected"):
        karcher_mean(bad(X))
    with pytest.raises(InputError, match="sample_weight: expected"):
        karcher_mean(X, sample_weight=-np.ones(5))


def test_tangent_space_and_class_means_agree_with_pyriemann():
    rng = np.random.default_rng(10)
    X, y = _spd(rng, 60, 6), np.repeat([0, 1, 2], 20)
    ours = RiemannTangentSpace(metric="riemann").fit(X[:40])
    theirs = TangentSpace(metric="riemann").fit(X[:40])
    np.testing.assert_allclose(ours.transform(X[40:]), theirs.transform(X[40:]), rtol=1e-7,
                               atol=1e-9)
    np.testing.assert_allclose(ours.fit_transform(X), TangentSpace().fit_transform(X),
                               rtol=1e-7, atol=1e-9)
    means = class_means(X, y, np.array([0, 1, 2]), "riemann")
    for k in range(3):
        assert _rel(means[k], mean_riemann(X[y == k])) < 1e-8
    # other metrics go to pyRiemann unchanged
    logeuclid = RiemannTangentSpace(metric="logeuclid").fit(X)
    np.testing.assert_array_equal(logeuclid.reference_,
                                  TangentSpace(metric="logeuclid").fit(X).reference_)



def test_arithmetic_harmonic_start():
    """A # H: exact for two matrices, between H and A (Loewner order), nearer the mean than A,
    and the same minimiser when the descent starts there."""
    rng = np.random.default_rng(8)
    pair = _spd(rng, 2, 6)
    assert _rel(arithmetic_harmonic_mean(pair), karcher_mean(pair, tol=1e-13)) < 1e-12
    X, w = _spd(rng, 50, 8, spread=0.7), rng.uniform(0.2, 1.0, 50)
    start = arithmetic_harmonic_mean(X, w)
    arithmetic = np.tensordot(w / w.sum(), X, axes=1)
    harmonic = np.linalg.inv(np.tensordot(w / w.sum(), np.linalg.inv(X), axes=1))
    assert np.linalg.eigvalsh(arithmetic - start).min() > -1e-10
    assert np.linalg.eigvalsh(start - harmonic).min() > -1e-10
    exact = karcher_mean(X, w, tol=1e-13, maxiter=200)
    assert _rel(start, exact) < _rel(arithmetic, exact)
    ours, steps, _ = karcher_mean(X, w, init=start, return_info=True)
    _, plain_steps, _ = karcher_mean(X, w, return_info=True)
    assert _rel(ours, exact) < 1e-8 and steps <= plain_steps
    bad = X.copy()
    bad[3] = -np.eye(8)
    with pytest.raises(InputError, match="matrix 3"):
        arithmetic_harmonic_mean(bad)


@pytest.mark.parametrize("n", [5, 70])  # batched whitening, and LAPACK dsygst from 64 rows
def test_karcher_logs_returns_the_tested_iterate_and_its_tangent_vectors(n):
    X = _spd(np.random.default_rng(9), 12, n, spread=0.4)
    rule = {"tol": 1e-7, "maxiter": 30, "per_entry": True}
    out = karcher_logs(X, **rule)
    assert out.gradient_norm / n**2 <= 1e-7
    np.testing.assert_allclose(out.factor @ out.factor.T, out.mean, rtol=1e-12, atol=1e-12)
    # the tangent vectors from the returned decomposition, rotated into the symmetric frame
    whitening = _sqrtm(out.mean, -0.5)
    rotated = (whitening @ out.factor) @ out.eigenvectors
    logs = spd_function(out.eigenvalues, rotated, np.log)
    direct = np.stack([spd_function(*np.linalg.eigh(whitening @ x @ whitening), np.log)
                       for x in X])
    np.testing.assert_allclose(logs, direct, atol=1e-10)
    # one step short of karcher_mean's answer, both within the test's reach of the minimiser
    exact = karcher_mean(X, tol=1e-13, maxiter=200)
    assert _rel(out.mean, exact) < 1e-4 and _rel(karcher_mean(X, **rule), exact) < 1e-4
    with pytest.raises(InputError, match="maxiter"):
        karcher_logs(X, maxiter=0)
