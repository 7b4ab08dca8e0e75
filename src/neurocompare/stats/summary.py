"""Tables of means over the tidy results (pure functions)."""

from __future__ import annotations

import pandas as pd

from neurocompare._errors import input_error

__all__ = ["largest_budget", "real_runs", "subject_scores", "summary_table"]


def real_runs(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the real-label runs (``permutation == 0``), without the permutation nulls."""
    if "permutation" not in table.columns:
        return table
    return table[table["permutation"] == 0]


def largest_budget(table: pd.DataFrame) -> pd.DataFrame:
    """Rows at the largest data budget of each dataset (other rows are kept as they are).

    Learning-curve results keep only their largest training size and calibration results
    their largest ``k``, so that headline comparisons use the full training sets.
    """
    for column in ("size", "k"):
        if column in table.columns and table[column].notna().any():
            largest = table.groupby("dataset")[column].transform("max")
            table = table[table[column].isna() | (table[column] == largest)]
    return table


def subject_scores(table: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Average ``metric`` over folds (and sessions) within each subject.

    Parameters
    ----------
    table : DataFrame
        Result rows with columns dataset, pipeline, family, subject and ``metric``.
    metric : str
        Metric column.

    Returns
    -------
    DataFrame
        One row per (dataset, pipeline, subject): ``family``, ``score`` and ``n_folds``.
    """
    if metric not in table.columns:
        raise input_error("metric", f"one of the result columns {list(table.columns)}", metric)
    table = real_runs(table)
    grouped = table.groupby(["dataset", "pipeline", "family", "subject"], observed=True)
    return grouped[metric].agg(score="mean", n_folds="count").reset_index()


def summary_table(table: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Per dataset and pipeline: mean and sd of the subject scores, and mean costs.

    Returns
    -------
    DataFrame
        Columns dataset, pipeline, family, n_subjects, mean, sd, fit_time_s (mean per fold),
        latency_ms (mean), sorted by dataset then descending mean.
    """
    scores = subject_scores(table, metric)
    agg = scores.groupby(["dataset", "pipeline", "family"], observed=True)["score"].agg(
        n_subjects="count", mean="mean", sd="std").reset_index()
    costs = real_runs(table).groupby(["dataset", "pipeline"], observed=True)[
        ["fit_time_s", "latency_ms"]].mean().reset_index()
    out = agg.merge(costs, on=["dataset", "pipeline"])
    return out.sort_values(["dataset", "mean"], ascending=[True, False], ignore_index=True)
