"""Options are discoverable: ``neurocompare datasets|pipelines|protocols NAME`` print each
parameter with its type, default and a line of help taken from the docstrings; the run
configuration's ``report`` key."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from neurocompare import InputError, cli
from neurocompare.data.registry import DATASETS
from neurocompare.describe import (
    REQUIRED,
    RUN_SEED,
    describe_dataset,
    describe_pipeline,
    describe_protocol,
    docstring_params,
    one_line,
    plain,
)
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.protocols.registry import PROTOCOLS, make_splitter


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run the console entry point in this process; return exit code, stdout and stderr."""
    monkeypatch.setattr(sys, "argv", ["neurocompare", *args])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as stop:
        cli.main()
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


# -- every parameter is documented -----------------------------------------------------------

@pytest.mark.parametrize("name", list(DATASETS))
def test_every_dataset_parameter_has_a_line_of_help(name):
    import dataclasses

    described = describe_dataset(name)
    fields = [f.name for f in dataclasses.fields(DATASETS[name]) if f.init]
    assert [p.name for p in described.params] == fields
    undocumented = [p.name for p in described.params if not p.help.strip()]
    assert undocumented == [], f"{name}: document {undocumented} in the class docstring"
    assert all(p.type and p.default for p in described.params)
    assert described.summary == DATASETS[name].description


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_protocol_parameter_has_a_line_of_help(name):
    described = describe_protocol(name)
    undocumented = [p.name for p in described.params if not p.help.strip()]
    assert undocumented == [], f"{name}: document {undocumented} in the splitter's docstring"
    assert described.summary == PROTOCOLS[name].description
    for param in described.params:  # every row shown is a parameter the protocol accepts
        make_splitter(name, 42, **{param.name: getattr(make_splitter(name), param.name)})


# -- what the rows say -----------------------------------------------------------------------

def test_dataset_rows_give_type_default_and_the_docstring_line():
    rows = {p.name: p for p in describe_dataset("simulated-mi").params}
    assert rows["n_subjects"] == ("n_subjects", "int", "6",
                                  "Number of subjects; effect sizes cycle through `effects`.")
    assert rows["scenario"].type == '{"erd", "waveform", "null"}'
    assert rows["scenario"].default == "'erd'"
    assert rows["n_runs"].default == "1" and "cross-run" in rows["n_runs"].help
    required = {p.name for p in describe_dataset("eeg-files").params if p.default == REQUIRED}
    assert required == {"root", "pattern", "event_id"}
    # the shared parameters documented once on the base class reach both loaders
    for name in ("timeseries-files", "nifti-atlas"):
        assert {p.name: p.help for p in describe_dataset(name).params}["phenotype"]


def test_protocol_rows_show_the_protocols_own_defaults_and_hide_fixed_ones():
    rows = {p.name: p for p in describe_protocol("repeated-within-session").params}
    assert rows["n_repeats"].default == "3" and rows["random_state"].default == RUN_SEED
    assert rows["n_splits"].help == "Folds per session."
    # the learning curve's wrapped splitter is part of the recipe, not a parameter
    assert "base" not in {p.name for p in describe_protocol("learning-curve").params}
    assert "unit" not in {p.name for p in describe_protocol("learning-curve-subjects").params}
    assert describe_protocol("cross-run").params == ()
    facts = dict(describe_protocol("cross-subject").facts)
    assert facts["splits"] == "every subject together"


def test_pipeline_description_lists_settable_parameters_and_the_search_space():
    described = describe_pipeline("csp-lda")
    facts = dict(described.facts)
    assert facts["family"] == "traditional" and facts["data kinds"] == "epochs"
    assert facts["tuned (--tune): csp__nfilter"] == "integer in [2, 8]"
    rows = {p.name: p for p in described.params}
    assert rows["csp__nfilter"].default == "6" and rows["csp__nfilter"].help
    assert rows["lda__solver"].help.startswith("Solver to use")  # scikit-learn's docstring
    assert not {"steps", "memory", "verbose"} & set(rows)
    # every row is a parameter the pipeline label accepts
    for row in described.params:
        make_pipeline(f"csp-lda:{row.name}={row.default}", _epochs_info())
    overridden = {p.name: p for p in describe_pipeline("csp-lda:csp__nfilter=4").params}
    assert overridden["csp__nfilter"].default == "4"
    deep = {p.name: p for p in describe_pipeline("shallow-convnet").params}
    assert deep["net__max_epochs"].help and deep["net__lr"].type == "float"


def _epochs_info():
    from neurocompare.describe import example_info

    return example_info("epochs", "classification")


def test_pipelines_that_need_dataset_info_are_described():
    facts = dict(describe_pipeline("ssvep-cca").facts)
    assert facts["needs in the dataset info"] == "stim_freqs"
    assert describe_pipeline("dti-kronrls").params  # a bare estimator, not a Pipeline


def test_unknown_names_give_the_registry_error():
    with pytest.raises(InputError, match=r"dataset: expected one of .*'simulated-mi'"):
        describe_dataset("simulated")
    with pytest.raises(InputError, match=r"protocol: expected one of .*'cross-run'"):
        describe_protocol("cross-runs")
    with pytest.raises(InputError, match=r"pipeline: expected one of .*'csp-lda'"):
        describe_pipeline("csp")


def test_docstring_parsing():
    class Base:
        """Base.

        Parameters
        ----------
        a, b : int, default=3
            Two numbers, e.g. 3. More text.
        c : str, optional (default='x')
            See :class:`~pkg.mod.Thing` and ``code``.

        Returns
        -------
        d : float
            Not a parameter.
        """

    class Child(Base):
        """Child.

        Parameters
        ----------
        c : bool
            Overridden
            over two lines.
        """

    assert docstring_params(Base) == {"a": ("int", "Two numbers, e.g. 3."),
                                      "b": ("int", "Two numbers, e.g. 3."),
                                      "c": ("str", "See `Thing` and `code`.")}
    assert docstring_params(Child)["c"] == ("bool", "Overridden over two lines.")
    assert one_line("One (i.e. two). Three.") == "One (i.e. two)."
    assert plain(":func:`a.b` and ``x``") == "`a.b` and `x`"


# -- the command line ------------------------------------------------------------------------

def test_cli_describes_one_item_and_lists_without_a_name(monkeypatch, capsys):
    code, out, _ = _cli(monkeypatch, capsys, "datasets", "simulated-mi")
    assert code == 0
    assert "n_trials_per_class" in out and "Trials per class and session." in out
    # docstring text with brackets is shown as written, not read as rich markup
    assert "default_rng([seed, s])" in out
    code, out, _ = _cli(monkeypatch, capsys, "protocols", "within-session")
    assert code == 0 and "random_state" in out and RUN_SEED in out
    code, out, _ = _cli(monkeypatch, capsys, "pipelines", "ts-lr")
    assert code == 0 and "lr__C" in out and "log-uniform in [0.001, 100]" in out
    code, out, _ = _cli(monkeypatch, capsys, "protocols")
    assert code == 0 and all(name in out for name in PROTOCOLS)


@pytest.mark.parametrize("command", ["datasets", "pipelines", "protocols"])
def test_cli_unknown_name_is_one_error_line(monkeypatch, capsys, command):
    code, _, err = _cli(monkeypatch, capsys, command, "no-such-thing")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "expected one of" in lines[0]
    assert "Traceback" not in err


# -- report as a configuration key -----------------------------------------------------------

_TOML = """pipelines = ["bandpower-lda"]
protocol = "blocked"
jobs = 1
{report}
[[datasets]]
name = "simulated-mi"
n_subjects = 1
n_sessions = 1
n_trials_per_class = 10
"""


def _config(tmp_path: Path, report: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(_TOML.format(report=report))
    return path


@pytest.mark.e2e
def test_report_key_in_the_configuration_and_the_flag_wins(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    report = out / "report" / "report.html"
    config = _config(tmp_path, "report = false")
    code, stdout, err = _cli(monkeypatch, capsys, "run", "--config", str(config), "-o", str(out))
    assert code == 0, err
    assert "5 results computed" in stdout and not report.exists()
    # the flag given on the command line wins over the file (results are reused)
    code, stdout, err = _cli(monkeypatch, capsys, "run", "--config", str(config), "-o",
                             str(out), "--report")
    assert code == 0, err
    assert "5 already stored" in stdout and report.is_file()
    report.unlink()
    config = _config(tmp_path, "report = true")
    code, _, err = _cli(monkeypatch, capsys, "run", "--config", str(config), "-o", str(out),
                        "--no-report")
    assert code == 0, err
    assert not report.exists()


def test_report_key_of_the_wrong_type_is_one_error_line(tmp_path, monkeypatch, capsys):
    config = _config(tmp_path, 'report = "no"')
    code, _, err = _cli(monkeypatch, capsys, "run", "--config", str(config), "-o",
                        str(tmp_path / "out"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "report: expected true or false, got 'no'" in lines[0]
