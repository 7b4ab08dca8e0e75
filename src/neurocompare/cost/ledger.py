"""The cost ledger: operations, parameters and sparsity of one prediction, and its energy.

:func:`operation_ledger` takes a **fitted** pipeline (or estimator) and a few input trials
and returns per-prediction averages in the same columns for every family:

======================== ===================================================================
column                   meaning
======================== ===================================================================
``param_count``          numbers the prediction reads (network: all parameters)
``param_bytes``          their bytes (network: parameters + buffers; analytic: 8 each)
``connection_sparsity``  fraction of zero weights (networks; linear models' coefficients)
``activation_sparsity``  fraction of zero outputs of ReLU / spiking layers (networks only)
``synaptic_macs``        effective multiply-accumulates
``synaptic_acs``         effective accumulates (additions / comparisons, no multiply)
``dense_ops``            all operations ignoring sparsity (MAC-equivalent count)
======================== ===================================================================

Networks (any step holding a torch ``module_``, i.e. the deep and spiking pipelines) are
measured on the sample with NeuroBench's definitions (:mod:`.networks`): an operation is
a non-zero input meeting a non-zero weight, and it is an AC when the layer's input is binary
spikes. The network's input standardisation (``C T`` MACs, foldable into the first layer)
and spike encoding are not counted. Every other step gets an analytic count
(:func:`~neurocompare.cost.analytic.count_step`): a documented formula per step type, NaN
with a logged warning for a type without one.

The energy of the counts is priced by :mod:`.energy` (:func:`energy_estimate`, re-exported
here with :data:`ENERGY_PJ`, :data:`ENERGY_BASIS` and :func:`measured_fit_energy`).
"""

from __future__ import annotations

import logging
import math

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from torch import nn

# analytic_eeg and tables register their formulas on count_step as they are imported; they
# are imported here so that every formula is registered before step_count dispatches
from neurocompare.cost import analytic_eeg, dti, molecules, tables  # noqa: F401
from neurocompare.cost.analytic import Count, count_step
from neurocompare.cost.energy import (
    ENERGY_BASIS,
    ENERGY_PJ,
    energy_estimate,
    measured_fit_energy,
)
from neurocompare.cost.networks import network_ledger
from neurocompare.pipelines.common.steps import switched_off

__all__ = ["ENERGY_BASIS", "ENERGY_PJ", "LEDGER_COLUMNS", "energy_estimate",
           "measured_fit_energy", "operation_ledger", "step_count"]

logger = logging.getLogger(__name__)

_WARNED: set[str] = set()
#: Keys of :func:`operation_ledger`'s result.
LEDGER_COLUMNS = ("param_count", "param_bytes", "connection_sparsity", "activation_sparsity",
                  "synaptic_macs", "synaptic_acs", "dense_ops")


def _network_count(step: BaseEstimator, X) -> Count:
    out = network_ledger(step, X)
    return Count(macs=out["synaptic_macs"], acs=out["synaptic_acs"], dense=out["dense_ops"],
                 params=out["param_count"], param_bytes=out["param_bytes"],
                 zero_weights=out["zero_weights"], n_weights=out["n_weights"],
                 zero_activations=out["zero_activations"], n_activations=out["n_activations"])


def step_count(step: BaseEstimator, X) -> Count:
    """Per-trial :class:`~neurocompare.cost.analytic.Count` of one fitted step.

    Parameters
    ----------
    step : estimator
        A fitted step (a nested ``Pipeline`` is counted step by step).
    X : array-like, shape (n_trials, ...)
        The step's input.
    """
    if isinstance(step, Pipeline):
        total = Count()
        for _, inner in step.steps:
            if switched_off(inner):
                continue
            if hasattr(inner, "fit_resample") and not hasattr(inner, "transform"):
                continue  # a resampler (imbalanced-learn) acts in fit only: no prediction ops
            total = total + step_count(inner, X)
            if inner is not step.steps[-1][1]:
                X = inner.transform(X)
        return total
    count = count_step(step, X, step_count)  # a registered formula first (graph networks)
    if count is None and isinstance(getattr(step, "module_", None), nn.Module):
        return _network_count(step, X)
    if count is None:
        name = f"{type(step).__module__}.{type(step).__qualname__}"
        if name not in _WARNED:  # once per step type and process, not once per fold
            _WARNED.add(name)
            logger.warning("operation ledger: no operation count for %s (register one on "
                           "neurocompare.cost.analytic.count_step); its counts are NaN",
                           type(step).__name__)
        return Count.unknown()
    return count


def operation_ledger(estimator: BaseEstimator, X_sample) -> dict[str, float]:
    """Per-prediction operations, parameters and sparsity of a fitted pipeline.

    Parameters
    ----------
    estimator : Pipeline or estimator
        Fitted.
    X_sample : array-like, shape (n_trials, n_channels, n_times)
        A few input trials (e.g. up to 16 test trials); the counts are their averages.

    Returns
    -------
    dict
        :data:`LEDGER_COLUMNS` (see the module docstring); NaN where a step has no count.
    """
    count = step_count(estimator, X_sample)
    return {
        "param_count": float(count.params),
        "param_bytes": float(count.param_bytes),
        "connection_sparsity": count.zero_weights / count.n_weights if count.n_weights
        else math.nan,
        "activation_sparsity": count.zero_activations / count.n_activations
        if count.n_activations else math.nan,
        "synaptic_macs": float(count.macs),
        "synaptic_acs": float(count.acs),
        "dense_ops": float(count.dense),
    }
