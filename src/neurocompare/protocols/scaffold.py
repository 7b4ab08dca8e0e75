"""Protocols for molecule sets: scaffold splits and time splits.

A random split of a molecule set puts close analogues (same ring system) on both sides, so
a model can score by recognising the series rather than generalising to new chemistry.
These splitters read the loader's metadata columns (``scaffold``: the Bemis-Murcko scaffold
SMILES; ``date``); they never compute chemistry themselves.

* :class:`ScaffoldSplit` -- TDC's ``create_scaffold_split`` (after chemprop's balanced
  scaffold split), repeated over seeds. Rows are grouped by scaffold, in order of first
  appearance; scaffold sets larger than half the validation or half the test size are
  "big". Big sets are shuffled (Python's ``random.Random(seed)``, as TDC), then small sets
  with the same generator, big ones first. Walking that list, a set goes to train while
  train stays within ``int(n * frac[0])`` rows, else to validation while it stays within
  ``int(n * frac[1])``, else to test. With the same row order and scaffolds the folds are
  TDC's. **The validation part is left out** of the fold (``valid="drop"``, the default):
  the fold trains on the 70 % and tests on the 20 %, exactly as TDC's benchmark trains
  (``train`` only) and as the Morgan + XGBoost anchors in ANCHORS.md were measured;
  networks that early-stop make their own validation split inside the training fold.
  ``valid="train"`` adds it to training instead (an 80/20 split).
* :class:`ScaffoldKFold` -- k-fold over scaffold groups (shuffled by the seed), stratified by
  class for integer labels (``StratifiedGroupKFold``), plain ``GroupKFold`` for regression:
  every molecule of a scaffold in one fold.
* :class:`TimeSplit` -- train on the earliest ``train_frac`` of the rows by ``date``, test on
  the rest; molecules sharing the split date all go to test, so no date is on both sides.

All three have ``scope = "dataset"`` (the whole set is one pseudo-subject).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from neurocompare._errors import check_option, input_error
from neurocompare.protocols.splitters import Splitter, check_n_splits

__all__ = ["ScaffoldKFold", "ScaffoldSplit", "TimeSplit", "balanced_scaffold_split"]

_HINT = "Molecule datasets (tdc-*, moleculenet-*, molecule-files) write it."


def _column(metadata: pd.DataFrame, column: str, hint: str) -> np.ndarray:
    if column not in metadata.columns:
        raise input_error(f"metadata column {column!r}", "a column of the metadata table",
                          f"only columns {list(metadata.columns)}", hint=hint)
    return metadata[column].to_numpy()


def _check_frac(frac: Sequence[float]) -> tuple[float, float, float]:
    values = tuple(float(f) for f in frac) if isinstance(frac, (tuple, list)) else ()
    if (len(values) != 3 or min(values) < 0 or values[0] <= 0 or values[2] <= 0
            or abs(sum(values) - 1) > 1e-6):
        raise input_error("frac", "three fractions (train, valid, test) >= 0 summing to 1, "
                          "train and test > 0", frac)
    return values  # type: ignore[return-value]


def balanced_scaffold_split(scaffolds: Sequence[str], frac: Sequence[float] = (0.7, 0.1, 0.2),
                            seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TDC's balanced scaffold split of rows into train, validation and test.

    Parameters
    ----------
    scaffolds : sequence of str, length n_rows
        Scaffold of every row (``""`` for acyclic molecules, one group).
    frac : (float, float, float)
        Train, validation and test fractions.
    seed : int
        Seed of Python's ``random.Random``, as in TDC.

    Returns
    -------
    train, valid, test : ndarray of int
        Sorted row positions; every scaffold's rows lie in exactly one of them.
    """
    frac = _check_frac(frac)
    groups: dict[str, list[int]] = {}
    for position, scaffold in enumerate(scaffolds):
        groups.setdefault(str(scaffold), []).append(position)
    n = len(scaffolds)
    train_size, valid_size = int(n * frac[0]), int(n * frac[1])
    test_size = n - train_size - valid_size
    big: list[list[int]] = []
    small: list[list[int]] = []
    for group in groups.values():
        (big if len(group) > valid_size / 2 or len(group) > test_size / 2 else small).append(group)
    rng = random.Random(seed)
    rng.shuffle(big)
    rng.shuffle(small)
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for group in big + small:
        if len(train) + len(group) <= train_size:
            train += group
        elif len(valid) + len(group) <= valid_size:
            valid += group
        else:
            test += group
    return tuple(np.sort(np.asarray(part, dtype=np.intp))  # type: ignore[return-value]
                 for part in (train, valid, test))


class ScaffoldSplit(Splitter):
    """TDC's balanced scaffold split, train 70 % / (validation 10 %) / test 20 %, repeated.

    Parameters
    ----------
    frac : (float, float, float)
        Train, validation and test fractions.
    n_repeats : int
        Splits with seeds ``random_state, random_state + 1, ...``.
    valid : {"drop", "train"}
        What happens to the validation part: left out (default, as TDC's benchmark) or
        added to training.
    random_state : int
        Seed of the first repeat.
    scaffold : str
        Metadata column of the scaffolds.
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, frac: Sequence[float] = (0.7, 0.1, 0.2), n_repeats: int = 5,
                 valid: str = "drop", random_state: int = 42, scaffold: str = "scaffold"):
        self.frac = frac
        self.n_repeats = n_repeats
        self.valid = valid
        self.random_state = random_state
        self.scaffold = scaffold

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        check_option("valid", self.valid, ("drop", "train"))
        if not isinstance(self.n_repeats, (int, np.integer)) or self.n_repeats < 1:
            raise input_error("n_repeats", "a positive integer", self.n_repeats)
        scaffolds = _column(metadata, self.scaffold, _HINT)
        for repeat in range(self.n_repeats):
            seed = int(self.random_state) + repeat
            train, valid, test = balanced_scaffold_split(scaffolds, self.frac, seed)
            if not len(train) or not len(test):
                raise input_error("frac", "fractions leaving rows in train and in test",
                                  f"{len(train)} train and {len(test)} test rows of "
                                  f"{len(scaffolds)} (scaffold sets too large?)")
            if self.valid == "train":
                train = np.sort(np.concatenate([train, valid]))
            yield (f"scaffold-repeat={repeat}", train, test,
                   {"repeat": repeat, "split_seed": seed, "valid": self.valid,
                    "n_valid": len(valid), "train_size": len(train),
                    "n_train_scaffolds": len(pd.unique(scaffolds[train])),
                    "n_test_scaffolds": len(pd.unique(scaffolds[test]))})


class ScaffoldKFold(Splitter):
    """k-fold over scaffold groups: every molecule of a scaffold lands in one fold.

    Parameters
    ----------
    n_splits : int
        Number of folds.
    stratify : bool
        For integer labels, balance the classes across folds (``StratifiedGroupKFold``);
        float targets always use ``GroupKFold``.
    random_state : int
        Seed of the shuffle of the scaffold groups.
    scaffold : str
        Metadata column of the scaffolds.
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, n_splits: int = 5, stratify: bool = True, random_state: int = 42,
                 scaffold: str = "scaffold"):
        self.n_splits = n_splits
        self.stratify = stratify
        self.random_state = random_state
        self.scaffold = scaffold

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        check_n_splits(self.n_splits)
        groups = _column(metadata, self.scaffold, _HINT).astype(str)
        n_groups = len(np.unique(groups))
        if n_groups < self.n_splits:
            raise input_error("n_splits", f"at most the number of scaffolds ({n_groups})",
                              self.n_splits)
        if self.stratify and np.issubdtype(y.dtype, np.integer):
            cv = StratifiedGroupKFold(self.n_splits, shuffle=True,
                                      random_state=self.random_state)
        else:
            cv = GroupKFold(self.n_splits, shuffle=True, random_state=self.random_state)
        for k, (train, test) in enumerate(cv.split(groups, y, groups)):
            yield f"scaffold-fold={k}", train, test


class TimeSplit(Splitter):
    """Train on the earliest molecules by date, test on the latest.

    The split date is the date of the row at position ``int(n * train_frac)`` in date
    order; rows before it train, rows on or after it test (ties never straddle the split).

    Parameters
    ----------
    train_frac : float
        Fraction of rows, by date, to train on (in (0, 1)).
    date : str
        Metadata column of the dates (datetimes or numbers).
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, train_frac: float = 0.8, date: str = "date"):
        self.train_frac = train_frac
        self.date = date

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        if not isinstance(self.train_frac, (float, int)) or not 0 < self.train_frac < 1:
            raise input_error("train_frac", "a fraction in (0, 1)", self.train_frac)
        dates = pd.Series(_column(metadata, self.date, "Give molecule-files a date_column."))
        if dates.isna().any():
            raise input_error(f"metadata column {self.date!r}", "a date on every row",
                              f"{int(dates.isna().sum())} missing")
        ordered = dates.sort_values(kind="stable")
        cut = ordered.iloc[min(int(len(dates) * self.train_frac), len(dates) - 1)]
        train = np.flatnonzero((dates < cut).to_numpy())
        test = np.flatnonzero((dates >= cut).to_numpy())
        if not len(train):
            raise input_error(f"metadata column {self.date!r}",
                              "dates earlier than the split date to train on",
                              f"every row on or after {cut}")
        yield (f"{self.date}<{cut}", train, test,
               {"split_date": str(cut), "train_size": len(train)})
