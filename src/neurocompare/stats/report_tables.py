"""The tables the report shows for each dataset and across datasets (pure functions).

:func:`dataset_tables` gathers what the report computes for one dataset: scores per unit
(subjects, or folds when there is a single pseudo-subject), the chance threshold, the
operation ledger, the Friedman test and the pairwise comparisons. :func:`pooled_difference`
pools the headline differences over datasets (random effects and Stouffer's method).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from neurocompare.stats.compare import pairwise
from neurocompare.stats.multiple import (
    FriedmanResult,
    MetaResult,
    friedman_nemenyi,
    random_effects,
    stouffer,
)
from neurocompare.stats.summary import (
    dataset_metric,
    higher_is_better,
    real_runs,
    subject_scores,
    summary_table,
)

__all__ = ["LEDGER_COLUMNS", "DatasetTables", "PooledDifference", "dataset_tables",
           "has_permutations", "ledger_table", "pooled_difference"]

#: Operation-ledger columns of the result rows, in the order the report shows them.
LEDGER_COLUMNS = ("ledger_param_count", "ledger_param_bytes", "ledger_synaptic_macs",
                  "ledger_synaptic_acs", "ledger_dense_ops", "ledger_activation_sparsity",
                  "ledger_connection_sparsity", "energy_j")


def ledger_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean operation ledger per pipeline.

    Parameters
    ----------
    rows : DataFrame, shape (n_rows, n_columns)
        Result rows with columns pipeline, family and some of :data:`LEDGER_COLUMNS`.

    Returns
    -------
    DataFrame, shape (n_pipelines, 2 + len(LEDGER_COLUMNS))
        Columns pipeline, family and every ledger column (missing ones NaN); empty when the
        rows have no ``energy_j`` column.
    """
    present = [c for c in LEDGER_COLUMNS if c in rows.columns]
    if "energy_j" not in present:
        return pd.DataFrame()
    out = rows.groupby(["pipeline", "family"])[present].mean().reset_index()
    return out.reindex(columns=["pipeline", "family", *LEDGER_COLUMNS])


@dataclass(frozen=True)
class DatasetTables:
    """What the report computes for one dataset.

    Attributes
    ----------
    rows : DataFrame
        The dataset's real-label result rows.
    unit : {"subject", "fold"}
        What one score is: a subject's mean over folds, or one fold when the dataset has a
        single (pseudo-)subject.
    scores : DataFrame, shape (n_pipelines * n_units, 4)
        Columns pipeline, family, ``unit`` and score.
    wide : DataFrame, shape (n_units, n_pipelines)
        The same scores, one column per pipeline.
    chance_threshold : float or None
        Median binomial chance threshold over subjects (accuracy only).
    best_pair : (str, str) or None
        Best deep and best traditional pipeline from the headline.
    summary : DataFrame
        :func:`~neurocompare.stats.summary.summary_table` of the dataset, plus ``energy_j``
        when the ledger estimated an energy.
    ledger : DataFrame
        :func:`ledger_table` of the dataset.
    friedman : FriedmanResult or None
        Friedman + Nemenyi over the subjects every pipeline scored (needs 3 pipelines and
        2 subjects).
    ranked : list of str
        The pipelines of ``friedman.mean_ranks``, in its order.
    pairwise : DataFrame
        Every pair of pipelines (empty with one pipeline).
    metric : str
        The score column these tables compare.
    """

    rows: pd.DataFrame
    unit: str
    scores: pd.DataFrame
    wide: pd.DataFrame
    chance_threshold: float | None
    best_pair: tuple[str, str] | None
    summary: pd.DataFrame
    ledger: pd.DataFrame
    friedman: FriedmanResult | None
    ranked: list[str]
    pairwise: pd.DataFrame
    metric: str = "accuracy"

    @property
    def has_energy(self) -> bool:
        """Whether the summary carries the ledger's energy estimate."""
        return "energy_j" in self.summary.columns


def dataset_tables(table: pd.DataFrame, name: str, metric: str, chance: pd.DataFrame,
                   head: pd.DataFrame) -> DatasetTables:
    """Gather the tables of dataset ``name``.

    Parameters
    ----------
    table : DataFrame
        Real-label result rows of every dataset (:func:`~neurocompare.stats.summary
        .real_runs`).
    name : str
        Dataset.
    metric : str
        Score column, or ``"auto"`` for the dataset's
        :func:`~neurocompare.stats.summary.dataset_metric`.
    chance : DataFrame
        :func:`~neurocompare.stats.compare.chance_table` of the results.
    head : DataFrame
        :func:`~neurocompare.stats.compare.headline` of the results.
    """
    rows = table[table["dataset"] == name]
    metric = dataset_metric(table, name, metric)
    scores = subject_scores(rows, metric)
    threshold = chance.loc[chance["dataset"] == name, "chance_threshold"].median() \
        if metric == "accuracy" else None
    by_subject = scores.pivot(index="subject", columns="pipeline", values="score")
    unit, shown, shown_wide = "subject", scores, by_subject
    if scores["subject"].nunique() < 2:  # one (pseudo-)subject: the folds are the units
        unit = "fold"
        shown = real_runs(rows).rename(columns={metric: "score"})[
            ["pipeline", "family", "fold", "score"]]
        shown_wide = shown.pivot_table(index="fold", columns="pipeline", values="score")
    match = head[head["dataset"] == name] if not head.empty else head
    best_pair = (match.iloc[0]["a"], match.iloc[0]["b"]) if len(match) else None
    summary = summary_table(rows, metric)
    ledger = ledger_table(rows)
    if not ledger.empty and ledger["energy_j"].notna().any():
        summary = summary.merge(ledger[["pipeline", "energy_j"]], on="pipeline", how="left")
    complete = by_subject.dropna()
    friedman, ranked = None, []
    if complete.shape[1] >= 3 and complete.shape[0] >= 2:
        sign = 1.0 if higher_is_better(metric) else -1.0  # rank 1 = best, also for errors
        friedman = friedman_nemenyi(sign * complete.to_numpy())
        ranked = list(complete.columns)
    pairs = pairwise(rows, name, metric) if rows["pipeline"].nunique() > 1 else pd.DataFrame()
    return DatasetTables(rows=rows, unit=unit, scores=shown, wide=shown_wide,
                         chance_threshold=threshold, best_pair=best_pair, summary=summary,
                         ledger=ledger, friedman=friedman, ranked=ranked, pairwise=pairs,
                         metric=metric)


@dataclass(frozen=True)
class PooledDifference:
    """Headline differences pooled over datasets.

    Attributes
    ----------
    meta : MetaResult
        DerSimonian-Laird random effects of the differences (standard errors from the CIs).
    stouffer : float
        Stouffer-combined one-sided p-value that deep is better, weighted by ``n``.
    """

    meta: MetaResult
    stouffer: float


def pooled_difference(head: pd.DataFrame) -> PooledDifference | None:
    """Pool the headline's best-deep minus best-traditional differences over datasets.

    Parameters
    ----------
    head : DataFrame, shape (n_datasets, n_columns)
        :func:`~neurocompare.stats.compare.headline` (columns difference, ci_low, ci_high,
        pvalue, n).

    Returns
    -------
    PooledDifference or None
        None with fewer than two datasets, or when the datasets are compared on different
        metrics (accuracy and MAE do not pool).
    """
    metrics = set(head["metric"]) if "metric" in head.columns else {"accuracy"}
    if len(head) < 2 or len(metrics) > 1:
        return None
    better = 1.0 if higher_is_better(metrics.pop()) else -1.0
    se = (head["ci_high"] - head["ci_low"]) / (2 * 1.96)
    meta = random_effects(head["difference"], np.maximum(se, 1e-6) ** 2)
    one_sided = [p / 2 if better * d > 0 else 1 - p / 2
                 for p, d in zip(head["pvalue"], head["difference"], strict=True)]
    return PooledDifference(meta=meta, stouffer=stouffer(one_sided, head["n"]))


def has_permutations(table: pd.DataFrame) -> bool:
    """Whether the results hold label-permutation runs (``permutation > 0``)."""
    return bool((table.get("permutation", pd.Series([0])) > 0).any())
