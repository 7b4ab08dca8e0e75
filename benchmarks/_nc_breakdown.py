"""Where a neurocompare run spends its time: the runner's stages with wall-clock counters.

Benchmark helper (used by ``moabb_side_by_side.py`` and ``overhead.py``). It wraps, for one
in-process run (``jobs=1``), the stages of :func:`neurocompare.runner.run_unit` with
``time.perf_counter`` counters and restores them afterwards:

* ``load``: ``Dataset.load_subject`` (read, filter, epoch, validate; plan() loads the first
  subject for its signal info and the run reuses it);
* ``evaluate_fold``: the runner's call per (pipeline, fold), made of
  ``fit_predict`` (fits, predictions, cost measurement, latency probes) and
  ``metrics`` (``fold_metrics``);
* ``measure``: the time spent entering and leaving ``measure()`` blocks (kernel peak-memory
  reset and read, psutil and CPU-clock reads), excluding the measured code;
* ``latency``: the per-prediction cost probes (single-trial latency and operation ledger),
  from the stored ``probe_time_s``; ``n_probed`` results were probed
  (:class:`~neurocompare.evaluation.fold.ProbeBudget`);
* ``store_write``: Parquet writes of the result store (one file per result, or one per
  batch of fast results).
"""

from __future__ import annotations

import functools
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

__all__ = ["instrumented_run"]


def instrumented_run(pipelines: Sequence[str], *, seed: int = 42,
                     threads: int | None = None) -> dict[str, Any]:
    """Run the SSVEP exoskeleton within-session comparison once with stage counters.

    Parameters
    ----------
    pipelines : sequence of str
        Registered pipeline names.
    seed : int
        Run seed.
    threads : int, optional
        Override of the BLAS threads per work unit (default: the runner's choice).

    Returns
    -------
    dict
        ``total`` and per-stage seconds (see the module docstring), ``n_results`` and
        ``n_measure`` (``measure()`` blocks entered).
    """
    import neurocompare.evaluation.fold as evaluation
    import neurocompare.runner as runner
    import neurocompare.runner.units as units_module
    from neurocompare.data import cache as data_cache
    from neurocompare.data.base import Dataset
    from neurocompare.records.store import ResultStore

    spent: dict[str, float] = {}
    count = {"measure": 0}

    def timed(name: str, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return wrapper

    original_measure = evaluation.measure

    @contextmanager
    def timed_measure(*args, **kwargs) -> Iterator[Any]:
        count["measure"] += 1
        manager = original_measure(*args, **kwargs)
        start = time.perf_counter()
        cost = manager.__enter__()
        spent["measure"] = spent.get("measure", 0.0) + time.perf_counter() - start
        try:
            yield cost
        finally:
            start = time.perf_counter()
            manager.__exit__(None, None, None)
            spent["measure"] = spent.get("measure", 0.0) + time.perf_counter() - start

    saved = [(Dataset, "load_subject"), (units_module, "evaluate_fold"),
             (evaluation, "fit_predict"), (evaluation, "fold_metrics"), (evaluation, "measure"),
             (ResultStore, "_write")]
    originals = [getattr(owner, name) for owner, name in saved]
    Dataset.load_subject = timed("load", Dataset.load_subject)
    units_module.evaluate_fold = timed("evaluate_fold", units_module.evaluate_fold)
    evaluation.fit_predict = timed("fit_predict", evaluation.fit_predict)
    evaluation.fold_metrics = timed("metrics", evaluation.fold_metrics)
    evaluation.measure = timed_measure
    ResultStore._write = timed("store_write", ResultStore._write)
    try:
        data_cache.clear()  # behave like a fresh process
        with tempfile.TemporaryDirectory(prefix="nc-breakdown-") as out:
            start = time.perf_counter()
            config = runner.RunConfig(datasets=[("ssvep-exoskeleton", {})],
                                      pipelines=list(pipelines), protocol="within-session",
                                      seed=seed, out=out, jobs=1)
            units = runner.plan(config)
            if threads is not None:
                units = [replace(u, n_threads=threads) for u in units]
            runner.execute(units, jobs=1)
            total = time.perf_counter() - start
            table = ResultStore(out).table()
    finally:
        for (owner, name), value in zip(saved, originals, strict=True):
            setattr(owner, name, value)
    latency = float(table["probe_time_s"].sum())
    out = {"total": total, "latency": latency, "n_results": len(table),
           "n_probed": int(table["probed"].sum()), "n_measure": count["measure"]}
    out |= {k: spent.get(k, 0.0) for k in ("load", "evaluate_fold", "fit_predict", "metrics",
                                            "measure", "store_write")}
    out["compute"] = out["fit_predict"] - out["measure"] - latency
    out["runner_other"] = total - out["load"] - out["evaluate_fold"] - out["store_write"]
    out["fold_other"] = out["evaluate_fold"] - out["fit_predict"] - out["metrics"]
    return out
