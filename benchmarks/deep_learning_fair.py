"""Can the comparison see a deep-learning win? Controls where the right answer is known.

Two scenarios of the simulated motor-imagery generator, run through the runner with the
same folds for every pipeline (within-session 5-fold, seed 0), deep pipelines at their
registry recipes (:mod:`neurocompare.pipelines.deep.catalogue`):

* ``waveform``: the class is a time-reversed chirp pair at a jittered latency -- equal power
  spectra and spatial covariance, so band power, CSP, tangent space and time-domain MVPA
  are blind to it (``data/waveforms.py``), while a convolutional network can learn the
  shapes. Expected: the best deep pipeline ahead of the best traditional one.
* ``null``: the same background without any class information. Expected: every pipeline
  at chance.
* ``waveform-strong``: the same with strong transients in every subject (effects 0.9, 0.8,
  0.7, 0.6 of the template amplitude, cycling) and ``--strong-trials`` trials per class: the
  default effects (0.6 down to 0.03) leave several subjects with transients too weak to
  learn from a few hundred trials, which blurs the control.
* ``erd`` (``--parts erd``): the default generator's planted ERD, subject 1 of the default
  dataset, one session of 80 trials, every deep pipeline of the catalogue at its defaults.
  Expected: no network at chance -- the check that the recipes train on small folds.

The headline (best deep vs best traditional, paired test over subjects, Holm over
datasets) and the per-pipeline chance test come from the report code itself.

Usage: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/deep_learning_fair.py
[--subjects 10] [--trials 100] [--parts waveform,waveform-strong,null] [--jobs 2]``
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
from neurocompare.stats.summary import latest_rows, real_runs

TRADITIONAL = ["bandpower-lda", "csp-lda", "ts-lr", "mvpa-lr"]
DEEP = ["shallow-convnet", "eegnet"]
#: Transient amplitudes of the waveform-strong part (fractions of the template's).
STRONG = (0.9, 0.8, 0.7, 0.6)
#: Every deep pipeline of the catalogue (the ``erd`` part).
ALL_DEEP = ["eegnet", "shallow-convnet", "shallow-convnet-cropped", "deep4", "deep4-cropped",
            "rnn", "lstm", "gru", "bilstm", "cnn-lstm-attention"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="waveform,waveform-strong,null")
    parser.add_argument("--subjects", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100, help="trials per class")
    parser.add_argument("--strong-trials", type=int, default=150,
                        help="trials per class of the waveform-strong part")
    parser.add_argument("--deep", default=",".join(DEEP))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", default="deep_learning_fair",
                        help="name of the results file (benchmarks/results/<name>.md)")
    args = parser.parse_args()
    started = datetime.now(UTC)
    out = args.out or Path(tempfile.mkdtemp(prefix="deep-fair-"))
    deep = [n for n in args.deep.split(",") if n]
    sections = [f"Within-session 5-fold, seed 0, {args.jobs} processes, one BLAS/torch thread "
                "each; deep pipelines at their registry recipes. Dataset parameters in each "
                "section title.", ""]
    for part in args.parts.split(","):
        if part == "erd":
            dataset = ("simulated-mi", {"n_subjects": 1, "n_sessions": 1})
            pipelines = TRADITIONAL + ALL_DEEP
        elif part == "waveform-strong":
            dataset = ("simulated-mi", {"scenario": "waveform", "n_subjects": args.subjects,
                                        "n_sessions": 1, "n_trials_per_class":
                                        args.strong_trials, "effects": STRONG})
            pipelines = TRADITIONAL + deep
        else:
            dataset = ("simulated-mi", {"scenario": part, "n_subjects": args.subjects,
                                        "n_sessions": 1, "n_trials_per_class": args.trials})
            pipelines = TRADITIONAL + deep
        config = RunConfig(datasets=[dataset], pipelines=pipelines,
                           protocol="within-session", out=out / part, jobs=args.jobs, seed=0)
        wall = run_config(config)
        table = latest_rows(real_runs(ResultStore(config.out).table()))
        build_report(config.out)
        print(f"{part}: {len(table)} results in {wall / 60:.1f} min", flush=True)
        sections += [f"## scenario `{part}` ({dataset[1]}): total wall {wall / 60:.1f} min",
                     "",
                     chance_table(table), "", headline_text(table), ""]
        write_report(args.report, "Controls: can the comparison see a deep win?",
                     "\n".join(sections), started)
    print("\n".join(sections))
    print(f"results and HTML reports under {out}")


if __name__ == "__main__":
    main()
