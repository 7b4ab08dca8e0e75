"""Clinical/structural tables: loaders, grouped protocols, in-fold imputation/resampling."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline as ImbPipeline

from neurocompare._errors import InputError
from neurocompare.config import data_root
from neurocompare.data.base import WHOLE_DATASET
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.data.oasis import OASISCrossSectional, OASISLongitudinal
from neurocompare.data.tabular import TabularFile, encode_features
from neurocompare.evaluation.fold import evaluate_fold
from neurocompare.pipelines import registry
from neurocompare.pipelines.tabular.catalogue import TABULAR_SPECS
from neurocompare.protocols.groups import SubjectKFold
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan
from neurocompare.stats.compare import headline

SPECS = {spec.name: spec for spec in TABULAR_SPECS}
INFO = SignalInfo(kind="tabular", class_names=("healthy", "ill"))


def visits_table(n_subjects: int = 40, seed: int = 0) -> pd.DataFrame:
    """2-4 visits per subject; illness raises ``marker``; some values missing."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        ill = s % 3 == 0
        for visit in range(int(rng.integers(2, 5))):
            rows.append({"sid": f"sub{s:02d}", "visit": visit, "sex": rng.choice(["F", "M"]),
                         "marker": rng.normal(1.5 if ill else 0.0),
                         "noise": rng.normal(), "grade": rng.choice(["a", "b", "c"]),
                         "dx": "ill" if ill else "healthy"})
    table = pd.DataFrame(rows)
    table.loc[rng.random(len(table)) < 0.1, "noise"] = np.nan
    return table


def test_tabular_file_reads_csv_and_parquet_keeping_nan(tmp_path):
    table = visits_table()
    table.loc[3, "dx"] = None  # unlabelled row: dropped
    for name in ("t.csv", "t.parquet"):
        path = tmp_path / name
        table.to_csv(path, index=False) if name.endswith(".csv") else table.to_parquet(path)
        dataset = TabularFile(path=path, target="dx", subject="sid", session="visit")
        assert dataset.subjects() == [WHOLE_DATASET]
        data = dataset.load_subject(WHOLE_DATASET)
        assert len(data) == len(table) - 1 and data.info.kind == "tabular"
        assert data.info.ch_names == ("sex", "marker", "noise", "grade=a", "grade=b",
                                      "grade=c")
        assert np.isnan(data.X).any()  # imputation happens in the fold, not here
        assert data.metadata["subject"].nunique() == 40
        assert data.info.class_names == ("healthy", "ill")
    with pytest.raises(InputError, match="columns"):
        TabularFile(path=tmp_path / "t.csv", target="diagnosis").load()
    with pytest.raises(InputError, match="features"):
        TabularFile(path=tmp_path / "t.csv", target="dx", features=("dx",)).load()


def test_encode_features_uses_the_schema_only():
    frame = pd.DataFrame({"sex": ["M", "F", None], "n": [1, None, 3],
                          "site": ["x", "y", "z"]})
    X, names = encode_features(frame, ["sex", "n", "site"])
    assert names == ("sex", "n", "site=x", "site=y", "site=z")
    np.testing.assert_array_equal(X[:, 0], [1, 0, np.nan])
    np.testing.assert_array_equal(X[:, 2:], np.eye(3))


def test_repeated_visits_never_straddle_folds():
    table = visits_table()
    data = TabularFile(path=None, target="dx")  # only for the class; data built below
    assert data.loading_unit == "dataset"
    metadata = pd.DataFrame({"subject": table["sid"], "session": table["visit"].astype(str),
                             "run": "0"})
    y = (table["dx"] == "ill").to_numpy().astype(int)
    folds = list(make_splitter("subject-kfold", n_splits=5).folds(metadata, y))
    assert sorted(np.concatenate([f.test for f in folds])) == list(range(len(table)))
    for fold in folds:
        assert not set(metadata["subject"].iloc[fold.train]) & \
            set(metadata["subject"].iloc[fold.test])
        assert 0.2 < y[fold.test].mean() < 0.5  # stratified by class


def test_imputation_and_resampling_stay_inside_the_training_fold():
    table = visits_table(seed=1)
    X, _ = encode_features(table, ["sex", "marker", "noise"])
    y = (table["dx"] == "ill").to_numpy().astype(int)
    metadata = pd.DataFrame({"subject": table["sid"], "session": "0", "run": "0"})
    data = NeuralData(X, y, metadata, INFO)
    fold = next(SubjectKFold(4).folds(metadata, y))
    results = evaluate_fold({name: SPECS[name].build(INFO) for name in
                             ("tab-lr", "tab-lr-smote", "tab-rf-ros")}, data, fold)
    fitted = results["tab-lr"]["estimator"]
    np.testing.assert_allclose(fitted.named_steps["impute"].statistics_,
                               np.nanmedian(X[fold.train], axis=0))
    for name in ("tab-lr-smote", "tab-rf-ros"):
        last = results[name]["estimator"].steps[-1][1]
        assert isinstance(last, ImbPipeline)  # the sampler only runs inside fit
        assert len(results[name]["y_pred"]) == len(fold.test)
        assert results[name]["accuracy"] > 0.6
    # each sampler was fitted on the training fold: it adds exactly the minority rows needed
    counts = np.bincount(y[fold.train])
    for name, step in (("tab-lr-smote", "smote"), ("tab-rf-ros", "ros")):
        sampler = results[name]["estimator"].steps[-1][1].named_steps[step]
        assert dict(sampler.sampling_strategy_) == {int(np.argmin(counts)): int(
            counts.max() - counts.min())}


@pytest.fixture(scope="module")
def oasis_root():
    root = data_root() / "oasis_mri_tabular"
    if not (root / "oasis_longitudinal.csv").is_file():
        message = f"OASIS tables not found under {root}"
        if os.environ.get("NEUROCOMPARE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return root


def test_oasis_loaders(oasis_root):
    cross = OASISCrossSectional().load_subject(WHOLE_DATASET)
    assert len(cross) == 235 and cross.y.sum() == 100 and cross.metadata["subject"].is_unique
    assert "MMSE" not in cross.info.ch_names and "nWBV" in cross.info.ch_names
    assert "MMSE" in OASISCrossSectional(include_mmse=True).load().info.ch_names
    longitudinal = OASISLongitudinal().load_subject(WHOLE_DATASET)
    assert len(longitudinal) == 373 and longitudinal.metadata["subject"].nunique() == 150
    assert np.isnan(longitudinal.X).sum() == 19  # SES, imputed in the fold
    first = OASISLongitudinal(visits="first").load()
    assert len(first) == 150 and first.metadata["subject"].is_unique
    folds = list(make_splitter("subject-kfold").folds(longitudinal.metadata, longitudinal.y))
    for fold in folds:
        assert not set(longitudinal.metadata["subject"].iloc[fold.train]) & \
            set(longitudinal.metadata["subject"].iloc[fold.test])


def test_runner_end_to_end_on_oasis(oasis_root, tmp_path, monkeypatch):
    assert {spec.name for spec in TABULAR_SPECS} <= set(registry.PIPELINES)
    # one torch thread: the runner gives a single job every core, and two threads on a busy
    # 2-core machine make small networks ~10x slower
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    config = RunConfig(datasets=[("oasis-longitudinal", {})],
                       pipelines=["tab-lr", "tab-mlp:net__max_epochs=60"],
                       protocol="subject-kfold", protocol_params={"n_splits": 5},
                       out=tmp_path, jobs=1, seed=0)
    reports = execute(plan(config), jobs=1)
    assert not [e for r in reports for e in r.errors]
    table = ResultStore(tmp_path).table()
    assert len(table) == 10 and set(table["family"]) == {"traditional", "deep"}
    assert table.groupby("pipeline")["accuracy"].mean().min() > 0.6  # majority 0.55
    assert (table["n_train"] + table["n_test"] == 373).all()
    row = headline(table).iloc[0]
    assert row["unit"].startswith("folds") and row["n"] == 5


def test_oasis_regression_targets(oasis_root):
    mmse = OASISCrossSectional(target="mmse").load()
    assert mmse.info.task == "regression" and mmse.info.n_classes == 0
    assert "MMSE" not in mmse.info.ch_names and mmse.y.min() >= 0 and mmse.y.max() <= 30
    age = OASISCrossSectional(target="age").load()
    assert len(age) == 436 and "Age" not in age.info.ch_names  # unrated sessions kept
    assert OASISCrossSectional(target="dementia").fingerprint() == \
        OASISCrossSectional().fingerprint()  # the default keeps stored keys
    with pytest.raises(InputError, match="include_mmse"):
        OASISCrossSectional(target="mmse", include_mmse=True).load()
    with pytest.raises(InputError, match="target"):
        OASISCrossSectional(target="cdr").load()


def test_tabular_regression_recovers_a_planted_linear_target():
    from sklearn.base import is_regressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 6))
    X[rng.random(X.shape) < 0.05] = np.nan  # imputed inside the fold
    y = 2.0 * np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, 1]) + rng.normal(0, 0.3, 240)
    info = SignalInfo(kind="tabular", task="regression", ch_names=tuple("abcdef"))
    metadata = pd.DataFrame({"subject": [f"s{i}" for i in range(240)], "session": "0",
                             "run": "0"})
    data = NeuralData(X, y, metadata, info)
    fold = next(iter(SubjectKFold(n_splits=4, random_state=0).folds(metadata, y)))
    names = [s.name for s in TABULAR_SPECS if "regression" in s.tasks]
    assert set(names) == {"tab-lr", "tab-rf", "tab-xgb", "tab-lgbm", "tab-mlp"}
    pipelines = {n: registry.make_pipeline(n, info) for n in names}
    assert all(is_regressor(p) for p in pipelines.values())
    results = evaluate_fold(pipelines, data, fold)
    assert results["tab-lr"]["r2"] > 0.9  # the planted effect is linear
    assert all(results[n]["spearman"] > 0.8 for n in names)
    assert all(np.isnan(results[n]["accuracy"]) for n in names)


def test_subject_kfold_stratifies_a_regression_target_by_quintiles():
    y = np.linspace(0, 1, 100)
    metadata = pd.DataFrame({"subject": [f"s{i}" for i in range(100)], "session": "0",
                             "run": "0"})
    for fold in SubjectKFold(n_splits=5, random_state=0).folds(metadata, y):
        # every test fold spans the range: 4 rows from each quintile
        assert np.histogram(y[fold.test], bins=5, range=(0, 1))[0].tolist() == [4] * 5


def test_same_dataset_with_two_parameter_sets_keeps_its_rows_apart(tmp_path, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    path = tmp_path / "table.csv"
    visits_table(n_subjects=30).to_csv(path, index=False)
    base = {"path": str(path), "target": "dx", "subject": "sid"}
    config = RunConfig(datasets=[("tabular", base),
                                 ("tabular", base | {"features": ["noise"]})],
                       pipelines=["tab-lr"], protocol="subject-kfold",
                       protocol_params={"n_splits": 3}, out=tmp_path / "out", jobs=1, seed=0)
    execute(plan(config), jobs=1)
    labels = set(ResultStore(tmp_path / "out").table()["dataset"])
    assert len(labels) == 2 and all(label.startswith("tabular:") for label in labels)
