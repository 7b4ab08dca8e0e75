"""Estimator-check cases for the traditional EEG pipelines
(:mod:`neurocompare.pipelines.eeg.catalogue`).

``TRADITIONAL_CASES[name]`` maps each scikit-learn estimator check that the pipeline is
expected to fail to the reason why (see :mod:`tests.estimator_cases`). Pipelines that need
keys in ``info.extra`` are built for the checks with the :class:`SignalInfo` in
``CHECK_INFOS`` (the generic ``CHECK_INFO`` otherwise).

The checks feed 2-D arrays with a few columns; our estimators read a row as a single-channel
epoch of ``n_columns`` time samples. Recurring reasons:

* ``check_classifiers_train``: the blobs are separable by their values, not by the spectrum,
  variance or covariance of a 2-sample "signal", nor by its correlation with sinusoids;
* ``check_estimators_dtypes`` (covariance pipelines): integer-valued 5-sample rows are often
  constant; a constant trial has a zero (singular, not SPD) covariance, so its log-variance
  or Riemannian logarithm is undefined;
* ``check_transformer_preserve_dtypes``: pipelines that end in a transformer are checked as
  transformers, and PickChannels (3-D epochs) has no ``set_output``.
"""

from __future__ import annotations

from neurocompare.data.containers import SignalInfo
from tests.estimator_cases import PIPELINE

__all__ = ["CHECK_INFOS", "TRADITIONAL_CASES"]

#: Check infos of pipelines that need ``info.extra`` keys: like the SSVEP dataset, a rest
#: class (code 0) and three stimulation frequencies (codes 1-3) for CCA; a broadband group
#: and a filter-bank group, both the single channel of the check data, for the filter-bank
#: covariances.
CHECK_INFOS: dict[str, SignalInfo] = {
    "ssvep-cca": SignalInfo(kind="epochs", class_names=("rest", "10Hz", "15Hz", "20Hz"),
                            sfreq=128.0,
                            extra={"stim_freqs": {"10Hz": 10.0, "15Hz": 15.0, "20Hz": 20.0}}),
    **{name: SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=128.0,
                        extra={"channel_groups": {"1-45Hz": [0], "9.5-10.5Hz": [0]}})
       for name in ("ssvep-fb-ts-lr", "ssvep-fb-ts-svm", "ssvep-fb-mdm",
                    "ssvep-fb-ts-lr-rct")},
}

_SPECTRAL = ("a 2-D row is read as a short time series; its power spectrum does not keep "
             "the value differences that separate the check's classes")
_COVARIANCE = ("a 2-D row is read as a short single-channel time series; its (band-passed) "
               "variance does not keep the value differences that separate the check's "
               "classes")
_CONSTANT = ("integer-valued 5-sample rows are often constant: a constant trial has a zero, "
             "not positive-definite, covariance (log-variance / matrix logarithm undefined)")
_NO_SET_OUTPUT = ("the pipeline ends in a transformer, so it is checked as one; epochs are "
                  "3-D, so pandas/polars output (set_output) does not apply to PickChannels")

_COV = PIPELINE | {"check_classifiers_train": _COVARIANCE,
                   "check_estimators_dtypes": _CONSTANT}
#: The fitted grid search's ``cv_results_`` holds masked arrays, which joblib cannot hash:
#: the check stops there, before reporting the in-place fit of ``steps``.
_TUNED = {"check_estimators_overwrite_params": PIPELINE["check_estimators_overwrite_params"]
          + " (the check first fails hashing the fitted GridSearchCV's masked-array "
          "cv_results_)"}
_CCA = ("a 2-D row is read as a short single-channel time series; its correlation with "
        "10/15/20-Hz sinusoids does not keep the value differences that separate the "
        "check's classes")

TRADITIONAL_CASES: dict[str, dict[str, str]] = {
    "bandpower-lda": PIPELINE | {
        "check_classifiers_train": _SPECTRAL,
        "check_classifiers_one_label": "scikit-learn's eigen-solver LDA raises IndexError, "
                                       "not ValueError, on one class",
        "check_transformer_preserve_dtypes": _NO_SET_OUTPUT,
        "check_fit2d_1feature": "one time sample gives identical band powers; LDA's "
                                "eigen solver reports a singular matrix",
    },
    **{name: PIPELINE | {"check_classifiers_train": _SPECTRAL}
       for name in ("bandpower-svm", "bandpower-lr", "bandpower-enet", "bandpower-rf",
                    "bandpower-xgb", "bandpower-knn", "bandpower-adaboost", "mvpa-lr")},
    "bandpower-svm-tuned": PIPELINE | _TUNED | {"check_classifiers_train": _SPECTRAL},
    "ensemble-stack": PIPELINE | {
        "check_classifiers_train": _SPECTRAL,
        "check_transformer_preserve_dtypes": _NO_SET_OUTPUT,
    },
    "csp-lda": _COV | {"check_transformer_preserve_dtypes": _NO_SET_OUTPUT},
    "fbcsp-lda": _COV | {
        "check_transformer_preserve_dtypes": _NO_SET_OUTPUT,
        "check_classifier_data_not_an_array": "its 2-sample integer rows include constant "
                                              "ones: zero band variance, log-variance -inf",
    },
    "ts-lr": _COV,
    "ts-svm": _COV,
    "ts-lr-tuned": _COV | _TUNED,
    "mdm": _COV | {"check_transformer_preserve_dtypes": _NO_SET_OUTPUT},
    "fgmdm": _COV | {"check_transformer_preserve_dtypes": _NO_SET_OUTPUT},
    "ssvep-cca": PIPELINE | {
        "check_classifiers_train": _CCA,
        "check_classifiers_classes": "classes are identified by their stimulation frequency "
                                     "(class code -> Hz); the check's string labels have "
                                     "none, and at most one class (rest) may lack one",
    },
    **{name: _COV | {"check_classifier_data_not_an_array": "its 2-sample integer rows "
                     "include constant ones, whose zero covariance is not positive definite"}
       for name in ("ssvep-fb-ts-lr", "ssvep-fb-ts-svm")},
    "ssvep-fb-mdm": _COV | {
        "check_classifier_data_not_an_array": "its 2-sample integer rows include constant "
                                              "ones, whose zero covariance is not positive "
                                              "definite",
        "check_transformer_preserve_dtypes": _NO_SET_OUTPUT,
    },
}
