"""The interpretability section of the report: maps, recovery, stability and biomarkers.

:func:`interpretability_context` reads the importance rows of an output folder
(``<out>/importance``, written by :mod:`neurocompare.explain.run`) and gathers what
:func:`neurocompare.report.build.build_report` shows in its ``<section
id="interpretability">`` (:func:`interpretability_section` renders that section alone): per
dataset, channel importance as scalp topomaps (the dataset montage; stacked filter-bank
channels are already grouped under their electrode) and channel x band heatmaps, one panel
per pipeline side by side; ground-truth recovery with CIs over subjects (simulated data);
rank agreement across folds and subjects; the biomarker table; and the top channels and
bands of every pipeline and method. Figures are embedded as PNG data URIs and saved as
PNG + SVG under ``<out>/report/figures``. Every dataset string (channel, band, class,
pipeline, dataset names) is escaped by ``templates/interpretability.html``. Molecule
datasets (fingerprint-bit and atom rows) get their own part, from
:func:`neurocompare.report.molecules.molecule_context`.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from neurocompare.explain.stability import biomarker_table, importance_matrix, rank_agreement
from neurocompare.records.importance import ImportanceStore
from neurocompare.records.manifest import read_runs
from neurocompare.report.context import FigureFolder, records_by_name
from neurocompare.report.molecules import MOLECULE_GROUP_TYPES, molecule_context
from neurocompare.report.rendering import render
from neurocompare.stats.recovery import recovery_scores, recovery_summary

__all__ = ["channel_band_heatmaps", "interpretability_context", "interpretability_section",
           "mean_importance", "scalp_topomaps"]

logger = logging.getLogger(__name__)

#: Methods whose channel x band matrix the heatmap prefers, in order.
_HEATMAP_ORDER = ("shap", "patterns", "integrated-gradients", "saliency", "permutation")


def _wrap(label: str, width: int = 24) -> str:
    return "\n".join(textwrap.wrap(label.replace(":", ": ").replace(",", ", "), width)) \
        or label


def mean_importance(rows: pd.DataFrame, group_type: str, method: str) -> pd.DataFrame:
    """Mean importance over folds and subjects, pipelines x groups (groups in first-seen
    order)."""
    part = rows[(rows["group_type"] == group_type) & (rows["method"] == method)]
    if part.empty:
        return pd.DataFrame()
    table = part.pivot_table(index="pipeline", columns="group", values="importance",
                             aggfunc="mean", sort=True)
    return table.reindex(columns=pd.unique(part["group"]))


def scalp_topomaps(values: pd.DataFrame, montage: str, title: str) -> Figure | None:
    """One scalp topomap of channel importance per pipeline, side by side, shared scale.

    Values are interpolated only over the area the electrodes cover (``extrapolate="local"``),
    so sparse montages (8 occipital electrodes) are not painted over the whole head.

    Parameters
    ----------
    values : DataFrame, shape (n_pipelines, n_channels)
        Channel importance (electrode names as columns).
    montage : str
        MNE built-in montage name, e.g. ``"colin27_1005"``.
    title : str

    Returns
    -------
    Figure or None
        None when fewer than 3 channels have positions in the montage.
    """
    import mne

    montage_obj = mne.channels.make_standard_montage(montage)
    known = [c for c in values.columns if c in montage_obj.ch_names]
    if len(known) < 3:
        return None
    info = mne.create_info(known, 100.0, "eeg")
    info.set_montage(montage_obj, on_missing="ignore")
    data = values[known].to_numpy(dtype=float)
    finite = data[np.isfinite(data)]
    vlim = (min(0.0, float(finite.min())), float(finite.max())) if finite.size else (0, 1)
    n = len(values)
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n + 0.8, 3.0), squeeze=False)
    image = None
    for ax, (pipeline, row) in zip(axes[0], values.iterrows(), strict=True):
        image, _ = mne.viz.plot_topomap(row[known].to_numpy(dtype=float), info, axes=ax,
                                        show=False, cmap="viridis", vlim=vlim, contours=0,
                                        sensors=True, extrapolate="local")
        ax.set_title(_wrap(str(pipeline)), fontsize=8)
    fig.colorbar(image, ax=list(axes[0]), shrink=0.7, label="importance")
    fig.suptitle(title, fontsize=10)
    return fig


def channel_band_heatmaps(matrices: Mapping[str, pd.DataFrame], title: str) -> Figure:
    """Channel x band importance heatmaps, one per pipeline, side by side.

    Parameters
    ----------
    matrices : mapping of str to DataFrame
        Panel label (pipeline and method) -> DataFrame (n_channels, n_bands); each panel has
        its own colour scale (methods differ in units).
    title : str
    """
    n = len(matrices)
    height = max(3.0, 0.18 * max(len(m) for m in matrices.values()) + 1.2)
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n + 1.0, height), squeeze=False)
    for ax, (label, matrix) in zip(axes[0], matrices.items(), strict=True):
        image = ax.imshow(matrix.to_numpy(dtype=float), aspect="auto", cmap="viridis")
        ax.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], rotation=60,
                      ha="right", fontsize=7)
        ax.set_yticks(range(matrix.shape[0]), [str(c) for c in matrix.index], fontsize=7)
        ax.set_title(_wrap(str(label)), fontsize=8)
        fig.colorbar(image, ax=ax, shrink=0.6)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _heatmap_matrices(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = {}
    cells = rows[rows["group_type"] == "channel_band"]
    for pipeline, part in cells.groupby("pipeline", sort=True):
        method = next((m for m in _HEATMAP_ORDER if (part["method"] == m).any()), None)
        if method is None:
            continue
        mean = part[part["method"] == method].groupby("group", sort=False)["importance"].mean()
        split = mean.index.str.rsplit("|", n=1)
        frame = pd.DataFrame({"channel": [s[0] for s in split], "band": [s[1] for s in split],
                              "value": mean.to_numpy()})
        out[f"{pipeline} ({method})"] = frame.pivot_table(
            index="channel", columns="band", values="value", sort=False)
    return out


def _fmt(value: float, low: float, high: float, chance: float | None = None) -> str:
    if not np.isfinite(value):
        return "-"
    text = f"{value:.2f} [{low:.2f}, {high:.2f}]"
    return text + (f" ({chance:.2f})" if chance is not None and np.isfinite(chance) else "")


def _recovery_rows(rows: pd.DataFrame, truth: Mapping[str, Any], k_channels: int,
                   k_bands: int) -> list[dict[str, Any]]:
    summary = recovery_summary(recovery_scores(rows, truth, k_channels, k_bands))
    out = []
    for r in summary.to_dict("records"):
        item = {"pipeline": r["pipeline"], "method": r["method"], "n_subjects": r["n_subjects"]}
        for metric, chance in (("channel_precision", "channel_precision_chance"),
                               ("channel_weighted_precision", None),
                               ("channel_rank", "channel_rank_chance"),
                               ("band_precision", "band_precision_chance"),
                               ("band_rank", "band_rank_chance")):
            item[metric] = _fmt(r[metric], r[f"{metric}_ci_low"], r[f"{metric}_ci_high"],
                                r.get(chance) if chance else None)
        out.append(item)
    return out


def _stability_rows(rows: pd.DataFrame, k: int) -> list[dict[str, Any]]:
    out = []
    keys = ["pipeline", "method", "group_type"]
    for (pipeline, method, group_type), part in rows.groupby(keys, sort=True):
        if group_type not in ("channel", "band") or part["group"].nunique() < 2:
            continue
        for across, aggregate in (("folds", None), ("subjects", ["subject"])):
            matrix = importance_matrix(part, aggregate=aggregate).fillna(0.0)
            if len(matrix) < 2:
                continue
            agree = rank_agreement(matrix.to_numpy(), k=min(k, matrix.shape[1]), n_boot=500)
            out.append({"pipeline": pipeline, "method": method, "group_type": group_type,
                        "across": across, "n_units": agree.n_units,
                        "spearman": _fmt(agree.spearman, *agree.spearman_ci),
                        "jaccard": _fmt(agree.jaccard, *agree.jaccard_ci)})
    return out


def _biomarker_rows(rows: pd.DataFrame, k: int, min_frequency: float,
                    alpha: float) -> list[dict[str, Any]]:
    out = []
    perm = rows[rows["method"] == "permutation"]
    for (pipeline, group_type), part in perm.groupby(["pipeline", "group_type"], sort=True):
        if group_type not in ("channel", "band") or part["group"].nunique() < 2:
            continue
        table = biomarker_table(importance_matrix(part), k=k, min_frequency=min_frequency,
                                alpha=alpha)
        out += [{"pipeline": pipeline, "group_type": group_type, **r}
                for r in table.to_dict("records")]
    return out


def _top_rows(rows: pd.DataFrame, n_top: int = 3) -> list[dict[str, Any]]:
    out = []
    for (pipeline, method), part in rows.groupby(["pipeline", "method"], sort=True):
        item = {"pipeline": pipeline, "method": method}
        for group_type in ("channel", "band", "time"):
            mean = part[part["group_type"] == group_type].groupby("group")["importance"].mean()
            item[group_type] = ", ".join(mean.sort_values(ascending=False).index[:n_top]) \
                if len(mean) else "-"
        out.append(item)
    return out


#: Recovery columns of the template, in table order.
_RECOVERY_METRICS: Sequence[str] = ("channel_precision", "channel_weighted_precision",
                                     "channel_rank", "band_precision", "band_rank")


def _dataset_context(name: str, part: pd.DataFrame, record: Mapping[str, Any], method: str,
                     k: int, min_frequency: float, alpha: float, k_channels: int,
                     k_bands: int, figs: FigureFolder) -> dict[str, Any]:
    truth = record.get("ground_truth") or {}
    section: dict[str, Any] = {"name": name, "figures": []}
    channel_values = mean_importance(part, "channel", method)
    montage = record.get("montage")
    if montage and not channel_values.empty:
        fig = scalp_topomaps(channel_values, montage, f"{name}: channel importance "
                             f"({method})")
        if fig is not None:
            section["figures"].append({"alt": f"topomaps {name}", "uri": figs.add(
                fig, f"{name}_importance_topomaps")})
    matrices = _heatmap_matrices(part)
    if matrices:
        section["figures"].append({"alt": f"channel x band {name}", "uri": figs.add(
            channel_band_heatmaps(matrices, f"{name}: channel x band importance"),
            f"{name}_importance_heatmaps")})
    if truth.get("channels") or truth.get("informative_bands"):
        section["recovery"] = _recovery_rows(part, truth, k_channels, k_bands)
        section["truth_channels"] = ", ".join(map(str, truth.get("channels", [])))
        section["truth_bands"] = ", ".join(map(str, truth.get("informative_bands", [])))
    section["stability"] = _stability_rows(part, k)
    section["biomarkers"] = _biomarker_rows(part, k, min_frequency, alpha)
    section["top"] = _top_rows(part)
    return section


def interpretability_context(out: str | Path, rows: pd.DataFrame | None = None, *,
                             method: str = "permutation", k: int = 3,
                             min_frequency: float = 0.5, alpha: float = 0.05,
                             k_channels: int = 2, k_bands: int = 2,
                             records: Mapping[str, Mapping[str, Any]] | None = None,
                             scoring: str = "balanced accuracy",
                             figs: FigureFolder | None = None) -> dict[str, Any]:
    """Draw the interpretability figures and return the values
    ``templates/interpretability.html`` prints.

    Parameters are those of :func:`interpretability_section`; ``figs`` is the figure folder
    (``<out>/report/figures`` when omitted).
    """
    out = Path(out)
    if rows is None:
        store = ImportanceStore(out)
        rows = store.table() if store.keys() else pd.DataFrame()
    if records is None:
        records = records_by_name(read_runs(out))
    figs = figs or FigureFolder(out / "report" / "figures")
    datasets = []
    eeg = rows[~rows["group_type"].isin(MOLECULE_GROUP_TYPES)] if len(rows) else rows
    for name in sorted(eeg["dataset"].astype(str).unique()) if len(eeg) else []:
        part = eeg[eeg["dataset"].astype(str) == name]
        datasets.append(_dataset_context(name, part, records.get(name) or {}, method, k,
                                         min_frequency, alpha, k_channels, k_bands, figs))
    return {"datasets": datasets, "n_rows": len(rows), "k": k, "min_frequency": min_frequency,
            "alpha": alpha, "k_channels": k_channels, "k_bands": k_bands,
            "metrics": _RECOVERY_METRICS, "scoring": scoring,
            "molecules": molecule_context(rows)}


def interpretability_section(out: str | Path, rows: pd.DataFrame | None = None, *,
                             method: str = "permutation", k: int = 3,
                             min_frequency: float = 0.5, alpha: float = 0.05,
                             k_channels: int = 2, k_bands: int = 2,
                             records: Mapping[str, Mapping[str, Any]] | None = None,
                             scoring: str = "balanced accuracy") -> str:
    """Render the interpretability section of an output folder.

    Parameters
    ----------
    out : str or Path
        Output folder; figures go to ``<out>/report/figures``.
    rows : DataFrame, optional
        Importance rows; read from ``<out>/importance`` when omitted.
    method : str
        Method whose channel importance the topomaps show.
    k, min_frequency, alpha
        Stability and biomarker criteria (:func:`neurocompare.explain.stability
        .biomarker_table`).
    k_channels, k_bands : int
        ``k`` of the recovery precision.
    records : mapping, optional
        Dataset name -> dataset record (``montage``, ``ground_truth``); read from
        ``<out>/runs.jsonl`` when omitted.
    scoring : str
        Score named in the text.

    Returns
    -------
    str
        ``<section id="interpretability">...</section>``, dataset strings escaped.
    """
    context = interpretability_context(
        out, rows, method=method, k=k, min_frequency=min_frequency, alpha=alpha,
        k_channels=k_channels, k_bands=k_bands, records=records, scoring=scoring)
    return render("interpretability.html", interpretability=context)
