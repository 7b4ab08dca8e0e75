"""Local workers: forked only when safe, the same results either way, clear errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from neurocompare._errors import InputError
from neurocompare._parallel import map_units, os_threads
from neurocompare.runner import RunConfig, execute, plan

SMALL = ("simulated-mi", {"n_subjects": 3, "n_trials_per_class": 10})


def _square(x: int) -> int:
    return x * x


def test_loky_map_and_bad_start_method(tmp_path):
    assert sorted(map_units(_square, range(5), jobs=2, start_method="loky")) == [0, 1, 4, 9, 16]
    assert list(map_units(_square, range(3))) == [0, 1, 4]
    with pytest.raises(InputError, match="start_method"):
        map_units(_square, range(2), jobs=2, start_method="spawnish")  # before anything runs
    with pytest.raises(InputError, match="start_method"):
        execute(plan(RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], out=tmp_path)),
                jobs=2, start_method="threads")
    with pytest.raises(InputError, match="start_method"):
        plan(RunConfig(datasets=[SMALL], pipelines=["bandpower-lda"], out=tmp_path,
                       start_method="spawn"))


def test_os_threads_counts_a_new_thread():
    import threading

    before, release = os_threads(), threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert os_threads() == before + 1
    finally:
        release.set()
        worker.join()


_SCRIPT = textwrap.dedent("""
    import json, sys
    from neurocompare import _parallel
    from neurocompare.records.store import ResultStore
    from neurocompare.runner import RunConfig, execute, plan

    out, torch_first = sys.argv[1], sys.argv[2] == "torch-work"
    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 3, "n_trials_per_class": 10})],
                       pipelines=["bandpower-lda", "ts-lr", "shallow-convnet:net__max_epochs=2"],
                       out=out, jobs=2)
    units = plan(config)
    if torch_first:  # an OpenMP pool now exists in this process: forking would hang
        import torch
        torch.set_num_threads(2)
        a = torch.randn(600, 600)
        (a @ a).sum()
    safe = _parallel.fork_is_safe()
    execute(units, jobs=2)
    table = ResultStore(out).table().sort_values("key")
    deep = table["family"] == "deep"  # torch in the workers: trained, not compared bitwise
    print(json.dumps({"safe": safe, "acc": table.loc[~deep, "accuracy"].round(12).tolist(),
                      "n_deep": int(deep.sum())}))
""")


def _run(tmp_path, name: str, mode: str) -> dict:
    import json

    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    done = subprocess.run([sys.executable, str(script), str(tmp_path / name), mode],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")
def test_auto_forks_only_when_safe_and_results_match_sequential(tmp_path):
    forked = _run(tmp_path, "forked", "plain")
    assert forked["safe"] is True  # a fresh process that only planned may fork
    after_torch = _run(tmp_path, "loky", "torch-work")
    assert after_torch["safe"] is False  # after OpenMP work it must not (it would hang)
    execute(plan(RunConfig(datasets=[SMALL], pipelines=["bandpower-lda", "ts-lr"],
                           out=tmp_path / "seq", jobs=1)))
    from neurocompare.records.store import ResultStore

    seq = ResultStore(tmp_path / "seq").table().sort_values("key")["accuracy"]
    assert forked["acc"] == after_torch["acc"] == seq.round(12).tolist()
    assert forked["n_deep"] == after_torch["n_deep"] == 3 * 2 * 5  # networks train in forks
    assert len(seq) == 3 * 2 * 2 * 5  # subjects x sessions x pipelines x folds

