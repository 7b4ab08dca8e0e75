"""Learning curves, crossover estimates and calibration-budget curves (data efficiency).

Three parts, each through ``neurocompare.runner`` with the project's protocols:

1. ``sim``: learning curves on the simulated default (6 subjects, within-session, 10-100% of
   each training fold) for traditional and deep pipelines, with the crossover estimate.
2. ``ssvep``: the same on the real SSVEP data (12 subjects, within-session).
2b. ``erd-sweep``: the simulator's planted ERD with 300 trials per class (3 subjects, one
   session), 5-100 % of each training fold (24 to 480 training trials).
3. ``calibration``: cross-subject transfer on SSVEP with k = 0, 1, 2, 5, 10 calibration trials
   per class of the target: TS+LR with per-subject re-centring, ShallowConvNet fine-tuned, and
   the target-only baseline.

Usage: .venv/bin/python benchmarks/data_efficiency.py [sim|ssvep|calibration ...]
       [--out DIR] [--jobs N]
Writes benchmarks/results/data_efficiency.md (appending the parts that were run).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

import pandas as pd

from neurocompare.pipelines.registry import get_spec
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan
from neurocompare.stats.learning import crossover, curve_table
from neurocompare.stats.summary import real_runs

RESULTS = Path(__file__).parent / "results" / "data_efficiency.md"

PARTS = {
    "sim": {"dataset": ("simulated-mi", {}), "protocol": "learning-curve",
            "protocol_params": {"sizes": (0.1, 0.2, 0.4, 0.7, 1.0), "n_repeats": 1},
            "pipelines": ["bandpower-lda", "ts-lr", "csp-lda", "shallow-convnet"],
            "pairs": [("shallow-convnet", "ts-lr"), ("shallow-convnet", "bandpower-lda")]},
    "ssvep": {"dataset": ("ssvep-exoskeleton", {}), "protocol": "learning-curve",
              # 6 training trials per class: 25 % is 2 per class, below the default
              # min_per_class of 3, which these filter-bank pipelines and networks fit on
              "protocol_params": {"sizes": (0.25, 0.5, 1.0), "n_repeats": 1,
                                  "min_per_class": 2},
              "pipelines": ["ssvep-fb-ts-lr", "ssvep-fb-mdm", "shallow-convnet", "eegnet"],
              "pairs": [("shallow-convnet", "ssvep-fb-ts-lr"), ("eegnet", "ssvep-fb-ts-lr")]},
    # The trial-count sweep on the planted ERD: several hundred trials per class, so a
    # data-scarcity crossover (traditional ahead with few trials, deep catching up with many)
    # can show if the data hold one.
    "erd-sweep": {"dataset": ("simulated-mi", {"n_subjects": 3, "n_sessions": 1,
                                               "n_trials_per_class": 300}),
                  "protocol": "learning-curve",
                  "protocol_params": {"sizes": (0.05, 0.1, 0.25, 0.5, 1.0), "n_repeats": 1},
                  "pipelines": ["csp-lda", "ts-lr", "shallow-convnet"],
                  "pairs": [("shallow-convnet", "ts-lr"), ("shallow-convnet", "csp-lda")]},
    "calibration": {"dataset": ("ssvep-exoskeleton", {}), "protocol": "calibration",
                    "protocol_params": {"ks": (0, 1, 2, 5, 10), "n_repeats": 1},
                    "pipelines": ["ssvep-fb-ts-lr-rct", "ssvep-fb-ts-lr", "ts-lr-target",
                                  "shallow-convnet-ft"],
                    "pairs": []},
}


def _capped(name: str, max_epochs: int | None) -> str:
    """``name`` with its epoch budget capped (deep pipelines only; None keeps the default)."""
    if max_epochs is None or get_spec(name).family == "traditional":
        return name
    return f"{name}:net__max_epochs={max_epochs}"


def run_part(name: str, out: Path, jobs: int, max_epochs: int | None = None) -> str:
    """Run one part and return its markdown section."""
    part = dict(PARTS[name])
    part["pipelines"] = [_capped(p, max_epochs) for p in part["pipelines"]]
    part["pairs"] = [(_capped(a, max_epochs), _capped(b, max_epochs)) for a, b in part["pairs"]]
    config = RunConfig(datasets=[part["dataset"]], pipelines=part["pipelines"],
                       protocol=part["protocol"], protocol_params=part["protocol_params"],
                       out=out / name, jobs=jobs, seed=42)
    start = time.perf_counter()
    execute(plan(config), jobs=jobs)
    seconds = time.perf_counter() - start
    table = real_runs(ResultStore(out / name).table())
    lines = [f"## {name}: {part['dataset'][0]}, protocol {part['protocol']} "
             f"{part['protocol_params']}", "",
             f"Wall time {seconds / 60:.1f} min with {jobs} worker(s).", ""]
    if part["protocol"] == "calibration":
        per_subject = table.groupby(["pipeline", "target", "k"])["accuracy"].mean()
        summary = per_subject.groupby(["pipeline", "k"]).agg(["mean", "std", "count"])
        wide = summary["mean"].unstack("k")
        lines += ["Mean accuracy over target subjects (4 classes, chance 0.25) by calibration "
                  "trials per class k (`-`: not defined; `ts-lr-target` refuses fewer than 2 "
                  "target trials per class):", "", "| pipeline | " +
                  " | ".join(f"k={int(k)}" for k in wide.columns) + " |",
                  "|---|" + "---|" * len(wide.columns)]
        for pipeline, row in wide.iterrows():
            sd = summary["std"].unstack("k").loc[pipeline]
            cells = ["-" if pd.isna(row[k]) else f"{row[k]:.3f} ± {sd[k]:.3f}"
                     for k in wide.columns]
            lines.append(f"| {pipeline} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
    curves = curve_table(table)
    wide = curves.pivot_table(index="pipeline", columns="train_size", values="mean")
    lines += ["Mean accuracy over subjects by training trials (class-stratified subsets of "
              "each training fold; same test folds):", "",
              "| pipeline | " + " | ".join(f"n={int(n)}" for n in wide.columns) + " |",
              "|---|" + "---|" * len(wide.columns)]
    for pipeline, row in wide.iterrows():
        lines.append(f"| {pipeline} | " + " | ".join(
            "-" if pd.isna(v) else f"{v:.3f}" for v in row) + " |")
    lines += ["", "Crossover (power-law fits, 500 bootstrap samples over subjects):", ""]
    for deep, trad in part["pairs"]:
        result = crossover(table, part["dataset"][0], deep, trad)
        lines.append(f"- {result.statement} (crossover in "
                     f"{100 * result.fraction_with_crossover:.0f}% of bootstrap samples)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parts", nargs="*", default=list(PARTS), choices=list(PARTS))
    parser.add_argument("--out", default="/tmp/neurocompare-data-efficiency")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="cap the deep pipelines' epochs (CPU budget; default: registry)")
    args = parser.parse_args()
    sections = [run_part(name, Path(args.out), args.jobs, args.max_epochs)
                for name in args.parts]
    header = (f"# Data efficiency benchmarks\n\nCommand: `.venv/bin/python "
              f"{' '.join(sys.argv)}`\nDate: {datetime.date.today()}; machine: "
              f"{platform.processor() or platform.machine()}, 2 cores, CPU only.\n")
    text = "\n\n".join(sections)
    print(text)
    existing = RESULTS.read_text() if RESULTS.exists() else header
    RESULTS.write_text(existing.rstrip() + "\n\n" + text + "\n")


if __name__ == "__main__":
    main()
