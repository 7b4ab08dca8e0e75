"""EEG datasets in BIDS format, read through MNE-BIDS.

Subjects, sessions and runs come from the BIDS entities; each recording is read with
:func:`mne_bids.read_raw_bids`, whose annotations hold the ``trial_type`` column of the
recording's ``events.tsv``. ``event_id`` maps class names to those trial types. Epoching,
channel and sampling-rate checks are shared with :class:`~neurocompare.data.files.EEGFiles`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mne
from mne_bids import find_matching_paths, get_entity_vals, read_raw_bids

from neurocompare._errors import check_path, input_error
from neurocompare.data.base import Dataset
from neurocompare.data.containers import NeuralData
from neurocompare.data.files import Recording, epoch_recordings

__all__ = ["BIDSEEG"]

logger = logging.getLogger(__name__)

#: Data-file extensions of EEG recordings in BIDS (sidecars are found by MNE-BIDS).
EXTENSIONS = (".edf", ".bdf", ".vhdr", ".set", ".fif")


def _read_bids(recording: Recording) -> mne.io.BaseRaw:
    """Read one BIDS recording with its events, naming the file in any error."""
    try:
        raw = read_raw_bids(recording.handle, verbose="error")
        return raw.load_data(verbose="error")
    except Exception as exc:  # MNE-BIDS raises many types for bad files or sidecars
        raise input_error(str(recording.path), "a readable BIDS EEG recording",
                          f"{type(exc).__name__}: {exc}") from exc


@dataclass
class BIDSEEG(Dataset):
    """EEG recordings of one task in a BIDS dataset.

    Parameters
    ----------
    root : str or Path
        The BIDS root (holding ``dataset_description.json`` and ``sub-*`` folders).
    event_id : mapping of str to str
        Class name -> ``trial_type`` value in the events files; the keys, in order, are the
        class names.
    task : str, optional
        BIDS task label; may be omitted when the dataset has one task.
    tmin, tmax : float
        Epoch window in seconds around each event onset.
    l_freq, h_freq : float, optional
        Band-pass edges in Hz.
    resample : float, optional
        Common sampling rate in Hz; required when recordings differ in rate.
    picks : str or list of str
        Channels kept.
    montage : str, optional
        MNE built-in montage name of the channel positions.
    datatype : str
        BIDS data type folder (``"eeg"``).
    """

    name = "bids-eeg"
    kind = "epochs"
    description = "Any BIDS EEG dataset (via MNE-BIDS), events from the events.tsv trial_type"
    scope_note = "Subjects, sessions and runs come from the BIDS entities."

    root: str | Path
    event_id: Mapping[str, str]
    task: str | None = None
    tmin: float = 0.0
    tmax: float = 3.0
    l_freq: float | None = None
    h_freq: float | None = None
    resample: float | None = None
    picks: str | list[str] = "eeg"
    montage: str | None = None
    datatype: str = "eeg"

    def _root(self) -> Path:
        return check_path("root", self.root, kind="dir")

    def _task(self) -> str:
        tasks = list(get_entity_vals(self._root(), "task"))
        if self.task is None:
            if len(tasks) != 1:
                raise input_error("task", f"one of the dataset's tasks {tasks}", None,
                                  hint="Set task when a dataset has several (or none found).")
            return tasks[0]
        if self.task not in tasks:
            raise input_error("task", f"one of the dataset's tasks {tasks}", self.task)
        return self.task

    def _paths(self, subject: str | None = None) -> list[Any]:
        paths = find_matching_paths(
            self._root(), subjects=subject, tasks=self._task(), datatypes=self.datatype,
            suffixes=self.datatype, extensions=list(EXTENSIONS))
        return sorted(paths, key=lambda p: (p.subject, p.session or "", p.run or "",
                                            str(p.fpath)))

    def subjects(self) -> list[str]:
        """Return the BIDS subject labels with a recording of the task, sorted."""
        return sorted({p.subject for p in self._paths()})

    def files(self, subject: str) -> list[Path]:
        """Return the data files of ``subject`` with their events and channels sidecars."""
        out = []
        for path in self._paths(subject):
            out.append(Path(path.fpath))
            for suffix in ("events", "channels"):
                sidecar = path.copy().update(suffix=suffix, extension=".tsv")
                if Path(sidecar.fpath).is_file():
                    out.append(Path(sidecar.fpath))
        return out

    def _load_subject(self, subject: str) -> NeuralData:
        recordings = [Recording(Path(p.fpath), subject, p.session or "0", p.run or "0",
                                handle=p)
                      for p in self._paths(subject)]
        if not recordings:
            raise input_error(f"{self._root()}/sub-{subject}",
                              f"{self.datatype} recordings of task {self._task()!r}", "none")
        return epoch_recordings(
            recordings, self.event_id, tmin=self.tmin, tmax=self.tmax,
            source=f"{self.name} subject {subject}", l_freq=self.l_freq, h_freq=self.h_freq,
            resample=self.resample, picks=self.picks, montage=self.montage, read=_read_bids,
            extra={"task": self._task()})
