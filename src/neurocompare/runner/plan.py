"""Planning a run into work units, and executing them (in this process, local workers or Dask)."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from neurocompare._errors import InputError, input_error
from neurocompare._parallel import map_units
from neurocompare.data import cache
from neurocompare.data.containers import NeuralData
from neurocompare.data.registry import make_dataset
from neurocompare.pipelines.common.checks import check_params
from neurocompare.pipelines.registry import get_spec, make_pipeline
from neurocompare.pipelines.seeding import seeded
from neurocompare.protocols.registry import make_splitter
from neurocompare.protocols.splitters import Splitter
from neurocompare.records.importance import ImportanceStore
from neurocompare.records.manifest import dataset_record
from neurocompare.records.store import ResultStore
from neurocompare.runner.config import RunConfig, check_config
from neurocompare.runner.selection import select_subjects, subjects_for, unit_subjects
from neurocompare.runner.units import UnitReport, WorkUnit, run_unit
from neurocompare.runner.workers import check_workers, stamp

__all__ = ["dataset_records", "execute", "plan", "threads_per_unit"]

logger = logging.getLogger(__name__)


def dataset_records(config: RunConfig) -> list[dict[str, Any]]:
    """Provenance of every dataset of a run (parameters, signal info, file checksums)."""
    out = []
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        selection = select_subjects(dataset, subjects_for(config.subjects, name))
        listed, _ = unit_subjects(dataset, selection, "subject")
        record = dataset_record(dataset, listed, cache.first_info(dataset, selection))
        out.append(record if selection is None else record | {"subjects": selection})
    return out


def _count_folds(splitter: Splitter, data: NeuralData, config: RunConfig) -> int:
    """The folds of ``splitter`` on ``data``. A splitter's own error passes as it is; one
    raised by scikit-learn on a parameter of the wrong type (``shuffle='x'``) becomes an
    input error naming the protocol."""
    try:
        return sum(1 for _ in splitter.folds(data.metadata, data.y))
    except InputError:
        raise
    except (TypeError, ValueError) as exc:
        raise input_error(f"protocol {config.protocol!r}", "parameters its splitter accepts",
                          config.protocol_params, hint=f"{type(exc).__name__}: {exc}") from exc


def threads_per_unit(jobs: int, cores: int | None = None,
                     load: float | None = None) -> int:
    """BLAS/torch threads for each of ``jobs`` workers: the cores left idle by the rest of
    the machine (``cores`` minus the 1-minute load average, rounded) shared among them, at
    least 1 and at most ``cores // jobs``.

    On an idle 2-core machine one worker gets 2 threads; with one other busy process it gets
    1, which on this project's reference machine ran the SSVEP Riemannian comparison in
    9.2 s instead of 25.9 s (2 threads competing for a busy core, measured at load 3.8).
    """
    cores = cores or os.cpu_count() or 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    idle = max(1, cores - round(load))
    return max(1, min(cores // jobs, idle // jobs))


def plan(config: RunConfig) -> list[WorkUnit]:
    """Turn a configuration into work units, checking every name and parameter first.

    Before any unit runs, every dataset is built and its first subject read, every pipeline
    built, seeded and its parameters checked (:func:`~neurocompare.pipelines.common.checks
    .check_params`, no fitting), and the protocol's folds computed on the first unit's data
    (the whole data of a cross-subject protocol), so a bad value is one error, not one
    failure per unit or fold. A later subject the protocol cannot split (e.g. all its trials
    of one class) fails its own unit with one message; the other units' results are stored.
    """
    check_config(config)
    splitter = make_splitter(config.protocol, config.seed, **config.protocol_params)
    n_threads = threads_per_unit(config.jobs)
    out = str(Path(config.out).resolve())
    units, skipped, runnable = [], [], 0
    for name, params in config.datasets:
        dataset = make_dataset(name, **params)
        base = {"dataset": name, "dataset_params": tuple(sorted(params.items())),
                "config": config, "out": out, "n_threads": n_threads}
        subjects = dataset.subjects()
        if not subjects:
            raise input_error(f"dataset {name!r}", "at least one subject", "none found")
        selection = select_subjects(dataset, subjects_for(config.subjects, name))
        listed, base["subjects"] = unit_subjects(dataset, selection, splitter.scope)
        info = cache.first_info(dataset, selection)
        for label in config.pipelines:  # fail now, not mid-run, on bad pipeline parameters
            reason = get_spec(label).applicable(info)
            if reason:
                logger.warning("%s is skipped on %s: %s", label, name, reason)
                skipped.append(f"{label} on {name}: {reason}")
            else:  # built, seeded and checked as a unit will fit it, without fitting
                check_params(seeded(make_pipeline(label, info), config.seed), label)
                runnable += 1
        if splitter.scope == "subject":
            if listed:  # the protocol's values meet data before any unit runs
                _count_folds(splitter, cache.peek_unit(dataset, listed[0], base["subjects"]),
                             config)
            units += [WorkUnit(subject=s, fold_index=None, **base) for s in listed]
        else:
            data = cache.load_all(dataset, base["subjects"])
            n_folds = _count_folds(splitter, data, config)
            units += [WorkUnit(subject=None, fold_index=k, **base) for k in range(n_folds)]
    if not runnable:
        raise input_error("pipelines", "at least one pipeline that can run on the datasets",
                          "; ".join(skipped),
                          hint="`neurocompare pipelines` lists the data kind of each.")
    return stamp(units)  # with the data root, data digests and folder id workers check


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

    A unit whose worker process dies is reported as failed (the results it stored before
    are kept; a rerun computes the rest). On Dask, every worker is first asked whether it
    sees the output folder and the data root (:func:`~neurocompare.runner.workers
    .check_workers`). At the end the result and importance files are merged into one each
    (:meth:`~neurocompare.records.store.ResultStore.compact`).
    """
    if units:
        ResultStore(units[0].out).clean_partial()
    reports = []
    for report in map_units(run_unit, units, jobs=jobs, scheduler=scheduler,
                            start_method=start_method, lost=_lost,
                            on_connect=functools.partial(check_workers, units=units)):
        reports.append(report)
        if on_done is not None:
            on_done(report)
    cache.release()
    if units:
        for store in (ResultStore(units[0].out), ImportanceStore(units[0].out)):
            store.compact()
    return reports


def _lost(unit: WorkUnit, reason: str) -> UnitReport:
    """The report of a unit whose worker process died."""
    return UnitReport(unit.label, errors=[f"{unit.label}: {reason}; the results it stored "
                                          "are kept, a rerun computes the rest"],
                      worker="lost")
