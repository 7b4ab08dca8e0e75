"""Cost against subjects: linear time, flat peak memory (within-subject units load one
subject at a time).

Runs the same comparison (bandpower-lda, within-session, one process: ``jobs=1``, so the
process's ru_maxrss covers all the work) on the simulated dataset with 2, 6, 18 and 54
subjects, each in a fresh process, and prints the peak resident memory of each run next to
the size of the whole dataset in memory, with the run time per subject and a least-squares
line through the run times.

Usage: .venv/bin/python benchmarks/memory_flat.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

import numpy as np

from _common import md_table, write_report

SUBJECTS = (2, 6, 18, 54)

CHILD = r"""
import json, resource, sys, time
from neurocompare.runner import RunConfig, execute, plan
n, out = int(sys.argv[1]), sys.argv[2]
t = time.perf_counter()
cfg = RunConfig(datasets=[("simulated-mi", {"n_subjects": n})], pipelines=["bandpower-lda"],
                out=out, jobs=1)
execute(plan(cfg))
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t}))
"""


def main() -> None:
    started = datetime.now(UTC)
    rows = []
    for n in SUBJECTS:
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run([sys.executable, "-c", CHILD, str(n), out],
                                  capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        data_mb = n * 160 * 24 * 384 * 8 / 2**20  # float64 epochs of the whole dataset
        rows.append((n, data_mb, result["peak_mb"], result["seconds"]))
    growth = rows[-1][2] / rows[0][2]
    n_subjects = np.array([r[0] for r in rows], dtype=float)
    seconds = np.array([r[3] for r in rows])
    slope, intercept = np.polyfit(n_subjects, seconds, 1)
    worst = float(np.max(np.abs(seconds - (slope * n_subjects + intercept)) / seconds))
    body = "\n".join([
        "`bandpower-lda`, within-session 5-fold on `simulated-mi` with "
        f"{', '.join(map(str, SUBJECTS))} subjects, jobs=1, each run in a fresh process "
        "(peak = ru_maxrss of that process, imports included).",
        "", md_table(["subjects", "whole dataset in memory (MB)", "peak RSS of the run (MB)",
                      "wall (s)", "s per subject"],
                     [(n, f"{d:.0f}", f"{p:.0f}", f"{t:.1f}", f"{t / n:.2f}")
                      for n, d, p, t in rows]),
        "", f"Peak memory ratio {SUBJECTS[-1]} vs {SUBJECTS[0]} subjects: {growth:.2f}x (the "
        f"dataset itself grows {rows[-1][1] / rows[0][1]:.0f}x): subjects are loaded one at a "
        "time.",
        "", f"Run time is linear in subjects: {slope:.2f} s per subject + {intercept:.1f} s "
        f"fixed (least squares); the largest deviation of a run from the line is "
        f"{100 * worst:.1f} % of its time."])
    print(body)
    write_report("memory_flat", "Cost against subjects: linear time, flat peak memory", body,
                 started)


if __name__ == "__main__":
    main()
