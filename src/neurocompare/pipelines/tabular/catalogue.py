"""Pipelines for clinical and structural tables, as registry specs (:data:`TABULAR_SPECS`).

Every pipeline starts with median imputation fitted on the training fold (tables keep
their NaNs until then), so no statistic of a test row ever reaches training. Class
imbalance is handled by resampling *inside* the training fold: the ``*-smote`` and
``*-ros`` pipelines end in an imbalanced-learn ``Pipeline`` (sampler -> classifier), which
resamples only in ``fit`` and never at prediction, and which sits as the last step so
the shared imputation/scaling prefix is still computed once per fold.

============== ======================================================================
pipeline       steps
============== ======================================================================
tab-lr         impute -> standardise -> L2 logistic regression (C=1)
tab-lasso-lr   impute -> standardise -> L1 logistic regression as a selector (C=0.5;
               features with a non-zero weight) -> L2 logistic regression
tab-lr-smote   impute -> standardise -> [SMOTE (5 neighbours) -> L2 logistic regression]
tab-rf         impute -> random forest (500 trees, min 3 samples per leaf)
tab-rf-ros     impute -> [random over-sampling -> random forest]
tab-xgb        impute -> xgboost (200 depth-3 trees, lr 0.05)
tab-lgbm       impute -> LightGBM (200 trees, 7 leaves, lr 0.05, min 10 per leaf)
tab-mlp        impute -> standardise -> MLP (32-16 units, dropout 0.3, weight decay 1e-2),
               early stopping on a split of the training fold (deep)
============== ======================================================================

Regression (a table whose task is regression, e.g. ``oasis-cross-sectional:target=mmse``):
``tab-lr`` fits ridge regression (alpha 1) instead, ``tab-rf``, ``tab-xgb`` and
``tab-lgbm`` the regressor of the same model and settings, and ``tab-mlp`` the same
network and recipe with a squared-error loss on the standardised target
(:class:`~neurocompare.pipelines.molecules.mlp.FingerprintMLPRegressor`, a plain numeric
MLP). The selection and resampling pipelines stay classification-only.
"""

from __future__ import annotations

from collections.abc import Callable

from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.feature_selection import SelectFromModel
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.wrappers import EncodedLabelClassifier
from neurocompare.pipelines.connectome.networks import NetClassifier
from neurocompare.pipelines.molecules.mlp import FingerprintMLPRegressor
from neurocompare.pipelines.spec import PipelineSpec

__all__ = ["TABULAR_SPECS"]

KINDS = ("tabular",)


def _head(scale: bool = True) -> list[tuple[str, BaseEstimator]]:
    steps: list[tuple[str, BaseEstimator]] = [("impute", SimpleImputer(strategy="median"))]
    return [*steps, ("scaler", StandardScaler())] if scale else steps


def _lr() -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=1000, random_state=0)


def _rf() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=500, min_samples_leaf=3, n_jobs=1,
                                  random_state=0)


def _regression(info: SignalInfo) -> bool:
    return info.task == "regression"


def _tab_lr(info: SignalInfo) -> Pipeline:
    return Pipeline([*_head(), ("lr", Ridge(alpha=1.0) if _regression(info) else _lr())])


def _tab_lasso_lr(info: SignalInfo) -> Pipeline:
    lasso = LogisticRegression(l1_ratio=1.0, C=0.5, solver="saga", max_iter=5000,
                               random_state=0)
    return Pipeline([*_head(), ("select", SelectFromModel(lasso, threshold=1e-5)),
                     ("lr", _lr())])


def _tab_lr_smote(info: SignalInfo) -> Pipeline:
    balanced = ImbPipeline([("smote", SMOTE(k_neighbors=5, random_state=0)), ("lr", _lr())])
    return Pipeline([*_head(), ("clf", balanced)])


def _tab_rf(info: SignalInfo) -> Pipeline:
    forest = RandomForestRegressor(n_estimators=500, min_samples_leaf=3, n_jobs=1,
                                   random_state=0) if _regression(info) else _rf()
    return Pipeline([*_head(scale=False), ("rf", forest)])


def _tab_rf_ros(info: SignalInfo) -> Pipeline:
    balanced = ImbPipeline([("ros", RandomOverSampler(random_state=0)), ("rf", _rf())])
    return Pipeline([*_head(scale=False), ("clf", balanced)])


def _tab_xgb(info: SignalInfo) -> Pipeline:
    settings = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.05,
                "tree_method": "hist", "n_jobs": 1, "random_state": 0, "verbosity": 0}
    model = XGBRegressor(**settings) if _regression(info) else \
        EncodedLabelClassifier(XGBClassifier(**settings))
    return Pipeline([*_head(scale=False), ("xgb", model)])


def _tab_lgbm(info: SignalInfo) -> Pipeline:
    settings = {"n_estimators": 200, "num_leaves": 7, "learning_rate": 0.05,
                "min_child_samples": 10, "n_jobs": 1, "random_state": 0, "verbose": -1}
    booster = LGBMRegressor(**settings) if _regression(info) else LGBMClassifier(**settings)
    return Pipeline([*_head(scale=False), ("lgbm", booster)])


def _tab_mlp(info: SignalInfo) -> Pipeline:
    if _regression(info):
        regressor = FingerprintMLPRegressor(hidden=(32, 16), dropout=0.3, max_epochs=200,
                                            batch_size=32, lr=1e-3, weight_decay=1e-2,
                                            valid_size=0.2, patience=30)
        return Pipeline([*_head(), ("net", regressor)])
    net = NetClassifier(model="mlp", model_params={"hidden": (32, 16), "dropout": 0.3},
                        max_epochs=200, batch_size=32, lr=1e-3, weight_decay=1e-2,
                        patience=30)
    return Pipeline([*_head(), ("net", net)])


BOTH = ("classification", "regression")


def _spec(name: str, family: str, description: str,
          build: Callable[[SignalInfo], BaseEstimator],
          tasks: tuple[str, ...] = ("classification",)) -> PipelineSpec:
    return PipelineSpec(name, family, description, build, kinds=KINDS, tasks=tasks)


TABULAR_SPECS: list[PipelineSpec] = [
    _spec("tab-lr", "traditional", "median imputation (in the fold) -> standardise -> L2 "
          "logistic regression (regression: ridge)", _tab_lr, BOTH),
    _spec("tab-lasso-lr", "traditional", "median imputation -> standardise -> L1 (LASSO) "
          "logistic-regression feature selection -> L2 logistic regression", _tab_lasso_lr),
    _spec("tab-lr-smote", "traditional", "median imputation -> standardise -> SMOTE on the "
          "training fold only (imbalanced-learn) -> L2 logistic regression", _tab_lr_smote),
    _spec("tab-rf", "traditional", "median imputation -> random forest (500 trees)", _tab_rf,
          BOTH),
    _spec("tab-rf-ros", "traditional", "median imputation -> random over-sampling of the "
          "training fold (imbalanced-learn) -> random forest (500 trees)", _tab_rf_ros),
    _spec("tab-xgb", "traditional", "median imputation -> xgboost (200 depth-3 trees)",
          _tab_xgb, BOTH),
    _spec("tab-lgbm", "traditional", "median imputation -> LightGBM (200 trees, 7 leaves)",
          _tab_lgbm, BOTH),
    _spec("tab-mlp", "deep", "median imputation -> standardise -> regularised MLP (32-16, "
          "dropout 0.3, weight decay), early stopping on a split of the training fold",
          _tab_mlp, BOTH),
]
