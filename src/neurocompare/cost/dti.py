"""Operation counts of the drug-target steps (leading-order formulas).

Registered on :func:`~neurocompare.cost.analytic.count_step` when this module is imported
(:mod:`neurocompare.cost.ledger` imports it). Per pair, with the conventions of the other
families (multiply-accumulates as MACs, comparisons and additions as ACs); the Morgan
fingerprint and the k-mer counting are hashing and indexing, not counted:

* pair features (Morgan bits + composition): no arithmetic;
* KronRLS: the Tanimoto row of the drug against the ``n_d`` training drugs (intersection and
  bit counts, ``3 n_bits`` ACs and one division each), the spectrum-kernel row of the target
  against the ``n_t`` training targets (one MAC per shared non-zero k-mer, bounded by the
  target's ``nnz`` k-mers), then ``k_d^T A k_t``: ``n_d n_t + n_t`` MACs; ``A`` as parameters;
* SimBoost features: the two similarity rows as for KronRLS, the weighted neighbour means
  (``n_neighbors`` MACs per statistic), the latent dot product (``n_factors`` MACs); the
  per-entity tables as parameters;
* the pair networks (DeepDTA, GraphDTA): their ``macs_`` per pair at the encoded lengths.
"""

from __future__ import annotations

import numpy as np

from neurocompare.cost.analytic import Count, Recurse, count_step, no_arithmetic
from neurocompare.pipelines.dti._input import check_pairs
from neurocompare.pipelines.dti.deepdta import PairNetBase
from neurocompare.pipelines.dti.features import PairFeatures
from neurocompare.pipelines.dti.kernels import kmer_counts
from neurocompare.pipelines.dti.kronrls import KronRLSRegressor
from neurocompare.pipelines.dti.simboost import SimBoostFeatures

__all__: list[str] = []  # formulas only, reached through count_step

count_step.register(PairFeatures, no_arithmetic)


def _kernel_rows(step, X) -> tuple[float, float]:
    """MACs and ACs of one pair's Tanimoto and spectrum rows against the training set."""
    n_drugs, n_bits = step.drug_bits_.shape
    _, sequences = check_pairs(X)
    nnz = float(np.mean(np.diff(kmer_counts(sequences, step.k).indptr)))
    n_targets = step.target_kmers_.shape[0]
    return n_targets * nnz + n_drugs, 3.0 * n_drugs * n_bits


@count_step.register(KronRLSRegressor)
def _kronrls(step: KronRLSRegressor, X, recurse: Recurse) -> Count:
    macs, acs = _kernel_rows(step, X)
    n_drugs, n_targets = step.A_.shape
    return Count(macs=macs + n_drugs * n_targets + n_targets, acs=acs,
                 params=float(step.A_.size + 1))


@count_step.register(SimBoostFeatures)
def _simboost(step: SimBoostFeatures, X, recurse: Recurse) -> Count:
    macs, acs = _kernel_rows(step, X)
    tables = sum(np.size(getattr(step, name)) for name in (
        "drug_stats_", "target_stats_", "drug_factors_", "target_factors_"))
    return Count(macs=macs + 8.0 * step.n_neighbors + step.n_factors, acs=acs,
                 params=float(tables))


@count_step.register(PairNetBase)
def _pair_network(step, X, recurse: Recurse) -> Count:
    """DeepDTA / GraphDTA: their ``macs_`` per pair (computed at fit)."""
    return Count(macs=float(step.macs_), params=float(step.n_params_))
