"""Helpers of the spiking benchmarks (``snn_comparison.py``, ``recurrent_comparison.py``): run
pipelines through the runner (same folds for all) on one thread, then summarise the stored
rows per pipeline with a t-interval over subjects."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd
from scipy import stats

from neurocompare.records.store import ResultStore
from neurocompare.runner import RunConfig, execute, plan


def run(datasets: list[tuple[str, dict]], pipelines: list[str], protocol: str,
        protocol_params: dict, out: str, seed: int = 42) -> tuple[pd.DataFrame, float]:
    """Evaluate ``pipelines`` in this process with one torch/BLAS thread; rows and seconds."""
    config = RunConfig(datasets=datasets, pipelines=pipelines, protocol=protocol,
                       protocol_params=protocol_params, out=out, seed=seed)
    units = [dataclasses.replace(unit, n_threads=1) for unit in plan(config)]
    start = time.perf_counter()
    reports = execute(units, jobs=1)
    errors = [e for report in reports for e in report.errors]
    if errors:
        raise RuntimeError("; ".join(errors[:5]))
    return ResultStore(out).table(), time.perf_counter() - start


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Mean and half-width of the t-interval of ``values`` (NaN width for one value)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), float("nan")
    half = stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)


def summarise(rows: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """One line per (dataset, pipeline): accuracy over subjects and mean fold costs."""
    out = []
    for (dataset, pipeline), group in rows.groupby(["dataset", "pipeline"], sort=False):
        per_subject = group.groupby("subject")["accuracy"].mean()
        mean, half = t_interval(per_subject.to_numpy())
        fold_s = group["fit_time_s"] + group["predict_time_s"]
        out.append({
            "dataset": dataset, "pipeline": labels.get(pipeline, pipeline),
            "accuracy": f"{mean:.3f} ± {half:.3f}", "subjects": len(per_subject),
            "folds": len(group),
            "params": f"{group['ledger_param_count'].mean():,.0f}",
            "MACs": _si(group["ledger_synaptic_macs"].mean()),
            "ACs": _si(group["ledger_synaptic_acs"].mean()),
            "dense ops": _si(group["ledger_dense_ops"].mean()),
            "act. sparsity": _fmt(group["ledger_activation_sparsity"].mean(), ".2f"),
            "energy (µJ, est.)": _fmt(1e6 * group["energy_j"].mean(), ".3g"),
            "fit (s/fold)": f"{group['fit_time_s'].mean():.1f}",
            "latency (ms)": f"{group['latency_ms'].mean():.1f}",
            "ledger share": f"{100 * (group['ledger_time_s'] / fold_s).mean():.2f}%",
        })
    order = {name: i for i, name in enumerate(labels.values())}
    table = pd.DataFrame(out)
    rank = table["pipeline"].map(lambda name: order.get(name, len(order)))
    return table.assign(_rank=rank).sort_values(["dataset", "_rank"], kind="stable") \
        .drop(columns="_rank").reset_index(drop=True)


def _fmt(value: float, spec: str) -> str:
    return "n/a" if not np.isfinite(value) else format(value, spec)


def _si(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"
