"""Thin scikit-learn transformers over the connectome math of :mod:`.features`.

* :class:`Connectivity` -- nilearn's ``ConnectivityMeasure`` (correlation, partial
  correlation, tangent, ...) fitted on the training fold it is given: for ``"tangent"`` the
  reference (geometric mean) covariance comes from training subjects only;
* :class:`GraphMeasures` -- node and global graph measures of thresholded connectomes;
* :class:`PersistenceFeatures` -- Betti curves of the Vietoris-Rips filtration on the
  correlation distance;
* :class:`FixedLength` -- crop or zero-pad ROI time series to one length for the networks.

All inputs are validated (:func:`~._input.as_timeseries` for series, 3-D matrix stacks
otherwise) and every fitted attribute ends in ``_``.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.covariance import LedoitWolf
from sklearn.utils.validation import check_array, check_is_fitted

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.common.riemann import (
    KarcherLogs,
    arithmetic_harmonic_mean,
    karcher_logs,
    spd_function,
)
from neurocompare.pipelines.connectome._input import as_timeseries
from neurocompare.pipelines.connectome.features import (
    DIAGRAMS,
    graph_measures,
    persistence_features,
    sym_to_vec,
)

__all__ = ["Connectivity", "FixedLength", "GraphMeasures", "PersistenceFeatures"]

logger = logging.getLogger(__name__)

KINDS = ("correlation", "partial correlation", "tangent", "covariance", "precision")


class Connectivity(TransformerMixin, BaseEstimator):
    """Per-subject connectomes from ROI time series (nilearn ``ConnectivityMeasure``).

    Parameters
    ----------
    kind : {"correlation", "partial correlation", "tangent", "covariance", "precision"}
        nilearn's connectivity kind. ``"tangent"`` learns a group reference (the geometric
        mean of the training covariances) in ``fit``; the others learn nothing that
        ``transform`` uses.
    vectorize : bool
        Return the lower triangle (:func:`~.features.sym_to_vec`) instead of matrices.
    discard_diagonal : bool
        Drop the diagonal when vectorising.
    cov_estimator : estimator, optional
        Covariance estimator (default: nilearn's ``LedoitWolf(store_precision=False)``).
    chunk_size : int
        Subjects transformed at a time (bounds the transient memory of ``transform``).

    Attributes
    ----------
    measure_ : nilearn.connectome.ConnectivityMeasure
        The fitted measure (every kind but ``"tangent"``).
    reference_ : ndarray, shape (n_rois, n_rois)
        ``"tangent"`` only: the training-fold reference covariance, the Karcher mean of the
        training covariances (:func:`~neurocompare.pipelines.common.riemann.karcher_logs`
        with nilearn's stopping test, batched eigendecompositions, pyRiemann's step schedule
        and the arithmetic-harmonic start: the iterate that passed the test nilearn's
        ``_geometric_mean`` passes, reached in fewer steps).
    whitening_ : ndarray, shape (n_rois, n_rois)
        ``"tangent"`` only: ``reference_ ** -1/2``.
    cov_estimator_ : estimator
        ``"tangent"`` only: the covariance estimator used.
    n_features_in_ : int
        Number of ROIs (columns of a 2-D input).

    Notes
    -----
    A ROI that is constant in a subject (zero variance, e.g. outside the field of view)
    has an undefined (0/0) correlation with every other ROI; like every non-finite entry it
    is set to 0, as in the ABIDE anchors. Covariance-based kinds stay finite because the
    Ledoit-Wolf shrinkage keeps the covariance positive definite.
    """

    def __init__(self, kind: str = "correlation", vectorize: bool = True,
                 discard_diagonal: bool = True, cov_estimator=None, chunk_size: int = 64):
        self.kind = kind
        self.vectorize = vectorize
        self.discard_diagonal = discard_diagonal
        self.cov_estimator = cov_estimator
        self.chunk_size = chunk_size

    def fit(self, X, y=None):
        """Fit the measure on the training subjects.

        Parameters
        ----------
        X : sequence of ndarray, each shape (n_timepoints_i, n_rois)
            See :func:`~._input.as_timeseries` for the accepted forms.
        y : ignored
        """
        self._fit(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit on ``X`` and return its connectomes (for ``"tangent"`` the training
        covariances are estimated once, as nilearn's ``fit_transform`` does)."""
        descent = self._fit(X)
        return self.transform(X) if descent is None else self._tangent_from(descent)

    def _fit(self, X) -> KarcherLogs | None:
        """Fit; return the descent to the reference (``"tangent"``), else None."""
        from nilearn.connectome import ConnectivityMeasure

        check_option("kind", self.kind, KINDS)
        if not isinstance(self.chunk_size, (int, np.integer)) or self.chunk_size < 1:
            raise input_error("chunk_size", "a positive integer", self.chunk_size)
        series = as_timeseries(self, X, reset=True)
        if self.kind == "tangent":
            self.cov_estimator_ = (LedoitWolf(store_precision=False)
                                   if self.cov_estimator is None else clone(self.cov_estimator))
            covariances = self._covariances(series)
            # nilearn's stopping test and step cap; pyRiemann's step schedule, which passes
            # that test in fewer steps (8 against 13 on an ABIDE training fold), from the
            # arithmetic-harmonic mean instead of the arithmetic one (6 steps instead of 8);
            # the reference is the iterate that passed the test, whose decomposition of the
            # whitened training covariances gives their tangent vectors (fit_transform)
            descent = karcher_logs(covariances, tol=1e-7, maxiter=30, per_entry=True,
                                   init=arithmetic_harmonic_mean(covariances))
            self.reference_ = descent.mean
            self.whitening_ = spd_function(*np.linalg.eigh(self.reference_),
                                           lambda v: 1.0 / np.sqrt(v))
            return descent
        with np.errstate(divide="ignore", invalid="ignore"):  # constant ROIs: 0/0
            self.measure_ = ConnectivityMeasure(cov_estimator=self.cov_estimator,
                                                kind=self.kind, vectorize=False).fit(series)
        return None

    def _covariances(self, series) -> np.ndarray:
        """Covariance of each subject, shape (n_subjects, n_rois, n_rois), as nilearn's
        ``ConnectivityMeasure`` estimates them (``cov_estimator_.fit(x).covariance_``)."""
        return np.stack([self.cov_estimator_.fit(x).covariance_ for x in series])

    def _output(self, mats: np.ndarray) -> np.ndarray:
        mats = np.nan_to_num(np.asarray(mats, dtype=np.float64), nan=0.0, posinf=0.0,
                             neginf=0.0)
        return sym_to_vec(mats, self.discard_diagonal) if self.vectorize else mats

    def _tangent(self, covariances: np.ndarray) -> np.ndarray:
        """Logarithms of the whitened covariances (nilearn's tangent map), in chunks."""
        return self._logs(len(covariances), lambda chunk: np.linalg.eigh(
            self.whitening_ @ covariances[chunk] @ self.whitening_))

    def _tangent_from(self, descent: KarcherLogs) -> np.ndarray:
        """Tangent vectors of the training covariances from the decomposition the reference's
        last gradient used: whitened by the factor ``F`` of the reference, they are rotated
        by the orthogonal ``Q = reference^{-1/2} F`` into nilearn's frame."""
        rotation = self.whitening_ @ descent.factor
        return self._logs(len(descent.eigenvalues), lambda chunk: (
            descent.eigenvalues[chunk], rotation @ descent.eigenvectors[chunk]))

    def _logs(self, n: int, decompose) -> np.ndarray:
        """Output of the matrix logarithms of ``n`` whitened matrices, ``chunk_size`` at a
        time; ``decompose(chunk)`` gives the chunk's eigenvalues and eigenvectors."""
        return np.concatenate([
            self._output(spd_function(*decompose(slice(start, start + self.chunk_size)),
                                      np.log))
            for start in range(0, n, self.chunk_size)])

    def transform(self, X) -> np.ndarray:
        """Connectomes of ``X``.

        Returns
        -------
        ndarray, shape (n_subjects, n_pairs) or (n_subjects, n_rois, n_rois)
            ``n_pairs = n_rois (n_rois - 1) / 2`` when vectorised without the diagonal.
        """
        check_is_fitted(self, "reference_" if self.kind == "tangent" else "measure_")
        series = as_timeseries(self, X, reset=False)
        parts = []
        for start in range(0, len(series), self.chunk_size):
            chunk = series[start:start + self.chunk_size]
            if self.kind == "tangent":
                parts.append(self._tangent(self._covariances(chunk)))
                continue
            with np.errstate(divide="ignore", invalid="ignore"):  # constant ROIs: 0/0
                parts.append(self._output(self.measure_.transform(chunk)))
        return np.concatenate(parts)


def _as_matrices(estimator: BaseEstimator, X, reset: bool) -> np.ndarray:
    X = check_array(X, allow_nd=True, dtype=np.float64, input_name="X", estimator=estimator)
    if X.ndim != 3 or X.shape[1] != X.shape[2]:
        raise ValueError(f"X: expected connectivity matrices (n_subjects, n_rois, n_rois), "
                         f"got shape {X.shape}")
    if reset:
        estimator.n_features_in_ = X.shape[1]
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                         f"expecting {estimator.n_features_in_} features as input.")
    return X


class GraphMeasures(TransformerMixin, BaseEstimator):
    """Graph measures of each connectome thresholded to a fixed edge density.

    Parameters
    ----------
    density : float
        Fraction of the strongest positive edges kept per subject (proportional
        thresholding; the same density for every subject makes graphs comparable).

    Notes
    -----
    Output per subject (:func:`~.features.graph_measures`): degree, strength, clustering
    and nodal efficiency of every ROI, then global efficiency and transitivity, shape
    (4 n_rois + 2,). Nothing is learned in ``fit``.
    """

    def __init__(self, density: float = 0.1):
        self.density = density

    def fit(self, X, y=None):
        """Check ``X`` (n_subjects, n_rois, n_rois) and the density."""
        if not isinstance(self.density, (float, int)) or not 0 < self.density <= 1:
            raise input_error("density", "a fraction in (0, 1]", self.density)
        _as_matrices(self, X, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        """Graph measures, shape (n_subjects, 4 n_rois + 2)."""
        check_is_fitted(self)
        X = _as_matrices(self, X, reset=False)
        return np.stack([graph_measures(w, float(self.density)) for w in X])


class PersistenceFeatures(TransformerMixin, BaseEstimator):
    """Persistent-homology summaries of correlation connectomes.

    Each subject's Vietoris-Rips filtration runs over the correlation distance
    ``sqrt(2 (1 - r))``; its H0 and H1 diagrams are summarised as Betti curves plus total and
    maximum lifetime and class counts (:func:`~.features.persistence_features`). Nothing is
    learned in ``fit``.

    Parameters
    ----------
    n_bins : int
        Points of each Betti curve over distances [0, 2].
    maxdim : int
        Highest homology dimension.
    backend : {"ripser", "gudhi"}
        Library computing the diagrams (same diagrams; ripser is ~20x faster at 200 ROIs).
    """

    def __init__(self, n_bins: int = 40, maxdim: int = 1, backend: str = "ripser"):
        self.n_bins = n_bins
        self.maxdim = maxdim
        self.backend = backend

    def fit(self, X, y=None):
        """Check ``X`` (n_subjects, n_rois, n_rois) and the parameters."""
        check_option("backend", self.backend, DIAGRAMS)
        for name in ("n_bins", "maxdim"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < (2 if name == "n_bins" else 0):
                raise input_error(name, "a positive integer", value)
        _as_matrices(self, X, reset=True)
        return self

    def transform(self, X) -> np.ndarray:
        """Features, shape (n_subjects, (maxdim + 1) (n_bins + 3))."""
        check_is_fitted(self)
        X = _as_matrices(self, X, reset=False)
        return np.stack([persistence_features(np.clip(r, -1.0, 1.0), n_bins=self.n_bins,
                                              maxdim=self.maxdim, backend=self.backend)
                         for r in X])


class FixedLength(TransformerMixin, BaseEstimator):
    """Crop or zero-pad ROI time series to one length, channels first, for the networks.

    Parameters
    ----------
    n_timepoints : int, optional
        Output length; default the median length of the training series.
    crop : {"center", "start"}
        Which part of a longer series is kept.

    Attributes
    ----------
    n_timepoints_ : int
        Length used.
    """

    def __init__(self, n_timepoints: int | None = None, crop: str = "center"):
        self.n_timepoints = n_timepoints
        self.crop = crop

    def fit(self, X, y=None):
        """Fix the length from the training series (or the parameter)."""
        check_option("crop", self.crop, ("center", "start"))
        series = as_timeseries(self, X, reset=True)
        if self.n_timepoints is None:
            self.n_timepoints_ = int(np.median([len(x) for x in series]))
        elif isinstance(self.n_timepoints, (int, np.integer)) and self.n_timepoints >= 2:
            self.n_timepoints_ = int(self.n_timepoints)
        else:
            raise input_error("n_timepoints", "an integer >= 2 or None", self.n_timepoints)
        return self

    def transform(self, X) -> np.ndarray:
        """Series as float32 (n_subjects, n_rois, n_timepoints_)."""
        check_is_fitted(self)
        series = as_timeseries(self, X, reset=False)
        length = self.n_timepoints_
        out = np.zeros((len(series), self.n_features_in_, length), dtype=np.float32)
        for i, x in enumerate(series):
            start = (len(x) - length) // 2 if self.crop == "center" and len(x) > length else 0
            kept = x[start:start + length]
            out[i, :, :len(kept)] = kept.T
        return out
