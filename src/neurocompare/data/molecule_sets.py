"""Molecule datasets (kind ``"molecules"``): SMILES with a binary label or a measured value.

Four published sets under the data root and one loader for any file:

===================================== ================ ======================================
name                                  task             target
===================================== ================ ======================================
``tdc-bbb-martins``                   classification   blood-brain barrier penetration (0/1)
``tdc-cyp3a4-veith``                  classification   CYP3A4 inhibition (0/1)
``tdc-clearance-microsome-az``        regression       microsomal intrinsic clearance
``moleculenet-esol``                  regression       measured log10 solubility (mol/L)
``molecule-files``                    either           any CSV/TSV/SDF column or property
===================================== ================ ======================================

Every loader runs the same steps (:mod:`neurocompare.data.molecule_tables`): standardise each
SMILES (salts stripped, charges neutralised, canonical SMILES; unparsable rows dropped and
reported), then merge duplicated structures (regression: mean; classification: identical
labels merged, conflicting structures dropped). What was dropped or merged, with source row
numbers, is logged as a warning and kept in ``info.extra`` for the report. ``X`` holds the
standardised canonical SMILES; the metadata holds ``subject`` (``"all"``: a molecule set is
one pseudo-subject), ``session`` and ``run`` (``"0"``), ``scaffold`` (Murcko scaffold of the
standardised molecule, for the ``scaffold`` protocols), ``mol_id`` (source id, else source
row number), ``source_row`` and ``date`` when the file has one (``time-split``).

Random k-fold over molecules (``within-session``) puts close analogues on both sides of the
split and is optimistic; the ``scaffold`` protocols are the honest default, as in TDC.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare.config import dataset_path
from neurocompare.data.base import WHOLE_DATASET, Dataset
from neurocompare.data.containers import NeuralData
from neurocompare.data.molecule_tables import SDF_SMILES, molecule_data, read_molecule_table

__all__ = [
    "MoleculeFiles",
    "MoleculeNetESOL",
    "TDCBBBMartins",
    "TDCCYP3A4Veith",
    "TDCClearanceMicrosomeAZ",
]


@dataclass
class _PublishedSet(Dataset):
    """A published molecule table under the data root (see the module docstring)."""

    kind = "molecules"
    file: ClassVar[str] = ""
    smiles_column: ClassVar[str] = "Drug"
    target_column: ClassVar[str] = "Y"
    id_column: ClassVar[str] = "Drug_ID"
    task: ClassVar[str] = "classification"
    label_names: ClassVar[dict[Any, str] | None] = None
    target_units: ClassVar[str] = ""

    root: str | Path | None = None
    standardize: bool = True

    def _path(self) -> Path:
        root = Path(self.root) if self.root is not None \
            else dataset_path(self.data_folder, dataset=self.name)
        return root / self.file

    def subjects(self) -> list[str]:
        """One pseudo-subject, ``"all"``: every molecule of the set."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The table."""
        return [self._path()]

    def _target(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame

    def _load_subject(self, subject: str) -> NeuralData:
        path = self._path()
        frame = self._target(read_molecule_table(path))
        return molecule_data(frame, smiles_column=self.smiles_column,
                             target_column=self.target_column, task=self.task,
                             source=str(path), id_column=self.id_column,
                             label_names=self.label_names, standardize=self.standardize,
                             tolerance=self._tolerance(),
                             extra={"target_units": self._units(), "dataset": self.name})

    def _units(self) -> str:
        return self.target_units

    def _tolerance(self) -> float:
        return 0.5  # unused: classification sets merge identical labels exactly


@dataclass
class _PublishedRegression(_PublishedSet):
    """A published regression set: duplicates averaged, large spreads reported."""

    task = "regression"

    duplicate_tolerance: float = 0.5

    def _tolerance(self) -> float:
        return self.duplicate_tolerance


@dataclass
class TDCBBBMartins(_PublishedSet):
    """TDC BBB_Martins: blood-brain barrier penetration (class 1 = penetrating).

    Parameters
    ----------
    root : str or Path, optional
        Folder of ``bbb_martins.tab``; default ``<data root>/tdc_bbb_martins``.
    standardize : bool
        Strip salts and neutralise (default) or keep TDC's canonical SMILES as they are.
    """

    name = "tdc-bbb-martins"
    description = ("Real TDC BBB_Martins: blood-brain barrier penetration from SMILES, binary, "
                   "2039 rows (76.5 % penetrating); 60 duplicated canonical SMILES, 10 with "
                   "conflicting labels (57 and 11 after salt stripping) merged or dropped: "
                   "1955 molecules; AUROC as TDC; same molecules as MoleculeNet BBBP")
    scope_note = "Analogues share scaffolds: use the scaffold protocols (TDC: scaffold split)."
    data_folder, file = "tdc_bbb_martins", "bbb_martins.tab"
    label_names: ClassVar[dict[Any, str]] = {0: "non-penetrating", 1: "penetrating"}


@dataclass
class TDCCYP3A4Veith(_PublishedSet):
    """TDC CYP3A4_Veith: CYP3A4 inhibition from the PubChem qHTS panel (1 = inhibitor).

    Parameters
    ----------
    root : str or Path, optional
        Folder of ``cyp3a4_veith.tab``; default ``<data root>/tdc_cyp3a4_veith``.
    standardize : bool
        Strip salts and neutralise (default) or keep the published SMILES as they are.
    """

    name = "tdc-cyp3a4-veith"
    description = ("Real TDC CYP3A4_Veith: CYP3A4 inhibition from SMILES, binary, 12,328 "
                   "rows (41.5 % inhibitors); salt stripping reveals 30 duplicated and 1 "
                   "conflicting structure: 12,295 molecules; AUPRC as TDC")
    scope_note = "Analogues share scaffolds: use the scaffold protocols (TDC: scaffold split)."
    data_folder, file = "tdc_cyp3a4_veith", "cyp3a4_veith.tab"
    label_names: ClassVar[dict[Any, str]] = {0: "non-inhibitor", 1: "inhibitor"}


@dataclass
class TDCClearanceMicrosomeAZ(_PublishedRegression):
    """TDC Clearance_Microsome_AZ: human liver-microsome intrinsic clearance (mL/min/g).

    The target is censored at the assay limits (287 rows at 3.0, 84 at 150.0) and strongly
    right-skewed; SOURCE.md recommends a log transform. TDC scores Spearman correlation,
    which a monotone transform leaves unchanged; RMSE/MAE depend on the scale.

    Parameters
    ----------
    root : str or Path, optional
        Folder of ``clearance_microsome_az.csv``; default
        ``<data root>/tdc_clearance_microsome_az``.
    standardize : bool
        Strip salts and neutralise (default) or keep the published SMILES as they are.
    duplicate_tolerance : float
        Merged duplicates spreading more than this many target units are reported.
    log_target : bool
        Regress ``log10`` of the clearance instead of the published value (default False:
        the target as published).
    """

    name = "tdc-clearance-microsome-az"
    description = ("Real TDC Clearance_Microsome_AZ: intrinsic clearance in human liver "
                   "microsomes (mL/min/g), regression, 1102 rows; censored at 3 and 150, "
                   "right-skewed (log_target=True regresses log10); Spearman as TDC")
    scope_note = "Analogues share scaffolds: use the scaffold protocols (TDC: scaffold split)."
    data_folder, file = "tdc_clearance_microsome_az", "clearance_microsome_az.csv"
    target_units = "mL/min/g"

    log_target: bool = False

    def _target(self, frame: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(self.log_target, bool):
            raise input_error("log_target", "True or False", self.log_target)
        if not self.log_target:
            return frame
        values = pd.to_numeric(frame[self.target_column], errors="coerce")
        if (values <= 0).any():
            raise input_error("log_target", "positive clearance values to take log10 of",
                              f"{int((values <= 0).sum())} values <= 0")
        return frame.assign(**{self.target_column: np.log10(values)})

    def _units(self) -> str:
        return f"log10({self.target_units})" if self.log_target else self.target_units


@dataclass
class MoleculeNetESOL(_PublishedRegression):
    """MoleculeNet ESOL (Delaney): measured aqueous solubility, log10(mol/L).

    Only the SMILES are inputs: the table's descriptor columns and Delaney's own ESOL
    prediction are derived features and never used.

    Parameters
    ----------
    root : str or Path, optional
        Folder of ``delaney-processed.csv``; default ``<data root>/moleculenet_esol``.
    standardize : bool
        Strip salts and neutralise (default) or keep the published SMILES as they are.
    duplicate_tolerance : float
        Merged duplicates spreading more than this many log units are reported.
    """

    name = "moleculenet-esol"
    description = ("Real MoleculeNet ESOL: measured log10 aqueous solubility (mol/L) from "
                   "SMILES, regression, 1128 rows; 11 duplicated canonical SMILES (6 with "
                   "differing values) averaged: 1117 molecules; RMSE as MoleculeNet; "
                   "descriptor and ESOL-prediction columns unused")
    scope_note = "Analogues share scaffolds: use the scaffold protocols."
    data_folder, file = "moleculenet_esol", "delaney-processed.csv"
    smiles_column = "smiles"
    target_column = "measured log solubility in mols per litre"
    id_column = "Compound ID"
    target_units = "log10(mol/L)"


@dataclass
class MoleculeFiles(Dataset):
    """Any CSV/TSV/SDF of molecules with a target column (an SDF property).

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.tsv``/``.tab`` or ``.sdf`` file.
    smiles_column : str
        Column of SMILES (CSV/TSV). For an SDF the structure is the mol block (written to
        column ``smiles``), so the default reads it.
    target_column : str
        Label or value column (an SDF property).
    task : {"auto", "classification", "regression"}
        ``"auto"``: regression for numeric targets with a fraction or over 10 distinct
        values, classification otherwise (classes = the labels as text, sorted).
    id_column : str, optional
        Identifier column (``_Name`` is an SDF's title line); default the row number.
    date_column : str, optional
        Date or number of each measurement, copied to ``metadata["date"]`` for
        ``time-split`` (merged duplicates keep their earliest date).
    standardize : bool
        Strip salts and neutralise (default) or only canonicalise.
    duplicate_tolerance : float
        Regression: merged duplicates spreading more than this are reported.
    """

    name = "molecule-files"
    kind = "molecules"
    description = ("Any CSV/TSV/SDF of molecules: SMILES (or SDF mol blocks) and a target "
                   "column, classification or regression; optional id and date columns")
    scope_note = "Use the scaffold protocols, or time-split when a date column is given."

    path: str | Path | None = None
    smiles_column: str = SDF_SMILES
    target_column: str = "target"
    task: str = "auto"
    id_column: str | None = None
    date_column: str | None = None
    standardize: bool = True
    duplicate_tolerance: float = 0.5

    def subjects(self) -> list[str]:
        """One pseudo-subject, ``"all"``: every molecule of the file."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The file."""
        return [Path(self.path)] if self.path is not None else []

    def _load_subject(self, subject: str) -> NeuralData:
        if self.path is None:
            raise input_error(f"{self.name}: path", "a CSV/TSV/SDF file of molecules", None)
        frame = read_molecule_table(self.path)
        smiles = SDF_SMILES if Path(self.path).suffix.lower() == ".sdf" else self.smiles_column
        return molecule_data(frame, smiles_column=smiles, target_column=self.target_column,
                             task=self.task, source=str(self.path), id_column=self.id_column,
                             date_column=self.date_column, standardize=self.standardize,
                             tolerance=self.duplicate_tolerance)
