"""SimBoost-style features for drug-target affinity, learned from the training fold only.

SimBoost (He, Heikkinen, Sorensen & Saarela 2017, J. Cheminformatics 9:24) describes each
pair by statistics of its drug and its target over the known affinities, by their most
similar training drugs and targets, and by latent factors of the affinity matrix, then
fits gradient-boosted trees. :class:`SimBoostFeatures` builds, per drug and per target
(drugs compared by Tanimoto on Morgan bits, targets by the 3-mer spectrum kernel, as
:mod:`.kernels`):

- ``count``, ``mean``, ``std`` (population) and ``median`` of its training affinities;
- ``neighbour_mean``: the similarity-weighted mean of the mean affinities of its
  ``n_neighbors`` most similar *other* training entities, and ``neighbour_similarity``:
  its mean similarity to them;
- ``latent0 ..``: its factors in a rank-``n_factors`` factorisation ``U Vᵀ`` of the
  training affinity matrix centred on the training mean, missing entries skipped
  (:func:`als_factorise`);

and per pair ``mf_prediction`` = ``u_d · v_t`` followed by the drug and target blocks.
A drug or target with no training pair (unseen, cold start) has count 0, and its mean,
std, median and factors are the similarity-weighted averages of its neighbours' (the
training-set values when there is no neighbour). Similarity weights that are all zero
become equal weights.

No row's features contain its own label. ``transform`` (new pairs) reads only the
training tables. ``fit_transform`` on the training rows cross-fits, as scikit-learn's
``TargetEncoder`` does: the rows are split into ``cv`` seeded folds and each fold's
features come from tables fitted on the other folds, so a row's affinity is excluded
from its own drug and target statistics, factors and ``mf_prediction``. (Plain
leave-one-out statistics would leak: within a drug, the leave-one-out mean
``(n m - y) / (n - 1)`` is a decreasing function of the row's own ``y``, which trees
exploit. On Davis setting 1 the pipeline reached test MSE 0.353 with leave-one-out
features and 0.241 with 5-fold cross-fitting.) Hence ``fit(X, y).transform(X)`` differs
from ``fit_transform(X, y)`` on the training rows, by design; a scikit-learn ``Pipeline``
calls ``fit_transform`` when fitting and ``transform`` when predicting.
"""

from __future__ import annotations

import logging
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from xgboost import XGBRegressor

from neurocompare._errors import input_error
from neurocompare.pipelines.dti._input import PairInputMixin, check_pairs
from neurocompare.pipelines.dti.kernels import (
    kmer_counts,
    morgan_bits,
    spectrum_kernel,
    tanimoto,
    unique_inverse,
)

__all__ = ["SimBoostFeatures", "als_factorise", "entity_stats", "simboost_regressor"]

logger = logging.getLogger(__name__)


def entity_stats(index: np.ndarray, y: np.ndarray, n_entities: int) -> np.ndarray:
    """Count, mean, population std and median of the affinities of each entity.

    Parameters
    ----------
    index : ndarray of int, shape (n_pairs,)
        Entity (drug or target) of each pair.
    y : ndarray of float, shape (n_pairs,)
    n_entities : int

    Returns
    -------
    ndarray of float64, shape (n_entities, 4)
        Columns count, mean, std, median; NaN statistics for an entity with no pair.
    """
    count = np.bincount(index, minlength=n_entities)
    n = np.maximum(count, 1)
    mean = np.bincount(index, weights=y, minlength=n_entities) / n
    std = np.sqrt(np.bincount(index, weights=(y - mean[index]) ** 2, minlength=n_entities) / n)
    order = np.lexsort((y, index))
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    ordered, last = y[order], max(y.size - 1, 0)
    median = 0.5 * (ordered[np.minimum(start + (n - 1) // 2, last)]
                    + ordered[np.minimum(start + n // 2, last)])
    out = np.column_stack([count, mean, std, median]).astype(np.float64)
    out[count == 0, 1:] = np.nan
    return out


def _ridge_side(C: np.ndarray, S: np.ndarray, W: np.ndarray,
                alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge factors of the rows of an incomplete matrix given the column factors ``W``:
    returns the factors (n, f) and the inverted normal matrices (n, f, f)."""
    f = W.shape[1]
    outer = (W[:, :, None] * W[:, None, :]).reshape(W.shape[0], f * f)
    normal = (C @ outer).reshape(C.shape[0], f, f) + alpha * np.eye(f)
    inverse = np.linalg.inv(normal)
    return np.einsum("nfg,ng->nf", inverse, S @ W), inverse


def als_factorise(d_index: np.ndarray, t_index: np.ndarray, y: np.ndarray, n_drugs: int,
                  n_targets: int, n_factors: int, alpha: float, n_iter: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rank-``n_factors`` factorisation of an incomplete matrix by alternating ridge.

    Minimises ``sum_pairs (y - u_d · v_t)² + alpha (||U||² + ||V||²)`` by ``n_iter``
    sweeps (drug factors given target factors, then the reverse) from small random
    factors; a repeated pair counts as a repeated observation.

    Parameters
    ----------
    d_index, t_index : ndarray of int, shape (n_pairs,)
    y : ndarray of float, shape (n_pairs,)
        Affinities, already centred.
    n_drugs, n_targets, n_factors, n_iter : int
    alpha : float
        Ridge penalty, > 0.
    rng : numpy.random.Generator
        Draws the initial factors.

    Returns
    -------
    U : ndarray of float64, shape (n_drugs, n_factors)
    V : ndarray of float64, shape (n_targets, n_factors)
    """
    flat = d_index * n_targets + t_index
    C = np.bincount(flat, minlength=n_drugs * n_targets).reshape(n_drugs, n_targets)
    S = np.bincount(flat, weights=y, minlength=n_drugs * n_targets).reshape(n_drugs,
                                                                            n_targets)
    C = C.astype(np.float64)
    U = rng.normal(0.0, 0.1, (n_drugs, n_factors))
    V = rng.normal(0.0, 0.1, (n_targets, n_factors))
    for _ in range(n_iter):
        U, _ = _ridge_side(C, S, V, alpha)
        V, _ = _ridge_side(C.T, S.T, U, alpha)
    return U, V


def _neighbours(S: np.ndarray, own: np.ndarray, values: np.ndarray, n_neighbors: int,
                fallback: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Similarity-weighted mean of ``values`` over each query's nearest training
    entities (its own entry ``own >= 0`` excluded), and the mean similarity to them.

    Returns (weighted values (m, n_values), mean similarity (m,))."""
    S = S.astype(np.float64, copy=True)
    seen = own >= 0
    S[np.flatnonzero(seen), own[seen]] = -np.inf
    k = min(n_neighbors, S.shape[1])
    nearest = np.argpartition(-S, k - 1, axis=1)[:, :k]
    sims = np.take_along_axis(S, nearest, axis=1)
    valid = np.isfinite(sims)
    weights = np.where(valid, np.clip(sims, 0.0, None), 0.0)
    flat = weights.sum(axis=1) == 0
    weights[flat] = valid[flat]  # all-zero similarities: equal weights
    total = weights.sum(axis=1)
    none = total == 0
    mixed = np.einsum("mk,mkv->mv", weights, values[nearest]) / np.where(none, 1, total)[:, None]
    mixed[none] = fallback
    n_valid = valid.sum(axis=1)
    mean_sim = np.where(n_valid > 0, np.where(valid, sims, 0.0).sum(axis=1)
                        / np.maximum(n_valid, 1), 0.0)
    return mixed, mean_sim


def _block(stats: np.ndarray, latents: np.ndarray, near: np.ndarray,
           near_sim: np.ndarray) -> np.ndarray:
    """One entity block [count, mean, std, median, neighbour_mean, neighbour_similarity,
    latents]; rows with count 0 take mean, std, median and latents from ``near``."""
    own = np.hstack([stats[:, 1:], latents])
    empty = stats[:, 0] == 0
    own[empty] = near[empty]
    return np.column_stack([stats[:, 0], own[:, :3], near[:, 0], near_sim, own[:, 3:]])


def _check_int(name: str, value, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise input_error(name, f"an integer >= {minimum}", value)


class SimBoostFeatures(PairInputMixin, TransformerMixin, BaseEstimator):
    """SimBoost-style pair features from the training affinities (see the module notes).

    Parameters
    ----------
    n_neighbors : int
        Most similar training drugs (targets) summarised per drug (target).
    n_factors : int
        Rank of the matrix factorisation.
    mf_alpha : float
        Ridge penalty of the factorisation, > 0.
    mf_iter : int
        Alternating sweeps of the factorisation.
    cv : int
        Folds of the cross-fitted training features of ``fit_transform``, >= 2.
    radius, n_bits : int
        Morgan fingerprint of the drug similarity.
    k : int
        k-mer length of the target spectrum kernel (1 to 6).
    random_state : int or None
        Seed of the factorisation's initial factors and of the cross-fitting folds.

    Attributes
    ----------
    drugs_, targets_ : ndarray of str objects, shapes (n_drugs,), (n_targets,)
        Unique training SMILES and sequences (sorted).
    drug_bits_ : ndarray of bool, shape (n_drugs, n_bits)
    target_kmers_ : scipy.sparse.csr_matrix, shape (n_targets, 20**k)
    drug_stats_, target_stats_ : ndarray, shapes (n_drugs, 4), (n_targets, 4)
        Count, mean, std, median of the training affinities of each drug (target).
    drug_factors_, target_factors_ : ndarray, shapes (n_drugs, n_factors), (n_targets,
        n_factors)
        Factors of the training affinities centred on ``y_mean_``.
    y_mean_ : float
    fallback_ : ndarray, shape (3 + n_factors,)
        Mean, std and median of all training affinities, then zero factors: the
        neighbour values of an entity with no neighbour.
    feature_names_out_ : ndarray of str objects, shape (1 + 2 * (6 + n_factors),)
        ``mf_prediction``, ``drug_count``, ``drug_mean``, ``drug_std``, ``drug_median``,
        ``drug_neighbour_mean``, ``drug_neighbour_similarity``, ``drug_latent0`` ...,
        then the same with ``target_``.
    """

    def __init__(self, n_neighbors: int = 5, n_factors: int = 20, mf_alpha: float = 5.0,
                 mf_iter: int = 15, cv: int = 5, radius: int = 2, n_bits: int = 1024,
                 k: int = 3, random_state: int | None = 0):
        self.n_neighbors = n_neighbors
        self.n_factors = n_factors
        self.mf_alpha = mf_alpha
        self.mf_iter = mf_iter
        self.cv = cv
        self.radius = radius
        self.n_bits = n_bits
        self.k = k
        self.random_state = random_state

    def _fit(self, X, y) -> np.ndarray:
        """Fit the training tables; return the validated affinities."""
        for name, minimum in (("n_neighbors", 1), ("n_factors", 1), ("mf_iter", 1),
                              ("cv", 2), ("radius", 0), ("n_bits", 1)):
            _check_int(name, getattr(self, name), minimum)
        if isinstance(self.mf_alpha, bool) or not isinstance(self.mf_alpha, Real) or \
                not self.mf_alpha > 0:
            raise input_error("mf_alpha", "a positive float", self.mf_alpha)
        smiles, sequences = check_pairs(X)
        expected = f"finite training affinities, shape ({smiles.size},)"
        if y is None:
            raise input_error("y", expected, None, hint="SimBoostFeatures learns from y.")
        y = np.asarray(y, dtype=np.float64)
        if y.shape != (smiles.size,) or not np.isfinite(y).all():
            raise input_error("y", expected, f"shape {y.shape}")
        self.drugs_, first_d, d_index = unique_inverse(smiles)
        self.targets_, _, t_index = unique_inverse(sequences)
        self.drug_bits_ = morgan_bits(self.drugs_, self.radius, self.n_bits, rows=first_d)
        self.target_kmers_ = kmer_counts(self.targets_, self.k)
        self.y_mean_ = float(y.mean())
        self.drug_stats_ = entity_stats(d_index, y, self.drugs_.size)
        self.target_stats_ = entity_stats(t_index, y, self.targets_.size)
        self.drug_factors_, self.target_factors_ = als_factorise(
            d_index, t_index, y - self.y_mean_, self.drugs_.size, self.targets_.size,
            self.n_factors, float(self.mf_alpha), self.mf_iter,
            np.random.default_rng(self.random_state))
        self.fallback_ = np.concatenate([[self.y_mean_, y.std(), np.median(y)],
                                         np.zeros(self.n_factors)])
        names = ["count", "mean", "std", "median", "neighbour_mean", "neighbour_similarity",
                 *(f"latent{i}" for i in range(self.n_factors))]
        self.feature_names_out_ = np.array(
            ["mf_prediction", *(f"{side}_{n}" for side in ("drug", "target") for n in names)],
            dtype=object)
        return y

    def fit(self, X, y):
        """Learn the per-drug and per-target tables from training pairs.

        Parameters
        ----------
        X : array-like of str, shape (n_pairs, 2)
            (SMILES, amino-acid sequence) pairs.
        y : array-like of float, shape (n_pairs,)
            Training affinities (required).

        Returns
        -------
        self
        """
        self._fit(X, y)
        return self

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """Fit on all pairs, then return cross-fitted features of the training pairs.

        The pairs are split into ``cv`` seeded folds (fewer when there are fewer pairs);
        each fold's features are the ``transform`` of a copy fitted on the other folds,
        so no row's features contain its own affinity (see the module notes).

        Parameters
        ----------
        X : array-like of str, shape (n_pairs, 2)
        y : array-like of float, shape (n_pairs,)

        Returns
        -------
        ndarray of float64, shape (n_pairs, 1 + 2 * (6 + n_factors))
        """
        y = self._fit(X, y)
        if y.size < 2:
            raise input_error("X", "at least 2 training pairs (the training features are "
                                   "cross-fitted)", f"{y.size} pair")
        X = np.asarray(X, dtype=object)
        fold = np.random.default_rng(self.random_state).permutation(y.size) % self.cv
        out = np.empty((y.size, self.feature_names_out_.size))
        for f in range(min(self.cv, y.size)):
            held = fold == f
            out[held] = clone(self).fit(X[~held], y[~held]).transform(X[held])
        return out

    def transform(self, X) -> np.ndarray:
        """Features of any pairs from the training tables (no label of ``X`` is used).

        Parameters
        ----------
        X : array-like of str, shape (n_pairs, 2)

        Returns
        -------
        ndarray of float64, shape (n_pairs, 1 + 2 * (6 + n_factors))
        """
        check_is_fitted(self)
        smiles, sequences = check_pairs(X)
        drugs, first_d, d_index = unique_inverse(smiles)
        targets, _, t_index = unique_inverse(sequences)
        sides = ((drugs, d_index, self.drugs_, self.drug_stats_, self.drug_factors_,
                  tanimoto(morgan_bits(drugs, self.radius, self.n_bits, rows=first_d),
                           self.drug_bits_)),
                 (targets, t_index, self.targets_, self.target_stats_, self.target_factors_,
                  spectrum_kernel(kmer_counts(targets, self.k), self.target_kmers_)))
        blocks = []
        for query, index, known, stats, factors, K in sides:
            position = np.clip(np.searchsorted(known, query), 0, known.size - 1)
            own = np.where(known[position] == query, position, -1)
            near, near_sim = _neighbours(K, own, np.hstack([stats[:, 1:], factors]),
                                         self.n_neighbors, self.fallback_)
            seen = (own >= 0)[:, None]
            blocks.append(_block(np.where(seen, stats[own], 0.0),
                                 np.where(seen, factors[own], 0.0), near, near_sim)[index])
        f = self.n_factors
        mf = np.einsum("rf,rf->r", blocks[0][:, -f:], blocks[1][:, -f:])
        return np.column_stack([mf, *blocks])

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Output feature names, shape (1 + 2 * (6 + n_factors),)."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()


def simboost_regressor(random_state: int = 0) -> Pipeline:
    """SimBoost: :class:`SimBoostFeatures` followed by gradient-boosted trees.

    XGBoost settings: 600 trees of depth 6, learning rate 0.05, row and column
    subsampling 0.8, histogram tree method, one thread (``n_jobs=1``), seeded.

    Parameters
    ----------
    random_state : int
        Seed of the features (factorisation, cross-fitting folds) and of the trees.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``features`` and ``xgb``; fitting it fits the trees on the cross-fitted
        training features.
    """
    trees = XGBRegressor(n_estimators=600, max_depth=6, learning_rate=0.05, subsample=0.8,
                         colsample_bytree=0.8, tree_method="hist", n_jobs=1,
                         random_state=random_state, verbosity=0)
    return Pipeline([("features", SimBoostFeatures(random_state=random_state)),
                     ("xgb", trees)])
