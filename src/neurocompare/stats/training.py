"""Did the deep pipelines learn? Per-pipeline summaries of the training columns of result rows.

Rows of pipelines that train a network carry ``train_epochs``, ``learned`` (a binomial test of
the kept weights' training accuracy against the majority-class share) and the per-epoch
``training_curve`` (:mod:`neurocompare.evaluation.training`). These pure functions summarise
them per (dataset, pipeline) so the report can say when a network did not learn.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

__all__ = ["NOT_LEARNED_SHARE", "not_learned", "training_curves", "training_summary"]

#: A pipeline "did not learn" on a dataset when at most this share of its folds learned.
NOT_LEARNED_SHARE = 0.5

_COLUMNS = ["dataset", "pipeline", "folds", "learned_folds", "learned_share", "epochs",
            "best_epoch", "stop_reasons", "train_metric", "train_accuracy", "valid_accuracy",
            "did_not_learn"]


def _deep_rows(table: pd.DataFrame) -> pd.DataFrame:
    if "train_epochs" not in table.columns:
        return table.iloc[:0]
    rows = table[table["train_epochs"].notna()]
    if "permutation" in rows.columns:
        rows = rows[rows["permutation"] == 0]
    return rows


def training_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, pipeline) that trains a network.

    Returns
    -------
    DataFrame
        ``folds``, ``learned_folds``, ``learned_share``, median ``epochs`` and ``best_epoch``,
        ``stop_reasons`` ("early_stopping: 8, max_epochs: 2"), median ``train_accuracy`` and
        ``valid_accuracy`` (R^2 for a regressor, named in ``train_metric``), and
        ``did_not_learn`` (learned share at most :data:`NOT_LEARNED_SHARE`).
    """
    rows = _deep_rows(table)
    out = []
    for (dataset, pipeline), group in rows.groupby(["dataset", "pipeline"], sort=True):
        learned = group["learned"].fillna(False).astype(bool)
        reasons = group["train_stop_reason"].value_counts().sort_index()
        share = float(learned.mean())
        regression = "train_r2" in group.columns and group["train_accuracy"].isna().all() \
            and group["train_r2"].notna().any()
        train, valid = ("train_r2", "valid_r2") if regression else ("train_accuracy",
                                                                    "valid_accuracy")
        out.append({
            "dataset": dataset, "pipeline": pipeline, "folds": len(group),
            "learned_folds": int(learned.sum()), "learned_share": share,
            "epochs": float(group["train_epochs"].median()),
            "best_epoch": float(group["train_best_epoch"].median()),
            "stop_reasons": ", ".join(f"{k}: {v}" for k, v in reasons.items()),
            "train_metric": "R2" if regression else "accuracy",
            "train_accuracy": float(group[train].median()),
            "valid_accuracy": float(group[valid].median()),
            "did_not_learn": share <= NOT_LEARNED_SHARE,
        })
    return pd.DataFrame(out, columns=_COLUMNS)


def not_learned(summary: pd.DataFrame) -> set[tuple[str, str]]:
    """(dataset, pipeline) pairs of :func:`training_summary` that did not learn."""
    if summary.empty:
        return set()
    flagged = summary.loc[summary["did_not_learn"].astype(bool)]
    return set(zip(flagged["dataset"], flagged["pipeline"], strict=True))


def training_curves(table: pd.DataFrame, dataset: str, pipeline: str) -> list[pd.DataFrame]:
    """The per-epoch curves (one DataFrame per fold: epoch, train_loss, valid_loss,
    train_accuracy, valid_accuracy) of one pipeline on one dataset."""
    rows = _deep_rows(table)
    rows = rows[(rows["dataset"] == dataset) & (rows["pipeline"] == pipeline)]
    curves = []
    for text in rows["training_curve"].dropna():
        frame = pd.DataFrame(json.loads(text))
        for column in ("valid_loss", "valid_accuracy", "train_accuracy"):
            if column not in frame.columns:
                frame[column] = np.nan
        curves.append(frame)
    return curves
