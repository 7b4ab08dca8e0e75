"""External validation of molecule models: train on one molecule set, test on another.

``molecule-external:train=<label>,test=<label>`` pairs two molecule datasets that measure the
same target (for example an in-house table and a published set), each named by a dataset
label as the command line writes it (``name`` or ``name:key=value,...``). Loading it

1. loads both sets with their own loaders (standardised canonical SMILES, duplicates
   merged within each set, see :mod:`neurocompare.data.molecule_tables`);
2. checks that they can be paired: the same task, for classification the same class names,
   for regression the same ``target_units`` when both sets declare them (a set that
   declares none, such as ``molecule-files``, is paired with a warning);
3. **removes leakage**: a structure (canonical SMILES as the loaders produce them) present
   in both sets is dropped from the *test* side, logged as a warning and reported in
   ``info.extra["external_overlap"]`` (count, test ``mol_id`` and source rows, and how many
   of them carry a different label or value in the two sets);
4. reports the scaffold novelty of the test side, ``info.extra["external_scaffolds"]``:
   test scaffolds never seen in training (the acyclic ``""`` scaffold counts as one);
5. concatenates them -- training rows first -- into one pseudo-subject ``"all"``, the
   metadata gaining the column ``source`` (``"train"`` / ``"test"``) that the ``external``
   protocol (:class:`neurocompare.protocols.external.ExternalSplit`) splits on. A ``date``
   column is kept only when both sets have one.

Both sides must standardise alike (the ``standardize`` default of every molecule loader):
otherwise a salt form in one set and its parent in the other are different strings and the
overlap goes unseen; a difference is logged as a warning.

The sides name the molecule datasets of :data:`MOLECULE_SETS` (an explicit table: the
dataset registry imports this module, so this module cannot import the registry). Inside a
command-line label the outer parser splits on ``,``, so the inner parameters of a side are
separated with ``;`` there (``train=molecule-files:path=a.csv;target_column=pIC50``); in a
TOML configuration either separator works.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare._spec import parse_choice
from neurocompare.data.base import WHOLE_DATASET, Dataset
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.data.molecule_sets import (
    MoleculeFiles,
    MoleculeNetESOL,
    TDCBBBMartins,
    TDCClearanceMicrosomeAZ,
    TDCCYP3A4Veith,
)

__all__ = ["MOLECULE_SETS", "MoleculeExternal", "molecule_set", "overlap_report",
           "scaffold_novelty"]

logger = logging.getLogger(__name__)

#: name -> class of the molecule datasets a side of ``molecule-external`` may name.
MOLECULE_SETS: dict[str, type[Dataset]] = {cls.name: cls for cls in (
    TDCBBBMartins, TDCCYP3A4Veith, TDCClearanceMicrosomeAZ, MoleculeNetESOL, MoleculeFiles)}
_SIDES = ("train", "test")
_SHOWN = 10  # ids listed in a log message at most (the report keeps them all)


def molecule_set(label: Any, side: str) -> Dataset:
    """Build the molecule dataset that the label of one side names.

    Parameters
    ----------
    label : str
        ``"name"`` or ``"name:key=value,..."`` (``;`` also separates parameters).
    side : {"train", "test"}
        The parameter named in errors.

    Returns
    -------
    Dataset
        One of :data:`MOLECULE_SETS`, unloaded.
    """
    expected = "a molecule dataset label 'name' or 'name:key=value,...'"
    if not isinstance(label, str) or not label.strip():
        raise input_error(side, expected, label,
                          hint="e.g. molecule-external:train=tdc-bbb-martins,test=...")
    name, params = parse_choice(label.replace(";", ","), side)
    if name not in MOLECULE_SETS:
        raise input_error(side, f"a molecule dataset, one of {list(MOLECULE_SETS)}", name)
    cls = MOLECULE_SETS[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - fields)
    if unknown:
        raise input_error(f"{side} ({name}) parameters", f"some of {sorted(fields)}", unknown)
    return cls(**params)


def overlap_report(train: NeuralData, test: NeuralData) -> tuple[np.ndarray, dict[str, Any]]:
    """Which test molecules share their structure with a training molecule.

    Parameters
    ----------
    train, test : NeuralData
        Loaded molecule sets; ``X`` canonical SMILES, shape (n_train,) and (n_test,), each
        without duplicates (the loaders merge them).

    Returns
    -------
    overlap : ndarray of bool, shape (n_test,)
        True where the test structure is also in ``train``.
    report : dict
        ``count``, ``mol_ids``, ``source_rows`` and ``smiles`` of those test rows, and
        ``n_disagreeing``: how many carry a different label (classification) or a value
        more than 1e-9 apart (regression) in the two sets.
    """
    lookup = {smiles: value for smiles, value in zip(train.X, train.y, strict=True)}
    overlap = np.fromiter((s in lookup for s in test.X), dtype=bool, count=len(test.X))
    rows = np.flatnonzero(overlap)
    other = np.array([lookup[s] for s in test.X[rows]], dtype=test.y.dtype)
    if test.info.task == "regression":
        disagreeing = np.abs(other - test.y[rows]) > 1e-9
    else:
        disagreeing = other != test.y[rows]
    meta = test.metadata.iloc[rows]
    return overlap, {"count": len(rows), "mol_ids": meta["mol_id"].astype(str).tolist(),
                     "source_rows": [int(r) for r in meta["source_row"]],
                     "smiles": [str(s) for s in test.X[rows]],
                     "n_disagreeing": int(disagreeing.sum())}


def scaffold_novelty(train_scaffolds: Sequence[str], test_scaffolds: Sequence[str]
                     ) -> dict[str, Any]:
    """How many test scaffolds (and test molecules) have no scaffold seen in training.

    Parameters
    ----------
    train_scaffolds : sequence of str, length n_train
    test_scaffolds : sequence of str, length n_test
        Bemis-Murcko scaffold of each molecule (``""`` for acyclic ones: one group).

    Returns
    -------
    dict
        ``n_test_scaffolds``, ``n_unseen_scaffolds``, ``n_test_molecules``,
        ``n_molecules_unseen_scaffold`` and ``fraction_molecules_unseen_scaffold``.
    """
    seen = {str(s) for s in train_scaffolds}
    test = [str(s) for s in test_scaffolds]
    unseen_rows = sum(s not in seen for s in test)
    unique = set(test)
    return {"n_test_scaffolds": len(unique), "n_unseen_scaffolds": len(unique - seen),
            "n_test_molecules": len(test), "n_molecules_unseen_scaffold": unseen_rows,
            "fraction_molecules_unseen_scaffold": unseen_rows / len(test) if test else 0.0}


def _check_pair(train: NeuralData, test: NeuralData, labels: dict[str, str]) -> str:
    """Raise unless the sets can be paired; return the target units of the pair."""
    task = train.info.task
    if test.info.task != task:
        raise input_error("test", f"a {task} dataset, as train ({labels['train']}) is",
                          f"a {test.info.task} dataset ({labels['test']})")
    if task == "classification" and test.info.class_names != train.info.class_names:
        raise input_error("test", f"class names {list(train.info.class_names)} (those of "
                          f"train {labels['train']})", list(test.info.class_names),
                          hint="Both sets must label the same classes with the same names.")
    units = {side: str(data.info.extra.get("target_units") or "")
             for side, data in zip(_SIDES, (train, test), strict=True)}
    if task == "regression":
        if units["train"] and units["test"] and units["train"] != units["test"]:
            raise input_error("test", f"target units {units['train']!r} (those of train "
                              f"{labels['train']})", units["test"],
                              hint="Pair sets measured on one scale (e.g. both log10).")
        unknown = [side for side in _SIDES if not units[side]]
        if unknown:
            logger.warning("molecule-external: target units of %s unknown; pairing assumes "
                           "both sets share one scale", " and ".join(unknown))
    standardized = [data.info.extra.get("standardized") for data in (train, test)]
    if standardized[0] != standardized[1]:
        logger.warning("molecule-external: train standardize=%s, test standardize=%s; "
                       "overlapping structures in different forms go unseen", *standardized)
    return units["train"] or units["test"]


def _metadata(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Both metadata tables, stacked, with ``source``; ``date`` only when both have it."""
    parts = [frame.assign(source=side) for side, frame in zip(_SIDES, (train, test),
                                                               strict=True)]
    shared = [c for c in parts[0].columns if c in parts[1].columns]
    return pd.concat([frame[shared] for frame in parts], ignore_index=True)


@dataclass
class MoleculeExternal(Dataset):
    """Train on one molecule dataset, test on another with the same target.

    See the module docstring for the pairing checks and the leakage rule. Use it with the
    ``external`` protocol.

    Parameters
    ----------
    train : str
        Label of the training set, e.g. ``"tdc-bbb-martins"`` or
        ``"molecule-files:path=inhouse.csv,target_column=bbb"``.
    test : str
        Label of the test set; structures also in ``train`` are removed from it.
    """

    name = "molecule-external"
    kind = "molecules"
    description = ("External validation: train on one molecule set, test on another with the "
                   "same target (parameters train and test: dataset labels); test structures "
                   "also in train removed and reported; use protocol external")
    scope_note = ("Use the external protocol (one fold: train side -> test side). Overlapping "
                  "structures are removed from the test side; unseen test scaffolds are "
                  "reported.")

    train: str | None = None
    test: str | None = None

    def __post_init__(self) -> None:
        # What was paired, for listings of this instance (the run record, the report).
        self.description = (f"External validation of molecule models: trained on "
                            f"{self.train}, tested on {self.test} (test structures also in "
                            f"train removed)")

    def _sets(self) -> tuple[Dataset, Dataset]:
        return molecule_set(self.train, "train"), molecule_set(self.test, "test")

    def subjects(self) -> list[str]:
        """One pseudo-subject, ``"all"``: both sets' molecules."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The files of both sets (training set's first)."""
        out: list[Path] = []
        for dataset in self._sets():
            for unit in dataset.subjects():
                out += [path for path in dataset.files(unit) if path not in out]
        return out

    def _load_subject(self, subject: str) -> NeuralData:
        labels = {"train": str(self.train), "test": str(self.test)}
        train_set, test_set = self._sets()
        train, test = train_set.load(), test_set.load()
        units = _check_pair(train, test, labels)
        overlap, report = overlap_report(train, test)
        if overlap.all():
            raise input_error("test", "molecules not in the training set",
                              f"all {len(overlap)} test structures also in train",
                              hint="Pair two different sets.")
        if report["count"]:
            logger.warning("molecule-external: removed %d test structures also in train "
                           "(%d with a different target there); test mol_id %s", report["count"],
                           report["n_disagreeing"], report["mol_ids"][:_SHOWN])
        kept = test.subset(np.flatnonzero(~overlap))
        if train.info.task == "classification" and len(np.unique(kept.y)) < 2:
            logger.warning("molecule-external: the test side holds one class only; "
                           "ranking metrics (AUROC, AUPRC) are undefined")
        novelty = scaffold_novelty(train.metadata["scaffold"], kept.metadata["scaffold"])
        extra = {"dataset": self.name, "task": train.info.task, "train_label": labels["train"],
                 "test_label": labels["test"], "n_train": len(train), "n_test": len(kept),
                 "n_test_loaded": len(test), "external_overlap": report,
                 "external_scaffolds": novelty, "target_units": units,
                 "train_target_units": train.info.extra.get("target_units", ""),
                 "test_target_units": test.info.extra.get("target_units", ""),
                 "train": dict(train.info.extra), "test": dict(test.info.extra)}
        info = SignalInfo(kind="molecules", task=train.info.task,
                          class_names=train.info.class_names, ch_types="misc", extra=extra)
        return NeuralData(np.concatenate([train.X, kept.X]), np.concatenate([train.y, kept.y]),
                          _metadata(train.metadata, kept.metadata), info)
