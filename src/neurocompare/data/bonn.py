"""The Bonn epilepsy EEG segments (Andrzejak et al. 2001), sets A-E.

Five sets of 100 single-channel segments (4097 samples at 173.61 Hz, 23.6 s). Set letters
map to folders ``A_Z``, ``B_O``, ``C_N``, ``D_F`` and ``E_S``; file names are matched
without regard to case (set C ships as ``N001.TXT``).

Splitting caveat: there are **no subject ids**. Sets A/B come from five healthy volunteers
and C/D/E from five patients, but which segment belongs to whom is not published, so every
split mixes segments of the same people and scores are optimistic. The loader exposes the
whole set as one pseudo-subject ``"all"`` and records the set letter in the metadata; use
k-fold protocols only and read high accuracies with suspicion.

Sub-windows (``window_s``): many published Bonn results cut each segment into short
windows and then split the *windows* with k-fold, so windows of one recording land in
training and test -- neighbouring stretches of the same EEG, which a classifier can match
instead of generalising. Every window keeps its recording in the metadata column
``recording``; the ``recording-kfold`` protocol keeps all windows of a recording in one
fold, ``within-session`` (k-fold over windows) reproduces the leaky split for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from neurocompare._errors import check_option, input_error
from neurocompare.config import dataset_path
from neurocompare.data.base import Dataset, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo

__all__ = ["BonnEpilepsy", "split_windows"]

SFREQ = 173.61
N_SAMPLES = 4097
SET_FOLDERS = {"A": "A_Z", "B": "B_O", "C": "C_N", "D": "D_F", "E": "E_S"}
SET_NAMES = {"A": "healthy-eyes-open", "B": "healthy-eyes-closed",
             "C": "interictal-opposite", "D": "interictal-focal", "E": "ictal"}


def read_segment(path: Path) -> np.ndarray:
    """Read one Bonn text segment, checking it holds exactly 4097 integer samples.

    Returns
    -------
    ndarray, shape (4097,)
    """
    text = path.read_text().split()
    if len(text) != N_SAMPLES:
        raise input_error(str(path), f"{N_SAMPLES} samples, one per line", f"{len(text)} samples")
    try:
        return np.array(text, dtype=np.float64)
    except ValueError as exc:
        raise input_error(str(path), "numeric samples", str(exc)) from exc


def split_windows(X: np.ndarray, metadata: pd.DataFrame,
                  size: int) -> tuple[np.ndarray, pd.DataFrame]:
    """Cut every epoch into non-overlapping windows of ``size`` samples.

    Parameters
    ----------
    X : ndarray, shape (n_epochs, n_channels, n_times)
    metadata : DataFrame, n_epochs rows
    size : int
        Samples per window (``n_times // size`` windows per epoch; the rest is dropped).

    Returns
    -------
    windows : ndarray, shape (n_epochs * n_windows, n_channels, size)
        Windows of epoch 0 first, in time order, then epoch 1's, ...
    metadata : DataFrame
        Each epoch's row repeated per window, with ``window`` (0-based index in its epoch)
        and ``window_start`` (its first sample in the epoch) columns.
    """
    n_windows = X.shape[2] // size
    windows = X[:, :, :n_windows * size].reshape(X.shape[0], X.shape[1], n_windows, size)
    windows = windows.transpose(0, 2, 1, 3).reshape(-1, X.shape[1], size)
    rows = metadata.loc[metadata.index.repeat(n_windows)].reset_index(drop=True)
    rows["window"] = np.tile(np.arange(n_windows), len(metadata))
    rows["window_start"] = rows["window"] * size
    return np.ascontiguousarray(windows), rows


@dataclass
class BonnEpilepsy(Dataset):
    """Bonn sets A-E as classes; one channel, 4097 samples at 173.61 Hz.

    Parameters
    ----------
    root : str or Path, optional
        Folder of the dataset; defaults to ``<data root>/bonn_epilepsy``.
    sets : str
        Which set letters to load, each becoming a class, e.g. ``"AE"`` (healthy eyes open vs
        seizure) or ``"ABCDE"`` (five classes).
    window_s : float, optional
        Cut each segment into windows of this many seconds, each a trial that keeps its
        segment in the metadata column ``recording`` (see the module docstring); None keeps
        whole segments.
    """

    name = "bonn-epilepsy"
    kind = "epochs"
    description = "Real EEG segments, Bonn sets A-E (healthy, interictal, ictal), 1 channel"
    scope_note = ("No subject ids: all segments form one pseudo-subject, k-fold mixes segments "
                  "of the same people, so scores are optimistic.")

    data_folder = "bonn_epilepsy"

    root: str | Path | None = None
    sets: str = "AE"
    window_s: float | None = None

    fingerprint_defaults: ClassVar[dict[str, Any]] = {"window_s": None}

    def _root(self) -> Path:
        if self.root is not None:
            return Path(self.root)
        return dataset_path(self.data_folder, dataset=self.name)

    def _letters(self) -> list[str]:
        letters = list(self.sets.upper()) if isinstance(self.sets, str) else []
        for letter in letters:
            check_option("sets", letter, SET_FOLDERS)
        if len(set(letters)) < 2 or len(set(letters)) != len(letters):
            raise input_error("sets", "two or more distinct letters of ABCDE", self.sets)
        return letters

    def subjects(self) -> list[str]:
        """One pseudo-subject, ``"all"`` (see the module docstring)."""
        return ["all"]

    def files(self, subject: str = "all") -> list[Path]:
        """Return the segment files of the selected sets, in set then number order."""
        out = []
        for letter in self._letters():
            folder = self._root() / SET_FOLDERS[letter]
            found = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".txt") \
                if folder.is_dir() else []
            if not found:
                raise input_error(str(folder), "100 segment files *.txt", "none")
            out += found
        return out

    def _window(self) -> int | None:
        """Samples per window, or None for whole segments."""
        if self.window_s is None:
            return None
        value = self.window_s
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not 16 / SFREQ <= value <= N_SAMPLES / SFREQ:
            raise input_error("window_s", f"seconds between {16 / SFREQ:.2f} and "
                              f"{N_SAMPLES / SFREQ:.1f} (a segment's length), or None", value)
        return round(value * SFREQ)

    def _load_subject(self, subject: str) -> NeuralData:
        letters = self._letters()
        size = self._window()
        paths = self.files()
        X = np.stack([read_segment(p) for p in paths])[:, None, :]
        letter_of = {folder: letter for letter, folder in SET_FOLDERS.items()}
        set_letters = [letter_of[p.parent.name] for p in paths]
        metadata = pd.DataFrame({
            "subject": subject, "session": "0", "run": "0",
            "segment": [p.stem.upper() for p in paths], "set": set_letters,
            "group": ["healthy" if s in "AB" else "patient" for s in set_letters],
        })
        metadata["recording"] = metadata["set"] + "/" + metadata["segment"]
        if size is not None:
            X, metadata = split_windows(X, metadata, size)
        info = SignalInfo(
            kind="epochs", class_names=tuple(letters), sfreq=SFREQ, ch_names=("EEG",),
            units="a.u. (12-bit A/D units)", tmin=0.0,
            extra={"set_names": {k: SET_NAMES[k] for k in letters}},
        )
        y = labels_to_codes(metadata["set"].tolist(), letters, self.name)
        return NeuralData(X, y, metadata, info)
