"""Epochs already in memory: NumPy arrays or :class:`mne.Epochs`.

:class:`ArrayDataset` wraps ``X`` of shape (n_trials, n_channels, n_times) and any hashable
labels. Labels are mapped to integer codes over the whole dataset (so every subject shares
the codes): ``class_names`` is the sorted unique labels (as text) unless given. Metadata is
optional; missing ``subject``, ``session`` and ``run`` columns default to 1, ``"0"``, ``"0"``.
:meth:`ArrayDataset.from_epochs` builds one from :class:`mne.Epochs`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import mne
import numpy as np
import pandas as pd

from neurocompare._errors import check_option, input_error
from neurocompare.data.base import Dataset, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo

__all__ = ["ArrayDataset"]

_DEFAULTS = {"subject": 1, "session": "0", "run": "0"}


def _sorted_unique(labels: Sequence[Hashable]) -> list[Hashable]:
    unique = list(dict.fromkeys(labels))
    try:
        return sorted(unique)
    except TypeError:  # mixed types: order by text
        return sorted(unique, key=str)


@dataclass(eq=False)
class ArrayDataset(Dataset):
    """Epochs given as arrays.

    Parameters
    ----------
    X : array-like, shape (n_trials, n_channels, n_times)
        Samples (converted to float64).
    y : sequence, shape (n_trials,)
        One label per trial, any hashable (names, numbers).
    sfreq : float
        Sampling rate in Hz.
    ch_names : sequence of str, optional
        Channel names; default ``"ch0"``, ``"ch1"``, ...
    metadata : DataFrame, optional
        One row per trial; ``subject``, ``session`` and ``run`` default to 1, ``"0"``, ``"0"``.
    class_names : sequence of str, optional
        Class order; ``str(label)`` of every label must be one of them. Default: the sorted
        unique labels.
    montage : str, optional
        MNE built-in montage name of the channel positions.
    tmin : float
        Time of the first sample relative to the event, in seconds.
    units : str
        Unit of ``X``.
    ch_types : str
        MNE channel type of every channel.
    """

    name = "arrays"
    kind = "epochs"
    description = "Epochs given in memory as arrays (or mne.Epochs)"
    scope_note = "Subjects and sessions are whatever the metadata says (one subject by default)."

    X: Any
    y: Any
    sfreq: float
    ch_names: Sequence[str] | None = None
    metadata: pd.DataFrame | None = None
    class_names: Sequence[str] | None = None
    montage: str | None = None
    tmin: float = 0.0
    units: str = "a.u."
    ch_types: str = "eeg"

    # -- checks (run on use, never in the constructor) ------------------------------------
    def _arrays(self) -> tuple[np.ndarray, list[Hashable], pd.DataFrame]:
        X = np.asarray(self.X)
        if X.ndim != 3:
            raise input_error("X", "an array of shape (n_trials, n_channels, n_times)",
                              X.shape)
        if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
            raise input_error("X", "numeric samples", X.dtype)
        labels = list(np.asarray(self.y, dtype=object).ravel()) if self.y is not None else []
        if np.ndim(self.y) != 1 or len(labels) != X.shape[0]:
            raise input_error("y", f"one label per trial, shape ({X.shape[0]},)",
                              np.shape(self.y))
        if self.sfreq is None or not np.isscalar(self.sfreq) or not self.sfreq > 0:
            raise input_error("sfreq", "a positive sampling rate in Hz", self.sfreq)
        if self.montage is not None:
            check_option("montage", self.montage, mne.channels.get_builtin_montages())
        names = self._ch_names(X.shape[1])
        if len(set(names)) != len(names):
            raise input_error("ch_names", "unique channel names", list(names))
        return X, labels, self._metadata(X.shape[0])

    def _ch_names(self, n_channels: int) -> tuple[str, ...]:
        if self.ch_names is None:
            return tuple(f"ch{i}" for i in range(n_channels))
        names = tuple(str(ch) for ch in self.ch_names)
        if len(names) != n_channels:
            raise input_error("ch_names", f"{n_channels} names (X has {n_channels} channels)",
                              f"{len(names)} names")
        return names

    def _metadata(self, n_trials: int) -> pd.DataFrame:
        if self.metadata is None:
            metadata = pd.DataFrame(index=range(n_trials))
        elif not isinstance(self.metadata, pd.DataFrame):
            raise input_error("metadata", "a pandas DataFrame", type(self.metadata).__name__)
        elif len(self.metadata) != n_trials:
            raise input_error("metadata", f"{n_trials} rows (one per trial of X)",
                              f"{len(self.metadata)} rows")
        else:
            metadata = self.metadata.reset_index(drop=True).copy()
        for column, default in _DEFAULTS.items():
            if column not in metadata.columns:
                metadata[column] = default
        if metadata["subject"].isna().any():
            raise input_error("metadata: subject", "a subject id on every row", "missing ids")
        metadata["session"] = metadata["session"].astype(str)
        metadata["run"] = metadata["run"].astype(str)
        return metadata

    def _class_names(self, labels: Sequence[Hashable]) -> tuple[str, ...]:
        if self.class_names is not None:
            names = tuple(str(name) for name in self.class_names)
            if len(set(names)) != len(names):
                raise input_error("class_names", "distinct names", list(names))
            return names
        names = tuple(str(label) for label in _sorted_unique(labels))
        if len(set(names)) != len(names):
            raise input_error("y", "labels whose text forms differ", names)
        return names

    # -- Dataset API ------------------------------------------------------------------------
    def subjects(self) -> list[Any]:
        """Return the subject ids in the metadata, sorted (``[1]`` without metadata)."""
        _, _, metadata = self._arrays()
        return _sorted_unique(metadata["subject"].tolist())

    def _load_subject(self, subject: Any) -> NeuralData:
        X, labels, metadata = self._arrays()
        class_names = self._class_names(labels)
        codes = labels_to_codes([str(label) for label in labels], class_names, "y")
        keep = np.flatnonzero((metadata["subject"] == subject).to_numpy())
        info = SignalInfo(kind="epochs", class_names=class_names, sfreq=float(self.sfreq),
                          ch_names=self._ch_names(X.shape[1]), ch_types=self.ch_types,
                          montage=self.montage, units=self.units, tmin=float(self.tmin))
        return NeuralData(X[keep].astype(np.float64), codes[keep],
                          metadata.iloc[keep].reset_index(drop=True), info)

    def fingerprint(self) -> str:
        """Return a short hash of the parameters and the array contents."""
        digest = hashlib.sha256(super().fingerprint().encode())
        X = np.ascontiguousarray(np.asarray(self.X))
        digest.update(str((X.dtype, X.shape)).encode())
        digest.update(X.tobytes())
        digest.update(repr([str(v) for v in np.asarray(self.y, dtype=object).ravel()]).encode())
        if isinstance(self.metadata, pd.DataFrame):
            digest.update(self.metadata.to_csv().encode())
        return digest.hexdigest()[:12]

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def from_epochs(
        cls,
        epochs: mne.BaseEpochs,
        *,
        subject: Any = 1,
        session: str = "0",
        run: str = "0",
        class_names: Sequence[str] | None = None,
        picks: str | list[str] = "data",
        montage: str | None = None,
    ) -> ArrayDataset:
        """Build an :class:`ArrayDataset` from :class:`mne.Epochs` of one subject.

        Parameters
        ----------
        epochs : mne.Epochs
            Labels come from ``epochs.events[:, 2]`` through ``epochs.event_id``.
        subject, session, run : Any, str, str
            Written to every row of the metadata.
        class_names : sequence of str, optional
            Class order; default the ``event_id`` names ordered by event code.
        picks : str or list of str
            Channels taken from the epochs (default all data channels).
        montage : str, optional
            MNE built-in montage name of the channel positions.

        Returns
        -------
        ArrayDataset
            Metadata columns subject, session, run, trial, onset (``events[:, 0] / sfreq``,
            seconds from the acquisition start) and label, plus ``epochs.metadata`` columns.
        """
        if not isinstance(epochs, mne.BaseEpochs):
            raise input_error("epochs", "an mne.Epochs instance", type(epochs).__name__)
        code_to_name = {code: name for name, code in epochs.event_id.items()}
        unknown = sorted(set(epochs.events[:, 2].tolist()) - set(code_to_name))
        if unknown:
            raise input_error("epochs.event_id", "a name for every event code in "
                              "epochs.events", f"codes {unknown} unnamed")
        picked = epochs.copy().pick(picks)
        labels = [code_to_name[code] for code in picked.events[:, 2]]
        sfreq = float(picked.info["sfreq"])
        metadata = pd.DataFrame({
            "subject": subject, "session": str(session), "run": str(run),
            "trial": np.arange(len(labels)), "onset": picked.events[:, 0] / sfreq,
            "label": labels})
        if picked.metadata is not None:
            more = picked.metadata.reset_index(drop=True)
            metadata = metadata.join(more[[c for c in more.columns
                                           if c not in metadata.columns]])
        if class_names is None:
            class_names = [name for name, _ in sorted(epochs.event_id.items(),
                                                      key=lambda item: item[1])]
        types = sorted(set(picked.get_channel_types()))
        return cls(X=picked.get_data(copy=True), y=labels, sfreq=sfreq,
                   ch_names=list(picked.ch_names), metadata=metadata,
                   class_names=list(class_names), montage=montage, tmin=float(picked.tmin),
                   units="V" if set(types) <= {"eeg", "eog", "ecg", "emg", "seeg", "ecog"}
                   else "SI", ch_types=",".join(types))
