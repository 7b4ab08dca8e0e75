"""SMILES corpora for the generative comparison (molecule generators).

A corpus is a de-duplicated set of standardised canonical SMILES that generators learn to
imitate; it has no target. Two corpora, in an explicit registry (:data:`CORPORA`):

====================== ==============================================================
name                   what it reads
====================== ==============================================================
``smiles-union``       the union of every molecule set under the data root: TDC BBB,
                       CYP3A4, microsomal clearance, MoleculeNet ESOL and the drugs of
                       Davis and KIBA (about 17k structures after de-duplication)
``smiles-file``        one CSV/TSV/SDF file with a SMILES column
====================== ==============================================================

Every corpus runs the same steps: standardise each SMILES as the molecule datasets do
(:func:`neurocompare.data.molecules.standardize_column`: salts stripped, charges neutralised,
canonical SMILES; unparsable rows dropped and reported), keep the first occurrence of each
structure, and drop structures whose canonical SMILES is longer than ``max_length``
characters (counted and reported: the recurrent generators pad every batch to its longest
string, so a few very long molecules cost more than the rest of the corpus).

Scale against the guide: its LSTM generators were trained on 2.57 million ChEMBL/MOSES
SMILES; the union here holds about 17 thousand, two orders of magnitude fewer.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from neurocompare._errors import input_error
from neurocompare._spec import parse_choice
from neurocompare.config import dataset_path
from neurocompare.data.molecule_tables import SDF_SMILES, read_molecule_table
from neurocompare.data.molecules import standardize_column

__all__ = ["CORPORA", "SmilesCorpus", "SmilesFile", "SmilesUnion", "make_corpus"]

logger = logging.getLogger(__name__)

#: (data folder, file, SMILES column) of every set the union reads.
UNION_SOURCES: dict[str, tuple[str, str, str]] = {
    "tdc-bbb-martins": ("tdc_bbb_martins", "bbb_martins.tab", "Drug"),
    "tdc-cyp3a4-veith": ("tdc_cyp3a4_veith", "cyp3a4_veith.tab", "Drug"),
    "tdc-clearance-microsome-az": ("tdc_clearance_microsome_az",
                                   "clearance_microsome_az.csv", "Drug"),
    "moleculenet-esol": ("moleculenet_esol", "delaney-processed.csv", "smiles"),
    "davis": ("davis_dti", "drugs.csv", "smiles"),
    "kiba": ("kiba_dti", "drugs.csv", "smiles"),
}


@dataclass(frozen=True)
class SmilesCorpus:
    """A loaded corpus.

    Attributes
    ----------
    name : str
        Registry name of the corpus.
    params : dict
        The parameters it was loaded with (part of every result key).
    smiles : ndarray of object, shape (n_molecules,)
        Standardised canonical SMILES, each structure once, in first-seen order.
    source : ndarray of object, shape (n_molecules,)
        The set (or file) each structure was first seen in.
    scaffolds : ndarray of object, shape (n_molecules,)
        Bemis-Murcko scaffold of each structure (``""`` when acyclic).
    report : dict
        ``n_read``, ``n_unparsable``, ``n_duplicates``, ``n_too_long`` and per-source counts.
    """

    name: str
    params: dict[str, Any]
    smiles: np.ndarray
    source: np.ndarray
    scaffolds: np.ndarray
    report: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.smiles)


def _check_length(max_length: Any) -> int | None:
    if max_length is None:
        return None
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 2:
        raise input_error("max_length", "an int >= 2 (characters) or None", max_length)
    return max_length


def _column(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    if column not in frame.columns:
        raise input_error(f"{path}: smiles_column", f"one of the columns {list(frame.columns)}",
                          column)
    return frame[column]


def assemble(parts: list[tuple[str, pd.Series]], *, name: str, params: dict[str, Any],
             max_length: int | None, standardize: bool = True) -> SmilesCorpus:
    """Standardise, de-duplicate and length-filter SMILES columns into one corpus.

    Parameters
    ----------
    parts : list of (source, Series of str)
        Each source's SMILES column, in reading order.
    name, params : str, dict
        Recorded on the corpus.
    max_length : int or None
        Longest canonical SMILES kept (characters); None keeps all.
    standardize : bool
        Strip salts and neutralise before canonicalising (default).

    Returns
    -------
    SmilesCorpus
    """
    seen: dict[str, tuple[str, str]] = {}
    report: dict[str, Any] = {"n_read": 0, "n_unparsable": 0, "n_duplicates": 0,
                              "n_too_long": 0, "sources": {}}
    for source, column in parts:
        done = standardize_column(column.tolist(), standardize=standardize, source=source)
        report["n_read"] += done.report["n_rows_read"]
        report["n_unparsable"] += done.report["n_unparsable"]
        added = 0
        for smiles, scaffold in zip(done.smiles, done.scaffolds, strict=True):
            if max_length is not None and len(smiles) > max_length:
                report["n_too_long"] += 1
            elif smiles in seen:
                report["n_duplicates"] += 1
            else:
                seen[smiles] = (source, scaffold)
                added += 1
        report["sources"][source] = {"read": done.report["n_rows_read"], "added": added}
    if len(seen) < 10:
        raise input_error(f"corpus {name!r}", "at least 10 distinct parsable structures",
                          len(seen))
    smiles, sources, scaffolds = (np.empty(len(seen), dtype=object) for _ in range(3))
    smiles[:] = list(seen)
    sources[:] = [value[0] for value in seen.values()]
    scaffolds[:] = [value[1] for value in seen.values()]
    logger.info("corpus %s: %d structures (%d read, %d unparsable, %d duplicates, %d longer "
                "than %s characters)", name, len(seen), report["n_read"],
                report["n_unparsable"], report["n_duplicates"], report["n_too_long"],
                max_length)
    return SmilesCorpus(name, params, smiles, sources, scaffolds, report)


@dataclass
class SmilesUnion:
    """The union of the molecule sets under the data root (see the module docstring).

    Parameters
    ----------
    root : str or Path, optional
        Data root overriding the configured one.
    sources : tuple of str
        Which sets to read (keys of :data:`UNION_SOURCES`).
    max_length : int or None
        Longest canonical SMILES kept, in characters (default 100: about 2 % of the union
        is longer).
    """

    name: ClassVar[str] = "smiles-union"
    description: ClassVar[str] = ("Union of the molecule sets under the data root (TDC BBB, "
                                  "CYP3A4, clearance, ESOL, Davis and KIBA drugs), standardised "
                                  "and de-duplicated")

    root: str | Path | None = None
    sources: tuple[str, ...] = tuple(UNION_SOURCES)
    max_length: int | None = 100

    def load(self) -> SmilesCorpus:
        """Read, standardise and de-duplicate every source."""
        max_length = _check_length(self.max_length)
        names = (self.sources,) if isinstance(self.sources, str) else tuple(self.sources)
        unknown = [s for s in names if s not in UNION_SOURCES]
        if unknown or not names:
            raise input_error("sources", f"a non-empty subset of {list(UNION_SOURCES)}",
                              self.sources)
        parts = []
        for source in names:
            folder, file, column = UNION_SOURCES[source]
            path = dataset_path(folder, self.root) / file
            parts.append((source, _column(read_molecule_table(path), column, path)))
        params = {"sources": list(names), "max_length": max_length}
        return assemble(parts, name=self.name, params=params, max_length=max_length)


@dataclass
class SmilesFile:
    """Any CSV/TSV/SDF file with a SMILES column.

    Parameters
    ----------
    path : str or Path
        The file.
    smiles_column : str
        Its SMILES column (SDF: the structure, whatever this says).
    max_length : int or None
        Longest canonical SMILES kept, in characters.
    standardize : bool
        Strip salts and neutralise before canonicalising.
    """

    name: ClassVar[str] = "smiles-file"
    description: ClassVar[str] = "Any CSV/TSV/SDF file with a SMILES column"

    path: str | Path | None = None
    smiles_column: str = "smiles"
    max_length: int | None = 100
    standardize: bool = True

    def load(self) -> SmilesCorpus:
        """Read, standardise and de-duplicate the file."""
        if self.path is None:
            raise input_error("path", "the corpus file (smiles-file:path='corpus.csv')", None)
        max_length = _check_length(self.max_length)
        path = Path(self.path)
        frame = read_molecule_table(path)
        column = SDF_SMILES if path.suffix.lower() == ".sdf" else self.smiles_column
        params = {"path": str(path.resolve()), "smiles_column": column,
                  "max_length": max_length, "standardize": bool(self.standardize)}
        return assemble([(path.name, _column(frame, column, path))], name=self.name,
                        params=params, max_length=max_length, standardize=self.standardize)


#: The explicit corpus registry: name -> class.
CORPORA: dict[str, type] = {cls.name: cls for cls in (SmilesUnion, SmilesFile)}


def make_corpus(spec: str) -> SmilesUnion | SmilesFile:
    """Build a corpus from ``"name"`` or ``"name:key=value,..."``.

    Raises
    ------
    InputError
        For an unknown name or parameter (the message lists the valid ones).
    """
    name, params = parse_choice(spec, "corpus")
    if name not in CORPORA:
        raise input_error("corpus", f"one of {sorted(CORPORA)}", name)
    cls = CORPORA[name]
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - fields)
    if unknown:
        raise input_error(f"corpus {name!r} parameter", f"one of {sorted(fields)}", unknown)
    return cls(**params)
