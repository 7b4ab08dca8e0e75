"""Energy of one prediction priced from its operation counts, and CodeCarbon's fit estimate.

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

import math
import tempfile
import time
from collections.abc import Mapping
from typing import Any

from sklearn.base import BaseEstimator

from neurocompare._errors import check_option

__all__ = ["ENERGY_BASIS", "ENERGY_PJ", "energy_estimate", "measured_fit_energy"]

#: Energy per operation in picojoules (Horowitz 2014, 45 nm): precision -> {"mac", "ac"}.
ENERGY_PJ: dict[str, dict[str, float]] = {
    "fp32": {"mac": 4.6, "ac": 0.9},
    "fp16": {"mac": 1.5, "ac": 0.4},
    "int8": {"mac": 0.23, "ac": 0.03},
}
#: The label every energy number carries.
ENERGY_BASIS = ("estimate of compute energy only (45 nm, Horowitz 2014: FP32 MAC 4.6 pJ, "
                "AC 0.9 pJ); memory traffic, data movement and idle power ignored")


def energy_estimate(ledger: Mapping[str, float], precision: str = "fp32") -> float:
    """Estimated compute energy of one prediction in joules (an estimate, see below).

    ``synaptic_macs * E_MAC + synaptic_acs * E_AC`` with :data:`ENERGY_PJ`. This prices
    arithmetic only: memory traffic, data movement, control and idle power are ignored
    (:data:`ENERGY_BASIS`), so it is a lower bound for compute on a 45-nm datapath, not a
    measurement of the machine that ran the pipeline.

    Parameters
    ----------
    ledger : mapping
        A result of :func:`~neurocompare.cost.ledger.operation_ledger` (``synaptic_macs``,
        ``synaptic_acs``).
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
