"""Spectral feature extractors (thin estimators over :mod:`neurocompare.pipelines.eeg.features`)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.pipelines.common.checks import as_epochs
from neurocompare.pipelines.eeg.features import CANONICAL_BANDS, band_power

__all__ = ["BandPower"]


class BandPower(TransformerMixin, BaseEstimator):
    """Log band power per channel and band (Welch), flattened to a feature vector.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the epochs in Hz.
    bands : mapping of str to (float, float), optional
        Band name -> (low, high) in Hz; defaults to delta, theta, alpha/mu, beta, gamma
        (bands above Nyquist are dropped at fit time).
    window : float
        Welch segment length in seconds.
    log : bool
        Return ``log10`` power (the usual, near-Gaussian feature for linear models).

    Attributes
    ----------
    bands_ : dict of str to (float, float)
        Bands used (those below Nyquist).
    n_features_in_ : int
        Channels seen in ``fit`` (samples for 2-D input).

    Notes
    -----
    ``transform`` returns shape (n_trials, n_channels * n_bands), channel-major: feature
    ``c * n_bands + b`` is channel ``c`` in band ``b``.
    """

    def __init__(self, sfreq: float = 128.0, bands: Mapping[str, tuple[float, float]] | None = None,
                 window: float = 1.0, log: bool = True):
        self.sfreq = sfreq
        self.bands = bands
        self.window = window
        self.log = log

    def fit(self, X, y=None):
        """Validate parameters and record the input shape.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : ignored
        """
        if not isinstance(self.sfreq, (int, float)) or self.sfreq <= 0:
            raise input_error("sfreq", "a positive sampling rate in Hz", self.sfreq)
        if not isinstance(self.window, (int, float)) or self.window <= 0:
            raise input_error("window", "a positive length in seconds", self.window)
        bands = dict(CANONICAL_BANDS if self.bands is None else self.bands)
        for name, edges in bands.items():
            if len(edges) != 2 or not 0 <= edges[0] < edges[1]:
                raise input_error(f"bands[{name!r}]", "(low, high) with 0 <= low < high", edges)
        self.bands_ = {k: v for k, v in bands.items() if v[0] < self.sfreq / 2}
        if not self.bands_:
            raise input_error("bands", f"a band below Nyquist ({self.sfreq / 2} Hz)", bands)
        as_epochs(self, X, reset=True)
        return self

    def transform(self, X):
        """Return band power features, shape (n_trials, n_channels * n_bands)."""
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False)
        power = band_power(X, float(self.sfreq), self.bands_, self.window)
        if self.log:
            power = np.log10(np.maximum(power, np.finfo(float).tiny))
        return power.reshape(len(X), -1)

    def get_feature_names_out(self, input_features=None):
        """Return ``ch{c}_{band}`` names in output order."""
        check_is_fitted(self)
        n_ch = self.signal_shape_[0] if len(self.signal_shape_) == 2 else 1
        return np.array([f"ch{c}_{b}" for c in range(n_ch) for b in self.bands_], dtype=object)
