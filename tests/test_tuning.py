"""Nested Optuna tuning: reproducible with a seed, inside the training fold, budget recorded."""

import numpy as np

from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.pipelines.common.tuning import C_SPACE, DEEP_SPACE, OptunaSearch
from neurocompare.pipelines.registry import PIPELINES, make_pipeline, search_space_for
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan


def _data():
    return SimulatedMotorImagery(n_subjects=1, n_trials_per_class=20).load_subject(1)


def test_search_spaces_are_declared_by_the_pipelines():
    assert search_space_for("ts-lr") == C_SPACE == {"C": ("log", 1e-3, 1e2)}
    assert search_space_for("shallow-convnet:net__max_epochs=3") == DEEP_SPACE
    assert search_space_for("mdm") == {} and search_space_for("no-such-pipeline") == {}
    space = search_space_for("bandpower-rf")
    space["extra"] = [1]  # a copy: the registered space stays as declared
    assert PIPELINES["bandpower-rf"].search_space == {"n_estimators": ("int", 50, 400),
                                                      "max_depth": ("int", 2, 16)}
    tuned = {name for name, spec in PIPELINES.items() if spec.search_space}
    assert {"bandpower-lda", "csp-lda", "ts-lr-ea", "eegnet", "bilstm"} <= tuned
    assert not tuned & {"mdm", "ssvep-cca", "snn-conv", "shallow-convnet-ft"}


def test_study_is_reproducible_with_a_seed():
    data = _data()
    runs = []
    for _ in range(2):
        search = OptunaSearch(make_pipeline("bandpower-lr", data.info),
                              search_space_for("bandpower-lr"), n_trials=6, random_state=3)
        search.fit(data.X, data.y)
        runs.append((search.best_params_, search.best_score_, search.predict_proba(data.X)))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    np.testing.assert_allclose(runs[0][2], runs[1][2])
    other = OptunaSearch(make_pipeline("bandpower-lr", data.info),
                         search_space_for("bandpower-lr"), n_trials=6, random_state=4)
    assert other.fit(data.X, data.y).best_params_ != runs[0][0]
    assert "lr__C" in runs[0][0] and search.n_trials_done_ == 6 and search.tuning_cpu_s_ > 0


def test_cpu_budget_stops_the_study():
    data = _data()
    search = OptunaSearch(make_pipeline("bandpower-lr", data.info),
                          search_space_for("bandpower-lr"), n_trials=500, cpu_budget_s=0.5)
    search.fit(data.X, data.y)
    assert 1 <= search.n_trials_done_ < 500


def test_pipeline_without_search_space_fits_once():
    data = _data()
    search = OptunaSearch(make_pipeline("mdm", data.info), search_space_for("mdm"),
                          n_trials=5).fit(data.X, data.y)
    assert search.n_trials_done_ == 0 and search.best_params_ == {}
    assert search.score(data.X, data.y) > 0.5


def test_tuned_run_records_the_budget(tmp_path):
    config = RunConfig(datasets=[("simulated-mi", {"n_subjects": 1, "n_trials_per_class": 10})],
                       pipelines=["bandpower-lr"], out=tmp_path, tune=3, jobs=1)
    execute(plan(config))
    table = ResultStore(tmp_path).table()
    assert set(table["pipeline"]) == {"bandpower-lr (optuna 3)"}
    assert (table["tuning_trials"] == 3).all() and (table["tuning_cpu_s"] > 0).all()


def test_epoch_hook_stops_training():
    data = _data()
    est = make_pipeline("shallow-convnet:net__max_epochs=6,net__valid_size=0.2", data.info)
    net = est.steps[-1][1]
    net._epoch_callback = lambda epoch, record: epoch >= 2
    est.fit(data.X, data.y)
    assert net.n_epochs_ == 2 and "valid_accuracy" in net.history_[-1]


def test_deep_study_prunes_with_epochs_as_the_resource():
    data = _data()
    est = make_pipeline("shallow-convnet:net__max_epochs=9,net__patience=100", data.info)
    search = OptunaSearch(est, search_space_for("shallow-convnet"), n_trials=8,
                          random_state=0).fit(data.X, data.y)
    assert search.n_trials_done_ == 8 and set(search.best_params_) >= {"net__lr"}
    assert all(1 <= e <= 9 for e in search.trial_epochs_)
    # Hyperband stopped some trials before the full 9 epochs (the hook ends training)
    assert search.n_pruned_ >= 1 and min(search.trial_epochs_) < 9
    # the recipe trains on the whole fold (valid_size=0): trials were scored on a held-out
    # split of it, the refit keeps the recipe
    assert 0 < search.best_score_ <= 1
    refit = search.best_estimator_.steps[-1][1]
    assert refit.n_epochs_ == 9 and refit.valid_size == 0 and len(refit.valid_indices_) == 0
