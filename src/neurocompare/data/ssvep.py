"""The SSVEP exoskeleton dataset (Kalunga et al. 2016; MOABB ``Kalunga2016``).

Reads ``<data root>/ssvep_exoskeleton/subjectNN/*_raw.fif`` with the matching ``-eve.fif``
event files. Event codes: 1 = rest, 2 = 13 Hz, 3 = 21 Hz, 4 = 17 Hz (the 17/21 Hz codes are
not in frequency order). Trials are cut [2, 4] s after the cue, as MOABB does.

Units caveat (see the dataset's SOURCE.md): the FIF values are the original values x 1e6 but
still labelled volts, so they are effectively microvolts; pipelines scale per channel.

Filter banks are applied to the continuous recording before epoching, as MOABB's
``FilterBankSSVEP`` does: each band's filtered copy of the channels is stacked on the
channel axis (band-major) and ``info.extra["channel_groups"]`` maps each band to its
channel indices. The default gives a broadband 7-45 Hz group plus one 1-Hz band around each
stimulation frequency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare.config import dataset_path
from neurocompare.data.base import Dataset, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.data.epoching import epoch_raw, find_events, read_raw

__all__ = ["SSVEPExoskeleton", "band_label"]

CLASS_NAMES = ("rest", "13Hz", "17Hz", "21Hz")
EVENT_ID = {"rest": 1, "13Hz": 2, "21Hz": 3, "17Hz": 4}
STIM_FREQS = {"13Hz": 13.0, "17Hz": 17.0, "21Hz": 21.0}
DEFAULT_BANDS = ((7.0, 45.0), (12.5, 13.5), (16.5, 17.5), (20.5, 21.5))


def band_label(band: tuple[float, float]) -> str:
    """Return the group name of a band, e.g. ``"12.5-13.5Hz"``."""
    return f"{band[0]:g}-{band[1]:g}Hz"


def _is_band(band: Any) -> bool:
    """Whether ``band`` is a (low, high) pair of edges in Hz with 0 <= low < high."""
    if not isinstance(band, tuple | list) or len(band) != 2 or not all(
            isinstance(edge, int | float) and not isinstance(edge, bool) and math.isfinite(edge)
            for edge in band):
        return False
    return 0 <= band[0] < band[1]


@dataclass
class SSVEPExoskeleton(Dataset):
    """Kalunga2016 SSVEP: 12 subjects, 8 occipital channels, 256 Hz, 4 classes.

    Parameters
    ----------
    root : str or Path, optional
        Folder of the dataset; defaults to ``<data root>/ssvep_exoskeleton``.
    tmin, tmax : float
        Epoch window after the cue in seconds (MOABB: 2 and 4; 513 samples).
    bands : tuple of (float, float)
        Band-pass filters applied to the continuous data (IIR, zero phase, as MOABB);
        each yields one group of 8 channels.
    """

    name = "ssvep-exoskeleton"
    kind = "epochs"
    description = ("Real SSVEP EEG, 12 subjects, 8 occipital channels, rest/13/17/21 Hz, "
                   "864 trials (Kalunga2016)")
    scope_note = ("Rest trials come first in every session: shuffled k-fold can exploit slow "
                  "drift; use a blocked split for the honest check.")

    data_folder = "ssvep_exoskeleton"

    root: str | Path | None = None
    tmin: float = 2.0
    tmax: float = 4.0
    bands: tuple[tuple[float, float], ...] = DEFAULT_BANDS

    def _root(self) -> Path:
        if self.root is not None:
            return Path(self.root)
        return dataset_path(self.data_folder, dataset=self.name)

    def subjects(self) -> list[int]:
        """Return subject numbers whose folder exists (1..12 for the full set)."""
        root = self._root()
        return sorted(int(p.name[len("subject"):]) for p in root.glob("subject[0-9][0-9]")
                      if p.is_dir())

    def files(self, subject: int) -> list[Path]:
        """Return the raw and event files of ``subject``, sessions in time order."""
        folder = self._root() / f"subject{subject:02d}"
        raws = sorted(folder.glob("*_raw.fif"))
        if not raws:
            raise input_error(str(folder), "*_raw.fif recordings", "none")
        out = []
        for raw in raws:
            eve = raw.with_name(raw.name.replace("_raw.fif", "-eve.fif"))
            out += [raw, eve]
        return out

    def _load_subject(self, subject: int) -> NeuralData:
        if not isinstance(self.bands, tuple | list) or not self.bands or not all(
                _is_band(band) for band in self.bands):
            raise input_error("bands", "at least one (low, high) band in Hz, 0 <= low < high",
                              self.bands)
        paths = self.files(subject)
        parts, rows = [], []
        for session, (raw_path, eve_path) in enumerate(zip(paths[::2], paths[1::2], strict=True)):
            raw = read_raw(raw_path)
            events, mapping = find_events(raw, EVENT_ID, source=str(eve_path),
                                          event_file=eve_path)
            groups = [epoch_raw(raw, events, mapping, tmin=self.tmin, tmax=self.tmax,
                                source=str(raw_path), l_freq=lo, h_freq=hi,
                                filter_method="iir")
                      for lo, hi in self.bands]
            parts.append(np.concatenate([g.X for g in groups], axis=1))
            first = groups[0]
            for trial, (label, onset) in enumerate(zip(first.labels, first.onsets, strict=True)):
                rows.append({"subject": subject, "session": f"{session}", "run": "0",
                             "trial": trial, "onset": float(onset), "label": label,
                             "recording": raw_path.name})
        base = first.ch_names
        ch_names, groups_idx = [], {}
        for b, band in enumerate(self.bands):
            label = band_label(band)
            groups_idx[label] = list(range(b * len(base), (b + 1) * len(base)))
            ch_names += base if b == 0 else [f"{ch}[{label}]" for ch in base]
        metadata = pd.DataFrame(rows)
        info = SignalInfo(
            kind="epochs", class_names=CLASS_NAMES, sfreq=first.sfreq,
            ch_names=tuple(ch_names), montage="colin27_1005",
            units="uV (files say V; values are the original x 1e6)", tmin=self.tmin,
            extra={"stim_freqs": STIM_FREQS, "channel_groups": groups_idx,
                   "base_ch_names": list(base)},
        )
        y = labels_to_codes(metadata["label"], CLASS_NAMES, f"{self.name} subject {subject}")
        return NeuralData(np.concatenate(parts), y, metadata, info)
