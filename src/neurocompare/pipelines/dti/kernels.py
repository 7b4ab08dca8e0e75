"""Drug and target similarity kernels and featurisers for drug-target pairs (pure functions).

Drugs are compared by the Tanimoto similarity of folded Morgan fingerprints (RDKit's
``GetMorganGenerator``, as :mod:`neurocompare.pipelines.molecules.featurize`); targets by
the normalised spectrum kernel (Leslie, Eskin & Noble 2002): the cosine between the
vectors counting each k-mer of the 20 standard amino acids. The KronRLS baseline of
DeepDTA (Öztürk et al. 2018) used Smith-Waterman alignment scores between targets; those
cost one dynamic programme per pair of sequences (about 10^5 pairs of ~10^3 residues on
Davis), too slow on a CPU budget, so the spectrum kernel, a positive semi-definite
alignment-free similarity, stands in for them.

Only the 20 standard amino acids ``ACDEFGHIKLMNPQRSTVWY`` are counted; sequences are
upper-cased first, and any k-mer (or residue) containing another letter (``X``, ``U``,
``B``, ``Z``, gaps, ...) is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from rdkit import Chem, rdBase

from neurocompare._errors import input_error
from neurocompare.pipelines.molecules.featurize import morgan_matrix

__all__ = [
    "AMINO_ACIDS",
    "composition",
    "composition_names",
    "kmer_counts",
    "morgan_bits",
    "spectrum_kernel",
    "tanimoto",
    "unique_inverse",
]

logger = logging.getLogger(__name__)

#: The 20 standard amino acids, in the column order of every k-mer feature.
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
_MAX_K = 6  # 20**6 = 64M columns: larger k gives almost only unique k-mers anyway

_CODES = np.full(256, 255, dtype=np.uint8)  # byte -> amino-acid index, 255 = not standard
_CODES[np.frombuffer(AMINO_ACIDS.encode("ascii"), dtype=np.uint8)] = np.arange(20)


def unique_inverse(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique strings of a column, with the first row and the inverse index of each.

    Parameters
    ----------
    values : ndarray of str objects, shape (n,)

    Returns
    -------
    unique : ndarray of str objects, shape (n_unique,)
        Sorted unique strings.
    first : ndarray of int, shape (n_unique,)
        Row of ``values`` where each unique string first occurs (for error messages).
    inverse : ndarray of int, shape (n,)
        ``unique[inverse] == values``.
    """
    unique, first, inverse = np.unique(np.asarray(values, dtype=object), return_index=True,
                                       return_inverse=True)
    return unique, first, inverse.ravel()


def morgan_bits(smiles: Sequence[str], radius: int = 2, n_bits: int = 1024, *,
                name: str = "X", rows: Sequence[int] | None = None) -> np.ndarray:
    """Folded Morgan fingerprints of SMILES strings, as a boolean matrix.

    Parameters
    ----------
    smiles : sequence of str, length n
    radius : int
        Largest environment radius (2 gives ECFP4).
    n_bits : int
        Fingerprint length.
    name : str
        Name of the pair array in error messages.
    rows : sequence of int, length n, optional
        Row of the pair array each SMILES comes from, reported in errors; defaults to
        ``0 .. n-1``.

    Returns
    -------
    ndarray of bool, shape (n, n_bits)

    Raises
    ------
    InputError
        For the first SMILES RDKit cannot parse (or that has no atom), naming its row.
    """
    mols = parse_smiles(smiles, name=name, rows=rows)
    return morgan_matrix(mols, radius=radius, n_bits=n_bits).astype(bool)


def parse_smiles(smiles: Sequence[str], *, name: str = "X",
                 rows: Sequence[int] | None = None) -> list[Chem.Mol]:
    """RDKit molecules of SMILES strings, or an input error naming the first bad row.

    Parameters
    ----------
    smiles : sequence of str, length n
    name : str
        Name of the pair array in error messages.
    rows : sequence of int, length n, optional
        Row of the pair array each SMILES comes from (default ``0 .. n-1``).

    Returns
    -------
    list of rdkit.Chem.Mol, length n
    """
    rows = range(len(smiles)) if rows is None else rows
    with rdBase.BlockLogs():  # RDKit would also print its parse errors to stderr
        mols = [Chem.MolFromSmiles(text) for text in smiles]
    for row, text, mol in zip(rows, smiles, mols, strict=True):
        if mol is None or mol.GetNumAtoms() == 0:
            raise input_error(f"{name}[{row}, 0]", "a SMILES string that RDKit can parse",
                              text, hint=f"Fix or drop row {row}.")
    return mols


def tanimoto(A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """Tanimoto similarity between the rows of two bit matrices.

    ``|a & b| / |a | b|``, computed for all pairs with one matrix product; equal to RDKit's
    ``DataStructs.BulkTanimotoSimilarity``. Two empty fingerprints have similarity 0 (as
    in RDKit), so an all-zero row is similar to nothing, itself included.

    Parameters
    ----------
    A : ndarray of bool (or 0/1), shape (n_a, n_bits)
    B : ndarray of bool (or 0/1), shape (n_b, n_bits), optional
        Defaults to ``A``.

    Returns
    -------
    ndarray of float64, shape (n_a, n_b)
    """
    A = np.asarray(A, dtype=np.float64)
    B = A if B is None else np.asarray(B, dtype=np.float64)
    common = A @ B.T
    union = A.sum(axis=1)[:, None] + B.sum(axis=1)[None, :] - common
    out = np.zeros_like(common)
    np.divide(common, union, out=out, where=union > 0)
    return out


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= _MAX_K:
        raise input_error("k", f"an integer k-mer length from 1 to {_MAX_K}", k)


def _codes(sequence: str) -> np.ndarray:
    """Amino-acid indices 0..19 of an upper-cased sequence, 255 for other letters."""
    raw = np.frombuffer(sequence.upper().encode("ascii", errors="replace"), dtype=np.uint8)
    return _CODES[raw]


def kmer_counts(sequences: Sequence[str], k: int = 3) -> sp.csr_matrix:
    """Count the k-mers of each sequence over the 20 standard amino acids.

    Column ``sum_j index(s[j]) * 20**(k-1-j)`` counts k-mer ``s`` (``AMINO_ACIDS`` order,
    so column 0 is ``AA...A``). Sequences are upper-cased; k-mers containing a letter
    outside the 20 standard amino acids are skipped, and a sequence with no standard
    k-mer has an all-zero row.

    Parameters
    ----------
    sequences : sequence of str, length n
    k : int
        k-mer length, 1 to 6.

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (n, 20**k)
    """
    _check_k(k)
    powers = 20 ** np.arange(k - 1, -1, -1, dtype=np.int64)
    row_parts, col_parts = [], []
    for row, sequence in enumerate(sequences):
        codes = _codes(sequence)
        if codes.size < k:
            continue
        windows = np.lib.stride_tricks.sliding_window_view(codes, k)
        valid = (windows < 20).all(axis=1)
        columns = windows[valid].astype(np.int64) @ powers
        row_parts.append(np.full(columns.size, row, dtype=np.int64))
        col_parts.append(columns)
    rows = np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(col_parts) if col_parts else np.zeros(0, dtype=np.int64)
    counts = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(len(sequences), 20 ** k))
    return counts.tocsr()  # duplicates (repeated k-mers) are summed here


def _unit_rows(counts) -> sp.csr_matrix:
    counts = sp.csr_matrix(counts, dtype=np.float64)
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.diags(scale) @ counts


def spectrum_kernel(A, B=None) -> np.ndarray:
    """Normalised spectrum kernel: the cosine between k-mer count vectors.

    ``<a, b> / (||a|| ||b||)`` (Leslie et al. 2002), 1 on the diagonal; a row with no
    k-mer (all zeros) has similarity 0 to everything, itself included.

    Parameters
    ----------
    A : scipy.sparse matrix or ndarray, shape (n_a, n_kmers)
        k-mer counts, e.g. from :func:`kmer_counts`.
    B : scipy.sparse matrix or ndarray, shape (n_b, n_kmers), optional
        Defaults to ``A``.

    Returns
    -------
    ndarray of float64, shape (n_a, n_b)
    """
    left = _unit_rows(A)
    right = left if B is None else _unit_rows(B)
    return np.asarray((left @ right.T).toarray())


def composition_names() -> list[str]:
    """Names of the :func:`composition` columns: ``aa_A`` ... ``aa_Y``, ``dp_AA`` ...
    ``dp_YY`` (420 names)."""
    return [f"aa_{a}" for a in AMINO_ACIDS] + \
        [f"dp_{a}{b}" for a in AMINO_ACIDS for b in AMINO_ACIDS]


def composition(sequences: Sequence[str]) -> np.ndarray:
    """Amino-acid and dipeptide composition of protein sequences.

    The first 20 columns are the frequency of each standard amino acid among the
    sequence's standard residues; the next 400 the frequency of each dipeptide among its
    dipeptides of two standard residues (:func:`kmer_counts` with k = 1 and 2), so each
    part of a row sums to 1 (or is all zero when the sequence has no standard residue or
    dipeptide).

    Parameters
    ----------
    sequences : sequence of str, length n

    Returns
    -------
    ndarray of float32, shape (n, 420)
        Columns as :func:`composition_names`.
    """
    parts = []
    for k in (1, 2):
        counts = kmer_counts(sequences, k).toarray()
        totals = counts.sum(axis=1, keepdims=True)
        parts.append(np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0))
    return np.hstack(parts).astype(np.float32)
