"""Model-agnostic grouped permutation importance on a test fold, for any fitted pipeline.

The importance of a group of inputs is the drop in the test score (accuracy or balanced
accuracy) when that group's information is destroyed, averaged over ``n_repeats`` seeded
permutations of the test trials (Breiman 2001; grouped as in Gregorutti et al. 2017). Deep
and traditional pipelines are explained in the same units (score points) because only their
``predict`` is used. Three kinds of group:

``channel``
    The electrode's data (every stacked filter-bank copy of it) is taken from another test
    trial: ``X[:, g] <- X[perm][:, g]``.
``band``
    **Permutation of band-limited components** (the default, ``band_mode="permute"``): the
    band's component ``B(X)`` -- a zero-phase (forward-backward) 4th-order Butterworth
    band-pass of every channel -- is swapped between trials:
    ``X <- X - B(X) + B(X)[perm]``. This keeps each trial's spectrum in the range the model
    was trained on (power in the band is still there, only no longer tied to the trial's
    label), unlike removing the band (``band_mode="remove"``, ``X <- X - B(X)``, a band-stop),
    which moves trials off the training distribution and can make a model fail for reasons
    unrelated to what it learnt. Both are offered; ``"remove"`` ignores the permutations.
``time``
    A window of samples is taken from another trial: ``X[..., w] <- X[perm][..., w]``.
``channel_band``
    Optional joint groups: one band's component of one electrode is permuted.

The permutations are drawn once from ``seed`` and shared by every group (common random
numbers: differences between groups are not blurred by different draws). Perturbed copies
are predicted in batches of up to ``batch_trials`` trials, one ``predict`` call per batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from neurocompare._errors import check_option, input_error
from neurocompare.data.containers import SignalInfo
from neurocompare.explain._layout import band_groups, channel_groups, time_groups
from neurocompare.pipelines.eeg.filters import bandpass_sos, zero_phase

__all__ = [
    "BAND_MODES",
    "GROUP_TYPES",
    "SCORERS",
    "accuracy",
    "balanced_accuracy",
    "band_component",
    "grouped_importance",
    "permutation_importance",
    "permutations",
    "perturbers",
]

logger = logging.getLogger(__name__)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of correct predictions (as ``sklearn.metrics.accuracy_score``)."""
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean recall over the classes present in ``y_true`` (as scikit-learn's
    ``balanced_accuracy_score``, without its input checks: it is called thousands of times)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes, codes = np.unique(y_true, return_inverse=True)
    hits = np.bincount(codes, weights=(y_true == y_pred).astype(float), minlength=classes.size)
    return float(np.mean(hits / np.bincount(codes, minlength=classes.size)))


SCORERS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "accuracy": accuracy, "balanced_accuracy": balanced_accuracy}
GROUP_TYPES = ("channel", "band", "time", "channel_band")
BAND_MODES = ("permute", "remove")
#: A perturbation: (X, perm) -> perturbed copy of X, shape (n_trials, n_channels, n_times).
Perturb = Callable[[np.ndarray, np.ndarray], np.ndarray]


def permutations(n: int, n_repeats: int, seed: int) -> np.ndarray:
    """Seeded permutations of ``n`` trials, shape (n_repeats, n)."""
    if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise input_error("n_repeats", "a positive integer", n_repeats)
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n) for _ in range(n_repeats)])


def band_component(X: np.ndarray, sfreq: float, band: tuple[float, float],
                   order: int = 4) -> np.ndarray:
    """Zero-phase band-passed component of ``X`` (high-pass when the band starts at 0).

    Parameters
    ----------
    X : ndarray, shape (..., n_times)
    sfreq : float
    band : (float, float)
        Edges in Hz, below Nyquist.

    Returns
    -------
    ndarray, shape (..., n_times)
    """
    lo, hi = band
    sos = bandpass_sos(sfreq, lo if lo > 0 else None, hi, order)
    return zero_phase(np.asarray(X, dtype=float), sos)


def _swap(index: np.ndarray, axis: int) -> Perturb:
    def perturb(X: np.ndarray, perm: np.ndarray) -> np.ndarray:
        out = X.copy()
        where = (slice(None),) * axis + (index,)
        out[where] = X[perm][where]
        return out
    return perturb


def _band(component: np.ndarray, mode: str, channels: np.ndarray | None = None) -> Perturb:
    def perturb(X: np.ndarray, perm: np.ndarray) -> np.ndarray:
        comp = component if channels is None else component[:, channels]
        new = 0.0 if mode == "remove" else comp[perm]
        out = X.copy()
        if channels is None:
            out += new - comp
        else:
            out[:, channels] += new - comp
        return out
    return perturb


def perturbers(X: np.ndarray, info: SignalInfo, group_type: str, *,
               bands: Mapping[str, tuple[float, float]] | None = None, window: float = 0.5,
               band_mode: str = "permute") -> dict[str, Perturb]:
    """The perturbation of every group of one type.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Test epochs (band components are computed from them once).
    info : SignalInfo
    group_type : {"channel", "band", "time", "channel_band"}
    bands : mapping of str to (float, float), optional
        See :func:`neurocompare.explain._layout.band_groups`.
    window : float
        Time-window length in seconds.
    band_mode : {"permute", "remove"}

    Returns
    -------
    dict of str to callable
        Group label -> ``perturb(X, perm)``.
    """
    check_option("group_type", group_type, GROUP_TYPES)
    check_option("band_mode", band_mode, BAND_MODES)
    if group_type == "channel":
        return {name: _swap(idx, 1) for name, idx in channel_groups(info).items()}
    if group_type == "time":
        return {name: _swap(idx, 2) for name, idx in time_groups(info, X.shape[-1],
                                                                  window).items()}
    out: dict[str, Perturb] = {}
    for band, edges in band_groups(info, bands).items():
        component = band_component(X, info.sfreq, edges)
        if group_type == "band":
            out[band] = _band(component, band_mode)
        else:
            for name, idx in channel_groups(info).items():
                out[f"{name}|{band}"] = _band(component, band_mode, idx)
    return out


def permutation_importance(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                           y: np.ndarray, groups: Mapping[str, Perturb], perms: np.ndarray,
                           scoring: str = "balanced_accuracy", batch_trials: int = 1024
                           ) -> tuple[float, dict[str, np.ndarray]]:
    """Scores of ``predict`` on every (group, permutation) perturbation of ``X``.

    Parameters
    ----------
    predict : callable
        Fitted ``predict``: epochs -> labels, shape (n,).
    X : ndarray, shape (n_trials, n_channels, n_times)
    y : ndarray, shape (n_trials,)
    groups : mapping of str to callable
        :func:`perturbers` output.
    perms : ndarray of int, shape (n_repeats, n_trials)
    scoring : {"accuracy", "balanced_accuracy"}
    batch_trials : int
        Upper bound on trials per ``predict`` call (memory vs call overhead).

    Returns
    -------
    baseline : float
        Score on the unperturbed trials.
    scores : dict of str to ndarray, shape (n_repeats,)
        Score of each perturbed copy; importance = ``baseline - scores``.
    """
    score = SCORERS[check_option("scoring", scoring, SCORERS)]
    n = len(y)
    baseline = float(score(y, predict(X)))
    jobs = [(name, r) for name in groups for r in range(len(perms))]
    per_batch = max(1, batch_trials // max(n, 1))
    scores = {name: np.empty(len(perms)) for name in groups}
    for start in range(0, len(jobs), per_batch):
        chunk = jobs[start:start + per_batch]
        batch = np.concatenate([groups[name](X, perms[r]) for name, r in chunk])
        pred = np.asarray(predict(batch))
        for k, (name, r) in enumerate(chunk):
            scores[name][r] = score(y, pred[k * n:(k + 1) * n])
    return baseline, scores


def grouped_importance(estimator: BaseEstimator, X: np.ndarray, y: np.ndarray,
                       info: SignalInfo, group_types: Sequence[str] = ("channel", "band",
                                                                        "time"), *,
                       n_repeats: int = 10, seed: int = 0, scoring: str = "balanced_accuracy",
                       bands: Mapping[str, tuple[float, float]] | None = None,
                       window: float = 0.5, band_mode: str = "permute",
                       batch_trials: int = 1024) -> pd.DataFrame:
    """Grouped permutation importance of a fitted pipeline on test trials (the dispatcher).

    Parameters
    ----------
    estimator : BaseEstimator
        Any fitted classifier taking epochs (traditional or deep).
    X : ndarray, shape (n_trials, n_channels, n_times)
        Test epochs (never the training fold).
    y : ndarray, shape (n_trials,)
    info : SignalInfo
    group_types : sequence of {"channel", "band", "time", "channel_band"}
    n_repeats, seed, scoring, bands, window, band_mode, batch_trials
        See :func:`perturbers` and :func:`permutation_importance`.

    Returns
    -------
    DataFrame
        One row per group: ``group_type``, ``group``, ``importance`` (mean score drop),
        ``importance_sd`` (over repeats), ``baseline``, ``n_repeats``.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 3 or len(X) != len(y):
        raise input_error("X", "epochs (n_trials, n_channels, n_times) with one label each",
                          (getattr(X, "shape", None), len(y)))
    perms = permutations(len(y), n_repeats, seed)
    rows: list[dict[str, Any]] = []
    for group_type in group_types:
        groups = perturbers(X, info, group_type, bands=bands, window=window,
                            band_mode=band_mode)
        removal = band_mode == "remove" and group_type in ("band", "channel_band")
        used = perms[:1] if removal else perms  # removal is deterministic: one pass
        baseline, scores = permutation_importance(estimator.predict, X, np.asarray(y),
                                                  groups, used, scoring, batch_trials)
        for name, values in scores.items():
            drop = baseline - values
            rows.append({"group_type": group_type, "group": name,
                         "importance": float(drop.mean()),
                         "importance_sd": float(drop.std(ddof=1)) if len(drop) > 1 else 0.0,
                         "baseline": baseline, "n_repeats": len(used)})
        logger.debug("%s importance over %d groups (baseline %.3f)", group_type, len(groups),
                     baseline)
    return pd.DataFrame(rows)
