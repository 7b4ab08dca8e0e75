"""Fold metrics against direct scikit-learn computations and hand counts."""

import json

import numpy as np
from sklearn.metrics import roc_auc_score

from neurocompare.protocols.cost import measure
from neurocompare.protocols.metrics import METRICS, classification_metrics


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
