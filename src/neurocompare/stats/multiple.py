"""Many pipelines, many datasets: corrections, rank tests and meta-analysis (pure functions).

* :func:`holm` -- Holm-Bonferroni adjusted p-values;
* :func:`friedman_nemenyi` -- Friedman test over subjects x pipelines and the Nemenyi critical
  difference of mean ranks (Demsar 2006);
* :func:`stouffer` -- Stouffer's combination of one-sided p-values weighted by sqrt(n), as MOABB;
* :func:`random_effects` -- DerSimonian-Laird random-effects pooling with tau^2, I^2 and a
  prediction interval (Higgins et al. 2009);
* :func:`binomial_chance_level` -- the accuracy above which a classifier beats chance for a
  given number of test trials and classes (Combrisson & Jerbi 2015).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from neurocompare._errors import input_error

__all__ = [
    "FriedmanResult",
    "MetaResult",
    "binomial_chance_level",
    "friedman_nemenyi",
    "holm",
    "random_effects",
    "stouffer",
]


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni step-down adjusted p-values (same order as given)."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p)
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman statistic and p-value, mean ranks (1 = best) and the Nemenyi CD."""

    statistic: float
    pvalue: float
    mean_ranks: np.ndarray
    critical_difference: float
    n_subjects: int


def friedman_nemenyi(scores, alpha: float = 0.05) -> FriedmanResult:
    """Friedman test and Nemenyi critical difference over a subjects x pipelines table.

    Parameters
    ----------
    scores : array-like, shape (n_subjects, n_pipelines)
        Higher is better; rank 1 is the best pipeline of a subject.
    alpha : float
        Level of the Nemenyi critical difference
        ``CD = q_alpha * sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` the studentised range
        quantile divided by sqrt(2).
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 2 or scores.shape[1] < 3 or scores.shape[0] < 2:
        raise input_error("scores", "a (n_subjects >= 2, n_pipelines >= 3) table",
                          scores.shape)
    n, k = scores.shape
    stat, pvalue = stats.friedmanchisquare(*scores.T)
    ranks = stats.rankdata(-scores, axis=1)
    q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    cd = q * np.sqrt(k * (k + 1) / (6 * n))
    return FriedmanResult(float(stat), float(pvalue), ranks.mean(axis=0), float(cd), n)


def stouffer(pvalues, n) -> float:
    """Stouffer's combined one-sided p-value with weights ``sqrt(n)``.

    Parameters
    ----------
    pvalues : array-like, shape (n_datasets,)
        One-sided p-values (H1: pipeline A better than B) per dataset.
    n : array-like, shape (n_datasets,)
        Subjects per dataset.
    """
    p = np.clip(np.asarray(pvalues, dtype=float), 1e-300, 1 - 1e-16)
    w = np.sqrt(np.asarray(n, dtype=float))
    z = stats.norm.isf(p)
    return float(stats.norm.sf((w * z).sum() / np.sqrt((w ** 2).sum())))


@dataclass(frozen=True)
class MetaResult:
    """Random-effects pooled effect with heterogeneity and a prediction interval."""

    effect: float
    se: float
    ci: tuple[float, float]
    pvalue: float
    tau2: float
    i2: float
    q: float
    prediction_interval: tuple[float, float]
    k: int


def random_effects(effects, variances, level: float = 0.95) -> MetaResult:
    """DerSimonian-Laird random-effects meta-analysis.

    Parameters
    ----------
    effects : array-like, shape (k,)
        Per-dataset effect estimates (e.g. mean score difference).
    variances : array-like, shape (k,)
        Their sampling variances (squared standard errors).
    level : float
        Confidence level of the CI and the prediction interval.

    Returns
    -------
    MetaResult
        Pooled effect, its SE, CI and two-sided p (normal), tau^2, I^2 (in [0, 1]),
        Cochran's Q, and the prediction interval for a new dataset
        ``effect +- t_{k-2} sqrt(tau^2 + se^2)`` (NaN when k < 3).
    """
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.shape != v.shape or y.ndim != 1 or len(y) < 2 or (v <= 0).any():
        raise input_error("effects/variances", "two 1-D arrays (k >= 2) with positive "
                          "variances", (y.shape, v.shape))
    k = len(y)
    w = 1 / v
    fixed = (w * y).sum() / w.sum()
    q = float((w * (y - fixed) ** 2).sum())
    c = w.sum() - (w ** 2).sum() / w.sum()
    tau2 = max(0.0, (q - (k - 1)) / c)
    w_star = 1 / (v + tau2)
    effect = float((w_star * y).sum() / w_star.sum())
    se = float(np.sqrt(1 / w_star.sum()))
    z = stats.norm.ppf(0.5 + level / 2)
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    if k >= 3:
        t = stats.t.ppf(0.5 + level / 2, df=k - 2)
        half = t * np.sqrt(tau2 + se ** 2)
        interval = (effect - half, effect + half)
    else:
        interval = (float("nan"), float("nan"))
    return MetaResult(effect, se, (effect - z * se, effect + z * se),
                      float(2 * stats.norm.sf(abs(effect / se))), float(tau2), float(i2), q,
                      (float(interval[0]), float(interval[1])), k)


def binomial_chance_level(n_trials: int, n_classes: int, alpha: float = 0.05) -> float:
    """Accuracy that a classifier must exceed to beat chance (one-sided binomial, ``alpha``).

    Combrisson & Jerbi (2015): the ``1 - alpha`` quantile of Binomial(n_trials, 1/n_classes)
    divided by ``n_trials`` (e.g. 0.58 for 100 trials, 2 classes, alpha 0.05).
    """
    if n_trials < 1 or n_classes < 2:
        raise input_error("n_trials/n_classes", "n_trials >= 1 and n_classes >= 2",
                          (n_trials, n_classes))
    return float(stats.binom.ppf(1 - alpha, n_trials, 1 / n_classes) / n_trials)
