"""Protocols for data whose samples are subjects: connectomes and clinical tables.

Each row of these datasets is a subject (or one visit of a subject), so the protocols
split over subjects, never within one:

* :class:`SubjectKFold` -- stratified k-fold over subjects. When a subject has several
  rows (repeated visits), all of them land in the same fold (``StratifiedGroupKFold``);
  with one row per subject it is exactly scikit-learn's ``StratifiedKFold``.
* :class:`LeaveSiteOut` -- leave one acquisition site out: train on every other site,
  test on the held-out one (the inter-site generalisation of multi-site studies such as
  ABIDE). A subject must belong to a single site.

Both have ``scope = "dataset"``: the runner loads the dataset once per worker and runs one
work unit per fold. Site, when a dataset has one, is also a metadata column that
site-aware pipeline steps could use; it is never a feature unless a loader makes it one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold

from neurocompare._errors import input_error
from neurocompare.protocols.splitters import Fold, Splitter, check_n_splits

__all__ = ["LeaveSiteOut", "SubjectKFold", "regression_strata"]


class _OverSubjects(Splitter):
    """Test sets are groups of subjects: every fold's ``subject`` is ``"*"``, also when a
    small fold or site happens to hold one subject, so statistics always treat the folds
    of these protocols alike (the unit of replication is the fold)."""

    scope = "dataset"
    columns = ("subject",)

    def folds(self, metadata: pd.DataFrame, y) -> Iterator[Fold]:
        """Yield :class:`Fold` objects over the rows of ``metadata``."""
        for fold in super().folds(metadata, y):
            yield replace(fold, subject="*")


class SubjectKFold(_OverSubjects):
    """Stratified k-fold over subjects; a subject's rows never straddle folds.

    Classes stratify; a regression target is stratified by its quintiles
    (:func:`regression_strata`).

    Parameters
    ----------
    n_splits : int
        Number of folds.
    shuffle : bool
        Shuffle subjects before assigning folds.
    random_state : int
        Seed of the shuffle.
    group : str
        Metadata column identifying a subject.
    """

    def __init__(self, n_splits: int = 10, shuffle: bool = True, random_state: int = 42,
                 group: str = "subject"):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.group = group

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        check_n_splits(self.n_splits)
        if self.group not in metadata.columns:
            raise input_error("group", f"a metadata column ({list(metadata.columns)})",
                              self.group)
        groups = metadata[self.group].astype(str).to_numpy()
        n_groups = len(np.unique(groups))
        y = regression_strata(np.asarray(y))
        _, counts = np.unique(y, return_counts=True)
        if n_groups < self.n_splits or counts.min() < self.n_splits:
            raise input_error("n_splits", f"at most the number of {self.group}s ({n_groups}) "
                              f"and of rows of the rarest class ({counts.min()})",
                              self.n_splits)
        seed = self.random_state if self.shuffle else None
        if n_groups == len(groups):
            splits = StratifiedKFold(self.n_splits, shuffle=self.shuffle,
                                     random_state=seed).split(groups, y)
        else:
            splits = StratifiedGroupKFold(self.n_splits, shuffle=self.shuffle,
                                          random_state=seed).split(groups, y, groups)
        for k, (train, test) in enumerate(splits):
            yield f"{self.group}-fold={k}", train, test


def regression_strata(y: np.ndarray, n_bins: int = 5) -> np.ndarray:
    """Strata for a stratified split: class codes as they are; a real-valued target cut at
    its quintiles (``n_bins`` bins), so every fold spans the target's range."""
    if not np.issubdtype(y.dtype, np.floating):
        return y
    edges = np.quantile(y, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.digitize(y, np.unique(edges))


class LeaveSiteOut(_OverSubjects):
    """Leave one site out: each site is the test set once.

    Parameters
    ----------
    site : str
        Metadata column of the site.
    min_test : int
        Sites with fewer rows are never held out (they stay in every training set); the
        default 1 tests every site.
    """

    def __init__(self, site: str = "site", min_test: int = 1):
        self.site = site
        self.min_test = min_test

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        if self.site not in metadata.columns:
            raise input_error("site", f"a metadata column ({list(metadata.columns)})",
                              self.site, hint="This protocol needs a dataset with sites.")
        sites = metadata[self.site].astype(str).to_numpy()
        per_subject = metadata.groupby("subject", observed=True)[self.site].nunique()
        if (per_subject > 1).any():
            raise input_error(self.site, "one site per subject",
                              per_subject[per_subject > 1].index.tolist()[:5])
        unique = pd.unique(sites)
        if len(unique) < 2:
            raise input_error(self.site, "at least two sites", unique.tolist())
        # LeaveOneGroupOut holds the sites out in sorted order, as the folds always were.
        for train, test in LeaveOneGroupOut().split(sites, groups=sites):
            if len(test) < self.min_test:
                continue
            site = sites[test[0]]
            yield f"{self.site}={site}", train, test, {"site": site}
