"""Stable keys: a hash of a pipeline's parameters, and of a (pipeline, fold) work item.

Keys depend only on parameters, never on object identity or memory addresses, so the same
configuration gets the same key in every process and every run, and changing any parameter
(at any depth of a pipeline) changes it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

__all__ = ["KEY_MODULES", "canonical_params", "class_path", "params_key", "unit_key"]

#: Module under which a class is named in keys, for classes that moved to another module
#: after results were stored: the key names a class by where it was first defined, so a
#: store written before the move still resumes (its keys are found) and the same pipeline
#: keeps the same key. New modules need no entry.
KEY_MODULES: dict[str, str] = {
    "neurocompare.pipelines.common.checks": "neurocompare.pipelines._checks",
    "neurocompare.pipelines.common.steps": "neurocompare.pipelines._steps",
    "neurocompare.pipelines.common.wrappers": "neurocompare.pipelines.wrappers",
    "neurocompare.pipelines.common.tuning": "neurocompare.pipelines.tuning",
    "neurocompare.pipelines.eeg.catalogue": "neurocompare.pipelines.traditional",
    "neurocompare.pipelines.eeg.filters": "neurocompare.pipelines.filters",
    "neurocompare.pipelines.eeg.features": "neurocompare.pipelines.features",
    "neurocompare.pipelines.eeg.spectral": "neurocompare.pipelines.spectral",
    "neurocompare.pipelines.eeg.covariance": "neurocompare.pipelines.spd",
    "neurocompare.pipelines.eeg.riemann": "neurocompare.pipelines.riemann",
    "neurocompare.pipelines.eeg.csp": "neurocompare.pipelines.spatial",
    "neurocompare.pipelines.eeg.ssvep": "neurocompare.pipelines.ssvep",
    "neurocompare.pipelines.eeg.mvpa": "neurocompare.pipelines.mvpa",
    "neurocompare.pipelines.transfer.catalogue": "neurocompare.pipelines.transfer_specs",
    "neurocompare.pipelines.transfer.alignment": "neurocompare.pipelines.transfer",
    "neurocompare.pipelines.transfer.finetune": "neurocompare.pipelines.deep.transfer",
    "neurocompare.pipelines.transfer.ptc": "neurocompare.pipelines.ptc",
    "neurocompare.pipelines.sites.combat": "neurocompare.pipelines.harmonize",
    "neurocompare.pipelines.sites.pipeline": "neurocompare.pipelines.site_pipeline",
    "neurocompare.cost.ledger": "neurocompare.pipelines.ledger",
    "neurocompare.cost.analytic": "neurocompare.pipelines.ledger_steps",
    "neurocompare.cost.tables": "neurocompare.pipelines.ledger_tables",
    "neurocompare.cost.networks": "neurocompare.pipelines.ledger_torch",
    "neurocompare.cost.macs": "neurocompare.pipelines.deep.macs",
    "neurocompare.cost.timing": "neurocompare.protocols.cost",
    "neurocompare.evaluation.fold": "neurocompare.protocols.evaluation",
    "neurocompare.evaluation.metrics": "neurocompare.protocols.metrics",
    "neurocompare.protocols.data_budget": "neurocompare.protocols.budget",
}


def class_path(cls: type) -> str:
    """``module.QualName`` of ``cls`` as keys spell it (see :data:`KEY_MODULES`)."""
    return f"{KEY_MODULES.get(cls.__module__, cls.__module__)}.{cls.__qualname__}"


def canonical_params(value: Any) -> Any:
    """Turn an estimator (recursively) or a parameter value into JSON-friendly data.

    Estimators become ``{"class": "module.Class", "params": {...}}`` using
    ``get_params(deep=False)``; containers are walked; arrays become lists; anything else
    falls back to ``repr``.
    """
    if isinstance(value, BaseEstimator):
        return {"class": class_path(type(value)),
                "params": {k: canonical_params(v)
                           for k, v in sorted(value.get_params(deep=False).items())}}
    if isinstance(value, dict):
        return {str(k): canonical_params(v) for k, v in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical_params(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, type):
        return class_path(value)
    return repr(value)


def _hash(obj: Any, length: int = 16) -> str:
    text = json.dumps(obj, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def params_key(estimator: BaseEstimator, canonical: Any = None) -> str:
    """Return a 16-hex-digit hash of ``estimator``'s parameters (all depths).

    ``canonical`` may pass ``canonical_params(estimator)`` when the caller already has it.
    """
    return _hash(canonical_params(estimator) if canonical is None else canonical)


def unit_key(**parts: Any) -> str:
    """Return a hash of the named parts identifying one stored result (e.g. dataset
    fingerprint, protocol, pipeline key, fold id, seed)."""
    return _hash(parts, length=20)
