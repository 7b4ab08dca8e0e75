"""Paired comparisons of two pipelines (pure functions over score arrays).

Across subjects (one score per subject and pipeline):

* :func:`wilcoxon` -- Wilcoxon signed-rank test of the paired differences;
* :func:`sign_flip_test` -- exact (all 2^n sign patterns, n <= ``exact_max``) or Monte-Carlo
  sign-flip permutation test of the mean difference (MOABB's rule: exact below 20 subjects),
  through :func:`sign_flip_pvalue` (:func:`scipy.stats.permutation_test`);
* :func:`cohens_dz` and :func:`cliffs_delta` -- effect sizes, with percentile bootstrap CIs
  from :func:`bootstrap_ci` (:func:`percentile_bootstrap`, i.e. :func:`scipy.stats.bootstrap`).

Within one subject across cross-validation folds, :func:`corrected_resampled_t` is the
Nadeau-Bengio (2003) corrected resampled t-test. The plain paired t-test across folds is
anti-conservative because training sets overlap between folds, which makes the fold scores
positively correlated; the correction inflates the variance by ``n_test / n_train``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from neurocompare._errors import check_option, input_error

__all__ = [
    "TestResult",
    "bootstrap_ci",
    "cliffs_delta",
    "cohens_dz",
    "corrected_resampled_t",
    "percentile_bootstrap",
    "sign_flip_pvalue",
    "sign_flip_test",
    "wilcoxon",
]


@dataclass(frozen=True)
class TestResult:
    """A test statistic and its two-sided p-value."""

    statistic: float
    pvalue: float
    method: str


def _paired(a, b) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise input_error("scores", "two 1-D arrays of equal length (one score per subject)",
                          f"shapes {a.shape} and {b.shape}")
    if len(a) < 2:
        raise input_error("scores", "at least two paired scores", len(a))
    return a - b


def wilcoxon(a, b) -> TestResult:
    """Two-sided Wilcoxon signed-rank test of ``a - b`` (zero differences dropped, as scipy's
    default ``zero_method="wilcox"``).

    Parameters
    ----------
    a, b : array-like, shape (n_subjects,)
        Paired scores.
    """
    diff = _paired(a, b)
    if np.allclose(diff, 0):
        return TestResult(0.0, 1.0, "wilcoxon")
    res = stats.wilcoxon(diff)
    return TestResult(float(res.statistic), float(res.pvalue), "wilcoxon")


# Null means that equal the observed one in exact arithmetic differ from it by rounding; an
# absolute tolerance on the mean counts them as ties. scipy's own tolerance is relative to the
# observed statistic, which misses such ties when the observed mean is itself a rounding-level
# zero, so the statistic handed to scipy is the tie-tolerant exceedance indicator.
TIE_TOLERANCE = 1e-12
# Elements (patterns x observations x columns) per batch of the exact enumeration: bounds the
# memory scipy uses for index and resampled arrays (the 2**n patterns never exist at once).
_BATCH_ELEMENTS = 2 ** 18


def sign_flip_pvalue(x, alternative: str = "two-sided", n_permutations: int = 10000,
                     exact_max: int = 20, seed: int = 0) -> tuple[np.ndarray, bool]:
    """Sign-flip permutation p-value of the mean of ``x`` along axis 0.

    Under the null hypothesis each value is symmetric around zero, so every sign pattern is
    equally likely. With ``n <= exact_max`` (or ``n_permutations >= 2**n``) all ``2**n``
    patterns are enumerated and the p-value is the fraction whose mean is at least as extreme;
    otherwise ``n_permutations`` random patterns give ``(1 + #) / (1 + n_permutations)``.

    Parameters
    ----------
    x : array-like, shape (n,) or (n, n_columns)
        Paired differences (or importances), one test per column.
    alternative : {"two-sided", "greater"}
        ``|mean*| >= |mean|`` or ``mean* >= mean``.
    n_permutations : int
        Random sign patterns when not exact.
    exact_max : int
        Largest ``n`` enumerated exactly.
    seed : int
        Seed of the random patterns.

    Returns
    -------
    pvalue : ndarray, shape () or (n_columns,)
        NaN where the mean is NaN.
    exact : bool
        Whether all patterns were enumerated.
    """
    x = np.asarray(x, dtype=float)
    check_option("alternative", alternative, ("two-sided", "greater"))
    n = len(x)
    observed = x.mean(axis=0)
    two_sided = alternative == "two-sided"
    threshold = (np.abs(observed) if two_sided else observed) - TIE_TOLERANCE

    def exceeds(sample: np.ndarray, axis: int) -> np.ndarray:
        mean = sample.mean(axis=axis)
        return ((np.abs(mean) if two_sided else mean) >= threshold).astype(float)

    exact = n <= exact_max or n_permutations >= 2 ** n
    columns = int(np.prod(x.shape[1:]))
    res = stats.permutation_test(
        (x,), exceeds, permutation_type="samples", vectorized=True, axis=0,
        n_resamples=np.inf if exact else n_permutations, alternative="greater",
        batch=max(1, _BATCH_ELEMENTS // (n * columns)), rng=np.random.default_rng(seed))
    pvalue = np.asarray(res.pvalue, dtype=float)
    return np.where(np.isnan(observed), np.nan, pvalue), exact


def sign_flip_test(a, b, n_permutations: int = 10000, exact_max: int = 20,
                   seed: int = 0) -> TestResult:
    """Permutation test of the mean paired difference by flipping signs of the differences.

    Under the null hypothesis each difference is symmetric around zero, so every sign
    pattern is equally likely. With ``n <= exact_max`` subjects all ``2**n`` patterns are
    enumerated (an exact test); otherwise ``n_permutations`` random patterns are drawn and
    the p-value is ``(1 + #{|mean*| >= |mean|}) / (1 + n_permutations)`` (exact as well when
    ``n_permutations >= 2**n``). See :func:`sign_flip_pvalue`.

    Parameters
    ----------
    a, b : array-like, shape (n_subjects,)
    n_permutations : int
        Random sign patterns when not exact.
    exact_max : int
        Largest ``n`` enumerated exactly.
    seed : int
        Seed of the random patterns.
    """
    diff = _paired(a, b)
    pvalue, exact = sign_flip_pvalue(diff, "two-sided", n_permutations, exact_max, seed)
    method = "exact sign-flip permutation" if exact else "sign-flip permutation"
    return TestResult(float(diff.mean()), float(pvalue), method)


def cohens_dz(a, b) -> float:
    """Standardised mean difference of paired scores: mean(a - b) / sd(a - b) (ddof=1)."""
    diff = _paired(a, b)
    sd = diff.std(ddof=1)
    return float(diff.mean() / sd) if sd > 0 else float(np.sign(diff.mean()) * np.inf)


def cliffs_delta(a, b) -> float:
    """Cliff's delta: P(a > b) - P(a < b) over all pairs of values (ties count zero)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        raise input_error("scores", "non-empty score arrays", (a.size, b.size))
    greater = (a[:, None] > b[None, :]).mean()
    less = (a[:, None] < b[None, :]).mean()
    return float(greater - less)


def bootstrap_ci(a, b, statistic: Callable[[np.ndarray, np.ndarray], float],
                 n_boot: int = 2000, level: float = 0.95, seed: int = 0
                 ) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic(a, b)``, resampling subjects (pairs) jointly.

    Returns
    -------
    (low, high) : tuple of float
        NaN bounds when the statistic is undefined on every resample.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    _paired(a, b)
    return percentile_bootstrap((a, b), statistic, n_boot=n_boot, level=level, seed=seed,
                                paired=True)


def percentile_bootstrap(data: Sequence[np.ndarray], statistic: Callable[..., float], *,
                         n_boot: int = 2000, level: float = 0.95, seed: int = 0,
                         paired: bool = False, vectorized: bool = False
                         ) -> tuple[float, float]:
    """Percentile bootstrap CI through :func:`scipy.stats.bootstrap`.

    Resampled statistics that are not finite (e.g. Cohen's d_z of a resample of one repeated
    pair) are left out of the percentiles rather than propagated.

    Parameters
    ----------
    data : sequence of ndarray, each shape (n,)
        The samples (each with at least two values), resampled jointly when ``paired``.
    statistic : callable
        ``statistic(*samples)``, or ``statistic(*samples, axis=-1)`` when ``vectorized``.
    n_boot : int
        Resamples.
    level : float
        Confidence level.
    seed : int
        Seed of the resamples.
    paired, vectorized : bool
        As :func:`scipy.stats.bootstrap`.

    Returns
    -------
    (low, high) : tuple of float
        NaN bounds when the statistic is undefined on every resample.
    """
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(tuple(data), statistic, n_resamples=n_boot,
                              confidence_level=level, method="percentile", paired=paired,
                              vectorized=vectorized, rng=np.random.default_rng(seed))
    values = np.asarray(res.bootstrap_distribution, dtype=float)
    finite = np.isfinite(values)
    if finite.all():
        low, high = res.confidence_interval
    elif not finite.any():
        return float("nan"), float("nan")
    else:
        tail = 100 * (1 - level) / 2
        low, high = np.percentile(values[finite], [tail, 100 - tail])
    return float(low), float(high)


def corrected_resampled_t(a, b, n_train: int, n_test: int) -> TestResult:
    """Nadeau-Bengio corrected resampled t-test on per-fold paired scores of one subject.

    ``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with ``J`` folds and ``J - 1``
    degrees of freedom (Nadeau & Bengio 2003; Bouckaert & Frank 2004).

    Parameters
    ----------
    a, b : array-like, shape (n_folds,)
        Scores of two pipelines on the same folds.
    n_train, n_test : int
        Training and test set sizes of a fold.
    """
    diff = _paired(a, b)
    if n_train <= 0 or n_test <= 0:
        raise input_error("n_train/n_test", "positive fold sizes", (n_train, n_test))
    j = len(diff)
    var = diff.var(ddof=1)
    if var == 0:
        return TestResult(0.0 if diff.mean() == 0 else np.sign(diff.mean()) * np.inf,
                          1.0 if diff.mean() == 0 else 0.0, "corrected resampled t")
    t = diff.mean() / np.sqrt((1 / j + n_test / n_train) * var)
    return TestResult(float(t), float(2 * stats.t.sf(abs(t), df=j - 1)),
                      "corrected resampled t")
