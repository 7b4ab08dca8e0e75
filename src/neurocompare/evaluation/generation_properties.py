"""Per-molecule descriptors behind the generation metrics, computed as MOSES computes them.

:mod:`neurocompare.evaluation.generation_metrics` compares sets of molecules; this module
computes what those comparisons need for one molecule at a time: the parse, the canonical
SMILES, the Morgan fingerprint, the BRICS fragments, the Bemis–Murcko scaffold, the four
properties and the ChemNet activations of the Fréchet ChemNet Distance. The definitions are
those of MOSES's ``moses/metrics/utils.py`` (Polykovskiy et al. 2020):

* A string is valid when RDKit parses it; the empty string is invalid (RDKit would parse it
  to a molecule without atoms). The canonical form is ``Chem.MolToSmiles`` with its
  defaults (isomeric).
* Fingerprints: Morgan, radius 2, 1024 bits, no chirality (``rdFingerprintGenerator`` gives
  the same bits as MOSES's ``GetMorganFingerprintAsBitVect(mol, 2, nBits=1024)``).
* Fragments: the canonical SMILES of the pieces of ``FragmentOnBRICSBonds`` (dummy atoms
  marking the cut bonds included).
* Scaffolds: ``MurckoScaffold.GetScaffoldForMol``; MOSES counts only scaffolds with at
  least two rings (``min_rings=2``) and so do we: molecules with an acyclic or one-ring
  scaffold contribute nothing to the scaffold counts.
* Properties: molecular weight ``Descriptors.MolWt``, ``Crippen.MolLogP``, ``QED.qed`` and
  the synthetic-accessibility score of RDKit's Contrib ``SA_Score/sascorer.py``.
* ChemNet input: the canonical SMILES (MOSES's ``fcd_torch`` canonicalises too), cut to at
  most 349 characters at a token boundary so that every string keeps ChemNet's padded length
  of 350 (``fcd`` 1.2.2 would otherwise lengthen the padding of the whole batch, which
  changes every activation; ``fcd_torch`` cuts at 349 tokens, which differs only for
  strings over 349 characters that contain two-letter atoms).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, RDConfig, rdBase
from rdkit.Chem import QED, AllChem, Crippen, Descriptors, rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold

from neurocompare._errors import input_error

__all__ = ["FCD_MAX_CHARS", "MORGAN_BITS", "MORGAN_RADIUS", "PROPERTY_COLUMNS",
           "SCAFFOLD_MIN_RINGS", "brics_fragments", "canonical_or_none", "check_smiles",
           "chemnet_activations", "fragment_and_scaffold_counts", "molecule_properties",
           "morgan_fingerprints", "murcko_scaffold", "parse_molecules", "property_table"]

logger = logging.getLogger(__name__)

#: Property columns, in the order of :func:`property_table`.
PROPERTY_COLUMNS = ("mw", "logp", "qed", "sa")
#: Morgan fingerprint radius and length (MOSES's defaults).
MORGAN_RADIUS = 2
MORGAN_BITS = 1024
#: Scaffolds with fewer rings are not counted (MOSES's ``compute_scaffolds(min_rings=2)``).
SCAFFOLD_MIN_RINGS = 2
#: Longest ChemNet input, in characters: ChemNet pads to 350 positions, one for the end mark.
FCD_MAX_CHARS = 349


def check_smiles(name: str, value: Any) -> list[str]:
    """Return ``value`` as a list of strings, or raise the project's input error.

    Parameters
    ----------
    name : str
        Argument name shown in the error.
    value : sequence of str
        A list, tuple, 1-D array or Series of strings. A single string is refused (it is a
        sequence of characters, almost certainly a mistake).

    Returns
    -------
    list of str, length n
    """
    if isinstance(value, pd.Series):
        value = value.tolist()
    elif isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise input_error(name, "a 1-D sequence of SMILES strings",
                              f"an array of shape {value.shape}")
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise input_error(name, "a sequence of SMILES strings (list, tuple, array)", value)
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise input_error(name, "a sequence of SMILES strings", value,
                              hint=f"Element {position} is {type(item).__name__} {item!r}.")
    return list(value)


def parse_molecules(smiles: Sequence[str]) -> list[Chem.Mol | None]:
    """Parse SMILES as MOSES's ``get_mol`` does: None for the empty string or a failed parse.

    Parameters
    ----------
    smiles : sequence of str, length n

    Returns
    -------
    list of Mol or None, length n
    """
    with rdBase.BlockLogs():  # RDKit would print every parse error to stderr
        return [Chem.MolFromSmiles(s) if s else None for s in smiles]


def canonical_or_none(smiles: str) -> str | None:
    """The canonical SMILES of a string, or None when RDKit cannot parse it or it is empty.

    Parameters
    ----------
    smiles : str

    Returns
    -------
    str or None
        ``Chem.MolToSmiles`` of the parsed molecule (RDKit's canonical, isomeric form).
    """
    if not isinstance(smiles, str):
        raise input_error("smiles", "a SMILES string", smiles)
    mol = parse_molecules([smiles])[0]
    return None if mol is None else Chem.MolToSmiles(mol)


@functools.lru_cache(maxsize=1)
def _morgan_generator() -> Any:
    return rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=MORGAN_BITS)


def morgan_fingerprints(mols: Sequence[Chem.Mol]) -> np.ndarray:
    """Morgan bit fingerprints (radius 2, 1024 bits) as a 0/1 matrix.

    Parameters
    ----------
    mols : sequence of Mol, length n

    Returns
    -------
    ndarray of uint8, shape (n, 1024)
    """
    generator = _morgan_generator()
    out = np.zeros((len(mols), MORGAN_BITS), dtype=np.uint8)
    for row, mol in enumerate(mols):
        out[row] = generator.GetFingerprintAsNumPy(mol)
    return out


def brics_fragments(mol: Chem.Mol) -> list[str]:
    """Canonical SMILES of the BRICS fragments of one molecule (MOSES's ``fragmenter``).

    Parameters
    ----------
    mol : Mol

    Returns
    -------
    list of str
        One entry per fragment, repeats kept (dummy atoms mark the cut bonds).
    """
    return Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split(".")


def murcko_scaffold(mol: Chem.Mol, min_rings: int = SCAFFOLD_MIN_RINGS) -> str | None:
    """The Bemis–Murcko scaffold's canonical SMILES, or None (MOSES's ``compute_scaffold``).

    Parameters
    ----------
    mol : Mol
    min_rings : int
        Scaffolds with fewer rings give None (MOSES: 2).

    Returns
    -------
    str or None
    """
    try:
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    except (RuntimeError, ValueError):  # MOSES skips molecules RDKit cannot reduce
        return None
    text = Chem.MolToSmiles(scaffold)
    if not text or scaffold.GetRingInfo().NumRings() < min_rings:
        return None
    return text


def fragment_and_scaffold_counts(mols: Sequence[Chem.Mol], weights: Sequence[int] | None = None
                                 ) -> tuple[dict[str, int], dict[str, int]]:
    """BRICS fragment counts and scaffold counts over a set (repeats counted ``weights`` times).

    Parameters
    ----------
    mols : sequence of Mol, length n
    weights : sequence of int, length n, optional
        How many times each molecule occurs in the set (1 each when omitted).

    Returns
    -------
    fragments, scaffolds : dict of str to int
    """
    weights = [1] * len(mols) if weights is None else weights
    fragments: Counter[str] = Counter()
    scaffolds: Counter[str] = Counter()
    for mol, weight in zip(mols, weights, strict=True):
        for fragment in brics_fragments(mol):
            fragments[fragment] += int(weight)
        scaffold = murcko_scaffold(mol)
        if scaffold is not None:
            scaffolds[scaffold] += int(weight)
    return dict(fragments), dict(scaffolds)


@functools.lru_cache(maxsize=1)
def _sascorer() -> ModuleType:
    """RDKit's Contrib ``sascorer`` module, loaded once from the installed RDKit."""
    path = Path(RDConfig.RDContribDir) / "SA_Score" / "sascorer.py"
    spec = importlib.util.spec_from_file_location("sascorer", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"RDKit's SA_Score contribution is missing: {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def molecule_properties(mols: Sequence[Chem.Mol]) -> dict[str, np.ndarray]:
    """Molecular weight, logP, QED and SA score of each molecule.

    Parameters
    ----------
    mols : sequence of Mol, length n

    Returns
    -------
    dict of str to ndarray, each shape (n,)
        Keys :data:`PROPERTY_COLUMNS`; SA is NaN for a molecule without atoms.
    """
    scorer = _sascorer()
    out = {column: np.empty(len(mols)) for column in PROPERTY_COLUMNS}
    for row, mol in enumerate(mols):
        out["mw"][row] = Descriptors.MolWt(mol)
        out["logp"][row] = Crippen.MolLogP(mol)
        out["qed"][row] = QED.qed(mol)
        sa = scorer.calculateScore(mol)
        out["sa"][row] = np.nan if sa is None else sa
    return out


def property_table(smiles: Sequence[str]) -> pd.DataFrame:
    """Properties of the valid molecules among ``smiles`` (for the distribution plots).

    Parameters
    ----------
    smiles : sequence of str, length n

    Returns
    -------
    DataFrame, shape (n_valid, 4)
        Columns ``mw``, ``logp``, ``qed``, ``sa``; one row per valid string, in input order
        (invalid strings are left out, repeats kept).
    """
    smiles = check_smiles("smiles", smiles)
    mols = [mol for mol in parse_molecules(smiles) if mol is not None]
    return pd.DataFrame(molecule_properties(mols), columns=list(PROPERTY_COLUMNS))


def _chemnet_input(smiles: str) -> str:
    """``smiles`` cut to at most :data:`FCD_MAX_CHARS` characters at a token boundary."""
    if len(smiles) <= FCD_MAX_CHARS:
        return smiles
    from fcd.utils import tokenize

    kept, length = [], 0
    for token in tokenize(smiles):
        if length + len(token) > FCD_MAX_CHARS:
            break
        kept.append(token)
        length += len(token)
    return "".join(kept)


@functools.lru_cache(maxsize=1)
def _chemnet() -> Any:
    """ChemNet, loaded once from the weights shipped inside the ``fcd`` package."""
    from fcd import load_ref_model

    return load_ref_model()


def chemnet_activations(smiles: Sequence[str], *, batch_size: int = 128) -> np.ndarray:
    """ChemNet's penultimate-layer activations, the features of the FCD.

    Parameters
    ----------
    smiles : sequence of str, length n
        Canonical SMILES of valid molecules; longer ones are cut (see the module docstring).
    batch_size : int
        Strings per forward pass.

    Returns
    -------
    ndarray of float32, shape (n, 512)
        Computed on CUDA when available (``fcd``'s default), in this process (no loader
        workers).
    """
    from fcd import get_predictions

    inputs = [_chemnet_input(s) for s in smiles]
    cut = sum(len(s) > FCD_MAX_CHARS for s in smiles)
    if cut:
        logger.warning("%d SMILES longer than %d characters cut for ChemNet", cut,
                       FCD_MAX_CHARS)
    with warnings.catch_warnings():
        # fcd 1.2.2 calls numpy's deprecated row_stack; nothing for us to act on
        warnings.filterwarnings("ignore", message=".*row_stack.*", category=DeprecationWarning)
        return get_predictions(_chemnet(), inputs, batch_size=batch_size, n_jobs=0)
