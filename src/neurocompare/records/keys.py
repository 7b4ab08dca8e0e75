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

__all__ = ["canonical_params", "params_key", "unit_key"]


def canonical_params(value: Any) -> Any:
    """Turn an estimator (recursively) or a parameter value into JSON-friendly data.

    Estimators become ``{"class": "module.Class", "params": {...}}`` using
    ``get_params(deep=False)``; containers are walked; arrays become lists; anything else
    falls back to ``repr``.
    """
    if isinstance(value, BaseEstimator):
        cls = type(value)
        return {"class": f"{cls.__module__}.{cls.__qualname__}",
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
        return f"{value.__module__}.{value.__qualname__}"
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
