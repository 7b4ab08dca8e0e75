"""Molecule tables to :class:`NeuralData`: read a CSV/TSV/SDF, standardise, merge, encode.

:func:`read_molecule_table` reads a file into rows numbered from 1 (``__source_row__``);
:func:`molecule_data` runs the steps of :mod:`neurocompare.data.molecules` on them --
standardise the SMILES (unparsable rows dropped and reported), merge duplicated structures
(regression: mean; classification: identical labels merged, conflicting structures
dropped) -- and builds the ``"molecules"`` data: ``X`` the standardised canonical SMILES,
metadata ``subject`` (``"all"``), ``session``/``run`` (``"0"``), ``scaffold``, ``mol_id``,
``source_row`` and ``date`` when given. Everything dropped or merged is logged as a warning
and kept in ``info.extra`` (source row numbers included) for the report.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase

from neurocompare._errors import check_option, check_path, input_error, readable
from neurocompare.data.base import WHOLE_DATASET, labels_to_codes
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.data.molecules import merge_duplicates, standardize_column

__all__ = ["SDF_SMILES", "molecule_data", "read_molecule_table"]

logger = logging.getLogger(__name__)

#: Column holding the structure read from an SDF mol block; ``_Name`` holds its title line.
SDF_SMILES = "smiles"
_ROW = "__source_row__"
_TEXT = {".csv": ",", ".tsv": "\t", ".tab": "\t"}


def read_molecule_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV/TAB or SDF file into a table with a ``__source_row__`` column.

    SDF records become rows: their properties as columns, the mol block's structure as
    canonical SMILES in column ``smiles`` (``None`` where RDKit rejects the record), the
    title line as ``_Name``.

    Returns
    -------
    DataFrame, shape (n_rows, n_columns + 1)
        ``__source_row__`` numbers the data rows from 1 (the record number for SDF).
    """
    path = check_path("molecule file", path)
    suffix = path.suffix.lower()
    if suffix == ".sdf":
        records = []
        with rdBase.BlockLogs():
            for mol in Chem.SDMolSupplier(str(path)):
                if mol is None:
                    records.append({SDF_SMILES: None})
                    continue
                props = mol.GetPropsAsDict(includePrivate=False, includeComputed=False)
                title = mol.GetProp("_Name") if mol.HasProp("_Name") else None
                records.append({**props, "_Name": title, SDF_SMILES: Chem.MolToSmiles(mol)})
        frame = pd.DataFrame.from_records(records)
    elif suffix in _TEXT:
        with readable(path, "a readable UTF-8 text table of molecules"):
            try:
                frame = pd.read_csv(path, sep=_TEXT[suffix])
            except pd.errors.EmptyDataError as exc:
                raise input_error(str(path), "a table with a header and data rows",
                                  "no data") from exc
    else:
        raise input_error(str(path), "a .csv, .tsv, .tab or .sdf file", suffix)
    if frame.empty:
        raise input_error(str(path), "at least one data row (molecule)", "0 rows")
    frame[_ROW] = np.arange(1, len(frame) + 1)
    return frame


def _ids(values: pd.Series) -> np.ndarray:
    """Identifiers as text; integral floats (PubChem CIDs written ``644510.0``) as integers."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and np.all(np.mod(numeric, 1) == 0):
        return numeric.astype(np.int64).astype(str).to_numpy()
    return values.astype(str).to_numpy()


def _dates(values: pd.Series, source: str, column: str, rows: np.ndarray) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    parsed = numeric if numeric.notna().sum() == values.notna().sum() else \
        pd.to_datetime(values, errors="coerce")
    bad = rows[parsed.isna().to_numpy()]
    if bad.size:
        raise input_error(f"{source}: column {column!r}", "a date (or number) on every row",
                          f"missing or unreadable on source rows {bad[:10].tolist()}")
    return parsed.reset_index(drop=True)


def _infer_task(target: pd.Series) -> str:
    """``"regression"`` for numbers with a fraction or more than 10 distinct values."""
    numeric = pd.to_numeric(target, errors="coerce")
    if numeric.notna().all() and (np.any(np.mod(numeric, 1) != 0) or numeric.nunique() > 10):
        return "regression"
    return "classification"


def _class_order(labels: np.ndarray) -> tuple[str, ...]:
    unique = pd.unique(labels)
    numeric = pd.to_numeric(pd.Series(unique), errors="coerce")
    order = np.argsort(numeric.to_numpy()) if numeric.notna().all() else \
        np.argsort(unique.astype(str))
    return tuple(str(unique[i]) for i in order)


def molecule_data(frame: pd.DataFrame, *, smiles_column: str, target_column: str, task: str,
                  source: str, id_column: str | None = None, date_column: str | None = None,
                  label_names: Mapping[Any, str] | None = None, standardize: bool = True,
                  tolerance: float = 0.5, extra: Mapping[str, Any] | None = None
                  ) -> NeuralData:
    """Standardise, merge and encode a table of molecules (see the module docstring).

    Parameters
    ----------
    frame : DataFrame, shape (n_rows, n_columns)
        From :func:`read_molecule_table` (``__source_row__`` numbers its rows).
    smiles_column, target_column : str
    task : {"classification", "regression", "auto"}
        ``"auto"``: regression for numeric targets with a fraction or over 10 values.
    source : str
        File named in every error and warning.
    id_column, date_column : str, optional
        Source identifier (``mol_id``) and date (``date``) columns.
    label_names : mapping, optional
        Classification: label value -> class name, in class-code order; default the
        labels as text, sorted (numerically when they are numbers).
    standardize : bool
        Strip salts and neutralise (default) or only canonicalise.
    tolerance : float
        Regression duplicates spreading more than this (target units) are reported.
    extra : mapping, optional
        Added to ``info.extra`` (e.g. ``target_units``).

    Returns
    -------
    NeuralData
        ``X`` object array of SMILES, shape (n_molecules,); ``y`` int codes or floats.
    """
    check_option("task", task, ("classification", "regression", "auto"))
    if not isinstance(standardize, bool):
        raise input_error("standardize", "True or False", standardize)
    named = [c for c in (smiles_column, target_column, id_column, date_column) if c]
    missing = [c for c in named if c not in frame.columns]
    if missing:
        shown = [c for c in frame.columns if c != _ROW]
        raise input_error(source, f"columns {named}", f"missing {missing}; it has {shown}")
    rows = frame[_ROW].to_numpy() if _ROW in frame.columns else np.arange(1, len(frame) + 1)
    report: dict[str, Any] = {"source": source, "target": target_column,
                              "row_numbering": "1-based data rows (SDF: record number)"}
    # Structures first: a record RDKit rejects is reported as unparsable, whatever its target.
    column = standardize_column(frame[smiles_column].tolist(), rows, standardize=standardize,
                                source=source, column=smiles_column)
    report.update(column.report)
    labelled = frame[target_column].iloc[column.keep].notna().to_numpy()
    unlabelled_rows = rows[column.keep[~labelled]].tolist()
    report["dropped_missing_target"] = unlabelled_rows
    if unlabelled_rows:
        logger.warning("%s: dropped %d rows without %r (source rows %s)", source,
                       len(unlabelled_rows), target_column, unlabelled_rows[:10])
    if not labelled.any():
        raise input_error(f"{source}: column {target_column!r}", "at least one target value",
                          "none on the rows whose SMILES parse")
    frame = frame.iloc[column.keep[labelled]].reset_index(drop=True)
    rows = rows[column.keep[labelled]]
    smiles, scaffolds = column.smiles[labelled], column.scaffolds[labelled]
    task = _infer_task(frame[target_column]) if task == "auto" else task
    target = frame[target_column]
    if task == "regression":
        target = pd.to_numeric(target, errors="coerce")
        finite = np.isfinite(target.to_numpy(dtype=float, na_value=np.nan))
        if not finite.all():
            raise input_error(f"{source}: column {target_column!r}",
                              "finite numbers (regression target)",
                              f"non-numeric values on source rows {rows[~finite][:10].tolist()}")
    merged = merge_duplicates(smiles, target.to_numpy(), task, rows, tolerance=tolerance,
                              source=source)
    report.update(merged.report)
    metadata = pd.DataFrame({"subject": WHOLE_DATASET, "session": "0", "run": "0",
                             "scaffold": scaffolds[merged.keep].astype(str),
                             "mol_id": (_ids(frame[id_column])[merged.keep] if id_column
                                        else rows[merged.keep].astype(str)),
                             "source_row": rows[merged.keep].astype(np.int64)})
    if date_column:
        dates = _dates(frame[date_column], source, date_column, rows)
        metadata["date"] = [dates.iloc[m].min() for m in merged.members]
    name = f"{source}: column {target_column!r}"
    if task == "regression":
        y = np.asarray(merged.y, dtype=np.float64)
        if len(y) < 2 or np.ptp(y) == 0:
            raise input_error(name, "a regression target that varies",
                              f"constant {y[:1].tolist()} over {len(y)} molecules")
        class_names: tuple[str, ...] = ()
    else:
        y, class_names = _encode(merged.y, label_names, name)
    report.update(n_molecules=len(y), standardized=bool(standardize), task=task,
                  **dict(extra or {}))
    info = SignalInfo(kind="molecules", task=task, class_names=class_names,
                      ch_types="misc", extra=report)
    return NeuralData(smiles[merged.keep], y, metadata, info)


def _encode(labels: np.ndarray, label_names: Mapping[Any, str] | None, name: str
            ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer codes and class names of merged labels; at least two classes required."""
    names = dict(label_names) if label_names else {v: str(v) for v in _class_order(labels)}
    lookup = {str(k): v for k, v in names.items()}
    unknown = sorted({str(v) for v in labels} - set(lookup))
    if unknown:
        raise input_error(name, f"labels in {list(lookup)}", unknown)
    present = sorted({lookup[str(v)] for v in labels})
    if len(present) < 2:
        raise input_error(name, "at least two classes after merging duplicates",
                          f"only {present} in {len(labels)} molecules")
    class_names = tuple(names.values())
    return labels_to_codes([lookup[str(v)] for v in labels], class_names, name), class_names
