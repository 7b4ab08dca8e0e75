"""Estimator-check cases for the traditional molecule pipelines
(:data:`~neurocompare.pipelines.molecules.catalogue.MOLECULE_SPECS`).

A molecule pipeline takes SMILES strings; scikit-learn's generic checks feed numeric 2-D
arrays, which are not SMILES, so the full pipeline would fail nearly every generic check
for that reason alone (its featuriser rejects numbers with an input error naming ``X``).
The checks are therefore split honestly in two:

* the **generic checks** run on the *model part* of each pipeline (:func:`model_part`:
  the estimator after the featuriser, which receives a numeric matrix in the pipeline
  too), built for classification (``MOLECULE_CASES``, the registry's completeness key)
  and for regression (``MOLECULE_REGRESSION_CASES``), each mapping the checks that model
  is expected to fail to the reason (found with ``check_estimator(..., on_fail=None)``
  under the same budget cut as ``tests/test_estimator_checks.py``: ``n_estimators=1``);
* the **SMILES checks** (:data:`SMILES_CHECKS`) run on the whole pipeline with real
  SMILES: clone, get/set_params round trip, not-fitted error, fit idempotence, the same
  predictions for a list, a 1-D and an (n, 1) array and after pickling, and the input
  errors for an unparsable SMILES (at fit and at prediction) and for numeric input.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError

from neurocompare._errors import InputError
from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.molecules.catalogue import MOLECULE_SPECS

__all__ = [
    "CHECK_INFOS",
    "MOLECULE_CASES",
    "MOLECULE_REGRESSION_CASES",
    "REGRESSION_INFO",
    "SMILES_CHECKS",
    "fast",
    "model_part",
]

#: Signal info to build each molecule pipeline with for the generic checks.
CHECK_INFOS: dict[str, SignalInfo] = {
    spec.name: SignalInfo(kind="molecules", class_names=("a", "b")) for spec in MOLECULE_SPECS}
#: The same pipelines built as regressors.
REGRESSION_INFO = SignalInfo(kind="molecules", task="regression")


def model_part(pipeline):
    """The estimator after the featuriser (the ``model`` step), unfitted."""
    return clone(pipeline.named_steps["model"])


def fast(estimator):
    """Shrink training budgets as ``tests/test_estimator_checks.py``'s ``_fast`` does."""
    params = estimator.get_params(deep=True)
    small = {k: 1 for k in params if k.endswith("n_estimators") and params[k] > 10}
    return estimator.set_params(**small)


_FOREST_WEIGHTS = {
    check: "a random forest draws bootstrap rows, so a sample weight of 2 is not the same "
           "as a repeated row (scikit-learn expects the same failure of its own forests)"
    for check in ("check_sample_weight_equivalence_on_dense_data",
                  "check_sample_weight_equivalence_on_sparse_data")}
_CALIBRATED = {
    "check_sample_weight_equivalence_on_dense_data": "CalibratedClassifierCV splits the "
        "rows into 5 folds: a weight of 2 is not the same as a repeated row, which may fall "
        "in another fold",
    "check_supervised_y_2d": "scikit-learn's CalibratedClassifierCV(ensemble=False) fails "
                             "on a column y with any SVC (IndexError in cross_val_predict)",
    "check_fit2d_1feature": "with 1 sample per class, the 5-fold calibration refuses "
                            "before the feature check, with its own wording",
}
_XGB_REGRESSOR = {
    "check_regressors_train": "one boosted tree (the checks' budget) at xgboost's learning "
                              "rate 0.3 does not reach the check's R^2 of 0.5 (100 trees do)",
    "check_regressor_multioutput": "xgboost predicts float32; the catalogue never fits "
                                   "several targets",
    "check_all_zero_sample_weights_error": "xgboost rejects all-zero weights with its own "
                                           "wording",
}

#: name -> {check: reason} for the classification model part of each pipeline.
MOLECULE_CASES: dict[str, dict[str, str]] = {
    "mol-morgan-rf": dict(_FOREST_WEIGHTS),
    "mol-morgan-xgb": {},
    "mol-morgan-counts-rf": dict(_FOREST_WEIGHTS),
    "mol-descriptors-rf": dict(_FOREST_WEIGHTS),
    "mol-descriptors-xgb": {},
    "mol-maccs-rf": dict(_FOREST_WEIGHTS),
    "mol-morgan-svm": dict(_CALIBRATED),
    "mol-morgan-linear": {},
    "mol-mol2vec-rf": dict(_FOREST_WEIGHTS),
}

#: name -> {check: reason} for the regression model part of each pipeline.
MOLECULE_REGRESSION_CASES: dict[str, dict[str, str]] = {
    name: {} for name in MOLECULE_CASES}
MOLECULE_REGRESSION_CASES["mol-morgan-xgb"] = dict(_XGB_REGRESSOR)
MOLECULE_REGRESSION_CASES["mol-descriptors-xgb"] = dict(_XGB_REGRESSOR)
MOLECULE_REGRESSION_CASES["mol-morgan-linear"] = {
    "check_non_transformer_estimators_n_iter": "Ridge's direct solvers have no n_iter_ "
                                               "(scikit-learn expects the same failure)"}

# -- SMILES checks on whole pipelines --------------------------------------------------

_ACIDS = ["CC(=O)O", "CCC(=O)O", "CCCC(=O)O", "CC(C)C(=O)O", "OC(=O)c1ccccc1",
          "CCCCCC(=O)O", "OC(=O)CCN", "OC(=O)CO", "CC(O)C(=O)O", "OC(=O)C1CCCCC1",
          "Cc1ccc(cc1)C(=O)O", "NCCCC(=O)O"]
_OTHERS = ["CCO", "CCCN", "CCOC(=O)C", "CC(=O)C", "c1ccccc1O", "CCCCCCO", "CC(C)N",
           "COC(=O)c1ccccc1", "CCN(CC)CC", "C1CCCCC1O", "CC(=O)N", "Cc1ccccc1"]
#: A small SMILES set: carboxylic acids (label 1) and other small molecules (label 0).
SMILES = np.array(_ACIDS + _OTHERS, dtype=object)
LABELS = np.array([1] * len(_ACIDS) + [0] * len(_OTHERS))
TARGETS = np.array([s.upper().count("C") for s in SMILES], dtype=float)


def _target(estimator) -> np.ndarray:
    return LABELS if is_classifier(estimator) else TARGETS


def _outputs(fitted, X) -> list[np.ndarray]:
    outputs = [np.asarray(fitted.predict(X))]
    if hasattr(fitted, "predict_proba"):
        outputs.append(np.asarray(fitted.predict_proba(X)))
    return outputs


def _assert_same(first: list[np.ndarray], second: list[np.ndarray]) -> None:
    for a, b in zip(first, second, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def check_clone(estimator) -> None:
    """A clone has the same parameters and is unfitted."""
    fitted = clone(estimator).fit(SMILES, _target(estimator))
    copy = clone(fitted)
    assert repr(copy.get_params(deep=True)) == repr(estimator.get_params(deep=True))
    with pytest.raises(NotFittedError):
        copy.predict(SMILES)


def check_params_round_trip(estimator) -> None:
    """``set_params(**get_params())`` changes nothing, at every depth."""
    before = repr(estimator.get_params(deep=True))
    shallow = estimator.get_params(deep=False)
    deep = {k: v for k, v in estimator.get_params(deep=True).items() if "__" in k}
    estimator.set_params(**shallow).set_params(**deep)
    assert repr(estimator.get_params(deep=True)) == before


def check_not_fitted(estimator) -> None:
    """Prediction before ``fit`` raises ``NotFittedError``."""
    with pytest.raises(NotFittedError):
        clone(estimator).predict(SMILES)


def check_fit_idempotent(estimator) -> None:
    """Refitting (also after a fit on other rows) gives the same predictions."""
    y = _target(estimator)
    fitted = clone(estimator).fit(SMILES, y)
    first = _outputs(fitted, SMILES)
    fitted.fit(SMILES[::2], y[::2])
    _assert_same(first, _outputs(fitted.fit(SMILES, y), SMILES))


def check_input_forms(estimator) -> None:
    """A list, a 1-D and an (n, 1) array give the same predictions; so does a pickled
    copy."""
    fitted = clone(estimator).fit(list(SMILES), _target(estimator))
    reference = _outputs(fitted, SMILES)
    _assert_same(reference, _outputs(fitted, SMILES[:, None]))
    _assert_same(reference, _outputs(fitted, list(SMILES)))
    _assert_same(reference, _outputs(pickle.loads(pickle.dumps(fitted)), SMILES))


def check_unparsable_smiles(estimator) -> None:
    """An unparsable SMILES raises an input error naming ``X``, its row and the string."""
    bad = SMILES.copy()
    bad[3] = "C1CC(N"
    with pytest.raises(InputError, match=r"X\[3\].*C1CC\(N"):
        clone(estimator).fit(bad, _target(estimator))
    fitted = clone(estimator).fit(SMILES, _target(estimator))
    with pytest.raises(InputError, match=r"X\[3\].*C1CC\(N"):
        fitted.predict(bad)


def check_numeric_input(estimator) -> None:
    """Numeric features instead of SMILES raise an input error naming ``X``."""
    numeric = np.random.default_rng(0).normal(size=(len(SMILES), 3))
    with pytest.raises(InputError, match=r"X"):
        clone(estimator).fit(numeric, _target(estimator))


#: The SMILES checks, run on every molecule pipeline built for each task.
SMILES_CHECKS = (check_clone, check_params_round_trip, check_not_fitted,
                 check_fit_idempotent, check_input_forms, check_unparsable_smiles,
                 check_numeric_input)
