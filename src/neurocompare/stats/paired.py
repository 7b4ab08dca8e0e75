"""Paired comparisons of two pipelines (pure functions over score arrays).

Across subjects (one score per subject and pipeline):

* :func:`wilcoxon` -- Wilcoxon signed-rank test of the paired differences;
* :func:`sign_flip_test` -- exact (all 2^n sign patterns, n <= ``exact_max``) or Monte-Carlo
  sign-flip permutation test of the mean difference (MOABB's rule: exact below 20 subjects);
* :func:`cohens_dz` and :func:`cliffs_delta` -- effect sizes, with percentile bootstrap CIs
  from :func:`bootstrap_ci`.

Within one subject across cross-validation folds, :func:`corrected_resampled_t` is the
Nadeau-Bengio (2003) corrected resampled t-test. The plain paired t-test across folds is
anti-conservative because training sets overlap between folds, which makes the fold scores
positively correlated; the correction inflates the variance by ``n_test / n_train``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from neurocompare._errors import input_error

__all__ = [
    "TestResult",
    "bootstrap_ci",
    "cliffs_delta",
    "cohens_dz",
    "corrected_resampled_t",
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


def sign_flip_test(a, b, n_permutations: int = 10000, exact_max: int = 20,
                   seed: int = 0) -> TestResult:
    """Permutation test of the mean paired difference by flipping signs of the differences.

    Under the null hypothesis each difference is symmetric around zero, so every sign
    pattern is equally likely. With ``n <= exact_max`` subjects all ``2**n`` patterns are
    enumerated (an exact test); otherwise ``n_permutations`` random patterns are drawn and
    the p-value is ``(1 + #{|mean*| >= |mean|}) / (1 + n_permutations)``.

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
    n = len(diff)
    observed = abs(diff.mean())
    if n <= exact_max:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        null = np.abs(signs @ diff / n)
        pvalue = float(np.mean(null >= observed - 1e-12))
        return TestResult(float(diff.mean()), pvalue, "exact sign-flip permutation")
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(n_permutations, n))
    null = np.abs(signs @ diff / n)
    pvalue = (1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations)
    return TestResult(float(diff.mean()), float(pvalue), "sign-flip permutation")


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
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(a), size=(n_boot, len(a)))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.array([statistic(a[i], b[i]) for i in idx], dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


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
