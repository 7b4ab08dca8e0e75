"""How well an explanation recovers planted ground truth (pure functions over importances).

A simulated dataset's ``info.ground_truth`` names the channels (``channels``, with projection
weights ``channel_weights``) and bands (``informative_bands``) that carry the effect. For one
importance ranking (rank 1 = most important, ties share their average rank):

* :func:`precision_at_k` -- fraction of the top ``k`` that is planted;
* :func:`weighted_precision_at_k` -- sum of the ground-truth weights of the top ``k``
  divided by the largest achievable sum (1 = the ``k`` most strongly projected channels);
* :func:`best_rank` -- rank of the best-placed planted item (1 = ranked first).

:func:`recovery_scores` applies them per (pipeline, method, subject) to tidy importance rows
(the mean over the subject's folds), and :func:`recovery_summary` averages over subjects with
percentile bootstrap CIs (resampling subjects). Each score comes with its chance level (the
expectation under a random ranking) for reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from neurocompare._errors import input_error
from neurocompare.stats.paired import percentile_bootstrap

__all__ = [
    "RECOVERY_METRICS",
    "best_rank",
    "bootstrap_mean_ci",
    "importance_ranks",
    "precision_at_k",
    "recovery_scores",
    "recovery_summary",
    "weighted_precision_at_k",
]

RECOVERY_METRICS = ("channel_precision", "channel_weighted_precision", "channel_rank",
                    "band_precision", "band_rank")


def importance_ranks(importance: pd.Series) -> pd.Series:
    """Rank of each group, 1 = most important (ties: average rank)."""
    return pd.Series(rankdata(-importance.to_numpy(dtype=float)), index=importance.index)


def _top(importance: pd.Series, k: int) -> list[str]:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise input_error("k", "a positive integer", k)
    order = np.argsort(-importance.to_numpy(dtype=float), kind="stable")
    return [str(importance.index[i]) for i in order[:k]]


def precision_at_k(importance: pd.Series, relevant: Iterable[str], k: int) -> float:
    """Fraction of the ``k`` most important groups that are in ``relevant``.

    Parameters
    ----------
    importance : Series
        Group name -> importance.
    relevant : iterable of str
    k : int
    """
    relevant = set(relevant)
    top = _top(importance, k)
    return sum(g in relevant for g in top) / len(top)


def weighted_precision_at_k(importance: pd.Series, weights: Mapping[str, float],
                            k: int) -> float:
    """Ground-truth weight captured by the top ``k`` over the best achievable weight.

    Parameters
    ----------
    importance : Series
        Group name -> importance.
    weights : mapping of str to float
        Non-negative ground-truth weight per group (missing groups weigh 0).
    k : int
    """
    w = np.array([float(weights.get(str(g), 0.0)) for g in importance.index])
    ideal = np.sort(w)[::-1][:k].sum()
    if ideal <= 0:
        return float("nan")
    return float(sum(float(weights.get(g, 0.0)) for g in _top(importance, k)) / ideal)


def best_rank(importance: pd.Series, relevant: Iterable[str]) -> float:
    """Rank (1 = first) of the best-placed relevant group; NaN if none is present."""
    ranks = importance_ranks(importance)
    present = [g for g in relevant if g in ranks.index]
    return float(ranks[present].min()) if present else float("nan")


def _chance(n: int, n_relevant: int, k: int) -> tuple[float, float]:
    """Expected precision@k and expected best rank of ``n_relevant`` among ``n`` at random."""
    k = min(k, n)
    precision = n_relevant / n if n else float("nan")
    # E[min rank] of n_relevant items placed at random among n: (n + 1) / (n_relevant + 1)
    rank = (n + 1) / (n_relevant + 1) if n_relevant else float("nan")
    return precision, rank


def recovery_scores(rows: pd.DataFrame, ground_truth: Mapping[str, Any], k_channels: int = 2,
                    k_bands: int = 2) -> pd.DataFrame:
    """Ground-truth recovery per (pipeline, method, subject).

    Parameters
    ----------
    rows : DataFrame
        Tidy importance rows (columns pipeline, method, subject, fold, group_type, group,
        importance); the importance of a group for a subject is its mean over folds.
    ground_truth : mapping
        ``channels`` (planted channels), optional ``channel_weights`` and
        ``informative_bands`` (or the keys of ``bands``).
    k_channels, k_bands : int
        ``k`` of the channel and band precision (default 2: C3/C4, mu/beta).

    Returns
    -------
    DataFrame
        One row per (pipeline, method, subject) with the :data:`RECOVERY_METRICS` (NaN when
        the method gave no channel or no band importances) and ``*_chance`` columns.
    """
    channels = [str(c) for c in ground_truth.get("channels", [])]
    weights = dict(ground_truth.get("channel_weights") or {c: 1.0 for c in channels})
    bands = [str(b) for b in ground_truth.get("informative_bands",
                                              list(ground_truth.get("bands", {})))]
    if not channels and not bands:
        raise input_error("ground_truth", "planted channels or bands", dict(ground_truth))
    mean = rows.groupby(["pipeline", "method", "subject", "group_type", "group"], sort=False,
                        observed=True)["importance"].mean()
    out = []
    for (pipeline, method, subject), part in mean.groupby(level=[0, 1, 2], sort=True):
        part = part.droplevel([0, 1, 2])
        record: dict[str, Any] = {"pipeline": pipeline, "method": method,
                                  "subject": str(subject)}
        record |= dict.fromkeys(RECOVERY_METRICS, float("nan"))
        if "channel" in part.index.get_level_values(0) and channels:
            imp = part.xs("channel")
            chance_p, chance_r = _chance(len(imp), len(set(channels) & set(imp.index)),
                                         k_channels)
            record |= {"channel_precision": precision_at_k(imp, channels, k_channels),
                       "channel_weighted_precision": weighted_precision_at_k(imp, weights,
                                                                             k_channels),
                       "channel_rank": best_rank(imp, channels),
                       "channel_precision_chance": chance_p, "channel_rank_chance": chance_r,
                       "n_channels": len(imp)}
        if "band" in part.index.get_level_values(0) and bands:
            imp = part.xs("band")
            chance_p, chance_r = _chance(len(imp), len(set(bands) & set(imp.index)), k_bands)
            record |= {"band_precision": precision_at_k(imp, bands, k_bands),
                       "band_rank": best_rank(imp, bands), "band_precision_chance": chance_p,
                       "band_rank_chance": chance_r, "n_bands": len(imp)}
        out.append(record)
    return pd.DataFrame(out)


def bootstrap_mean_ci(values, n_boot: int = 2000, level: float = 0.95,
                      seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean of ``values`` (NaNs dropped; one value: itself).

    See :func:`neurocompare.stats.paired.percentile_bootstrap`.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    if values.size == 1:
        return float(values[0]), float(values[0])
    return percentile_bootstrap((values,), np.mean, n_boot=n_boot, level=level, seed=seed,
                                vectorized=True)


def recovery_summary(scores: pd.DataFrame, n_boot: int = 2000, level: float = 0.95,
                     seed: int = 0) -> pd.DataFrame:
    """Mean recovery over subjects with bootstrap CIs, per (pipeline, method).

    Parameters
    ----------
    scores : DataFrame
        :func:`recovery_scores` output.

    Returns
    -------
    DataFrame
        Per (pipeline, method): ``<metric>``, ``<metric>_ci_low``, ``<metric>_ci_high`` for
        each metric, the chance columns (mean) and ``n_subjects``.
    """
    out = []
    for (pipeline, method), part in scores.groupby(["pipeline", "method"], sort=True):
        record: dict[str, Any] = {"pipeline": pipeline, "method": method,
                                  "n_subjects": part["subject"].nunique()}
        for metric in RECOVERY_METRICS:
            values = part[metric].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            low, high = bootstrap_mean_ci(finite, n_boot, level, seed)
            record |= {metric: float(finite.mean()) if finite.size else float("nan"),
                       f"{metric}_ci_low": low, f"{metric}_ci_high": high}
        for column in [c for c in part.columns if c.endswith("_chance")]:
            record[column] = float(part[column].mean())
        out.append(record)
    return pd.DataFrame(out)
