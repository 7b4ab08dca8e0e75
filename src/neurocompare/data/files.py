"""EEG recordings in a folder, found by a file-name pattern.

:class:`EEGFiles` reads any MNE-readable continuous file (FIF, EDF/BDF, GDF, BrainVision,
EEGLAB) laid out by subject, session and run, e.g. ``sub-{subject}/ses-{session}/run-{run}.edf``,
and cuts labelled epochs around the declared events. :func:`epoch_recordings` is the shared
engine (also used by the PhysioNet and BIDS loaders): it reads each recording, checks that
channels and sampling rates agree across the recordings of a subject, and returns one
:class:`NeuralData` whose errors always name the file at fault.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mne
import numpy as np
import pandas as pd

from neurocompare._errors import check_option, check_path, input_error
from neurocompare.data.base import Dataset, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.data.epoching import epoch_raw, find_events, read_raw

__all__ = ["EEGFiles", "Recording", "epoch_recordings", "parse_pattern"]

logger = logging.getLogger(__name__)

#: Placeholders a pattern may hold; ``subject`` is required.
PLACEHOLDERS = ("subject", "session", "run", "any")
_FIELD = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Recording:
    """One continuous recording of a subject.

    Attributes
    ----------
    path : Path
        The data file (named in every error).
    subject, session, run : Any, str, str
        Identifiers written to the metadata.
    event_file : Path, optional
        A separate MNE event file holding the events of this recording.
    handle : Any
        Anything a custom reader needs (e.g. a ``mne_bids.BIDSPath``).
    """

    path: Path
    subject: Any
    session: str = "0"
    run: str = "0"
    event_file: Path | None = None
    handle: Any = None


def _natural_key(text: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part
                 for part in re.split(r"(\d+)", str(text)))


def parse_pattern(pattern: str) -> tuple[str, re.Pattern[str]]:
    """Turn a file pattern into a glob and a regular expression with named groups.

    Parameters
    ----------
    pattern : str
        Path relative to the root, with ``{subject}`` (required), ``{session}``, ``{run}``
        and ``{any}`` (a wildcard within one path component) placeholders, e.g.
        ``"sub-{subject}/ses-{session}/run-{run}.edf"``.

    Returns
    -------
    glob : str
        The pattern with every placeholder replaced by ``*``.
    regex : re.Pattern
        Full match of a POSIX relative path; groups ``subject``, ``session``, ``run``.
    """
    if not isinstance(pattern, str) or not pattern.strip():
        raise input_error("pattern", "a relative path pattern such as "
                          "'sub-{subject}/run-{run}.edf'", pattern)
    fields = _FIELD.findall(pattern)
    unknown = sorted(set(fields) - set(PLACEHOLDERS))
    if unknown:
        raise input_error("pattern", f"placeholders among {list(PLACEHOLDERS)}",
                          unknown, hint=f"Pattern was {pattern!r}.")
    if "subject" not in fields:
        raise input_error("pattern", "a {subject} placeholder", pattern)
    if Path(pattern).is_absolute():
        raise input_error("pattern", "a path relative to root", pattern)
    regex, seen, last = "", set(), 0
    for match in _FIELD.finditer(pattern):
        regex += re.escape(pattern[last:match.start()])
        field = match.group(1)
        if field == "any":
            regex += r"[^/]*"
        elif field in seen:
            regex += f"(?P={field})"
        else:
            regex += rf"(?P<{field}>[^/]+?)"
            seen.add(field)
        last = match.end()
    regex += re.escape(pattern[last:])
    return _FIELD.sub("*", pattern), re.compile(regex)


def _check_channels(raw: mne.io.BaseRaw, reference: Sequence[str] | None, path: Path,
                    first: Path | None) -> None:
    if reference is None:
        return
    if set(raw.ch_names) != set(reference):
        missing = sorted(set(reference) - set(raw.ch_names))
        extra = sorted(set(raw.ch_names) - set(reference))
        raise input_error(str(path), f"the channels of {first.name if first else 'the first'}"
                          f" ({len(reference)} channels)",
                          f"missing {missing}, extra {extra}",
                          hint="All recordings of a subject must share their channels; "
                               "use picks to select common ones.")
    if list(raw.ch_names) != list(reference):
        logger.debug("%s: channels reordered to match %s", path, first)
        raw.reorder_channels(list(reference))


def epoch_recordings(
    recordings: Sequence[Recording],
    event_id: Mapping[str, int | str],
    *,
    tmin: float,
    tmax: float,
    source: str,
    l_freq: float | None = None,
    h_freq: float | None = None,
    resample: float | None = None,
    picks: str | list[str] = "eeg",
    stim_channel: str | None = None,
    montage: str | None = None,
    read: Callable[[Recording], mne.io.BaseRaw] | None = None,
    prepare: Callable[[mne.io.BaseRaw], None] | None = None,
    units: str = "V",
    extra: Mapping[str, Any] | None = None,
) -> NeuralData:
    """Epoch several recordings of one subject into one :class:`NeuralData`.

    Parameters
    ----------
    recordings : sequence of Recording
        In the order the trials should appear (sessions, then runs).
    event_id : mapping of str to int or str
        Class name -> event code or annotation description; the keys, in order, are the
        class names (code ``i`` is ``list(event_id)[i]``).
    tmin, tmax : float
        Epoch window in seconds relative to each event.
    source : str
        Dataset and subject named in label errors.
    l_freq, h_freq : float, optional
        Band-pass edges in Hz.
    resample : float, optional
        Common sampling rate in Hz. Without it, every recording must have the rate of the
        first one.
    picks : str or list of str
        Channels kept (after ``stim_channel`` is typed as a stim channel).
    stim_channel : str, optional
        Read events from this channel instead of the annotations.
    montage : str, optional
        MNE built-in montage name; every kept channel must have a position in it.
    read : callable, optional
        ``read(recording) -> Raw``; defaults to :func:`read_raw` of ``recording.path``.
    prepare : callable, optional
        ``prepare(raw)`` edits each raw in place after reading (e.g. renames channels).
    units : str
        Unit of the samples, recorded in :class:`SignalInfo`.
    extra : mapping, optional
        Copied into ``info.extra``.

    Returns
    -------
    NeuralData
        ``X`` of shape (n_trials, n_channels, n_times); metadata columns subject, session,
        run, trial, onset (s from the recording's start), label and recording (file name).
    """
    if not recordings:
        raise input_error(f"{source}: recordings", "at least one recording file", "none")
    class_names = tuple(str(name) for name in event_id)
    if montage is not None:
        check_option("montage", montage, mne.channels.get_builtin_montages())
        positions = set(mne.channels.make_standard_montage(montage).ch_names)
    parts, rows = [], []
    channels: list[str] | None = None
    sfreq: float | None = None
    first: Path | None = None
    for rec in recordings:
        raw = read(rec) if read is not None else read_raw(rec.path)
        if prepare is not None:
            prepare(raw)
        if stim_channel is not None and stim_channel in raw.ch_names:
            raw.set_channel_types({stim_channel: "stim"}, verbose="error")
        if sfreq is not None and raw.info["sfreq"] != sfreq and resample is None:
            raise input_error(str(rec.path), f"a sampling rate of {sfreq:g} Hz (as {first.name})",
                              f"{raw.info['sfreq']:g} Hz",
                              hint="Set resample to a common rate to mix rates.")
        events, mapping = find_events(
            raw, event_id, source=str(rec.event_file or rec.path), stim_channel=stim_channel,
            event_file=rec.event_file)
        try:
            raw.pick(picks)
        except ValueError as exc:
            raise input_error(f"{rec.path}: picks", f"channels or types in {raw.ch_names}",
                              picks) from exc
        _check_channels(raw, channels, rec.path, first)
        if montage is not None:
            unplaced = [ch for ch in raw.ch_names if ch not in positions]
            if unplaced:
                raise input_error(str(rec.path), f"channels with positions in montage "
                                  f"{montage!r}", unplaced,
                                  hint="Set montage=None or rename the channels.")
        epoched = epoch_raw(raw, events, mapping, tmin=tmin, tmax=tmax, source=str(rec.path),
                            l_freq=l_freq, h_freq=h_freq, resample=resample, picks="all")
        if channels is None:
            channels, sfreq, first = list(raw.ch_names), float(raw.info["sfreq"]), rec.path
        parts.append(epoched.X)
        for trial, (label, onset) in enumerate(zip(epoched.labels, epoched.onsets, strict=True)):
            rows.append({"subject": rec.subject, "session": str(rec.session),
                         "run": str(rec.run), "trial": trial, "onset": float(onset),
                         "label": label, "recording": rec.path.name})
        out_sfreq = epoched.sfreq
        logger.debug("%s: %d epochs", rec.path, len(epoched.labels))
    metadata = pd.DataFrame(rows)
    y = labels_to_codes(metadata["label"], class_names, source)
    info = SignalInfo(kind="epochs", class_names=class_names, sfreq=out_sfreq,
                      ch_names=tuple(channels or ()), montage=montage, units=units, tmin=tmin,
                      extra=dict(extra or {}))
    return NeuralData(np.concatenate(parts), y, metadata, info)


@dataclass
class EEGFiles(Dataset):
    """Continuous EEG files under ``root``, one or more per subject, named by a pattern.

    Parameters
    ----------
    root : str or Path
        Folder the pattern is relative to.
    pattern : str
        Relative path with ``{subject}`` and optionally ``{session}``, ``{run}`` and
        ``{any}`` placeholders, e.g. ``"sub-{subject}/ses-{session}/run-{run}.edf"``.
        Without ``{session}`` the session is ``"0"``; without ``{run}`` the run is the
        position of the file among its subject-session's files (``"0"``, ``"1"``, ...).
    event_id : mapping of str to int or str
        Class name -> event code (stim channel or event file) or annotation description.
        The keys, in order, are the class names.
    tmin, tmax : float
        Epoch window in seconds around each event.
    l_freq, h_freq : float, optional
        Band-pass edges in Hz (zero-phase FIR).
    resample : float, optional
        Common sampling rate in Hz; required when the files' rates differ.
    stim_channel : str, optional
        Events from this channel instead of the annotations.
    event_file_pattern : str, optional
        Events from a file next to each recording, e.g. ``"{stem}-eve.fif"``; placeholders
        ``{stem}`` (file name without extension), ``{base}`` (the stem without a trailing
        ``_raw``, so ``x_raw.fif`` -> ``x-eve.fif`` with ``"{base}-eve.fif"``), ``{subject}``,
        ``{session}``, ``{run}``.
    picks : str or list of str
        Channels kept.
    montage : str, optional
        MNE built-in montage name of the channel positions, e.g. ``"colin27_1005"``.
    """

    name = "eeg-files"
    kind = "epochs"
    description = "Any MNE-readable EEG files (FIF/EDF/BDF/GDF/BrainVision/EEGLAB) by pattern"
    scope_note = ("Subjects, sessions and runs come from the file names; split by subject for "
                  "cross-subject claims.")

    root: str | Path
    pattern: str
    event_id: Mapping[str, int | str]
    tmin: float = 0.0
    tmax: float = 3.0
    l_freq: float | None = None
    h_freq: float | None = None
    resample: float | None = None
    stim_channel: str | None = None
    event_file_pattern: str | None = None
    picks: str | list[str] = "eeg"
    montage: str | None = None

    def _scan(self) -> list[Recording]:
        root = check_path("root", self.root, kind="dir")
        glob, regex = parse_pattern(self.pattern)
        found = []
        for path in root.glob(glob):
            match = regex.fullmatch(path.relative_to(root).as_posix())
            if match is None or not path.is_file():
                continue
            groups = match.groupdict()
            found.append((groups["subject"], groups.get("session") or "0", groups.get("run"),
                          path))
        if not found:
            raise input_error(f"{self.name}: files", f"files matching {self.pattern!r}",
                              f"none under {root}")
        found.sort(key=lambda f: (_natural_key(f[0]), _natural_key(f[1]),
                                  _natural_key(f[2] or ""), f[3].as_posix()))
        recordings, position = [], {}
        for subject, session, run, path in found:
            if run is None:
                run = str(position.setdefault((subject, session), 0))
                position[(subject, session)] += 1
            recordings.append(Recording(path, subject, session, run,
                                        self._event_file(path, subject, session, run)))
        return recordings

    def _event_file(self, path: Path, subject: str, session: str, run: str) -> Path | None:
        if self.event_file_pattern is None:
            return None
        stem = path.name[:-len(".fif.gz")] if path.name.endswith(".fif.gz") else path.stem
        base = re.sub(r"[_-]raw$", "", stem)
        try:
            name = self.event_file_pattern.format(stem=stem, base=base, subject=subject,
                                                  session=session, run=run)
        except (KeyError, IndexError, ValueError) as exc:
            raise input_error("event_file_pattern", "placeholders among {stem}, {base}, "
                              "{subject}, {session}, {run}", self.event_file_pattern) from exc
        return path.parent / name

    def subjects(self) -> list[str]:
        """Return the subject ids found in the file names, naturally sorted ("2" < "10")."""
        return list(dict.fromkeys(rec.subject for rec in self._scan()))

    def _recordings(self, subject: str) -> list[Recording]:
        return [rec for rec in self._scan() if rec.subject == subject]

    def files(self, subject: str) -> list[Path]:
        """Return the recordings of ``subject`` with their event files and sidecars."""
        out = []
        for rec in self._recordings(subject):
            out.append(rec.path)
            sidecars = {".vhdr": (".vmrk", ".eeg"), ".set": (".fdt",)}
            for ext in sidecars.get(rec.path.suffix.lower(), ()):
                if rec.path.with_suffix(ext).is_file():
                    out.append(rec.path.with_suffix(ext))
            if rec.event_file is not None:
                out.append(rec.event_file)
        return out

    def _load_subject(self, subject: str) -> NeuralData:
        return epoch_recordings(
            self._recordings(subject), self.event_id, tmin=self.tmin, tmax=self.tmax,
            source=f"{self.name} subject {subject}", l_freq=self.l_freq, h_freq=self.h_freq,
            resample=self.resample, picks=self.picks, stim_channel=self.stim_channel,
            montage=self.montage)
