"""Clinical and structural tables (kind ``"tabular"``): one row per subject or visit.

:class:`TabularFile` (``tabular``) reads a CSV/TSV/Parquet table with a target column and
feature columns. Design choices, all about leakage:

* **Missing values stay NaN.** Imputation is a pipeline step fitted inside the training
  fold (:mod:`neurocompare.pipelines.tabular`), never done here on the whole table.
* **Repeated visits.** A ``subject`` column groups a subject's rows; the protocols split by
  it (``subject-kfold`` keeps every visit of a subject in one fold). Without it each row is
  its own subject.
* **Categorical features** are encoded from the table's schema only (no labels involved):
  two-valued text columns become 0/1 in sorted order (``M/F`` -> ``F`` = 0, ``M`` = 1),
  others one-hot (a missing category gives NaN in every indicator).

Rows without a target are dropped (logged). The whole table is one loading unit
(``loading_unit = "dataset"``); ``metadata["subject"]`` keeps the real ids.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare.data.base import WHOLE_DATASET, Dataset, labels_to_codes
from neurocompare.data.connectome import read_table
from neurocompare.data.containers import NeuralData, SignalInfo

__all__ = ["TabularFile", "encode_features", "tabular_data"]

logger = logging.getLogger(__name__)


def encode_features(frame: pd.DataFrame, columns: Sequence[str]
                    ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Numeric feature matrix from table columns (schema-only encoding, NaN kept).

    Parameters
    ----------
    frame : DataFrame, shape (n_rows, n_columns)
    columns : sequence of str
        Feature columns: numeric ones are kept as they are; text ones are encoded as 0/1
        (two values, sorted) or one-hot indicators (``column=value``).

    Returns
    -------
    X : ndarray of float64, shape (n_rows, n_features)
        NaN where a value is missing.
    names : tuple of str, length n_features
    """
    parts, names = [], []
    for column in columns:
        values = frame[column]
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().sum() == values.notna().sum():
            parts.append(numeric.to_numpy(dtype=np.float64))
            names.append(column)
            continue
        levels = sorted(values.dropna().astype(str).unique())
        text = values.astype(str).where(values.notna())
        if len(levels) <= 2:
            coded = text.map({level: float(i) for i, level in enumerate(levels)})
            parts.append(coded.to_numpy(dtype=np.float64))
            names.append(column)
        else:
            for level in levels:
                parts.append(np.where(text.isna(), np.nan, (text == level).astype(float)))
                names.append(f"{column}={level}")
    X = np.column_stack(parts) if parts else np.zeros((len(frame), 0))
    return X.astype(np.float64), tuple(names)


def tabular_data(frame: pd.DataFrame, labels: Sequence[str], *, features: Sequence[str],
                 class_names: Sequence[str], source: str, subject: str | None = None,
                 session: str | None = None, site: str | None = None,
                 covariates: Sequence[str] = (), extra: dict[str, Any] | None = None,
                 targets: np.ndarray | None = None) -> NeuralData:
    """Build a tabular :class:`NeuralData` from table rows and their label names (or, for
    regression, their real-valued ``targets``).

    Parameters
    ----------
    frame : DataFrame, shape (n_rows, n_columns)
    labels : sequence of str, length n_rows
        Class name of every row.
    features : sequence of str
        Feature columns (:func:`encode_features`).
    class_names : sequence of str
        Class order.
    source : str
        Dataset name for errors.
    subject, session, site : str, optional
        Columns; without ``subject`` every row is its own subject (``row<i>``).
    covariates : sequence of str
        Columns copied into the metadata (not features).
    extra : dict, optional
        ``SignalInfo.extra``.
    targets : ndarray of float, shape (n_rows,), optional
        Real-valued targets: the data's task is then regression (``labels`` and
        ``class_names`` are ignored and may be empty).
    """
    X, names = encode_features(frame, features)
    if X.shape[1] == 0:
        raise input_error(f"{source}: features", "at least one feature column", list(features))
    empty = [name for name, column in zip(names, X.T, strict=True) if np.isnan(column).all()]
    if len(empty) == len(names):
        raise input_error(f"{source}: features", "at least one feature column with a value",
                          f"every feature column is empty (NaN in all {len(X)} rows): "
                          f"{names[:10]}")
    if empty:  # the imputer of the tabular pipelines drops them; say so once, here
        logger.warning("%s: %d feature column(s) without any value are ignored by the "
                       "pipelines' imputer: %s", source, len(empty), empty[:10])
    ids = frame[subject].astype(str).to_numpy() if subject else \
        np.array([f"row{i}" for i in range(len(frame))])
    metadata = pd.DataFrame({"subject": ids,
                             "session": frame[session].astype(str).to_numpy() if session
                             else "0", "run": "0"})
    if site:
        metadata["site"] = frame[site].astype(str).to_numpy()
    for column in covariates:
        metadata[column] = frame[column].to_numpy()
    if targets is not None:
        y, task, class_names = np.asarray(targets, dtype=float), "regression", ()
    else:
        y = labels_to_codes(list(labels), class_names, f"{source}: target")
        task = "classification"
    info = SignalInfo(kind="tabular", task=task, class_names=tuple(class_names), ch_names=names,
                      ch_types="misc", extra={"n_missing": int(np.isnan(X).sum()),
                                              **(extra or {})})
    return NeuralData(X, y, metadata, info)


@dataclass
class TabularFile(Dataset):
    """Any clinical/structural table: a target column and feature columns.

    Parameters
    ----------
    path : str or Path
        CSV, TSV or Parquet file.
    target : str
        Label column (values become class names as text).
    features : sequence of str, optional
        Feature columns; default every column except target, subject, session, site,
        ``covariates`` and ``exclude``.
    subject : str, optional
        Subject-id column (repeated visits share it); default one subject per row.
    session, site : str, optional
        Visit/session and site columns.
    covariates : sequence of str
        Columns kept in the metadata but not used as features.
    exclude : sequence of str
        Columns never used as features (identifiers, leaky columns).
    class_names : sequence of str, optional
        Class order (default: sorted target values as text).
    """

    name = "tabular"
    kind = "tabular"
    description = ("Any CSV/TSV/Parquet table: target column, features (NaN imputed in the "
                   "fold), subject column for repeated visits, optional site")
    scope_note = ("Rows are subjects or visits: use subject-kfold (visits of a subject stay "
                  "together) or leave-site-out.")
    loading_unit = "dataset"

    path: str | Path | None = None
    target: str = "label"
    features: Sequence[str] | None = None
    subject: str | None = None
    session: str | None = None
    site: str | None = None
    covariates: Sequence[str] = ()
    exclude: Sequence[str] = ()
    class_names: Sequence[str] | None = None

    def subjects(self) -> list[str]:
        """One loading unit holding every row (see the module docstring)."""
        return [WHOLE_DATASET]

    def files(self, subject: str = WHOLE_DATASET) -> list[Path]:
        """The table."""
        return [Path(self.path)] if self.path is not None else []

    def _feature_columns(self, frame: pd.DataFrame) -> list[str]:
        reserved = {self.target, self.subject, self.session, self.site, *self.covariates,
                    *self.exclude}
        if self.features is None:
            return [c for c in frame.columns if c not in reserved]
        clash = sorted(set(self.features) & reserved)
        if clash:
            raise input_error("features", "columns other than target/subject/session/site/"
                              "covariates/exclude", clash)
        return list(self.features)

    def _load_subject(self, subject: str) -> NeuralData:
        if self.path is None:
            raise input_error(f"{self.name}: path", "a CSV/TSV/Parquet table", None)
        frame = read_table(self.path)
        named = [self.target, *(c for c in (self.subject, self.session, self.site) if c),
                 *self.covariates, *(self.features or ())]
        missing = [c for c in named if c not in frame.columns]
        if missing:
            raise input_error(str(self.path), f"columns {named}", f"missing {missing}")
        unlabelled = frame[self.target].isna()
        if unlabelled.any():
            logger.info("%s: dropping %d rows without %r", self.name, int(unlabelled.sum()),
                        self.target)
        frame = frame[~unlabelled].reset_index(drop=True)
        labels = frame[self.target].astype(str).tolist()
        class_names = tuple(str(c) for c in self.class_names) if self.class_names \
            else tuple(sorted(set(labels)))
        return tabular_data(frame, labels, features=self._feature_columns(frame),
                            class_names=class_names, source=self.name, subject=self.subject,
                            session=self.session, site=self.site, covariates=self.covariates)
