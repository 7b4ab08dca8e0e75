"""A run's subject selection (``subjects`` in RunConfig and TOML, ``--subject`` on the CLI).

Within-subject protocols keep the keys of a full run (a selection resumes into a full run and
back); cross-subject folds and whole-dataset units change with the selection, so their keys
include it. An unknown subject is one error before any data is read.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

from neurocompare import cli
from neurocompare._errors import InputError
from neurocompare.data import cache
from neurocompare.data.base import Dataset, match_subjects
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan, run_comparison, stored_configs
from neurocompare.runner.selection import check_subjects, parse_subject_ids

SIM = ("simulated-mi", {"n_subjects": 3, "n_sessions": 1, "n_trials_per_class": 10})
TRIALS = 20  # per simulated subject: 2 classes x 10 trials, 5 within-session folds


def _config(out, **kw) -> RunConfig:
    return RunConfig(datasets=[SIM], pipelines=["bandpower-lda"], out=out, jobs=1, **kw)


def _run(config: RunConfig) -> tuple[int, int, pd.DataFrame]:
    reports = execute(plan(config))
    assert not [e for r in reports for e in r.errors]
    table = ResultStore(config.out).table()
    return sum(r.computed for r in reports), sum(r.skipped for r in reports), table


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["neurocompare", *args])
    with pytest.raises(SystemExit) as stop:
        cli.main()
    return stop.value.code, capsys.readouterr().err


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_within_subject_selection_keeps_the_keys_of_a_full_run(tmp_path):
    computed, _, chosen = _run(_config(tmp_path / "sel", subjects=[3, 1]))
    assert computed == 2 * 5 and set(chosen["subject"].astype(str)) == {"1", "3"}
    _, _, full = _run(_config(tmp_path / "full"))
    assert set(full.loc[full["subject"].astype(str).isin(["1", "3"]), "key"]) == \
        set(chosen["key"])
    # the full run resumes from the selection's results: only subject 2 is computed
    computed, skipped, _ = _run(_config(tmp_path / "sel"))
    assert (computed, skipped) == (5, 10)


def test_cross_subject_folds_of_a_selection_get_keys_of_their_own(tmp_path):
    computed, _, chosen = _run(_config(tmp_path, protocol="cross-subject", subjects=[1, 2]))
    assert computed == 2  # one fold per selected subject, trained on the other one only
    assert ((chosen["n_train"] + chosen["n_test"]) == 2 * TRIALS).all()
    assert set(chosen["subject"].astype(str)) == {"1", "2"}
    # a full run into the same folder computes its own 3 folds: nothing collides
    computed, skipped, both = _run(_config(tmp_path, protocol="cross-subject"))
    assert (computed, skipped) == (3, 0) and both["key"].is_unique
    full = both[~both["key"].isin(chosen["key"])]
    assert ((full["n_train"] + full["n_test"]) == 3 * TRIALS).all()
    # and the selection resumes into its own keys
    computed, skipped, _ = _run(_config(tmp_path, protocol="cross-subject", subjects=[2, 1]))
    assert (computed, skipped) == (0, 2)


def test_a_selection_on_a_whole_dataset_keeps_only_those_rows(tmp_path):
    """A table loaded whole (one row per subject): the selection keeps its rows, and its
    subject-level folds, being other folds, get their own keys."""
    rng = np.random.default_rng(0)
    label = np.tile([0, 1], 20)
    frame = pd.DataFrame({"id": [f"s{k:02d}" for k in range(40)], "y": label,
                          "x1": label + rng.normal(0, 0.5, 40), "x2": rng.normal(0, 1, 40)})
    frame.to_csv(tmp_path / "table.csv", index=False)
    table = ("tabular", {"path": str(tmp_path / "table.csv"), "target": "y", "subject": "id"})
    chosen = [f"s{k:02d}" for k in range(0, 40, 2)] + [f"s{k:02d}" for k in range(1, 20, 2)]

    def config(**kw):
        return RunConfig(datasets=[table], pipelines=["tab-lr"], protocol="subject-kfold",
                         protocol_params={"n_splits": 5}, out=tmp_path / "out", jobs=1, **kw)

    _, _, part = _run(config(subjects=chosen))
    assert len(part) == 5 and ((part["n_train"] + part["n_test"]) == 30).all()
    computed, skipped, _ = _run(config())
    assert (computed, skipped) == (5, 0)


def test_an_unknown_subject_is_one_error_before_any_data_is_read(tmp_path, monkeypatch,
                                                                 capsys):
    reads: list = []
    original = Dataset.load_subject
    monkeypatch.setattr(Dataset, "load_subject",
                        lambda self, s: reads.append(s) or original(self, s))
    with pytest.raises(InputError, match=r"simulated-mi: subject: expected one of \[1, 2, 3\], "
                                         r"got 9"):
        plan(_config(tmp_path / "out", subjects=[1, 9]))
    assert reads == [] and not (tmp_path / "out" / "results").exists()
    code, err = _cli(monkeypatch, capsys, "run", "-d", "simulated-mi:n_subjects=3",
                     "--subject", "4", "-o", str(tmp_path / "cli"))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "simulated-mi: subject: expected one of" in err
    assert reads == []


def test_toml_list_toml_table_and_cli_forms(tmp_path, monkeypatch, capsys):
    head = 'pipelines = ["bandpower-lda"]\njobs = 1\n'
    dataset = ('[[datasets]]\nname = "simulated-mi"\nn_subjects = 3\nn_sessions = 1\n'
               'n_trials_per_class = 10\n')
    forms = {"list": head + "subjects = [2]\n" + dataset,
             "table": head + dataset + '[subjects]\nsimulated-mi = ["3"]\n'}
    for form, text in forms.items():
        (tmp_path / f"{form}.toml").write_text(text)
    for form, expected in (("list", {"2"}), ("table", {"3"})):
        out = tmp_path / form
        code, err = _cli(monkeypatch, capsys, "run", "--config", str(tmp_path / f"{form}.toml"),
                         "--no-report", "-o", str(out))
        assert code == 0, err
        assert set(ResultStore(out).table()["subject"].astype(str)) == expected
    # --subject overrides the file's selection; "1,3" is two ids
    code, err = _cli(monkeypatch, capsys, "run", "--config", str(tmp_path / "list.toml"),
                     "--subject", "1,3", "--no-report", "-o", str(tmp_path / "cli"))
    assert code == 0, err
    assert set(ResultStore(tmp_path / "cli").table()["subject"].astype(str)) == {"1", "3"}
    run = json.loads((tmp_path / "cli" / "runs.jsonl").read_text().splitlines()[-1])
    assert run["config"]["subjects"] == [1, 3]
    assert run["datasets"][0]["subjects"] == [1, 3] and run["datasets"][0]["n_subjects"] == 2
    assert stored_configs(tmp_path / "cli")[0].subjects == [1, 3]
    (tmp_path / "bad.toml").write_text(head + dataset + "[subjects]\nbonn-epilepsy = [1]\n")
    code, err = _cli(monkeypatch, capsys, "run", "--config", str(tmp_path / "bad.toml"),
                     "-o", str(tmp_path / "bad"))
    assert code == 2 and "subjects: expected a table keyed by datasets of the run" in err


def test_run_comparison_records_the_selection(tmp_path):
    run_comparison(_config(tmp_path, subjects={"simulated-mi": [2]}))
    run = json.loads((tmp_path / "runs.jsonl").read_text().splitlines()[-1])
    assert run["config"]["subjects"] == {"simulated-mi": [2]}
    assert run["datasets"][0]["subjects"] == [2] and run["computed"] == 5


def test_ids_are_parsed_matched_and_checked():
    assert parse_subject_ids(["1", "2,3", "sub01", "01", "'7'"]) == [1, 2, 3, "sub01", "01", "7"]
    # matched by value or by spelling, in the dataset's order, duplicates once
    assert match_subjects("d", [1, 2, 3], ["3", 1, 1]) == [1, 3]
    assert match_subjects("d", ["01", "02"], ["02"]) == ["02"]
    with pytest.raises(InputError, match=r"d: subject: expected one of \['01', '02'\], got 1"):
        match_subjects("d", ["01", "02"], [1])
    check_subjects({"simulated-mi": 2}, ["simulated-mi"])  # one id alone is a list of one
    for bad in ([], [1.5], [True], {"simulated-mi": []}):
        with pytest.raises(InputError, match="subject ids"):
            check_subjects(bad, ["simulated-mi"])
