"""What the groups of an explanation are: channels, bands, time windows, and pipeline parts.

Pure helpers shared by :mod:`.grouped`, :mod:`.model_specific` and :mod:`.run`:

* :func:`channel_groups` -- base channel name -> every channel index carrying it (datasets
  that stack filter-bank copies of their channels, ``info.extra["channel_groups"]``, map
  ``"O1[12.5-13.5Hz]"`` back to ``"O1"``);
* :func:`band_groups` -- named, non-overlapping frequency bands tiling the spectrum: the
  canonical EEG bands (renamed after a ground truth's bands, e.g. alpha -> mu), or, for SSVEP
  data (``info.extra["stim_freqs"]``), 2-Hz bands at each stimulation frequency and harmonic
  with the gaps between them as control bands;
* :func:`time_groups` -- contiguous windows of the epoch;
* :func:`split_pipeline` -- the transform prefix and the final estimator of a fitted pipeline.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from neurocompare._errors import input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.steps import PickChannels, switched_off
from neurocompare.pipelines.common.wrappers import EncodedLabelClassifier
from neurocompare.pipelines.eeg.features import CANONICAL_BANDS

__all__ = [
    "band_groups",
    "channel_groups",
    "final_estimator",
    "picked_channel_names",
    "split_pipeline",
    "ssvep_bands",
    "time_groups",
    "transform_prefix",
    "truth_band_names",
]


def channel_groups(info: SignalInfo) -> dict[str, np.ndarray]:
    """Base channel name -> indices of every channel recorded at that electrode.

    Parameters
    ----------
    info : SignalInfo
        With ``extra["channel_groups"]`` (band label -> indices, one per base channel, in
        ``extra["base_ch_names"]`` order) for stacked filter-bank data.

    Returns
    -------
    dict of str to ndarray of int
        One entry per electrode; shape (n_copies,) each (1 without a filter bank).
    """
    groups = info.extra.get("channel_groups")
    base = info.extra.get("base_ch_names")
    if not groups or not base:
        return {name: np.array([i]) for i, name in enumerate(info.ch_names)}
    out = {}
    for i, name in enumerate(base):
        out[str(name)] = np.array([idx[i] for idx in groups.values()], dtype=int)
    return out


def ssvep_bands(stim_freqs: Sequence[float], fmax: float, harmonics: int = 2,
                half_width: float = 1.0, fmin: float = 1.0, max_width: float = 4.0
                ) -> dict[str, tuple[float, float]]:
    """Non-overlapping bands for SSVEP data: one around each stimulation frequency and
    harmonic, plus the gaps between them (controls), from ``fmin`` to ``fmax``.

    Parameters
    ----------
    stim_freqs : sequence of float
        Stimulation frequencies in Hz.
    fmax : float
        Upper edge of the tiling in Hz (below Nyquist).
    harmonics : int
        Harmonics per frequency (1 = fundamental only).
    half_width : float
        Half-width of each stimulation band in Hz.
    fmin : float
        Lower edge of the tiling in Hz.
    max_width : float
        Gaps wider than this are split into control bands of about this width, so that
        controls and stimulation bands have comparable widths.

    Returns
    -------
    dict of str to (float, float)
        In frequency order; stimulation bands are named ``"13Hz"``, ``"26Hz"``, gaps
        ``"14-16Hz"``.
    """
    centres = sorted({h * float(f) for f in stim_freqs for h in range(1, harmonics + 1)
                      if h * float(f) + half_width < fmax})
    out: dict[str, tuple[float, float]] = {}
    edge = fmin
    for centre in [*centres, None]:
        lo = fmax if centre is None else max(centre - half_width, edge)
        out |= _gap_bands(edge, lo, max_width)
        if centre is not None and centre + half_width > lo:
            out[f"{centre:g}Hz"] = (lo, centre + half_width)
            edge = centre + half_width
    return out


def _gap_bands(lo: float, hi: float, max_width: float) -> dict[str, tuple[float, float]]:
    """Split ``[lo, hi)`` into control bands at most ``max_width`` wide (none under 0.5 Hz)."""
    if hi - lo < 0.5:
        return {}
    edges = [*np.arange(lo, hi, max_width).tolist(), hi]
    if len(edges) > 2 and edges[-1] - edges[-2] < 1.0:
        edges.pop(-2)
    return {f"{a:g}-{b:g}Hz": (float(a), float(b)) for a, b in itertools.pairwise(edges)}


def band_groups(info: SignalInfo, bands: Mapping[str, tuple[float, float]] | None = None
                ) -> dict[str, tuple[float, float]]:
    """Named frequency bands to group by, all below Nyquist.

    Parameters
    ----------
    info : SignalInfo
    bands : mapping of str to (float, float), optional
        Explicit bands; by default SSVEP bands (:func:`ssvep_bands`) when
        ``info.extra["stim_freqs"]`` exists, else the canonical EEG bands with each band equal
        to a ground-truth band renamed after it (8-13 Hz alpha -> ``"mu"``).

    Returns
    -------
    dict of str to (float, float)
    """
    if info.sfreq is None:
        raise input_error("info.sfreq", "a sampling rate to define frequency bands", None)
    nyquist = info.sfreq / 2
    top = min(45.0, 0.95 * nyquist)
    if bands is None:
        stim = info.extra.get("stim_freqs")
        if stim:
            bands = ssvep_bands(list(dict(stim).values()), fmax=top)
        else:
            bands = truth_band_names(CANONICAL_BANDS, info)
    out = {}
    for name, (lo, hi) in bands.items():
        hi = min(float(hi), 0.99 * nyquist)
        if not 0 <= lo < hi:
            continue
        out[str(name)] = (float(lo), hi)
    if not out:
        raise input_error("bands", f"at least one band below Nyquist ({nyquist:g} Hz)", bands)
    return out


def truth_band_names(bands: Mapping[str, tuple[float, float]], info: SignalInfo
                     ) -> dict[str, tuple[float, float]]:
    """``bands`` with each band whose edges equal a ground-truth band renamed after it
    (8-13 Hz ``"alpha"`` -> ``"mu"`` on the simulated motor-imagery data)."""
    truth = dict((info.ground_truth or {}).get("bands", {}))
    rename = {tuple(map(float, v)): k for k, v in truth.items()}
    return {rename.get(tuple(map(float, v)), k): v for k, v in bands.items()}


def time_groups(info: SignalInfo, n_times: int, window: float = 0.5
                ) -> dict[str, np.ndarray]:
    """Contiguous windows of ``window`` seconds (a remainder shorter than half a window joins
    the last window; otherwise it is a shorter last window).

    Returns
    -------
    dict of str to ndarray of int
        Label ``"0.50-1.00s"`` (times from the event, ``info.tmin`` included) -> sample
        indices.
    """
    if info.sfreq is None or window <= 0:
        raise input_error("window", "a positive window length in seconds (and an sfreq)",
                          window)
    step = max(1, round(window * info.sfreq))
    starts = list(range(0, n_times, step))
    if len(starts) > 1 and n_times - starts[-1] < step / 2:
        starts.pop()  # a short remainder joins the last full window
    out = {}
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else n_times
        t0, t1 = info.tmin + start / info.sfreq, info.tmin + stop / info.sfreq
        out[f"{t0:.2f}-{t1:.2f}s"] = np.arange(start, stop)
    return out


def split_pipeline(estimator: BaseEstimator) -> tuple[list[tuple[str, BaseEstimator]],
                                                      BaseEstimator]:
    """The fitted transform steps and the final estimator (a bare estimator: no steps;
    steps switched off as ``None`` or ``"passthrough"`` are left out)."""
    if isinstance(estimator, Pipeline):
        return ([(name, step) for name, step in estimator.steps[:-1]
                 if not switched_off(step)], estimator.steps[-1][1])
    return [], estimator


def transform_prefix(steps: Sequence[tuple[str, BaseEstimator]], X: np.ndarray) -> np.ndarray:
    """Apply fitted transform ``steps`` to ``X`` in order."""
    for _, step in steps:
        X = step.transform(X)
    return X


def final_estimator(model: BaseEstimator) -> BaseEstimator:
    """Unwrap searches (``best_estimator_``) and label encoders
    (:class:`~neurocompare.pipelines.common.wrappers.EncodedLabelClassifier`) to the estimator
    holding the fitted parameters. (Ensembles keep their ``estimator_`` template: not
    unwrapped.)"""
    inner = getattr(model, "best_estimator_", None)
    if inner is None and isinstance(model, EncodedLabelClassifier):
        inner = getattr(model, "estimator_", None)
    return final_estimator(inner) if isinstance(inner, BaseEstimator) else model


def picked_channel_names(estimator: BaseEstimator, info: SignalInfo) -> list[str]:
    """Names of the channels a pipeline's first steps keep (:class:`PickChannels`), mapped
    to base electrode names."""
    steps, _ = split_pipeline(estimator)
    picks = next((s.picks for _, s in steps if isinstance(s, PickChannels)), None)
    index = np.arange(len(info.ch_names)) if picks is None else np.asarray(picks)
    lookup = {int(i): name for name, idx in channel_groups(info).items() for i in idx}
    return [lookup.get(int(i), info.ch_names[int(i)]) for i in index]
