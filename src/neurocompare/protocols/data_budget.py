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

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare.protocols.splitters import CrossSubject, Splitter

__all__ = ["MIN_TRAIN_PER_CLASS", "CalibrationBudget", "LearningCurve", "stratified_take"]

#: The fewest training trials per class (training samples of a real-valued target) a
#: learning-curve size may give. Measured on the simulated motor-imagery data: at 1 trial per
#: class LDA, CSP and FgMDM raise ("number of samples must be more than the number of
#: classes"), at 2 band-power and filter-bank CSP LDA raise LinAlgError (a singular
#: within-class scatter); from 3 every traditional EEG pipeline fits. The default of
#: :class:`LearningCurve`'s ``min_per_class``: a size below it is an error naming it before
#: any fold is fitted, not one failure per fold.
MIN_TRAIN_PER_CLASS = 3


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
        Every class gets that many trials (class-balanced), so 1.0 is the whole training
        fold only when its classes are balanced; otherwise the larger classes are
        subsampled to the smallest one's count. A real-valued (regression) target has no
        classes: sizes count training samples, and 1.0 is the whole fold.
    n_repeats : int
        Independent subsamples per size.
    unit : {"trials", "subjects"}
        Subsample trials per class, or whole training subjects (cross-subject protocols).
    random_state : int
        Seed of the training subsamples (one stream per base fold and repeat).
    min_per_class : int
        Fewest training trials per class (samples of a real-valued target) a size may give
        in any base fold (``unit="trials"``); a smaller one is an error naming it, raised
        before the first fold (see :data:`MIN_TRAIN_PER_CLASS`).
    """

    def __init__(self, base: Splitter, sizes: Sequence[float] = (0.1, 0.2, 0.4, 0.7, 1.0),
                 n_repeats: int = 3, unit: str = "trials", random_state: int = 42,
                 min_per_class: int = MIN_TRAIN_PER_CLASS):
        self.base = base
        self.sizes = sizes
        self.n_repeats = n_repeats
        self.unit = unit
        self.random_state = random_state
        self.min_per_class = min_per_class

    @property
    def scope(self) -> str:  # type: ignore[override]
        return self.base.scope

    def _count(self, size: float, available: int) -> int:
        if isinstance(size, float) and 0 < size <= 1:
            return max(1, round(size * available))
        if isinstance(size, int | np.integer) and not isinstance(size, bool) and size >= 1:
            return min(int(size), available)
        raise input_error("sizes", "fractions in (0, 1] or positive integers", size)

    def _check(self) -> None:
        if self.unit not in ("trials", "subjects"):
            raise input_error("unit", "'trials' or 'subjects'", self.unit)
        if isinstance(self.sizes, str) or not isinstance(self.sizes, Sequence) or \
                not self.sizes:
            raise input_error("sizes", "a list of training sizes", self.sizes)
        for size in self.sizes:
            self._count(size, 1)
        if isinstance(self.n_repeats, bool) or not isinstance(self.n_repeats, int | np.integer) \
                or self.n_repeats < 1:
            raise input_error("n_repeats", "a positive integer", self.n_repeats)
        if isinstance(self.min_per_class, bool) or not isinstance(
                self.min_per_class, int | np.integer) or self.min_per_class < 1:
            raise input_error("min_per_class", "a positive integer", self.min_per_class)

    def _check_sizes(self, folds: list, strata: np.ndarray, regression: bool) -> None:
        """Raise before any fold if a size leaves fewer than ``min_per_class`` training
        trials per class (samples of a real-valued target) in some base fold."""
        available = {f.id: int(np.bincount(np.unique(strata[f.train], return_inverse=True)[1])
                               .min()) for f in folds}
        tight = min(available, key=available.__getitem__)
        what = "training samples" if regression else "training trials per class"
        for size in self.sizes:
            n = self._count(size, available[tight])
            least = self.min_per_class
            if n >= least:
                continue
            hint = (f"The smallest fraction these data allow is "
                    f"{math.ceil(100 * least / available[tight]) / 100:g}."
                    if available[tight] >= least else
                    "Even the whole fold is too small: use fewer folds (n_splits) or more "
                    "trials.")
            raise input_error(
                "sizes", f"sizes giving at least min_per_class={least} {what}",
                f"{size!r}: {n} of the {available[tight]} in fold {tight}",
                hint=f"{hint} Fewer leave a classifier a class without enough trials "
                     "(LDA's within-class scatter singular: LinAlgError); lower "
                     "min_per_class only for pipelines that fit on fewer.")

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        self._check()
        y = np.asarray(y)
        # class codes stratify; a regression target is one stratum (sizes count samples)
        regression = np.issubdtype(y.dtype, np.floating)
        strata = np.zeros(len(y), int) if regression else y
        base = list(self.base.folds(metadata, y))
        if self.unit == "trials" and base:
            self._check_sizes(base, strata, regression)
        for b, fold in enumerate(base):
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
        Seed of the draws of calibration trials.
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
