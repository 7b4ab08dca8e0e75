"""Fold metrics against direct scikit-learn computations and hand counts."""

import json
import os
import warnings

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    f1_score,
    roc_auc_score,
)

from neurocompare.cost.timing import measure
from neurocompare.evaluation.metrics import (
    METRICS,
    average_ranks,
    binary_auc,
    classification_metrics,
)


def test_binary_metrics_by_hand():
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 0, 0, 1, 1, 1, 0, 0])
    proba = np.column_stack([1 - np.linspace(0, 1, 8), np.linspace(0, 1, 8)])
    out = classification_metrics(y_true, y_pred, proba, 2)
    assert set(METRICS) <= set(out)
    assert out["accuracy"] == 5 / 8
    assert out["sensitivity"] == 2 / 4 and out["specificity"] == 3 / 4
    assert out["roc_auc"] == 1.0
    assert json.loads(out["confusion"]) == [[3, 1], [2, 2]]
    # kappa: po = 5/8, pe = (4*5 + 4*3)/64 = 0.5
    assert np.isclose(out["kappa"], (5 / 8 - 0.5) / 0.5)


def test_multiclass_auc_and_missing_class():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 10)
    proba = rng.dirichlet(np.ones(3), size=30)
    out = classification_metrics(y, proba.argmax(1), proba, 3)
    assert np.isclose(out["roc_auc"], roc_auc_score(y, proba, multi_class="ovr"))
    assert np.isnan(out["sensitivity"])
    partial = classification_metrics(y[:20], proba[:20].argmax(1), proba[:20], 3)
    assert np.isnan(partial["roc_auc"])  # undefined when the fold lacks a class
    assert np.array(json.loads(partial["confusion"])).shape == (3, 3)


def test_measure_catches_a_short_peak_even_when_nested():
    with measure() as outer:
        with measure() as inner:
            block = np.ones(25_000_000)  # 200 MB, touched, freed at once
            del block
        with measure() as after:
            pass
    assert inner.peak_mem_mb > 150 and outer.peak_mem_mb > 150
    assert after.peak_mem_mb < 50  # the mark is reset for each block
    assert inner.wall_s >= 0 and inner.cpu_s > 0


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_label_metrics_equal_scikit_learn(n_classes):
    rng = np.random.default_rng(n_classes)
    labels = np.arange(n_classes)
    for trial in range(200):
        n = int(rng.integers(1, 30))
        # some folds miss classes, some predict a single class
        y_true = rng.integers(0, n_classes - (trial % 3 == 0), n)
        y_pred = np.full(n, trial % n_classes) if trial % 7 == 0 \
            else rng.integers(0, n_classes, n)
        out = classification_metrics(y_true, y_pred, None, n_classes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = {
                "accuracy": accuracy_score(y_true, y_pred),
                "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
                "f1_macro": f1_score(y_true, y_pred, labels=labels, average="macro",
                                     zero_division=0),
                "kappa": cohen_kappa_score(y_true, y_pred, labels=labels),
            }
        for name, value in expected.items():
            np.testing.assert_allclose(out[name], value, atol=1e-12, err_msg=name)
        cm = confusion_matrix(y_true, y_pred, labels=labels)
        assert json.loads(out["confusion"]) == cm.tolist()


def test_average_ranks_equal_scipy_with_ties():
    from scipy.stats import rankdata

    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 50, 301):
        values = np.round(rng.normal(size=n), 1)  # rounding makes ties
        np.testing.assert_array_equal(average_ranks(values), rankdata(values))
    np.testing.assert_array_equal(average_ranks(np.full(4, 2.5)), [2.5] * 4)


def test_rank_auc_equals_scikit_learn_with_ties():
    rng = np.random.default_rng(1)
    for _ in range(100):
        n = int(rng.integers(2, 40))
        positive = rng.random(n) < 0.4
        if positive.all() or not positive.any():
            continue
        scores = np.round(rng.normal(size=n), 1)  # rounding makes ties
        np.testing.assert_allclose(binary_auc(positive, scores),
                                   roc_auc_score(positive, scores), atol=1e-12)
    y = np.repeat([0, 1, 2], 10)
    decision = rng.normal(size=(30, 3))  # rows do not sum to 1 (SVC-style)
    out = classification_metrics(y, decision.argmax(1), decision, 3)
    expected = np.mean([roc_auc_score(y == k, decision[:, k]) for k in range(3)])
    np.testing.assert_allclose(out["roc_auc"], expected, atol=1e-12)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_measure_in_a_forked_child_reads_the_child_not_the_parent():
    with measure():  # opens the parent's /proc descriptors
        pass
    big = np.ones(40_000_000)  # the parent now holds 320 MB more than the child will measure
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        with measure() as cost:
            block = np.ones(12_500_000)  # 100 MB in the child
            del block
        os.write(write, f"{cost.peak_mem_mb:.1f}".encode())
        os._exit(0)
    os.waitpid(pid, 0)
    peak = float(os.read(read, 64))
    del big
    assert 80 < peak < 150


def test_average_precision_matches_sklearn_with_ties():
    from sklearn.metrics import average_precision_score

    from neurocompare.evaluation.metrics import average_precision

    rng = np.random.default_rng(3)
    for _ in range(20):
        y = rng.integers(0, 2, 40)
        y[0] = 1
        scores = rng.integers(0, 6, 40) / 5.0  # many ties
        assert np.isclose(average_precision(y == 1, scores),
                          average_precision_score(y, scores))
    assert np.isnan(average_precision(np.zeros(5, bool), np.arange(5.0)))


def test_multiclass_average_precision_is_macro_one_vs_rest():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(4)
    y = np.repeat([0, 1, 2], 10)
    proba = rng.dirichlet(np.ones(3), 30)
    out = classification_metrics(y, proba.argmax(1), proba, 3)
    onehot = np.eye(3)[y]
    assert np.isclose(out["average_precision"],
                      average_precision_score(onehot, proba, average="macro"))


def test_regression_metrics_match_sklearn_and_scipy():
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    from neurocompare.evaluation.metrics import REGRESSION_METRICS, regression_metrics

    rng = np.random.default_rng(5)
    y = rng.normal(size=50)
    pred = y + rng.normal(scale=0.5, size=50)
    out = regression_metrics(y, pred)
    assert set(out) == set(REGRESSION_METRICS)
    assert np.isclose(out["mae"], mean_absolute_error(y, pred))
    assert np.isclose(out["rmse"], np.sqrt(mean_squared_error(y, pred)))
    assert np.isclose(out["r2"], r2_score(y, pred))
    assert np.isclose(out["spearman"], spearmanr(y, pred).statistic)
    assert np.isclose(out["pearson"], pearsonr(y, pred).statistic)
    # predicting the mean scores R^2 = 0 and undefined correlations, not an error
    flat = regression_metrics(y, np.full(50, y.mean()))
    assert np.isclose(flat["r2"], 0.0) and np.isnan(flat["spearman"])


def test_fold_metrics_share_one_schema_across_tasks():
    from neurocompare.evaluation.metrics import REGRESSION_METRICS, fold_metrics

    clf = fold_metrics(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), None, 2)
    reg = fold_metrics(np.array([0.5, 1.0, 2.0]), np.array([0.4, 1.2, 1.9]), None, 0)
    assert set(clf) == set(reg)
    assert np.isnan(clf["mae"]) and clf["accuracy"] == 0.75
    assert np.isnan(reg["accuracy"]) and reg["mae"] < 0.2
    assert all(np.isfinite(reg[m]) for m in REGRESSION_METRICS if m != "aupr")
    assert np.isnan(reg["aupr"])  # no binarisation threshold given
    assert np.isfinite(fold_metrics(np.array([0.5, 1.0, 2.0]), np.array([0.4, 1.2, 1.9]),
                                    None, 0, threshold=1.0)["aupr"])


def _brute_force_ci(y, p):
    num = den = 0.0
    for i in range(len(y)):
        for j in range(len(y)):
            if y[i] > y[j]:
                den += 1
                num += 1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0
    return num / den


def test_concordance_index_equals_brute_force_with_ties():
    from neurocompare.evaluation.metrics import concordance_index

    rng = np.random.default_rng(11)
    for n in (6, 7, 60):
        y = rng.integers(0, 5, n).astype(float)  # many tied true values
        p = np.round(y + rng.normal(0, 1.0, n))  # and tied predictions
        assert np.isclose(concordance_index(y, p), _brute_force_ci(y, p))
    y = np.arange(10.0)
    assert concordance_index(y, y) == 1.0 and concordance_index(y, -y) == 0.0
    assert concordance_index(y, np.zeros(10)) == 0.5
    assert np.isnan(concordance_index(np.ones(5), np.arange(5.0)))


def test_rm2_mse_and_thresholded_aupr():
    from sklearn.metrics import average_precision_score, mean_squared_error

    from neurocompare.evaluation.metrics import regression_metrics, rm2

    rng = np.random.default_rng(12)
    y = rng.normal(7.0, 1.0, 80)
    pred = 0.8 * y + rng.normal(0, 0.5, 80) + 1.0
    r2 = np.corrcoef(y, pred)[0, 1] ** 2
    k = (y @ pred) / (pred @ pred)
    r02 = 1 - np.sum((y - k * pred) ** 2) / np.sum((y - y.mean()) ** 2)
    assert np.isclose(rm2(y, pred), r2 * (1 - np.sqrt(abs(r2 - r02))))
    assert np.isclose(rm2(y, y), 1.0)
    out = regression_metrics(y, pred, threshold=7.0)
    assert np.isclose(out["mse"], mean_squared_error(y, pred))
    assert np.isclose(out["aupr"], average_precision_score(y >= 7.0, pred))
    assert np.isnan(regression_metrics(y, pred, threshold=100.0)["aupr"])  # no binders
