"""Many pipelines, many datasets: corrections, rank tests and meta-analysis (pure functions).

* :func:`holm` -- Holm-Bonferroni adjusted p-values (statsmodels ``multipletests``);
* :func:`friedman_nemenyi` -- Friedman test over subjects x pipelines and the Nemenyi critical
  difference of mean ranks (Demsar 2006);
* :func:`stouffer` -- Stouffer's combination of one-sided p-values weighted by sqrt(n), as MOABB
  (:func:`scipy.stats.combine_pvalues`);
* :func:`random_effects` -- DerSimonian-Laird random-effects pooling with tau^2, I^2 and a
  prediction interval (Higgins et al. 2009), from statsmodels ``combine_effects``;
* :func:`binomial_chance_level` -- the accuracy above which a classifier beats chance for a
  given number of test trials and classes (Combrisson & Jerbi 2015).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

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
    """Holm-Bonferroni step-down adjusted p-values (same order as given); a NaN (no test
    was possible) stays NaN and does not count among the tests corrected for."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        out[tested] = multipletests(p[tested], method="holm")[1]
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
    # p of exactly 0 or 1 has an infinite z, and both together would combine to NaN
    p = np.clip(np.asarray(pvalues, dtype=float), 1e-300, 1 - 1e-16)
    w = np.sqrt(np.asarray(n, dtype=float))
    return float(stats.combine_pvalues(p, method="stouffer", weights=w).pvalue)


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

    statsmodels ``combine_effects(method_re="dl")`` with the moment estimate of tau^2
    truncated at 0, as DerSimonian and Laird define it.

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
    # statsmodels divides by Q for I^2 and takes square roots of its (unused) HKSJ variances,
    # which are negative along with its untruncated tau^2
    with np.errstate(divide="ignore", invalid="ignore"):
        res = combine_effects(y, v, method_re="dl", alpha=1 - level)
        ci_fixed, ci_random = res.conf_int(alpha=1 - level, use_t=False)[:2]
    q = float(res.q)
    if res.tau2 > 0:
        tau2, effect, se = float(res.tau2), float(res.mean_effect_re), float(res.sd_eff_w_re)
        ci = ci_random
    else:
        # statsmodels leaves the DL moment estimate (Q - (k - 1)) / C untruncated; at tau^2 = 0
        # the random-effects weights are the fixed-effect ones
        tau2, effect, se = 0.0, float(res.mean_effect_fe), float(res.sd_eff_w_fe)
        ci = ci_fixed
    i2 = max(0.0, float(res.i2)) if q > 0 else 0.0
    if k >= 3:
        half = stats.t.ppf(0.5 + level / 2, df=k - 2) * np.sqrt(tau2 + se ** 2)
        interval = (effect - half, effect + half)
    else:
        interval = (float("nan"), float("nan"))
    return MetaResult(effect, se, (float(ci[0]), float(ci[1])),
                      float(2 * stats.norm.sf(abs(effect / se))), tau2, i2, q,
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
