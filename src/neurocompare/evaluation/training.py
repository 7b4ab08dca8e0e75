"""Did a network learn? Training diagnostics of a fitted pipeline, as result columns.

A deep pipeline is only worth comparing once it has learned. Every network is trained by
:class:`~neurocompare.pipelines.deep.estimator.DeepClassifier` or, for molecules, by the
molecule training loop (:mod:`neurocompare.pipelines.molecules.training`) or chemprop's
wrapper; each records its per-epoch curve, the epoch whose weights it kept, why it stopped
and the accuracy (a regressor: R^2 and Pearson r) of the kept weights on the samples they
were trained on. :func:`training_columns` finds that network inside any fitted
pipeline (pipeline steps, tuned searches, label wrappers) and turns it into flat columns,
including ``learned``: whether that training accuracy beats always answering the majority
class, by a one-sided exact binomial test at level :data:`LEARNED_ALPHA` -- for a regressor,
whether its training predictions correlate positively with the targets (one-sided t-test of
Pearson's r) with a training R^2 above 0 (better than predicting the mean). A network that
cannot even fit its training trials better than that is broken, under-trained or mis-scaled,
and its test score says nothing about deep learning on these data.
"""

from __future__ import annotations

import json
import math
from typing import Any

from scipy.stats import binomtest, t
from sklearn.base import BaseEstimator

__all__ = ["LEARNED_ALPHA", "learned_correlation_test", "learned_test", "trained_network",
           "training_columns"]

#: Level of the one-sided binomial test behind the ``learned`` column.
LEARNED_ALPHA = 0.05

#: Attributes under which fitted meta-estimators keep the estimator that was fitted.
_INNER = ("best_estimator_", "estimator_", "classifier_")


def trained_network(estimator: BaseEstimator) -> Any | None:
    """The fitted network (an object with ``history_``) inside ``estimator``, or None."""
    seen = 0
    while estimator is not None and seen < 16:
        if hasattr(estimator, "history_") and hasattr(estimator, "best_epoch_"):
            return estimator
        steps = getattr(estimator, "steps", None)
        if steps:
            estimator = steps[-1][1]
        else:
            estimator = next((getattr(estimator, a) for a in _INNER if hasattr(estimator, a)),
                             None)
        seen += 1
    return None


def learned_test(accuracy: float, n: int, chance: float) -> float:
    """One-sided exact binomial p-value that ``accuracy`` over ``n`` trials beats ``chance``."""
    if n < 1 or not 0 < chance < 1 or math.isnan(accuracy):
        return math.nan
    return float(binomtest(round(accuracy * n), n, chance, alternative="greater").pvalue)


def learned_correlation_test(r: float, n: int) -> float:
    """One-sided p-value that Pearson's ``r`` over ``n`` samples is above 0 (t-test)."""
    if n < 3 or math.isnan(r):
        return math.nan
    if r >= 1.0:
        return 0.0
    return float(t.sf(r * math.sqrt((n - 2) / (1 - r * r)), n - 2))


def _rounded(record: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in record.items()}


def training_columns(estimator: BaseEstimator) -> dict[str, Any]:
    """Training diagnostics of the network in a fitted pipeline (empty dict if none).

    Returns
    -------
    dict
        ``train_epochs``, ``train_best_epoch``, ``train_stop_reason``, ``train_loss`` and
        ``valid_loss`` / ``valid_accuracy`` of the last epoch, ``train_accuracy`` (kept
        weights, evaluation mode), ``train_n`` (trials trained on), ``train_chance``
        (majority-class share), ``learned_p`` and ``learned`` (see the module docstring), and
        ``training_curve``: the per-epoch records as JSON. Regressors fill ``train_r2``,
        ``valid_r2`` and ``train_pearson`` instead of the accuracies (NaN for classifiers).
    """
    net = trained_network(estimator)
    if net is None or not getattr(net, "history_", None):
        return {}
    last = net.history_[-1]
    accuracy = float(getattr(net, "train_accuracy_", math.nan))
    n = int(getattr(net, "n_train_fit_", 0))
    chance = float(getattr(net, "majority_rate_", math.nan))
    r2 = float(getattr(net, "train_r2_", math.nan))
    pearson = float(getattr(net, "train_pearson_", math.nan))
    if hasattr(net, "train_r2_"):
        p = learned_correlation_test(pearson, n)
        learned = bool(p < LEARNED_ALPHA and r2 > 0) if not math.isnan(p) else False
    else:
        p = learned_test(accuracy, n, chance)
        learned = bool(p < LEARNED_ALPHA) if not math.isnan(p) else False
    return {
        "train_epochs": int(net.n_epochs_), "train_best_epoch": int(net.best_epoch_),
        "train_stop_reason": str(getattr(net, "stop_reason_", "")),
        "train_loss": float(last["train_loss"]),
        "valid_loss": float(last.get("valid_loss", math.nan)),
        "valid_accuracy": float(last.get("valid_accuracy", math.nan)),
        "train_accuracy": accuracy, "train_n": n, "train_chance": chance,
        "train_r2": r2, "valid_r2": float(last.get("valid_r2", math.nan)),
        "train_pearson": pearson, "learned_p": p, "learned": learned,
        "training_curve": json.dumps([_rounded(r) for r in net.history_]),
    }
