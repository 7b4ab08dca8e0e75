"""Drug-target affinity pipelines (``dti-*``), as registry specs (:data:`DTI_SPECS`).

Every pipeline reads (SMILES, sequence) pairs (kind ``"pairs"``) and predicts the affinity.

Traditional:

* ``dti-kronrls`` -- Kronecker regularised least squares (Pahikkala et al. 2015), the DeepDTA
  paper's similarity baseline: drug-drug Tanimoto on Morgan bits, target-target normalised
  3-mer spectrum kernel (standing in for Smith-Waterman, too costly here), the ridge penalty
  chosen on a hold-out split of the training pairs.
* ``dti-simboost`` -- SimBoost-style gradient boosting (He et al. 2017): per-drug and
  per-target statistics of the training affinities, similarity-neighbour features and matrix
  factorisation latents (cross-fitted on the training rows) -> xgboost.
* ``dti-xgb`` / ``dti-rf`` -- Morgan bits (radius 2, 1024) of the drug + amino-acid and
  dipeptide composition (420) of the target -> xgboost / random forest.

Deep (each with early stopping on a validation split of its training fold):

* ``dti-mlp`` -- the same pair features -> MLP (512-128, dropout 0.2, Adam 1e-3).
* ``dti-deepdta`` -- DeepDTA (Ozturk et al. 2018): 1-D CNNs over the SMILES characters and
  over the sequence, dense head; DeepDTA's recipe (:mod:`.deepdta`), its input lengths per
  dataset (``info.extra``: Davis 85 / 1200, KIBA 100 / 1000).
* ``dti-graphdta`` -- GraphDTA-style (Nguyen et al. 2021, GCN variant): the molecular graph
  through three GCN layers, the same protein CNN, dense head (:mod:`.graphdta`).
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import Pipeline
from xgboost import XGBRegressor

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.dti.deepdta import DeepDTARegressor
from neurocompare.pipelines.dti.features import PairFeatures
from neurocompare.pipelines.dti.graphdta import GraphDTARegressor
from neurocompare.pipelines.dti.kronrls import KronRLSRegressor
from neurocompare.pipelines.dti.simboost import simboost_regressor
from neurocompare.pipelines.molecules.mlp import FingerprintMLPRegressor
from neurocompare.pipelines.spec import PipelineSpec

__all__ = ["DTI_SPECS"]

KINDS = ("pairs",)
TASKS = ("regression",)


def _lengths(info: SignalInfo) -> tuple[int, int]:
    return int(info.extra.get("smiles_len", 85)), int(info.extra.get("protein_len", 1200))


def _kronrls(info: SignalInfo) -> BaseEstimator:
    return KronRLSRegressor()


def _simboost(info: SignalInfo) -> BaseEstimator:
    return simboost_regressor()


def _xgb(info: SignalInfo) -> Pipeline:
    return Pipeline([("features", PairFeatures()), ("model", XGBRegressor(
        n_estimators=500, max_depth=6, learning_rate=0.05, subsample=0.8,
        colsample_bytree=0.5, tree_method="hist", n_jobs=1, random_state=0, verbosity=0))])


def _rf(info: SignalInfo) -> Pipeline:
    return Pipeline([("features", PairFeatures()), ("model", RandomForestRegressor(
        n_estimators=300, max_features="sqrt", min_samples_leaf=2, n_jobs=1,
        random_state=0))])


def _mlp(info: SignalInfo) -> Pipeline:
    return Pipeline([("features", PairFeatures()), ("model", FingerprintMLPRegressor(
        hidden=(512, 128), dropout=0.2, max_epochs=100, batch_size=256, lr=1e-3,
        valid_size=0.1, patience=10))])


def _deepdta(info: SignalInfo) -> BaseEstimator:
    smiles_len, protein_len = _lengths(info)
    return DeepDTARegressor(smiles_len=smiles_len, protein_len=protein_len)


def _graphdta(info: SignalInfo) -> BaseEstimator:
    return GraphDTARegressor(protein_len=_lengths(info)[1])


def _spec(name: str, family: str, description: str,
          build: Callable[[SignalInfo], BaseEstimator]) -> PipelineSpec:
    return PipelineSpec(name, family, description, build, kinds=KINDS, tasks=TASKS)


DTI_SPECS: list[PipelineSpec] = [
    _spec("dti-kronrls", "traditional", "KronRLS: Tanimoto (Morgan) x 3-mer spectrum kernels, "
          "conjugate gradients, ridge penalty on a hold-out of the training pairs", _kronrls),
    _spec("dti-simboost", "traditional", "SimBoost-style features (training-affinity "
          "statistics, similarity neighbours, matrix-factorisation latents; cross-fitted) "
          "-> xgboost (600 trees)", _simboost),
    _spec("dti-xgb", "traditional", "Morgan bits (1024) + amino-acid/dipeptide composition "
          "(420) -> xgboost (500 depth-6 trees)", _xgb),
    _spec("dti-rf", "traditional", "Morgan bits (1024) + amino-acid/dipeptide composition "
          "(420) -> random forest (300 trees)", _rf),
    _spec("dti-mlp", "deep", "Morgan bits + amino-acid/dipeptide composition -> MLP "
          "(512-128, dropout 0.2), early stopping on a split of the training fold", _mlp),
    _spec("dti-deepdta", "deep", "DeepDTA: CNNs over SMILES characters and the sequence "
          "(32/64/96 filters), dense 1024-1024-512, Adam 1e-3, batch 256, up to 100 epochs "
          "with early stopping", _deepdta),
    _spec("dti-graphdta", "deep", "GraphDTA-style: 3 GCN layers on the molecular graph + the "
          "DeepDTA protein CNN, dense head, early stopping", _graphdta),
]
