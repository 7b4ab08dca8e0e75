"""Benchmark 4: the full comparison on real EEG -- SSVEP (12 subjects) and Bonn (A vs E, A-E).

Every traditional pipeline of the catalogue and the deep pipelines run through the runner
(``neurocompare run`` underneath) with the same folds:

* ``ssvep``: ``ssvep-exoskeleton``, within-session 5-fold in each of the 27 recordings,
  4 classes; statistics over the 12 subjects.
* ``bonn-ae`` and ``bonn-abcde``: ``bonn-epilepsy`` sets A vs E (healthy eyes open vs
  seizure) and all five sets, ``repeated-within-session``: stratified 5-fold x 2. Bonn has
  no subject ids (one pseudo-subject, see its SOURCE.md), so statistics are over folds
  (corrected resampled t-test) and scores are optimistic.

Deep pipelines train on CPU with early stopping on a split of the training fold; their epoch
budget is capped by ``--max-epochs`` (default 60, registry default 150) to keep the run in
CPU hours -- stated in the output. Tuned pipelines (``*-tuned``) run their nested grid.

Usage: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/full_comparison.py
       [--parts ssvep,bonn-ae,bonn-abcde] [--deep eegnet,shallow-convnet,...]
       [--max-epochs 60] [--jobs 2] [--out DIR] [--report full_comparison]
Writes benchmarks/results/<report>.md (default full_comparison.md).
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from _common import headline_text, md_table, run_config, write_report
from neurocompare.pipelines.deep.catalogue import DEEP_SPECS
from neurocompare.pipelines.eeg.catalogue import TRADITIONAL_SPECS
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.runner import RunConfig
from neurocompare.stats.summary import real_runs

PARTS = {
    "ssvep": (("ssvep-exoskeleton", {}), "within-session", {}),
    "bonn-ae": (("bonn-epilepsy", {"sets": "AE"}), "repeated-within-session", {"n_repeats": 2}),
    "bonn-abcde": (("bonn-epilepsy", {"sets": "ABCDE"}), "repeated-within-session",
                   {"n_repeats": 2}),
}


def _table(table: pd.DataFrame) -> str:
    """One row per pipeline: scores as mean (sd) over subjects (over folds for one subject)."""
    unit = "subject" if table["subject"].nunique() > 1 else "fold"
    rows = []
    for name, group in table.groupby("pipeline", sort=False):
        per = group.groupby("subject")["accuracy"].mean() if unit == "subject" \
            else group["accuracy"]
        rows.append((f"`{name}`", group["family"].iloc[0],
                     f"{per.mean():.3f} ({per.std(ddof=1):.3f})",
                     f"{group['balanced_accuracy'].mean():.3f}",
                     f"{group['roc_auc'].mean():.3f}", f"{group['kappa'].mean():.3f}",
                     f"{group['fit_time_s'].mean():.2f}", f"{group['latency_ms'].mean():.2f}",
                     f"{int(group['n_params'].iloc[0]):,}", len(group)))
    rows.sort(key=lambda r: -float(r[2].split()[0]))
    return md_table(["pipeline", "family", f"accuracy, mean (sd) over {unit}s",
                     "balanced accuracy", "ROC-AUC", "kappa", "fit s/fold",
                     "latency ms/trial", "parameters", "results"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="ssvep,bonn-ae,bonn-abcde")
    parser.add_argument("--deep", default=",".join(s.name for s in DEEP_SPECS),
                        help="deep pipelines on SSVEP")
    parser.add_argument("--deep-bonn", default="eegnet,shallow-convnet,deep4,cnn-lstm-attention",
                        help="deep pipelines on Bonn (4097-sample segments: the plain "
                             "recurrent nets cost hours on CPU)")
    parser.add_argument("--traditional", default=",".join(s.name for s in TRADITIONAL_SPECS))
    parser.add_argument("--max-epochs", type=int, default=60)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", default="full_comparison",
                        help="results file name under benchmarks/results")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="full-comparison-"))
    deep = {part: [f"{n}:net__max_epochs={args.max_epochs}" for n in names.split(",") if n]
            for part, names in (("ssvep", args.deep), ("bonn", args.deep_bonn))}
    traditional = [n for n in args.traditional.split(",") if n]
    sections = [f"Deep pipelines: {args.max_epochs} epochs at most (early stopping, patience "
                f"20, on a split of the training fold); {args.jobs} processes; seed 0.", ""]
    for part in args.parts.split(","):
        dataset, protocol, params = PARTS[part]
        config = RunConfig(datasets=[dataset], pipelines=traditional + deep[part.split("-")[0]],
                           protocol=protocol,
                           protocol_params=params, out=out / part, jobs=args.jobs, seed=0)
        wall = run_config(config)
        table = real_runs(ResultStore(config.out).table())
        build_report(config.out)
        print(f"{part}: {len(table)} results in {wall / 60:.1f} min", flush=True)
        sections += [f"## {part}: `{dataset[0]}` {dataset[1] or ''}, protocol `{protocol}` "
                     f"{params or ''}, total wall {wall / 60:.1f} min", "", _table(table), "",
                     headline_text(table), ""]
        write_report(args.report, "Benchmark 4: the full comparison on SSVEP and Bonn",
                     "\n".join(sections), started)  # kept current after each part
    print("\n".join(sections))
    print(f"results and HTML reports under {out}")


if __name__ == "__main__":
    main()
