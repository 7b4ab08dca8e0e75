"""Tables of means over the tidy results (pure functions)."""

from __future__ import annotations

import pandas as pd

from neurocompare._errors import input_error

__all__ = ["LOWER_IS_BETTER", "dataset_metric", "higher_is_better", "largest_budget",
           "latest_rows", "real_runs", "subject_scores", "summary_table"]

#: Score columns where a smaller value is better (errors).
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mse"})
#: Headline metric per task when a report asks for ``"auto"``.
PRIMARY = {"classification": "accuracy", "regression": "mae"}


def higher_is_better(metric: str) -> bool:
    """Whether a larger ``metric`` is a better score (False for errors such as MAE)."""
    return metric not in LOWER_IS_BETTER


def dataset_metric(table: pd.DataFrame, dataset: str, metric: str = "auto") -> str:
    """The score column that compares pipelines on ``dataset``.

    ``metric`` itself unless it is ``"auto"``: then accuracy for a classification dataset
    and mean absolute error for a regression one (its rows carry ``n_classes == 0``).
    """
    if metric != "auto":
        return metric
    rows = table[table["dataset"] == dataset]
    regression = "n_classes" in rows.columns and len(rows) and (rows["n_classes"] == 0).all()
    return PRIMARY["regression" if regression else "classification"]


def real_runs(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of the real-label runs (``permutation == 0``), without the permutation nulls."""
    if "permutation" not in table.columns:
        return table
    return table[table["permutation"] == 0]


def latest_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The newest row of each (dataset, pipeline, fold, permutation, seed).

    A pipeline label names its parameters, so one label holds one configuration -- unless
    the registry's recipe for it changed and a stored run was resumed: then its rows of the
    old recipe (another pipeline key, same label) are left out instead of being averaged
    with the new ones. Tables without ``created_at`` are returned as they are.
    """
    group = [c for c in ("dataset", "pipeline", "fold", "permutation", "seed")
             if c in table.columns]
    if "created_at" not in table.columns or not group or table.empty:
        return table
    newest = table.groupby(group, observed=True)["created_at"].transform("max")
    return table[table["created_at"] == newest]


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


def summary_table(table: pd.DataFrame, metric: str = "auto") -> pd.DataFrame:
    """Per dataset and pipeline: mean and sd of the subject scores, and mean costs.

    Parameters
    ----------
    table : DataFrame
        Result rows.
    metric : str
        Score column, or ``"auto"`` for each dataset's :func:`dataset_metric`.

    Returns
    -------
    DataFrame
        Columns dataset, pipeline, family, n_subjects, mean, sd, fit_time_s (mean per fold),
        latency_ms (mean), metric, sorted by dataset then best first.
    """
    if metric == "auto":
        parts = [summary_table(table[table["dataset"] == name],
                               dataset_metric(table, name))
                 for name in sorted(real_runs(table)["dataset"].unique())]
        return pd.concat(parts, ignore_index=True) if parts else summary_table(table, "accuracy")
    scores = subject_scores(table, metric)
    agg = scores.groupby(["dataset", "pipeline", "family"], observed=True)["score"].agg(
        n_subjects="count", mean="mean", sd="std").reset_index()
    costs = real_runs(table).groupby(["dataset", "pipeline"], observed=True)[
        ["fit_time_s", "latency_ms"]].mean().reset_index()
    out = agg.merge(costs, on=["dataset", "pipeline"]).assign(metric=metric)
    return out.sort_values(["dataset", "mean"], ascending=[True, not higher_is_better(metric)],
                           ignore_index=True)
