"""End-to-end runs: results, resume after a kill, Dask execution, clear CLI errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan

SMALL = ("simulated-mi", {"n_subjects": 2, "n_trials_per_class": 10})
CLI = [sys.executable, "-m", "neurocompare"]


def _config(out, **kw):
    return RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], out=out, **kw)


def test_run_stores_one_row_per_pipeline_and_fold(tmp_path):
    reports = execute(plan(_config(tmp_path)))
    assert sum(r.computed for r in reports) == 2 * 2 * 5
    table = ResultStore(tmp_path).table()
    assert len(table) == 20 and not table.duplicated(["pipeline", "fold"]).any()
    assert {"accuracy", "roc_auc", "fit_time_s", "latency_ms", "peak_mem_mb", "n_train",
            "n_test", "seed", "versions", "pipeline_key", "fold_digest"} <= set(table.columns)
    assert (table["n_train"] == 16).all() and (table["n_test"] == 4).all()
    # a rerun with the same configuration computes nothing
    again = execute(plan(_config(tmp_path)))
    assert sum(r.computed for r in again) == 0 and sum(r.skipped for r in again) == 20


def test_changed_parameters_are_recomputed_not_reused(tmp_path):
    execute(plan(_config(tmp_path)))
    reports = execute(plan(_config(tmp_path, seed=7)))
    assert sum(r.computed for r in reports) == 20
    assert len(ResultStore(tmp_path).table()) == 40


def test_parallel_and_dask_give_identical_results(tmp_path):
    from distributed import LocalCluster

    execute(plan(_config(tmp_path / "seq")))
    execute(plan(_config(tmp_path / "par", jobs=2)), jobs=2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        execute(plan(_config(tmp_path / "dask")), scheduler=cluster.scheduler_address)
    cols = ["pipeline", "fold", "key", "accuracy", "roc_auc", "confusion"]
    seq = ResultStore(tmp_path / "seq").table()[cols].sort_values("key", ignore_index=True)
    for other in ("par", "dask"):
        got = ResultStore(tmp_path / other).table()[cols].sort_values("key", ignore_index=True)
        assert got.equals(seq), other


def test_cross_run_protocol_end_to_end(tmp_path):
    dataset = ("simulated-mi", {"n_subjects": 2, "n_sessions": 1, "n_trials_per_class": 12,
                                "n_runs": 3})
    config = RunConfig(datasets=[dataset], pipelines=["bandpower-lda"], protocol="cross-run",
                       out=tmp_path, jobs=1)
    reports = execute(plan(config))
    assert sum(r.computed for r in reports) == 2 * 3 and not any(r.errors for r in reports)
    table = ResultStore(tmp_path).table()
    assert (table["n_train"] == 16).all() and (table["n_test"] == 8).all()
    assert np.isfinite(table["accuracy"]).all()
    assert sorted(table["fold"].str.rpartition("/")[2].unique()) == ["run=0", "run=1", "run=2"]


KILL_RUN = ("simulated-mi:n_subjects=3,n_trials_per_class=10", "bandpower-lda",
            "shallow-convnet:net__max_epochs=2")


def _run_until_stored(out: str, n_stored: int) -> None:
    """Run :data:`KILL_RUN` and die like a SIGKILL (no cleanup, buffered rows lost) as soon
    as the store holds ``n_stored`` results: a kill at a stored-row count, not at a time."""
    import neurocompare.runner.units as units
    from neurocompare.data.registry import parse_dataset_spec

    evaluate = units.evaluate_fold

    def evaluate_or_die(*args, **kwargs):
        if len(ResultStore(out).keys()) >= n_stored:
            os._exit(9)
        return evaluate(*args, **kwargs)

    units.evaluate_fold = evaluate_or_die
    config = RunConfig(datasets=[parse_dataset_spec(KILL_RUN[0])],
                       pipelines=list(KILL_RUN[1:]), out=out, jobs=1)
    execute(plan(config))


def test_kill_midway_then_resume_without_duplicates_or_recompute(tmp_path):
    import multiprocessing

    out = tmp_path / "run"
    child = multiprocessing.get_context("spawn").Process(target=_run_until_stored,
                                                          args=(str(out), 8))
    child.start()
    child.join(timeout=600)
    assert child.exitcode == 9, "the run should have died at 8 stored results"
    store = ResultStore(out)
    files = list(store.folder.glob("*.parquet"))
    stored = len(store.keys())  # fast folds share files (ResultBuffer), slow ones do not
    assert 8 <= stored < 60 and len(files) <= stored
    cols = ["key", "created_at", "fit_time_s", "accuracy"]
    before = store.table()[cols].sort_values("key", ignore_index=True)
    args = [*CLI, "run", "-d", KILL_RUN[0], "-p", KILL_RUN[1], "-p", KILL_RUN[2],
            "-o", str(out), "--no-report"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = done.stdout.replace("\n", " ")
    assert f"{60 - stored} results computed, {stored} already stored" in text
    table = store.table()
    assert len(table) == 3 * 2 * 5 * 2 and not table.duplicated(["pipeline", "fold"]).any()
    after = table[table["key"].isin(before["key"])][cols].sort_values("key", ignore_index=True)
    assert after.equals(before)  # not recomputed: the same rows, times and all
    assert len(list(store.folder.glob("*.parquet"))) == 1  # compacted at the end of the run
    assert not list(store.folder.glob(".*.tmp"))


@pytest.mark.parametrize("args, message", [
    (["run", "-d", "no-such-data"], "dataset: expected one of"),
    (["run", "-p", "no-such-pipeline"], "pipeline: expected one of"),
    (["run", "--protocol", "nope"], "protocol: expected one of"),
    (["run", "-d", "simulated-mi:n_subjectz=2"], "parameters: expected some of"),
    (["run", "-p", "shallow-convnet:net__epochz=2"], "parameters: expected some of"),
    (["run", "-d", "ssvep-exoskeleton", "--data-root", "/nonexistent"], "data root"),
    (["run", "--config", "/nonexistent.toml"], "--config: expected an existing TOML file"),
    (["summary", "/nonexistent"], "OUT: expected the output folder"),
])
def test_cli_bad_input_is_one_clear_line(args, message, tmp_path):
    done = subprocess.run([*CLI, *args, *(["-o", str(tmp_path)] if args[0] == "run" else [])],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], \
        done.stderr
    assert "Traceback" not in done.stderr


def test_cli_lists_and_config_file(tmp_path):
    from neurocompare.data.registry import DATASETS
    from neurocompare.pipelines.registry import PIPELINES

    listed = subprocess.run([*CLI, "pipelines"], capture_output=True, text=True,
                            env=os.environ | {"COLUMNS": "200"}).stdout
    assert all(name in listed for name in PIPELINES)
    listed = subprocess.run([*CLI, "datasets"], capture_output=True, text=True,
                            env=os.environ | {"COLUMNS": "200"}).stdout
    assert all(name in listed for name in DATASETS)
    config = tmp_path / "run.toml"
    config.write_text('pipelines = ["bandpower-lda"]\nprotocol = "blocked"\nseed = 3\n'
                      '[[datasets]]\nname = "simulated-mi"\nn_subjects = 1\n'
                      'n_trials_per_class = 10\n')
    done = subprocess.run([*CLI, "run", "--config", str(config), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    table = ResultStore(tmp_path / "o").table()
    assert set(table["protocol"]) == {"blocked"} and set(table["seed"]) == {3}
    assert np.isfinite(table["accuracy"]).all()
    assert Path(tmp_path / "o" / "results").is_dir()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")
def test_cli_forks_its_workers_and_records_them(tmp_path):
    """The CLI's main process only plans (no OpenMP work, no progress thread), so its
    workers are forked; the run manifest names the processes that ran the units."""
    import json

    done = subprocess.run([*CLI, "run", "-d", "simulated-mi:n_subjects=2,n_trials_per_class=10",
                           "-p", "bandpower-lda", "-j", "2", "-o", str(tmp_path),
                           "--no-report"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    run = json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[-1])
    assert run["workers"] and all(w.startswith("ForkPoolWorker") for w in run["workers"])
    assert run["computed"] == 2 * 2 * 5


@pytest.mark.parametrize("protocol", ["within-session", "cross-subject"])
def test_each_subject_is_read_once_per_run(tmp_path, monkeypatch, protocol):
    """The planner's first subject is reused by its unit (or by the whole-dataset load)."""
    from neurocompare.data import cache
    from neurocompare.data.base import Dataset

    cache.clear()
    reads: list = []
    original = Dataset.load_subject
    monkeypatch.setattr(Dataset, "load_subject",
                        lambda self, s: reads.append(s) or original(self, s))
    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 3, "n_trials_per_class": 10})],
                       pipelines=["bandpower-lda"], protocol=protocol, out=tmp_path)
    reports = execute(plan(config))
    assert sum(r.computed for r in reports) > 0
    assert sorted(reads) == [1, 2, 3]
