"""Per-process loading cache for a run: each subject is read once.

Planning a run reads a dataset's first subject to learn its signal info; the work unit of that
subject reuses the loaded copy instead of reading it again (worker processes started by fork
inherit it). Cross-subject units share the whole concatenated dataset, or the part of it a
subject selection keeps. Each cache holds one dataset at a time, so memory stays that of one
subject (or one whole dataset and the selection taken from it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neurocompare.config import data_root
from neurocompare.data.base import Dataset
from neurocompare.data.containers import NeuralData, SignalInfo, concat_data

__all__ = ["clear", "first_info", "load_all", "load_subject", "load_unit", "peek_unit",
           "release"]

#: Entries are keyed by the dataset's fingerprint and the data root it was read under
#: (:func:`_key`), so a long-lived worker serving runs with different data roots never hands
#: one run the other's data.
_INFO: dict[tuple[str, str], SignalInfo] = {}
#: ((fingerprint, data root), selected subjects or None) -> the data of those subjects
_WHOLE: dict[tuple[tuple[str, str], tuple[Any, ...] | None], NeuralData] = {}
#: The subject :func:`first_info` loaded, kept for the unit that needs it (one at a time).
_PRELOADED: dict[tuple[tuple[str, str], Any], NeuralData] = {}


def _key(dataset: Dataset) -> tuple[str, str]:
    """The dataset's fingerprint and the data root it is read under now."""
    return dataset.fingerprint(), str(data_root())


def first_info(dataset: Dataset, subjects: Sequence[Any] | None = None) -> SignalInfo:
    """Signal info of ``dataset``, read from its first subject (cached per process).

    The loaded subject is kept for :func:`load_subject`, so a run does not read it twice.
    ``subjects``, a run's selection, names the subjects to start from (those of a
    ``loading_unit = "dataset"`` dataset are rows of its one loading unit, read whole).
    """
    key = _key(dataset)
    if key not in _INFO:
        chosen = subjects if subjects and dataset.loading_unit == "subject" else None
        subject = (dataset.subjects() if chosen is None else chosen)[0]
        data = dataset.load_subject(subject)
        _INFO[key] = data.info
        _PRELOADED.clear()
        _PRELOADED[(key, subject)] = data
    return _INFO[key]


def load_subject(dataset: Dataset, subject: Any) -> NeuralData:
    """One subject, taken from :func:`first_info`'s copy when it is that one."""
    data = _PRELOADED.pop((_key(dataset), subject), None)
    return dataset.load_subject(subject) if data is None else data


def load_all(dataset: Dataset, subjects: Sequence[Any] | None = None) -> NeuralData:
    """The whole dataset, or only the rows of ``subjects`` (ids of ``metadata["subject"]``,
    in the dataset's order), cached per process (cross-subject units share it).

    Only the selected subjects are read, except from a ``loading_unit = "dataset"`` dataset,
    which is read whole (and kept) and its rows of ``subjects`` taken.
    """
    fingerprint = _key(dataset)
    key = (fingerprint, None if subjects is None else tuple(subjects))
    if key not in _WHOLE:
        if subjects is not None and dataset.loading_unit == "dataset":
            whole = load_all(dataset)
            data = whole.subset(np.flatnonzero(whole.metadata["subject"].isin(list(subjects))))
        else:
            names = dataset.subjects() if subjects is None else subjects
            data = concat_data([load_subject(dataset, s) for s in names])
        for other in [k for k in _WHOLE if k[0] != fingerprint]:
            del _WHOLE[other]
        _WHOLE[key] = data
    return _WHOLE[key]


def load_unit(dataset: Dataset, subject: Any | None,
              subjects: Sequence[Any] | None = None) -> NeuralData:
    """The data of one work unit: ``subject``, or the whole dataset when ``subject`` is None;
    with ``subjects`` (a selection restricting the unit's data), :func:`load_all` of them."""
    if subject is None or subjects is not None:
        return load_all(dataset, subjects)
    return load_subject(dataset, subject)


def peek_unit(dataset: Dataset, subject: Any | None,
              subjects: Sequence[Any] | None = None) -> NeuralData:
    """The data :func:`load_unit` will give that unit, kept for it (the planner checks a
    unit's folds before any work without reading its subject twice)."""
    if subject is None or subjects is not None:
        return load_all(dataset, subjects)
    key = (_key(dataset), subject)
    if key not in _PRELOADED:
        _PRELOADED.clear()
        _PRELOADED[key] = dataset.load_subject(subject)
    return _PRELOADED[key]


def release() -> None:
    """Drop the planner's preloaded subject (not needed once a run has finished)."""
    _PRELOADED.clear()


def clear() -> None:
    """Empty every cache of this process."""
    for cache in (_INFO, _WHOLE, _PRELOADED):
        cache.clear()
