"""Faults during a run: the run killed with SIGKILL, a worker process dying mid-unit.

Each test compares the store after the fault and a rerun with an uninterrupted run of the
same configuration: the same keys, one row per key, the same scores. (A damaged file in the
store is covered by the quarantine tests of ``test_bad_inputs.py``.)
"""

from __future__ import annotations

import functools
import operator
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from neurocompare._parallel import map_units
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")]

DATASET = ("simulated-mi", {"n_subjects": 6, "n_trials_per_class": 10})
SPEC = "simulated-mi:n_subjects=6,n_trials_per_class=10"
PIPELINES = ["bandpower-lda", "csp-lda"]
TOTAL = 6 * 2 * 5 * len(PIPELINES)  # subjects x sessions x folds x pipelines
COLUMNS = ["key", "pipeline", "subject", "session", "fold", "accuracy", "roc_auc", "confusion"]


def _cli_run(out, *extra: str) -> subprocess.Popen:
    """Start ``neurocompare run`` on :data:`SPEC` in its own process group."""
    args = [sys.executable, "-m", "neurocompare", "run", "-d", SPEC, "-o", str(out),
            "--no-report", *extra]
    for name in PIPELINES:
        args += ["-p", name]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            env=os.environ | {"OMP_NUM_THREADS": "1"})


def _wait_for(condition, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the run ended before the fault: " \
                                       + process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "timed out waiting for the run"
        time.sleep(0.02)


def _finish(out) -> tuple[int, int, list[str]]:
    """Rerun the configuration in this process; (computed, skipped, errors)."""
    reports = execute(plan(RunConfig(datasets=[DATASET], pipelines=PIPELINES, out=out)))
    return (sum(r.computed for r in reports), sum(r.skipped for r in reports),
            [e for r in reports for e in r.errors])


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The rows of the same run, never interrupted."""
    out = tmp_path_factory.mktemp("uninterrupted")
    assert _finish(out) == (TOTAL, 0, [])
    return ResultStore(out).table()[COLUMNS].sort_values("key", ignore_index=True)


def _assert_equal_to(uninterrupted, out) -> None:
    table = ResultStore(out).table()
    assert not table["key"].duplicated().any()
    got = table[COLUMNS].sort_values("key", ignore_index=True)
    assert got.equals(uninterrupted)  # key for key, score for score
    assert len(list(ResultStore(out).folder.glob("*.parquet"))) == 1  # compacted


def test_kill_9_then_rerun_equals_an_uninterrupted_run(tmp_path, uninterrupted):
    out = tmp_path / "killed"
    run = _cli_run(out, "-j", "2")
    store = ResultStore(out)
    _wait_for(lambda: store.folder.is_dir() and len(store.keys()) > 0, run)
    os.killpg(run.pid, signal.SIGKILL)  # the run and its forked workers, mid-run
    run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL
    stored = len(store.keys())
    assert 0 < stored < TOTAL
    computed, skipped, errors = _finish(out)
    assert (computed, skipped, errors) == (TOTAL - stored, stored, [])  # nothing redone
    _assert_equal_to(uninterrupted, out)


def test_a_worker_killed_mid_unit_fails_only_its_unit(tmp_path, uninterrupted):
    """A forked worker killed from outside (as the out-of-memory killer would): the run
    reports that unit as failed, keeps every other unit's results, and a rerun completes."""
    out = tmp_path / "worker"
    run = _cli_run(out, "-j", "2")
    parent, victims = psutil.Process(run.pid), []

    def a_worker_runs() -> bool:
        victims[:] = parent.children()
        return bool(victims)

    _wait_for(a_worker_runs, run)
    victims[0].send_signal(signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=240)
    assert run.returncode == 1, stderr[-2000:]  # finished, with one failed unit
    failures = [line for line in stderr.splitlines() if line.startswith("failed:")]
    assert len(failures) == 1 and "died (exit code -9)" in failures[0]
    assert "1 failed" in stdout.replace("\n", " ")
    stored = len(ResultStore(out).keys())
    assert TOTAL - 2 * 5 * len(PIPELINES) <= stored < TOTAL  # only that subject is missing
    computed, skipped, errors = _finish(out)
    assert (computed, skipped, errors) == (TOTAL - stored, stored, [])
    _assert_equal_to(uninterrupted, out)


@pytest.mark.parametrize("start_method", ["fork", "loky"])
def test_map_units_reports_an_item_whose_process_died(start_method):
    """The dead worker's item is handed to ``lost`` (loky: after one retry alone, and the
    items its broken pool was running are run again); every other item yields its result.
    The items are stdlib callables, so loky workers start without importing this module."""
    items = [functools.partial(abs, -1), functools.partial(os._exit, 9),
             *(functools.partial(abs, -k) for k in range(2, 6))]
    got = list(map_units(operator.call, items, jobs=2, start_method=start_method,
                         lost=lambda item, reason: f"lost: {reason}"))
    assert sorted(x for x in got if isinstance(x, int)) == [1, 2, 3, 4, 5]
    lost = [x for x in got if isinstance(x, str)]
    assert len(lost) == 1 and "died" in lost[0]
