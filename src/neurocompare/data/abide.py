"""ABIDE I Preprocessed (PCP), CC200 ROI time series: autism (ASD) vs typical controls.

1035 resting-state fMRI scans from 20 sites (PCP ``filt_global``: band-pass 0.01-0.1 Hz and
global signal regression), each the mean BOLD signal of the 200 Craddock-2012 regions, of
78-316 time points depending on the site. Read from ``<data root>/abide_pcp_cc200``:
``cc200_timeseries_float16.npz`` (one float16 array per ``FILE_ID``) and ``subjects.csv``
(label ``asd``, ``SITE_ID``, age, sex, motion, QC flag). See that folder's ``SOURCE.md``.

* ``qc="871"`` (default) keeps the N=871 quality-checked set of Abraham et al. (2017) and
  nilearn's ``fetch_abide_pcp(quality_checked=True)`` (403 ASD, 468 controls); ``"all"``
  keeps every scan.
* Zero-variance ROIs (all-zero columns from incomplete coverage; 15 subjects of the 871
  have some, at most 12 each): ``zero_variance_rois="zero"`` keeps them as zeros, and the
  connectivity steps set their (undefined) correlations to 0, as the published anchors do;
  ``"drop"`` removes every ROI that is constant in any loaded subject (a label-free choice
  made on the loaded set, so ROI counts change with ``qc``/``n_subjects``: 179 ROIs remain
  for the 871, only 47 for all 1035 because one scan lacks 118).
* Memory: the archive is read one subject at a time and the series stay float16 (the
  stored precision; ~61 MB for 871 subjects) until a pipeline's first step converts one
  subject at a time to float32.
* ``target="age"`` turns the task into regression of the age at scan (years, 6.5-58 in the
  871; ``AGE_AT_SCAN``) from the same series; the default ``"asd"`` keeps the diagnosis.
  The age then stays out of the metadata covariates.
* The repetition time differs between sites and is not in the table, so ``sfreq`` is not
  set; models that need a time scale treat a sample as one volume.

Every sample is a subject: one loading unit holds them all and ``metadata["subject"]`` is
the ABIDE ``SUB_ID``; ``metadata["site"]`` is ``SITE_ID`` (for ``leave-site-out``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from neurocompare._errors import check_option, check_path, input_error, readable
from neurocompare.config import dataset_path
from neurocompare.data.base import WHOLE_DATASET, Dataset
from neurocompare.data.connectome import timeseries_data, zero_variance_rois
from neurocompare.data.containers import NeuralData

__all__ = ["ABIDECC200"]

logger = logging.getLogger(__name__)

ARCHIVE = "cc200_timeseries_float16.npz"
TABLE = "subjects.csv"
CLASS_NAMES = ("control", "asd")
COLUMNS = ("FILE_ID", "SUB_ID", "SITE_ID", "asd", "AGE_AT_SCAN", "SEX", "func_mean_fd",
           "n_timepoints", "n_zero_variance_rois", "qc_pass_871")
COVARIATES = ("file_id", "age", "sex", "func_mean_fd", "n_timepoints",
              "n_zero_variance_rois")


@dataclass
class ABIDECC200(Dataset):
    """ABIDE I PCP CC200 time series, ASD (code 1) vs control (code 0).

    Parameters
    ----------
    root : str or Path, optional
        Dataset folder; default ``<data root>/abide_pcp_cc200``.
    qc : {"871", "all"}
        The quality-checked N=871 set, or all 1035 scans.
    zero_variance_rois : {"zero", "drop"}
        Keep all-zero ROI columns (their connectivity is set to 0 downstream) or drop
        every ROI constant in any loaded subject.
    n_subjects : int, optional
        Keep a seeded random subset of this many subjects (for quick runs and memory
        scaling checks).
    subset_seed : int
        Seed of that subset.
    target : {"asd", "age"}
        Diagnosis (classification) or age at scan in years (regression).
    """

    name = "abide-cc200"
    kind = "timeseries"
    description = ("Real rs-fMRI ROI time series, ABIDE I PCP CC200 (200 ROIs, 20 sites), "
                   "ASD vs control; QC-871 by default")
    scope_note = ("Every sample is a subject (one scan each): use subject-kfold or "
                  "leave-site-out; 20 sites differ in scanner and length (78-316 volumes).")
    loading_unit = "dataset"
    #: The diagnosis target leaves dataset keys as they were before ``target`` existed.
    fingerprint_defaults: ClassVar[dict[str, Any]] = {"target": "asd"}
    data_folder = "abide_pcp_cc200"

    root: str | Path | None = None
    qc: str = "871"
    zero_variance_rois: str = "zero"
    n_subjects: int | None = None
    subset_seed: int = 0
    target: str = "asd"

    def _root(self) -> Path:
        if self.root is not None:
            return Path(self.root)
        return dataset_path(self.data_folder, dataset=self.name)

    def subjects(self) -> list[str]:
        """One loading unit holding every subject (see the module docstring)."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The archive and the subject table."""
        return [self._root() / ARCHIVE, self._root() / TABLE]

    def table(self) -> pd.DataFrame:
        """The selected rows of ``subjects.csv`` (QC filter, subset), in file order."""
        check_option("qc", str(self.qc), ("871", "all"))
        check_option("zero_variance_rois", self.zero_variance_rois, ("zero", "drop"))
        check_option("target", self.target, ("asd", "age"))
        path = check_path(f"{self.name}: subject table", self._root() / TABLE)
        table = pd.read_csv(path)
        missing = [c for c in COLUMNS if c not in table.columns]
        if missing:
            raise input_error(str(path), f"columns {list(COLUMNS)}", f"missing {missing}")
        if table["SUB_ID"].duplicated().any():
            raise input_error(str(path), "one row per SUB_ID",
                              table.loc[table["SUB_ID"].duplicated(), "SUB_ID"].tolist()[:5])
        if str(self.qc) == "871":
            table = table[table["qc_pass_871"].astype(bool)]
        if self.n_subjects is not None:
            if not isinstance(self.n_subjects, (int, np.integer)) or \
                    not 2 <= self.n_subjects <= len(table):
                raise input_error("n_subjects", f"an integer in 2..{len(table)}",
                                  self.n_subjects)
            rng = np.random.default_rng(self.subset_seed)
            keep = np.sort(rng.choice(len(table), size=int(self.n_subjects), replace=False))
            table = table.iloc[keep]
        return table.reset_index(drop=True)

    def _load_subject(self, subject: str) -> NeuralData:
        table = self.table()
        archive_path = check_path(f"{self.name}: archive", self._root() / ARCHIVE)
        with readable(archive_path, "the ABIDE time-series archive (.npz)"), \
                np.load(archive_path, allow_pickle=False) as archive:
            absent = sorted(set(table["FILE_ID"]) - set(archive.files))
            if absent:
                raise input_error(str(archive_path), "an array per FILE_ID of subjects.csv",
                                  f"missing {absent[:5]}")
            series = [archive[file_id] for file_id in table["FILE_ID"]]  # float16, one each
        bad = [(f, x.shape) for f, x in zip(table["FILE_ID"], series, strict=True)
               if x.ndim != 2 or x.shape[1] != 200]
        if bad:
            raise input_error(str(archive_path), "arrays of shape (n_timepoints, 200)", bad[:3])
        roi_names = [f"#{i}" for i in range(1, 201)]
        if self.zero_variance_rois == "drop":
            keep = ~zero_variance_rois(series)
            series = [x[:, keep] for x in series]
            roi_names = [n for n, k in zip(roi_names, keep, strict=True) if k]
            logger.info("%s: dropped %d zero-variance ROIs", self.name, int((~keep).sum()))
        renamed = table.rename(columns={"FILE_ID": "file_id", "AGE_AT_SCAN": "age",
                                        "SEX": "sex"})
        renamed["label"] = [CLASS_NAMES[int(v)] for v in renamed["asd"]]
        extra = {"atlas": "CC200 (Craddock 2012)", "strategy": "PCP filt_global",
                 "qc": str(self.qc), "zero_variance_rois": self.zero_variance_rois,
                 "n_sites": int(renamed["SITE_ID"].nunique())}
        regression = self.target == "age"
        if regression:
            extra["target"] = "AGE_AT_SCAN (years)"
        return timeseries_data(
            series, renamed, label="label", class_names=CLASS_NAMES, subject="SUB_ID",
            site="SITE_ID",
            covariates=[c for c in COVARIATES if not (regression and c == "age")],
            roi_names=roi_names, source=self.name, units="a.u. (BOLD, band-passed, GSR)",
            extra=extra, targets=renamed["age"].to_numpy(dtype=float) if regression else None)
