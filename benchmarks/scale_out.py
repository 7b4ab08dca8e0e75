"""Benchmark: one small comparison run sequentially, on 2 local processes and on a 2-worker
Dask cluster, with the same results.

The comparison: ``neurocompare run`` on the simulated motor-imagery set (``--subjects``
subjects, 2 sessions, within-session 5-fold) with ``bandpower-lda``, ``csp-lda`` and
``ts-lr`` (seed 42), each mode into a fresh output folder:

* **jobs=1**: every unit in the command's own process;
* **jobs=2**: two local worker processes (forked: the command only plans);
* **dask 2 workers**: ``--scheduler`` pointing at a ``distributed.LocalCluster`` of 2 worker
  processes with 1 thread each, on this machine, started and warmed up (neurocompare
  imported on each worker) before the run is timed; its start is reported apart.

Each run is a separate ``neurocompare run`` process with ``OMP_NUM_THREADS=1``. Reported:
the process's wall time (Python start and imports included), the run's own duration from
its run record (planning, the units, the data checksums, the final merge of the result
files), the load average before and after (the machine may be shared), the result files
left, and whether every mode stored the same keys with the same scores as jobs=1.

Usage: ``.venv/bin/python benchmarks/scale_out.py [--subjects 8]``
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import md_table, write_report
from neurocompare.records.manifest import read_runs
from neurocompare.records.store import ResultStore

PIPELINES = ("bandpower-lda", "csp-lda", "ts-lr")
COLUMNS = ["key", "accuracy", "roc_auc", "confusion"]


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _run(out: Path, subjects: int, *extra: str) -> dict:
    """One ``neurocompare run``; its times, load averages and stored rows."""
    args = [sys.executable, "-m", "neurocompare", "run", "-d",
            f"simulated-mi:n_subjects={subjects}", "-o", str(out), "--no-report", *extra]
    for name in PIPELINES:
        args += ["-p", name]
    load_before, start = _load(), time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True,
                          env=os.environ | {"OMP_NUM_THREADS": "1"})
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    store = ResultStore(out)
    return {"wall_s": wall, "run_s": read_runs(out)[-1]["duration_s"],
            "load_before": load_before, "load_after": _load(),
            "files": len(list(store.folder.glob("*.parquet"))),
            "rows": store.table()[COLUMNS].sort_values("key", ignore_index=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=8)
    args = parser.parse_args()
    started = datetime.now(UTC)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["jobs=1"] = _run(Path(tmp) / "one", args.subjects, "-j", "1")
        print("jobs=1", {k: v for k, v in results["jobs=1"].items() if k != "rows"})
        results["jobs=2 (local processes)"] = _run(Path(tmp) / "two", args.subjects, "-j", "2")
        from distributed import Client, LocalCluster

        start = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            client.run(importlib.import_module, "neurocompare.runner")
            cluster_s = time.perf_counter() - start
            results["dask, 2 workers"] = _run(Path(tmp) / "dask", args.subjects,
                                              "--scheduler", cluster.scheduler_address)
    reference = results["jobs=1"]["rows"]
    rows = [(mode, f"{r['wall_s']:.1f}", f"{r['run_s']:.1f}",
             f"{results['jobs=1']['run_s'] / r['run_s']:.2f}",
             r["load_before"], r["load_after"], len(r["rows"]), r["files"],
             "yes" if r["rows"].equals(reference) else "NO")
            for mode, r in results.items()]
    table = md_table(["mode", "process wall s", "run s (run record)", "speed-up of run s",
                      "load avg before (1, 5, 15 min)", "load avg after", "results",
                      "result files", "same keys and scores as jobs=1"], rows)
    body = (f"Simulated motor imagery, {args.subjects} subjects x 2 sessions x 5 folds x "
            f"{len(PIPELINES)} pipelines ({', '.join(PIPELINES)}), within-session, seed 42; "
            f"one run per mode, in this order.\n\n{table}\n\n"
            f"The Dask cluster (2 worker processes, 1 thread each, on this machine) took "
            f"{cluster_s:.1f} s to start and import neurocompare on its workers, not counted "
            f"above. 'run s' is the run record's duration: planning, the units, the data "
            f"checksums and the final merge of the result files into one; 'process wall s' "
            f"adds the command's Python start and imports. A load average above the machine's "
            f"{os.cpu_count()} cores means other work shared it: a mode with more processes "
            f"then also gets a larger share of the CPUs, so a speed-up above 2 reflects that "
            f"contention, not better scaling.\n")
    print(body)
    print(json.dumps({m: r["run_s"] for m, r in results.items()}))
    path = write_report("scale_out", "Scale-out: jobs=1, jobs=2 and a 2-worker Dask cluster",
                        body, started)
    print(f"written {path}")


if __name__ == "__main__":
    main()
