"""Learning curves, calibration budgets, transfer pipelines and the crossover estimate."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from pyriemann.geometry.mean import mean_riemann
from pyriemann.tangentspace import TangentSpace
from sklearn import config_context
from sklearn.base import BaseEstimator, ClassifierMixin

from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.evaluation.fold import evaluate_fold
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.pipelines.transfer.alignment import (
    DomainPipeline,
    EuclideanAlign,
    RiemannRecenter,
)
from neurocompare.pipelines.transfer.ptc import PairedTrialClassifier
from neurocompare.protocols.registry import make_splitter
from neurocompare.stats.learning import crossover, curve_table, fit_power_law, power_law


@pytest.fixture(scope="module")
def sim3():
    return SimulatedMotorImagery(n_subjects=3, n_trials_per_class=20,
                                 effects=(0.6, 0.5, 0.4)).load()


def test_learning_curve_never_trains_on_test_trials(sim3):
    base = {f.id: f for f in make_splitter("within-session").folds(sim3.metadata, sim3.y)}
    # 16 training trials per class: 10 % is 2 per class, allowed here
    folds = list(make_splitter("learning-curve", min_per_class=2).folds(sim3.metadata, sim3.y))
    assert len(folds) == len(base) * 5 * 3
    by_repeat: dict[tuple, list] = {}
    for fold in folds:
        parent = base[fold.extra["base_fold"]]
        assert not set(fold.train) & set(fold.test)
        assert set(fold.train) <= set(parent.train)
        np.testing.assert_array_equal(fold.test, parent.test)  # same test fold at every size
        assert fold.extra["train_size"] == len(fold.train)
        by_repeat.setdefault((parent.id, fold.extra["repeat"]), []).append(fold)
    for group in by_repeat.values():  # nested: each size contains the smaller ones
        trains = [set(f.train) for f in sorted(group, key=lambda f: f.extra["size"])]
        assert all(a <= b for a, b in itertools.pairwise(trains))
        counts = [np.bincount(sim3.y[f.train]).tolist() for f in group]
        assert all(c[0] == c[1] for c in counts)  # class-stratified


def test_learning_curve_over_subjects(sim3):
    for fold in make_splitter("learning-curve-subjects").folds(sim3.metadata, sim3.y):
        train_subjects = set(sim3.metadata.subject[fold.train])
        assert fold.subject not in {str(s) for s in train_subjects}
        assert len(train_subjects) == fold.extra["train_size"]


def test_learning_curve_kfold_on_a_real_valued_target(rng):
    n = 60
    meta = pd.DataFrame({"subject": [f"s{i}" for i in range(n)], "session": "0", "run": "0"})
    y = rng.normal(40.0, 10.0, n)  # e.g. ages: sizes count training samples
    folds = list(make_splitter("learning-curve-kfold", seed=3).folds(meta, y))
    assert len(folds) == 5 * 4 * 2  # base folds x sizes x repeats
    tests = {}
    for fold in folds:
        assert not set(fold.train) & set(fold.test)
        tests.setdefault(fold.extra["base_fold"], set()).update(fold.test)
        assert fold.extra["train_size"] == len(fold.train)
    full = [f for f in folds if f.extra["size"] == 1.0]
    assert all(len(f.train) == n - len(f.test) for f in full)  # the whole training fold
    small = [f for f in folds if f.extra["size"] == 0.1]
    assert all(len(f.train) == round(0.1 * (n - len(f.test))) for f in small)
    assert set().union(*tests.values()) == set(range(n))  # every subject tested once


def test_calibration_never_shows_target_test_trials(sim3):
    folds = list(make_splitter("calibration", ks=(0, 2, 5)).folds(sim3.metadata, sim3.y))
    assert len(folds) == 3 * 2 * 3
    tests: dict[tuple, np.ndarray] = {}
    for fold in folds:
        target = fold.extra["target"]
        subjects = sim3.metadata.subject.astype(str).to_numpy()
        assert not set(fold.train) & set(fold.test)
        assert (subjects[fold.test] == target).all()
        calibration = fold.train[subjects[fold.train] == target]
        assert np.bincount(sim3.y[calibration], minlength=2).tolist() == [fold.extra["k"]] * 2
        key = (target, fold.extra["repeat"])
        tests.setdefault(key, fold.test)
        np.testing.assert_array_equal(tests[key], fold.test)  # same test set for every k


class _Spy(ClassifierMixin, BaseEstimator):
    """Records the trials, labels and domains it is trained on."""

    __metadata_request__fit = {"domains": True}  # noqa: RUF012

    def __init__(self, target_domain=None):
        self.target_domain = target_domain

    def fit(self, X, y, domains=None):
        self.seen_ = np.asarray(X).reshape(len(X), -1)[:, :3].copy()
        self.labels_, self.domains_ = np.asarray(y), np.asarray(domains)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def test_calibration_fit_sees_only_training_rows_with_domains(sim3):
    fold = next(f for f in make_splitter("calibration", ks=(2,)).folds(sim3.metadata, sim3.y))
    spy = _Spy()
    evaluate_fold({"spy": spy}, sim3, fold)
    test_rows = {tuple(r) for r in sim3.X[fold.test].reshape(len(fold.test), -1)[:, :3]}
    assert not test_rows & {tuple(r) for r in spy.seen_}
    assert spy.target_domain == fold.extra["target"]
    assert (spy.domains_ == fold.extra["target"]).sum() == 4
    np.testing.assert_array_equal(spy.labels_, sim3.y[fold.train])


def test_recentering_and_alignment(rng):
    covs = []
    for scale in (1.0, 4.0):
        A = rng.standard_normal((4, 4)) * scale
        X = np.einsum("cd,ndt->nct", A, rng.standard_normal((30, 4, 200)))
        covs.append(X)
    X = np.concatenate(covs)
    domains = np.repeat(["a", "b"], 30)
    aligned = EuclideanAlign(target_domain="b").fit_transform(X, None, domains)
    for d in ("a", "b"):
        mean_cov = np.einsum("nct,ndt->cd", aligned[domains == d], aligned[domains == d]) \
            / (30 * 200)
        np.testing.assert_allclose(mean_cov, np.eye(4), atol=1e-8)
    C = np.einsum("nct,ndt->ncd", X, X) / 200
    rct = RiemannRecenter(target_domain="b").fit(C, None, domains)
    np.testing.assert_allclose(mean_riemann(rct.transform(C[domains == "b"])), np.eye(4),
                               atol=1e-6)
    unseen = RiemannRecenter(target_domain="z").fit(C, None, domains)
    assert unseen.references_ == {}  # k = 0: no target, so no per-domain mapping


def test_domain_pipelines_run_under_calibration(sim3):
    fold = next(f for f in make_splitter("calibration", ks=(5,)).folds(sim3.metadata, sim3.y))
    pipelines = {name: make_pipeline(name, sim3.info) for name in
                 ("ts-lr-rct", "ts-lr-ea", "csp-lda-ea", "ts-lr-target",
                  "shallow-convnet-ft:net__max_epochs=3,net__finetune_epochs=2")}
    results = evaluate_fold(pipelines, sim3, fold)
    for name, out in results.items():
        assert 0 <= out["accuracy"] <= 1 and out["k"] == 5.0, name
    assert isinstance(pipelines["ts-lr-rct"], DomainPipeline)
    net = pipelines["shallow-convnet-ft:net__max_epochs=3,net__finetune_epochs=2"][-1]
    assert net.n_finetune_trials_ == 10


def test_finetune_last_layer_only(sim3):
    pipe = make_pipeline("shallow-convnet-ft:net__max_epochs=2,net__finetune=last,"
                         "net__finetune_epochs=3", sim3.info)
    domains = sim3.metadata.subject.astype(str).to_numpy()
    pipe.set_params(net__target_domain="3")
    net = pipe[-1]
    with config_context(enable_metadata_routing=True):
        pipe.fit(sim3.X, sim3.y, domains=domains)
    before = {k: v.clone() for k, v in net.module_.state_dict().items()}
    net._finetune(sim3.X[domains == "3"][:10], sim3.y[domains == "3"][:10])
    changed = [k for k, v in net.module_.state_dict().items()
               if v.dtype.is_floating_point and not np.allclose(v, before[k])]
    assert changed and all("final" in k or "classifier" in k for k in changed), changed


def test_paired_trial_classification_learns(rng):
    X = np.vstack([rng.normal(0, 1, (20, 4)), rng.normal(1.5, 1, (20, 4))])
    y = np.repeat([0, 1], 20)
    model = PairedTrialClassifier().fit(X, y)
    assert model.n_pairs_ == 40 * 39 // 2
    X_test = np.vstack([rng.normal(0, 1, (30, 4)), rng.normal(1.5, 1, (30, 4))])
    assert model.score(X_test, np.repeat([0, 1], 30)) > 0.8
    np.testing.assert_allclose(model.predict_proba(X_test).sum(axis=1), 1.0)


def _fake_curves(rng, deep, trad, sizes=(10, 20, 40, 80, 160, 320), n_subjects=8):
    rows = []
    for s in range(n_subjects):
        for n in sizes:
            for name, family, params in (("deep", "deep", deep), ("trad", "traditional", trad)):
                rows.append({"dataset": "d", "pipeline": name, "family": family,
                             "subject": str(s), "train_size": float(n), "permutation": 0,
                             "accuracy": power_law(n, *params) + rng.normal(0, 0.01)})
    return pd.DataFrame(rows)


def test_power_law_fit_and_crossover_recovery(rng):
    n = np.array([10, 20, 40, 80, 160, 320.0])
    a, b, c = fit_power_law(n, power_law(n, 0.9, 2.0, 0.5))
    assert np.allclose((a, b, c), (0.9, 2.0, 0.5), atol=1e-3)
    # deep 0.9 - 2/sqrt(n) meets traditional 0.75 - 0.5/sqrt(n) at n = 100
    table = _fake_curves(rng, (0.9, 2.0, 0.5), (0.75, 0.5, 0.5))
    result = crossover(table, "d", "deep", "trad", n_boot=100)
    assert 75 < result.estimate < 130 and result.ci_low < 100 < result.ci_high
    assert "overtakes" in result.statement
    never = crossover(_fake_curves(rng, (0.7, 0.5, 0.5), (0.8, 0.5, 0.5)), "d", "deep", "trad",
                      n_boot=50)
    assert np.isnan(never.estimate) and "no crossover" in never.statement
    curves = curve_table(table)
    assert set(curves.columns) >= {"mean", "low", "high", "n_subjects"}
    assert (curves["low"] <= curves["mean"]).all()


def test_crossover_of_an_error_metric(rng):
    """MAE curves: deep 1 + 20/sqrt(n) errs no more than traditional 2 + 5/sqrt(n) from
    n = 225 on; the crossover is found on the error scale, lower being better."""
    sizes = (10, 20, 40, 80, 160, 320, 640, 1280)
    rows = _fake_curves(rng, (-1.0, 20.0, 0.5), (-2.0, 5.0, 0.5), sizes=sizes)
    table = rows.assign(mae=-rows["accuracy"], accuracy=np.nan, n_classes=0)
    result = crossover(table, "d", "deep", "trad", n_boot=100)
    assert 200 < result.estimate < 260 and result.ci_low <= result.estimate <= result.ci_high
    assert "overtakes" in result.statement
    curves = curve_table(table)
    assert set(curves["metric"]) == {"mae"}
    first = curves[curves["train_size"] == 10].set_index("pipeline")["mean"]
    assert first["deep"] > first["trad"]  # the deep network errs more on few samples


def test_domain_pipeline_maps_each_training_domain_with_its_own_reference(rng):
    from sklearn.linear_model import LogisticRegression

    covs, labels = [], []
    for scale in (1.0, 3.0):  # two subjects with different scales
        for label in (0, 1):
            A = np.diag([1.0 + label, 1.0, 1.0]) * scale
            X = np.einsum("cd,ndt->nct", A, rng.standard_normal((20, 3, 100)))
            covs.append(np.einsum("nct,ndt->ncd", X, X) / 100)
            labels += [label] * 20
    C, y = np.concatenate(covs), np.array(labels)
    domains = np.repeat(["a", "b"], 40)
    pipe = DomainPipeline([("recenter", RiemannRecenter(target_domain="b")),
                           ("ts", TangentSpace()), ("lr", LogisticRegression())])
    with config_context(enable_metadata_routing=True):
        pipe.fit(C, y, domains=domains)
    # the reference: each domain re-centred by its own mean, then tangent space + LR
    mapped = RiemannRecenter(target_domain="b").fit_transform(C, None, domains)
    ts = TangentSpace().fit(mapped)
    manual = LogisticRegression().fit(ts.transform(mapped), y)
    np.testing.assert_allclose(pipe.named_steps["lr"].coef_, manual.coef_, atol=1e-8)
