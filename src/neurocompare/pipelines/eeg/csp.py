"""Spatial-filtering pipelines: CSP and filter-bank CSP (FBCSP), both followed by LDA.

CSP (common spatial patterns) finds spatial filters whose output variance differs most
between classes; the log-variance of the filtered signals is the feature. pyRiemann's
:class:`~pyriemann.spatialfilters.CSP` is used on shrinkage covariance matrices, as in MOABB's
``CSP.yml``; it handles more than two classes by approximate joint diagonalisation of the
class covariances, with filters ranked by mutual information.

FBCSP (Ang et al. 2008) repeats CSP in several narrow bands and keeps the most informative
features, selected by mutual information inside the training fold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pyriemann.spatialfilters import CSP
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.feature_selection import SelectorMixin, mutual_info_classif
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted, validate_data

from neurocompare._errors import check_option, input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.checks import as_epochs
from neurocompare.pipelines.eeg.covariance import (
    COV_ESTIMATORS,
    CSPLogVariance,
    check_targets,
    shrunk_covariances,
)
from neurocompare.pipelines.eeg.filters import bandpass_sos, check_sfreq, zero_phase
from neurocompare.pipelines.eeg.riemann import covariance_pipeline
from neurocompare.pipelines.spec import picked

__all__ = ["FBCSP_BANDS", "FilterBankCSP", "SelectKBestMI", "csp_lda", "fbcsp_lda"]

#: FBCSP bands in Hz: 4-Hz wide from 4 to 40 Hz.
FBCSP_BANDS: tuple[tuple[float, float], ...] = tuple((f, f + 4.0) for f in range(4, 40, 4))


class FilterBankCSP(TransformerMixin, BaseEstimator):
    """CSP log-variance features in each band of a filter bank, concatenated.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the epochs in Hz.
    bands : sequence of (float, float)
        Band-pass edges in Hz; bands reaching Nyquist are dropped at fit time.
    nfilter : int
        CSP filters kept per band.
    estimator : {"oas", "lwf", "scm"}
        Covariance estimator (:func:`~neurocompare.pipelines.eeg.covariance.shrunk_covariances`).
    order : int
        Butterworth order of each (zero-phase) band-pass.

    Attributes
    ----------
    bands_ : list of (float, float)
        Bands used.
    sos_ : list of ndarray
        Band-pass filter of each band (second-order sections).
    csps_ : list of pyriemann.spatialfilters.CSP
        Fitted CSP per band.
    n_features_in_ : int
        Channels seen in ``fit`` (samples for 2-D input).

    Notes
    -----
    ``transform`` returns shape (n_trials, n_bands * n_filters), band-major.
    """

    def __init__(self, sfreq: float = 128.0,
                 bands: Sequence[tuple[float, float]] = FBCSP_BANDS, nfilter: int = 4,
                 estimator: str = "oas", order: int = 4):
        self.sfreq = sfreq
        self.bands = bands
        self.nfilter = nfilter
        self.estimator = estimator
        self.order = order

    def _filtered_covs(self, X: np.ndarray, sos: np.ndarray) -> np.ndarray:
        return shrunk_covariances(zero_phase(X, sos), self.estimator)

    def fit(self, X, y):
        """Fit one CSP per band on the training epochs.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : array-like, shape (n_trials,)
        """
        sfreq = check_sfreq(self.sfreq)
        check_option("estimator", self.estimator, COV_ESTIMATORS)
        if isinstance(self.nfilter, bool) or not isinstance(self.nfilter, (int, np.integer)) \
                or self.nfilter < 1:
            raise input_error("nfilter", "a positive integer", self.nfilter)
        bands = [tuple(b) for b in self.bands]
        for band in bands:
            if len(band) != 2 or not 0 < band[0] < band[1]:
                raise input_error("bands", "(low, high) pairs with 0 < low < high", band)
        self.bands_ = [b for b in bands if b[1] < sfreq / 2]
        if not self.bands_:
            raise input_error("bands", f"a band below Nyquist ({sfreq / 2:g} Hz)", self.bands)
        self.sos_ = [bandpass_sos(sfreq, lo, hi, self.order) for lo, hi in self.bands_]
        X = as_epochs(self, X, reset=True)
        if X.shape[-1] < 2:
            raise ValueError(f"X: expected at least 2 time samples per trial to estimate a "
                             f"covariance, got {X.shape[-1]} (as 2-D input: "
                             f"n_features={X.shape[-1]})")
        y = check_targets(self, X, y)
        self.csps_ = [CSP(nfilter=self.nfilter, metric="euclid", log=True)
                      .fit(self._filtered_covs(X, sos), y) for sos in self.sos_]
        return self

    def transform(self, X):
        """Return log-variance CSP features, shape (n_trials, n_bands * n_filters)."""
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False)
        return np.concatenate([csp.transform(self._filtered_covs(X, sos))
                               for csp, sos in zip(self.csps_, self.sos_, strict=True)],
                              axis=1)


class SelectKBestMI(SelectorMixin, BaseEstimator):
    """Keep the ``k`` features with the highest mutual information with the class.

    Like ``SelectKBest(mutual_info_classif)``, but the estimator's nearest-neighbour noise is
    seeded by a ``random_state`` parameter, so results are reproducible and follow the run
    seed.

    Parameters
    ----------
    k : int
        Features kept (all if fewer are available).
    n_neighbors : int
        Neighbours of the mutual-information estimator.
    random_state : int
        Seed of the estimator's jitter.

    Attributes
    ----------
    scores_ : ndarray, shape (n_features,)
        Estimated mutual information of each feature.
    """

    def __init__(self, k: int = 10, n_neighbors: int = 3, random_state: int | None = 0):
        self.k = k
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, X, y):
        """Score the features on the training data."""
        for name in ("k", "n_neighbors"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise input_error(name, "a positive integer", value)
        X, y = validate_data(self, X, y)
        y = check_targets(self, X, y)
        n_neighbors = min(self.n_neighbors, max(1, len(y) - 1))
        self.scores_ = mutual_info_classif(X, y, n_neighbors=n_neighbors,
                                           random_state=self.random_state)
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self)
        mask = np.zeros(self.scores_.size, dtype=bool)
        mask[np.argsort(-self.scores_, kind="stable")[: self.k]] = True
        return mask


def csp_lda(info: SignalInfo) -> Pipeline:
    """8-30 Hz band-pass -> OAS covariances -> CSP (6 filters, log-variance) -> LDA.

    Shares its ``picks -> bandpass -> cov`` prefix with the Riemannian pipelines.
    """
    return covariance_pipeline(info, ("csp", CSPLogVariance(nfilter=6, metric="euclid", log=True)),
                               ("lda", LinearDiscriminantAnalysis(solver="svd")))


def fbcsp_lda(info: SignalInfo) -> Pipeline:
    """Filter-bank CSP (4-Hz bands 4-40 Hz, 4 filters each) -> 10 best by MI -> shrinkage LDA."""
    return picked(info, ("fbcsp", FilterBankCSP(sfreq=info.sfreq)),
                  ("select", SelectKBestMI(k=10)),
                  ("lda", LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto")))
