"""Template context of the training section: did each deep pipeline learn, and how it trained.

Small multiples show every fold's training and validation loss per epoch, one panel per
(dataset, pipeline); the table gives the share of folds in which the network beat the
majority class on its own training trials (:mod:`neurocompare.stats.training`).
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from neurocompare.report.context import FigureFolder
from neurocompare.stats.training import training_curves, training_summary

__all__ = ["MAX_PANELS", "training_context"]

#: Panels per small-multiples figure (one figure per dataset).
MAX_PANELS = 16


def _curves_figure(table: pd.DataFrame, dataset: str, pipelines: list[str]):
    n = len(pipelines)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False,
                             sharex=False)
    for ax, pipeline in zip(axes.ravel(), pipelines, strict=False):
        for curve in training_curves(table, dataset, pipeline):
            ax.plot(curve["epoch"], curve["train_loss"], color="#1f77b4", lw=0.8, alpha=0.6)
            ax.plot(curve["epoch"], curve["valid_loss"], color="#d62728", lw=0.8, alpha=0.6)
        ax.set_title(pipeline, fontsize=8)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("loss (blue train, red validation)", fontsize=7)
    fig.suptitle(f"{dataset}: training curves, one line per fold", fontsize=9)
    fig.tight_layout()
    return fig


def training_context(table: pd.DataFrame, figs: FigureFolder) -> dict[str, Any] | None:
    """Values of ``templates/training.html``, or None when no row trained a network.

    Parameters
    ----------
    table : DataFrame
        Result rows (the report's table).
    figs : FigureFolder
        Where the small-multiples figures go.
    """
    summary = training_summary(table)
    if summary.empty:
        return None
    figures = []
    for dataset, group in summary.groupby("dataset", sort=True):
        pipelines = list(group["pipeline"])[:MAX_PANELS]
        fig = _curves_figure(table, dataset, pipelines)
        figures.append({"dataset": dataset,
                        "uri": figs.add(fig, f"{dataset}_training_curves")})
    return {"rows": summary.to_dict("records"), "figures": figures,
            "not_learned": summary.loc[summary["did_not_learn"].astype(bool)].to_dict("records")}
