"""Peak memory stays flat as subjects grow: within-subject work units load one subject at a time.

Runs the same comparison (bandpower-lda, within-session) on the simulated dataset with 2, 6
and 18 subjects, each in a fresh process, and prints the peak resident memory (ru_maxrss) of
each run next to the size of the whole dataset in memory.

Usage: .venv/bin/python benchmarks/memory_flat.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from datetime import UTC, datetime

from _common import md_table, write_report

CHILD = r"""
import json, resource, sys, time
from neurocompare.runner import RunConfig, execute, plan
n, out = int(sys.argv[1]), sys.argv[2]
t = time.perf_counter()
cfg = RunConfig(datasets=[("simulated-mi", {"n_subjects": n})], pipelines=["bandpower-lda"],
                out=out)
execute(plan(cfg))
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - t}))
"""


def main() -> None:
    started = datetime.now(UTC)
    rows = []
    for n in (2, 6, 18):
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run([sys.executable, "-c", CHILD, str(n), out],
                                  capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        data_mb = n * 160 * 24 * 384 * 8 / 2**20  # float64 epochs of the whole dataset
        rows.append((n, data_mb, result["peak_mb"], result["seconds"]))
    growth = rows[-1][2] / rows[0][2]
    body = "\n".join([
        "`bandpower-lda`, within-session 5-fold on `simulated-mi` with 2, 6 and 18 subjects, "
        "each run in a fresh process (peak = ru_maxrss of that process, imports included).",
        "", md_table(["subjects", "whole dataset in memory (MB)", "peak RSS of the run (MB)",
                      "wall (s)"],
                     [(n, f"{d:.0f}", f"{p:.0f}", f"{t:.1f}") for n, d, p, t in rows]),
        "", f"Peak memory ratio 18 vs 2 subjects: {growth:.2f}x (the dataset itself grows "
        f"{rows[-1][1] / rows[0][1]:.0f}x): subjects are loaded one at a time."])
    print(body)
    write_report("memory_flat", "Peak memory stays flat as subjects grow", body, started)


if __name__ == "__main__":
    main()
