"""Report section for data-budget protocols: learning curves, crossovers, calibration curves,
and the tuning budget of tuned runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from neurocompare.report.figures import FAMILY_COLORS
from neurocompare.report.rendering import render
from neurocompare.stats.learning import crossover, curve_table, fitted_curve
from neurocompare.stats.summary import dataset_metric, higher_is_better, real_runs

__all__ = ["budget_context", "budget_section", "calibration_plot", "learning_curve_plot"]

_MARKERS = itertools.cycle("osD^vP*X")


def learning_curve_plot(curves: pd.DataFrame, crossovers: list, title: str,
                        xlabel: str) -> Figure:
    """Mean score +- 95% CI against training size, fitted power laws dashed, crossovers
    marked with vertical lines."""
    fig, ax = plt.subplots(figsize=(6.4, 4.3))
    metric = str(curves["metric"].iloc[0]) if "metric" in curves and len(curves) else \
        "accuracy"
    higher = higher_is_better(metric)
    span = (float(curves["mean"].min()), float(curves["mean"].max())) if len(curves) \
        else None
    for (name, family), rows in curves.groupby(["pipeline", "family"]):
        rows = rows.sort_values("train_size")
        color = FAMILY_COLORS.get(family, "#555555")
        marker = next(_MARKERS)
        ax.errorbar(rows["train_size"], rows["mean"],
                    yerr=[rows["mean"] - rows["low"], rows["high"] - rows["mean"]],
                    color=color, marker=marker, capsize=3, linewidth=1.2, label=name)
        curve = fitted_curve(rows["train_size"], rows["mean"], higher, span)
        grid = pd.Series(rows["train_size"]).agg(["min", "max"])
        xs = pd.Series([grid["min"] + (grid["max"] - grid["min"]) * i / 100
                        for i in range(101)])
        ax.plot(xs, curve(xs.to_numpy()), color=color, linestyle=":", linewidth=1)
    for c in crossovers:
        if c.estimate == c.estimate:
            ax.axvline(c.estimate, color="black", linestyle="--", linewidth=1)
            ax.text(c.estimate, ax.get_ylim()[0], f" crossover ~{c.estimate:.0f}",
                    rotation=90, va="bottom", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{metric} (mean over subjects, 95% CI)")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def calibration_plot(table: pd.DataFrame, title: str) -> Figure:
    """Accuracy on the target's held-out trials against calibration trials per class."""
    fig, ax = plt.subplots(figsize=(6.4, 4.3))
    per_subject = table.groupby(["pipeline", "family", "target", "k"])["accuracy"].mean()
    summary = per_subject.groupby(["pipeline", "family", "k"]).agg(["mean", "sem"])
    for (name, family), rows in summary.groupby(level=["pipeline", "family"]):
        rows = rows.droplevel(["pipeline", "family"]).sort_index()
        ax.errorbar(rows.index, rows["mean"], yerr=1.96 * rows["sem"].fillna(0),
                    color=FAMILY_COLORS.get(family, "#555555"), marker=next(_MARKERS),
                    capsize=3, label=name)
    ax.set_xlabel("labelled calibration trials per class of the target subject")
    ax.set_ylabel("accuracy on the target's other trials")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _best_pairs(table: pd.DataFrame, dataset: str) -> list[tuple[str, str]]:
    rows = table[table["dataset"] == dataset]
    metric = dataset_metric(rows, dataset, "auto")
    means = rows.groupby(["pipeline", "family"])[metric].mean().reset_index()
    best_first = not higher_is_better(metric)
    deep = means[means["family"] != "traditional"].sort_values(metric, ascending=best_first)
    trad = means[means["family"] == "traditional"].sort_values(metric, ascending=best_first)
    if deep.empty or trad.empty:
        return []
    return [(deep.iloc[0]["pipeline"], trad.iloc[0]["pipeline"])]


def budget_context(table: pd.DataFrame,
                   add_figure: Callable[[Figure, str], str]) -> dict[str, Any] | None:
    """Draw the data-efficiency figures and return the values ``templates/budget.html``
    prints, or None when the results have no budget protocol or tuning.

    Parameters
    ----------
    table : DataFrame
        Result rows of every budget (not only the largest).
    add_figure : callable
        ``add_figure(fig, name)`` saves a figure and returns its data URI
        (:meth:`neurocompare.report.context.FigureFolder.add`).

    Returns
    -------
    dict or None
        curves (dataset, figure, crossovers), calibration (dataset, figure) and tuning
        (pipeline, trials, cpu_s per fold) lists.
    """
    table = real_runs(table)
    context: dict[str, list] = {"curves": [], "calibration": [], "tuning": []}
    if "train_size" in table.columns and table["train_size"].notna().any():
        rows = table.dropna(subset=["train_size"])
        curves = curve_table(rows)
        unit = "subjects" if "unit" in rows and (rows["unit"] == "subjects").any() \
            else "trials"
        for dataset in sorted(curves["dataset"].unique()):
            found = [crossover(rows, dataset, d, t) for d, t in _best_pairs(rows, dataset)]
            uri = add_figure(learning_curve_plot(curves[curves["dataset"] == dataset], found,
                                                 f"{dataset}: learning curves",
                                                 f"training {unit} (log scale)"),
                             f"{dataset}_learning_curves")
            context["curves"].append({"dataset": dataset, "figure": uri, "crossovers": found})
    if "k" in table.columns and table["k"].notna().any():
        rows = table.dropna(subset=["k"])
        for dataset in sorted(rows["dataset"].unique()):
            uri = add_figure(calibration_plot(rows[rows["dataset"] == dataset],
                                              f"{dataset}: calibration budget"),
                             f"{dataset}_calibration")
            context["calibration"].append({"dataset": dataset, "figure": uri})
    if "tuning_trials" in table.columns and table["tuning_trials"].notna().any():
        tuned = table.dropna(subset=["tuning_trials"]).groupby("pipeline").agg(
            trials=("tuning_trials", "mean"), cpu_s=("tuning_cpu_s", "mean"))
        context["tuning"] = tuned.reset_index().to_dict("records")
    return context if any(context.values()) else None


def budget_section(table: pd.DataFrame, add_figure: Callable[[Figure, str], str]) -> str:
    """HTML of the data-efficiency section, or ``""`` when the results have no budget
    protocol or tuning (see :func:`budget_context`)."""
    context = budget_context(table, add_figure)
    return render("budget.html", budget=context) if context else ""
