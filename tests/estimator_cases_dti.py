"""Estimator-check cases for the drug-target pipelines
(:data:`~neurocompare.pipelines.dti.catalogue.DTI_SPECS`).

The pipelines read (SMILES, sequence) string pairs; scikit-learn's generic checks feed
numeric 2-D arrays. As for the molecule pipelines, the checks are split in two:

* the **generic checks** run on the model part (the ``model`` step after the pair
  featuriser) of ``dti-xgb``, ``dti-rf`` and ``dti-mlp``, which receives the numeric feature
  matrix inside the pipeline; ``DTI_CASES`` maps the checks each is expected to fail to the
  reason (found with ``check_estimator(..., on_fail=None)`` under
  ``tests/test_estimator_checks.py``'s budget cut);
* the **pair checks** (``tests/test_dti_pipelines.py``: clone, get/set_params round trip,
  not-fitted error, fit idempotence, pickling, unparsable-SMILES, numeric-input and shape
  errors) run on every whole pipeline. ``dti-kronrls``, ``dti-simboost``, ``dti-deepdta`` and
  ``dti-graphdta`` read nothing but the strings (:data:`PAIR_ONLY`): their entry is empty.
"""

from __future__ import annotations

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.dti.catalogue import DTI_SPECS
from tests.estimator_cases_molecules import _XGB_REGRESSOR

__all__ = ["CHECK_INFOS", "DTI_CASES", "PAIR_ONLY"]

#: Signal info to build each drug-target pipeline with for the checks.
CHECK_INFOS: dict[str, SignalInfo] = {
    spec.name: SignalInfo(kind="pairs", task="regression") for spec in DTI_SPECS}

#: Pipelines that read the string pairs only: no generic check applies.
PAIR_ONLY = ("dti-kronrls", "dti-simboost", "dti-deepdta", "dti-graphdta")

_WEIGHTS = {
    check: "rows are subsampled (bootstrap / subsample=0.8), so a sample weight of 2 is not "
           "the same as a repeated row (scikit-learn expects this of its own forests)"
    for check in ("check_sample_weight_equivalence_on_dense_data",
                  "check_sample_weight_equivalence_on_sparse_data")}

#: name -> {check: reason} for the numeric part of each pipeline.
DTI_CASES: dict[str, dict[str, str]] = {name: {} for name in PAIR_ONLY}
DTI_CASES["dti-xgb"] = _XGB_REGRESSOR | _WEIGHTS
DTI_CASES["dti-rf"] = dict(_WEIGHTS)
DTI_CASES["dti-mlp"] = {}  # passes every generic check, at 3 epochs too
