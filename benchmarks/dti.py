"""Drug-target affinity (Davis, KIBA): DeepDTA's setting 1 reproduced, then the cold settings.

Every pipeline runs through the runner on the same folds:

* ``dti-setting1`` -- DeepDTA's split (Ozturk et al. 2018): its fixed test set, five models
  each trained on four of its five training folds; the published figures are the mean over
  the five (CI / MSE, Davis: KronRLS 0.871 / 0.379, SimBoost 0.872 / 0.282, DeepDTA
  0.878 / 0.261; KIBA: 0.782 / 0.411, 0.836 / 0.222, 0.863 / 0.194);
* ``cold-drug``, ``cold-target``, ``cold-pair`` -- 5-fold with unseen drugs, targets or both
  (:mod:`neurocompare.protocols.dti`), the settings no anchor publishes.

Printed per part: CI, MSE, r2m, Spearman and AUPR (binders: Davis pKd >= 7, KIBA >= 12.1)
as mean (sd) over the folds; the published anchors beside ours on setting 1; each network
against the best traditional pipeline on CI, paired over the folds (corrected resampled
t-test, :func:`neurocompare.stats.compare.deep_models_table`), Holm-corrected.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dti.py [--dataset davis]
[--parts dti-setting1,cold-drug,cold-target,cold-pair] [--traditional ...] [--deep ...]
[--out DIR] [--report-only]``
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from _common import md_table, run_config, write_report
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig
from neurocompare.stats.compare import deep_models_table
from neurocompare.stats.multiple import holm
from neurocompare.stats.summary import latest_rows

TRADITIONAL = ["dti-kronrls", "dti-simboost", "dti-xgb"]
DEEP = ["dti-mlp", "dti-deepdta", "dti-graphdta"]
PARTS = ["dti-setting1", "cold-drug", "cold-target", "cold-pair"]
METRICS = ["ci", "mse", "rm2", "spearman", "aupr"]
#: DeepDTA paper, setting 1 test set: pipeline -> (CI, MSE) per dataset.
ANCHORS = {
    "davis": {"dti-kronrls": (0.871, 0.379), "dti-simboost": (0.872, 0.282),
              "dti-deepdta": (0.878, 0.261)},
    "kiba": {"dti-kronrls": (0.782, 0.411), "dti-simboost": (0.836, 0.222),
             "dti-deepdta": (0.863, 0.194)},
}
TOLERANCE = 0.01


def _cell(values: pd.Series) -> str:
    values = values.astype(float)
    sd = values.std(ddof=1) if len(values) > 1 else float("nan")
    return f"{values.mean():.3f} ({sd:.3f})"


def _part_lines(rows: pd.DataFrame, part: str, dataset: str) -> list[str]:
    lines = [f"## `{dataset}`, protocol `{part}`", ""]
    order = rows.groupby("pipeline")["ci"].mean().sort_values(ascending=False).index
    cells = []
    for name in order:
        group = rows[rows["pipeline"] == name]
        learned = group["learned"].astype("boolean").mean() if "learned" in group and \
            group["learned"].notna().any() else float("nan")
        cells.append((f"`{name}`", group["family"].iloc[0],
                      *(_cell(group[m]) for m in METRICS), len(group),
                      f"{group['n_train'].mean():.0f} / {group['n_test'].mean():.0f}",
                      f"{group['fit_time_s'].mean():.1f}",
                      "-" if learned != learned else f"{learned:.0%}"))
    lines += [md_table(["pipeline", "family", *METRICS, "folds", "train / test pairs",
                        "fit s/fold", "learned (folds)"], cells), ""]
    if part == "dti-setting1":
        for name, (ci, mse) in ANCHORS.get(dataset, {}).items():
            group = rows[rows["pipeline"] == name]
            if group.empty:
                continue
            ours = group["ci"].mean()
            verdict = "within" if abs(ours - ci) <= TOLERANCE else "OUTSIDE"
            lines.append(f"* Anchor `{name}`: CI ours {ours:.3f} vs DeepDTA paper {ci:.3f} "
                         f"({ours - ci:+.3f}, {verdict} +/-{TOLERANCE}); MSE ours "
                         f"{group['mse'].mean():.3f} vs {mse:.3f}.")
        lines.append("")
    return lines


def _comparisons(table: pd.DataFrame) -> list[str]:
    """Every network against the best traditional pipeline of each protocol (the rows'
    ``dataset`` column holds the protocol), Holm over all of them."""
    frames = [deep_models_table(table[table["dataset"] == part], "ci").assign(part=part)
              for part in table["dataset"].unique()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return []
    frame = pd.concat(frames, ignore_index=True)
    frame["p_holm"] = holm(frame["pvalue"].to_numpy())
    cells = [(r["part"], f"`{r['a']}`", f"{r['score_a']:.3f}", f"`{r['b']}`",
              f"{r['score_b']:.3f}",
              f"{r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]",
              f"{r['pvalue']:.3g}", f"{r['p_holm']:.3g}",
              "no test" if r["p_holm"] != r["p_holm"] else "n.s." if r["p_holm"] >= 0.05
              else ("deep better" if r["difference"] > 0 else "traditional better"),
              f"{r['fit_cost_ratio']:.3g}x") for r in frame.to_dict("records")]
    return ["## Each network against the best traditional pipeline (CI, paired over folds)",
            "", md_table(["protocol", "deep", "CI", "best traditional", "CI",
                          "difference [95% CI]", "p (corrected resampled t)", "p (Holm)",
                          "verdict", "fit-time ratio"], cells), ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="davis")
    parser.add_argument("--parts", default=",".join(PARTS))
    parser.add_argument("--traditional", default=",".join(TRADITIONAL))
    parser.add_argument("--deep", default=",".join(DEEP))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", default="dti")
    parser.add_argument("--report-only", action="store_true",
                        help="write the report from the results stored under --out")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="dti-bench-"))
    pipelines = [p for p in (args.traditional + "," + args.deep).split(",") if p]
    walls = {}
    for part in args.parts.split(","):
        # one store per protocol: the dataset label does not name the protocol
        config = RunConfig(datasets=[(args.dataset, {})], pipelines=pipelines,
                           protocol=part, out=out / part, jobs=args.jobs, seed=0)
        walls[part] = float("nan") if args.report_only else run_config(config)
    lines = [f"Dataset `{args.dataset}`, seed 0, {args.jobs} process(es), one BLAS/torch "
             "thread each; wall per protocol: "
             + ", ".join(f"{k} {v / 60:.1f} min" for k, v in walls.items()) + ".", ""]
    tables = {}
    for part in walls:
        store = ResultStore(out / part)
        if not store.keys():
            lines += [f"## `{args.dataset}`, protocol `{part}`", "", "No results stored.", ""]
            continue
        rows = latest_rows(store.table())
        tables[part] = rows.assign(dataset=part)
        lines += _part_lines(rows, part, args.dataset)
    if tables:
        lines += _comparisons(pd.concat(tables.values(), ignore_index=True))
    body = "\n".join(lines)
    print(body)
    path = write_report(args.report, "Drug-target affinity: DeepDTA's setting 1 and the cold "
                        "settings", body, started)
    print(f"\nwritten {path}; results under {out}")


if __name__ == "__main__":
    main()
