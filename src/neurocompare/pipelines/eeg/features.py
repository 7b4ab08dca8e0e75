"""Pure functions that turn epochs into features (no state, no estimators).

Estimators in :mod:`neurocompare.pipelines.eeg.spectral` are thin wrappers around these.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.signal import welch

__all__ = ["CANONICAL_BANDS", "band_power", "psd_welch"]

#: Canonical EEG bands in Hz (upper edge exclusive). alpha and mu share 8-13 Hz.
CANONICAL_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}


def psd_welch(X: np.ndarray, sfreq: float, window: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density along the last axis.

    Parameters
    ----------
    X : ndarray, shape (..., n_times)
    sfreq : float
        Sampling rate in Hz.
    window : float
        Segment length in seconds (Hann window, 50% overlap); shortened to the epoch length.

    Returns
    -------
    freqs : ndarray, shape (n_freqs,)
    psd : ndarray, shape (..., n_freqs)
        Power per Hz, in squared units of ``X``.
    """
    nperseg = max(1, min(round(window * sfreq), X.shape[-1]))
    return welch(X, fs=sfreq, nperseg=nperseg, axis=-1)


def band_power(X: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]],
               window: float = 1.0) -> np.ndarray:
    """Mean Welch power in each band, per channel.

    A band that contains no frequency bin (very short epochs) takes the bin nearest its
    centre, so the output is always defined.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
    sfreq : float
        Sampling rate in Hz.
    bands : mapping of str to (float, float)
        Band name -> (low, high) edges in Hz, high exclusive.
    window : float
        Welch segment length in seconds.

    Returns
    -------
    ndarray, shape (n_trials, n_channels, n_bands)
    """
    freqs, psd = psd_welch(X, sfreq, window)
    out = np.empty((*psd.shape[:-1], len(bands)))
    for i, (low, high) in enumerate(bands.values()):
        mask = (freqs >= low) & (freqs < high)
        if not mask.any():
            mask = np.arange(freqs.size) == np.argmin(np.abs(freqs - (low + high) / 2))
        out[..., i] = psd[..., mask].mean(axis=-1)
    return out
