"""Any MOABB dataset, epoched by a MOABB paradigm, as :class:`NeuralData`.

The dataset is given by its class name in :mod:`moabb.datasets` (``"BNCI2014_001"``) or as
a constructed MOABB dataset. MOABB downloads missing files into the MNE data folder on first
use; this adapter itself never asks for the network, so with the files already present (or
with MOABB's ``FakeDataset``) it works offline.

The paradigm does the filtering, epoching and resampling exactly as in MOABB; samples are
scaled by the dataset's ``unit_factor`` (microvolts for almost every dataset), as MOABB's
array output is. Class codes follow the sorted class names, as MOABB's evaluations encode
labels (``LabelEncoder``), so e.g. P300 ``Target`` is the positive class 1.
"""

from __future__ import annotations

import difflib
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mne
import numpy as np
import pandas as pd

from neurocompare._errors import check_option, input_error
from neurocompare.data.base import Dataset, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo

__all__ = ["PARADIGMS", "MOABBDataset", "resolve_moabb_dataset"]

logger = logging.getLogger(__name__)

#: MOABB ``dataset.paradigm`` value -> paradigm class in :mod:`moabb.paradigms`.
PARADIGMS = {"imagery": "MotorImagery", "p300": "P300", "ssvep": "SSVEP"}
_ALIASES = {"motor_imagery": "imagery", "motorimagery": "imagery", "mi": "imagery"}
MONTAGE = "colin27_1005"


def _moabb_dataset_names() -> list[str]:
    import moabb.datasets as md
    from moabb.datasets.base import BaseDataset

    return sorted(name for name in dir(md)
                  if isinstance(getattr(md, name), type)
                  and issubclass(getattr(md, name), BaseDataset))


def resolve_moabb_dataset(dataset: Any) -> Any:
    """Return a MOABB dataset instance from an instance or a class name.

    Parameters
    ----------
    dataset : str or moabb.datasets.base.BaseDataset
        A class name in :mod:`moabb.datasets` (constructed with its defaults) or an
        instance, returned as is.

    Raises
    ------
    InputError
        For an unknown name (listing close names) or any other type.
    """
    import moabb.datasets as md
    from moabb.datasets.base import BaseDataset

    if isinstance(dataset, BaseDataset):
        return dataset
    if not isinstance(dataset, str):
        raise input_error("dataset", "a MOABB dataset class name or instance",
                          type(dataset).__name__)
    names = _moabb_dataset_names()
    if dataset not in names:
        lower = {name.lower(): name for name in names}
        close = difflib.get_close_matches(dataset.lower(), list(lower), n=5, cutoff=0.5)
        shown = [lower[c] for c in close]
        raise input_error("dataset", "a dataset class name in moabb.datasets", dataset,
                          hint=(f"Close names: {shown}." if shown else
                                f"{len(names)} names exist, e.g. {names[:5]}."))
    try:
        return getattr(md, dataset)()
    except Exception as exc:
        raise input_error("dataset", f"a constructible moabb.datasets.{dataset}",
                          f"{type(exc).__name__}: {exc}") from exc


@dataclass
class MOABBDataset(Dataset):
    """A MOABB dataset epoched by a single-band MOABB paradigm.

    Parameters
    ----------
    dataset : str or moabb.datasets.base.BaseDataset
        Class name in :mod:`moabb.datasets` (e.g. ``"BNCI2014_001"``) or an instance
        (e.g. ``moabb.datasets.fake.FakeDataset(...)``). Resolved when first used.
    paradigm : str or moabb paradigm
        ``"auto"`` (from the dataset's ``paradigm`` attribute), ``"imagery"`` (MOABB
        ``MotorImagery``), ``"p300"``, ``"ssvep"``, or a constructed MOABB paradigm (then
        the parameters below are ignored).
    events : tuple of str, optional
        Events to keep (default: all the paradigm uses).
    tmin, tmax : float
        Window relative to the dataset's own interval start, in seconds (MOABB semantics;
        ``tmax=None`` is the end of the dataset's interval).
    fmin, fmax : float, optional
        Band-pass edges in Hz (default: the paradigm's, e.g. 8-32 Hz for motor imagery).
    resample : float, optional
        Sampling rate in Hz.
    channels : tuple of str, optional
        Channels to keep (default: all EEG channels).
    montage : str, optional
        Montage name written to :class:`SignalInfo`; ``"auto"`` uses ``"colin27_1005"``
        when every channel has a position in it.
    """

    name = "moabb"
    kind = "epochs"
    description = "Any MOABB dataset (local files) through a MOABB paradigm"
    scope_note = ("Sessions and runs come from MOABB; no per-trial onsets (MOABB concatenates "
                  "runs), so blocked splits use the trial order within each run.")

    dataset: Any
    paradigm: Any = "auto"
    events: tuple[str, ...] | None = None
    tmin: float = 0.0
    tmax: float | None = None
    fmin: float | None = None
    fmax: float | None = None
    resample: float | None = None
    channels: tuple[str, ...] | None = None
    montage: str | None = "auto"

    def _dataset(self) -> Any:
        cached = self.__dict__.get("_resolved")
        if cached is None or cached[0] is not self.dataset:
            cached = (self.dataset, resolve_moabb_dataset(self.dataset))
            self.__dict__["_resolved"] = cached
        return cached[1]

    def _paradigm(self, dataset: Any) -> Any:
        import moabb.paradigms as mp
        from moabb.paradigms.base import BaseParadigm

        if isinstance(self.paradigm, BaseParadigm):
            paradigm = self.paradigm
        else:
            if not isinstance(self.paradigm, str):
                raise input_error("paradigm", "a paradigm name or a MOABB paradigm",
                                  type(self.paradigm).__name__)
            key = self.paradigm.lower()
            key = dataset.paradigm if key == "auto" else _ALIASES.get(key, key)
            if self.paradigm.lower() == "auto" and key not in PARADIGMS:
                raise input_error(f"{self.name}: paradigm",
                                  f"a dataset whose paradigm is one of {sorted(PARADIGMS)}",
                                  key, hint="Pass a MOABB paradigm instance for others.")
            check_option("paradigm", key, ["auto", *PARADIGMS])
            options = {"fmin": self.fmin, "fmax": self.fmax, "tmin": self.tmin,
                       "tmax": self.tmax, "resample": self.resample,
                       "events": list(self.events) if self.events else None,
                       "channels": list(self.channels) if self.channels else None}
            if self.events and key in ("imagery", "ssvep"):
                # MOABB 1.7.2's MotorImagery compares len(events) with n_classes=None.
                options["n_classes"] = len(self.events)
            kwargs = {k: v for k, v in options.items() if v is not None}
            try:
                paradigm = getattr(mp, PARADIGMS[key])(**kwargs)
            except (TypeError, ValueError) as exc:
                raise input_error("paradigm", f"valid {PARADIGMS[key]} options", kwargs,
                                  hint=str(exc)) from exc
        if not paradigm.is_valid(dataset):
            raise input_error("paradigm", f"a paradigm valid for {dataset.code} (paradigm "
                              f"{dataset.paradigm!r}, events {list(dataset.event_id)})",
                              type(paradigm).__name__)
        return paradigm

    def subjects(self) -> list[Any]:
        """Return the dataset's ``subject_list``."""
        return list(self._dataset().subject_list)

    def class_names(self) -> tuple[str, ...]:
        """Return the sorted event names the paradigm keeps (class ``i`` is entry ``i``)."""
        dataset = self._dataset()
        return tuple(sorted(self._paradigm(dataset).used_events(dataset)))

    def _load_subject(self, subject: Any) -> NeuralData:
        dataset = self._dataset()
        paradigm = self._paradigm(dataset)
        class_names = tuple(sorted(paradigm.used_events(dataset)))
        with warnings.catch_warnings(), mne.use_log_level("warning"):
            # MOABB's loaders still name the deprecated montage; nothing to fix on our side.
            warnings.filterwarnings("ignore", message="Montage name 'standard_10",
                                    category=FutureWarning)
            epochs, labels, meta = paradigm.get_data(dataset, subjects=[subject],
                                                     return_epochs=True)
        source = f"{self.name} {dataset.code} subject {subject}"
        X = epochs.get_data(copy=True).astype(np.float64) * dataset.unit_factor
        metadata = self._metadata(meta, labels)
        ch_names = tuple(epochs.ch_names)
        info = SignalInfo(
            kind="epochs", class_names=class_names, sfreq=float(epochs.info["sfreq"]),
            ch_names=ch_names, montage=self._montage(ch_names),
            units="uV" if dataset.unit_factor == 1e6 else f"V x {dataset.unit_factor:g}",
            tmin=float(epochs.times[0]),
            extra={"moabb_code": dataset.code, "paradigm": type(paradigm).__name__},
        )
        return NeuralData(X, labels_to_codes(labels, class_names, source), metadata, info)

    @staticmethod
    def _metadata(meta: pd.DataFrame, labels: Sequence[Any]) -> pd.DataFrame:
        metadata = meta.reset_index(drop=True).copy()
        metadata["session"] = metadata["session"].astype(str)
        metadata["run"] = metadata["run"].astype(str)
        metadata["trial"] = metadata.groupby(["session", "run"], sort=False).cumcount()
        metadata["label"] = [str(label) for label in labels]
        return metadata

    def _montage(self, ch_names: Sequence[str]) -> str | None:
        if self.montage != "auto":
            return self.montage
        known = set(mne.channels.make_standard_montage(MONTAGE).ch_names)
        return MONTAGE if set(ch_names) <= known else None
