"""Report figures: each function takes tidy tables and returns a matplotlib Figure.

Colours follow the Okabe-Ito colour-blind-safe palette; families keep one colour everywhere
(traditional blue, deep vermillion, spiking bluish green). Axis labels carry units.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from neurocompare.stats.summary import higher_is_better

__all__ = [
    "FAMILY_COLORS",
    "cd_diagram",
    "confusion_grid",
    "cost_pareto",
    "forest_plot",
    "paired_plot",
    "pareto_front",
    "score_distribution",
]

FAMILY_COLORS = {"traditional": "#0072B2", "deep": "#D55E00", "spiking": "#009E73"}
_GREY = "#555555"
plt.rcParams.update({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.fonttype": "none"})


def _color(family: str) -> str:
    return FAMILY_COLORS.get(family, _GREY)


def score_distribution(scores: pd.DataFrame, chance: float | None, metric: str,
                       title: str, unit: str = "subject") -> Figure:
    """Points per subject (or per fold) and the mean per pipeline, best first, with the
    chance threshold.

    Parameters
    ----------
    scores : DataFrame
        Columns pipeline, family, score and the unit column (one dataset).
    chance : float, optional
        Accuracy that must be exceeded to beat chance (drawn as a dashed line).
    unit : {"subject", "fold"}
        What one point is: a subject's mean over folds, or one fold (datasets whose test
        sets are groups of subjects, or with a single pseudo-subject).
    """
    order = scores.groupby("pipeline")["score"].mean().sort_values(ascending=False).index
    fig, ax = plt.subplots(figsize=(max(5.0, 0.6 * len(order) + 2), 4))
    rng = np.random.default_rng(0)
    for i, name in enumerate(order):
        rows = scores[scores["pipeline"] == name]
        color = _color(rows["family"].iloc[0])
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(rows)), rows["score"], s=18, alpha=0.7,
                   color=color, edgecolor="none")
        ax.hlines(rows["score"].mean(), i - 0.3, i + 0.3, color=color, linewidth=2.5)
    if chance is not None:
        ax.axhline(chance, color=_GREY, linestyle="--", linewidth=1)
        ax.text(len(order) - 0.5, chance, " chance (binomial, p<0.05)", va="bottom",
                ha="right", fontsize=8, color=_GREY)
    ax.set_xticks(range(len(order)), order, rotation=35, ha="right")
    ax.set_ylabel(f"{metric} per subject (mean over folds)" if unit == "subject"
                  else f"{metric} per test fold")
    ax.set_title(title)
    handles = [plt.Line2D([], [], color=c, marker="o", linestyle="", label=f)
               for f, c in FAMILY_COLORS.items() if f in set(scores["family"])]
    ax.legend(handles=handles, frameon=False, loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def paired_plot(wide: pd.DataFrame, deep: str, traditional: str, metric: str,
                title: str) -> Figure:
    """Best deep vs best traditional, one point per subject (or fold), with the identity
    line.

    Parameters
    ----------
    wide : DataFrame
        Index subject (or fold), one column per pipeline.
    """
    fig, ax = plt.subplots(figsize=(4.4, 4.2))
    x, y = wide[traditional].to_numpy(), wide[deep].to_numpy()
    low = min(x.min(), y.min()) - 0.03
    high = max(x.max(), y.max()) + 0.03
    ax.plot([low, high], [low, high], color=_GREY, linewidth=1, linestyle="--")
    above = y > x
    ax.scatter(x[above], y[above], color=FAMILY_COLORS["deep"], label="deep better", s=28)
    ax.scatter(x[~above], y[~above], color=FAMILY_COLORS["traditional"],
               label="traditional better or equal", s=28)
    ax.set_xlabel(f"{traditional} ({metric})")
    ax.set_ylabel(f"{deep} ({metric})")
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def pareto_front(cost: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Boolean mask of the points no other point beats (lower cost and higher score)."""
    cost, score = np.asarray(cost, float), np.asarray(score, float)
    keep = np.ones(len(cost), dtype=bool)
    for i in range(len(cost)):
        dominated = (cost <= cost[i]) & (score >= score[i]) & \
            ((cost < cost[i]) | (score > score[i]))
        keep[i] = not dominated.any()
    return keep


def cost_pareto(summary: pd.DataFrame, costs: list[tuple[str, str]], metric: str,
                title: str) -> Figure:
    """Score against each cost (log scale when it spans a decade), Pareto front marked.

    Parameters
    ----------
    summary : DataFrame
        Columns pipeline, family, mean and the cost columns.
    costs : list of (column, axis label)
    """
    fig, axes = plt.subplots(1, len(costs), figsize=(5.2 * len(costs), 4.2), squeeze=False)
    for ax, (column, label) in zip(axes[0], costs, strict=True):
        data = summary.dropna(subset=[column])
        data = data[data[column] > 0]
        sign = 1.0 if higher_is_better(metric) else -1.0  # an error: lower is better
        front = pareto_front(data[column], sign * data["mean"])
        for row, on in zip(data.itertuples(), front, strict=True):
            ax.scatter(getattr(row, column), row.mean, color=_color(row.family), s=40,
                       edgecolor="black" if on else "none", linewidth=1.2, zorder=3)
            ax.annotate(row.pipeline, (getattr(row, column), row.mean), fontsize=7,
                        xytext=(4, 3), textcoords="offset points")
        pts = data[front].sort_values(column)
        ax.step(pts[column], pts["mean"], where="post", color=_GREY, linewidth=1, zorder=2)
        values = data[column].to_numpy()
        if values.max() / values.min() > 10:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel(f"mean {metric} over subjects")
    axes[0][0].set_title(title + " (outlined: Pareto front)", loc="left")
    fig.tight_layout()
    return fig


def cd_diagram(mean_ranks: pd.Series, cd: float, title: str) -> Figure:
    """Critical-difference diagram (Demsar 2006): mean ranks on an axis, 1 = best; pipelines
    whose ranks differ by less than the Nemenyi CD are joined by a bar."""
    ranks = mean_ranks.sort_values()
    k = len(ranks)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.28 * k))
    ax.set_xlim(0.5, k + 0.5)
    ax.set_ylim(-(k // 2 + 2), 2)
    ax.axhline(0, color="black", linewidth=1)
    for r in range(1, k + 1):
        ax.plot([r, r], [0, 0.15], color="black", linewidth=1)
        ax.text(r, 0.3, str(r), ha="center", fontsize=8)
    ax.plot([1, 1 + cd], [1.3, 1.3], color=_GREY, linewidth=2)
    ax.text(1 + cd / 2, 1.45, f"CD = {cd:.2f}", ha="center", fontsize=8)
    half = (k + 1) // 2
    for i, (name, rank) in enumerate(ranks.items()):
        left = i < half
        y = -(i + 1) if left else -(k - i)
        x_text = 0.55 if left else k + 0.45
        ax.plot([rank, rank, x_text], [0, y, y], color="black", linewidth=0.8)
        ax.text(x_text, y + 0.1, f"{name} ({rank:.2f})", ha="left" if left else "right",
                fontsize=8)
    values = ranks.to_numpy()
    level, last = -0.4, -1
    for i in range(k):
        j = i
        while j + 1 < k and values[j + 1] - values[i] < cd:
            j += 1
        if j > i and j > last:  # a maximal group not significantly different
            ax.plot([values[i] - 0.03, values[j] + 0.03], [level, level], color=_GREY,
                    linewidth=3)
            level, last = level - 0.25, j
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def forest_plot(rows: pd.DataFrame, pooled: tuple[float, float, float] | None,
                metric: str, title: str) -> Figure:
    """Per-dataset differences with 95% CIs and the random-effects pooled estimate.

    Parameters
    ----------
    rows : DataFrame
        Columns label, difference, ci_low, ci_high.
    pooled : (effect, low, high), optional
    """
    n = len(rows) + (1 if pooled else 0)
    fig, ax = plt.subplots(figsize=(6.5, 1.0 + 0.45 * n))
    for i, r in enumerate(rows.itertuples()):
        ax.plot([r.ci_low, r.ci_high], [-i, -i], color=_GREY, linewidth=1.5)
        ax.scatter(r.difference, -i, color="black", marker="s", zorder=3)
    labels = list(rows["label"])
    if pooled:
        effect, low, high = pooled
        y = -len(rows)
        ax.fill([low, effect, high, effect], [y, y + 0.25, y, y - 0.25], color="#CC79A7")
        labels.append("pooled (random effects)")
    ax.axvline(0, color="black", linewidth=0.8, linestyle="--")
    ax.set_yticks([-i for i in range(n)], labels, fontsize=8)
    ax.set_xlabel(f"difference in {metric} (deep - traditional), 95% CI")
    ax.set_title(title, loc="left")
    fig.tight_layout()
    return fig


def confusion_grid(table: pd.DataFrame, class_names: list[str], title: str) -> Figure:
    """Row-normalised confusion matrices summed over folds, one panel per pipeline.

    Parameters
    ----------
    table : DataFrame
        Result rows of one dataset with columns pipeline and confusion (JSON).
    """
    names = sorted(table["pipeline"].unique())
    cols = min(4, len(names))
    nrows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(3.0 * cols, 2.8 * nrows), squeeze=False)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names, strict=False):
        total = sum(np.array(json.loads(c)) for c in table.loc[table["pipeline"] == name,
                                                               "confusion"])
        norm = total / np.maximum(total.sum(axis=1, keepdims=True), 1)
        ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
        for (i, j), value in np.ndenumerate(norm):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value > 0.6 else "black")
        ticks = range(len(class_names))
        ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(ticks, class_names, fontsize=7)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_ylabel("true", fontsize=8)
        ax.set_title(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def predicted_vs_observed(table: pd.DataFrame, pipelines: list[str], title: str) -> Figure:
    """Predicted against observed targets (top row) and residuals (bottom row), pooled over
    the test folds, one column per pipeline.

    Parameters
    ----------
    table : DataFrame
        Result rows of one regression dataset with columns pipeline, family and
        ``predictions`` (JSON ``{"y_true": [...], "y_pred": [...]}`` per fold).
    pipelines : list of str
        Pipelines to draw (e.g. the best deep and the best traditional one).
    title : str
    """
    fig, axes = plt.subplots(2, len(pipelines), figsize=(3.4 * len(pipelines), 6.0),
                             squeeze=False)
    for column, name in enumerate(pipelines):
        rows = table[table["pipeline"] == name]
        pairs = [json.loads(p) for p in rows["predictions"] if p]
        observed = np.concatenate([p["y_true"] for p in pairs]) if pairs else np.array([])
        predicted = np.concatenate([p["y_pred"] for p in pairs]) if pairs else np.array([])
        color = _color(str(rows["family"].iloc[0])) if len(rows) else "grey"
        top, bottom = axes[0, column], axes[1, column]
        top.scatter(observed, predicted, s=6, alpha=0.5, color=color)
        if observed.size:
            low, high = float(min(observed.min(), predicted.min())), \
                float(max(observed.max(), predicted.max()))
            top.plot([low, high], [low, high], color="black", lw=0.8, ls="--")
        top.set_xlabel("observed", fontsize=8)
        top.set_ylabel("predicted", fontsize=8)
        top.set_title(name, fontsize=9)
        bottom.scatter(predicted, predicted - observed, s=6, alpha=0.5, color=color)
        bottom.axhline(0, color="black", lw=0.8, ls="--")
        bottom.set_xlabel("predicted", fontsize=8)
        bottom.set_ylabel("residual (predicted - observed)", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
