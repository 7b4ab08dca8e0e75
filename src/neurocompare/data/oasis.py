"""OASIS-1 (cross-sectional) and OASIS-2 (longitudinal): dementia from MRI and demographics.

Task: **dementia, CDR > 0** (Clinical Dementia Rating 0.5, 1 or 2) vs CDR = 0, from

======== =====================================================================
feature  meaning
======== =====================================================================
Age      years at the scan
M/F      sex (F = 0, M = 1)
Educ     education (OASIS-1: 1-5 level code; OASIS-2 ``EDUC``: years)
SES      socio-economic status, 1 (highest) - 5; missing for some rows
eTIV     estimated total intracranial volume (cm3)
nWBV     normalised whole-brain volume (atrophy; the structural marker)
ASF      atlas scaling factor (about 1755 / eTIV; nearly redundant with eTIV)
======== =====================================================================

**MMSE is excluded by default because it leaks the label**: the Mini-Mental State
Examination is a cognitive test taken at the same clinical assessment that yields the CDR,
and CDR staging weighs the same cognitive deficits, so a model using MMSE largely reads the
diagnosis back (``include_mmse=True`` adds it for comparison). Also left out: ``Hand`` (all
right-handed), ``Delay`` (only on re-scans), OASIS-2 ``Visit``/``MR Delay`` (visit order
and follow-up time track conversion, not brain state) and ``Group`` (a label).

* Cross-sectional (``oasis-cross-sectional``): 436 sessions of 416 subjects; the 201 rows
  without a CDR (mostly young controls, never rated) are dropped, leaving 235 rows, one per
  subject (100 with CDR > 0). The 20 reliability re-scans (``_MR2``) have no CDR and drop
  out with them; the subject id is the ID without its ``_MR<n>`` suffix, so a rated re-scan
  would share its subject's fold.
* Longitudinal (``oasis-longitudinal``): 373 visits of 150 subjects (2-5 each); the label is
  the CDR of each visit. **Visits of a subject are not independent**: ``metadata["subject"]``
  is ``Subject ID`` and ``subject-kfold`` keeps a subject's visits in one fold.
  ``visits="first"`` keeps the baseline visit only.

Missing values (SES, Educ) stay NaN and are imputed inside each training fold by the
tabular pipelines.

``target`` chooses the task: ``"dementia"`` (the default above), or a regression:
``"mmse"`` (the MMSE score, 0-30, of the rows that have one; MMSE is then never a feature)
or ``"age"`` (years at the scan, of every row -- on OASIS-1 that includes the 201 young,
unrated sessions -- with age removed from the features): the guide's claim that deep
models scale better on age and MMSE regression is tested on these.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from neurocompare._errors import check_option, check_path, input_error
from neurocompare.config import dataset_path
from neurocompare.data.base import WHOLE_DATASET, Dataset
from neurocompare.data.containers import NeuralData
from neurocompare.data.tabular import tabular_data

__all__ = ["OASISCrossSectional", "OASISLongitudinal"]

CLASS_NAMES = ("CDR=0", "CDR>0")
#: ``target`` -> the column the rows need (and the regression target's column).
TARGETS = {"dementia": "CDR", "mmse": "MMSE", "age": "Age"}


@dataclass
class _OASIS(Dataset):
    """Shared loading of the two OASIS tables (see the module docstring)."""

    kind = "tabular"
    loading_unit = "dataset"
    file: ClassVar[str] = ""
    base_features: ClassVar[tuple[str, ...]] = ()

    fingerprint_defaults: ClassVar[dict[str, Any]] = {"target": "dementia"}
    data_folder = "oasis_mri_tabular"

    root: str | Path | None = None
    include_mmse: bool = False
    target: str = "dementia"

    def _root(self) -> Path:
        if self.root is not None:
            return Path(self.root)
        return dataset_path(self.data_folder, dataset=self.name)

    def subjects(self) -> list[str]:
        """One loading unit holding every row (see the module docstring)."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The table."""
        return [self._root() / self.file]

    def _frame(self, required: tuple[str, ...]) -> pd.DataFrame:
        path = check_path(f"{self.name}: table", self._root() / self.file)
        frame = pd.read_csv(path, na_values=["N/A", ""])
        missing = [c for c in (*required, TARGETS[self.target]) if c not in frame.columns]
        if missing:
            raise input_error(str(path), f"columns {list(required)}", f"missing {missing}")
        column = TARGETS[self.target]
        return frame[frame[column].notna()].reset_index(drop=True)

    def _features(self) -> list[str]:
        check_option("target", self.target, TARGETS)
        if self.include_mmse and self.target == "mmse":
            raise input_error("include_mmse", "False when the target is MMSE", True)
        base = [f for f in self.base_features if not (self.target == "age" and f == "Age")]
        return [*base, *(["MMSE"] if self.include_mmse else [])]

    def _build(self, frame: pd.DataFrame, subject: str, session: str) -> NeuralData:
        features = self._features()
        if self.target != "dementia":
            column = TARGETS[self.target]
            extra = {"target": column, "mmse_included": bool(self.include_mmse)}
            return tabular_data(frame, [], features=features, class_names=(),
                                source=self.name, subject=subject, session=session,
                                covariates=("CDR",), extra=extra,
                                targets=frame[column].to_numpy(dtype=float))
        labels = [CLASS_NAMES[int(cdr > 0)] for cdr in frame["CDR"]]
        extra = {"target": "CDR > 0", "mmse_included": bool(self.include_mmse)}
        return tabular_data(frame, labels, features=features, class_names=CLASS_NAMES,
                            source=self.name, subject=subject, session=session,
                            covariates=("CDR",), extra=extra)


@dataclass
class OASISCrossSectional(_OASIS):
    """OASIS-1 sessions with a CDR: dementia (CDR > 0) from demographics and MRI volumes.

    Parameters
    ----------
    root : str or Path, optional
        Folder of the tables; default ``<data root>/oasis_mri_tabular``.
    include_mmse : bool
        Add MMSE as a feature (leaks the label; for comparison only).
    target : {"dementia", "mmse", "age"}
        Classification of CDR > 0, or regression of MMSE or age (see the module docstring).
    """

    name = "oasis-cross-sectional"
    description = ("Real OASIS-1 table: dementia (CDR > 0) from age, sex, education, SES, "
                   "eTIV, nWBV, ASF (235 rated sessions; MMSE excluded, it leaks the label)")
    scope_note = "One row per subject: use subject-kfold."
    file = "oasis_cross-sectional.csv"
    base_features = ("Age", "M/F", "Educ", "SES", "eTIV", "nWBV", "ASF")

    def _load_subject(self, subject: str) -> NeuralData:
        frame = self._frame(("ID", "CDR", *self._features()))
        ids = frame["ID"].astype(str)
        frame["subject_id"] = ids.str.rsplit("_", n=1).str[0]
        frame["scan"] = ids.str.rsplit("_", n=1).str[1]
        return self._build(frame, subject="subject_id", session="scan")


@dataclass
class OASISLongitudinal(_OASIS):
    """OASIS-2 visits: dementia (CDR > 0) per visit, visits grouped by subject.

    Parameters
    ----------
    root : str or Path, optional
        Folder of the tables; default ``<data root>/oasis_mri_tabular``.
    include_mmse : bool
        Add MMSE as a feature (leaks the label; for comparison only).
    visits : {"all", "first"}
        Every visit (grouped by subject in the protocols) or the baseline visit only.
    target : {"dementia", "mmse", "age"}
        Classification of CDR > 0, or regression of MMSE or age (see the module docstring).
    """

    name = "oasis-longitudinal"
    description = ("Real OASIS-2 table: dementia (CDR > 0) per visit, 373 visits of 150 "
                   "subjects (visits grouped by subject); MMSE excluded")
    scope_note = "Repeated visits: use subject-kfold (a subject's visits stay in one fold)."
    file = "oasis_longitudinal.csv"
    base_features = ("Age", "M/F", "EDUC", "SES", "eTIV", "nWBV", "ASF")

    visits: str = "all"

    def _load_subject(self, subject: str) -> NeuralData:
        check_option("visits", self.visits, ("all", "first"))
        frame = self._frame(("Subject ID", "Visit", "CDR", *self._features()))
        if self.visits == "first":
            first = frame.groupby("Subject ID")["Visit"].transform("min")
            frame = frame[frame["Visit"] == first].reset_index(drop=True)
        return self._build(frame, subject="Subject ID", session="Visit")
