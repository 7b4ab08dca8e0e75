"""Expected scikit-learn check failures of the transfer and PTC pipelines.

Given plain labels, the domain-aware pipelines are their plain counterparts (``ts-lr``,
``csp-lda``, ``shallow-convnet``), so they fail the same checks for the same reasons.
"""

from __future__ import annotations

from tests.estimator_cases import _DEEP, PIPELINE
from tests.estimator_cases_traditional import _COV, _NO_SET_OUTPUT, _SPECTRAL

TRANSFER_CASES: dict[str, dict[str, str]] = {
    "ts-lr-rct": _COV,
    "ts-lr-ea": _COV,
    "csp-lda-ea": _COV | {"check_transformer_preserve_dtypes": _NO_SET_OUTPUT},
    "ts-lr-target": _COV,
    "ssvep-fb-ts-lr-rct": _COV | {"check_classifier_data_not_an_array": "its 2-sample "
                                  "integer rows include constant ones, whose zero covariance "
                                  "is not positive definite"},
    "shallow-convnet-ft": PIPELINE | {"check_classifiers_train":
                                      _DEEP["check_classifiers_train"]},
    "ptc-bandpower": PIPELINE | {"check_classifiers_train": _SPECTRAL},
}
