"""scikit-learn's estimator checks over every registered pipeline.

Molecule and drug-target pipelines take strings (SMILES; SMILES and sequence pairs), which
the generic checks (numeric 2-D arrays) cannot feed: their model part (the estimator after
the featuriser) is checked here, and the string-specific checks run on the whole pipelines
in ``tests/test_molecule_pipelines.py``, ``tests/test_molecule_deep.py`` and
``tests/test_dti_pipelines.py`` (``mol-gcn``, ``mol-chemprop`` and the pair-only DTI
pipelines have no numeric part).
"""

from __future__ import annotations

import warnings

from sklearn.utils.estimator_checks import parametrize_with_checks

from neurocompare.pipelines.registry import PIPELINES
from tests.estimator_cases import CASES, check_info
from tests.estimator_cases_dti import PAIR_ONLY
from tests.estimator_cases_molecules import model_part
from tests.estimator_cases_molecules_deep import SMILES_ONLY

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _fast(estimator):
    """Shrink training budgets so the generic checks stay quick (behaviour is unchanged)."""
    params = estimator.get_params(deep=True)
    small = {k: 3 for k in params if k.endswith("max_epochs")}
    small |= {k: 1 for k in params if k.endswith("n_estimators") and params[k] > 10}
    return estimator.set_params(**small)


def _checked(name: str):
    estimator = _fast(PIPELINES[name].build(check_info(name)))
    string_input = {"molecules", "pairs"} & set(PIPELINES[name].kinds)
    return model_part(estimator) if string_input else estimator


CHECKED = [name for name in PIPELINES if name not in SMILES_ONLY + PAIR_ONLY]
ESTIMATORS = [_checked(name) for name in CHECKED]
NAMES = {id(est): name for est, name in zip(ESTIMATORS, CHECKED, strict=True)}


def _expected(estimator):
    return CASES[NAMES[id(estimator)]]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected)
def test_sklearn_compatible(estimator, check):
    check(estimator)
