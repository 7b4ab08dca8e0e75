"""pyRiemann's tangent space and MDM with their Riemannian means from :func:`karcher_mean`.

:class:`RiemannTangentSpace` and :func:`class_means` change only how the affine-invariant
mean is computed (:mod:`neurocompare.pipelines.common.riemann`: ``mean_riemann``'s own
iterates, with one eigendecomposition fewer per step and the matrices decomposed as a stack);
every other metric is passed to pyRiemann unchanged, and the tangent map, distances and
predictions are pyRiemann's own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyriemann.geometry.mean import gmean
from pyriemann.tangentspace import TangentSpace
from pyriemann.utils._check import check_metric

from neurocompare.pipelines.common.riemann import karcher_mean

__all__ = ["RiemannTangentSpace", "class_means", "riemann_mean"]


def riemann_mean(X: np.ndarray, metric: Any, sample_weight: np.ndarray | None = None
                 ) -> np.ndarray:
    """The mean of ``X`` (n_matrices, n, n) under pyRiemann's mean ``metric``:
    :func:`karcher_mean` for ``"riemann"``, pyRiemann's ``gmean`` for any other."""
    if isinstance(metric, str) and metric == "riemann":
        return karcher_mean(X, sample_weight)
    return gmean(X, metric=metric, sample_weight=sample_weight)


def class_means(X: np.ndarray, y: np.ndarray, classes: np.ndarray, metric: Any,
                sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Per-class means of ``X`` (n_matrices, n, n), shape (n_classes, n, n), in the order
    of ``classes``."""
    weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight)
    return np.stack([riemann_mean(X[y == c], metric, weights[y == c]) for c in classes])


class RiemannTangentSpace(TangentSpace):
    """pyRiemann's :class:`~pyriemann.tangentspace.TangentSpace` whose reference point, for
    the ``"riemann"`` mean, comes from :func:`karcher_mean`.

    Same parameters, attributes and tangent map as pyRiemann's; the reference follows
    pyRiemann's iterates and stopping test, so it equals pyRiemann's to rounding
    (``tests/test_riemann_mean.py``).
    """

    def fit(self, X, y=None, sample_weight=None):
        """Fit the reference matrix.

        Parameters
        ----------
        X : ndarray, shape (n_matrices, n_channels, n_channels)
            SPD matrices.
        y : ignored
        sample_weight : ndarray, shape (n_matrices,), optional
        """
        self._metric_mean, self._metric_map = check_metric(self.metric, ["mean", "map"])
        self.reference_ = riemann_mean(X, self._metric_mean, sample_weight)
        return self

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit the reference and return the tangent vectors, shape (n_matrices, n_ts)."""
        return self.fit(X, y, sample_weight=sample_weight).transform(X)
