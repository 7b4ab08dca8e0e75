"""Benchmark 2: the same SSVEP pipelines through MOABB and through neurocompare, in one run.

Same local files (``<data root>/ssvep_exoskeleton``), same folds, same pipelines:

* MOABB 1.7.2 ``WithinSessionEvaluation`` (n_jobs=1, random_state=42) with the filter-bank
  fix (``moabb_local.AllBandsWithinSessionEvaluation``) over ``moabb_local.LocalKalunga2016``
  with every recording as its own session (neurocompare's session definition), running
  MOABB's TSLR-SSVEP, TSSVM-SSVEP and MDM-SSVEP pipelines;
* neurocompare's runner with ``ssvep-fb-ts-lr``, ``ssvep-fb-ts-svm``, ``ssvep-fb-mdm``,
  protocol ``within-session``, seed 42, with ``jobs=1`` and ``jobs=os.cpu_count()``, each in a
  fresh output folder (nothing cached).

Both build each session's folds with ``StratifiedKFold(5, shuffle=True)`` seeded with a fresh
``RandomState(42)``; the script checks that the test sets and the filtered arrays are
identical before comparing scores. CCA is compared on the 3 flicker classes (MOABB's
``SSVEP_CCA`` cannot score rest) outside the runner.

Every timed configuration runs in its own fresh Python process (imports excluded from the
timings, data loading and filtering included), in ``--repeats`` interleaved rounds; the
median is reported. MOABB's CodeCarbon tracking is switched off for the timed MOABB runs (one
extra run with it on, as installed, is reported for reference).

Usage: ``.venv/bin/python benchmarks/moabb_side_by_side.py [--repeats 3] [--profile]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from _common import md_table, mean_sd, write_report

SEED = 42
FB = {"ssvep-fb-ts-lr": "TS+LR", "ssvep-fb-ts-svm": "TS+SVM", "ssvep-fb-mdm": "MDM"}
MOABB_TO_NC = {v: k for k, v in FB.items()}
N_FOLDS = 5
#: Largest allowed per-session TS+SVM difference (SVC vote ties): one test trial in one of
#: the 5 folds (6-7 test trials per fold), i.e. (1/6)/5 of a session's mean accuracy.
SESSION_TOL = 100 / 6 / N_FOLDS


# ---------------------------------------------------------------- children (one process each)
def _quiet() -> None:
    warnings.filterwarnings("ignore")
    import logging

    import moabb

    moabb.set_log_level("ERROR")
    logging.getLogger("codecarbon").setLevel(logging.ERROR)


def _children_cpu(reap_loky: bool) -> float:
    """CPU seconds of this process's ended children, after shutting the reusable loky
    executor down when ``reap_loky`` (its workers only count once they have exited)."""
    if reap_loky:
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    return sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
               for f in ("ru_utime", "ru_stime"))


def child_moabb(carbon: bool, jobs: int = 1) -> dict[str, Any]:
    """MOABB evaluation of the three filter-bank pipelines; timing starts after imports.

    With ``jobs`` > 1 MOABB 1.7.2 loads every subject first, then evaluates the folds in
    ``joblib.Parallel(n_jobs=jobs)`` (loky workers; their CPU time is counted)."""
    from moabb.paradigms import FilterBankSSVEP

    from moabb_local import (
        AllBandsWithinSessionEvaluation,
        LocalKalunga2016,
        codecarbon,
        moabb_ssvep_pipelines,
    )

    _quiet()
    with tempfile.TemporaryDirectory(prefix="moabb-") as tmp, codecarbon(carbon):
        start, cpu = time.perf_counter(), time.process_time()
        evaluation = AllBandsWithinSessionEvaluation(
            paradigm=FilterBankSSVEP(filters=None, n_classes=4),
            datasets=[LocalKalunga2016(layout="session")], random_state=SEED, n_jobs=jobs,
            overwrite=True, hdf5_path=tmp)
        results = evaluation.process(moabb_ssvep_pipelines())
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    cpu += _children_cpu(reap_loky=jobs > 1)
    rows = [{"pipeline": MOABB_TO_NC[r.pipeline], "subject": str(r.subject),
             "session": str(r.session), "score": float(r.score),
             "fit_s": float(r.time) * N_FOLDS} for r in results.itertuples()]
    return {"wall": wall, "cpu": cpu, "load": evaluation.load_seconds, "rows": rows}


def child_nc(jobs: int, threads: int | None, start_method: str = "auto") -> dict[str, Any]:
    """neurocompare runner on the three filter-bank pipelines in a fresh output folder."""
    from neurocompare._parallel import fork_is_safe
    from neurocompare.records.store import ResultStore
    from neurocompare.runner import RunConfig, execute, plan

    _quiet()
    with tempfile.TemporaryDirectory(prefix="nc-") as out:
        start, cpu = time.perf_counter(), time.process_time()
        config = RunConfig(datasets=[("ssvep-exoskeleton", {})], pipelines=list(FB),
                           protocol="within-session", seed=SEED, out=out, jobs=jobs)
        units = plan(config)
        if threads is not None:  # diagnostic: override the BLAS threads per work unit
            units = [replace(u, n_threads=threads) for u in units]
        forked = jobs > 1 and (start_method == "fork"
                               or (start_method == "auto" and fork_is_safe()))
        reports = execute(units, jobs=jobs, start_method=start_method)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        cpu += _children_cpu(reap_loky=jobs > 1 and not forked)
        errors = [e for r in reports for e in r.errors]
        table = ResultStore(out).table()
    cols = ["pipeline", "subject", "session", "fold", "accuracy", "fit_time_s",
            "predict_time_s", "latency_ms", "n_test"]
    return {"wall": wall, "cpu": cpu, "errors": errors, "forked": forked,
            "rows": table[cols].to_dict(orient="records")}


def child_check() -> dict[str, Any]:
    """Are the arrays, labels and test folds of the two tools identical?"""
    from moabb.evaluations.splitters import WithinSessionSplitter
    from moabb.paradigms import FilterBankSSVEP
    from moabb.pipelines import ExtendedSSVEPSignal

    from moabb_local import LocalKalunga2016
    from neurocompare.data.ssvep import SSVEPExoskeleton
    from neurocompare.pipelines.eeg.ssvep import filterbank_picks
    from neurocompare.protocols.splitters import WithinSession

    _quiet()
    moabb_ds, nc_ds = LocalKalunga2016(layout="session"), SSVEPExoskeleton()
    X, y, meta = FilterBankSSVEP(filters=None, n_classes=4).get_data(moabb_ds)
    X = ExtendedSSVEPSignal().transform(X)
    meta = meta.reset_index(drop=True)
    # MOABB's splitter over the whole dataset, as the evaluation calls it
    moabb_folds: dict[tuple[str, str], set[frozenset[int]]] = {}
    first = meta.groupby(["subject", "session"]).apply(lambda g: g.index.min(),
                                                       include_groups=False)
    for _, test in WithinSessionSplitter(n_folds=N_FOLDS, shuffle=True,
                                         random_state=SEED).split(y, meta):
        key = (str(meta.loc[test[0], "subject"]), str(meta.loc[test[0], "session"]))
        offset = first[(meta.loc[test[0], "subject"], meta.loc[test[0], "session"])]
        moabb_folds.setdefault(key, set()).add(frozenset((test - offset).tolist()))
    names = {"rest": "rest", "13Hz": "13", "17Hz": "17", "21Hz": "21"}
    max_rel, labels_equal, folds_equal, n_sessions = 0.0, True, True, 0
    for subject in nc_ds.subjects():
        data = nc_ds.load_subject(subject)
        rows = np.flatnonzero(meta["subject"].to_numpy() == subject)
        Xn = data.X[:, filterbank_picks(data.info)]
        max_rel = max(max_rel, float(np.abs(Xn - X[rows]).max() / np.abs(X[rows]).max()))
        labels = [names[data.info.class_names[c]] for c in data.y]
        labels_equal &= labels == list(y[rows])
        nc_folds: dict[tuple[str, str], set[frozenset[int]]] = {}
        starts = data.metadata.groupby("session").apply(lambda g: g.index.min(),
                                                        include_groups=False)
        for fold in WithinSession(N_FOLDS, random_state=SEED).folds(data.metadata, data.y):
            key = (str(subject), fold.session)
            nc_folds.setdefault(key, set()).add(
                frozenset((fold.test - starts[fold.session]).tolist()))
        for key, folds in nc_folds.items():
            n_sessions += 1
            folds_equal &= moabb_folds.get(key) == folds
    return {"max_rel_diff": max_rel, "labels_equal": bool(labels_equal),
            "folds_equal": bool(folds_equal), "n_sessions": n_sessions,
            "n_trials": len(y)}


def child_cca() -> dict[str, Any]:
    """CCA on the 3 flicker classes: MOABB's SSVEP_CCA vs neurocompare's CCAClassifier."""
    from moabb.paradigms import SSVEP

    from moabb_local import (
        FLICKER_EVENTS,
        AllBandsWithinSessionEvaluation,
        LocalKalunga2016,
        codecarbon,
        moabb_cca_pipeline,
    )
    from neurocompare.data.ssvep import SSVEPExoskeleton
    from neurocompare.evaluation.fold import FoldCache, evaluate_fold
    from neurocompare.pipelines.registry import make_pipeline
    from neurocompare.protocols.splitters import WithinSession

    _quiet()
    with tempfile.TemporaryDirectory(prefix="moabb-cca-") as tmp, codecarbon(False):
        start = time.perf_counter()
        evaluation = AllBandsWithinSessionEvaluation(
            paradigm=SSVEP(fmin=7, fmax=45, events=FLICKER_EVENTS, n_classes=3),
            datasets=[LocalKalunga2016(layout="session")], random_state=SEED, n_jobs=1,
            overwrite=True, hdf5_path=tmp)
        results = evaluation.process(moabb_cca_pipeline())
        moabb_wall = time.perf_counter() - start
    rows = [{"tool": "MOABB", "subject": str(r.subject), "session": str(r.session),
             "score": float(r.score)} for r in results.itertuples()]
    start = time.perf_counter()
    dataset = SSVEPExoskeleton()
    for subject in dataset.subjects():
        data = dataset.load_subject(subject)
        data = data.subset(np.flatnonzero(data.y != data.info.class_names.index("rest")))
        scores: dict[str, list[float]] = {}
        for fold in WithinSession(N_FOLDS, random_state=SEED).folds(data.metadata, data.y):
            pipe = make_pipeline("ssvep-cca:cca__n_harmonics=3", data.info)
            result = evaluate_fold({"cca": pipe}, data, fold, FoldCache())["cca"]
            scores.setdefault(fold.session, []).append(result["accuracy"])
        rows += [{"tool": "neurocompare", "subject": str(subject), "session": session,
                  "score": float(np.mean(s))} for session, s in scores.items()]
    return {"moabb_wall": moabb_wall, "nc_wall": time.perf_counter() - start, "rows": rows}


def child_breakdown() -> dict[str, Any]:
    """Where neurocompare's jobs=1 time goes (stage counters, see ``_nc_breakdown``)."""
    from _nc_breakdown import instrumented_run

    _quiet()
    return instrumented_run(list(FB), seed=SEED)


def child_profile(kind: str) -> dict[str, Any]:
    """cProfile of one MOABB or neurocompare (jobs=1) run: top functions by own time."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    if kind == "moabb":
        child_moabb(carbon=False)
    else:
        child_nc(1, None)
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(15)
    lines = [ln for ln in text.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return {"lines": lines[start:start + 16]}


CHILDREN = {
    "moabb": lambda a: child_moabb(carbon=False, jobs=a.jobs),
    "moabb-codecarbon": lambda a: child_moabb(carbon=True),
    "nc": lambda a: child_nc(a.jobs, a.threads, a.start_method),
    "check": lambda a: child_check(),
    "cca": lambda a: child_cca(),
    "breakdown": lambda a: child_breakdown(),
    "profile": lambda a: child_profile(a.kind),
}


def run_child(name: str, *extra: str) -> dict[str, Any]:
    """Run ``name`` in a fresh Python process and return its JSON result."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        path = Path(handle.name)
    try:
        cmd = [sys.executable, __file__, "--child", name, "--result", str(path), *extra]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return json.loads(path.read_text())
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------- parent
def _session_scores(nc_rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(nc_rows)
    frame["subject"] = frame["subject"].astype(str)
    return (frame.groupby(["pipeline", "subject", "session"])["accuracy"].mean()
            .rename("score").reset_index())


def _median(values: list[float]) -> str:
    arr = np.asarray(values)
    if arr.size == 1:
        return f"{arr[0]:.1f}"
    return f"{np.median(arr):.1f} ({arr.min():.1f}-{arr.max():.1f})"


def agreement(moabb: pd.DataFrame, nc: pd.DataFrame, label: str) -> tuple[list, pd.DataFrame]:
    """Per-pipeline agreement rows and the merged per-session table."""
    merged = moabb.merge(nc, on=["pipeline", "subject", "session"], how="outer",
                         suffixes=("_moabb", "_nc"), indicator=True)
    if (merged["_merge"] != "both").any():
        raise RuntimeError(f"{label}: sessions missing on one side")
    merged["diff"] = (merged["score_nc"] - merged["score_moabb"]) * 100
    rows = []
    for pipeline, g in merged.groupby("pipeline", sort=False):
        subj = g.groupby("subject")[["score_moabb", "score_nc"]].mean()
        rows.append([f"`{pipeline}` / {FB.get(pipeline, pipeline)}", len(g),
                     int((g["diff"].abs() < 1e-4).sum()), f"{g['diff'].abs().max():.2f}",
                     mean_sd(subj["score_moabb"]), mean_sd(subj["score_nc"]),
                     f"{(subj['score_nc'] - subj['score_moabb']).mean() * 100:+.3f}"])
    return rows, merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved timing rounds")
    parser.add_argument("--profile", action="store_true",
                        help="also cProfile one MOABB and one neurocompare run")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--kind", default="nc", help=argparse.SUPPRESS)
    parser.add_argument("--start-method", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        Path(args.result).write_text(json.dumps(CHILDREN[args.child](args)))
        return

    started = datetime.now(UTC)
    all_cores = os.cpu_count() or 1
    print(f"checking data and folds, then {args.repeats} timing rounds ...", flush=True)
    check = run_child("check")

    configs = {
        "MOABB, n_jobs=1": ("moabb", "--jobs", "1"),
        f"MOABB, n_jobs={all_cores}": ("moabb", "--jobs", str(all_cores)),
        "neurocompare, jobs=1": ("nc", "--jobs", "1"),
        f"neurocompare, jobs={all_cores}": ("nc", "--jobs", str(all_cores)),
        f"neurocompare, jobs={all_cores}, loky workers (diagnostic)":
            ("nc", "--jobs", str(all_cores), "--start-method", "loky"),
        "neurocompare, jobs=1, 1 BLAS thread per unit (diagnostic)":
            ("nc", "--jobs", "1", "--threads", "1"),
    }
    runs: dict[str, list[dict]] = {name: [] for name in configs}
    names = list(configs)
    for r in range(args.repeats):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate: no fixed position
        for name in order:
            runs[name].append(run_child(*configs[name]))
            print(f"  round {r + 1}: {name}: {runs[name][-1]['wall']:.1f} s", flush=True)
    carbon = run_child("moabb-codecarbon")
    cca = run_child("cca")
    breakdown = run_child("breakdown")
    profiles = {k: run_child("profile", "--kind", k) for k in ("moabb", "nc")} \
        if args.profile else {}

    out = []
    # ---- identity checks
    out.append("## Inputs: are both tools given the same problem?\n")
    out.append(md_table(["check", "result"], [
        ["filter-bank arrays (24 channels x 513 samples, all trials), max abs difference / "
         "max abs value", f"{check['max_rel_diff']:.1e}"],
        ["labels (trial by trial)", "identical" if check["labels_equal"] else "DIFFERENT"],
        [f"test folds ({check['n_sessions']} sessions x {N_FOLDS})",
         "identical" if check["folds_equal"] else "DIFFERENT"],
        ["trials", check["n_trials"]]]))

    # ---- scores
    moabb_scores = pd.DataFrame(runs["MOABB, n_jobs=1"][0]["rows"])[
        ["pipeline", "subject", "session", "score"]]
    nc1 = _session_scores(runs["neurocompare, jobs=1"][0]["rows"])
    ncall = _session_scores(runs[f"neurocompare, jobs={all_cores}"][0]["rows"])
    table, merged = agreement(moabb_scores, nc1, "jobs=1")
    same_parallel = np.allclose(nc1.sort_values(["pipeline", "subject", "session"])["score"],
                                ncall.sort_values(["pipeline", "subject", "session"])["score"])
    errors = {n: len(r[0].get("errors", [])) for n, r in runs.items()}
    out.append("\n## Scores: accuracy per session (mean of its 5 folds), MOABB vs "
               "neurocompare jobs=1\n")
    out.append(md_table(["pipeline", "sessions", "identical sessions",
                         "max abs difference (points)", "MOABB mean (sd) over 12 subjects",
                         "neurocompare mean (sd)", "mean difference (points)"], table))
    exact = merged[merged["pipeline"] != "ssvep-fb-ts-svm"]["diff"].abs().max()
    svm = merged[merged["pipeline"] == "ssvep-fb-ts-svm"]
    svm_session = svm["diff"].abs().max()
    svm_mean = abs(svm.groupby("subject")["diff"].mean().mean())
    verdict = "PASS" if exact < 1e-4 and svm_session <= SESSION_TOL + 1e-9 \
        and svm_mean <= 0.5 else "FAIL"
    out.append(
        "\nTolerance, and why. Arrays, labels and test folds are identical (table above), "
        "and both tools run the same estimators (pyRiemann TangentSpace/MDM, scikit-learn "
        "LogisticRegression/SVC; neurocompare's vectorised OAS equals pyRiemann's per-trial "
        "OAS to rounding), so TS+LR and MDM must agree to float rounding (< 1e-4 points; "
        "MOABB stores scores as float32). TS+SVM may not: SVC predicts by one-vs-one votes "
        "and breaks vote ties by class index, and MOABB's LabelEncoder orders the classes "
        "13, 17, 21, rest while neurocompare orders them rest, 13, 17, 21, so a trial with "
        "tied votes can go to a different class (checked: every differing prediction on "
        "subjects 2 and 6 is a tied vote). Allowed for TS+SVM: one test trial per fold in "
        f"a session ({SESSION_TOL:.2f} points on the session mean) and 0.5 points on the "
        f"12-subject mean. Observed: TS+LR/MDM max {exact:.1e} points; TS+SVM max "
        f"{svm_session:.2f} points per session, {svm_mean:.3f} on the mean: {verdict}. "
        f"neurocompare jobs={all_cores} scores equal jobs=1 scores: "
        f"{'yes' if same_parallel else 'NO'}. Failed results: {errors}.")
    subj = merged.groupby(["subject", "pipeline"])[["score_moabb", "score_nc"]].mean() * 100
    subj_rows = []
    for subject in sorted(subj.index.get_level_values(0).unique(), key=int):
        cells = [subject]
        for pipeline in FB:
            m, n = subj.loc[(subject, pipeline)]
            cells.append(f"{m:.2f} / {n:.2f}")
        subj_rows.append(cells)
    out.append("\nPer subject (MOABB / neurocompare, %):\n")
    out.append(md_table(["subject", *[f"{FB[p]}" for p in FB]], subj_rows))

    # ---- CCA
    cca_frame = pd.DataFrame(cca["rows"])
    pivot = cca_frame.pivot_table(index=["subject", "session"], columns="tool",
                                  values="score")
    diffs = (pivot["neurocompare"] - pivot["MOABB"]).abs() * 100
    subj_cca = pivot.groupby(level="subject").mean()
    out.append("\n## CCA, 3 flicker classes (3 harmonics on both sides), folds within each "
               "recording\n")
    out.append(md_table(["tool", "mean (sd) over subjects", "wall (s)"], [
        ["MOABB `SSVEP_CCA` (sklearn iterative CCA; `freq_map` given, see moabb_local)",
         mean_sd(subj_cca["MOABB"]), f"{cca['moabb_wall']:.1f}"],
        ["neurocompare `CCAClassifier` (exact SVD CCA), protocol API",
         mean_sd(subj_cca["neurocompare"]), f"{cca['nc_wall']:.1f}"]]))
    out.append(f"\nSessions with identical CCA accuracy: {int((diffs < 1e-4).sum())} of "
               f"{len(diffs)}; max difference {diffs.max():.2f} points. CCA is training-free "
               "on 3 classes, so any difference is the CCA solver (MOABB: scikit-learn's "
               "iterative NIPALS CCA, first component; neurocompare: exact canonical "
               "correlation from an SVD), not the folds.")

    # ---- timings
    moabb_wall = float(np.median([r["wall"] for r in runs["MOABB, n_jobs=1"]]))
    moabb_cpu = float(np.median([r["cpu"] for r in runs["MOABB, n_jobs=1"]]))
    moabb_all = float(np.median([r["wall"] for r in runs[f"MOABB, n_jobs={all_cores}"]]))
    rows = []
    for name, results in runs.items():
        walls, cpus = [r["wall"] for r in results], [r["cpu"] for r in results]
        ratio = np.median(walls) / moabb_wall
        # the same number of worker processes on both sides
        same = moabb_all if f"jobs={all_cores}" in name and all_cores > 1 else moabb_wall
        rows.append([name, _median(walls), _median(cpus), f"{ratio:.2f}",
                     f"{np.median(cpus) / moabb_cpu:.2f}", f"{1 / ratio:.2f}x",
                     f"{same / np.median(walls):.2f}x"])
    rows.append(["MOABB, n_jobs=1, CodeCarbon on (as installed; 1 run)",
                 f"{carbon['wall']:.1f}", f"{carbon['cpu']:.1f}",
                 f"{carbon['wall'] / moabb_wall:.2f}", f"{carbon['cpu'] / moabb_cpu:.2f}",
                 "-", "-"])
    out.append(f"\n## Wall time, 3 filter-bank pipelines x 12 subjects x 27 sessions x "
               f"5 folds (median of {args.repeats} interleaved runs, min-max)\n")
    out.append(md_table(["configuration", "wall (s)", "CPU (s, incl. workers)",
                         "wall / MOABB wall", "CPU / MOABB CPU",
                         "wall speed-up vs MOABB n_jobs=1",
                         "wall speed-up vs MOABB with as many jobs"], rows))
    out.append(f"\nThe last column compares like with like: neurocompare `jobs=k` against "
               f"MOABB `n_jobs=k` (MOABB 1.7.2 loads every subject in the main process, "
               f"then evaluates the folds in `joblib.Parallel(n_jobs=k)`); the `jobs=1` rows "
               f"against MOABB `n_jobs=1`. MOABB `n_jobs={all_cores}` wall: "
               f"{moabb_all:.1f} s.")
    auto = runs[f"neurocompare, jobs={all_cores}"]
    out.append(f"\nWorker start: `jobs={all_cores}` with the default start method forked its "
               f"workers in {sum(bool(r.get('forked')) for r in auto)} of {len(auto)} runs "
               "(fork is used when no OpenMP work has run in the main process; forked "
               "workers share the main process's imports and its already-loaded first "
               "subject); the loky row starts fresh interpreters that import scikit-learn, "
               "pyRiemann and PyTorch again.")
    out.append(f"\nLoad average while timing (2 logical cores shared with other jobs): "
               f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}. Wall times on a busy "
               "machine swing by tens of percent between rounds; CPU times are the stabler "
               "comparison of work done.")

    # ---- where the time goes
    m = runs["MOABB, n_jobs=1"]
    m_wall = float(np.median([r["wall"] for r in m]))
    m_load = float(np.median([r["load"] for r in m]))
    m_fit = float(np.median([sum(x["fit_s"] for x in r["rows"]) for r in m]))
    b = breakdown

    def cell(seconds: float, total: float) -> str:
        return f"{seconds:.1f} ({100 * seconds / total:.0f} %)"

    out.append("\n## Where the time goes, jobs=1 (seconds and share of that tool's total)\n")
    out.append("MOABB: medians of the timed runs (data loading timed inside "
               "`_load_data`; fit = sum of MOABB's per-fold fit durations). neurocompare: one "
               "instrumented run as shipped (stage counters from `_nc_breakdown.py`), made at "
               "a different moment of machine load, so compare shares rather than seconds.\n")
    out.append(md_table(["stage", "MOABB", "neurocompare"], [
        ["total", f"{m_wall:.1f}", f"{b['total']:.1f}"],
        ["read + filter + epoch (MOABB 3 bands; neurocompare 4 bands; each subject read "
         "once)", cell(m_load, m_wall), cell(b["load"], b["total"])],
        ["pipeline fits and predictions (MOABB: fits only, prediction is in scoring)",
         cell(m_fit, m_wall), cell(b["compute"], b["total"])],
        [f"cost measurement: entering/leaving {b['n_measure']} `measure()` blocks (kernel "
         "peak-memory reset and read, CPU clock)", "-", cell(b["measure"], b["total"])],
        [f"per-prediction probes (3 single-trial predictions + operation ledger; "
         f"{b['n_probed']} of {b['n_results']} results probed)", "-",
         cell(b["latency"], b["total"])],
        [f"metrics for {b['n_results']} results (confusion-matrix metrics, rank ROC-AUC)",
         "-",
         cell(b["metrics"], b["total"])],
        ["result store writes (Parquet; results finished within 2 s share a file)", "-",
         cell(b["store_write"], b["total"])],
        ["everything else (MOABB: scoring incl. prediction, splits, HDF5 results; "
         "neurocompare: splits, keys, pipeline builds, rows)",
         cell(m_wall - m_load - m_fit, m_wall),
         cell(b["runner_other"] + b["fold_other"], b["total"])]]))
    for kind, prof in profiles.items():
        out.append(f"\ncProfile, {kind} (top functions by own time):\n\n```\n"
                   + "\n".join(prof["lines"]) + "\n```")
    body = "\n".join(out)
    print(body)
    path = write_report("moabb_side_by_side", "Benchmark 2: MOABB vs neurocompare, side by side",
                        body, started)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
