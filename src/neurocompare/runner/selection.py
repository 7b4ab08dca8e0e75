"""The subject selection of a run: which subjects of each dataset it computes.

``RunConfig.subjects`` is None (every subject), a list of subject ids applying to every
dataset of the run, or a table dataset name -> ids (datasets left out keep every subject).
Ids are matched against the dataset's own (:func:`~neurocompare.data.base.match_subjects`):
its :meth:`~neurocompare.data.base.Dataset.subjects`, or, for a ``loading_unit =
"dataset"`` dataset whose one loading unit holds every subject, the ``subject`` column of
its metadata.

What a selection does to result keys follows from what it changes:

* a within-subject protocol (``splitter.scope == "subject"``) on a dataset loaded subject
  by subject runs the selected subjects' units only; their folds and keys are exactly those
  of a full run, so a selection resumes into a full run and back;
* otherwise the selection changes the unit's data (cross-subject folds over fewer subjects,
  or fewer rows of a whole-dataset unit), so the unit carries the selection: it loads only
  those subjects and its result keys include them, and a fold over 3 subjects never takes
  the key of a fold over all of them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import pandas as pd

from neurocompare._errors import input_error
from neurocompare._spec import literal
from neurocompare.data import cache
from neurocompare.data.base import Dataset, match_subjects

__all__ = ["check_subjects", "parse_subject_ids", "select_subjects", "subjects_for",
           "unit_subjects"]


def _ids(value: Any) -> list[Any]:
    """One id or a list of ids as a list."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _check_ids(name: str, value: Any) -> None:
    ids = _ids(value)
    if not ids or not all(isinstance(s, str) or (isinstance(s, numbers.Integral)
                                                 and not isinstance(s, bool)) for s in ids):
        raise input_error(name, "one or more subject ids (integers or strings)", value)


def check_subjects(subjects: Any, datasets: Sequence[str]) -> None:
    """Check a run's ``subjects`` field before any data is read.

    Parameters
    ----------
    subjects : None, list or dict
        None, ids for every dataset, or a table dataset name -> ids.
    datasets : sequence of str
        The names of the run's datasets (the keys a table may use).
    """
    if subjects is None:
        return
    if not isinstance(subjects, dict):
        _check_ids("subjects", subjects)
        return
    unknown = [name for name in subjects if name not in datasets]
    if unknown:
        raise input_error("subjects", f"a table keyed by datasets of the run {list(datasets)}",
                          unknown)
    for name, value in subjects.items():
        _check_ids(f"subjects.{name}", value)


def parse_subject_ids(items: Sequence[str]) -> list[Any]:
    """Subject ids typed on a command line: Python literals (``1`` is an int, ``1,3`` two
    ids), anything else the text as given (``sub01``, ``01``)."""
    ids: list[Any] = []
    for item in items:
        value = literal(item.strip())
        ids += list(value) if isinstance(value, tuple | list) else [value]
    return ids


def subjects_for(subjects: Any, name: str) -> list[Any] | None:
    """The ids ``subjects`` (a run's field) asks of dataset ``name``; None: every subject."""
    if isinstance(subjects, dict):
        subjects = subjects.get(name)
    return None if subjects is None else _ids(subjects)


def select_subjects(dataset: Dataset, requested: Sequence[Any] | None) -> list[Any] | None:
    """The dataset's subject ids that ``requested`` names, in the dataset's order.

    Raises the dataset's unknown-subject error (listing the available ids) for an id it
    does not hold. A ``loading_unit = "dataset"`` dataset is read (through the run's cache)
    to find its ids; others only list theirs.
    """
    if requested is None:
        return None
    if dataset.loading_unit == "subject":
        available = dataset.subjects()
    else:
        cache.first_info(dataset)  # reads the one loading unit, which load_all then takes
        available = pd.unique(cache.load_all(dataset).metadata["subject"]).tolist()
    return match_subjects(dataset.name, available, requested)


def unit_subjects(dataset: Dataset, selection: Sequence[Any] | None,
                  scope: str) -> tuple[list[Any], tuple[Any, ...] | None]:
    """The loading units a run plans over and the selection its units carry.

    Returns
    -------
    listed : list
        The ids of the within-subject units (and of the files recorded as provenance): the
        selected subjects of a dataset loaded subject by subject, else every loading unit.
    restrict : tuple or None
        The selection when it changes a unit's data (``scope == "dataset"``, or a
        whole-dataset loading unit): the unit loads only it and its keys include it; None
        when it does not.
    """
    subject_wise = dataset.loading_unit == "subject"
    listed = dataset.subjects() if selection is None or not subject_wise else list(selection)
    restricts = selection is not None and (scope == "dataset" or not subject_wise)
    return listed, tuple(selection) if restricts else None
