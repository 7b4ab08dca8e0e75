"""scikit-learn's estimator checks over every registered pipeline."""

from __future__ import annotations

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from neurocompare.pipelines.registry import PIPELINES
from tests.estimator_cases import CASES, check_info

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _fast(estimator):
    """Shrink training budgets so the generic checks stay quick (behaviour is unchanged)."""
    params = estimator.get_params(deep=True)
    small = {k: 3 for k in params if k.endswith("max_epochs")}
    small |= {k: 1 for k in params if k.endswith("n_estimators") and params[k] > 10}
    return estimator.set_params(**small)


ESTIMATORS = [_fast(spec.build(check_info(name))) for name, spec in PIPELINES.items()]
NAMES = {id(est): name for est, name in zip(ESTIMATORS, PIPELINES, strict=True)}


def _expected(estimator):
    return CASES[NAMES[id(estimator)]]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected)
def test_sklearn_compatible(estimator, check):
    check(estimator)
