"""Bad inputs (issue 19), first group: command-line options, TOML configuration files and the
other commands (``report``, ``summary``, ``explain``, ``generate``, the listings). Every case
ends as one ``error:`` line naming the option, key or file, exit status 2, no traceback, and a
store written before keeps its keys. The table of outcomes is in ``test_bad_inputs.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from neurocompare.records.store import ResultStore
from tests._bad_inputs import (
    TINY,
    assert_bad_run_keeps_the_store,
    assert_one_error_line,
    make_store,
    run_cli,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("store"))


RUN = ["-d", TINY, "-p", "csp-lda"]


@pytest.mark.parametrize("args, message", [
    (["--protocol", "bogus"], "protocol: expected one of ['within-session'"),
    (["--protocol-param", "n_splits=abc"], "n_splits: expected an integer >= 2, got 'abc'"),
    (["--protocol-param", "n_splits=1"], "n_splits: expected an integer >= 2, got 1"),
    (["--protocol-param", "n_splits=100"], "expected at least n_splits=100 trials per class"),
    (["--protocol-param", "bogus=1"], "protocol 'within-session' parameters: expected"),
    (["--protocol-param", "=1"], "--protocol-param: expected key=value, got '=1'"),
    (["--protocol-param", "n_splits"], "--protocol-param: expected key=value"),
    (["--protocol-param", "n_splits=3", "--protocol-param", "n_splits=4"],
     "--protocol-param: expected n_splits given once"),
    (["--protocol-param", "shuffle='x'"],
     "protocol 'within-session': expected parameters its splitter accepts"),
    (["--protocol-param", "n_splits=(3"], "--protocol-param n_splits: expected a Python "
                                          "literal"),
    (["--explain", "bogus"], "methods: expected some of ['permutation'"),
    (["--start-method", "bogus"], "start_method: expected one of 'auto', 'fork', 'loky'"),
    (["--probe-share=-1"], "probe_share: expected a fraction >= 0"),
    (["--probe-share", "nan"], "probe_share: expected a fraction >= 0"),
    (["--seed", "abc"], "Invalid value for '--seed'"),
    (["--jobs", "abc"], "Invalid value for '--jobs'"),
    (["--permutations", "abc"], "Invalid value for '--permutations'"),
    (["--tune", "many"], "Invalid value for '--tune'"),
    (["--bogus-flag"], "No such option: --bogus-flag"),
    (["-j"], "Option '-j' requires an argument"),
    (["--config", "/nonexistent/run.toml"], "--config: expected an existing TOML file"),
    (["--data-root", "/nonexistent/data"], "--data-root: expected an existing folder"),
    (["--scheduler", "tcp://host:abc"], "scheduler: expected a Dask scheduler address"),
    (["--subject", "99"], "simulated-mi: subject: expected one of [1], got 99"),
])
def test_a_bad_option_is_one_line_and_keeps_the_store(monkeypatch, capsys, store, args,
                                                      message):
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store, [*RUN, *args], message)


# -- TOML configuration files ---------------------------------------------------------------

DATASETS = '[[datasets]]\nname = "simulated-mi"\nn_subjects = 1\nn_sessions = 1\n'


@pytest.mark.parametrize("text, message", [
    (b"\xff\xfe pipelines", "expected valid TOML (UTF-8 text), got \"UnicodeDecodeError"),
    ('pipelines = ["csp-lda"\n', "expected valid TOML (UTF-8 text), got 'Unclosed array"),
    ("bogus = 1\n", "expected keys among ['datasets'"),
    ("[[datasets]]\nn_subjects = 1\n", "[[datasets]]: expected tables with a 'name' key"),
    ("datasets = [5]\n", "[[datasets]]: expected tables with a 'name' key, got 5"),
    ('[[datasets]]\nname = "bogus"\n', "dataset: expected one of ['simulated-mi'"),
    ('[[datasets]]\nname = "simulated-mi"\nn_subjects = 0\n',
     "n_subjects: expected a positive integer, got 0"),
    ('[[datasets]]\nname = "simulated-mi"\nn_subjects = 1\nn_subjects = 2\n',
     "expected valid TOML (UTF-8 text), got 'Cannot overwrite a value"),
    ("protocol = 5\n", "protocol: expected a protocol name (a string), got 5"),
    ('[protocol_params]\nn_splits = "abc"\n', "n_splits: expected an integer >= 2, got 'abc'"),
    ("explain_options = 5\n", "explain_options: expected a table of parameters"),
    ("[explain_options]\nbogus = 1\n", "explain options: expected some of ['n_repeats'"),
    ('explain = ["permutation"]\n[explain_options]\nn_repeats = -1\n',
     "explain option n_repeats: expected a positive integer, got -1"),
    ('[explain_options]\nscoring = "bogus"\n', "explain option scoring: expected one of"),
    ('[explain_options]\ngroup_types = "channel"\n', "explain option group_types: expected"),
    ('probe_share = "abc"\n', "probe_share: expected a fraction >= 0"),
    ("start_method = 5\n", "start_method: expected one of 'auto', 'fork', 'loky', got 5"),
    ("tune = 1.5\n", "tune: expected a non-negative number of Optuna trials, got 1.5"),
    ("tune_cpu_s = true\n", "tune_cpu_s: expected a positive number of CPU seconds"),
    ("seed = 1e20\n", "seed: expected an integer in [0, 2**32)"),
    ("permutations = -1\n", "permutations: expected a non-negative integer, got -1"),
    ('scheduler = "notaurl"\n', "scheduler: expected a Dask scheduler address"),
    ("pipelines = []\n", "pipelines: expected at least one pipeline name, got []"),
    ("pipelines = [\"csp-lda:lda__solver='bogus'\"]\n",
     "The 'solver' parameter of LinearDiscriminantAnalysis must be a str among"),
    ('report = "yes"\n', "report: expected true or false, got 'yes'"),
    ("subjects = [true]\n", "subjects: expected one or more subject ids"),
])
def test_a_bad_toml_file_is_one_line_and_keeps_the_store(tmp_path, monkeypatch, capsys, store,
                                                        text, message):
    config = tmp_path / "run.toml"  # a tiny dataset unless the case has its own
    config.write_bytes(text if isinstance(text, bytes) else
                       (text + ("" if "datasets" in text else DATASETS)).encode())
    args = ["--config", str(config)] + ([] if "pipelines" in str(text) else ["-p", "csp-lda"])
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store, args, message)


def test_a_config_that_is_a_folder_is_one_line(tmp_path, monkeypatch, capsys, store):
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store, ["--config", str(tmp_path)],
                                   "--config: expected an existing TOML file")


# -- the other commands ---------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["report", "/nonexistent/out"], "RESULTS: expected an output folder holding results"),
    (["report", "{store}", "--metric", "bogus"], "metric: expected 'auto' or a result column"),
    (["report"], "Missing argument 'results'"),
    (["summary", "/nonexistent/out"], "OUT: expected the output folder of a run"),
    (["summary", "{store}/results"], "OUT: expected the output folder of a run"),
    (["explain", "/nonexistent/out"], "RESULTS: expected the output folder of a run"),
    (["explain", "{store}", "-m", "bogus"], "methods: expected some of ['permutation'"),
    (["explain", "{store}", "-p", "bogus"],
     "pipeline: expected pipelines of the stored runs ['csp-lda'], got ['bogus']"),
    (["explain", "{store}", "--n-repeats", "0"],
     "explain option n_repeats: expected a positive integer, got 0"),
    (["explain", "{store}", "-j", "0"], "jobs: expected a positive integer, got 0"),
    (["explain", "{store}", "--data-root", "/nonexistent/data"],
     "--data-root: expected an existing folder"),
    (["bogus-command"], "No such command 'bogus-command'"),
    (["datasets", "bogus"], "dataset: expected one of ['simulated-mi'"),
    (["pipelines", "bogus"], "pipeline: expected one of ['bandpower-lda'"),
    (["protocols", "bogus"], "protocol: expected one of ['within-session'"),
])
def test_a_bad_command_argument_is_one_line_and_keeps_the_store(monkeypatch, capsys, store,
                                                               args, message):
    before = ResultStore(store).keys()
    code, out, err = run_cli(monkeypatch, capsys, *[a.format(store=store) for a in args])
    assert_one_error_line(code, out, err, message)
    assert ResultStore(store).keys() == before


@pytest.mark.parametrize("args, message", [
    (["-g", "bogus"], "generator: expected one of ['gen-lstm'"),
    (["-g", "gen-ngram:order=-1"], "generator 'gen-ngram:order=-1': expected parameters "
                                   "its steps accept"),
    (["-g", "gen-ngram:order='abc'"], "order: expected a positive integer, got 'abc'"),
    (["-g", "gen-ngram:order=3,order=4"], "generator 'gen-ngram': expected each parameter "
                                          "once"),
    (["-c", "bogus"], "corpus: expected one of ['smiles-file', 'smiles-union']"),
    (["-c", "smiles-file:path='/nonexistent/x.csv'"],
     "molecule file: expected an existing file, got '/nonexistent/x.csv'"),
    (["-c", "smiles-union:sources=('bogus',)"], "sources: expected a non-empty subset of"),
    (["-c", "smiles-union:max_length=-1"], "max_length: expected an int >= 2"),
    (["--seeds", "abc"], "seeds: expected distinct ints in [0, 2**32), got ['abc']"),
    (["--seeds=-1"], "seeds: expected distinct ints in [0, 2**32), got [-1]"),
    (["--n-samples", "0"], "n_samples: expected a positive int, got 0"),
    (["--n-samples", "x"], "Invalid value for '--n-samples'"),
    (["--split", "bogus"], "split: expected one of 'random', 'scaffold', got 'bogus'"),
    (["--device", "bogus"], "device: expected one of 'cpu', 'cuda', got 'bogus'"),
    (["-j", "0"], "jobs: expected a positive int, got 0"),
])
def test_a_bad_generate_argument_is_one_line_before_any_work(tmp_path, monkeypatch, capsys,
                                                            args, message):
    out = tmp_path / "generated"
    code, stdout, err = run_cli(monkeypatch, capsys, "generate", "-o", str(out), "--seeds", "0",
                                "--n-samples", "10", *args)
    assert_one_error_line(code, stdout, err, message)
    assert not out.exists()
