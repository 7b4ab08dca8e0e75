"""Traditional molecule pipelines, as registry specs (:data:`MOLECULE_SPECS`).

Every pipeline takes SMILES strings, computes one fixed representation
(:mod:`~neurocompare.pipelines.molecules.featurize`, or a Mol2Vec embedding trained on the
training fold, :mod:`~neurocompare.pipelines.molecules.mol2vec`) and fits one model. Each
spec serves classification and regression: ``build(info)`` returns a classifier or a
regressor according to ``info.task``. The featuriser is always the first step, named
``features``, and the model the second, named ``model``, so the evaluation's shared-prefix
cache computes each fingerprint once per fold for every model that uses it.

=================== ==================================================================
pipeline            features -> model (classification / regression)
=================== ==================================================================
mol-morgan-rf       Morgan r2 2048 bits -> random forest (500 trees)
mol-morgan-xgb      Morgan r2 2048 bits -> xgboost (its defaults: 100 depth-6 trees,
                    learning rate 0.3; the anchor names only the features)
mol-morgan-counts-rf Morgan r2 2048 counts -> random forest (500 trees)
mol-descriptors-rf  RDKit 2-D descriptors (training-median filled) -> random forest
mol-descriptors-xgb RDKit 2-D descriptors -> xgboost (defaults)
mol-maccs-rf        MACCS keys (167 bits) -> random forest (500 trees)
mol-morgan-svm      Morgan r2 2048 bits -> Tanimoto-kernel SVM (C=1; Platt-calibrated
                    probabilities / SVR on the standardised target, epsilon 0.1)
mol-morgan-linear   Morgan r2 2048 bits -> L2 logistic regression (C=1) / ridge (alpha=1)
mol-mol2vec-rf      Mol2Vec embedding (radius 1, 100 dims, trained in the fold) -> RF
=================== ==================================================================

The Tanimoto (Jaccard) kernel is the field's similarity for fingerprints; it is a valid
(positive semi-definite) kernel on binary vectors, so the SVM uses it as a precomputed
kernel (:func:`tanimoto_kernel`, :class:`TanimotoSVC`, :class:`TanimotoSVR`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from xgboost import XGBClassifier, XGBRegressor

from neurocompare._errors import check_option
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.common.wrappers import EncodedLabelClassifier
from neurocompare.pipelines.molecules.featurize import (
    MACCSKeys,
    MorganFingerprint,
    RDKitDescriptors,
)
from neurocompare.pipelines.molecules.mol2vec import Mol2VecEmbedding
from neurocompare.pipelines.spec import PipelineSpec

__all__ = ["MOLECULE_SPECS", "TanimotoSVC", "TanimotoSVR", "tanimoto_kernel"]

KINDS = ("molecules",)
TASKS = ("classification", "regression")


def tanimoto_kernel(A: np.ndarray, B: np.ndarray | None = None) -> np.ndarray:
    """Tanimoto similarity between the rows of ``A`` and ``B``.

    ``<a, b> / (<a, a> + <b, b> - <a, b>)``: on binary fingerprints, shared bits over
    bits set in either (RDKit's ``TanimotoSimilarity``); on real vectors, its continuous
    extension. Two all-zero rows have similarity 0, as in RDKit.

    Parameters
    ----------
    A : ndarray, shape (n_a, n_features)
    B : ndarray, shape (n_b, n_features), optional
        Defaults to ``A``.

    Returns
    -------
    ndarray of float64, shape (n_a, n_b)
    """
    A = np.asarray(A, dtype=np.float64)
    B = A if B is None else np.asarray(B, dtype=np.float64)
    dot = A @ B.T
    denominator = np.einsum("ij,ij->i", A, A)[:, None] + np.einsum("ij,ij->i", B, B)[None, :]
    denominator -= dot
    out = np.zeros_like(dot)
    np.divide(dot, denominator, out=out, where=denominator > 0)
    return out


class _TanimotoKernelModel(BaseEstimator):
    """Fit a precomputed-kernel libsvm model on the Tanimoto kernel of ``X``; keep only
    the support rows for prediction."""

    def _fit_kernel(self, X, y, model) -> None:
        self.model_ = model.fit(tanimoto_kernel(X), y)
        self.support_rows_ = X[self.model_.support_]
        self.n_train_ = X.shape[0]

    def _cross_kernel(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        # libsvm reads only the support columns of a precomputed kernel
        kernel = np.zeros((X.shape[0], self.n_train_))
        kernel[:, self.model_.support_] = tanimoto_kernel(X, self.support_rows_)
        return kernel

    def predict(self, X):
        """Predict for fingerprints ``X``, shape (n_samples, n_features); returns shape
        (n_samples,)."""
        kernel = self._cross_kernel(X)
        return self.model_.predict(kernel)


class TanimotoSVC(ClassifierMixin, _TanimotoKernelModel):
    """Support-vector classifier on the Tanimoto kernel of fingerprints.

    Parameters
    ----------
    C : float
        Regularisation (libsvm's C).
    class_weight : dict, "balanced" or None
    random_state : int or None
        Passed to :class:`~sklearn.svm.SVC`.

    Attributes
    ----------
    model_ : SVC
        The fitted ``SVC(kernel="precomputed")``.
    support_rows_ : ndarray of float64, shape (n_support, n_features)
    classes_ : ndarray, shape (n_classes,)
    n_features_in_ : int

    Notes
    -----
    No ``predict_proba``: scikit-learn deprecates ``SVC(probability=True)``; the catalogue
    wraps this classifier in ``CalibratedClassifierCV`` for probabilities. ``fit`` holds
    the (n_samples, n_samples) float64 training kernel: 590 MB for 8,600 molecules.
    """

    def __init__(self, C: float = 1.0, class_weight=None, random_state: int | None = 0):
        self.C = C
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y):
        """Fit on fingerprints ``X``, shape (n_samples, n_features), labels ``y``, shape
        (n_samples,)."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self._fit_kernel(X, y, SVC(kernel="precomputed", C=self.C,
                                   class_weight=self.class_weight,
                                   random_state=self.random_state))
        self.classes_ = self.model_.classes_
        return self

    def decision_function(self, X):
        """SVC decision values, shape (n_samples,) for two classes, else (n_samples,
        n_classes)."""
        kernel = self._cross_kernel(X)
        return self.model_.decision_function(kernel)


class TanimotoSVR(RegressorMixin, _TanimotoKernelModel):
    """Epsilon support-vector regression on the Tanimoto kernel of fingerprints.

    Parameters
    ----------
    C : float
        Regularisation (libsvm's C).
    epsilon : float
        Width of the insensitive tube, in units of the target.

    Attributes
    ----------
    model_ : SVR
        The fitted ``SVR(kernel="precomputed")``.
    support_rows_ : ndarray of float64, shape (n_support, n_features)
    n_features_in_ : int
    """

    def __init__(self, C: float = 1.0, epsilon: float = 0.1):
        self.C = C
        self.epsilon = epsilon

    def fit(self, X, y):
        """Fit on fingerprints ``X``, shape (n_samples, n_features), targets ``y``, shape
        (n_samples,)."""
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=True)
        self._fit_kernel(X, y, SVR(kernel="precomputed", C=self.C, epsilon=self.epsilon))
        return self


def _morgan(counts: bool = False) -> MorganFingerprint:
    return MorganFingerprint(radius=2, n_bits=2048, counts=counts)


def _rf(task: str) -> BaseEstimator:
    forest = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return forest(n_estimators=500, n_jobs=1, random_state=0)


def _xgb(task: str) -> BaseEstimator:
    # xgboost's defaults, written out (100 trees, depth 6, learning rate 0.3)
    settings = {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.3,
                "tree_method": "hist", "n_jobs": 1, "random_state": 0, "verbosity": 0}
    if task == "classification":
        return EncodedLabelClassifier(XGBClassifier(**settings))
    return XGBRegressor(**settings)


def _svm(task: str) -> BaseEstimator:
    if task == "classification":
        # scikit-learn's replacement for the deprecated SVC(probability=True): Platt
        # scaling fitted on 5-fold decision values of the training fold
        return CalibratedClassifierCV(TanimotoSVC(C=1.0, random_state=0), method="sigmoid",
                                      cv=5, ensemble=False)
    return TransformedTargetRegressor(TanimotoSVR(C=1.0, epsilon=0.1),
                                      transformer=StandardScaler())


def _linear(task: str) -> BaseEstimator:
    if task == "classification":
        return LogisticRegression(C=1.0, max_iter=2000, random_state=0)
    return Ridge(alpha=1.0)


def _builder(features: Callable[[], BaseEstimator],
             model: Callable[[str], BaseEstimator]) -> Callable[[SignalInfo], Pipeline]:
    def build(info: SignalInfo) -> Pipeline:
        task = check_option("info.task", info.task, TASKS)
        return Pipeline([("features", features()), ("model", model(task))])
    return build


def _spec(name: str, description: str, features: Callable[[], BaseEstimator],
          model: Callable[[str], BaseEstimator]) -> PipelineSpec:
    return PipelineSpec(name, "traditional", description, _builder(features, model),
                        kinds=KINDS, tasks=TASKS)


MOLECULE_SPECS: list[PipelineSpec] = [
    _spec("mol-morgan-rf", "Morgan fingerprint (radius 2, 2048 bits) -> random forest "
          "(500 trees)", _morgan, _rf),
    _spec("mol-morgan-xgb", "Morgan fingerprint (radius 2, 2048 bits) -> xgboost (100 "
          "depth-6 trees, lr 0.3)", _morgan, _xgb),
    _spec("mol-morgan-counts-rf", "Morgan count fingerprint (radius 2, 2048 bins) -> random "
          "forest (500 trees)", lambda: _morgan(counts=True), _rf),
    _spec("mol-descriptors-rf", "RDKit 2-D descriptors (missing values: training-fold "
          "medians) -> random forest (500 trees)", RDKitDescriptors, _rf),
    _spec("mol-descriptors-xgb", "RDKit 2-D descriptors (missing values: training-fold "
          "medians) -> xgboost (100 depth-6 trees, lr 0.3)", RDKitDescriptors, _xgb),
    _spec("mol-maccs-rf", "MACCS keys (167 bits) -> random forest (500 trees)", MACCSKeys,
          _rf),
    _spec("mol-morgan-svm", "Morgan fingerprint (radius 2, 2048 bits) -> Tanimoto-kernel "
          "SVM (C=1; Platt-calibrated SVC / SVR on the standardised target)", _morgan, _svm),
    _spec("mol-morgan-linear", "Morgan fingerprint (radius 2, 2048 bits) -> L2 logistic "
          "regression (C=1) / ridge regression (alpha=1)", _morgan, _linear),
    _spec("mol-mol2vec-rf", "Mol2Vec embedding (radius-1 Morgan words, skip-gram word2vec "
          "trained on the training fold, 100 dims) -> random forest (500 trees)",
          Mol2VecEmbedding, _rf),
]
