"""Stability of importance rankings and the biomarker table (pure functions).

Input is an importance matrix, shape (n_units, n_groups): one row per fold (or per subject,
after averaging its folds), one column per channel or band. Agreement between units:

* :func:`spearman_matrix` -- pairwise Spearman rank correlation of the rows
  (:func:`scipy.stats.spearmanr`, average ranks for ties);
* :func:`jaccard_matrix` -- pairwise Jaccard index of the top-``k`` sets;
* :func:`rank_agreement` -- their mean over distinct pairs, with percentile bootstrap CIs
  that resample units (pairs of the same resampled unit are left out, so duplicates do not
  inflate the agreement).

A **biomarker** (:func:`biomarker_table`) is a group that is both *stable* -- in the top-``k``
of at least ``min_frequency`` of the units -- and *significant* -- its importance is above the
null of no effect, tested over units with a one-sided sign-flip permutation test of the mean
(exact up to 16 units; under the null each unit's importance is symmetric around 0, as for
permutation importance of an unused group), Holm-corrected over the groups. Few units limit
what can pass: with ``n`` units the smallest exact p-value is ``2**-n``, so with 24 groups
at least 10 units (e.g. 2 sessions x 5 folds) are needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from neurocompare._errors import input_error
from neurocompare.stats.multiple import holm
from neurocompare.stats.paired import percentile_bootstrap, sign_flip_pvalue

__all__ = [
    "Agreement",
    "biomarker_table",
    "importance_matrix",
    "jaccard_matrix",
    "rank_agreement",
    "selection_frequency",
    "sign_flip_pvalues",
    "spearman_matrix",
    "topk_mask",
]


def _matrix(M) -> np.ndarray:
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[1] < 2:
        raise input_error("importances", "a matrix (n_units, n_groups) with >= 2 groups",
                          getattr(M, "shape", None))
    return M


def spearman_matrix(M) -> np.ndarray:
    """Pairwise Spearman correlation of the rows of ``M``.

    Parameters
    ----------
    M : array-like, shape (n_units, n_groups)

    Returns
    -------
    ndarray, shape (n_units, n_units)
        NaN for pairs involving a constant row or a row with a NaN.
    """
    M = _matrix(M)
    # spearmanr turns the whole matrix NaN for one NaN and warns on constant rows; leaving
    # those rows out keeps the other pairs
    usable = np.flatnonzero(~np.isnan(M).any(axis=1) & (M != M[:, :1]).any(axis=1))
    out = np.full((len(M), len(M)), np.nan)
    if len(usable) >= 3:
        out[np.ix_(usable, usable)] = spearmanr(M[usable], axis=1).statistic
    elif len(usable) == 2:  # two rows: spearmanr returns the coefficient alone
        rho = spearmanr(M[usable[0]], M[usable[1]]).statistic
        out[np.ix_(usable, usable)] = [[1.0, rho], [rho, 1.0]]
    elif len(usable) == 1:
        out[usable[0], usable[0]] = 1.0
    return out


def topk_mask(M, k: int) -> np.ndarray:
    """Whether each group is among the ``k`` largest of its row (ties by column order).

    Returns
    -------
    ndarray of bool, shape (n_units, n_groups)
    """
    M = _matrix(M)
    if not isinstance(k, (int, np.integer)) or not 1 <= k <= M.shape[1]:
        raise input_error("k", f"an integer in 1..{M.shape[1]}", k)
    order = np.argsort(-M, axis=1, kind="stable")[:, :k]
    mask = np.zeros(M.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def jaccard_matrix(M, k: int) -> np.ndarray:
    """Pairwise Jaccard index of the rows' top-``k`` sets, shape (n_units, n_units)."""
    mask = topk_mask(M, k).astype(float)
    inter = mask @ mask.T
    return inter / (2 * k - inter)


def _pair_mean(S: np.ndarray, idx: np.ndarray) -> float:
    sub = S[np.ix_(idx, idx)]
    distinct = idx[:, None] != idx[None, :]
    values = sub[distinct]
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


@dataclass(frozen=True)
class Agreement:
    """Mean pairwise agreement of importance rankings with bootstrap CIs."""

    spearman: float
    spearman_ci: tuple[float, float]
    jaccard: float
    jaccard_ci: tuple[float, float]
    k: int
    n_units: int


def rank_agreement(M, k: int = 3, n_boot: int = 2000, level: float = 0.95,
                   seed: int = 0) -> Agreement:
    """Mean pairwise Spearman correlation and top-``k`` Jaccard index across units.

    Parameters
    ----------
    M : array-like, shape (n_units, n_groups)
        Importance per unit (fold or subject) and group; at least 2 units.
    k : int
        Size of the top sets.
    n_boot : int
        Bootstrap resamples of the units.
    level : float
        CI level.
    seed : int

    Returns
    -------
    Agreement
    """
    M = _matrix(M)
    if len(M) < 2:
        raise input_error("importances", "at least 2 units (folds or subjects)", len(M))
    S, J = spearman_matrix(M), jaccard_matrix(M, k)
    everyone = np.arange(len(M))

    def ci(matrix: np.ndarray) -> tuple[float, float]:
        # resampling unit indices with one seed gives both matrices the same draws
        return percentile_bootstrap((everyone,), lambda idx: _pair_mean(matrix, idx),
                                    n_boot=n_boot, level=level, seed=seed)

    return Agreement(_pair_mean(S, everyone), ci(S), _pair_mean(J, everyone), ci(J), k,
                     len(M))


def selection_frequency(M, k: int) -> np.ndarray:
    """Fraction of units that rank each group in their top ``k``, shape (n_groups,)."""
    return topk_mask(M, k).mean(axis=0)


def sign_flip_pvalues(M, n_permutations: int = 10000, exact_max: int = 16,
                      seed: int = 0) -> np.ndarray:
    """One-sided sign-flip permutation p-values that each group's mean importance is > 0.

    Parameters
    ----------
    M : array-like, shape (n_units, n_groups)
    n_permutations : int
        Random sign patterns when ``n_units > exact_max``.
    exact_max : int
        Largest number of units whose ``2**n`` patterns are enumerated.
    seed : int

    Returns
    -------
    ndarray, shape (n_groups,)
        ``P(mean* >= mean)`` under random signs (exact, also when ``n_permutations >=
        2**n_units``), or ``(1 + #) / (1 + B)``; see
        :func:`neurocompare.stats.paired.sign_flip_pvalue`.
    """
    M = np.asarray(M, dtype=float)
    n = len(M)
    if n < 1:
        raise input_error("importances", "at least one unit", n)
    return sign_flip_pvalue(M, "greater", n_permutations, exact_max, seed)[0]


def importance_matrix(rows: pd.DataFrame, units: Sequence[str] = ("subject", "session", "fold"),
                      aggregate: Sequence[str] | None = None) -> pd.DataFrame:
    """Pivot tidy importance rows of one pipeline, method and group type to units x groups.

    Parameters
    ----------
    rows : DataFrame
        Columns ``group``, ``importance`` and the ``units`` columns.
    units : sequence of str
        Columns identifying a unit (a fold by default).
    aggregate : sequence of str, optional
        Average over the other unit columns first, keeping these (``["subject"]``: one row
        per subject, the mean of its folds).

    Returns
    -------
    DataFrame, shape (n_units, n_groups)
        Groups in first-seen order; missing cells are NaN.
    """
    keys = list(aggregate) if aggregate else list(units)
    groups = pd.unique(rows["group"])
    table = rows.pivot_table(index=keys, columns="group", values="importance",
                             aggfunc="mean", sort=True)
    return table.reindex(columns=groups)


def biomarker_table(matrix: pd.DataFrame, k: int = 3, min_frequency: float = 0.5,
                    alpha: float = 0.05, seed: int = 0, keep_all: bool = False
                    ) -> pd.DataFrame:
    """Groups that are stable (top-``k`` often) and significantly important (Holm).

    Parameters
    ----------
    matrix : DataFrame, shape (n_units, n_groups)
        :func:`importance_matrix` output (NaN cells count as 0).
    k : int
        Top-set size of the stability criterion.
    min_frequency : float
        Fraction of units whose top-``k`` must contain the group.
    alpha : float
        Family-wise error rate of the Holm-corrected sign-flip tests.
    seed : int
        Seed of the Monte-Carlo sign patterns (more than 16 units).
    keep_all : bool
        Return every group with its criteria instead of the biomarkers only.

    Returns
    -------
    DataFrame
        Columns group, mean_importance, selection_frequency, pvalue, pvalue_holm, stable,
        significant, n_units; biomarkers sorted by mean importance.
    """
    M = matrix.fillna(0.0).to_numpy(dtype=float)
    k = min(k, M.shape[1])
    pvalues = sign_flip_pvalues(M, seed=seed)
    out = pd.DataFrame({
        "group": [str(c) for c in matrix.columns], "mean_importance": M.mean(axis=0),
        "selection_frequency": selection_frequency(M, k) if M.shape[1] >= 2
        else np.ones(M.shape[1]),
        "pvalue": pvalues, "pvalue_holm": holm(pvalues), "n_units": len(M)})
    out["stable"] = out["selection_frequency"] >= min_frequency
    out["significant"] = out["pvalue_holm"] < alpha
    if not keep_all:
        out = out[out["stable"] & out["significant"]]
    return out.sort_values("mean_importance", ascending=False).reset_index(drop=True)
