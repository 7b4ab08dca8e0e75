"""Molecules: the Morgan + tree anchors reproduced, and the molecule networks against them.

Every pipeline runs through the runner on the same folds: protocol ``scaffold`` (TDC's
balanced Bemis-Murcko scaffold split 70/10/20, training on the 70 %, testing on the 20 %),
repeated over 5 seeds (1..5, TDC's benchmark seeds), on the four shipped molecule sets:

=============================== =============== ============ ==============================
dataset                         task            metric       also shown
=============================== =============== ============ ==============================
``tdc-bbb-martins``             classification  AUROC        AUPRC (TDC's metric: AUROC)
``tdc-cyp3a4-veith``            classification  AUPRC        AUROC (TDC's metric: AUPRC)
``tdc-clearance-microsome-az``  regression      Spearman     MAE (TDC's metric: Spearman)
``moleculenet-esol``            regression      MAE          Spearman, RMSE, R^2
=============================== =============== ============ ==============================

The anchors (``../shared/ANCHORS.md``, Morgan r=2 / 2048 bits, scaffold 70/10/20, 5 seeds):
XGBoost CYP3A4 AUPRC 0.847, BBB AUROC 0.890; random forest 0.834 and 0.893. They were
measured on TDC's published SMILES, so the default here is ``standardize=False`` (same
molecules, same scaffolds, same split); ``--standardize`` runs the datasets' default
(salts stripped and charges neutralised, which changes scaffolds and therefore splits). Each network
(``mol-morgan-mlp``, ``mol-gcn``, ``mol-chemprop``) is compared with the best traditional
pipeline of the dataset by the paired corrected resampled t-test over the seeds
(:func:`neurocompare.stats.compare.deep_models_table`), Holm-corrected over the comparisons.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/molecules.py [--datasets ...]
[--deep mol-morgan-mlp,mol-gcn,mol-chemprop] [--jobs 1] [--out DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from _common import md_table, run_config, write_report
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig
from neurocompare.stats.compare import deep_models_table
from neurocompare.stats.multiple import holm
from neurocompare.stats.summary import higher_is_better, latest_rows

#: dataset -> (headline metric, other metrics shown).
METRICS = {
    "tdc-bbb-martins": ("roc_auc", ("average_precision", "accuracy")),
    "tdc-cyp3a4-veith": ("average_precision", ("roc_auc", "accuracy")),
    "tdc-clearance-microsome-az": ("spearman", ("mae", "r2")),
    "moleculenet-esol": ("mae", ("spearman", "rmse", "r2")),
}
#: (dataset, pipeline) -> (metric, anchor value, anchor sd) from ../shared/ANCHORS.md.
ANCHORS = {
    ("tdc-cyp3a4-veith", "mol-morgan-xgb"): ("average_precision", 0.847, 0.012),
    ("tdc-cyp3a4-veith", "mol-morgan-rf"): ("average_precision", 0.834, 0.017),
    ("tdc-bbb-martins", "mol-morgan-xgb"): ("roc_auc", 0.890, 0.029),
    ("tdc-bbb-martins", "mol-morgan-rf"): ("roc_auc", 0.893, 0.018),
}
TRADITIONAL = ["mol-morgan-xgb", "mol-morgan-rf", "mol-descriptors-xgb", "mol-morgan-svm"]
DEEP = ["mol-morgan-mlp", "mol-gcn", "mol-chemprop"]
#: Pipelines whose CPU cost grows too fast for the largest set on this machine: the graph
#: networks (minutes per epoch on ~8,600 molecules on one core) and the kernel SVM (a
#: dense n_train^2 kernel, fitted 5 times by the calibration).
HEAVY = ("mol-gcn", "mol-chemprop", "mol-morgan-svm")
#: Molecules per dataset, for the --heavy-max choice (from SOURCE.md, before cleaning).
SIZES = {"tdc-bbb-martins": 2039, "tdc-cyp3a4-veith": 12328,
         "tdc-clearance-microsome-az": 1102, "moleculenet-esol": 1128}
#: Tolerance of the anchor reproduction.
TOLERANCE = 0.02


def _cell(values: pd.Series) -> str:
    values = values.astype(float)
    sd = values.std(ddof=1) if len(values) > 1 else float("nan")
    return f"{values.mean():.3f} ({sd:.3f})"


def _dataset_section(table: pd.DataFrame, dataset: str) -> list[str]:
    metric, others = METRICS[dataset]
    rows = table[table["dataset"] == dataset]
    best_first = not higher_is_better(metric)
    order = rows.groupby("pipeline")[metric].mean().sort_values(ascending=best_first).index
    lines = [f"## `{dataset}`: {metric} (mean (sd) over scaffold seeds)", ""]
    cells = []
    for name in order:
        group = rows[rows["pipeline"] == name]
        learned = group["learned"].astype("boolean").mean() if "learned" in group and \
            group["learned"].notna().any() else float("nan")
        cells.append((f"`{name}`", group["family"].iloc[0], _cell(group[metric]),
                      *(_cell(group[m]) for m in others), len(group),
                      f"{group['n_train'].mean():.0f} / {group['n_test'].mean():.0f}",
                      f"{group['fit_time_s'].mean():.1f}",
                      "-" if learned != learned else f"{learned:.0%}"))
    lines += [md_table(["pipeline", "family", metric, *others, "seeds", "train / test",
                        "fit s/seed", "learned (folds)"], cells), ""]
    for (name_ds, name), (anchor_metric, value, sd) in ANCHORS.items():
        if name_ds != dataset or name not in set(rows["pipeline"]):
            continue
        ours = rows.loc[rows["pipeline"] == name, anchor_metric].mean()
        verdict = "within" if abs(ours - value) <= TOLERANCE else "OUTSIDE"
        lines.append(f"* Anchor `{name}` {anchor_metric}: ours {ours:.3f} vs ANCHORS "
                     f"{value:.3f} (sd {sd:.3f}): difference {ours - value:+.3f}, {verdict} "
                     f"the +/-{TOLERANCE} tolerance.")
    return [*lines, ""]


def _comparisons(table: pd.DataFrame) -> pd.DataFrame:
    """Every network against the best traditional pipeline, each dataset on its own metric
    (:func:`deep_models_table`), Holm-corrected over all comparisons."""
    frames = [deep_models_table(table[table["dataset"] == dataset], metric)
              for dataset, (metric, _) in METRICS.items() if (table["dataset"] == dataset).any()]
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) \
        if any(not f.empty for f in frames) else pd.DataFrame()
    if not frame.empty:
        frame["p_holm"] = holm(frame["pvalue"].to_numpy())
    return frame


def _comparison_lines(frame: pd.DataFrame) -> list[str]:
    rows = []
    for r in frame.to_dict("records"):
        better = (r["difference"] > 0) == higher_is_better(r["metric"])
        verdict = "no test (seeds missing)" if r["p_holm"] != r["p_holm"] else \
            "n.s." if r["p_holm"] >= 0.05 else ("deep better" if better
                                                      else "traditional better")
        rows.append((r["dataset"], r["metric"], f"`{r['a']}`", f"{r['score_a']:.3f}",
                     f"`{r['b']}`", f"{r['score_b']:.3f}",
                     f"{r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]",
                     f"{r['pvalue']:.3g}", f"{r['p_holm']:.3g}", verdict,
                     f"{r['fit_cost_ratio']:.3g}x"))
    return [md_table(["dataset", "metric", "deep", "score", "best traditional", "score",
                      "difference [95% CI]", "p (corrected resampled t, seeds)", "p (Holm)",
                      "verdict", "fit-time ratio"], rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=",".join(METRICS))
    parser.add_argument("--traditional", default=",".join(TRADITIONAL))
    parser.add_argument("--deep", default=",".join(DEEP))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", default="molecules")
    parser.add_argument("--heavy-max", type=int, default=5000,
                        help=f"skip {', '.join(HEAVY)} on datasets with more molecules")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the results stored under --out, "
                             "computing nothing (e.g. after an interrupted run)")
    parser.add_argument("--standardize", action="store_true",
                        help="standardise the SMILES (salts stripped, neutralised: the "
                             "datasets' default) instead of TDC's published canonical SMILES")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="molecules-bench-"))
    deep = [d for d in args.deep.split(",") if d]
    pipelines = [p for p in args.traditional.split(",") if p] + deep
    walls, skipped, requested = {}, {}, {}
    for dataset in args.datasets.split(","):
        params = {"standardize": args.standardize}
        chosen = pipelines
        if SIZES.get(dataset, 0) > args.heavy_max:
            chosen = [p for p in pipelines if p not in HEAVY]
            skipped[dataset] = [p for p in pipelines if p in HEAVY]
        requested[dataset] = chosen
        config = RunConfig(datasets=[(dataset, params)], pipelines=chosen,
                           protocol="scaffold",
                           protocol_params={"n_repeats": args.seeds}, out=out, jobs=args.jobs,
                           seed=1)
        walls[dataset] = float("nan") if args.report_only else run_config(config)
    table = latest_rows(ResultStore(out).table())
    table = table[table["dataset"].isin(args.datasets.split(",")) & (table["seed"] == 1)]
    form = "standardised SMILES (salts stripped, neutralised)" if args.standardize else \
        "TDC's published canonical SMILES (`standardize=False`: the anchors' molecules and " \
        "scaffolds), duplicates merged"
    lines = [f"Protocol `scaffold` (TDC's balanced scaffold split 70/10/20, train on 70 %, "
             f"test on 20 %), seeds 1..{args.seeds}, {form}, {args.jobs} process(es), one "
             "BLAS/torch thread each; wall per dataset: "
             + ", ".join(f"{k} {v / 60:.1f} min" for k, v in walls.items()) + "."
             + (" Report written from stored results (--report-only): a pipeline with "
                "fewer than 5 seeds did not finish them in the session's CPU time." if
                args.report_only else ""), ""]
    for dataset in args.datasets.split(","):
        lines += _dataset_section(table, dataset)
        present = set(table.loc[table["dataset"] == dataset, "pipeline"])
        missing = [p for p in requested[dataset] if p not in present]
        if missing:
            lines += [f"No results on `{dataset}` for {', '.join(missing)}: not run in the "
                      "session's CPU time.", ""]
        if skipped.get(dataset):
            lines += [f"Not run on `{dataset}` ({SIZES[dataset]} molecules > --heavy-max "
                      f"{args.heavy_max}): {', '.join(skipped[dataset])}, for CPU time on "
                      "this 2-core machine.", ""]
    frame = _comparisons(table)
    if not frame.empty:
        lines += ["## Each network against the best traditional pipeline (paired over seeds)",
                  "", *_comparison_lines(frame), ""]
    n_mols = {d: int(table.loc[table["dataset"] == d, ["n_train", "n_test"]].iloc[0].sum())
              for d in args.datasets.split(",") if (table["dataset"] == d).any()}
    lines += ["Molecules per split (train + test, validation 10 % left out): "
              + ", ".join(f"{k} {v}" for k, v in n_mols.items()) + "."]
    body = "\n".join(lines)
    print(body)
    path = write_report(args.report, "Molecules: anchors reproduced, networks against them",
                        body, started)
    print(f"\nwritten {path}; results under {out} (mean fit s/seed over everything: "
          f"{np.nanmean(table['fit_time_s']):.1f})")


if __name__ == "__main__":
    main()
