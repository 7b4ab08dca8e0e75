"""scikit-learn's estimator checks over the regression build of every connectome and tabular
pipeline that takes a real-valued target (``"regression" in spec.tasks``).

Each pipeline is built with its ``check_info`` made a regression (no classes). The molecule
pipelines' regression builds are checked in ``tests/test_molecule_pipelines.py`` and
``tests/test_molecule_deep.py``, the regression-only drug-target pipelines in
``tests/test_estimator_checks.py`` and ``tests/test_dti_pipelines.py``.
"""

from __future__ import annotations

import dataclasses
import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from neurocompare.pipelines.registry import PIPELINES
from tests.estimator_cases import check_info
from tests.estimator_cases_regression import REGRESSION_CASES
from tests.test_estimator_checks import _fast

warnings.filterwarnings("ignore", category=DeprecationWarning)

REGRESSION = [name for name, spec in PIPELINES.items()
              if "regression" in spec.tasks and not {"molecules", "pairs"} & set(spec.kinds)]


def _checked(name: str):
    info = dataclasses.replace(check_info(name), class_names=(), task="regression")
    return _fast(PIPELINES[name].build(info))


ESTIMATORS = [_checked(name) for name in REGRESSION]
NAMES = {id(est): name for est, name in zip(ESTIMATORS, REGRESSION, strict=True)}


def _expected(estimator):
    return REGRESSION_CASES[NAMES[id(estimator)]]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected)
def test_sklearn_compatible_regression(estimator, check):
    check(estimator)


def test_every_regression_build_has_its_cases():
    assert sorted(REGRESSION_CASES) == sorted(REGRESSION)
