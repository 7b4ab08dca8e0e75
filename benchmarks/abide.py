"""ABIDE I PCP CC200, QC-871: connectome + linear model (the anchors) vs deep pipelines.

Runs through the runner (RunConfig -> plan -> execute), on ``abide-cc200`` (871 subjects,
20 sites), two protocols:

* ``subject-kfold``: stratified 10-fold over subjects;
* ``leave-site-out``: train on 19 sites, test on the 20th.

Pipelines: ``fc-corr-lr``, ``fc-corr-svm``, ``fc-tangent-lr``, ``fc-tangent-svm``
(nilearn ConnectivityMeasure fitted in each training fold -> linear model, as the anchors)
against deep pipelines (default ``fc-mlp``, ``roi-cnn1d`` and, on the 10 folds only,
``fc-gcn``; ``--deep``/``--deep-loso`` choose others). Then: the headline of
:func:`neurocompare.stats.compare.headline` (best deep vs best traditional, corrected
resampled t-test over folds), the measured anchors of ../shared/ANCHORS.md and Abraham et
al. (2017) next to ours, and the peak memory (ru_maxrss) of one 10-fold fold of
correlation + tangent pipelines on 100 vs 871 subjects, each in a fresh process.

Worker processes get one BLAS/torch thread each (the runner limits BLAS with threadpoolctl
to cores / jobs); run it with OMP_NUM_THREADS=1 and nothing else heavy on the machine.

Usage: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/abide.py [--jobs 2] [--out DIR]
       [--deep fc-mlp,roi-cnn1d,fc-gcn] [--deep-loso fc-mlp,roi-cnn1d]
       [--protocols subject-kfold,leave-site-out]
       [--seed 0] [--no-memory] [--n-subjects N]
       [--compare fc-corr-combat-lr:fc-corr-lr] [--report abide_harmonisation]

``--compare a:b`` adds, per protocol, the paired comparison of ``a`` against ``b`` (same
folds; corrected resampled t over folds), e.g. a ComBat-harmonised pipeline against its
plain version; ``--report`` names the results file (default ``abide``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from _common import headline_text, md_table, run_config, write_report
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig

TRADITIONAL = ["fc-corr-lr", "fc-corr-svm", "fc-tangent-lr", "fc-tangent-svm"]
#: Deep pipelines per protocol by default (CPU budget: the GCN costs ~2 min per fold on one
#: core and runs on the 10 folds only; roi-gru and fc-brainnetcnn are left out, see --deep).
DEEP = {"subject-kfold": ["fc-mlp", "roi-cnn1d", "fc-gcn"],
        "leave-site-out": ["fc-mlp", "roi-cnn1d"]}
#: ../shared/ANCHORS.md (nilearn 0.14.1, same data, this machine kind): accuracy (AUC).
ANCHORS = {"fc-corr-lr": ("0.682 (0.750)", "0.671 (0.725)"),
           "fc-corr-svm": ("0.682 (0.736)", "0.658 (0.718)"),
           "fc-tangent-lr": ("0.681 (0.753)", "0.657 (0.750)"),
           "fc-tangent-svm": ("0.678 (0.749)", "0.663 (0.740)")}
PROTOCOL_LABELS = {"subject-kfold": "10-fold", "leave-site-out": "leave-one-site-out"}


def _pipeline_table(table: pd.DataFrame, protocol: str) -> str:
    rows = []
    column = 0 if protocol == "subject-kfold" else 1
    for name, group in table.groupby("pipeline", sort=False):
        pooled = (group["accuracy"] * group["n_test"]).sum() / group["n_test"].sum()
        rows.append((f"`{name}`", group["family"].iloc[0],
                     f"{group['accuracy'].mean():.3f} ({group['accuracy'].std(ddof=1):.3f})",
                     f"{pooled:.3f}", f"{group['roc_auc'].mean():.3f}",
                     ANCHORS.get(name, ("-", "-"))[column],
                     f"{group['fit_time_s'].mean():.1f}", f"{group['fit_cpu_s'].sum() / 60:.1f}",
                     f"{int(group['n_params'].iloc[0]):,}", len(group)))
    rows.sort(key=lambda r: -float(r[2].split()[0]))
    return md_table(["pipeline", "family", "accuracy mean over folds (sd)",
                     "pooled accuracy", "AUC", "anchor acc (AUC)", "fit s/fold",
                     "fit CPU min (all folds)", "parameters", "folds"], rows)


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from neurocompare.data.abide import ABIDECC200
from neurocompare.runner import RunConfig, plan, run_unit
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
n, out = int(sys.argv[1]), sys.argv[2]
params = {} if n == 871 else {"n_subjects": n}
imported = rss()
data = ABIDECC200(**params).load()
series_mb = sum(x.nbytes for x in data.X) / 2**20
loaded = rss()
cfg = RunConfig(datasets=[("abide-cc200", params)], pipelines=["fc-corr-lr", "fc-tangent-lr"],
                protocol="subject-kfold", out=out, jobs=2, seed=0)
report = run_unit(plan(cfg)[0])
print(json.dumps({"imported_mb": imported, "series_mb": series_mb, "loaded_mb": loaded,
                  "peak_mb": rss(), "seconds": time.perf_counter() - t0,
                  "errors": report.errors}))
"""


def memory_rows() -> list[tuple]:
    """Peak RSS of one fold (correlation + tangent LR) on 100 and 871 subjects."""
    rows = []
    for n in (100, 871):
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run([sys.executable, "-c", CHILD, str(n), out],
                                  capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        if r["errors"]:
            raise RuntimeError(r["errors"])
        features_mb = n * 0.9 * 19900 * 8 * 2 / 2**20  # two training-fold feature matrices
        rows.append((n, f"{r['series_mb']:.1f}", f"{r['imported_mb']:.0f}",
                     f"{r['loaded_mb']:.0f}", f"{r['peak_mb']:.0f}", f"{features_mb:.0f}",
                     f"{r['seconds']:.0f}"))
    return rows


COMBAT_NOTE = (
    "ComBat (`fc-*-combat-lr`) sits between the connectome and the classifier and is "
    "estimated on the training subjects of each fold only, from their `SITE_ID`. In 10-fold "
    "every test subject's site is also in the training fold, so test connectomes are "
    "adjusted with that site's training estimates. In leave-one-site-out the test site is "
    "never in the training fold: its subjects pass unadjusted (estimating their site effect "
    "would need the test data), so harmonisation can only help through a classifier trained "
    "on site-free features.")


def _pair_lines(table: pd.DataFrame, pairs: str) -> list[str]:
    """One finding per ``a:b`` pair: a against b on the same folds."""
    from neurocompare.stats.compare import compare_pair, finding

    lines = []
    for pair in filter(None, pairs.split(",")):
        a, b = pair.split(":")
        c = compare_pair(table, table["dataset"].iloc[0], a, b)
        lines += [f"`{a}` vs `{b}` (same folds): {c.score_a:.3f} vs {c.score_b:.3f}, "
                  f"difference {c.difference:+.3f} [95% CI {c.ci_low:+.3f}, {c.ci_high:+.3f}], "
                  f"{c.test} p = {c.pvalue:.3g} over {c.n} {c.unit}; fit time ratio "
                  f"{c.fit_cost_ratio:.2f}.", "", f"> {finding(c)}", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--deep", default=",".join(DEEP["subject-kfold"]),
                        help="deep pipelines of the 10-fold run")
    parser.add_argument("--deep-loso", default=",".join(DEEP["leave-site-out"]),
                        help="deep pipelines of the leave-site-out run")
    parser.add_argument("--traditional", default=",".join(TRADITIONAL),
                        help="traditional pipelines (both protocols)")
    parser.add_argument("--protocols", default="subject-kfold,leave-site-out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--n-subjects", type=int, default=None,
                        help="random subset of the 871 (quick check; default all)")
    parser.add_argument("--compare", default="",
                        help="a:b pairs (comma-separated) compared per protocol")
    parser.add_argument("--report", default="abide", help="results file name")
    parser.add_argument("--title", default="connectomes + linear models vs deep pipelines",
                        help="results file title (after 'ABIDE QC-871: ')")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="abide-bench-"))
    deep = {"subject-kfold": args.deep, "leave-site-out": args.deep_loso}
    sections = []
    for protocol in args.protocols.split(","):
        pipelines = [p for p in f"{args.traditional},{deep[protocol]}".split(",") if p]
        params = {} if args.n_subjects is None else {"n_subjects": args.n_subjects}
        config = RunConfig(datasets=[("abide-cc200", params)], pipelines=pipelines,
                           protocol=protocol, out=out / protocol, jobs=args.jobs,
                           seed=args.seed)
        wall = run_config(config)
        table = ResultStore(config.out).table()
        cpu = table["fit_cpu_s"].sum() / 60
        print(f"{protocol}: {len(table)} results in {wall / 60:.1f} min", flush=True)
        sections += [f"## {PROTOCOL_LABELS[protocol]} (`{protocol}`), wall {wall / 60:.1f} min "
                     f"with {args.jobs} processes (results already stored are not recomputed; "
                     f"fit CPU of all results {cpu:.0f} min)", "",
                     _pipeline_table(table, protocol), "",
                     headline_text(table), "", *_pair_lines(table, args.compare)]
    if not args.no_memory:
        sections += ["## Peak memory of one 10-fold fold (fc-corr-lr + fc-tangent-lr)", "",
                     md_table(["subjects", "float16 series in memory (MB)",
                               "RSS after imports (MB)", "peak RSS after loading (MB)",
                               "peak RSS of the fold (MB)",
                               "two float64 19900-feature training matrices (MB)", "wall (s)"],
                              memory_rows()), ""]
    body = "\n".join(sections)
    print(body)
    if "combat" in args.traditional:
        body = COMBAT_NOTE + "\n\n" + body
    path = write_report(args.report, f"ABIDE QC-871: {args.title}", body, started)
    print(f"\nwritten {path}; results under {out}")


if __name__ == "__main__":
    main()
