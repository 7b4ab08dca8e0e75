"""Estimator-check cases for the deep molecule pipelines
(:data:`~neurocompare.pipelines.molecules.deep_catalogue.MOLECULE_DEEP_SPECS`).

The networks take SMILES; scikit-learn's generic checks feed numeric 2-D arrays. As for the
traditional molecule pipelines (``tests/estimator_cases_molecules.py``), the checks are
split in two:

* the **generic checks** run where a numeric matrix is the genuine input: the model part of
  ``mol-morgan-mlp`` (:class:`FingerprintMLPClassifier` / :class:`FingerprintMLPRegressor`,
  which receive the fingerprint matrix inside the pipeline), built for classification
  (``MOLECULE_DEEP_CASES``, the registry's completeness key) and for regression
  (``MOLECULE_DEEP_REGRESSION_CASES``), each mapping the checks expected to fail to the
  reason. ``check_estimator(..., on_fail=None)`` under ``tests/test_estimator_checks.py``'s
  budget cut (``max_epochs=3``) finds none: both pass all 55 / 52 generic checks. ``mol-gcn`` and
  ``mol-chemprop`` read nothing but SMILES (graphs are built from the strings), so they
  have no numeric part: their entry is empty and they are listed in :data:`SMILES_ONLY`;
* the **SMILES checks** (``SMILES_CHECKS`` of ``tests/estimator_cases_molecules.py``: clone,
  get/set_params round trip, not-fitted error, fit idempotence, list / 1-D / (n, 1) /
  pickled inputs, unparsable-SMILES and numeric-input errors) run on every whole pipeline,
  for both tasks, with :func:`fast` budgets.
"""

from __future__ import annotations

from neurocompare.data.containers import SignalInfo
from neurocompare.pipelines.molecules.deep_catalogue import MOLECULE_DEEP_SPECS

__all__ = [
    "CHECK_INFOS",
    "MOLECULE_DEEP_CASES",
    "MOLECULE_DEEP_REGRESSION_CASES",
    "NUMERIC_PARTS",
    "SMILES_ONLY",
    "fast",
]

#: Signal info to build each deep molecule pipeline with for the checks.
CHECK_INFOS: dict[str, SignalInfo] = {
    spec.name: SignalInfo(kind="molecules", class_names=("a", "b"))
    for spec in MOLECULE_DEEP_SPECS}

#: Pipelines whose last step (``model``) reads a numeric matrix: the generic checks run on it.
NUMERIC_PARTS = ("mol-morgan-mlp",)
#: Pipelines that read SMILES only: no generic check applies, the SMILES checks do.
SMILES_ONLY = ("mol-gcn", "mol-chemprop")


def fast(estimator):
    """Shrink training budgets as ``tests/test_estimator_checks.py``'s ``_fast`` does
    (``max_epochs=3``), and use the CPU so results do not depend on the machine."""
    params = estimator.get_params(deep=True)
    small = {k: 3 for k in params if k.endswith("max_epochs")}
    small |= {k: "cpu" for k in params if k.endswith("device")}
    return estimator.set_params(**small)


#: name -> {check: reason} for the classification numeric part of each pipeline (empty for
#: the SMILES-only ones, which the generic checks skip).
MOLECULE_DEEP_CASES: dict[str, dict[str, str]] = {
    "mol-morgan-mlp": {},  # passes every generic check, at 3 epochs too
    "mol-gcn": {},
    "mol-chemprop": {},
}
#: name -> {check: reason} for the regression numeric part of each pipeline.
MOLECULE_DEEP_REGRESSION_CASES: dict[str, dict[str, str]] = {
    "mol-morgan-mlp": {},
    "mol-gcn": {},
    "mol-chemprop": {},
}
