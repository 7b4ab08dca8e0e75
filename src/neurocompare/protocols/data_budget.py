"""Protocols that vary how much training data a pipeline gets.

* :class:`LearningCurve` -- for every fold of a base protocol, train on growing, nested,
  class-stratified subsets of the training trials (or of the training subjects), repeated
  over seeded subsamples, always testing on the base fold's unchanged test set.
* :class:`CalibrationBudget` -- cross-subject transfer: for a held-out target subject the
  pipeline trains on all other subjects plus ``k`` labelled calibration trials per class of
  the target, and is tested on the target's remaining trials. The test set is the same for
  every ``k`` of a repeat (the calibration pool is drawn once, with the largest ``k``).

Neither ever moves a test trial into training: subsets are drawn from the base training
indices only, and calibration trials are removed from the target's test set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare.protocols.splitters import CrossSubject, Splitter

__all__ = ["CalibrationBudget", "LearningCurve", "stratified_take"]


def stratified_take(rows: np.ndarray, y: np.ndarray, n_per_class: int,
                    rng: np.random.Generator) -> np.ndarray:
    """The first ``n_per_class`` rows of each class in a seeded random order.

    Orders are drawn once per call, so for one generator state larger ``n_per_class`` give
    supersets of smaller ones (nested subsets).

    Parameters
    ----------
    rows : ndarray of int
        Candidate row positions.
    y : ndarray
        Labels of all rows (indexed by position).
    n_per_class : int
    rng : numpy.random.Generator
    """
    out = [rng.permutation(rows[y[rows] == c])[:n_per_class] for c in np.unique(y[rows])]
    return np.sort(np.concatenate(out))


class LearningCurve(Splitter):
    """Growing training sets inside each fold of a base protocol.

    Parameters
    ----------
    base : Splitter
        The protocol whose folds are subsampled (its test sets are kept).
    sizes : sequence of float or int
        Training sizes: fractions in (0, 1] of the smallest class's training trials, or
        integers = trials per class (``unit="trials"``) / subjects (``unit="subjects"``).
        A real-valued (regression) target has no classes: sizes count training samples.
    n_repeats : int
        Independent subsamples per size.
    unit : {"trials", "subjects"}
        Subsample trials per class, or whole training subjects (cross-subject protocols).
    random_state : int
    """

    def __init__(self, base: Splitter, sizes: Sequence[float] = (0.1, 0.2, 0.4, 0.7, 1.0),
                 n_repeats: int = 3, unit: str = "trials", random_state: int = 42):
        self.base = base
        self.sizes = sizes
        self.n_repeats = n_repeats
        self.unit = unit
        self.random_state = random_state

    @property
    def scope(self) -> str:  # type: ignore[override]
        return self.base.scope

    def _count(self, size: float, available: int) -> int:
        if isinstance(size, float) and 0 < size <= 1:
            return max(1, round(size * available))
        if isinstance(size, (int, np.integer)) and size >= 1:
            return min(int(size), available)
        raise input_error("sizes", "fractions in (0, 1] or positive integers", size)

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        if self.unit not in ("trials", "subjects"):
            raise input_error("unit", "'trials' or 'subjects'", self.unit)
        if not self.sizes:
            raise input_error("sizes", "at least one training size", self.sizes)
        y = np.asarray(y)
        # class codes stratify; a regression target is one stratum (sizes count samples)
        strata = y if not np.issubdtype(y.dtype, np.floating) else np.zeros(len(y), int)
        for b, fold in enumerate(self.base.folds(metadata, y)):
            for repeat in range(self.n_repeats):
                seed = [self.random_state, b, repeat]
                if self.unit == "trials":
                    available = int(np.bincount(np.unique(strata[fold.train],
                                                          return_inverse=True)[1]).min())
                    for size in self.sizes:
                        n = self._count(size, available)
                        train = stratified_take(fold.train, strata, n,
                                                np.random.default_rng(seed))
                        yield (f"{fold.id}/size={size}/repeat={repeat}", train, fold.test,
                               {"train_size": len(train), "size": size, "repeat": repeat,
                                "base_fold": fold.id, "unit": "trials"})
                else:
                    subjects = np.random.default_rng(seed).permutation(
                        pd.unique(metadata["subject"].iloc[fold.train].astype(str)))
                    for size in self.sizes:
                        n = self._count(size, len(subjects))
                        keep = metadata["subject"].iloc[fold.train].astype(str).isin(
                            subjects[:n]).to_numpy()
                        yield (f"{fold.id}/size={size}/repeat={repeat}", fold.train[keep],
                               fold.test, {"train_size": n, "size": size, "repeat": repeat,
                                           "base_fold": fold.id, "unit": "subjects"})


class CalibrationBudget(Splitter):
    """Leave-one-subject-out with ``k`` labelled calibration trials per class of the target.

    Parameters
    ----------
    ks : sequence of int
        Calibration trials per class (0 = pure cross-subject transfer).
    n_repeats : int
        Independent draws of the calibration pool per target.
    random_state : int
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, ks: Sequence[int] = (0, 1, 2, 5, 10), n_repeats: int = 2,
                 random_state: int = 42):
        self.ks = ks
        self.n_repeats = n_repeats
        self.random_state = random_state

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        ks = sorted(int(k) for k in self.ks)
        if not ks or ks[0] < 0:
            raise input_error("ks", "non-negative calibration sizes", self.ks)
        for fold in CrossSubject().folds(metadata, y):
            target, rows = fold.subject, fold.test
            smallest = np.bincount(np.unique(y[rows], return_inverse=True)[1]).min()
            if smallest <= ks[-1]:
                raise input_error(f"target subject {target}",
                                  f"more than max(ks)={ks[-1]} trials per class",
                                  f"{smallest} in its smallest class")
            for repeat in range(self.n_repeats):
                rng = np.random.default_rng([self.random_state, int(rows[0]), repeat])
                orders = {c: rng.permutation(rows[y[rows] == c]) for c in np.unique(y[rows])}
                pool = np.concatenate([order[:ks[-1]] for order in orders.values()])
                test = np.setdiff1d(rows, pool)
                for k in ks:
                    calibration = np.concatenate([order[:k] for order in orders.values()])
                    train = np.concatenate([fold.train, calibration]).astype(np.intp)
                    yield (f"target={target}/k={k}/repeat={repeat}", train, test,
                           {"k": k, "target": target, "repeat": repeat,
                            "train_size": len(train)})
