"""Expected scikit-learn check failures of the connectome and tabular pipelines.

``CONNECTOME_CASES[name]`` maps each check that the pipeline ``name`` of
:data:`~neurocompare.pipelines.connectome.catalogue.CONNECTOME_SPECS` or
:data:`~neurocompare.pipelines.tabular.catalogue.TABULAR_SPECS` fails, built with its
``CHECK_INFOS`` entry (``max_epochs=3``, ``n_estimators=1`` as in
``tests/test_estimator_checks.py``), to the reason. Found with
``check_estimator(estimator, on_fail=None)``; everything else passes (pickling, subset and
sample-order invariance, dtype and shape checks, ``n_features_in_``).

How the checks' 2-D arrays are read: the time-series pipelines read a 2-D array
(n_samples, n_columns) as **single-ROI time series** of ``n_columns`` time points (as the
EEG estimators read it as single-channel epochs; see
:mod:`neurocompare.pipelines.connectome._input`). A one-ROI connectome is a 1x1 matrix
(the constant 1 for correlations), so the connectivity pipelines cannot separate the check's
blobs. The tabular pipelines read 2-D arrays as they are.
"""

from __future__ import annotations

from neurocompare.data.containers import SignalInfo
from tests.estimator_cases import PIPELINE

__all__ = ["CHECK_INFOS", "CONNECTOME_CASES"]

_SERIES = SignalInfo(kind="timeseries", class_names=("a", "b"))
_TABLE = SignalInfo(kind="tabular", class_names=("a", "b"))

_ONE_ROI = {
    "check_classifiers_train": "a 2-D row is read as a single-ROI time series; its 1x1 "
                               "connectome is constant, so nothing separates the blobs",
}
_SINGULAR = {
    "check_estimators_dtypes": "integer-valued 2-5 sample single-ROI series are often "
                               "constant: zero covariance, whose inverse (partial "
                               "correlation) or matrix logarithm (tangent) is undefined",
    "check_classifier_data_not_an_array": "the check's rows include constant single-ROI "
                                          "series: zero covariance, not invertible / SPD",
}
_UNTRAINED = {
    "check_classifiers_train": "3 epochs: the network does not reach the check's 0.83 "
                               "accuracy on single-ROI series",
}
_IMPUTED = {
    "check_estimators_nan_inf": "missing values are expected: NaN is imputed inside the "
                                "training fold by the first step, by design",
}

#: Signal info to build each pipeline with for the generic checks.
CHECK_INFOS: dict[str, SignalInfo] = {}

#: name -> {check: reason}.
CONNECTOME_CASES: dict[str, dict[str, str]] = {}

for _name in ("fc-corr-lr", "fc-corr-svm", "fc-corr-rf", "fc-graph-lr", "fc-persistence-lr"):
    CONNECTOME_CASES[_name] = PIPELINE | _ONE_ROI
for _name in ("fc-partial-lr", "fc-partial-svm", "fc-partial-rf", "fc-tangent-lr",
              "fc-tangent-svm", "fc-tangent-rf"):
    CONNECTOME_CASES[_name] = PIPELINE | _ONE_ROI | _SINGULAR
CONNECTOME_CASES["fc-corr-combat-lr"] = PIPELINE | _ONE_ROI
CONNECTOME_CASES["fc-tangent-combat-lr"] = PIPELINE | _ONE_ROI | _SINGULAR
for _name in ("fc-mlp", "fc-brainnetcnn", "fc-gcn"):
    CONNECTOME_CASES[_name] = PIPELINE | _ONE_ROI
CONNECTOME_CASES["roi-cnn1d"] = dict(PIPELINE)  # learns the blobs from the raw series
CONNECTOME_CASES["roi-gru"] = PIPELINE | _UNTRAINED

for _name in ("tab-lr", "tab-lasso-lr", "tab-rf", "tab-xgb"):
    CONNECTOME_CASES[_name] = PIPELINE | _IMPUTED
CONNECTOME_CASES["tab-lr-smote"] = PIPELINE | _IMPUTED | {
    "check_supervised_y_2d": "imbalanced-learn's pipeline ravels a column y without "
                             "sklearn's DataConversionWarning",
    "check_fit2d_1feature": "SMOTE needs more training rows than its 5 neighbours; its "
                            "error does not use the check's wording",
}
CONNECTOME_CASES["tab-rf-ros"] = PIPELINE | _IMPUTED | {
    check: "imbalanced-learn samplers refuse multi-output / multilabel targets, which the "
           "random forest alone would accept"
    for check in ("check_classifier_multioutput",
                  "check_classifiers_multilabel_representation_invariance",
                  "check_classifiers_multilabel_output_format_predict",
                  "check_classifiers_multilabel_output_format_predict_proba",
                  "check_classifiers_multilabel_output_format_decision_function")}
CONNECTOME_CASES["tab-lgbm"] = PIPELINE | _IMPUTED | {
    "check_supervised_y_no_nan": "LightGBM's scikit-learn wrapper does not reject inf in y",
}
CONNECTOME_CASES["tab-mlp"] = PIPELINE | _IMPUTED | _UNTRAINED

for _name in CONNECTOME_CASES:
    CHECK_INFOS[_name] = _TABLE if _name.startswith("tab-") else _SERIES
