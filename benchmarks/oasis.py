"""OASIS-1 and OASIS-2: dementia (CDR > 0) from demographics and whole-brain MRI measures.

Runs every tabular pipeline (``tab-*``: logistic regression, LASSO selection, SMOTE,
random forest with over-sampling, xgboost, LightGBM and the regularised MLP) through the
runner with ``subject-kfold`` (stratified 10-fold over subjects; OASIS-2's visits of one
subject stay in one fold) on ``oasis-cross-sectional`` and ``oasis-longitudinal``, then
prints the headline statistics (best deep vs best traditional per dataset, Holm-corrected)
and builds the HTML report (:func:`neurocompare.report.build.build_report`).

A second, separate run adds MMSE to the cross-sectional features to show how much of the
"accuracy" MMSE would contribute by leaking the label (it is excluded by default).

Usage: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/oasis.py [--jobs 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from _common import md_table, run_config, write_report
from neurocompare.data.registry import make_dataset
from neurocompare.pipelines.tabular.catalogue import TABULAR_SPECS
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.runner import RunConfig
from neurocompare.stats.compare import headline

DATASETS = ["oasis-cross-sectional", "oasis-longitudinal"]


def _table(rows: pd.DataFrame) -> str:
    out = []
    for (dataset, name), group in rows.groupby(["dataset", "pipeline"], sort=False):
        out.append((dataset, f"`{name}`", group["family"].iloc[0],
                    f"{group['accuracy'].mean():.3f} ({group['accuracy'].std(ddof=1):.3f})",
                    f"{group['balanced_accuracy'].mean():.3f}",
                    f"{group['roc_auc'].mean():.3f}", f"{group['fit_time_s'].mean():.2f}",
                    len(group)))
    out.sort(key=lambda r: (r[0], -float(r[3].split()[0])))
    return md_table(["dataset", "pipeline", "family", "accuracy (sd over folds)",
                     "balanced accuracy", "AUC", "fit s/fold", "folds"], out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="oasis-bench-"))
    pipelines = [spec.name for spec in TABULAR_SPECS]
    config = RunConfig(datasets=[(name, {}) for name in DATASETS], pipelines=pipelines,
                       protocol="subject-kfold", out=out / "main", jobs=args.jobs, seed=0)
    wall = run_config(config)
    table = ResultStore(config.out).table()
    report = build_report(config.out)
    head = headline(table)
    leak = RunConfig(datasets=[("oasis-cross-sectional", {"include_mmse": True})],
                     pipelines=["tab-lr", "tab-rf"], protocol="subject-kfold",
                     out=out / "with-mmse", jobs=args.jobs, seed=0)
    run_config(leak)
    leaked = ResultStore(leak.out).table()
    majority = {name: max(p, 1 - p) for name in DATASETS
                for p in [make_dataset(name).load().y.mean()]}
    lines = [f"Protocol `subject-kfold` (stratified 10-fold over subjects), seed 0, "
             f"{args.jobs} processes, wall {wall:.0f} s. Majority-class accuracy: "
             + ", ".join(f"{k} {v:.3f}" for k, v in majority.items()) + ".", "",
             _table(table), "", "## Headline (best deep vs best traditional)", ""]
    for r in head.to_dict("records"):
        lines += [f"* **{r['dataset']}**: {r['finding']} (Holm p = {r['p_holm']:.3g})"]
    lines += ["", "## MMSE leaks the label (cross-sectional, MMSE added as a feature)", "",
              _table(leaked), "",
              f"HTML report: `{report.relative_to(out)}` under the output folder "
              "(`neurocompare report` renders the same from the store)."]
    body = "\n".join(lines)
    print(body)
    path = write_report("oasis", "OASIS: dementia (CDR > 0) from clinical/structural tables",
                        body, started)
    print(f"\nwritten {path}; results and report under {out}")


if __name__ == "__main__":
    main()
