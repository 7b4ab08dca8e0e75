"""Template context of the comparison sections (headline, scores, cost, ranks, chance).

Each function takes tables computed by :mod:`neurocompare.stats.report_tables` (and the other
``stats`` modules), draws the figures into a :class:`~neurocompare.report.context
.FigureFolder` and returns the plain values ``templates/report.html`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from neurocompare.report import figures
from neurocompare.report.context import FigureFolder
from neurocompare.stats.report_tables import DatasetTables, PooledDifference

__all__ = ["APPLICATIONS", "chance_verdicts", "dataset_section", "forest_figure",
           "headline_rows"]

#: The application a dataset kind stands for, in the headline table.
APPLICATIONS = {"epochs": "EEG/MEG trial decoding", "timeseries": "fMRI connectome "
                "classification", "tabular": "clinical / structural table",
                "molecules": "molecular property prediction",
                "pairs": "drug-target affinity"}

_COSTS = [("fit_time_s", "training time per fold (s)"),
          ("latency_ms", "prediction latency per trial (ms)")]
_ENERGY = ("energy_j", "estimated compute energy per prediction (J)")


def headline_rows(head: pd.DataFrame, records: Mapping[str, Mapping[str, Any]],
                  not_learned: set[tuple[str, str]] = frozenset()) -> list[dict[str, Any]]:
    """Headline rows with the ``application`` of each dataset (from its record's kind) and
    ``deep_did_not_learn``: the deep pipeline compared is one that did not learn
    (:func:`neurocompare.stats.training.not_learned`), so the row is no deep-learning result."""
    rows = head.to_dict("records")
    for row in rows:
        kind = records.get(row["dataset"], {}).get("kind", "epochs")
        row["application"] = APPLICATIONS.get(kind, kind)
        row["deep_did_not_learn"] = (row["dataset"], row["a"]) in not_learned
    return rows


def chance_verdicts(beats: pd.DataFrame) -> list[dict[str, Any]]:
    """Per dataset: the sentence saying which pipelines beat chance, and their rows.

    Parameters
    ----------
    beats : DataFrame
        :func:`neurocompare.stats.compare.pipeline_chance` of the results.
    """
    out = []
    if beats.empty:
        return out
    for dataset, group in beats.groupby("dataset", sort=True):
        above = group.loc[group["beats_chance"], "pipeline"].tolist()
        if not above:
            sentence = f"No pipeline beats chance on {dataset}."
        elif len(above) == len(group):
            sentence = f"Every pipeline beats chance on {dataset}."
        else:
            below = group.loc[~group["beats_chance"], "pipeline"].tolist()
            sentence = (f"On {dataset}, {len(above)} of {len(group)} pipelines beat chance; "
                        f"not: {', '.join(below)}.")
        out.append({"dataset": dataset, "sentence": sentence,
                    "rows": group.sort_values("accuracy", ascending=False).to_dict("records")})
    return out


def dataset_section(name: str, tables: DatasetTables, metric: str,
                    record: Mapping[str, Any] | None, figs: FigureFolder) -> dict[str, Any]:
    """Draw the figures of one dataset and return its template values.

    Parameters
    ----------
    name : str
        Dataset.
    tables : DatasetTables
        :func:`neurocompare.stats.report_tables.dataset_tables` of the dataset.
    metric : str
        Score column.
    record : mapping, optional
        Dataset record of the run manifest (class names, provenance).
    figs : FigureFolder
        Where the figures go.

    Returns
    -------
    dict
        name, record, friedman, ledger and pairwise (lists of row dicts), and figures:
        kind (scores, paired, cost, cd, confusion) -> list of PNG data URIs ("confusion"
        holds the predicted-vs-observed and residual panels on a regression dataset).
    """
    unit = tables.unit
    shown: dict[str, list[str]] = {k: [] for k in ("scores", "paired", "cost", "cd",
                                                   "confusion")}
    shown["scores"].append(figs.add(figures.score_distribution(
        tables.scores, tables.chance_threshold, metric, f"{name}: {metric} per {unit}",
        unit=unit), f"{name}_scores"))
    if tables.best_pair is not None:
        deep, trad = tables.best_pair
        shown["paired"].append(figs.add(figures.paired_plot(
            tables.wide[[deep, trad]].dropna(), deep, trad, metric,
            f"{name}\nbest deep vs best traditional, per {unit}"), f"{name}_paired"))
    costs = [*_COSTS, _ENERGY] if tables.has_energy else _COSTS
    shown["cost"].append(figs.add(figures.cost_pareto(
        tables.summary, costs, metric, f"{name}: {metric} vs cost"), f"{name}_cost"))
    if tables.friedman is not None:
        result = tables.friedman
        shown["cd"].append(figs.add(figures.cd_diagram(
            pd.Series(result.mean_ranks, index=tables.ranked), result.critical_difference,
            f"{name}: mean rank (1 = best), Nemenyi CD at alpha 0.05"), f"{name}_cd"))
    if (tables.rows["n_classes"] == 0).all():  # regression: predictions, not confusions
        drawn = list(tables.best_pair) if tables.best_pair else \
            tables.summary["pipeline"].head(2).tolist()
        shown["confusion"].append(figs.add(figures.predicted_vs_observed(
            tables.rows, drawn, f"{name}: predicted vs observed, residuals (test folds)"),
            f"{name}_predictions"))
    else:
        classes = record["class_names"] if record else \
            [str(i) for i in range(int(tables.rows["n_classes"].max()))]
        shown["confusion"].append(figs.add(figures.confusion_grid(
            tables.rows, classes, f"{name}: confusion"), f"{name}_confusion"))
    return {"name": name, "record": record, "friedman": tables.friedman, "figures": shown,
            "ledger": tables.ledger.to_dict("records"),
            "pairwise": tables.pairwise.to_dict("records")}


def forest_figure(head: pd.DataFrame, pooled: PooledDifference | None, metric: str,
                  figs: FigureFolder) -> str | None:
    """Forest plot of the headline differences with the pooled estimate (its data URI), or
    None when nothing was pooled."""
    if pooled is None:
        return None
    labels = head["dataset"] + ": " + head["a"] + " - " + head["b"]
    return figs.add(figures.forest_plot(
        head.assign(label=labels), (pooled.meta.effect, *pooled.meta.ci), metric,
        "Best deep minus best traditional, per dataset"), "forest")
