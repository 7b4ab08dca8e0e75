"""Operation counts of the molecule steps (leading-order formulas).

Registered on :func:`~neurocompare.cost.analytic.count_step` when this module is imported
(:mod:`neurocompare.cost.ledger` imports it). Per molecule, with the conventions of the EEG
steps (multiply-accumulates as MACs, comparisons and additions as ACs):

* Morgan fingerprints and MACCS keys: hashing and substructure matching, no arithmetic;
* RDKit descriptors: one test and select per descriptor (the training-median fill), the
  medians as parameters -- the descriptor computations themselves are graph algorithms
  without a MAC/AC form and are not counted;
* the Mol2Vec-style embedding: one vector addition per word of the molecule's sentence
  (``words x vector_size`` ACs), the word vectors as parameters;
* the Tanimoto-kernel SVM: per support vector the intersection and the two bit counts of
  the fingerprints (``3 n_features`` ACs), one division and one MAC with its dual
  coefficient; sigmoid calibration adds one MAC per class;
* forests, xgboost and ridge as for the other families (regressors have one output);
* the graph network: its analytic MACs (``macs_``, averaged over the training molecules);
  chemprop's D-MPNN: the bond and atom layers per directed bond and atom of the molecules
  counted, then its feed-forward head.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from torch import nn
from xgboost import XGBRegressor

from neurocompare.cost.analytic import (
    Count,
    Recurse,
    count_step,
    no_arithmetic,
    xgboost_count,
)
from neurocompare.pipelines.molecules.catalogue import TanimotoSVC, TanimotoSVR
from neurocompare.pipelines.molecules.chemprop_model import _ChempropBase
from neurocompare.pipelines.molecules.featurize import (
    MACCSKeys,
    MorganFingerprint,
    RDKitDescriptors,
    as_smiles,
    parse_smiles,
)
from neurocompare.pipelines.molecules.gcn import _MolGCNBase
from neurocompare.pipelines.molecules.mol2vec import Mol2VecEmbedding, mol_sentences

__all__: list[str] = []  # formulas only, reached through count_step

count_step.register(MorganFingerprint, no_arithmetic)
count_step.register(MACCSKeys, no_arithmetic)


@count_step.register(RDKitDescriptors)
def _descriptors(step: RDKitDescriptors, X, recurse: Recurse) -> Count:
    n = int(np.size(step.medians_))
    return Count(acs=n, params=n)


@count_step.register(Mol2VecEmbedding)
def _mol2vec(step: Mol2VecEmbedding, X, recurse: Recurse) -> Count:
    sentences = mol_sentences(parse_smiles(as_smiles(X)), int(step.radius))
    words = float(np.mean([len(s) for s in sentences])) if len(X) else 0.0
    return Count(acs=words * step.vector_size, params=int(np.size(step.vectors_)))


@count_step.register(TanimotoSVC)
@count_step.register(TanimotoSVR)
def _tanimoto_svm(step, X, recurse: Recurse) -> Count:
    n_sv, n_features = step.support_rows_.shape
    dual = step.model_.dual_coef_
    return Count(macs=n_sv * (1 + dual.shape[0]), acs=3 * n_sv * n_features,
                 params=step.support_rows_.size + dual.size + np.size(step.model_.intercept_))


@count_step.register(CalibratedClassifierCV)
def _calibrated(step: CalibratedClassifierCV, X, recurse: Recurse) -> Count:
    calibrated = step.calibrated_classifiers_[0]
    n = len(calibrated.calibrators)
    return recurse(calibrated.estimator, X) + Count(macs=n, params=2 * n)


@count_step.register(TransformedTargetRegressor)
def _transformed_target(step: TransformedTargetRegressor, X, recurse: Recurse) -> Count:
    return recurse(step.regressor_, X) + Count(macs=1, params=2)


@count_step.register(XGBRegressor)
def _xgb_regressor(step: XGBRegressor, X, recurse: Recurse) -> Count:
    return xgboost_count(step, X)


@count_step.register(_MolGCNBase)
def _graph_network(step, X, recurse: Recurse) -> Count:
    """The GCN's analytic MACs (averaged over the training molecules at fit)."""
    return Count(macs=float(step.macs_), params=float(step.n_params_))


@count_step.register(_ChempropBase)
def _chemprop(step, X, recurse: Recurse) -> Count:
    """D-MPNN (chemprop's ``BondMessagePassing``) per molecule of ``X``: the input layer on
    each directed bond, ``depth - 1`` message updates on each directed bond, the output layer
    on each atom, then the feed-forward head on the aggregated vector."""
    mp = step.model_.message_passing
    d_in, hidden = mp.W_i.in_features, mp.W_i.out_features
    d_out_in = mp.W_o.in_features
    mols = [Chem.MolFromSmiles(s) for s in as_smiles(X, "X")]
    atoms = float(np.mean([m.GetNumAtoms() for m in mols]))
    bonds = 2.0 * float(np.mean([m.GetNumBonds() for m in mols]))
    head = sum(layer.in_features * layer.out_features
               for layer in step.model_.predictor.modules() if isinstance(layer, nn.Linear))
    macs = bonds * d_in * hidden + (step.depth - 1) * bonds * hidden * hidden \
        + atoms * d_out_in * hidden + head
    return Count(macs=macs, acs=(step.depth - 1) * bonds * hidden,
                 params=float(step.n_params_))
