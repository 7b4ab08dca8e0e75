"""Evaluation protocols as cross-validators over a metadata table.

Each splitter's ``split(metadata, y)`` yields ``(train, test)`` arrays of row positions, like
a scikit-learn cross-validator whose ``X`` is the metadata DataFrame (columns ``subject``,
``session``, ``run``, optionally ``onset``). :meth:`Splitter.folds` also yields a
:class:`Fold` carrying a stable fold id and the scope (subject, session) it tests, so every
pipeline sees exactly the same folds and the results record which.

``scope`` tells the runner what data a splitter needs: ``"subject"`` protocols split each
subject's data on its own (the runner can load one subject at a time); ``"dataset"``
protocols need every subject.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    LeaveOneGroupOut,
    StratifiedGroupKFold,
    StratifiedKFold,
)

from neurocompare._errors import input_error

__all__ = [
    "BlockedKFold",
    "Chronological",
    "CrossRun",
    "CrossSession",
    "CrossSubject",
    "Fold",
    "GroupedSubjectKFold",
    "RecordingKFold",
    "Splitter",
    "WithinSession",
]


@dataclass(frozen=True)
class Fold:
    """One train/test split.

    Attributes
    ----------
    id : str
        Stable, human-readable id, e.g. ``"subject=3/session=0/fold=2"``.
    train, test : ndarray of int
        Row positions in the metadata table.
    subject, session : str
        What the test set covers (``"*"`` when several).
    digest : str
        Hash of the test rows' (subject, session, run, position) keys; equal digests mean
        identical test sets.
    extra : dict
        Protocol-specific facts stored with the results (e.g. ``train_size`` of a
        learning-curve point, ``k`` calibration trials per class, the ``target`` subject).
    """

    id: str
    train: np.ndarray
    test: np.ndarray
    subject: str
    session: str
    digest: str
    extra: dict = field(default_factory=dict)


def _row_keys(metadata: pd.DataFrame) -> np.ndarray:
    """``"subject/session/run"`` of every row, as text (computed once per split)."""
    columns = [metadata[c].astype(str) for c in ("subject", "session", "run")]
    return (columns[0] + "/" + columns[1] + "/" + columns[2]).to_numpy()


def _digest(row_keys: np.ndarray, rows: np.ndarray) -> str:
    text = "|".join(f"{k}#{r}" for k, r in zip(row_keys[rows], rows, strict=True))
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _label(values: np.ndarray) -> str:
    unique = pd.unique(values)
    return unique[0] if len(unique) == 1 else "*"


def _check_classes(y: np.ndarray, where: str, stratified: bool = False) -> None:
    """Raise if class labels ``y`` hold fewer than two classes (or, for ``stratified``
    folds, are a real-valued target)."""
    if stratified and np.issubdtype(y.dtype, np.floating):
        raise input_error(where, "class labels to stratify folds by", "a real-valued target",
                          hint="Use subject-kfold or learning-curve-kfold (tables, "
                               "connectomes), scaffold (molecules), dti-setting1 (pairs).")
    if np.issubdtype(y.dtype, np.floating) or len(y) == 0:
        return
    if len(classes := pd.unique(y)) < 2:
        raise input_error(where, "trials of at least two classes",
                          f"only class {classes[:1].tolist()[0]!r} ({len(y)} of them)",
                          hint="A subject or session whose trials all have one label cannot "
                               "be split within itself: leave it out (--subject) or use a "
                               "protocol across subjects (cross-subject, subject-kfold).")


def _check_metadata(metadata: pd.DataFrame, columns: tuple[str, ...]) -> None:
    if not isinstance(metadata, pd.DataFrame):
        raise input_error("metadata", "a pandas DataFrame", type(metadata).__name__)
    missing = [c for c in columns if c not in metadata.columns]
    if missing:
        raise input_error("metadata", f"columns {list(columns)}", f"missing {missing}")


class Splitter:
    """Base class: subclasses implement ``_folds(metadata, y)`` yielding (id, train, test)."""

    scope = "subject"
    columns: tuple[str, ...] = ("subject", "session")

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray) -> Iterator[tuple]:
        """Yield ``(id, train, test)`` or ``(id, train, test, extra)``."""
        raise NotImplementedError

    def folds(self, metadata: pd.DataFrame, y) -> Iterator[Fold]:
        """Yield :class:`Fold` objects over the rows of ``metadata`` (rows of one class are
        an :class:`InputError` naming the subject, not a failure per fold and pipeline)."""
        _check_metadata(metadata, self.columns)
        y = np.asarray(y)
        if len(y) != len(metadata):
            raise input_error("y", f"{len(metadata)} labels (one per metadata row)", len(y))
        row_keys = _row_keys(metadata)
        subjects = metadata["subject"].astype(str).to_numpy()
        sessions = metadata["session"].astype(str).to_numpy()
        _check_classes(y, "data" if len(y) == 0 or _label(subjects) == "*"
                       else f"subject {_label(subjects)}")
        for fold_id, train, test, *extra in self._folds(metadata.reset_index(drop=True), y):
            test = np.sort(test)
            yield Fold(fold_id, np.sort(train), test, _label(subjects[test]),
                       _label(sessions[test]), _digest(row_keys, test),
                       dict(extra[0]) if extra else {})

    def split(self, metadata: pd.DataFrame, y=None, groups=None
              ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` row positions (scikit-learn cross-validator protocol)."""
        for fold in self.folds(metadata, y):
            yield fold.train, fold.test

    def get_n_splits(self, metadata: pd.DataFrame | None = None, y=None, groups=None) -> int:
        """Number of folds for ``metadata`` (and labels ``y``; without them, two classes
        alternating, as stratified folds need class labels)."""
        if metadata is None:
            raise input_error("metadata", "the metadata table to count folds over", None)
        y = np.arange(len(metadata)) % 2 if y is None else y
        return sum(1 for _ in self.folds(metadata, y))

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


def check_n_splits(n_splits: int) -> None:
    """Raise the input error of an ``n_splits`` that is not an integer >= 2."""
    if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise input_error("n_splits", "an integer >= 2", n_splits)


def _groups(metadata: pd.DataFrame, by: list[str]) -> Iterator[tuple[tuple, np.ndarray]]:
    for key, frame in metadata.groupby(by, sort=True, observed=True):
        yield key, frame.index.to_numpy()


class WithinSession(Splitter):
    """Stratified k-fold inside each (subject, session), as MOABB's within-session evaluation.

    Parameters
    ----------
    n_splits : int
        Folds per session.
    n_repeats : int
        Repetitions with different shuffles (repeated k-fold when > 1).
    shuffle : bool
        Shuffle before splitting (when False, folds follow trial order).
    random_state : int
        Seed of the shuffles.
    """

    def __init__(self, n_splits: int = 5, n_repeats: int = 1, shuffle: bool = True,
                 random_state: int = 42):
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.shuffle = shuffle
        self.random_state = random_state

    def _folds(self, metadata, y):
        check_n_splits(self.n_splits)
        for (subject, session), rows in _groups(metadata, ["subject", "session"]):
            _check_classes(y[rows], f"subject {subject} session {session}", stratified=True)
            counts = np.bincount(np.unique(y[rows], return_inverse=True)[1])
            if counts.min() < self.n_splits:
                raise input_error(f"subject {subject} session {session}",
                                  f"at least n_splits={self.n_splits} trials per class",
                                  f"class counts {counts.tolist()}")
            # Not RepeatedStratifiedKFold: it draws every repeat's shuffle from one
            # RandomState(random_state) instead of seeding repeat r with random_state + r
            # (other folds, hence other result keys), and it refuses shuffle=False.
            for repeat in range(self.n_repeats):
                seed = None if not self.shuffle else self.random_state + repeat
                cv = StratifiedKFold(self.n_splits, shuffle=self.shuffle, random_state=seed)
                for k, (train, test) in enumerate(cv.split(rows, y[rows])):
                    tag = f"/repeat={repeat}" if self.n_repeats > 1 else ""
                    yield (f"subject={subject}/session={session}{tag}/fold={k}",
                           rows[train], rows[test])


class RecordingKFold(Splitter):
    """Stratified k-fold inside each (subject, session) that keeps recordings whole.

    For datasets whose trials are windows cut from longer recordings (e.g.
    ``bonn-epilepsy:window_s=4``): every trial sharing a value of the metadata column ``by``
    lands in the same fold, so no test window has a neighbour from its own recording in
    training. scikit-learn's ``StratifiedGroupKFold`` (shuffled, seeded) assigns the groups.

    Parameters
    ----------
    n_splits : int
        Folds per session.
    by : str
        Metadata column naming each trial's recording.
    random_state : int
        Seed of the shuffle.
    """

    def __init__(self, n_splits: int = 5, by: str = "recording", random_state: int = 42):
        self.n_splits = n_splits
        self.by = by
        self.random_state = random_state

    def _folds(self, metadata, y):
        check_n_splits(self.n_splits)
        if self.by not in metadata.columns:
            raise input_error("by", "a metadata column naming each trial's recording "
                              f"(columns: {list(metadata.columns)})", self.by)
        for (subject, session), rows in _groups(metadata, ["subject", "session"]):
            groups = metadata[self.by].to_numpy()[rows]
            if len(np.unique(groups)) < self.n_splits:
                raise input_error(f"subject {subject} session {session}",
                                  f"at least n_splits={self.n_splits} recordings",
                                  len(np.unique(groups)))
            cv = StratifiedGroupKFold(self.n_splits, shuffle=True,
                                      random_state=self.random_state)
            for k, (train, test) in enumerate(cv.split(rows, y[rows], groups)):
                yield f"subject={subject}/session={session}/fold={k}", rows[train], rows[test]


class BlockedKFold(Splitter):
    """Contiguous blocks in time order inside each (subject, session); no shuffling.

    The honest check for time-ordered data: neighbouring trials (which share slow drifts)
    stay on the same side of the split. Rows are ordered by ``onset`` when present, else by
    their order in the table.

    Parameters
    ----------
    n_splits : int
        Blocks per session; each block is the test set once.
    """

    def __init__(self, n_splits: int = 5):
        self.n_splits = n_splits

    def _folds(self, metadata, y):
        check_n_splits(self.n_splits)
        for (subject, session), rows in _groups(metadata, ["subject", "session"]):
            # KFold's blocks are np.array_split's; fewer rows than blocks would leave a block
            # with no test trial, which KFold refuses with a less helpful message.
            if len(rows) < self.n_splits:
                raise input_error(f"subject {subject} session {session}",
                                  f"at least n_splits={self.n_splits} trials", len(rows))
            if "onset" in metadata.columns:
                rows = rows[np.argsort(metadata.loc[rows, "onset"].to_numpy(), kind="stable")]
            for k, (train, test) in enumerate(KFold(self.n_splits).split(rows)):
                yield f"subject={subject}/session={session}/block={k}", rows[train], rows[test]


class Chronological(Splitter):
    """Forward chaining inside each (subject, session): train on the past, test on the next
    block (like scikit-learn's ``TimeSeriesSplit``).

    Parameters
    ----------
    n_splits : int
        Number of test blocks; block ``k`` is tested after training on blocks ``0..k``.
    """

    def __init__(self, n_splits: int = 4):
        self.n_splits = n_splits

    def _folds(self, metadata, y):
        if not isinstance(self.n_splits, int) or self.n_splits < 1:
            raise input_error("n_splits", "a positive integer", self.n_splits)
        for (subject, session), rows in _groups(metadata, ["subject", "session"]):
            if "onset" in metadata.columns:
                rows = rows[np.argsort(metadata.loc[rows, "onset"].to_numpy(), kind="stable")]
            # Not TimeSeriesSplit: it gives every test block n // (n_splits + 1) rows and
            # the remainder to the first training block, whereas these blocks spread the
            # remainder over the earliest blocks (other folds unless the remainder is 0 or
            # 1); it also refuses n_splits=1.
            blocks = np.array_split(rows, self.n_splits + 1)
            for k in range(1, len(blocks)):
                yield (f"subject={subject}/session={session}/step={k}",
                       np.concatenate(blocks[:k]), blocks[k])


class CrossSession(Splitter):
    """Leave one session out, within each subject (subjects with one session are skipped)."""

    def _folds(self, metadata, y):
        for (subject,), rows in _groups(metadata, ["subject"]):
            sessions = metadata.loc[rows, "session"].astype(str).to_numpy()
            if len(np.unique(sessions)) < 2:
                continue
            for train, test in LeaveOneGroupOut().split(rows, groups=sessions):
                yield f"subject={subject}/session={sessions[test[0]]}", rows[train], rows[test]


class CrossRun(Splitter):
    """Leave one run out, within each subject and session: train on the session's other
    runs, test on the held-out one (metadata column ``run``; every run is tested once).

    Whether a decoder carries over to another recording of the same session (electrode
    drift, fatigue, a new block) with none of that recording's trials in training. Runs are
    held out in their order of appearance; every session needs at least two.
    """

    columns = ("subject", "session", "run")

    def _folds(self, metadata, y):
        for (subject, session), rows in _groups(metadata, ["subject", "session"]):
            runs = metadata.loc[rows, "run"].astype(str).to_numpy()
            codes, names = pd.factorize(runs)
            if len(names) < 2:
                raise input_error(
                    "protocol 'cross-run'", "at least 2 runs per subject and session "
                    "(metadata column run)", f"{len(names)} run {names.tolist()} in subject "
                    f"{subject} session {session}", hint="Use a dataset with several runs "
                    "(e.g. physionet-mi, or simulated-mi:n_runs=3).")
            for train, test in LeaveOneGroupOut().split(rows, groups=codes):
                yield (f"subject={subject}/session={session}/run={runs[test[0]]}",
                       rows[train], rows[test])


class CrossSubject(Splitter):
    """Leave one subject out: train on all other subjects, test on the held-out one."""

    scope = "dataset"
    columns = ("subject",)

    def _folds(self, metadata, y):
        subjects = metadata["subject"].astype(str).to_numpy()
        if len(np.unique(subjects)) < 2:
            raise input_error("dataset", "at least two subjects for a cross-subject protocol",
                              f"{len(np.unique(subjects))} subject")
        # LeaveOneGroupOut holds groups out in sorted order; factorised codes number the
        # subjects by first appearance, the order the folds have always had.
        codes = pd.factorize(subjects)[0]
        for train, test in LeaveOneGroupOut().split(subjects, groups=codes):
            yield f"subject={subjects[test[0]]}", train, test


class GroupedSubjectKFold(Splitter):
    """k-fold over subjects: each subject's trials are all in train or all in test.

    Parameters
    ----------
    n_splits : int
        Number of subject groups.
    group : str
        Metadata column defining the groups (``"subject"``, or ``"site"`` for leave-site-out
        style splits).
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, n_splits: int = 5, group: str = "subject"):
        self.n_splits = n_splits
        self.group = group

    def _folds(self, metadata, y):
        if self.group not in metadata.columns:
            raise input_error("group", f"a metadata column ({list(metadata.columns)})",
                              self.group)
        groups = metadata[self.group].astype(str).to_numpy()
        if len(np.unique(groups)) < self.n_splits:
            raise input_error("n_splits", f"at most the number of {self.group}s "
                              f"({len(np.unique(groups))})", self.n_splits)
        for k, (train, test) in enumerate(GroupKFold(self.n_splits).split(groups, y, groups)):
            yield f"{self.group}-fold={k}", train, test
