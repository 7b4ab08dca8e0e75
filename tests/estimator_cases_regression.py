"""Expected scikit-learn check failures of the regression builds of the connectome and
tabular pipelines (see ``tests/test_estimator_checks_regression.py``; the molecule
pipelines' regression builds are checked in ``tests/test_molecule_pipelines.py``).

``REGRESSION_CASES[name]`` maps each check the regression build of ``name`` fails, built as
in ``tests/test_estimator_checks.py`` (``max_epochs=3``, ``n_estimators=1``), to the reason.
Found with ``check_estimator(estimator, on_fail=None)``; everything else passes.
"""

from __future__ import annotations

from tests.estimator_cases import PIPELINE
from tests.estimator_cases_molecules import _XGB_REGRESSOR

__all__ = ["REGRESSION_CASES"]

_ONE_ROI = {
    "check_regressors_train": "a 2-D row is read as a single-ROI time series; its 1x1 "
                              "connectome is constant, so nothing predicts the target",
}
_SINGULAR = {
    "check_estimators_dtypes": "integer-valued 2-5 sample single-ROI series are often "
                               "constant: zero covariance, whose inverse (partial "
                               "correlation) or matrix logarithm (tangent) is undefined",
}
_IMPUTED = {
    "check_estimators_nan_inf": "missing values are expected: NaN is imputed inside the "
                                "training fold by the first step, by design",
}
_BUDGET = {
    "check_regressors_train": "the checks' budget (3 epochs, one tree) does not reach the "
                              "check's R^2 of 0.5",
}

#: name -> {check: reason}.
REGRESSION_CASES: dict[str, dict[str, str]] = {}
for _kind in ("corr", "partial", "tangent"):
    for _model in ("lr", "svm", "rf"):
        REGRESSION_CASES[f"fc-{_kind}-{_model}"] = PIPELINE | _ONE_ROI | (
            {} if _kind == "corr" else _SINGULAR)
REGRESSION_CASES["fc-mlp"] = PIPELINE | _ONE_ROI
for _name in ("tab-lr", "tab-rf"):
    REGRESSION_CASES[_name] = PIPELINE | _IMPUTED
REGRESSION_CASES["tab-lgbm"] = PIPELINE | _IMPUTED | _BUDGET
REGRESSION_CASES["tab-mlp"] = PIPELINE | _IMPUTED | _BUDGET
REGRESSION_CASES["tab-xgb"] = PIPELINE | _IMPUTED | {
    k: v for k, v in _XGB_REGRESSOR.items() if k != "check_all_zero_sample_weights_error"} | {
    "check_supervised_y_no_nan": "xgboost rejects a NaN target with its own wording, not "
                                 "scikit-learn's (the check imposes it on sklearn Pipelines)"}
