"""ROI time series and connectomes: loaders, subject/site protocols, connectome pipelines."""

from __future__ import annotations

import os
import pickle

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from nilearn.connectome import ConnectivityMeasure
from nilearn.connectome.connectivity_matrices import _geometric_mean
from sklearn.model_selection import StratifiedKFold

from neurocompare._errors import InputError
from neurocompare.config import data_root
from neurocompare.data.abide import ABIDECC200
from neurocompare.data.base import WHOLE_DATASET
from neurocompare.data.connectome import NiftiAtlas, TimeseriesFiles, read_roi_timeseries
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.evaluation.fold import evaluate_fold
from neurocompare.pipelines.connectome._input import Float32Series, as_timeseries
from neurocompare.pipelines.connectome.catalogue import CONNECTOME_SPECS
from neurocompare.pipelines.connectome.features import (
    DIAGRAMS,
    betti_curve,
    clustering,
    proportional_threshold,
    sym_to_vec,
)
from neurocompare.pipelines.connectome.networks import knn_edges
from neurocompare.pipelines.connectome.transformers import Connectivity, FixedLength
from neurocompare.protocols.groups import LeaveSiteOut, SubjectKFold
from neurocompare.protocols.registry import make_splitter

SPECS = {spec.name: spec for spec in CONNECTOME_SPECS}
INFO = SignalInfo(kind="timeseries", class_names=("control", "case"))


def simulate(n_subjects: int = 80, n_rois: int = 10, planted=(0, 1, 2, 3), strength=0.6,
             seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Cases share a latent signal across the ``planted`` ROIs (a planted edge set).

    Returns an object array of float16 series (lengths 60-100), labels and metadata with
    five sites.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n_subjects) % 2
    series = []
    for label in y:
        n_times = int(rng.integers(60, 101))
        x = rng.standard_normal((n_times, n_rois))
        if label:
            x[:, list(planted)] += strength * rng.standard_normal((n_times, 1))
        series.append(x.astype(np.float16))
    X = np.empty(n_subjects, dtype=object)
    X[:] = series
    metadata = pd.DataFrame({"subject": [f"s{i:03d}" for i in range(n_subjects)],
                             "session": "0", "run": "0",
                             "site": [f"site{i % 5}" for i in range(n_subjects)]})
    return X, y, metadata


# -- loaders ---------------------------------------------------------------------------------
def _write_phenotype(tmp_path, names):
    table = pd.DataFrame({"participant": ["p1", "p2", "p3", "p4"],
                          "dx": ["case", "control", "case", "control"],
                          "scanner": ["A", "A", "B", "B"], "age": [20.0, 31.0, 42.0, 25.0],
                          "file": names})
    path = tmp_path / "pheno.csv"
    table.to_csv(path, index=False)
    return path


def test_timeseries_files_reads_1d_csv_npy_of_different_lengths(tmp_path):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((n, 5)) for n in (30, 41, 52, 33)]
    header = " ".join(f"#{i}" for i in range(1, 6))
    np.savetxt(tmp_path / "a.1D", arrays[0], header=header, comments="")
    (tmp_path / "a.1D").write_text("# " + (tmp_path / "a.1D").read_text())
    pd.DataFrame(arrays[1], columns=list("vwxyz")).to_csv(tmp_path / "b.csv", index=False)
    np.save(tmp_path / "c.npy", arrays[2].astype(np.float16))
    pd.DataFrame(arrays[3]).to_csv(tmp_path / "d.tsv", sep="\t", index=False, header=False)
    path = _write_phenotype(tmp_path, ["a.1D", "b.csv", "c.npy", "d.tsv"])
    dataset = TimeseriesFiles(phenotype=path, label="dx", subject="participant",
                              site="scanner", covariates=("age",))
    assert dataset.subjects() == [WHOLE_DATASET]
    data = dataset.load_subject(WHOLE_DATASET)
    assert data.info.kind == "timeseries" and data.info.class_names == ("case", "control")
    assert data.metadata["subject"].tolist() == ["p1", "p2", "p3", "p4"]
    assert data.metadata["site"].tolist() == ["A", "A", "B", "B"]
    assert data.y.tolist() == [0, 1, 0, 1]
    assert [x.shape for x in data.X] == [(30, 5), (41, 5), (52, 5), (33, 5)]
    assert isinstance(data.X[2], np.memmap) and data.X[2].dtype == np.float16
    for got, want in zip(data.X, arrays, strict=True):
        np.testing.assert_allclose(np.asarray(got, dtype=float), want, atol=1e-3)


def test_timeseries_files_rejects_mismatched_rois_and_missing_files(tmp_path):
    np.save(tmp_path / "a.npy", np.ones((10, 4)))
    np.save(tmp_path / "b.npy", np.ones((10, 5)))
    path = _write_phenotype(tmp_path, ["a.npy", "b.npy", "a.npy", "zz.npy"])
    dataset = TimeseriesFiles(phenotype=path, label="dx", subject="participant")
    with pytest.raises(InputError, match="existing file"):
        dataset.load_subject(WHOLE_DATASET)
    path = _write_phenotype(tmp_path, ["a.npy", "b.npy", "a.npy", "a.npy"])
    with pytest.raises(InputError, match="same number of ROIs"):
        TimeseriesFiles(phenotype=path, label="dx", subject="participant").load()
    with pytest.raises(InputError, match="columns"):
        TimeseriesFiles(phenotype=path, label="diagnosis", subject="participant").load()


def test_nifti_atlas_extracts_region_means(tmp_path):
    rng = np.random.default_rng(2)
    atlas = np.zeros((6, 6, 6), dtype=np.int16)
    atlas[:3, :, :] = 1
    atlas[3:, :3, :] = 2
    atlas[3:, 3:, :] = 3
    affine = np.diag([3.0, 3.0, 3.0, 1.0])
    nib.save(nib.Nifti1Image(atlas, affine), tmp_path / "atlas.nii.gz")
    expected = []
    for name in ("s1", "s2", "s3", "s4"):
        data = rng.standard_normal((6, 6, 6, 25)).astype(np.float32)
        nib.save(nib.Nifti1Image(data, affine), tmp_path / f"{name}.nii.gz")
        expected.append(np.stack([data[atlas == k].mean(axis=0) for k in (1, 2, 3)], axis=1))
    path = _write_phenotype(tmp_path, [f"s{i}.nii.gz" for i in range(1, 5)])
    dataset = NiftiAtlas(phenotype=path, atlas=tmp_path / "atlas.nii.gz", label="dx",
                         subject="participant", site="scanner", standardize=None)
    data = dataset.load_subject(WHOLE_DATASET)
    assert data.info.ch_names == ("region1", "region2", "region3")
    for got, want in zip(data.X, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def abide_root():
    root = data_root() / "abide_pcp_cc200"
    if not (root / "cc200_timeseries_float16.npz").is_file():
        message = f"ABIDE CC200 not found under {root}"
        if os.environ.get("NEUROCOMPARE_REQUIRE_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return root


def test_abide_qc871_subset_loads_float16_with_sites(abide_root):
    table = ABIDECC200().table()
    assert len(table) == 871 and table["asd"].sum() == 403
    assert table["SITE_ID"].nunique() == 20
    data = ABIDECC200(n_subjects=40).load_subject(WHOLE_DATASET)
    assert len(data) == 40 and data.metadata["subject"].is_unique
    assert {x.dtype for x in data.X} == {np.dtype(np.float16)}
    assert {x.shape[1] for x in data.X} == {200} and len(data.info.ch_names) == 200
    assert set(data.metadata["site"]) <= set(table["SITE_ID"])
    assert data.info.class_names == ("control", "asd")
    assert ABIDECC200(qc="all").table().shape[0] == 1035
    with pytest.raises(InputError, match="qc"):
        ABIDECC200(qc="900").table()


def test_abide_raw_1d_files_match_the_archive(abide_root):
    data = ABIDECC200(qc="all").load_subject(WHOLE_DATASET)
    by_file = dict(zip(data.metadata["file_id"], data.X, strict=True))
    for path in sorted((abide_root / "raw_1D_samples").glob("*.1D")):
        raw = read_roi_timeseries(path)
        stored = by_file[path.name.replace("_rois_cc200.1D", "")].astype(np.float64)
        assert raw.shape == stored.shape
        np.testing.assert_allclose(stored, raw, rtol=1e-3, atol=1e-3 * np.abs(raw).max())


# -- protocols -------------------------------------------------------------------------------
def test_leave_site_out_never_shares_a_site():
    _, y, metadata = simulate(n_subjects=40)
    folds = list(make_splitter("leave-site-out").folds(metadata, y))
    assert len(folds) == 5
    tested = np.concatenate([fold.test for fold in folds])
    assert sorted(tested) == list(range(40))
    for fold in folds:
        train_sites = set(metadata["site"].iloc[fold.train])
        test_sites = set(metadata["site"].iloc[fold.test])
        assert len(test_sites) == 1 and not train_sites & test_sites
        assert fold.extra["site"] in test_sites and fold.subject == "*"


def test_leave_site_out_checks_its_input():
    _, y, metadata = simulate(n_subjects=20)
    with pytest.raises(InputError, match="site"):
        list(LeaveSiteOut().folds(metadata.drop(columns="site"), y))
    moved = metadata.copy()
    moved.loc[1, "subject"] = moved.loc[0, "subject"]  # one subject in two sites
    with pytest.raises(InputError, match="one site per subject"):
        list(LeaveSiteOut().folds(moved, y))


def test_subject_kfold_is_stratified_kfold_for_one_row_per_subject():
    _, y, metadata = simulate(n_subjects=50)
    ours = [fold.test for fold in SubjectKFold(5, random_state=3).folds(metadata, y)]
    theirs = [test for _, test in StratifiedKFold(5, shuffle=True, random_state=3)
              .split(np.zeros(50), y)]
    assert [t.tolist() for t in ours] == [sorted(t.tolist()) for t in theirs]
    assert make_splitter("subject-kfold").n_splits == 10
    assert make_splitter("subject-kfold").scope == "dataset"


# -- pipelines -------------------------------------------------------------------------------
def test_tangent_reference_is_fitted_on_training_subjects_only():
    X, y, metadata = simulate(n_subjects=30)
    data = NeuralData(X, y, metadata, INFO)
    fold = next(SubjectKFold(3).folds(metadata, y))
    estimator = SPECS["fc-tangent-lr"].build(INFO)
    result = evaluate_fold({"fc-tangent-lr": estimator}, data, fold)["fc-tangent-lr"]
    fitted = result["estimator"].named_steps["connectivity"].reference_
    train_only = ConnectivityMeasure(kind="tangent").fit(
        [x.astype(np.float32) for x in X[fold.train]]).mean_
    everyone = ConnectivityMeasure(kind="tangent").fit(
        [x.astype(np.float32) for x in X]).mean_
    # nilearn's start and stopping test with pyRiemann's step schedule, in float64 (nilearn
    # keeps the float32 of its input): the same minimiser, within nilearn's tolerance
    assert np.linalg.norm(fitted - train_only) / np.linalg.norm(train_only) < 1e-5
    connectivity = result["estimator"].named_steps["connectivity"]
    covariances = connectivity._covariances([x.astype(np.float32) for x in X[fold.train]])
    nilearn_mean = _geometric_mean(list(covariances.astype(np.float64)), max_iter=30, tol=1e-7)
    assert np.linalg.norm(fitted - nilearn_mean) / np.linalg.norm(nilearn_mean) < 1e-5
    assert not np.allclose(fitted, everyone, rtol=1e-3)
    assert result["n_train"] == len(fold.train) and result["n_test"] == len(fold.test)


def test_planted_edges_are_recovered_by_correlation_and_logistic_regression():
    X, y, metadata = simulate(n_subjects=80, strength=0.6)
    data = NeuralData(X, y, metadata, INFO)
    scores, weights = [], []
    for fold in SubjectKFold(5).folds(metadata, y):
        result = evaluate_fold({"fc-corr-lr": SPECS["fc-corr-lr"].build(INFO)}, data,
                               fold)["fc-corr-lr"]
        scores.append(result["accuracy"])
        weights.append(result["estimator"].named_steps["lr"].coef_[0])
    assert np.mean(scores) >= 0.8  # chance is 0.5
    pairs = np.array([(i, j) for i in range(10) for j in range(i)])  # sym_to_vec order
    planted = np.isin(pairs, [0, 1, 2, 3]).all(axis=1)
    top = np.argsort(-np.abs(np.mean(weights, axis=0)))[:planted.sum()]
    assert planted[top].mean() >= 0.8


def test_abide_age_target_is_a_regression_without_age_in_the_metadata(abide_root):
    data = ABIDECC200(n_subjects=30, target="age").load_subject(WHOLE_DATASET)
    table = ABIDECC200(n_subjects=30).table()
    assert data.info.task == "regression" and data.info.class_names == ()
    np.testing.assert_allclose(data.y, table["AGE_AT_SCAN"].to_numpy())
    assert "age" not in data.metadata.columns
    assert "age" in ABIDECC200(n_subjects=30).load_subject(WHOLE_DATASET).metadata.columns
    # the diagnosis target keeps the keys of the results stored before ``target`` existed
    assert ABIDECC200().fingerprint() == ABIDECC200(target="asd").fingerprint()
    assert ABIDECC200().fingerprint() != ABIDECC200(target="age").fingerprint()
    with pytest.raises(InputError, match="target"):
        ABIDECC200(target="iq").table()


@pytest.mark.parametrize("name", ["fc-corr-lr", "fc-tangent-lr", "fc-corr-rf", "fc-mlp"])
def test_connectome_regressors_recover_a_planted_continuous_effect(name):
    """The shared-signal strength on the planted ROIs grows with a continuous target: every
    regression-capable connectome pipeline beats the training mean by a quarter or more."""
    rng = np.random.default_rng(5)
    n, target = 120, np.linspace(0.0, 1.0, 120)
    series = []
    for value in target:
        x = rng.standard_normal((80, 8))
        x[:, :4] += 1.5 * value * rng.standard_normal((80, 1))
        series.append(x.astype(np.float32))
    X = np.empty(n, dtype=object)
    X[:] = series
    metadata = pd.DataFrame({"subject": [f"s{i}" for i in range(n)], "session": "0",
                             "run": "0"})
    info = SignalInfo(kind="timeseries", class_names=(), task="regression")
    data = NeuralData(X, target, metadata, info)
    assert "regression" in SPECS[name].tasks
    errors, baseline = [], []
    for fold in SubjectKFold(4, random_state=0).folds(metadata, target):
        result = evaluate_fold({name: SPECS[name].build(info)}, data, fold)[name]
        errors.append(result["mae"])
        baseline.append(np.abs(target[fold.test] - target[fold.train].mean()).mean())
    assert np.mean(errors) < 0.75 * np.mean(baseline), (np.mean(errors), np.mean(baseline))


def test_connectivity_keeps_float16_until_read_and_zeroes_constant_rois():
    X, _, _ = simulate(n_subjects=6)
    X[0][:, 3] = 0  # a zero-variance ROI
    series = as_timeseries(Connectivity(), X, reset=True)
    assert isinstance(series, Float32Series) and X[0].dtype == np.float16
    assert series[0].dtype == np.float32 and series[1:3][0].shape == X[1].shape
    for kind in ("correlation", "partial correlation", "tangent"):
        mats = Connectivity(kind=kind, vectorize=False).fit(X).transform(X)
        assert np.isfinite(mats).all()
        if kind != "tangent":
            np.testing.assert_allclose(np.delete(mats[0, 3], 3), 0.0, atol=1e-12)
    vectors = Connectivity(chunk_size=4).fit(X).transform(X)
    assert vectors.shape == (6, 45)
    one = Connectivity(kind="tangent").fit(X).transform(X[:1])
    assert one.shape == (1, 45)


def test_tangent_fit_transform_reuses_the_reference_decomposition():
    """fit_transform's training vectors (from the decomposition of the reference's last
    gradient) equal fit().transform()'s fresh ones and nilearn's within its tolerance."""
    X, _, _ = simulate(n_subjects=30)
    ours = Connectivity(kind="tangent", chunk_size=7)
    reused = ours.fit_transform(X)
    np.testing.assert_allclose(reused, ours.transform(X), rtol=0, atol=1e-10)
    series = as_timeseries(Connectivity(), X, reset=True)
    nilearn = ConnectivityMeasure(kind="tangent", vectorize=True, discard_diagonal=True)
    theirs = nilearn.fit_transform([np.asarray(x, dtype=np.float64) for x in series])
    assert np.abs(reused - theirs).max() < 1e-4 * np.abs(theirs).max()


def test_timeseries_input_checks():
    conn = Connectivity().fit(np.random.default_rng(0).standard_normal((5, 20)))
    assert conn.n_features_in_ == 20  # 2-D input: single-ROI series of 20 time points
    with pytest.raises(ValueError, match="X has 19 features"):
        conn.transform(np.ones((3, 19)))
    bad = np.empty(2, dtype=object)
    bad[:] = [np.ones((10, 3)), np.full((10, 3), np.nan)]
    with pytest.raises(ValueError, match="NaN"):
        Connectivity().fit(bad)
    bad[:] = [np.ones((10, 3)), np.ones((10, 4))]
    with pytest.raises(ValueError, match="one number of ROIs"):
        Connectivity().fit(bad)


def test_feature_math():
    rng = np.random.default_rng(4)
    mats = np.corrcoef(rng.standard_normal((6, 30)))[None]
    from nilearn.connectome import sym_matrix_to_vec

    for discard in (True, False):
        np.testing.assert_allclose(sym_to_vec(mats, discard), sym_matrix_to_vec(mats, discard))
    assert sym_to_vec(np.ones((2, 1, 1))).shape == (2, 1)  # one ROI keeps its diagonal
    weights = mats[0]
    adjacency = proportional_threshold(weights, 0.2)
    assert adjacency.sum() == 2 * round(0.2 * 15) and (adjacency == adjacency.T).all()
    triangle = np.ones((3, 3), dtype=bool) & ~np.eye(3, dtype=bool)
    np.testing.assert_allclose(clustering(triangle), 1.0)
    diagram = np.array([[0.0, 1.0], [0.5, np.inf]])
    np.testing.assert_allclose(betti_curve(diagram, np.array([0.0, 0.6, 1.5])), [1, 2, 1])
    distance = np.sqrt(np.clip(2 * (1 - np.corrcoef(rng.standard_normal((12, 40)))), 0, 4))
    np.fill_diagonal(distance, 0)
    ripser, gudhi = (DIAGRAMS[name](distance, 1) for name in ("ripser", "gudhi"))
    for a, b in zip(ripser, gudhi, strict=True):
        finite_a = np.sort(a[np.isfinite(a[:, 1])], axis=0)
        finite_b = np.sort(b[np.isfinite(b[:, 1])], axis=0)
        np.testing.assert_allclose(finite_a, finite_b, atol=1e-5)


def test_fixed_length_crops_and_pads_from_the_training_median():
    series = np.empty(3, dtype=object)
    series[:] = [np.arange(20.0).reshape(10, 2), np.ones((6, 2)), np.ones((8, 2))]
    crop = FixedLength().fit(series)
    assert crop.n_timepoints_ == 8
    out = crop.transform(series)
    assert out.shape == (3, 2, 8) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0, 0], np.arange(2.0, 18.0, 2.0))  # centre crop
    np.testing.assert_array_equal(out[1, 0], [1, 1, 1, 1, 1, 1, 0, 0])  # zero padding


def test_knn_edges_are_symmetric_and_batched():
    import torch

    mats = torch.as_tensor(np.stack([np.corrcoef(np.random.default_rng(s).standard_normal(
        (8, 30))) for s in range(2)]))
    edges, weight = knn_edges(mats, 3)
    pairs = set(map(tuple, edges.T.tolist()))
    assert all((b, a) in pairs for a, b in pairs)
    assert edges.max() < 16 and ((edges[0] < 8) == (edges[1] < 8)).all()  # graphs separate
    assert len(weight) == edges.shape[1] and (weight >= 0).all()
    assert min(np.bincount(edges[0].numpy(), minlength=16)) >= 3


@pytest.mark.parametrize("name", ["fc-gcn", "fc-brainnetcnn", "roi-gru"])
def test_networks_train_reproducibly_and_pickle(name):
    X, y, _ = simulate(n_subjects=24)
    first = SPECS[name].build(INFO).set_params(net__max_epochs=4).fit(X, y)
    second = SPECS[name].build(INFO).set_params(net__max_epochs=4).fit(X, y)
    np.testing.assert_allclose(first.predict_proba(X), second.predict_proba(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_allclose(restored.predict_proba(X), first.predict_proba(X))
    net = first.named_steps["net"]
    assert net.n_params_ > 0 and net.macs_ > 0 and len(net.valid_indices_) > 0


def test_runner_end_to_end_with_leave_site_out(tmp_path, monkeypatch):
    from neurocompare import runner
    from neurocompare.data.registry import DATASETS
    from neurocompare.pipelines import registry
    from neurocompare.records.store import ResultStore

    assert {"abide-cc200", "timeseries-files", "nifti-atlas"} <= set(DATASETS)
    assert {spec.name for spec in CONNECTOME_SPECS} <= set(registry.PIPELINES)
    monkeypatch.setattr("os.cpu_count", lambda: 1)  # one torch thread
    X, y, metadata = simulate(n_subjects=40, n_rois=8, strength=0.8)
    names = []
    for i, x in enumerate(X):
        names.append(f"s{i}.npy")
        np.save(tmp_path / names[-1], x)
    pheno = metadata.assign(file=names, label=np.where(y == 1, "case", "control"))
    pheno.to_csv(tmp_path / "pheno.csv", index=False)
    params = {"phenotype": str(tmp_path / "pheno.csv"), "site": "site",
              "class_names": ("control", "case")}
    config = runner.RunConfig(datasets=[("timeseries-files", params)],
                              pipelines=["fc-corr-lr", "fc-gcn:net__max_epochs=5"],
                              protocol="leave-site-out", out=tmp_path / "out", jobs=1)
    units = runner.plan(config)
    assert len(units) == 5 and all(u.fold_index is not None for u in units)
    reports = runner.execute(units, jobs=1)
    assert not [e for r in reports for e in r.errors]
    table = ResultStore(tmp_path / "out").table()
    assert len(table) == 10 and set(table["site"]) == {f"site{k}" for k in range(5)}
    assert table.query("pipeline == 'fc-corr-lr'")["accuracy"].mean() > 0.75
