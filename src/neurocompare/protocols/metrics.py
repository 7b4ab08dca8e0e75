"""Per-fold classification metrics (pure functions)."""

from __future__ import annotations

import json
import warnings

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)

__all__ = ["METRICS", "classification_metrics"]

#: Metric columns written for every fold.
METRICS = ("accuracy", "balanced_accuracy", "roc_auc", "f1_macro", "kappa",
           "sensitivity", "specificity")


def _roc_auc(y_true: np.ndarray, proba: np.ndarray | None, n_classes: int) -> float:
    """Binary AUC on the positive class (code 1), or macro one-vs-rest for multiclass.

    NaN when scores are unavailable or the test fold lacks a class (AUC undefined).
    """
    if proba is None or len(np.unique(y_true)) < 2:
        return float("nan")
    if n_classes == 2:
        return float(roc_auc_score(y_true, proba[:, 1]))
    present = np.unique(y_true)
    if len(present) < n_classes:
        return float("nan")
    # macro one-vs-rest AUC through the one-hot (multilabel) form: equal to
    # roc_auc_score(multi_class="ovr") for probabilities, and also defined for decision values
    # (SVC, CCA), whose rows do not sum to 1 and which multi_class="ovr" rejects
    return float(roc_auc_score(np.eye(n_classes)[y_true], proba, average="macro"))


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None,
                           n_classes: int) -> dict[str, float | str]:
    """Compute every fold metric.

    Parameters
    ----------
    y_true, y_pred : ndarray of int, shape (n_test,)
        Class codes ``0..n_classes-1``.
    proba : ndarray, shape (n_test, n_classes), optional
        Class scores (probabilities or decision values) ordered by class code.
    n_classes : int
        Number of classes of the dataset (folds may miss some).

    Returns
    -------
    dict
        :data:`METRICS` as floats (sensitivity/specificity are NaN unless binary, with code 1
        as the positive class) and ``confusion``: the confusion matrix as a JSON list of rows
        (true class) by columns (predicted class).
    """
    labels = np.arange(n_classes)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined per-class terms when a fold lacks a class
        out: dict[str, float | str] = {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
            "roc_auc": _roc_auc(y_true, proba, n_classes),
            "f1_macro": float(f1_score(y_true, y_pred, labels=labels, average="macro",
                                       zero_division=0)),
            "kappa": float(cohen_kappa_score(y_true, y_pred, labels=labels)),
        }
    if n_classes == 2:
        tn, fp, fn, tp = cm.ravel()
        out["sensitivity"] = float(tp / (tp + fn)) if tp + fn else float("nan")
        out["specificity"] = float(tn / (tn + fp)) if tn + fp else float("nan")
    else:
        out["sensitivity"] = out["specificity"] = float("nan")
    out["confusion"] = json.dumps(cm.tolist())
    return out
