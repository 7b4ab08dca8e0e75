"""Scale-out on a real Dask cluster (2 worker processes): the same results as one process,
the planner's data root and output folder on every worker, and clear errors, before any
work, where a worker does not see them."""

from __future__ import annotations

import dataclasses
import functools
import operator
import os
from pathlib import Path

import numpy as np
import pytest

from neurocompare._errors import InputError
from neurocompare._parallel import map_units
from neurocompare.config import DATA_ROOT_ENV
from neurocompare.data.bonn import BonnEpilepsy
from neurocompare.records.manifest import files_digest, read_runs
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan, run_comparison
from neurocompare.runner.units import run_unit

pytestmark = pytest.mark.e2e

SMALL = ("simulated-mi", {"n_subjects": 4, "n_trials_per_class": 10})
COLUMNS = ["key", "pipeline", "subject", "session", "fold", "accuracy", "roc_auc", "confusion",
           "n_train", "n_test", "data_sha256"]


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes with one thread each, started without any data-root setting
    (so they would read their own default data if the run did not send its root)."""
    from distributed import LocalCluster

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DATA_ROOT_ENV, raising=False)
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    with cluster:
        yield cluster


def _rows(out) -> object:
    return ResultStore(out).table()[COLUMNS].sort_values("key", ignore_index=True)


def test_two_dask_workers_equal_one_process_key_for_key(cluster, tmp_path, monkeypatch):
    """Also with a relative output folder: it is resolved where the run is planned, not in
    the workers' own working folder."""
    pipelines = ["bandpower-lda", "ts-lr", "csp-lda"]
    execute(plan(RunConfig(datasets=[SMALL], pipelines=pipelines, out=tmp_path / "one")))
    monkeypatch.chdir(tmp_path)
    config = RunConfig(datasets=[SMALL], pipelines=pipelines, out="relative",
                       scheduler=cluster.scheduler_address)
    outcome = run_comparison(config)
    assert outcome.errors == [] and outcome.total("computed") == 4 * 2 * 5 * 3
    assert _rows(tmp_path / "relative").equals(_rows(tmp_path / "one"))
    again = run_comparison(config)  # the client finds every result the workers stored
    assert again.total("computed") == 0 and again.total("skipped") == 4 * 2 * 5 * 3


def _bonn_root(root: Path, n: int = 12, scale: float = 1.0) -> Path:
    """A small Bonn layout: ``n`` segments of sets A and E."""
    rng = np.random.default_rng(0)
    for folder, prefix, sd in (("A_Z", "Z", 50.0), ("E_S", "S", 150.0 * scale)):
        (root / "bonn_epilepsy" / folder).mkdir(parents=True, exist_ok=True)
        for i in range(1, n + 1):
            values = rng.normal(0, sd, 4097).astype(int)
            (root / "bonn_epilepsy" / folder / f"{prefix}{i:03d}.txt").write_text(
                "\n".join(map(str, values)))
    return root


def _bonn_config(out, **kw) -> RunConfig:
    return RunConfig(datasets=[("bonn-epilepsy", {})], pipelines=["bandpower-lda", "csp-lda"],
                     out=out, **kw)


def test_dask_workers_read_the_data_root_of_the_run(cluster, tmp_path, monkeypatch):
    """The workers were started without ``NEUROCOMPARE_DATA_ROOT``; the run's root (24
    segments) travels with each unit, and every row names the digest of those files."""
    root = _bonn_root(tmp_path / "data")
    monkeypatch.setenv(DATA_ROOT_ENV, str(root))
    execute(plan(_bonn_config(tmp_path / "one")))
    outcome = run_comparison(_bonn_config(tmp_path / "dask",
                                          scheduler=cluster.scheduler_address))
    assert outcome.errors == [] and outcome.total("computed") == 10
    rows = _rows(tmp_path / "dask")
    assert rows.equals(_rows(tmp_path / "one"))
    assert ((rows["n_train"] + rows["n_test"]) == 24).all()
    assert set(rows["data_sha256"]) == {files_digest(BonnEpilepsy().files())}
    assert read_runs(tmp_path / "dask")[-1]["datasets"][0]["n_files"] == 24


def test_workers_that_do_not_see_the_folders_stop_the_run_before_any_work(cluster, tmp_path):
    units = plan(RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], out=tmp_path))
    elsewhere = [dataclasses.replace(u, out_id="0" * 32) for u in units]  # another folder
    with pytest.raises(InputError, match=r"out: expected every Dask worker to see the "
                                         r"output folder .*sees another folder there"):
        execute(elsewhere, scheduler=cluster.scheduler_address)
    no_data = [dataclasses.replace(u, data_root=str(tmp_path / "missing"), data_sha256="0")
               for u in units]
    with pytest.raises(InputError, match=r"data root: .*sees no data root"):
        execute(no_data, scheduler=cluster.scheduler_address)
    assert not ResultStore(tmp_path).folder.exists()  # nothing ran


def test_a_worker_reading_other_files_refuses_the_unit(tmp_path, monkeypatch):
    """The unit's digest is the planner's; files that differ where the worker reads them
    (here: changed after planning) are never evaluated under the run's keys."""
    root = _bonn_root(tmp_path / "data")
    monkeypatch.setenv(DATA_ROOT_ENV, str(root))
    [unit] = plan(_bonn_config(tmp_path / "out"))
    _bonn_root(root, scale=2.0)  # the worker's copy of the data differs
    report = run_unit(unit)
    assert report.computed == 0 and len(report.errors) == 1
    assert "data files: expected the files the run was planned with" in report.errors[0]
    assert not ResultStore(tmp_path / "out").keys()


def test_a_rerun_on_changed_files_does_not_resume_their_results(tmp_path, monkeypatch):
    root = _bonn_root(tmp_path / "data")
    monkeypatch.setenv(DATA_ROOT_ENV, str(root))
    assert sum(r.computed for r in execute(plan(_bonn_config(tmp_path / "out")))) == 10
    before = _rows(tmp_path / "out")
    _bonn_root(root, scale=2.0)  # same file names, other contents: same result keys
    [report] = execute(plan(_bonn_config(tmp_path / "out")))
    assert report.computed == report.skipped == 0
    assert "stored results in" in report.errors[0] and "results of other files" in \
        report.errors[0]
    assert _rows(tmp_path / "out").equals(before)


def test_an_item_whose_dask_workers_die_is_reported_lost(cluster):
    """With no retries allowed (Dask's default retries an item on 3 more workers), the item
    that kills its worker is handed to ``lost`` instead of raising out of the run; items
    queued on the same worker may share its fate, every item still gets one answer."""
    scheduler = cluster.scheduler
    allowed, scheduler.allowed_failures = scheduler.allowed_failures, 0
    try:
        items = [functools.partial(abs, -1), functools.partial(os._exit, 9),
                 functools.partial(abs, -2)]
        got = list(map_units(operator.call, items, scheduler=cluster.scheduler_address,
                             lost=lambda item, reason: (item.func.__name__, reason)))
    finally:
        scheduler.allowed_failures = allowed
    lost = [x for x in got if isinstance(x, tuple)]
    answers = [x for x in got if isinstance(x, int)]
    assert len(lost) + len(answers) == 3 and set(answers) <= {1, 2}
    assert any(name == "_exit" and reason.startswith("Dask workers died running it")
               for name, reason in lost)
