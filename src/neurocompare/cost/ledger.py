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
measured on the sample with NeuroBench's definitions (:mod:`.ledger_torch`): an operation is
a non-zero input meeting a non-zero weight, and it is an AC when the layer's input is binary
spikes. The network's input standardisation (``C T`` MACs, foldable into the first layer)
and spike encoding are not counted. Every other step gets an analytic count
(:mod:`.ledger_steps`): a documented formula per step type, NaN with a logged warning for a
type without one.

:func:`energy_estimate` prices the counts with per-operation energies from Horowitz
(ISSCC 2014, "Computing's energy problem", 45 nm, 0.9 V):

========= ========================================== =====================================
precision MAC (multiply + add)                       AC (add)
========= ========================================== =====================================
``fp32``  4.6 pJ (3.7 pJ mult + 0.9 pJ add)          0.9 pJ
``fp16``  1.5 pJ (1.1 pJ mult + 0.4 pJ add)          0.4 pJ
``int8``  0.23 pJ (0.2 pJ mult + 0.03 pJ add)        0.03 pJ
========= ========================================== =====================================

**It is an estimate of arithmetic (compute) energy only.** It ignores memory traffic
(reading a 32-bit word costs about 5 pJ from a small SRAM and 640 pJ from DRAM in the same
source, as tabulated by Han et al. 2015, usually more than the arithmetic), control, data
movement, idle power, the encoder,
and the gap between a 45-nm datapath and the CPU or GPU that ran the pipeline; traditional
pipelines run in float64 but are priced at the chosen precision. Zero operands are assumed
free (event-driven hardware). Use it to compare operation mixes, not as a measurement.
:func:`measured_fit_energy` gives CodeCarbon's (offline) estimate of a fit's energy instead.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from torch import nn

from neurocompare._errors import check_option
from neurocompare.cost.analytic import ANALYTIC, Count, analytic_handler
from neurocompare.cost.networks import module_ledger
from neurocompare.cost.tables import TABLE_STEPS

ANALYTIC.update(TABLE_STEPS)  # connectome and clinical-table steps

__all__ = ["ENERGY_BASIS", "ENERGY_PJ", "LEDGER_COLUMNS", "energy_estimate",
           "measured_fit_energy", "operation_ledger"]

logger = logging.getLogger(__name__)

#: Energy per operation in picojoules (Horowitz 2014, 45 nm): precision -> {"mac", "ac"}.
ENERGY_PJ: dict[str, dict[str, float]] = {
    "fp32": {"mac": 4.6, "ac": 0.9},
    "fp16": {"mac": 1.5, "ac": 0.4},
    "int8": {"mac": 0.23, "ac": 0.03},
}
#: The label every energy number carries.
ENERGY_BASIS = ("estimate of compute energy only (45 nm, Horowitz 2014: FP32 MAC 4.6 pJ, "
                "AC 0.9 pJ); memory traffic, data movement and idle power ignored")
_WARNED: set[str] = set()
#: Keys of :func:`operation_ledger`'s result.
LEDGER_COLUMNS = ("param_count", "param_bytes", "connection_sparsity", "activation_sparsity",
                  "synaptic_macs", "synaptic_acs", "dense_ops")


def _network_count(step: BaseEstimator, X) -> Count:
    module: nn.Module = step.module_
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        X = X[:, None, :]
    mean, scale = getattr(step, "mean_", None), getattr(step, "scale_", None)
    if mean is not None and scale is not None:
        X = (X - mean) / scale
    parameter = next(module.parameters(), None)
    dtype = parameter.dtype if parameter is not None else torch.float32
    device = parameter.device if parameter is not None else torch.device("cpu")
    out = module_ledger(module, torch.as_tensor(X, dtype=dtype, device=device))
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
            if inner is None or inner == "passthrough":
                continue
            if hasattr(inner, "fit_resample") and not hasattr(inner, "transform"):
                continue  # a resampler (imbalanced-learn) acts in fit only: no prediction ops
            total = total + step_count(inner, X)
            if inner is not step.steps[-1][1]:
                X = inner.transform(X)
        return total
    if isinstance(getattr(step, "module_", None), nn.Module):
        return _network_count(step, X)
    handler = analytic_handler(step)
    if handler is None:
        name = f"{type(step).__module__}.{type(step).__qualname__}"
        if name not in _WARNED:  # once per step type and process, not once per fold
            _WARNED.add(name)
            logger.warning("operation ledger: no operation count for %s (add one to "
                           "neurocompare.cost.analytic.ANALYTIC); its counts are NaN",
                           type(step).__name__)
        return Count.unknown()
    return handler(step, X, step_count)


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


def energy_estimate(ledger: Mapping[str, float], precision: str = "fp32") -> float:
    """Estimated compute energy of one prediction in joules (an estimate, see below).

    ``synaptic_macs * E_MAC + synaptic_acs * E_AC`` with :data:`ENERGY_PJ`. This prices
    arithmetic only: memory traffic, data movement, control and idle power are ignored
    (:data:`ENERGY_BASIS`), so it is a lower bound for compute on a 45-nm datapath, not a
    measurement of the machine that ran the pipeline.

    Parameters
    ----------
    ledger : mapping
        A result of :func:`operation_ledger` (``synaptic_macs``, ``synaptic_acs``).
    precision : {"fp32", "fp16", "int8"}
        Arithmetic the operations are priced at.

    Returns
    -------
    float
        Joules per prediction (NaN when the counts are unknown).
    """
    check_option("precision", precision, ENERGY_PJ)
    pj = ENERGY_PJ[precision]
    return (ledger["synaptic_macs"] * pj["mac"] + ledger["synaptic_acs"] * pj["ac"]) * 1e-12


def measured_fit_energy(estimator: BaseEstimator, X, y, *, country_iso_code: str = "DEU",
                        output_dir: str | None = None) -> dict[str, Any]:
    """Fit ``estimator`` under CodeCarbon's offline tracker and return its estimate.

    Off the evaluation path (call it yourself). Without RAPL counters or NVML, CodeCarbon
    models the CPU from its TDP and the machine's load and RAM from its size, so this too is
    an estimate, of the whole machine during the fit (memory traffic included).

    Parameters
    ----------
    estimator : estimator
        Unfitted; fitted in place.
    X, y : array-like
        Training data.
    country_iso_code : str
        Grid location for the emissions factor (ISO 3166 alpha-3).
    output_dir : str, optional
        Where CodeCarbon writes its CSV (a temporary folder by default).

    Returns
    -------
    dict
        ``energy_kwh``, ``energy_j``, ``emissions_kg``, ``duration_s`` and ``basis``.
    """
    from codecarbon import OfflineEmissionsTracker
    from codecarbon.output_methods.base_output import OutputMethod

    with tempfile.TemporaryDirectory() as tmp:
        tracker = OfflineEmissionsTracker(
            country_iso_code=country_iso_code, output_dir=output_dir or tmp, log_level="error",
            output_methods=[OutputMethod.CSV] if output_dir is not None else [])
        tracker.start()
        start = time.perf_counter()
        try:
            estimator.fit(X, y)
        finally:
            emissions = tracker.stop()
        duration = time.perf_counter() - start
        data = tracker.final_emissions_data
    energy_kwh = float(getattr(data, "energy_consumed", math.nan))
    return {"energy_kwh": energy_kwh, "energy_j": energy_kwh * 3.6e6,
            "emissions_kg": float(emissions or math.nan), "duration_s": duration,
            "basis": "CodeCarbon offline estimate of the whole machine during the fit "
                     "(TDP/load model where no RAPL or NVML counters exist)"}
