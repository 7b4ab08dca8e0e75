"""Interpretability: grouped permutation importance, model-specific attributions, the
randomisation sanity check, ground-truth recovery on the simulator, stability statistics,
storage/re-explanation of a stored run, and the HTML section (escaping)."""

from __future__ import annotations

import itertools
import re
import warnings
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import accuracy_score, balanced_accuracy_score

from neurocompare._errors import InputError
from neurocompare.data.containers import SignalInfo
from neurocompare.data.simulated import SimulatedMotorImagery
from neurocompare.explain._layout import band_groups, channel_groups, ssvep_bands
from neurocompare.explain.grouped import (
    accuracy,
    balanced_accuracy,
    grouped_importance,
)
from neurocompare.explain.model_specific import haufe_patterns
from neurocompare.explain.run import explain_and_store, explain_fold
from neurocompare.explain.sanity import randomization_check, reinitialized
from neurocompare.explain.stability import (
    biomarker_table,
    importance_matrix,
    jaccard_matrix,
    rank_agreement,
    sign_flip_pvalues,
    spearman_matrix,
)
from neurocompare.pipelines.registry import make_pipeline
from neurocompare.pipelines.seeding import seeded
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.importance import ImportanceStore
from neurocompare.records.manifest import write_run
from neurocompare.records.store import ResultStore
from neurocompare.report.interpretability import interpretability_section
from neurocompare.runner import RunConfig, dataset_records, execute, explain_results, plan
from neurocompare.stats.recovery import (
    best_rank,
    precision_at_k,
    recovery_scores,
    recovery_summary,
    weighted_precision_at_k,
)

warnings.filterwarnings("ignore", message="Input Tensor 0 did not already require gradients")
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def strong():
    """The strong subject (ERD depth 0.6): 2 sessions x 80 trials."""
    return SimulatedMotorImagery(n_subjects=1, n_trials_per_class=40,
                                 effects=(0.6,)).load_subject(1)


@pytest.fixture(scope="module")
def planted(strong):
    """The planted channel group: C3, C4 and neighbours with projection weight >= 0.3."""
    weights = strong.info.ground_truth["channel_weights"]
    return {ch for ch, w in weights.items() if w >= 0.3}


@pytest.fixture(scope="module")
def traditional_rows(strong):
    """Permutation (+ SHAP, patterns) rows of bandpower-lda and csp-lda, cross-session folds
    (train on one session, test on the other 80 trials)."""
    rows = []
    for fold in make_splitter("cross-session", 42).folds(strong.metadata, strong.y):
        for name in ("bandpower-lda", "csp-lda"):
            est = seeded(make_pipeline(name, strong.info), 42)
            est.fit(strong.X[fold.train], strong.y[fold.train])
            rows += explain_fold(name, est, strong, fold, ("permutation", "shap", "patterns"),
                                 seed=0, dataset="simulated-mi", n_repeats=2,
                                 group_types=("channel", "band", "time"))
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def deep(strong):
    """shallow-convnet (15 epochs) fitted on the first within-session fold."""
    fold = next(make_splitter("within-session", 42).folds(strong.metadata, strong.y))
    est = seeded(make_pipeline("shallow-convnet", strong.info), 42)
    est.set_params(net__max_epochs=15).fit(strong.X[fold.train], strong.y[fold.train])
    return est, fold


def _top(rows: pd.DataFrame, pipeline: str, method: str, group_type: str, n: int) -> list:
    part = rows[(rows.pipeline == pipeline) & (rows.method == method)
                & (rows.group_type == group_type)]
    return part.groupby("group")["importance"].mean().sort_values(ascending=False) \
        .index[:n].tolist()


# -- grouped permutation importance ----------------------------------------------------------

def test_scorers_match_sklearn(rng):
    y, pred = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    assert accuracy(y, pred) == pytest.approx(accuracy_score(y, pred))
    assert balanced_accuracy(y, pred) == pytest.approx(balanced_accuracy_score(y, pred))


class _UsesOneGroup:
    """Predicts the class from the mean of channel 0 in samples 10-19 only."""

    def predict(self, X):
        return (X[:, 0, 10:20].mean(axis=-1) > 0).astype(int)


def test_grouped_importance_finds_the_only_used_channel_and_window(rng):
    y = np.repeat([0, 1], 20)
    X = rng.normal(0, 1, (40, 3, 40))
    X[:, 0, 10:20] += np.where(y == 1, 2.0, -2.0)[:, None]
    info = SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=20.0,
                      ch_names=("A", "B", "C"))
    frame = grouped_importance(_UsesOneGroup(), X, y, info, ("channel", "time"), n_repeats=5,
                               seed=1, window=0.5)
    channel = frame[frame.group_type == "channel"].set_index("group")["importance"]
    time = frame[frame.group_type == "time"].set_index("group")["importance"]
    assert channel["A"] > 0.3 and channel["B"] == 0 and channel["C"] == 0
    assert time["0.50-1.00s"] > 0.3 and (time.drop("0.50-1.00s") == 0).all()
    again = grouped_importance(_UsesOneGroup(), X, y, info, ("channel", "time"), n_repeats=5,
                               seed=1, window=0.5)
    pd.testing.assert_frame_equal(frame, again)  # seeded
    removed = grouped_importance(_UsesOneGroup(), X, y, info, ("band",), n_repeats=5,
                                 band_mode="remove")
    assert (removed["n_repeats"] == 1).all() and removed["importance"].notna().all()


def test_layout_groups_stacked_channels_and_tiles_ssvep_bands():
    info = SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=256.0,
                      ch_names=("O1", "O2", "O1[13Hz]", "O2[13Hz]"),
                      extra={"channel_groups": {"broad": [0, 1], "13Hz": [2, 3]},
                             "base_ch_names": ["O1", "O2"], "stim_freqs": {"13Hz": 13.0}})
    assert {k: v.tolist() for k, v in channel_groups(info).items()} == {"O1": [0, 2],
                                                                       "O2": [1, 3]}
    bands = ssvep_bands([13.0, 17.0, 21.0], fmax=45.0)
    edges = list(bands.values())
    assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))  # a tiling
    assert {"13Hz", "17Hz", "21Hz", "26Hz", "34Hz", "42Hz"} <= set(bands)
    assert "13Hz" in band_groups(info) and "26Hz" in band_groups(info)


# -- ground truth on the simulator -----------------------------------------------------------

@pytest.mark.parametrize("pipeline", ["bandpower-lda", "csp-lda"])
def test_permutation_importance_finds_planted_channels_band_and_window(traditional_rows,
                                                                       planted, pipeline):
    assert set(_top(traditional_rows, pipeline, "permutation", "channel", 3)) <= planted
    assert _top(traditional_rows, pipeline, "permutation", "band", 1)[0] in ("mu", "beta")
    first_window = _top(traditional_rows, pipeline, "permutation", "time", 1)[0]
    assert float(first_window.split("-")[0]) >= 0.5  # the ERD starts 0.5 s after the cue


def test_model_specific_methods_on_band_power_and_csp(traditional_rows, planted):
    shap_bands = _top(traditional_rows, "bandpower-lda", "shap", "band", 2)
    assert set(shap_bands) == {"mu", "beta"}
    cells = traditional_rows[(traditional_rows.pipeline == "bandpower-lda")
                             & (traditional_rows.method == "patterns")
                             & (traditional_rows.group_type == "channel_band")]
    assert cells.group.nunique() == 24 * 5
    assert set(_top(traditional_rows, "csp-lda", "patterns", "channel", 2)) <= planted
    assert not (traditional_rows.pipeline.eq("csp-lda") & traditional_rows.method.eq("shap")
                ).any()  # SHAP does not apply to CSP: skipped, not an error


def test_recovery_scored_for_traditional_and_deep(traditional_rows, strong, deep):
    est, fold = deep
    deep_rows = pd.DataFrame(explain_fold("shallow-convnet", est, strong, fold, seed=0,
                                          dataset="simulated-mi", n_repeats=2))
    assert set(deep_rows.method) == {"permutation", "integrated-gradients", "saliency"}
    assert set(deep_rows.group_type) == {"channel", "band", "time", "channel_band"}
    rows = pd.concat([traditional_rows, deep_rows], ignore_index=True)
    scores = recovery_scores(rows, strong.info.ground_truth)
    summary = recovery_summary(scores).set_index(["pipeline", "method"])
    for key in [("bandpower-lda", "permutation"), ("csp-lda", "permutation"),
                ("shallow-convnet", "permutation"), ("shallow-convnet", "saliency"),
                ("shallow-convnet", "integrated-gradients")]:
        assert np.isfinite(summary.loc[key, ["channel_precision", "channel_rank",
                                             "channel_weighted_precision"]]).all()
    assert summary.loc[("bandpower-lda", "permutation"), "band_rank"] == 1.0
    assert summary.loc[("csp-lda", "permutation"), "channel_weighted_precision"] > 0.5
    ig_bands = _top(deep_rows, "shallow-convnet", "integrated-gradients", "band", 2)
    assert "mu" in ig_bands


@pytest.mark.parametrize("method", ["saliency", "integrated-gradients"])
def test_randomised_network_gives_different_attributions(strong, deep, method):
    import torch

    est, fold = deep
    state = torch.random.get_rng_state()
    result = randomization_check(est, strong.X[fold.test], strong.y[fold.test], strong.info,
                                 method, seed=3, n_steps=16)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched
    assert result.passed, result
    assert result.split_half > abs(result.rank_correlation) + 0.2, result  # not just noise
    module = est.steps[-1][1].module_
    fresh = reinitialized(module, seed=3)
    assert not all(torch.equal(a, b) for a, b in zip(module.parameters(), fresh.parameters(),
                                                     strict=True))


# -- Haufe patterns, stability, recovery math ------------------------------------------------

def test_haufe_patterns_recover_the_planted_pattern(rng):
    n, p = 2000, 12
    y = np.repeat([0, 1], n // 2)
    pattern = rng.normal(0, 1, p)
    mixing = rng.normal(0, 1, (p, p))
    noise = rng.normal(0, 1, (n, p)) @ mixing.T  # strongly correlated noise
    X = np.where(y == 1, 1.0, -1.0)[:, None] * pattern * 0.7 + noise
    w = LinearDiscriminantAnalysis().fit(X, y).coef_.T
    A = haufe_patterns(X, w)[:, 0]
    assert abs(np.corrcoef(A, pattern)[0, 1]) > 0.9
    assert abs(np.corrcoef(w[:, 0], pattern)[0, 1]) < 0.9  # the weights alone do not


def test_stability_matches_scipy(rng):
    M = rng.normal(0, 1, (6, 9))
    M[2, :3] = M[2, 3]  # ties
    S = spearman_matrix(M)
    for i in range(6):
        for j in range(6):
            assert S[i, j] == pytest.approx(spearmanr(M[i], M[j]).statistic)
    J = jaccard_matrix(M, 3)
    top = [set(np.argsort(-row, kind="stable")[:3]) for row in M]
    assert J[0, 1] == pytest.approx(len(top[0] & top[1]) / len(top[0] | top[1]))
    agree = rank_agreement(M, k=3, n_boot=300)
    assert agree.spearman == pytest.approx(S[~np.eye(6, dtype=bool)].mean())
    assert agree.spearman_ci[0] <= agree.spearman <= agree.spearman_ci[1]


def test_sign_flip_and_biomarker_table(rng):
    M = rng.normal(0, 0.01, (12, 8))
    M[:, 2] += 0.2  # one real biomarker
    M[0, 5] = 5.0  # one huge value in one fold only: important, but not stable
    p = sign_flip_pvalues(M)
    assert p[2] == pytest.approx(2.0 ** -12)
    brute = np.mean([np.dot(signs, M[:, 0]) / 12 >= M[:, 0].mean() - 1e-12
                     for signs in itertools.product((1, -1), repeat=12)])
    assert p[0] == pytest.approx(brute)
    frame = pd.DataFrame(M, columns=[f"g{i}" for i in range(8)])
    table = biomarker_table(frame, k=2, min_frequency=0.5)
    assert table["group"].tolist() == ["g2"]


def test_recovery_metrics():
    imp = pd.Series({"C3": 0.5, "FC3": 0.4, "C4": 0.4, "Pz": 0.0})
    assert precision_at_k(imp, ["C3", "C4"], 2) == 0.5
    assert best_rank(imp, ["C4"]) == 2.5  # tied with FC3
    weights = {"C3": 1.0, "C4": 1.0, "FC3": 0.5}
    assert weighted_precision_at_k(imp, weights, 2) == pytest.approx(0.75)


def test_importance_matrix_aggregates_folds():
    rows = pd.DataFrame({"subject": ["1", "1", "2", "2"], "session": "0",
                         "fold": ["a", "b", "a", "b"], "group": "g", "importance": [1, 3, 5, 7]})
    rows = pd.concat([rows, rows.assign(group="h", importance=0)])
    assert importance_matrix(rows).shape == (4, 2)
    assert importance_matrix(rows, aggregate=["subject"])["g"].tolist() == [2.0, 6.0]


# -- storage, re-explanation of a stored run, and the report section ------------------------

def test_explain_results_reproduces_stored_folds_and_models(tmp_path):
    params = {"n_subjects": 1, "n_sessions": 1, "n_trials_per_class": 10}
    config = RunConfig(datasets=[("simulated-mi", params)],
                       pipelines=["bandpower-lda", "csp-lda"], out=tmp_path)
    execute(plan(config))
    write_run(tmp_path, {"config": asdict(config) | {"out": str(tmp_path)},
                         "datasets": dataset_records(config)})
    report = explain_results(tmp_path, methods=["permutation"], n_repeats=2)
    assert report["explained"] == 10 and report["computed"] == 0 and not report["errors"]
    assert ImportanceStore(tmp_path).folder == tmp_path / "importance"
    assert ResultStore(tmp_path).folder == tmp_path / "results"
    rows = ImportanceStore(tmp_path).table()
    results = ResultStore(tmp_path).table().set_index("key")
    baseline = rows.groupby("result_key")["baseline"].first()
    assert set(baseline.index) == set(results.index)  # same keys: same folds and models
    assert np.allclose(baseline, results.loc[baseline.index, "balanced_accuracy"])
    assert explain_results(tmp_path, methods=["permutation"], n_repeats=2)["skipped"] == 10
    html = interpretability_section(tmp_path)
    assert 'id="interpretability"' in html and "data:image/png;base64," in html
    figures = tmp_path / "report" / "figures"
    assert (figures / "simulated-mi_importance_topomaps.png").is_file()
    assert (figures / "simulated-mi_importance_topomaps.svg").is_file()


def test_explain_results_of_a_tuned_run_join_its_stored_results(tmp_path):
    """A tuned run is explained with its tuned pipelines: every importance joins a result."""
    params = {"n_subjects": 1, "n_sessions": 1, "n_trials_per_class": 10}
    config = RunConfig(datasets=[("simulated-mi", params)], pipelines=["bandpower-lda"],
                       tune=2, out=tmp_path)
    execute(plan(config))
    write_run(tmp_path, {"config": asdict(config) | {"out": str(tmp_path)}})
    report = explain_results(tmp_path, methods=["permutation"], n_repeats=2)
    assert report["explained"] == 5 and report["computed"] == 0 and not report["errors"]
    keys = set(ImportanceStore(tmp_path).table()["result_key"])
    assert keys == set(ResultStore(tmp_path).table()["key"])


def test_explain_and_store_skips_stored_key(tmp_path, strong):
    fold = next(make_splitter("within-session", 42).folds(strong.metadata, strong.y))
    est = make_pipeline("bandpower-lda", strong.info).fit(strong.X[fold.train],
                                                          strong.y[fold.train])
    args = (tmp_path, "bandpower-lda", est, strong, fold, ["patterns"], 0, "k1")
    assert explain_and_store(*args, dataset="simulated-mi") > 0
    assert explain_and_store(*args, dataset="simulated-mi") == 0
    assert explain_and_store(*args, dataset="simulated-mi", n_repeats=10) == 0  # the default
    with pytest.raises(InputError, match="n_repeat"):
        explain_fold("bandpower-lda", est, strong, fold, ["permutation"], n_repeat=3)
    with pytest.raises(InputError, match="lime"):
        explain_fold("bandpower-lda", est, strong, fold, ["lime"])


def test_section_escapes_dataset_strings(tmp_path):
    rows = []
    for fold in range(3):
        for i, ch in enumerate([EVIL, "C3", "C4"]):
            for group_type, group in (("channel", ch), ("band", f"b{i}"),
                                      ("channel_band", f"{ch}|mu")):
                rows.append({"dataset": "<i>d</i>", "subject": "1", "session": "0",
                             "fold": str(fold), "pipeline": "<b>pipe</b>",
                             "method": "permutation", "group_type": group_type,
                             "group": group, "importance": 0.1 * (3 - i), "n_repeats": 2,
                             "seed": 0})
    records = {"<i>d</i>": {"montage": "colin27_1005",
                            "ground_truth": {"channels": ["C3", EVIL],
                                             "informative_bands": ["b0"]}}}
    html = interpretability_section(tmp_path, pd.DataFrame(rows), records=records)
    assert EVIL not in html and "<b>pipe</b>" not in html and "<i>d</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r"<section id=\"interpretability\">", html)
