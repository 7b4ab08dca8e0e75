"""The affine-invariant (Karcher) mean of SPD matrices, with batched eigendecompositions.

Every tangent-space and minimum-distance pipeline spends most of its fitting time in this
mean: pyRiemann's ``mean_riemann`` (the EEG pipelines, as MOABB runs them) and nilearn's
``_geometric_mean`` (the ABIDE tangent connectome) run the same gradient descent (Fletcher
et al. 2004, Algorithm 3),

.. math:: M \\leftarrow M^{1/2} \\exp\\Big(\\nu \\sum_i w_i \\log(M^{-1/2} X_i M^{-1/2})\\Big)
          M^{1/2},

and stop when the Frobenius norm of the gradient :math:`J = \\sum_i w_i \\log(\\cdot)` is
small. :func:`karcher_mean` computes the same minimiser with less work per iteration and
fewer iterations:

* each step whitens by the Cholesky factor :math:`L` of :math:`M` instead of
  :math:`M^{-1/2}` (which only rotates the gradient, leaving its norm and the step
  unchanged), so :math:`M` is never decomposed (pyRiemann decomposes it twice per step,
  nilearn three times), and matrices of 64 rows or more are whitened by LAPACK's
  ``dsygst``, a third of the work of two matrix products;
* the whitened matrices are decomposed as one stack (LAPACK ``syevd``; nilearn calls
  ``scipy.linalg.eigh`` one matrix at a time) and the weighted sum of their logarithms is one
  matrix product, ``[V_1 \\Lambda_1 w_1 | ... ] [V_1 | ... ]^T``, instead of ``n`` matrix
  products and a mean over a list;
* the descent starts, as in both tools, from the arithmetic mean, with either tool's step
  schedule (``schedule``). pyRiemann's (step 1, times 0.95 after every gain, halved after a
  loss) is the default: on EEG covariances and on the ABIDE connectomes the unit step
  overshoots and converges linearly (ratio about 0.55-0.6 per step), while the shrinking
  step reaches the same test in a third (SSVEP, 11 steps against 35) to two thirds (ABIDE,
  784 covariances of 200 ROIs: 8 against 13) of the steps. Starting from the log-Euclidean
  mean was measured too: it saves about one step and costs one; the
  :func:`arithmetic_harmonic_mean` start costs a fifth of a step and saves two on the ABIDE
  connectomes (6 steps instead of 8), none on SSVEP covariances;
* :func:`karcher_logs` stops at the iterate that passed the test and returns the
  decomposition of the whitened matrices computed for that test, so a tangent map of the
  same matrices (a training fold's) needs no second decomposition of the stack;
* positive definiteness is read from the eigenvalues the first iteration computes anyway
  (congruence keeps it), not checked by a separate decomposition of each matrix.

The result is the same minimiser. With pyRiemann's schedule and test (the defaults) the
iterates are ``mean_riemann``'s own, equal to rounding; with nilearn's (``schedule="nilearn",
per_entry=True, tol=1e-7, maxiter=30``, what ``ConnectivityMeasure`` asks for) they are
``_geometric_mean``'s. With pyRiemann's schedule and nilearn's test (the ABIDE tangent
connectome) the mean passes the test nilearn's passes, in fewer steps; the two differ by
about the test's tolerance (``tests/test_riemann_mean.py``, and the ABIDE speed benchmark,
which compares the two tools' means and predictions fold by fold).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.linalg import lapack, solve_triangular

from neurocompare._errors import check_option, input_error

__all__ = ["KarcherLogs", "KarcherResult", "arithmetic_harmonic_mean", "karcher_logs",
           "karcher_mean", "log_weighted_sum", "spd_function"]

logger = logging.getLogger(__name__)

#: Bytes of eigenvectors per block in :func:`log_weighted_sum` (4 matrices of 200 x 200; a
#: whole SSVEP fold of 24 x 24 matrices in one block).
_CHUNK_BYTES = 4 * 8 * 200 * 200


def spd_function(eigenvalues: np.ndarray, eigenvectors: np.ndarray,
                 fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``V diag(fn(w)) V^T`` for one matrix or a stack.

    Parameters
    ----------
    eigenvalues : ndarray, shape (..., n)
    eigenvectors : ndarray, shape (..., n, n)
        Columns are the eigenvectors.
    fn : callable
        Applied to the eigenvalues (``np.log``, ``np.sqrt``, ...).

    Returns
    -------
    ndarray, shape (..., n, n)
    """
    scaled = eigenvectors * fn(eigenvalues)[..., None, :]
    return scaled @ np.ascontiguousarray(np.swapaxes(eigenvectors, -1, -2))


def _check_positive(eigenvalues: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(eigenvalues)) or eigenvalues.min() <= 0:
        bad = int(np.sum(~(eigenvalues.min(axis=-1) > 0)))
        raise input_error(what, "symmetric positive definite matrices",
                          f"{bad} of {len(eigenvalues)} with an eigenvalue <= 0 or not finite")


def log_weighted_sum(matrices: np.ndarray, weights: np.ndarray,
                     what: str = "X") -> np.ndarray:
    """``sum_i w_i log(X_i)`` of a stack of SPD matrices, as one matrix product.

    Parameters
    ----------
    matrices : ndarray, shape (n_matrices, n, n)
        Symmetric positive definite.
    weights : ndarray, shape (n_matrices,)
    what : str
        Name used in the error for a matrix that is not positive definite.

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric.
    """
    return _log_weighted_sum(matrices, weights, what)[0]


#: From this size on, each matrix is whitened by LAPACK's ``dsygst`` (about n^3 flops, using
#: the symmetry) rather than by two products with the inverse factor (4 n^3): 0.55 s
#: instead of 1.6 s for 783 matrices of 200 x 200; smaller matrices are faster batched.
_SYGST_SIZE = 64


def _whiten(X: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """``L^{-1} X_i L^{-T}`` for a lower-triangular ``L``; only the lower triangles are set.

    Parameters
    ----------
    X : ndarray, shape (n_matrices, n, n)
        Symmetric.
    lower : ndarray, shape (n, n)
        Cholesky factor.

    Returns
    -------
    ndarray, shape (n_matrices, n, n)
    """
    n = X.shape[-1]
    if n < _SYGST_SIZE:
        inverse = solve_triangular(lower, np.eye(n), lower=True)
        return inverse @ X @ inverse.T
    out = np.empty_like(X)
    for i, matrix in enumerate(X):
        out[i] = lapack.dsygst(matrix, lower, itype=1, lower=1)[0]
    return out


def _cholesky(matrix: np.ndarray, what: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError as exc:
        raise input_error(what, "a symmetric positive definite matrix",
                          "a matrix without a Cholesky factor") from exc


#: Below this size, stacks are decomposed by torch's LAPACK (MKL in the CPU wheel), which is
#: 30-35 % faster than numpy's (OpenBLAS) on EEG covariances: 0.72 ms instead of 1.06 ms for
#: 26 matrices of 24 x 24, 0.19 instead of 0.29 ms for 7; on 784 matrices of 200 x 200 it is
#: no faster (2.49 s against 2.45 s).
_TORCH_EIGH_SIZE = 64


def _eigh(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix or stack, read from the
    lower triangles, shapes (..., n) and (..., n, n)."""
    if matrices.shape[-1] < _TORCH_EIGH_SIZE:
        import torch  # a dependency of the deep pipelines; imported only when used

        values, vectors = torch.linalg.eigh(torch.from_numpy(np.ascontiguousarray(matrices)))
        return values.numpy(), vectors.numpy()
    return np.linalg.eigh(matrices)


def _log_weighted_sum(matrices: np.ndarray, weights: np.ndarray, what: str = "X"
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`log_weighted_sum`, and the eigenvalues and eigenvectors it came from."""
    eigenvalues, eigenvectors = _eigh(matrices)  # lower triangles only
    _check_positive(eigenvalues, what)
    n = matrices.shape[-1]
    logs = np.log(eigenvalues) * weights[:, None]
    total = np.zeros((n, n))
    # [U_1 | U_2 | ...] @ [V_1 | V_2 | ...]^T = sum_i U_i V_i^T, in blocks small enough for
    # the side-by-side copies to stay in cache (measured: 0.33 s instead of 0.51 s for 784
    # matrices of 200 x 200) and large enough to keep small matrices in few products
    chunk = max(1, _CHUNK_BYTES // (8 * n * n))
    for start in range(0, len(matrices), chunk):
        vectors = eigenvectors[start:start + chunk]
        left = (vectors * logs[start:start + chunk, None, :]).transpose(1, 0, 2)
        total += left.reshape(n, -1) @ vectors.transpose(1, 0, 2).reshape(n, -1).T
    return (total + total.T) / 2, eigenvalues, eigenvectors


def arithmetic_harmonic_mean(X: np.ndarray, sample_weight: np.ndarray | None = None
                             ) -> np.ndarray:
    """The geometric mean ``A # H`` of the arithmetic mean ``A`` and the harmonic mean ``H``
    of SPD matrices: a start for :func:`karcher_mean`.

    ``H <= Karcher mean <= A`` (Loewner order) and ``A # H`` is the Karcher mean itself for
    two matrices, so it starts the descent nearer than ``A`` does at the cost of one Cholesky
    inverse per matrix (about a fifth of a step's eigendecompositions). Measured on an ABIDE
    training fold (783 covariances of 200 ROIs): gradient norm 4.9 at the start instead of
    19, and nilearn's test passed after 6 gradient evaluations instead of 8. On the small
    SSVEP filter-bank covariances it saves nothing (324 against 331 steps over 30 means).

    Parameters
    ----------
    X : ndarray, shape (n_matrices, n, n)
        Symmetric positive definite.
    sample_weight : ndarray, shape (n_matrices,), optional

    Returns
    -------
    ndarray, shape (n, n)
    """
    X = np.asarray(X, dtype=np.float64)
    weights = _weights(sample_weight, len(X))
    precision = np.zeros(X.shape[1:])
    for k, (matrix, weight) in enumerate(zip(X, weights, strict=True)):
        factor, info = lapack.dpotrf(matrix, lower=1, clean=1)
        if info != 0:
            raise input_error("X", "symmetric positive definite matrices",
                              f"matrix {k} has no Cholesky factor (LAPACK info {info})")
        inverse, _ = lapack.dpotri(factor, lower=1)  # lower triangle of the inverse
        precision += weight * inverse
    precision = np.tril(precision) + np.tril(precision, -1).T
    arithmetic = np.tensordot(weights, X, axes=1)
    values, vectors = np.linalg.eigh(arithmetic)
    _check_positive(values[None], "X")
    root = spd_function(values, vectors, np.sqrt)
    # A^{-1/2} H A^{-1/2} = (A^{1/2} H^{-1} A^{1/2})^{-1}: its square root from one eigh
    inner_values, inner_vectors = np.linalg.eigh(root @ precision @ root)
    _check_positive(inner_values[None], "X")
    mean = root @ spd_function(inner_values, inner_vectors, lambda v: 1.0 / np.sqrt(v)) @ root
    return (mean + mean.T) / 2


class KarcherResult(NamedTuple):
    """What :func:`karcher_mean` returns with ``return_info=True``."""

    mean: np.ndarray
    n_iter: int
    gradient_norm: float


class KarcherLogs(NamedTuple):
    """What :func:`karcher_logs` returns: the mean and the decomposition of the whitened
    matrices at it.

    ``factor`` is a matrix ``F`` with ``mean = F F^T``; ``eigenvalues[i]`` and
    ``eigenvectors[i]`` decompose ``F^{-1} X_i F^{-T}``, so with the orthogonal
    ``Q = mean^{-1/2} F`` the tangent vector ``log(mean^{-1/2} X_i mean^{-1/2})`` is
    ``(Q V_i) diag(log eigenvalues[i]) (Q V_i)^T``.
    """

    mean: np.ndarray
    factor: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    n_iter: int
    gradient_norm: float


def _weights(sample_weight: np.ndarray | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.full(n, 1.0 / n)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0) \
            or weights.sum() <= 0:
        raise input_error("sample_weight", f"{n} finite non-negative weights, not all zero",
                          f"shape {weights.shape}")
    return weights / weights.sum()


def karcher_mean(X: np.ndarray, sample_weight: np.ndarray | None = None, *,
                 tol: float = 1e-8, maxiter: int = 50, init: np.ndarray | None = None,
                 per_entry: bool = False, schedule: str = "pyriemann",
                 return_info: bool = False) -> np.ndarray | KarcherResult:
    """Affine-invariant Riemannian (Karcher) mean of SPD matrices.

    Parameters
    ----------
    X : ndarray, shape (n_matrices, n, n)
        Symmetric positive definite matrices.
    sample_weight : ndarray, shape (n_matrices,), optional
        Non-negative weights (normalised to sum to one); equal weights by default.
    tol : float
        Stop after the step whose Riemannian gradient (the weighted mean of the whitened
        logarithms) has a Frobenius norm of at most ``tol`` (pyRiemann's criterion and
        default).
    maxiter : int
        Largest number of gradient steps; reaching it is logged, not raised.
    init : ndarray, shape (n, n), optional
        Starting point; the (weighted) arithmetic mean by default.
    per_entry : bool
        Compare ``||gradient||_F / n**2`` with ``tol`` (nilearn's test) instead of the norm
        itself (pyRiemann's).
    schedule : {"pyriemann", "nilearn"}
        Step sizes, starting at 1: pyRiemann's (times 0.95 after each step that lowered
        ``step * ||gradient||``, halved otherwise) or nilearn's (halved when the gradient
        norm grew). pyRiemann's converges in far fewer steps on EEG covariances (11 against
        35 for one SSVEP class, the step-1 descent overshooting), and both stop when the
        step falls below ``tol``.
    return_info : bool
        Also return the number of gradient steps and the final gradient norm.

    Returns
    -------
    ndarray, shape (n, n), or KarcherResult
        The mean (symmetric), or ``(mean, n_iter, gradient_norm)`` where ``gradient_norm``
        is the norm at the start of the last step.
    """
    out = _descend(X, sample_weight, tol, maxiter, init, per_entry, schedule, final_step=True)
    return KarcherResult(out.mean, out.n_iter, out.gradient_norm) if return_info else out.mean


def karcher_logs(X: np.ndarray, sample_weight: np.ndarray | None = None, *,
                 tol: float = 1e-8, maxiter: int = 50, init: np.ndarray | None = None,
                 per_entry: bool = False, schedule: str = "pyriemann") -> KarcherLogs:
    """The Karcher mean with the eigendecomposition of the matrices whitened by it, for a
    tangent map of the same matrices without decomposing them again.

    The same descent as :func:`karcher_mean` (same parameters), except that it stops at the
    iterate whose gradient passed the test instead of taking one more step from it (both
    tools take that step): the returned mean is the one the test certified, and the
    decomposition computed for that test is the tangent map's.

    Returns
    -------
    KarcherLogs
        ``eigenvalues`` shape (n_matrices, n), ``eigenvectors`` and the factor shape
        (n_matrices, n, n) and (n, n).
    """
    return _descend(X, sample_weight, tol, maxiter, init, per_entry, schedule,
                    final_step=False)


def _descend(X: np.ndarray, sample_weight: np.ndarray | None, tol: float, maxiter: int,
             init: np.ndarray | None, per_entry: bool, schedule: str, *, final_step: bool
             ) -> KarcherLogs:
    """The descent of :func:`karcher_mean` (``final_step=True``: one more step after the
    test passed, as both tools take) or :func:`karcher_logs` (stop at the tested iterate)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[1] != X.shape[2] or len(X) == 0:
        raise input_error("X", "a stack of square matrices (n_matrices, n, n)",
                          f"shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise input_error("X", "finite matrices", f"{int(np.sum(~np.isfinite(X)))} entries "
                          "that are NaN or infinite")
    if not isinstance(maxiter, int | np.integer) or maxiter < 1:
        raise input_error("maxiter", "a positive integer", maxiter)
    weights = _weights(sample_weight, len(X))
    if init is None:
        mean = np.tensordot(weights, X, axes=1)
    else:
        mean = np.asarray(init, dtype=np.float64)
        if mean.shape != X.shape[1:]:
            raise input_error("init", f"a matrix of shape {X.shape[1:]}", f"shape {mean.shape}")
    check_option("schedule", schedule, ("pyriemann", "nilearn"))
    scale = X.shape[-1] ** 2 if per_entry else 1.0
    # Each step whitens by the Cholesky factor L of the mean instead of M^{-1/2}: that
    # rotates every whitened matrix, their logarithms and the gradient by the same orthogonal
    # Q (L = M^{1/2} Q), so the gradient's norm and the step
    # L exp(t Q^T J Q) L^T = M^{1/2} exp(t J) M^{1/2} are the tools' own; the mean is never
    # decomposed, and large matrices are whitened by dsygst (see _whiten).
    factor = _cholesky(mean, "init" if init is not None else "X")
    step, best = 1.0, np.inf
    for n_iter in range(1, maxiter + 1):
        gradient, whitened_values, whitened_vectors = _log_weighted_sum(
            _whiten(X, factor), weights)
        norm = float(np.linalg.norm(gradient))
        taken = step
        if schedule == "pyriemann":  # shrink 5 % after a gain, halve after a loss
            if step * norm < best:
                step, best = 0.95 * step, step * norm
            else:
                step /= 2.0
        elif norm < best:  # nilearn: halve when the gradient grew
            best = norm
        elif norm > best:
            step /= 2.0
        converged = norm / scale <= tol or step <= tol
        if not converged and n_iter == maxiter:
            logger.info("Karcher mean: %d steps without reaching a gradient norm of %g "
                        "(%.3g)", maxiter, tol, norm)
        if not final_step and (converged or n_iter == maxiter):
            break
        # the last step is taken too (as both tools do): it costs one small decomposition
        values, vectors = _eigh(taken * gradient)
        root = (factor @ vectors) * np.exp(values / 2)
        mean = root @ root.T
        mean = (mean + mean.T) / 2
        if converged:
            break
        factor = _cholesky(mean, "mean")
    return KarcherLogs(mean, factor, whitened_values, whitened_vectors, n_iter, norm)
