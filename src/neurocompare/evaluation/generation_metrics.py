"""MOSES's metrics for molecule generators (pure functions).

Definitions follow MOSES (Polykovskiy et al. 2020, "Molecular Sets (MOSES)"), as its code
``moses/metrics/metrics.py`` computes them; per-molecule descriptors are in
:mod:`neurocompare.evaluation.generation_properties`. The test set's side is computed once
(:func:`reference_statistics`); :func:`generation_metrics` scores one set of samples.

Which molecules each metric sees, as in MOSES's ``get_all_metrics``:

* ``validity``: valid strings / all strings (the empty string is invalid); NaN when there are
  no strings at all.
* ``unique_<k>``: among the first ``k`` valid strings, in sample order with repeats, the
  fraction of distinct canonical SMILES. With fewer than ``k`` valid strings MOSES warns and
  uses those it has; so do we (a logged warning), because with ``n_samples`` = 10 000 a
  NaN would blank ``unique_10k`` for every generator below 100 % validity. Read it with
  ``n_valid``: over fewer molecules, uniqueness is easier. NaN with no valid string.
* ``novelty``: the distinct valid canonical SMILES not in the training set, over all distinct
  valid ones. Unlike MOSES, which takes its training set as canonical already, the training
  strings are canonicalised here first (invalid ones dropped).
* Everything else sees all valid molecules with repeats kept, as MOSES does: ``int_div1``,
  ``int_div2``, ``snn``, ``frag_sim``, ``scaf_sim``, ``w_*`` and ``fcd``. (Each distinct
  molecule is computed once and counted with its multiplicity, which gives the same numbers.)
* ``int_div<p>``: MOSES's code, ``1 - mean_i (mean_j T(i, j)^p)^(1/p)`` over all ordered
  pairs, self-pairs included, on Morgan fingerprints (radius 2, 1024 bits). For p = 2 this
  is not the paper's formula ``1 - (mean_ij T^p)^(1/p)`` (the root is taken per molecule,
  before the outer mean); we follow the code, which produced MOSES's published tables. A
  pair of empty fingerprints has Tanimoto 1 (MOSES; RDKit would say 0).
* ``snn``: mean over valid samples of the largest Tanimoto similarity to a test molecule.
* ``frag_sim`` / ``scaf_sim``: cosine similarity of BRICS fragment / Bemis–Murcko scaffold
  count vectors (scaffolds with fewer than two rings are not counted, as in MOSES); NaN when
  either side has nothing counted.
* ``w_mw``, ``w_logp``, ``w_qed``, ``w_sa``: ``scipy.stats.wasserstein_distance`` between the
  samples' and the test set's property values (MOSES's ``WassersteinMetric``).
* ``fcd``: Fréchet distance between Gaussians fitted to ChemNet activations of the canonical
  SMILES (package ``fcd`` 1.2.2: its ChemNet weights and ``calculate_frechet_distance``).
  NaN with ``fcd=False`` or fewer than two valid samples. Its numerical floor is about
  1e-5 and it can be that far below zero for identical sets; values are not clipped.

Similarities run on the 0/1 fingerprint matrices: intersections are a float32 matrix
product, exact because every partial sum is an integer below 2**24, in blocks of rows.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from scipy.spatial.distance import cosine
from scipy.stats import wasserstein_distance

from neurocompare._errors import input_error
from neurocompare.evaluation.generation_properties import (
    PROPERTY_COLUMNS,
    canonical_or_none,
    check_smiles,
    chemnet_activations,
    fragment_and_scaffold_counts,
    molecule_properties,
    morgan_fingerprints,
    parse_molecules,
    property_table,
)

__all__ = ["HIGHER_IS_BETTER", "METRIC_COLUMNS", "ReferenceStats", "canonical_or_none",
           "count_cosine", "generation_metrics", "internal_diversity",
           "nearest_neighbour_similarity", "property_table", "reference_statistics",
           "tanimoto_matrix", "unique_key"]

logger = logging.getLogger(__name__)

#: Rows of fingerprints per block of a similarity matrix (a block is rows x n float64).
_BLOCK = 512

#: The keys :func:`generation_metrics` returns with the default ``ks``, in display order.
METRIC_COLUMNS: tuple[str, ...] = (
    "n_samples", "n_valid", "validity", "unique_1k", "unique_10k", "novelty", "int_div1",
    "int_div2", "frag_sim", "scaf_sim", "snn", "fcd", "w_mw", "w_logp", "w_qed", "w_sa")

#: Direction of each metric of :data:`METRIC_COLUMNS`; the counts ``n_samples`` and
#: ``n_valid`` are descriptions, not scores, and have none.
HIGHER_IS_BETTER: dict[str, bool] = {
    "validity": True, "unique_1k": True, "unique_10k": True, "novelty": True,
    "int_div1": True, "int_div2": True, "frag_sim": True, "scaf_sim": True, "snn": True,
    "fcd": False, "w_mw": False, "w_logp": False, "w_qed": False, "w_sa": False}


def unique_key(k: int) -> str:
    """The column name of unique@k: ``unique_10k`` for 10 000, ``unique_500`` for 500."""
    return f"unique_{k // 1000}k" if k % 1000 == 0 else f"unique_{k}"


@dataclass(frozen=True, eq=False)
class ReferenceStats:
    """The test set's side of every metric, computed once by :func:`reference_statistics`.

    Attributes
    ----------
    smiles : tuple of str, length n_test
        Canonical SMILES of the valid test molecules, in input order, repeats kept.
    fingerprints : ndarray of uint8, shape (n_test, 1024)
        Morgan fingerprints (radius 2) as 0/1.
    fragments, scaffolds : dict of str to int
        BRICS fragment counts and Bemis–Murcko scaffold counts (two rings or more).
    properties : dict of str to ndarray, each shape (n_test,)
        ``mw``, ``logp``, ``qed``, ``sa``.
    fcd_mu : ndarray, shape (512,), or None
        Mean ChemNet activation; None when computed without FCD or from fewer than two
        molecules.
    fcd_sigma : ndarray, shape (512, 512), or None
        Covariance of the activations (``np.cov``, n - 1 denominator).
    """

    smiles: tuple[str, ...]
    fingerprints: np.ndarray
    fragments: dict[str, int]
    scaffolds: dict[str, int]
    properties: dict[str, np.ndarray]
    fcd_mu: np.ndarray | None = None
    fcd_sigma: np.ndarray | None = None


def _distinct(canonical: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Distinct strings in first-seen order and how often each occurs."""
    counts: dict[str, int] = {}
    for text in canonical:
        counts[text] = counts.get(text, 0) + 1
    return list(counts), np.fromiter(counts.values(), dtype=np.int64, count=len(counts))


def _chemnet_gaussian(distinct: Sequence[str], counts: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of ChemNet activations, each distinct string weighted by count."""
    activations = chemnet_activations(distinct).astype(np.float64)
    mu = np.average(activations, axis=0, weights=counts)
    sigma = np.cov(activations.T, fweights=counts)
    return mu, np.atleast_2d(sigma)


def reference_statistics(test_smiles: Sequence[str], *, fcd: bool = True) -> ReferenceStats:
    """Precompute the test set's side of the metrics.

    Parameters
    ----------
    test_smiles : sequence of str, length n
        Test molecules; invalid strings are dropped with a logged warning.
    fcd : bool
        Also compute ChemNet's mean and covariance (the slow part).

    Returns
    -------
    ReferenceStats
    """
    test_smiles = check_smiles("test_smiles", test_smiles)
    if not isinstance(fcd, bool):
        raise input_error("fcd", "a bool", fcd)
    start = time.perf_counter()
    mols = parse_molecules(test_smiles)
    if any(mol is None for mol in mols):
        logger.warning("%d of %d test SMILES are invalid and left out",
                       sum(mol is None for mol in mols), len(mols))
    mols = [mol for mol in mols if mol is not None]
    canonical = tuple(Chem.MolToSmiles(mol) for mol in mols)
    fingerprints = morgan_fingerprints(mols)
    fragments, scaffolds = fragment_and_scaffold_counts(mols)
    properties = molecule_properties(mols)
    mu = sigma = None
    if fcd and len(canonical) >= 2:
        mu, sigma = _chemnet_gaussian(*_distinct(canonical))
    elif fcd:
        logger.warning("FCD needs at least 2 valid test molecules, got %d", len(canonical))
    for array in (fingerprints, mu, sigma, *properties.values()):
        if array is not None:
            array.flags.writeable = False
    logger.info("reference statistics of %d test molecules in %.1f s", len(canonical),
                time.perf_counter() - start)
    return ReferenceStats(canonical, fingerprints, fragments, scaffolds, properties, mu, sigma)


def tanimoto_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Tanimoto similarities between the rows of two 0/1 fingerprint matrices.

    Parameters
    ----------
    a : ndarray, shape (n_a, n_bits)
    b : ndarray, shape (n_b, n_bits)
        0/1 entries, any numeric dtype (float32 input is used without a copy).

    Returns
    -------
    ndarray of float64, shape (n_a, n_b)
        ``|a & b| / |a | b|``; 1 where both fingerprints are empty (MOSES).
    """
    a32 = np.asarray(a, dtype=np.float32)
    b32 = np.asarray(b, dtype=np.float32)
    both = (a32 @ b32.T).astype(np.float64)
    either = a32.sum(axis=1, dtype=np.float64)[:, None] + b32.sum(axis=1, dtype=np.float64) - both
    with np.errstate(invalid="ignore", divide="ignore"):
        similarity = both / either
    similarity[either == 0] = 1.0
    return similarity


def internal_diversity(fingerprints: np.ndarray, counts: np.ndarray | None = None,
                       ps: Sequence[int] = (1, 2)) -> dict[int, float]:
    """MOSES's internal diversity ``1 - mean_i (mean_j T(i, j)^p)^(1/p)``, self-pairs included.

    Parameters
    ----------
    fingerprints : ndarray, shape (n, n_bits)
        0/1 fingerprints of distinct molecules.
    counts : ndarray of int, shape (n,), optional
        Multiplicity of each molecule in the set (all 1 when omitted); the result equals
        that of the matrix with each row repeated ``counts`` times.
    ps : sequence of int
        Powers p.

    Returns
    -------
    dict of int to float
        One value per p; NaN for an empty set.
    """
    n = len(fingerprints)
    counts = np.ones(n) if counts is None else np.asarray(counts, dtype=np.float64)
    if n == 0:
        return {p: float("nan") for p in ps}
    total = counts.sum()
    as_float = np.asarray(fingerprints, dtype=np.float32)
    sums = dict.fromkeys(ps, 0.0)
    for start in range(0, n, _BLOCK):
        similarity = tanimoto_matrix(as_float[start:start + _BLOCK], as_float)
        weights = counts[start:start + _BLOCK]
        for p in ps:
            row_means = (similarity if p == 1 else similarity ** p) @ counts / total
            sums[p] += float(weights @ row_means ** (1.0 / p))
    return {p: float(1.0 - sums[p] / total) for p in ps}


def nearest_neighbour_similarity(fingerprints: np.ndarray, reference: np.ndarray,
                                 counts: np.ndarray | None = None) -> float:
    """Mean over molecules of the largest Tanimoto similarity to a reference molecule (SNN).

    Parameters
    ----------
    fingerprints : ndarray, shape (n, n_bits)
    reference : ndarray, shape (n_ref, n_bits)
    counts : ndarray of int, shape (n,), optional
        Multiplicities (all 1 when omitted).

    Returns
    -------
    float
        NaN when either set is empty.
    """
    if len(fingerprints) == 0 or len(reference) == 0:
        return float("nan")
    counts = np.ones(len(fingerprints)) if counts is None else np.asarray(counts, float)
    reference32 = np.asarray(reference, dtype=np.float32)
    best = np.concatenate([tanimoto_matrix(fingerprints[s:s + _BLOCK], reference32).max(axis=1)
                           for s in range(0, len(fingerprints), _BLOCK)])
    return float(best @ counts / counts.sum())


def count_cosine(reference: Mapping[str, int], generated: Mapping[str, int]) -> float:
    """Cosine similarity of two count vectors given as ``{name: count}`` (absent = 0).

    Parameters
    ----------
    reference, generated : mapping of str to int

    Returns
    -------
    float
        NaN when either is empty (MOSES's ``cos_similarity``).
    """
    if not reference or not generated:
        return float("nan")
    keys = sorted(set(reference) | set(generated))
    u = np.array([reference.get(key, 0) for key in keys], dtype=np.float64)
    v = np.array([generated.get(key, 0) for key in keys], dtype=np.float64)
    return float(1.0 - cosine(u, v))


def _check_ks(ks: object) -> tuple[int, ...]:
    if (not isinstance(ks, (tuple, list)) or not ks
            or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in ks)):
        raise input_error("ks", "a non-empty tuple of positive ints", ks)
    return tuple(ks)


def _unique_fraction(valid_canonical: Sequence[str], k: int) -> float:
    if not valid_canonical:
        return float("nan")
    if len(valid_canonical) < k:
        logger.warning("unique@%d over all %d valid molecules, fewer than k (MOSES's rule)",
                       k, len(valid_canonical))
    first = valid_canonical[:k]
    return len(set(first)) / len(first)


def _fcd(reference: ReferenceStats, distinct: list[str], counts: np.ndarray) -> float:
    if reference.fcd_mu is None or reference.fcd_sigma is None:
        logger.warning("the reference has no FCD statistics (built with fcd=False or from "
                       "fewer than 2 molecules): fcd is NaN")
        return float("nan")
    if counts.sum() < 2:
        return float("nan")
    from fcd import calculate_frechet_distance

    mu, sigma = _chemnet_gaussian(distinct, counts)
    with warnings.catch_warnings():
        # fcd 1.2.2 passes scipy's deprecated ``disp`` to sqrtm (removed in scipy 1.18)
        warnings.filterwarnings("ignore", message=".*disp.*", category=DeprecationWarning)
        return float(calculate_frechet_distance(mu, sigma, reference.fcd_mu, reference.fcd_sigma))


def generation_metrics(samples: Sequence[str], train_smiles: Sequence[str],
                       reference: ReferenceStats, *, ks: tuple[int, ...] = (1000, 10000),
                       fcd: bool = True) -> dict[str, float]:
    """Score generated SMILES against a training set and a test set, as MOSES does.

    Parameters
    ----------
    samples : sequence of str, length n_samples
        Generated strings, in sampling order (unique@k reads the first k valid ones).
    train_smiles : sequence of str, length n_train
        The generator's training set (canonicalised here, once per call).
    reference : ReferenceStats
        The test set's statistics from :func:`reference_statistics`.
    ks : tuple of int
        The k of each unique@k.
    fcd : bool
        Compute the Fréchet ChemNet Distance (NaN otherwise).

    Returns
    -------
    dict of str to float
        :data:`METRIC_COLUMNS` in that order (the ``unique_*`` keys those of ``ks``, see
        :func:`unique_key`); definitions in the module docstring. With no valid sample,
        validity is 0 and every other score NaN.
    """
    samples = check_smiles("samples", samples)
    train_smiles = check_smiles("train_smiles", train_smiles)
    if not isinstance(reference, ReferenceStats):
        raise input_error("reference", "a ReferenceStats from reference_statistics()",
                          type(reference).__name__)
    ks = _check_ks(ks)
    if not isinstance(fcd, bool):
        raise input_error("fcd", "a bool", fcd)
    start = time.perf_counter()
    mols = parse_molecules(samples)
    valid_canonical = [Chem.MolToSmiles(mol) for mol in mols if mol is not None]
    distinct, counts = _distinct(valid_canonical)
    first_mol: dict[str, Chem.Mol] = {}
    for mol, text in zip((m for m in mols if m is not None), valid_canonical, strict=True):
        first_mol.setdefault(text, mol)
    distinct_mols = [first_mol[text] for text in distinct]
    n_valid = len(valid_canonical)
    nan = float("nan")

    out: dict[str, float] = {
        "n_samples": float(len(samples)), "n_valid": float(n_valid),
        "validity": n_valid / len(samples) if samples else nan}
    for k in ks:
        out[unique_key(k)] = _unique_fraction(valid_canonical, k)
    train_set = {Chem.MolToSmiles(mol) for mol in parse_molecules(train_smiles)
                 if mol is not None}
    out["novelty"] = (sum(text not in train_set for text in distinct) / len(distinct)
                      if distinct else nan)

    fingerprints = morgan_fingerprints(distinct_mols)
    diversity = internal_diversity(fingerprints, counts, ps=(1, 2))
    out["int_div1"], out["int_div2"] = diversity[1], diversity[2]
    fragments, scaffolds = fragment_and_scaffold_counts(distinct_mols, counts)
    out["frag_sim"] = count_cosine(reference.fragments, fragments)
    out["scaf_sim"] = count_cosine(reference.scaffolds, scaffolds)
    out["snn"] = nearest_neighbour_similarity(fingerprints, reference.fingerprints, counts)
    out["fcd"] = _fcd(reference, distinct, counts) if fcd else nan
    properties = molecule_properties(distinct_mols)
    for column in PROPERTY_COLUMNS:
        generated = np.repeat(properties[column], counts)
        generated = generated[~np.isnan(generated)]
        expected = reference.properties[column]
        expected = expected[~np.isnan(expected)]
        out[f"w_{column}"] = (float(wasserstein_distance(generated, expected))
                              if len(generated) and len(expected) else nan)
    logger.info("generation metrics of %d samples (%d valid, %d distinct) in %.1f s",
                len(samples), n_valid, len(distinct), time.perf_counter() - start)
    return out
