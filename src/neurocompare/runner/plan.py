"""Planning a run into work units, and executing them (in this process, local workers or Dask)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from neurocompare._errors import input_error
from neurocompare._parallel import map_units
from neurocompare.data import cache
from neurocompare.data.registry import make_dataset
from neurocompare.pipelines.registry import get_spec, make_pipeline
from neurocompare.protocols.registry import make_splitter
from neurocompare.records.manifest import dataset_record
from neurocompare.records.store import ResultStore
from neurocompare.runner.config import RunConfig, check_config
from neurocompare.runner.units import UnitReport, WorkUnit, run_unit

__all__ = ["dataset_records", "execute", "plan"]

logger = logging.getLogger(__name__)


def dataset_records(config: RunConfig) -> list[dict[str, Any]]:
    """Provenance of every dataset of a run (parameters, signal info, file checksums)."""
    out = []
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        out.append(dataset_record(dataset, dataset.subjects(), cache.first_info(dataset)))
    return out


def plan(config: RunConfig) -> list[WorkUnit]:
    """Turn a configuration into work units, checking every name and parameter first."""
    check_config(config)
    splitter = make_splitter(config.protocol, config.seed, **config.protocol_params)
    n_threads = max(1, (os.cpu_count() or 1) // config.jobs)
    out = str(Path(config.out).resolve())
    units, skipped, runnable = [], [], 0
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        base = {"dataset": name, "dataset_params": tuple(sorted(params.items())),
                "config": config, "out": out, "n_threads": n_threads}
        subjects = dataset.subjects()
        if not subjects:
            raise input_error(f"dataset {name!r}", "at least one subject", "none found")
        info = cache.first_info(dataset)
        for label in config.pipelines:  # fail now, not mid-run, on bad pipeline parameters
            reason = get_spec(label).applicable(info)
            if reason:
                logger.warning("%s is skipped on %s: %s", label, name, reason)
                skipped.append(f"{label} on {name}: {reason}")
            else:
                make_pipeline(label, info)
                runnable += 1
        if splitter.scope == "subject":
            units += [WorkUnit(subject=s, fold_index=None, **base) for s in subjects]
        else:
            data = cache.load_all(dataset)
            n_folds = sum(1 for _ in splitter.folds(data.metadata, data.y))
            units += [WorkUnit(subject=None, fold_index=k, **base) for k in range(n_folds)]
    if not runnable:
        raise input_error("pipelines", "at least one pipeline that can run on the datasets",
                          "; ".join(skipped),
                          hint="`neurocompare pipelines` lists the data kind of each.")
    return units


def execute(units: Sequence[WorkUnit], *, jobs: int = 1, scheduler: str | None = None,
            on_done: Callable[[UnitReport], None] | None = None,
            start_method: str = "auto") -> list[UnitReport]:
    """Run ``units`` sequentially, in ``jobs`` local processes, or on a Dask scheduler.

    Parameters
    ----------
    units : sequence of WorkUnit
    jobs : int
        Local worker processes (ignored with ``scheduler``).
    scheduler : str, optional
        Dask scheduler address (``tcp://host:port``).
    on_done : callable, optional
        Called with each :class:`UnitReport` as units finish (progress bars).
    start_method : {"auto", "fork", "loky"}
        How local workers start: ``"auto"`` forks them (instant, sharing the imports and
        the subject the planner loaded) when no OpenMP work has run in this process, else
        starts loky workers (see :mod:`neurocompare._parallel`).
    """
    if units:
        ResultStore(units[0].out).clean_partial()
    reports = []
    for report in map_units(run_unit, units, jobs=jobs, scheduler=scheduler,
                            start_method=start_method):
        reports.append(report)
        if on_done is not None:
            on_done(report)
    cache.release()
    return reports
