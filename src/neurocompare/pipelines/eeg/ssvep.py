"""SSVEP pipelines: training-free CCA, and filter-bank covariances in tangent space.

CCA (Lin et al. 2006) correlates each trial with sine/cosine references at every stimulation
frequency and its harmonics; the frequency with the largest canonical correlation wins. A
dataset with a no-stimulation class ("rest") needs a rule for it: :class:`CCAClassifier`
predicts that class when the largest correlation falls below a threshold learned on the
training fold (the one free parameter, chosen to maximise training accuracy).

The filter-bank pipelines reproduce MOABB's published SSVEP pipelines (``TSLR-SSVEP.yml``,
``TSSVM-SSVEP.yml``, ``MDM-SSVEP.yml``): the 1-Hz bands around each stimulation frequency,
stacked on the channel axis (MOABB's ``ExtendedSSVEPSignal``), give one extended covariance
matrix per trial (``Covariances(estimator="oas")``, computed by the equivalent
:class:`~neurocompare.pipelines.eeg.covariance.ShrunkCovariances`), classified by
``TangentSpace(metric="riemann")`` + ``LogisticRegression(C=1.0)`` or
``SVC(kernel="linear")``, or by ``MDM(metric="riemann")``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.checks import as_epochs
from neurocompare.pipelines.common.steps import PickChannels
from neurocompare.pipelines.eeg.covariance import MDMClassifier, ShrunkCovariances, check_targets
from neurocompare.pipelines.eeg.filters import check_sfreq
from neurocompare.pipelines.eeg.karcher import RiemannTangentSpace
from neurocompare.pipelines.spec import picked

__all__ = [
    "CCAClassifier",
    "best_threshold",
    "canonical_correlation",
    "cca_scores",
    "filterbank_picks",
    "sinusoid_references",
    "ssvep_cca",
    "ssvep_fb_mdm",
    "ssvep_fb_ts_lr",
    "ssvep_fb_ts_svm",
    "stim_freq_map",
]

logger = logging.getLogger(__name__)


def sinusoid_references(freq: float, sfreq: float, n_times: int,
                        n_harmonics: int = 2) -> np.ndarray:
    """Sine and cosine references at ``freq`` and its harmonics below Nyquist.

    Parameters
    ----------
    freq : float
        Stimulation frequency in Hz.
    sfreq : float
        Sampling rate in Hz.
    n_times : int
        Samples per trial.
    n_harmonics : int
        Harmonics ``1 .. n_harmonics`` of ``freq`` (those at or above Nyquist are left out).

    Returns
    -------
    ndarray, shape (n_times, 2 * n_kept_harmonics)
        Columns ``sin(2 pi h f t), cos(2 pi h f t)`` for each kept harmonic ``h``.
    """
    t = np.arange(n_times) / sfreq
    harmonics = [h for h in range(1, n_harmonics + 1) if h * freq < sfreq / 2]
    cols = [fn(2 * np.pi * h * freq * t) for h in harmonics for fn in (np.sin, np.cos)]
    return np.column_stack(cols) if cols else np.zeros((n_times, 0))


def _orthobasis(A: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of centred ``A`` (numerical rank kept)."""
    A = A - A.mean(axis=0)
    if A.size == 0:
        return A
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    tol = (s[0] if s.size else 0.0) * max(A.shape) * np.finfo(float).eps
    return U[:, s > tol] if s.size and s[0] > 0 else U[:, :0]


def canonical_correlation(X: np.ndarray, Y: np.ndarray) -> float:
    """Largest canonical correlation between two sets of variables.

    Parameters
    ----------
    X : ndarray, shape (n_samples, p)
    Y : ndarray, shape (n_samples, q)

    Returns
    -------
    float
        In [0, 1]; 0 when either set is constant.

    Notes
    -----
    With ``Qx``, ``Qy`` orthonormal bases of the centred column spaces, the canonical
    correlations are the singular values of ``Qx.T @ Qy`` (Björck & Golub 1973).
    """
    Qx, Qy = _orthobasis(np.asarray(X, float)), _orthobasis(np.asarray(Y, float))
    if Qx.shape[1] == 0 or Qy.shape[1] == 0:
        return 0.0
    return float(np.clip(np.linalg.svd(Qx.T @ Qy, compute_uv=False)[0], 0.0, 1.0))


def cca_scores(X: np.ndarray, sfreq: float, freqs: list[float],
               n_harmonics: int = 2) -> np.ndarray:
    """Canonical correlation of each trial with the references of each frequency.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
    sfreq : float
        Sampling rate in Hz.
    freqs : list of float
        Stimulation frequencies in Hz.
    n_harmonics : int
        Harmonics in each reference set.

    Returns
    -------
    ndarray, shape (n_trials, n_freqs)
    """
    n_times = X.shape[-1]
    refs = [_orthobasis(sinusoid_references(f, sfreq, n_times, n_harmonics)) for f in freqs]
    out = np.zeros((len(X), len(freqs)))
    for i, trial in enumerate(X):
        Qx = _orthobasis(trial.T)
        if Qx.shape[1] == 0:
            continue
        for j, Qy in enumerate(refs):
            if Qy.shape[1]:
                out[i, j] = np.linalg.svd(Qx.T @ Qy, compute_uv=False)[0]
    return np.clip(out, 0.0, 1.0)


def best_threshold(rho_max: np.ndarray, is_rest: np.ndarray, freq_correct: np.ndarray
                   ) -> float:
    """Rest threshold maximising training accuracy.

    A trial is called rest when its largest correlation ``rho_max`` is below the threshold;
    otherwise its predicted frequency counts as correct when ``freq_correct``. Candidates are
    the midpoints between consecutive sorted ``rho_max`` values (plus both ends); among equally
    accurate candidates the median one is returned, which keeps the margin on both sides.
    """
    values = np.unique(rho_max)
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2,
                                 [values[-1] + 1e-6]])
    correct = [np.sum(np.where(rho_max < c, is_rest, freq_correct & ~is_rest))
               for c in candidates]
    best = np.flatnonzero(np.asarray(correct) == max(correct))
    return float(candidates[best[len(best) // 2]])


class CCAClassifier(ClassifierMixin, BaseEstimator):
    """Training-free CCA classifier for SSVEP, with an optional learned "rest" threshold.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the epochs in Hz.
    freqs : mapping of label to float
        Stimulation frequency (Hz) of each class label. At most one training class may be
        missing from it: the no-stimulation ("rest") class.
    n_harmonics : int
        Harmonics of each frequency in the references (2 = fundamental and first harmonic).
    rest_threshold : "auto" or float
        How the rest class is predicted when the training labels contain one: ``"auto"``
        learns the threshold on the largest correlation that maximises training accuracy;
        a float in [0, 1] fixes it (0: never predict rest). Ignored without a rest class.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Training class labels, sorted.
    freqs_ : ndarray, shape (n_classes,)
        Frequency of each class (NaN for the rest class).
    rest_index_ : int or None
        Position of the rest class in ``classes_``.
    threshold_ : float or None
        Rest threshold used (None without a rest class).
    n_features_in_ : int
        Channels seen in ``fit`` (samples for 2-D input).

    Notes
    -----
    ``decision_function`` gives, per class, the canonical correlation with that class's
    references, and ``threshold_`` for the rest class; ``predict`` takes the largest, so rest
    wins exactly when no frequency reaches the threshold. The scores are correlations, not
    calibrated probabilities, so no ``predict_proba`` is offered.
    """

    def __init__(self, sfreq: float = 256.0, freqs: Mapping | None = None,
                 n_harmonics: int = 2, rest_threshold: str | float = "auto"):
        self.sfreq = sfreq
        self.freqs = freqs
        self.n_harmonics = n_harmonics
        self.rest_threshold = rest_threshold

    def _check_params(self) -> float:
        sfreq = check_sfreq(self.sfreq)
        if not isinstance(self.freqs, Mapping) or not self.freqs:
            raise input_error("freqs", "a non-empty mapping of class label to frequency (Hz)",
                              self.freqs)
        for label, freq in self.freqs.items():
            if isinstance(freq, bool) or not isinstance(freq, (int, float, np.number)) \
                    or not 0 < freq < sfreq / 2:
                raise input_error(f"freqs[{label!r}]",
                                  f"a frequency in (0, {sfreq / 2:g}) Hz (Nyquist)", freq)
        if isinstance(self.n_harmonics, bool) \
                or not isinstance(self.n_harmonics, (int, np.integer)) or self.n_harmonics < 1:
            raise input_error("n_harmonics", "a positive integer", self.n_harmonics)
        if not (self.rest_threshold == "auto" or (
                isinstance(self.rest_threshold, (int, float, np.number))
                and not isinstance(self.rest_threshold, bool)
                and 0 <= self.rest_threshold <= 1)):
            raise input_error("rest_threshold", '"auto" or a correlation in [0, 1]',
                              self.rest_threshold)
        return sfreq

    def fit(self, X, y):
        """Map classes to frequencies and, if there is a rest class, learn its threshold.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : array-like, shape (n_trials,)
        """
        sfreq = self._check_params()
        X = as_epochs(self, X, reset=True)
        y = check_targets(self, X, y)
        self.classes_ = np.unique(y)
        freqs = {label: float(f) for label, f in self.freqs.items()}
        self.freqs_ = np.array([freqs.get(c, np.nan) for c in self.classes_.tolist()])
        missing = np.flatnonzero(np.isnan(self.freqs_))
        if missing.size > 1:
            raise input_error("y", "at most one class without a stimulation frequency in "
                              "`freqs` (the rest class)", self.classes_[missing].tolist(),
                              hint=f"freqs has labels {list(freqs)}.")
        self.rest_index_ = int(missing[0]) if missing.size else None
        self.threshold_ = None
        if self.rest_index_ is not None:
            if self.rest_threshold == "auto":
                rho = self._correlations(X, sfreq)
                stim = np.flatnonzero(~np.isnan(self.freqs_))
                pred = self.classes_[stim[np.argmax(rho, axis=1)]]
                is_rest = y == self.classes_[self.rest_index_]
                self.threshold_ = best_threshold(rho.max(axis=1), is_rest, pred == y)
            else:
                self.threshold_ = float(self.rest_threshold)
            logger.debug("CCA rest threshold: %.3f", self.threshold_)
        return self

    def _correlations(self, X: np.ndarray, sfreq: float) -> np.ndarray:
        stim = self.freqs_[~np.isnan(self.freqs_)]
        return cca_scores(X, sfreq, stim.tolist(), int(self.n_harmonics))

    def _class_scores(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False)
        scores = np.empty((len(X), self.classes_.size))
        stim = ~np.isnan(self.freqs_)
        scores[:, stim] = self._correlations(X, float(self.sfreq))
        if self.rest_index_ is not None:
            scores[:, self.rest_index_] = self.threshold_
        return scores

    def decision_function(self, X):
        """Class scores: canonical correlations (rest: the threshold).

        Returns
        -------
        ndarray, shape (n_trials, n_classes), or (n_trials,) for two classes
            For two classes, the score of ``classes_[1]`` minus that of ``classes_[0]``.
        """
        scores = self._class_scores(X)
        return scores[:, 1] - scores[:, 0] if self.classes_.size == 2 else scores

    def predict(self, X):
        """Return the class with the largest score, shape (n_trials,)."""
        scores = self._class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]


def stim_freq_map(info: SignalInfo) -> dict[int, float]:
    """Class code -> stimulation frequency, from ``info.extra["stim_freqs"]`` (name -> Hz)."""
    stim = info.extra.get("stim_freqs")
    if not stim:
        raise input_error("info.extra['stim_freqs']", "a mapping of class name to Hz", stim)
    return {i: float(stim[name]) for i, name in enumerate(info.class_names) if name in stim}


def filterbank_picks(info: SignalInfo) -> list[int]:
    """Channel indices of every filter-bank group (all groups after the broadband first)."""
    groups = info.extra.get("channel_groups")
    if not groups or len(groups) < 2:
        raise input_error("info.extra['channel_groups']",
                          "a broadband group followed by at least one filter-bank group",
                          groups)
    return [int(i) for group in list(groups.values())[1:] for i in group]


def ssvep_cca(info: SignalInfo) -> Pipeline:
    """Broadband channels -> :class:`CCAClassifier` (2 harmonics, learned rest threshold)."""
    return picked(info, ("cca", CCAClassifier(sfreq=info.sfreq, freqs=stim_freq_map(info),
                                              n_harmonics=2)))


def _filterbank_cov(info: SignalInfo, *steps) -> Pipeline:
    return Pipeline([("picks", PickChannels(filterbank_picks(info))),
                     ("cov", ShrunkCovariances(estimator="oas")), *steps])


def ssvep_fb_ts_lr(info: SignalInfo) -> Pipeline:
    """MOABB ``TSLR-SSVEP``: extended covariances -> tangent space -> LR (C=1)."""
    return _filterbank_cov(info, ("ts", RiemannTangentSpace(metric="riemann")),
                           ("lr", LogisticRegression(C=1.0, random_state=0)))


def ssvep_fb_ts_svm(info: SignalInfo) -> Pipeline:
    """MOABB ``TSSVM-SSVEP``: extended covariances -> tangent space -> linear SVC."""
    return _filterbank_cov(info, ("ts", RiemannTangentSpace(metric="riemann")),
                           ("svm", SVC(kernel="linear", random_state=0)))


def ssvep_fb_mdm(info: SignalInfo) -> Pipeline:
    """MOABB ``MDM-SSVEP``: extended covariances -> MDM (Riemannian metric)."""
    return _filterbank_cov(info, ("mdm", MDMClassifier(metric="riemann")))
