"""Drug-target protocols: DeepDTA's warm split and the cold-start settings.

* :class:`Setting1` (``dti-setting1``) -- DeepDTA's setting 1 exactly (Ozturk et al. 2018):
  a fixed test set of pairs and five training folds (metadata column ``setting1``). As in
  DeepDTA's ``nfold_1_2_3_setting_sample``, fold ``k`` trains on the four other training
  folds and is scored on the **test set** (fold ``k`` itself was DeepDTA's validation fold
  for choosing hyperparameters; our pipelines carve their early-stopping split from their
  own training rows, so it is left unused). The published figures are the mean (sd) over the
  five. Every drug and target of the test set is also seen in training (a warm split).
* :class:`ColdSplit` -- k-fold over drugs (``cold-drug``: every test drug unseen in
  training), over targets (``cold-target``), or over both (``cold-pair``: drugs and targets
  are each cut into ``n_splits`` seeded groups; fold ``k`` tests the pairs whose drug is in
  drug group ``k`` **and** whose target is in target group ``k``, and trains on the pairs
  whose drug and target are in neither; the mixed pairs are used by neither side).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neurocompare._errors import check_option, input_error
from neurocompare.protocols.splitters import Splitter, check_n_splits

__all__ = ["ColdSplit", "Setting1"]

_HINT = "load the pairs with a drug-target dataset (davis, kiba)"


def _column(metadata: pd.DataFrame, name: str) -> np.ndarray:
    if name not in metadata.columns:
        raise input_error(f"metadata column {name!r}", "a drug-target pair dataset's column",
                          f"only columns {list(metadata.columns)}", hint=_HINT)
    return metadata[name].astype(str).to_numpy()


class Setting1(Splitter):
    """DeepDTA's setting 1: train on four of the five training folds, test on the test set.

    Parameters
    ----------
    column : str
        Metadata column of each pair's part (``"test"``, ``"train0"``..``"train4"``).
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, column: str = "setting1"):
        self.column = column

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        parts = _column(metadata, self.column)
        test = np.flatnonzero(parts == "test")
        folds = sorted(set(parts) - {"test"})
        if not len(test) or len(folds) < 2:
            raise input_error(f"metadata column {self.column!r}",
                              "'test' rows and at least two 'train<k>' folds",
                              sorted(set(parts)), hint=_HINT)
        for k, held_out in enumerate(folds):
            train = np.flatnonzero((parts != "test") & (parts != held_out))
            yield (f"setting1/train-without={held_out}", train, test,
                   {"validation_fold": held_out, "fold_index": k})


class ColdSplit(Splitter):
    """k-fold with unseen drugs, targets or both in every test fold.

    Parameters
    ----------
    cold : {"drug", "target", "pair"}
        What is unseen at test time (see the module docstring).
    n_splits : int
        Number of folds (groups of drugs and/or targets).
    random_state : int
        Seed of the assignment of drugs and targets to groups.
    """

    scope = "dataset"
    columns = ("subject",)

    def __init__(self, cold: str = "drug", n_splits: int = 5, random_state: int = 42):
        self.cold = cold
        self.n_splits = n_splits
        self.random_state = random_state

    def _groups(self, ids: np.ndarray, rng: np.random.Generator, name: str) -> np.ndarray:
        """Group index of each row: the unique ids shuffled and dealt into n_splits groups."""
        unique = np.unique(ids)
        if len(unique) < self.n_splits:
            raise input_error("n_splits", f"at most the number of {name}s ({len(unique)})",
                              self.n_splits)
        order = rng.permutation(len(unique))
        group_of = dict(zip(unique[order], np.arange(len(unique)) % self.n_splits,
                            strict=True))
        return np.array([group_of[i] for i in ids])

    def _folds(self, metadata: pd.DataFrame, y: np.ndarray):
        check_option("cold", self.cold, ("drug", "target", "pair"))
        check_n_splits(self.n_splits)
        rng = np.random.default_rng(self.random_state)
        drugs = self._groups(_column(metadata, "drug_id"), rng, "drug") \
            if self.cold in ("drug", "pair") else None
        targets = self._groups(_column(metadata, "target_id"), rng, "target") \
            if self.cold in ("target", "pair") else None
        for k in range(self.n_splits):
            if self.cold == "drug":
                test, train = drugs == k, drugs != k
            elif self.cold == "target":
                test, train = targets == k, targets != k
            else:
                test, train = (drugs == k) & (targets == k), (drugs != k) & (targets != k)
            if not test.any() or not train.any():
                raise input_error("n_splits", f"folds with both training and test pairs "
                                  f"(cold {self.cold})", f"fold {k} empty on one side")
            yield f"cold-{self.cold}/fold={k}", np.flatnonzero(train), np.flatnonzero(test)
