"""Benchmark 1: reproduce MOABB's published SSVEP numbers on the SSVEP exoskeleton data.

Within-session 5-fold CV, 4 classes (rest, 13, 17, 21 Hz), epochs [2, 4] s after the cue,
12 subjects, seed 42. Rows:

* neurocompare's ``ssvep-fb-ts-lr``, ``ssvep-fb-ts-svm``, ``ssvep-fb-mdm`` and ``ssvep-cca``
  through :mod:`neurocompare.runner` (``protocol="within-session"``: folds inside each
  recording, which is what the ``ssvep-exoskeleton`` dataset calls a session);
* the same pipelines through neurocompare's protocol API with a subject's recordings pooled
  into one session, which is how MOABB's ``Kalunga2016`` lays the data out (one session,
  recordings as runs), and so the layout of the published and anchor numbers;
* CCA on the three flicker classes only (MOABB's ``SSVEP_CCA`` cannot score rest);
* ``ssvep-fb-ts-lr`` under the ``blocked`` protocol (time-ordered folds), the honest check
  that ANCHORS.md recommends, with rest recall and flicker accuracy taken apart.

Each is printed next to the published MOABB figures (Chevallier et al. 2024) and the MOABB
1.7.2 figures measured in ../shared/ANCHORS.md, and written to
``benchmarks/results/ssvep_reproduction.md``.

Usage: ``.venv/bin/python benchmarks/ssvep_reproduction.py [--jobs N]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from _common import md_table, mean_sd, subject_means, write_report
from neurocompare.data.containers import NeuralData
from neurocompare.data.ssvep import SSVEPExoskeleton
from neurocompare.evaluation.fold import FoldCache, evaluate_fold
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.splitters import WithinSession
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan

SEED = 42
FB = ("ssvep-fb-ts-lr", "ssvep-fb-ts-svm", "ssvep-fb-mdm")
PIPELINES = (*FB, "ssvep-cca")
#: Published MOABB benchmark (Chevallier et al. 2024), Kalunga2016, within-session, 4 classes.
PUBLISHED = {"ssvep-fb-ts-lr": "70.86 (11.64)", "ssvep-fb-ts-svm": "68.95 (13.73)",
             "ssvep-fb-mdm": "70.89 (13.44)", "ssvep-cca": "25.40 (2.51)"}
#: MOABB 1.7.2 with the filter-bank fix, measured in ../shared/ANCHORS.md.
ANCHORS = {"ssvep-fb-ts-lr": "71.92 (14.71)", "ssvep-fb-ts-svm": "69.45 (15.30)",
           "ssvep-fb-mdm": "71.87 (15.82)", "ssvep-cca": "74.95 (16.59), 3 flicker classes"}
MOABB_NAMES = {"ssvep-fb-ts-lr": "TS+LR", "ssvep-fb-ts-svm": "TS+SVM", "ssvep-fb-mdm": "MDM",
               "ssvep-cca": "CCA"}


def run_runner(pipelines: Sequence[str], protocol: str, jobs: int) -> tuple[pd.DataFrame, float]:
    """Run ``pipelines`` through :mod:`neurocompare.runner` in a fresh output folder.

    Returns
    -------
    rows : DataFrame
        The result store's table (one row per pipeline and fold).
    seconds : float
        Wall time of ``execute(plan(config))``.
    """
    with tempfile.TemporaryDirectory(prefix="nc-repro-") as out:
        config = RunConfig(datasets=[("ssvep-exoskeleton", {})], pipelines=list(pipelines),
                           protocol=protocol, seed=SEED, out=out, jobs=jobs)
        start = time.perf_counter()
        reports = execute(plan(config), jobs=jobs)
        seconds = time.perf_counter() - start
        errors = [e for r in reports for e in r.errors]
        if errors:
            raise RuntimeError(f"{len(errors)} failed results, first: {errors[0]}")
        return ResultStore(out).table(), seconds


def _seeded(estimator: BaseEstimator, seed: int) -> BaseEstimator:
    """Clone ``estimator`` with every ``random_state`` set to ``seed`` (as the runner does)."""
    estimator = clone(estimator)
    keys = [k for k in estimator.get_params(deep=True) if k.split("__")[-1] == "random_state"]
    return estimator.set_params(**dict.fromkeys(keys, seed))


def evaluate(data: NeuralData, labels: Sequence[str]) -> list[dict]:
    """Within-session 5-fold CV of registered pipelines on ``data`` via the protocol API.

    Parameters
    ----------
    data : NeuralData
        One subject; its ``session`` column defines the CV groups.
    labels : sequence of str
        Pipeline labels (``"name"`` or ``"name:param=value"``).

    Returns
    -------
    list of dict
        One row per (pipeline, fold): pipeline, subject, session, fold, accuracy, confusion.
    """
    rows = []
    for fold in WithinSession(n_splits=5, random_state=SEED).folds(data.metadata, data.y):
        pipes = {label: _seeded(make_pipeline(label, data.info), SEED) for label in labels}
        results = evaluate_fold(pipes, data, fold, FoldCache())
        rows += [{"pipeline": label, "subject": str(data.metadata["subject"].iloc[0]),
                  "session": fold.session, "fold": fold.id, "accuracy": r["accuracy"],
                  "confusion": r["confusion"]} for label, r in results.items()]
    return rows


def confusion_rates(rows: pd.DataFrame, rest: int = 0) -> pd.DataFrame:
    """Per pipeline and subject: rest recall and accuracy on the flicker trials.

    Confusion matrices are summed over each subject's folds; flicker accuracy is the share
    of flicker trials (true class other than ``rest``) predicted as their own frequency.
    """
    out = []
    for (pipeline, subject), group in rows.groupby(["pipeline", "subject"], sort=True):
        cm = sum(np.asarray(json.loads(c)) for c in group["confusion"])
        flicker = [k for k in range(cm.shape[0]) if k != rest]
        out.append({"pipeline": pipeline, "subject": subject,
                    "rest_recall": cm[rest, rest] / cm[rest].sum(),
                    "flicker_acc": cm[flicker, flicker].sum() / cm[flicker].sum()})
    return pd.DataFrame(out)


def _summary(rows: pd.DataFrame) -> dict[str, str]:
    means = subject_means(rows)
    return {p: mean_sd(g["score"]) for p, g in means.groupby("pipeline")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes of the runner")
    args = parser.parse_args()
    started = datetime.now(UTC)
    warnings.filterwarnings("ignore", category=UserWarning)  # ConvergenceWarning et al.

    # 1. the runner, as a user would run it
    within, t_within = run_runner(PIPELINES, "within-session", args.jobs)
    blocked, t_blocked = run_runner(["ssvep-fb-ts-lr"], "blocked", args.jobs)

    # 2. protocol API on the same loader: recordings pooled per subject, and 3-class CCA
    dataset = SSVEPExoskeleton()
    pooled_rows, cca_rows = [], []
    cca_labels = ("ssvep-cca", "ssvep-cca:cca__n_harmonics=3")
    start = time.perf_counter()
    for subject in dataset.subjects():
        data = dataset.load_subject(subject)
        meta = data.metadata.assign(session="pooled")
        pooled_rows += evaluate(NeuralData(data.X, data.y, meta, data.info), PIPELINES)
        rest = data.info.class_names.index("rest")
        cca_rows += evaluate(data.subset(np.flatnonzero(data.y != rest)), cca_labels)
    t_api = time.perf_counter() - start
    pooled, cca3 = pd.DataFrame(pooled_rows), pd.DataFrame(cca_rows)

    ours, ours_pooled, ours_cca3 = _summary(within), _summary(pooled), _summary(cca3)
    out = []
    out.append("## Within-session 5-fold, 4 classes, 12 subjects: accuracy % as mean (sd) "
               "over subjects\n")
    out.append(md_table(
        ["pipeline (MOABB name)", "neurocompare runner, folds within each recording",
         "neurocompare, recordings pooled per subject (MOABB layout)",
         "MOABB 1.7.2 + band fix (ANCHORS.md)", "published (Chevallier et al. 2024)"],
        [[f"`{p}` ({MOABB_NAMES[p]})", ours[p], ours_pooled[p], ANCHORS[p], PUBLISHED[p]]
         for p in PIPELINES]))
    out.append("")
    out.append(md_table(
        ["CCA on the 3 flicker classes (648 trials)", "neurocompare, folds within each "
         "recording", "MOABB 1.7.2 SSVEP_CCA (ANCHORS.md)"],
        [["`ssvep-cca` (2 harmonics, as registered)", ours_cca3["ssvep-cca"], "74.95 (16.59)"],
         ["`ssvep-cca:cca__n_harmonics=3` (MOABB's 3 harmonics)",
          ours_cca3["ssvep-cca:cca__n_harmonics=3"], "74.95 (16.59)"]]))

    # blocked (time-ordered) check, taken apart into rest recall and flicker accuracy
    both = pd.concat([within.assign(protocol="within-session"),
                      blocked.assign(protocol="blocked")])
    both = both[both["pipeline"] == "ssvep-fb-ts-lr"]
    table = []
    for protocol, rows in both.groupby("protocol", sort=False):
        rates = confusion_rates(rows)
        table.append([protocol, mean_sd(subject_means(rows)["score"]),
                      mean_sd(rates["rest_recall"]), mean_sd(rates["flicker_acc"])])
    block_acc = blocked.assign(block=blocked["fold"].str.extract(r"block=(\d)")[0])
    per_block = block_acc.groupby("block")["accuracy"].mean() * 100
    out.append("\n## `ssvep-fb-ts-lr`: shuffled within-session vs blocked (time-ordered) "
               "5-fold\n")
    out.append(md_table(["protocol", "accuracy, 4 classes", "rest recall",
                         "accuracy on flicker trials"], table))
    out.append("\nBlocked accuracy by test block (mean over recordings): "
               + ", ".join(f"block {b}: {v:.1f}" for b, v in per_block.items()) + ".")
    (_, acc_w, rest_w, flick_w), (_, acc_b, rest_b, flick_b) = table
    out.append(
        f"\nWhat it shows: the 4-class score falls from {acc_w.split()[0]} to "
        f"{acc_b.split()[0]} under time-ordered folds. Most of the fall is rest: rest recall "
        f"drops from {rest_w.split()[0]} to {rest_b.split()[0]} %, while flicker accuracy "
        f"moves from {flick_w.split()[0]} to {flick_b.split()[0]} %. The 8 rest trials open "
        "every recording, so blocked block 0 tests 7 rest trials with a single rest trial "
        "left for training: blocked folds cannot tell drift from a missing class for rest, "
        "and shuffled folds let rest be recognised partly by its position in the recording "
        "(slow drift). The flicker-trial drop is the part of the shuffled score that comes "
        "from training on temporally adjacent trials. Report flicker accuracy (or a blocked "
        "split) next to the shuffled 4-class score.")

    # gaps > 2 points, explained from the numbers above
    def num(text: str) -> float:
        return float(text.split()[0])

    out.append("\n## Gaps larger than 2 points\n")
    for p in PIPELINES:
        gap = num(ours[p]) - num(PUBLISHED[p])
        if abs(gap) > 2:
            if p == "ssvep-cca":
                why = ("the published 25.40 is chance level for 4 classes: MOABB's "
                       "`CCA-SSVEP.yml` maps 17 Hz to code 3 and 21 Hz to code 4, the reverse "
                       "of this dataset's codes, and MOABB's `SSVEP_CCA` has no rest rule. "
                       f"neurocompare's CCA learns a rest threshold; on the 3 flicker classes "
                       f"it gets {ours_cca3['ssvep-cca:cca__n_harmonics=3']} with MOABB's "
                       "3 harmonics, against MOABB's 74.95")
            else:
                why = (f"session layout, not the pipeline: with a subject's recordings pooled "
                       f"as MOABB's Kalunga2016 pools them, the same pipeline gets "
                       f"{ours_pooled[p]} (MOABB anchor {ANCHORS[p]}). Folds inside one "
                       "32-trial recording train on about 25 trials instead of about 51")
            out.append(f"* `{p}`: {ours[p].split()[0]} vs published {PUBLISHED[p].split()[0]} "
                       f"({gap:+.2f}): {why}.")
    out.append(f"\nWall time: runner within-session, 4 pipelines {t_within:.1f} s; "
               f"runner blocked, 1 pipeline {t_blocked:.1f} s; protocol-API runs (loading "
               f"included) {t_api:.1f} s; runner jobs={args.jobs}.")
    body = "\n".join(out)
    print(body)
    path = write_report("ssvep_reproduction", "Benchmark 1: SSVEP reproduction (Kalunga2016)",
                        body, started)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
