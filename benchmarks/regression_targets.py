"""Regression targets on neural and clinical data: age from ABIDE connectomes, MMSE and age
from the OASIS table -- does the deep model scale better with training size?

The guide claims that deep models "scale better" on age and MMSE regression. Each part runs
through the runner with protocol ``learning-curve-kfold``: 5 folds over subjects
(quintile-stratified on the target), and inside each fold training on 10, 25, 50 and 100 %
of the training subjects (nested subsets, ``--repeats`` seeded draws), always testing on the
fold's unchanged test subjects.

* ``abide-age``: ``abide-cc200`` (QC-871) with ``target='age'``: ridge on the correlation
  connectome (penalty by leave-one-out inside the training fold) and a random forest on
  it, against the connectome MLP (``fc-mlp``).
* ``oasis-mmse`` / ``oasis-age``: ``oasis-cross-sectional`` with ``target='mmse'`` /
  ``'age'`` (demographics and MRI volumes; MMSE never a feature): ridge, random forest,
  xgboost, LightGBM against the regularised MLP (``tab-mlp``).

Printed per part: MAE per pipeline and training size; at the full training size each deep
pipeline against the best traditional one (paired over the 5 folds, corrected resampled
t-test, :func:`neurocompare.stats.compare.deep_models_table`); and the scaling test -- the
MAE a pipeline gains from the smallest to the full training size, deep minus best
traditional, paired over folds (a one-sample t-test on the per-fold differences: positive
means the network gains more from more data), with the crossover of the fitted power-law
curves (:func:`neurocompare.stats.learning.crossover`; its bootstrap over subjects has
nothing to resample here, where every fold pools all subjects, so only its estimate is
printed and the fold-paired test is the inference).

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/regression_targets.py
[--parts abide-age,oasis-mmse,oasis-age] [--repeats 2] [--n-subjects N] [--out DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from _common import md_table, run_config, write_report
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig
from neurocompare.stats.compare import deep_models_table
from neurocompare.stats.learning import crossover
from neurocompare.stats.summary import largest_budget, latest_rows

TABULAR = ["tab-lr", "tab-rf", "tab-xgb", "tab-lgbm", "tab-mlp"]
PARTS = {
    # fc-tangent-lr is left out: in a first run its fits took 400-700 s per fold here (70-350
    # training subjects, 4 processes on 2 cores) against 20-30 s for the others
    "abide-age": ("abide-cc200", {"target": "age"}, ["fc-corr-lr", "fc-corr-rf", "fc-mlp"]),
    "oasis-mmse": ("oasis-cross-sectional", {"target": "mmse"}, TABULAR),
    "oasis-age": ("oasis-cross-sectional", {"target": "age"}, TABULAR),
}


def _label(dataset: str, params: dict) -> str:
    return dataset + ":" + ",".join(f"{k}={v}" for k, v in params.items())


def _fold_gain(rows: pd.DataFrame, pipeline: str, sizes: tuple[float, float]) -> pd.Series:
    """MAE at the smallest minus MAE at the full size, per base fold (repeats averaged)."""
    own = rows[rows["pipeline"] == pipeline]
    by = own.groupby(["base_fold", "size"])["mae"].mean().unstack("size")
    return by[sizes[0]] - by[sizes[1]]


def _part_lines(name: str, rows: pd.DataFrame) -> list[str]:
    sizes = sorted(rows["size"].unique())
    one_pass = rows[(rows["pipeline"] == rows["pipeline"].iloc[0]) & (rows["size"] == sizes[-1])]
    n_subjects = int(one_pass.groupby("base_fold")["n_test"].first().sum())
    lines = [f"## `{name}`: `{rows['dataset'].iloc[0]}`, {n_subjects} subjects", ""]
    cells = []
    mean_mae = rows.groupby(["pipeline", "size"])["mae"].mean().unstack("size")
    full = largest_budget(rows)
    for pipeline in mean_mae[sizes[-1]].sort_values().index:
        own = full[full["pipeline"] == pipeline]
        n_train = rows[rows["pipeline"] == pipeline].groupby("size")["n_train"].mean()
        cells.append((f"`{pipeline}`", own["family"].iloc[0],
                      *(f"{mean_mae.loc[pipeline, s]:.2f}" for s in sizes),
                      f"{own['spearman'].mean():.3f}", f"{own['r2'].mean():.3f}",
                      f"{own['fit_time_s'].mean():.2f}"))
    headers = ["pipeline", "family", *(f"MAE @ {s:g} ({n_train[s]:.0f} train)"
                                       for s in sizes),
               "Spearman @ full", "R² @ full", "fit s/fold @ full"]
    lines += [md_table(headers, cells), ""]
    table = deep_models_table(full, "mae")
    for r in table.to_dict("records"):
        lines.append(f"* Full training size: {r['finding']}")
    best_trad = table["b"].iloc[0] if not table.empty else None
    lines.append("")
    for deep in table["a"] if not table.empty else []:
        diff = (_fold_gain(rows, deep, (sizes[0], sizes[-1]))
                - _fold_gain(rows, best_trad, (sizes[0], sizes[-1]))).dropna()
        t = stats.ttest_1samp(diff, 0.0) if len(diff) > 1 else None
        half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff)) \
            if len(diff) > 1 else float("nan")
        cross = crossover(rows, rows["dataset"].iloc[0], deep, best_trad, metric="mae",
                          n_boot=200)
        verdict = "scales better" if t is not None and t.pvalue < 0.05 and diff.mean() > 0 \
            else "scales worse" if t is not None and t.pvalue < 0.05 else \
            "no significant difference in scaling"
        lines.append(
            f"* Scaling, `{deep}` vs `{best_trad}`: MAE gained from {sizes[0]:g} to "
            f"{sizes[-1]:g} of the training fold, deep minus traditional "
            f"{diff.mean():+.3f} [95% CI {diff.mean() - half:+.3f}, {diff.mean() + half:+.3f}]"
            f" over {len(diff)} folds, t-test p = {t.pvalue if t else float('nan'):.3g}: "
            f"{verdict}. Fitted power-law curves: " + (
                f"`{deep}` reaches `{best_trad}` at about {cross.estimate:.0f} training "
                "subjects." if cross.estimate == cross.estimate else
                f"no crossover between {rows['n_train'].min():.0f} and "
                f"{rows['n_train'].max():.0f} training subjects."))
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--n-subjects", type=int, default=None,
                        help="ABIDE: a seeded subset of subjects (quick checks)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", default="regression_targets")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="regression-bench-"))
    chosen = args.parts.split(",")
    walls, labels = {}, {}
    for dataset in dict.fromkeys(PARTS[part][0] for part in chosen):  # one run per dataset
        parts = [part for part in chosen if PARTS[part][0] == dataset]
        entries = []
        for part in parts:
            params = dict(PARTS[part][1])
            if dataset == "abide-cc200" and args.n_subjects:
                params["n_subjects"] = args.n_subjects
            entries.append((dataset, params))
            # the runner labels rows name:key=value when a run holds a dataset twice
            labels[part] = _label(dataset, params) if len(parts) > 1 else dataset
        pipelines = list(dict.fromkeys(p for part in parts for p in PARTS[part][2]))
        config = RunConfig(datasets=entries, pipelines=pipelines,
                           protocol="learning-curve-kfold",
                           protocol_params={"n_repeats": args.repeats}, out=out,
                           jobs=args.jobs, seed=0)
        walls[dataset] = run_config(config)
    table = latest_rows(ResultStore(out).table())
    lines = [f"Protocol `learning-curve-kfold` (5 folds over subjects, quintile-stratified on "
             f"the target; 10/25/50/100 % of each training fold, {args.repeats} nested "
             f"draws), seed 0, {args.jobs} process(es), one BLAS/torch thread each; wall per "
             "dataset: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in walls.items()) + ".",
             ""]
    for part, label in labels.items():
        rows = table[(table["dataset"] == label) & table["pipeline"].isin(PARTS[part][2])]
        lines += _part_lines(part, rows)
    body = "\n".join(lines)
    print(body)
    path = write_report(args.report, "Regression targets: age and MMSE, deep against "
                        "traditional, and how each scales with training size", body, started)
    print(f"\nwritten {path}; results under {out}")


if __name__ == "__main__":
    main()
