"""The generative comparison's report: one HTML page from a run's ``generation`` folder.

:func:`build_generation_report` reads the stored rows, samples and reference properties
(:class:`~neurocompare.records.generation.GenerationStore`) and writes
``<out>/generation_report.html`` with

* the guide's table form (generator | validity | uniqueness | novelty | ...), each value the
  mean over seeds with its 95 % t interval, and the costs (fitting time, samples per second,
  learned parameters);
* each deep generator against the best traditional one per metric, paired by seed
  (corrected resampled t, Holm; :func:`neurocompare.stats.generation.generation_tests`),
  with one sentence per deep generator;
* the networks' training curves (training and validation loss per epoch, every seed);
* property distributions (molecular weight, logP, QED, SA score) of each generator's valid
  samples against the test part;
* a grid of sampled molecules per generator, drawn by RDKit (SVG checked by
  :func:`neurocompare.report.molecules.inline_svg` before inlining).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from markupsafe import Markup
from rdkit import Chem
from rdkit.Chem import Draw

from neurocompare._errors import input_error
from neurocompare.records.generation import GenerationStore
from neurocompare.report.context import FigureFolder
from neurocompare.report.molecules import inline_svg
from neurocompare.report.rendering import render
from neurocompare.stats.generation import (
    generation_summary,
    generation_tests,
    latest_generation_rows,
)

__all__ = ["TABLE_METRICS", "build_generation_report", "generation_context", "interval_text"]

logger = logging.getLogger(__name__)

#: Columns of the guide-form table: (column, label, higher is better).
TABLE_METRICS: tuple[tuple[str, str, bool], ...] = (
    ("validity", "validity", True), ("unique_1k", "unique@1k", True),
    ("unique_10k", "unique@10k", True), ("novelty", "novelty", True),
    ("int_div1", "IntDiv1", True), ("frag_sim", "FragSim", True),
    ("scaf_sim", "ScafSim", True), ("snn", "SNN", True), ("fcd", "FCD", False),
    ("w_mw", "W(MW)", False), ("w_logp", "W(logP)", False), ("w_qed", "W(QED)", False),
    ("w_sa", "W(SA)", False),
)
#: Metrics tested deep vs traditional (the guide's three, then distribution fidelity).
TESTED = ("validity", "unique_10k", "novelty", "fcd")
COSTS = (("fit_s", "fit s"), ("samples_per_s", "samples/s"), ("n_parameters", "parameters"))
PROPERTIES = (("mw", "molecular weight"), ("logp", "logP"), ("qed", "QED"), ("sa", "SA score"))


def interval_text(row: Mapping[str, Any] | None, digits: int = 3) -> str:
    """``"mean [low, high]"`` of a :func:`generation_summary` row (``"-"`` when undefined)."""
    if row is None or not np.isfinite(row["mean"]):
        return "-"
    text = f"{row['mean']:.{digits}f}"
    if np.isfinite(row["ci_low"]):
        text += f" [{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]"
    return text


def _table_rows(table: pd.DataFrame, metrics: Sequence[str]) -> list[dict[str, Any]]:
    summary = generation_summary(table, [*metrics, *(c for c, _ in COSTS)])
    out = []
    for generator, group in summary.groupby("generator", sort=False):
        by_metric = {r["metric"]: r for _, r in group.iterrows()}
        cells = [interval_text(by_metric.get(m)) for m in metrics]
        costs = [f"{by_metric[c]['mean']:.3g}" if c in by_metric
                 and np.isfinite(by_metric[c]["mean"]) else "-" for c, _ in COSTS]
        out.append({"generator": generator, "family": group["family"].iloc[0],
                    "n": int(group["n"].max()), "cells": cells, "costs": costs})
    return out


def _sentence(test: pd.Series) -> str:
    if test["verdict"] == "not testable":
        return (f"{test['deep']} {test['deep_mean']:.3f} vs {test['traditional']} "
                f"{test['traditional_mean']:.3f} on {test['metric']}: fewer than two seeds, "
                "no test")
    return (f"{test['deep']} vs {test['traditional']} on {test['metric']}: "
            f"{test['deep_mean']:.3f} vs {test['traditional_mean']:.3f}, difference "
            f"{test['difference']:+.3f} [{test['ci_low']:+.3f}, {test['ci_high']:+.3f}], "
            f"p = {test['p']:.3g} (Holm {test['p_holm']:.3g}, n = {test['n']} seeds) -> "
            f"{test['verdict']}")


def _curves(table: pd.DataFrame, figures: FigureFolder) -> str | None:
    deep = table[(table["family"] == "deep") & table["history"].notna()]
    if deep.empty:
        return None
    names = list(deep["generator"].unique())
    fig, axes = plt.subplots(1, len(names), figsize=(3.4 * len(names), 2.6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for history in deep.loc[deep["generator"] == name, "history"]:
            epochs = json.loads(history)
            x = [e["epoch"] for e in epochs]
            ax.plot(x, [e["train_loss"] for e in epochs], color="#1f77b4", lw=0.9)
            ax.plot(x, [e["valid_loss"] for e in epochs], color="#d62728", lw=0.9)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=7)
    axes[0, 0].set_ylabel("loss per token (blue train, red valid.)", fontsize=7)
    fig.tight_layout()
    return figures.add(fig, "generation_training_curves")


def _distributions(store: GenerationStore, table: pd.DataFrame,
                   figures: FigureFolder) -> str | None:
    seed = int(table["seed"].min())
    first = table[table["seed"] == seed]
    try:
        reference = store.reference(str(first["corpus_key"].iloc[0]), seed)
    except FileNotFoundError:
        return None
    fig, axes = plt.subplots(1, len(PROPERTIES), figsize=(13, 2.8))
    for ax, (column, label) in zip(axes, PROPERTIES, strict=True):
        values = reference[column].dropna().to_numpy()
        if len(values) == 0:
            continue
        bins = np.histogram_bin_edges(values, bins=40)
        ax.hist(values, bins=bins, density=True, color="#bbbbbb", label="test part")
        for _, row in first.iterrows():
            samples = store.samples(row["key"])[column].dropna().to_numpy()
            if len(samples):
                ax.hist(samples, bins=bins, density=True, histtype="step", lw=1.0,
                        label=row["generator"])
        ax.set_title(label, fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1].legend(fontsize=6, frameon=False)
    fig.tight_layout()
    return figures.add(fig, "generation_properties")


def _grid(samples: pd.DataFrame, n: int = 12) -> Markup | None:
    smiles = samples["canonical"].dropna().drop_duplicates().head(n).tolist()
    mols = [m for m in (Chem.MolFromSmiles(s) for s in smiles) if m is not None]
    if not mols:
        return None
    svg = Draw.MolsToGridImage(mols, molsPerRow=6, subImgSize=(150, 150), useSVG=True)
    return inline_svg(svg)


def generation_context(root: str | Path, figures: FigureFolder) -> dict[str, Any]:
    """Template values of the page from a run's ``generation`` folder.

    Raises
    ------
    InputError
        When the folder holds no stored generation result.
    """
    store = GenerationStore(root)
    table = store.table()
    table = latest_generation_rows(table) if not table.empty else table
    if table.empty:
        raise input_error("generation results", f"stored rows under {Path(root)}",
                          "none (run `neurocompare generate` first)")
    metrics = [c for c, _, _ in TABLE_METRICS if c in table.columns]
    higher: Mapping[str, bool] = {c: h for c, _, h in TABLE_METRICS}
    tests = generation_tests(table, [m for m in TESTED if m in metrics], higher)
    seed = int(table["seed"].min())
    grids = []
    for _, row in table[table["seed"] == seed].iterrows():
        grids.append({"generator": row["generator"], "family": row["family"],
                      "svg": _grid(store.samples(row["key"]))})
    first = table.iloc[0]
    return {
        "corpus": first["corpus"], "split": first["split"],
        "n_train": int(first["n_train"]), "n_valid": int(first["n_valid_part"]),
        "n_test": int(first["n_test"]), "seeds": sorted(int(s) for s in table["seed"].unique()),
        "n_samples": int(first["n_samples"]) if "n_samples" in table else None,
        "labels": [label for c, label, _ in TABLE_METRICS if c in metrics],
        "cost_labels": [label for _, label in COSTS],
        "rows": _table_rows(table, metrics),
        "sentences": [_sentence(t) for _, t in tests.iterrows()] if not tests.empty else [],
        "tests": tests.to_dict("records"),
        "curves": _curves(table, figures),
        "distributions": _distributions(store, table, figures),
        "grid_seed": seed, "grids": grids,
    }


def build_generation_report(out: str | Path) -> Path:
    """Write ``<out>/generation_report.html`` from ``<out>/generation``; return its path."""
    out = Path(out)
    figures = FigureFolder(out / "report" / "figures")
    context = generation_context(out / "generation", figures)
    path = out / "generation_report.html"
    path.write_text(render("generation.html", **context))
    logger.info("generation report: %s", path)
    return path
