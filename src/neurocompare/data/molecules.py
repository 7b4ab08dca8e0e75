"""Molecule standardisation, scaffolds and duplicate merging: pure RDKit functions.

Every molecule dataset passes its SMILES column through the same three steps.

1. **Standardise** (:func:`standardize_smiles`), with RDKit's ``MolStandardize``:
   ``Cleanup`` (remove explicit hydrogens, disconnect metals, normalise functional groups,
   reionise), keep the largest organic fragment (strips salts and solvents:
   ``[Na+].CC(=O)[O-]`` -> ``CC(=O)[O-]``), neutralise charges where a neutral form exists
   (``Uncharger``; quaternary ammonium stays charged), then write the canonical isomeric
   SMILES (stereochemistry kept). Tautomers are *not* canonicalised: RDKit's tautomer
   enumeration is slow and can change the drawn chemistry. ``standardize=False`` gives the
   plain RDKit canonical SMILES of the input (salts kept), the form TDC publishes.
2. **Scaffold** (:func:`scaffold_smiles`): the Bemis-Murcko scaffold exactly as TDC's
   ``create_scaffold_split`` computes it, ``MurckoScaffoldSmiles(mol=..., includeChirality=
   False)``, here of the standardised molecule. Acyclic molecules have the empty scaffold
   ``""`` and form one group, as in TDC and chemprop.
3. **Merge duplicates** (:func:`merge_duplicates`) of identical canonical structures. The
   rule: *regression* -- one row per structure holding the mean of its values; groups whose
   values spread (max - min) more than ``tolerance`` target units are reported.
   *Classification* -- identical structures with identical labels become one row; a
   structure with conflicting labels is dropped entirely (every one of its rows) and
   reported, since no label is right for it. The row kept is the first occurrence.

Rows are reported by their **source row number**: the 1-based number of the data row in
the file (CSV/TSV: file line minus the header line; SDF: record number). Reports are plain
dicts of Python ints, floats and strings (JSON-ready) and are also logged as warnings.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.Chem.Scaffolds import MurckoScaffold

from neurocompare._errors import check_option, input_error

__all__ = [
    "Merged",
    "StandardizedColumn",
    "merge_duplicates",
    "scaffold_smiles",
    "standardize_column",
    "standardize_mol",
    "standardize_smiles",
]

logger = logging.getLogger(__name__)

#: Rows listed in a log message at most (the full lists stay in the report).
_SHOWN = 10


def _parse(smiles: Any) -> Chem.Mol | None:
    if not isinstance(smiles, str) or not smiles.strip():
        return None
    with rdBase.BlockLogs():  # RDKit's own parse errors would flood stderr
        return Chem.MolFromSmiles(smiles.strip())


@functools.cache
def _tools() -> tuple[Any, ...]:
    """RDKit's standardisation tools, built once per process (building the normaliser and
    the uncharger costs about as much as applying them)."""
    return (rdMolStandardize.MetalDisconnector(), rdMolStandardize.Normalizer(),
            rdMolStandardize.Reionizer(),
            rdMolStandardize.LargestFragmentChooser(preferOrganic=True),
            rdMolStandardize.Uncharger(canonicalOrder=True))


def standardize_mol(mol: Chem.Mol) -> Chem.Mol:
    """Cleanup, largest organic fragment, neutralised (see the module docstring).

    The cleanup is ``rdMolStandardize.Cleanup``'s sequence (remove hydrogens, disconnect
    metals, normalise, reionise) with its tools built once, which halves the time.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitised molecule.

    Returns
    -------
    rdkit.Chem.Mol
        A new molecule; ``mol`` is not modified.
    """
    disconnector, normalizer, reionizer, chooser, uncharger = _tools()
    with rdBase.BlockLogs():
        mol = disconnector.Disconnect(Chem.RemoveHs(mol))
        mol = reionizer.reionize(normalizer.normalize(mol))
        return uncharger.uncharge(chooser.choose(mol))


def _canonical(smiles: Any, standardize: bool) -> tuple[Chem.Mol | None, str | None]:
    mol = _parse(smiles)
    if mol is None:
        return None, None
    try:
        if standardize:
            mol = standardize_mol(mol)
        text = Chem.MolToSmiles(mol)
    except (RuntimeError, ValueError):  # RDKit raises these on molecules it cannot fix
        return None, None
    return (mol, text) if text else (None, None)


def standardize_smiles(smiles: str, standardize: bool = True) -> str | None:
    """Canonical SMILES of the standardised molecule, or ``None`` if RDKit cannot parse it.

    Parameters
    ----------
    smiles : str
    standardize : bool
        Strip salts and neutralise first (default); ``False`` only canonicalises.

    Examples
    --------
    >>> standardize_smiles("[Na+].CC(=O)[O-]")
    'CC(=O)O'
    """
    return _canonical(smiles, standardize)[1]


def scaffold_smiles(molecule: str | Chem.Mol) -> str:
    """Bemis-Murcko scaffold SMILES as TDC computes it (chirality ignored).

    Parameters
    ----------
    molecule : str or rdkit.Chem.Mol
        SMILES or molecule.

    Returns
    -------
    str
        The scaffold, ``""`` for an acyclic molecule.
    """
    mol = _parse(molecule) if isinstance(molecule, str) else molecule
    if mol is None:
        raise input_error("molecule", "a SMILES RDKit can parse", molecule)
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False)


@dataclass(frozen=True)
class StandardizedColumn:
    """What :func:`standardize_column` returns.

    Attributes
    ----------
    keep : ndarray of int, shape (n_kept,)
        Positions (0-based, in the input order) of the rows that parsed.
    smiles : ndarray of object, shape (n_kept,)
        Their canonical (standardised) SMILES.
    scaffolds : ndarray of object, shape (n_kept,)
        Their Murcko scaffolds.
    report : dict
        ``n_rows_read``, ``n_unparsable`` and ``dropped_unparsable`` (a list of
        ``{"row": source row number, "smiles": text}``).
    """

    keep: np.ndarray
    smiles: np.ndarray
    scaffolds: np.ndarray
    report: dict[str, Any]


def _objects(items: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def standardize_column(smiles: Sequence[Any], rows: Sequence[int] | None = None, *,
                       standardize: bool = True, source: str = "molecules",
                       column: str = "smiles") -> StandardizedColumn:
    """Standardise a column of SMILES, dropping and reporting the ones RDKit rejects.

    Parameters
    ----------
    smiles : sequence of str, length n_rows
        The column as read (missing entries count as unparsable).
    rows : sequence of int, length n_rows, optional
        Source row number of every entry (default 1..n_rows).
    standardize : bool
        See :func:`standardize_smiles`.
    source, column : str
        File and column named in the warning and in the error.

    Returns
    -------
    StandardizedColumn

    Raises
    ------
    InputError
        When no entry parses (or the column is empty).
    """
    smiles = list(smiles)
    rows = list(range(1, len(smiles) + 1)) if rows is None else [int(r) for r in rows]
    if len(rows) != len(smiles):
        raise input_error("rows", f"{len(smiles)} row numbers (one per SMILES)", len(rows))
    keep, canonical, scaffolds, bad = [], [], [], []
    for position, (text, row) in enumerate(zip(smiles, rows, strict=True)):
        mol, out = _canonical(text, standardize)
        if mol is None:
            bad.append({"row": row, "smiles": text if isinstance(text, str) else None})
            continue
        keep.append(position)
        canonical.append(out)
        scaffolds.append(MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=False))
    if not keep:
        shown = [b["smiles"] for b in bad[:3]]
        raise input_error(f"{source}: column {column!r}", "at least one SMILES RDKit can parse",
                          f"0 of {len(smiles)} parsed (first entries: {shown})")
    if bad:
        logger.warning("%s: dropped %d of %d rows whose %r RDKit cannot parse (source rows "
                       "%s%s)", source, len(bad), len(smiles), column,
                       [b["row"] for b in bad[:_SHOWN]], " ..." if len(bad) > _SHOWN else "")
    report = {"n_rows_read": len(smiles), "n_unparsable": len(bad), "dropped_unparsable": bad}
    return StandardizedColumn(np.asarray(keep, dtype=np.intp), _objects(canonical),
                              _objects(scaffolds), report)


@dataclass(frozen=True)
class Merged:
    """What :func:`merge_duplicates` returns.

    Attributes
    ----------
    keep : ndarray of int, shape (n_unique,)
        Position of the row kept for each structure (its first occurrence), input order.
    y : ndarray, shape (n_unique,)
        Target of each kept row (the mean of the group for regression).
    members : list of ndarray of int, length n_unique
        Positions of every row merged into each kept row.
    report : dict
        ``n_duplicate_groups``, ``n_rows_merged``, ``merged_duplicates`` (structure, source
        rows, merged value or label); regression adds ``tolerance`` and ``duplicate_spread``
        (the groups spreading more than it); classification adds ``n_conflicting`` and
        ``conflicting_labels`` (structure, source rows, labels) of the dropped structures.
    """

    keep: np.ndarray
    y: np.ndarray
    members: list[np.ndarray]
    report: dict[str, Any]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def merge_duplicates(smiles: Sequence[str], y: Sequence[Any], task: str,
                     rows: Sequence[int] | None = None, *, tolerance: float = 0.5,
                     source: str = "molecules") -> Merged:
    """Merge rows of identical canonical structures by the rule of the module docstring.

    Parameters
    ----------
    smiles : sequence of str, length n_rows
        Canonical SMILES (from :func:`standardize_column`), the identity of a structure.
    y : sequence, length n_rows
        Float targets (regression) or hashable labels (classification).
    task : {"classification", "regression"}
    rows : sequence of int, length n_rows, optional
        Source row numbers for the report (default 1..n_rows).
    tolerance : float
        Regression only: spread (max - min, target units) above which a merged group is
        reported in ``duplicate_spread``.
    source : str
        Named in the warnings.

    Returns
    -------
    Merged
    """
    check_option("task", task, ("classification", "regression"))
    smiles, values = list(smiles), list(y)
    rows = list(range(1, len(smiles) + 1)) if rows is None else [int(r) for r in rows]
    if not len(smiles) == len(values) == len(rows):
        raise input_error("y", f"{len(smiles)} targets and row numbers (one per SMILES)",
                          (len(values), len(rows)))
    if task == "regression" and not (np.isfinite(tolerance) and tolerance >= 0):
        raise input_error("tolerance", "a non-negative number of target units", tolerance)
    groups: dict[str, list[int]] = {}
    for position, text in enumerate(smiles):
        groups.setdefault(text, []).append(position)
    keep, merged_y, members = [], [], []
    merged, spread, conflicts = [], [], []
    for text, positions in groups.items():
        group_rows = [rows[p] for p in positions]
        group_values = [values[p] for p in positions]
        if task == "regression":
            value = float(np.mean(np.asarray(group_values, dtype=np.float64)))
            width = float(np.ptp(np.asarray(group_values, dtype=np.float64)))
            if len(positions) > 1 and width > tolerance:
                spread.append({"smiles": text, "rows": group_rows, "spread": width,
                               "values": [float(v) for v in group_values]})
        else:
            labels: list[Hashable] = list(dict.fromkeys(group_values))
            if len(labels) > 1:
                conflicts.append({"smiles": text, "rows": group_rows,
                                  "labels": [_plain(v) for v in group_values]})
                continue
            value = labels[0]
        if len(positions) > 1:
            merged.append({"smiles": text, "rows": group_rows, "value": _plain(value)})
        keep.append(positions[0])
        merged_y.append(value)
        members.append(np.asarray(positions, dtype=np.intp))
    report: dict[str, Any] = {
        "duplicate_rule": ("mean of identical structures" if task == "regression" else
                           "identical labels merged, conflicting structures dropped"),
        "n_duplicate_groups": len(merged),
        "n_rows_merged": sum(len(m["rows"]) - 1 for m in merged),
        "merged_duplicates": merged}
    if merged:
        logger.warning("%s: merged %d duplicated structures (%d rows removed; source rows "
                       "%s%s)", source, len(merged), report["n_rows_merged"],
                       [m["rows"] for m in merged[:_SHOWN]], " ..." if len(merged) > _SHOWN
                       else "")
    if task == "regression":
        report.update(tolerance=float(tolerance), duplicate_spread=spread)
        if spread:
            logger.warning("%s: %d merged structures spread more than %g target units "
                           "(source rows %s)", source, len(spread), tolerance,
                           [s["rows"] for s in spread[:_SHOWN]])
    else:
        report.update(n_conflicting=len(conflicts), conflicting_labels=conflicts,
                      n_rows_conflicting=sum(len(c["rows"]) for c in conflicts))
        if conflicts:
            logger.warning("%s: dropped %d structures with conflicting labels (%d rows; "
                           "source rows %s)", source, len(conflicts),
                           report["n_rows_conflicting"], [c["rows"] for c in conflicts[:_SHOWN]])
    out_y = np.asarray(merged_y, dtype=np.float64) if task == "regression" else \
        _objects(merged_y)
    return Merged(np.asarray(keep, dtype=np.intp), out_y, members, report)
