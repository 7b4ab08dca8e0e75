"""Turn a continuous MNE recording plus events into labelled epochs.

Pure functions shared by every EEG loader: find the events (annotations, a stim channel or
an MNE event file), band-pass, resample, cut epochs. Every check names the file it read.

Resampling is applied to the continuous recording (events moved with it) before epoching, so
that recordings of different native rates give epochs with the same number of samples.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np
from mne._fiff.pick import _picks_to_idx  # the channels raw.filter picks

from neurocompare._errors import check_path, input_error

__all__ = ["EpochedRecording", "cut_epochs", "epoch_raw", "find_events", "read_raw"]

logger = logging.getLogger(__name__)

#: File endings MNE reads as continuous recordings, and the reader used for each.
_READERS = {
    ".fif": mne.io.read_raw_fif,
    ".fif.gz": mne.io.read_raw_fif,
    ".edf": mne.io.read_raw_edf,
    ".bdf": mne.io.read_raw_bdf,
    ".gdf": mne.io.read_raw_gdf,
    ".vhdr": mne.io.read_raw_brainvision,
    ".set": mne.io.read_raw_eeglab,
}


@dataclass
class EpochedRecording:
    """Epochs cut from one recording.

    Attributes
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
    labels : list of str
        Event name of each trial.
    onsets : ndarray, shape (n_trials,)
        Event onset of each trial in seconds from the start of the recording.
    sfreq : float
        Sampling rate of ``X`` after any resampling.
    ch_names : list of str
    """

    X: np.ndarray
    labels: list[str]
    onsets: np.ndarray
    sfreq: float
    ch_names: list[str]


def _check_edf_size(path: Path, sample_bytes: int) -> None:
    """Raise if an EDF/BDF file is shorter than its header says (a truncated copy).

    MNE only warns and reads what is there; a cut file would otherwise load silently.
    Headers it cannot parse are left to MNE's reader to judge.
    """
    size = path.stat().st_size
    with path.open("rb") as fid:
        fixed = fid.read(256)
        if len(fixed) < 256:
            raise input_error(str(path), "an EDF/BDF file with a 256-byte header",
                              f"{size} bytes (truncated or not EDF/BDF)")
        try:
            header_bytes = int(fixed[184:192])
            n_records = int(fixed[236:244])
            n_signals = int(fixed[252:256])
            fid.seek(256 + 216 * n_signals)
            per_record = sum(int(fid.read(8)) for _ in range(n_signals))
        except ValueError:
            return
    if n_records <= 0:  # -1: unknown length, MNE infers it from the size
        return
    expected = header_bytes + n_records * per_record * sample_bytes
    if size < expected:
        raise input_error(str(path), f"a complete file of {expected} bytes "
                          f"({n_records} data records in its header)",
                          f"{size} bytes", hint="The file looks truncated; copy it again.")


def read_raw(path: str | Path, *, preload: bool = True) -> mne.io.BaseRaw:
    """Read any MNE-readable continuous file, with a clear error for missing/bad files.

    Parameters
    ----------
    path : str or Path
        FIF, EDF, BDF, GDF, BrainVision ``.vhdr`` or EEGLAB ``.set`` file.
    preload : bool
        Load samples into memory.

    Raises
    ------
    InputError
        Naming the file when it is missing, empty, of an unknown type, truncated (EDF/BDF)
        or unreadable.
    """
    path = check_path("recording", path)
    name = path.name.lower()
    suffix = ".fif.gz" if name.endswith(".fif.gz") else path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise input_error(str(path), f"a recording ending in one of {sorted(_READERS)}", suffix)
    if suffix in (".edf", ".bdf"):
        _check_edf_size(path, 2 if suffix == ".edf" else 3)
    try:
        return reader(path, preload=preload, verbose="error")
    except Exception as exc:  # MNE raises many types for corrupt files
        raise input_error(str(path), f"a readable {suffix} recording",
                          f"{type(exc).__name__}: {exc}") from exc


#: BrainVision marker types that MNE prefixes to annotation descriptions ("Stimulus/S  1").
_MARKER_TYPES = ("Comment", "Stimulus", "Response")


def _check_event_id(event_id: Mapping[str, int | str]) -> None:
    if not isinstance(event_id, Mapping) or len(event_id) < 1:
        raise input_error("event_id", "a non-empty mapping of class name to event code or "
                          "annotation description", event_id)
    values = [str(v) for v in event_id.values()]
    if len(set(values)) != len(values):
        raise input_error("event_id", "a distinct event code per class", dict(event_id))


def _match_description(description: str, declared: Mapping[str, str]) -> str | None:
    """Return the declared description ``description`` stands for, or None.

    An exact match wins; otherwise a BrainVision marker type prefix (``"Comment/T1"``,
    ``"Stimulus/S  1"``) is dropped before matching.
    """
    if description in declared:
        return description
    prefix, _, rest = description.partition("/")
    if prefix in _MARKER_TYPES and rest in declared:
        return rest
    return None


def find_events(
    raw: mne.io.BaseRaw,
    event_id: Mapping[str, int | str],
    *,
    source: str,
    stim_channel: str | None = None,
    event_file: str | Path | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Find the events of ``raw`` and map them to class names.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The continuous recording.
    event_id : mapping of str to int or str
        Class name -> event code (stim channel / event file) or annotation description.
    source : str
        File named in error messages.
    stim_channel : str, optional
        Read events from this stim channel.
    event_file : str or Path, optional
        Read events from this MNE event file (``-eve.fif`` or text).
        When neither is given, events come from the annotations.

    Returns
    -------
    events : ndarray of int, shape (n_events, 3)
        Only the events whose code is in the returned mapping.
    mapping : dict of str to int
        Class name -> integer code used in ``events``.
    """
    _check_event_id(event_id)
    if event_file is not None:
        path = check_path("event_file", event_file)
        try:
            events = mne.read_events(path, verbose="error")
        except Exception as exc:
            raise input_error(str(path), "an MNE event file", f"{type(exc).__name__}: {exc}") \
                from exc
        mapping = {name: int(code) for name, code in event_id.items()}
    elif stim_channel is not None:
        if stim_channel not in raw.ch_names:
            raise input_error(f"{source}: stim_channel", f"one of {raw.ch_names}", stim_channel)
        events = mne.find_events(raw, stim_channel=stim_channel, shortest_event=1,
                                 verbose="error")
        mapping = {name: int(code) for name, code in event_id.items()}
    else:
        descriptions = {str(code): name for name, code in event_id.items()}
        present = sorted(set(raw.annotations.description))
        matched = {d: m for d in present if (m := _match_description(d, descriptions))}
        if not matched:
            raise input_error(f"{source}: annotations", f"events {sorted(descriptions)}",
                              present or "no annotations")
        codes = {desc: i + 1 for i, desc in enumerate(sorted(descriptions))}
        events, _ = mne.events_from_annotations(
            raw, event_id={d: codes[m] for d, m in matched.items()}, regexp=None,
            verbose="error")
        mapping = {descriptions[desc]: code for desc, code in codes.items()}
    events = np.asarray(events)
    if events.size == 0:
        raise input_error(source, "events in the recording", "no events")
    keep = np.isin(events[:, 2], list(mapping.values()))
    if not keep.any():
        raise input_error(f"{source}: events", f"codes {sorted(mapping.values())}",
                          sorted(set(events[:, 2].tolist())))
    return events[keep], mapping


def epoch_raw(
    raw: mne.io.BaseRaw,
    events: np.ndarray,
    mapping: Mapping[str, int],
    *,
    tmin: float,
    tmax: float,
    source: str,
    l_freq: float | None = None,
    h_freq: float | None = None,
    resample: float | None = None,
    picks: str | list[str] = "eeg",
    filter_method: str = "fir",
) -> EpochedRecording:
    """Band-pass, optionally resample, and epoch one recording.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        Preloaded continuous data (filtered in place on a copy).
    events : ndarray of int, shape (n_events, 3)
    mapping : mapping of str to int
        Class name -> event code.
    tmin, tmax : float
        Epoch window in seconds relative to each event (``tmax`` sample included, as MNE).
    source : str
        File named in error messages.
    l_freq, h_freq : float, optional
        Band-pass edges in Hz (zero phase); ``None`` leaves that side open.
    resample : float, optional
        New sampling rate in Hz, applied to the continuous (filtered) recording before
        epoching, events moved with it; epochs of recordings with different native rates
        then have the same number of samples.
    picks : str or list of str
        Channels to keep.
    filter_method : {"fir", "iir"}
        MNE filter design; ``"iir"`` is a zero-phase 4th-order Butterworth (as MOABB uses).
    """
    if tmax <= tmin:
        raise input_error("tmax", f"a time after tmin={tmin}", tmax)
    try:
        picked = _picks_to_idx(raw.info, picks, "all", exclude=(), allow_empty=False)
    except ValueError as exc:
        raise input_error(f"{source}: picks", f"channels or types present in {raw.ch_names}",
                          picks) from exc
    events = np.asarray(events)
    filtered = np.isin(picked, _picks_to_idx(raw.info, None, "data_or_ica", exclude=(),
                                             allow_empty=True))
    if (resample is None and not raw.info["projs"] and len(raw.annotations) == 0
            and filtered.any()):
        # ``raw.copy().pick(picks).filter(...)`` on a recording without annotations (one span,
        # the whole recording), without copying its measurement info and other channels or
        # raw.filter's per-call mask of every sample time: the same samples (tested)
        data = raw.get_data(picks=picked)
        if l_freq is not None or h_freq is not None:
            design = (dict(_iir_design(float(raw.info["sfreq"]), l_freq, h_freq))
                      if filter_method == "iir" else None)
            mne.filter.filter_data(data, raw.info["sfreq"], l_freq, h_freq,
                                   picks=np.flatnonzero(filtered), method=filter_method,
                                   iir_params=design, copy=False, verbose="error")
        events = events[np.isin(events[:, 2], list(mapping.values()))]
        X, kept = cut_epochs(data, events, raw.first_samp, raw.info["sfreq"], tmin, tmax,
                             source=source)
        return _recording(X, kept, events, mapping, raw.info["sfreq"], raw.first_time,
                          [raw.ch_names[i] for i in picked], source, (tmin, tmax))
    raw = raw.copy().pick(picked)
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq, method=filter_method, verbose="error")
    if resample is not None and resample != raw.info["sfreq"]:
        if resample <= 0:
            raise input_error("resample", "a positive sampling rate in Hz", resample)
        raw, events = raw.resample(resample, events=events, verbose="error")
    events = events[np.isin(events[:, 2], list(mapping.values()))]
    if raw.info["projs"]:  # SSP projectors: let MNE apply them as it cuts
        epochs = mne.Epochs(raw, events, event_id=dict(mapping), tmin=tmin, tmax=tmax,
                            baseline=None, preload=True, on_missing="ignore",
                            reject_by_annotation=False, verbose="error")
        X, kept = epochs.get_data(copy=False), epochs.events
    else:
        X, kept = cut_epochs(raw.get_data(), events, raw.first_samp, raw.info["sfreq"],
                             tmin, tmax, source=source)
    return _recording(X, kept, events, mapping, raw.info["sfreq"], raw.first_time,
                      list(raw.ch_names), source, (tmin, tmax))


@functools.lru_cache(maxsize=64)
def _iir_design(sfreq: float, l_freq: float | None, h_freq: float | None) -> dict:
    """MNE's default IIR band-pass (4th-order Butterworth, second-order sections), designed
    once per rate and band instead of once per recording and band (about 2 ms each)."""
    return mne.filter.create_filter(None, sfreq, l_freq, h_freq, method="iir",
                                    verbose="error")


def _recording(X: np.ndarray, kept: np.ndarray, events: np.ndarray,
               mapping: Mapping[str, int], sfreq: float, first_time: float,
               ch_names: list[str], source: str, window: tuple[float, float]
               ) -> EpochedRecording:
    """The :class:`EpochedRecording` of the cut epochs, or an error when none is complete."""
    if len(kept) == 0:
        raise input_error(source, f"events with room for a [{window[0]}, {window[1]}] s "
                          "window", "no complete epoch")
    dropped = len(events) - len(kept)
    if dropped:
        logger.warning("%s: %d of %d events dropped (window outside the recording)",
                       source, dropped, len(events))
    code_to_name = {code: name for name, code in mapping.items()}
    labels = [code_to_name[code] for code in kept[:, 2]]
    return EpochedRecording(
        X=np.asarray(X, dtype=np.float64),
        labels=labels,
        onsets=kept[:, 0] / sfreq - first_time,
        sfreq=float(sfreq),
        ch_names=ch_names,
    )


def cut_epochs(data: np.ndarray, events: np.ndarray, first_samp: int, sfreq: float,
               tmin: float, tmax: float, *, source: str = "recording"
               ) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``[tmin, tmax]`` windows around events, sample for sample as ``mne.Epochs`` does.

    The window starts ``round(tmin * sfreq)`` samples from the event and ends
    ``round(tmax * sfreq)`` samples after it (inclusive); events whose window leaves the
    recording are dropped; repeated event samples are an error (MNE's default).

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
        The continuous recording.
    events : ndarray of int, shape (n_events, 3)
        MNE events (sample numbers include ``first_samp``).
    first_samp : int
        Sample number of ``data[:, 0]``.
    sfreq, tmin, tmax : float
    source : str
        File named in error messages.

    Returns
    -------
    X : ndarray, shape (n_kept, n_channels, n_times)
    kept : ndarray of int, shape (n_kept, 3)
        The events that had a complete window.
    """
    samples = np.asarray(events)[:, 0]
    ordered = np.sort(samples)
    repeated = ordered[1:][np.diff(ordered) == 0]
    if len(repeated):
        raise input_error(f"{source}: events", "one event per sample",
                          f"repeated event samples {sorted(set(repeated.tolist()))}")
    start_idx = round(tmin * sfreq)
    n_times = round(tmax * sfreq) - start_idx + 1
    starts = samples - first_samp + start_idx
    keep = (starts >= 0) & (starts + n_times <= data.shape[1])
    starts = starts[keep]
    X = data[:, starts[:, None] + np.arange(n_times)].transpose(1, 0, 2) if len(starts) \
        else np.empty((0, data.shape[0], n_times))
    return np.ascontiguousarray(X), np.asarray(events)[keep]
