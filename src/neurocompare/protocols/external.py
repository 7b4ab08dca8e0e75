"""External validation: train on the rows of one dataset, test on those of another.

:class:`ExternalSplit` reads the metadata column ``source`` that the ``molecule-external``
dataset writes (``"train"`` for the training set's rows, ``"test"`` for the other set's) and
yields **one deterministic fold**: every training row against every test row. Nothing is
shuffled, so every pipeline and every rerun sees the same fold.

Statistics. The comparison of two pipelines then rests on one score each (one pseudo-subject,
one fold): the paired tests over subjects or folds (sign-flip, Wilcoxon, the corrected
resampled t-test) need at least two paired scores and are **not available**; the report
gives the external scores themselves. ``n_repeats > 1`` adds a *stability estimate*: repeat
``r`` trains on a seeded subsample (``subsample``, default 90 %, class-stratified for
integer labels) of the training rows, seed ``random_state + r``, and tests on the same test
rows. The repeats share their test molecules and most of their training molecules, so their
spread measures sensitivity to the training sample, not independent replication; a paired
test over them is not evidence of generalisation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare.protocols.splitters import Splitter

__all__ = ["ExternalSplit", "subsample_rows"]

_SIDES = ("train", "test")
_HINT = ("Use the molecule-external dataset (molecule-external:train=<label>,test=<label>), "
         "which writes it.")


def subsample_rows(rows: np.ndarray, y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """A seeded subsample of ``rows`` without replacement, class-stratified for integer ``y``.

    Parameters
    ----------
    rows : ndarray of int, shape (n_rows,)
        Candidate row positions.
    y : ndarray, shape (n_samples,)
        Targets of every row (indexed by ``rows``); integer labels are kept in proportion,
        each class rounded to the nearest count (at least one row).
    fraction : float
        Share of the rows (of each class) kept, in (0, 1).
    seed : int
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    ndarray of int
        Sorted row positions.
    """
    rng = np.random.default_rng(seed)
    labels = y[rows]
    groups = [rows[labels == c] for c in np.unique(labels)] \
        if np.issubdtype(labels.dtype, np.integer) else [rows]
    picked = [rng.choice(group, size=max(1, int(fraction * len(group) + 0.5)), replace=False)
              for group in groups]
    return np.sort(np.concatenate(picked))


class ExternalSplit(Splitter):
    """One fold: train on the ``source == "train"`` rows, test on the ``"test"`` rows.

    Parameters
    ----------
    n_repeats : int
        1 (default): the single deterministic fold over the whole training set. More:
        that many folds, each training on a seeded ``subsample`` of the training rows
        (a stability estimate, see the module docstring).
    subsample : float
        Share of the training rows each repeat trains on when ``n_repeats > 1``, in (0, 1).
    random_state : int
        Seed of the first repeat's subsample (repeat ``r`` uses ``random_state + r``).
    source : str
        Metadata column marking each row ``"train"`` or ``"test"``.
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, n_repeats: int = 1, subsample: float = 0.9, random_state: int = 42,
                 source: str = "source"):
        self.n_repeats = n_repeats
        self.subsample = subsample
        self.random_state = random_state
        self.source = source

    def _sides(self, metadata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if self.source not in metadata.columns:
            raise input_error(f"metadata column {self.source!r}",
                              "a column marking each row 'train' or 'test'",
                              f"only columns {list(metadata.columns)}", hint=_HINT)
        values = metadata[self.source].astype(str).to_numpy()
        other = sorted(set(values) - set(_SIDES))
        if other:
            raise input_error(f"metadata column {self.source!r}", "only 'train' and 'test'",
                              other[:10], hint=_HINT)
        train, test = (np.flatnonzero(values == side) for side in _SIDES)
        if not len(train) or not len(test):
            raise input_error(f"metadata column {self.source!r}",
                              "rows of both 'train' and 'test'",
                              f"{len(train)} train and {len(test)} test rows", hint=_HINT)
        return train, test

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        if not isinstance(self.n_repeats, (int, np.integer)) or isinstance(self.n_repeats, bool) \
                or self.n_repeats < 1:
            raise input_error("n_repeats", "a positive integer", self.n_repeats)
        if self.n_repeats > 1 and (not isinstance(self.subsample, (float, int))
                                   or not 0 < self.subsample < 1):
            raise input_error("subsample", "a fraction in (0, 1) of the training rows",
                              self.subsample)
        train, test = self._sides(metadata)
        if self.n_repeats == 1:
            yield "external", train, test
            return
        for repeat in range(self.n_repeats):
            seed = int(self.random_state) + repeat
            yield (f"external/repeat={repeat}", subsample_rows(train, y, self.subsample, seed),
                   test, {"repeat": repeat, "subsample_seed": seed,
                          "subsample": float(self.subsample)})
