"""Build the report of an output folder: one self-contained HTML file plus figures and tables.

``<out>/report/report.html`` embeds every figure (PNG data URIs) so it opens with no network;
``<out>/report/figures/*.png|svg`` and ``<out>/report/tables/*.csv`` sit beside it. The
statistics come from :mod:`neurocompare.stats` (per-dataset tables from
:mod:`neurocompare.stats.report_tables`), the section values from
:mod:`~neurocompare.report.comparison`, :mod:`~neurocompare.report.data_efficiency` and
:mod:`~neurocompare.report.interpretability`, and the HTML from the autoescaping templates of
:mod:`~neurocompare.report.rendering`: every string that comes from a dataset (subject ids,
channel and class names) is HTML-escaped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from neurocompare._errors import input_error
from neurocompare.records.manifest import read_runs
from neurocompare.records.store import ResultStore
from neurocompare.report.comparison import (
    chance_verdicts,
    dataset_section,
    forest_figure,
    headline_rows,
)
from neurocompare.report.context import FigureFolder, records_by_name, safe_name
from neurocompare.report.data_efficiency import budget_context
from neurocompare.report.interpretability import interpretability_context
from neurocompare.report.rendering import render, trusted
from neurocompare.report.training import training_context
from neurocompare.stats.compare import (
    chance_table,
    deep_models_table,
    headline,
    pipeline_chance,
)
from neurocompare.stats.report_tables import dataset_tables, has_permutations, pooled_difference
from neurocompare.stats.summary import largest_budget, latest_rows, real_runs, summary_table
from neurocompare.stats.training import not_learned, training_summary

__all__ = ["build_report"]

logger = logging.getLogger(__name__)


def build_report(out: str | Path, metric: str = "auto",
                 extra_sections: list[str] | None = None) -> Path:
    """Write ``<out>/report/report.html`` (plus figures and CSV tables) and return its path.

    Parameters
    ----------
    out : str or Path
        Output folder of one or more runs.
    metric : str
        Score column the report compares (``accuracy``, ``balanced_accuracy``, ``roc_auc``,
        ``mae``, ``spearman``...), or ``"auto"``: accuracy on classification datasets and
        mean absolute error on regression ones.
    extra_sections : list of str, optional
        Already-rendered, already-escaped HTML sections appended before the provenance.
    """
    out = Path(out)
    store = ResultStore(out)
    if not store.keys():
        raise input_error("RESULTS", "an output folder holding results/*.parquet", str(out))
    everything = latest_rows(store.table())
    if metric != "auto" and metric not in everything.columns:
        raise input_error("metric", "'auto' or a result column", metric)
    table = largest_budget(everything)
    real = real_runs(table)
    folder = out / "report"
    figs = FigureFolder(folder / "figures")
    tables_folder = folder / "tables"
    tables_folder.mkdir(parents=True, exist_ok=True)
    runs = read_runs(out)
    records = records_by_name(runs)
    head = headline(table, metric)
    every_deep = deep_models_table(table, metric)
    chance = chance_table(table)
    beats = pipeline_chance(table)
    summary = summary_table(table, metric)
    per_dataset = {name: dataset_tables(real, name, metric, chance, head)
                   for name in sorted(real["dataset"].unique())}
    datasets = [dataset_section(name, tables, tables.metric, records.get(name), figs)
                for name, tables in per_dataset.items()]
    pooled = pooled_difference(head)
    shown_metric = ", ".join(sorted(set(summary["metric"]))) if len(summary) else metric
    forest = forest_figure(head, pooled, shown_metric, figs)
    for name, frame in (("summary", summary), ("headline", head), ("deep_models", every_deep),
                        ("chance", chance), ("pipeline_chance", beats)):
        frame.to_csv(tables_folder / f"{name}.csv", index=False)
    for name, tables in per_dataset.items():
        tables.pairwise.to_csv(tables_folder / f"pairwise_{safe_name(name)}.csv", index=False)
    budget = budget_context(everything, figs.add)
    training = training_context(real, figs)
    flagged = not_learned(training_summary(real))
    interpretability = interpretability_context(out, records=records, figs=figs) \
        if (out / "importance").is_dir() else None
    html = render(
        "report.html",
        generated=datetime.now(UTC).isoformat(timespec="seconds"), results=str(store.folder),
        n_rows=len(real), n_pipelines=real["pipeline"].nunique(), metric=shown_metric,
        headline=headline_rows(head, records, flagged), summary=summary.to_dict("records"),
        deep_models=headline_rows(every_deep, records, flagged),
        datasets=datasets, forest=forest, meta=pooled.meta if pooled else None,
        stouffer=pooled.stouffer if pooled else None,
        at_chance=chance[chance["at_chance"]].to_dict("records"),
        chance_verdicts=chance_verdicts(beats),
        has_permutations=has_permutations(table), runs=runs, budget=budget, training=training,
        interpretability=interpretability, extra_sections=trusted(extra_sections or []),
    )
    path = folder / "report.html"
    path.write_text(html)
    logger.info("report written to %s", path)
    return path
