"""ROI time series, one file per subject, plus a phenotype table (kind ``"timeseries"``).

Two loaders share one table-driven design:

* :class:`TimeseriesFiles` (``timeseries-files``) reads ROI time series that are already
  extracted: AFNI ``.1D`` / text (``#`` comment header, whitespace-separated), CSV/TSV (an
  optional header row) or NumPy ``.npy`` (memory-mapped, so a series is read from disk only
  when a fold needs it).
* :class:`NiftiAtlas` (``nifti-atlas``) starts from 4-D NIfTI images and a labels atlas and
  extracts the mean signal per atlas region with nilearn's ``NiftiLabelsMasker``.

The phenotype table (CSV, TSV or Parquet) has one row per subject (or per scan): the file
of the row (a column, or a ``pattern`` formatted with the row's columns), the label, the
subject id, optionally a site, a session and covariates. Every sample is a subject, so the
whole table is one loading unit (``loading_unit = "dataset"``) and ``metadata["subject"]``
keeps the real ids, which the subject-level protocols (``subject-kfold``,
``leave-site-out``) group by. Series may differ in length; every file must have the same
number of ROIs. Rows without a label are dropped (logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neurocompare._errors import check_path, input_error, readable
from neurocompare.data.base import WHOLE_DATASET, Dataset, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo

__all__ = ["NiftiAtlas", "TimeseriesFiles", "read_roi_timeseries", "read_table",
           "timeseries_data", "zero_variance_rois"]

logger = logging.getLogger(__name__)


# -- readers (pure functions) ----------------------------------------------------------------
def _read_text(path: Path, mmap: bool) -> np.ndarray:
    return np.loadtxt(path, comments="#", ndmin=2)


def _read_delimited(path: Path, mmap: bool) -> np.ndarray:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    frame = pd.read_csv(path, sep=sep, header=None)
    try:  # a header row holds ROI names: its cells are not numbers
        pd.to_numeric(frame.iloc[0])
    except (ValueError, TypeError):
        frame = frame.iloc[1:]
    return frame.to_numpy(dtype=np.float64)


def _read_npy(path: Path, mmap: bool) -> np.ndarray:
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


#: File suffix -> reader(path, mmap) -> array (n_timepoints, n_rois).
READERS: dict[str, Callable[[Path, bool], np.ndarray]] = {
    ".1d": _read_text, ".txt": _read_text, ".csv": _read_delimited, ".tsv": _read_delimited,
    ".npy": _read_npy,
}


def read_roi_timeseries(path: str | Path, *, mmap: bool = True) -> np.ndarray:
    """Read one subject's ROI time series, checking shape and values.

    Parameters
    ----------
    path : str or Path
        A ``.1D``/``.txt``, ``.csv``/``.tsv`` or ``.npy`` file.
    mmap : bool
        Memory-map ``.npy`` files (read lazily) instead of loading them.

    Returns
    -------
    ndarray, shape (n_timepoints, n_rois)
        As stored (``.npy``: its dtype, possibly a read-only memory map; text: float64).
    """
    path = check_path("time-series file", path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise input_error(str(path), f"a file ending in one of {sorted(READERS)}", path.suffix)
    try:
        series = reader(path, mmap)
    except ValueError as exc:
        raise input_error(str(path), "a numeric table (n_timepoints, n_rois)", str(exc)) from exc
    if series.ndim != 2 or series.shape[0] < 2:
        raise input_error(str(path), "a 2-D array (n_timepoints >= 2, n_rois)", series.shape)
    if not np.issubdtype(series.dtype, np.floating) and not np.issubdtype(series.dtype,
                                                                          np.integer):
        raise input_error(str(path), "numeric samples", series.dtype)
    if not np.isfinite(series).all():
        raise input_error(str(path), "finite samples", "NaN or inf")
    return series


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet table (suffix decides)."""
    path = check_path("table", path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        with readable(path, "a readable Parquet table"):
            return pd.read_parquet(path)
    if suffix in (".csv", ".tsv", ".txt"):
        with readable(path, "a readable UTF-8 text table"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    raise input_error(str(path), "a .csv, .tsv or .parquet table", suffix)


def zero_variance_rois(series: Sequence[np.ndarray]) -> np.ndarray:
    """ROIs that are constant in at least one subject.

    Parameters
    ----------
    series : sequence of ndarray, each shape (n_timepoints_i, n_rois)

    Returns
    -------
    ndarray of bool, shape (n_rois,)
    """
    flags = [np.ptp(np.asarray(x, dtype=np.float32), axis=0) == 0 for x in series]
    return np.any(flags, axis=0) if flags else np.zeros(0, dtype=bool)


def _object_array(items: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def timeseries_data(series: Sequence[np.ndarray], table: pd.DataFrame, *, label: str,
                    class_names: Sequence[str], subject: str, source: str,
                    site: str | None = None, session: str | None = None,
                    covariates: Sequence[str] = (), roi_names: Sequence[str] = (),
                    units: str = "a.u.", sfreq: float | None = None,
                    extra: dict[str, Any] | None = None,
                    targets: np.ndarray | None = None) -> NeuralData:
    """Assemble per-subject series and their phenotype rows into a :class:`NeuralData`.

    Parameters
    ----------
    series : sequence of ndarray, each shape (n_timepoints_i, n_rois)
        One per row of ``table``, in order.
    table : DataFrame, shape (n_subjects, n_columns)
        Phenotype rows; ``label``, ``subject`` and the optional columns are read from it.
    label, subject, site, session : str
        Column names (``site``/``session`` optional).
    class_names : sequence of str
        Class order; ``str(label value)`` must be one of them.
    source : str
        Dataset name for error messages.
    covariates : sequence of str
        Extra columns copied into the metadata.
    roi_names : sequence of str
        ROI names (default ``roi000``...).
    units, sfreq, extra :
        As :class:`~neurocompare.data.containers.SignalInfo`.
    targets : ndarray of float, shape (n_subjects,), optional
        Real-valued targets (e.g. age): the task is then regression, ``y`` holds them and
        ``label``/``class_names`` are not read.

    Returns
    -------
    NeuralData
        ``X``: object array of the series (dtypes kept); metadata columns subject, session,
        run, then site and covariates.
    """
    n_rois = np.shape(series[0])[1] if len(series) else 0
    names = tuple(roi_names) or tuple(f"roi{i:03d}" for i in range(n_rois))
    metadata = pd.DataFrame({
        "subject": table[subject].astype(str).to_numpy(),
        "session": table[session].astype(str).to_numpy() if session else "0",
        "run": "0"})
    if site:
        metadata["site"] = table[site].astype(str).to_numpy()
    for column in covariates:
        metadata[column] = table[column].to_numpy()
    if targets is not None:
        y, class_names, task = np.asarray(targets, dtype=float), (), "regression"
    else:
        y = labels_to_codes(table[label].astype(str).tolist(), class_names,
                            f"{source}: {label}")
        task = "classification"
    info = SignalInfo(kind="timeseries", class_names=tuple(class_names), sfreq=sfreq,
                      ch_names=names, ch_types="misc", units=units, extra=dict(extra or {}),
                      task=task)
    return NeuralData(_object_array(series), y, metadata, info)


# -- loaders ---------------------------------------------------------------------------------
@dataclass
class _PhenotypeFiles(Dataset):
    """Shared parameters and row handling of the per-subject-file loaders.

    Parameters
    ----------
    phenotype : str or Path
        CSV/TSV/Parquet table, one row per subject (or scan).
    root : str or Path, optional
        Folder the file names are relative to (default: the table's folder).
    file_column : str
        Column holding each row's file name (when ``pattern`` is not given).
    pattern : str, optional
        File name built from the row, e.g. ``"{FILE_ID}_rois_cc200.1D"``.
    label, subject : str
        Label and subject-id columns.
    site, session : str, optional
        Site (for ``leave-site-out``) and session columns.
    covariates : sequence of str
        Columns copied into the metadata (age, sex, motion...).
    class_names : sequence of str, optional
        Class order (default: the sorted label values as text).
    """

    kind = "timeseries"
    loading_unit = "dataset"

    phenotype: str | Path | None = None
    root: str | Path | None = None
    file_column: str = "file"
    pattern: str | None = None
    label: str = "label"
    subject: str = "subject"
    site: str | None = None
    session: str | None = None
    covariates: Sequence[str] = ()
    class_names: Sequence[str] | None = None

    def subjects(self) -> list[str]:
        """One loading unit holding every subject (see the module docstring)."""
        return [WHOLE_DATASET]

    def _table(self) -> pd.DataFrame:
        if self.phenotype is None:
            raise input_error(f"{self.name}: phenotype", "a CSV/TSV/Parquet table path", None)
        table = read_table(self.phenotype)
        needed = [self.label, self.subject, *(c for c in (self.site, self.session) if c),
                  *self.covariates, *([] if self.pattern else [self.file_column])]
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise input_error(f"{self.phenotype}", f"columns {needed}", f"missing {missing}")
        unlabelled = table[self.label].isna()
        if unlabelled.any():
            logger.info("%s: dropping %d rows without a %r", self.name, int(unlabelled.sum()),
                        self.label)
        return table[~unlabelled].reset_index(drop=True)

    def _root(self) -> Path:
        if self.root is not None:
            return check_path(f"{self.name}: root", self.root, kind="dir")
        return Path(self.phenotype).expanduser().parent

    def _paths(self, table: pd.DataFrame) -> list[Path]:
        root = self._root()
        if self.pattern:
            try:
                names = [self.pattern.format(**row) for row in table.to_dict("records")]
            except (KeyError, IndexError) as exc:
                raise input_error(f"{self.name}: pattern", "fields that are phenotype columns",
                                  self.pattern, hint=str(exc)) from exc
        else:
            names = table[self.file_column].astype(str).tolist()
        return [root / name for name in names]

    def _class_names(self, table: pd.DataFrame) -> tuple[str, ...]:
        if self.class_names is not None:
            return tuple(str(c) for c in self.class_names)
        return tuple(sorted(table[self.label].astype(str).unique()))

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The phenotype table and every subject's file."""
        table = self._table()
        return [Path(self.phenotype), *self._paths(table)]

    def _assemble(self, series: list[np.ndarray], table: pd.DataFrame, **kwargs: Any
                  ) -> NeuralData:
        return timeseries_data(series, table, label=self.label, subject=self.subject,
                               class_names=self._class_names(table), source=self.name,
                               site=self.site, session=self.session,
                               covariates=self.covariates, **kwargs)


@dataclass
class TimeseriesFiles(_PhenotypeFiles):
    """Extracted ROI time series, one file per subject, and a phenotype table.

    Parameters
    ----------
    mmap : bool
        Memory-map ``.npy`` files.
    **others
        The phenotype-table parameters of :class:`_PhenotypeFiles`.
    """

    name = "timeseries-files"
    description = ("ROI time series, one .1D/CSV/TSV/.npy file per subject, and a phenotype "
                   "table (label, subject, site, covariates)")
    scope_note = "Every sample is a subject: use subject-kfold or leave-site-out."

    mmap: bool = True

    def _load_subject(self, subject: str) -> NeuralData:
        table = self._table()
        series = [read_roi_timeseries(path, mmap=self.mmap) for path in self._paths(table)]
        widths = sorted({x.shape[1] for x in series})
        if len(widths) > 1:
            raise input_error(f"{self.name}: files", "the same number of ROIs in every file",
                              widths)
        return self._assemble(series, table)


@dataclass
class NiftiAtlas(_PhenotypeFiles):
    """4-D NIfTI images reduced to atlas-region time series with nilearn.

    Parameters
    ----------
    atlas : str or Path
        3-D labels image (integer region codes, 0 = background) in the images' space; it is
        resampled to each image's grid (nearest neighbour).
    standardize : str or None
        ``NiftiLabelsMasker`` standardisation of each region signal, per subject and in
        time (no information crosses subjects); None for none.
    detrend : bool
        Remove a linear trend per region.
    t_r : float, optional
        Repetition time in seconds (needed for ``low_pass``/``high_pass``).
    low_pass, high_pass : float, optional
        Band-pass edges in Hz.
    **others
        The phenotype-table parameters of :class:`_PhenotypeFiles` (``file_column`` or
        ``pattern`` name the images).
    """

    name = "nifti-atlas"
    description = ("4-D NIfTI images + a labels atlas -> region time series (nilearn "
                   "NiftiLabelsMasker), with a phenotype table")
    scope_note = "Every sample is a subject: use subject-kfold or leave-site-out."

    atlas: str | Path | None = None
    standardize: str | None = "zscore_sample"
    detrend: bool = False
    t_r: float | None = None
    low_pass: float | None = None
    high_pass: float | None = None

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The atlas, the phenotype table and every image."""
        return [Path(self.atlas), *super().files(subject)] if self.atlas else \
            super().files(subject)

    def _load_subject(self, subject: str) -> NeuralData:
        import nibabel as nib
        from nilearn.maskers import NiftiLabelsMasker

        if self.atlas is None:
            raise input_error(f"{self.name}: atlas", "a labels NIfTI image path", None)
        atlas = nib.load(check_path("atlas", self.atlas))
        codes = np.unique(np.asarray(atlas.dataobj)).astype(int)
        codes = codes[codes != 0]
        if codes.size < 2:
            raise input_error(str(self.atlas), "a labels image with >= 2 regions",
                              f"{codes.size} regions")
        masker = NiftiLabelsMasker(labels_img=atlas, standardize=self.standardize,
                                   detrend=self.detrend, t_r=self.t_r, low_pass=self.low_pass,
                                   high_pass=self.high_pass, resampling_target="data",
                                   keep_masked_labels=False, reports=False)
        table = self._table()
        series = []
        for path in self._paths(table):
            image = nib.load(check_path("image", path))
            if image.ndim != 4 or image.shape[3] < 2:
                raise input_error(str(path), "a 4-D image with >= 2 volumes", image.shape)
            extracted = masker.fit_transform(image)
            if extracted.shape[1] != codes.size:
                raise input_error(str(path), f"{codes.size} atlas regions covered",
                                  f"{extracted.shape[1]} regions (image grid misses some)")
            series.append(extracted.astype(np.float32))
        return self._assemble(series, table, roi_names=[f"region{c}" for c in codes],
                              sfreq=1.0 / self.t_r if self.t_r else None,
                              extra={"atlas": str(self.atlas)})
