"""Meta-estimators that adapt third-party classifiers to the project's conventions."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from neurocompare._errors import input_error

__all__ = ["EncodedLabelClassifier"]


def _inner_has(method: str):
    def check(self) -> bool:
        return hasattr(self.estimator, method)
    return check


class EncodedLabelClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit ``estimator`` on labels encoded as ``0 .. n_classes - 1`` and decode predictions.

    For classifiers that only accept consecutive integer labels (e.g. xgboost's
    ``XGBClassifier``); inputs are validated here with scikit-learn's rules.

    Parameters
    ----------
    estimator : classifier
        The wrapped classifier (cloned in ``fit``).

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone.
    classes_ : ndarray, shape (n_classes,)
        Original class labels; ``classes_[k]`` was encoded as ``k``.
    n_features_in_ : int
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y, **fit_params):
        """Encode ``y`` and fit a clone of ``estimator``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,)
        **fit_params
            Passed to the wrapped estimator's ``fit``.
        """
        if self.estimator is None or not hasattr(self.estimator, "fit"):
            raise input_error("estimator", "a classifier with fit/predict", self.estimator)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None.")
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if self.classes_.size < 2:
            raise ValueError(f"y: expected at least 2 classes, got 1 class "
                             f"({self.classes_[0]!r})")
        self.estimator_ = clone(self.estimator).fit(X, encoder.transform(y), **fit_params)
        return self

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False)

    def predict(self, X):
        """Return the predicted original labels, shape (n_samples,)."""
        X = self._validated(X)
        codes = np.asarray(self.estimator_.predict(X)).astype(int)
        return self.classes_[codes]

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """Return class probabilities, shape (n_samples, n_classes), columns as ``classes_``."""
        X = self._validated(X)
        return self.estimator_.predict_proba(X)
