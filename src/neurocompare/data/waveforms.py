"""Class-specific transient waveforms that second-order features cannot see.

Pure functions behind the ``'waveform'`` scenario of
:class:`~neurocompare.data.simulated.SimulatedMotorImagery`. The two class templates are a
rising chirp and the same chirp reversed in time. Reversal conjugates the Fourier phases and
keeps the amplitudes, so the two templates have the same power spectrum; unlike an
arbitrary phase scramble (which only keeps the circular autocorrelation on one DFT grid),
it also keeps the *linear* autocorrelation, so the spectra agree at every frequency and the
templates have equal energy after any zero-phase filter. Placed at a latency drawn
symmetrically within the epoch, with a random sign, on a noise model that is itself
invariant under time reversal, a trial of one class is distributed as a time-reversed
trial of the other: only features that are not reversal-invariant can tell them apart.
"""

from __future__ import annotations

import numpy as np

__all__ = ["chirp_templates", "place_transients", "template_latencies"]


def chirp_templates(sfreq: float, length: float, f_start: float, f_stop: float
                    ) -> np.ndarray:
    """A Hann-windowed linear chirp and its time reversal, unit peak amplitude.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    length : float
        Template length in seconds.
    f_start, f_stop : float
        Instantaneous frequency (Hz) at the start and the end of the rising chirp.

    Returns
    -------
    ndarray, shape (2, n_samples)
        Row 0 sweeps ``f_start -> f_stop``; row 1 is row 0 reversed (``f_stop -> f_start``),
        with the same amplitude spectrum and energy.
    """
    n = round(length * sfreq)
    t = np.arange(n) / sfreq
    rate = (f_stop - f_start) / length
    rising = np.hanning(n) * np.sin(2 * np.pi * (f_start * t + 0.5 * rate * t ** 2))
    rising /= np.abs(rising).max()
    return np.stack([rising, rising[::-1]])


def template_latencies(rng: np.random.Generator, n_trials: int, n_times: int,
                       n_template: int, margin: int) -> np.ndarray:
    """Onset samples drawn uniformly so that each template lies ``margin`` inside the epoch.

    The set of onsets is symmetric under reversal of the epoch (onset ``o`` maps to
    ``n_times - n_template - o``), which keeps the two classes mirror images in distribution.

    Returns
    -------
    ndarray of int, shape (n_trials,)
    """
    return rng.integers(margin, n_times - n_template - margin + 1, n_trials)


def place_transients(templates: np.ndarray, labels: np.ndarray, onsets: np.ndarray,
                     signs: np.ndarray, n_times: int) -> np.ndarray:
    """One source time course per trial: the class template at its onset, times its sign.

    Parameters
    ----------
    templates : ndarray, shape (n_classes, n_template)
    labels : ndarray of int, shape (n_trials,)
        Class code of each trial (row of ``templates``).
    onsets : ndarray of int, shape (n_trials,)
        First sample of each template; ``onset + n_template <= n_times``.
    signs : ndarray, shape (n_trials,)
        Polarity (+1 or -1) of each trial's template.
    n_times : int
        Epoch length in samples.

    Returns
    -------
    ndarray, shape (n_trials, n_times)
    """
    n_template = templates.shape[1]
    out = np.zeros((len(labels), n_times))
    index = onsets[:, None] + np.arange(n_template)[None, :]
    np.put_along_axis(out, index, signs[:, None] * templates[labels], axis=1)
    return out
