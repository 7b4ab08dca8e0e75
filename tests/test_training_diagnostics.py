"""Training diagnostics: every deep row says how the network trained and whether it learned."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocompare.data.containers import SignalInfo
from neurocompare.evaluation.training import learned_test, trained_network, training_columns
from neurocompare.pipelines.common.tuning import OptunaSearch
from neurocompare.pipelines.deep.estimator import DeepClassifier
from neurocompare.pipelines.registry import make_pipeline, search_space_for
from neurocompare.records.store import ResultStore
from neurocompare.report.build import build_report
from neurocompare.runner import RunConfig, execute, plan

INFO = SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=100.0)


@pytest.fixture(scope="module")
def separable():
    """80 trials (4 channels, 100 samples): class 1 carries a 10 Hz rhythm on channel 0."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 40)
    t = np.arange(100) / 100.0
    X = rng.standard_normal((80, 4, 100))
    X[:, 0] += 3 * y[:, None] * np.sin(2 * np.pi * 10 * t + rng.uniform(0, 6, (80, 1)))
    return X, y


def _shallow(**params) -> DeepClassifier:
    return DeepClassifier("shallow", sfreq=100.0, batch_size=16, n_threads=1, random_state=0,
                          **params)


def test_binomial_learned_test_against_known_values():
    assert learned_test(0.5, 100, 0.5) == pytest.approx(0.5397946186935895)
    assert learned_test(0.9, 100, 0.5) < 1e-15
    assert np.isnan(learned_test(0.9, 0, 0.5)) and np.isnan(learned_test(0.9, 10, 1.0))


def test_a_network_that_learned_is_flagged_learned(separable):
    X, y = separable
    net = _shallow(max_epochs=30, lr=1e-2, patience=30).fit(X, y)
    cols = training_columns(net)
    assert cols["learned"] and cols["train_accuracy"] >= 0.9 and cols["learned_p"] < 1e-6
    assert cols["train_n"] == 64 and cols["train_chance"] == 0.5  # 20 % held out, stratified
    curve = json.loads(cols["training_curve"])
    assert len(curve) == cols["train_epochs"] == net.n_epochs_
    assert {"train_loss", "train_accuracy", "valid_loss", "valid_accuracy"} <= set(curve[0])
    assert cols["train_stop_reason"] in ("max_epochs", "early_stopping")
    assert 1 <= cols["train_best_epoch"] <= cols["train_epochs"]


def test_an_untrained_network_is_flagged_did_not_learn(separable):
    X, y = separable
    net = _shallow(max_epochs=2, lr=1e-9, lr_schedule="constant").fit(X, y)
    cols = training_columns(net)
    assert not cols["learned"] and cols["learned_p"] > 0.05
    assert cols["train_stop_reason"] == "max_epochs" and cols["train_epochs"] == 2


def test_early_stopping_is_reported_as_the_stop_reason(separable):
    X, y = separable
    net = _shallow(max_epochs=200, lr=1e-9, patience=2, lr_schedule="constant").fit(X, y)
    assert net.stop_reason_ == "early_stopping" and net.n_epochs_ < 200


def test_network_is_found_inside_pipelines_and_searches(separable):
    X, y = separable
    pipe = make_pipeline("shallow-convnet:net__max_epochs=2,net__n_threads=1", INFO)
    assert trained_network(pipe.fit(X, y)) is pipe.named_steps["net"]
    search = OptunaSearch(make_pipeline("shallow-convnet:net__max_epochs=2", INFO),
                          search_space_for("shallow-convnet"), n_trials=2,
                          random_state=0).fit(X, y)
    assert trained_network(search) is search.best_estimator_.named_steps["net"]
    assert training_columns(make_pipeline("bandpower-lda", INFO).fit(X, y)) == {}


UNTRAINED = "shallow-convnet:net__max_epochs=2,net__lr=1e-9,net__lr_schedule='constant'"


def test_deep_rows_carry_the_diagnostics_and_the_report_flags_a_network_that_did_not_learn(
        tmp_path):
    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 1, "n_sessions": 1,
                                                   "n_trials_per_class": 20})],
                       pipelines=["bandpower-lda", UNTRAINED], out=tmp_path, jobs=1)
    execute(plan(config))
    table = ResultStore(tmp_path).table().set_index("pipeline")
    deep = table.loc[UNTRAINED]
    assert deep["train_epochs"].eq(2).all() and not deep["learned"].any()
    assert all(len(json.loads(c)) == 2 for c in deep["training_curve"])
    assert table.loc["bandpower-lda", "train_epochs"].isna().all()
    html = build_report(tmp_path).read_text()
    assert 'id="training"' in html and "did not learn" in html
    assert f"Warning: {UNTRAINED} did not learn" in html.replace("&#39;", "'")
    assert (tmp_path / "report" / "figures" / "simulated-mi_training_curves.png").is_file()


def test_sanity_check_passes_a_working_network_and_fails_a_dead_learning_rate():
    from neurocompare.runner import sanity_check

    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 1, "n_sessions": 1,
                                                   "n_trials_per_class": 20})],
                       pipelines=["bandpower-lda", "shallow-convnet:net__max_epochs=40",
                                  UNTRAINED])
    results = {r.pipeline: r for r in sanity_check(config, n_trials=20)}
    assert set(results) == {"shallow-convnet:net__max_epochs=40", UNTRAINED}  # deep only
    working, dead = results["shallow-convnet:net__max_epochs=40"], results[UNTRAINED]
    assert working.passed and working.epochs == 40 and working.n_trials == 20
    assert not dead.passed and dead.train_accuracy < 0.95 and dead.epochs == 2
