"""Per-process loading cache for a run: each subject is read once.

Planning a run reads a dataset's first subject to learn its signal info; the work unit of that
subject reuses the loaded copy instead of reading it again (worker processes started by fork
inherit it). Cross-subject units share the whole concatenated dataset. Each cache holds one
dataset at a time, so memory stays that of one subject (or one whole dataset).
"""

from __future__ import annotations

from typing import Any

from neurocompare.data.base import Dataset
from neurocompare.data.containers import NeuralData, SignalInfo, concat_data

__all__ = ["clear", "first_info", "load_all", "load_subject", "load_unit", "release"]

_INFO: dict[str, SignalInfo] = {}
_WHOLE: dict[str, NeuralData] = {}
#: The subject :func:`first_info` loaded, kept for the unit that needs it (one at a time).
_PRELOADED: dict[tuple[str, Any], NeuralData] = {}


def first_info(dataset: Dataset) -> SignalInfo:
    """Signal info of ``dataset``, read from its first subject (cached per process).

    The loaded subject is kept for :func:`load_subject`, so a run does not read it twice.
    """
    key = dataset.fingerprint()
    if key not in _INFO:
        subject = dataset.subjects()[0]
        data = dataset.load_subject(subject)
        _INFO[key] = data.info
        _PRELOADED.clear()
        _PRELOADED[(key, subject)] = data
    return _INFO[key]


def load_subject(dataset: Dataset, subject: Any) -> NeuralData:
    """One subject, taken from :func:`first_info`'s copy when it is that one."""
    data = _PRELOADED.pop((dataset.fingerprint(), subject), None)
    return dataset.load_subject(subject) if data is None else data


def load_all(dataset: Dataset) -> NeuralData:
    """The whole dataset, cached per process (cross-subject units share it)."""
    key = dataset.fingerprint()
    if key not in _WHOLE:
        _WHOLE.clear()
        _WHOLE[key] = concat_data([load_subject(dataset, s) for s in dataset.subjects()])
    return _WHOLE[key]


def load_unit(dataset: Dataset, subject: Any | None) -> NeuralData:
    """The data of one work unit: ``subject``, or the whole dataset when ``subject`` is None."""
    return load_all(dataset) if subject is None else load_subject(dataset, subject)


def release() -> None:
    """Drop the planner's preloaded subject (not needed once a run has finished)."""
    _PRELOADED.clear()


def clear() -> None:
    """Empty every cache of this process."""
    for cache in (_INFO, _WHOLE, _PRELOADED):
        cache.clear()
