"""Per-fold metrics (pure functions): classification and regression.

:func:`fold_metrics` picks the set by the dataset's task. Every row carries every metric
column of both sets (the other task's as NaN), so result tables of both tasks concatenate.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable

import numpy as np
from scipy.stats import rankdata

__all__ = ["METRICS", "REGRESSION_METRICS", "average_precision", "average_ranks", "binary_auc",
           "classification_metrics", "concordance_index", "confusion_counts", "fold_metrics",
           "regression_metrics", "rm2"]

#: Classification metric columns.
METRICS = ("accuracy", "balanced_accuracy", "roc_auc", "average_precision", "f1_macro",
           "kappa", "sensitivity", "specificity")
#: Regression metric columns.
REGRESSION_METRICS = ("mae", "rmse", "mse", "r2", "spearman", "pearson", "ci", "rm2",
                      "aupr")


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
    ranks = average_ranks(np.asarray(scores, dtype=np.float64))
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (``scipy.stats.rankdata``'s default,
    without its per-call overhead: it is called once per class and fold).

    Parameters
    ----------
    values : ndarray, shape (n,)
        Finite values.

    Returns
    -------
    ndarray of float, shape (n,)
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    # tie groups [start, stop) in sorted order hold ranks start + 1 .. stop
    edges = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1], True])
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((edges[:-1] + edges[1:] + 1) / 2.0, np.diff(edges))
    return ranks


def average_precision(positive: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision (AUPRC).

    Parameters
    ----------
    positive : ndarray of bool, shape (n,)
    scores : ndarray, shape (n,)
        Higher means more likely positive.

    Returns
    -------
    float
        ``sum_k (R_k - R_{k-1}) P_k`` over the distinct score thresholds, ties counted
        together: equal to ``sklearn.metrics.average_precision_score`` (tested). NaN when
        there is no positive.
    """
    n_pos = int(positive.sum())
    if n_pos == 0:
        return float("nan")
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    ranked, hits = np.asarray(scores, dtype=float)[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(ranked) != 0), len(ranked) - 1]  # end of each tie
    tp = np.cumsum(hits)[last]
    precision = tp / (last + 1)
    recall_gain = np.diff(np.r_[0, tp]) / n_pos
    return float(np.sum(recall_gain * precision))


def _one_vs_rest(score: Callable[[np.ndarray, np.ndarray], float], y_true: np.ndarray,
                 proba: np.ndarray | None, n_classes: int) -> float:
    """``score(positive, scores)`` of class code 1 (binary), or its macro mean one-vs-rest.

    NaN when scores are unavailable or the test fold lacks a class (undefined). The
    one-vs-rest form is also defined for decision values (SVC, CCA), whose rows do not sum
    to 1 and which ``roc_auc_score(multi_class="ovr")`` rejects.
    """
    if proba is None or len(np.unique(y_true)) < n_classes:
        return float("nan")
    proba = np.asarray(proba, dtype=float)
    if n_classes == 2:
        return score(y_true == 1, proba[:, 1])
    return float(np.mean([score(y_true == k, proba[:, k]) for k in range(n_classes)]))


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
    out: dict[str, float | str] = {
        "roc_auc": _one_vs_rest(binary_auc, y_true, proba, n_classes),
        "average_precision": _one_vs_rest(average_precision, y_true, proba, n_classes)}
    out |= _label_metrics(cm)
    if n_classes == 2:
        tn, fp, fn, tp = cm.ravel()
        out["sensitivity"] = float(tp / (tp + fn)) if tp + fn else float("nan")
        out["specificity"] = float(tn / (tn + fp)) if tn + fp else float("nan")
    else:
        out["sensitivity"] = out["specificity"] = float("nan")
    out["confusion"] = json.dumps(cm.tolist())
    return out


def concordance_index(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Concordance index (Harrell's C; Pahikkala et al. 2015, DeepDTA's CI), O(n log n).

    Among all pairs of samples with different true values, the share whose predictions are
    ordered the same way; pairs with tied predictions count one half. A Fenwick tree over
    the prediction ranks, filled in order of the true values (samples with equal true
    values are counted before any of them is added, so their pairs are excluded).

    Parameters
    ----------
    y_true, y_pred : ndarray of float, shape (n,)

    Returns
    -------
    float
        In [0, 1]; 0.5 for random predictions; NaN when every true value is equal.
    """
    y_true = np.asarray(y_true, dtype=float)
    ranks = np.unique(np.asarray(y_pred, dtype=float).ravel(), return_inverse=True)[1] + 1
    tree = [0] * (int(ranks.max(initial=0)) + 1)

    def below(r: int) -> int:  # how many inserted predictions have rank <= r
        total = 0
        while r > 0:
            total += tree[r]
            r -= r & -r
        return total

    order = np.argsort(y_true, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(y_true[order]) != 0, True])
    concordant = ties = inserted = pairs = 0
    for begin, end in itertools.pairwise(starts):
        group = ranks[order[begin:end]].tolist()
        for r in group:
            less = below(r - 1)
            concordant += less
            ties += below(r) - less
        pairs += inserted * len(group)
        for r in group:
            while r < len(tree):
                tree[r] += 1
                r += r & -r
        inserted += len(group)
    return (concordant + 0.5 * ties) / pairs if pairs else float("nan")


def rm2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Roy's modified squared correlation r^2_m = r^2 (1 - sqrt(|r^2 - r0^2|)), as DeepDTA
    reports it: r^2 the squared Pearson correlation, r0^2 the coefficient of determination of
    the regression of the true values on the predictions through the origin.

    Parameters
    ----------
    y_true, y_pred : ndarray of float, shape (n,)
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    if np.ptp(y_true) == 0 or np.ptp(y_pred) == 0:
        return float("nan")
    r2 = _pearson(y_true, y_pred) ** 2
    k = np.sum(y_true * y_pred) / np.sum(y_pred * y_pred)
    r02 = 1 - np.sum((y_true - k * y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)
    return float(r2 * (1 - np.sqrt(abs(r2 - r02))))


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray,
                       threshold: float | None = None) -> dict[str, float]:
    """Regression fold metrics.

    Parameters
    ----------
    y_true, y_pred : ndarray of float, shape (n_test,)
    threshold : float, optional
        Binarisation of the true values for ``aupr`` (drug-target affinities: Davis pKd >= 7,
        KIBA >= 12.1); NaN without one.

    Returns
    -------
    dict
        :data:`REGRESSION_METRICS`: mean absolute error, root mean squared error, mean squared
        error, R^2 (1 - SS_res / SS_tot about the test fold's mean, NaN for a constant test
        fold), Spearman and Pearson correlations (NaN when either side is constant; equal to
        scikit-learn's and scipy's functions, tested), the concordance index ``ci``
        (:func:`concordance_index`), ``rm2`` (:func:`rm2`) and ``aupr``: the average
        precision of the continuous predictions for the binarised true values (true >=
        ``threshold`` is a binder). DeepDTA's evaluation code binarised the predictions too
        before its precision-recall curve; ranking by the predicted affinity keeps their
        order, so our AUPR is the usual one and not comparable digit for digit.
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float).reshape(-1)
    error = y_pred - y_true
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    constant = np.ptp(y_true) == 0 or np.ptp(y_pred) == 0
    binders = y_true >= threshold if threshold is not None else None
    return {"mae": float(np.mean(np.abs(error))),
            "rmse": float(np.sqrt(np.mean(error ** 2))),
            "mse": float(np.mean(error ** 2)),
            "r2": float(1 - np.sum(error ** 2) / ss_tot) if ss_tot > 0 else float("nan"),
            "spearman": float("nan") if constant else _pearson(rankdata(y_true),
                                                               rankdata(y_pred)),
            "pearson": float("nan") if constant else _pearson(y_true, y_pred),
            "ci": concordance_index(y_true, y_pred), "rm2": rm2(y_true, y_pred),
            "aupr": average_precision(binders, y_pred)
            if binders is not None and 0 < binders.sum() < len(binders) else float("nan")}


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float(np.clip(np.sum(a * b) / np.sqrt(np.sum(a * a) * np.sum(b * b)), -1.0, 1.0))


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                 n_classes: int, threshold: float | None = None) -> dict[str, float | str]:
    """Every metric column of one fold: classification (``n_classes > 0``) or regression.

    Parameters
    ----------
    y_true, y_pred : ndarray, shape (n_test,)
        Class codes, or real-valued targets and predictions for regression.
    scores : ndarray, shape (n_test, n_classes), optional
        Class scores (ignored for regression).
    n_classes : int
        Classes of the dataset; 0 for regression.
    threshold : float, optional
        Regression: the binarisation of ``aupr`` (see :func:`regression_metrics`).

    Returns
    -------
    dict
        The task's metrics, the other task's columns as NaN, so rows of both tasks share
        one schema. Classification rows carry the ``confusion`` matrix; regression rows
        carry ``predictions`` instead: JSON ``{"y_true": [...], "y_pred": [...]}`` of the
        test fold (6 significant digits), which the report's predicted-vs-observed and
        residual figures read.
    """
    if n_classes > 0:
        out: dict[str, float | str] = dict.fromkeys(REGRESSION_METRICS, float("nan"))
        return out | classification_metrics(y_true, y_pred, scores, n_classes) \
            | {"predictions": ""}
    pairs = {"y_true": [float(f"{v:.6g}") for v in np.asarray(y_true, dtype=float)],
             "y_pred": [float(f"{v:.6g}") for v in np.asarray(y_pred, dtype=float).ravel()]}
    return {**dict.fromkeys(METRICS, float("nan")), "confusion": "",
            "predictions": json.dumps(pairs),
            **regression_metrics(y_true, y_pred, threshold)}
