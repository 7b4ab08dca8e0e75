"""Every drug-target pipeline as a scikit-learn estimator on string pairs, and the registry
entries: pair checks (the generic checks' equivalents for string input), a planted effect
learned through the runner's fold evaluation, and the DTI specs' completeness."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from neurocompare._errors import InputError
from neurocompare.data.containers import NeuralData, SignalInfo
from neurocompare.evaluation.fold import evaluate_fold
from neurocompare.pipelines.dti.catalogue import DTI_SPECS
from neurocompare.pipelines.registry import PIPELINES
from neurocompare.protocols.registry import make_splitter
from tests.estimator_cases_dti import DTI_CASES, PAIR_ONLY

INFO = SignalInfo(kind="pairs", task="regression",
                  extra={"smiles_len": 24, "protein_len": 40, "affinity_threshold": 6.0})
#: Two drug families (alcohols; anilines, which carry the nitrogen) and two target families
#: (no lysine; seven), so that both the similarity and the feature pipelines can see them.
DRUGS = ["CCO", "CCCO", "CCCCO", "CC(C)O", "Nc1ccccc1", "Cc1ccccc1N", "CCc1ccccc1N",
         "Nc1ccc(C)cc1"]
TARGETS = ["MAVLAAGLLRWEDS", "MAVLAAGLLRWQDT", "MAVLSAGLLRWEDA", "MKKTAYIKKQRKKS",
           "MKKTAYIKKQRKKA", "MKKTSYIKKQRKKT"]


def _pairs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every drug with every target; affinity = nitrogen in the drug + lysines of the
    target (the two families of each)."""
    X = np.array([(d, t) for d in DRUGS for t in TARGETS], dtype=object)
    y = np.array([5.0 + 1.5 * ("N" in d.upper()) + 0.3 * t.count("K") for d, t in X])
    return X, y + rng.normal(0, 0.05, len(y))


def _fast(estimator):
    params = estimator.get_params(deep=True)
    small = {k: 3 for k in params if k.endswith("max_epochs")}
    small |= {k: 5 for k in params if k.endswith("n_estimators")}
    small |= {k: 2 for k in params if k.endswith("cv") and isinstance(params[k], int)}
    return estimator.set_params(**small)


def _build(name: str):
    return _fast(PIPELINES[name].build(INFO))


NAMES = [spec.name for spec in DTI_SPECS]


def test_every_dti_pipeline_has_its_cases_and_builds_offline():
    assert set(DTI_CASES) == set(NAMES)
    assert set(PAIR_ONLY) <= set(NAMES)
    for spec in DTI_SPECS:
        assert spec.kinds == ("pairs",) and spec.tasks == ("regression",)
        assert spec.build(INFO) is not None


@pytest.mark.parametrize("name", NAMES)
def test_pair_checks(name, rng):
    X, y = _pairs(rng)
    estimator = _build(name)
    before = repr(estimator.get_params(deep=True))
    estimator.set_params(**estimator.get_params(deep=False))
    assert repr(estimator.get_params(deep=True)) == before
    with pytest.raises(NotFittedError):
        clone(estimator).predict(X)
    fitted = clone(estimator).fit(X, y)
    first = fitted.predict(X)
    assert first.shape == (len(X),) and np.isfinite(first).all()
    copy = clone(fitted)
    assert repr(copy.get_params(deep=True)) == repr(estimator.get_params(deep=True))
    fitted.fit(X[::2], y[::2])  # refitting on other rows, then on the same: same model
    np.testing.assert_allclose(fitted.fit(X, y).predict(X), first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(fitted)).predict(X), first,
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(fitted.predict(X[5:9]), first[5:9], rtol=1e-5, atol=1e-6)
    bad = X.copy()
    bad[3, 0] = "C1CC(N"
    with pytest.raises(InputError, match=r"X"):
        clone(estimator).fit(bad, y)
    with pytest.raises(InputError, match=r"X"):
        clone(estimator).fit(np.random.default_rng(0).normal(size=(len(X), 3)), y)


@pytest.mark.parametrize("name", ["dti-xgb", "dti-rf"])
def test_planted_effect_is_learned_on_unseen_pairs(name, rng):
    """Through the runner's fold evaluation on DeepDTA's setting-1 protocol (a fixed test set
    of pairs, training subsets of the other pairs): far below the mean's error. (KronRLS and
    SimBoost recover planted effects on larger toy sets in ``tests/test_dti_models.py``; 24
    training pairs are too few for their similarity and cross-fitted features.)"""
    X, y = _pairs(rng)
    metadata = pd.DataFrame({"subject": "all", "session": "0", "run": "0",
                             "drug_id": [DRUGS.index(d) for d in X[:, 0]],
                             "target_id": [TARGETS.index(t) for t in X[:, 1]],
                             "setting1": ["test" if i % 4 == 0 else f"train{i % 4}"
                                          for i in range(len(X))]})
    data = NeuralData(X, y, metadata, INFO)
    errors, baseline = [], []
    for fold in make_splitter("dti-setting1").folds(metadata, y):
        result = evaluate_fold({name: PIPELINES[name].build(INFO)}, data, fold)[name]
        errors.append(result["mae"])
        baseline.append(np.abs(y[fold.test] - y[fold.train].mean()).mean())
        assert 0.5 < result["ci"] <= 1.0
    assert np.mean(errors) < 0.6 * np.mean(baseline)


@pytest.mark.parametrize("name", NAMES)
def test_every_dti_pipeline_gets_a_finite_operation_count(name, rng):
    from neurocompare.cost.ledger import operation_ledger

    X, y = _pairs(rng)
    ledger = operation_ledger(_build(name).fit(X, y), X[:4])
    assert np.isfinite(ledger["dense_ops"]) and np.isfinite(ledger["param_count"])
    if name == "dti-kronrls":  # k_d^T A k_t alone is n_drugs x n_targets MACs
        assert ledger["synaptic_macs"] >= len(DRUGS) * len(TARGETS)
