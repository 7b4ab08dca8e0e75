"""Deep molecule pipelines, as registry specs (:data:`MOLECULE_DEEP_SPECS`).

Every pipeline takes SMILES strings and serves classification and regression: ``build(info)``
returns a classifier or a regressor according to ``info.task``. Each network early-stops
on a validation split of the training fold and restores its best weights; regression
targets are standardised on the training fold (:mod:`.training`, :mod:`.chemprop_model`).
The last step is named ``model`` (after the traditional catalogue), and the fingerprint
step of ``mol-morgan-mlp`` is named ``features`` with the same parameters as the
traditional Morgan pipelines, so a fold's fingerprints are computed once for all of them.

=============== =========================================================================
pipeline        steps (classification / regression)
=============== =========================================================================
mol-morgan-mlp  Morgan r2 2048 bits -> MLP 2048-512-128-out (ReLU, dropout 0.2; Adam
                1e-3, batch 64, <= 100 epochs, patience 10)
mol-gcn         molecular graph (atom and bond features) -> 3 GINE layers of 128,
                mean+max+sum readout, MLP head (Adam 1e-3, batch 32, <= 100 epochs,
                patience 10)
mol-chemprop    chemprop 2 D-MPNN with its CLI defaults (depth 3, 300 hidden, norm
                aggregation, FFN 300, Noam schedule, batch 64, <= 50 epochs), patience 10
=============== =========================================================================

The networks train on CUDA when one is available (``device="auto"``) and use the torch
thread count the runner sets (``n_threads=None``).
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from neurocompare._errors import check_option
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.molecules.chemprop_model import (
    ChempropClassifier,
    ChempropRegressor,
)
from neurocompare.pipelines.molecules.featurize import MorganFingerprint
from neurocompare.pipelines.molecules.gcn import MolGCNClassifier, MolGCNRegressor
from neurocompare.pipelines.molecules.mlp import (
    FingerprintMLPClassifier,
    FingerprintMLPRegressor,
)
from neurocompare.pipelines.spec import PipelineSpec

__all__ = ["MOLECULE_DEEP_SPECS"]

KINDS = ("molecules",)
TASKS = ("classification", "regression")
#: Parameters every network of this catalogue is built with.
_RUNTIME = {"device": "auto", "n_threads": None}


def _pick(info: SignalInfo, classifier: type[BaseEstimator],
          regressor: type[BaseEstimator]) -> BaseEstimator:
    check_option("info.task", info.task, TASKS)
    estimator = regressor if info.task == "regression" else classifier
    return estimator(**_RUNTIME)


def _morgan_mlp(info: SignalInfo) -> Pipeline:
    model = _pick(info, FingerprintMLPClassifier, FingerprintMLPRegressor)
    return Pipeline([("features", MorganFingerprint(radius=2, n_bits=2048, counts=False)),
                     ("model", model)])


def _gcn(info: SignalInfo) -> Pipeline:
    return Pipeline([("model", _pick(info, MolGCNClassifier, MolGCNRegressor))])


def _chemprop(info: SignalInfo) -> Pipeline:
    return Pipeline([("model", _pick(info, ChempropClassifier, ChempropRegressor))])


def _spec(name: str, description: str,
          build: Callable[[SignalInfo], BaseEstimator]) -> PipelineSpec:
    return PipelineSpec(name, "deep", description, build, kinds=KINDS, tasks=TASKS)


MOLECULE_DEEP_SPECS: list[PipelineSpec] = [
    _spec("mol-morgan-mlp", "Morgan fingerprint (radius 2, 2048 bits) -> MLP (512-128, "
          "dropout 0.2), early stopping on a split of the training fold", _morgan_mlp),
    _spec("mol-gcn", "graph network over the molecular graph (3 GINE layers with bond "
          "features, mean+max+sum readout), early stopping on a split of the training "
          "fold", _gcn),
    _spec("mol-chemprop", "chemprop 2 D-MPNN (depth 3, 300 hidden, CLI defaults), early "
          "stopping on a split of the training fold", _chemprop),
]
