"""Connectome and ROI time-series pipelines, as registry specs (:data:`CONNECTOME_SPECS`).

Every pipeline starts from the ``timeseries`` kind (one (n_timepoints_i, n_rois) series per
subject) and learns everything inside the training fold: the connectivity measure (for
tangent, the reference covariance), scalers and networks.

Traditional (``fc-*``): nilearn connectivity -> classifier, as the ABIDE anchors
(Abraham et al. 2017; ../shared/ANCHORS.md) -- no scaling between the connectome and the
linear model; graph measures and persistent-homology features are standardised first.
Deep: an MLP on the vectorised correlations, BrainNetCNN and a GCN on correlation
matrices, a 1D-CNN and a GRU on the ROI series cropped/padded to the training fold's
median length.

Training defaults of the networks (all ``set_params(net__...)``-overridable): AdamW with a
cosine schedule, batch 32, early stopping on a stratified 20 % split of the training fold
(patience 10, best weights restored), at most 50 epochs, weight decay 1e-2 (1e-3 for the
series models); lr 1e-3 except the MLP (1e-4, 19900 inputs). Sizes are kept CPU-friendly
for 200 ROIs: BrainNetCNN has 8 edge-to-edge filters (Kawahara et al. used 32 on 90 ROIs;
even so it costs ~12 s per epoch of 700 ABIDE subjects on one core), the GCN 32 hidden
units.

Shared prefixes (computed once per fold): ``fc-corr-*`` and ``fc-mlp`` share the vectorised
correlation; ``fc-graph-lr``, ``fc-persistence-lr``, ``fc-brainnetcnn`` and ``fc-gcn`` the
correlation matrices; ``fc-partial-*`` and ``fc-tangent-*`` their measures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC, LinearSVR

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.connectome.networks import NetClassifier
from neurocompare.pipelines.connectome.transformers import (
    Connectivity,
    FixedLength,
    GraphMeasures,
    PersistenceFeatures,
)
from neurocompare.pipelines.molecules.mlp import FingerprintMLPRegressor
from neurocompare.pipelines.sites.combat import SiteHarmonizer
from neurocompare.pipelines.sites.pipeline import SitePipeline
from neurocompare.pipelines.spec import PipelineSpec

__all__ = ["CONNECTOME_SPECS", "NET_TRAINING"]

KINDS = ("timeseries",)
BOTH = ("classification", "regression")
_KIND_LABELS = {"corr": "correlation", "partial": "partial correlation", "tangent": "tangent"}

#: Training settings of the networks (``NetClassifier`` keyword arguments).
NET_TRAINING: dict[str, dict[str, Any]] = {
    "mlp": {"lr": 1e-4, "weight_decay": 1e-2,
            "model_params": {"hidden": (64,), "dropout": 0.5, "input_dropout": 0.2}},
    "brainnetcnn": {"lr": 1e-3, "weight_decay": 1e-2, "model_params": {"e2e": 8}},
    "gcn": {"lr": 1e-3, "weight_decay": 1e-2, "model_params": {"k": 10, "hidden": 32}},
    "roi_cnn1d": {"lr": 1e-3, "weight_decay": 1e-3, "standardize": True},
    "roi_gru": {"lr": 1e-3, "weight_decay": 1e-3, "standardize": True},
}
#: Shared by every network: epochs, batch and early-stopping patience.
_COMMON = {"max_epochs": 50, "batch_size": 32, "patience": 10}

_CLASSIFIERS: dict[str, tuple[str, Callable[[], BaseEstimator]]] = {
    "lr": ("L2 logistic regression (C=1)",
           lambda: LogisticRegression(C=1.0, max_iter=1000, random_state=0)),
    "svm": ("linear SVM (C=1)", lambda: LinearSVC(C=1.0, max_iter=10000, random_state=0)),
    "rf": ("random forest (300 trees)",
           lambda: RandomForestClassifier(n_estimators=300, n_jobs=1, random_state=0)),
}


#: The regressor standing in for each classifier on a regression target (e.g. age): the
#: ridge penalty is chosen by efficient leave-one-out inside the training fold.
_REGRESSORS: dict[str, tuple[str, Callable[[], BaseEstimator]]] = {
    "lr": ("ridge (alpha by leave-one-out in the training fold, 1e-1..1e5)",
           lambda: RidgeCV(alphas=np.logspace(-1, 5, 13))),
    "svm": ("linear SVR (C=1)", lambda: LinearSVR(C=1.0, max_iter=10000, random_state=0)),
    "rf": ("random forest regressor (300 trees, sqrt features per split)",
           lambda: RandomForestRegressor(n_estimators=300, max_features="sqrt", n_jobs=1,
                                         random_state=0)),
}


def _connectivity(kind: str, vectorize: bool = True) -> tuple[str, Connectivity]:
    return "connectivity", Connectivity(kind=_KIND_LABELS[kind], vectorize=vectorize)


def _net(model: str) -> NetClassifier:
    settings = _COMMON | NET_TRAINING[model]
    params = settings.pop("model_params", None)
    return NetClassifier(model=model, model_params=dict(params) if params else None,
                         **settings)


def _connectome_spec(kind: str, classifier: str) -> PipelineSpec:
    label, factory = _CLASSIFIERS[classifier]
    regression_label, regressor = _REGRESSORS[classifier]

    def build(info: SignalInfo) -> BaseEstimator:
        model = regressor() if info.task == "regression" else factory()
        return Pipeline([_connectivity(kind), (classifier, model)])

    build.__name__ = f"build_fc_{kind}_{classifier}"
    return PipelineSpec(f"fc-{kind}-{classifier}", "traditional",
                        f"nilearn {_KIND_LABELS[kind]} connectome (Ledoit-Wolf, fitted in the "
                        f"training fold), lower triangle -> {label} (regression: "
                        f"{regression_label})", build, kinds=KINDS, tasks=BOTH)


def _combat_spec(kind: str) -> PipelineSpec:
    def build(info: SignalInfo) -> BaseEstimator:
        return SitePipeline([_connectivity(kind), ("combat", SiteHarmonizer()),
                             ("lr", _CLASSIFIERS["lr"][1]())])

    build.__name__ = f"build_fc_{kind}_combat_lr"
    return PipelineSpec(f"fc-{kind}-combat-lr", "traditional",
                        f"nilearn {_KIND_LABELS[kind]} connectome (fitted in the training "
                        "fold) -> ComBat across sites (empirical Bayes, estimated on the "
                        "training subjects; sites unseen in training left unadjusted) -> "
                        "L2 logistic regression (C=1); needs a 'site' metadata column",
                        build, kinds=KINDS)


def _graph_lr(info: SignalInfo) -> Pipeline:
    return Pipeline([_connectivity("corr", vectorize=False),
                     ("graph", GraphMeasures(density=0.1)), ("scaler", StandardScaler()),
                     ("lr", LogisticRegression(C=0.1, max_iter=1000, random_state=0))])


def _persistence_lr(info: SignalInfo) -> Pipeline:
    return Pipeline([_connectivity("corr", vectorize=False),
                     ("persistence", PersistenceFeatures(n_bins=40, maxdim=1)),
                     ("scaler", StandardScaler()),
                     ("lr", LogisticRegression(C=0.1, max_iter=1000, random_state=0))])


def _mlp(info: SignalInfo) -> Pipeline:
    if info.task == "regression":  # same width, dropout, optimiser and stopping
        settings = _COMMON | NET_TRAINING["mlp"]
        net = FingerprintMLPRegressor(
            hidden=settings["model_params"]["hidden"],
            dropout=settings["model_params"]["dropout"], max_epochs=settings["max_epochs"],
            batch_size=settings["batch_size"], lr=settings["lr"],
            weight_decay=settings["weight_decay"], valid_size=0.2,
            patience=settings["patience"])
    else:
        net = _net("mlp")
    return Pipeline([_connectivity("corr"), ("scaler", StandardScaler()), ("net", net)])


def _matrix_net(model: str) -> Callable[[SignalInfo], BaseEstimator]:
    def build(info: SignalInfo) -> BaseEstimator:
        return Pipeline([_connectivity("corr", vectorize=False), ("net", _net(model))])
    build.__name__ = f"build_{model}"
    return build


def _series_net(model: str) -> Callable[[SignalInfo], BaseEstimator]:
    def build(info: SignalInfo) -> BaseEstimator:
        return Pipeline([("crop", FixedLength()), ("net", _net(model))])
    build.__name__ = f"build_{model}"
    return build


CONNECTOME_SPECS: list[PipelineSpec] = [
    *(_connectome_spec(kind, clf) for kind in _KIND_LABELS for clf in _CLASSIFIERS),
    _combat_spec("corr"),
    _combat_spec("tangent"),
    PipelineSpec("fc-graph-lr", "traditional",
                 "correlation connectome thresholded to 10% density -> degree, strength, "
                 "clustering, nodal/global efficiency, transitivity -> standardise -> "
                 "L2 logistic regression (C=0.1)", _graph_lr, kinds=KINDS),
    PipelineSpec("fc-persistence-lr", "traditional",
                 "Vietoris-Rips persistence (ripser) on the correlation distance "
                 "sqrt(2(1-r)) -> H0/H1 Betti curves + lifetimes -> standardise -> "
                 "L2 logistic regression (C=0.1)", _persistence_lr, kinds=KINDS),
    PipelineSpec("fc-mlp", "deep",
                 "vectorised correlation connectome -> standardise -> MLP (64 units, "
                 "dropout), early stopping on a split of the training fold (regression: "
                 "the same MLP on standardised targets, without input dropout)", _mlp,
                 kinds=KINDS, tasks=BOTH),
    PipelineSpec("fc-brainnetcnn", "deep",
                 "correlation matrices -> BrainNetCNN (edge-to-edge, edge-to-node, "
                 "node-to-graph convolutions), early stopping on a split of the training fold",
                 _matrix_net("brainnetcnn"), kinds=KINDS),
    PipelineSpec("fc-gcn", "deep",
                 "graph per subject (ROIs with their correlation profile, 10 strongest |r| "
                 "edges per ROI) -> 2-layer GCN (torch-geometric, 32 units) -> mean+max "
                 "pooling",
                 _matrix_net("gcn"), kinds=KINDS),
    PipelineSpec("roi-cnn1d", "deep",
                 "ROI series cropped/zero-padded to the training median length -> 1D-CNN "
                 "(ROIs as channels) -> global average pooling", _series_net("roi_cnn1d"),
                 kinds=KINDS),
    PipelineSpec("roi-gru", "deep",
                 "ROI series cropped/zero-padded to the training median length -> GRU "
                 "(32 units) -> mean over time", _series_net("roi_gru"), kinds=KINDS),
]
