"""Analytic operation counts per prediction (one trial): the dispatcher and generic steps.

:func:`count_step` is one :func:`functools.singledispatch` function ``count_step(step, X,
recurse) -> Count``, dispatched on the step's type (the nearest registered base class wins),
where ``X`` is the step's input for a few trials and ``recurse`` counts a nested estimator.
Each formula registers itself next to its definition: the generic scikit-learn steps here,
the EEG and transfer steps in :mod:`.analytic_eeg`, the connectome and clinical-table steps in
:mod:`.tables` (:mod:`neurocompare.cost.ledger` imports all three before it counts). Counts
are multiply-accumulates (MACs: a multiplication and an addition) and accumulates (ACs:
an addition, subtraction or comparison, no multiplication). Logarithms, exponentials,
square roots and divisions by a constant are not counted. ``F`` features, ``K`` classes (or
decision rows):

============================ ==============================================================
step                         per-trial count
============================ ==============================================================
linear models (LDA, LR,      ``K F`` MACs + ``K`` ACs (intercepts); a linear SVC counted in
linear SVC)                  its primal form (libsvm evaluates ``n_SV F`` kernel products)
``SVC`` (other kernels)      ``n_SV F`` MACs + ``n_SV F`` ACs + ``n_SV K`` MACs
``StandardScaler``           ``F`` MACs
trees, forests, AdaBoost     comparisons (ACs) on the trial's measured decision paths
                             (``dense``: the trees' depths), + ``n_trees K`` ACs of averaging
XGBoost (via the wrapper)    same, depths from the booster's tree table
``KNeighborsClassifier``     brute force: ``n_train F`` MACs + ``n_train (F + 1)`` ACs
``MLPClassifier``            ``sum in * out`` MACs + ``sum out`` ACs
stacking, grid search,       the fitted estimators inside (stacking: every base estimator
label wrapper, Optuna        plus the combiner on their outputs)
picks, selection             0 (indexing)
============================ ==============================================================

A step type without a registered formula makes :func:`count_step` return None; the ledger
then reports NaN counts and logs a warning, so no number is made up. Parameters are the
numbers a prediction reads (8 bytes each, float64).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import AdaBoostClassifier, StackingClassifier
from sklearn.ensemble._forest import BaseForest
from sklearn.feature_selection import SelectorMixin
from sklearn.linear_model._base import LinearClassifierMixin, LinearModel
from sklearn.model_selection._search import BaseSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm._base import BaseSVC
from sklearn.tree import BaseDecisionTree

from neurocompare.pipelines.common.steps import PickChannels
from neurocompare.pipelines.common.tuning import OptunaSearch
from neurocompare.pipelines.common.wrappers import EncodedLabelClassifier

__all__ = ["Count", "Recurse", "count_step", "linear", "no_arithmetic", "xgboost_count"]

Recurse = Callable[[BaseEstimator, np.ndarray], "Count"]


@dataclass
class Count:
    """Per-trial operation counts of one step (NaN: unknown)."""

    macs: float = 0.0
    acs: float = 0.0
    dense: float = math.nan  # NaN: macs + acs
    params: float = 0.0
    param_bytes: float = math.nan  # NaN: 8 * params
    zero_weights: float = 0.0
    n_weights: float = 0.0
    zero_activations: float = 0.0
    n_activations: float = 0.0

    def __post_init__(self) -> None:
        if math.isnan(self.dense):
            self.dense = self.macs + self.acs
        if math.isnan(self.param_bytes):
            self.param_bytes = 8.0 * self.params

    def __add__(self, other: Count) -> Count:
        return Count(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                        for f in fields(self)})

    @classmethod
    def unknown(cls) -> Count:
        """All counts NaN."""
        return cls(**{f.name: math.nan for f in fields(cls)})


@functools.singledispatch
def count_step(step: BaseEstimator, X, recurse: Recurse) -> Count | None:
    """Per-trial counts of one fitted step by the formula registered for its type.

    Parameters
    ----------
    step : estimator
        A fitted step (not a ``Pipeline``: the ledger walks those).
    X : array-like, shape (n_trials, ...)
        The step's input for a few trials.
    recurse : callable
        ``recurse(estimator, X) -> Count`` counts a nested fitted estimator.

    Returns
    -------
    Count or None
        None when no formula is registered for the step's type or a base class of it.
    """
    return None


def _n_features(X) -> int:
    return int(np.prod(np.asarray(X).shape[1:]))


def linear(coef: np.ndarray, intercept: np.ndarray | float = 0.0) -> Count:
    """A linear decision function ``X @ coef.T + intercept``."""
    coef = np.atleast_2d(np.asarray(coef))
    rows, n_features = coef.shape
    n_intercept = np.size(intercept)
    return Count(macs=rows * n_features, acs=rows, params=coef.size + n_intercept,
                 zero_weights=float((coef == 0).sum()), n_weights=float(coef.size))


@count_step.register(PickChannels)
def no_arithmetic(step, X, recurse: Recurse) -> Count:
    """Indexing, reshaping or cropping steps: no operation, no parameter."""
    return Count()


@count_step.register(LinearClassifierMixin)
@count_step.register(LinearModel)  # linear regressors: ridge (CV), linear SVR, lasso...
def _linear_model(step, X, recurse: Recurse) -> Count:
    return linear(step.coef_, getattr(step, "intercept_", 0.0))


@count_step.register(BaseSVC)
def _svc(step, X, recurse: Recurse) -> Count:
    if step.kernel == "linear":
        return linear(step.coef_, step.intercept_)
    n_sv, n_features = step.support_vectors_.shape
    rows = step.dual_coef_.shape[0]
    return Count(macs=n_sv * n_features + n_sv * rows, acs=n_sv * n_features,
                 params=step.support_vectors_.size + step.dual_coef_.size + step.intercept_.size)


@count_step.register(StandardScaler)
def _scaler(step: StandardScaler, X, recurse: Recurse) -> Count:
    n = _n_features(X)
    return Count(macs=n, params=2 * n)


@count_step.register(SelectorMixin)
def _selector(step: SelectorMixin, X, recurse: Recurse) -> Count:
    return Count(params=int(step.get_support().sum()))


def _tree_params(tree) -> float:
    leaves = tree.n_leaves
    return 2 * (tree.node_count - leaves) + leaves * tree.value.shape[-1]


def _trees(trees: list, X) -> Count:
    X = np.ascontiguousarray(X, dtype=np.float32).reshape(len(X), -1)
    acs = dense = params = 0.0
    for tree in trees:  # the low-level tree skips per-call validation (fast for 300 trees)
        acs += float(tree.tree_.decision_path(X).sum(axis=1).mean()) - 1
        dense += tree.tree_.max_depth
        params += _tree_params(tree.tree_)
    return Count(acs=acs, dense=dense, params=params)


@count_step.register(BaseDecisionTree)
def _tree(step, X, recurse: Recurse) -> Count:
    return _trees([step], X)


@count_step.register(BaseForest)
def _forest(step: BaseForest, X, recurse: Recurse) -> Count:
    outputs = len(step.classes_) if hasattr(step, "classes_") else step.n_outputs_
    voting = Count(acs=len(step.estimators_) * outputs)
    return _trees(step.estimators_, X) + voting


@count_step.register(AdaBoostClassifier)
def _adaboost(step: AdaBoostClassifier, X, recurse: Recurse) -> Count:
    return _trees(list(step.estimators_), X) + Count(acs=len(step.estimators_),
                                                    params=len(step.estimators_))


def xgboost_count(booster, X) -> Count:
    """Comparisons along the path of each tree (mean over trials), one addition per tree."""
    table = booster.get_booster().trees_to_dataframe()
    depth, internal = {}, 0
    rows = zip(table["ID"], table["Feature"], table["Yes"], table["No"], strict=True)
    for node, feature, yes, no in rows:  # parents come before their children
        depth.setdefault(node, 0)
        if feature != "Leaf":
            internal += 1
            depth[yes] = depth[no] = depth[node] + 1
    leaves_depth = table[table["Feature"] == "Leaf"]["ID"].map(depth)
    n_trees = table["Tree"].nunique()
    dense = float(table[table["Feature"] == "Leaf"].assign(d=leaves_depth)
                  .groupby("Tree")["d"].max().sum())
    leaf_ids = booster.get_booster().predict(_dmatrix(X), pred_leaf=True)
    leaf_ids = np.atleast_2d(leaf_ids).reshape(len(X), -1)
    paths = [[depth[f"{tree}-{int(leaf)}"] for tree, leaf in enumerate(row)] for row in leaf_ids]
    comparisons = float(np.mean([sum(p) for p in paths]))
    return Count(acs=comparisons + n_trees, dense=dense + n_trees,
                 params=2 * internal + (len(table) - internal))


def _dmatrix(X):
    import xgboost

    return xgboost.DMatrix(np.asarray(X, dtype=np.float32))


@count_step.register(EncodedLabelClassifier)
def _encoded(step: EncodedLabelClassifier, X, recurse: Recurse) -> Count:
    inner = step.estimator_
    if type(inner).__name__ in ("XGBClassifier", "XGBRFClassifier"):
        return xgboost_count(inner, X)
    return recurse(inner, X)


@count_step.register(KNeighborsClassifier)
def _knn(step: KNeighborsClassifier, X, recurse: Recurse) -> Count:
    n_fit, n_features = step.n_samples_fit_, step.n_features_in_
    return Count(macs=n_fit * n_features, acs=n_fit * (n_features + 1),
                 params=n_fit * (n_features + 1))


@count_step.register(MLPClassifier)
def _mlp(step: MLPClassifier, X, recurse: Recurse) -> Count:
    total = Count()
    for coef, intercept in zip(step.coefs_, step.intercepts_, strict=True):
        total = total + linear(coef.T, intercept)
    return total


@count_step.register(StackingClassifier)
def _stacking(step: StackingClassifier, X, recurse: Recurse) -> Count:
    total = Count()
    for estimator in step.estimators_:
        if estimator != "drop":
            total = total + recurse(estimator, X)
    return total + recurse(step.final_estimator_, step.transform(X))


@count_step.register(BaseSearchCV)
def _search(step: BaseSearchCV, X, recurse: Recurse) -> Count:
    return recurse(step.best_estimator_, X)


@count_step.register(OptunaSearch)
def _optuna(step: OptunaSearch, X, recurse: Recurse) -> Count:
    return recurse(step.best_estimator_, X)
