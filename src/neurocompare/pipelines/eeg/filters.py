"""Zero-phase band-pass filtering and downsampling of epochs.

Pure functions (:func:`bandpass_sos`, :func:`bandpass`) do the signal processing; the
transformers (:class:`BandPass`, :class:`Decimate`) are thin scikit-learn wrappers used inside
pipelines, so that filtering is part of the cross-validated model (it is stateless, hence
leakage-free either way, but pipelines then run on the dataset's unfiltered epochs).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from neurocompare._errors import input_error
from neurocompare.pipelines.common.checks import as_epochs

__all__ = ["BandPass", "Decimate", "bandpass", "bandpass_sos", "check_sfreq", "zero_phase"]


def check_sfreq(sfreq) -> float:
    """Return ``sfreq`` as a float, raising an input error unless it is a positive number."""
    if isinstance(sfreq, bool) or not isinstance(sfreq, (int, float, np.number)) \
            or not np.isfinite(sfreq) or sfreq <= 0:
        raise input_error("sfreq", "a positive sampling rate in Hz", sfreq)
    return float(sfreq)


def bandpass_sos(sfreq: float, l_freq: float | None, h_freq: float | None,
                 order: int = 4) -> np.ndarray:
    """Butterworth band-pass (or low-/high-pass) design as second-order sections.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq, h_freq : float or None
        Pass-band edges (-3 dB points of the single pass) in Hz. ``l_freq=None`` gives a
        low-pass, ``h_freq=None`` a high-pass; at least one must be set, and
        ``0 < l_freq < h_freq < sfreq / 2``.
    order : int
        Butterworth order of the single pass (the zero-phase output doubles it).

    Returns
    -------
    ndarray, shape (n_sections, 6)
    """
    sfreq = check_sfreq(sfreq)
    nyquist = sfreq / 2
    if not isinstance(order, (int, np.integer)) or isinstance(order, bool) or order < 1:
        raise input_error("order", "a positive integer", order)
    if l_freq is None and h_freq is None:
        raise input_error("l_freq/h_freq", "at least one band edge", (l_freq, h_freq))
    for name, edge in (("l_freq", l_freq), ("h_freq", h_freq)):
        if edge is not None and not (isinstance(edge, (int, float, np.number))
                                     and 0 < edge < nyquist):
            raise input_error(name, f"None or a frequency in (0, {nyquist:g}) Hz (Nyquist)",
                              edge)
    if l_freq is not None and h_freq is not None:
        if l_freq >= h_freq:
            raise input_error("l_freq", f"a frequency below h_freq={h_freq}", l_freq)
        return butter(order, [l_freq, h_freq], btype="bandpass", fs=sfreq, output="sos")
    if l_freq is None:
        return butter(order, h_freq, btype="lowpass", fs=sfreq, output="sos")
    return butter(order, l_freq, btype="highpass", fs=sfreq, output="sos")


def zero_phase(X: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Forward-backward filtering of ``X`` along the last axis with the sections ``sos``.

    Epochs shorter than scipy's default padding are padded as much as they allow (edge
    effects then dominate, but the output stays defined).

    Parameters
    ----------
    X : ndarray, shape (..., n_times)
    sos : ndarray, shape (n_sections, 6)

    Returns
    -------
    ndarray, shape (..., n_times)
    """
    sos = np.array(sos, dtype=np.float64)  # a writable copy: scipy rejects read-only memmaps
    default_pad = 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))
    padlen = min(default_pad, X.shape[-1] - 1)
    return sosfiltfilt(sos, X, axis=-1, padlen=padlen)


def bandpass(X: np.ndarray, sfreq: float, l_freq: float | None, h_freq: float | None,
             order: int = 4) -> np.ndarray:
    """Zero-phase (forward-backward) Butterworth filtering along the last axis.

    The magnitude response is the square of the single-pass Butterworth response, so the
    edges are at -6 dB.

    Parameters
    ----------
    X : ndarray, shape (..., n_times)
    sfreq, l_freq, h_freq, order
        See :func:`bandpass_sos`.

    Returns
    -------
    ndarray, shape (..., n_times)
    """
    return zero_phase(X, bandpass_sos(sfreq, l_freq, h_freq, order))


class BandPass(TransformerMixin, BaseEstimator):
    """Zero-phase Butterworth band-pass filter of (n_trials, n_channels, n_times) epochs.

    Parameters
    ----------
    l_freq, h_freq : float or None
        Pass-band edges in Hz (``None``: low-pass or high-pass only).
    sfreq : float
        Sampling rate of the epochs in Hz.
    order : int
        Butterworth order of one pass (forward-backward filtering doubles it).

    Attributes
    ----------
    sos_ : ndarray, shape (n_sections, 6)
        The filter.
    n_features_in_ : int
        Channels seen in ``fit`` (samples for 2-D input).
    """

    def __init__(self, l_freq: float | None = 8.0, h_freq: float | None = 30.0,
                 sfreq: float = 128.0, order: int = 4):
        self.l_freq = l_freq
        self.h_freq = h_freq
        self.sfreq = sfreq
        self.order = order

    def fit(self, X, y=None):
        """Design the filter and record the input shape.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_channels, n_times)
        y : ignored
        """
        self.sos_ = bandpass_sos(self.sfreq, self.l_freq, self.h_freq, self.order)
        as_epochs(self, X, reset=True)
        return self

    def transform(self, X):
        """Return the filtered epochs, shape (n_trials, n_channels, n_times)."""
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False)
        return zero_phase(X, self.sos_)


class Decimate(TransformerMixin, BaseEstimator):
    """Keep every ``q``-th sample of epochs, ``q = floor(sfreq / target_sfreq)``.

    No anti-aliasing filter is applied: place a low-pass (e.g. :class:`BandPass` with
    ``h_freq`` below ``target_sfreq / 2``) before it.

    Parameters
    ----------
    sfreq : float
        Sampling rate of the epochs in Hz.
    target_sfreq : float
        Wanted sampling rate; the result is at least this (``q >= 1``).

    Attributes
    ----------
    factor_ : int
        Decimation factor ``q``.
    sfreq_out_ : float
        Output sampling rate ``sfreq / q``.
    """

    def __init__(self, sfreq: float = 128.0, target_sfreq: float = 64.0):
        self.sfreq = sfreq
        self.target_sfreq = target_sfreq

    def fit(self, X, y=None):
        """Compute the decimation factor and record the input shape."""
        sfreq = check_sfreq(self.sfreq)
        if isinstance(self.target_sfreq, bool) \
                or not isinstance(self.target_sfreq, (int, float, np.number)) \
                or not 0 < self.target_sfreq:
            raise input_error("target_sfreq", "a positive sampling rate in Hz",
                              self.target_sfreq)
        self.factor_ = max(1, int(sfreq // self.target_sfreq))
        self.sfreq_out_ = sfreq / self.factor_
        as_epochs(self, X, reset=True)
        return self

    def transform(self, X):
        """Return the decimated epochs, shape (n_trials, n_channels, ceil(n_times / q))."""
        check_is_fitted(self)
        X = as_epochs(self, X, reset=False)
        return np.ascontiguousarray(X[..., :: self.factor_])
