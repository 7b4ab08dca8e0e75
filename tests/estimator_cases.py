"""Test cases for every registered pipeline (the completeness test requires one each).

``CASES[name]`` maps the scikit-learn estimator checks that the pipeline is expected to fail
to the reason why. scikit-learn's checks feed 2-D arrays with a few columns; our EEG
estimators read a 2-D array as single-channel epochs of ``n_columns`` time samples, so
checks that need the columns to be separable *as values* do not apply to spectral or
convolutional pipelines.
"""

from __future__ import annotations

from neurocompare.data.containers import SignalInfo

#: A generic EEG description used to build every pipeline for the generic checks.
CHECK_INFO = SignalInfo(kind="epochs", class_names=("a", "b"), sfreq=128.0)

#: Every registered pipeline is an sklearn ``Pipeline``, which fits its steps in place: the
#: ``steps`` parameter then holds fitted objects. scikit-learn's own Pipeline fails these too.
PIPELINE = {
    "check_estimators_overwrite_params": "sklearn Pipeline fits the estimators in `steps` "
                                         "in place",
    "check_dont_overwrite_parameters": "sklearn Pipeline fits the estimators in `steps` "
                                       "in place",
}
_SPECTRAL = ("a 2-D row is read as a short time series; its power spectrum does not keep "
             "the value differences that separate the check's classes")
_DEEP = {
    "check_classifiers_train": "3 epochs on 3 time samples per row: the network cannot "
                               "reach the check's 0.83 accuracy on a spectral reading of "
                               "the blobs",
    "check_methods_subset_invariance": "float32 inference: batch and single-trial outputs "
                                       "agree to ~1e-6, not the check's 1e-7",
}


def _all_cases() -> tuple[dict[str, dict[str, str]], dict[str, SignalInfo]]:
    from tests.estimator_cases_connectome import CHECK_INFOS as TABLE_INFOS
    from tests.estimator_cases_connectome import CONNECTOME_CASES
    from tests.estimator_cases_deep import DEEP_CASES
    from tests.estimator_cases_dti import CHECK_INFOS as PAIR_INFOS
    from tests.estimator_cases_dti import DTI_CASES
    from tests.estimator_cases_molecules import CHECK_INFOS as MOLECULE_INFOS
    from tests.estimator_cases_molecules import MOLECULE_CASES
    from tests.estimator_cases_molecules_deep import CHECK_INFOS as DEEP_MOLECULE_INFOS
    from tests.estimator_cases_molecules_deep import MOLECULE_DEEP_CASES
    from tests.estimator_cases_spiking import SPIKING_CASES
    from tests.estimator_cases_traditional import CHECK_INFOS, TRADITIONAL_CASES
    from tests.estimator_cases_transfer import TRANSFER_CASES

    cases = TRADITIONAL_CASES | TRANSFER_CASES | DEEP_CASES | SPIKING_CASES | CONNECTOME_CASES \
        | MOLECULE_CASES | MOLECULE_DEEP_CASES | DTI_CASES
    return cases, CHECK_INFOS | TABLE_INFOS | MOLECULE_INFOS | DEEP_MOLECULE_INFOS | PAIR_INFOS


#: name -> {check: reason} for every registered pipeline.
CASES, CHECK_INFOS = _all_cases()


def check_info(name: str) -> SignalInfo:
    """Signal info to build ``name`` for the generic checks (some pipelines need extras)."""
    return CHECK_INFOS.get(name, CHECK_INFO)
