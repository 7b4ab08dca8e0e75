"""Benchmark 3: neurocompare's overhead over a bare scikit-learn cross-validation loop.

One pipeline (``ssvep-fb-ts-lr``) on the SSVEP exoskeleton data (12 subjects, 27 sessions,
within-session 5-fold, seed 42), timed three ways in interleaved repeats (median reported):

* **bare**: ``sklearn.model_selection.cross_val_score`` per subject on data already in
  memory, with neurocompare's folds (precomputed, not timed) and the same estimator object
  (``make_pipeline("ssvep-fb-ts-lr")`` with ``random_state=42``). Includes: clone, fit,
  predict and accuracy for 135 folds. Excludes: loading, splitting, anything stored.
* **load**: reading and preprocessing the 12 subjects with the same loader
  (``SSVEPExoskeleton.load_subject``: read FIF, 4 IIR band-passes, epoch, validate).
* **neurocompare**: ``execute(plan(RunConfig(...)))`` with ``jobs=1`` into a fresh output
  folder (per-process caches cleared, as in a new process). Includes: planning (which loads
  the first subject for its signal info; the run reuses it), loading, splitting, building and
  seeding each pipeline, result keys, fit and predict with cost measurement, per-prediction
  cost probes (single-trial latency and operation ledger, on the folds the default
  ``probe_share`` of 2 % allows), all metrics, provenance rows and Parquet result files
  (fast results gathered for up to 2 s per file).

Overhead = neurocompare / (load + bare) - 1, for the same BLAS thread count on both sides:
1 thread (the recommended setting on this 2-core machine) and the runner's default
(:func:`~neurocompare.runner.plan.threads_per_unit`: the cores the machine's load leaves
idle, shared among the jobs, read when the benchmark starts; the bare loop then runs under
the same ``threadpool_limits``).

Usage: ``.venv/bin/python benchmarks/overhead.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import cross_val_score
from threadpoolctl import threadpool_limits

import neurocompare.runner as runner
from _common import md_table, write_report
from _nc_breakdown import instrumented_run
from neurocompare.data.containers import NeuralData
from neurocompare.data.ssvep import SSVEPExoskeleton
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.store import ResultStore
from neurocompare.runner.plan import threads_per_unit

SEED = 42
PIPELINE = "ssvep-fb-ts-lr"


def _seeded(estimator: BaseEstimator) -> BaseEstimator:
    estimator = clone(estimator)
    keys = [k for k in estimator.get_params(deep=True) if k.split("__")[-1] == "random_state"]
    return estimator.set_params(**dict.fromkeys(keys, SEED))


def load_all() -> tuple[list[NeuralData], float]:
    """Every subject through the dataset's loader, and the seconds it took."""
    dataset = SSVEPExoskeleton()
    start = time.perf_counter()
    data = [dataset.load_subject(s) for s in dataset.subjects()]
    return data, time.perf_counter() - start


def bare(data: list[NeuralData], folds: list[list[tuple[np.ndarray, np.ndarray]]],
         threads: int) -> tuple[float, np.ndarray]:
    """``cross_val_score`` per subject on in-memory data; returns seconds and fold scores."""
    estimator = _seeded(make_pipeline(PIPELINE, data[0].info))
    scores = []
    with threadpool_limits(limits=threads):
        start = time.perf_counter()
        for subject, cv in zip(data, folds, strict=True):
            scores.append(cross_val_score(estimator, subject.X, subject.y, cv=cv,
                                          scoring="accuracy", n_jobs=1))
        seconds = time.perf_counter() - start
    return seconds, np.concatenate(scores)


def neurocompare_run(threads: int | None) -> tuple[float, np.ndarray]:
    """The runner with jobs=1 into a fresh folder; ``threads`` overrides BLAS threads."""
    for cache in ("_INFO_CACHE", "_DATA_CACHE", "_PRELOADED"):  # behave like a fresh process
        getattr(runner, cache, {}).clear()
    with tempfile.TemporaryDirectory(prefix="nc-overhead-") as out:
        start = time.perf_counter()
        config = runner.RunConfig(datasets=[("ssvep-exoskeleton", {})], pipelines=[PIPELINE],
                                  protocol="within-session", seed=SEED, out=out, jobs=1)
        units = runner.plan(config)
        if threads is not None:
            units = [replace(u, n_threads=threads) for u in units]
        reports = runner.execute(units, jobs=1)
        seconds = time.perf_counter() - start
        if any(r.errors for r in reports):
            raise RuntimeError(f"failed results: {[r.errors for r in reports if r.errors]}")
        table = ResultStore(out).table()
    order = table["fold"].str.extract(r"subject=(\d+)/session=(\d+)/fold=(\d+)").astype(int)
    table = table.assign(s=order[0], se=order[1], f=order[2]).sort_values(["s", "se", "f"])
    return seconds, table["accuracy"].to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    started = datetime.now(UTC)
    warnings.filterwarnings("ignore")
    default_threads = threads_per_unit(1)  # the runner's choice for jobs=1 at this load

    data, _ = load_all()
    splitter = make_splitter("within-session", SEED)
    folds = [[(f.train, f.test) for f in splitter.folds(d.metadata, d.y)] for d in data]
    bare(data[:1], folds[:1], 1)  # warm-up: lazy imports, first-call costs
    neurocompare_run(1)

    settings = {"1 BLAS thread": 1, f"runner default ({default_threads} BLAS threads)":
                default_threads}
    times: dict[str, dict[str, list[float]]] = {
        k: {"load": [], "bare": [], "nc": []} for k in settings}
    same = True
    for r in range(args.repeats):
        for label, threads in settings.items():
            _, t_load = load_all()
            t_bare, s_bare = bare(data, folds, threads)
            t_nc, s_nc = neurocompare_run(threads)  # the same count on both sides
            same &= np.allclose(s_bare, s_nc)
            for key, value in (("load", t_load), ("bare", t_bare), ("nc", t_nc)):
                times[label][key].append(value)
            print(f"round {r + 1}, {label}: load {t_load:.1f} s, bare {t_bare:.1f} s, "
                  f"neurocompare {t_nc:.1f} s", flush=True)

    rows = []
    for label, t in times.items():
        load, bare_s, nc = (float(np.median(t[k])) for k in ("load", "bare", "nc"))
        per_repeat = [n / (lo + b) - 1 for lo, b, n in zip(t["load"], t["bare"], t["nc"],
                                                           strict=True)]
        rows.append([label, f"{load:.1f}", f"{bare_s:.1f}", f"{load + bare_s:.1f}",
                     f"{nc:.1f}", f"{nc / (load + bare_s):.3f}",
                     f"{100 * np.median(per_repeat):+.1f} % "
                     f"({100 * min(per_repeat):+.1f} to {100 * max(per_repeat):+.1f})",
                     f"{nc - load:.1f} vs {bare_s:.1f}"])
    # where neurocompare's extra time goes: instrumented runs, 1 BLAS thread, median stages
    runs = [instrumented_run([PIPELINE], seed=SEED, threads=1) for _ in range(3)]
    b = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    n = int(b["n_results"])
    n_measure = int(b["n_measure"])
    totals = ", ".join(f"{r['total']:.1f}" for r in runs)
    load_once = float(np.median(times["1 BLAS thread"]["load"]))

    def cell(seconds: float) -> str:
        return f"{seconds:.2f} | {1000 * seconds / n:.1f}"

    stages = [
        ("total run", b["total"]),
        ("loading (12 subjects, each read once)", b["load"]),
        ("pipeline fits and predictions (incl. `predict_proba` for ROC-AUC)", b["compute"]),
        (f"`measure()` enter/exit ({n_measure} blocks: kernel peak-memory reset and "
         "read, resident size, CPU clock)", b["measure"]),
        (f"per-prediction probes (3 single-trial predictions + operation ledger; "
         f"{int(b['n_probed'])} of {n} folds probed)", b["latency"]),
        ("metrics (confusion-matrix metrics + rank ROC-AUC)", b["metrics"]),
        ("Parquet writes (fast results gathered, one file per 2 s)", b["store_write"]),
        ("everything else (splits, pipeline build + seeding, keys, store checks, rows)",
         b["runner_other"] + b["fold_other"]),
    ]
    breakdown = [f"| {name} | {cell(seconds)} |" for name, seconds in stages]
    body = "\n".join([
        f"## `{PIPELINE}`, 12 subjects, 27 sessions x 5 folds, jobs=1 "
        f"(median of {args.repeats} interleaved repeats)\n",
        md_table(["BLAS threads (both sides)", "load (s)", "bare cross_val_score (s)",
                  "load + bare (s)", "neurocompare run (s)", "ratio",
                  "overhead (min to max over repeats)",
                  "neurocompare minus load vs bare (s)"], rows),
        f"\nFold accuracies of the bare loop and of neurocompare identical: "
        f"{'yes' if same else 'NO'} (135 folds).",
        "\nTarget: overhead <= 5 %. The bare loop computes accuracy only; neurocompare also "
        "measures fit/predict cost (wall, CPU, peak memory from the kernel) of every fold, "
        "probes per-prediction cost (single-trial latency: 3 one-trial predictions; "
        "operation ledger) on the folds the default probe share allows (the first fold of "
        "each pipeline and recording, then while probing stays under 2 % of the "
        "pipeline's compute; `--probe-share inf` probes every fold), computes 5 metrics "
        "plus the confusion matrix, and stores every result with provenance in Parquet "
        "(results finished within 2 s share a file).",
        f"\n## Where neurocompare's time goes (median of 3 instrumented runs, 1 BLAS thread, "
        f"{n} results; run totals {totals} s; the timed loading above took "
        f"{load_once:.1f} s)\n",
        "| stage | seconds | ms per result |", "|---|---|---|", *breakdown,
        "\nPeak memory comes from the kernel's high-water mark (`VmHWM`, reset per block "
        "through /proc/self/clear_refs), so `measure()` starts no thread."])
    print(body)
    path = write_report("overhead", "Benchmark 3: neurocompare overhead vs a bare "
                        "scikit-learn loop", body, started)
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
