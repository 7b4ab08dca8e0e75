"""Build the report of an output folder: one self-contained HTML file plus figures and tables.

``<out>/report/report.html`` embeds every figure (PNG data URIs) so it opens with no network;
``<out>/report/figures/*.png|svg`` and ``<out>/report/tables/*.csv`` sit beside it. Every
string that comes from a dataset (subject ids, channel and class names) is HTML-escaped by
the template engine.
"""

from __future__ import annotations

import base64
import io
import logging
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from markupsafe import Markup

from neurocompare._errors import input_error
from neurocompare.records.manifest import read_runs
from neurocompare.records.store import ResultStore
from neurocompare.report import figures
from neurocompare.report.data_efficiency import budget_section
from neurocompare.stats.compare import chance_table, headline, pairwise
from neurocompare.stats.multiple import friedman_nemenyi, random_effects, stouffer
from neurocompare.stats.summary import (
    largest_budget,
    real_runs,
    subject_scores,
    summary_table,
)

__all__ = ["build_report"]

logger = logging.getLogger(__name__)

_APPLICATIONS = {"epochs": "EEG/MEG trial decoding", "timeseries": "fMRI connectome "
                 "classification", "tabular": "clinical / structural table",
                 "molecules": "molecular property prediction"}


def safe_name(name: str) -> str:
    """A file-name-safe version of a dataset or figure name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "unnamed"


class _Figures:
    """Save figures as PNG + SVG and return PNG data URIs for embedding."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, fig, name: str) -> str:
        stem = safe_name(name)
        fig.savefig(self.folder / f"{stem}.svg")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        (self.folder / f"{stem}.png").write_bytes(buffer.getvalue())
        plt.close(fig)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _records(runs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for run in runs:
        for record in run.get("datasets", []):
            out[record["name"]] = record
    return out


_LEDGER = ("ledger_param_count", "ledger_param_bytes", "ledger_synaptic_macs",
           "ledger_synaptic_acs", "ledger_dense_ops", "ledger_activation_sparsity",
           "ledger_connection_sparsity", "energy_j")


def _ledger(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean operation ledger per pipeline (empty when the rows have no ledger columns)."""
    present = [c for c in _LEDGER if c in rows.columns]
    if "energy_j" not in present:
        return pd.DataFrame()
    out = rows.groupby(["pipeline", "family"])[present].mean().reset_index()
    return out.reindex(columns=["pipeline", "family", *_LEDGER])


def _dataset_section(table: pd.DataFrame, name: str, metric: str, record: dict | None,
                     chance: pd.DataFrame, head: pd.DataFrame, figs: _Figures) -> dict:
    rows = table[table["dataset"] == name]
    scores = subject_scores(rows, metric)
    section: dict[str, Any] = {"name": name, "record": record, "friedman": None,
                               "figures": {k: [] for k in ("scores", "paired", "cost", "cd",
                                                           "confusion")}}
    threshold = chance.loc[chance["dataset"] == name, "chance_threshold"].median() \
        if metric == "accuracy" else None
    wide = scores.pivot(index="subject", columns="pipeline", values="score")
    unit = "subject"
    shown, shown_wide = scores, wide
    if scores["subject"].nunique() < 2:  # one (pseudo-)subject: the folds are the units
        unit = "fold"
        shown = real_runs(rows).rename(columns={metric: "score"})[
            ["pipeline", "family", "fold", "score"]]
        shown_wide = shown.pivot_table(index="fold", columns="pipeline", values="score")
    section["figures"]["scores"].append(figs.add(figures.score_distribution(
        shown, threshold, metric, f"{name}: {metric} per {unit}", unit=unit),
        f"{name}_scores"))
    match = head[head["dataset"] == name] if not head.empty else head
    if len(match):
        deep, trad = match.iloc[0]["a"], match.iloc[0]["b"]
        section["figures"]["paired"].append(figs.add(figures.paired_plot(
            shown_wide[[deep, trad]].dropna(), deep, trad, metric,
            f"{name}\nbest deep vs best traditional, per {unit}"), f"{name}_paired"))
    summary = summary_table(rows, metric)
    costs = [("fit_time_s", "training time per fold (s)"),
             ("latency_ms", "prediction latency per trial (ms)")]
    ledger = _ledger(rows)
    if not ledger.empty and ledger["energy_j"].notna().any():
        summary = summary.merge(ledger[["pipeline", "energy_j"]], on="pipeline", how="left")
        costs.append(("energy_j", "estimated compute energy per prediction (J)"))
    section["ledger"] = ledger.to_dict("records")
    section["figures"]["cost"].append(figs.add(figures.cost_pareto(
        summary, costs, metric, f"{name}: {metric} vs cost"), f"{name}_cost"))
    complete = wide.dropna()
    if complete.shape[1] >= 3 and complete.shape[0] >= 2:
        result = friedman_nemenyi(complete.to_numpy())
        section["friedman"] = result
        section["figures"]["cd"].append(figs.add(figures.cd_diagram(
            pd.Series(result.mean_ranks, index=complete.columns), result.critical_difference,
            f"{name}: mean rank (1 = best), Nemenyi CD at alpha 0.05"), f"{name}_cd"))
    classes = record["class_names"] if record else \
        [str(i) for i in range(int(rows["n_classes"].max()))]
    section["figures"]["confusion"].append(figs.add(figures.confusion_grid(
        rows, classes, f"{name}: confusion"), f"{name}_confusion"))
    section["pairwise"] = pairwise(rows, name, metric).to_dict("records") \
        if rows["pipeline"].nunique() > 1 else []
    return section


def _interpretability(out: Path, records: dict[str, dict[str, Any]]) -> str:
    """The interpretability section when the run stored importances, else ``""``."""
    if not (out / "importance").is_dir():
        return ""
    from neurocompare.report.interpretability import interpretability_section

    return interpretability_section(out, records=records)


def build_report(out: str | Path, metric: str = "accuracy",
                 extra_sections: list[str] | None = None) -> Path:
    """Write ``<out>/report/report.html`` (plus figures and CSV tables) and return its path.

    Parameters
    ----------
    out : str or Path
        Output folder of one or more runs.
    metric : str
        Score column the report compares (``accuracy``, ``balanced_accuracy``, ``roc_auc``...).
    extra_sections : list of str, optional
        Already-rendered, already-escaped HTML sections appended before the provenance.
    """
    out = Path(out)
    store = ResultStore(out)
    if not store.keys():
        raise input_error("RESULTS", "an output folder holding results/*.parquet", str(out))
    everything = store.table()
    if metric not in everything.columns:
        raise input_error("metric", "a result column", metric)
    table = largest_budget(everything)
    real = real_runs(table)
    folder = out / "report"
    figs = _Figures(folder / "figures")
    tables = folder / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    runs = read_runs(out)
    records = _records(runs)
    head = headline(table, metric)
    chance = chance_table(table)
    summary = summary_table(table, metric)
    datasets = [_dataset_section(real, name, metric, records.get(name), chance, head, figs)
                for name in sorted(real["dataset"].unique())]
    forest, meta, combined = None, None, None
    if len(head) >= 2:
        se = (head["ci_high"] - head["ci_low"]) / (2 * 1.96)
        meta = random_effects(head["difference"], np.maximum(se, 1e-6) ** 2)
        labels = head["dataset"] + ": " + head["a"] + " - " + head["b"]
        forest = figs.add(figures.forest_plot(
            head.assign(label=labels), (meta.effect, *meta.ci), metric,
            "Best deep minus best traditional, per dataset"), "forest")
        one_sided = [p / 2 if d > 0 else 1 - p / 2
                     for p, d in zip(head["pvalue"], head["difference"], strict=True)]
        combined = stouffer(one_sided, head["n"])
    for name, frame in (("summary", summary), ("headline", head), ("chance", chance)):
        frame.to_csv(tables / f"{name}.csv", index=False)
    for section in datasets:
        name = safe_name(section["name"])
        pd.DataFrame(section["pairwise"]).to_csv(tables / f"pairwise_{name}.csv", index=False)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)
    template = env.from_string(resources.files("neurocompare.report")
                               .joinpath("template.html").read_text())
    head_rows = head.to_dict("records")
    for row in head_rows:
        kind = records.get(row["dataset"], {}).get("kind", "epochs")
        row["application"] = _APPLICATIONS.get(kind, kind)
    html = template.render(
        generated=datetime.now(UTC).isoformat(timespec="seconds"), results=str(store.folder),
        n_rows=len(real), n_pipelines=real["pipeline"].nunique(), metric=metric,
        headline=head_rows, summary=summary.to_dict("records"), datasets=datasets,
        forest=forest, meta=meta, stouffer=combined,
        at_chance=chance[chance["at_chance"]].to_dict("records"),
        has_permutations=bool((table.get("permutation", pd.Series([0])) > 0).any()),
        runs=runs, extra_sections=[Markup(s) for s in [
            budget_section(everything, figs.add), _interpretability(out, records),
            *(extra_sections or [])] if s],
    )
    path = folder / "report.html"
    path.write_text(html)
    logger.info("report written to %s", path)
    return path
