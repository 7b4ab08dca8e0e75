"""Paired Trial Classification (PTC), the guide's technique for scarce trials.

From ``n`` training trials PTC builds the O(n^2) pairs and learns whether two trials share a
class from the absolute difference of their feature vectors. A test trial is then compared
with every training trial; its score for class ``c`` is the mean probability of "same class"
against the training trials of ``c``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from neurocompare._errors import input_error

__all__ = ["PairedTrialClassifier", "pair_features"]


def pair_features(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """|a - b| for every pair of rows, shape (n_a * n_b, n_features) (row-major in ``A``)."""
    return np.abs(A[:, None, :] - B[None, :, :]).reshape(-1, A.shape[1])


class PairedTrialClassifier(ClassifierMixin, BaseEstimator):
    """Classify trials through a learned "same class?" model on trial pairs.

    Parameters
    ----------
    classifier : BaseEstimator, optional
        Binary classifier on pair features (default: L2 logistic regression).
    max_pairs : int
        Upper bound on training pairs (a seeded random subset beyond it).
    random_state : int
        Seed of that subset.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    pair_model_ : BaseEstimator
        The fitted same/different classifier.
    n_pairs_ : int
        Training pairs used.
    """

    def __init__(self, classifier: BaseEstimator | None = None, max_pairs: int = 20000,
                 random_state: int = 0):
        self.classifier = classifier
        self.max_pairs = max_pairs
        self.random_state = random_state

    def fit(self, X, y):
        """Learn same/different on the pairs of training trials.

        Parameters
        ----------
        X : array-like, shape (n_trials, n_features)
        y : array-like, shape (n_trials,)
        """
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        if not isinstance(self.max_pairs, (int, np.integer)) or self.max_pairs < 2:
            raise input_error("max_pairs", "an integer >= 2", self.max_pairs)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("Classifier can't train when only one class is present.")
        i, j = np.triu_indices(len(X), k=1)
        rng = np.random.default_rng(self.random_state)
        if len(i) > self.max_pairs:
            keep = rng.choice(len(i), self.max_pairs, replace=False)
            i, j = i[keep], j[keep]
        same = (y[i] == y[j]).astype(int)
        if same.min() == same.max():
            raise ValueError("PTC needs pairs of the same and of different classes.")
        base = self.classifier if self.classifier is not None \
            else LogisticRegression(max_iter=1000)
        self.pair_model_ = clone(base).fit(np.abs(X[i] - X[j]), same)
        self.train_X_, self.train_y_ = X, y
        self.n_pairs_ = len(i)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Normalised mean "same class" probability against each class's training trials."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        same = self.pair_model_.predict_proba(pair_features(X, self.train_X_))[:, 1]
        same = same.reshape(len(X), len(self.train_X_))
        scores = np.column_stack([same[:, self.train_y_ == c].mean(axis=1)
                                  for c in self.classes_])
        return scores / np.maximum(scores.sum(axis=1, keepdims=True), 1e-12)

    def predict(self, X) -> np.ndarray:
        """Class with the highest PTC score."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
