"""Estimators on per-trial covariance (SPD) matrices, with scikit-learn input validation.

* :func:`shrunk_covariances` / :class:`ShrunkCovariances`: vectorised equivalent of
  pyRiemann's ``Covariances`` (same estimates, checked in the tests; much faster, since
  pyRiemann calls scikit-learn's validated ``oas``/``ledoit_wolf`` once per trial).
* :class:`MDMClassifier`, :class:`CSPLogVariance`: pyRiemann's ``MDM`` and ``CSP`` (same
  parameters and results) that validate their inputs the scikit-learn way.
* :class:`FgMDMClassifier`: pyRiemann's ``FgMDM`` (FGDA + MDM) written with pyRiemann's public
  ``TangentSpace`` and ``MDM``; same results, but it also runs when the tangent space has
  fewer dimensions than ``n_classes - 1`` (pyRiemann then asks scikit-learn's LDA for more
  components than exist, although only its ``coef_`` is used).
"""

from __future__ import annotations

import numpy as np
from pyriemann.classification import MDM
from pyriemann.spatialfilters import CSP
from pyriemann.utils._check import check_metric
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from neurocompare._errors import check_option, input_error
from neurocompare.pipelines.common.checks import as_epochs
from neurocompare.pipelines.eeg.karcher import RiemannTangentSpace, class_means

__all__ = [
    "COV_ESTIMATORS",
    "CSPLogVariance",
    "FgMDMClassifier",
    "MDMClassifier",
    "ShrunkCovariances",
    "check_spd_input",
    "check_targets",
    "shrunk_covariances",
]

#: Covariance estimators offered (pyRiemann names): Oracle Approximating Shrinkage (MOABB's
#: choice), Ledoit-Wolf and the sample covariance.
COV_ESTIMATORS = ("oas", "lwf", "scm")


def shrunk_covariances(X: np.ndarray, estimator: str = "oas") -> np.ndarray:
    """Per-trial spatial covariance matrices, optionally shrunk towards a scaled identity.

    Equal (to rounding) to ``pyriemann.estimation.Covariances(estimator).transform(X)``, i.e.
    scikit-learn's ``oas`` / ``ledoit_wolf`` on each trial's time samples (centred per
    channel), or ``"scm"``, the sample covariance with divisor ``n_times``.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
    estimator : {"oas", "lwf", "scm"}

    Returns
    -------
    ndarray, shape (n_trials, n_channels, n_channels)
    """
    check_option("estimator", estimator, COV_ESTIMATORS)
    n_ch, n = X.shape[1], X.shape[2]
    Xc = X - X.mean(axis=-1, keepdims=True)
    emp = Xc @ Xc.transpose(0, 2, 1) / n
    if estimator == "scm" or n_ch == 1:
        return emp
    mu = np.trace(emp, axis1=1, axis2=2) / n_ch
    emp_sq = np.sum(emp ** 2, axis=(1, 2))
    if estimator == "oas":  # Chen et al. 2010, as scikit-learn's oas
        alpha = emp_sq / n_ch ** 2
        num = alpha + mu ** 2
        den = (n + 1) * (alpha - mu ** 2 / n_ch)
        with np.errstate(divide="ignore", invalid="ignore"):
            shrinkage = np.where(den == 0, 1.0, np.minimum(num / den, 1.0))
    else:  # Ledoit-Wolf, as scikit-learn's ledoit_wolf_shrinkage
        beta_ = np.sum(np.sum(Xc ** 2, axis=1) ** 2, axis=1)
        beta = (beta_ / n - emp_sq) / (n_ch * n)
        delta = (emp_sq - n_ch * mu ** 2) / n_ch
        beta = np.minimum(beta, delta)
        with np.errstate(divide="ignore", invalid="ignore"):
            shrinkage = np.where(beta == 0, 0.0, beta / delta)
    out = (1.0 - shrinkage)[:, None, None] * emp
    out[:, np.arange(n_ch), np.arange(n_ch)] += (shrinkage * mu)[:, None]
    return out


def check_spd_input(estimator: BaseEstimator, X, *, reset: bool) -> np.ndarray:
    """Validate a stack of square matrices; set (``reset``) or check ``n_features_in_``.

    Returns
    -------
    ndarray, shape (n_trials, n_channels, n_channels)
    """
    X = check_array(X, allow_nd=True, dtype=np.float64, input_name="X", estimator=estimator)
    if X.ndim != 3 or X.shape[1] != X.shape[2]:
        raise input_error("X", "covariance matrices, shape (n_trials, n_channels, "
                          "n_channels)", f"an array of shape {X.shape}")
    if reset:
        estimator.n_features_in_ = X.shape[1]
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features (channels), but "
                         f"{type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")
    return X


def check_targets(estimator: BaseEstimator, X, y) -> np.ndarray:
    """Validate classification labels for ``X``: 1-D, finite, same length, >= 2 classes.

    Returns
    -------
    ndarray, shape (n_trials,)
    """
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the "
                         "target y is None.")
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    check_classification_targets(y)
    if np.unique(y).size < 2:
        raise ValueError(f"y: expected at least 2 classes, got 1 class ({y[0]!r})")
    return y


class ShrunkCovariances(TransformerMixin, BaseEstimator):
    """Spatial covariance matrix of each trial (:func:`shrunk_covariances`).

    Parameters
    ----------
    estimator : {"oas", "lwf", "scm"}
        Oracle Approximating Shrinkage, Ledoit-Wolf shrinkage or the sample covariance.

    Attributes
    ----------
    n_features_in_ : int
        Channels seen in ``fit`` (samples for 2-D input).
    """

    def __init__(self, estimator: str = "oas"):
        self.estimator = estimator

    def fit(self, X, y=None):
        """Validate the estimator name and the input, recording its shape.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : ignored
        """
        check_option("estimator", self.estimator, COV_ESTIMATORS)
        X = as_epochs(self, X, reset=True)
        if X.shape[-1] < 2:
            raise ValueError(f"X: expected at least 2 time samples per trial to estimate a "
                             f"covariance, got {X.shape[-1]} (as 2-D input: "
                             f"n_features={X.shape[-1]})")
        return self

    def transform(self, X):
        """Return covariance matrices, shape (n_trials, n_channels, n_channels)."""
        check_is_fitted(self)
        return shrunk_covariances(as_epochs(self, X, reset=False), self.estimator)


class MDMClassifier(MDM):
    """pyRiemann's :class:`~pyriemann.classification.MDM` with scikit-learn input checks.

    Minimum distance to the class means (Riemannian metric by default). Same parameters and
    results as pyRiemann's; ``fit`` validates ``X`` (matrices) and ``y`` (labels), and
    ``predict``/``transform``/``predict_proba`` check the fitted state and the shape. The
    Riemannian class means come from :func:`~neurocompare.pipelines.eeg.karcher.class_means`
    (pyRiemann's iterates and stopping test, with fewer eigendecompositions per step).
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the class means.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_channels)
        y : array-like, shape (n_trials,)
        sample_weight : ndarray, shape (n_trials,), optional
        """
        X = check_spd_input(self, X, reset=True)
        y = check_targets(self, X, y)
        self._metric_mean, self._metric_dist = check_metric(self.metric)
        self.classes_ = np.unique(y)
        self.covmeans_ = class_means(X, y, self.classes_, self._metric_mean, sample_weight)
        return self

    def _checked(self, X) -> np.ndarray:
        check_is_fitted(self)
        return check_spd_input(self, X, reset=False)

    def predict(self, X):
        """Return the nearest class mean's label, shape (n_trials,)."""
        return super().predict(self._checked(X))

    def transform(self, X):
        """Return distances to each class mean, shape (n_trials, n_classes)."""
        return super().transform(self._checked(X))

    def predict_proba(self, X):
        """Return softmax of negative squared distances, shape (n_trials, n_classes)."""
        return super().predict_proba(self._checked(X))


class CSPLogVariance(CSP):
    """pyRiemann's :class:`~pyriemann.spatialfilters.CSP` with scikit-learn input checks.

    Input: covariance matrices; output: log-variance of the ``nfilter`` CSP components
    (``log=True``). Two classes: generalised eigenvectors; more: approximate joint
    diagonalisation of the class means, filters ranked by mutual information.
    """

    def fit(self, X, y):
        """Fit the spatial filters.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_channels)
        y : array-like, shape (n_trials,)
        """
        X = check_spd_input(self, X, reset=True)
        return super().fit(X, check_targets(self, X, y))

    def transform(self, X):
        """Return CSP features, shape (n_trials, n_filters)."""
        check_is_fitted(self, "filters_")
        return super().transform(check_spd_input(self, X, reset=False))


class FgMDMClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """Fisher geodesic MDM (Barachant et al. 2010), as pyRiemann's ``FgMDM``.

    The tangent-space vectors (at the Riemannian mean of the training matrices) are projected
    on the span of a shrinkage-LDA's discriminant directions (``W = A^T (A A^T)^+ A`` with
    ``A`` the LDA coefficients), mapped back to matrices, and classified by MDM.

    Parameters
    ----------
    metric : str
        Metric of the tangent space and MDM ("riemann").
    tsupdate : bool
        Re-centre the tangent space on the test data (unsupervised adaptation).
    n_jobs : int
        Parallel jobs of MDM.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    ts_ : RiemannTangentSpace
    W_ : ndarray, shape (n_ts, n_ts)
        Projection on the discriminant subspace.
    mdm_ : MDMClassifier
    n_features_in_ : int
        Channels.
    """

    def __init__(self, metric: str = "riemann", tsupdate: bool = False, n_jobs: int = 1):
        self.metric = metric
        self.tsupdate = tsupdate
        self.n_jobs = n_jobs

    def _filtered(self, X: np.ndarray, ts: np.ndarray | None = None) -> np.ndarray:
        ts = self.ts_.transform(X) if ts is None else ts
        return self.ts_.inverse_transform(ts @ self.W_)

    def fit(self, X, y, sample_weight=None):
        """Fit the tangent space, the discriminant projection and MDM.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_channels)
        y : array-like, shape (n_trials,)
        sample_weight : ndarray, shape (n_trials,), optional
        """
        X = check_spd_input(self, X, reset=True)
        y = check_targets(self, X, y)
        self.ts_ = RiemannTangentSpace(metric=self.metric, tsupdate=self.tsupdate)
        ts = self.ts_.fit_transform(X, sample_weight=sample_weight)
        lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(ts, y)
        A = lda.coef_
        self.W_ = A.T @ np.linalg.pinv(A @ A.T) @ A
        self.mdm_ = MDMClassifier(metric=self.metric, n_jobs=self.n_jobs)
        self.mdm_.fit(self._filtered(X, ts), y, sample_weight=sample_weight)
        self.classes_ = self.mdm_.classes_
        return self

    def _checked(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self._filtered(check_spd_input(self, X, reset=False))

    def predict(self, X):
        """Return the nearest filtered class mean's label, shape (n_trials,)."""
        X = self._checked(X)
        return self.mdm_.predict(X)

    def predict_proba(self, X):
        """Return softmax of negative squared distances, shape (n_trials, n_classes)."""
        X = self._checked(X)
        return self.mdm_.predict_proba(X)

    def transform(self, X):
        """Return distances to each filtered class mean, shape (n_trials, n_classes)."""
        X = self._checked(X)
        return self.mdm_.transform(X)
