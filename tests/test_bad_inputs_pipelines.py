"""Bad inputs (issue 19), third group: pipeline specs and protocol parameters, validated before
any work (not once per fold), the band-pass step switched off with ``'passthrough'``, a
subject whose trials all have one label, and learning-curve sizes too small for the data.
The table of outcomes is in ``test_bad_inputs.py``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from neurocompare._errors import InputError
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.pipelines.common.checks import check_params
from neurocompare.pipelines.registry import PIPELINES, make_pipeline
from neurocompare.pipelines.seeding import seeded
from neurocompare.protocols.data_budget import MIN_TRAIN_PER_CLASS, LearningCurve
from neurocompare.protocols.splitters import WithinSession
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, plan, run_comparison
from tests._bad_inputs import TINY, assert_bad_run_keeps_the_store, make_store
from tests.estimator_cases import check_info

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return make_store(tmp_path_factory.mktemp("store"))


@pytest.mark.parametrize("pipeline, message", [
    ("bogus", "pipeline: expected one of ['bandpower-lda'"),
    ("csp-lda:x", "pipeline: expected name:key=value,key=value, got 'csp-lda:x'"),
    ("csp-lda:bogus=1", "pipeline 'csp-lda' parameters: expected some of ['bandpass__h_freq'"),
    ("csp-lda:lda__solver='lsqr", "pipeline 'csp-lda' parameter lda__solver: expected a "
                                  "Python literal"),
    ("csp-lda:lda__priors=(0.5,", "pipeline 'csp-lda' parameter lda__priors: expected a "
                                  "Python literal"),
    ("csp-lda:lda__solver=1,lda__solver=2", "pipeline 'csp-lda': expected each parameter "
                                            "once, got 'lda__solver'"),
    ("csp-lda:lda__solver='bogus'", "step 'lda': LinearDiscriminantAnalysis\". The 'solver' "
                                    "parameter of LinearDiscriminantAnalysis must be"),
    ("ts-lr:lr__C=-1", "The 'C' parameter of LogisticRegression must be a float"),
    ("eegnet:net__max_epochs=abc", "max_epochs: expected a positive integer, got 'abc'"),
    ("eegnet:net__max_epochs=-5", "step 'net': DeepClassifier\". max_epochs: expected a "
                                  "positive integer, got -5"),
    ("shallow-convnet:net__lr='x'", "lr: expected a positive learning rate, got 'x'"),
    ("shallow-convnet:net__valid_size=1.5", "valid_size: expected a fraction in [0, 1)"),
    ("shallow-convnet:net__device='tpu'", "device: expected 'auto', 'cpu' or 'cuda[:i]'"),
    ("fc-corr-lr", "pipelines: expected at least one pipeline that can run on the datasets"),
])
def test_a_bad_pipeline_value_is_one_line_before_any_work(monkeypatch, capsys, store,
                                                          pipeline, message):
    units: list = []  # no unit may start: the value is checked when the pipeline is built
    monkeypatch.setattr(importlib.import_module("neurocompare.runner.plan"), "run_unit",
                        units.append)
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store, ["-d", TINY, "-p", pipeline],
                                   message)
    assert not units


TWO = "simulated-mi:n_subjects=2,n_sessions=1,n_trials_per_class=10"


@pytest.mark.parametrize("dataset, args, message", [
    (TINY, ["--protocol", "learning-curve", "--protocol-param", "sizes=(0.05, 1.0)"],
     "sizes: expected sizes giving at least min_per_class=3 training trials per class, got "
     "'0.05: 1 of the 8 in fold subject=1/session=0/fold="),
    (TINY, ["--protocol", "learning-curve", "--protocol-param", "sizes=(0, 1.0)"],
     "sizes: expected fractions in (0, 1] or positive integers, got 0"),
    (TINY, ["--protocol", "learning-curve", "--protocol-param", "sizes='abc'"],
     "sizes: expected a list of training sizes, got 'abc'"),
    (TINY, ["--protocol", "learning-curve", "--protocol-param", "unit='bogus'"],
     "unit: expected 'trials' or 'subjects', got 'bogus'"),
    (TINY, ["--protocol", "learning-curve", "--protocol-param", "min_per_class=0"],
     "min_per_class: expected a positive integer, got 0"),
    (TINY, ["--protocol", "learning-curve", "--protocol-param", "n_repeats=0"],
     "n_repeats: expected a positive integer, got 0"),
    (TINY, ["--protocol", "learning-curve-subjects"],
     "dataset: expected at least two subjects for a cross-subject protocol"),
    (TINY, ["--protocol", "calibration"], "expected at least two subjects"),
    (TWO, ["--protocol", "calibration", "--protocol-param", "ks=(-1,)"],
     "ks: expected non-negative calibration sizes"),
    (TWO, ["--protocol", "calibration", "--protocol-param", "ks=(50,)"],
     "target subject 1: expected more than max(ks)=50 trials per class"),
    (TWO, ["--protocol", "subject-kfold", "--protocol-param", "n_splits=50"],
     "n_splits: expected at most the number of subjects (2)"),
    (TINY, ["--protocol", "blocked", "--protocol-param", "n_splits=0"],
     "n_splits: expected an integer >= 2, got 0"),
    (TINY, ["--protocol", "chronological", "--protocol-param", "n_splits=0"],
     "n_splits: expected a positive integer, got 0"),
    (TINY, ["--protocol", "recording-kfold"], "by: expected a metadata column naming each "
                                              "trial's recording"),
    (TINY, ["--protocol", "leave-site-out"], "site: expected a metadata column"),
    (TINY, ["--protocol", "scaffold"], "metadata column 'scaffold': expected a column"),
    (TINY, ["--protocol", "time-split"], "metadata column 'date': expected a column"),
    (TINY, ["--protocol", "external"], "metadata column 'source': expected a column"),
    (TINY, ["--protocol", "dti-setting1"], "metadata column 'setting1': expected"),
    (TINY, ["--protocol", "cold-drug"], "metadata column 'drug_id': expected"),
])
def test_a_bad_protocol_value_is_one_line_before_any_work(monkeypatch, capsys, store, dataset,
                                                          args, message):
    units: list = []
    monkeypatch.setattr(importlib.import_module("neurocompare.runner.plan"), "run_unit",
                        units.append)
    assert_bad_run_keeps_the_store(monkeypatch, capsys, store,
                                   ["-d", dataset, "-p", "csp-lda", *args], message)
    assert not units


def test_every_registered_pipeline_passes_the_parameter_check_at_its_defaults():
    """No false alarm: the pre-fit check accepts every pipeline as registered and seeded."""
    for name, spec in PIPELINES.items():
        check_params(seeded(spec.build(check_info(name)), 42), name)


# -- the band-pass step switched off --------------------------------------------------------

@pytest.fixture(scope="module")
def subject():
    return SimulatedMotorImagery(n_subjects=1, n_sessions=1, n_trials_per_class=12,
                                 effects=(0.6,)).load_subject(1)


@pytest.mark.parametrize("name", ["csp-lda", "ts-lr", "ts-svm", "mdm", "fgmdm", "mvpa-lr"])
def test_passthrough_skips_the_band_pass_exactly(subject, name):
    """``<name>:bandpass='passthrough'`` computes what the pipeline without its band-pass
    step computes, and differs from the filtered default."""
    X, y = subject.X, subject.y
    skipped = make_pipeline(f"{name}:bandpass='passthrough'", subject.info).fit(X, y)
    unfiltered = clone(make_pipeline(name, subject.info))
    unfiltered.steps = [step for step in unfiltered.steps if step[0] != "bandpass"]
    unfiltered.fit(X, y)
    filtered = make_pipeline(name, subject.info).fit(X, y)
    np.testing.assert_allclose(skipped[:-1].transform(X), unfiltered[:-1].transform(X))
    np.testing.assert_array_equal(skipped.predict(X), unfiltered.predict(X))
    assert not np.allclose(skipped[:-1].transform(X), filtered[:-1].transform(X),
                       rtol=1e-3, atol=0)  # covariances of volts are ~1e-11


def test_passthrough_runs_through_the_runner_and_explanations(tmp_path):
    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 1, "n_sessions": 1,
                                                   "n_trials_per_class": 10})],
                       pipelines=["csp-lda", "csp-lda:bandpass='passthrough'"], out=tmp_path,
                       jobs=1, explain=["permutation"], explain_options={"n_repeats": 2})
    outcome = run_comparison(config)
    assert not outcome.errors and outcome.total("computed") == 10
    table = ResultStore(tmp_path).table()
    assert table.groupby("pipeline").size().to_dict() == {
        "csp-lda": 5, "csp-lda:bandpass='passthrough'": 5}


# -- a subject whose trials all have one label ----------------------------------------------

def _arrays(one_class_subject: int) -> tuple[str, dict]:
    rng = np.random.default_rng(0)
    n = 20
    y = np.tile(["left", "right"], 2 * n // 2)
    y[(one_class_subject - 1) * n:one_class_subject * n] = "left"
    return ("arrays", {"X": rng.standard_normal((2 * n, 4, 128)), "y": y, "sfreq": 128.0,
                       "metadata": pd.DataFrame({"subject": np.repeat([1, 2], n)})})


def test_a_one_class_subject_fails_its_unit_with_one_message(tmp_path):
    """Subject 2's trials are all 'left': its unit fails once, naming it (not an IndexError
    per fold); subject 1's results are stored."""
    config = RunConfig(datasets=[_arrays(2)], pipelines=["csp-lda", "ts-lr"], out=tmp_path,
                       jobs=1)
    outcome = run_comparison(config)
    assert outcome.errors == [
        "arrays subject 2: InputError: subject 2: expected trials of at least two classes, "
        "got 'only class 0 (20 of them)'. A subject or session whose trials all have "
        "one label cannot be split within itself: leave it out (--subject) or use a protocol "
        "across subjects (cross-subject, subject-kfold)."]
    table = ResultStore(tmp_path).table()
    assert len(table) == 10 and set(table["subject"].astype(str)) == {"1"}


def test_a_one_class_first_subject_is_an_error_before_any_work(tmp_path):
    with pytest.raises(InputError, match="subject 1: expected trials of at least two "
                                         "classes"):
        plan(RunConfig(datasets=[_arrays(1)], pipelines=["csp-lda"], out=tmp_path, jobs=1))
    assert not ResultStore(tmp_path).keys()


def test_one_class_is_checked_for_labels_not_real_valued_targets():
    meta = pd.DataFrame({"subject": 1, "session": "0", "run": "0"}, index=range(10))
    with pytest.raises(InputError, match="subject 1 session 0: expected class labels"):
        list(WithinSession(n_splits=2).folds(meta, np.linspace(0.0, 1.0, 10)))
    with pytest.raises(InputError, match="subject 1: expected trials of at least two"):
        list(LearningCurve(WithinSession(n_splits=2)).folds(meta, np.zeros(10, int)))


# -- learning-curve sizes -------------------------------------------------------------------

def test_a_too_small_learning_curve_size_names_the_smallest_allowed_fraction():
    meta = pd.DataFrame({"subject": 1, "session": "0", "run": "0"}, index=range(40))
    y = np.repeat([0, 1], 20)  # 16 training trials per class in each of 5 folds
    curve = LearningCurve(WithinSession(), sizes=(0.1, 1.0), n_repeats=1)
    with pytest.raises(InputError) as error:
        next(curve.folds(meta, y))  # raised before the first fold
    assert "got '0.1: 2 of the 16 in fold subject=1/session=0/fold=" in str(error.value)
    assert "The smallest fraction these data allow is 0.19." in str(error.value)
    assert MIN_TRAIN_PER_CLASS == 3
    smallest = LearningCurve(WithinSession(), sizes=(0.19,), n_repeats=1).folds(meta, y)
    assert all(np.bincount(y[f.train]).min() >= 3 for f in smallest)
    lowered = LearningCurve(WithinSession(), sizes=(0.1,), n_repeats=1, min_per_class=2)
    assert [np.bincount(y[f.train]).tolist() for f in lowered.folds(meta, y)] == [[2, 2]] * 5


def test_full_size_is_class_balanced_as_the_readme_says():
    """1.0 takes the smallest class's count from every class: the whole fold only when its
    classes are balanced (README and protocol description say so)."""
    meta = pd.DataFrame({"subject": 1, "session": "0", "run": "0"}, index=range(60))
    y = np.repeat([0, 1], [40, 20])
    for fold in LearningCurve(WithinSession(), sizes=(1.0,), n_repeats=1).folds(meta, y):
        assert np.bincount(y[fold.train]).tolist() == [16, 16]
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "100 % is the whole training fold when its classes are balanced" in readme
