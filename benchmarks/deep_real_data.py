"""Deep against traditional on real EEG with more training trials, and a leaky split beside
the honest one.

Parts (``--parts``), each through the runner (same folds for every pipeline, seed 0) and
the report code (headline: best deep vs best traditional, paired test; per-pipeline
pooled chance test):

* ``ssvep-cross-subject``: ``ssvep-exoskeleton`` across subjects, every test subject
  unseen in training: ``grouped-subject-kfold`` (5 folds of 2-3 subjects, about 690
  training trials each) by default, or leave-one-subject-out with ``--loso`` (12 folds of
  about 790; ShallowFBCSPNet's 100 epochs on 790 trials of 32 channels take about 13 min of
  one core here, 12 times) -- the training-set size at which deep networks are expected to
  catch up with the within-session 58. Traditional: MOABB's filter-bank Riemannian
  pipelines and CCA; deep: ``--deep`` at their registry recipes.
* ``bonn-windows-leaky`` and ``bonn-windows-grouped``: ``bonn-epilepsy`` five sets A-E cut
  into ``--window``-second windows (``window_s``); ``within-session`` 5-fold over windows
  puts windows of one recording in training and test (the split behind many published
  > 90 % figures: **leaky**), ``recording-kfold`` keeps every recording's windows in one
  fold (**grouped**). Same pipelines on both, ``--bonn-folds`` folds (3 by default: 1,667
  training windows of 4 s per fold); the difference between the two tables is what the
  leak is worth.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/deep_real_data.py
[--parts ssvep-cross-subject,bonn-windows-leaky,bonn-windows-grouped] [--deep shallow-convnet]
[--window 4] [--bonn-folds 3] [--loso] [--jobs 1] [--out DIR]``
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from _common import chance_table, headline_text, run_config, write_report
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.runner import RunConfig
from neurocompare.stats.summary import real_runs

SSVEP_TRADITIONAL = ["ssvep-fb-ts-lr", "ssvep-fb-ts-svm", "ssvep-fb-mdm", "ssvep-cca"]
BONN_TRADITIONAL = ["bandpower-rf", "bandpower-knn", "bandpower-xgb", "bandpower-lr"]


def parts(window: float, bonn_folds: int, loso: bool
          ) -> dict[str, tuple[tuple[str, dict], str, dict, list[str], str]]:
    """Part name -> (dataset, protocol, its parameters, traditional pipelines, unit of
    replication)."""
    bonn = ("bonn-epilepsy", {"sets": "ABCDE", "window_s": window})
    folds = {"n_splits": bonn_folds}
    ssvep = ("cross-subject", {}, "subject") if loso else ("grouped-subject-kfold", {}, "fold")
    return {
        "ssvep-cross-subject": (("ssvep-exoskeleton", {}), ssvep[0], ssvep[1],
                                SSVEP_TRADITIONAL, ssvep[2]),
        "bonn-windows-leaky": (bonn, "within-session", folds, BONN_TRADITIONAL, "fold"),
        "bonn-windows-grouped": (bonn, "recording-kfold", folds, BONN_TRADITIONAL, "fold"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts",
                        default="ssvep-cross-subject,bonn-windows-leaky,bonn-windows-grouped")
    parser.add_argument("--deep", default="shallow-convnet")
    parser.add_argument("--window", type=float, default=4.0, help="Bonn window, seconds")
    parser.add_argument("--bonn-folds", type=int, default=3)
    parser.add_argument("--loso", action="store_true",
                        help="SSVEP leave-one-subject-out instead of 5 folds over subjects")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="deep-real-"))
    catalogue = parts(args.window, args.bonn_folds, args.loso)
    deep = [n for n in args.deep.split(",") if n]
    sections = [f"Seed 0, {args.jobs} process(es), one BLAS/torch thread each; deep pipelines "
                "at their registry recipes (`pipelines/deep/catalogue.py`).", ""]
    for part in args.parts.split(","):
        dataset, protocol, protocol_params, traditional, unit = catalogue[part]
        config = RunConfig(datasets=[dataset], pipelines=traditional + deep, protocol=protocol,
                           protocol_params=protocol_params, out=out / part, jobs=args.jobs,
                           seed=0)
        wall = run_config(config)
        table = real_runs(ResultStore(config.out).table())
        build_report(config.out)
        print(f"{part}: {len(table)} results in {wall / 60:.1f} min", flush=True)
        label = " (LEAKY: windows of one recording in training and test)" \
            if part.endswith("leaky") else ""
        sections += [f"## `{part}`{label}: `{dataset[0]}` {dataset[1]}, protocol "
                     f"`{protocol}` {protocol_params or ''}, total wall {wall / 60:.1f} min",
                     "",
                     chance_table(table, unit), "", headline_text(table), ""]
        write_report("deep_real_data", "Deep against traditional on real EEG: more training "
                     "trials, and the leaky split beside the honest one", "\n".join(sections),
                     started)
    print("\n".join(sections))
    print(f"results and HTML reports under {out}")


if __name__ == "__main__":
    main()
