"""Per-fold classification metrics (pure functions)."""

from __future__ import annotations

import json

import numpy as np
from scipy.stats import rankdata

__all__ = ["METRICS", "binary_auc", "classification_metrics", "confusion_counts"]

#: Metric columns written for every fold.
METRICS = ("accuracy", "balanced_accuracy", "roc_auc", "f1_macro", "kappa",
           "sensitivity", "specificity")


def binary_auc(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann-Whitney U / (n1 n0), ties averaged).

    Parameters
    ----------
    positive : ndarray of bool, shape (n,)
    scores : ndarray, shape (n,)
        Higher means more likely positive.

    Returns
    -------
    float
        Equal to ``sklearn.metrics.roc_auc_score(positive, scores)`` (tested); NaN when one
        class is absent.
    """
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _roc_auc(y_true: np.ndarray, proba: np.ndarray | None, n_classes: int) -> float:
    """Binary AUC on the positive class (code 1), or macro one-vs-rest for multiclass.

    NaN when scores are unavailable or the test fold lacks a class (AUC undefined). The
    one-vs-rest form is also defined for decision values (SVC, CCA), whose rows do not sum
    to 1 and which ``roc_auc_score(multi_class="ovr")`` rejects.
    """
    if proba is None or len(np.unique(y_true)) < n_classes:
        return float("nan")
    proba = np.asarray(proba, dtype=float)
    if n_classes == 2:
        return binary_auc(y_true == 1, proba[:, 1])
    return float(np.mean([binary_auc(y_true == k, proba[:, k]) for k in range(n_classes)]))


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion matrix, shape (n_classes, n_classes): rows true class, columns predicted."""
    codes = np.asarray(y_true, dtype=np.int64) * n_classes + np.asarray(y_pred, dtype=np.int64)
    return np.bincount(codes, minlength=n_classes**2).reshape(n_classes, n_classes)


def _label_metrics(cm: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy (mean recall over classes present in the fold), macro F1
    over all classes (0 where undefined) and Cohen's kappa (NaN where undefined)."""
    n = cm.sum()
    tp = np.diag(cm).astype(float)
    support, predicted = cm.sum(axis=1), cm.sum(axis=0)
    present = support > 0
    f1_den = support + predicted
    f1 = np.divide(2 * tp, f1_den, out=np.zeros_like(tp), where=f1_den > 0)
    expected = np.outer(support, predicted) / n
    off = ~np.eye(len(cm), dtype=bool)
    disagreement = expected[off].sum()
    return {"accuracy": float(tp.sum() / n),
            "balanced_accuracy": float(np.mean(tp[present] / support[present])),
            "f1_macro": float(f1.mean()),
            "kappa": float(1 - cm[off].sum() / disagreement) if disagreement > 0
            else float("nan")}


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
    # every label metric from the confusion matrix: equal to scikit-learn's functions
    # (tested) at a fraction of their input-validation cost, which dominates on small folds
    cm = confusion_counts(y_true, y_pred, n_classes)
    out: dict[str, float | str] = {"roc_auc": _roc_auc(y_true, proba, n_classes)}
    out |= _label_metrics(cm)
    if n_classes == 2:
        tn, fp, fn, tp = cm.ravel()
        out["sensitivity"] = float(tp / (tp + fn)) if tp + fn else float("nan")
        out["specificity"] = float(tn / (tn + fp)) if tn + fp else float("nan")
    else:
        out["sensitivity"] = out["specificity"] = float("nan")
    out["confusion"] = json.dumps(cm.tolist())
    return out
