"""Malformed inputs (issue 19): each one a clear error line or a survived fault, never a
traceback and never a stored result lost. This file holds the store, output-folder, value and
parallel cases; ``test_bad_inputs_cli.py`` (options, TOML files, other commands),
``test_bad_inputs_datasets.py`` (every loader) and ``test_bad_inputs_pipelines.py``
(pipeline and protocol values, one-class subjects, learning-curve sizes) the rest, each case
asserting exit status 2, one ``error:`` line naming the parameter or file, no traceback and
the store's keys unchanged; ``test_spec_properties.py`` runs hypothesis over the spec parser
and the TOML configuration.

========================================  ==================================================
input                                     outcome
========================================  ==================================================
0-byte / garbage / truncated result file  quarantined to ``results-quarantine/`` with a
(single ``<key>.parquet`` or batch file)  warning; its keys count as not stored, the table
                                          still reads, a rerun recomputes exactly them
result file with a good footer over       found when a query fails, quarantined the same way
damaged data
``-o`` an existing file, a folder that    ``out: expected ...`` before any work
cannot be created, a read-only folder,
a read-only ``results/``, ``results``
being a file
``--seed`` < 0 or >= 2**32, a bool seed   ``seed: expected an integer in [0, 2**32) ...``
``--tune-cpu-s`` <= 0, ``-j 0``,          ``<name>: expected ...`` before any work
``--permutations -1``, ``--tune -1``
TOML ``pipelines = 5``, ``seed = "abc"``, ``<key>: expected ...`` (one line, exit 2)
``protocol_params = "..."``, ``out = 5``,
``datasets = 5``, ``explain = 5``
TOML ``explain = "permutation"``,         a list of one name, not of its letters
``pipelines = "csp-lda"``
``-j 2`` with one unit failing (a         the failure is reported (exit 1), the other
subject's data holds NaN)                 units' results are stored
an unknown option, a value of the wrong   click's message as one line: ``error: Invalid
type (``--seed abc``), a missing value    value for '--seed' ... (see `neurocompare run
or argument, an unknown command           --help`)``, exit 2 (no usage panel)
a TOML file that is not UTF-8, not TOML,  ``<file>: expected valid TOML (UTF-8 text) ...``,
a folder; a key given twice               ``--config: expected an existing TOML file``
TOML values of the wrong type or range    ``<key>: expected ...`` naming the key (explain
for every key (hypothesis: any value)     options by value: ``explain option n_repeats``)
``--data-root`` not a folder              ``--data-root: expected an existing folder``
``--protocol-param`` without ``=`` or     ``--protocol-param ...`` or the splitter's own
twice, a mistyped literal, a value of     ``<param>: expected ...``, checked on the first
the wrong type or range (``=1``,          unit's data before any work (scikit-learn's
``n_splits=abc``, ``n_splits=100``,       TypeError named as the protocol's)
``shuffle='x'``)
a spec ``name:key=value`` with a key      ``<what> '<name>': expected each parameter once``;
given twice, a mistyped literal           ``... parameter <key>: expected a Python literal``
(``lda__solver='lsqr``, ``(1,``)          (never passed on as text)
a dataset's parameter of the wrong type   ``<param>: expected ...`` from the loader (every
or range, a missing file or folder, an    registered dataset and SMILES corpus has a case),
unreadable table / archive                ``<file>: expected ..., got '<reader error>'``
a pipeline value its step rejects         ``pipeline '<label>': ... step '<step>' ...`` +
(``lda__solver='bogus'``, ``lr__C=-1``,   the step's message, before any unit runs (the
``net__max_epochs=-5``), a generator's    built pipeline's ``_validate_params`` /
(``gen-ngram:order=-1``)                  ``_check_params``, no fitting)
``-p "csp-lda:bandpass='passthrough'"``   supported: the band-pass step is skipped (same
                                          output as the pipeline without it)
a subject whose trials all have one       that unit fails once: ``subject <s>: expected
label                                     trials of at least two classes``; the others'
                                          results are stored (the first subject: exit 2
                                          before any work)
a learning-curve size below               ``sizes: expected sizes giving at least
``min_per_class`` (3) trials per class    min_per_class=3 ...`` with the smallest fraction
(10 % of a small subject)                 the data allow, before any fold (no LinAlgError)
``--protocol`` within-session on a real-  ``expected class labels to stratify folds by``
valued target (molecules, tables)         naming the other protocols
``explain -p`` not in the run, ``explain  ``pipeline: expected pipelines of the stored
--n-repeats 0``                           runs ...``; ``explain option n_repeats ...``
========================================  ==================================================
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neurocompare import cli
from neurocompare._errors import InputError
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan, run_comparison
from neurocompare.runner.config import check_config

TINY = ("simulated-mi", {"n_subjects": 1, "n_sessions": 1, "n_trials_per_class": 10})
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_permissions = pytest.mark.skipif(ROOT, reason="root ignores file permissions")


def _config(out, **kw) -> RunConfig:
    return RunConfig(datasets=[TINY], pipelines=["csp-lda"], out=out, jobs=1, **kw)


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the console entry point in this process; return its exit code and stderr."""
    monkeypatch.setattr(sys, "argv", ["neurocompare", *args])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    return stop.value.code, capsys.readouterr().err


# -- a damaged file in the store ------------------------------------------------------------

def _empty(data: bytes) -> bytes:
    return b""


def _garbage(data: bytes) -> bytes:
    return np.random.default_rng(0).bytes(len(data))


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _damaged_pages(data: bytes) -> bytes:
    """Magic bytes and footer intact, the column data overwritten."""
    return data[:4] + b"\xff" * (len(data) // 2 - 4) + data[len(data) // 2:]


@pytest.mark.parametrize("damage", [_empty, _garbage, _truncated, _damaged_pages])
@pytest.mark.parametrize("layout", ["single", "batch"])
def test_a_damaged_store_file_is_quarantined_and_only_its_keys_recomputed(
        tmp_path, caplog, layout, damage):
    execute(plan(_config(tmp_path)))
    store = ResultStore(tmp_path)
    original = store.table().set_index("key")
    keys = sorted(original.index)
    assert len(keys) == 5
    # lay the real rows out as the runner may: one file per key, or batch files
    for path in store.folder.glob("*.parquet"):
        path.unlink()
    rows = original.reset_index().to_dict("records")
    if layout == "single":
        for row in rows:
            store.write(row["key"], [row])
        victim, lost = store.path(keys[0]), {keys[0]}
    else:
        victim = store.write_many([r for r in rows if r["key"] in keys[:2]])
        store.write_many([r for r in rows if r["key"] not in keys[:2]])
        lost = set(keys[:2])
    assert store.keys() == set(keys)
    victim.write_bytes(damage(victim.read_bytes()))

    with caplog.at_level(logging.WARNING, logger="neurocompare.records.store"):
        if damage is not _damaged_pages:  # the footer check alone finds it
            assert store.keys() == set(keys) - lost
        table = store.table()  # a damaged page is found here
    assert sorted(table["key"]) == sorted(set(keys) - lost)
    assert store.keys() == set(keys) - lost
    assert not victim.exists() and (tmp_path / "results-quarantine" / victim.name).is_file()
    assert any(victim.name in r.getMessage() for r in caplog.records), caplog.text

    reports = execute(plan(_config(tmp_path)))
    assert sum(r.computed for r in reports) == len(lost)
    assert sum(r.skipped for r in reports) == 5 - len(lost)
    again = store.table().set_index("key")
    assert sorted(again.index) == keys  # one row per key
    assert again.loc[keys, "accuracy"].tolist() == original.loc[keys, "accuracy"].tolist()


def test_summary_survives_a_zero_byte_result_file(tmp_path, monkeypatch, capsys):
    execute(plan(_config(tmp_path)))
    store = ResultStore(tmp_path)
    (store.folder / "0123456789abcdef.parquet").write_bytes(b"")
    assert not store.has("0123456789abcdef")
    code, err = _cli(monkeypatch, capsys, "summary", str(tmp_path))
    assert code == 0 and "Traceback" not in err
    assert (tmp_path / "results-quarantine" / "0123456789abcdef.parquet").is_file()
    assert len(store.keys()) == 5


# -- the output folder, checked before any work ---------------------------------------------

def _existing_file(tmp_path: Path) -> Path:
    (tmp_path / "results.txt").write_text("notes")
    return tmp_path / "results.txt"


def _below_a_file(tmp_path: Path) -> Path:
    (tmp_path / "notes.txt").write_text("notes")
    return tmp_path / "notes.txt" / "run"


def _results_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results").write_text("not a folder")
    return tmp_path / "out"


def _read_only(tmp_path: Path) -> Path:
    (tmp_path / "locked").mkdir(mode=0o500)
    return tmp_path / "locked"


def _read_only_results(tmp_path: Path) -> Path:
    (tmp_path / "out" / "results").mkdir(parents=True)
    (tmp_path / "out" / "results").chmod(0o500)
    return tmp_path / "out"


@pytest.mark.parametrize("make_out, message", [
    (_existing_file, "out: expected an output folder, got '{out} (an existing file)'"),
    (_below_a_file, "out: expected an output folder that can be created"),
    (_results_is_a_file, "out: expected {out}/results to be a folder"),
    pytest.param(_read_only, "out: expected an output folder this user can write to",
                 marks=needs_permissions),
    pytest.param(_read_only_results, "out: expected an output folder this user can write to, "
                 "got '{out}/results", marks=needs_permissions),
])
def test_an_unwritable_output_folder_fails_before_any_work(tmp_path, monkeypatch, capsys,
                                                           make_out, message):
    out = make_out(tmp_path)
    message = message.format(out=out)
    units: list = []
    monkeypatch.setattr(importlib.import_module("neurocompare.runner.plan"), "run_unit",
                        units.append)
    try:
        with pytest.raises(InputError) as error:
            plan(_config(out))
        assert message in str(error.value)
        code, err = _cli(monkeypatch, capsys, "run", "-d", "simulated-mi:n_subjects=1",
                         "-p", "csp-lda", "-o", str(out), "--no-report")
    finally:
        for folder in (tmp_path / "locked", tmp_path / "out" / "results"):
            if folder.is_dir():
                folder.chmod(0o700)  # let pytest clean up
    assert code == 2 and not units
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


# -- values out of range and of the wrong type ----------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("seed", -1, "seed: expected an integer in [0, 2**32)"),
    ("seed", 2**32, "seed: expected an integer in [0, 2**32)"),
    ("seed", True, "seed: expected an integer"),
    ("seed", "abc", "seed: expected an integer"),
    ("seed", 1.5, "seed: expected an integer"),
    ("tune_cpu_s", -5.0, "tune_cpu_s: expected a positive number of CPU seconds"),
    ("tune_cpu_s", 0, "tune_cpu_s: expected a positive number"),
    ("tune_cpu_s", float("nan"), "tune_cpu_s: expected a positive number"),
    ("tune_cpu_s", "10", "tune_cpu_s: expected a positive number"),
    ("jobs", 0, "jobs: expected a positive integer"),
    ("jobs", True, "jobs: expected a positive integer"),
    ("permutations", -1, "permutations: expected a non-negative integer"),
    ("tune", -1, "tune: expected a non-negative number"),
    ("pipelines", 5, "pipelines: expected a list of names"),
    ("pipelines", ["csp-lda", 5], "pipelines: expected a list of names"),
    ("explain", 5, "explain: expected a list of names"),
    ("protocol_params", "n_splits=3", "protocol_params: expected a table of parameters"),
    ("explain_options", ["n_repeats"], "explain_options: expected a table of parameters"),
    ("out", 5, "out: expected an output folder path"),
    ("out", "", "out: expected an output folder path"),
    ("datasets", "simulated-mi", "datasets: expected a list of (name, parameters) pairs"),
    ("protocol", 5, "protocol: expected a protocol name"),
    ("scheduler", 8786, "scheduler: expected a Dask scheduler address"),
])
def test_config_values_are_checked_before_any_work(tmp_path, field, value, message):
    with pytest.raises(InputError) as error:
        check_config(RunConfig(**{"datasets": [TINY], "pipelines": ["csp-lda"],
                                  "out": tmp_path / "out"} | {field: value}))
    assert message in str(error.value) and repr(value)[:20] in str(error.value)


@pytest.mark.parametrize("args, message", [
    (["--seed=-1"], "seed: expected an integer in [0, 2**32)"),
    (["--seed", str(2**32)], "seed: expected an integer in [0, 2**32)"),
    (["--tune-cpu-s=-5"], "tune_cpu_s: expected a positive number"),
    (["-j", "0"], "jobs: expected a positive integer"),
    (["--permutations=-1"], "permutations: expected a non-negative integer"),
    (["--tune=-1"], "tune: expected a non-negative number"),
])
def test_cli_range_errors_are_one_line(tmp_path, monkeypatch, capsys, args, message):
    code, err = _cli(monkeypatch, capsys, "run", "-p", "csp-lda", "-o", str(tmp_path / "o"),
                     *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "o").exists()  # nothing written either


@pytest.mark.parametrize("toml, message", [
    ("pipelines = 5", "pipelines: expected a list of names (strings), got 5"),
    ('seed = "abc"', "seed: expected an integer in [0, 2**32)"),
    ('protocol_params = "n_splits=3"', "protocol_params: expected a table of parameters"),
    ("out = 5", "out: expected an output folder path, got 5"),
    ("datasets = 5", "datasets: expected [[datasets]] tables, got 5"),
    ("explain = 5", "explain: expected a list of names (strings), got 5"),
    ("jobs = 1.5", "jobs: expected a positive integer, got 1.5"),
])
def test_toml_values_of_the_wrong_type_are_one_line(tmp_path, monkeypatch, capsys, toml,
                                                    message):
    config = tmp_path / "run.toml"
    config.write_text(toml + "\n")
    args = ["run", "--config", str(config), "--no-report"]
    code, err = _cli(monkeypatch, capsys, *args, *([] if toml.startswith("out") else
                                                   ["-o", str(tmp_path / "o")]))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], err


def test_a_bare_name_in_toml_is_one_name_not_its_letters(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text(f'pipelines = "csp-lda"\nexplain = "permutation"\nout = "{tmp_path}"\n')
    values = cli._read_config(config)
    values["pipelines"] = cli._expand_pipelines(values["pipelines"])
    cfg = RunConfig(**values)
    assert cfg.pipelines == ["csp-lda"] and cfg.explain == ["permutation"]
    check_config(cfg)
    assert RunConfig(explain="shap").explain == ["shap"]


# -- one failing work unit among parallel ones ----------------------------------------------

def test_a_failing_unit_does_not_discard_the_other_units_results(tmp_path):
    """Subject 2's data holds a NaN: its unit fails when it loads it, in a worker of a
    2-process pool; subject 1's results are stored and the failure is reported."""
    rng = np.random.default_rng(0)
    n = 40
    X = rng.standard_normal((2 * n, 4, 128))
    X[n + 3, 0, 5] = np.nan
    data = {"X": X, "y": np.tile(["left", "right"], n), "sfreq": 128.0,
            "metadata": pd.DataFrame({"subject": np.repeat([1, 2], n)})}
    config = RunConfig(datasets=[("arrays", data)], pipelines=["csp-lda"], out=tmp_path,
                       jobs=2)
    outcome = run_comparison(config)
    assert len(outcome.reports) == 2
    assert outcome.total("computed") == 5
    assert len(outcome.errors) == 1
    assert "arrays subject 2" in outcome.errors[0] and "finite" in outcome.errors[0]
    table = ResultStore(tmp_path).table()
    assert len(table) == 5 and set(table["subject"].astype(str)) == {"1"}
    run = json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[-1])
    assert run["computed"] == 5 and run["failed"] == 1
    assert run["workers"] and "MainProcess" not in run["workers"]  # a pool ran the units


@pytest.mark.parametrize("address", ["notaurl", "127.0.0.1:8786", "tcp://"])
def test_a_malformed_scheduler_address_is_rejected_before_any_work(tmp_path, address):
    with pytest.raises(InputError, match="scheduler"):
        check_config(_config(tmp_path / "out", scheduler=address))


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line(tmp_path, monkeypatch, capsys):
    code, err = _cli(monkeypatch, capsys, "run", "--scheduler", "tcp://127.0.0.1:1", "-o",
                     str(tmp_path / "out"), "--no-report")
    assert code == 2
    assert "scheduler" in err and "Traceback" not in err


def test_pipelines_that_cannot_run_on_the_data_are_an_error(tmp_path, monkeypatch, capsys):
    code, err = _cli(monkeypatch, capsys, "run", "-p", "fc-corr-lr", "-o",
                     str(tmp_path / "out"), "--no-report")
    assert code == 2
    assert "fc-corr-lr on simulated-mi" in err and "Traceback" not in err


def test_a_protocol_without_folds_on_the_data_is_an_error(tmp_path, monkeypatch, capsys):
    code, err = _cli(monkeypatch, capsys, "run", "-d", "simulated-mi:n_sessions=1,n_subjects=1",
                     "-p", "csp-lda", "--protocol", "cross-session", "-o",
                     str(tmp_path / "out"), "--no-report")
    assert code == 2
    assert "cross-session" in err and "no fold" in err


def test_a_rerun_says_which_rows_earlier_runs_made(tmp_path, monkeypatch, capsys):
    args = ("run", "-d", "simulated-mi:n_subjects=1,n_sessions=1", "-p", "csp-lda", "-o",
            str(tmp_path / "out"), "--no-report")
    assert _cli(monkeypatch, capsys, *args)[0] in (0, None)
    monkeypatch.setattr(sys, "argv", ["neurocompare", *args])
    with pytest.raises(SystemExit):
        cli.main()
    out = " ".join(capsys.readouterr().out.split())  # the console wraps long lines
    assert "0 results computed" in out and "5 of them were computed by earlier runs" in out
